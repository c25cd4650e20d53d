//! `trailwatch checks`: the check catalog.

use trailwatch::checks::Catalog;

use crate::output::Output;

/// Prints the catalog.
pub fn list(output: Output, dir: Option<&str>) -> anyhow::Result<u8> {
    let mut catalog = Catalog::bundled()?;
    if let Some(d) = dir {
        catalog.add_dir(std::path::Path::new(d))?;
    }
    match output {
        Output::Json => {
            let list: Vec<_> = catalog
                .all()
                .map(|c| serde_json::json!({"id": c.id, "title": c.title, "severity": c.severity, "control": c.control, "description": c.description}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"checks": list}))?
            );
        }
        Output::Table => {
            for c in catalog.all() {
                println!(
                    "{:<40} {:<9} {:<40} {}",
                    c.id,
                    c.severity.as_str(),
                    c.control,
                    c.title
                );
            }
        }
    }
    Ok(0)
}
