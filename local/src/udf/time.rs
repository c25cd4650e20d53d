//! Trino's date and time functions as CloudTrail Lake documents them: fields of a timestamp
//! (`year`, `day_of_week`, ...), `date`, ISO 8601 and Unix time conversions, MySQL-style
//! (`date_format`, `date_parse`) and Joda-style (`format_datetime`, `parse_datetime`) patterns.
//! A timestamp without a zone is a UTC time, as every CloudTrail time is; one with a zone is read
//! on its zone's clocks (`super::zone::wall_clocks`). `CAST(x AS varchar)`'s target
//! ([`VARCHAR`]) lives here too, for its timestamps and dates (and writes doubles and reals as
//! Trino does).

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Float64Array, Int64Array, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

use crate::clock::Clock;

use super::func::{
    returns_date, returns_f64, returns_int64, returns_timestamp, returns_utf8, Func,
};
use super::{exec_err, millis, strings};

/// What `CAST(x AS varchar)` is rewritten to (see `varchar`).
pub const VARCHAR: &str = "trino_varchar";

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    let mut out = vec![
        Func::new("year", 1..=1, returns_int64, field::<YEAR>).udf(),
        Func::new("quarter", 1..=1, returns_int64, field::<QUARTER>).udf(),
        Func::new("month", 1..=1, returns_int64, field::<MONTH>).udf(),
        Func::new("day", 1..=1, returns_int64, field::<DAY>)
            .alias(&["day_of_month"])
            .udf(),
        Func::new("day_of_week", 1..=1, returns_int64, field::<DAY_OF_WEEK>)
            .alias(&["dow"])
            .udf(),
        Func::new("day_of_year", 1..=1, returns_int64, field::<DAY_OF_YEAR>)
            .alias(&["doy"])
            .udf(),
        Func::new("week", 1..=1, returns_int64, field::<WEEK>)
            .alias(&["week_of_year"])
            .udf(),
        Func::new("year_of_week", 1..=1, returns_int64, field::<YEAR_OF_WEEK>)
            .alias(&["yow"])
            .udf(),
        Func::new("hour", 1..=1, returns_int64, field::<HOUR>).udf(),
        Func::new("minute", 1..=1, returns_int64, field::<MINUTE>).udf(),
        Func::new("second", 1..=1, returns_int64, field::<SECOND>).udf(),
        Func::new("millisecond", 1..=1, returns_int64, field::<MILLISECOND>).udf(),
        Func::new("date", 1..=1, returns_date, date).udf(),
        Func::new("last_day_of_month", 1..=1, returns_date, last_day_of_month).udf(),
        Func::new("to_iso8601", 1..=1, returns_utf8, to_iso8601).udf(),
        Func::new(VARCHAR, 1..=1, returns_utf8, varchar).udf(),
        Func::new("from_iso8601_date", 1..=1, returns_date, from_iso8601_date).udf(),
        Func::new("to_unixtime", 1..=1, returns_f64, to_unixtime).udf(),
        Func::new("date_format", 2..=2, returns_utf8, date_format).udf(),
        Func::new("date_parse", 2..=2, returns_timestamp, date_parse).udf(),
        Func::new("format_datetime", 2..=2, returns_utf8, format_datetime).udf(),
        Func::new("current_timezone", 0..=0, returns_utf8, |_| {
            Ok(Arc::new(StringArray::from(vec!["UTC"])))
        })
        .udf(),
    ];
    out.extend(super::zone::ZonedResult::udfs(
        "parse_datetime",
        2,
        parse_datetime,
    ));
    out
}

/// `now()` (also `current_timestamp`), `localtimestamp`, `current_date`, `current_time` and
/// `localtime` on the service clock, which runs on the loaded events' time: one instant for the
/// whole query, as in Trino. `now()` is a `timestamp(3) with time zone` in Lake's session zone,
/// UTC; `localtimestamp` the same wall clock without the zone; `current_time` and `localtime`
/// its time of day to the millisecond (a `time`: the service has no time type with a zone).
#[derive(Debug)]
pub struct Now {
    clock: Clock,
    kind: NowKind,
    signature: Signature,
    aliases: Vec<String>,
}

/// What a [`Now`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NowKind {
    /// `now()`, `current_timestamp`.
    Zoned,
    /// `localtimestamp`.
    Local,
    /// `current_date`.
    Date,
    /// `current_time`, `localtime`.
    Time,
}

impl Now {
    /// `now`, `localtimestamp`, `current_date` and `current_time` on `clock`.
    pub fn udfs(clock: &Clock) -> [ScalarUDF; 4] {
        let make = |kind: NowKind, aliases: &[&str]| {
            ScalarUDF::new_from_impl(Self {
                clock: clock.clone(),
                kind,
                signature: Signature::nullary(Volatility::Stable),
                aliases: aliases.iter().map(|a| (*a).to_string()).collect(),
            })
        };
        [
            make(NowKind::Zoned, &["current_timestamp"]),
            make(NowKind::Local, &[]),
            make(NowKind::Date, &[]),
            make(NowKind::Time, &["localtime"]),
        ]
    }

    /// The value at clock reading `ms`.
    fn value(&self, ms: i64) -> ScalarValue {
        match self.kind {
            NowKind::Date => {
                let d = DateTime::from_timestamp_millis(ms).map(|t| t.date_naive());
                ScalarValue::Date32(d.and_then(|d| days(d).ok()))
            }
            NowKind::Zoned => ScalarValue::TimestampMillisecond(Some(ms), Some("UTC".into())),
            NowKind::Local => ScalarValue::TimestampMillisecond(Some(ms), None),
            NowKind::Time => {
                ScalarValue::Time64Nanosecond(ms.rem_euclid(86_400_000).checked_mul(1_000_000))
            }
        }
    }
}

// One service has one clock: functions are told apart by what they return.
impl PartialEq for Now {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for Now {}

impl std::hash::Hash for Now {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl ScalarUDFImpl for Now {
    fn name(&self) -> &str {
        match self.kind {
            NowKind::Zoned => "now",
            NowKind::Local => "localtimestamp",
            NowKind::Date => "current_date",
            NowKind::Time => "current_time",
        }
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.value(0).data_type())
    }

    fn simplify(&self, _: Vec<Expr>, ctx: &SimplifyContext) -> Result<ExprSimplifyResult> {
        // The query's instant, or the clock at the query's start, which DataFusion fixes once
        // per query: every row and every use (`now()` and `current_timestamp` alike) sees one
        // instant. Reading the clock at each use let two uses straddle a millisecond.
        let ms = crate::clock::QueryInstant::of(ctx.config_options()).unwrap_or_else(|| {
            ctx.query_execution_start_time()
                .map_or_else(|| self.clock.now_ms(), |t| self.clock.at_ms(t))
        });
        Ok(ExprSimplifyResult::Simplified(Expr::Literal(
            self.value(ms),
            None,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Evaluated as the query runs when it was not simplified first: the query's instant
        // still, so that it agrees with any use that was.
        let ms = crate::clock::QueryInstant::of(&args.config_options)
            .unwrap_or_else(|| self.clock.now_ms());
        Ok(ColumnarValue::Scalar(self.value(ms)))
    }
}

const YEAR: u8 = 0;
const QUARTER: u8 = 1;
const MONTH: u8 = 2;
const DAY: u8 = 3;
const DAY_OF_WEEK: u8 = 4;
const DAY_OF_YEAR: u8 = 5;
const WEEK: u8 = 6;
const YEAR_OF_WEEK: u8 = 7;
const HOUR: u8 = 8;
const MINUTE: u8 = 9;
const SECOND: u8 = 10;
const MILLISECOND: u8 = 11;

/// Field `P` of each timestamp (or date): ISO weeks and weekdays (Monday = 1), as Trino, read on
/// the clocks of a timestamp's zone (`hour(at_timezone(t, 'America/New_York'))` is New York's);
/// of a time (`hour(localtime)`), its hour, minute, second or millisecond.
fn field<const P: u8>(args: &[ArrayRef]) -> Result<ArrayRef> {
    if let DataType::Time32(_) | DataType::Time64(_) = args[0].data_type() {
        if P < HOUR {
            return Err(exec_err("a time of day has no date fields"));
        }
        let out: Int64Array = super::time_of_day_ms(&args[0])?.unary(|ms| match P {
            HOUR => ms / 3_600_000,
            MINUTE => ms / 60_000 % 60,
            SECOND => ms / 1000 % 60,
            _ => ms % 1000,
        });
        return Ok(Arc::new(out));
    }
    let out: Int64Array = super::zone::wall_clocks(&args[0])?
        .into_iter()
        .map(|v| {
            v.map(|d| {
                i64::from(match P {
                    YEAR => d.year(),
                    QUARTER => i32::try_from(d.month0() / 3 + 1).unwrap_or(0),
                    MONTH => i32::try_from(d.month()).unwrap_or(0),
                    DAY => i32::try_from(d.day()).unwrap_or(0),
                    DAY_OF_WEEK => i32::try_from(d.weekday().number_from_monday()).unwrap_or(0),
                    DAY_OF_YEAR => i32::try_from(d.ordinal()).unwrap_or(0),
                    WEEK => i32::try_from(d.iso_week().week()).unwrap_or(0),
                    YEAR_OF_WEEK => d.iso_week().year(),
                    HOUR => i32::try_from(d.hour()).unwrap_or(0),
                    MINUTE => i32::try_from(d.minute()).unwrap_or(0),
                    SECOND => i32::try_from(d.second()).unwrap_or(0),
                    _ => i32::try_from(d.timestamp_subsec_millis()).unwrap_or(0),
                })
            })
        })
        .collect();
    Ok(Arc::new(out))
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date");

fn days(d: NaiveDate) -> Result<i32> {
    i32::try_from(d.signed_duration_since(EPOCH).num_days())
        .map_err(|_| exec_err("date out of range"))
}

/// Each value's date: a timestamp's day on its zone's clocks (UTC's without a zone), or a
/// `YYYY-MM-DD` text.
fn dates(a: &ArrayRef) -> Result<Vec<Option<NaiveDate>>> {
    if matches!(
        a.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        return strings(a)?
            .iter()
            .map(|v| {
                v.map(|s| {
                    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                        .map_err(|_| exec_err(format!("Value cannot be cast to date: {s}")))
                })
                .transpose()
            })
            .collect();
    }
    Ok(super::zone::wall_clocks(a)?
        .into_iter()
        .map(|v| v.map(|d| d.date_naive()))
        .collect())
}

fn date_array(d: Vec<Option<NaiveDate>>) -> Result<ArrayRef> {
    let days = d
        .into_iter()
        .map(|d| d.map(days).transpose())
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(Date32Array::from(days)))
}

/// `date(x)`: `CAST(x AS date)`.
fn date(args: &[ArrayRef]) -> Result<ArrayRef> {
    date_array(dates(&args[0])?)
}

fn last_day_of_month(args: &[ArrayRef]) -> Result<ArrayRef> {
    let last = dates(&args[0])?
        .into_iter()
        .map(|d| {
            d.and_then(|d| {
                let (y, m) = if d.month() == 12 {
                    (d.year().checked_add(1)?, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
            })
        })
        .collect();
    date_array(last)
}

/// Dates and timestamps as text: a date as `2023-07-10`, a timestamp with the `timestamp`
/// pattern on its zone's clocks, followed (when `offset`, for one with a time zone) by the
/// zone's offset then, as ISO 8601 writes it (`-04:00`, `Z` for UTC's).
fn time_text(a: &ArrayRef, timestamp: &str, offset: bool) -> Result<ArrayRef> {
    let out: Vec<Option<String>> = match a.data_type() {
        DataType::Date32 | DataType::Date64 => dates(a)?
            .into_iter()
            .map(|d| d.map(|d| d.format("%Y-%m-%d").to_string()))
            .collect(),
        dt => {
            let zoned = offset && matches!(dt, DataType::Timestamp(_, Some(_)));
            super::zone::wall_clocks(a)?
                .into_iter()
                .map(|v| {
                    v.map(|d| {
                        let mut text = d.format(timestamp).to_string();
                        if zoned {
                            match d.offset().local_minus_utc() {
                                0 => text.push('Z'),
                                o => text.push_str(&super::zone::offset_text(o, true)),
                            }
                        }
                        text
                    })
                })
                .collect()
        }
    };
    Ok(Arc::new(StringArray::from(out)))
}

/// `CAST(x AS varchar)` as Trino writes it: a timestamp as `2023-07-10 11:42:18.000` (its zone
/// after one with a time zone), a date as `2023-07-10`, a double or real in Java's scientific
/// notation (`1.0E0`), anything else as DataFusion casts it.
pub(super) fn varchar(args: &[ArrayRef]) -> Result<ArrayRef> {
    let a = super::first_arg(args)?;
    match a.data_type() {
        DataType::Float64 => Ok(Arc::new(
            a.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .iter()
                .map(|v| v.map(super::java_format::double_cast_text))
                .collect::<StringArray>(),
        )),
        DataType::Float32 => Ok(Arc::new(
            a.as_primitive::<datafusion::arrow::datatypes::Float32Type>()
                .iter()
                .map(|v| v.map(super::java_format::real_cast_text))
                .collect::<StringArray>(),
        )),
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, None) => {
            time_text(a, "%Y-%m-%d %H:%M:%S%.3f", false)
        }
        // Intervals as Lake prints them (`D HH:MM:SS.mmm`, `Y-M`), a timestamp with a time zone
        // as its zone's wall clock and the zone.
        DataType::Interval(_) | DataType::Duration(_) | DataType::Timestamp(_, Some(_)) => {
            Ok(Arc::new(
                (0..a.len())
                    .map(|r| {
                        if a.is_null(r) {
                            Ok(None)
                        } else {
                            crate::format::value_text(a, r).map(Some)
                        }
                    })
                    .collect::<Result<StringArray>>()?,
            ))
        }
        _ => Ok(cast(a, &DataType::Utf8)?),
    }
}

/// A timestamp as `2023-07-10T11:42:18.000` (on its zone's clocks and with the zone's offset,
/// `2023-07-10T07:42:18.000-04:00`, for one with a zone), a date as `2023-07-10`.
fn to_iso8601(args: &[ArrayRef]) -> Result<ArrayRef> {
    time_text(&args[0], "%Y-%m-%dT%H:%M:%S%.3f", true)
}

/// `2020-05-11`, `2020-W10`, `2020-W10-3` or `2020-123`.
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Some((y, w)) = s.split_once("-W") {
        let (w, day) = w.split_once('-').unwrap_or((w, "1"));
        let weekday = match day.parse::<u32>().ok()? {
            1 => chrono::Weekday::Mon,
            2 => chrono::Weekday::Tue,
            3 => chrono::Weekday::Wed,
            4 => chrono::Weekday::Thu,
            5 => chrono::Weekday::Fri,
            6 => chrono::Weekday::Sat,
            7 => chrono::Weekday::Sun,
            _ => return None,
        };
        return NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, weekday);
    }
    let (y, doy) = s.split_once('-')?;
    (doy.len() == 3)
        .then(|| NaiveDate::from_yo_opt(y.parse().ok()?, doy.parse().ok()?))
        .flatten()
}

fn from_iso8601_date(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = strings(&args[0])?
        .iter()
        .map(|v| {
            v.map(|s| {
                parse_iso_date(s)
                    .ok_or_else(|| exec_err(format!("Invalid format: \"{s}\" is malformed")))
            })
            .transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    date_array(out)
}

/// Seconds since the epoch, with the milliseconds as a fraction.
fn to_unixtime(args: &[ArrayRef]) -> Result<ArrayRef> {
    #[allow(clippy::cast_precision_loss)] // milliseconds of any real time fit a double exactly
    let out: Float64Array = millis(&args[0])?
        .iter()
        .map(|v| v.map(|ms| ms as f64 / 1000.0))
        .collect();
    Ok(Arc::new(out))
}

/// `from_unixtime(x)`'s instants: seconds since the epoch (a fraction allowed) to milliseconds.
pub(super) fn from_unixtime(args: &[ArrayRef]) -> Result<ArrayRef> {
    let secs = cast(&args[0], &DataType::Float64)?;
    let mut out = Vec::with_capacity(secs.len());
    for v in secs.as_primitive::<Float64Type>() {
        out.push(match v {
            None => None,
            Some(s) => {
                // Halves round up, as Java's Math.round does in Trino.
                let ms = (s * 1000.0 + 0.5).floor();
                // Within what a timestamp can hold, or an error (never a wrapped number).
                #[allow(clippy::cast_possible_truncation)]
                let ms = (ms.is_finite() && ms.abs() < 8.0e15)
                    .then_some(ms as i64)
                    .filter(|ms| DateTime::from_timestamp_millis(*ms).is_some())
                    .ok_or_else(|| exec_err(format!("from_unixtime: {s} is out of range")))?;
                Some(ms)
            }
        });
    }
    Ok(Arc::new(TimestampMillisecondArray::from(out)))
}

/// Applies `f(time, zone, pattern)` to each row, NULL in, NULL out: the time on the clocks of
/// its zone (UTC's for a timestamp without one), which `f` may name.
fn with_pattern(
    args: &[ArrayRef],
    f: impl Fn(&DateTime<FixedOffset>, &str, &str) -> Result<String>,
) -> Result<ArrayRef> {
    let zone = super::zone::zone_of(args[0].data_type()).to_string();
    let t = super::zone::wall_clocks(&args[0])?;
    let p = strings(&args[1])?;
    let mut out = Vec::with_capacity(t.len());
    for (i, t) in t.iter().enumerate() {
        match t {
            Some(t) if !p.is_null(i) => out.push(Some(f(t, &zone, p.value(i))?)),
            _ => out.push(None),
        }
    }
    Ok(Arc::new(StringArray::from(out)))
}

/// Parses each row's text with `f(text, pattern)` into a timestamp.
fn parse_with(args: &[ArrayRef], f: impl Fn(&str, &str) -> Result<i64>) -> Result<ArrayRef> {
    let s = strings(&args[0])?;
    let p = strings(&args[1])?;
    let mut out = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        if s.is_null(i) || p.is_null(i) {
            out.push(None);
            continue;
        }
        out.push(Some(f(s.value(i), p.value(i))?));
    }
    Ok(Arc::new(TimestampMillisecondArray::from(out)))
}

fn date_format(args: &[ArrayRef]) -> Result<ArrayRef> {
    with_pattern(args, |t, _, p| mysql_format(t, p))
}

fn date_parse(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_with(args, |s, p| parse_chrono(s, &mysql_to_chrono(p)?))
}

fn format_datetime(args: &[ArrayRef]) -> Result<ArrayRef> {
    with_pattern(args, joda_format)
}

fn parse_datetime(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_with(args, |s, p| parse_chrono(s, &joda_to_chrono(p)?))
}

fn unsupported(spec: char) -> datafusion::error::DataFusionError {
    exec_err(format!("%{spec} not supported in date format string"))
}

/// Formats `t` with a MySQL pattern as Trino's `date_format` does.
pub fn mysql_format(t: &DateTime<FixedOffset>, pattern: &str) -> Result<String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let hour12 = |h: u32| if h.is_multiple_of(12) { 12 } else { h % 12 };
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else { break };
        // Writing to a String cannot fail.
        let _ = match spec {
            'a' => write!(out, "{}", t.format("%a")),
            'b' => write!(out, "{}", t.format("%b")),
            'c' => write!(out, "{}", t.month()),
            'd' => write!(out, "{:02}", t.day()),
            'e' => write!(out, "{}", t.day()),
            'f' => write!(out, "{:06}", t.timestamp_subsec_millis() * 1000),
            'H' => write!(out, "{:02}", t.hour()),
            'h' | 'I' => write!(out, "{:02}", hour12(t.hour())),
            'i' => write!(out, "{:02}", t.minute()),
            'j' => write!(out, "{:03}", t.ordinal()),
            'k' => write!(out, "{}", t.hour()),
            'l' => write!(out, "{}", hour12(t.hour())),
            'M' => write!(out, "{}", t.format("%B")),
            'm' => write!(out, "{:02}", t.month()),
            'p' => write!(out, "{}", if t.hour() < 12 { "AM" } else { "PM" }),
            'r' => write!(
                out,
                "{:02}:{:02}:{:02} {}",
                hour12(t.hour()),
                t.minute(),
                t.second(),
                if t.hour() < 12 { "AM" } else { "PM" }
            ),
            'S' | 's' => write!(out, "{:02}", t.second()),
            'T' => write!(out, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
            'v' => write!(out, "{:02}", t.iso_week().week()),
            'W' => write!(out, "{}", t.format("%A")),
            'x' => write!(out, "{:04}", t.iso_week().year()),
            'Y' => write!(out, "{:04}", t.year()),
            'y' => write!(out, "{:02}", t.year().rem_euclid(100)),
            'D' | 'U' | 'u' | 'V' | 'w' | 'X' => return Err(unsupported(spec)),
            other => {
                out.push(other);
                Ok(())
            }
        };
    }
    Ok(out)
}

/// The chrono pattern that parses what a MySQL pattern describes.
fn mysql_to_chrono(pattern: &str) -> Result<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else { break };
        out.push_str(match spec {
            'a' => "%a",
            'b' => "%b",
            'c' | 'm' => "%m",
            'd' | 'e' => "%d",
            'f' => "%.f",
            'H' | 'k' => "%H",
            'h' | 'I' | 'l' => "%I",
            'i' => "%M",
            'j' => "%j",
            'M' => "%B",
            'p' => "%p",
            'r' => "%I:%M:%S %p",
            'S' | 's' => "%S",
            'T' => "%H:%M:%S",
            'W' => "%A",
            'Y' => "%Y",
            'y' => "%y",
            '%' => "%%",
            other => return Err(unsupported(other)),
        });
    }
    Ok(out)
}

/// Parses `s` with a chrono pattern: a zoned time (converted to UTC), a date and time, or, when
/// the pattern names no time of day, a date alone (midnight). A pattern whose time fields do
/// not make a time (an hour without AM/PM, say) is an error, never a silent midnight.
fn parse_chrono(s: &str, pattern: &str) -> Result<i64> {
    // `%.f` in a pattern converted from `%f` wants its own dot: the MySQL one is literal.
    let pattern = pattern.replace(".%.f", "%.f");
    if let Ok(t) = DateTime::parse_from_str(s, &pattern) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, &pattern) {
        return Ok(t.and_utc().timestamp_millis());
    }
    let has_time = ["%H", "%I", "%M", "%S", "%p", "%f", "%z"]
        .iter()
        .any(|spec| pattern.contains(spec));
    if !has_time {
        if let Some(t) = NaiveDate::parse_from_str(s, &pattern)
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
        {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(exec_err(format!(
        "Invalid format: \"{s}\" for pattern '{pattern}'"
    )))
}

/// A Joda pattern's runs: a letter repeated `n` times, or literal text.
enum Joda {
    Letter(char, usize),
    Text(String),
}

fn joda_runs(pattern: &str) -> Result<Vec<Joda>> {
    let mut runs = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => {
                        return Err(exec_err(format!(
                            "Unterminated quote in pattern '{pattern}'"
                        )))
                    }
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        text.push('\'');
                    }
                    Some('\'') => break,
                    Some(t) => text.push(t),
                }
            }
            if text.is_empty() {
                text.push('\'');
            }
            runs.push(Joda::Text(text));
        } else if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                n += 1;
            }
            runs.push(Joda::Letter(c, n));
        } else {
            runs.push(Joda::Text(c.to_string()));
        }
    }
    Ok(runs)
}

fn joda_unsupported(c: char, pattern: &str) -> datafusion::error::DataFusionError {
    exec_err(format!("Illegal pattern component: {c} in '{pattern}'"))
}

/// The longest run of one letter a Joda pattern may have (`yyyy` is 4).
const MAX_JODA_WIDTH: usize = 32;

/// Formats `t` (a wall clock of `zone`) with a Joda pattern as Trino's `format_datetime` does.
pub fn joda_format(t: &DateTime<FixedOffset>, zone: &str, pattern: &str) -> Result<String> {
    let mut out = String::new();
    for run in joda_runs(pattern)? {
        let (c, n) = match run {
            Joda::Text(s) => {
                out.push_str(&s);
                continue;
            }
            Joda::Letter(c, n) => (c, n),
        };
        // A run's length is a field width: a user-supplied pattern cannot ask for megabytes.
        if n > MAX_JODA_WIDTH {
            return Err(exec_err(format!(
                "Pattern component {c} is longer than {MAX_JODA_WIDTH} letters in '{pattern}'"
            )));
        }
        let num = |v: i64| format!("{v:0n$}");
        let piece = match c {
            'y' | 'Y' if n == 2 => format!("{:02}", t.year().rem_euclid(100)),
            'y' | 'Y' => num(i64::from(t.year())),
            'x' if n == 2 => format!("{:02}", t.iso_week().year().rem_euclid(100)),
            'x' => num(i64::from(t.iso_week().year())),
            'w' => num(i64::from(t.iso_week().week())),
            'e' => num(i64::from(t.weekday().number_from_monday())),
            'E' if n >= 4 => t.format("%A").to_string(),
            'E' => t.format("%a").to_string(),
            'D' => num(i64::from(t.ordinal())),
            'M' if n >= 4 => t.format("%B").to_string(),
            'M' if n == 3 => t.format("%b").to_string(),
            'M' => num(i64::from(t.month())),
            'd' => num(i64::from(t.day())),
            'a' => (if t.hour() < 12 { "AM" } else { "PM" }).to_string(),
            'K' => num(i64::from(t.hour() % 12)),
            'h' => num(i64::from(if t.hour().is_multiple_of(12) {
                12
            } else {
                t.hour() % 12
            })),
            'H' => num(i64::from(t.hour())),
            'k' => num(i64::from(if t.hour() == 0 { 24 } else { t.hour() })),
            'm' => num(i64::from(t.minute())),
            's' => num(i64::from(t.second())),
            'S' => {
                // A fraction of the second to n digits (milliseconds, then zeros).
                let ms = format!("{:03}", t.timestamp_subsec_millis());
                let mut f: String = ms.chars().chain(std::iter::repeat('0')).take(n).collect();
                f.truncate(n);
                f
            }
            // Joda's offset (`-0400`, `-04:00`) or, from three letters, the zone's id.
            'Z' if n <= 2 => super::zone::offset_text(t.offset().local_minus_utc(), n == 2),
            'Z' => zone.to_string(),
            // Joda's long names come from the JDK's locale data; UTC's is the one kept here,
            // another zone is named by its id.
            'z' if n >= 4 && zone == "UTC" => "Coordinated Universal Time".to_string(),
            'z' if n >= 4 => zone.to_string(),
            'z' => super::zone::short_name(zone, t),
            'G' => "AD".to_string(),
            other => return Err(joda_unsupported(other, pattern)),
        };
        out.push_str(&piece);
    }
    Ok(out)
}

/// The chrono pattern that parses what a Joda pattern describes.
pub(super) fn joda_to_chrono(pattern: &str) -> Result<String> {
    let mut out = String::new();
    for run in joda_runs(pattern)? {
        match run {
            Joda::Text(s) => out.push_str(&s.replace('%', "%%")),
            Joda::Letter(c, n) => out.push_str(match (c, n) {
                ('y' | 'Y', 2) => "%y",
                ('y' | 'Y', _) => "%Y",
                ('M', 1 | 2) => "%m",
                ('M', 3) => "%b",
                ('M', _) => "%B",
                ('d', _) => "%d",
                ('D', _) => "%j",
                ('E', 1..=3) => "%a",
                ('E', _) => "%A",
                ('a', _) => "%p",
                ('H', _) => "%H",
                ('h', _) => "%I",
                ('m', _) => "%M",
                ('s', _) => "%S",
                ('S', 3) => "%3f",
                ('S', _) => "%f",
                ('Z', _) => "%z",
                (other, _) => return Err(joda_unsupported(other, pattern)),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn patterns_round_trip() {
        let t = at("2024-02-29T13:05:09.042Z");
        let p = "%Y-%m-%d %H:%i:%s.%f";
        let text = mysql_format(&t, p).unwrap();
        assert_eq!(text, "2024-02-29 13:05:09.042000");
        assert_eq!(
            parse_chrono(&text, &mysql_to_chrono(p).unwrap()).unwrap(),
            t.timestamp_millis()
        );
        let j = "yyyy-MM-dd'T'HH:mm:ss.SSS";
        let text = joda_format(&t, "UTC", j).unwrap();
        assert_eq!(text, "2024-02-29T13:05:09.042");
        assert_eq!(
            parse_chrono(&text, &joda_to_chrono(j).unwrap()).unwrap(),
            t.timestamp_millis()
        );
        assert!(mysql_format(&t, "%U").is_err());
        assert!(joda_format(&t, "UTC", "q").is_err());
        // Another zone's clocks, offset and names (as Joda writes them for New York in summer).
        let ny = at("2023-07-10T08:37:50.000-04:00");
        assert_eq!(
            joda_format(&ny, "America/New_York", "HH:mm Z ZZ ZZZ z").unwrap(),
            "08:37 -0400 -04:00 America/New_York EDT"
        );
        assert_eq!(mysql_format(&ny, "%H:%i").unwrap(), "08:37");
    }

    #[test]
    fn iso_dates() {
        let d = |s| parse_iso_date(s).map(|d| d.to_string());
        assert_eq!(d("2020-W01-1").as_deref(), Some("2019-12-30"));
        assert_eq!(d("2020-060").as_deref(), Some("2020-02-29"));
        assert_eq!(d("2020-13-01"), None);
    }
}
