//! trailwatch: CloudTrail compliance checks (on CloudTrail Lake or Athena) and CloudTrail
//! detection rules, with alerts.
//!
//! The domain (query lifecycle, windows, check SQL, alerts) is plain Rust; AWS calls go through
//! the small traits [`engine::QueryEngine`] (adapters for Lake and Athena),
//! [`lookup::EventHistory`] and [`alert::AlertSink`], each with its SDK adapter.

pub mod alert;
pub mod athena;
pub mod aws;
pub mod checks;
pub mod config;
pub mod document;
pub mod engine;
pub mod error;
pub mod lake;
pub mod lambda;
pub mod ledger;
pub mod lookup;
pub mod pipeline;
pub mod region;
pub mod rules;
pub mod s3uri;
pub mod severity;
pub mod sql;
pub mod window;

pub use error::{Error, Result};
