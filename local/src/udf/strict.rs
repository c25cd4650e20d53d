//! DataFusion's functions where Trino gives another answer on some rows, kept for their typing
//! (signatures and coercions, which `crate::analysis` checks against Trino's) with Trino's
//! answers:
//! - `greatest` and `least`: NULL when an argument is (DataFusion skips NULLs);
//! - `array_max` and `array_min`: NULL when an element is;
//! - `arrays_overlap`: NULL when the arrays share no element but one holds a NULL (DataFusion
//!   matches a NULL with a NULL);
//! - `array_position`: 0 for an element not found;
//! - `array_join`: each element as Trino's CAST to varchar writes it;
//! - `split_part`: NULL past the last part (DataFusion answers `''`), characters on an empty
//!   delimiter;
//! - `lpad` and `rpad`: an empty padding or a length out of range refused;
//! - `upper` and `lower`: code point by code point;
//! - `date_trunc` of a date: a date.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::compute::{cast, kernels::nullif::nullif};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

use super::{as_list, exec_err, int64s, strings};

/// Which of Trino's answers a wrapped function gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Rule {
    /// NULL when any argument is NULL.
    AnyArgument,
    /// NULL when the array holds a NULL element.
    AnyElement,
    /// `arrays_overlap`: computed here (see [`overlap`]).
    Overlap,
    /// `split_part`, computed here.
    SplitPart,
    /// `upper` and `lower`, computed here code point by code point.
    Case(Case),
    /// `array_position`: 0 where the element is not found, NULL for a NULL element.
    Position,
    /// `array_join`: each element as Trino's CAST to varchar writes it (`1.5E0`).
    Join,
    /// `lpad` and `rpad`: Trino's checks of the length and the padding first.
    Pad,
}

/// Which way `upper` or `lower` maps letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Case {
    Upper,
    Lower,
}

/// One of DataFusion's functions, answering as Trino.
#[derive(Debug)]
struct Strict {
    name: &'static str,
    inner: Arc<ScalarUDF>,
    rule: Rule,
}

impl PartialEq for Strict {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Strict {}

impl std::hash::Hash for Strict {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Strict {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let constant = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        // Constants are one row each (not `number_rows`), however many rows the batch has.
        let rows = if constant { 1 } else { args.number_rows };
        let planned = args.return_field.data_type().clone();
        let out = match self.rule {
            Rule::SplitPart => split_part(&arrays)?,
            Rule::Case(case) => case_mapped(first(&arrays)?, case)?,
            Rule::Join if joinable(first(&arrays)?.data_type()) => array_join(&arrays)?,
            // Elements compared by their text (both are of one type after coercion); nested
            // elements, which have none, keep DataFusion's answer where no NULL is involved.
            Rule::Overlap => {
                let [a, b] = arrays.as_slice() else {
                    return Err(exec_err("arrays_overlap takes two arrays"));
                };
                if let Some(answer) = overlap(a, b)? {
                    answer
                } else {
                    let out = self.inner.invoke_with_args(args)?.into_array(rows)?;
                    let (a, b) = (holds_null(a)?, holds_null(b)?);
                    let found = out.as_boolean_opt().ok_or_else(|| {
                        DataFusionError::Internal("arrays_overlap answers booleans".into())
                    })?;
                    let unknown: BooleanArray = (0..found.len())
                        .map(|i| {
                            Some(found.is_valid(i) && !found.value(i) && (a.value(i) || b.value(i)))
                        })
                        .collect();
                    nullif(&out, &unknown)?
                }
            }
            rule => {
                if rule == Rule::Pad {
                    check_padding(&arrays)?;
                }
                let out = self.inner.invoke_with_args(args)?.into_array(rows)?;
                match rule {
                    Rule::Position => position(&arrays, &out)?,
                    Rule::AnyArgument => nullif(&out, &any_null(&arrays)?)?,
                    Rule::AnyElement => nullif(&out, &holds_null(first(&arrays)?)?)?,
                    // Nested elements for array_join (Trino refuses them), as DataFusion joins
                    // them; lpad and rpad once checked.
                    _ => out,
                }
            }
        };
        finish(out, &planned, constant)
    }
}

/// `out` as the planned type (`split_part` of a `LargeUtf8`, `listagg`'s, is one), one
/// constant for constant arguments.
fn finish(out: ArrayRef, planned: &DataType, constant: bool) -> Result<ColumnarValue> {
    let out = if out.data_type() == planned {
        out
    } else {
        cast(&out, planned)?
    };
    if constant && out.len() == 1 {
        return Ok(ColumnarValue::Scalar(
            datafusion::scalar::ScalarValue::try_from_array(&out, 0)?,
        ));
    }
    Ok(ColumnarValue::Array(out))
}

fn first(arrays: &[ArrayRef]) -> Result<&ArrayRef> {
    arrays
        .first()
        .ok_or_else(|| exec_err("the function takes an argument"))
}

/// Per row, whether any of `arrays` is NULL.
fn any_null(arrays: &[ArrayRef]) -> Result<BooleanArray> {
    let rows = first(arrays)?.len();
    Ok((0..rows)
        .map(|i| Some(arrays.iter().any(|a| a.is_null(i))))
        .collect())
}

/// Per row, whether the array holds a NULL element (false for a NULL array).
fn holds_null(a: &ArrayRef) -> Result<BooleanArray> {
    let list = cast(a, &as_list("array", a.data_type())?)?;
    let list = list.as_list::<i32>();
    let values = list.values();
    let offsets = list.value_offsets();
    Ok((0..list.len())
        .map(|i| {
            let (start, end) = (offsets[i], offsets[i + 1]);
            let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
                return Some(false);
            };
            Some(list.is_valid(i) && (start..end).any(|j| values.is_null(j)))
        })
        .collect())
}

/// Trino's `arrays_overlap`: true when the arrays share a non-NULL element, else NULL when
/// either holds a NULL, else false (DataFusion matches a NULL with a NULL). None when the
/// elements have no text to compare.
fn overlap(a: &ArrayRef, b: &ArrayRef) -> Result<Option<ArrayRef>> {
    let texts =
        |x: &ArrayRef| -> Result<Option<(datafusion::arrow::array::ListArray, StringArray)>> {
            let list = cast(x, &as_list("arrays_overlap", x.data_type())?)?;
            let list = list.as_list::<i32>().clone();
            Ok(cast(list.values(), &DataType::Utf8)
                .ok()
                .map(|v| (list, v.as_string::<i32>().clone())))
        };
    let (Some((la, va)), Some((lb, vb))) = (texts(a)?, texts(b)?) else {
        return Ok(None);
    };
    let range = |l: &datafusion::arrow::array::ListArray, i: usize| {
        let o = l.value_offsets();
        usize::try_from(o[i]).unwrap_or(0)..usize::try_from(o[i + 1]).unwrap_or(0)
    };
    let out: BooleanArray = (0..la.len())
        .map(|i| {
            if la.is_null(i) || lb.is_null(i) {
                return None;
            }
            let ours: std::collections::HashSet<&str> = range(&la, i)
                .filter(|&j| va.is_valid(j))
                .map(|j| va.value(j))
                .collect();
            if range(&lb, i).any(|j| vb.is_valid(j) && ours.contains(vb.value(j))) {
                return Some(true);
            }
            let nulls =
                range(&la, i).any(|j| va.is_null(j)) || range(&lb, i).any(|j| vb.is_null(j));
            (!nulls).then_some(false)
        })
        .collect();
    Ok(Some(Arc::new(out)))
}

/// Trino's `array_position(array, element)`: DataFusion's answer, but 0 where the array holds
/// no such element (DataFusion: NULL) and NULL for a NULL element (DataFusion finds a NULL).
fn position(arrays: &[ArrayRef], found: &ArrayRef) -> Result<ArrayRef> {
    let [list, element] = arrays else {
        return Err(exec_err("array_position takes an array and an element"));
    };
    let found = cast(found, &DataType::Int64)?;
    let found = found.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    let out: datafusion::arrow::array::Int64Array = (0..found.len())
        .map(|i| {
            if list.is_null(i) || element.is_null(i) {
                None
            } else if found.is_null(i) {
                Some(0)
            } else {
                Some(found.value(i))
            }
        })
        .collect();
    Ok(Arc::new(out))
}

/// Trino's checks of `lpad(string, size, padding)` and `rpad`: the size within
/// `[0..2147483647]` and a padding that is not empty (DataFusion answers `''` or the string).
fn check_padding(arrays: &[ArrayRef]) -> Result<()> {
    let [text, size, padding] = arrays else {
        return Ok(());
    };
    let (size, padding) = (int64s(size)?, strings(padding)?);
    // A row with a NULL argument is NULL, unchecked.
    for i in
        (0..text.len()).filter(|&i| text.is_valid(i) && size.is_valid(i) && padding.is_valid(i))
    {
        if !(0..=i64::from(i32::MAX)).contains(&size.value(i)) {
            return Err(exec_err(
                "Target length must be in the range [0..2147483647]",
            ));
        }
        if padding.value(i).is_empty() {
            return Err(exec_err("Padding string must not be empty"));
        }
    }
    Ok(())
}

/// Whether `array_join` of arrays of type `t` is computed here (elements of one value each).
fn joinable(t: &DataType) -> bool {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            !f.data_type().is_nested()
        }
        _ => false,
    }
}

/// Trino's `array_join(array, delimiter [, null_replacement])`: the elements as its CAST to
/// varchar writes them, NULL elements left out or replaced.
fn array_join(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let (list, delimiter, replacement) = match arrays {
        [l, d] => (l, d, None),
        [l, d, r] => (l, d, Some(strings(r)?)),
        _ => {
            return Err(exec_err(
                "array_join takes an array, a delimiter and a replacement",
            ))
        }
    };
    let list = cast(list, &as_list("array_join", list.data_type())?)?;
    let list = list.as_list::<i32>();
    let texts = super::time::varchar(&[list.values().clone()])?;
    let texts = strings(&texts)?;
    let delimiter = strings(delimiter)?;
    let offsets = list.value_offsets();
    let out: StringArray = (0..list.len())
        .map(|i| {
            if list.is_null(i)
                || delimiter.is_null(i)
                || replacement.as_ref().is_some_and(|r| r.is_null(i))
            {
                return None;
            }
            let from = usize::try_from(offsets[i]).unwrap_or(0);
            let to = usize::try_from(offsets[i + 1]).unwrap_or(0);
            let parts: Vec<&str> = (from..to)
                .filter_map(|j| {
                    if texts.is_valid(j) {
                        Some(texts.value(j))
                    } else {
                        replacement.as_ref().map(|r| r.value(i))
                    }
                })
                .collect();
            Some(parts.join(delimiter.value(i)))
        })
        .collect();
    Ok(Arc::new(out))
}

/// Trino's `upper` and `lower` map each code point on its own, as Java's
/// `Character.toUpperCase(int)` does (airlift's `SliceUtf8`): `upper('straße')` is `STRAßE`
/// and `lower('İ')` is `i`, where Rust's (and DataFusion's) full mappings write `STRASSE`,
/// `i̇`, and a final `ς`.
fn case_mapped(texts: &ArrayRef, case: Case) -> Result<ArrayRef> {
    let texts = strings(texts)?;
    // All ASCII (the usual case): the bytes mapped in one pass, offsets and NULLs kept.
    if texts.values().is_ascii() {
        let mut bytes = texts.values().to_vec();
        match case {
            Case::Upper => bytes.make_ascii_uppercase(),
            Case::Lower => bytes.make_ascii_lowercase(),
        }
        return Ok(Arc::new(StringArray::try_new(
            texts.offsets().clone(),
            bytes.into(),
            texts.nulls().cloned(),
        )?));
    }
    let mut out =
        datafusion::arrow::array::StringBuilder::with_capacity(texts.len(), texts.values().len());
    let map = match case {
        Case::Upper => simple_upper,
        Case::Lower => simple_lower,
    };
    for t in &texts {
        match t {
            Some(s) => {
                for c in s.chars() {
                    // A StringBuilder's `write_str` always succeeds.
                    let _ = std::fmt::Write::write_char(&mut out, map(c));
                }
                out.append_value("");
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Unicode's simple uppercase mapping of `c` (one code point for one).
fn simple_upper(c: char) -> char {
    let mut full = c.to_uppercase();
    if let (Some(u), None) = (full.next(), full.next()) {
        return u;
    }
    // Where the full mapping is several code points, the simple one is `c` itself, but for the
    // Greek letters with a subscript iota, whose simple mapping is their title case (`ᾳ` to
    // `ᾼ`).
    let code = u32::from(c);
    let title = match code {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => code + 8,
        0x1FB3 | 0x1FC3 | 0x1FF3 => code + 9,
        _ => code,
    };
    char::from_u32(title).unwrap_or(c)
}

/// Unicode's simple lowercase mapping of `c`: only `İ` has a full mapping of several code
/// points (`i` and a combining dot); its simple one is `i`.
fn simple_lower(c: char) -> char {
    let mut full = c.to_lowercase();
    match (full.next(), full.next()) {
        (Some(l), None) => l,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Trino's `split_part(string, delimiter, index)`: the index-th part (from 1), NULL past the
/// last; an empty delimiter splits into characters.
fn split_part(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let [s, d, n] = arrays else {
        return Err(exec_err(
            "split_part takes a string, a delimiter and an index",
        ));
    };
    let (s, d, n) = (strings(s)?, strings(d)?, int64s(n)?);
    let mut out = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        if s.is_null(i) || d.is_null(i) || n.is_null(i) {
            out.push(None);
            continue;
        }
        let index = n.value(i);
        if index <= 0 {
            return Err(exec_err("Index must be greater than zero"));
        }
        let skip = usize::try_from(index - 1).unwrap_or(usize::MAX);
        let (text, delimiter) = (s.value(i), d.value(i));
        out.push(if delimiter.is_empty() {
            text.chars().nth(skip).map(String::from)
        } else {
            text.split(delimiter).nth(skip).map(str::to_string)
        });
    }
    Ok(Arc::new(StringArray::from(out)))
}

/// Trino's `date_trunc(unit, date)` is a date (`2020-05-01`), and a unit shorter than a day is
/// refused for it; DataFusion casts the date to a timestamp and answers one. Other arguments
/// go to DataFusion's function as they are.
#[derive(Debug)]
struct DateTrunc {
    inner: Arc<ScalarUDF>,
    signature: Signature,
}

impl PartialEq for DateTrunc {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for DateTrunc {}

impl std::hash::Hash for DateTrunc {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "date_trunc".hash(state);
    }
}

/// Whether `t` is a date.
fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

impl ScalarUDFImpl for DateTrunc {
    fn name(&self) -> &str {
        "date_trunc"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [unit, day] if is_date(day) && unit.is_string() => {
                Ok(vec![unit.clone(), DataType::Date32])
            }
            _ => {
                let fields: Vec<FieldRef> = arg_types
                    .iter()
                    .map(|t| {
                        Arc::new(datafusion::arrow::datatypes::Field::new(
                            "",
                            t.clone(),
                            true,
                        ))
                    })
                    .collect();
                Ok(
                    datafusion::logical_expr::type_coercion::functions::fields_with_udf(
                        &fields,
                        self.inner.as_ref(),
                    )?
                    .iter()
                    .map(|f| f.data_type().clone())
                    .collect(),
                )
            }
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields {
            [_, day] if is_date(day.data_type()) => Ok(Arc::new(
                datafusion::arrow::datatypes::Field::new(self.name(), DataType::Date32, true),
            )),
            _ => self.inner.return_field_from_args(args),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let date = args
            .arg_fields
            .get(1)
            .is_some_and(|f| is_date(f.data_type()));
        if !date {
            return self.inner.invoke_with_args(args);
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [units, days] = arrays.as_slice() else {
            return Err(exec_err("date_trunc takes a unit and a date"));
        };
        let units = strings(units)?;
        let days = cast(days, &DataType::Date32)?;
        let days = days.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        // The days themselves (a date's cast to a timestamp overflows outside 1677-2262).
        let mut out = Vec::with_capacity(days.len());
        for i in 0..days.len() {
            if units.is_null(i) || days.is_null(i) {
                out.push(None);
                continue;
            }
            let unit = units.value(i).to_ascii_lowercase();
            let day = datafusion::arrow::datatypes::Date32Type::to_naive_date_opt(days.value(i))
                .ok_or_else(|| exec_err("date out of range"))?;
            let first = match unit.as_str() {
                "day" => Some(day),
                "week" => day.checked_sub_days(chrono::Days::new(u64::from(
                    chrono::Datelike::weekday(&day).num_days_from_monday(),
                ))),
                "month" => chrono::Datelike::with_day(&day, 1),
                "quarter" => chrono::Datelike::with_day(&day, 1).and_then(|d| {
                    chrono::Datelike::with_month(&d, (chrono::Datelike::month0(&d) / 3) * 3 + 1)
                }),
                "year" => chrono::Datelike::with_ordinal(&day, 1),
                _ => return Err(exec_err(format!("'{unit}' is not a valid DATE field"))),
            }
            .ok_or_else(|| exec_err("date out of range"))?;
            out.push(Some(
                datafusion::arrow::datatypes::Date32Type::from_naive_date(first),
            ));
        }
        let out: ArrayRef = Arc::new(datafusion::arrow::array::Date32Array::from(out));
        finish(
            out,
            args.return_field.data_type(),
            args.args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_))),
        )
    }

    fn output_ordering(
        &self,
        inputs: &[datafusion::logical_expr::sort_properties::ExprProperties],
    ) -> Result<datafusion::logical_expr::sort_properties::SortProperties> {
        self.inner.output_ordering(inputs)
    }
}

/// Replaces DataFusion's functions in `ctx` with their Trino answers.
pub fn register(ctx: &SessionContext) {
    for (name, rule) in [
        ("greatest", Rule::AnyArgument),
        ("least", Rule::AnyArgument),
        ("array_max", Rule::AnyElement),
        ("array_min", Rule::AnyElement),
        ("arrays_overlap", Rule::Overlap),
        ("split_part", Rule::SplitPart),
        ("upper", Rule::Case(Case::Upper)),
        ("lower", Rule::Case(Case::Lower)),
        ("array_position", Rule::Position),
        ("array_join", Rule::Join),
        ("lpad", Rule::Pad),
        ("rpad", Rule::Pad),
    ] {
        if let Ok(inner) = ctx.udf(name) {
            ctx.register_udf(ScalarUDF::new_from_impl(Strict { name, inner, rule }));
        }
    }
    if let Ok(inner) = ctx.udf("date_trunc") {
        ctx.register_udf(ScalarUDF::new_from_impl(DateTrunc {
            inner,
            signature: Signature::user_defined(datafusion::logical_expr::Volatility::Immutable),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_part_is_trinos() {
        let run = |s: &str, d: &str, n: i64| {
            let out = split_part(&[
                Arc::new(StringArray::from(vec![s])),
                Arc::new(StringArray::from(vec![d])),
                Arc::new(datafusion::arrow::array::Int64Array::from(vec![n])),
            ])
            .map(|a| {
                let a = a.as_string::<i32>();
                a.is_valid(0).then(|| a.value(0).to_string())
            });
            match out {
                Ok(v) => Ok(v),
                Err(e) => Err(e.to_string()),
            }
        };
        assert_eq!(run("a,b,", ",", 3), Ok(Some(String::new())));
        assert_eq!(run("a,b,", ",", 4), Ok(None));
        assert_eq!(run("a,,b", ",", 2), Ok(Some(String::new())));
        assert_eq!(run("", ",", 1), Ok(Some(String::new())));
        assert_eq!(run("héllo", "", 2), Ok(Some("é".into())));
        assert_eq!(run("ab", "", 3), Ok(None));
        assert_eq!(run("a::b::c", "::", 3), Ok(Some("c".into())));
        assert!(run("a", ",", 0)
            .unwrap_err()
            .contains("Index must be greater than zero"));
    }
}
