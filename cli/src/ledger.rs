//! The CLI's alert ledger: the same claim rule as the deployed DynamoDB ledger
//! ([`LedgerPolicy::claim`]), kept in an embedded database file (redb), so that running
//! `trailwatch run --topic-arn ...` again sends nothing already sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{Database, ReadableTable, TableDefinition};
use trailwatch::ledger::{Claim, Ledger, LedgerPolicy, Record, State};
use trailwatch::{Error, Result};

const RECORDS: TableDefinition<&str, &str> = TableDefinition::new("alert_ledger");

/// A ledger in one redb file.
pub struct FileLedger {
    db: Arc<Database>,
    policy: LedgerPolicy,
}

/// Where the ledger lives unless `--ledger` says otherwise.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("trailwatch").join("ledger.redb")
}

fn db_error(e: impl std::fmt::Display) -> Error {
    Error::Publish(format!("the ledger file: {e}"))
}

impl FileLedger {
    /// Opens (or creates) the ledger at `path`.
    pub fn open(path: &Path, policy: LedgerPolicy) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let db = Database::create(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            db: Arc::new(db),
            policy,
        })
    }

    /// Runs `f` in a write transaction on a blocking thread (redb is synchronous).
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut redb::Table<&str, &str>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(db_error)?;
            let out = {
                let mut table = txn.open_table(RECORDS).map_err(db_error)?;
                f(&mut table)?
            };
            txn.commit().map_err(db_error)?;
            Ok(out)
        })
        .await
        .map_err(db_error)?
    }
}

#[async_trait]
impl Ledger for FileLedger {
    async fn claim(&self, key: &str, owner: &str, now: DateTime<Utc>) -> Result<Claim> {
        let (key, owner, policy) = (key.to_string(), owner.to_string(), self.policy);
        self.write(move |t| {
            let existing: Option<Record> = match t.get(key.as_str()).map_err(db_error)? {
                // A record that does not parse is treated as absent: the alert goes out.
                Some(v) => serde_json::from_str(v.value()).ok(),
                None => None,
            };
            let claim = policy.claim(existing.as_ref(), &owner, now);
            if claim != Claim::Won {
                return Ok(claim);
            }
            let record = serde_json::to_string(&policy.record(State::Pending, &owner, now))
                .map_err(db_error)?;
            t.insert(key.as_str(), record.as_str()).map_err(db_error)?;
            Ok(Claim::Won)
        })
        .await
    }

    async fn release(&self, keys: &[String], owner: &str) -> Result<()> {
        let (keys, owner) = (keys.to_vec(), owner.to_string());
        self.write(move |t| {
            for k in &keys {
                let existing: Option<Record> = match t.get(k.as_str()).map_err(db_error)? {
                    Some(v) => serde_json::from_str(v.value()).ok(),
                    None => None,
                };
                if LedgerPolicy::may_release(existing.as_ref(), &owner) {
                    t.remove(k.as_str()).map_err(db_error)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn mark_sent(&self, keys: &[String], owner: &str, now: DateTime<Utc>) -> Result<()> {
        let record = serde_json::to_string(&self.policy.record(State::Sent, owner, now))
            .map_err(db_error)?;
        let keys = keys.to_vec();
        self.write(move |t| {
            for k in &keys {
                t.insert(k.as_str(), record.as_str()).map_err(db_error)?;
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_file_keeps_the_claim_rule_across_opens() {
        let path = std::env::temp_dir().join(format!("tw-ledger-{}.redb", std::process::id()));
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        {
            let l = FileLedger::open(&path, LedgerPolicy::default()).unwrap();
            assert_eq!(l.claim("k", "a", t0).await.unwrap(), Claim::Won);
            assert_eq!(l.claim("k", "b", t0).await.unwrap(), Claim::Held);
            l.mark_sent(&["k".into()], "a", t0).await.unwrap();
        }
        let l = FileLedger::open(&path, LedgerPolicy::default()).unwrap();
        assert_eq!(
            l.claim("k", "a", t0).await.unwrap(),
            Claim::Sent,
            "sent, as recorded in the file"
        );
        assert_eq!(l.claim("j", "a", t0).await.unwrap(), Claim::Won);
        // Given back by its owner only; a sent key stays sent.
        l.release(&["j".into(), "k".into()], "b").await.unwrap();
        assert_eq!(l.claim("j", "b", t0).await.unwrap(), Claim::Held);
        l.release(&["j".into(), "k".into()], "a").await.unwrap();
        assert_eq!(l.claim("j", "b", t0).await.unwrap(), Claim::Won);
        assert_eq!(l.claim("k", "b", t0).await.unwrap(), Claim::Sent);
        std::fs::remove_file(path).ok();
    }
}
