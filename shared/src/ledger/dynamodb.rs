//! The ledger over DynamoDB (`aws-sdk-dynamodb`): a conditional PutItem claims each key (the
//! condition is [`LedgerPolicy::claim`] stated for DynamoDB; 32 in flight), BatchWriteItem marks
//! sent (25 keys a call),
//! a TTL attribute lets DynamoDB delete records past the horizon (within about 48 h: the
//! condition also compares the stored expiry).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use futures_util::TryFutureExt;

use super::{Claim, Ledger, LedgerPolicy, State};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// The ledger table: partition key `pk` (string), TTL attribute `expires_at` (epoch seconds).
pub struct DynamoLedger {
    client: Client,
    table: String,
    policy: LedgerPolicy,
}

/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;
/// Retries of a mark (items DynamoDB left unprocessed, or a failed request), with backoff.
const UNPROCESSED_RETRIES: u32 = 8;

impl DynamoLedger {
    pub fn new(client: Client, table: String, policy: LedgerPolicy) -> Self {
        Self {
            client,
            table,
            policy,
        }
    }

    fn item(
        &self,
        key: &str,
        state: State,
        owner: &str,
        now: DateTime<Utc>,
    ) -> HashMap<String, AttributeValue> {
        let r = self.policy.record(state, owner, now);
        let n = |v: i64| AttributeValue::N(v.to_string());
        let state = match r.state {
            State::Pending => "pending",
            State::Sent => "sent",
        };
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(key.to_string())),
            ("state".to_string(), AttributeValue::S(state.to_string())),
            ("owner".to_string(), AttributeValue::S(r.owner)),
            ("claimed_at".to_string(), n(r.claimed_at)),
            ("expires_at".to_string(), n(r.expires_at)),
        ])
    }
}

/// Claims in flight at once (a page holds up to 1,000 findings).
const CLAIMS_IN_FLIGHT: usize = 32;

impl DynamoLedger {
    /// One conditional put. A record that does not have the ledger's shape counts as absent
    /// (the policy's rule): the alert goes out again rather than being lost behind a broken
    /// record. The record that stood in the way says whether the key was sent or is held.
    async fn try_claim(&self, key: &str, owner: &str, now: DateTime<Utc>) -> Result<Claim> {
        let n = |v: i64| AttributeValue::N(v.to_string());
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item(key, State::Pending, owner, now)))
            .condition_expression(
                "attribute_not_exists(pk) \
                 OR NOT attribute_type(expires_at, :n) OR NOT attribute_type(claimed_at, :n) \
                 OR NOT attribute_type(#owner, :s) OR NOT (#state IN (:pending, :sent)) \
                 OR expires_at < :now \
                 OR (#state = :pending AND (#owner = :owner OR claimed_at < :stale))",
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":n", AttributeValue::S("N".into()))
            .expression_attribute_values(":s", AttributeValue::S("S".into()))
            .expression_attribute_values(":sent", AttributeValue::S("sent".into()))
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .expression_attribute_values(":stale", n((now - self.policy.lease).timestamp()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(Claim::Won),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => {
                    let sent = c
                        .item()
                        .and_then(|i| i.get("state"))
                        .and_then(|v| v.as_s().ok())
                        .is_some_and(|s| s == "sent");
                    Ok(if sent { Claim::Sent } else { Claim::Held })
                }
                _ => Err(map_sdk_error(e)),
            },
        }
    }
}

impl DynamoLedger {
    /// One conditional delete ([`LedgerPolicy::may_release`] stated for DynamoDB): a key sent
    /// or claimed by another owner since fails the condition and is left alone.
    async fn try_release(&self, key: &str, owner: &str) -> Result<()> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .condition_expression("#state = :pending AND #owner = :owner")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(_)) => Ok(()),
                _ => Err(map_sdk_error(e)),
            },
        }
    }
}

/// Runs `op` again on transient failures and throttling, past the SDK's own attempts and its
/// retry quota (which a long run of faults drains), with capped exponential backoff.
async fn persist<T, F, Fut>(what: &str, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(Error::Transient(m) | Error::Throttled(m)) if attempt < UNPROCESSED_RETRIES => {
                tracing::warn!(error = %m, attempt, "{what}: retrying");
                tokio::time::sleep(std::time::Duration::from_millis(
                    (50u64 << attempt).min(2_000),
                ))
                .await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn claim(&self, key: &str, owner: &str, now: DateTime<Utc>) -> Result<Claim> {
        persist("claiming an alert", || self.try_claim(key, owner, now)).await
    }

    async fn claim_many(
        &self,
        keys: &[String],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claim>> {
        stream::iter(keys.iter().cloned())
            .map(|k| async move { self.claim(&k, owner, now).await })
            .buffered(CLAIMS_IN_FLIGHT)
            .try_collect()
            .await
    }

    async fn release(&self, keys: &[String], owner: &str) -> Result<()> {
        stream::iter(keys.iter().cloned())
            // One attempt each: this runs out of time by design, and the lease is the fallback.
            .map(|k| async move { self.try_release(&k, owner).await })
            .buffered(CLAIMS_IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await
            .map(|_| ())
    }

    async fn mark_sent(&self, keys: &[String], owner: &str, now: DateTime<Utc>) -> Result<()> {
        for chunk in keys.chunks(BATCH) {
            let mut requests = chunk
                .iter()
                .map(|k| {
                    PutRequest::builder()
                        .set_item(Some(self.item(k, State::Sent, owner, now)))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(|e| Error::InvalidInput(e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            for attempt in 0..=UNPROCESSED_RETRIES {
                // The alerts are out: giving up here would let a retry publish them again.
                let out = persist("marking alerts sent", || {
                    self.client
                        .batch_write_item()
                        .request_items(&self.table, requests.clone())
                        .send()
                        .map_err(map_sdk_error)
                })
                .await?;
                requests = out
                    .unprocessed_items()
                    .and_then(|m| m.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt == UNPROCESSED_RETRIES {
                    return Err(Error::Throttled(format!(
                        "DynamoDB left {} ledger records unwritten",
                        requests.len()
                    )));
                }
                tokio::time::sleep(std::time::Duration::from_millis((50 << attempt).min(2_000)))
                    .await;
            }
        }
        Ok(())
    }
}
