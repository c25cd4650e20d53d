//! Query statistics as Lake bills them: events and bytes inside the query's eventTime bounds
//! are scanned; the WHERE clause decides what matched.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;

use super::Lake;
use crate::jobs::Stats;
use crate::sql::Prepared;

/// Whether every row `plan` returns is one event its filter matched, and every match a row: a
/// projection, filter and sort over one scan (no aggregate, DISTINCT, LIMIT, join, UNNEST,
/// window or set operation, each of which changes the count).
pub(super) fn is_plain(plan: &LogicalPlan) -> bool {
    let mut scans = 0;
    let other = plan.exists(|node| {
        Ok(match node {
            LogicalPlan::TableScan(_) => {
                scans += 1;
                false
            }
            LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::SubqueryAlias(_) => false,
            _ => true,
        })
    });
    matches!(other, Ok(false)) && scans == 1
}

impl Lake {
    /// A full scan's figures: what a query without eventTime bounds (or another table) is
    /// billed.
    pub(super) fn full_scan(&self, result_rows: usize) -> Stats {
        Stats {
            events_matched: result_rows as u64,
            events_scanned: self.store.events as u64,
            bytes_scanned: self.store.bytes,
        }
    }

    /// The statistics of `prepared`, which returned `result_rows` rows; `plain` when those rows
    /// are exactly the events its WHERE clause matched (see [`is_plain`]).
    pub(super) async fn statistics(
        &self,
        prepared: &Prepared,
        result_rows: usize,
        plain: bool,
        stop: &crate::stop::Stop,
    ) -> Result<Stats, String> {
        let ctx = SessionContext::new_with_state(stop.state(self.stats_ctx.state()));
        let Some(st) = prepared
            .single_table
            .as_ref()
            .filter(|st| st.table == self.store.id)
        else {
            return Ok(self.full_scan(result_rows));
        };
        let table = format!("\"{}\"", self.store.id);
        let where_of = |f: &Option<String>| {
            f.as_ref()
                .map(|w| format!(" WHERE {w}"))
                .unwrap_or_default()
        };
        let scan = self
            .scalar_pair(
                &ctx,
                &format!(
                    "SELECT count(*), CAST(coalesce(sum(eventsize), 0) AS BIGINT) FROM {table}{}",
                    where_of(&st.time_filter)
                ),
            )
            .await?;
        // A plain filter's rows are its matches: counting them again would scan twice.
        let matched = if plain {
            (result_rows as u64, 0)
        } else {
            self.scalar_pair(
                &ctx,
                &format!("SELECT count(*), 0 FROM {table}{}", where_of(&st.filter)),
            )
            .await?
        };
        Ok(Stats {
            events_matched: matched.0,
            events_scanned: scan.0,
            bytes_scanned: scan.1,
        })
    }

    async fn scalar_pair(&self, ctx: &SessionContext, sql: &str) -> Result<(u64, u64), String> {
        let batches = crate::dialect::collect(ctx, sql)
            .await
            .map_err(|e| e.strip_backtrace())?;
        let b = batches.first().ok_or("statistics query returned nothing")?;
        let get = |i: usize| -> u64 {
            let c = datafusion::arrow::compute::cast(
                b.column(i),
                &datafusion::arrow::datatypes::DataType::Int64,
            )
            .ok();
            c.and_then(|c| {
                let a = c.as_primitive::<Int64Type>();
                (!a.is_empty() && !a.is_null(0)).then(|| u64::try_from(a.value(0)).unwrap_or(0))
            })
            .unwrap_or(0)
        };
        Ok((get(0), get(1)))
    }
}
