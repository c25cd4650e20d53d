//! Checkpoints in the alert ledger's DynamoDB table (key `sweep#LANE`, attribute `checkpoint`),
//! saved with a version condition so two sweeps can never both advance a lane.

use aws_sdk_dynamodb::Client;

use super::DocumentCheckpoints;
use crate::document::dynamodb::DynamoDocuments;

/// Checkpoints beside the ledger's records (partition key `pk`).
pub type DynamoCheckpoints = DocumentCheckpoints<DynamoDocuments>;

impl DynamoCheckpoints {
    /// Checkpoints in `table`.
    pub fn new(client: Client, table: String) -> Self {
        DocumentCheckpoints(DynamoDocuments::new(client, table, "checkpoint"))
    }
}
