//! The `lookup-alert` Lambda function: see [`trailwatch::lambda::lookup_alert`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{init_tracing, lookup_alert};
use trailwatch::lookup::handler::LookupDeps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = LookupDeps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| lookup_alert(&deps, ev))).await
}
