//! The `poll-query` Lambda function: see [`trailwatch::pipeline::poll`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{diagnostic, init_tracing};
use trailwatch::pipeline::{poll, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| {
        let deps = &deps;
        async move {
            poll::handle(deps, ev.payload, chrono::Utc::now())
                .await
                .map_err(diagnostic)
        }
    }))
    .await
}
