//! lookup-alert against the local CloudTrail service: scheduled scans equal a direct evaluation
//! of the same rules over the files (none lost, none duplicated, also across overlapping runs and
//! under injected throttling), EventBridge events, and the rules on true positives and near-misses.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use trailwatch::document::Documents;
use trailwatch::ledger::dynamodb::DynamoLedger;
use trailwatch::ledger::{Ledger, LedgerPolicy};
use trailwatch::lookup::checkpoint::dynamodb::DynamoCheckpoints;
use trailwatch::lookup::handler::LookupDeps;
use trailwatch::lookup::plan::naive_calls;
use trailwatch::lookup::sweep::SweepSettings;
use trailwatch::rules::RuleSet;
use trailwatch_tests::*;

fn rules() -> Arc<RuleSet> {
    let (rules, errors) = RuleSet::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    Arc::new(rules)
}

fn settings(lookback: i64, lag: i64) -> SweepSettings {
    SweepSettings {
        lookback: Duration::minutes(lookback),
        lag: Duration::minutes(lag),
        ..SweepSettings::default()
    }
}

async fn deps(
    svc: &trailwatch_local::Running,
    rate: u32,
    settings: SweepSettings,
) -> (LookupDeps, String) {
    let topic = create_topic(svc, "lookup-alerts").await;
    (
        lookup_deps(svc, &topic, &["us-east-1"], rate, settings),
        topic,
    )
}

fn schedule(time: &str) -> Value {
    json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.scheduler", "account": "000000000000", "time": time, "region": "us-east-1", "resources": [], "detail": {}})
}

/// (rule id, event id) for every published alert, and the alert ids.
fn published_all(
    svc: &trailwatch_local::Running,
    topic: &str,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut ids = Vec::new();
    for m in svc.published(Some(topic)) {
        let v: Value = serde_json::from_str(&m.message).unwrap();
        for a in v["alerts"].as_array().unwrap() {
            pairs.push((
                a["rule_id"].as_str().unwrap().to_string(),
                a["event"]["event_id"].as_str().unwrap().to_string(),
            ));
            ids.push(a["id"].as_str().unwrap().to_string());
        }
    }
    (pairs, ids)
}

/// The same for the rules' alerts only (a correlation's depend on the order events are read
/// in; its own tests check them), with the ids of every alert, correlations' included.
fn published(svc: &trailwatch_local::Running, topic: &str) -> (Vec<(String, String)>, Vec<String>) {
    let (pairs, ids) = published_all(svc, topic);
    let (rules, _) = RuleSet::bundled();
    let pairs = pairs
        .into_iter()
        .filter(|(r, _)| !rules.correlations().iter().any(|c| c.id == *r))
        .collect();
    (pairs, ids)
}

/// The same rules evaluated directly (every rule, no index) over `events` in `[start, end]`.
fn direct_over(
    rules: &RuleSet,
    events: &[Value],
    start: &str,
    end: &str,
) -> BTreeSet<(String, String)> {
    let (s, e): (DateTime<Utc>, DateTime<Utc>) = (start.parse().unwrap(), end.parse().unwrap());
    rule_matches(
        rules,
        events.iter().filter(|ev| {
            let t: DateTime<Utc> = field(ev, "eventTime").parse().unwrap();
            t >= s && t <= e
        }),
    )
}

fn direct(rules: &RuleSet, start: &str, end: &str) -> BTreeSet<(String, String)> {
    direct_over(rules, &invictus_events(), start, end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_sweep_alerts_exactly_what_the_rules_match_in_the_files() {
    let svc = start_service(|_| {}).await;
    let (d, topic) = deps(&svc, 50, settings(15, 2)).await;
    let out = run_lookup(&d, schedule("2023-07-10T12:17:00Z"))
        .await
        .unwrap();
    let (pairs, ids) = published(&svc, &topic);
    let got: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(got.len(), pairs.len(), "duplicate alerts");
    let expected = direct(
        &d.sweeper.rules,
        "2023-07-10T12:00:00Z",
        "2023-07-10T12:15:00Z",
    );
    assert!(expected.len() > 20, "{}", expected.len());
    assert_eq!(got, expected);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let lane = &out["lanes"][0];
    let calls = lane["calls"].as_u64().unwrap();
    let naive = naive_calls(&d.sweeper.rules);
    eprintln!("scheduled sweep: {calls} LookupEvents calls (naive plan: at least {naive})");
    assert!(calls < naive, "{out}");
    assert_eq!(lane["malformed"], 0);
    assert_eq!(lane["caught_up"], true);
    assert_eq!(lane["fresh_until"], "2023-07-10T12:15:00Z");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_sweeps_under_throttling_continue_where_the_last_ended() {
    let svc = start_service(|c| {
        c.lookup_rate = 2.0;
        c.faults = trailwatch_local::FaultConfig {
            seed: 11,
            throttle: 0.25,
            ..Default::default()
        };
    })
    .await;
    // The client keeps to 2 requests/s; the injected throttling is retried by the SDK.
    let (d, topic) = deps(&svc, 2, settings(6, 1)).await;
    let first = run_lookup(&d, schedule("2023-07-10T12:08:00Z"))
        .await
        .unwrap();
    let second = run_lookup(&d, schedule("2023-07-10T12:12:00Z"))
        .await
        .unwrap();
    assert_eq!(first["lanes"][0]["fresh_until"], "2023-07-10T12:07:00Z");
    assert_eq!(second["lanes"][0]["fresh_until"], "2023-07-10T12:11:00Z");
    let (pairs, ids) = published(&svc, &topic);
    let unique_pairs: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(unique_pairs.len(), pairs.len(), "a range read twice");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let expected = direct(
        &d.sweeper.rules,
        "2023-07-10T12:01:00Z",
        "2023-07-10T12:11:00Z",
    );
    assert_eq!(unique_pairs, expected);
    svc.shutdown().await;
}

/// With the ledger (DynamoDB on moto_server), consecutive sweeps and the EventBridge path
/// publish each alert once: exactly the rules' matches over the swept range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_ledger_sweeps_and_eventbridge_alert_once() {
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|_| {}).await;
    let (mut d, topic) = deps(&svc, 50, settings(6, 1)).await;
    d.sweeper.ledger = Some(Arc::new(DynamoLedger::new(
        client.clone(),
        table.clone(),
        LedgerPolicy::default(),
    )));
    d.sweeper.checkpoints = Arc::new(DynamoCheckpoints::new(client, table));
    let mut runs = Vec::new();
    for (i, t) in ["2023-07-10T12:08:00Z", "2023-07-10T12:12:00Z"]
        .iter()
        .enumerate()
    {
        let mut s = schedule(t);
        s["id"] = json!(format!("run-{i}"));
        runs.push(run_lookup(&d, s).await.unwrap());
    }
    // An event the sweeps alerted on, again through EventBridge: nothing new goes out.
    let expected = direct(
        &d.sweeper.rules,
        "2023-07-10T12:01:00Z",
        "2023-07-10T12:11:00Z",
    );
    let (_, alerted_event) = expected.iter().next().expect("the sweeps found something");
    let again = invictus_events()
        .into_iter()
        .find(|e| field(e, "eventID") == alerted_event.as_str())
        .unwrap();
    let out = run_lookup(&d, json!({"id": "eb-1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail", "account": "123837392027", "time": "2023-07-10T12:00:42Z", "detail": again}))
        .await
        .unwrap();
    assert!(out["alerts"].as_u64().unwrap() > 0, "{out}");
    assert_eq!(out["notifications"], 0, "{out}");
    let (pairs, ids) = published(&svc, &topic);
    let unique: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(unique.len(), pairs.len(), "an alert published twice");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    assert_eq!(unique, expected);
    svc.shutdown().await;
}

/// Sweeps every five minutes over two regions, with events reaching event history up to 30
/// minutes late and invocations that run out of time: every alert the rules match over all
/// events goes out exactly once (ledger and checkpoints on moto's DynamoDB), global services'
/// events are read in us-east-1 only, and the checkpoints reach the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_catch_late_events_in_every_region_once() {
    let events = invictus_events();
    let copies = regional_copies(&events);
    let dir = std::env::temp_dir().join(format!("tw-regions-{}", std::process::id()));
    write_trail_file(&dir, &copies);
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|c| {
        c.data.push(dir.clone());
        c.lookup_rate = 0.0;
        c.arrival = trailwatch_local::lookup::Arrival {
            seed: 5,
            late_share: 0.3,
            max_delay: std::time::Duration::from_secs(30 * 60),
        };
    })
    .await;
    let topic = create_topic(&svc, "regions").await;
    let mut d = lookup_deps(
        &svc,
        &topic,
        &["us-east-1", "eu-west-1"],
        50,
        SweepSettings {
            save_every: 3,
            ..settings(10, 1)
        },
    );
    d.sweeper.ledger = Some(Arc::new(DynamoLedger::new(
        client.clone(),
        table.clone(),
        LedgerPolicy::default(),
    )));
    d.sweeper.checkpoints = Arc::new(DynamoCheckpoints::new(client, table));
    let first: DateTime<Utc> = "2023-07-10T11:40:00Z".parse().unwrap();
    let mut late_runs = 0;
    for i in 0..24 {
        let t = first + Duration::minutes(5 * i);
        svc.shared.clock.set(t);
        let mut s = schedule(&t.to_rfc3339());
        s["id"] = json!(format!("sweep-{i}"));
        let event = trailwatch::lambda::decode("lookup-alert", s).unwrap();
        // Every third run has almost no time: it saves what it read and the next continues.
        let margin = d.sweeper.settings.margin;
        let deadline = (i % 3 == 2)
            .then(|| std::time::SystemTime::now() + margin + std::time::Duration::from_millis(150));
        let out = trailwatch::lookup::handler::handle(&d, event, deadline)
            .await
            .unwrap();
        let out = serde_json::to_value(out).unwrap();
        if out["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["caught_up"] == false)
        {
            late_runs += 1;
        }
    }
    assert!(late_runs > 0, "no run was cut short by its deadline");
    let (pairs, ids) = published(&svc, &topic);
    let got: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(got.len(), pairs.len(), "an alert published twice");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let all: Vec<Value> = events.iter().chain(&copies).cloned().collect();
    let expected = direct_over(
        &d.sweeper.rules,
        &all,
        "2023-07-10T11:00:00Z",
        "2023-07-10T14:00:00Z",
    );
    assert!(expected.iter().any(|(_, e)| e.starts_with("eu-")));
    let missing: Vec<_> = expected.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    svc.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

/// A claim another invocation holds (not yet sent, within its lease) stops the lane before
/// that page; once the lease passes, the next sweep publishes it: nothing is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_claim_is_not_skipped() {
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|_| {}).await;
    let (mut d, topic) = deps(&svc, 50, settings(15, 2)).await;
    // The lease is judged by the ledger that meets the claim: the first sweep's is far longer
    // than the sweep can take (however slow the machine), the second's has passed.
    let with_lease = |lease| {
        let policy = LedgerPolicy {
            lease,
            ..LedgerPolicy::default()
        };
        Arc::new(DynamoLedger::new(client.clone(), table.clone(), policy))
    };
    let ledger = with_lease(Duration::minutes(10));
    d.sweeper.ledger = Some(ledger.clone());
    d.sweeper.checkpoints = Arc::new(DynamoCheckpoints::new(client.clone(), table.clone()));
    let expected = direct(
        &d.sweeper.rules,
        "2023-07-10T12:00:00Z",
        "2023-07-10T12:15:00Z",
    );
    // Another invocation claimed one of the alerts and has not sent it (yet, or ever).
    let (rule, event) = expected.iter().next().unwrap();
    let id = trailwatch::alert::alert_id(rule, event);
    ledger
        .claim(&trailwatch::ledger::alert_key(&id), "crashed", Utc::now())
        .await
        .unwrap();
    let mut s = schedule("2023-07-10T12:17:00Z");
    s["id"] = json!("sweep-a");
    let out = run_lookup(&d, s.clone()).await.unwrap();
    assert!(out["lanes"][0]["held"].as_u64().unwrap() > 0, "{out}");
    assert_eq!(out["lanes"][0]["caught_up"], false, "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    d.sweeper.ledger = Some(with_lease(Duration::seconds(1)));
    s["id"] = json!("sweep-b");
    let out = run_lookup(&d, s).await.unwrap();
    assert_eq!(out["lanes"][0]["caught_up"], true, "{out}");
    let (pairs, _) = published(&svc, &topic);
    let got: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(got.len(), pairs.len(), "an alert published twice");
    assert_eq!(got, expected);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_events_are_evaluated_with_the_same_rules() {
    let svc = start_service(|_| {}).await;
    let (d, topic) = deps(&svc, 50, SweepSettings::default()).await;
    let events = invictus_events();
    let stop = events
        .iter()
        .find(|e| field(e, "eventName") == "StopLogging")
        .unwrap();
    let out = run_lookup(&d, json!({"version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail", "account": "123837392027", "time": "2023-07-10T12:00:42Z", "region": "us-east-1", "resources": [], "detail": stop}))
        .await
        .unwrap();
    let fired: BTreeSet<&str> = out["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        fired.contains("cis-cw05-cloudtrail-config-changes"),
        "{out}"
    );
    let disable_logging = d
        .sweeper
        .rules
        .rules()
        .iter()
        .find(|r| r.source.ends_with("aws_cloudtrail_disable_logging.yml"))
        .unwrap();
    assert!(fired.contains(disable_logging.id.as_str()), "{out}");
    // A SOC routes by ATT&CK: the rule's tags in each alert, its attack.* tags as an attribute.
    let attack: Vec<&str> = disable_logging
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("attack."))
        .collect();
    assert!(!attack.is_empty());
    let msg = svc
        .published(Some(&topic))
        .into_iter()
        .find(|m| m.attributes.get("rule_id").map(|a| a.1.as_str()) == Some(&disable_logging.id))
        .expect("the rule's message");
    let (data_type, value) = &msg.attributes["attack"];
    assert_eq!(data_type, "String.Array");
    assert_eq!(serde_json::from_str::<Vec<String>>(value).unwrap(), attack);
    let body: Value = serde_json::from_str(&msg.message).unwrap();
    assert_eq!(body["alerts"][0]["tags"], json!(disable_logging.tags));
    assert_eq!(
        msg.attributes["severity"].1,
        disable_logging.severity.as_str()
    );
    let login = events.iter().find(|e| cis(3, e)).unwrap();
    let out = run_lookup(&d, json!({"detail-type": "AWS Console Sign In via CloudTrail", "source": "aws.signin", "account": "123837392027", "time": "2023-07-10T12:23:15Z", "detail": login}))
        .await
        .unwrap();
    assert!(
        out["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "cis-cw03-console-login-without-mfa"),
        "{out}"
    );
    let before = svc.published(Some(&topic)).len();
    let api = |source: &str, account: &str, detail: &Value| json!({"detail-type": "AWS API Call via CloudTrail", "source": source, "account": account, "time": "2023-07-10T12:00:42Z", "detail": detail});
    for (bad, why) in [
        (json!({}), "missing field `detail-type`"),
        (
            json!({"detail-type": "Something Else", "source": "x", "detail": {}}),
            "detail-type",
        ),
        (
            json!({"detail-type": "Scheduled Event", "source": "x", "time": "2023-07-10T12:00:42Z", "detail": {}}),
            "Scheduler",
        ),
        // Anyone with events:PutEvents can send CloudTrail's detail type: not from an AWS source...
        (
            api("custom.attacker", "123837392027", stop),
            "not an AWS service",
        ),
        // ...nor from another account...
        (
            api("aws.cloudtrail", "999999999999", stop),
            "configured accounts",
        ),
        // ...nor without a CloudTrail record.
        (
            api(
                "aws.cloudtrail",
                "123837392027",
                &json!({"eventName": "StopLogging"}),
            ),
            "CloudTrail record",
        ),
    ] {
        let e = run_lookup(&d, bad.clone()).await.unwrap_err();
        assert_eq!(e.error_type(), "InvalidInput", "{bad}");
        assert!(e.to_string().contains(why), "{bad}: {e}");
    }
    assert_eq!(
        svc.published(Some(&topic)).len(),
        before,
        "a refused event alerts nothing"
    );
    // A forged region never reaches the console link's host name.
    let mut odd = stop.clone();
    odd["awsRegion"] = json!("evil.example.com/x");
    run_lookup(&d, api("aws.cloudtrail", "123837392027", &odd))
        .await
        .unwrap();
    let last = svc.published(Some(&topic)).last().unwrap().message.clone();
    let body: Value = serde_json::from_str(&last).unwrap();
    let link = body["alerts"][0]["console_link"].as_str().unwrap();
    assert!(
        link.starts_with("https://us-east-1.console.aws.amazon.com/"),
        "{link}"
    );
    assert!(!svc.published(Some(&topic)).is_empty());
    svc.shutdown().await;
}

/// The SigmaHQ rules fire on the invictus events they are written for.
#[test]
fn sigma_rules_fire_on_the_attack_they_describe() {
    let rules = rules();
    let by_file: HashMap<String, String> = rules
        .rules()
        .iter()
        .map(|r| {
            (
                r.source.rsplit('/').next().unwrap().to_string(),
                r.id.clone(),
            )
        })
        .collect();
    let events = invictus_events();
    let fires = |file: &str, pred: &dyn Fn(&Value) -> bool| {
        let id = &by_file[file];
        let targets: Vec<&Value> = events.iter().filter(|e| pred(e)).collect();
        assert!(!targets.is_empty(), "{file}: no target events");
        for e in targets {
            assert!(
                rules.matches(e).iter().any(|r| &r.id == id),
                "{file} silent on {}",
                field(e, "eventID")
            );
        }
    };
    fires("aws_cloudtrail_disable_logging.yml", &|e| {
        ["StopLogging", "DeleteTrail"].contains(&field(e, "eventName"))
    });
    fires(
        "aws_cloudtrail_security_group_change_ingress_egress.yml",
        &|e| field(e, "eventName") == "AuthorizeSecurityGroupIngress",
    );
    fires(
        "aws_cloudtrail_console_login_success_without_mfa.yml",
        &|e| {
            field(e, "eventName") == "ConsoleLogin"
                && field(e, "additionalEventData.MFAUsed") == "No"
        },
    );
}

/// Each CIS rule fires on exactly the events the control describes (invictus plus derived
/// fixture events), and stays quiet on a near-miss made from one of its true positives.
#[test]
fn cis_rules_fire_on_true_positives_and_not_on_near_misses() {
    let rules = rules();
    let mut all = invictus_events();
    all.extend(derived_events());
    for n in 1..=14u32 {
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.id.starts_with(&format!("cis-cw{n:02}-")))
            .unwrap();
        let fired = |e: &Value| rules.matches(e).iter().any(|r| r.id == rule.id);
        let tps: Vec<&Value> = all.iter().filter(|e| cis(n, e)).collect();
        assert!(!tps.is_empty(), "{}: no true positive", rule.id);
        for e in &all {
            assert_eq!(
                fired(e),
                cis(n, e),
                "{} on {}",
                rule.id,
                field(e, "eventID")
            );
        }
        let mut near = tps[0].clone();
        match n {
            1 => near["userIdentity"]["invokedBy"] = json!("signin.amazonaws.com"),
            2 => near["errorCode"] = json!("ThrottlingException"),
            3 => near["additionalEventData"]["MFAUsed"] = json!("Yes"),
            6 => near["errorMessage"] = json!("No username found in supplied account"),
            _ => near["eventName"] = json!(format!("Describe{}", field(tps[0], "eventName"))),
        }
        assert!(!fired(&near), "{} fired on a near-miss", rule.id);
        assert!(fired(tps[0]));
    }
}

/// The index checks fewer rules than the naive loop and finds the same matches.
#[test]
fn the_index_finds_what_the_naive_loop_finds() {
    let rules = rules();
    for e in invictus_events() {
        let a: BTreeSet<&str> = rules.matches(&e).iter().map(|r| r.id.as_str()).collect();
        let b: BTreeSet<&str> = rules
            .matches_naive(&e)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(a, b, "{}", field(&e, "eventID"));
    }
    assert!(rules.unindexed().count() < rules.rules().len() / 2);
}

/// What the correlation tests run with: moto's DynamoDB (ledger and correlation state), the
/// local service, and the sample's two calls one user made two minutes apart: the trail's event
/// selectors changed, then a role created.
struct CorrelationCase {
    _moto: Moto,
    client: aws_sdk_dynamodb::Client,
    table: String,
    svc: trailwatch_local::Running,
    d: LookupDeps,
    topic: String,
    selectors: Value,
    role: Value,
}

async fn correlation_case() -> CorrelationCase {
    let m = moto();
    let (client, table) = ledger_table(&m).await;
    let svc = start_service(|_| {}).await;
    let (mut d, topic) = deps(&svc, 50, SweepSettings::default()).await;
    d.sweeper.ledger = Some(Arc::new(DynamoLedger::new(
        client.clone(),
        table.clone(),
        LedgerPolicy::default(),
    )));
    d.sweeper.correlations.docs = Arc::new(trailwatch::document::dynamodb::DynamoDocuments::new(
        client.clone(),
        table.clone(),
        "state",
    ));
    let events = invictus_events();
    let find = |name: &str, after: &str| {
        events
            .iter()
            .find(|e| {
                field(e, "eventName") == name
                    && e.get("errorCode").is_none()
                    && field(e, "eventTime") > after
            })
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let selectors = find("PutEventSelectors", "");
    let role = find("CreateRole", field(&selectors, "eventTime"));
    assert_eq!(
        selectors["userIdentity"]["arn"],
        role["userIdentity"]["arn"]
    );
    CorrelationCase {
        _moto: m,
        client,
        table,
        svc,
        d,
        topic,
        selectors,
        role,
    }
}

/// EventBridge's delivery `n` of `e`.
fn delivery(n: usize, e: &Value) -> Value {
    json!({"id": format!("eb-{n}"), "detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail", "account": "123837392027", "time": e["eventTime"], "detail": e})
}

/// A correlation across invocations, on real events: in the sample one user changes the
/// trail's event selectors (12:00:08) and creates a role two minutes later. Delivered through
/// EventBridge one invocation each, with the correlation state and the ledger in moto's
/// DynamoDB, the correlation alerts once, about the role's creation; the same events delivered
/// again (EventBridge retries, the sweep reading them too) raise nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correlation_fires_once_across_invocations() {
    // Moto stops when dropped: kept to the end.
    let CorrelationCase {
        _moto: _moto_kept,
        svc,
        mut d,
        topic,
        selectors,
        role,
        ..
    } = correlation_case().await;
    let correlation = d
        .sweeper
        .rules
        .correlations()
        .iter()
        .find(|c| c.source.ends_with("logging-disabled-then-iam-changes.yml"))
        .expect("the bundled correlation")
        .id
        .clone();
    // The first delivery of the role's creation cannot publish (its topic is gone): the alert
    // it fired stays pending in the state.
    run_lookup(&d, delivery(0, &selectors)).await.unwrap();
    let good = d.sweeper.alerts.clone();
    d.sweeper.alerts = Arc::new(trailwatch::alert::sns::SnsAlerts::new(
        sns(svc.endpoint()),
        format!("{topic}-gone"),
    ));
    let e = run_lookup(&d, delivery(1, &role)).await.unwrap_err();
    assert!(matches!(e, trailwatch::Error::Publish(_)), "{e}");
    let state = d
        .sweeper
        .correlations
        .docs
        .load("correlation#state")
        .await
        .unwrap()
        .expect("the state is saved");
    let state: Value = serde_json::from_str(&state.text).unwrap();
    assert_eq!(
        state["pending"][0]["rule_id"],
        json!(correlation),
        "{state}"
    );
    d.sweeper.alerts = good;
    // A later invocation leaves the claim to the failed one (until its lease ends); the failed
    // one's retry (EventBridge retries with the same id) publishes it; nothing repeats it.
    let mut fired = Vec::new();
    for (n, e) in [(2, &selectors), (1, &role), (3, &role), (4, &selectors)] {
        let out = run_lookup(&d, delivery(n, e)).await.unwrap();
        fired.push(out["correlations"].as_u64().unwrap());
    }
    assert_eq!(fired, [0, 1, 0, 0]);
    let (pairs, _) = published_all(&svc, &topic);
    let correlated: Vec<_> = pairs.iter().filter(|(r, _)| *r == correlation).collect();
    assert_eq!(
        correlated,
        [&(correlation.clone(), field(&role, "eventID").to_string())]
    );
    svc.shutdown().await;
}

/// The correlation state's DynamoDB item, where another invocation saves once between this
/// invocation's read and its save.
struct Racing {
    inner: trailwatch::document::dynamodb::DynamoDocuments,
    raced: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl Documents for Racing {
    async fn load(&self, key: &str) -> trailwatch::Result<Option<trailwatch::document::Versioned>> {
        self.inner.load(key).await
    }

    async fn save(
        &self,
        key: &str,
        text: &str,
        previous: Option<u64>,
    ) -> Result<u64, trailwatch::document::SaveError> {
        if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // The other invocation: it read the same version and saves what it counted.
            let theirs = self.inner.load(key).await?;
            let text = theirs
                .as_ref()
                .map_or("{}", |d| d.text.as_str())
                .to_string();
            self.inner
                .save(key, &text, theirs.map(|d| d.version))
                .await?;
        }
        self.inner.save(key, text, previous).await
    }
}

/// A save lost to another invocation publishes nothing of what it counted: the events are
/// counted again into the newer state, and the correlation alerts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correlation_state_saved_by_another_invocation_is_counted_into() {
    let CorrelationCase {
        _moto: _moto_kept,
        client,
        table,
        svc,
        mut d,
        topic,
        selectors,
        role,
        ..
    } = correlation_case().await;
    run_lookup(&d, delivery(0, &selectors)).await.unwrap();
    d.sweeper.correlations.docs = Arc::new(Racing {
        inner: trailwatch::document::dynamodb::DynamoDocuments::new(client, table, "state"),
        raced: false.into(),
    });
    let out = run_lookup(&d, delivery(1, &role)).await.unwrap();
    assert_eq!(out["correlations"], 1, "{out}");
    let (pairs, _) = published_all(&svc, &topic);
    let correlated: Vec<_> = pairs
        .iter()
        .filter(|(r, _)| d.sweeper.rules.correlations().iter().any(|c| c.id == *r))
        .collect();
    assert_eq!(correlated.len(), 1, "{pairs:?}");
    svc.shutdown().await;
}
