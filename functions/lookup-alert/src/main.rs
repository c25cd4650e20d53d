//! The `lookup-alert` Lambda function: see [`trailwatch::lookup::handler`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{diagnostic, init_tracing};
use trailwatch::lookup::handler::{handle, LookupDeps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = LookupDeps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| {
        let deps = &deps;
        async move { handle(deps, ev.payload).await.map_err(diagnostic) }
    }))
    .await
}
