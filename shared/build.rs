//! The bundled rules, their test events and the check catalog are embedded with `include_dir!`,
//! which cargo does not track: rebuild when anything under those folders changes. The bundled
//! rule files' YAML documents are also converted to JSON here (`bundled_rules.json` in
//! `OUT_DIR`), so that a function's cold start reads the rules' headers without parsing YAML.

use std::path::{Path, PathBuf};

#[path = "src/rules/docs.rs"]
mod docs;

/// The keys of a rule document the rule set reads (descriptions and references are left to the
/// YAML, which rsigma parses when the rule is first evaluated).
const HEADER_KEYS: [&str; 9] = [
    "id",
    "name",
    "title",
    "level",
    "author",
    "tags",
    "logsource",
    "detection",
    "correlation",
];

fn header(doc: serde_json::Value) -> serde_json::Value {
    match doc {
        serde_json::Value::Object(mut m) => {
            m.retain(|k, _| HEADER_KEYS.contains(&k.as_str()));
            serde_json::Value::Object(m)
        }
        other => other,
    }
}

fn main() {
    println!("cargo:rerun-if-changed=../rules");
    println!("cargo:rerun-if-changed=../checks");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(&root).ok().map(Path::to_path_buf))
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    // The order `include_dir` gives (by path), which the rule set loads in.
    files.sort();
    let entries: Vec<serde_json::Value> = files
        .iter()
        .map(|rel| {
            let file = format!("rules/{}", rel.display());
            let docs = std::fs::read(root.join(rel))
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8".to_string()))
                .and_then(|text| docs::yaml_docs(&text))
                .map(|docs| docs.into_iter().map(header).collect::<Vec<_>>());
            match docs {
                Ok(docs) => serde_json::json!({"file": file, "docs": docs}),
                Err(error) => serde_json::json!({"file": file, "error": error}),
            }
        })
        .collect();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(
        out.join("bundled_rules.json"),
        serde_json::Value::Array(entries).to_string(),
    )
    .expect("OUT_DIR is writable");
}
