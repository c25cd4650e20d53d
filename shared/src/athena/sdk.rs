//! The query-engine port over Athena (`aws-sdk-athena`): StartQueryExecution,
//! GetQueryExecution, GetQueryResults, StopQueryExecution.

use async_trait::async_trait;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState};
use aws_sdk_athena::Client;

use super::AthenaTarget;
use crate::aws::map_sdk_error;
use crate::engine::{EngineKind, QueryEngine, QueryState, QueryStatus, ResultsPage, Row};
use crate::error::{Error, Result};

/// Athena through the AWS SDK.
pub struct SdkAthena {
    client: Client,
    target: AthenaTarget,
}

impl SdkAthena {
    /// Queries run in `target.workgroup` with `target.database` as their default database.
    pub fn new(client: Client, target: AthenaTarget) -> Self {
        Self { client, target }
    }
}

fn status(s: Option<&QueryExecutionState>) -> Result<QueryStatus> {
    let text = s.map(QueryExecutionState::as_str).unwrap_or_default();
    QueryStatus::parse(text).ok_or_else(|| Error::Aws {
        code: "UnknownQueryStatus".into(),
        message: format!("Athena reported state {text:?}"),
    })
}

#[async_trait]
impl QueryEngine for SdkAthena {
    fn kind(&self) -> EngineKind {
        EngineKind::Athena
    }

    async fn start(&self, sql: &str, delivery_s3_uri: Option<&str>) -> Result<String> {
        if delivery_s3_uri.is_some() {
            // The workgroup enforces where Athena writes results; Lake's delivery has no twin.
            return Err(Error::InvalidInput(
                "delivery_s3_uri is a CloudTrail Lake option; Athena writes results where its workgroup says".into(),
            ));
        }
        let context = QueryExecutionContext::builder()
            .database(&self.target.database)
            .catalog(&self.target.catalog)
            .build();
        let out = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(&self.target.workgroup)
            .query_execution_context(context)
            .send()
            .await
            .map_err(map_sdk_error)?;
        out.query_execution_id()
            .map(str::to_string)
            .ok_or_else(|| Error::Aws {
                code: "MissingQueryExecutionId".into(),
                message: "StartQueryExecution returned no QueryExecutionId".into(),
            })
    }

    async fn describe(&self, query_id: &str) -> Result<QueryState> {
        let out = self
            .client
            .get_query_execution()
            .query_execution_id(query_id)
            .send()
            .await
            .map_err(map_sdk_error)?;
        let q = out.query_execution().ok_or_else(|| Error::Aws {
            code: "MissingQueryExecution".into(),
            message: format!("GetQueryExecution returned nothing for {query_id}"),
        })?;
        let st = q.status();
        let stats = q.statistics();
        Ok(QueryState {
            status: status(st.and_then(|s| s.state()))?,
            events_matched: 0,
            events_scanned: 0,
            bytes_scanned: stats.and_then(aws_sdk_athena::types::QueryExecutionStatistics::data_scanned_in_bytes).unwrap_or(0),
            execution_ms: stats
                .and_then(aws_sdk_athena::types::QueryExecutionStatistics::engine_execution_time_in_millis)
                .unwrap_or(0),
            error_message: st.and_then(|s| s.state_change_reason()).map(str::to_string),
        })
    }

    async fn page(&self, query_id: &str, token: Option<&str>, max: i32) -> Result<ResultsPage> {
        let mut out = self
            .client
            .get_query_results()
            .query_execution_id(query_id)
            .set_next_token(token.map(str::to_string))
            .max_results(max)
            .send()
            .await
            .map_err(map_sdk_error)?;
        let set = out.result_set.take();
        let names: Vec<String> = set
            .as_ref()
            .and_then(|s| s.result_set_metadata())
            .map(|m| {
                m.column_info()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect()
            })
            .unwrap_or_default();
        // The values are moved out of the reply, not copied: a page is a thousand rows.
        let mut rows: Vec<Row> = set
            .and_then(|s| s.rows)
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                names
                    .iter()
                    .zip(r.data.unwrap_or_default())
                    // A NULL has no VarCharValue; Lake prints it as an empty string.
                    .map(|(n, d)| (n.clone(), d.var_char_value.unwrap_or_default()))
                    .collect()
            })
            .collect();
        // The first page of a SELECT starts with the header row.
        let is_header =
            |r: &Row| r.len() == names.len() && r.iter().all(|(n, v)| n.eq_ignore_ascii_case(v));
        if token.is_none() && rows.first().is_some_and(is_header) {
            rows.remove(0);
        }
        Ok(ResultsPage {
            status: None,
            rows,
            next_token: out.next_token().map(str::to_string),
            bytes_scanned: None,
        })
    }

    async fn cancel(&self, query_id: &str) -> Result<QueryStatus> {
        self.client
            .stop_query_execution()
            .query_execution_id(query_id)
            .send()
            .await
            .map_err(map_sdk_error)?;
        Ok(self.describe(query_id).await?.status)
    }
}
