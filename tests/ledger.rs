//! The alert ledger on DynamoDB (moto_server): the claim rules, and collect-results delivering
//! each finding once across retries and overlapping runs, a claim left by a crashed invocation
//! taken over.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde_json::{json, Value};
use trailwatch::config::Config;
use trailwatch::engine::QueryStatus;
use trailwatch::lambda::decode;
use trailwatch::ledger::dynamodb::DynamoLedger;
use trailwatch::ledger::{alert_key, Claim, Ledger, LedgerPolicy};
use trailwatch::pipeline::collect::{self, CollectState};
use trailwatch::pipeline::{Deps, QueryRef};
use trailwatch_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_follow_the_ledger_rules() {
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let ledger = DynamoLedger::new(client.clone(), table.clone(), LedgerPolicy::default());
    let t0: chrono::DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let min = chrono::Duration::minutes;
    let k = "alert#k";
    let claim = |owner: &'static str, at| {
        let ledger = &ledger;
        async move { ledger.claim(k, owner, at).await.unwrap() }
    };
    assert_eq!(claim("run-a", t0).await, Claim::Won, "a new key");
    assert_eq!(
        claim("run-b", t0 + min(1)).await,
        Claim::Held,
        "another run's fresh claim"
    );
    assert_eq!(
        claim("run-a", t0 + min(2)).await,
        Claim::Won,
        "a retry of the same run"
    );
    assert_eq!(
        claim("run-b", t0 + min(13)).await,
        Claim::Won,
        "a claim past its lease, never sent"
    );
    ledger
        .mark_sent(&[k.to_string()], "run-b", t0 + min(13))
        .await
        .unwrap();
    assert_eq!(claim("run-a", t0 + min(14)).await, Claim::Sent, "sent");
    assert_eq!(
        claim("run-b", t0 + min(14)).await,
        Claim::Sent,
        "sent, even to its sender"
    );
    assert_eq!(
        claim("run-c", t0 + chrono::Duration::days(7) + min(14)).await,
        Claim::Won,
        "past the horizon"
    );
    // More than one BatchWriteItem's worth (25) of keys.
    let keys: Vec<String> = (0..60).map(|i| format!("alert#bulk-{i}")).collect();
    for key in &keys {
        assert_eq!(ledger.claim(key, "run-a", t0).await.unwrap(), Claim::Won);
    }
    ledger.mark_sent(&keys, "run-a", t0).await.unwrap();
    for key in &keys {
        assert_eq!(
            ledger.claim(key, "run-z", t0 + min(30)).await.unwrap(),
            Claim::Sent,
            "{key}"
        );
    }
    let item = client
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(keys[0].clone()),
        )
        .send()
        .await
        .unwrap();
    let item = item.item().unwrap();
    assert_eq!(item["state"].as_s().unwrap(), "sent");
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(
        expires,
        (t0 + chrono::Duration::days(7)).timestamp(),
        "the TTL attribute"
    );
}

/// Records without the ledger's shape (hand-edited, or written by something else) never hide an
/// alert: the claim takes them over. A checkpoint that does not parse stops the sweep with a
/// typed error instead of guessing what was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_records_never_hide_an_alert() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use trailwatch::lookup::checkpoint::{dynamodb::DynamoCheckpoints, Checkpoints};
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let ledger = DynamoLedger::new(client.clone(), table.clone(), LedgerPolicy::default());
    let now = Utc::now();
    let far = (now + chrono::Duration::days(30)).timestamp().to_string();
    let broken: Vec<(&str, Vec<(&str, A)>)> = vec![
        ("alert#no-expiry", vec![("state", A::S("sent".into()))]),
        (
            "alert#text-expiry",
            vec![
                ("state", A::S("sent".into())),
                ("owner", A::S("x".into())),
                ("claimed_at", A::N("1".into())),
                ("expires_at", A::S("tomorrow".into())),
            ],
        ),
        (
            "alert#odd-state",
            vec![
                ("state", A::S("SENT!".into())),
                ("owner", A::S("x".into())),
                ("claimed_at", A::N("1".into())),
                ("expires_at", A::N(far.clone())),
            ],
        ),
    ];
    for (key, attrs) in &broken {
        let mut put = client
            .put_item()
            .table_name(&table)
            .item("pk", A::S((*key).into()));
        for (k, v) in attrs {
            put = put.item(*k, v.clone());
        }
        put.send().await.unwrap();
        assert_eq!(
            ledger.claim(key, "run-a", now).await.unwrap(),
            Claim::Won,
            "{key}"
        );
    }
    // A well-formed sent record still counts.
    ledger
        .mark_sent(&["alert#ok".to_string()], "run-a", now)
        .await
        .unwrap();
    assert_eq!(
        ledger.claim("alert#ok", "run-b", now).await.unwrap(),
        Claim::Sent
    );

    let checkpoints = DynamoCheckpoints::new(client.clone(), table.clone());
    client
        .put_item()
        .table_name(&table)
        .item("pk", A::S("sweep#us-east-1".into()))
        .item("checkpoint", A::S("{not json".into()))
        .item("version", A::N("3".into()))
        .send()
        .await
        .unwrap();
    let e = checkpoints.load("us-east-1").await.unwrap_err();
    assert_eq!(e.error_type(), "CheckpointInvalid", "{e}");
    assert!(e.to_string().contains("us-east-1"), "{e}");
}

/// SNS fails some PublishBatch entries on its side: the notifications that went out are marked
/// sent before the error is reported, so retrying the delivery (as Lambda or the state machine
/// would, same owner) publishes only the rest: every alert exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_batch_failures_are_retried_for_the_rest_only() {
    use trailwatch::alert::deliver::{Cutoff, Delivery};
    use trailwatch::alert::sns::SnsAlerts;
    use trailwatch::alert::{Alert, EventSummary, Origin, Raiser};
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|c| {
        c.faults = trailwatch_local::FaultConfig {
            seed: 3,
            sns_entry_failure: 0.6,
            ..Default::default()
        }
    })
    .await;
    let topic = create_topic(&svc, "partial").await;
    let sink = SnsAlerts::new(sns(svc.endpoint()), topic.clone());
    let ledger = DynamoLedger::new(client, table, LedgerPolicy::default());
    // 60 rules, so 60 notifications in 6 batches.
    let alerts: Vec<Alert> = invictus_events()
        .iter()
        .take(300)
        .enumerate()
        .map(|(i, e)| {
            Alert::new(
                &Raiser {
                    origin: Origin::Rule,
                    id: &format!("rule-{}", i % 60),
                    title: "a rule",
                    severity: trailwatch::severity::Severity::Low,
                    author: None,
                    tags: &[],
                },
                EventSummary::from_cloudtrail(e),
            )
        })
        .collect();
    let mut failures = 0;
    let mut delivered = false;
    let delivery = Delivery {
        sink: &sink,
        ledger: Some(&ledger),
        owner: "run-1",
        cutoff: Cutoff::NONE,
    };
    for _ in 0..30 {
        match delivery.send(&alerts).await {
            Ok(_) => {
                delivered = true;
                break;
            }
            Err(e) => {
                assert_eq!(e.error_type(), "AlertPublishFailed", "{e}");
                failures += 1;
            }
        }
    }
    assert!(delivered, "never delivered whole");
    assert!(
        failures > 0,
        "no delivery failed part-way at 60 % entry failures"
    );
    let ids = alerted(&svc, &topic);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an alert published twice");
    let expected: BTreeSet<&String> = alerts.iter().map(|a| &a.id).collect();
    assert_eq!(unique, expected);
}

/// A sink whose every publish takes two seconds.
/// A sink whose every publish takes [`SLOW_PUBLISH`] first.
struct Slow(trailwatch::alert::sns::SnsAlerts);

/// How long a [`Slow`] publish takes: long beside the time the delivery needs to claim its
/// alerts on a loaded two-core machine (seconds, with every test of the binary at once).
const SLOW_PUBLISH: Duration = Duration::from_secs(6);
#[async_trait::async_trait]
impl trailwatch::alert::AlertSink for Slow {
    async fn publish(&self, n: &[trailwatch::alert::Notification]) -> trailwatch::alert::Published {
        tokio::time::sleep(SLOW_PUBLISH).await;
        self.0.publish(n).await
    }
    fn format(&self) -> trailwatch::alert::Format {
        self.0.format()
    }
}

/// A delivery with too little time left before its deadline publishes nothing, gives its
/// claims back at once (another run need not wait out the lease) and reports the alerts
/// deferred; the next delivery publishes each exactly once. Claims are given back only by
/// their owner, and never once sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_out_of_time_defers_and_gives_its_claims_back() {
    use trailwatch::alert::deliver::{Cutoff, Delivery};
    use trailwatch::alert::sns::SnsAlerts;
    use trailwatch::alert::{Alert, EventSummary, Origin, Raiser};
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|_| {}).await;
    let topic = create_topic(&svc, "cutoff").await;
    let sink = SnsAlerts::new(sns(svc.endpoint()), topic.clone());
    let ledger = DynamoLedger::new(client, table, LedgerPolicy::default());
    let by = Raiser {
        origin: Origin::Rule,
        id: "rule-cutoff",
        title: "a rule",
        severity: trailwatch::severity::Severity::Low,
        author: None,
        tags: &[],
    };
    let alerts: Vec<Alert> = invictus_events()
        .iter()
        .take(40)
        .map(|e| Alert::new(&by, EventSummary::from_cloudtrail(e)))
        .collect();
    let expected: BTreeSet<&String> = alerts.iter().map(|a| &a.id).collect();
    // The deadline 2 s away and 5 s needed to publish: too late.
    let late = Delivery {
        sink: &sink,
        ledger: Some(&ledger),
        owner: "run-late",
        cutoff: Cutoff::new(
            Some(SystemTime::now() + Duration::from_secs(2)),
            Duration::from_secs(5),
        ),
    };
    let d = late.send(&alerts).await.unwrap();
    assert_eq!(
        (d.alerts, d.deferred, d.held),
        (0, expected.len() as u64, 0),
        "{d:?}"
    );
    assert!(d.incomplete());
    assert!(
        alerted(&svc, &topic).is_empty(),
        "published past the cutoff"
    );

    // Another run, well within the lease, finds nothing held.
    let next = Delivery {
        owner: "run-next",
        cutoff: Cutoff::new(
            Some(SystemTime::now() + Duration::from_secs(300)),
            Duration::from_secs(5),
        ),
        ..late
    };
    let d = next.send(&alerts).await.unwrap();
    assert_eq!(
        (d.alerts, d.deferred, d.held),
        (expected.len() as u64, 0, 0)
    );
    let ids = alerted(&svc, &topic);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an alert published twice");
    assert_eq!(unique, expected);

    // A delivery runs out of time part-way: what it published is recorded, the rest deferred
    // and given back, and the next delivery publishes only the rest. 150 OCSF findings are two
    // chunks of notifications; each publish takes six seconds, and the cutoff (the deadline less
    // the 3 s reserve) passes during the first: claiming has up to 5 s before it.
    let topic = create_topic(&svc, "cutoff-part").await;
    let slow = Slow(
        SnsAlerts::new(sns(svc.endpoint()), topic.clone())
            .with_format(trailwatch::alert::Format::Ocsf),
    );
    let many: Vec<Alert> = invictus_events()
        .iter()
        .skip(100)
        .take(150)
        .map(|e| Alert::new(&by, EventSummary::from_cloudtrail(e)))
        .collect();
    let part = Delivery {
        sink: &slow,
        ledger: Some(&ledger),
        owner: "run-part",
        cutoff: Cutoff::new(
            Some(SystemTime::now() + Duration::from_millis(8_000)),
            Duration::from_millis(3_000),
        ),
    };
    let d = part.send(&many).await.unwrap();
    assert_eq!((d.alerts, d.deferred), (100, 50), "{d:?}");
    let rest = Delivery {
        owner: "run-rest",
        cutoff: Cutoff::NONE,
        ..part
    };
    let d = rest.send(&many).await.unwrap();
    assert_eq!((d.alerts, d.skipped, d.held), (50, 100, 0), "{d:?}");
    let published = svc.published(Some(&topic));
    let uids: BTreeSet<String> = published
        .iter()
        .map(|m| {
            serde_json::from_str::<Value>(&m.message).unwrap()["metadata"]["uid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(published.len(), 150, "each finding once");
    assert_eq!(uids, many.iter().map(|a| a.id.clone()).collect());

    // Giving back is the owner's alone, and never undoes a send.
    let t0 = Utc::now();
    assert_eq!(ledger.claim("alert#x", "a", t0).await.unwrap(), Claim::Won);
    ledger.release(&["alert#x".into()], "b").await.unwrap();
    assert_eq!(ledger.claim("alert#x", "b", t0).await.unwrap(), Claim::Held);
    ledger.release(&["alert#x".into()], "a").await.unwrap();
    assert_eq!(ledger.claim("alert#x", "b", t0).await.unwrap(), Claim::Won);
    ledger
        .mark_sent(&["alert#x".into()], "b", t0)
        .await
        .unwrap();
    ledger.release(&["alert#x".into()], "b").await.unwrap();
    assert_eq!(ledger.claim("alert#x", "c", t0).await.unwrap(), Claim::Sent);
}

/// Polls `q` until it ends; it must have finished.
async fn finish(deps: &Deps, q: &QueryRef) {
    let p = poll_until_done(deps, q)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", q.query_id));
    assert_eq!(p.status, QueryStatus::Finished);
}

/// Collects from scratch (no saved state), as a re-run or a retry that lost its state would.
async fn collect_from_scratch(deps: &Deps, q: &QueryRef) -> CollectState {
    let input = decode("collect-results", json!({"query": q})).unwrap();
    collect::handle(deps, input, SystemTime::now() + Duration::from_secs(120))
        .await
        .unwrap()
}

fn alerted(svc: &trailwatch_local::Running, topic: &str) -> Vec<String> {
    svc.published(Some(topic))
        .iter()
        .flat_map(|m| alerts_in(&m.message))
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_results_delivers_each_finding_once() {
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|_| {}).await;
    let topic = create_topic(&svc, "ledger-alerts").await;
    let mut deps = deps(
        &svc,
        &topic,
        Config {
            page_size: 7,
            ..Config::default()
        },
    );
    let ledger: Arc<dyn Ledger> =
        Arc::new(DynamoLedger::new(client, table, LedgerPolicy::default()));
    deps.ledger = Some(ledger.clone());
    let input = json!({"check_id": "cis-cw02-unauthorized-api-calls", "time": "2023-07-10T13:00:00Z", "window": "2h"});
    let expected = invictus_events().iter().filter(|e| cis(2, e)).count();
    let q = start_q(&deps, input.clone()).await.unwrap();
    finish(&deps, &q).await;
    let first = collect_from_scratch(&deps, &q).await;
    assert_eq!(first.alerts_sent as usize, expected);
    // The same query collected again (a retry that lost its continuation): nothing new.
    let again = collect_from_scratch(&deps, &q).await;
    assert_eq!((again.rows as usize, again.alerts_sent), (expected, 0));
    let ids = alerted(&svc, &topic);
    assert_eq!(ids.len(), expected);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), expected);

    // The next run of the check, its window overlapping: the same findings, nothing new.
    let q2 = start_q(&deps, input).await.unwrap();
    finish(&deps, &q2).await;
    let rerun = collect_from_scratch(&deps, &q2).await;
    assert_eq!((rerun.rows as usize, rerun.alerts_sent), (expected, 0));

    // A crash after claiming an alert and before publishing it: the retry (same owner, the
    // query) takes its own claim over and publishes it; nothing is lost.
    let q3 = start_q(&deps, json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"})).await.unwrap();
    finish(&deps, &q3).await;
    let events = invictus_events();
    let cw05: Vec<&Value> = events.iter().filter(|e| cis(5, e)).collect();
    let crashed = trailwatch::alert::alert_id(&q3.check_id, field(cw05[0], "eventID"));
    assert_eq!(
        ledger
            .claim(&alert_key(&crashed), &q3.query_id, Utc::now())
            .await
            .unwrap(),
        Claim::Won
    );
    let retried = collect_from_scratch(&deps, &q3).await;
    assert_eq!(retried.alerts_sent as usize, cw05.len());
    assert!(alerted(&svc, &topic).contains(&crashed));
    let ids = alerted(&svc, &topic);
    assert_eq!(ids.len(), expected + cw05.len());
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "no alert twice"
    );
    svc.shutdown().await;
}
