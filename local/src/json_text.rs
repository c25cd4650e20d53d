//! JSON replies written as text where a `serde_json::Value` tree per cell would cost more than
//! the query did: the result pages of GetQueryResults (Lake and Athena), a thousand rows of
//! cells each.

use serde_json::Value;

use crate::error::ApiError;

/// A JSON text being written.
#[derive(Debug, Default)]
pub struct JsonText(Vec<u8>);

impl JsonText {
    /// An empty text with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        Self(Vec::with_capacity(bytes))
    }

    /// Appends JSON syntax or text already valid as JSON (`[`, `,"Name":`).
    pub fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// Appends `s` as a JSON string, quoted and escaped.
    pub fn string(&mut self, s: &str) -> Result<(), ApiError> {
        serde_json::to_writer(&mut self.0, s).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// Appends `v` as JSON.
    pub fn value(&mut self, v: &Value) -> Result<(), ApiError> {
        serde_json::to_writer(&mut self.0, v).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// Appends a JSON array: `[`, each item as `each` writes it, commas between, `]`.
    pub fn list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        self.raw("[");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            each(self, item)?;
        }
        self.raw("]");
        Ok(())
    }

    /// The text: `object`'s members followed by `"name": <members>` (the JSON `members` wrote,
    /// about `bytes` long: the text is allocated once rather than grown page after page).
    /// `object` must be a JSON object.
    pub fn object_with(
        object: &Value,
        name: &str,
        bytes: usize,
        members: impl FnOnce(&mut JsonText) -> Result<(), ApiError>,
    ) -> Result<String, ApiError> {
        let Value::Object(fields) = object else {
            return Err(ApiError::internal("a reply must be a JSON object"));
        };
        let mut out = Self::with_capacity(bytes.saturating_add(1024));
        out.raw("{");
        for (k, v) in fields {
            out.string(k)?;
            out.raw(":");
            out.value(v)?;
            out.raw(",");
        }
        out.string(name)?;
        out.raw(":");
        members(&mut out)?;
        out.raw("}");
        out.finish()
    }

    /// About the length of `rows` written as cells of text: their values, and `per_cell`
    /// bytes of syntax and names each.
    pub fn estimate(rows: &[Vec<Option<String>>], per_cell: usize) -> usize {
        rows.iter()
            .flatten()
            .map(|v| v.as_ref().map_or(0, String::len).saturating_add(per_cell))
            .fold(0usize, usize::saturating_add)
    }

    /// The text written.
    pub fn finish(self) -> Result<String, ApiError> {
        String::from_utf8(self.0).map_err(|e| ApiError::internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn written_text_parses_as_the_value_it_spells() {
        let head = json!({"QueryStatus": "FINISHED", "NextToken": "a\"b"});
        let text = JsonText::object_with(&head, "Rows", 0, |t| {
            t.list(0..3, |t, i| match i {
                0 => t.string("tab\there \u{1} ünï \"q\""),
                1 => t.value(&json!({"k": [1, null]})),
                _ => t.list(Vec::<u8>::new(), |_, _| Ok(())),
            })
        })
        .unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            json!({"QueryStatus": "FINISHED", "NextToken": "a\"b",
                   "Rows": ["tab\there \u{1} ünï \"q\"", {"k": [1, null]}, []]})
        );
        assert!(JsonText::object_with(&json!([1]), "x", 0, |_| Ok(())).is_err());
    }
}
