//! A sweep's progress per lane (region), kept between invocations: how far events were read
//! once (the fresh pass), how far they were read again after the late-arrival horizon had
//! passed (the final pass), and the reading in progress when an invocation ran out of time.

pub mod dynamodb;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scan::Scan;
use crate::document::{Documents, MemoryDocuments, SaveError};
use crate::error::{Error, Result};

/// Which of a lane's two readings a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    /// The first reading of new events, soon after they happen.
    Fresh,
    /// The reading once no more events of the range can arrive (late-arrival horizon passed).
    Final,
}

/// A reading begun and not finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    pub pass: Pass,
    pub scan: Scan,
    /// The scheduled time of the invocation that began it: every event at least the late-arrival
    /// horizon older than this had arrived when it was read.
    pub begun: DateTime<Utc>,
}

/// One lane's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Events before this were read at least once.
    pub fresh_until: DateTime<Utc>,
    /// Events before this were read after they could no longer arrive late.
    pub final_until: DateTime<Utc>,
    pub active: Option<Active>,
}

/// A checkpoint as stored, with the version a conditional save expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub checkpoint: Checkpoint,
    pub version: u64,
}

/// Where checkpoints are kept.
#[async_trait]
pub trait Checkpoints: Send + Sync {
    /// The lane's checkpoint, if it has one.
    async fn load(&self, lane: &str) -> Result<Option<Stored>>;
    /// Saves `checkpoint` if the stored version is still `previous` (None: none stored);
    /// returns the new version, or [`Error::SweepBusy`] when another sweep saved in between.
    async fn save(&self, lane: &str, checkpoint: &Checkpoint, previous: Option<u64>)
        -> Result<u64>;
}

/// Checkpoints as versioned documents (key `sweep#LANE`), in memory or in DynamoDB.
#[derive(Default)]
pub struct DocumentCheckpoints<D>(pub D);

/// Checkpoints held in memory, for one process (the CLI and unit tests).
pub type MemoryCheckpoints = DocumentCheckpoints<MemoryDocuments>;

fn key(lane: &str) -> String {
    format!("sweep#{lane}")
}

#[async_trait]
impl<D: Documents> Checkpoints for DocumentCheckpoints<D> {
    async fn load(&self, lane: &str) -> Result<Option<Stored>> {
        let Some(doc) = self.0.load(&key(lane)).await? else {
            return Ok(None);
        };
        // A checkpoint that does not parse cannot say what was read: the sweep stops with
        // this error (and its alarm) rather than guess and skip events.
        let checkpoint: Checkpoint = serde_json::from_str(&doc.text)
            .map_err(|e| Error::Checkpoint(format!("lane {lane}: `checkpoint`: {e}")))?;
        Ok(Some(Stored {
            checkpoint,
            version: doc.version,
        }))
    }

    async fn save(
        &self,
        lane: &str,
        checkpoint: &Checkpoint,
        previous: Option<u64>,
    ) -> Result<u64> {
        let text = serde_json::to_string(checkpoint)
            .map_err(|e| Error::Checkpoint(format!("lane {lane}: {e}")))?;
        self.0
            .save(&key(lane), &text, previous)
            .await
            .map_err(|e| match e {
                SaveError::Conflict { .. } => {
                    Error::SweepBusy(format!("lane {lane}: checkpoint {e}"))
                }
                SaveError::Other(e) => e,
            })
    }
}
