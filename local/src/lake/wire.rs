//! Lake's JSON replies for an existing query: DescribeQuery, GetQueryResults, CancelQuery,
//! ListQueries.

use serde_json::{json, Value};

use super::{required, status_text, Lake};
use crate::error::ApiError;
use crate::format::NULL_TEXT;
use crate::jobs::{Inactive, Status};
use crate::json_text::JsonText;
use crate::page_token;
use crate::request::{page_size, str_field};

impl Lake {
    /// DescribeQuery.
    pub fn describe_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.with_query(req, |id, q| {
            let mut out = json!({
                "QueryId": id,
                "QueryString": q.statement,
                "QueryStatus": status_text(q.status),
                "QueryStatistics": {
                    "EventsMatched": q.stats.events_matched,
                    "EventsScanned": q.stats.events_scanned,
                    "BytesScanned": q.stats.bytes_scanned,
                    "ExecutionTimeInMillis": q.elapsed_ms(),
                    "CreationTime": q.created_ms as f64 / 1000.0,
                },
            });
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if let Some(uri) = &q.extra.delivery_s3_uri {
                out["DeliveryS3Uri"] = json!(uri);
                // Nothing is written to S3 locally; Lake reports FAILED delivery for timed-out queries.
                out["DeliveryStatus"] = json!(match q.status {
                    Status::Finished => "SUCCESS",
                    Status::Failed | Status::TimedOut => "FAILED",
                    Status::Cancelled => "CANCELLED",
                    _ => "PENDING",
                });
            }
            Ok(out)
        })
    }

    /// GetQueryResults, paged by `MaxQueryResults` (1..1000) and `NextToken`: the reply's JSON
    /// text, its rows written straight from the result (see [`JsonText`]).
    pub fn get_query_results(&self, req: &Value) -> Result<String, ApiError> {
        let max = max_results(req, "MaxQueryResults")?;
        let token = str_field(req, "NextToken");
        self.with_query(req, |id, q| {
            let total = q.result.len();
            let offset = match token {
                None => 0,
                Some(t) => page_token::decode::<usize>(t, id)
                    .filter(|off| *off <= total)
                    .ok_or_else(|| {
                        ApiError::client("InvalidNextTokenException", "The NextToken is not valid.")
                    })?,
            };
            let mut out = json!({"QueryStatus": status_text(q.status)});
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if q.status != Status::Finished {
                return JsonText::object_with(&out, "QueryResultRows", 2, |t| {
                    t.raw("[]");
                    Ok(())
                });
            }
            let end = offset.saturating_add(max).min(total);
            let rows = q.result.rows(offset..end).map_err(ApiError::internal)?;
            out["QueryStatistics"] = json!({
                "ResultsCount": rows.len(),
                "TotalResultsCount": total,
                "BytesScanned": q.stats.bytes_scanned,
            });
            if end < total {
                out["NextToken"] = json!(page_token::encode(id, end));
            }
            // Each row is a list of one-entry objects, `{"column": "value"}`, in column order.
            let mut names = Vec::with_capacity(q.result.names.len());
            for n in &q.result.names {
                let mut key = JsonText::default();
                key.raw("{");
                key.string(n)?;
                key.raw(":");
                names.push(key.finish()?);
            }
            let longest = names.iter().map(String::len).max().unwrap_or(0);
            let bytes = JsonText::estimate(&rows, longest.saturating_add(8));
            JsonText::object_with(&out, "QueryResultRows", bytes, |t| {
                t.list(&rows, |t, row| {
                    t.list(names.iter().zip(row), |t, (key, v)| {
                        t.raw(key);
                        t.string(v.as_deref().unwrap_or(NULL_TEXT))?;
                        t.raw("}");
                        Ok(())
                    })
                })
            })
        })
    }

    /// CancelQuery: only a queued or running query can be cancelled.
    pub fn cancel_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.check_store(str_field(req, "EventDataStore"))?;
        let id = required(req, "QueryId")?;
        match self.jobs.cancel(id) {
            None => Err(ApiError::client(
                "QueryIdNotFoundException",
                format!("The query ID {id} does not exist or does not map to a query."),
            )),
            Some(Err(Inactive)) => Err(ApiError::client(
                "InactiveQueryException",
                format!("The query {id} is not running or queued."),
            )),
            Some(Ok(())) => Ok(json!({"QueryId": id, "QueryStatus": "CANCELLED"})),
        }
    }

    /// ListQueries for the store, newest first, filtered by status and creation time.
    pub fn list_queries(&self, req: &Value) -> Result<Value, ApiError> {
        let store = required(req, "EventDataStore")?;
        self.check_store(Some(store))?;
        let max = max_results(req, "MaxResults")?;
        let status = str_field(req, "QueryStatus");
        let start = req
            .get("StartTime")
            .and_then(Value::as_f64)
            .map(|s| (s * 1000.0) as i64);
        let end = req
            .get("EndTime")
            .and_then(Value::as_f64)
            .map(|s| (s * 1000.0) as i64);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(ApiError::client(
                    "InvalidTimeRangeException",
                    "StartTime is after EndTime.",
                ));
            }
        }
        let list: Vec<(String, Status, i64)> = self
            .jobs
            .list()
            .into_iter()
            .filter(|(_, st, _)| status.is_none_or(|s| s == status_text(*st)))
            .filter(|(_, _, created)| {
                start.is_none_or(|s| *created >= s) && end.is_none_or(|e| *created <= e)
            })
            .collect();
        let offset = match str_field(req, "NextToken") {
            None => 0,
            Some(t) => page_token::decode::<usize>(t, "list")
                .filter(|off| *off <= list.len())
                .ok_or_else(|| {
                    ApiError::client("InvalidNextTokenException", "The NextToken is not valid.")
                })?,
        };
        let end_ix = (offset + max).min(list.len());
        let queries: Vec<Value> = list[offset..end_ix]
            .iter()
            .map(|(id, st, created)| json!({"QueryId": id, "QueryStatus": status_text(*st), "CreationTime": *created as f64 / 1000.0}))
            .collect();
        let mut out = json!({ "Queries": queries });
        if end_ix < list.len() {
            out["NextToken"] = json!(page_token::encode("list", end_ix));
        }
        Ok(out)
    }
}

/// A page size Lake accepts (1..=1000, 1000 when absent).
fn max_results(req: &Value, name: &str) -> Result<usize, ApiError> {
    page_size(req, name, 1000, 1000).ok_or_else(|| {
        ApiError::client(
            "InvalidMaxResultsException",
            format!("{name} must be between 1 and 1000."),
        )
    })
}
