//! Amazon Athena over the trail's S3 logs as a query engine: its SDK adapter. Every account
//! with a trail can use it; Athena is the distributed engine for data beyond one machine.

pub mod sdk;

pub use sdk::SdkAthena;

/// Where Athena queries run and what they read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AthenaTarget {
    /// The workgroup (it enforces the result location and the bytes-scanned cutoff).
    pub workgroup: String,
    /// The Glue database holding the CloudTrail table.
    pub database: String,
    /// The CloudTrail table (partition projection on `timestamp`).
    pub table: String,
    /// The data catalog (`AwsDataCatalog` unless federated).
    pub catalog: String,
}
