//! Running a planned query on DataFusion into a [`ResultSet`]: names as the API names them,
//! every value as text (NULL kept as `None`, which each API prints its own way).

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;

use crate::format::value_text;
use crate::jobs::ResultSet;

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
        DataType::List(_) | DataType::LargeList(_) => "array",
        DataType::Map(..) => "map",
        DataType::Struct(_) => "row",
        _ => "varchar",
    }
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
        .map_err(|e| e.strip_backtrace())?;
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
    let mut stream = df.execute_stream().await.map_err(|e| e.strip_backtrace())?;
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    while let Some(b) = stream.next().await {
        let b = b.map_err(|e| e.strip_backtrace())?;
        if rows.len().saturating_add(b.num_rows()) > max_rows {
            return Err(format!(
                "Query result exceeds the limit of {max_rows} rows: narrow the query (its window, a filter, or a LIMIT)."
            ));
        }
        for r in 0..b.num_rows() {
            let row = b
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
            // What the row holds in memory: its cells (NULL ones too) and their text.
            let row_bytes =
                row.iter()
                    .fold(std::mem::size_of::<Vec<Option<String>>>(), |sum, v| {
                        sum.saturating_add(std::mem::size_of::<Option<String>>())
                            .saturating_add(v.as_ref().map_or(0, String::len))
                    });
            bytes = bytes.saturating_add(row_bytes);
            if bytes > max_bytes {
                return Err(format!(
                    "Query result exceeds the limit of {max_bytes} bytes: narrow the query (fewer or shorter columns, its window, a filter, or a LIMIT)."
                ));
            }
            rows.push(row);
        }
    }
    Ok(ResultSet {
        names,
        types,
        rows,
        bytes,
    })
}
