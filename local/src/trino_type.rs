//! How Trino names a type (`varchar(3)`, `decimal(2,1)`, `timestamp(3)`, `array(varchar)`,
//! `row(accountid varchar, ...)`): in its error messages and as `typeof` answers.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

/// The type of `e` (of DataFusion type `t`) as Trino names it: a text literal is
/// `varchar(n)`, an integer literal that fits 32 bits `integer` (Trino types literals so).
pub fn of_expr(e: &Expr, t: &DataType) -> String {
    match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)), _) => {
            format!("varchar({})", s.chars().count())
        }
        Expr::Literal(ScalarValue::Int64(Some(v)), _) if i32::try_from(*v).is_ok() => {
            "integer".into()
        }
        _ => of(t),
    }
}

/// Trino's name of the type DataFusion calls `t`.
pub fn of(t: &DataType) -> String {
    match t {
        DataType::Int8 | DataType::UInt8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt16 => "smallint".into(),
        DataType::Int32 => "integer".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint".into(),
        DataType::Float32 | DataType::Float16 => "real".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => format!("decimal({p},{s})"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "varchar".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "varbinary".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Null => "unknown".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        // Trino's `time` (of `localtime`, `CAST(x AS time)`) is to the millisecond.
        DataType::Time32(_) | DataType::Time64(_) => "time(3)".into(),
        DataType::Timestamp(unit, zone) => {
            let digits = match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            };
            match zone {
                Some(_) => format!("timestamp({digits}) with time zone"),
                None => format!("timestamp({digits})"),
            }
        }
        DataType::Interval(datafusion::arrow::datatypes::IntervalUnit::YearMonth) => {
            "interval year to month".into()
        }
        DataType::Interval(_) | DataType::Duration(_) => "interval day to second".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => format!("array({})", of(f.data_type())),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map({}, {})", of(kv[0].data_type()), of(kv[1].data_type()))
            }
            other => other.to_string().to_lowercase(),
        },
        DataType::Struct(fields) => format!(
            "row({})",
            fields
                .iter()
                .map(|f| format!("{} {}", f.name(), of(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DataType::Dictionary(_, v) => of(v),
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::Field;
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn literals_and_nested_types_are_named_as_trino_names_them() {
        assert_eq!(of_expr(&lit("abc"), &DataType::Utf8), "varchar(3)");
        assert_eq!(of_expr(&lit(7i64), &DataType::Int64), "integer");
        assert_eq!(of_expr(&lit(1i64 << 40), &DataType::Int64), "bigint");
        assert_eq!(of_expr(&col("x"), &DataType::Utf8View), "varchar");
        let row = DataType::Struct(
            vec![
                Field::new("arn", DataType::Utf8, true),
                Field::new("n", DataType::Int64, true),
            ]
            .into(),
        );
        assert_eq!(of(&row), "row(arn varchar, n bigint)");
        assert_eq!(
            of(&DataType::List(Arc::new(Field::new("item", row, true)))),
            "array(row(arn varchar, n bigint))"
        );
        assert_eq!(of(&DataType::Decimal128(2, 1)), "decimal(2,1)");
    }
}
