//! SQL/JSON's `FORMAT JSON [ENCODING UTF8 | UTF16 | UTF32]`: how a value is read as JSON, or a
//! result written, in the constructors (`crate::udf::json_constructor`) and the query functions
//! (`crate::udf::sql_json`).

use datafusion::error::{DataFusionError, Result};

/// How a value (or the result) is read as (or written as) JSON: `FORMAT JSON` and its
/// `ENCODING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No FORMAT: the value is an SQL value.
    None,
    /// `FORMAT JSON`: text (or UTF-8 bytes) read as JSON.
    Json,
    /// `FORMAT JSON ENCODING UTF8`.
    Utf8,
    /// `FORMAT JSON ENCODING UTF16` (little-endian, as Trino reads it).
    Utf16,
    /// `FORMAT JSON ENCODING UTF32` (little-endian).
    Utf32,
}

impl Format {
    /// The name `crate::sql` writes in a spec (and Trino's messages say, upper-cased).
    pub fn name(self) -> &'static str {
        match self {
            Format::None => "none",
            Format::Json => "json",
            Format::Utf8 => "utf8",
            Format::Utf16 => "utf16",
            Format::Utf32 => "utf32",
        }
    }

    /// The format as Trino's messages write it (`JSON ENCODING UTF16`).
    pub fn display(self) -> &'static str {
        match self {
            Format::None | Format::Json => "JSON",
            Format::Utf8 => "JSON ENCODING UTF8",
            Format::Utf16 => "JSON ENCODING UTF16",
            Format::Utf32 => "JSON ENCODING UTF32",
        }
    }

    /// The format a spec names.
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "none" => Format::None,
            "json" => Format::Json,
            "utf8" => Format::Utf8,
            "utf16" => Format::Utf16,
            "utf32" => Format::Utf32,
            other => {
                return Err(DataFusionError::Plan(format!(
                    "a JSON function's clauses must be written in the statement ({other})"
                )))
            }
        })
    }
}

/// The text in the encoding `RETURNING varbinary FORMAT JSON ENCODING ...` names.
pub fn encode(text: &str, encoding: Format) -> Vec<u8> {
    match encoding {
        Format::Utf16 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Format::Utf32 => text
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect(),
        _ => text.as_bytes().to_vec(),
    }
}

/// Bytes in `encoding` as text, a malformed sequence as U+FFFD (as Java's reader decodes).
pub fn decode(bytes: &[u8], encoding: Format) -> String {
    match encoding {
        Format::Utf16 => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Format::Utf32 => bytes
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_le_bytes(b)).unwrap_or('\u{FFFD}')
            })
            .collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}
