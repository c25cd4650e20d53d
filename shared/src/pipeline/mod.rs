//! The compliance-check pipeline the state machine drives: start -> poll (wait loop) -> collect.
//! Each step takes and returns small JSON documents; result rows never pass through.

pub mod collect;
pub mod poll;
pub mod start;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::alert::AlertSink;
use crate::checks::{Catalog, Severity};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::window::Window;
use crate::lake::LakeQueries;

/// The ports and configuration the handlers run with, built once per process.
#[derive(Clone)]
pub struct Deps {
    pub lake: Arc<dyn LakeQueries>,
    pub alerts: Option<Arc<dyn AlertSink>>,
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
    pub event_data_store: String,
    pub started_at: DateTime<Utc>,
    /// Past this, poll-query cancels the query.
    pub deadline: DateTime<Utc>,
    /// The state machine's first Wait (`SecondsPath`); poll-query gives the later ones.
    pub first_wait_seconds: u32,
}

/// Decodes a handler's JSON input, or says precisely what is wrong with it.
pub fn decode<T: DeserializeOwned>(what: &str, input: serde_json::Value) -> Result<T> {
    serde_json::from_value(input).map_err(|e| Error::InvalidInput(format!("{what} input: {e}")))
}

impl Deps {
    /// Builds configuration, catalog and SDK clients from the environment, once per process.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let mut catalog = Catalog::bundled()?;
        if let Some(dir) = &config.checks_dir {
            catalog.add_dir(std::path::Path::new(dir))?;
        }
        let sdk = crate::aws::sdk_config(4).await;
        let lake = crate::lake::sdk::SdkLake::new(
            crate::aws::cloudtrail(&sdk),
            config.owner_account_id.clone(),
        );
        let alerts: Option<Arc<dyn AlertSink>> = config.alert_topic_arn.clone().map(|t| {
            Arc::new(crate::alert::sns::SnsAlerts::new(crate::aws::sns(&sdk), t))
                as Arc<dyn AlertSink>
        });
        Ok(Self {
            lake: Arc::new(lake),
            alerts,
            catalog: Arc::new(catalog),
            config: Arc::new(config),
        })
    }
}
