//! A query's stop signal, raised when it is cancelled, times out or the service stops. Aborting
//! a query's task takes effect only at its next `.await`, but one call of a lambda function can
//! compute for minutes on one batch (`array_sort` with a comparator over long arrays): the
//! signal travels with the query's configuration (a DataFusion config extension), and the
//! lambda functions check it between evaluations, so a stopped query stops using the CPU too.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;

/// One query's stop signal; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Raises the signal.
    pub fn signal(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the signal is raised.
    pub fn is_signalled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `state` for a query that stops on this signal.
    pub fn state(&self, state: SessionState) -> SessionState {
        crate::extension::with(state, self.clone())
    }

    /// The signal of the query `options` configure, if it has one.
    pub fn of(options: &ConfigOptions) -> Option<&Stop> {
        options.extensions.get::<Stop>()
    }
}

crate::extension::fixed_extension!(Stop, "trailwatch_stop");

thread_local! {
    /// The signal of the query whose function runs on this thread (functions run synchronously
    /// on one thread, so the lambda helpers can check it without carrying it).
    static CURRENT: RefCell<Option<Stop>> = const { RefCell::new(None) };
}

/// Makes `stop` the current signal until the guard is dropped (nested calls restore the outer
/// one).
pub fn enter(stop: Option<&Stop>) -> Entered {
    let previous = CURRENT.with(|c| c.replace(stop.cloned()));
    Entered(previous)
}

/// Restores the previous current signal when dropped.
#[derive(Debug)]
pub struct Entered(Option<Stop>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// An error if the current query has been stopped.
pub fn check() -> Result<()> {
    let stopped = CURRENT.with(|c| c.borrow().as_ref().is_some_and(Stop::is_signalled));
    if stopped {
        // Not an execution error: `try` catches those, and must never hide a stop.
        Err(DataFusionError::ResourcesExhausted(
            "the query was stopped".into(),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_reaches_the_current_thread_and_nests() {
        let outer = Stop::default();
        let inner = Stop::default();
        let _o = enter(Some(&outer));
        {
            let _i = enter(Some(&inner));
            inner.signal();
            assert!(check().is_err());
        }
        assert!(check().is_ok());
        outer.signal();
        assert!(check().is_err());
    }

    /// A query sorting long arrays with a comparator computes for minutes inside one batch;
    /// raised a moment after it starts, the signal ends it with an error instead of its rows.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_signalled_query_stops_inside_a_batch() {
        let ctx = datafusion::prelude::SessionContext::new();
        crate::udf::register(
            &ctx,
            &crate::clock::Clock::new(&crate::clock::ClockSpec::Real, None),
        );
        let sql = "SELECT cardinality(array_sort(sequence(1, 9000 + x), \
                   (a, b) -> IF(a < b, 1, IF(a = b, 0, -1)))) \
                   FROM (SELECT * FROM UNNEST(sequence(1, 1000)) AS t(x))";
        let prepared = crate::sql::prepare(sql, &[]).expect("prepares");
        let stop = Stop::default();
        let state = stop.state(ctx.state());
        let plan = crate::dialect::plan(&state, &prepared.sql)
            .await
            .expect("plans");
        let run = tokio::spawn(async move {
            let ctx = datafusion::prelude::SessionContext::new_with_state(state);
            ctx.execute_logical_plan(plan).await?.collect().await
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stop.signal();
        let out = run.await.expect("joins");
        let err = out.expect_err("stopped, not finished");
        assert!(err.to_string().contains("the query was stopped"), "{err}");
    }

    #[test]
    fn a_state_carries_its_signal() {
        let stop = Stop::default();
        let state = stop.state(datafusion::prelude::SessionContext::new().state());
        let found = Stop::of(state.config().options()).expect("the extension");
        stop.signal();
        assert!(found.is_signalled());
    }
}
