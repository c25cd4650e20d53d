//! The `collect-results` Lambda function: see [`trailwatch::lambda::collect_results`].

// mimalloc: a collect makes and frees millions of small strings (the SDK's result cells, alert
// fields) across threads; with it the benchmark's collect runs 15-18 % faster (Lake 186,000 vs
// 162,000 rows/s, medians of five runs) for ~70 MB peak RSS instead of ~37 MB, well within the
// function's 256 MB. Transparent huge pages are off (`no_thp`), which halves that RSS growth.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
