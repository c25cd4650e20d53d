//! The three pipeline handlers (start-query, poll-query, collect-results) against the local
//! CloudTrail service over real CloudTrail data, alerts read back from the service's SNS.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde_json::{json, Value};
use trailwatch::config::Config;
use trailwatch::engine::{EngineKind, QueryStatus};
use trailwatch::lambda::decode;
use trailwatch::pipeline::collect::{CollectInput, CollectState};
use trailwatch::pipeline::poll::PollInput;
use trailwatch::pipeline::{collect, poll, Deps, QueryRef};
use trailwatch::s3uri::S3Uri;
use trailwatch::Error;
use trailwatch_tests::*;

fn write_derived(dir: &std::path::Path) -> Vec<Value> {
    let events = derived_events();
    std::fs::create_dir_all(dir).unwrap();
    let lines: Vec<String> = events
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    std::fs::write(dir.join("derived.jsonl"), lines.join("\n")).unwrap();
    events
}

fn test_config() -> Config {
    Config {
        allow_adhoc_sql: true,
        ..Config::default()
    }
}

async fn collect_once(
    deps: &Deps,
    input: Value,
    deadline: SystemTime,
) -> trailwatch::Result<CollectState> {
    collect::handle(deps, decode("collect-results", input)?, deadline).await
}

async fn collect_all(deps: &Deps, q: &QueryRef, per_invocation: Duration) -> CollectState {
    let mut st: Option<CollectState> = None;
    for _ in 0..500 {
        let deadline = SystemTime::now() + per_invocation;
        let s = collect_once(deps, json!({"query": q, "collect": st}), deadline)
            .await
            .expect("collect");
        if s.done {
            return s;
        }
        st = Some(s);
    }
    panic!("collection never finished");
}

fn alerted_event_ids(svc: &trailwatch_local::Running, topic: &str, rule: &str) -> Vec<String> {
    svc.published(Some(topic))
        .iter()
        .filter(|m| m.attributes.get("rule_id").map(|a| a.1.as_str()) == Some(rule))
        .flat_map(|m| {
            assert!(m.message.len() <= 262_144);
            assert!(m
                .subject
                .as_deref()
                .is_some_and(|s| s.chars().count() < 100));
            let v: Value = serde_json::from_str(&m.message).unwrap();
            v["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["event"]["event_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The alerts published for `rule`, as JSON objects keyed by event id.
fn alerts_by_event(
    svc: &trailwatch_local::Running,
    topic: &str,
    rule: &str,
) -> BTreeMap<String, Value> {
    svc.published(Some(topic))
        .iter()
        .filter(|m| m.attributes.get("rule_id").map(|a| a.1.as_str()) == Some(rule))
        .flat_map(|m| {
            let v: Value = serde_json::from_str(&m.message).unwrap();
            v["alerts"].as_array().unwrap().clone()
        })
        .map(|a| (a["event"]["event_id"].as_str().unwrap().to_string(), a))
        .collect()
}

/// Every CIS check on both engines over the bundled sample and the derived AWS-docs/Panther
/// events: each engine alerts exactly on the events an independent filter over the files
/// selects, and the two engines' alerts are identical, field for field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cis_check_finds_exactly_the_independent_matches_on_both_engines() {
    let dir = std::env::temp_dir().join(format!("tw-pipeline-{}", std::process::id()));
    let derived = write_derived(&dir);
    let svc = start_service(|c| c.data.push(dir.clone())).await;
    let mut all = invictus_events();
    all.extend(derived);
    let catalog = trailwatch::checks::Catalog::bundled().unwrap();
    let mut per_engine = Vec::new();
    for engine in [EngineKind::Lake, EngineKind::Athena] {
        let topic = create_topic(&svc, &format!("alerts-{}", engine.as_str())).await;
        let deps = deps_for(&svc, &topic, test_config(), engine);
        let mut total = 0;
        let mut alerts = BTreeMap::new();
        for n in 1..=14u32 {
            let check = catalog
                .all()
                .find(|c| c.control.ends_with(&format!("CloudWatch.{n}")))
                .unwrap();
            // The window ends at the schedule's time; 2h covers the sample and the derived events.
            let q = start_q(
                &deps,
                json!({"check_id": check.id, "time": "2023-07-10T13:10:30Z", "window": "2h"}),
            )
            .await
            .unwrap();
            assert_eq!(q.window.end.to_rfc3339(), "2023-07-10T13:10:00+00:00");
            assert_eq!(q.engine, engine);
            let p = poll_until_done(&deps, &q)
                .await
                .unwrap_or_else(|e| panic!("{} on {engine:?}: {e}", check.id));
            assert_eq!(p.status, QueryStatus::Finished);
            let s = collect_all(&deps, &q, Duration::from_secs(60)).await;
            let expected: BTreeSet<String> = all
                .iter()
                .filter(|e| cis(n, e))
                .map(|e| field(e, "eventID").to_string())
                .collect();
            let got = alerted_event_ids(&svc, &topic, &check.id);
            let unique: BTreeSet<String> = got.iter().cloned().collect();
            assert_eq!(got.len(), unique.len(), "{}: duplicate alerts", check.id);
            assert_eq!(unique, expected, "{} on {engine:?}", check.id);
            assert_eq!(s.rows as usize, expected.len());
            assert!(
                !expected.is_empty(),
                "{} has no true positive in the test data",
                check.id
            );
            assert!(s.bytes_scanned > 0 && s.estimated_cost_usd > 0.0, "{s:?}");
            total += expected.len();
            alerts.insert(check.id.clone(), alerts_by_event(&svc, &topic, &check.id));
        }
        assert!(total > 150);
        per_engine.push(alerts);
    }
    // Identical findings: every alert field, event time included, is the same on both engines.
    for (id, lake) in &per_engine[0] {
        let athena = &per_engine[1][id];
        assert_eq!(lake.len(), athena.len(), "{id}");
        for (event, a) in lake {
            assert_eq!(Some(a), athena.get(event), "{id}: {event}");
            assert!(
                a["event"]["event_time"].as_str().unwrap().ends_with('Z'),
                "{a}"
            );
        }
    }
    svc.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrower_window_bounds_the_findings() {
    let svc = start_service(|_| {}).await;
    let topic = topic(&svc).await;
    let deps = deps(&svc, &topic, test_config());
    let q = start_q(&deps, json!({"check_id": "cis-cw02-unauthorized-api-calls", "time": "2023-07-10T12:15:00Z", "window": "15m"})).await.unwrap();
    poll_until_done(&deps, &q).await.unwrap();
    collect_all(&deps, &q, Duration::from_secs(60)).await;
    let expected: BTreeSet<String> = invictus_events()
        .iter()
        .filter(|e| {
            cis(2, e)
                && ("2023-07-10T12:00:00Z".."2023-07-10T12:15:00Z").contains(&field(e, "eventTime"))
        })
        .map(|e| field(e, "eventID").to_string())
        .collect();
    let got: BTreeSet<String> = alerted_event_ids(&svc, &topic, "cis-cw02-unauthorized-api-calls")
        .into_iter()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_results_are_collected_completely_across_invocations() {
    let svc = start_service(|_| {}).await;
    let topic = topic(&svc).await;
    let deps = deps(
        &svc,
        &topic,
        Config {
            page_size: 7,
            ..test_config()
        },
    );
    let q = start_q(&deps, json!({"check_id": "cis-cw02-unauthorized-api-calls", "time": "2023-07-10T13:00:00Z", "window": "2h"})).await.unwrap();
    poll_until_done(&deps, &q).await.unwrap();
    // Less time than the reserve: every invocation reads one page, then hands back a token.
    let s = collect_all(&deps, &q, collect::RESERVE / 2).await;
    let expected: BTreeSet<String> = invictus_events()
        .iter()
        .filter(|e| cis(2, e))
        .map(|e| field(e, "eventID").to_string())
        .collect();
    assert_eq!(expected.len(), 60);
    assert_eq!(s.rows, 60);
    assert_eq!(s.pages, 9);
    assert_eq!(s.invocations, 9);
    assert_eq!(s.alerts_sent, 60);
    let got = alerted_event_ids(&svc, &topic, "cis-cw02-unauthorized-api-calls");
    assert_eq!(got.len(), 60);
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    // With time to spare, one invocation reads every page.
    let q2 = start_q(&deps, json!({"check_id": "cis-cw02-unauthorized-api-calls", "time": "2023-07-10T13:00:00Z", "window": "2h"})).await.unwrap();
    poll_until_done(&deps, &q2).await.unwrap();
    let s2 = collect_all(&deps, &q2, Duration::from_secs(120)).await;
    assert_eq!((s2.invocations, s2.pages, s2.rows), (1, 9, 60));
    svc.shutdown().await;
}

async fn cancel_outside(svc: &trailwatch_local::Running, engine: EngineKind, id: &str) {
    match engine {
        EngineKind::Lake => {
            cloudtrail(svc.endpoint(), 1)
                .cancel_query()
                .query_id(id)
                .send()
                .await
                .unwrap();
        }
        EngineKind::Athena => {
            athena(svc.endpoint(), 1)
                .stop_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_cancelled_timed_out_and_deadline_paths_on_both_engines() {
    let window = json!({"time": "2023-07-10T13:00:00Z", "window": "2h"});
    let adhoc = |sql: &str| {
        let mut v = window.clone();
        v["sql"] = json!(sql);
        v
    };
    let ok_sql = "SELECT eventID AS event_id FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}";
    for engine in [EngineKind::Lake, EngineKind::Athena] {
        let svc = start_service(|c| c.queries.running = Duration::from_millis(1500)).await;
        let topic = topic(&svc).await;
        let deps = deps_for(&svc, &topic, test_config(), engine);
        // FAILED: a runtime error inside the engine, its reason kept.
        let q = start_q(&deps, adhoc("SELECT from_iso8601_timestamp(eventName) AS t FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}")).await.unwrap();
        let e = poll_until_done(&deps, &q).await.unwrap_err();
        assert_eq!(e.error_type(), "QueryFailed", "{engine:?}: {e}");
        assert!(e.to_string().contains("malformed"), "{e}");
        let e = collect_once(
            &deps,
            json!({"query": q}),
            SystemTime::now() + Duration::from_secs(60),
        )
        .await
        .unwrap_err();
        assert_eq!(e.error_type(), "InvalidInput", "{engine:?}: {e}");

        // CANCELLED: someone cancels the query while it runs.
        let q = start_q(&deps, adhoc(ok_sql)).await.unwrap();
        cancel_outside(&svc, engine, &q.query_id).await;
        let e = poll_until_done(&deps, &q).await.unwrap_err();
        assert_eq!(e.error_type(), "QueryCancelled", "{engine:?}: {e}");
        assert!(!e.to_string().contains("deadline"), "{e}");

        // Deadline: a poll after the deadline cancels a still-running query and says so.
        let q = start_q(&deps, adhoc(ok_sql)).await.unwrap();
        let late = q.deadline + chrono::Duration::seconds(1);
        let e = poll::handle(&deps, PollInput { query: q.clone() }, late)
            .await
            .unwrap_err();
        assert_eq!(e.error_type(), "QueryCancelled");
        assert!(e.to_string().contains("deadline"), "{e}");
        let status = deps.engine.describe(&q.query_id).await.unwrap().status;
        assert_eq!(status, QueryStatus::Cancelled);
        svc.shutdown().await;

        // The run limit: Lake ends the query TIMED_OUT, Athena FAILED.
        let svc = start_service(|c| {
            c.queries.running = Duration::from_millis(600);
            c.queries.run_limit = Duration::from_millis(150);
        })
        .await;
        let topic = trailwatch_tests::topic(&svc).await;
        let deps = deps_for(&svc, &topic, test_config(), engine);
        let q = start_q(&deps, adhoc(ok_sql)).await.unwrap();
        let e = poll_until_done(&deps, &q).await.unwrap_err();
        let want = match engine {
            EngineKind::Lake => "QueryTimedOut",
            EngineKind::Athena => "QueryFailed",
        };
        assert_eq!(e.error_type(), want, "{e}");
        svc.shutdown().await;
    }
}

/// Athena's own bad inputs: each a clear, typed error, never an empty result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn athena_refuses_what_would_silently_read_nothing() {
    let svc = start_service(|c| c.athena.bytes_cutoff = Some(10_000)).await;
    let topic = topic(&svc).await;
    let good = deps_for(&svc, &topic, test_config(), EngineKind::Athena);
    let input = json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"});
    // Over the workgroup's bytes-scanned cutoff: FAILED with Athena's reason.
    let q = start_q(&good, input.clone()).await.unwrap();
    let e = poll_until_done(&good, &q).await.unwrap_err();
    assert_eq!(e.error_type(), "QueryFailed");
    assert!(e.to_string().contains("Bytes scanned limit"), "{e}");
    // A missing table or database: the query starts and FAILS with Athena's reason, as on
    // Athena; a workgroup without a result location is refused at start.
    let with = |f: &dyn Fn(&mut trailwatch::athena::AthenaTarget)| {
        let mut d = good.clone();
        let mut config = (*d.config).clone();
        let mut t = config.athena.clone().unwrap();
        f(&mut t);
        config.athena = Some(t.clone());
        d.config = std::sync::Arc::new(config);
        d.engine = std::sync::Arc::new(trailwatch::athena::SdkAthena::new(
            athena(svc.endpoint(), 1),
            t,
        ));
        d
    };
    for (reason, d) in [
        (
            "TABLE_NOT_FOUND",
            with(&|t| t.table = "no_such_table".into()),
        ),
        ("SCHEMA_NOT_FOUND", with(&|t| t.database = "nodb".into())),
    ] {
        let q = start_q(&d, input.clone()).await.unwrap();
        let e = poll_until_done(&d, &q).await.unwrap_err();
        assert_eq!(e.error_type(), "QueryFailed", "{reason}: {e}");
        assert!(e.to_string().contains(reason), "{e}");
    }
    let e = start_q(&with(&|t| t.workgroup = "primary".into()), input.clone())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "InvalidQuery", "workgroup: {e}");
    // A window before the table's partition projection range.
    let e = start_q(&good, json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2019-12-31T13:00:00Z", "window": "2h"})).await.unwrap_err();
    assert_eq!(e.error_type(), "InvalidInput");
    assert!(e.to_string().contains("partition projection"), "{e}");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_queries_is_a_distinct_retryable_error() {
    let svc = start_service(|c| {
        c.queries.running = Duration::from_millis(1000);
        c.queries.max_concurrent = 2;
    })
    .await;
    let topic = topic(&svc).await;
    let deps = deps(&svc, &topic, test_config());
    let input =
        json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z"});
    start_q(&deps, input.clone()).await.unwrap();
    start_q(&deps, input.clone()).await.unwrap();
    let e = start_q(&deps, input).await.unwrap_err();
    assert!(matches!(e, Error::MaxConcurrentQueries(_)), "{e:?}");
    assert_eq!(e.error_type(), "MaxConcurrentQueries");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_inputs_give_typed_errors() {
    let svc = start_service(|_| {}).await;
    let topic = topic(&svc).await;
    let strict = deps(&svc, &topic, Config::default());
    let t = "2023-07-10T13:00:00Z";
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "InvalidInput"),
        (json!("not an object"), "InvalidInput"),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes"}),
            "InvalidInput",
        ),
        (json!({"check_id": "nope", "time": t}), "InvalidInput"),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "yesterday"}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "window": "-3h"}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "window": "400d"}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "surprise": 1}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "params": {"x": "1"}}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "event_data_store": "x' OR 1=1 --"}),
            "InvalidInput",
        ),
        (
            json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t, "delivery_s3_uri": "http://x"}),
            "InvalidInput",
        ),
        (json!({"sql": "SELECT 1", "time": t}), "InvalidInput"),
        (
            json!({"check_id": "a", "sql": "SELECT 1", "time": t}),
            "InvalidInput",
        ),
    ];
    for (input, want) in cases {
        let e = start_q(&strict, input.clone())
            .await
            .expect_err(&input.to_string());
        assert_eq!(e.error_type(), want, "{input}: {e}");
    }
    let adhoc = deps(&svc, &topic, test_config());
    let e = start_q(
        &adhoc,
        json!({"sql": "SELECT 1 FROM {event_data_store}", "time": t}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.error_type(),
        "InvalidInput",
        "unbounded ad-hoc SQL is refused: {e}"
    );
    let e = start_q(
        &adhoc,
        json!({"sql": "SELEC {window_start} {window_end} FROM {event_data_store}", "time": t}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.error_type(), "InvalidQuery");
    // The Lambda edge decodes poll and collect inputs; what does not decode is InvalidInput.
    for bad in [json!({}), json!({"query": {"query_id": 5}}), json!([1, 2])] {
        let e = decode::<PollInput>("poll-query", bad.clone()).unwrap_err();
        assert_eq!(e.error_type(), "InvalidInput", "{bad}");
        let e = decode::<CollectInput>("collect-results", bad.clone()).unwrap_err();
        assert_eq!(e.error_type(), "InvalidInput", "{bad}");
    }
    let q = start_q(
        &strict_with_store(&svc, &topic),
        json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": t}),
    )
    .await
    .unwrap();
    let mut unknown = q.clone();
    unknown.query_id = "00000000-0000-0000-0000-000000000000".into();
    let e = poll::handle(&strict, PollInput { query: unknown }, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "QueryNotFound");
    poll_until_done(&strict, &q).await.unwrap();
    let e = collect_once(&strict, json!({"query": q, "collect": {"done": false, "next_token": "Zm9yZ2Vk", "rows": 0, "pages": 0, "alerts_sent": 0, "notifications": 0, "bytes_scanned": 0, "estimated_cost_usd": 0.0, "invocations": 0}}), SystemTime::now() + Duration::from_secs(30)).await.unwrap_err();
    assert_eq!(e.error_type(), "InvalidToken", "{e}");
    svc.shutdown().await;
}

fn strict_with_store(svc: &trailwatch_local::Running, topic: &str) -> Deps {
    deps(svc, topic, Config::default())
}

/// 60 hostile parameter values: each is either refused with a typed error or lands in the SQL
/// as one string literal, leaving the statement's structure exactly as with a benign value;
/// the service then returns the value unchanged as data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parameter_values_never_change_the_query() {
    use datafusion::sql::sqlparser::ast::{Expr, Value as SqlValue, VisitMut, VisitorMut};
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    use std::ops::ControlFlow;
    use trailwatch::sql::{Source, Template};
    use trailwatch::window::Window;

    struct Blank;
    impl VisitorMut for Blank {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Value(v) = e {
                if let SqlValue::SingleQuotedString(s) = &mut v.value {
                    *s = "?".into();
                }
            }
            ControlFlow::Continue(())
        }
    }
    let shape = |sql: &str| {
        // DataFusion's parser reads a bare hyphenated id as a subtraction: quote it as the service does.
        let sql =
            trailwatch_local::sql::quote_store_ids(sql, &["5e2676f8-9fce-46ef-8142-3e36a94e6691"]);
        let mut stmts =
            Parser::parse_sql(&GenericDialect {}, &sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = stmts.visit(&mut Blank);
        stmts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";")
    };
    let template = "SELECT {user} AS v, count(*) AS n FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end} AND userIdentity.userName = {user}";
    let declared = vec!["user".to_string()];
    let hostile: Vec<String> = [
        "'",
        "''",
        "'''",
        "\\'",
        "\\",
        "' OR '1'='1",
        "' OR 1=1 --",
        "'; DROP TABLE x; --",
        "admin'--",
        "') OR ('a'='a",
        "' UNION SELECT eventjson FROM x --",
        "/*",
        "*/",
        "' /* comment */ '",
        "--",
        "-- ' --",
        ";",
        ";;",
        "' ; SELECT 1 ; '",
        "\"",
        "\"; DROP",
        "`",
        "`whoami`",
        "$(rm -rf /)",
        "{event_data_store}",
        "{window_start}",
        "{{user}}",
        "}",
        "{",
        "%' AND '%'='",
        "' AND eventName LIKE '%",
        "ʼ OR 1=1",
        "＇ OR 1=1 --",
        "' OR 'x'='x' /*",
        "𝓪𝓭𝓶𝓲𝓷",
        "日本語'テスト",
        "émoji 🔥' --",
        "\u{2028}",
        "\u{feff}'",
        "a' || 'b",
        "' || (SELECT 1) || '",
        "x' AND sleep(5) AND 'y",
        "' OR TRUE OR '",
        "%",
        "_",
        "' ESCAPE '\\",
        "' IS NULL OR '",
        "NULL",
        "'); DELETE FROM t WHERE ('1'='1",
        "Robert'); DROP TABLE Students;--",
        "' AND 1=CAST((SELECT 1) AS INT) --",
        "''''''''",
        "a''b",
        "' OR ''='",
        "0x27",
        "&#39;",
        "%27",
        "\\x27",
        "'\t'",
        "line\nbreak",
        "nul\0byte",
        "\r\n' --",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    assert!(hostile.len() >= 60);
    let parsed = Template::parse(template, &declared).unwrap();
    let window = Window::new(
        "2023-07-10T11:00:00Z".parse().unwrap(),
        "2023-07-10T13:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let b = |params: &BTreeMap<String, String>| {
        parsed.render(
            &Source::lake("5e2676f8-9fce-46ef-8142-3e36a94e6691").unwrap(),
            &window,
            params,
        )
    };
    let benign = shape(&b(&BTreeMap::from([("user".into(), "alice".into())])).unwrap());
    let mut accepted = Vec::new();
    for v in &hostile {
        match b(&BTreeMap::from([("user".into(), v.clone())])) {
            Ok(sql) => {
                assert_eq!(shape(&sql), benign, "structure changed for {v:?}: {sql}");
                accepted.push(v.clone());
            }
            Err(e) => assert!(v.chars().any(char::is_control), "{v:?} refused: {e}"),
        }
    }
    assert!(accepted.len() >= 55);

    // Through the service: the value comes back as data, exactly.
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    for v in accepted.iter().take(12) {
        let sql = parsed
            .render(
                &Source::lake(&svc.summary.event_data_store).unwrap(),
                &window,
                &BTreeMap::from([("user".into(), v.clone())]),
            )
            .unwrap();
        let id = start_query(&ct, &sql).await;
        assert_eq!(wait_query(&ct, &id).await, "FINISHED", "{v:?}");
        let out = ct.get_query_results().query_id(&id).send().await.unwrap();
        let row = &out.query_result_rows()[0];
        assert_eq!(row[0].get("v").map(String::as_str), Some(v.as_str()));
        assert_eq!(row[1].get("n").map(String::as_str), Some("0"));
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_delivery_uri_reaches_lake() {
    let svc = start_service(|_| {}).await;
    let topic = topic(&svc).await;
    let deps = deps(
        &svc,
        &topic,
        Config {
            delivery_s3_uri: Some(S3Uri::parse("s3://audit-bucket/trailwatch").unwrap()),
            ..test_config()
        },
    );
    let q = start_q(
        &deps,
        json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z"}),
    )
    .await
    .unwrap();
    let d = cloudtrail(svc.endpoint(), 1)
        .describe_query()
        .query_id(&q.query_id)
        .send()
        .await
        .unwrap();
    assert_eq!(d.delivery_s3_uri(), Some("s3://audit-bucket/trailwatch"));
    // The input may choose another prefix in the configured bucket, never another bucket.
    let q = start_q(&deps, json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "delivery_s3_uri": "s3://audit-bucket/adhoc"})).await.unwrap();
    let d = cloudtrail(svc.endpoint(), 1)
        .describe_query()
        .query_id(&q.query_id)
        .send()
        .await
        .unwrap();
    assert_eq!(d.delivery_s3_uri(), Some("s3://audit-bucket/adhoc"));
    let e = start_q(&deps, json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "delivery_s3_uri": "s3://attacker-bucket/x"})).await.unwrap_err();
    assert_eq!(e.error_type(), "InvalidInput");
    assert!(
        e.to_string().contains("configured bucket audit-bucket"),
        "{e}"
    );
    svc.shutdown().await;
}

/// A check with 100,000 findings: every alert is delivered exactly once, in PublishBatch
/// requests the local SNS accepts only within SNS's limits (10 entries, 256 KiB in all), and
/// no more requests than a full packing needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_with_100000_findings_is_delivered_whole_within_sns_limits() {
    const N: usize = 100_000;
    let base = invictus_events();
    let events: Vec<trailwatch_local::load::Event> = (0..N)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            e["eventID"] = json!(format!("bulk-{i:06}"));
            trailwatch_local::load::to_event(e).unwrap()
        })
        .collect();
    let config = trailwatch_local::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        queries: fast_queries(),
        lookup_rate: 0.0,
        ..trailwatch_local::Config::default()
    };
    let svc = trailwatch_local::start_loaded(
        config,
        trailwatch_local::load::Loaded {
            events,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let topic = topic(&svc).await;
    let deps = deps(&svc, &topic, test_config());
    let q = start_q(&deps, json!({"time": "2023-07-10T13:00:00Z", "window": "2h",
        "sql": "SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name, eventSource AS event_source, userIdentity.arn AS principal, sourceIPAddress AS source_ip, awsRegion AS region, recipientAccountId AS account FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}"}))
        .await
        .unwrap();
    poll_until_done(&deps, &q).await.unwrap();
    let s = collect_all(&deps, &q, Duration::from_secs(600)).await;
    assert_eq!((s.rows, s.alerts_sent), (N as u64, N as u64));
    let published = svc.published(Some(&topic));
    let mut ids = BTreeSet::new();
    let mut bytes = 0usize;
    for m in &published {
        bytes += m.message.len()
            + m.attributes
                .iter()
                .map(|(k, (t, v))| k.len() + t.len() + v.len())
                .sum::<usize>();
        let v: Value = serde_json::from_str(&m.message).unwrap();
        for a in v["alerts"].as_array().unwrap() {
            assert!(ids.insert(a["event"]["event_id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(ids.len(), N);
    let requests = svc.shared.sns.requests("PublishBatch");
    let floor = bytes.div_ceil(262_144).max(published.len().div_ceil(10));
    eprintln!(
        "{N} findings: {} notifications in {requests} PublishBatch requests ({} KiB; at least {floor} requests)",
        published.len(),
        bytes / 1024
    );
    assert_eq!(s.notifications as usize, published.len());
    assert!(
        requests <= floor + floor / 5 + s.pages as usize,
        "{requests} requests, floor {floor}"
    );
    svc.shutdown().await;
}
