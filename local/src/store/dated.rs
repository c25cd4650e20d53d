//! The store's Parquet files as one table that skips whole days: each file sits under
//! `date=YYYY-MM-DD/` (the UTC date its events' `eventtime` column holds; `date=` for events
//! whose column holds none), a partition column DataFusion prunes by before it
//! opens a file, but only for filters on that column. A query bounds `eventtime` (Lake's
//! timestamp, LookupEvents' time range, Athena's text), so each bound on it given to a scan
//! gets its twin on `date` (`eventtime >= T` adds `date >= T's date`): a query over one day of
//! a store spanning a year opens one day's files (Athena's, a day more either side), where
//! otherwise it would read every file's footer to prune its row groups.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{col, lit};

/// The partition column the store's folders name.
pub const DATE: &str = "date";

/// The event time column the days are derived from.
const EVENT_TIME: &str = "eventtime";

/// The Athena table's `eventtime`, as the store keeps it.
const ATHENA_EVENT_TIME: &str = "athena_eventtime";

/// A table over the store's files (a listing table partitioned by [`DATE`]) whose scans
/// also get the day bounds that their `eventtime` bounds imply.
#[derive(Debug)]
pub struct Dated {
    pub inner: Arc<dyn TableProvider>,
}

#[async_trait]
impl TableProvider for Dated {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let all = with_day_bounds(filters);
        self.inner.scan(state, projection, &all, limit).await
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let all = with_day_bounds(args.filters().unwrap_or_default());
        self.inner
            .scan_with_args(state, args.with_filters(Some(&all)))
            .await
    }
}

/// `filters` and the day bounds their event time bounds imply.
fn with_day_bounds(filters: &[Expr]) -> Vec<Expr> {
    let mut all = filters.to_vec();
    all.extend(filters.iter().filter_map(day_bound));
    all
}

/// The bound on [`DATE`] that a bound on the event time implies, if `e` is one:
/// - `eventtime` (or it cast to a timestamp that keeps its instants) compared with a timestamp
///   literal bounds the day exactly;
/// - Athena's `eventtime` (the record's own text, `2024-01-01T06:00:00Z`) compared with a text
///   literal that begins with a date bounds the text's own date the same way (text is compared
///   character by character), and a time written with an offset is at most a day from its UTC
///   date: the bound is a day wider either side.
///
/// A folder whose name is not a four-digit year's date (an event time beyond year 9999 or
/// before year 0, or none) sorts before `"0"` and is always kept.
fn day_bound(e: &Expr) -> Option<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return None;
    };
    let on_time = |e: &Expr| is_event_time(e) || is_athena_time(e);
    let (op, column, value) = match (on_time(left), on_time(right)) {
        (true, false) => (*op, left.as_ref(), right.as_ref()),
        (false, true) => (op.swap()?, right.as_ref(), left.as_ref()),
        _ => return None,
    };
    let Expr::Literal(value, _) = value else {
        return None;
    };
    // The first and last day the rows that pass can be in.
    let (first, last) = if is_event_time(column) {
        let day = DateTime::from_timestamp_millis(millis(value)?)?.date_naive();
        (day, day)
    } else {
        let (ScalarValue::Utf8(Some(text))
        | ScalarValue::LargeUtf8(Some(text))
        | ScalarValue::Utf8View(Some(text))) = value
        else {
            return None;
        };
        // Only a prefix written exactly as a stored text's (chrono also reads `2024- 3-01`
        // and `+2024-3-01`, which sort elsewhere among texts).
        let prefix = text.get(..10)?;
        let day = NaiveDate::parse_from_str(prefix, "%Y-%m-%d")
            .ok()
            .filter(|d| d.format("%Y-%m-%d").to_string() == prefix)?;
        (day.pred_opt()?, day.succ_opt()?)
    };
    let name = |d: NaiveDate| Some(d.format("%Y-%m-%d").to_string()).filter(|n| n.len() == 10);
    let (first, last) = (name(first)?, name(last)?);
    let date = || col(DATE);
    let bound = match op {
        // A bound on the instant bounds its day, inclusively either way.
        Operator::Gt | Operator::GtEq => date().gt_eq(lit(first)),
        Operator::Lt | Operator::LtEq => date().lt_eq(lit(last)),
        Operator::Eq if first == last => date().eq(lit(first)),
        Operator::Eq => date().gt_eq(lit(first)).and(date().lt_eq(lit(last))),
        _ => return None,
    };
    Some(bound.or(date().lt(lit("0"))))
}

/// Whether `e` is the Athena table's `eventtime`: the text of the value the `eventtime`
/// column reads, which names the folder.
fn is_athena_time(e: &Expr) -> bool {
    matches!(e, Expr::Column(c) if c.name == ATHENA_EVENT_TIME)
}

/// Whether `e` is the event time column, as itself or cast to a timestamp that keeps its
/// instants: milliseconds or finer, without a zone or in UTC. (A cast to seconds truncates
/// toward zero: 1969-12-31T23:59:59.5 becomes 1970-01-01T00:00:00, another day.)
fn is_event_time(e: &Expr) -> bool {
    match e {
        Expr::Column(c) => c.name == EVENT_TIME,
        Expr::Cast(c) => {
            matches!(c.field.data_type(), DataType::Timestamp(unit, zone)
                if *unit != TimeUnit::Second
                    && zone.as_deref().is_none_or(|z| matches!(z, "UTC" | "+00:00" | "Z")))
                && is_event_time(&c.expr)
        }
        _ => false,
    }
}

/// A timestamp literal's instant in epoch milliseconds (floored: a bound's day is the day of
/// the millisecond it falls in); a zoned one's value is already UTC's.
fn millis(v: &ScalarValue) -> Option<i64> {
    let (n, per_ms) = match v {
        ScalarValue::TimestampSecond(Some(n), _) => return n.checked_mul(1000),
        ScalarValue::TimestampMillisecond(Some(n), _) => (*n, 1),
        ScalarValue::TimestampMicrosecond(Some(n), _) => (*n, 1000),
        ScalarValue::TimestampNanosecond(Some(n), _) => (*n, 1_000_000),
        _ => return None,
    };
    Some(n.div_euclid(per_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Expr {
        let ms = DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .timestamp_millis();
        lit(ScalarValue::TimestampMillisecond(Some(ms), None))
    }

    #[test]
    fn event_time_bounds_bound_the_day() {
        let t = || col(EVENT_TIME);
        let cases = [
            (t().gt_eq(ts("2024-02-29T23:59:59Z")), ">=", "2024-02-29"),
            (t().gt(ts("2024-02-29T23:59:59.999Z")), ">=", "2024-02-29"),
            (ts("2024-03-01T00:00:00Z").gt(t()), "<=", "2024-03-01"),
            (t().lt(ts("1999-12-31T12:00:00Z")), "<=", "1999-12-31"),
            (t().eq(ts("2024-01-01T00:00:00Z")), "=", "2024-01-01"),
            (
                Expr::Cast(datafusion::logical_expr::Cast::new(
                    Box::new(t()),
                    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                ))
                .gt_eq(lit(ScalarValue::TimestampNanosecond(
                    Some(-1),
                    Some("UTC".into()),
                ))),
                ">=",
                "1969-12-31",
            ),
        ];
        for (e, op, day) in cases {
            let got = day_bound(&e).expect("a bound").to_string();
            assert_eq!(
                got,
                format!("date {op} Utf8(\"{day}\") OR date < Utf8(\"0\")"),
                "{e}"
            );
        }
        // Athena's text: a day wider either side (a time written with an offset).
        let text = |t: &str| lit(t.to_string());
        let a = || col(ATHENA_EVENT_TIME);
        for (e, want) in [
            (
                a().gt_eq(text("2024-03-01T06:00:00Z")),
                "date >= Utf8(\"2024-02-29\")",
            ),
            (
                text("2024-12-31T00:00:00Z").gt(a()),
                "date <= Utf8(\"2025-01-01\")",
            ),
            (
                a().eq(text("2024-01-01T00:00:00Z")),
                "date >= Utf8(\"2023-12-31\") AND date <= Utf8(\"2024-01-02\")",
            ),
        ] {
            let got = day_bound(&e).expect("a bound").to_string();
            assert_eq!(got, format!("{want} OR date < Utf8(\"0\")"), "{e}");
        }
        // Not bounds on the event time's instant: left as they are.
        for e in [
            col("eventname").gt_eq(ts("2024-01-01T00:00:00Z")),
            t().not_eq(ts("2024-01-01T00:00:00Z")),
            t().gt_eq(col("other")),
            Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(t()),
                DataType::Timestamp(TimeUnit::Millisecond, Some("America/New_York".into())),
            ))
            .gt_eq(ts("2024-01-01T00:00:00Z")),
            t().gt_eq(lit(ScalarValue::TimestampMillisecond(None, None))),
            Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(t()),
                DataType::Timestamp(TimeUnit::Second, None),
            ))
            .gt_eq(ts("1970-01-01T00:00:00Z")),
            col(ATHENA_EVENT_TIME).gt_eq(lit("2024-01")),
            col(ATHENA_EVENT_TIME).gt_eq(lit("2024- 3-01T00:00:00Z")),
            col(ATHENA_EVENT_TIME).gt_eq(lit("+2024-3-01T00:00:00Z")),
            col(ATHENA_EVENT_TIME).gt_eq(lit("yesterday and more")),
            col(ATHENA_EVENT_TIME).gt_eq(ts("2024-01-01T00:00:00Z")),
        ] {
            assert!(day_bound(&e).is_none(), "{e}");
        }
    }
}
