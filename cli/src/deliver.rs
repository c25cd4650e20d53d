//! `--topic-arn`: where the CLI publishes alerts (the embedded service's SNS, an endpoint's, or
//! AWS's) and the ledger file that keeps a repeated run from sending an alert twice.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use trailwatch::alert::sns::SnsAlerts;
use trailwatch::alert::topic::TopicArn;
use trailwatch::alert::{AlertSink, Format};
use trailwatch::ledger::{Ledger, LedgerPolicy};

use crate::ledger::{default_path, FileLedger};
use crate::target::Target;

/// `--alert-format`: `trailwatch` or `ocsf`.
pub fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("{s:?}: expected `trailwatch` or `ocsf`"))
}

/// The SNS sink for `topic_arn` writing `format`, and the ledger file at `ledger` (or the
/// default path).
pub async fn sink(
    target: &Target,
    topic_arn: &str,
    format: Format,
    ledger: Option<&Path>,
) -> anyhow::Result<(Arc<dyn AlertSink>, Arc<dyn Ledger>)> {
    let topic = TopicArn::parse(topic_arn).map_err(|e| anyhow!("--topic-arn {e}"))?;
    let client = trailwatch::aws::sns(&target.sdk);
    if target.local.is_some() {
        // The embedded service starts with no topics: make the one named.
        client
            .create_topic()
            .name(topic.name())
            .send()
            .await
            .context("creating the topic on the embedded SNS")?;
    }
    let path = ledger.map_or_else(default_path, Path::to_path_buf);
    let ledger = FileLedger::open(&path, LedgerPolicy::default())?;
    Ok((
        Arc::new(SnsAlerts::new(client, topic_arn.to_string()).with_format(format)),
        Arc::new(ledger),
    ))
}
