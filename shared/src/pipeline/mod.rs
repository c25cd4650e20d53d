//! The compliance-check pipeline the state machine drives: start -> poll (a Retry loop) ->
//! collect. Each step takes and returns small typed documents (JSON only at the Lambda edge,
//! see [`crate::lambda`]); result rows never pass through. [`drive`] runs the same steps with
//! the same policy for the CLI.

pub mod collect;
pub mod drive;
pub mod policy;
pub mod poll;
pub mod start;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::AlertSink;
use crate::checks::Catalog;
use crate::config::Config;
use crate::engine::{EngineKind, QueryEngine};
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::severity::Severity;
use crate::window::Window;

/// The ports and configuration the handlers run with, built once per process.
#[derive(Clone)]
pub struct Deps {
    pub engine: Arc<dyn QueryEngine>,
    pub alerts: Option<Arc<dyn AlertSink>>,
    /// The alert ledger, when the deployment has one (`TRAILWATCH_LEDGER_TABLE`).
    pub ledger: Option<Arc<dyn Ledger>>,
    pub catalog: Arc<Catalog>,
    pub config: Arc<Config>,
}

/// What start-query returns and the later steps carry: the query and what it checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryRef {
    pub query_id: String,
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    pub window: Window,
    /// The engine the query runs on.
    pub engine: EngineKind,
    /// What it reads: the event data store id (Lake) or `database.table` (Athena).
    pub source: String,
    pub started_at: DateTime<Utc>,
    /// Past this, poll-query cancels the query.
    pub deadline: DateTime<Utc>,
}

/// The query engine the configuration chooses, through the SDK configuration `sdk`.
pub fn engine_for(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Arc<dyn QueryEngine>> {
    Ok(match (config.engine, &config.athena) {
        (EngineKind::Lake, _) => Arc::new(crate::lake::SdkLake::new(
            crate::aws::cloudtrail(sdk),
            config.owner_account_id.clone(),
        )),
        (EngineKind::Athena, Some(target)) => Arc::new(crate::athena::SdkAthena::new(
            crate::aws::athena(sdk),
            target.clone(),
        )),
        (EngineKind::Athena, None) => {
            return Err(Error::Config("Athena engine without its settings".into()))
        }
    })
}

impl Deps {
    /// Builds configuration, catalog and SDK clients from the environment, once per process.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let catalog = Catalog::load(
            config.engine,
            config.checks_dir.as_deref().map(std::path::Path::new),
        )?;
        // Six tries: the SDK's backoff (1 s doubling) stays within the functions' 60 s timeout.
        let sdk = crate::aws::sdk_config(6, config.retry_backoff).await;
        let engine = engine_for(&config, &sdk)?;
        let alerts: Option<Arc<dyn AlertSink>> = config.alert_topic_arn.clone().map(|t| {
            Arc::new(
                crate::alert::sns::SnsAlerts::new(crate::aws::sns(&sdk), t)
                    .with_format(config.alert_format),
            ) as Arc<dyn AlertSink>
        });
        let ledger = crate::ledger::from_config(&config, &sdk);
        Ok(Self {
            engine,
            alerts,
            ledger,
            catalog: Arc::new(catalog),
            config: Arc::new(config),
        })
    }
}
