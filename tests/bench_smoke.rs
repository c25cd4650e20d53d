//! The benchmark command runs on a tiny input and reports every measure (not a performance test:
//! no figure is asserted beyond being produced).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

#[test]
fn the_bench_runs_on_a_tiny_input() {
    let bins = PathBuf::from(env!("CARGO_BIN_EXE_lambda-harness"))
        .parent()
        .unwrap()
        .to_path_buf();
    let bench = bins.join("trailwatch-bench");
    assert!(
        bench.exists(),
        "build it first: cargo build --workspace --bins (scripts/test does)"
    );
    let python = std::env::var("TRAILWATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::env::temp_dir().join(format!("tw-bench-smoke-{}.json", std::process::id()));
    let run = Command::new(&bench)
        .args(["--quick", "--python", &python, "--bins"])
        .arg(&bins)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for measure in [
        "P1 cold start",
        "P2 peak RSS",
        "P3 collect",
        "P4 lookup sweep",
        "P5 rule engine",
        "P6 state transitions",
        "Athena path",
        "P7 Athena bytes scanned",
        "cached run of a 1-day window",
    ] {
        assert!(stdout.contains(measure), "{measure} missing:\n{stdout}");
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    for key in [
        "p1_cold_start_ms",
        "p2_peak_rss_kb",
        "p3_collect",
        "p4_lookup",
        "p5_rules",
        "p6_transitions",
        "p7_partition_pruning",
        "local_service",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert!(
        v["p6_transitions"]["query_1h"].as_u64().unwrap()
            > v["p6_transitions"]["query_30s"].as_u64().unwrap()
    );
    // Pruning is measured: one day of three reads less than all three.
    let p7 = &v["p7_partition_pruning"];
    assert!(p7["one_day_bytes"].as_u64().unwrap() > 0);
    assert!(p7["one_day_bytes"].as_u64().unwrap() < p7["all_days_bytes"].as_u64().unwrap());
    // The scale runs (30 days, and one day of them over the cache) find what DuckDB finds.
    assert_eq!(
        v["scale"]["counts_agree"],
        Value::Bool(true),
        "{}",
        v["scale"]
    );
    std::fs::remove_file(out).ok();
}
