//! One check run the way the state machine runs it, for the CLI: the same typed steps, the same
//! waits and retries ([`super::policy`]), the same deadline. `time_scale` shrinks every wait for
//! an engine that answers in milliseconds (the embedded service); 1.0 against AWS.

use std::time::{Duration, SystemTime};

use chrono::Utc;

use super::collect::{self, CollectState};
use super::policy::{RetryRule, MAX_CONCURRENT, POLL, TRANSIENT, TRANSIENT_ERRORS};
use super::poll::{self, PollInput, PollState};
use super::start::{self, StartInput};
use super::{Deps, QueryRef};
use crate::alert::deliver::Delivered;
use crate::engine::Row;
use crate::error::{Error, Result};

/// What a driven check went through.
#[derive(Debug, Clone)]
pub struct Driven {
    pub query: QueryRef,
    pub poll: PollState,
    pub collect: CollectState,
    /// Poll attempts made (the first included).
    pub polls: u32,
}

async fn pause(rule: &RetryRule, n: u32, scale: f64) {
    tokio::time::sleep(rule.delay(n).mul_f64(scale.clamp(0.0, 1.0))).await;
}

/// Calls `f`, retrying what the state machine retries for every Task.
async fn retrying<T>(scale: f64, mut f: impl AsyncFnMut() -> Result<T>) -> Result<T> {
    let mut n = 0;
    loop {
        match f().await {
            Err(e) if TRANSIENT_ERRORS.contains(&e.error_type()) && n < TRANSIENT.max_attempts => {
                tracing::warn!(error = %e, "retrying");
                pause(&TRANSIENT, n, scale).await;
                n += 1;
            }
            other => return other,
        }
    }
}

/// Starts, polls until finished and collects, handing each page (the query, the page's index
/// and rows) to `on_page`, which returns what it delivered; `on_status`
/// hears each step ("starting", "RUNNING (3 polls)", ...).
pub async fn run(
    deps: &Deps,
    input: StartInput,
    time_scale: f64,
    mut on_status: impl FnMut(String),
    mut on_page: impl AsyncFnMut(&QueryRef, u64, &[Row]) -> Result<Delivered>,
) -> Result<Driven> {
    on_status("starting".into());
    let mut n = 0;
    let query = loop {
        match retrying(time_scale, async || {
            start::handle(deps, input.clone(), Utc::now()).await
        })
        .await
        {
            Err(Error::MaxConcurrentQueries(_)) if n < MAX_CONCURRENT.max_attempts => {
                on_status("waiting for a query slot".into());
                pause(&MAX_CONCURRENT, n, time_scale).await;
                n += 1;
            }
            other => break other?,
        }
    };
    let mut polls = 0;
    let poll_state = loop {
        polls += 1;
        let input = PollInput {
            query: query.clone(),
        };
        match retrying(time_scale, async || {
            poll::handle(deps, input.clone(), Utc::now()).await
        })
        .await
        {
            Ok(p) => break p,
            Err(Error::QueryRunning(_)) if polls <= POLL.max_attempts => {
                on_status(format!("RUNNING ({polls} polls)"));
                pause(&POLL, polls - 1, time_scale).await;
            }
            Err(e) => return Err(e),
        }
    };
    // collect-results' loop in the state machine: one pass per invocation, resumed from its
    // continuation until every page is read.
    let mut state = CollectState::starting(Some(&poll_state));
    while !state.done {
        // Lambda's 5-minute budget, as collect-results gets it.
        let deadline = SystemTime::now() + Duration::from_secs(300);
        let q = &query;
        collect::pages(deps, q, &mut state, deadline, async |i, rows: &[Row]| {
            on_page(q, i, rows).await
        })
        .await?;
        on_status(format!("collected {} rows", state.rows));
    }
    Ok(Driven {
        query,
        poll: poll_state,
        collect: state,
        polls,
    })
}
