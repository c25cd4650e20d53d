//! The lifecycle every local query goes through, whichever API started it: queued, running
//! for at least a configured time, then finished, failed, cancelled or timed out; at most so
//! many active at once. A panic inside a query's work ends it FAILED and frees its slot.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::exec::ResultSet;
use crate::stop::Stop;

/// How long queries take locally, shortened or lengthened for tests.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    /// Time a query stays QUEUED.
    pub queued: Duration,
    /// Least time a query stays RUNNING (neither Lake nor Athena is ever instant).
    pub running: Duration,
    /// A query running longer ends TIMED_OUT (about an hour on Lake).
    pub run_limit: Duration,
    /// Queued-or-running queries allowed at once (10 on Lake).
    pub max_concurrent: usize,
    /// A query whose result grows past this many rows fails (a runaway join cannot take the
    /// service's memory)...
    pub max_result_rows: usize,
    /// ...or past this many bytes of result text (wide rows reach it first).
    pub max_result_bytes: usize,
    /// Ended queries and their results are kept this long (Lake keeps 7 days)...
    pub keep_finished: Duration,
    /// ...and at most this many of them, holding at most `max_finished_bytes` of results in
    /// all; older ones answer QueryIdNotFound.
    pub max_finished: usize,
    pub max_finished_bytes: usize,
}

impl Default for QueryTiming {
    fn default() -> Self {
        Self {
            queued: Duration::from_millis(200),
            running: Duration::from_millis(800),
            run_limit: Duration::from_secs(3600),
            max_concurrent: 10,
            max_result_rows: 2_000_000,
            max_result_bytes: 512 << 20,
            keep_finished: Duration::from_secs(7 * 86_400),
            max_finished: 1_000,
            max_finished_bytes: 2 << 30,
        }
    }
}

/// Stack of each query and planning thread. DataFusion plans, optimizes, evaluates and drops
/// expressions by recursion, one level per operator of a chain: its filter push-down rebuilds a
/// long `AND` chain left-deep ([`crate::nesting::MAX_CONJUNCTS`] deep), and a `+` or `||` chain
/// nests up to [`crate::nesting::MAX_DEPTH`] deep. Reserved, not used: pages are touched only
/// as deep as a query goes.
const QUERY_STACK: usize = 256 << 20;

/// The runtime queries run on, with worker threads of its own: a query busy in one long
/// computation (`array_repeat('x', 100000000)`, a huge sort) holds a thread until that
/// computation ends, and on the service's own threads it would stall every request, its run-time
/// limit included.
pub fn query_runtime() -> tokio::runtime::Handle {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    deep_runtime(&RUNTIME, "query", None)
}

/// The runtime statements are planned on (at StartQuery): deep stacks as the queries' own, but
/// threads apart from theirs, so that a query busy in a long computation never holds up
/// another's StartQuery.
pub fn planning_runtime() -> tokio::runtime::Handle {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    deep_runtime(&RUNTIME, "plan", Some(1))
}

/// A runtime of threads with [`QUERY_STACK`], built once and kept for the process; should it
/// fail to start, the work shares the service's runtime as before.
fn deep_runtime(
    cell: &'static std::sync::OnceLock<Option<tokio::runtime::Runtime>>,
    name: &str,
    workers: Option<usize>,
) -> tokio::runtime::Handle {
    let built = cell.get_or_init(|| {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.thread_name(name)
            .thread_stack_size(QUERY_STACK)
            .enable_all();
        if let Some(n) = workers {
            b.worker_threads(n);
        }
        b.build()
            .map_err(|e| tracing::warn!(error = %e, name, "no runtime of its own"))
            .ok()
    });
    match built {
        Some(rt) => rt.handle().clone(),
        None => tokio::runtime::Handle::current(),
    }
}

/// Where a query is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Running,
    Finished,
    Failed,
    Cancelled,
    TimedOut,
}

impl Status {
    /// Queued or running: it holds a slot.
    pub fn active(self) -> bool {
        matches!(self, Status::Queued | Status::Running)
    }
}

/// What a query scanned and matched.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub events_matched: u64,
    pub events_scanned: u64,
    pub bytes_scanned: u64,
}

/// One query.
pub struct Job<X> {
    pub statement: String,
    pub status: Status,
    pub created_ms: i64,
    submitted: Instant,
    started: Option<Instant>,
    ended_after: Option<Duration>,
    pub error: Option<String>,
    pub stats: Stats,
    pub result: Arc<ResultSet>,
    /// What the API that started the query keeps about it.
    pub extra: X,
    task: Option<tokio::task::AbortHandle>,
    work: Option<tokio::task::AbortHandle>,
    /// Raised with the aborts: it stops the functions computing inside one batch.
    stop: Stop,
}

impl<X> Job<X> {
    /// Milliseconds it has run (so far, or in all).
    pub fn elapsed_ms(&self) -> u64 {
        self.ended_after
            .or_else(|| self.started.map(|s| s.elapsed()))
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// When it ended, in service-clock milliseconds, if it has.
    pub fn completed_ms(&self) -> Option<i64> {
        self.ended_after.map(|d| {
            self.created_ms
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        })
    }
}

/// The slots are all taken.
#[derive(Debug)]
pub struct Full(pub usize);

/// The query has already ended.
#[derive(Debug)]
pub struct Inactive;

/// Every query of one API, and their lifecycle.
pub struct Jobs<X> {
    timing: QueryTiming,
    clock: Clock,
    queries: Mutex<HashMap<String, Job<X>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another request panicked; the data is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a query's work produces.
pub type Outcome = Result<(ResultSet, Stats), String>;

impl<X: Send + 'static> Jobs<X> {
    /// An empty registry.
    /// Now on the service clock, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn new(timing: QueryTiming, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            timing,
            clock,
            queries: Mutex::new(HashMap::new()),
        })
    }

    /// Whether a slot is free now (checked again, atomically, by [`Jobs::submit`]).
    pub fn has_room(&self) -> Result<(), Full> {
        self.room_in(&lock(&self.queries))
    }

    /// `Full` when `queries` has as many active queries as the limit allows.
    fn room_in(&self, queries: &HashMap<String, Job<X>>) -> Result<(), Full> {
        let active = queries.values().filter(|q| q.status.active()).count();
        if active >= self.timing.max_concurrent {
            return Err(Full(self.timing.max_concurrent));
        }
        Ok(())
    }

    /// Queues a query running the work `start` makes from the query's stop signal (which the
    /// work's DataFusion state must carry, see [`Stop::state`]); returns its id.
    pub fn submit<F>(
        self: &Arc<Self>,
        statement: String,
        extra: X,
        start: impl FnOnce(Stop) -> F,
    ) -> Result<String, Full>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let id = uuid::Uuid::new_v4().to_string();
        let stop = Stop::default();
        {
            let mut qs = lock(&self.queries);
            self.evict(&mut qs);
            // Under the lock, so two racing starts cannot both take the last slot.
            self.room_in(&qs)?;
            qs.insert(
                id.clone(),
                Job {
                    statement,
                    status: Status::Queued,
                    created_ms: self.clock.now_ms(),
                    submitted: Instant::now(),
                    started: None,
                    ended_after: None,
                    error: None,
                    stats: Stats::default(),
                    result: Arc::new(ResultSet::default()),
                    extra,
                    task: None,
                    work: None,
                    stop: stop.clone(),
                },
            );
        }
        let me = Arc::clone(self);
        let qid = id.clone();
        let work = start(stop.clone());
        let handle = tokio::spawn(async move { me.run(qid, work, stop).await });
        if let Some(q) = lock(&self.queries).get_mut(&id) {
            q.task = Some(handle.abort_handle());
        }
        Ok(id)
    }

    /// Forgets ended queries older than `keep_finished`, then the oldest beyond `max_finished`
    /// or beyond `max_finished_bytes` of results.
    fn evict(&self, qs: &mut HashMap<String, Job<X>>) {
        let keep = self.timing.keep_finished;
        qs.retain(|_, q| q.status.active() || q.submitted.elapsed() <= keep);
        let mut ended: Vec<(Instant, String, usize)> = qs
            .iter()
            .filter(|(_, q)| !q.status.active())
            .map(|(id, q)| (q.submitted, id.clone(), q.result.bytes))
            .collect();
        ended.sort();
        let mut count = ended.len();
        let mut bytes = ended
            .iter()
            .fold(0usize, |sum, (_, _, b)| sum.saturating_add(*b));
        for (_, id, b) in ended {
            if count <= self.timing.max_finished && bytes <= self.timing.max_finished_bytes {
                break;
            }
            qs.remove(&id);
            count -= 1;
            bytes = bytes.saturating_sub(b);
        }
    }

    /// The most rows and bytes a query's result may have.
    pub fn result_limits(&self) -> (usize, usize) {
        (self.timing.max_result_rows, self.timing.max_result_bytes)
    }

    /// Ends query `id` with `f`, then forgets what is too old or too many.
    fn finish<F: FnOnce(&mut Job<X>)>(&self, id: &str, f: F) {
        let mut qs = lock(&self.queries);
        if let Some(q) = qs.get_mut(id) {
            if q.status.active() {
                f(q);
            }
        }
        self.evict(&mut qs);
    }

    fn set<F: FnOnce(&mut Job<X>)>(&self, id: &str, f: F) {
        if let Some(q) = lock(&self.queries).get_mut(id) {
            if q.status.active() {
                f(q);
            }
        }
    }

    async fn run<F>(self: Arc<Self>, id: String, work: F, stop: Stop)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        tokio::time::sleep(self.timing.queued).await;
        let started = Instant::now();
        self.set(&id, |q| {
            q.status = Status::Running;
            q.started = Some(started);
        });
        let min = self.timing.running;
        // Its own task: a panic in the engine ends this query, not the service's bookkeeping.
        let inner = query_runtime().spawn(work);
        let abort = inner.abort_handle();
        self.set(&id, |q| q.work = Some(abort.clone()));
        let timed = async {
            let out = match inner.await {
                Ok(o) => o,
                Err(e) if e.is_panic() => Err(format!("the query failed: {}", panic_text(e))),
                Err(_) => Err("the query was stopped".to_string()),
            };
            if let Some(rest) = min.checked_sub(started.elapsed()) {
                tokio::time::sleep(rest).await;
            }
            out
        };
        let outcome = tokio::time::timeout(self.timing.run_limit, timed).await;
        if outcome.is_err() {
            stop.signal();
            abort.abort();
        }
        let ended = started.elapsed();
        self.finish(&id, |q| {
            q.ended_after = Some(ended);
            match outcome {
                Ok(Ok((result, stats))) => {
                    q.status = Status::Finished;
                    q.result = Arc::new(result);
                    q.stats = stats;
                }
                Ok(Err(msg)) => {
                    q.status = Status::Failed;
                    q.error = Some(msg);
                }
                Err(_) => {
                    q.status = Status::TimedOut;
                    q.error = Some("Query exceeded the maximum run time.".into());
                }
            }
        });
    }

    /// Stops every query still queued or running (the service is stopping): their work runs on
    /// the queries' own runtime, which outlives the service.
    pub fn stop_all(&self) {
        for q in lock(&self.queries).values() {
            q.stop.signal();
            for handle in [&q.task, &q.work].into_iter().flatten() {
                handle.abort();
            }
        }
    }

    /// Runs `f` on query `id`, or returns `None` when there is no such query.
    pub fn with<T>(&self, id: &str, f: impl FnOnce(&mut Job<X>) -> T) -> Option<T> {
        lock(&self.queries).get_mut(id).map(f)
    }

    /// Cancels a queued or running query.
    pub fn cancel(&self, id: &str) -> Option<Result<(), Inactive>> {
        self.with(id, |q| {
            if !q.status.active() {
                return Err(Inactive);
            }
            q.status = Status::Cancelled;
            q.ended_after = Some(q.started.map_or(Duration::ZERO, |s| s.elapsed()));
            q.stop.signal();
            for t in [q.task.take(), q.work.take()].into_iter().flatten() {
                t.abort();
            }
            Ok(())
        })
    }

    /// `(id, status, created_ms)` of every query, newest first.
    pub fn list(&self) -> Vec<(String, Status, i64)> {
        let qs = lock(&self.queries);
        let mut out: Vec<(String, Status, i64)> = qs
            .iter()
            .map(|(id, q)| (id.clone(), q.status, q.created_ms))
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        out
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "internal error".into()),
        Err(_) => "internal error".into(),
    }
}
