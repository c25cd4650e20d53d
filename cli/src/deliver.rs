//! `--topic-arn`: where the CLI publishes alerts (the embedded service's SNS, an endpoint's, or
//! AWS's) and the ledger file that keeps a repeated run from sending an alert twice.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use trailwatch::alert::sns::SnsAlerts;
use trailwatch::alert::AlertSink;
use trailwatch::ledger::{Ledger, LedgerPolicy};

use crate::ledger::{default_path, FileLedger};
use crate::target::Target;

/// The SNS sink for `topic_arn` and the ledger file at `ledger` (or the default path).
pub async fn sink(
    target: &Target,
    topic_arn: &str,
    ledger: Option<&Path>,
) -> anyhow::Result<(Arc<dyn AlertSink>, Arc<dyn Ledger>)> {
    let parts: Vec<&str> = topic_arn.split(':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" {
        bail!("--topic-arn {topic_arn:?} is not an SNS topic ARN");
    }
    let client = aws_sdk_sns::Client::new(&target.sdk);
    if target.local.is_some() {
        // The embedded service starts with no topics: make the one named.
        client
            .create_topic()
            .name(parts[5])
            .send()
            .await
            .context("creating the topic on the embedded SNS")?;
    }
    let path = ledger.map_or_else(default_path, Path::to_path_buf);
    let ledger = FileLedger::open(&path, LedgerPolicy::default())?;
    Ok((
        Arc::new(SnsAlerts::new(client, topic_arn.to_string())),
        Arc::new(ledger),
    ))
}
