//! A rule file's YAML documents as JSON values: what the rule headers and the index are read
//! from. The build script converts the bundled files ahead of time (YAML is the slow part of a
//! cold start); files added at run time are converted when they load.

/// The documents of `text` (one YAML stream, possibly several documents), or why it is not
/// YAML.
pub fn yaml_docs(text: &str) -> Result<Vec<serde_json::Value>, String> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| serde_json::Value::deserialize(doc).map_err(|e| format!("not YAML: {e}")))
        .collect()
}
