//! The alert sink over `aws-sdk-sns`: PublishBatch requests within SNS's limits (ten entries,
//! 256 KiB in all), entries that failed on SNS's side retried with backoff.

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sns::Client;
use tokio_util::task::AbortOnDropHandle;

use super::{batches, AlertSink, Format, Notification, Published};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// Publishes to one SNS topic.
#[derive(Clone)]
pub struct SnsAlerts {
    client: Client,
    topic_arn: String,
    format: Format,
}

impl SnsAlerts {
    /// Publishes to `topic_arn` in trailwatch's format.
    pub fn new(client: Client, topic_arn: String) -> Self {
        Self {
            client,
            topic_arn,
            format: Format::Trailwatch,
        }
    }

    /// The same, its messages in `format`.
    pub fn with_format(self, format: Format) -> Self {
        Self { format, ..self }
    }

    fn entry(&self, i: usize, n: &Notification) -> Result<PublishBatchRequestEntry> {
        let fifo = self.topic_arn.ends_with(".fifo");
        let mut b = PublishBatchRequestEntry::builder()
            .id(format!("m{i}"))
            .message(&n.message)
            .subject(&n.subject);
        for a in &n.attributes {
            let attr = MessageAttributeValue::builder()
                .data_type(a.data_type)
                .string_value(&a.value)
                .build()
                .map_err(|e| Error::Publish(e.to_string()))?;
            b = b.message_attributes(&a.name, attr);
        }
        if fifo {
            b = b
                .message_group_id(&n.group_id)
                .message_deduplication_id(&n.deduplication_id);
        }
        b.build().map_err(|e| Error::Publish(e.to_string()))
    }
}

/// Retries of the entries SNS failed on its side (throttling, internal errors).
const ENTRY_RETRIES: u32 = 4;

impl SnsAlerts {
    /// Publishes one batch (at most ten entries within 256 KiB), retrying the entries SNS
    /// failed on its side; marks in `sent` (the batch's flags) those that went out.
    async fn publish_batch(&self, batch: &[Notification], sent: &mut [bool]) -> Result<()> {
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        for attempt in 0..=ENTRY_RETRIES {
            let entries = pending
                .iter()
                .filter_map(|&i| batch.get(i).map(|n| self.entry(i, n)))
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
            let index = |id: &str| id.strip_prefix('m').and_then(|n| n.parse::<usize>().ok());
            for ok in out.successful() {
                if let Some(flag) = ok.id().and_then(index).and_then(|i| sent.get_mut(i)) {
                    *flag = true;
                }
            }
            if let Some(f) = out.failed().iter().find(|f| f.sender_fault()) {
                // The request itself is wrong: sending it again cannot help.
                return Err(Error::Publish(format!(
                    "SNS refused notification {}: {} {}",
                    f.id(),
                    f.code(),
                    f.message().unwrap_or_default()
                )));
            }
            // Whatever SNS did not report as sent is sent again (an entry missing from both
            // lists included).
            pending = (0..batch.len())
                .filter(|&i| !sent.get(i).copied().unwrap_or(false))
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            if attempt == ENTRY_RETRIES {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        }
        Err(Error::Publish(format!(
            "{} notifications still failing after {ENTRY_RETRIES} retries",
            pending.len()
        )))
    }
}

impl SnsAlerts {
    /// One batch starting at notification `at`, on a task of its own: building, signing and
    /// sending a 256 KiB request is CPU work, which thus runs on another core than the caller's
    /// (reading and packing the next alerts). The task is aborted if the caller goes away.
    fn spawn_at(
        &self,
        at: usize,
        batch: &[Notification],
    ) -> AbortOnDropHandle<(usize, Vec<bool>, Result<()>)> {
        let (me, batch) = (self.clone(), batch.to_vec());
        AbortOnDropHandle::new(tokio::spawn(async move {
            let mut flags = vec![false; batch.len()];
            let out = me.publish_batch(&batch, &mut flags).await;
            (at, flags, out)
        }))
    }
}

/// PublishBatch requests in flight at once on a standard topic: a page's notifications leave
/// together instead of one round trip after another. A FIFO topic takes them one at a time, in
/// order.
const IN_FLIGHT: usize = 4;

#[async_trait]
impl AlertSink for SnsAlerts {
    fn format(&self) -> Format {
        self.format
    }

    async fn publish(&self, notifications: &[Notification]) -> Published {
        use futures_util::StreamExt;
        let in_flight = if self.topic_arn.ends_with(".fifo") {
            1
        } else {
            IN_FLIGHT
        };
        let mut sent = vec![false; notifications.len()];
        let mut error = None;
        let mut spans = Vec::new();
        let mut start = 0;
        for batch in batches(notifications) {
            spans.push((start, batch.len()));
            start += batch.len();
        }
        // `buffered` keeps the order, so the first error reported is the first batch's; on a
        // FIFO topic nothing after a failed batch is sent. A batch's task starts when the
        // stream takes it, so at most `in_flight` run at once.
        let mut results = futures_util::stream::iter(spans)
            .map(|(at, len)| {
                // Positions, not slices, go through the stream: a closure over borrowed
                // items fails the compiler's Send check of this future.
                let batch = notifications.get(at..at + len).unwrap_or_default();
                let task = self.spawn_at(at, batch);
                async move {
                    task.await.unwrap_or_else(|e| {
                        let why = Error::Publish(format!("publishing task ended: {e}"));
                        (at, vec![false; len], Err(why))
                    })
                }
            })
            .buffered(in_flight);
        while let Some((at, flags, out)) = results.next().await {
            for (i, f) in flags.into_iter().enumerate() {
                if let Some(s) = sent.get_mut(at + i) {
                    *s = f;
                }
            }
            if let Err(e) = out {
                error.get_or_insert(e);
                if in_flight == 1 {
                    break;
                }
            }
        }
        Published { sent, error }
    }
}
