//! Small JSON documents kept between invocations and saved with a version condition, so two
//! writers can never both advance one: a sweep lane's checkpoint, the correlation state. One
//! DynamoDB adapter (items beside the alert ledger's records) and one in memory.

pub mod dynamodb;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::Result;

/// A document's text and the version a conditional save expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The document (JSON).
    pub text: String,
    /// Its version, counted from 1 by each save.
    pub version: u64,
}

/// Why a save did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Another writer saved the document since the version read (it holds `current`).
    #[error("saved by another writer since version {previous:?} (now {current:?})")]
    Conflict {
        previous: Option<u64>,
        current: Option<u64>,
    },
    /// The store failed (DynamoDB unreachable, throttled past its retries...).
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// Where the documents are kept.
#[async_trait]
pub trait Documents: Send + Sync {
    /// The document under `key`, if any.
    async fn load(&self, key: &str) -> Result<Option<Versioned>>;
    /// Saves `text` under `key` if its version is still `previous` (None: none stored); returns
    /// the new version.
    async fn save(
        &self,
        key: &str,
        text: &str,
        previous: Option<u64>,
    ) -> std::result::Result<u64, SaveError>;
}

/// The version after `previous`.
fn next(previous: Option<u64>) -> u64 {
    previous.map_or(1, |v| v.saturating_add(1))
}

/// Documents in memory, for one process (the CLI and tests).
#[derive(Default)]
pub struct MemoryDocuments(Mutex<HashMap<String, Versioned>>);

#[async_trait]
impl Documents for MemoryDocuments {
    async fn load(&self, key: &str) -> Result<Option<Versioned>> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned())
    }

    async fn save(
        &self,
        key: &str,
        text: &str,
        previous: Option<u64>,
    ) -> std::result::Result<u64, SaveError> {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = m.get(key).map(|d| d.version);
        if current != previous {
            return Err(SaveError::Conflict { previous, current });
        }
        let version = next(previous);
        m.insert(
            key.to_string(),
            Versioned {
                text: text.to_string(),
                version,
            },
        );
        Ok(version)
    }
}
