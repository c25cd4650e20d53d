//! SQL/JSON's constructors as Trino builds them: `json_object('k' : v, ...)` and
//! `json_array(v, ...)`, with `FORMAT JSON [ENCODING ...]` values, `NULL | ABSENT ON NULL`,
//! `WITH | WITHOUT UNIQUE KEYS` and `RETURNING varchar | varbinary [FORMAT JSON ENCODING ...]`.
//!
//! sqlparser reads none of those clauses, so `crate::sql` rewrites each call as one of
//! [`JSON_OBJECT`] or [`JSON_ARRAY`] with the clauses as a text first ([`Spec`]) and then the
//! keys and values (`"$json_object"('null;any;;json;none', 'k', v)`), as Trino's analyzer
//! rewrites it into its hidden `$json_object`.
//!
//! Values are converted as Trino's analyzer and `JsonObjectFunction` convert them: numbers,
//! booleans and text become JSON literals (a double as Java writes it, `1.2`; a decimal as
//! `BigDecimal.toString`), a value with `FORMAT JSON` (or a nested `json_object`, `json_array`
//! or `json_query`) is read as JSON, and any other value is cast to varchar (a date becomes
//! `"2001-01-31"`); arrays, maps, rows and varbinary are refused. Trino keeps an object's members
//! in a `java.util.HashMap`, so the text lists them in that map's order (`{"key_2":2,
//! "key_1":1}`), and refuses a repeated key.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::cast::{is_json, TrinoType};
pub use super::json_encoding::Format;
use super::json_encoding::{encode, read_json, text_at, Output, NOT_JSON};

/// `json_object(...)` as `crate::sql` writes it: `"$json_object"('<spec>', k1, v1, ...)`.
pub const JSON_OBJECT: &str = "$json_object";
/// `json_array(...)` as `crate::sql` writes it: `"$json_array"('<spec>', v1, ...)`.
pub const JSON_ARRAY: &str = "$json_array";

/// A constructor's clauses, as `crate::sql` writes them before the arguments:
/// `<null|absent>;<unique|any>;<returned type or empty>;<output format>;<value formats>`,
/// the value formats comma-separated, one per value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `NULL ON NULL` (a NULL value becomes JSON null) rather than `ABSENT ON NULL`.
    pub null_on_null: bool,
    /// `WITH UNIQUE KEYS`.
    pub unique_keys: bool,
    /// The `RETURNING` type as written, lower-case (empty: varchar).
    pub returning: String,
    /// The `RETURNING ... FORMAT JSON [ENCODING ...]` (`Json` when not written).
    pub output: Format,
    /// Each value's FORMAT, in order.
    pub formats: Vec<Format>,
}

impl Spec {
    /// The spec as `crate::sql` writes it.
    pub fn text(&self) -> String {
        let formats: Vec<&str> = self.formats.iter().map(|f| f.name()).collect();
        format!(
            "{};{};{};{};{}",
            if self.null_on_null { "null" } else { "absent" },
            if self.unique_keys { "unique" } else { "any" },
            self.returning,
            self.output.name(),
            formats.join(",")
        )
    }

    fn parse(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.split(';').collect();
        let [null, keys, returning, output, formats] = parts.as_slice() else {
            return Err(spec_error(text));
        };
        Ok(Spec {
            null_on_null: match *null {
                "null" => true,
                "absent" => false,
                other => return Err(spec_error(other)),
            },
            unique_keys: match *keys {
                "unique" => true,
                "any" => false,
                other => return Err(spec_error(other)),
            },
            returning: returning.to_string(),
            output: Format::parse(output)?,
            formats: if formats.is_empty() {
                Vec::new()
            } else {
                formats
                    .split(',')
                    .map(Format::parse)
                    .collect::<Result<_>>()?
            },
        })
    }
}

fn spec_error(text: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "a JSON constructor's clauses must be written in the statement ({text})"
    ))
}

/// The spec of a call: its first argument, a text literal.
fn spec_of(arg: Option<&ScalarValue>) -> Result<Spec> {
    super::literal_text(arg).map_or_else(|| Err(spec_error("no spec")), Spec::parse)
}

/// Trino's `getOutputFunction` for the constructor's RETURNING clause.
fn output_of(spec: &Spec) -> Result<Output> {
    super::json_encoding::output(&spec.returning, spec.output)
}

/// Whether `t` is one of Trino's character string types (a JSON-marked text is `json`).
fn is_text(field: &Field) -> bool {
    matches!(
        field.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) && !is_json(field)
}

/// The Trino type name of a field, as messages say it.
pub(super) fn type_name(field: &Field) -> String {
    if is_json(field) {
        "json".into()
    } else {
        crate::trino_type::of(field.data_type())
    }
}

/// Whether a value of `field` can be read as JSON with `format` (Trino's `getInputFunction`):
/// text (not a `json` value) or bytes with FORMAT JSON (or none, for a query function's
/// input), bytes alone with an ENCODING.
pub(super) fn readable_as_json(field: &Field, format: Format) -> bool {
    let t = field.data_type();
    match format {
        Format::None | Format::Json => {
            is_text(field) || matches!(t, DataType::Null | DataType::Binary)
        }
        _ => matches!(t, DataType::Null | DataType::Binary),
    }
}

/// How a value of `field` becomes JSON, or Trino's analyzer's refusal (`function` is
/// `JSON_OBJECT` or `JSON_ARRAY`).
fn check_value(field: &Field, format: Format, function: &str) -> Result<()> {
    if format != Format::None {
        if !readable_as_json(field, format) {
            return Err(DataFusionError::Plan(format!(
                "Cannot read input of type {} as JSON using formatting {}",
                type_name(field),
                format.display()
            )));
        }
        return Ok(());
    }
    if converts(field) {
        return Ok(());
    }
    Err(DataFusionError::Plan(format!(
        "Unsupported type of value passed to {function} function: {}",
        type_name(field)
    )))
}

/// Whether a value of `field` (with no FORMAT) becomes JSON: as a literal (numbers, booleans,
/// text) or through its cast to varchar (`json`, dates, times, intervals).
fn converts(field: &Field) -> bool {
    matches!(
        field.data_type(),
        DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Date32
            | DataType::Timestamp(..)
            | DataType::Interval(_)
            | DataType::Duration(_)
    )
}

/// `json_object` (when `object`) or `json_array`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Constructor {
    object: bool,
    signature: Signature,
}

impl Constructor {
    /// The constructor as a DataFusion function.
    pub fn udf(object: bool) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            object,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    }

    /// The function's name in Trino's messages.
    fn trino_name(&self) -> &'static str {
        if self.object {
            "JSON_OBJECT"
        } else {
            "JSON_ARRAY"
        }
    }

    /// The analyzer's checks of a call's arguments (after the spec) against its spec.
    fn check(&self, spec: &Spec, fields: &[FieldRef]) -> Result<Output> {
        let per = if self.object { 2 } else { 1 };
        if !fields.len().is_multiple_of(per) || fields.len() / per != spec.formats.len() {
            return Err(spec_error("the values do not match their formats"));
        }
        for (i, format) in spec.formats.iter().enumerate() {
            if self.object {
                let key = &fields[2 * i];
                if !is_text(key) {
                    return Err(DataFusionError::Plan(format!(
                        "Invalid type of JSON object key: {}",
                        if key.data_type() == &DataType::Null {
                            "unknown".to_string()
                        } else {
                            type_name(key)
                        }
                    )));
                }
            }
            check_value(&fields[per * i + per - 1], *format, self.trino_name())?;
        }
        if self.object && spec.unique_keys && spec.formats.iter().any(|f| *f != Format::None) {
            return Err(DataFusionError::Plan(
                "WITH UNIQUE KEYS behavior is not supported for JSON_OBJECT function when input \
                 expression has FORMAT"
                    .into(),
            ));
        }
        output_of(spec)
    }
}

impl ScalarUDFImpl for Constructor {
    fn name(&self) -> &str {
        if self.object {
            JSON_OBJECT
        } else {
            JSON_ARRAY
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "a JSON constructor's type comes from its clauses".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let spec = spec_of(args.scalar_arguments.first().copied().flatten())?;
        let fields = args.arg_fields.get(1..).unwrap_or_default();
        let t = match self.check(&spec, fields)? {
            Output::Text(_) => DataType::Utf8,
            Output::Bytes(_) => DataType::Binary,
        };
        Ok(Arc::new(Field::new(self.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let spec = match args.args.first() {
            Some(ColumnarValue::Scalar(v)) => spec_of(Some(v))?,
            _ => spec_of(None)?,
        };
        let fields = args.arg_fields.get(1..).unwrap_or_default();
        let output = output_of(&spec)?;
        let rows = args.number_rows;
        let columns = args
            .args
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let per = if self.object { 2 } else { 1 };
        let mut values = Vec::with_capacity(spec.formats.len());
        let mut keys = Vec::with_capacity(spec.formats.len());
        for (i, format) in spec.formats.iter().enumerate() {
            let at = per * i + per - 1;
            let (Some(column), Some(field)) = (columns.get(at), fields.get(at)) else {
                return Err(spec_error("the values do not match their formats"));
            };
            values.push(json_texts(column, field, *format)?);
            if self.object {
                let key = columns
                    .get(at - 1)
                    .ok_or_else(|| spec_error("a key is missing"))?;
                keys.push(datafusion::arrow::compute::cast(key, &DataType::Utf8)?);
            }
        }
        let mut out = Vec::with_capacity(rows);
        for r in 0..rows {
            let text = if self.object {
                let keys: Vec<Option<&str>> = keys
                    .iter()
                    .map(|k| {
                        let k = k.as_string::<i32>();
                        (!k.is_null(r)).then(|| k.value(r))
                    })
                    .collect();
                let row: Vec<Option<&str>> = values.iter().map(|v| v[r].as_deref()).collect();
                object_text(&keys, &row, &spec)?
            } else {
                let row: Vec<Option<&str>> = values.iter().map(|v| v[r].as_deref()).collect();
                array_text(&row, spec.null_on_null)
            };
            out.push(text);
        }
        Ok(ColumnarValue::Array(match output {
            Output::Text(length) => Arc::new(StringArray::from(
                out.into_iter()
                    .map(|t| match length {
                        Some(l) => l.fit(t),
                        None => t,
                    })
                    .collect::<Vec<_>>(),
            )),
            Output::Bytes(encoding) => {
                let bytes: Vec<Vec<u8>> = out.iter().map(|t| encode(t, encoding)).collect();
                Arc::new(BinaryArray::from_iter_values(bytes))
            }
        }))
    }
}

/// One row's object: members in a Java `HashMap`'s order, a NULL value as `null` or left out,
/// a NULL key or a repeated key refused with Trino's words.
fn object_text(keys: &[Option<&str>], values: &[Option<&str>], spec: &Spec) -> Result<String> {
    let mut members: Vec<(&str, &str)> = Vec::with_capacity(keys.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(keys.len());
    for (key, value) in keys.iter().zip(values) {
        let Some(key) = key else {
            return Err(DataFusionError::Execution(
                "null value passed for JSON object key to JSON_OBJECT function".into(),
            ));
        };
        let value = match value {
            Some(v) => v,
            None if spec.null_on_null => "null",
            None => continue,
        };
        if !seen.insert(key) {
            return Err(DataFusionError::Execution(if spec.unique_keys {
                "duplicate key passed to JSON_OBJECT function".into()
            } else {
                "cannot construct a JSON object with duplicate key".into()
            }));
        }
        members.push((key, value));
    }
    let names: Vec<&str> = members.iter().map(|(k, _)| *k).collect();
    let mut out = String::from("{");
    for (n, i) in hash_map_order(&names).into_iter().enumerate() {
        let Some((k, v)) = members.get(i) else {
            continue;
        };
        if n > 0 {
            out.push(',');
        }
        super::cast::write_string(&mut out, k);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    Ok(out)
}

/// One row's array: the values in order, a NULL as `null` or left out.
fn array_text(values: &[Option<&str>], null_on_null: bool) -> String {
    let mut out = String::from("[");
    let mut first = true;
    for v in values {
        let v = match v {
            Some(v) => *v,
            None if null_on_null => "null",
            None => continue,
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(v);
    }
    out.push(']');
    out
}

/// Each row's value of `column` as JSON text (`None` for NULL).
fn json_texts(column: &ArrayRef, field: &Field, format: Format) -> Result<Vec<Option<String>>> {
    use datafusion::arrow::datatypes as t;
    let rows = column.len();
    let mut out = Vec::with_capacity(rows);
    if column.data_type() == &DataType::Null {
        out.resize(rows, None);
        return Ok(out);
    }
    if format != Format::None {
        for r in 0..rows {
            let Some(text) = text_at(column, r, format)? else {
                out.push(None);
                continue;
            };
            let json =
                read_json(&text).ok_or_else(|| DataFusionError::Execution(NOT_JSON.into()))?;
            out.push(Some(json.jackson_tree().text()));
        }
        return Ok(out);
    }
    // A value Trino casts to varchar first: a JSON value (its scalar, unquoted), a date, a
    // time or an interval (as Trino prints it).
    let cast_first = is_json(field)
        || matches!(
            column.data_type(),
            DataType::Date32
                | DataType::Timestamp(..)
                | DataType::Interval(_)
                | DataType::Duration(_)
        );
    if cast_first {
        let texts = if is_json(field) {
            super::cast::cast_column(column, true, &TrinoType::Varchar, false)?
        } else {
            let texts: Vec<Option<String>> = (0..rows)
                .map(|r| {
                    if column.is_null(r) {
                        Ok(None)
                    } else {
                        crate::format::value_text(column, r).map(Some)
                    }
                })
                .collect::<Result<_>>()?;
            Arc::new(StringArray::from(texts)) as ArrayRef
        };
        let texts = datafusion::arrow::compute::cast(&texts, &DataType::Utf8)?;
        for v in texts.as_string::<i32>() {
            out.push(v.map(|s| {
                let mut o = String::new();
                super::cast::write_string(&mut o, s);
                o
            }));
        }
        return Ok(out);
    }
    for r in 0..rows {
        if column.is_null(r) {
            out.push(None);
            continue;
        }
        let mut o = String::new();
        match column.data_type() {
            DataType::Decimal128(_, scale) => o.push_str(&java_big_decimal(
                column.as_primitive::<t::Decimal128Type>().value(r),
                *scale,
            )),
            _ => super::cast::write_value(&mut o, column, r, false, None)?,
        }
        out.push(Some(o));
    }
    Ok(out)
}

/// Java's `BigDecimal.toString` of `unscaled` × 10^-`scale`: plain when the scale is not
/// negative and the exponent is at least -6 (`1.50`, `0.000001`), else scientific (`1E-7`,
/// `1.0E-7`), as Jackson writes a decimal.
pub(super) fn java_big_decimal(unscaled: i128, scale: i8) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = i64::from(scale);
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let adjusted = len - 1 - scale;
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        if len > scale {
            let (int, frac) = digits.split_at(digits.len() - scale as usize);
            return format!("{sign}{int}.{frac}");
        }
        let zeros = "0".repeat((scale - len) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    let exp_sign = if adjusted >= 0 { "+" } else { "" };
    format!("{sign}{first}{point}{rest}E{exp_sign}{adjusted}")
}

/// Java's `String.hashCode`: over UTF-16 code units, `h = 31 * h + c` wrapping.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// The order a `java.util.HashMap` iterates `keys` (distinct, inserted in order) in: by bucket
/// (the hash's high half folded into its low, masked by the table's size), then by insertion
/// within a bucket; the table starts at 16 buckets and doubles past three quarters full, and
/// when a bucket reaches nine entries while the table has fewer than 64 buckets. (A larger
/// table turns such a bucket into a tree, whose order this does not follow: nine keys in one
/// bucket of 64.)
fn hash_map_order(keys: &[&str]) -> Vec<usize> {
    let hashes: Vec<usize> = keys
        .iter()
        .map(|k| {
            let h = java_hash(k) as u32;
            (h ^ (h >> 16)) as usize
        })
        .collect();
    let mut capacity = 16usize;
    let mut bins: Vec<Vec<usize>> = vec![Vec::new(); capacity];
    let resize = |bins: &mut Vec<Vec<usize>>, capacity: &mut usize| {
        *capacity = capacity.saturating_mul(2);
        let mut grown = vec![Vec::new(); *capacity];
        for i in bins.iter().flatten() {
            grown[hashes[*i] & (*capacity - 1)].push(*i);
        }
        *bins = grown;
    };
    for (i, h) in hashes.iter().enumerate() {
        let bin = &mut bins[h & (capacity - 1)];
        let before = bin.len();
        bin.push(i);
        if before >= 8 && capacity < 64 {
            resize(&mut bins, &mut capacity);
        }
        // Three quarters of the table, as HashMap's threshold.
        if (i + 1).saturating_mul(4) > capacity.saturating_mul(3) {
            resize(&mut bins, &mut capacity);
        }
    }
    bins.into_iter().flatten().collect()
}

/// The constructors as DataFusion functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![Constructor::udf(true), Constructor::udf(false)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_as_java_prints_big_decimals() {
        for (unscaled, scale, text) in [
            (15, 1, "1.5"),
            (150, 2, "1.50"),
            (-15, 1, "-1.5"),
            (1, 6, "0.000001"),
            (1, 7, "1E-7"),
            (10, 8, "1.0E-7"),
            (0, 7, "0E-7"),
            (0, 2, "0.00"),
            (123, 0, "123"),
            (123, -2, "1.23E+4"),
        ] {
            assert_eq!(
                java_big_decimal(unscaled, scale),
                text,
                "{unscaled} {scale}"
            );
        }
    }

    #[test]
    fn hashes_are_javas() {
        // Values Java's String.hashCode gives.
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("key_1"), 101_944_913);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn specs_round_trip() {
        let spec = Spec {
            null_on_null: false,
            unique_keys: true,
            returning: "varchar(100)".into(),
            output: Format::Json,
            formats: vec![Format::None, Format::Utf16],
        };
        assert_eq!(Spec::parse(&spec.text()).expect("spec"), spec);
        assert!(Spec::parse("null;any").is_err());
    }
}
