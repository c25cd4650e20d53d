//! The real ASL files executed by aws-local-stepfunctions (Node 22), their Task states
//! overridden to run the built Lambda binaries under the Lambda Runtime API harness, against the
//! local CloudTrail service; the SNS publish Task posts to the service's SNS.
//! Needs `cargo build --workspace --bins` and `npm ci` in tests/sfn (scripts/test does both).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use trailwatch::engine::EngineKind;
use trailwatch::pipeline::policy;
use trailwatch_tests::sfn::Sfn;
use trailwatch_tests::*;

fn sfn() -> Sfn {
    Sfn::new(PathBuf::from(env!("CARGO_BIN_EXE_lambda-harness")))
}

fn unauthorized_calls() -> usize {
    invictus_events()
        .iter()
        .filter(|e| {
            let c = field(e, "errorCode");
            c.ends_with("UnauthorizedOperation") || c.starts_with("AccessDenied")
        })
        .count()
}

/// The state machine waits exactly as `trailwatch::pipeline::policy` says (the CLI follows the
/// same numbers).
#[test]
fn the_asl_encodes_the_shared_retry_policy() {
    let asl: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("infra/statemachine/check.asl.json")).unwrap(),
    )
    .unwrap();
    let rule = |state: &str, error: &str| -> policy::RetryRule {
        let r = asl["States"][state]["Retry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == error)
            })
            .unwrap_or_else(|| panic!("{state} does not retry {error}"));
        policy::RetryRule {
            interval_secs: r["IntervalSeconds"].as_u64().unwrap() as u32,
            backoff_rate: r["BackoffRate"].as_f64().unwrap(),
            max_attempts: r["MaxAttempts"].as_u64().unwrap() as u32,
        }
    };
    assert_eq!(rule("PollQuery", "QueryRunning"), policy::POLL);
    assert_eq!(
        rule("StartQuery", "MaxConcurrentQueries"),
        policy::MAX_CONCURRENT
    );
    for state in ["StartQuery", "PollQuery", "CollectResults"] {
        for e in policy::TRANSIENT_ERRORS {
            assert_eq!(rule(state, e), policy::TRANSIENT, "{state} {e}");
        }
    }
    for e in policy::LAMBDA_TIMEOUT_ERRORS {
        assert_eq!(rule("CollectResults", e), policy::COLLECT_TIMEOUT, "{e}");
    }
    // Polling is a Retry, not a Wait + Task + Choice loop.
    assert!(asl["States"]
        .as_object()
        .unwrap()
        .values()
        .all(|s| s["Type"] != "Wait"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_polls_by_retry_and_collects_every_page_on_both_engines() {
    let s = sfn();
    for engine in [EngineKind::Lake, EngineKind::Athena] {
        let svc = start_service(|c| c.queries.running = Duration::from_millis(1200)).await;
        let topic = topic(&svc).await;
        let config = s.check_config(svc.endpoint(), &topic);
        let input = json!({"check_id": "cis-cw02-unauthorized-api-calls", "time": "2023-07-10T13:00:00Z", "window": "2h"});
        let r = s.run_on(engine, &config, input, &svc, &topic, &[]).await;
        assert_eq!(r["status"], "SUCCEEDED", "{engine:?}: {r}");
        let out = &r["output"];
        let expected = unauthorized_calls();
        assert_eq!(out["status"], "FINISHED");
        assert_eq!(out["engine"], engine.as_str());
        assert_eq!(out["check_id"], "cis-cw02-unauthorized-api-calls");
        assert_eq!(out["findings"].as_u64(), Some(expected as u64));
        assert_eq!(out["alerts_sent"].as_u64(), Some(expected as u64));
        assert_eq!(out["pages"].as_u64(), Some(expected.div_ceil(25) as u64));
        assert_eq!(out["window"]["start"], "2023-07-10T11:00:00Z");
        assert!(out["bytes_scanned"].as_u64().unwrap() > 0, "{out}");
        let retries = r["retried"]["PollQuery"].as_u64().unwrap_or(0);
        assert!(
            retries >= 3,
            "expected several polls by Retry, got {retries}: {r}"
        );
        // Billed transitions: StartQuery, PollQuery and each of its retries, CollectResults and
        // IsCollected per invocation, Summarize.
        let collects = r["entered"]["CollectResults"].as_u64().unwrap();
        assert_eq!(
            r["transitions"].as_u64().unwrap(),
            1 + (1 + retries) + 2 * collects + 1,
            "{r}"
        );
        let alerted: usize = svc
            .published(Some(&topic))
            .iter()
            .map(|m| {
                serde_json::from_str::<Value>(&m.message).unwrap()["count"]
                    .as_u64()
                    .unwrap() as usize
            })
            .sum();
        assert_eq!(alerted, expected);
        eprintln!(
            "{engine:?}: state transitions for a run of {} polls: {}",
            retries + 1,
            r["transitions"]
        );
        svc.shutdown().await;
    }
}

/// A correlation rule that SQL can count is a check too, scheduled by its id: the burst of
/// access-denied calls runs through the real state machine and functions on both engines, and
/// finds what the correlation's own YAML and its rule's in-memory matches say (every N-th event
/// of a principal in an epoch-aligned bucket of the timespan).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correlation_runs_as_a_scheduled_check_on_both_engines() {
    let (rules, _) = trailwatch::rules::RuleSet::bundled();
    let burst = rules
        .correlations()
        .iter()
        .find(|c| c.title.starts_with("Burst of access-denied"))
        .expect("the bundled correlation");
    let (start, end) = (
        "2023-07-10T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        "2023-07-11T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
    );
    let in_window: Vec<Value> = invictus_events()
        .into_iter()
        .filter(|e| {
            let t: chrono::DateTime<chrono::Utc> = field(e, "eventTime").parse().unwrap();
            (start..end).contains(&t)
        })
        .collect();
    let expected = tumbling_count(&rules, burst, &in_window);
    assert!(
        !expected.is_empty(),
        "the sample has bursts of access-denied calls"
    );
    let s = sfn();
    for engine in [EngineKind::Lake, EngineKind::Athena] {
        let svc = start_service(|_| {}).await;
        let topic = topic(&svc).await;
        let config = s.check_config(svc.endpoint(), &topic);
        let input = json!({"check_id": burst.id, "time": "2023-07-11T00:00:00Z", "window": "24h"});
        let r = s.run_on(engine, &config, input, &svc, &topic, &[]).await;
        assert_eq!(r["status"], "SUCCEEDED", "{engine:?}: {r}");
        assert_eq!(
            r["output"]["findings"].as_u64(),
            Some(expected.len() as u64),
            "{engine:?}: {r}"
        );
        let alerted: std::collections::BTreeSet<String> = svc
            .published(Some(&topic))
            .iter()
            .flat_map(|m| alerts_in(&m.message))
            .map(|a| a["event"]["event_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(alerted, expected, "{engine:?}");
        svc.shutdown().await;
    }
}

fn failure_alert(svc: &trailwatch_local::Running, topic: &str) -> Value {
    let msgs = svc.published(Some(topic));
    assert_eq!(msgs.len(), 1, "one failure alert");
    let m = &msgs[0];
    assert_eq!(
        m.attributes.get("origin").map(|a| a.1.as_str()),
        Some("check-failure")
    );
    serde_json::from_str(&m.message).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_athena_query_that_fails_alerts_with_athenas_reason() {
    let s = sfn();
    // The workgroup's bytes-scanned cutoff stops the query: FAILED, with StateChangeReason.
    let svc = start_service(|c| c.athena.bytes_cutoff = Some(10_000)).await;
    let topic = topic(&svc).await;
    let config = s.check_config(svc.endpoint(), &topic);
    let input = json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"});
    let r = s
        .run_on(EngineKind::Athena, &config, input, &svc, &topic, &[])
        .await;
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "CheckFailed");
    let body = failure_alert(&svc, &topic);
    assert_eq!(body["error"]["Error"], "QueryFailed", "{body}");
    assert!(
        body["error"]["Cause"]
            .as_str()
            .unwrap()
            .contains("Bytes scanned limit"),
        "{body}"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_athena_query_past_its_deadline_is_cancelled_and_alerted() {
    let s = sfn();
    let svc = start_service(|c| c.queries.running = Duration::from_secs(8)).await;
    let topic = topic(&svc).await;
    let config = s.check_config(svc.endpoint(), &topic);
    let input = json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"});
    let r = s
        .run_on(
            EngineKind::Athena,
            &config,
            input,
            &svc,
            &topic,
            &[("TRAILWATCH_QUERY_DEADLINE", "2s")],
        )
        .await;
    assert_eq!(r["status"], "FAILED", "{r}");
    let body = failure_alert(&svc, &topic);
    assert_eq!(body["error"]["Error"], "QueryCancelled", "{body}");
    assert!(
        body["error"]["Cause"]
            .as_str()
            .unwrap()
            .contains("deadline"),
        "{body}"
    );
    let id = body["query"]["query_id"].as_str().unwrap();
    let state = athena(svc.endpoint(), 1)
        .get_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state
            .query_execution()
            .unwrap()
            .status()
            .unwrap()
            .state()
            .unwrap()
            .as_str(),
        "CANCELLED"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_times_out_alerts_and_fails() {
    let s = sfn();
    let svc = start_service(|c| {
        c.queries.running = Duration::from_millis(800);
        c.queries.run_limit = Duration::from_millis(200);
    })
    .await;
    let topic = topic(&svc).await;
    let config = s.check_config(svc.endpoint(), &topic);
    let input = json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"});
    let r = s.run(&config, input, &svc, &topic, &[]).await;
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "CheckFailed");
    assert_eq!(r["entered"]["AlertFailure"].as_u64(), Some(1));
    let msgs = svc.published(Some(&topic));
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(
        m.attributes.get("origin").map(|a| a.1.as_str()),
        Some("check-failure")
    );
    assert_eq!(
        m.attributes.get("rule_id").map(|a| a.1.as_str()),
        Some("cis-cw05-cloudtrail-config-changes")
    );
    let body: Value = serde_json::from_str(&m.message).unwrap();
    assert_eq!(body["error"]["Error"], "QueryTimedOut", "{body}");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_list_runs_every_check_and_fails_loudly_if_one_fails() {
    let s = sfn();
    let svc = start_service(|_| {}).await;
    let topic = topic(&svc).await;
    let inner = s.check_config(svc.endpoint(), &topic);
    let outer = s.checks_config(&inner);
    let input = json!({
        "checks": ["cis-cw05-cloudtrail-config-changes", "cis-cw10-security-group-changes", "no-such-check"],
        "time": "2023-07-10T13:00:00Z",
        "window": "2h"
    });
    let r = s.run(&outer, input, &svc, &topic, &[]).await;
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "ChecksFailed", "{r}");
    assert_eq!(r["entered"]["CheckSucceeded"].as_u64(), Some(2), "{r}");
    assert_eq!(r["entered"]["CheckFailed"].as_u64(), Some(1), "{r}");
    let msgs = svc.published(Some(&topic));
    let by_rule = |rule: &str| {
        msgs.iter()
            .filter(|m| m.attributes.get("rule_id").map(|a| a.1.as_str()) == Some(rule))
            .count()
    };
    assert!(by_rule("cis-cw05-cloudtrail-config-changes") >= 1);
    assert!(by_rule("cis-cw10-security-group-changes") >= 1);
    // The unknown check is alerted as a failure; the others still ran to the end.
    let failure = msgs
        .iter()
        .find(|m| m.attributes.get("origin").map(|a| a.1.as_str()) == Some("check-failure"))
        .expect("failure alert");
    assert_eq!(
        failure.attributes.get("rule_id").map(|a| a.1.as_str()),
        Some("no-such-check")
    );
    let body: Value = serde_json::from_str(&failure.message)
        .unwrap_or_else(|e| panic!("{e}: {}", failure.message));
    assert_eq!(body["error"]["Error"], "InvalidInput");

    let ok = s
        .run(&outer, json!({"checks": ["cis-cw05-cloudtrail-config-changes", "cis-cw12-network-gateway-changes"], "time": "2023-07-10T13:00:00Z", "window": "2h"}), &svc, &topic, &[])
        .await;
    assert_eq!(ok["status"], "SUCCEEDED", "{ok}");
    let results = ok["output"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|x| x["ok"] == true));
    let gateway_changes = invictus_events().iter().filter(|e| cis(12, e)).count();
    assert!(gateway_changes > 0);
    assert_eq!(
        results[1]["result"]["findings"].as_u64(),
        Some(gateway_changes as u64)
    );
    assert_eq!(ok["output"]["any_failed"], false);
    svc.shutdown().await;
    std::fs::remove_dir_all(&s.dir).ok();
}
