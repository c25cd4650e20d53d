//! Checkpoints in the alert ledger's DynamoDB table (key `sweep#LANE`), saved with a version
//! condition so two sweeps can never both advance a lane.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use async_trait::async_trait;

use super::{Checkpoint, Checkpoints, Stored};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// Checkpoints beside the ledger's records (partition key `pk`).
pub struct DynamoCheckpoints {
    client: Client,
    table: String,
}

impl DynamoCheckpoints {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

fn key(lane: &str) -> AttributeValue {
    AttributeValue::S(format!("sweep#{lane}"))
}

#[async_trait]
impl Checkpoints for DynamoCheckpoints {
    async fn load(&self, lane: &str) -> Result<Option<Stored>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", key(lane))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        // A checkpoint that does not parse cannot say what was read: the sweep stops with
        // this error (and its alarm) rather than guess and skip events.
        let bad = |why: &str| Error::Checkpoint(format!("lane {lane}: {why}"));
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("no numeric `version`"))?;
        let text = item
            .get("checkpoint")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| bad("no `checkpoint` string"))?;
        let checkpoint: Checkpoint =
            serde_json::from_str(text).map_err(|e| bad(&format!("`checkpoint`: {e}")))?;
        Ok(Some(Stored {
            checkpoint,
            version,
        }))
    }

    async fn save(
        &self,
        lane: &str,
        checkpoint: &Checkpoint,
        previous: Option<u64>,
    ) -> Result<u64> {
        let version = previous.map_or(1, |v| v.saturating_add(1));
        let text = serde_json::to_string(checkpoint)
            .map_err(|e| Error::Checkpoint(format!("lane {lane}: {e}")))?;
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", key(lane))
            .item("checkpoint", AttributeValue::S(text.clone()))
            .item("version", AttributeValue::N(version.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        req = match previous {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(v) => req
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(version),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => {
                    // A retried save whose first attempt was applied finds its own record.
                    let stored = c.item().and_then(|i| {
                        Some((
                            i.get("version")?.as_n().ok()?.clone(),
                            i.get("checkpoint")?.as_s().ok()?.clone(),
                        ))
                    });
                    if stored.as_ref() == Some(&(version.to_string(), text)) {
                        return Ok(version);
                    }
                    Err(Error::SweepBusy(format!(
                        "lane {lane}: another sweep saved its checkpoint since version {previous:?} (now {:?})",
                        stored.map(|s| s.0)
                    )))
                }
                _ => Err(map_sdk_error(e)),
            },
        }
    }
}
