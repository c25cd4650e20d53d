//! Trino's casts that DataFusion lacks: to and from `json`, from JSON to `array(...)`,
//! `map(...)` and `row(...)` (`CAST(json_extract(requestParameters, '$.tags') AS map(varchar,
//! varchar))`), and between SQL types of those shapes (through the value's JSON, as Trino
//! converts each element). `crate::sql` rewrites each such CAST (and a `JSON '...'` literal, as
//! `json_parse`) as a call of [`CAST`] (or [`TRY_CAST`]) with the type as text; [`JsonCasts`]
//! sends a cast of a JSON value to a scalar type there too.
//!
//! The service keeps a JSON value as its text in a `varchar` column whose field is marked
//! ([`json_field`]): `json_parse`, `json_extract`, `json_array_get` and a cast to `json` mark
//! theirs, so that a cast knows a JSON text (whose value it reads) from a `varchar` (which
//! becomes a JSON string).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// The service's `CAST(x AS t)` for the types DataFusion cannot cast to, as `crate::sql`
/// writes it: `"$trino_cast"(x, 't')`. Trino's hidden functions have names starting with `$`.
pub const CAST: &str = "$trino_cast";
/// `TRY_CAST(x AS t)`: NULL where the cast fails.
pub const TRY_CAST: &str = "$trino_try_cast";

/// The field metadata key marking a `varchar` column as holding JSON texts.
const TRINO_TYPE: &str = "trino.type";

/// Whether `field` holds JSON texts (Trino's `json` type).
pub fn is_json(field: &Field) -> bool {
    field
        .metadata()
        .get(TRINO_TYPE)
        .is_some_and(|t| t == "json")
}

/// The result field of the function `name`, answering `t`: marked as JSON when `json`.
pub fn result_field(name: &str, t: DataType, json: bool) -> Field {
    if json {
        json_field(name)
    } else {
        Field::new(name, t, true)
    }
}

/// A field of JSON texts named `name`.
pub fn json_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
        TRINO_TYPE.to_string(),
        "json".to_string(),
    )]))
}

/// Whether the service's cast reads the type `text` names (`crate::sql` leaves any other cast,
/// `ARRAY<DATE>` say, to DataFusion).
pub fn reads_cast_type(text: &str) -> bool {
    TrinoType::parse(text).is_ok()
}

/// A Trino type, as a cast names it.
#[derive(Debug, Clone, PartialEq)]
pub enum TrinoType {
    Varchar,
    Bigint,
    Integer,
    Smallint,
    Tinyint,
    Double,
    Real,
    Boolean,
    Json,
    Array(Box<TrinoType>),
    Map(Box<TrinoType>, Box<TrinoType>),
    /// Fields by name (Trino's `row(bigint, varchar)` has none).
    Row(Vec<(Option<String>, TrinoType)>),
}

impl TrinoType {
    /// `text` (`array(map(varchar, json))`, as `crate::sql` writes it) parsed.
    pub fn parse(text: &str) -> Result<Self> {
        let mut p = TypeParser {
            text,
            at: 0,
            depth: 0,
        };
        let t = p.one()?;
        p.blanks();
        if p.at != text.len() {
            return Err(unknown_type(text));
        }
        Ok(t)
    }

    /// The Arrow type holding values of this type, JSON elements, values and fields marked.
    pub fn arrow(&self) -> DataType {
        self.arrow_with(true)
    }

    /// The Arrow type, its JSON parts marked (as declared) or not (as values are built).
    fn arrow_with(&self, marked: bool) -> DataType {
        let field = |name: &str, t: &TrinoType, nullable: bool| {
            if marked && *t == TrinoType::Json {
                json_field(name).with_nullable(nullable)
            } else {
                Field::new(name, t.arrow_with(marked), nullable)
            }
        };
        match self {
            TrinoType::Varchar | TrinoType::Json => DataType::Utf8,
            TrinoType::Bigint => DataType::Int64,
            TrinoType::Integer => DataType::Int32,
            TrinoType::Smallint => DataType::Int16,
            TrinoType::Tinyint => DataType::Int8,
            TrinoType::Double => DataType::Float64,
            TrinoType::Real => DataType::Float32,
            TrinoType::Boolean => DataType::Boolean,
            TrinoType::Array(e) => DataType::List(Arc::new(field("item", e, true))),
            TrinoType::Map(k, v) => DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        field("key", k, false),
                        field("value", v, true),
                    ])),
                    false,
                )),
                false,
            ),
            TrinoType::Row(fields) => DataType::Struct(Fields::from(
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, (name, t))| {
                        let name = name.clone().unwrap_or_else(|| format!("field{i}"));
                        field(&name, t, true)
                    })
                    .collect::<Vec<_>>(),
            )),
        }
    }

    /// The type as Trino names it in messages (`array(varchar)`).
    pub fn name(&self) -> String {
        match self {
            TrinoType::Varchar => "varchar".into(),
            TrinoType::Bigint => "bigint".into(),
            TrinoType::Integer => "integer".into(),
            TrinoType::Smallint => "smallint".into(),
            TrinoType::Tinyint => "tinyint".into(),
            TrinoType::Double => "double".into(),
            TrinoType::Real => "real".into(),
            TrinoType::Boolean => "boolean".into(),
            TrinoType::Json => "json".into(),
            TrinoType::Array(e) => format!("array({})", e.name()),
            TrinoType::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            TrinoType::Row(fields) => format!(
                "row({})",
                fields
                    .iter()
                    .map(|(n, t)| match n {
                        Some(n) => format!("{n} {}", t.name()),
                        None => t.name(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

fn unknown_type(text: &str) -> DataFusionError {
    DataFusionError::Plan(format!("Unknown type: {text}"))
}

/// A recursive-descent reader of a type's text.
struct TypeParser<'a> {
    text: &'a str,
    at: usize,
    /// How deep in nested types the reader is: bounded, as a statement's nesting is.
    depth: usize,
}

/// The deepest nesting of types a cast may name.
const MAX_TYPE_DEPTH: usize = 100;

impl TypeParser<'_> {
    fn blanks(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    /// The next word (a name or a type's keyword), if any.
    fn word(&mut self) -> Option<String> {
        self.blanks();
        let rest = &self.text[self.at..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            self.at += end + 2;
            return Some(quoted[..end].to_string());
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.at += len;
        Some(rest[..len].to_ascii_lowercase())
    }

    /// Consumes `c` if it comes next.
    fn eat(&mut self, c: char) -> bool {
        self.blanks();
        if self.text[self.at..].starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(unknown_type(self.text))
        }
    }

    /// One type.
    fn one(&mut self) -> Result<TrinoType> {
        self.depth += 1;
        if self.depth > MAX_TYPE_DEPTH {
            return Err(DataFusionError::Plan(format!(
                "Type nested more than {MAX_TYPE_DEPTH} levels deep: {}",
                self.text
            )));
        }
        let t = self.one_at_this_depth();
        self.depth -= 1;
        t
    }

    fn one_at_this_depth(&mut self) -> Result<TrinoType> {
        let word = self.word().ok_or_else(|| unknown_type(self.text))?;
        Ok(match word.as_str() {
            "varchar" => {
                // A length bounds nothing the service keeps.
                if self.eat('(') {
                    self.word();
                    self.expect(')')?;
                }
                TrinoType::Varchar
            }
            "bigint" => TrinoType::Bigint,
            "integer" | "int" => TrinoType::Integer,
            "smallint" => TrinoType::Smallint,
            "tinyint" => TrinoType::Tinyint,
            "double" => {
                // `double precision` is the standard's name for it.
                let back = self.at;
                if self.word().as_deref() != Some("precision") {
                    self.at = back;
                }
                TrinoType::Double
            }
            "real" => TrinoType::Real,
            "boolean" => TrinoType::Boolean,
            "json" => TrinoType::Json,
            "array" => {
                self.expect('(')?;
                let e = self.one()?;
                self.expect(')')?;
                TrinoType::Array(Box::new(e))
            }
            "map" => {
                self.expect('(')?;
                let k = self.one()?;
                self.expect(',')?;
                let v = self.one()?;
                self.expect(')')?;
                TrinoType::Map(Box::new(k), Box::new(v))
            }
            "row" => {
                self.expect('(')?;
                let mut fields = Vec::new();
                loop {
                    // `name type`, or a type alone: the first word is a field's name when
                    // another word (or a quoted name) follows it (`a bigint`), a type otherwise
                    // (`bigint,`, `array(`).
                    let back = self.at;
                    let first = self.word().ok_or_else(|| unknown_type(self.text))?;
                    let after = self.at;
                    self.blanks();
                    let next = self.text[self.at..].chars().next();
                    let named = matches!(next, Some(c) if c.is_ascii_alphabetic() || c == '"');
                    self.at = if named { after } else { back };
                    let name = named.then_some(first);
                    fields.push((name, self.one()?));
                    if self.eat(')') {
                        break;
                    }
                    self.expect(',')?;
                }
                TrinoType::Row(fields)
            }
            _ => return Err(unknown_type(self.text)),
        })
    }
}

/// A JSON value as read: a number keeps its text as written (Jackson's `getText`, which
/// `json_extract_scalar` answers: `1.50`, `1e3`, an integer beyond 64 bits); objects keep
/// their members in order (a cast sees duplicate keys).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Containers nested this deep are refused, as serde_json's parser refuses them (its
/// recursion limit), so that the recursion over a value stays finite.
const MAX_NESTING: usize = 128;

/// A JSON text that serde_json has validated (as a `RawValue`), read into a [`Json`] in one
/// pass: serde_json checks the grammar, escapes and UTF-8 but gives a visitor a number's value,
/// not its text, and that text is what Trino answers for a scalar.
struct Validated<'a> {
    text: &'a str,
    at: usize,
}

impl Validated<'_> {
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
        bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        if found {
            self.at += 1;
        }
        found
    }

    /// The value at the cursor; `None` if it nests too deep (or the text was not validated).
    fn value(&mut self, depth: usize) -> Option<Json> {
        let first = self.peek()?;
        if matches!(first, b'[' | b'{') && depth + 1 >= MAX_NESTING {
            return None;
        }
        Some(match first {
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Json::Array(items)
            }
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.peek()?;
                        let key = self.string()?;
                        self.eat(b':').then_some(())?;
                        members.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Json::Object(members)
            }
            b'"' => Json::String(self.string()?),
            b't' => self.word("true", Json::Bool(true))?,
            b'f' => self.word("false", Json::Bool(false))?,
            b'n' => self.word("null", Json::Null)?,
            _ => {
                let start = self.at;
                let bytes = self.text.as_bytes();
                while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = bytes.get(self.at)
                {
                    self.at += 1;
                }
                let number = self.text.get(start..self.at).filter(|n| !n.is_empty())?;
                Json::Number(number.to_owned())
            }
        })
    }

    fn word(&mut self, word: &str, value: Json) -> Option<Json> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then(|| {
            self.at = end;
            value
        })
    }

    /// The string at the cursor (at its opening quote), unescaped by serde_json.
    fn string(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        (bytes.get(start) == Some(&b'"')).then_some(())?;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.at = i + 1;
        if escaped {
            serde_json::from_str(self.text.get(start..=i)?).ok()
        } else {
            self.text.get(start + 1..i).map(str::to_owned)
        }
    }
}

impl Json {
    /// `text` read as one JSON value; `None` if it is not JSON (or nests deeper than
    /// serde_json reads).
    pub fn parse(text: &str) -> Option<Self> {
        let raw: &serde_json::value::RawValue = serde_json::from_str(text).ok()?;
        Self::read(raw)
    }

    /// A value serde_json has validated, with each number's text as written.
    pub fn read(raw: &serde_json::value::RawValue) -> Option<Self> {
        Validated {
            text: raw.get(),
            at: 0,
        }
        .value(0)
    }

    /// The value `steps` lead to, if any.
    pub fn at(&self, steps: &[super::PathStep]) -> Option<&Json> {
        let mut cur = self;
        for step in steps {
            cur = match (step, cur) {
                (super::PathStep::Member(name), Json::Object(members)) => {
                    // Trino's extractor streams the document: the first member of the name.
                    &members.iter().find(|(k, _)| k == name)?.1
                }
                (super::PathStep::Element(i), Json::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The value as Trino's `json_extract` writes it: compact, members in the document's order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false);
        out
    }

    /// The value as Jackson's `readTree` holds it: of a repeated key, one member, at the
    /// first one's place with the last one's value.
    pub fn jackson_tree(self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.into_iter().map(Json::jackson_tree).collect()),
            Json::Object(members) => {
                let mut kept: Vec<(String, Json)> = Vec::with_capacity(members.len());
                let mut at: HashMap<String, usize> = HashMap::with_capacity(members.len());
                for (k, v) in members {
                    let v = v.jackson_tree();
                    if let Some(&i) = at.get(&k) {
                        if let Some(slot) = kept.get_mut(i) {
                            slot.1 = v;
                        }
                    } else {
                        at.insert(k.clone(), kept.len());
                        kept.push((k, v));
                    }
                }
                Json::Object(kept)
            }
            other => other,
        }
    }

    /// Whether a number is written as an integer (Jackson's VALUE_NUMBER_INT).
    fn is_integer(number: &str) -> bool {
        !number.contains(['.', 'e', 'E'])
    }

    /// Trino's canonical text of the value (its `json_parse`): compact, object keys sorted
    /// (by UTF-16 code units, as Java's `String.compareTo`), an integer's digits as written,
    /// any other number as Java's `Double.toString` writes the double it reads as (`1.0E20`).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    /// The value as Jackson writes it: keys sorted when `sorted` (`json_parse`), as they come
    /// otherwise (`json_extract`, a JSON element of a cast's result).
    fn write(&self, out: &mut String, sorted: bool) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // An integer as Jackson writes its value: `-0` is `0`.
            Json::Number(n) if n == "-0" => out.push('0'),
            Json::Number(n) if Self::is_integer(n) => out.push_str(n),
            Json::Number(n) => write_double(out, n.parse::<f64>().unwrap_or(f64::NAN)),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out, sorted);
                }
                out.push(']');
            }
            Json::Object(members) => {
                let mut members: Vec<&(String, Json)> = members.iter().collect();
                if sorted {
                    // Jackson reads an object into a map: of a repeated key, the last value.
                    members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                    let mut kept: Vec<&(String, Json)> = Vec::with_capacity(members.len());
                    for m in members {
                        match kept.last_mut() {
                            Some(last) if last.0 == m.0 => *last = m,
                            _ => kept.push(m),
                        }
                    }
                    members = kept;
                }
                out.push('{');
                for (i, (k, v)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    v.write(out, sorted);
                }
                out.push('}');
            }
        }
    }

    /// The token Jackson would report first for the value, as Trino's messages show it.
    fn token(&self) -> String {
        match self {
            Json::Array(_) => "[".into(),
            Json::Object(_) => "{".into(),
            Json::String(s) => s.clone(),
            other => other.canonical(),
        }
    }
}

/// A double as Jackson writes it: Java's `Double.toString`, but NaN and the infinities as
/// strings.
fn write_double(out: &mut String, v: f64) {
    write_java_number(out, &super::java_format::double_to_string(v), v.is_finite());
}

/// A number as Java wrote it (`text`), as a JSON number if finite, else as a JSON string
/// (Jackson quotes NaN and the infinities).
fn write_java_number(out: &mut String, text: &str, finite: bool) {
    if finite {
        out.push_str(text);
    } else {
        write_string(out, text);
    }
}

/// `s` as a JSON string as Jackson escapes it: `"` and `\`, the short escapes for backspace,
/// tab, newline, form feed and carriage return, `\u00XX` for other control characters, the
/// rest as it is.
pub(super) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Why a value could not be cast, in Trino's words.
#[derive(Debug)]
enum Failure {
    /// A message that stands as it is at the top level (`Cannot cast 'a' to BIGINT`).
    Operator(String),
    /// A value of the wrong kind (`Unexpected token when cast to bigint: {`); at the top
    /// level Trino says only `Cannot cast '<json>' to bigint`.
    Token(String),
    /// A number beyond its type, where Jackson or Java's arithmetic throws with no message of
    /// Trino's: `Cannot cast '<json>' to bigint` at the top level, nothing inside.
    Silent,
}

impl Failure {
    /// The message inside a structured cast's (`Cannot cast to array(bigint). <this>`).
    fn inner(&self) -> Option<&str> {
        match self {
            Failure::Operator(m) | Failure::Token(m) => Some(m),
            Failure::Silent => None,
        }
    }
}

/// Java's `Double.parseDouble`: surrounding blanks, `NaN`, `Infinity` and a `d`/`f` suffix
/// allowed.
fn java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse().ok()
}

/// A JSON scalar as a Trino `bigint` (or narrower integer of `bits`), per Trino's `JsonUtil`.
fn json_integer(j: &Json, bits: u32) -> Result<Option<i64>, Failure> {
    let (upper, lower) = match bits {
        64 => ("BIGINT", "bigint"),
        32 => ("INT", "integer"),
        16 => ("SMALLINT", "smallint"),
        _ => ("TINYINT", "tinyint"),
    };
    let fits = |v: i64| {
        let limit = 1i128 << (bits - 1);
        (-limit..limit).contains(&i128::from(v))
    };
    let v = match j {
        Json::Null => return Ok(None),
        Json::Bool(b) => i64::from(*b),
        // Rust's parser takes what Java's `Long.parseLong` takes: a sign, then digits.
        Json::String(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| fits(*v))
            .ok_or_else(|| Failure::Operator(format!("Cannot cast '{s}' to {upper}")))?,
        Json::Number(n) if Json::is_integer(n) => n
            .parse::<i64>()
            .ok()
            .filter(|v| fits(*v))
            .ok_or(Failure::Silent)?,
        Json::Number(n) => {
            let d = n.parse::<f64>().unwrap_or(f64::NAN);
            // Trino rounds half away from zero, as `f64::round` does.
            let r = d.round();
            let text = super::java_format::double_to_string(d);
            if d.is_nan() {
                return Err(Failure::Operator(format!(
                    "Cannot cast double NaN to {lower}"
                )));
            }
            if bits == 64 {
                // Guava's `DoubleMath.roundToLong`: the range is checked on the rounded value.
                if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                    return Err(Failure::Operator(format!(
                        "Unable to cast {text} to bigint"
                    )));
                }
                r as i64
            } else {
                let limit = f64::from(1u32 << (bits - 1));
                if !(-limit..limit).contains(&r) {
                    return Err(Failure::Operator(format!(
                        "Out of range for {lower}: {text}"
                    )));
                }
                r as i64
            }
        }
        other => {
            return Err(Failure::Token(format!(
                "Unexpected token when cast to {lower}: {}",
                other.token()
            )));
        }
    };
    Ok(Some(v))
}

/// A JSON scalar as a Trino `double`.
fn json_double(j: &Json, t: &TrinoType) -> Result<Option<f64>, Failure> {
    Ok(Some(match j {
        Json::Null => return Ok(None),
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::String(s) => {
            let upper = if *t == TrinoType::Real {
                "REAL"
            } else {
                "DOUBLE"
            };
            java_double(s)
                .ok_or_else(|| Failure::Operator(format!("Cannot cast '{s}' to {upper}")))?
        }
        Json::Number(n) => n.parse::<f64>().unwrap_or(f64::NAN),
        other => {
            return Err(Failure::Token(format!(
                "Unexpected token when cast to {}: {}",
                t.name(),
                other.token()
            )));
        }
    }))
}

/// Trino's reading of a text as a boolean: `t`, `true`, `1`, `f`, `false` or `0` in any case,
/// nothing else (Arrow also reads `yes`, `on`, `y`...).
fn text_boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "t" | "true" | "1" => Some(true),
        "f" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Texts as booleans, as Trino's CAST reads them; `quiet` (TRY_CAST) gives NULL for a text
/// that is neither, where CAST fails with Trino's words.
fn text_booleans(args: &[ArrayRef], quiet: bool) -> Result<ArrayRef> {
    let texts = super::strings(super::first_arg(args)?)?;
    let out = texts
        .iter()
        .map(|t| match t.map(|s| (s, text_boolean(s))) {
            None => Ok(None),
            Some((_, Some(b))) => Ok(Some(b)),
            Some((_, None)) if quiet => Ok(None),
            Some((s, None)) => Err(super::exec_err(format!("Cannot cast '{s}' to BOOLEAN"))),
        })
        .collect::<Result<datafusion::arrow::array::BooleanArray>>()?;
    Ok(Arc::new(out))
}

/// Casts of text to `boolean` (CAST and TRY_CAST) read the text as Trino does
/// ([`text_boolean`]) rather than as Arrow does.
#[derive(Debug)]
pub struct BooleanTextCasts;

impl datafusion::optimizer::AnalyzerRule for BooleanTextCasts {
    fn name(&self) -> &str {
        "trino_boolean_text_casts"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use super::func::{returns_bool, Func};
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{Expr, ExprSchemable};
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let (operand, quiet) = match &e {
                Expr::Cast(c) if c.field.data_type() == &DataType::Boolean => {
                    (c.expr.as_ref(), false)
                }
                Expr::TryCast(c) if c.field.data_type() == &DataType::Boolean => {
                    (c.expr.as_ref(), true)
                }
                _ => return Ok(Transformed::no(e)),
            };
            if !operand.get_type(schema).is_ok_and(|t| {
                matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
            }) {
                return Ok(Transformed::no(e));
            }
            let f = if quiet {
                Func::new("trino_try_text_boolean", 1..=1, returns_bool, |a| {
                    text_booleans(a, true)
                })
            } else {
                Func::new("trino_text_boolean", 1..=1, returns_bool, |a| {
                    text_booleans(a, false)
                })
            };
            Ok(Transformed::yes(Expr::ScalarFunction(
                datafusion::logical_expr::expr::ScalarFunction::new_udf(
                    Arc::new(f.udf()),
                    vec![operand.clone()],
                ),
            )))
        })
    }
}

/// A JSON scalar as a Trino `boolean`.
fn json_boolean(j: &Json) -> Result<Option<bool>, Failure> {
    Ok(Some(match j {
        Json::Null => return Ok(None),
        Json::Bool(b) => *b,
        Json::String(s) => text_boolean(s)
            .ok_or_else(|| Failure::Operator(format!("Cannot cast '{s}' to BOOLEAN")))?,
        Json::Number(n) if Json::is_integer(n) => {
            n.parse::<i64>().map_err(|_| Failure::Silent)? != 0
        }
        Json::Number(n) => n.parse::<f64>().unwrap_or(f64::NAN) != 0.0,
        other => {
            return Err(Failure::Token(format!(
                "Unexpected token when cast to boolean: {}",
                other.token()
            )));
        }
    }))
}

/// A JSON scalar as a Trino `varchar`.
fn json_varchar(j: &Json) -> Result<Option<String>, Failure> {
    Ok(Some(match j {
        Json::Null => return Ok(None),
        Json::Bool(b) => b.to_string(),
        Json::String(s) => s.clone(),
        Json::Number(n) if Json::is_integer(n) => n.clone(),
        Json::Number(n) => {
            super::java_format::double_cast_text(n.parse::<f64>().unwrap_or(f64::NAN))
        }
        other => {
            return Err(Failure::Token(format!(
                "Unexpected token when cast to varchar: {}",
                other.token()
            )));
        }
    }))
}

/// `j` as a value of `t` (Trino's `JsonUtil` appenders); a JSON null is NULL, but an element
/// of type `json` keeps it as the text `null`.
fn from_json(j: &Json, t: &TrinoType) -> Result<ScalarValue, Failure> {
    let null = || {
        ScalarValue::try_from(&t.arrow_with(false)).map_err(|e| Failure::Operator(e.to_string()))
    };
    if *j == Json::Null && *t != TrinoType::Json {
        return null();
    }
    Ok(match t {
        TrinoType::Varchar => ScalarValue::Utf8(json_varchar(j)?),
        TrinoType::Json => ScalarValue::Utf8(Some(j.text())),
        TrinoType::Bigint => ScalarValue::Int64(json_integer(j, 64)?),
        TrinoType::Integer => {
            ScalarValue::Int32(json_integer(j, 32)?.and_then(|v| i32::try_from(v).ok()))
        }
        TrinoType::Smallint => {
            ScalarValue::Int16(json_integer(j, 16)?.and_then(|v| i16::try_from(v).ok()))
        }
        TrinoType::Tinyint => {
            ScalarValue::Int8(json_integer(j, 8)?.and_then(|v| i8::try_from(v).ok()))
        }
        TrinoType::Double => ScalarValue::Float64(json_double(j, t)?),
        TrinoType::Real => ScalarValue::Float32(json_double(j, t)?.map(|v| v as f32)),
        TrinoType::Boolean => ScalarValue::Boolean(json_boolean(j)?),
        TrinoType::Array(e) => {
            let Json::Array(items) = j else {
                return Err(Failure::Operator(format!(
                    "Expected a json array, but got {}",
                    j.token()
                )));
            };
            let values = items
                .iter()
                .map(|item| from_json(item, e))
                .collect::<Result<Vec<_>, _>>()?;
            ScalarValue::List(ScalarValue::new_list_nullable(
                &values,
                &e.arrow_with(false),
            ))
        }
        TrinoType::Map(k, v) => {
            let Json::Object(members) = j else {
                return Err(Failure::Operator(format!(
                    "Expected a json object, but got {}",
                    j.token()
                )));
            };
            let mut keys = Vec::with_capacity(members.len());
            let mut values = Vec::with_capacity(members.len());
            let mut seen = std::collections::HashSet::with_capacity(members.len());
            for (name, value) in members {
                let key = from_json(&Json::String(name.clone()), k)?;
                if !seen.insert(key.clone()) {
                    return Err(Failure::Operator("Duplicate keys are not allowed".into()));
                }
                keys.push(key);
                values.push(from_json(value, v)?);
            }
            map_scalar(t, keys, values).map_err(|e| Failure::Operator(e.to_string()))?
        }
        TrinoType::Row(fields) => {
            let values = match j {
                Json::Array(items) => {
                    if items.len() > fields.len() {
                        let extra = items.get(fields.len()).map(Json::token).unwrap_or_default();
                        return Err(Failure::Operator(format!(
                            "Expected json array ending, but got {extra}"
                        )));
                    }
                    let mut values = Vec::with_capacity(fields.len());
                    for (i, (_, ft)) in fields.iter().enumerate() {
                        match items.get(i) {
                            Some(item) => values.push(from_json(item, ft)?),
                            // Trino's appender meets the array's end where a field should be.
                            None => {
                                return Err(Failure::Operator(match ft {
                                    TrinoType::Array(_) => {
                                        "Expected a json array, but got ]".into()
                                    }
                                    TrinoType::Map(..) => {
                                        "Expected a json object, but got ]".into()
                                    }
                                    TrinoType::Row(_) => {
                                        "Expected a json array or object, but got ]".into()
                                    }
                                    other => {
                                        format!("Unexpected token when cast to {}: ]", other.name())
                                    }
                                }));
                            }
                        }
                    }
                    values
                }
                Json::Object(members) => {
                    if fields.first().is_some_and(|(n, _)| n.is_none()) {
                        return Err(Failure::Operator(
                            "Cannot cast a JSON object to anonymous row type. Input must be a JSON array."
                                .into(),
                        ));
                    }
                    // Keys match the fields' names lower-cased; others are skipped, and a
                    // field met twice is an error (Trino's `JsonToRowCast`).
                    let mut found: Vec<Option<&Json>> = vec![None; fields.len()];
                    for (name, value) in members {
                        let lower = name.to_lowercase();
                        let at = fields
                            .iter()
                            .position(|(n, _)| n.as_deref() == Some(lower.as_str()));
                        if let Some(slot) = at.and_then(|i| found.get_mut(i)) {
                            if slot.is_some() {
                                return Err(Failure::Operator(format!("Duplicate field: {lower}")));
                            }
                            *slot = Some(value);
                        }
                    }
                    // A missing field is NULL (a JSON field's too, not the text `null`).
                    fields
                        .iter()
                        .zip(found)
                        .map(|((_, ft), v)| match v {
                            Some(v) => from_json(v, ft),
                            None => ScalarValue::try_from(&ft.arrow_with(false))
                                .map_err(|e| Failure::Operator(e.to_string())),
                        })
                        .collect::<Result<Vec<_>, _>>()?
                }
                other => {
                    return Err(Failure::Operator(format!(
                        "Expected a json array or object, but got {}",
                        other.token()
                    )));
                }
            };
            row_scalar(t, values).map_err(|e| Failure::Operator(e.to_string()))?
        }
    })
}

/// A one-row map of `t` holding `keys` and `values`.
fn map_scalar(
    t: &TrinoType,
    keys: Vec<ScalarValue>,
    values: Vec<ScalarValue>,
) -> Result<ScalarValue> {
    let DataType::Map(entries, sorted) = t.arrow_with(false) else {
        return Err(DataFusionError::Internal("a map type expected".into()));
    };
    let DataType::Struct(kv) = entries.data_type() else {
        return Err(DataFusionError::Internal(
            "a map's entries are a struct".into(),
        ));
    };
    let (key_type, value_type) = match (kv.first(), kv.get(1)) {
        (Some(k), Some(v)) => (k.data_type().clone(), v.data_type().clone()),
        _ => {
            return Err(DataFusionError::Internal(
                "a map's entries have two fields".into(),
            ))
        }
    };
    let n = keys.len();
    let keys = if keys.is_empty() {
        datafusion::arrow::array::new_empty_array(&key_type)
    } else {
        ScalarValue::iter_to_array(keys)?
    };
    let values = if values.is_empty() {
        datafusion::arrow::array::new_empty_array(&value_type)
    } else {
        ScalarValue::iter_to_array(values)?
    };
    let entries_array =
        datafusion::arrow::array::StructArray::try_new(kv.clone(), vec![keys, values], None)?;
    let offsets = datafusion::arrow::buffer::OffsetBuffer::new(
        vec![
            0i32,
            i32::try_from(n).map_err(|_| DataFusionError::Execution("map too large".into()))?,
        ]
        .into(),
    );
    let map =
        datafusion::arrow::array::MapArray::try_new(entries, offsets, entries_array, None, sorted)?;
    Ok(ScalarValue::Map(Arc::new(map)))
}

/// A one-row struct of `t` holding `values`.
fn row_scalar(t: &TrinoType, values: Vec<ScalarValue>) -> Result<ScalarValue> {
    let DataType::Struct(fields) = t.arrow_with(false) else {
        return Err(DataFusionError::Internal("a row type expected".into()));
    };
    let arrays = values
        .into_iter()
        .map(|v| v.to_array())
        .collect::<Result<Vec<_>>>()?;
    let row = datafusion::arrow::array::StructArray::try_new(fields, arrays, None)?;
    Ok(ScalarValue::Struct(Arc::new(row)))
}

/// Trino's `canCastFromJson` / `canCastToJson` where the service can tell, as an analysis
/// error (`Cannot cast json to map(array(bigint), bigint)`).
fn castable(source: &Field, t: &TrinoType) -> Result<()> {
    fn key_ok(k: &TrinoType) -> bool {
        !matches!(
            k,
            TrinoType::Array(_) | TrinoType::Map(..) | TrinoType::Row(_) | TrinoType::Json
        )
    }
    fn from_json_ok(t: &TrinoType) -> bool {
        match t {
            TrinoType::Array(e) => from_json_ok(e),
            TrinoType::Map(k, v) => key_ok(k) && from_json_ok(v),
            TrinoType::Row(fields) => fields.iter().all(|(_, f)| from_json_ok(f)),
            _ => true,
        }
    }
    fn to_json_ok(d: &DataType) -> bool {
        match d {
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                to_json_ok(f.data_type())
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) => kv.iter().enumerate().all(|(i, f)| {
                    to_json_ok(f.data_type())
                        && (i > 0
                            || !matches!(
                                f.data_type(),
                                DataType::List(_)
                                    | DataType::Map(..)
                                    | DataType::Struct(_)
                                    | DataType::Date32
                                    | DataType::Timestamp(..)
                            ))
                }),
                _ => false,
            },
            DataType::Struct(fields) => fields.iter().all(|f| to_json_ok(f.data_type())),
            DataType::Timestamp(_, zone) => zone.is_none(),
            d => {
                d.is_numeric()
                    || matches!(
                        d,
                        DataType::Null
                            | DataType::Boolean
                            | DataType::Utf8
                            | DataType::LargeUtf8
                            | DataType::Utf8View
                            | DataType::Date32
                    )
            }
        }
    }
    let from = if is_json(source) {
        "json".to_string()
    } else {
        crate::trino_type::of(source.data_type())
    };
    let ok = match (is_json(source), t) {
        (true, t) => from_json_ok(t),
        (false, TrinoType::Json) => to_json_ok(source.data_type()),
        // A text not known to be JSON is read as JSON (where the service loses track of a JSON
        // value, Trino would know it); any other value is cast through its JSON (see
        // [`cast_column`]).
        (false, _) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(DataFusionError::Plan(format!(
            "Cannot cast {from} to {}",
            t.name()
        )))
    }
}

/// `values` (JSON texts if `json`) cast to `t`; a failure is an error naming the type and the
/// value, or NULL under TRY_CAST.
pub(super) fn cast_column(
    values: &ArrayRef,
    json: bool,
    t: &TrinoType,
    try_cast: bool,
) -> Result<ArrayRef> {
    let text_source = matches!(
        values.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    if *t == TrinoType::Json && !json {
        return to_json_column(values, None);
    }
    // Between SQL types (`CAST(ARRAY[2.5] AS array(bigint))`, `CAST(ROW(1, 2) AS row(a
    // bigint, b bigint))`) through the value's JSON, a row bound for a row as an array (a row
    // bound for `json` as an object, as Trino writes it): each element converts as
    // Trino converts it (2.5 rounds to 3, a text becomes a JSON string in an `array(json)`),
    // row fields by position, and TRY_CAST makes the whole value NULL.
    let texts = if text_source {
        datafusion::arrow::compute::cast(values, &DataType::Utf8)?
    } else {
        to_json_column(values, Some(t))?
    };
    let texts = texts.as_string::<i32>();
    let plain = t.arrow_with(false);
    let mut out = Vec::with_capacity(texts.len());
    for text in texts {
        let Some(text) = text else {
            out.push(ScalarValue::try_from(&plain)?);
            continue;
        };
        match cast_text(text, t) {
            Ok(v) => out.push(v),
            Err(_) if try_cast => out.push(ScalarValue::try_from(&plain)?),
            Err(e) => return Err(DataFusionError::Execution(e)),
        }
    }
    let built = if out.is_empty() {
        datafusion::arrow::array::new_empty_array(&plain)
    } else {
        ScalarValue::iter_to_array(out)?
    };
    // The declared type marks JSON parts; the values are the same.
    Ok(datafusion::arrow::compute::cast(&built, &t.arrow())?)
}

/// One JSON text cast to `t`, or Trino's message for why not.
pub(super) fn cast_text(text: &str, t: &TrinoType) -> std::result::Result<ScalarValue, String> {
    let structured = matches!(
        t,
        TrinoType::Array(_) | TrinoType::Map(..) | TrinoType::Row(_)
    );
    let Some(j) = Json::parse(text) else {
        return Err(if structured {
            format!("Cannot cast to {}.\n{}", t.name(), truncated(text))
        } else {
            format!("Cannot cast '{text}' to {}", t.name())
        });
    };
    if *t == TrinoType::Json {
        return Ok(ScalarValue::Utf8(Some(text.to_string())));
    }
    from_json(&j, t).map_err(|f| {
        if structured {
            match f.inner() {
                Some(inner) => format!("Cannot cast to {}. {inner}\n{}", t.name(), truncated(text)),
                None => format!("Cannot cast to {}.\n{}", t.name(), truncated(text)),
            }
        } else {
            match f {
                // Trino's integer, smallint and tinyint casts catch a number out of range and
                // say `integer` for all three.
                Failure::Operator(m)
                    if m.starts_with("Out of range for ")
                        && matches!(
                            t,
                            TrinoType::Integer | TrinoType::Smallint | TrinoType::Tinyint
                        ) =>
                {
                    format!("Cannot cast '{text}' to integer")
                }
                Failure::Operator(m) => m,
                Failure::Token(_) | Failure::Silent => {
                    format!("Cannot cast '{text}' to {}", t.name())
                }
            }
        }
    })
}

/// A JSON text as Trino quotes it in a failed cast's message: at most 10,000 characters.
fn truncated(text: &str) -> String {
    const LIMIT: usize = 10_000;
    match text.char_indices().nth(LIMIT) {
        Some((at, _)) => format!("{}...(truncated)", &text[..at]),
        None => text.to_string(),
    }
}

/// `values` as JSON texts: Trino's cast to `json` when `shape` is `None`; shaped for a cast to
/// `shape` otherwise (see [`write_value`]).
fn to_json_column(values: &ArrayRef, shape: Option<&TrinoType>) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(values.len());
    for r in 0..values.len() {
        if is_null_at(values, r) {
            out.push(None);
            continue;
        }
        let mut text = String::new();
        write_value(&mut text, values, r, false, shape)?;
        out.push(Some(text));
    }
    Ok(Arc::new(datafusion::arrow::array::StringArray::from(out)))
}

/// Whether row `r` of `a` is NULL (every row of an array of type `Null` is, though it keeps no
/// null buffer).
fn is_null_at(a: &ArrayRef, r: usize) -> bool {
    a.data_type() == &DataType::Null || a.is_null(r)
}

/// Row `r` of `a` as Trino's cast to `json` writes it; a text of a part marked JSON (`json`,
/// an element of an `array(json)`) as it is; a row as an object by field names, except where
/// `shape` (the type a cast between SQL types goes to) has a row there: then as an array, for
/// the cast matches fields by position.
pub(super) fn write_value(
    out: &mut String,
    a: &ArrayRef,
    r: usize,
    json: bool,
    shape: Option<&TrinoType>,
) -> Result<()> {
    use datafusion::arrow::datatypes as t;
    if is_null_at(a, r) {
        out.push_str("null");
        return Ok(());
    }
    match a.data_type() {
        DataType::Boolean => out.push_str(if a.as_boolean().value(r) {
            "true"
        } else {
            "false"
        }),
        DataType::Int8 => out.push_str(&a.as_primitive::<t::Int8Type>().value(r).to_string()),
        DataType::Int16 => out.push_str(&a.as_primitive::<t::Int16Type>().value(r).to_string()),
        DataType::Int32 => out.push_str(&a.as_primitive::<t::Int32Type>().value(r).to_string()),
        DataType::Int64 => out.push_str(&a.as_primitive::<t::Int64Type>().value(r).to_string()),
        DataType::UInt8 => out.push_str(&a.as_primitive::<t::UInt8Type>().value(r).to_string()),
        DataType::UInt16 => out.push_str(&a.as_primitive::<t::UInt16Type>().value(r).to_string()),
        DataType::UInt32 => out.push_str(&a.as_primitive::<t::UInt32Type>().value(r).to_string()),
        DataType::UInt64 => out.push_str(&a.as_primitive::<t::UInt64Type>().value(r).to_string()),
        DataType::Float64 => write_double(out, a.as_primitive::<t::Float64Type>().value(r)),
        DataType::Float32 => {
            let v = a.as_primitive::<t::Float32Type>().value(r);
            write_java_number(out, &super::java_format::float_to_string(v), v.is_finite());
        }
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            out.push_str(&crate::format::value_text(a, r)?);
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let texts = datafusion::arrow::compute::cast(&a.slice(r, 1), &DataType::Utf8)?;
            let text = texts.as_string::<i32>().value(0);
            if json {
                out.push_str(text);
            } else {
                write_string(out, text);
            }
        }
        DataType::Date32 | DataType::Timestamp(_, None) => {
            let texts = super::time::varchar(&[a.slice(r, 1)])?;
            write_string(out, texts.as_string::<i32>().value(0));
        }
        DataType::List(f) => {
            let items = a.as_list::<i32>().value(r);
            out.push('[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push(',');
                }
                let element = match shape {
                    Some(TrinoType::Array(e)) => Some(e.as_ref()),
                    _ => None,
                };
                write_value(out, &items, i, is_json(f), element)?;
            }
            out.push(']');
        }
        DataType::Map(entries_field, _) => {
            let json_values = match entries_field.data_type() {
                DataType::Struct(kv) => kv.get(1).is_some_and(|f| is_json(f)),
                _ => false,
            };
            let m = a.as_map();
            let entries = m.value(r);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut members = Vec::with_capacity(keys.len());
            for i in 0..keys.len() {
                let key = map_key_text(keys, i)?;
                let mut value = String::new();
                let value_shape = match shape {
                    Some(TrinoType::Map(_, v)) => Some(v.as_ref()),
                    _ => None,
                };
                write_value(&mut value, values, i, json_values, value_shape)?;
                members.push((key, value));
            }
            // Trino's TreeMap of the keys' texts.
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                out.push_str(v);
            }
            out.push('}');
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let positional = match shape {
                Some(TrinoType::Row(targets)) => Some(targets),
                _ => None,
            };
            out.push(if positional.is_some() { '[' } else { '{' });
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if positional.is_none() {
                    write_string(out, f.name());
                    out.push(':');
                }
                let field_shape = positional.and_then(|t| t.get(i)).map(|(_, t)| t);
                write_value(out, s.column(i), r, is_json(f), field_shape)?;
            }
            out.push(if positional.is_some() { ']' } else { '}' });
        }
        other => {
            return Err(DataFusionError::Execution(format!(
                "Cannot cast {} to json",
                crate::trino_type::of(other)
            )));
        }
    }
    Ok(())
}

/// A map key's text in Trino's cast of a map to `json` (Java's `String.valueOf` for numbers).
fn map_key_text(keys: &ArrayRef, i: usize) -> Result<String> {
    use datafusion::arrow::datatypes as t;
    Ok(match keys.data_type() {
        DataType::Float64 => {
            super::java_format::double_to_string(keys.as_primitive::<t::Float64Type>().value(i))
        }
        DataType::Float32 => {
            super::java_format::float_to_string(keys.as_primitive::<t::Float32Type>().value(i))
        }
        DataType::Boolean => keys.as_boolean().value(i).to_string(),
        _ => {
            let texts = datafusion::arrow::compute::cast(&keys.slice(i, 1), &DataType::Utf8)?;
            texts.as_string::<i32>().value(0).to_string()
        }
    })
}

/// The analyzer rule sending each cast of a JSON value to a scalar type (`CAST(json_extract(x,
/// '$.n') AS bigint)`, and `CAST(... AS varchar)`, which `crate::sql` writes as a call of
/// [`super::VARCHAR`]) through [`Cast`]: DataFusion would read the JSON text as plain text, so
/// that `CAST(JSON '"abc"' AS varchar)` kept its quotes and `CAST(JSON '128.9' AS varchar)` was
/// not Trino's `1.289E2`.
#[derive(Debug)]
pub struct JsonCasts;

impl datafusion::optimizer::AnalyzerRule for JsonCasts {
    fn name(&self) -> &str {
        "trino_json_casts"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{Expr, ExprSchemable};
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let (operand, to, try_cast) = match &e {
                Expr::Cast(c) => (c.expr.as_ref(), scalar_type(c.field.data_type()), false),
                Expr::TryCast(c) => (c.expr.as_ref(), scalar_type(c.field.data_type()), true),
                Expr::ScalarFunction(f) if f.name() == super::VARCHAR => match f.args.as_slice() {
                    [x] => (x, Some(TrinoType::Varchar), false),
                    _ => return Ok(Transformed::no(e)),
                },
                _ => return Ok(Transformed::no(e)),
            };
            let Some(to) = to else {
                return Ok(Transformed::no(e));
            };
            let (_, field) = operand.to_field(schema)?;
            if !is_json(&field) {
                return Ok(Transformed::no(e));
            }
            let call =
                Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
                    Arc::new(Cast::udf(try_cast)),
                    vec![
                        operand.clone(),
                        Expr::Literal(ScalarValue::Utf8(Some(to.name())), None),
                    ],
                ));
            Ok(Transformed::yes(call))
        })
    }
}

/// The scalar Trino type a cast to `d` names, if [`Cast`] reads JSON as it.
fn scalar_type(d: &DataType) -> Option<TrinoType> {
    Some(match d {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => TrinoType::Varchar,
        DataType::Int64 => TrinoType::Bigint,
        DataType::Int32 => TrinoType::Integer,
        DataType::Int16 => TrinoType::Smallint,
        DataType::Int8 => TrinoType::Tinyint,
        DataType::Float64 => TrinoType::Double,
        DataType::Float32 => TrinoType::Real,
        DataType::Boolean => TrinoType::Boolean,
        _ => return None,
    })
}

/// The service's cast (or TRY_CAST) to the type its second argument names.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Cast {
    try_cast: bool,
    signature: Signature,
}

impl Cast {
    /// The service's cast as a DataFusion function; TRY_CAST when `try_cast`.
    pub fn udf(try_cast: bool) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            try_cast,
            signature: Signature::any(2, Volatility::Immutable),
        })
    }
}

/// The target type of a call, from its second argument (a text literal, as `crate::sql`
/// writes it).
fn target(arg: Option<&ScalarValue>) -> Result<TrinoType> {
    super::literal_text(arg).map_or_else(
        || {
            Err(DataFusionError::Plan(
                "a cast's type must be written in the statement".into(),
            ))
        },
        TrinoType::parse,
    )
}

impl ScalarUDFImpl for Cast {
    fn name(&self) -> &str {
        if self.try_cast {
            TRY_CAST
        } else {
            CAST
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "the cast's type comes from its arguments".into(),
        ))
    }

    /// Named as Trino would name the cast.
    fn display_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        self.schema_name(args)
    }

    fn schema_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        let [x, t] = args else {
            return Err(DataFusionError::Plan(
                "a cast takes a value and a type".into(),
            ));
        };
        let t = match t {
            datafusion::logical_expr::Expr::Literal(v, _) => target(Some(v))?.name(),
            other => other.schema_name().to_string(),
        };
        let kind = if self.try_cast { "TRY_CAST" } else { "CAST" };
        Ok(format!("{kind}({} AS {t})", x.schema_name()))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let t = target(args.scalar_arguments.get(1).copied().flatten())?;
        let source = args
            .arg_fields
            .first()
            .ok_or_else(|| DataFusionError::Plan("a cast takes a value and a type".into()))?;
        castable(source, &t)?;
        Ok(Arc::new(match t {
            TrinoType::Json => json_field(self.name()),
            t => Field::new(self.name(), t.arrow(), true),
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let t = match args.args.get(1) {
            Some(ColumnarValue::Scalar(v)) => target(Some(v))?,
            _ => target(None)?,
        };
        let source = args
            .arg_fields
            .first()
            .ok_or_else(|| DataFusionError::Plan("a cast takes a value and a type".into()))?;
        let values = match args.args.first() {
            Some(v) => v.to_array(args.number_rows)?,
            None => {
                return Err(DataFusionError::Plan(
                    "a cast takes a value and a type".into(),
                ));
            }
        };
        let out = cast_column(&values, is_json(source), &t, self.try_cast)?;
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_and_name_themselves_as_trino_does() {
        for (text, name) in [
            ("array(varchar)", "array(varchar)"),
            ("map(varchar, array(json))", "map(varchar, array(json))"),
            (
                "row(a bigint, \"B c\" double precision)",
                "row(a bigint, B c double)",
            ),
            ("row(bigint, varchar(3))", "row(bigint, varchar)"),
            ("array(row(x int))", "array(row(x integer))"),
        ] {
            assert_eq!(TrinoType::parse(text).expect(text).name(), name);
        }
        for bad in [
            "array(",
            "map(varchar)",
            "row()",
            "list(int)",
            "array(int) x",
        ] {
            assert!(TrinoType::parse(bad).is_err(), "{bad}");
        }
    }

    /// `v` as serde_json reads it, numbers by value: the independent reading to compare with.
    fn by_serde(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Object(m) => {
                let members: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k:?}:{}", by_serde(v)))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            serde_json::Value::Array(a) => {
                format!("[{}]", a.iter().map(by_serde).collect::<Vec<_>>().join(","))
            }
            // To ten digits: serde_json's reading of a long fraction may be an ulp away.
            serde_json::Value::Number(n) => format!("{:.9e}", n.as_f64().expect("a number")),
            serde_json::Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        }
    }

    fn by_ours(j: &Json) -> String {
        match j {
            Json::Object(m) => {
                // As serde_json's map holds them: sorted, a repeated key's last value.
                let m: std::collections::BTreeMap<&String, &Json> =
                    m.iter().map(|(k, v)| (k, v)).collect();
                let members: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k:?}:{}", by_ours(v)))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            Json::Array(a) => format!("[{}]", a.iter().map(by_ours).collect::<Vec<_>>().join(",")),
            Json::Number(n) => format!("{:.9e}", n.parse::<f64>().expect("a number's text")),
            Json::String(s) => format!("{s:?}"),
            Json::Bool(b) => b.to_string(),
            Json::Null => "null".into(),
        }
    }

    #[test]
    fn numbers_keep_their_text_as_jacksons_get_text_does() {
        let doc =
            r#" { "a" : [ 1.50 , 1e3 , -0 , 123456789012345678901234567890 , 1E+2 , 0.1 ] } "#;
        let Some(Json::Object(members)) = Json::parse(doc) else {
            panic!("an object");
        };
        let Json::Array(items) = &members[0].1 else {
            panic!("an array");
        };
        let texts: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Json::Number(n) => n.as_str(),
                _ => "not a number",
            })
            .collect();
        assert_eq!(
            texts,
            [
                "1.50",
                "1e3",
                "-0",
                "123456789012345678901234567890",
                "1E+2",
                "0.1"
            ]
        );
        // Written back as Jackson writes the values: `-0` as `0`, fractions as doubles.
        assert_eq!(
            Json::parse("[-0,1.50,1e3,123456789012345678901234567890]")
                .expect("json")
                .text(),
            "[0,1.5,1000.0,123456789012345678901234567890]"
        );
    }

    #[test]
    fn reads_what_serde_json_reads_and_nests_as_deep() {
        use rand::{Rng, SeedableRng};
        // Pieces of JSON joined at random, valid or not: ours reads a text when serde_json
        // does (beyond a double's range serde_json refuses a number, Jackson and ours read it)
        // and to the same value, members in order; it never panics.
        const PIECES: &[&str] = &[
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\n",
            "\"a\"",
            "\"b\\\"c\"",
            "\"\\u00e9\\n\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud800\"",
            "\"é\"",
            "\"\\x\"",
            "1",
            "-0",
            "1.50",
            "2e3",
            "-1E-2",
            "01",
            "1.",
            "true",
            "false",
            "null",
            "nul",
            "\"",
        ];
        for depth in 120..135 {
            let doc = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            assert_eq!(
                Json::parse(&doc).is_some(),
                serde_json::from_str::<serde_json::Value>(&doc).is_ok(),
                "depth {depth}"
            );
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let (mut read, mut refused) = (0, 0);
        for _ in 0..200_000 {
            let n = rng.gen_range(1..12);
            let doc: String = (0..n)
                .map(|_| PIECES[rng.gen_range(0..PIECES.len())])
                .collect();
            let theirs = serde_json::from_str::<serde_json::Value>(&doc);
            let ours = Json::parse(&doc);
            match (&theirs, &ours) {
                (Ok(v), Some(j)) => {
                    assert_eq!(by_serde(v), by_ours(j), "{doc}");
                    read += 1;
                }
                (Err(_), None) => refused += 1,
                (Err(e), Some(_)) if e.to_string().contains("number out of range") => {}
                _ => panic!("{doc}: serde_json {theirs:?}, ours {ours:?}"),
            }
        }
        assert!(
            read > 1_000 && refused > 1_000,
            "{read} read, {refused} refused"
        );
    }
}
