//! Running a planned query on DataFusion into a [`ResultSet`]: Arrow batches held as they
//! came (compacted), turned into text (NULL kept as `None`, which each API prints its own way)
//! only for the page a caller asks for, so a large result costs its columns, not a `String`
//! per cell.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{can_cast_types, cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;

use crate::format::value_text;

/// A finished query's result: column names and types, and its rows as Arrow batches.
#[derive(Debug, Default)]
pub struct ResultSet {
    pub names: Vec<String>,
    /// Each column's type in Athena's terms (`varchar`, `bigint`, `boolean`, ...).
    pub types: Vec<String>,
    batches: Vec<RecordBatch>,
    /// The first row of each batch, in result order (for finding a row's batch).
    starts: Vec<usize>,
    rows: usize,
    /// What the rows hold in memory, in bytes (their columns' data, as if freshly copied).
    pub bytes: usize,
}

impl ResultSet {
    /// Rows in the result.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the result has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Rows `range` (clipped to the result) as text, one `Option<String>` per column.
    pub fn rows(&self, range: Range<usize>) -> Result<Vec<Vec<Option<String>>>, String> {
        let end = range.end.min(self.rows);
        let mut out = Vec::with_capacity(end.saturating_sub(range.start));
        let mut row = range.start;
        while row < end {
            // The batch holding `row`: the last one starting at or before it.
            let b = self.starts.partition_point(|s| *s <= row).saturating_sub(1);
            let (Some(batch), Some(first)) = (self.batches.get(b), self.starts.get(b)) else {
                break;
            };
            let upto = end.min(first.saturating_add(batch.num_rows()));
            for r in (row - first)..(upto - first) {
                let cells = batch
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(r) {
                            Ok(None)
                        } else {
                            value_text(c, r).map(Some)
                        }
                    })
                    .collect::<datafusion::error::Result<Vec<Option<String>>>>()
                    .map_err(|e| e.strip_backtrace())?;
                out.push(cells);
            }
            row = upto;
        }
        Ok(out)
    }
}

/// `t` with string and binary views replaced by plain strings and binaries, at any depth: a
/// view can keep a whole decoded page alive for one value, plain arrays hold only their own.
fn plain_type(t: &DataType) -> DataType {
    let field = |f: &Field| Arc::new(f.clone().with_data_type(plain_type(f.data_type())));
    match t {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::List(f) => DataType::List(field(f)),
        DataType::LargeList(f) => DataType::LargeList(field(f)),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|f| field(f)).collect::<Fields>()),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        other => other.clone(),
    }
}

/// `column` as it is kept, and the bytes it holds: views turned plain, and copied when it is a
/// slice of a larger buffer (a LIMIT's or a sort's output) or holds slack. What is held is
/// what is counted (a buffer two columns share counts twice: the limits err on the safe side).
fn compact(column: &ArrayRef) -> datafusion::error::Result<(ArrayRef, usize)> {
    let plain = plain_type(column.data_type());
    let column = if &plain != column.data_type() && can_cast_types(column.data_type(), &plain) {
        let mut fresh = cast(column, &plain)?;
        // The cast's builders grow by doubling; what is kept need not keep their slack.
        if let Some(a) = Arc::get_mut(&mut fresh) {
            a.shrink_to_fit();
        }
        fresh
    } else {
        Arc::clone(column)
    };
    let held = column.get_array_memory_size();
    let Ok(size) = column.to_data().get_slice_memory_size() else {
        return Ok((column, held));
    };
    if held > size.saturating_add(size / 8).saturating_add(4096) {
        let len = u32::try_from(column.len()).map_err(|_| {
            datafusion::error::DataFusionError::Execution("result batch too long".into())
        })?;
        let copy = take(&column, &UInt32Array::from_iter_values(0..len), None)?;
        let held = copy.get_array_memory_size();
        return Ok((copy, held));
    }
    Ok((column, held))
}

/// Athena's name for a column type, for `ResultSetMetadata.ColumnInfo`.
pub fn athena_type(t: &DataType) -> &'static str {
    match t {
        DataType::Boolean => "boolean",
        DataType::Int8 => "tinyint",
        DataType::Int16 => "smallint",
        DataType::Int32 | DataType::UInt8 | DataType::UInt16 => "integer",
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint",
        DataType::Float32 => "float",
        DataType::Float64 => "double",
        DataType::Decimal128(..) | DataType::Decimal256(..) => "decimal",
        DataType::Timestamp(..) => "timestamp",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Time32(_) | DataType::Time64(_) => "time",
        DataType::List(_) | DataType::LargeList(_) => "array",
        DataType::Map(..) => "map",
        DataType::Struct(_) => "row",
        _ => "varchar",
    }
}

/// A failed (or refused) query's message as Trino gives it: a function's own error as it was
/// raised (`Input contains non-digit character`), without DataFusion's `Execution error: ` or
/// `Error during planning: ` and the layers a parallel plan or the analyzer wraps around it;
/// Arrow's division by zero, cast errors and the overflows of negation, division by -1 and
/// `abs` in Trino's words (`trino_cast_message`, `trino_overflow_message`, `trino_abs_message`), other
/// Arrow errors without DataFusion's `Arrow error: `; any other error as DataFusion words it.
pub fn message(e: &datafusion::error::DataFusionError) -> String {
    if let Some(inner) = filter_predicate_error(&e.strip_backtrace()) {
        return message(&inner);
    }
    match e.find_root() {
        // DataFusion's `map` refuses a repeated key in its words; Trino's MAP constructor in
        // its own.
        datafusion::error::DataFusionError::Execution(m) => m
            .strip_prefix("map key must be unique, duplicate key found: ")
            .map_or_else(
                || m.clone(),
                |key| format!("Duplicate map keys ({key}) are not allowed"),
            ),
        datafusion::error::DataFusionError::Plan(m) => m.clone(),
        datafusion::error::DataFusionError::ArrowError(e, _) => match e.as_ref() {
            // Trino's DIVISION_BY_ZERO, for integers and decimals alike.
            datafusion::arrow::error::ArrowError::DivideByZero => "Division by zero".into(),
            datafusion::arrow::error::ArrowError::CastError(m) => {
                trino_cast_message(m).unwrap_or_else(|| m.clone())
            }
            datafusion::arrow::error::ArrowError::ArithmeticOverflow(m) => {
                trino_overflow_message(m).unwrap_or_else(|| e.to_string())
            }
            datafusion::arrow::error::ArrowError::ComputeError(m) => {
                trino_abs_message(m).unwrap_or_else(|| e.to_string())
            }
            other => other.to_string(),
        },
        // A subquery DataFusion could not turn into a join (`crate::predicate_subqueries`
        // rewrites the shapes it can): said plainly rather than as DataFusion's internals.
        datafusion::error::DataFusionError::NotImplemented(m)
            if m.starts_with("Physical plan does not support logical expression") =>
        {
            "This subquery (correlated other than by equality, with a LIMIT or an aggregate \
             argument, or in a position other than WHERE, the SELECT list and GROUP BY) is not \
             supported by trailwatch's local service; CloudTrail Lake runs it"
                .into()
        }
        _ => e.strip_backtrace(),
    }
}

/// The error a filter evaluated while reading the Parquet cache raised. The Parquet reader keeps
/// only its debug text (`... Error evaluating filter predicate: ArrowError(CastError("Cannot cast
/// string 'x' to value of Int32 type"), Some(""))`), from which the error is read back, so a
/// condition that fails in WHERE is worded as it is elsewhere.
fn filter_predicate_error(text: &str) -> Option<datafusion::error::DataFusionError> {
    use datafusion::arrow::error::ArrowError;
    use datafusion::error::DataFusionError;
    const OPENERS: [&str; 4] = [
        "Execution(\"",
        "CastError(\"",
        "ArithmeticOverflow(\"",
        "ComputeError(\"",
    ];
    let (_, inner) = text.split_once("Error evaluating filter predicate: ")?;
    if inner.contains("ArrowError(DivideByZero") {
        return Some(DataFusionError::ArrowError(
            Box::new(ArrowError::DivideByZero),
            None,
        ));
    }
    // The innermost error is the first of these to open a quoted text.
    let (at, opener) = OPENERS
        .iter()
        .filter_map(|o| inner.find(o).map(|at| (at, *o)))
        .min_by_key(|(at, _)| *at)?;
    let text = debug_text(&inner[at + opener.len()..])?;
    let arrow = |e| DataFusionError::ArrowError(Box::new(e), None);
    Some(match opener {
        "Execution(\"" => DataFusionError::Execution(text),
        "CastError(\"" => arrow(ArrowError::CastError(text)),
        "ArithmeticOverflow(\"" => arrow(ArrowError::ArithmeticOverflow(text)),
        _ => arrow(ArrowError::ComputeError(text)),
    })
}

/// The text a Rust debug string literal writes, read up to its closing quote.
fn debug_text(quoted: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'u' => {
                    let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Trino's INVALID_CAST_ARGUMENT and NUMERIC_VALUE_OUT_OF_RANGE texts for Arrow's cast errors
/// (`Cannot cast 'abc' to INT`, `Out of range for integer: 2147483648`).
fn trino_cast_message(arrow: &str) -> Option<String> {
    // Arrow words a text it cannot read as a boolean with "value" where others have "string".
    if let Some(rest) = arrow
        .strip_prefix("Cannot cast string '")
        .or_else(|| arrow.strip_prefix("Cannot cast value '"))
    {
        let (text, t) = rest.rsplit_once("' to value of ")?;
        let (upper, _) = trino_names(t.strip_suffix(" type")?)?;
        return Some(format!("Cannot cast '{text}' to {upper}"));
    }
    let rest = arrow.strip_prefix("Can't cast value ")?;
    let (value, t) = rest.rsplit_once(" to type ")?;
    let (_, lower) = trino_names(t)?;
    Some(format!("Out of range for {lower}: {value}"))
}

/// The names Trino's cast messages give the type Arrow calls `arrow` (`Int32`): upper case as
/// its varchar parsers write them (`INT`), lower case as its type names (`integer`).
fn trino_names(arrow: &str) -> Option<(&'static str, &'static str)> {
    Some(match arrow {
        "Int8" => ("TINYINT", "tinyint"),
        "Int16" => ("SMALLINT", "smallint"),
        "Int32" => ("INT", "integer"),
        "Int64" => ("BIGINT", "bigint"),
        "Float32" => ("REAL", "real"),
        "Float64" => ("DOUBLE", "double"),
        "Boolean" => ("BOOLEAN", "boolean"),
        _ => return None,
    })
}

/// The Trino type whose least value `v` is: negating it or dividing it by -1 is the one
/// integer overflow of those operations, so the value names the operands' type.
fn type_of_least(v: &str) -> Option<&'static str> {
    Some(match v.parse::<i64>().ok()? {
        v if v == i64::from(i8::MIN) => "tinyint",
        v if v == i64::from(i16::MIN) => "smallint",
        v if v == i64::from(i32::MIN) => "integer",
        i64::MIN => "bigint",
        _ => return None,
    })
}

/// Trino's NUMERIC_VALUE_OUT_OF_RANGE texts for Arrow's checked negation and division
/// (`Overflow happened on: - -9223372036854775808`): `bigint negation overflow:
/// -9223372036854775808`, `integer division overflow: -2147483648 / -1`.
fn trino_overflow_message(arrow: &str) -> Option<String> {
    let what = arrow.strip_prefix("Overflow happened on: ")?;
    if let Some(v) = what.strip_prefix("- ") {
        return Some(format!("{} negation overflow: {v}", type_of_least(v)?));
    }
    let (a, b) = what.split_once(" / ")?;
    (b == "-1").then_some(())?;
    Some(format!(
        "{} division overflow: {a} / {b}",
        type_of_least(a)?
    ))
}

/// Trino's text for `abs` of a type's least value (Arrow's `Int64Array overflow on
/// abs(-9223372036854775808)`): `Value -9223372036854775808 is out of range for abs(bigint)`.
fn trino_abs_message(arrow: &str) -> Option<String> {
    let (array, rest) = arrow.split_once("Array overflow on abs(")?;
    let v = rest.strip_suffix(')')?;
    let (_, t) = trino_names(array)?;
    Some(format!("Value {v} is out of range for abs({t})"))
}

/// Executes `plan`, batch by batch, failing once the result passes `limits` (rows, bytes of
/// text), so a runaway join stops there instead of filling memory; `names` maps DataFusion's
/// field names to the API's column names.
pub async fn execute(
    ctx: &SessionContext,
    plan: LogicalPlan,
    (max_rows, max_bytes): (usize, usize),
    names: impl FnOnce(&[String]) -> Vec<String>,
) -> Result<ResultSet, String> {
    let df = ctx
        .execute_logical_plan(plan)
        .await
        .map_err(|e| message(&e))?;
    let fields: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let types = df
        .schema()
        .fields()
        .iter()
        .map(|f| athena_type(f.data_type()).to_string())
        .collect();
    let names = names(&fields);
    let mut stream = df.execute_stream().await.map_err(|e| message(&e))?;
    let mut result = ResultSet {
        names,
        types,
        ..ResultSet::default()
    };
    while let Some(b) = stream.next().await {
        let b = b.map_err(|e| message(&e))?;
        if b.num_rows() == 0 {
            continue;
        }
        if result.rows.saturating_add(b.num_rows()) > max_rows {
            return Err(format!(
                "Query result exceeds the limit of {max_rows} rows: narrow the query (its window, a filter, or a LIMIT)."
            ));
        }
        let mut columns = Vec::with_capacity(b.num_columns());
        for c in b.columns() {
            let (column, size) = compact(c).map_err(|e| e.strip_backtrace())?;
            result.bytes = result.bytes.saturating_add(size);
            columns.push(column);
        }
        if result.bytes > max_bytes {
            return Err(format!(
                "Query result exceeds the limit of {max_bytes} bytes: narrow the query (fewer or shorter columns, its window, a filter, or a LIMIT)."
            ));
        }
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            b.schema()
                .fields()
                .iter()
                .zip(&columns)
                .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())?;
        result.starts.push(result.rows);
        result.rows = result.rows.saturating_add(batch.num_rows());
        result.batches.push(batch);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionConfig;

    /// A context whose batches hold 3 rows, so a result spans several.
    async fn run(sql: &str, limits: (usize, usize)) -> Result<ResultSet, String> {
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_batch_size(3));
        let plan = ctx
            .state()
            .create_logical_plan(sql)
            .await
            .map_err(|e| e.to_string())?;
        execute(&ctx, plan, limits, <[String]>::to_vec).await
    }

    /// A filter's error as the Parquet reader words it is read back and worded as Trino's.
    #[test]
    fn filter_errors_read_back_from_the_parquet_readers_text() {
        use datafusion::arrow::error::ArrowError;
        use datafusion::error::DataFusionError;
        // Built from the errors themselves, as the reader builds its text.
        let wrapped = |e: DataFusionError| {
            DataFusionError::External(Box::new(ArrowError::ComputeError(format!(
                "Error evaluating filter predicate: {e:?}"
            ))))
        };
        let cast = DataFusionError::ArrowError(
            Box::new(ArrowError::CastError(
                "Cannot cast string 'a \"q\" \\ é\u{1}' to value of Int32 type".into(),
            )),
            Some(String::new()),
        );
        assert_eq!(
            message(&wrapped(cast)),
            "Cannot cast 'a \"q\" \\ é\u{1}' to INT"
        );
        let own = DataFusionError::Execution("Cannot cast 'yes' to BOOLEAN".into());
        assert_eq!(message(&wrapped(own)), "Cannot cast 'yes' to BOOLEAN");
        let zero = DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None);
        assert_eq!(message(&wrapped(zero)), "Division by zero");
        let other = DataFusionError::Internal("x".into());
        assert!(message(&wrapped(other)).contains("Error evaluating filter predicate"));
    }

    #[tokio::test]
    async fn pages_read_across_batches_in_order() {
        let r = run(
            "SELECT value AS n, CASE WHEN value % 4 = 0 THEN NULL ELSE arrow_cast(repeat('x', value::int), 'Utf8View') END AS s FROM generate_series(1, 10)",
            (100, 1 << 20),
        )
        .await
        .expect("query");
        assert_eq!(r.len(), 10);
        assert!(r.batches.len() > 2, "{} batches", r.batches.len());
        let expected = |n: usize| {
            vec![
                Some(n.to_string()),
                (!n.is_multiple_of(4)).then(|| "x".repeat(n)),
            ]
        };
        for (from, to) in [(0, 10), (2, 7), (3, 6), (9, 20), (10, 12), (5, 5)] {
            let rows = r.rows(from..to).expect("rows");
            let want: Vec<_> = (from..to.min(10)).map(|i| expected(i + 1)).collect();
            assert_eq!(rows, want, "rows {from}..{to}");
        }
        // Views are kept as plain strings; bytes count the text and offsets, not a page.
        assert!(r
            .batches
            .iter()
            .all(|b| b.column(1).data_type() == &DataType::Utf8));
        let text: usize = (1..=10).filter(|n: &usize| !n.is_multiple_of(4)).sum();
        assert!(r.bytes >= text && r.bytes < text + 4 * 1024, "{}", r.bytes);
    }

    #[tokio::test]
    async fn limits_fail_the_query() {
        let rows = run("SELECT value FROM generate_series(1, 10)", (5, 1 << 20)).await;
        assert!(rows.is_err_and(|e| e.contains("limit of 5 rows")));
        let bytes = run(
            "SELECT repeat('y', 100) AS s FROM generate_series(1, 10)",
            (100, 500),
        )
        .await;
        assert!(bytes.is_err_and(|e| e.contains("limit of 500 bytes")));
    }
}
