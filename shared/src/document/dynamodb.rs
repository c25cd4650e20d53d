//! Documents as items of the alert ledger's DynamoDB table (partition key `pk`): the text in
//! one string attribute, saved with a condition on the `version` attribute.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use async_trait::async_trait;

use super::{next, Documents, SaveError, Versioned};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// Documents in `table`, their text in attribute `attribute`.
pub struct DynamoDocuments {
    client: Client,
    table: String,
    attribute: &'static str,
}

impl DynamoDocuments {
    /// Documents in `table`, each text in attribute `attribute`.
    pub fn new(client: Client, table: String, attribute: &'static str) -> Self {
        Self {
            client,
            table,
            attribute,
        }
    }
}

#[async_trait]
impl Documents for DynamoDocuments {
    async fn load(&self, key: &str) -> Result<Option<Versioned>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        // A record that does not parse cannot say what was done: the caller stops with this
        // error (and its alarm) rather than guess.
        let bad = |why: String| Error::Checkpoint(format!("{key}: {why}"));
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("no numeric `version`".into()))?;
        let text = item
            .get(self.attribute)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| bad(format!("no `{}` string", self.attribute)))?;
        Ok(Some(Versioned {
            text: text.clone(),
            version,
        }))
    }

    async fn save(
        &self,
        key: &str,
        text: &str,
        previous: Option<u64>,
    ) -> std::result::Result<u64, SaveError> {
        let version = next(previous);
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.to_string()))
            .item(self.attribute, AttributeValue::S(text.to_string()))
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
                    let stored = c.item().and_then(|i| {
                        Some((
                            i.get("version")?.as_n().ok()?.clone(),
                            i.get(self.attribute)?.as_s().ok()?.clone(),
                        ))
                    });
                    // A retried save whose first attempt was applied finds its own record.
                    if stored.as_ref() == Some(&(version.to_string(), text.to_string())) {
                        return Ok(version);
                    }
                    Err(SaveError::Conflict {
                        previous,
                        current: stored.and_then(|s| s.0.parse().ok()),
                    })
                }
                _ => Err(SaveError::Other(map_sdk_error(e))),
            },
        }
    }
}
