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
