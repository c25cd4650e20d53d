//! The fuzzer's seeds and saved corpora (every input that once panicked) replayed through every
//! target: none may panic. `scripts/fuzz` is the long run that finds new ones.

#[test]
fn fuzz_seeds_and_corpora_replay_without_a_panic() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch-fuzz"))
        .args(["--seconds", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every target ran its inputs.
    let reports: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 4, "{stdout}");
    for r in reports {
        assert!(r["inputs"].as_u64().unwrap() >= 3, "{r}");
        assert_eq!(r["panics"], 0, "{r}");
    }
}
