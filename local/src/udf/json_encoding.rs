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

/// Trino's longest `char(n)`.
const MAX_CHAR_LENGTH: usize = 65_536;

/// A character type's length, which a result is cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// `varchar(n)`: at most `n` characters (a CAST cuts the rest).
    Varchar(usize),
    /// `char(n)`: exactly `n` characters, blank-padded.
    Char(usize),
}

impl Length {
    /// `text` cast to the type, as Trino's CAST makes it.
    pub fn fit(self, text: String) -> String {
        match self {
            Length::Varchar(n) => text.chars().take(n).collect(),
            Length::Char(n) => {
                let mut out: String = text.chars().take(n).collect();
                let have = out.chars().count();
                out.extend(std::iter::repeat_n(' ', n.saturating_sub(have)));
                out
            }
        }
    }
}

/// What a function that writes JSON returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Text (varchar, perhaps of a length, or char).
    Text(Option<Length>),
    /// Bytes in an encoding.
    Bytes(Format),
}

/// Trino's rule for a JSON result's `RETURNING type [FORMAT JSON [ENCODING e]]` (empty:
/// varchar): a character type with `FORMAT JSON` (or none), or varbinary in any encoding.
pub fn output(returning: &str, format: Format) -> Result<Output> {
    let named = if returning.is_empty() {
        "varchar"
    } else {
        returning
    };
    let (base, length) = match named.split_once('(') {
        Some((base, rest)) => (
            base.trim(),
            rest.strip_suffix(')')
                .and_then(|n| n.trim().parse::<usize>().ok()),
        ),
        None => (named.trim(), None),
    };
    let text = |length: Option<Length>| {
        if format == Format::Json {
            Ok(Output::Text(length))
        } else {
            Err(mismatch(named, format))
        }
    };
    match base {
        "varchar" => text(length.map(Length::Varchar)),
        "char" => match length.unwrap_or(1) {
            n @ 1..=MAX_CHAR_LENGTH => text(Some(Length::Char(n))),
            _ => Err(DataFusionError::Plan(format!(
                "CHAR length must be in range [1, {MAX_CHAR_LENGTH}]"
            ))),
        },
        "varbinary" if format != Format::None => Ok(Output::Bytes(format)),
        _ => Err(mismatch(named, format)),
    }
}

fn mismatch(named: &str, format: Format) -> DataFusionError {
    DataFusionError::Plan(format!(
        "Cannot output JSON value as {named} using formatting {}",
        format.display()
    ))
}

/// Row `r` of `column` (text, or bytes in `format`'s encoding) as the text a FORMAT JSON value
/// holds; `None` for NULL.
pub fn text_at(
    column: &datafusion::arrow::array::ArrayRef,
    r: usize,
    format: Format,
) -> Result<Option<String>> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::DataType;
    if column.data_type() == &DataType::Null || column.is_null(r) {
        return Ok(None);
    }
    Ok(Some(if column.data_type() == &DataType::Binary {
        decode(column.as_binary::<i32>().value(r), format)
    } else {
        let one = datafusion::arrow::compute::cast(&column.slice(r, 1), &DataType::Utf8)?;
        one.as_string::<i32>().value(0).to_string()
    }))
}

/// Trino's message when a FORMAT JSON value (or an SQL/JSON function's input) is not JSON;
/// Trino adds nothing after the colon.
pub const NOT_JSON: &str = "conversion to JSON failed: ";

/// The first JSON value of `text`, as Jackson's `readTree` reads an input (what follows it is
/// not read); `None` when the text does not begin with one.
pub fn read_json(text: &str) -> Option<super::cast::Json> {
    let mut values =
        serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    match values.next() {
        Some(Ok(raw)) => super::cast::Json::read(raw),
        _ => None,
    }
}
