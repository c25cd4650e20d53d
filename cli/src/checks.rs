//! `trailwatch checks`: the check catalog.

use std::path::Path;

use trailwatch::checks::{Catalog, Check};

use crate::output::{render, Layout, Output};

/// Prints the catalog.
pub fn list(output: Output, dir: Option<&str>) -> anyhow::Result<u8> {
    let catalog = Catalog::with_extra(dir.map(Path::new))?;
    match output {
        Output::Json => {
            let checks: Vec<&Check> = catalog.all().collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "checks": checks }))?
            );
        }
        Output::Table => {
            let rows = catalog.all().map(|c| {
                vec![
                    c.id.clone(),
                    c.severity.as_str().to_string(),
                    c.control.clone(),
                    c.title.clone(),
                ]
            });
            println!("{}", render(&Layout::default(), rows));
        }
    }
    Ok(0)
}
