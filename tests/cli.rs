//! The built `trailwatch` binary as a user runs it: findings against an independent computation,
//! exit codes, JSON and table output, and `run` against a separately started `serve`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use trailwatch_tests::*;

fn trailwatch() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lambda-harness")).with_file_name("trailwatch");
    assert!(
        bin.exists(),
        "{} is not built: run `cargo build --workspace --bins` (scripts/test does)",
        bin.display()
    );
    bin
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(trailwatch())
        .args(args)
        .output()
        .expect("trailwatch runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Check id -> event ids, from `--output json`.
fn findings(json: &str) -> BTreeMap<String, BTreeSet<String>> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["status"], "FINISHED", "{c}");
            assert_eq!(
                c["findings"].as_u64().unwrap() as usize,
                c["rows"].as_array().unwrap().len()
            );
            let ids = c["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["event_id"].as_str().unwrap().to_string())
                .collect();
            (c["id"].as_str().unwrap().to_string(), ids)
        })
        .collect()
}

fn control_number(check_id: &str) -> u32 {
    check_id.trim_start_matches("cis-cw")[..2].parse().unwrap()
}

#[test]
fn run_on_athena_finds_what_lake_finds() {
    let (code, out, err) = run(&["run", "--engine", "athena", "--output", "json"]);
    assert_eq!(code, 1, "findings exist, so exit 1; stderr: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["engine"], "athena");
    let athena = findings(&out);
    let events = invictus_events();
    for (id, ids) in &athena {
        let expected: BTreeSet<String> = events
            .iter()
            .filter(|e| cis(control_number(id), e))
            .map(|e| field(e, "eventID").to_string())
            .collect();
        assert_eq!(ids, &expected, "{id}");
    }
    assert_eq!(athena.len(), 14);
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["bytes_scanned"].as_i64().unwrap() > 0));
}

#[test]
fn run_json_findings_match_an_independent_computation() {
    let (code, out, err) = run(&["run", "--output", "json"]);
    assert_eq!(code, 1, "findings exist, so exit 1; stderr: {err}");
    let got = findings(&out);
    assert_eq!(got.len(), 14);
    let events = invictus_events();
    for (id, ids) in &got {
        let n = control_number(id);
        let expected: BTreeSet<String> = events
            .iter()
            .filter(|e| cis(n, e))
            .map(|e| field(e, "eventID").to_string())
            .collect();
        assert_eq!(ids, &expected, "{id}");
    }
    let v: Value = serde_json::from_str(&out).unwrap();
    let c = &v["checks"][0];
    for key in [
        "id",
        "control",
        "status",
        "findings",
        "bytes_scanned",
        "rows",
    ] {
        assert!(c.get(key).is_some(), "missing {key}");
    }
    assert!(c["bytes_scanned"].as_i64().unwrap() > 0);
}

#[test]
fn exit_codes_and_errors() {
    let (code, _, _) = run(&[
        "run",
        "cis-cw07-kms-key-disabled-or-deleted",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "no findings: exit 0");
    let (code, _, err) = run(&["run", "--data", "/nonexistent/trail"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no CloudTrail data at /nonexistent/trail"),
        "{err}"
    );
    let (code, _, err) = run(&["run", "no-such-check"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown check"), "{err}");
    let (code, _, err) = run(&["run", "--endpoint-url", "http://127.0.0.1:9"]);
    assert_eq!(code, 2);
    assert!(err.contains("--event-data-store"), "{err}");
    let (code, _, err) = run(&["run", "--since", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("duration"), "{err}");
}

#[test]
fn the_default_table_fits_100_columns() {
    let (code, out, _) = run(&["run"]);
    assert_eq!(code, 1);
    assert!(out.lines().count() > 20);
    for line in out.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} chars: {line}",
            line.chars().count()
        );
    }
    assert!(out.contains("cis-cw05-cloudtrail-config-changes") && out.contains("StopLogging"));
}

/// `trailwatch serve` on a free port, and the JSON line it prints first.
fn serve() -> (std::process::Child, Value) {
    let mut serve = Command::new(trailwatch())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--queued-ms",
            "20",
            "--running-ms",
            "50",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    (serve, serde_json::from_str(&line).unwrap())
}

/// The same window, with JSON output, for the embedded and a remote run.
const WINDOW: [&str; 6] = [
    "--start",
    "2023-07-10T00:00:00Z",
    "--end",
    "2023-07-11T00:00:00Z",
    "--output",
    "json",
];

/// Runs `remote` (which reaches a separate `serve`) and the embedded service over [`WINDOW`];
/// both must find the same.
fn same_as_embedded(mut serve: std::process::Child, remote: Vec<&str>) {
    let mut remote = remote;
    remote.extend(WINDOW);
    let (code_remote, out_remote, err) = run(&remote);
    serve.kill().ok();
    serve.wait().ok();
    assert_eq!(code_remote, 1, "{err}");
    let mut embedded = vec!["run"];
    embedded.extend(WINDOW);
    let (code_local, out_local, _) = run(&embedded);
    assert_eq!(code_local, 1);
    assert_eq!(findings(&out_remote), findings(&out_local));
}

#[test]
fn run_against_a_separate_serve_gives_the_same_findings() {
    let (serve, info) = serve();
    let remote = vec![
        "run",
        "--endpoint-url",
        info["endpoint"].as_str().unwrap(),
        "--event-data-store",
        info["event_data_store"].as_str().unwrap(),
    ];
    same_as_embedded(serve, remote);
}

#[test]
fn run_on_a_separate_serves_athena_gives_the_same_findings() {
    let (serve, info) = serve();
    let a = &info["athena"];
    let remote = vec![
        "run",
        "--engine",
        "athena",
        "--endpoint-url",
        info["endpoint"].as_str().unwrap(),
        "--athena-workgroup",
        a["workgroup"].as_str().unwrap(),
        "--athena-database",
        a["database"].as_str().unwrap(),
        "--athena-table",
        a["table"].as_str().unwrap(),
    ];
    same_as_embedded(serve, remote);
}

#[test]
fn checks_lists_the_catalog() {
    let (code, out, _) = run(&["checks", "--output", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 14);
    assert!(checks.iter().all(|c| c["id"].is_string()
        && c["severity"].is_string()
        && c["control"].is_string()
        && c["title"].is_string()));
}

/// A minimal HTTP/1.0 exchange with the service (the test needs no HTTP client crate).
fn http(endpoint: &str, request_line: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{request_line} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Event ids of the alerts the service's SNS received on `topic`.
fn alerted_ids(endpoint: &str, topic: &str) -> Vec<String> {
    let body = http(
        endpoint,
        &format!("GET /_trailwatch/sns/messages?topic={topic}"),
        "",
    );
    let msgs: Value = serde_json::from_str(&body).unwrap();
    msgs.as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            let v: Value = serde_json::from_str(m["message"].as_str().unwrap()).unwrap();
            v["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["event"]["event_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `--topic-arn` publishes through the same code as the functions, and the ledger file keeps a
/// second run (of `run` and of `lookup`) from sending anything again.
#[test]
fn run_and_lookup_deliver_each_alert_once_to_a_topic() {
    let (mut serve, info) = serve();
    let endpoint = info["endpoint"].as_str().unwrap().to_string();
    let created = http(&endpoint, "POST /", "Action=CreateTopic&Name=cli-alerts");
    assert!(created.contains("<TopicArn>"), "{created}");
    let topic = "arn:aws:sns:us-east-1:000000000000:cli-alerts";
    let ledger = std::env::temp_dir().join(format!("tw-cli-ledger-{}.redb", std::process::id()));
    let ledger_arg = ledger.to_str().unwrap();
    let store = info["event_data_store"].as_str().unwrap();
    let check = "cis-cw05-cloudtrail-config-changes";
    let run_once = || {
        let (code, out, err) = run(&[
            "run",
            check,
            "--endpoint-url",
            &endpoint,
            "--event-data-store",
            store,
            "--start",
            "2023-07-10T00:00:00Z",
            "--end",
            "2023-07-11T00:00:00Z",
            "--topic-arn",
            topic,
            "--ledger",
            ledger_arg,
            "--output",
            "json",
        ]);
        assert_eq!(code, 1, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let c = &v["checks"][0];
        (
            c["findings"].as_u64().unwrap(),
            c["alerts_sent"].as_u64().unwrap(),
        )
    };
    let expected: BTreeSet<String> = invictus_events()
        .iter()
        .filter(|e| cis(5, e))
        .map(|e| field(e, "eventID").to_string())
        .collect();
    assert_eq!(run_once(), (expected.len() as u64, expected.len() as u64));
    assert_eq!(
        run_once(),
        (expected.len() as u64, 0),
        "the second run sends nothing"
    );
    let ids = alerted_ids(&endpoint, topic);
    assert_eq!(ids.len(), expected.len());
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);

    let lookup_once = || {
        let (_, out, err) = run(&[
            "lookup",
            "--endpoint-url",
            &endpoint,
            "--start",
            "2023-07-10T12:00:00Z",
            "--end",
            "2023-07-10T12:10:00Z",
            "--topic-arn",
            topic,
            "--ledger",
            ledger_arg,
            "--output",
            "json",
        ]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        (
            v["alerts"].as_array().unwrap().len() as u64,
            v["alerts_sent"].as_u64().unwrap(),
            v["alerts_already_sent"].as_u64().unwrap(),
        )
    };
    let (found, sent, skipped) = lookup_once();
    assert!(
        found > 0 && sent + skipped == found,
        "{found} {sent} {skipped}"
    );
    assert_eq!(lookup_once(), (found, 0, found));

    // `--alert-format ocsf`: the same alerts, one OCSF Detection Finding a message.
    http(&endpoint, "POST /", "Action=CreateTopic&Name=cli-ocsf");
    let ocsf_topic = "arn:aws:sns:us-east-1:000000000000:cli-ocsf";
    let ocsf_ledger = ledger.with_extension("ocsf.redb");
    let (_, out, err) = run(&[
        "lookup",
        "--endpoint-url",
        &endpoint,
        "--start",
        "2023-07-10T12:00:00Z",
        "--end",
        "2023-07-10T12:10:00Z",
        "--topic-arn",
        ocsf_topic,
        "--ledger",
        ocsf_ledger.to_str().unwrap(),
        "--alert-format",
        "ocsf",
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(v["alerts_sent"].as_u64(), Some(found));
    let body = http(
        &endpoint,
        &format!("GET /_trailwatch/sns/messages?topic={ocsf_topic}"),
        "",
    );
    let messages: Value = serde_json::from_str(&body).unwrap();
    let findings: Vec<Value> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str(m["message"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(findings.len() as u64, found);
    assert!(findings
        .iter()
        .all(|f| f["class_uid"] == 2004 && f["api"]["request"]["uid"].is_string()));
    let (code, _, err) = run(&["lookup", "--alert-format", "xml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expected `trailwatch` or `ocsf`"), "{err}");
    serve.kill().ok();
    serve.wait().ok();
    std::fs::remove_file(ledger).ok();
    std::fs::remove_file(ocsf_ledger).ok();
}

/// `rules test` passes every bundled rule on its own events; a user's rule whose case expects
/// the wrong thing, and a user's rule without cases, fail it with exit code 1.
#[test]
fn rules_test_runs_each_rules_own_events() {
    let (code, out, err) = run(&["rules", "test", "--output", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let outcomes = v["rules"].as_array().expect("rules");
    let (rules, _) = trailwatch::rules::RuleSet::bundled();
    let tested = rules.rules().iter().filter(|r| r.alerts).count() + rules.correlations().len();
    assert_eq!(outcomes.len(), tested);
    assert!(outcomes.iter().all(|o| o["cases"].as_u64() >= Some(2)));

    let dir = std::env::temp_dir().join(format!("tw-rules-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let rule = "title: Bucket made\nid: user-bucket\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: CreateBucket}\n  condition: sel\nlevel: low\n";
    std::fs::write(dir.join("bucket.yml"), rule).expect("rule");
    std::fs::write(
        dir.join("lonely.yml"),
        rule.replace("user-bucket", "user-lonely"),
    )
    .expect("rule");
    let case = |name: &str, expect: &str, event_name: &str| serde_json::json!({"name": name, "expect": expect, "event": {"eventName": event_name, "eventSource": "s3.amazonaws.com"}});
    let cases = serde_json::json!({"rule": "user-bucket", "cases": [
        case("made", "match", "CreateBucket"),
        case("deleted, but said to match", "match", "DeleteBucket"),
        case("listed", "no-match", "ListBuckets"),
    ]});
    std::fs::write(dir.join("bucket.json"), cases.to_string()).expect("cases");
    let (code, out, _) = run(&["rules", "test", "--rules", dir.to_str().expect("utf-8")]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1, "{out}");
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id}: {out}"))
            .to_string()
    };
    assert!(line("user-bucket").contains("FAILED: deleted, but said to match: did not fire"));
    assert!(line("user-lonely").contains("FAILED: no match case; no no-match case"));
    assert!(out.contains(&format!("{tested} passed, 2 failed")), "{out}");
}

/// Runs `hunt` on `engine` over `data` (default: the sample) for `start..end`, and checks that
/// for every rule it converts, the findings are exactly the events of `events` the rule matches
/// in memory; returns the findings and how many rules were compared and refused.
fn hunt_equals_memory(
    engine: &str,
    data: Option<&std::path::Path>,
    events: &[Value],
    (start, end): (&str, &str),
) -> (BTreeMap<String, BTreeSet<String>>, usize, usize) {
    let mut args = vec![
        "hunt", "--engine", engine, "--output", "json", "--start", start, "--end", end,
    ];
    let dir;
    if let Some(d) = data {
        dir = d.display().to_string();
        args.extend(["--data", dir.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let found = findings(&out);
    let refused: BTreeMap<&str, &str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("not converted: "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert!(refused.values().all(|why| why.contains("): ")), "{err}");
    let (rules, _) = trailwatch::rules::RuleSet::bundled();
    // Each converted rule, then each event_count correlation (recomputed from its YAML and
    // the rules' in-memory matches, with the SQL form's semantics: epoch-aligned buckets of the
    // timespan, every N-th event of a group in a bucket, in time order).
    let converted = |id: &str| !refused.contains_key(id);
    let rule_matches = rules
        .rules()
        .iter()
        .filter(|r| r.alerts && converted(&r.id))
        .map(|r| {
            let matched: BTreeSet<String> = events
                .iter()
                .filter(|e| r.matches(e))
                .map(|e| field(e, "eventID").to_string())
                .collect();
            (&r.id, &r.title, matched)
        });
    let correlation_counts = rules
        .correlations()
        .iter()
        .filter(|c| converted(&c.id))
        .map(|c| (&c.id, &c.title, tumbling_count(&rules, c, events)));
    let (mut compared, mut differ) = (0, Vec::new());
    for (id, title, expected) in rule_matches.chain(correlation_counts) {
        let got = found.get(id).cloned().unwrap_or_default();
        if got != expected {
            differ.push(format!(
                "{engine}: {title} ({id}): SQL only {:?}, memory only {:?}",
                got.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&got).collect::<Vec<_>>()
            ));
        }
        compared += 1;
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    (found, compared, refused.len())
}

/// `hunt`: for every rule it converts to SQL, the engines find exactly the events the rule
/// matches in memory, over the sample and over every rule's own test events (true positives
/// and near misses for each); the rules it does not convert are named with the reason.
#[test]
fn hunt_finds_what_each_rule_matches_in_memory() {
    let july = ("2023-07-01T00:00:00Z", "2023-08-01T00:00:00Z");
    let (lake, compared, refused) = hunt_equals_memory("lake", None, &invictus_events(), july);
    assert!(lake.values().any(|f| !f.is_empty()));
    eprintln!("{compared} rules hunted, {refused} not converted");
    let (athena, ..) = hunt_equals_memory("athena", None, &invictus_events(), july);
    assert_eq!(athena, lake);

    // Every rule's own cases in one trail file, each with a fresh id and a second of one day
    // (a hunt's window is at most 93 days; no rule reads the time).
    let (files, _) = trailwatch::rules::cases::bundled();
    let events: Vec<Value> = files
        .iter()
        .flat_map(|f| {
            f.cases
                .iter()
                .flat_map(|c| c.all_events().cloned().collect::<Vec<_>>())
        })
        .enumerate()
        .map(|(i, mut e)| {
            e["eventID"] = serde_json::json!(format!("case-{i}"));
            let second = 1_704_067_200 + i64::try_from(i).unwrap();
            let t = chrono::DateTime::from_timestamp(second, 0).unwrap();
            e["eventTime"] = serde_json::json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            e
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("tw-hunt-{}", std::process::id()));
    write_trail_file(&dir, &events);
    let (cases, compared, _) = hunt_equals_memory(
        "lake",
        Some(&dir),
        &events,
        ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),
    );
    std::fs::remove_dir_all(&dir).ok();
    let fired = cases.values().filter(|f| !f.is_empty()).count();
    eprintln!("over the rules' cases: {compared} rules compared, {fired} with findings");
    assert!(fired * 2 > compared, "{fired} of {compared}");
}
