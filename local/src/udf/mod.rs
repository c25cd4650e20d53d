//! Trino functions that CloudTrail Lake queries use, where DataFusion lacks them or differs; also
//! Trino's overflow-checked integer arithmetic (`overflow`) and DISTINCT for aggregates beside
//! others (`distinct`).

use std::sync::Arc;

use chrono::{DateTime, Datelike, Months, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use serde_json::Value;

use crate::clock::Clock;

pub use cast::{reads_cast_type, CAST, TRY_CAST};
pub use json_constructor::{JSON_ARRAY, JSON_OBJECT};
pub use sql_json::{JSON_EXISTS, JSON_QUERY, JSON_VALUE};

/// Whether `name` is one of the service's hidden functions, which `crate::sql` writes for
/// Trino's syntax (a CAST to a composite type, an SQL/JSON function) and no statement names.
pub fn is_internal(name: &str) -> bool {
    [
        CAST,
        TRY_CAST,
        JSON_OBJECT,
        JSON_ARRAY,
        JSON_EXISTS,
        JSON_VALUE,
        JSON_QUERY,
    ]
    .contains(&name)
}

const TS_MS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

/// The text of a constant argument (a type, a zone, a JSON function's clauses), which several
/// functions need at planning time; None for anything else (a column, a NULL, a number).
fn literal_text(arg: Option<&datafusion::scalar::ScalarValue>) -> Option<&str> {
    use datafusion::scalar::ScalarValue;
    match arg {
        Some(
            ScalarValue::Utf8(Some(t))
            | ScalarValue::LargeUtf8(Some(t))
            | ScalarValue::Utf8View(Some(t)),
        ) => Some(t),
        _ => None,
    }
}

mod agg;
mod array;
mod binary;
mod bits;
mod cast;
mod checksum;
mod data_size;
mod decimal;
mod digits;
mod distinct;
mod distribution;
mod duration;
mod func;
mod hll;
mod hyperloglog;
mod java_format;
pub mod json_constructor;
mod json_encoding;
mod json_path;
mod lambda;
mod map;
mod math;
mod moments;
mod numeric_histogram;
mod overflow;
mod percentile;
mod short_circuit;
pub mod sql_json;
mod strict;
mod subscript;
mod sum;
pub use lambda::{REGEXP_REPLACE, SORT, TRY, TRY_PARAMETER};
mod text;
pub use text::{RAISE, SUBSTR};
pub use time::VARCHAR;
mod time;
mod type_of;
mod unnest;
mod window;
pub mod zone;
pub use unnest::UNNEST_FIELD;

/// A context with `config` and the Trino-compatible functions (see [`register`]), whose analyzer
/// gives numbers Trino's types (`decimal::TrinoNumbers`) and reads the casts a statement writes
/// of timestamps with a time zone on their zone's clocks (`zone::WallClockCasts`) before
/// DataFusion's type coercion runs: after it, the casts coercion added for DataFusion's types
/// would stay, and be told apart from the statement's no more.
pub fn context(config: datafusion::prelude::SessionConfig, clock: &Clock) -> SessionContext {
    // The state is built with the rules in place before any function is registered: rebuilding
    // a state from one with functions registers them again in no set order, and an alias of
    // DataFusion's (`today`) would bring its `current_date` back over the service's.
    let mut rules = datafusion::optimizer::Analyzer::new().rules;
    let coercion = datafusion::optimizer::analyzer::type_coercion::TypeCoercion::new();
    let at = rules
        .iter()
        .position(|r| r.name() == datafusion::optimizer::AnalyzerRule::name(&coercion))
        .unwrap_or(0);
    rules.insert(at, Arc::new(decimal::TrinoNumbers));
    rules.insert(at, Arc::new(zone::WallClockCasts));
    let mut builder = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_analyzer_rules(rules);
    // Trino's subscripts before DataFusion's (planners are asked in order).
    if let Some(planners) = builder.expr_planners() {
        planners.insert(0, Arc::new(subscript::Subscripts));
    }
    let state = builder.build();
    let ctx = SessionContext::new_with_state(state);
    register(&ctx, clock);
    ctx
}

/// Registers the Trino-compatible functions, replacing DataFusion's where names collide (`now()`
/// and its kin read `clock`; the checked `sum`, the signed ranking window functions,
/// `approx_distinct`), Trino's rounding of fractional casts to integers, its overflow-checked
/// integer `+`, `-` and `*` (`overflow::CheckedIntegers`), its casts of JSON
/// (`cast::JsonCasts`), of values without a time zone to one (`zone::SessionZoneCasts`) and
/// day-to-second intervals added to one as elapsed time (`zone::ElapsedIntervals`; their
/// counterpart `zone::WallClockCasts` runs before coercion, see [`context`]), and IN and EXISTS
/// subqueries outside WHERE
/// (`crate::predicate_subqueries`).
pub fn register(ctx: &SessionContext, clock: &Clock) {
    for f in time::functions()
        .into_iter()
        .chain(text::functions())
        .chain(java_format::functions())
        .chain(binary::functions())
        .chain(bits::functions())
        .chain(math::functions())
        .chain(distribution::functions())
        .chain(data_size::functions())
        .chain(array::functions())
        .chain(hyperloglog::functions())
        .chain(json_constructor::functions())
        .chain(sql_json::functions())
        .chain(map::functions())
        .chain(duration::functions())
        .chain(zone::functions())
        .chain(time::Now::udfs(clock))
        .chain(zone::ZonedResult::udfs(
            "from_iso8601_timestamp",
            1,
            from_iso8601_timestamp,
        ))
    {
        ctx.register_udf(f);
    }
    for f in [
        Trino::ElementAt,
        Trino::JsonExtractScalar,
        Trino::JsonExtract,
        Trino::JsonFormat,
        Trino::DateDiff,
        Trino::DateAdd,
    ] {
        ctx.register_udf(ScalarUDF::new_from_impl(TrinoUdf::new(f)));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(unnest::UnnestField::new()));
    ctx.register_udf(type_of::udf());
    ctx.register_udf(cast::Cast::udf(false));
    ctx.register_udf(cast::Cast::udf(true));
    // Trino's `zip` is DataFusion's `arrays_zip` (shorter arrays padded with NULLs in both).
    if let Ok(f) = datafusion::execution::FunctionRegistry::udf(ctx, "arrays_zip") {
        ctx.register_udf((*f).clone().with_aliases(["zip"]));
    }
    agg::register(ctx);
    ctx.register_udaf(distinct::wrap(sum::udaf()));
    for f in hyperloglog::aggregates() {
        ctx.register_udaf(distinct::wrap(f));
    }
    window::register(ctx);
    strict::register(ctx);
    lambda::register(ctx);
    decimal::register(ctx);
    ctx.add_analyzer_rule(Arc::new(crate::dialect::RoundFractionalCasts));
    ctx.add_analyzer_rule(Arc::new(overflow::CheckedIntegers));
    ctx.add_analyzer_rule(Arc::new(cast::JsonCasts));
    ctx.add_analyzer_rule(Arc::new(cast::BooleanTextCasts));
    ctx.add_analyzer_rule(Arc::new(zone::SessionZoneCasts));
    ctx.add_analyzer_rule(Arc::new(zone::ElapsedIntervals));
    ctx.add_analyzer_rule(Arc::new(type_of::TypeOfAnswers));
    ctx.add_analyzer_rule(Arc::new(crate::predicate_subqueries::PredicateSubqueries));
    ctx.add_analyzer_rule(Arc::new(short_circuit::ShortCircuit));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Trino {
    ElementAt,
    JsonExtractScalar,
    JsonExtract,
    JsonFormat,
    DateDiff,
    DateAdd,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TrinoUdf {
    f: Trino,
    signature: Signature,
}

impl TrinoUdf {
    fn new(f: Trino) -> Self {
        let arity = match f {
            Trino::JsonFormat => 1,
            Trino::ElementAt | Trino::JsonExtractScalar | Trino::JsonExtract => 2,
            Trino::DateDiff | Trino::DateAdd => 3,
        };
        Self {
            f,
            signature: Signature::any(arity, Volatility::Immutable),
        }
    }
}

fn exec_err(msg: impl Into<String>) -> DataFusionError {
    DataFusionError::Execution(msg.into())
}

/// The types of a call's argument (or input) fields.
fn data_types(fields: &[datafusion::arrow::datatypes::FieldRef]) -> Vec<DataType> {
    fields.iter().map(|f| f.data_type().clone()).collect()
}

/// An element's position as the `u32` Arrow's `take` reads.
fn index(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| exec_err("too many elements in one batch"))
}

/// `t` as a `List`, the one list type the array functions take (an array literal may be
/// another).
fn as_list(name: &str, t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(_) => Ok(t.clone()),
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::ListView(f) => {
            Ok(DataType::List(Arc::clone(f)))
        }
        DataType::Null => Ok(DataType::new_list(DataType::Null, true)),
        other => Err(DataFusionError::Plan(format!(
            "Unexpected parameters ({other}) for function {name}: an array is expected"
        ))),
    }
}

/// `a` as 64-bit integers (Trino's `bigint`, which smaller integers widen to).
fn int64s(a: &ArrayRef) -> Result<Int64Array> {
    Ok(cast(a, &DataType::Int64)?
        .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
        .clone())
}

/// `a` as doubles (Trino converts any number to `double` implicitly).
fn float64s(a: &ArrayRef) -> Result<datafusion::arrow::array::Float64Array> {
    Ok(cast(a, &DataType::Float64)?
        .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
        .clone())
}

/// A function's one (or first) argument.
fn first_arg(args: &[ArrayRef]) -> Result<&ArrayRef> {
    args.first().ok_or_else(|| exec_err("an argument expected"))
}

/// `f` over each row of `args` read as doubles (Trino converts any number to `double`); NULL
/// where any argument is.
fn double_rows(args: &[ArrayRef], f: impl Fn(&[f64]) -> Result<f64>) -> Result<ArrayRef> {
    let columns = args.iter().map(float64s).collect::<Result<Vec<_>>>()?;
    let rows = columns.first().map_or(0, Array::len);
    let mut row = Vec::with_capacity(columns.len());
    let out = (0..rows)
        .map(|r| {
            row.clear();
            for c in &columns {
                if c.is_null(r) {
                    return Ok(None);
                }
                row.push(c.value(r));
            }
            f(&row).map(Some)
        })
        .collect::<Result<datafusion::arrow::array::Float64Array>>()?;
    Ok(Arc::new(out))
}

/// `a` as lists of doubles.
fn double_lists(a: &ArrayRef) -> Result<datafusion::arrow::array::ListArray> {
    let t = DataType::new_list(DataType::Float64, true);
    Ok(cast(a, &t)?.as_list::<i32>().clone())
}

/// Whether `t` is an array type.
fn is_list(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
    )
}

fn strings(a: &ArrayRef) -> Result<StringArray> {
    Ok(cast(a, &DataType::Utf8)?.as_string::<i32>().clone())
}

fn millis(a: &ArrayRef) -> Result<TimestampMillisecondArray> {
    let c = cast(a, &TS_MS)?;
    Ok(
        c.as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>()
            .clone(),
    )
}

/// Each time of day (a `Time32` or `Time64` array) in milliseconds since midnight, within one
/// day (a time moved past midnight by arithmetic wraps, as a clock does).
pub(crate) fn time_of_day_ms(a: &ArrayRef) -> Result<Int64Array> {
    use datafusion::arrow::datatypes::{Int64Type, TimeUnit};
    // The value in its own unit (a cast to another unit could overflow), then milliseconds.
    let to_ms: fn(i64) -> i64 = match a.data_type() {
        DataType::Time32(TimeUnit::Second) => |s| s.saturating_mul(1000),
        DataType::Time32(_) => |ms| ms,
        DataType::Time64(TimeUnit::Microsecond) => |us| us.div_euclid(1000),
        DataType::Time64(_) => |ns| ns.div_euclid(1_000_000),
        other => return Err(exec_err(format!("not a time of day: {other}"))),
    };
    let n = cast(a, &DataType::Int64)?;
    Ok(n.as_primitive::<Int64Type>()
        .unary(|v| to_ms(v).rem_euclid(86_400_000)))
}

impl ScalarUDFImpl for TrinoUdf {
    fn name(&self) -> &str {
        match self.f {
            Trino::ElementAt => "element_at",
            Trino::JsonExtractScalar => "json_extract_scalar",
            Trino::JsonExtract => "json_extract",
            Trino::JsonFormat => "json_format",
            Trino::DateDiff => "date_diff",
            Trino::DateAdd => "date_add",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `json_extract` answers JSON (marked, so that a cast reads it as JSON).
    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        let t = self.return_type(&data_types(args.arg_fields))?;
        Ok(Arc::new(cast::result_field(
            self.name(),
            t,
            self.f == Trino::JsonExtract,
        )))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.f {
            // An array's element keeps its type (a struct stays a struct, for `.field`).
            Trino::ElementAt => match arg_types.first() {
                Some(
                    DataType::List(item)
                    | DataType::LargeList(item)
                    | DataType::FixedSizeList(item, _),
                ) => item.data_type().clone(),
                // A map's value keeps its type too (`histogram(x)['k'] > 10` compares numbers).
                Some(DataType::Map(entries, _)) => match entries.data_type() {
                    DataType::Struct(fields) => fields
                        .get(1)
                        .map_or(DataType::Utf8, |f| f.data_type().clone()),
                    _ => DataType::Utf8,
                },
                _ => DataType::Utf8,
            },
            // A date plus days, weeks, months... is a date, as in Trino.
            Trino::DateAdd
                if matches!(arg_types.get(2), Some(DataType::Date32 | DataType::Date64)) =>
            {
                DataType::Date32
            }
            // A timestamp with a time zone keeps its zone.
            Trino::DateAdd => match arg_types.get(2) {
                Some(DataType::Timestamp(_, Some(z))) => {
                    DataType::Timestamp(TimeUnit::Millisecond, Some(z.clone()))
                }
                _ => TS_MS,
            },
            Trino::DateDiff => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out: ArrayRef = match self.f {
            Trino::ElementAt => {
                subscript::lookup(&arrays[0], &arrays[1], subscript::Missing::Null)?
            }
            Trino::JsonExtractScalar | Trino::JsonExtract => {
                let docs = strings(&arrays[0])?;
                let paths = strings(&arrays[1])?;
                let scalar = self.f == Trino::JsonExtractScalar;
                let mut out = Vec::with_capacity(docs.len());
                for i in 0..docs.len() {
                    if docs.is_null(i) || paths.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    let Some(doc) = cast::Json::parse(docs.value(i)) else {
                        out.push(None);
                        continue;
                    };
                    let steps = json_path_steps(paths.value(i))?;
                    // As Trino's Jackson copy: members in the document's order; a scalar's
                    // text as written (`getText`: `1.50`, `1e3`).
                    out.push(doc.at(&steps).and_then(|v| match (scalar, v) {
                        (true, cast::Json::String(s) | cast::Json::Number(s)) => Some(s.clone()),
                        (true, cast::Json::Bool(b)) => Some(b.to_string()),
                        (true, _) => None,
                        (false, v) => Some(v.text()),
                    }));
                }
                Arc::new(StringArray::from(out))
            }
            // json_extract gives JSON as text already: formatting it changes nothing.
            Trino::JsonFormat => Arc::new(strings(&arrays[0])?),
            Trino::DateDiff => {
                let units = strings(&arrays[0])?;
                let a = millis(&arrays[1])?;
                let b = millis(&arrays[2])?;
                // Both read on the first one's clocks, as Trino reads them.
                let tz = zone_of_timestamps(&arrays[1])?;
                let mut out = Vec::with_capacity(a.len());
                for i in 0..a.len() {
                    if units.is_null(i) || a.is_null(i) || b.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    let unit = units.value(i);
                    let (a, b) = if tz.is_some() && on_wall_clock(unit) {
                        (
                            local_ms(tz.as_ref(), a.value(i))?,
                            local_ms(tz.as_ref(), b.value(i))?,
                        )
                    } else {
                        (a.value(i), b.value(i))
                    };
                    out.push(Some(date_diff(unit, a, b)?));
                }
                Arc::new(Int64Array::from(out))
            }
            Trino::DateAdd => {
                let units = strings(&arrays[0])?;
                let n = cast(&arrays[1], &DataType::Int64)?;
                let n = n.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                let t = millis(&arrays[2])?;
                let tz = zone_of_timestamps(&arrays[2])?;
                let mut out = Vec::with_capacity(t.len());
                for i in 0..t.len() {
                    if units.is_null(i) || n.is_null(i) || t.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    let (unit, n, t) = (units.value(i), n.value(i), t.value(i));
                    out.push(Some(
                        if let Some(tz) = tz.as_ref().filter(|_| on_wall_clock(unit)) {
                            // Days and more move the zone's clocks (across a change to summer
                            // time a day is 23 hours), as Trino's zone chronology moves them.
                            let before = zone::wall_clock(Some(tz), t)?;
                            let moved = date_add(
                                unit,
                                n,
                                before.naive_local().and_utc().timestamp_millis(),
                            )?;
                            // In an hour the clocks show twice, the offset the time had is kept,
                            // as Joda keeps it; otherwise the zone's rule for that wall clock.
                            let offset_ms = i64::from(before.offset().local_minus_utc()) * 1000;
                            match moved.checked_sub(offset_ms) {
                                Some(kept) if zone::utc_offset(tz, kept)? * 1000 == offset_ms => {
                                    kept
                                }
                                _ => zone::instant_of(Some(tz), to_dt(moved)?.naive_utc())?,
                            }
                        } else {
                            date_add(unit, n, t)?
                        },
                    ));
                }
                let out = TimestampMillisecondArray::from(out);
                let out: ArrayRef = match arrays[2].data_type() {
                    DataType::Timestamp(_, Some(z)) => Arc::new(out.with_timezone(z.clone())),
                    _ => Arc::new(out),
                };
                if matches!(arrays[2].data_type(), DataType::Date32 | DataType::Date64) {
                    if let Some(u) = units
                        .iter()
                        .flatten()
                        .find(|u| unit_ms(u).is_some_and(|ms| ms < 86_400_000))
                    {
                        return Err(exec_err(format!("'{u}' is not a valid DATE field")));
                    }
                    cast(&out, &DataType::Date32)?
                } else {
                    out
                }
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// One step of a JSON path: a member by name or an element by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Member(String),
    Element(usize),
}

/// The JSONPath subset Trino supports (`$`, `.name`, `["name"]`, `[index]`) as steps.
pub fn json_path_steps(path: &str) -> Result<Vec<PathStep>> {
    let bad = || exec_err(format!("Invalid JSON path: '{path}'"));
    let rest = path.trim().strip_prefix('$').ok_or_else(bad)?;
    let mut steps = Vec::new();
    let mut chars = rest.char_indices().peekable();
    let bytes = rest;
    while let Some((i, c)) = chars.next() {
        match c {
            '.' => {
                let start = i + 1;
                let mut end = bytes.len();
                while let Some(&(j, d)) = chars.peek() {
                    if d == '.' || d == '[' {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let name = &bytes[start..end];
                if name.is_empty() {
                    return Err(bad());
                }
                steps.push(PathStep::Member(name.to_string()));
            }
            '[' => {
                let close = bytes[i..].find(']').ok_or_else(bad)? + i;
                let inner = bytes[i + 1..close].trim();
                while let Some(&(j, _)) = chars.peek() {
                    if j > close {
                        break;
                    }
                    chars.next();
                }
                steps.push(
                    match inner
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                    {
                        Some(q) => PathStep::Member(q.to_string()),
                        None => PathStep::Element(inner.parse().map_err(|_| bad())?),
                    },
                );
            }
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

/// Evaluates the JSONPath subset Trino supports: `$`, `.name`, `["name"]`, `[index]`.
pub fn json_path<'a>(doc: &'a Value, path: &str) -> Result<Option<&'a Value>> {
    let mut cur = doc;
    for step in json_path_steps(path)? {
        let next = match &step {
            PathStep::Member(name) => cur.get(name),
            PathStep::Element(n) => cur.get(n),
        };
        match next {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// `from_iso8601_timestamp(s)`'s instants (see `zone::ZonedResult` for its zone).
fn from_iso8601_timestamp(args: &[ArrayRef]) -> Result<ArrayRef> {
    let s = strings(first_arg(args)?)?;
    let mut out = Vec::with_capacity(s.len());
    for v in &s {
        out.push(match v {
            None => None,
            Some(v) => Some(
                parse_iso8601(v)
                    .ok_or_else(|| exec_err(format!("Invalid format: \"{v}\" is malformed")))?,
            ),
        });
    }
    Ok(Arc::new(TimestampMillisecondArray::from(out)))
}

fn parse_iso8601(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "millisecond" => 1,
        "second" => 1_000,
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        "week" => 7 * 86_400_000,
        _ => return None,
    })
}

fn unit_months(unit: &str) -> Option<i64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "month" => 1,
        "quarter" => 3,
        "year" => 12,
        _ => return None,
    })
}

/// The zone of a timestamp with a time zone; `None` for any other value.
fn zone_of_timestamps(a: &ArrayRef) -> Result<Option<datafusion::arrow::array::timezone::Tz>> {
    match a.data_type() {
        DataType::Timestamp(_, Some(z)) => zone::zone(z).map(Some),
        _ => Ok(None),
    }
}

/// Whether `date_add` and `date_diff` count `unit` on a zone's clocks (a day or more) rather
/// than in elapsed time (an hour or less), as Joda's zone chronology counts them for Trino.
fn on_wall_clock(unit: &str) -> bool {
    unit_ms(unit).is_none_or(|ms| ms >= 86_400_000)
}

/// The instant `ms` as the clocks of `tz` show it, as milliseconds since the epoch of that
/// wall clock.
fn local_ms(tz: Option<&datafusion::arrow::array::timezone::Tz>, ms: i64) -> Result<i64> {
    Ok(zone::wall_clock(tz, ms)?
        .naive_local()
        .and_utc()
        .timestamp_millis())
}

fn to_dt(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| exec_err("timestamp out of range"))
}

fn overflow(f: &str) -> DataFusionError {
    exec_err(format!("{f}: the result is out of the timestamp range"))
}

fn date_diff(unit: &str, a: i64, b: i64) -> Result<i64> {
    if let Some(u) = unit_ms(unit) {
        return b
            .checked_sub(a)
            .map(|d| d / u)
            .ok_or_else(|| overflow("date_diff"));
    }
    let months =
        unit_months(unit).ok_or_else(|| exec_err(format!("'{unit}' is not a valid unit")))?;
    let (da, db) = (to_dt(a)?, to_dt(b)?);
    let mut m = (i64::from(db.year()) - i64::from(da.year())) * 12 + i64::from(db.month())
        - i64::from(da.month());
    // A partial month does not count, in either direction: `a` moved by `m` months (to the
    // month's end when the day does not exist, as Joda does) must not pass `b`.
    let shifted = |m: i64| -> Option<DateTime<Utc>> {
        let n = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m >= 0 {
            da.checked_add_months(n)
        } else {
            da.checked_sub_months(n)
        }
    };
    if m > 0 && shifted(m).is_some_and(|t| t > db) {
        m -= 1;
    } else if m < 0 && shifted(m).is_some_and(|t| t < db) {
        m += 1;
    }
    Ok(m / months)
}

/// Every step checked: an input-derived count can be any 64-bit number.
fn date_add(unit: &str, n: i64, t: i64) -> Result<i64> {
    if let Some(u) = unit_ms(unit) {
        let ms = n
            .checked_mul(u)
            .and_then(|d| t.checked_add(d))
            .ok_or_else(|| overflow("date_add"))?;
        // Also within what a timestamp can print.
        return to_dt(ms).map(|_| ms).map_err(|_| overflow("date_add"));
    }
    let months = unit_months(unit)
        .ok_or_else(|| exec_err(format!("'{unit}' is not a valid unit")))?
        .checked_mul(n)
        .ok_or_else(|| overflow("date_add"))?;
    let dt = to_dt(t)?;
    let count = u32::try_from(months.unsigned_abs()).map_err(|_| overflow("date_add"))?;
    let shifted = if months >= 0 {
        dt.checked_add_months(Months::new(count))
    } else {
        dt.checked_sub_months(Months::new(count))
    };
    shifted
        .map(|d| d.timestamp_millis())
        .ok_or_else(|| exec_err("date_add out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of `r`, which must be an execution error (a panic names what came instead).
    fn exec_message<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(DataFusionError::Execution(m)) => m,
            other => panic!("expected an execution error, got {other:?}"),
        }
    }

    #[test]
    fn date_arithmetic_never_overflows() {
        let t = 1_688_990_400_000; // 2023-07-10T12:00:00Z
        for unit in ["millisecond", "second", "day", "week", "month", "year"] {
            for n in [i64::MAX, i64::MIN, i64::MAX / 2] {
                assert_eq!(
                    exec_message(date_add(unit, n, t)),
                    "date_add: the result is out of the timestamp range",
                    "{unit} {n}"
                );
            }
        }
        assert_eq!(
            exec_message(date_diff("second", i64::MIN, i64::MAX)),
            "date_diff: the result is out of the timestamp range"
        );
        assert_eq!(date_add("day", 1, t).unwrap(), t + 86_400_000);
    }

    #[test]
    fn json_paths() {
        let doc: Value = serde_json::json!({"a": {"b": [1, {"c": "x"}]}, "k.y": 2});
        assert_eq!(
            json_path(&doc, "$.a.b[1].c").unwrap(),
            Some(&Value::from("x"))
        );
        assert_eq!(
            json_path(&doc, "$[\"k.y\"]").unwrap(),
            Some(&Value::from(2))
        );
        assert_eq!(json_path(&doc, "$.nope").unwrap(), None);
        assert_eq!(
            exec_message(json_path(&doc, "a.b")),
            "Invalid JSON path: 'a.b'"
        );
    }

    #[test]
    fn date_arithmetic() {
        let t = parse_iso8601("2024-01-31T00:00:00Z").unwrap();
        let u = parse_iso8601("2024-03-01T00:00:00Z").unwrap();
        assert_eq!(date_diff("day", t, u).unwrap(), 30);
        assert_eq!(date_diff("month", t, u).unwrap(), 1);
        assert_eq!(date_diff("hour", u, t).unwrap(), -720);
        let feb = date_add("month", 1, t).unwrap();
        assert_eq!(
            to_dt(feb).unwrap().to_rfc3339(),
            "2024-02-29T00:00:00+00:00"
        );
    }
}
