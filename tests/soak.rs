//! The soak test: every alert path run as in production, against real servers, under faults.
//!
//! Per seed: the built `lookup-alert` binary (under the Lambda Runtime API harness) sweeps two
//! regions every ten simulated minutes and receives the EventBridge deliveries of the same
//! events (a share of which EventBridge never delivers); the real check.asl.json runs the built
//! start/poll/collect functions for a check with thousands of findings. Event history is the
//! local CloudTrail service, with 30 % of events arriving up to 30 minutes late; DynamoDB (ledger
//! and checkpoints) and SNS -> SQS are `moto_server` behind a proxy; both inject 20 % throttles,
//! server errors and dropped connections. Failed invocations are retried as Lambda and the
//! Scheduler would (twice, same event), and some sweeps get almost no time before their deadline.
//!
//! The alerts read back from SQS must equal the rules' matches over every event plus the check's
//! rows, each exactly once. `TRAILWATCH_SOAK_SEEDS` sets how many seeds (6 by default, some
//! 75 s each on two cores, so that CI stays within its time; `scripts/soak` runs 100 and prints
//! the figures), `TRAILWATCH_SOAK_FROM` the first (0).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use trailwatch::rules::RuleSet;
use trailwatch_local::lookup::Arrival;
use trailwatch_local::FaultConfig;
use trailwatch_tests::faults::FaultProxy;
use trailwatch_tests::sfn::Sfn;
use trailwatch_tests::*;

/// The account of the sample's events (the functions trust only it).
const ACCOUNT: &str = "123837392027";
const LATE: Duration = Duration::from_secs(30 * 60);
/// The check's window ends here and is 25 minutes long: some 1,800 findings in both regions.
const COLLECT_END: &str = "2023-07-10T12:35:00Z";

fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        throttle: 0.08,
        server_error: 0.06,
        drop: 0.06,
        latency: Duration::ZERO,
        sns_entry_failure: 0.0,
    }
}

fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lambda-harness"))
}

/// The sample plus its copies in eu-west-1, and the folder holding the copies' trail file.
fn all_events() -> (Vec<Value>, PathBuf) {
    let events = invictus_events();
    let copies = regional_copies(&events);
    let dir = std::env::temp_dir().join(format!("tw-soak-{}", std::process::id()));
    write_trail_file(&dir, &copies);
    (events.into_iter().chain(copies).collect(), dir)
}

fn time_of(e: &Value) -> DateTime<Utc> {
    field(e, "eventTime").parse().unwrap()
}

/// The EventBridge envelope CloudTrail events arrive in.
fn eventbridge(e: &Value) -> Value {
    let source = field(e, "eventSource");
    let service = source.split('.').next().unwrap_or_default();
    let detail_type = if field(e, "eventName") == "ConsoleLogin" {
        "AWS Console Sign In via CloudTrail"
    } else {
        "AWS API Call via CloudTrail"
    };
    json!({"version": "0", "id": format!("eb-{}", field(e, "eventID")), "detail-type": detail_type,
           "source": format!("aws.{service}"), "account": ACCOUNT, "time": field(e, "eventTime"),
           "region": field(e, "awsRegion"), "resources": [], "detail": e})
}

struct Env {
    vars: Vec<(String, String)>,
}

/// Runs `payloads` through one warm `bin` process; returns each payload's outcome.
async fn invoke(env: &Env, bin: &str, payloads: &[Value], timeout_ms: u64) -> Vec<Value> {
    let file = std::env::temp_dir().join(format!("tw-soak-payloads-{}", sfn::rand_suffix()));
    std::fs::write(&file, Value::Array(payloads.to_vec()).to_string()).unwrap();
    let h = harness();
    let mut cmd = tokio::process::Command::new(&h);
    cmd.arg("--bin")
        .arg(h.with_file_name(bin))
        .arg("--payloads")
        .arg(&file)
        .arg("--timeout-ms")
        .arg(timeout_ms.to_string());
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("harness runs");
    std::fs::remove_file(&file).ok();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

/// Invokes each payload, retrying failures twice as Lambda's asynchronous invocation does;
/// returns (invocations, those still failing).
async fn invoke_with_retries(
    env: &Env,
    payloads: Vec<Value>,
    timeout_ms: u64,
) -> (u64, Vec<Value>) {
    let mut pending = payloads;
    let mut invocations = 0;
    for _ in 0..3 {
        if pending.is_empty() {
            break;
        }
        invocations += pending.len() as u64;
        let outcomes = invoke(env, "lookup-alert", &pending, timeout_ms).await;
        pending = pending
            .into_iter()
            .zip(outcomes)
            .filter(|(_, o)| o.get("error").is_some())
            .map(|(p, _)| p)
            .collect();
    }
    (invocations, pending)
}

/// Every message on the queue: the (rule, event) of each alert, repeats kept. Each message is
/// received once (hidden for ten minutes after), so no deletes are needed.
async fn drain(sqs: &aws_sdk_sqs::Client, queue: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let r = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .visibility_timeout(600)
            .send()
            .await
            .unwrap();
        let msgs = r.messages();
        if msgs.is_empty() {
            empty += 1;
            continue;
        }
        for m in msgs {
            let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            for a in body["alerts"].as_array().unwrap() {
                out.push((
                    a["rule_id"].as_str().unwrap().to_string(),
                    a["event"]["event_id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

/// The state machine's failure alert (the execution's input with its `error`), if queued.
async fn failure_alert(sqs: &aws_sdk_sqs::Client, queue: &str) -> Option<String> {
    loop {
        let r = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .send()
            .await
            .ok()?;
        if r.messages().is_empty() {
            return None;
        }
        for m in r.messages() {
            let body = m.body().unwrap_or_default();
            if body.contains("\"error\"") && !body.contains("\"alerts\"") {
                return Some(body.to_string());
            }
            let _ = sqs
                .delete_message()
                .queue_url(queue)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await;
        }
    }
}

#[derive(Debug, Default)]
struct Figures {
    seed: u64,
    alerts: usize,
    findings: usize,
    sweeps: u64,
    cut_short: u64,
    eventbridge: u64,
    eventbridge_lost: u64,
    proxy_requests: u64,
    proxy_faults: u64,
    dynamodb_requests: u64,
    sweep_seconds: f64,
    collect_seconds: f64,
    seconds: f64,
}

async fn one_seed(
    seed: u64,
    moto: &Moto,
    events: &[Value],
    data: &Path,
    rules: &RuleSet,
    sfn: &Sfn,
) -> Figures {
    let started = Instant::now();
    let local = |ep: &str| trailwatch::aws::local_config(ep, "us-east-1", 3);
    let (_ddb, table) = ledger_table(moto).await;
    let sns = aws_sdk_sns::Client::new(&local(&moto.endpoint));
    let sqs = aws_sdk_sqs::Client::new(&local(&moto.endpoint));
    let queue = sqs
        .create_queue()
        .queue_name(format!("soak-{seed}-{}", sfn::rand_suffix()))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .unwrap()
        .clone();
    let topic = sns
        .create_topic()
        .name(format!("soak-{seed}-{}", sfn::rand_suffix()))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    let proxy: FaultProxy = trailwatch_tests::faults::start(&moto.endpoint, faults(seed)).await;
    let arrival = Arrival {
        seed,
        late_share: 0.3,
        max_delay: LATE,
    };
    let svc = start_service(|c| {
        c.data.push(data.to_path_buf());
        c.faults = faults(seed.wrapping_add(1000));
        c.arrival = arrival.clone();
    })
    .await;
    let env = Env {
        vars: [
            ("AWS_ENDPOINT_URL_CLOUDTRAIL", svc.endpoint().to_string()),
            ("AWS_ENDPOINT_URL_DYNAMODB", proxy.endpoint.clone()),
            ("AWS_ENDPOINT_URL_SNS", proxy.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "AKIDTEST".into()),
            ("AWS_SECRET_ACCESS_KEY", "secret".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("TRAILWATCH_RETRY_BACKOFF", "20ms".into()),
            ("TRAILWATCH_ALERT_TOPIC_ARN", topic.clone()),
            ("TRAILWATCH_LEDGER_TABLE", table.clone()),
            ("TRAILWATCH_LEDGER_LEASE", "2s".into()),
            ("TRAILWATCH_LOOKUP_REGIONS", "us-east-1,eu-west-1".into()),
            ("TRAILWATCH_LOOKUP_RATE", "50".into()),
            ("TRAILWATCH_LOOKUP_WINDOW", "10m".into()),
            ("TRAILWATCH_LOOKUP_LAG", "1m".into()),
            ("TRAILWATCH_LOOKUP_MARGIN", "3s".into()),
            ("TRAILWATCH_TRUSTED_ACCOUNTS", ACCOUNT.into()),
            ("RUST_LOG", "error".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    };
    let mut fig = Figures {
        seed,
        ..Figures::default()
    };
    let mut rng = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = || {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % 100
    };

    // The sweeps every ten minutes (the template's default schedule) from before the first event until every lane has read the
    // last one finally; EventBridge delivers each event (or not) in the tick it happens in.
    let first = events.iter().map(time_of).min().unwrap();
    let last = events.iter().map(time_of).max().unwrap();
    let period = chrono::Duration::minutes(10);
    let mut tick = first - period;
    let end = last + chrono::Duration::minutes(45);
    let mut i = 0;
    while tick <= end {
        let prev = tick - period;
        svc.shared.clock.set(tick);
        let delivered: Vec<Value> = events
            .iter()
            .filter(|e| (prev..tick).contains(&time_of(e)))
            // The events the rules match and a few others; EventBridge is best effort: a fifth
            // never arrives.
            .filter(|e| {
                let wanted = !rules.matches(e).is_empty() || next() < 5;
                wanted && next() >= 20
            })
            .map(eventbridge)
            .collect();
        let (n, lost) = invoke_with_retries(&env, delivered, 10_000).await;
        fig.eventbridge += n;
        fig.eventbridge_lost += lost.len() as u64;
        let sweep = json!({"version": "0", "id": format!("sweep-{seed}-{i}"), "detail-type": "Scheduled Event",
                           "source": "aws.scheduler", "account": ACCOUNT, "time": tick.to_rfc3339(),
                           "region": "us-east-1", "resources": [], "detail": {}});
        // One sweep in four has 5 s: it stops reading 3 s before its deadline (the margin), saves
        // what it read, publishes only with 1.5 s left (what a page's publish-and-record takes
        // under the injected faults, with room to spare: a function stopped in between would
        // publish the page again) and the next run continues (or it is cut off, as Lambda
        // would, and retried).
        let timeout = if next() < 25 { 5_000 } else { 30_000 };
        let (n, _) = invoke_with_retries(&env, vec![sweep], timeout).await;
        fig.sweeps += n;
        if timeout < 30_000 {
            fig.cut_short += 1;
        }
        tick += period;
        i += 1;
    }
    // Whatever the last ticks left unread is read by the next runs, as in production.
    for extra in 0..20 {
        let t = end + period * (extra + 1);
        svc.shared.clock.set(t);
        let sweep = json!({"version": "0", "id": format!("sweep-{seed}-x{extra}"), "detail-type": "Scheduled Event",
                           "source": "aws.scheduler", "account": ACCOUNT, "time": t.to_rfc3339(),
                           "region": "us-east-1", "resources": [], "detail": {}});
        let (n, failed) = invoke_with_retries(&env, vec![sweep], 30_000).await;
        fig.sweeps += n;
        if failed.is_empty() && extra >= 2 {
            break;
        }
    }

    fig.sweep_seconds = started.elapsed().as_secs_f64();
    // A check with thousands of findings, through the real state machine.
    let check = sfn.check_config(&moto.endpoint, &topic);
    let sql = "SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name, awsRegion AS region FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}";
    let r = sfn
        .run(
            &check,
            json!({"sql": sql, "time": COLLECT_END, "window": "25m"}),
            &svc,
            &topic,
            &[
                ("AWS_ENDPOINT_URL_SNS", proxy.endpoint.as_str()),
                ("AWS_ENDPOINT_URL_DYNAMODB", proxy.endpoint.as_str()),
                ("TRAILWATCH_LEDGER_TABLE", table.as_str()),
                ("TRAILWATCH_ALLOW_ADHOC_SQL", "true"),
                ("TRAILWATCH_PAGE_SIZE", "500"),
                ("TRAILWATCH_RETRY_BACKOFF", "20ms"),
            ],
        )
        .await;
    fig.collect_seconds = started.elapsed().as_secs_f64() - fig.sweep_seconds;
    assert_eq!(
        r["status"],
        "SUCCEEDED",
        "seed {seed}: {r}; failure alert: {:?}",
        failure_alert(&sqs, &queue).await
    );

    let got = drain(&sqs, &queue).await;
    let mut counts: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for p in &got {
        *counts.entry(p).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(5).collect();
    // Correlation alerts depend on the order events arrive in: they must not repeat (checked
    // above with every alert); the rest must equal the rules' matches exactly.
    let correlation = |p: &(String, String)| rules.correlations().iter().any(|c| c.id == p.0);
    let unique: BTreeSet<(String, String)> =
        got.iter().filter(|p| !correlation(p)).cloned().collect();
    let mut expected = rule_matches(rules, events);
    let collect_end: DateTime<Utc> = COLLECT_END.parse().unwrap();
    let collect_start = collect_end - chrono::Duration::minutes(25);
    let findings: Vec<(String, String)> = events
        .iter()
        .filter(|e| (collect_start..collect_end).contains(&time_of(e)))
        .map(|e| ("adhoc".to_string(), field(e, "eventID").to_string()))
        .collect();
    assert!(findings.len() > 1_500, "{}", findings.len());
    fig.findings = findings.len();
    expected.extend(findings);
    let missing: Vec<_> = expected.difference(&unique).take(5).collect();
    let extra: Vec<_> = unique.difference(&expected).take(5).collect();
    assert!(
        repeated.is_empty() && missing.is_empty() && extra.is_empty(),
        "seed {seed}: {} alerts for {} expected; repeated {repeated:?}, missing {missing:?}, unexpected {extra:?}",
        got.len(),
        expected.len()
    );
    (fig.proxy_requests, fig.proxy_faults, fig.dynamodb_requests) = proxy.counts();
    fig.alerts = got.len();
    fig.seconds = started.elapsed().as_secs_f64();
    svc.shutdown().await;
    fig
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alert_is_delivered_exactly_once_under_faults_and_late_events() {
    let seeds: u64 = std::env::var("TRAILWATCH_SOAK_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    // The first seed (to run again one that failed).
    let from: u64 = std::env::var("TRAILWATCH_SOAK_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (events, data) = all_events();
    let (rules, errors) = RuleSet::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    // One moto_server per seed running at once: each is one Python process.
    let motos = [moto(), moto()];
    let sfn = Sfn::new(harness());
    let wall = Instant::now();
    let mut total = Figures::default();
    // Two seeds at a time (each with its own service, proxy, table, topic and queue): the work
    // is split between moto (one Python process) and the functions, so both cores are busy.
    let all: Vec<u64> = (from..from.saturating_add(seeds)).collect();
    for pair in all.chunks(2) {
        let runs = pair
            .iter()
            .zip(&motos)
            .map(|(&seed, moto)| one_seed(seed, moto, &events, &data, &rules, &sfn));
        for f in futures_util::future::join_all(runs).await {
            eprintln!("soak seed {}: {f:?}", f.seed);
            total.alerts += f.alerts;
            total.findings += f.findings;
            total.sweeps += f.sweeps;
            total.cut_short += f.cut_short;
            total.eventbridge += f.eventbridge;
            total.eventbridge_lost += f.eventbridge_lost;
            total.proxy_requests += f.proxy_requests;
            total.proxy_faults += f.proxy_faults;
            total.dynamodb_requests += f.dynamodb_requests;
            total.seconds += f.seconds;
        }
    }
    eprintln!(
        "soak: {seeds} seeds, {} alerts delivered exactly once (0 lost, 0 repeated); {} sweep invocations ({} cut short by their deadline), {} EventBridge invocations ({} never succeeded, caught by the sweep); {} DynamoDB/SNS requests ({:.2} DynamoDB requests per alert, retries of faults included), {} faults injected; {:.0} s",
        total.alerts,
        total.sweeps,
        total.cut_short,
        total.eventbridge,
        total.eventbridge_lost,
        total.proxy_requests,
        total.dynamodb_requests as f64 / total.alerts.max(1) as f64,
        total.proxy_faults,
        wall.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(data).ok();
}
