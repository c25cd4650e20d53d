//! Reading fields of a JSON-protocol request (Lake, Athena).

use serde_json::Value;

/// A string field, if present.
pub fn str_field<'a>(req: &'a Value, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

/// The page size in `name`: `default` when absent or null, the value when it is an integer in
/// `1..=max`, else `None` (the caller answers with its service's error).
pub fn page_size(req: &Value, name: &str, default: usize, max: usize) -> Option<usize> {
    match req.get(name) {
        None | Some(Value::Null) => Some(default),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=max).contains(n)),
    }
}
