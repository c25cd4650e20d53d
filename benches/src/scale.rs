//! The local engine at scale: `trailwatch run` (all bundled checks) over N events in gzipped
//! trail-log files, first from the files (building the event store's cache), then again over
//! the cache, and over the cache for a one-day window (the store skips the other days), with
//! wall time and peak RSS, beside DuckDB counting the same checks in one pass over the same
//! files.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use trailwatch_local::load::Event;

/// Trail-log files the events are spread over.
const FILES: i64 = 1_000;
const DAYS: i64 = 30;
const ACCOUNT: &str = "123456789012";

/// Writes `n` events (copies of the real ones with fresh ids) into `FILES` gzipped trail logs
/// under a trail's `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` layout, each file covering
/// its own slice of `DAYS` days as a trail's files do. Reused when already there.
pub fn generate(base: &[Event], n: usize, dir: &Path) -> anyhow::Result<()> {
    let done = dir.join(".complete");
    if done.exists() {
        return Ok(());
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let start_ms = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")?.timestamp_millis();
    let slot_ms = DAYS * 86_400_000 / FILES;
    let per_file = i64::try_from(n.div_ceil(usize::try_from(FILES)?))?;
    let mut i = 0usize;
    for f in 0..FILES {
        let file_start = start_ms + f * slot_ms;
        let day = chrono::DateTime::from_timestamp_millis(file_start).context("time")?;
        let folder = dir.join(format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{}",
            day.format("%Y/%m/%d")
        ));
        std::fs::create_dir_all(&folder)?;
        let mut records = Vec::new();
        for j in 0..per_file {
            if i >= n {
                break;
            }
            let b = &base[i % base.len()];
            let t = file_start + j * slot_ms / per_file;
            records.push(crate::fresh(b, i, "scale", t).json);
            i += 1;
        }
        let path = folder.join(format!(
            "{ACCOUNT}_CloudTrail_us-east-1_{}_{f:04}.json.gz",
            day.format("%Y%m%dT%H%MZ")
        ));
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path)?,
            flate2::Compression::default(),
        );
        serde_json::to_writer(&mut gz, &json!({ "Records": records }))?;
        gz.finish()?.flush()?;
    }
    std::fs::write(done, n.to_string())?;
    Ok(())
}

/// A child's wall time, peak RSS (from the kernel's accounting of that child) and output.
pub struct Measured {
    pub seconds: f64,
    pub peak_rss_mb: f64,
    pub stdout: Vec<u8>,
}

/// Runs `cmd` to the end and measures it.
pub fn measure(cmd: &mut Command) -> anyhow::Result<Measured> {
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        std::io::Read::read_to_end(&mut out, &mut stdout)?;
    }
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status = 0;
    // SAFETY: `rusage` is plain data the kernel fills in; `pid` is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let seconds = t.elapsed().as_secs_f64();
    // The child is reaped: std's handle must not wait for it again.
    std::mem::forget(child);
    let exit = libc::WEXITSTATUS(status);
    if !libc::WIFEXITED(status) || exit > 1 {
        bail!("{cmd:?} failed (status {status})");
    }
    Ok(Measured {
        seconds,
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout,
    })
}

/// Findings per check from `trailwatch run --output json`.
fn counts(report: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for c in report["checks"].as_array().into_iter().flatten() {
        if let Some(id) = c["id"].as_str() {
            out.insert(id.into(), c["findings"].clone());
        }
    }
    Value::Object(out)
}

/// The scale benchmark for `n` events: first run, cached run, DuckDB.
pub fn run(
    base: &[Event],
    n: usize,
    bins: &Path,
    python: &str,
    work: &Path,
) -> anyhow::Result<Value> {
    let data = work.join(format!("scale-{n}"));
    let t = Instant::now();
    generate(base, n, &data)?;
    eprintln!(
        "[bench] scale: {n} events in {} ({:.0} s to generate)",
        data.display(),
        t.elapsed().as_secs_f64()
    );
    let cache = work.join(format!("scale-{n}-cache"));
    if cache.exists() {
        std::fs::remove_dir_all(&cache)?;
    }
    let trailwatch = bins.join("trailwatch");
    let run_once = |since: &str| -> anyhow::Result<(Measured, Value)> {
        let m = measure(
            Command::new(&trailwatch)
                .args(["run", "--since", since, "--output", "json", "--data"])
                .arg(&data)
                .arg("--cache-dir")
                .arg(&cache),
        )?;
        let report: Value = serde_json::from_slice(&m.stdout)?;
        Ok((m, report))
    };
    let (first, report) = run_once("30d")?;
    eprintln!(
        "[bench] scale: first run {:.1} s, {:.0} MB",
        first.seconds, first.peak_rss_mb
    );
    let (second, again) = run_once("30d")?;
    eprintln!(
        "[bench] scale: cached run {:.1} s, {:.0} MB",
        second.seconds, second.peak_rss_mb
    );
    // One day of the 30 stored: the store skips the other days' files.
    let (day, day_report) = run_once("1d")?;
    eprintln!(
        "[bench] scale: cached run of a 1-day window {:.2} s, {:.0} MB",
        day.seconds, day.peak_rss_mb
    );
    let end = report["window"]["time"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .context("the run's window end")?;
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| {
        t.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let script = crate::repo().join("benches/baseline/scale_duckdb.py");
    let duckdb = |days: i64| -> anyhow::Result<(Measured, Value)> {
        let m = measure(
            Command::new(python)
                .arg(&script)
                .arg(&data)
                .arg(crate::repo().join("checks"))
                .arg(fmt(end - chrono::Duration::days(days)))
                .arg(fmt(end)),
        )?;
        let out: Value = serde_json::from_slice(&m.stdout)?;
        Ok((m, out))
    };
    let (duck, duck_out) = duckdb(30)?;
    eprintln!(
        "[bench] scale: DuckDB {:.1} s, {:.0} MB",
        duck.seconds, duck.peak_rss_mb
    );
    let (duck_day, duck_day_out) = duckdb(1)?;
    eprintln!(
        "[bench] scale: DuckDB, 1-day window, {:.1} s, {:.0} MB",
        duck_day.seconds, duck_day.peak_rss_mb
    );
    let ours = counts(&report);
    let agree = ours == duck_out["counts"]
        && ours == counts(&again)
        && counts(&day_report) == duck_day_out["counts"];
    Ok(json!({
        "events": n,
        "files": FILES,
        "data_bytes": dir_bytes(&data),
        "cache_bytes": dir_bytes(&cache),
        "first_run_s": first.seconds,
        "first_run_peak_rss_mb": first.peak_rss_mb,
        "cached_run_s": second.seconds,
        "cached_run_peak_rss_mb": second.peak_rss_mb,
        "day_run_s": day.seconds,
        "day_run_peak_rss_mb": day.peak_rss_mb,
        "duckdb_day_s": duck_day.seconds,
        "duckdb_s": duck.seconds,
        "duckdb_peak_rss_mb": duck.peak_rss_mb,
        "findings": ours,
        "duckdb_counts": duck_out["counts"],
        "counts_agree": agree,
    }))
}

/// Bytes of every file below `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
