//! The query-engine port over CloudTrail Lake (`aws-sdk-cloudtrail`).

use async_trait::async_trait;
use aws_sdk_cloudtrail::Client;

use crate::aws::map_sdk_error;
use crate::engine::{EngineKind, QueryEngine, QueryState, QueryStatus, ResultsPage, Row};
use crate::error::{Error, Result};

/// Lake through the AWS SDK.
pub struct SdkLake {
    client: Client,
    owner_account_id: Option<String>,
}

impl SdkLake {
    /// `owner_account_id` is set for organization event data stores owned by another account.
    pub fn new(client: Client, owner_account_id: Option<String>) -> Self {
        Self {
            client,
            owner_account_id,
        }
    }
}

fn status(s: Option<&aws_sdk_cloudtrail::types::QueryStatus>) -> Result<QueryStatus> {
    let text = s
        .map(aws_sdk_cloudtrail::types::QueryStatus::as_str)
        .unwrap_or_default();
    QueryStatus::parse(text).ok_or_else(|| Error::Aws {
        code: "UnknownQueryStatus".into(),
        message: format!("Lake reported status {text:?}"),
    })
}

#[async_trait]
impl QueryEngine for SdkLake {
    fn kind(&self) -> EngineKind {
        EngineKind::Lake
    }

    async fn start(&self, sql: &str, delivery_s3_uri: Option<&str>) -> Result<String> {
        let out = self
            .client
            .start_query()
            .query_statement(sql)
            .set_delivery_s3_uri(delivery_s3_uri.map(str::to_string))
            .set_event_data_store_owner_account_id(self.owner_account_id.clone())
            .send()
            .await
            .map_err(map_sdk_error)?;
        out.query_id()
            .map(str::to_string)
            .ok_or_else(|| Error::Aws {
                code: "MissingQueryId".into(),
                message: "StartQuery returned no QueryId".into(),
            })
    }

    async fn describe(&self, query_id: &str) -> Result<QueryState> {
        let out = self
            .client
            .describe_query()
            .query_id(query_id)
            .set_event_data_store_owner_account_id(self.owner_account_id.clone())
            .send()
            .await
            .map_err(map_sdk_error)?;
        let stats = out.query_statistics();
        Ok(QueryState {
            status: status(out.query_status())?,
            events_matched: stats.and_then(aws_sdk_cloudtrail::types::QueryStatisticsForDescribeQuery::events_matched).unwrap_or(0),
            events_scanned: stats.and_then(aws_sdk_cloudtrail::types::QueryStatisticsForDescribeQuery::events_scanned).unwrap_or(0),
            bytes_scanned: stats.and_then(aws_sdk_cloudtrail::types::QueryStatisticsForDescribeQuery::bytes_scanned).unwrap_or(0),
            execution_ms: i64::from(stats
                .and_then(aws_sdk_cloudtrail::types::QueryStatisticsForDescribeQuery::execution_time_in_millis)
                .unwrap_or(0)),
            error_message: out.error_message().map(str::to_string),
        })
    }

    async fn page(&self, query_id: &str, token: Option<&str>, max: i32) -> Result<ResultsPage> {
        let mut out = self
            .client
            .get_query_results()
            .query_id(query_id)
            .set_next_token(token.map(str::to_string))
            .max_query_results(max)
            .set_event_data_store_owner_account_id(self.owner_account_id.clone())
            .send()
            .await
            .map_err(map_sdk_error)?;
        // The cells' strings are moved out of the reply, not copied: a page is a thousand rows.
        let rows: Vec<Row> = out
            .query_result_rows
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|row| row.into_iter().flatten().collect())
            .collect();
        let stats = out.query_statistics();
        Ok(ResultsPage {
            status: out
                .query_status()
                .and_then(|s| QueryStatus::parse(s.as_str())),
            rows,
            next_token: out.next_token().map(str::to_string),
            bytes_scanned: stats
                .and_then(aws_sdk_cloudtrail::types::QueryStatistics::bytes_scanned),
        })
    }

    async fn cancel(&self, query_id: &str) -> Result<QueryStatus> {
        let out = self
            .client
            .cancel_query()
            .query_id(query_id)
            .set_event_data_store_owner_account_id(self.owner_account_id.clone())
            .send()
            .await
            .map_err(map_sdk_error)?;
        status(Some(out.query_status()))
    }
}
