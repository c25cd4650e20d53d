//! The `start-query` Lambda function: see [`trailwatch::lambda::start_query`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{init_tracing, start_query};
use trailwatch::pipeline::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| start_query(&deps, ev))).await
}
