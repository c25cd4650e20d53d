//! The alert sink over `aws-sdk-sns`: PublishBatch, ten notifications a call.

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sns::Client;

use super::{AlertSink, Notification};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// Publishes to one SNS topic.
pub struct SnsAlerts {
    client: Client,
    topic_arn: String,
}

impl SnsAlerts {
    pub fn new(client: Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }

    fn entry(&self, i: usize, n: &Notification) -> Result<PublishBatchRequestEntry> {
        let fifo = self.topic_arn.ends_with(".fifo");
        let mut b = PublishBatchRequestEntry::builder()
            .id(format!("m{i}"))
            .message(&n.message)
            .subject(&n.subject);
        for (k, v) in &n.attributes {
            let attr = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| Error::Publish(e.to_string()))?;
            b = b.message_attributes(k, attr);
        }
        if fifo {
            b = b
                .message_group_id(&n.group_id)
                .message_deduplication_id(&n.deduplication_id);
        }
        b.build().map_err(|e| Error::Publish(e.to_string()))
    }
}

#[async_trait]
impl AlertSink for SnsAlerts {
    async fn publish(&self, notifications: &[Notification]) -> Result<usize> {
        let mut sent = 0;
        for chunk in notifications.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, n)| self.entry(i, n))
                .collect::<Result<Vec<_>>>()?;
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| match map_sdk_error(e) {
                    t @ (Error::Throttled(_) | Error::Transient(_)) => t,
                    other => Error::Publish(other.to_string()),
                })?;
            if let Some(f) = out.failed().first() {
                return Err(Error::Publish(format!(
                    "{} of {} notifications failed; first: {} {}",
                    out.failed().len(),
                    chunk.len(),
                    f.code(),
                    f.message().unwrap_or_default()
                )));
            }
            sent += out.successful().len();
        }
        Ok(sent)
    }
}
