//! A local CloudTrail service: Lake queries and Athena queries on DataFusion, and LookupEvents,
//! over CloudTrail log files, plus enough SNS for alerts, spoken over the real AWS wire
//! protocols so that the AWS SDKs and CLI talk to it unchanged through an endpoint URL.

pub mod analysis;
pub mod athena;
pub mod clock;
pub mod dialect;
pub mod error;
pub mod exec;
pub mod extension;
pub mod fault;
pub mod format;
pub mod jobs;
pub mod json_syntax;
pub mod json_text;
pub mod lake;
pub mod load;
pub mod lookup;
pub mod nesting;
pub mod page_token;
pub mod percent;
pub mod predicate_subqueries;
pub mod refusal;
pub mod registry;
pub mod request;
pub mod server;
pub mod signature;
pub mod sns;
pub mod sql;
pub mod stop;
pub mod store;
pub mod table;
pub mod trino_type;
pub mod udf;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

pub use athena::{AthenaSettings, AthenaSummary};
pub use clock::{Clock, ClockSpec};
pub use fault::FaultConfig;
pub use jobs::QueryTiming;
pub use load::{LoadError, SourceReport};
pub use sns::Published;
pub use store::CacheUse;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Files and folders of CloudTrail events.
    pub data: Vec<PathBuf>,
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    pub clock: ClockSpec,
    pub region: String,
    pub account_id: String,
    /// The event data store id; a random UUID when not given.
    pub event_data_store_id: Option<String>,
    /// How long Lake and Athena queries take, and their limits.
    pub queries: QueryTiming,
    /// The local Athena's workgroup, database, table and limits.
    pub athena: AthenaSettings,
    /// LookupEvents requests per second before ThrottlingException (2 on AWS); 0 = unlimited.
    pub lookup_rate: f64,
    /// Events reaching event history late (none by default).
    pub arrival: lookup::Arrival,
    pub faults: FaultConfig,
    /// Where the event store is cached between runs; `None` keeps it in a temporary folder.
    pub cache: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 4566)),
            clock: ClockSpec::Auto,
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            event_data_store_id: None,
            queries: QueryTiming::default(),
            athena: AthenaSettings::default(),
            lookup_rate: 2.0,
            arrival: lookup::Arrival::default(),
            faults: FaultConfig::default(),
            cache: None,
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the event store: {0}")]
    Store(#[from] store::StoreError),
    #[error("event data store id {0:?} must be 3-128 characters of letters, digits and hyphens")]
    StoreId(String),
}

/// State shared by the request handlers.
pub struct Shared {
    pub lake: Arc<lake::Lake>,
    pub athena: Arc<athena::Athena>,
    pub history: lookup::EventHistory,
    /// The events the engines read (it owns their files' folder).
    pub store: store::EventStore,
    pub sns: sns::Sns,
    pub faults: fault::Faults,
    pub clock: Clock,
    /// The service's region (requests signed for no region are served as this one).
    pub region: String,
}

/// The line `trailwatch serve` prints on start.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub endpoint: String,
    pub event_data_store: String,
    pub event_data_store_arn: String,
    pub events: usize,
    pub region: String,
    /// The local Athena's names (workgroup, database, table).
    pub athena: AthenaSummary,
    pub sources: Vec<SourceReport>,
    pub errors: Vec<LoadError>,
    /// Where the event store's files are and whether the cache served them.
    pub cache: CacheUse,
}

/// A running service; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub summary: Summary,
    pub shared: Arc<Shared>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The endpoint URL for SDK clients.
    pub fn endpoint(&self) -> &str {
        &self.summary.endpoint
    }

    /// Everything published to SNS so far, optionally for one topic.
    pub fn published(&self, topic: Option<&str>) -> Vec<Published> {
        self.shared.sns.messages(topic)
    }

    /// Stops serving and waits for the server to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
        // Queries run on a runtime of their own, which would otherwise carry on without it.
        self.shared.lake.stop_queries();
        self.shared.athena.stop_queries();
    }

    /// Serves until the process ends.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

fn valid_store_id(id: &str) -> bool {
    (3..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Loads the data (streamed into the event store, or read from its cache) and starts serving
/// on `config.addr`.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let (paths, cache) = (config.data.clone(), config.cache.clone());
    let store = build_store(move || store::EventStore::open(&paths, cache.as_deref())).await?;
    start_store(config, store).await
}

/// Runs the store's blocking work (reading files, writing Parquet) off the async workers.
async fn build_store(
    work: impl FnOnce() -> Result<store::EventStore, store::StoreError> + Send + 'static,
) -> Result<store::EventStore, StartError> {
    let joined = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| store::StoreError::Io {
            path: PathBuf::from("event store"),
            source: std::io::Error::other(e),
        })?;
    Ok(joined?)
}

/// Starts serving events already in memory (`config.data` is not read).
pub async fn start_loaded(config: Config, loaded: load::Loaded) -> Result<Running, StartError> {
    let events = loaded.events;
    let mut store = build_store(move || store::EventStore::from_events(&events)).await?;
    store.totals.sources = loaded.sources;
    store.totals.errors = loaded.errors;
    start_store(config, store).await
}

async fn start_store(config: Config, store: store::EventStore) -> Result<Running, StartError> {
    for e in &store.totals.errors {
        tracing::warn!(error = %e, "skipped unreadable CloudTrail data");
    }
    let store_id = config
        .event_data_store_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if !valid_store_id(&store_id) {
        return Err(StartError::StoreId(store_id));
    }
    let arn = format!(
        "arn:aws:cloudtrail:{}:{}:eventdatastore/{store_id}",
        config.region, config.account_id
    );
    let clock = Clock::new(&config.clock, store.totals.newest_ms);
    let events = usize::try_from(store.totals.events).unwrap_or(usize::MAX);
    let lake_store = lake::Store {
        id: store_id.clone(),
        arn: arn.clone(),
        events,
        bytes: store.totals.bytes,
    };
    let lake = lake::Lake::new(&store, lake_store, config.queries.clone(), clock.clone())?;
    let athena = athena::Athena::new(
        &store,
        config.athena.clone(),
        config.queries.clone(),
        clock.clone(),
    )?;
    let history =
        lookup::EventHistory::new(&store, clock.clone(), config.lookup_rate, &config.arrival)?;
    let shared = Arc::new(Shared {
        lake,
        athena,
        history,
        store,
        sns: sns::Sns::new(&config.region, &config.account_id)
            .with_entry_failures(config.faults.sns_entry_failure, config.faults.seed),
        faults: fault::Faults::new(config.faults.clone()),
        clock,
        region: config.region.clone(),
    });
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.addr,
        source,
    })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "local CloudTrail service stopped");
        }
    });
    Ok(Running {
        summary: Summary {
            endpoint: format!("http://{local}"),
            event_data_store: store_id,
            event_data_store_arn: arn,
            events,
            region: config.region.clone(),
            athena: shared.athena.summary(),
            sources: shared.store.totals.sources.clone(),
            errors: shared.store.totals.errors.clone(),
            cache: shared.store.cache.clone(),
        },
        shared,
        shutdown: tx,
        task,
    })
}
