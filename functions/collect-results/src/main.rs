//! The `collect-results` Lambda function: see [`trailwatch::pipeline::collect`].

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch::lambda::{diagnostic, init_tracing};
use trailwatch::pipeline::{collect, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::from_env().await?;
    run(service_fn(|ev: LambdaEvent<Value>| {
        let deps = &deps;
        async move {
            collect::handle(deps, ev.payload, ev.context.deadline())
                .await
                .map_err(diagnostic)
        }
    }))
    .await
}
