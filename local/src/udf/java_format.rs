//! Trino's `format(format, args...)`: Java's `String.format(Locale.ENGLISH, ...)` over the
//! arguments as Trino hands them to Java (integers as `Long`, `double` as `Double`, decimals as
//! `BigDecimal`, text as `String`, dates as `LocalDate`, timestamps as `LocalDateTime`).
//!
//! Supported: `%[index$][flags][width][.precision]conversion` with the conversions `s S b B d
//! o x X e E f g G %% n`, the flags `- # + space 0 , (`, `%<s` (the previous argument) and `%1$s`.
//! A specifier Java refuses fails the query with Trino's text, `Invalid format string: %d
//! (java.util.IllegalFormatConversionException: d != java.lang.Double)`. Java's `%t` dates,
//! `%c`, `%h` and `%a` are refused as not supported here.
//!
//! It also writes Java's `Double.toString` and Trino's `CAST(double|real AS varchar)`
//! (`DecimalFormat` in scientific notation) for other modules.

use std::fmt::Write;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int64Type, TimeUnit,
};
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::exec_err;
use super::func::{returns_utf8, Func};

/// The widest field or longest precision a specifier may ask for: Java would try to allocate
/// it, here a larger one is an error.
const MAX_WIDTH: usize = 100_000;

/// One argument as the Java object Trino passes.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Long(i64),
    Float(f32),
    Double(f64),
    /// Unscaled value and scale.
    Decimal(i128, i8),
    Str(String),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    /// A timestamp with a time zone: its zone's wall clock, the offset then (seconds) and the
    /// zone's name.
    Zoned(NaiveDateTime, i32, String),
}

impl Value {
    /// Java's class name, as its exceptions print it.
    fn class(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Long(_) => "java.lang.Long",
            Self::Float(_) => "java.lang.Float",
            Self::Double(_) => "java.lang.Double",
            Self::Decimal(..) => "java.math.BigDecimal",
            Self::Str(_) => "java.lang.String",
            Self::Bool(_) => "java.lang.Boolean",
            Self::Date(_) => "java.time.LocalDate",
            Self::Timestamp(_) => "java.time.LocalDateTime",
            Self::Zoned(..) => "java.time.ZonedDateTime",
        }
    }

    /// `String.valueOf(value)`.
    fn java_string(&self) -> String {
        match self {
            Self::Null => "null".into(),
            Self::Long(v) => v.to_string(),
            Self::Double(v) => double_to_string(*v),
            Self::Float(v) => float_to_string(*v),
            Self::Decimal(v, s) => big_decimal_to_string(*v, *s),
            Self::Str(s) => s.clone(),
            Self::Bool(b) => b.to_string(),
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Timestamp(t) => local_date_time(t),
            Self::Zoned(t, offset, zone) => zoned_date_time(t, *offset, zone),
        }
    }
}

/// The arguments' values in each row: one column per argument after the format (a timestamp
/// as its count of `units`, in its own unit, with its zone if it has one).
struct Columns {
    columns: Vec<ArrayRef>,
    units: Vec<Option<(TimeUnit, Option<String>)>>,
}

impl Columns {
    fn new(args: &[ArrayRef]) -> Result<Self> {
        let columns = args
            .iter()
            .map(|a| {
                Ok(match a.data_type() {
                    DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32 => cast(a, &DataType::Int64)?,
                    DataType::Float16 => cast(a, &DataType::Float32)?,
                    DataType::Utf8View | DataType::LargeUtf8 => cast(a, &DataType::Utf8)?,
                    DataType::Date64 => cast(a, &DataType::Date32)?,
                    DataType::Timestamp(..) => cast(a, &DataType::Int64)?,
                    DataType::Int64
                    | DataType::Float32
                    | DataType::Float64
                    | DataType::Decimal128(..)
                    | DataType::Utf8
                    | DataType::Boolean
                    | DataType::Date32
                    | DataType::Null => Arc::clone(a),
                    other => {
                        return Err(exec_err(format!(
                            "Type not supported for formatting: {}",
                            crate::trino_type::of(other)
                        )))
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let units = args
            .iter()
            .map(|a| match a.data_type() {
                DataType::Timestamp(unit, zone) => {
                    Some((*unit, zone.as_deref().map(str::to_string)))
                }
                _ => None,
            })
            .collect();
        Ok(Self { columns, units })
    }

    fn value(&self, column: usize, row: usize) -> Result<Value> {
        let Some(a) = self.columns.get(column) else {
            return Ok(Value::Null);
        };
        if a.is_null(row) {
            return Ok(Value::Null);
        }
        if let Some((unit, zone)) = self.units.get(column).and_then(Option::as_ref) {
            // Read in its own unit: a cast to nanoseconds would lose the years past 2262.
            let v = a.as_primitive::<Int64Type>().value(row);
            let t = match unit {
                TimeUnit::Second => DateTime::from_timestamp(v, 0),
                TimeUnit::Millisecond => DateTime::from_timestamp_millis(v),
                TimeUnit::Microsecond => DateTime::from_timestamp_micros(v),
                TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(v)),
            }
            .ok_or_else(|| exec_err("format: timestamp out of range"))?;
            let Some(zone) = zone else {
                return Ok(Value::Timestamp(t.naive_utc()));
            };
            // Java's `ZonedDateTime`, as Trino passes a timestamp with a time zone.
            let tz = super::zone::zone(zone)?;
            let offset = super::zone::wall_clock(Some(&tz), t.timestamp_millis())?
                .offset()
                .local_minus_utc();
            let wall = chrono::FixedOffset::east_opt(offset)
                .and_then(|o| t.naive_utc().checked_add_offset(o))
                .ok_or_else(|| exec_err("format: timestamp out of range"))?;
            return Ok(Value::Zoned(wall, offset, zone.clone()));
        }
        Ok(match a.data_type() {
            DataType::Int64 => Value::Long(a.as_primitive::<Int64Type>().value(row)),
            DataType::Float64 => Value::Double(a.as_primitive::<Float64Type>().value(row)),
            DataType::Float32 => Value::Float(a.as_primitive::<Float32Type>().value(row)),
            DataType::Decimal128(_, s) => {
                Value::Decimal(a.as_primitive::<Decimal128Type>().value(row), *s)
            }
            DataType::Utf8 => Value::Str(a.as_string::<i32>().value(row).to_string()),
            DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
            DataType::Date32 => {
                let days = a.as_primitive::<Date32Type>().value(row);
                Value::Date(
                    NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163))
                        .ok_or_else(|| exec_err("format: date out of range"))?,
                )
            }
            _ => Value::Null,
        })
    }
}

/// `format` as a DataFusion function: the format and at least one argument, as Trino's grammar
/// has it.
pub fn functions() -> Vec<ScalarUDF> {
    vec![Func::new("format", 2..=MAX_ARGUMENTS, returns_utf8, format).udf()]
}

/// The most arguments a call takes (Java takes any number; a statement this long is absurd).
const MAX_ARGUMENTS: usize = 1_000;

/// The longest result of one call, and of one batch of calls, in bytes.
const MAX_OUTPUT: usize = 1 << 20;
const MAX_BATCH_OUTPUT: usize = 256 << 20;

/// A Java exception's text as Trino quotes it: `java.util.` and `Exception` dropped from its
/// class (`IllegalFormatConversion: d != java.lang.Double`).
fn trino_message(e: &str) -> String {
    let Some(rest) = e.strip_prefix("java.util.") else {
        return e.to_string();
    };
    let word = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    match rest[..word].rfind("Exception") {
        Some(at) if at > 0 => format!("{}{}", &rest[..at], &rest[at + "Exception".len()..]),
        _ => e.to_string(),
    }
}

/// `format(format, args...)` over arrays of one length.
fn format(args: &[ArrayRef]) -> Result<ArrayRef> {
    let Some((formats, rest)) = args.split_first() else {
        return Err(exec_err("format needs a format string"));
    };
    let formats = cast(formats, &DataType::Utf8)?;
    let formats = formats.as_string::<i32>();
    let columns = Columns::new(rest)?;
    let mut out = StringBuilder::new();
    let mut total: usize = 0;
    let mut parsed: Option<(String, std::result::Result<Vec<Piece>, String>)> = None;
    let invalid = |format: &str, e: &str| {
        exec_err(format!(
            "Invalid format string: {format} ({})",
            trino_message(e)
        ))
    };
    for row in 0..formats.len() {
        if formats.is_null(row) {
            out.append_null();
            continue;
        }
        let values = (0..rest.len())
            .map(|c| columns.value(c, row))
            .collect::<Result<Vec<_>>>()?;
        let format = formats.value(row);
        // A literal format is the same in every row: parsed once while it repeats.
        if parsed.as_ref().is_none_or(|(text, _)| text != format) {
            parsed = Some((format.to_string(), parse_format(format)));
        }
        let pieces = match parsed.as_ref().map(|(_, pieces)| pieces) {
            Some(Ok(pieces)) => pieces,
            Some(Err(e)) => return Err(invalid(format, e)),
            None => return Err(exec_err("format: no format parsed")),
        };
        let text = render(pieces, &values).map_err(|e| invalid(format, &e))?;
        // Arrow's text column holds at most 2 GiB: a batch's results stay well under it.
        total = total.saturating_add(text.len());
        if text.len() > MAX_OUTPUT || total > MAX_BATCH_OUTPUT {
            return Err(exec_err(format!(
                "format: results longer than {MAX_OUTPUT} bytes a value or \
                 {MAX_BATCH_OUTPUT} bytes a batch are not supported here"
            )));
        }
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

/// One parsed specifier.
#[derive(Debug, Default)]
struct Spec {
    index: Option<usize>,
    previous: bool,
    left: bool,
    alternate: bool,
    plus: bool,
    space: bool,
    zero: bool,
    group: bool,
    paren: bool,
    width: Option<usize>,
    precision: Option<usize>,
    conversion: char,
    text: String,
}

/// A format string's parts: text as written, or a specifier.
enum Piece {
    Text(String),
    Spec(Spec),
}

/// Java's `String.format`; an error is the Java exception's `toString()`.
#[cfg(test)]
fn java_format(format: &str, values: &[Value]) -> std::result::Result<String, String> {
    render(&parse_format(format)?, values)
}

/// A format string's pieces: Java parses (and checks) every specifier before it formats any.
fn parse_format(format: &str) -> std::result::Result<Vec<Piece>, String> {
    let chars: Vec<char> = format.chars().collect();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            let from = i;
            while i < chars.len() && chars[i] != '%' {
                i += 1;
            }
            pieces.push(Piece::Text(chars[from..i].iter().collect()));
            continue;
        }
        let (spec, next) = parse(&chars, i)?;
        check(&spec)?;
        pieces.push(Piece::Spec(spec));
        i = next;
    }
    Ok(pieces)
}

/// The parsed format's text for one row's values.
fn render(pieces: &[Piece], values: &[Value]) -> std::result::Result<String, String> {
    let mut out = String::new();
    let (mut ordinary, mut last): (usize, Option<usize>) = (0, None);
    for piece in pieces {
        let spec = match piece {
            Piece::Text(text) => {
                out.push_str(text);
                continue;
            }
            Piece::Spec(spec) => spec,
        };
        match spec.conversion {
            '%' => {
                pad(&mut out, "%", spec);
                continue;
            }
            'n' => {
                out.push('\n');
                continue;
            }
            _ => {}
        }
        let missing = || {
            format!(
                "java.util.MissingFormatArgumentException: Format specifier '{}'",
                spec.text
            )
        };
        let at = if spec.previous {
            last.ok_or_else(missing)?
        } else if let Some(n) = spec.index {
            n.checked_sub(1).ok_or_else(|| {
                format!(
                    "java.util.IllegalFormatArgumentIndexException: Illegal format argument \
                     index = {n}"
                )
            })?
        } else {
            ordinary += 1;
            ordinary - 1
        };
        last = Some(at);
        let value = values.get(at).ok_or_else(missing)?;
        let text = convert(spec, value)?;
        pad(&mut out, &text, spec);
    }
    Ok(out)
}

/// The specifier at `chars[start]` (a `%`), and where the text goes on.
fn parse(chars: &[char], start: usize) -> std::result::Result<(Spec, usize), String> {
    let mut spec = Spec::default();
    let mut i = start + 1;
    let digits = |i: &mut usize| -> std::result::Result<Option<usize>, String> {
        let from = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        if *i == from {
            return Ok(None);
        }
        let text: String = chars[from..*i].iter().collect();
        text.parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_WIDTH)
            .map(Some)
            .ok_or_else(|| format!("a width or precision of {text} is too large here"))
    };
    // An argument index is digits followed by `$`; otherwise the digits are the width.
    let mark = i;
    if let Some(n) = digits(&mut i)? {
        if chars.get(i) == Some(&'$') {
            spec.index = Some(n);
            i += 1;
        } else {
            i = mark;
        }
    }
    loop {
        let flag = match chars.get(i) {
            Some('-') => &mut spec.left,
            Some('#') => &mut spec.alternate,
            Some('+') => &mut spec.plus,
            Some(' ') => &mut spec.space,
            Some('0') => &mut spec.zero,
            Some(',') => &mut spec.group,
            Some('(') => &mut spec.paren,
            Some('<') => &mut spec.previous,
            _ => break,
        };
        if *flag {
            return Err(format!(
                "java.util.DuplicateFormatFlagsException: Flags = '{}'",
                chars[i]
            ));
        }
        *flag = true;
        i += 1;
    }
    spec.width = digits(&mut i)?;
    if chars.get(i) == Some(&'.') {
        i += 1;
        spec.precision = Some(digits(&mut i)?.ok_or_else(|| {
            let rest: String = chars[start..i.min(chars.len())].iter().collect();
            format!("java.util.UnknownFormatConversionException: Conversion = '{rest}'")
        })?);
    }
    let Some(&conversion) = chars.get(i) else {
        let rest: String = chars[start..].iter().collect();
        return Err(format!(
            "java.util.UnknownFormatConversionException: Conversion = '{}'",
            rest.trim_start_matches('%')
        ));
    };
    spec.conversion = conversion;
    spec.text = chars[start..=i].iter().collect();
    if !"sSbBdoxXeEfgG%n".contains(conversion) {
        if "cCtThHaA".contains(conversion) {
            return Err(format!("%{conversion} is not supported here"));
        }
        return Err(format!(
            "java.util.UnknownFormatConversionException: Conversion = '{conversion}'"
        ));
    }
    Ok((spec, i + 1))
}

/// Java's checks of a specifier's flags, width and precision for its conversion, in Java's
/// order (`Formatter.FormatSpecifier`'s `checkGeneral`, `checkInteger`, `checkFloat`).
fn check(spec: &Spec) -> std::result::Result<(), String> {
    let missing_width = || format!("java.util.MissingFormatWidthException: {}", spec.text);
    let bad = |flags: &[(bool, char)]| -> std::result::Result<(), String> {
        match flags.iter().find(|(on, _)| *on) {
            Some((_, flag)) => Err(flag_mismatch(spec, *flag)),
            None => Ok(()),
        }
    };
    let numeric = || -> std::result::Result<(), String> {
        if spec.width.is_none() && (spec.left || spec.zero) {
            return Err(missing_width());
        }
        if spec.plus && spec.space || spec.left && spec.zero {
            return Err(format!(
                "java.util.IllegalFormatFlagsException: Flags = '{}'",
                flags_text(spec)
            ));
        }
        Ok(())
    };
    match spec.conversion.to_ascii_lowercase() {
        's' | 'b' => {
            if spec.conversion.eq_ignore_ascii_case(&'b') && spec.alternate {
                return Err(flag_mismatch(spec, '#'));
            }
            if spec.width.is_none() && spec.left {
                return Err(missing_width());
            }
            bad(&[
                (spec.plus, '+'),
                (spec.space, ' '),
                (spec.zero, '0'),
                (spec.group, ','),
                (spec.paren, '('),
            ])
        }
        'd' | 'o' | 'x' => {
            numeric()?;
            if let Some(p) = spec.precision {
                return Err(format!("java.util.IllegalFormatPrecisionException: {p}"));
            }
            if spec.conversion == 'd' {
                bad(&[(spec.alternate, '#')])
            } else {
                bad(&[(spec.group, ',')])
            }
        }
        'e' => {
            numeric()?;
            bad(&[(spec.group, ',')])
        }
        'f' => numeric(),
        // `%%` takes only `-` (with a width); `%n` nothing.
        '%' => {
            if let Some(p) = spec.precision {
                return Err(format!("java.util.IllegalFormatPrecisionException: {p}"));
            }
            if spec.alternate
                || spec.plus
                || spec.space
                || spec.zero
                || spec.group
                || spec.paren
                || spec.previous
            {
                return Err(format!(
                    "java.util.IllegalFormatFlagsException: Flags = '{}'",
                    flags_text(spec)
                ));
            }
            if spec.left && spec.width.is_none() {
                return Err(missing_width());
            }
            Ok(())
        }
        'n' => {
            if let Some(p) = spec.precision {
                return Err(format!("java.util.IllegalFormatPrecisionException: {p}"));
            }
            if let Some(w) = spec.width {
                return Err(format!("java.util.IllegalFormatWidthException: {w}"));
            }
            if !flags_text(spec).is_empty() {
                return Err(format!(
                    "java.util.IllegalFormatFlagsException: Flags = '{}'",
                    flags_text(spec)
                ));
            }
            Ok(())
        }
        'g' => {
            numeric()?;
            bad(&[(spec.alternate, '#')])
        }
        _ => Ok(()),
    }
}

/// The flags as Java prints them in its exceptions.
fn flags_text(spec: &Spec) -> String {
    let upper = spec.conversion.is_ascii_uppercase();
    [
        (spec.left, '-'),
        (spec.alternate, '#'),
        (spec.plus, '+'),
        (spec.space, ' '),
        (spec.zero, '0'),
        (spec.group, ','),
        (spec.paren, '('),
        (spec.previous, '<'),
        (upper, '^'),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, c)| *c)
    .collect()
}

/// The error for a conversion given a value of the wrong class.
fn mismatch(spec: &Spec, value: &Value) -> String {
    format!(
        "java.util.IllegalFormatConversionException: {} != {}",
        spec.conversion.to_ascii_lowercase(),
        value.class()
    )
}

/// The error for a flag a conversion does not take.
fn flag_mismatch(spec: &Spec, flag: char) -> String {
    format!(
        "java.util.FormatFlagsConversionMismatchException: Conversion = {}, Flags = {flag}",
        spec.conversion.to_ascii_lowercase()
    )
}

/// The value's text for the specifier, before padding to the width.
fn convert(spec: &Spec, value: &Value) -> std::result::Result<String, String> {
    let upper = spec.conversion.is_ascii_uppercase();
    let text = match spec.conversion.to_ascii_lowercase() {
        's' | 'b' => {
            // A String is not Formattable: Java refuses `#` when it prints it.
            if spec.alternate {
                return Err(flag_mismatch(spec, '#'));
            }
            let mut text = if spec.conversion.eq_ignore_ascii_case(&'b') {
                match value {
                    Value::Null => "false".into(),
                    Value::Bool(b) => b.to_string(),
                    _ => "true".into(),
                }
            } else {
                value.java_string()
            };
            if let Some(p) = spec.precision {
                // Java cuts at UTF-16 units; a character that would be split is left out.
                let mut units = 0usize;
                text = text
                    .chars()
                    .take_while(|c| {
                        units = units.saturating_add(c.len_utf16());
                        units <= p
                    })
                    .collect();
            }
            text
        }
        // Java prints a null as `null`, cut to the precision, whatever the conversion.
        _ if matches!(value, Value::Null) => "null"
            .chars()
            .take(spec.precision.unwrap_or(usize::MAX))
            .collect(),
        'd' => {
            let Value::Long(v) = value else {
                return Err(mismatch(spec, value));
            };
            signed(spec, v.unsigned_abs().to_string(), *v < 0)
        }
        'o' | 'x' => {
            let Value::Long(v) = value else {
                return Err(mismatch(spec, value));
            };
            // Java refuses these when it prints a Long in octal or hex.
            for (on, flag) in [(spec.paren, '('), (spec.space, ' '), (spec.plus, '+')] {
                if on {
                    return Err(flag_mismatch(spec, flag));
                }
            }
            // A Long prints as its two's complement bits.
            let bits = u64::from_ne_bytes(v.to_ne_bytes());
            let (digits, prefix) = if spec.conversion == 'o' {
                (format!("{bits:o}"), "0")
            } else {
                (format!("{bits:x}"), "0x")
            };
            let prefix = if spec.alternate { prefix } else { "" };
            match spec.width {
                Some(w) if spec.zero => {
                    let fill = w.saturating_sub(prefix.len() + digits.len());
                    format!("{prefix}{}{digits}", "0".repeat(fill))
                }
                _ => format!("{prefix}{digits}"),
            }
        }
        'e' | 'f' | 'g' => {
            let widened = match value {
                Value::Float(v) => Value::Double(f64::from(*v)),
                other => other.clone(),
            };
            let value = &widened;
            let decimal = match value {
                Value::Double(v) if v.is_nan() => return Ok(case("NaN".into(), upper)),
                Value::Double(v) if v.is_infinite() => {
                    let text = if *v > 0.0 {
                        if spec.plus {
                            "+Infinity"
                        } else if spec.space {
                            " Infinity"
                        } else {
                            "Infinity"
                        }
                    } else if spec.paren {
                        "(Infinity)"
                    } else {
                        "-Infinity"
                    };
                    return Ok(case(text.into(), upper));
                }
                Value::Double(v) => Digits::of_double(*v),
                Value::Decimal(v, s) => Digits::of_decimal(*v, *s),
                _ => return Err(mismatch(spec, value)),
            };
            let precision = spec.precision.unwrap_or(6);
            let mut body = match spec.conversion.to_ascii_lowercase() {
                'f' => decimal.fixed(precision, spec.group),
                'e' => decimal.scientific(precision),
                _ => decimal.general(precision, spec.group),
            };
            // `#` keeps the point when no digit follows it (`1.`, `1.e+00`).
            if spec.alternate && precision == 0 {
                match body.find('e') {
                    Some(at) => body.insert(at, '.'),
                    None if spec.conversion.eq_ignore_ascii_case(&'f') => body.push('.'),
                    None => {}
                }
            }
            signed(spec, body, decimal.negative)
        }
        _ => return Err(mismatch(spec, value)),
    };
    Ok(case(text, upper))
}

fn case(text: String, upper: bool) -> String {
    if upper {
        text.to_uppercase()
    } else {
        text
    }
}

/// A number's `digits` (no sign) with Java's sign flags (`+`, space, `(`), grouping already
/// applied, and zero padding to the width.
fn signed(spec: &Spec, digits: String, negative: bool) -> String {
    let digits = if spec.group && !digits.contains(['e', 'E']) && spec.conversion == 'd' {
        group(&digits)
    } else {
        digits
    };
    let (before, after) = match (negative, spec.paren, spec.plus, spec.space) {
        (true, true, _, _) => ("(", ")"),
        (true, false, _, _) => ("-", ""),
        (false, _, true, _) => ("+", ""),
        (false, _, false, true) => (" ", ""),
        _ => ("", ""),
    };
    match spec.width {
        Some(w) if spec.zero => {
            let used = before.len() + digits.chars().count() + after.len();
            format!(
                "{before}{}{digits}{after}",
                "0".repeat(w.saturating_sub(used))
            )
        }
        _ => format!("{before}{digits}{after}"),
    }
}

/// `1234567` as `1,234,567` (the integer part of a number's text).
fn group(digits: &str) -> String {
    let (int, frac) = digits.split_at(digits.find('.').unwrap_or(digits.len()));
    let n = int.len();
    let mut out = String::with_capacity(n + n / 3 + frac.len());
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// Pads `text` to the specifier's width with spaces (left or right justified).
fn pad(out: &mut String, text: &str, spec: &Spec) {
    // Java counts UTF-16 units.
    let len = text.encode_utf16().count();
    let fill = spec.width.map_or(0, |w| w.saturating_sub(len));
    if spec.left {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

/// A number as decimal digits: `0.d1d2... × 10^exponent`, the sign apart. Java formats a
/// `Double` from its shortest decimal text (`Double.toString`), rounding half up.
#[derive(Debug, Clone)]
struct Digits {
    negative: bool,
    /// Significant digits, no leading zeros (empty for zero).
    digits: Vec<u8>,
    /// The value is 0.digits × 10^exponent.
    exponent: i64,
}

impl Digits {
    fn of_double(v: f64) -> Self {
        // Rust's `{:e}` gives the shortest digits that read back as `v`, as Java's does. Java
        // keeps the sign of -0.0 and of a negative that rounds to zero (`-0.00`).
        let d = Self::of_exponent_text(&format!("{:e}", v.abs()), v.is_sign_negative());
        d.two_digits(v.abs(), |t| t.parse::<f64>().ok() == Some(v.abs()))
    }

    /// A float's shortest digits (Java's `Float.toString` digits).
    fn of_float(v: f32) -> Self {
        let d = Self::of_exponent_text(&format!("{:e}", v.abs()), v.is_sign_negative());
        d.two_digits(f64::from(v.abs()), |t| {
            t.parse::<f32>().ok() == Some(v.abs())
        })
    }

    /// Java writes at least two significant digits: where one would do, the two-digit decimal
    /// nearest the exact binary value when it reads back as the same number (`4.9E-324` for the
    /// least double, where the shortest is `5e-324`), else the digit and a zero.
    fn two_digits(self, magnitude: f64, reads_back: impl Fn(&str) -> bool) -> Self {
        if self.digits.len() != 1 {
            return self;
        }
        // Rust's `{:.1e}` rounds the exact binary value to two significant digits.
        let text = format!("{magnitude:.1e}");
        if !reads_back(&text) {
            return self;
        }
        let two = Self::of_exponent_text(&text, self.negative);
        if two.digits.is_empty() {
            self
        } else {
            two
        }
    }

    /// The digits of Rust's `{:e}` text of a magnitude (`1.005e0`).
    fn of_exponent_text(text: &str, negative: bool) -> Self {
        let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let digits: Vec<u8> = mantissa
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        Self::normalized(negative, digits, exp.saturating_add(1))
    }

    fn of_decimal(v: i128, scale: i8) -> Self {
        let digits: Vec<u8> = v
            .unsigned_abs()
            .to_string()
            .bytes()
            .map(|b| b - b'0')
            .collect();
        let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        Self::normalized(v < 0, digits, len.saturating_sub(i64::from(scale)))
    }

    fn normalized(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Self {
        while digits.first() == Some(&0) {
            digits.remove(0);
            exponent = exponent.saturating_sub(1);
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            exponent = 1;
        }
        Self {
            negative,
            digits,
            exponent,
        }
    }

    /// The digits rounded half up to `keep` significant digits (which may carry into a new
    /// leading digit).
    fn rounded(&self, keep: i64) -> Self {
        let Ok(keep) = usize::try_from(keep) else {
            // Rounding above the first digit's place leaves less than half a unit: zero.
            return Self::normalized(self.negative, Vec::new(), 1);
        };
        if keep >= self.digits.len() {
            return self.clone();
        }
        let mut digits = self.digits[..keep].to_vec();
        let mut exponent = self.exponent;
        if self.digits[keep] >= 5 && super::digits::carry(&mut digits) {
            exponent = exponent.saturating_add(1);
        }
        Self::normalized(self.negative, digits, exponent)
    }

    /// Java's `%f`: `precision` digits after the point.
    fn fixed(&self, precision: usize, group_digits: bool) -> String {
        let p = i64::try_from(precision).unwrap_or(i64::MAX);
        // Digits before the point plus `precision` after.
        let keep = self.exponent.saturating_add(p);
        let r = self.rounded(keep);
        let digit = |i: i64| -> char {
            // The digit at place i (0 = first digit of the integer part when exponent > 0).
            usize::try_from(i)
                .ok()
                .and_then(|i| r.digits.get(i))
                .map_or('0', |d| char::from(b'0' + d))
        };
        let mut int = String::new();
        if r.exponent <= 0 {
            int.push('0');
        } else {
            for i in 0..r.exponent {
                int.push(digit(i));
            }
        }
        let int = if group_digits { group(&int) } else { int };
        if precision == 0 {
            return int;
        }
        let mut frac = String::with_capacity(precision);
        for k in 0..p {
            frac.push(digit(r.exponent.saturating_add(k)));
        }
        format!("{int}.{frac}")
    }

    /// Java's `%e`: one digit, `precision` after the point, `e+NN`.
    fn scientific(&self, precision: usize) -> String {
        let p = i64::try_from(precision).unwrap_or(i64::MAX);
        let r = self.rounded(p.saturating_add(1));
        let exp = if r.digits.is_empty() {
            0
        } else {
            r.exponent.saturating_sub(1)
        };
        let digit = |i: usize| r.digits.get(i).map_or('0', |d| char::from(b'0' + d));
        let mut out = String::new();
        out.push(digit(0));
        if precision > 0 {
            out.push('.');
            for i in 1..=precision {
                out.push(digit(i));
            }
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
        out
    }

    /// Java's `%g`: after rounding to `precision` significant digits (0 taken as 1), fixed
    /// notation for 10^-4 <= x < 10^precision, scientific otherwise; trailing zeros kept.
    fn general(&self, precision: usize, group_digits: bool) -> String {
        let p = precision.max(1);
        let r = self.rounded(i64::try_from(p).unwrap_or(i64::MAX));
        let exp = if r.digits.is_empty() {
            0
        } else {
            r.exponent.saturating_sub(1)
        };
        let p_i = i64::try_from(p).unwrap_or(i64::MAX);
        if r.digits.is_empty() || (-4..p_i).contains(&exp) {
            let after = usize::try_from(p_i.saturating_sub(exp).saturating_sub(1)).unwrap_or(0);
            r.fixed(after, group_digits)
        } else {
            r.scientific(p - 1)
        }
    }
}

/// Java's `Double.toString`: the shortest digits, plain for 10^-3 <= |v| < 10^7 (`1.0`,
/// `0.001`), computerized scientific otherwise (`1.0E7`, `1.234E-5`).
pub fn double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    java_text(&Digits::of_double(v), (1e-3..1e7).contains(&v.abs()))
}

/// Trino's `CAST(double AS varchar)`: Java's `DecimalFormat("0.0###################E0")`, the
/// shortest digits in scientific notation (`1.0E0`, `1.234567895E8`, `1.0E-4`), zero as `0E0`.
pub fn double_cast_text(v: f64) -> String {
    special_cast_text(v).unwrap_or_else(|| java_text(&Digits::of_double(v), false))
}

/// Trino's `CAST(real AS varchar)`: `DecimalFormat("0.0#####E0")` over the double that the
/// float's shortest digits read as, so at most seven significant digits (`1.654321E1`).
/// `DecimalFormat` rounds those digits half even and decides a tie among them by the double's
/// exact value, which comes to rounding the exact value itself, as Rust's `{:.6e}` does.
pub fn real_cast_text(v: f32) -> String {
    special_cast_text(f64::from(v)).unwrap_or_else(|| {
        // Java's `Double.parseDouble(Float.toString(f))`, Java's two-digit rule included.
        let read = java_text(&Digits::of_float(v.abs()), false)
            .parse::<f64>()
            .unwrap_or(f64::from(v.abs()));
        let digits = Digits::of_exponent_text(&format!("{read:.6e}"), v.is_sign_negative());
        java_text(&digits, false)
    })
}

/// Zeros, infinities and NaN, which Trino's casts spell themselves.
fn special_cast_text(v: f64) -> Option<String> {
    Some(
        if v.is_nan() {
            "NaN"
        } else if v == f64::INFINITY {
            "Infinity"
        } else if v == f64::NEG_INFINITY {
            "-Infinity"
        } else if v == 0.0 {
            if v.is_sign_negative() {
                "-0E0"
            } else {
                "0E0"
            }
        } else {
            return None;
        }
        .to_string(),
    )
}

/// Java's `Float.toString`: as `Double.toString`, with a float's shortest digits (`1.1`).
pub fn float_to_string(v: f32) -> String {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return double_to_string(f64::from(v));
    }
    java_text(&Digits::of_float(v), (1e-3..1e7).contains(&v.abs()))
}

/// A number's digits as `Double.toString` writes them: plain (`0.001`, `123.0`) or
/// computerized scientific notation (`1.0E7`).
fn java_text(d: &Digits, plain: bool) -> String {
    let sign = if d.negative { "-" } else { "" };
    let digit = |i: usize| d.digits.get(i).map_or('0', |x| char::from(b'0' + x));
    if plain {
        let mut int = String::new();
        let mut frac = String::new();
        if d.exponent <= 0 {
            int.push('0');
            for _ in 0..d.exponent.unsigned_abs() {
                frac.push('0');
            }
            for i in 0..d.digits.len() {
                frac.push(digit(i));
            }
        } else {
            let e = usize::try_from(d.exponent).unwrap_or(0);
            for i in 0..e {
                int.push(digit(i));
            }
            for i in e..d.digits.len() {
                frac.push(digit(i));
            }
        }
        if frac.is_empty() {
            frac.push('0');
        }
        format!("{sign}{int}.{frac}")
    } else {
        let mut frac: String = (1..d.digits.len()).map(digit).collect();
        if frac.is_empty() {
            frac.push('0');
        }
        format!("{sign}{}.{frac}E{}", digit(0), d.exponent.saturating_sub(1))
    }
}

/// Java's `BigDecimal.toString` of a decimal column's value (scale >= 0): plain unless its
/// adjusted exponent is below -6 (`1E-7`).
fn big_decimal_to_string(v: i128, scale: i8) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let scale = i64::from(scale);
    let adjusted = len.saturating_sub(1).saturating_sub(scale);
    if scale <= 0 {
        let zeros = usize::try_from(-scale).unwrap_or(0);
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        return format!("{sign}{digits}{}", "0".repeat(zeros));
    }
    if adjusted < -6 {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        return format!("{sign}{first}{rest}E{adjusted}");
    }
    let s = usize::try_from(scale).unwrap_or(0);
    if digits.len() > s {
        let (int, frac) = digits.split_at(digits.len() - s);
        format!("{sign}{int}.{frac}")
    } else {
        format!("{sign}0.{}{digits}", "0".repeat(s - digits.len()))
    }
}

/// Java's `LocalDateTime.toString`: `2024-01-02T03:04`, seconds only when not zero and the
/// fraction in threes of digits.
fn local_date_time(t: &NaiveDateTime) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M").to_string();
    let (sec, nano) = (t.second(), t.nanosecond());
    if sec > 0 || nano > 0 {
        let _ = write!(out, ":{sec:02}");
        if nano > 0 {
            if nano % 1_000_000 == 0 {
                let _ = write!(out, ".{:03}", nano / 1_000_000);
            } else if nano % 1_000 == 0 {
                let _ = write!(out, ".{:06}", nano / 1_000);
            } else {
                let _ = write!(out, ".{nano:09}");
            }
        }
    }
    out
}

/// Java's `ZonedDateTime.toString`: the wall clock as `LocalDateTime` writes it, the offset
/// (`Z` for none) and, for a zone with a name, the name in brackets (`...Z[UTC]`,
/// `...+09:00[Asia/Tokyo]`; an offset zone is its offset alone).
fn zoned_date_time(t: &NaiveDateTime, offset: i32, zone: &str) -> String {
    let offset_id = match offset {
        0 => "Z".to_string(),
        o => super::zone::offset_text(o, true),
    };
    let named = !zone.starts_with(['+', '-']);
    let name = if named {
        format!("[{zone}]")
    } else {
        String::new()
    };
    format!("{}{offset_id}{name}", local_date_time(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_to_varchar_write_as_decimal_format() {
        assert_eq!(double_cast_text(1.0), "1.0E0");
        assert_eq!(double_cast_text(123_456_789.5), "1.234567895E8");
        assert_eq!(double_cast_text(-0.0001), "-1.0E-4");
        assert_eq!(double_cast_text(f64::from_bits(1)), "4.9E-324");
        assert_eq!(double_cast_text(1e23), "1.0E23");
        assert_eq!(real_cast_text(16.543_207), "1.654321E1");
        assert_eq!(real_cast_text(f32::from_bits(1)), "1.4E-45");
        // 1234567.5 is exact in a float: a true tie, to the even digit.
        assert_eq!(real_cast_text(1_234_567.5), "1.234568E6");
        assert_eq!(real_cast_text(1_234_568.5), "1.234568E6");
        assert_eq!(double_to_string(f64::from_bits(1)), "4.9E-324");
    }

    fn f(format: &str, values: &[Value]) -> String {
        java_format(format, values).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn numbers_format_as_java_formats_them() {
        use Value::*;
        // Java rounds the shortest decimal text half up: 0.125 -> 0.13, 1.005 -> 1.01.
        assert_eq!(
            f(
                "%.2f|%.2f|%.0f",
                &[Double(0.125), Double(1.005), Double(2.5)]
            ),
            "0.13|1.01|3"
        );
        assert_eq!(
            f(
                "%,d|%05d|%+d|%(d|% d",
                &[Long(1_234_567), Long(-42), Long(7), Long(-3), Long(5)]
            ),
            "1,234,567|-0042|+7|(3)| 5"
        );
        assert_eq!(
            f(
                "%x|%X|%o|%#x|%08x",
                &[Long(255), Long(-1), Long(8), Long(255), Long(255)]
            ),
            "ff|FFFFFFFFFFFFFFFF|10|0xff|000000ff"
        );
        assert_eq!(
            f(
                "%e|%.2E|%g|%g|%g",
                &[
                    Double(12345.678),
                    Double(0.000_123),
                    Double(0.0001),
                    Double(123_456_789.0),
                    Double(0.5)
                ]
            ),
            "1.234568e+04|1.23E-04|0.000100000|1.23457e+08|0.500000"
        );
        assert_eq!(
            f(
                "%,.2f|%.3f|%f",
                &[Double(1_234_567.891), Decimal(12345, 2), Double(-0.0)]
            ),
            "1,234,567.89|123.450|-0.000000"
        );
        assert_eq!(
            f(
                "%s|%s|%s|%s|%s",
                &[
                    Double(1e7),
                    Double(0.001),
                    Double(123.0),
                    Double(1.0e-5),
                    Decimal(1, 7)
                ]
            ),
            "1.0E7|0.001|123.0|1.0E-5|1E-7"
        );
    }

    #[test]
    fn text_and_arguments_format_as_java_formats_them() {
        use Value::*;
        assert_eq!(f("%s-%s %%|%n", &[Str("a".into()), Long(1)]), "a-1 %|\n");
        assert_eq!(
            f(
                "[%5s][%-5s][%.2s][%S]",
                &[
                    Str("ab".into()),
                    Str("ab".into()),
                    Str("abc".into()),
                    Str("x".into())
                ]
            ),
            "[   ab][ab   ][ab][X]"
        );
        assert_eq!(
            f("%2$s %1$s %<s", &[Str("a".into()), Str("b".into())]),
            "b a a"
        );
        assert_eq!(
            f("%b %b %b %s", &[Null, Bool(false), Long(0), Null]),
            "false false true null"
        );
        let t = NaiveDate::from_ymd_opt(2024, 1, 2).and_then(|d| d.and_hms_milli_opt(3, 4, 0, 0));
        let Some(t) = t else { panic!("a valid time") };
        assert_eq!(f("%s", &[Timestamp(t)]), "2024-01-02T03:04");
        assert_eq!(
            f("%d", &[Double(1.5)]),
            "ERR java.util.IllegalFormatConversionException: d != java.lang.Double"
        );
        assert_eq!(
            f("%s %s", &[Long(1)]),
            "ERR java.util.MissingFormatArgumentException: Format specifier '%s'"
        );
        assert_eq!(
            f("%q", &[Long(1)]),
            "ERR java.util.UnknownFormatConversionException: Conversion = 'q'"
        );
        assert!(f("%999999999s", &[Long(1)]).starts_with("ERR"));
    }
}
