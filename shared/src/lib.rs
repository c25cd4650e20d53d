//! trailwatch: CloudTrail Lake compliance checks and CloudTrail detection rules, with alerts.
//!
//! The domain (query lifecycle, windows, templating, checks, alerts) is plain Rust; AWS calls go
//! through the small traits [`lake::LakeQueries`], [`lookup::EventHistory`] and
//! [`alert::AlertSink`], each with one SDK adapter.

pub mod alert;
pub mod aws;
pub mod checks;
pub mod config;
pub mod error;
pub mod lake;
pub mod lambda;
pub mod lookup;
pub mod pipeline;
pub mod rules;

pub use error::{Error, Result};
