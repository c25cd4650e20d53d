//! The table output: fits 100 columns.

use std::fmt::Write;

use crate::run::RunReport;

const WIDTH: usize = 100;
/// Rows shown per check; `--output json` has them all.
const MAX_ROWS: usize = 10;

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        format!("{s:<n$}")
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn human_bytes(b: i64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

/// Renders the run as a summary table, then each check's offending rows.
pub fn render(r: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {} {} SCANNED",
        cut("CHECK", 40),
        cut("CONTROL", 24),
        cut("STATUS", 9),
        cut("FINDINGS", 8)
    );
    let _ = writeln!(out, "{}", "-".repeat(WIDTH - 6));
    for c in &r.checks {
        let control = c
            .control
            .split(" / ")
            .last()
            .unwrap_or(&c.control)
            .trim_start_matches("Security Hub ");
        let _ = writeln!(
            out,
            "{} {} {} {:>8} {}",
            cut(&c.id, 40),
            cut(control, 24),
            cut(&c.status, 9),
            c.findings,
            human_bytes(c.bytes_scanned)
        );
    }
    for c in r
        .checks
        .iter()
        .filter(|c| c.findings > 0 || c.error.is_some())
    {
        let _ = writeln!(out, "\n{} — {} [{}]", c.id, c.title, c.severity);
        if let Some(e) = &c.error {
            let _ = writeln!(out, "  error: {}", cut(e, WIDTH - 9).trim_end());
            continue;
        }
        for row in c.rows.iter().take(MAX_ROWS) {
            let get = |k: &str| {
                row.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let principal = get("principal");
            let who = principal
                .rsplit(['/', ':'])
                .next()
                .unwrap_or(&principal)
                .to_string();
            let line = format!(
                "  {}  {}  {}  {}  {}",
                cut(get("event_time").get(..19).unwrap_or(""), 19),
                cut(&get("event_name"), 26),
                cut(&who, 20),
                cut(&get("source_ip"), 15),
                get("region")
            );
            let _ = writeln!(out, "{}", cut(&line, WIDTH).trim_end());
        }
        if c.rows.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "  … and {} more (--output json lists every row)",
                c.rows.len() - MAX_ROWS
            );
        }
    }
    let total: u64 = r.checks.iter().map(|c| c.findings).sum();
    let failing = r.checks.iter().filter(|c| c.findings > 0).count();
    let _ = writeln!(
        out,
        "\n{total} findings in {failing} of {} checks.",
        r.checks.len()
    );
    out
}
