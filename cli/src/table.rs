//! The table output: fits 100 columns.

use std::fmt::Write;

use crate::output::{render as render_table, Layout};
use crate::run::RunReport;

const WIDTH: u16 = 100;
/// How far each check's rows are indented.
const INDENT: &str = "  ";
/// Rows shown per check; `--output json` has them all.
pub const MAX_ROWS: usize = 10;

/// `s` cut to `n` characters, ending in `…` when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
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
    let summary = Layout {
        header: Some(&["CHECK", "CONTROL", "STATUS", "FINDINGS", "SCANNED"]),
        right: &[3, 4],
        max: &[(0, 40), (1, 24), (2, 9)],
        width: Some(WIDTH),
    };
    let rows = r.checks.iter().map(|c| {
        let control = c
            .control
            .split(" / ")
            .last()
            .unwrap_or(&c.control)
            .trim_start_matches("Security Hub ");
        vec![
            c.id.clone(),
            control.to_string(),
            c.status.clone(),
            c.findings.to_string(),
            human_bytes(c.bytes_scanned),
        ]
    });
    let _ = writeln!(out, "{}", render_table(&summary, rows));
    let offending = Layout {
        max: &[(1, 26), (2, 20), (3, 15)],
        width: Some(WIDTH - INDENT.len() as u16),
        ..Layout::default()
    };
    for c in r
        .checks
        .iter()
        .filter(|c| c.findings > 0 || c.error.is_some())
    {
        let _ = writeln!(out, "\n{} — {} [{}]", c.id, c.title, c.severity);
        if let Some(e) = &c.error {
            let _ = writeln!(out, "{INDENT}error: {}", clip(e, WIDTH as usize - 9));
            continue;
        }
        let rows = c.rows.iter().take(MAX_ROWS).map(|row| {
            let row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(row.get()).unwrap_or_default();
            let get = |k: &str| row.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let principal = get("principal");
            let who = principal.rsplit(['/', ':']).next().unwrap_or(principal);
            vec![
                get("event_time").get(..19).unwrap_or("").to_string(),
                get("event_name").to_string(),
                who.to_string(),
                get("source_ip").to_string(),
                get("region").to_string(),
            ]
        });
        for line in render_table(&offending, rows).lines() {
            let _ = writeln!(out, "{INDENT}{line}");
        }
        let shown = c.rows.len().min(MAX_ROWS) as u64;
        if c.findings > shown {
            let _ = writeln!(
                out,
                "{INDENT}… and {} more (--output json lists every row)",
                c.findings - shown
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
