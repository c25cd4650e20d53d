//! Every sample payload in `events/` drives its handler against the local service.

use std::time::SystemTime;

use chrono::Utc;
use serde_json::Value;
use trailwatch::config::Config;
use trailwatch::lambda::decode;
use trailwatch::pipeline::{collect, poll};
use trailwatch_tests::*;

fn sample(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("events").join(name)).unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_payload_drives_its_handler() {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("events"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    // Exactly the samples driven below: a new sample needs its handler run here.
    assert_eq!(
        names,
        [
            "check-state-machine.json",
            "checks-state-machine.json",
            "collect-results.json",
            "lookup-alert-api-call.json",
            "lookup-alert-console-sign-in.json",
            "lookup-alert-schedule.json",
            "poll-query.json",
            "start-query.json",
        ]
    );
    let svc = start_service(|_| {}).await;
    let topic = create_topic(&svc, "samples").await;
    let deps = deps(&svc, &topic, Config::default());

    // start-query and the single-check state machine take the same input.
    for name in ["start-query.json", "check-state-machine.json"] {
        let q = start_q(&deps, sample(name)).await.unwrap();
        assert_eq!(q.check_id, "cis-cw05-cloudtrail-config-changes");
    }
    // The check list names catalog checks, each of which starts.
    let list = sample("checks-state-machine.json");
    for id in list["checks"].as_array().unwrap() {
        let mut one = list.clone();
        one.as_object_mut().unwrap().remove("checks");
        one["check_id"] = id.clone();
        start_q(&deps, one).await.unwrap();
    }
    // poll and collect samples are well-formed: with their placeholder id Lake says "not found".
    let e = poll::handle(
        &deps,
        decode("poll-query", sample("poll-query.json")).unwrap(),
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.error_type(), "QueryNotFound");
    let e = collect::handle(
        &deps,
        decode("collect-results", sample("collect-results.json")).unwrap(),
        SystemTime::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.error_type(), "QueryNotFound");
    // With a real query id they complete: poll answers QueryRunning (the state machine's
    // Retry) until the query finishes, within a bounded number of polls.
    let q = start_q(&deps, sample("start-query.json")).await.unwrap();
    let finished = poll_until_done(&deps, &q).await.expect("the query ends");
    let mut c = sample("collect-results.json");
    c["query"] = serde_json::to_value(&q).unwrap();
    c["poll"] = serde_json::to_value(&finished).unwrap();
    let done = collect::handle(
        &deps,
        decode("collect-results", c).unwrap(),
        SystemTime::now() + std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    // As many rows as an independent filter finds in the sample's window.
    let (start, end) = (
        q.window.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        q.window.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let expected = invictus_events()
        .iter()
        .filter(|e| cis(5, e) && (start.as_str()..end.as_str()).contains(&field(e, "eventTime")))
        .count();
    assert!(expected > 0);
    assert!(done.done);
    assert_eq!(done.rows as usize, expected);
    assert_eq!(done.bytes_scanned, finished.bytes_scanned);

    let ld = lookup_deps(
        &svc,
        &topic,
        &["us-east-1"],
        50,
        trailwatch::lookup::sweep::SweepSettings::default(),
    );
    let s = run_lookup(&ld, sample("lookup-alert-schedule.json"))
        .await
        .unwrap();
    assert_eq!(s["mode"], "scheduled");
    assert!(s["lanes"][0]["alerts"].as_u64().unwrap() > 0, "{s}");
    let a = run_lookup(&ld, sample("lookup-alert-api-call.json"))
        .await
        .unwrap();
    assert!(a["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "cis-cw05-cloudtrail-config-changes"));
    let c = run_lookup(&ld, sample("lookup-alert-console-sign-in.json"))
        .await
        .unwrap();
    assert!(c["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "cis-cw03-console-login-without-mfa"));
    svc.shutdown().await;
}
