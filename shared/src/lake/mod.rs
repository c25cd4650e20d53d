//! CloudTrail Lake as a query engine: its SDK adapter. Lake takes no new customers since
//! 2026-05-31; existing event data stores keep working, so it stays the default engine.

pub mod sdk;

pub use sdk::SdkLake;
