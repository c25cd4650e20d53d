//! The `collect-results` Lambda function: see [`trailwatch::lambda::collect_results`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{collect_results, init_tracing};
use trailwatch::pipeline::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| {
        collect_results(&deps, ev)
    }))
    .await
}
