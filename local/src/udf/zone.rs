//! Trino's `timestamp with time zone`: an Arrow timestamp whose type names the zone (an IANA
//! name or an offset), so one column has one zone and a zone must be a constant, as it is in
//! practice. Here are its functions (`with_timezone`, `at_timezone`, `timezone_hour`,
//! `timezone_minute`, `timezone`, `from_unixtime` with its zone forms, `from_unixtime_nanos` and
//! `from_iso8601_timestamp_nanos` in UTC, and [`ZonedResult`] for the functions that answer one),
//! the reading of one on its zone's clocks ([`wall_clocks`]) that the field, format and
//! arithmetic functions share, and the analyzer rules that give its casts and interval
//! arithmetic Trino's meaning ([`WallClockCasts`], [`SessionZoneCasts`], [`ElapsedIntervals`]).

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, LocalResult, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::exec_err;
use super::func::{returns_int64, returns_utf8, Func};

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Zoned::new(true)),
        ScalarUDF::new_from_impl(Zoned::new(false)),
        Func::new("timezone_hour", 1..=1, returns_int64, timezone_hour).udf(),
        Func::new("timezone_minute", 1..=1, returns_int64, timezone_minute).udf(),
        Func::new(
            "from_iso8601_timestamp_nanos",
            1..=1,
            returns_nanos,
            from_iso8601_timestamp_nanos,
        )
        .udf(),
        Func::new("timezone", 1..=1, returns_utf8, timezone).udf(),
        ScalarUDF::new_from_impl(FromUnixtime {
            signature: Signature::variadic_any(Volatility::Immutable),
        }),
        Func::new(
            "from_unixtime_nanos",
            1..=1,
            returns_nanos,
            from_unixtime_nanos,
        )
        .udf(),
    ]
}

/// A timestamp of nanoseconds in UTC (Lake's session zone).
fn returns_nanos(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Timestamp(
        TimeUnit::Nanosecond,
        Some("UTC".into()),
    ))
}

/// `timezone(t)`: the zone of a timestamp with a time zone, as its type names it (`Asia/Tokyo`,
/// `+01:00`, `UTC`).
fn timezone(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [t] = args else {
        return Err(exec_err("timezone takes a timestamp with a time zone"));
    };
    let DataType::Timestamp(_, Some(zone)) = t.data_type() else {
        return Err(exec_err(format!(
            "Unexpected parameters ({}) for function timezone: a timestamp with a time zone is \
             expected",
            t.data_type()
        )));
    };
    let out: datafusion::arrow::array::StringArray = (0..t.len())
        .map(|i| (!t.is_null(i)).then(|| zone.to_string()))
        .collect();
    Ok(Arc::new(out))
}

/// `from_unixtime_nanos(n)`: the instant `n` nanoseconds after the epoch, in UTC.
fn from_unixtime_nanos(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [n] = args else {
        return Err(exec_err(
            "from_unixtime_nanos takes a number of nanoseconds",
        ));
    };
    let n = datafusion::arrow::compute::cast(n, &DataType::Int64)?;
    let out = datafusion::arrow::array::TimestampNanosecondArray::from(
        n.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .iter()
            .collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    Ok(Arc::new(out))
}

/// A time zone by name (`America/New_York`, `UTC`) or offset (`+05:30`), or Trino's error.
pub fn zone(name: &str) -> Result<Tz> {
    Tz::from_str(name).map_err(|_| exec_err(format!("Time zone not supported: {name}")))
}

/// `with_timezone(t, zone)`: the wall-clock time `t` in `zone`; `at_timezone(t, zone)`: the
/// instant `t` (UTC when it has no zone) seen in `zone`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Zoned {
    /// `with_timezone` (the wall clock kept) rather than `at_timezone` (the instant kept).
    wall_clock: bool,
    signature: Signature,
}

impl Zoned {
    fn new(wall_clock: bool) -> Self {
        Self {
            wall_clock,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Zoned {
    fn name(&self) -> &str {
        if self.wall_clock {
            "with_timezone"
        } else {
            "at_timezone"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "the type comes from return_field_from_args".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let Some(name) = super::literal_text(args.scalar_arguments.get(1).copied().flatten())
        else {
            return Err(DataFusionError::Plan(format!(
                "{}: the time zone must be a constant string",
                self.name()
            )));
        };
        zone(name)?;
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Timestamp(TimeUnit::Millisecond, Some(name.into())),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Timestamp(_, Some(name)) = args.return_field.data_type() else {
            return Err(exec_err("a timestamp with a time zone is expected"));
        };
        let tz = zone(name)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(t) = arrays.first() else {
            return Err(exec_err(format!(
                "{} takes a timestamp and a zone",
                self.name()
            )));
        };
        // The instant (ms since the epoch, UTC) a timestamp names, whatever its zone.
        let t = super::millis(t)?;
        let out: TimestampMillisecondArray = if self.wall_clock {
            t.iter()
                .map(|v| v.map(|ms| wall_clock_instant(&tz, ms)).transpose())
                .collect::<Result<_>>()?
        } else {
            t.iter().collect()
        };
        Ok(ColumnarValue::Array(Arc::new(
            out.with_timezone(name.clone()),
        )))
    }
}

/// The instant at which the clocks of `tz` show `ms` (a wall-clock time as milliseconds): the
/// earlier of two in a repeated hour, the one an hour on in a skipped hour (as Java's zone rules
/// resolve them).
fn wall_clock_instant(tz: &Tz, ms: i64) -> Result<i64> {
    let naive = DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| exec_err("timestamp out of range"))?
        .naive_utc();
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp_millis()),
        LocalResult::None => {
            // In a gap: the offset before it, so the time moves on by the gap's length. A day
            // earlier (offsets are within 14 hours) is before the gap and after any other change.
            let day_before = ms
                .checked_sub(86_400_000)
                .ok_or_else(|| exec_err("timestamp out of range"))?;
            Ok(ms - utc_offset(tz, day_before)? * 1000)
        }
    }
}

/// The zone a timestamp's type names (`Asia/Tokyo`, `+01:00`), or UTC, Lake's session zone, for
/// a timestamp without one.
pub fn zone_of(t: &DataType) -> &str {
    match t {
        DataType::Timestamp(_, Some(name)) => name,
        _ => "UTC",
    }
}

/// Each timestamp of `a` as the clocks of its zone show it, with the zone's offset at that
/// instant (UTC's for a timestamp without a zone): what Trino's field functions (`hour`,
/// `day_of_week`...), `date`, its casts and its formats read, where the instant alone would give
/// UTC's hour.
pub fn wall_clocks(a: &ArrayRef) -> Result<Vec<Option<DateTime<FixedOffset>>>> {
    let tz = match a.data_type() {
        DataType::Timestamp(_, Some(name)) => Some(zone(name)?),
        _ => None,
    };
    super::millis(a)?
        .iter()
        .map(|v| v.map(|ms| wall_clock(tz.as_ref(), ms)).transpose())
        .collect()
}

/// The instant `ms` (milliseconds since the epoch) as the clocks of `tz` (UTC's when `None`)
/// show it.
pub fn wall_clock(tz: Option<&Tz>, ms: i64) -> Result<DateTime<FixedOffset>> {
    let out_of_range = || exec_err("timestamp out of range");
    let t = match tz {
        None => DateTime::from_timestamp_millis(ms)
            .map(|t| t.fixed_offset())
            .ok_or_else(out_of_range)?,
        Some(tz) => match tz.timestamp_millis_opt(ms) {
            LocalResult::Single(t) => t.fixed_offset(),
            _ => return Err(out_of_range()),
        },
    };
    // The wall clock itself must be a representable time (chrono panics reading one that is
    // not, at the ends of its range).
    t.naive_utc()
        .checked_add_offset(*t.offset())
        .map(|_| t)
        .ok_or_else(out_of_range)
}

/// The instant at which the clocks of `tz` (UTC's when `None`) show `local`, resolved as
/// [`wall_clock_instant`] resolves a repeated or skipped hour.
pub fn instant_of(tz: Option<&Tz>, local: chrono::NaiveDateTime) -> Result<i64> {
    let ms = local.and_utc().timestamp_millis();
    match tz {
        None => Ok(ms),
        Some(tz) => wall_clock_instant(tz, ms),
    }
}

/// The offset written as Joda and ISO 8601 write it: `+01:00` (`+0100` without the colon).
pub fn offset_text(offset_secs: i32, colon: bool) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let m = offset_secs.unsigned_abs() / 60;
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", m / 60, m % 60)
}

/// A zone's short name at the instant a wall clock shows, as Joda's `z` writes it: `EDT` for
/// `America/New_York` in summer, `UTC`, an offset zone as its offset.
pub fn short_name(zone_name: &str, t: &DateTime<FixedOffset>) -> String {
    use chrono_tz::OffsetName as _;
    match chrono_tz::Tz::from_str(zone_name) {
        Ok(tz) => {
            let at = tz.offset_from_utc_datetime(&t.naive_utc());
            at.abbreviation()
                .map_or_else(|| zone_name.to_string(), str::to_string)
        }
        Err(_) => zone_name.to_string(),
    }
}

/// The offset of `tz` from UTC, in seconds, at the instant `ms` (milliseconds since the epoch).
pub fn utc_offset(tz: &Tz, ms: i64) -> Result<i64> {
    let at = DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| exec_err("timestamp out of range"))?
        .naive_utc();
    Ok(i64::from(
        tz.offset_from_utc_datetime(&at).fix().local_minus_utc(),
    ))
}

/// The offset from UTC, in seconds, of each timestamp's zone at its instant (UTC's, 0, without
/// a zone).
fn offsets(args: &[ArrayRef]) -> Result<Vec<Option<i64>>> {
    let [a] = args else {
        return Err(exec_err("takes a timestamp with a time zone"));
    };
    let tz = match a.data_type() {
        DataType::Timestamp(_, Some(name)) => zone(name)?,
        _ => zone("UTC")?,
    };
    super::millis(a)?
        .iter()
        .map(|v| v.map(|ms| utc_offset(&tz, ms)).transpose())
        .collect()
}

/// `timezone_hour(t)`: the hours of the zone's offset (negative west of UTC).
fn timezone_hour(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out: Int64Array = offsets(args)?
        .into_iter()
        .map(|o| o.map(|s| s / 3600))
        .collect();
    Ok(Arc::new(out))
}

/// `timezone_minute(t)`: the minutes of the zone's offset beyond its hours.
fn timezone_minute(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out: Int64Array = offsets(args)?
        .into_iter()
        .map(|o| o.map(|s| s % 3600 / 60))
        .collect();
    Ok(Arc::new(out))
}

/// `from_iso8601_timestamp_nanos(s)`: an ISO 8601 timestamp to the nanosecond, its offset
/// applied (the result is in UTC: one column has one zone here, where Trino keeps each value's);
/// without an offset it is read in UTC, Lake's session zone.
fn from_iso8601_timestamp_nanos(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [s] = args else {
        return Err(exec_err("from_iso8601_timestamp_nanos takes a string"));
    };
    let s = datafusion::arrow::compute::cast(s, &DataType::Utf8)?;
    let mut out = Vec::with_capacity(s.len());
    for v in s.as_string::<i32>() {
        let Some(v) = v else {
            out.push(None);
            continue;
        };
        let parsed = DateTime::parse_from_rfc3339(v)
            .map(|t| t.timestamp_nanos_opt())
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|t| t.and_utc().timestamp_nanos_opt())
            })
            .map_err(|_| exec_err(format!("Invalid format: \"{v}\"")))?;
        out.push(Some(parsed.ok_or_else(|| {
            exec_err(format!("{v} is out of the range of a nanosecond timestamp"))
        })?));
    }
    Ok(Arc::new(
        datafusion::arrow::array::TimestampNanosecondArray::from(out).with_timezone("UTC"),
    ))
}

/// A timestamp with a time zone as the wall clock of its zone, without the zone, in its own
/// unit: what Trino's `CAST(t AS timestamp)` and `CAST(t AS date)` read (the instant in UTC is
/// what Arrow's cast keeps).
#[derive(Debug, PartialEq, Eq, Hash)]
struct WallClock {
    signature: Signature,
}

impl ScalarUDFImpl for WallClock {
    fn name(&self) -> &str {
        "$wall_clock"
    }

    /// Named as its argument: the cast around it keeps the name DataFusion gave it (a GROUP BY
    /// ROLLUP's keys are matched by name).
    fn schema_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        match args {
            [x] => Ok(x.schema_name().to_string()),
            _ => Err(exec_err("$wall_clock takes a timestamp")),
        }
    }

    fn display_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        self.schema_name(args)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [DataType::Timestamp(unit, _)] => Ok(DataType::Timestamp(*unit, None)),
            _ => Err(exec_err("$wall_clock takes a timestamp")),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [t] = arrays.as_slice() else {
            return Err(exec_err("$wall_clock takes a timestamp"));
        };
        let DataType::Timestamp(unit, zone_name) = t.data_type() else {
            return Err(exec_err("$wall_clock takes a timestamp"));
        };
        let per_second: i64 = match unit {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        };
        let tz = zone_name.as_deref().map(zone).transpose()?;
        let instants = super::millis(t)?;
        let values = datafusion::arrow::compute::cast(t, &DataType::Int64)?;
        let values = values.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let out: Int64Array = values
            .iter()
            .zip(instants.iter())
            .map(|(v, ms)| match (v, ms, tz.as_ref()) {
                (Some(v), Some(ms), Some(tz)) => utc_offset(tz, ms)?
                    .checked_mul(per_second)
                    .and_then(|o| v.checked_add(o))
                    .map(Some)
                    .ok_or_else(|| exec_err("timestamp out of range")),
                (v, _, _) => Ok(v),
            })
            .collect::<Result<_>>()?;
        let out = datafusion::arrow::compute::cast(&out, &DataType::Timestamp(*unit, None))?;
        Ok(ColumnarValue::Array(out))
    }
}

/// The analyzer rule, run before DataFusion's type coercion so that it sees only the casts a
/// statement writes, that gives a cast of a timestamp with a time zone to `timestamp` or `date`
/// Trino's meaning: the zone's wall clock (Arrow keeps the UTC instant). The casts coercion adds
/// compare instants, as Trino does, and are left to Arrow. The rule never changes a type (the
/// plan's schemas are already built): a cast to `timestamp(p) with time zone` moves the value to
/// the session's zone, UTC, where Trino would keep its zone, the instant the same.
#[derive(Debug)]
pub struct WallClockCasts;

impl datafusion::optimizer::AnalyzerRule for WallClockCasts {
    fn name(&self) -> &str {
        "trino_wall_clock_casts"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{Expr, ExprSchemable};
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Some((operand, to)) = cast_parts(&e) else {
                return Ok(Transformed::no(e));
            };
            // A type this early may not be known yet (coercion makes it so): no rewrite.
            let Ok(DataType::Timestamp(_, Some(_))) = operand.get_type(schema) else {
                return Ok(Transformed::no(e));
            };
            if !matches!(
                to,
                DataType::Timestamp(_, None) | DataType::Date32 | DataType::Date64
            ) {
                return Ok(Transformed::no(e));
            }
            let wall =
                Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
                    Arc::new(ScalarUDF::new_from_impl(WallClock {
                        signature: Signature::any(1, Volatility::Immutable),
                    })),
                    vec![operand.clone()],
                ));
            Ok(Transformed::yes(recast(&e, wall, to.clone())))
        })
    }
}

/// The analyzer rule, run after type coercion, that reads a value without a zone cast to a
/// timestamp in another zone than UTC (as comparing `eventTime` with `at_timezone(...)` casts
/// it) as a UTC time, Lake's session zone: Arrow would read a timestamp without a zone, a date
/// or a text on the target zone's clocks.
#[derive(Debug)]
pub struct SessionZoneCasts;

impl datafusion::optimizer::AnalyzerRule for SessionZoneCasts {
    fn name(&self) -> &str {
        "trino_session_zone_casts"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{Expr, ExprSchemable};
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Some((operand, to)) = cast_parts(&e) else {
                return Ok(Transformed::no(e));
            };
            let DataType::Timestamp(unit, Some(zone)) = to else {
                return Ok(Transformed::no(e));
            };
            let without_zone = matches!(
                operand.get_type(schema)?,
                DataType::Timestamp(_, None)
                    | DataType::Date32
                    | DataType::Date64
                    | DataType::Utf8
                    | DataType::LargeUtf8
                    | DataType::Utf8View
            );
            if !without_zone || zone.as_ref() == "UTC" {
                return Ok(Transformed::no(e));
            }
            let in_utc = Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(operand.clone()),
                DataType::Timestamp(*unit, Some("UTC".into())),
            ));
            let to = to.clone();
            Ok(Transformed::yes(recast(&e, in_utc, to)))
        })
    }
}

/// The operand and target type of a CAST or TRY_CAST; None for any other expression.
fn cast_parts(
    e: &datafusion::logical_expr::Expr,
) -> Option<(&datafusion::logical_expr::Expr, &DataType)> {
    use datafusion::logical_expr::Expr;
    match e {
        Expr::Cast(c) => Some((c.expr.as_ref(), c.field.data_type())),
        Expr::TryCast(c) => Some((c.expr.as_ref(), c.field.data_type())),
        _ => None,
    }
}

/// `cast` (a CAST or TRY_CAST) of `operand` to `to` instead.
fn recast(
    cast: &datafusion::logical_expr::Expr,
    operand: datafusion::logical_expr::Expr,
    to: DataType,
) -> datafusion::logical_expr::Expr {
    use datafusion::logical_expr::{Cast, Expr, TryCast};
    match cast {
        Expr::TryCast(_) => Expr::TryCast(TryCast::new(Box::new(operand), to)),
        _ => Expr::Cast(Cast::new(Box::new(operand), to)),
    }
}

/// The zone a `timestamp with time zone` literal's text names, as Trino keys it: its offset
/// (`+01:00`), or UTC for `Z` and `+00:00`; `None` for a text with no offset (read in the session
/// zone, UTC) or one that does not parse.
pub fn offset_zone_of_text(text: &str, pattern: Option<&str>) -> Option<String> {
    let parsed = match pattern {
        None => DateTime::parse_from_rfc3339(text.trim()).ok(),
        Some(p) => DateTime::parse_from_str(text, p).ok(),
    }?;
    Some(match parsed.offset().local_minus_utc() {
        0 => "UTC".to_string(),
        o => offset_text(o, true),
    })
}

/// The zone a call of `function` answers in when its text arguments are the constants `args`:
/// the offset written in the text (`from_iso8601_timestamp('...+01:00')`, `parse_datetime('...
/// +0100', '... Z')`), as Trino keeps it. `None` where the text names none (UTC, Lake's
/// session zone, applies).
pub fn constant_zone(function: &str, args: &[&str]) -> Option<String> {
    match (function, args) {
        ("from_iso8601_timestamp", [text]) => offset_zone_of_text(text, None),
        ("parse_datetime", [text, joda]) => {
            let pattern = super::time::joda_to_chrono(joda).ok()?;
            offset_zone_of_text(text, Some(&pattern))
        }
        _ => None,
    }
}

/// The hidden form of a [`ZonedResult`] function `name`, which takes the zone of its answer as
/// one more argument (`crate::sql` writes it for constant arguments, see [`constant_zone`]).
pub fn with_zone_argument(name: &str) -> String {
    format!("${name}")
}

/// A function whose value is a `timestamp(3) with time zone` computed as instants by its
/// `instants`: in UTC, Lake's session zone, or, in its hidden form, in the zone its last
/// argument names. The zone is fixed when the statement is read, never from whether an
/// argument has become a constant since (the optimizer folds some), so a plan's types stay as
/// planned. One column has one zone here, where Trino keeps each value's: a column of texts with
/// differing offsets keeps each instant, shown in UTC.
#[derive(Debug)]
pub struct ZonedResult {
    name: String,
    /// The hidden form, the zone its last argument.
    zone_argument: bool,
    instants: fn(&[ArrayRef]) -> Result<ArrayRef>,
    signature: Signature,
}

impl ZonedResult {
    /// `name` taking `arity` arguments, its instants from `instants`, and its hidden form.
    pub fn udfs(
        name: &str,
        arity: usize,
        instants: fn(&[ArrayRef]) -> Result<ArrayRef>,
    ) -> [ScalarUDF; 2] {
        let make = |zone_argument: bool| {
            ScalarUDF::new_from_impl(Self {
                name: if zone_argument {
                    with_zone_argument(name)
                } else {
                    name.to_string()
                },
                zone_argument,
                instants,
                signature: Signature::any(
                    arity + usize::from(zone_argument),
                    Volatility::Immutable,
                ),
            })
        };
        [make(false), make(true)]
    }
}

impl PartialEq for ZonedResult {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ZonedResult {}

impl std::hash::Hash for ZonedResult {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ZonedResult {
    fn name(&self) -> &str {
        &self.name
    }

    /// The hidden form named as the call written: the public name, without the zone.
    fn schema_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        let shown = args.len().saturating_sub(usize::from(self.zone_argument));
        let args: Vec<String> = args
            .iter()
            .take(shown)
            .map(|a| a.schema_name().to_string())
            .collect();
        let name = self.name.trim_start_matches('$');
        Ok(format!("{name}({})", args.join(",")))
    }

    fn display_name(&self, args: &[datafusion::logical_expr::Expr]) -> Result<String> {
        self.schema_name(args)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "the type comes from return_field_from_args".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let zone = if self.zone_argument {
            match super::literal_text(args.scalar_arguments.last().copied().flatten()) {
                Some(z) => {
                    zone(z)?;
                    z.to_string()
                }
                None => {
                    return Err(DataFusionError::Plan(format!(
                        "{}: the zone must be a constant string",
                        self.name
                    )))
                }
            }
        } else {
            "UTC".to_string()
        };
        Ok(Arc::new(Field::new(
            self.name.as_str(),
            DataType::Timestamp(TimeUnit::Millisecond, Some(zone.into())),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let given = arrays.len().saturating_sub(usize::from(self.zone_argument));
        let instants = (self.instants)(arrays.get(..given).unwrap_or_default())?;
        in_zone_of(&instants, &args)
    }
}

/// `from_unixtime(x)`, `from_unixtime(x, zone)` and `from_unixtime(x, hours, minutes)`: the
/// instant `x` seconds after the epoch as a `timestamp(3) with time zone` in UTC, in `zone`, or
/// at the offset `hours:minutes` (constants, as one column has one zone here).
#[derive(Debug, PartialEq, Eq, Hash)]
struct FromUnixtime {
    signature: Signature,
}

impl ScalarUDFImpl for FromUnixtime {
    fn name(&self) -> &str {
        "from_unixtime"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "the type comes from return_field_from_args".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let constant = |i: usize| args.scalar_arguments.get(i).copied().flatten();
        // A NULL zone, hours or minutes makes every value NULL: any zone will do.
        let zone = if (1..args.arg_fields.len())
            .any(|i| constant(i).is_some_and(ScalarValue::is_null))
        {
            "UTC".to_string()
        } else {
            match args.arg_fields.len() {
                1 => "UTC".to_string(),
                2 => match super::literal_text(constant(1)) {
                    Some(z) => {
                        zone(z)?;
                        z.to_string()
                    }
                    None => {
                        return Err(DataFusionError::Plan(
                            "from_unixtime: the time zone must be a constant string".into(),
                        ))
                    }
                },
                3 => {
                    let whole = |v: Option<&ScalarValue>| -> Option<i64> {
                        match v?.cast_to(&DataType::Int64).ok()? {
                            ScalarValue::Int64(n) => n,
                            _ => None,
                        }
                    };
                    let (Some(h), Some(m)) = (whole(constant(1)), whole(constant(2))) else {
                        return Err(DataFusionError::Plan(
                            "from_unixtime: the hours and minutes must be constant numbers".into(),
                        ));
                    };
                    // Trino's zone keys run from -14:00 to +14:00.
                    let minutes = h.saturating_mul(60).saturating_add(m);
                    let secs = minutes
                        .checked_mul(60)
                        .filter(|s| s.abs() <= 14 * 3600)
                        .and_then(|s| i32::try_from(s).ok())
                        .ok_or_else(|| exec_err(format!("Invalid offset minutes {minutes}")))?;
                    match secs {
                        0 => "UTC".to_string(),
                        s => offset_text(s, true),
                    }
                }
                n => {
                    return Err(DataFusionError::Plan(format!(
                        "from_unixtime takes 1 to 3 arguments, not {n}"
                    )))
                }
            }
        };
        Ok(Arc::new(Field::new(
            "from_unixtime",
            DataType::Timestamp(TimeUnit::Millisecond, Some(zone.into())),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args
            .args
            .iter()
            .skip(1)
            .any(|a| matches!(a, ColumnarValue::Scalar(v) if v.is_null()))
        {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(
                args.return_field.data_type(),
            )?));
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(x) = arrays.first() else {
            return Err(exec_err("from_unixtime takes a number of seconds"));
        };
        let instants = super::time::from_unixtime(std::slice::from_ref(x))?;
        in_zone_of(&instants, &args)
    }
}

/// `instants` (timestamps of UTC instants) in the zone of the call's result type: the same
/// instants, which an Arrow cast would move (it reads a timestamp without a zone on the target
/// zone's clocks).
fn in_zone_of(instants: &ArrayRef, args: &ScalarFunctionArgs) -> Result<ColumnarValue> {
    let DataType::Timestamp(_, Some(zone)) = args.return_field.data_type() else {
        return Err(exec_err("a timestamp with a time zone is expected"));
    };
    Ok(ColumnarValue::Array(Arc::new(
        super::millis(instants)?.with_timezone(zone.clone()),
    )))
}

/// The analyzer rule, run after type coercion, that adds a day-to-second interval to a
/// timestamp with a time zone as elapsed time, as Trino adds it (its `interval day to second`
/// is milliseconds): Arrow would move days on the zone's clocks, so that a day across a change
/// to summer time were 23 hours. Year-to-month intervals move the wall clock in both.
#[derive(Debug)]
pub struct ElapsedIntervals;

impl datafusion::optimizer::AnalyzerRule for ElapsedIntervals {
    fn name(&self) -> &str {
        "trino_elapsed_intervals"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator};
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
                return Ok(Transformed::no(e));
            };
            let zoned = |x: &Expr| {
                matches!(
                    x.get_type(schema),
                    Ok(DataType::Timestamp(_, Some(z))) if z.as_ref() != "UTC"
                )
            };
            let rewritten = match op {
                Operator::Plus | Operator::Minus if zoned(left) => {
                    elapsed(right).map(|r| (left.as_ref().clone(), r))
                }
                Operator::Plus if zoned(right) => {
                    elapsed(left).map(|l| (l, right.as_ref().clone()))
                }
                _ => None,
            };
            Ok(match rewritten {
                Some((l, r)) => Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(l),
                    *op,
                    Box::new(r),
                ))),
                None => Transformed::no(e),
            })
        })
    }
}

/// A constant day-to-second interval as the duration it is (milliseconds, as Trino's); `None`
/// for anything else, a year-to-month interval included.
fn elapsed(x: &datafusion::logical_expr::Expr) -> Option<datafusion::logical_expr::Expr> {
    let ms = match x {
        datafusion::logical_expr::Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _)
            if v.months == 0 =>
        {
            i64::from(v.days)
                .checked_mul(86_400_000)?
                .checked_add(v.nanoseconds / 1_000_000)?
        }
        datafusion::logical_expr::Expr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) => {
            i64::from(v.days)
                .checked_mul(86_400_000)?
                .checked_add(i64::from(v.milliseconds))?
        }
        _ => return None,
    };
    Some(datafusion::logical_expr::Expr::Literal(
        ScalarValue::DurationMillisecond(Some(ms)),
        None,
    ))
}
