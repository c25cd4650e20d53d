//! Reading fields of a JSON-protocol request (Lake, Athena).

use serde_json::Value;

/// A string field, if present.
pub fn str_field<'a>(req: &'a Value, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}
