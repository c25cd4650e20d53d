//! The event store: every loaded event once, as Parquet files partitioned by event date, which
//! the Lake table, the Athena table and LookupEvents all read (DataFusion prunes row groups by
//! `eventtime`, from each file's footer, cached once read). Events stream in file by file, so
//! memory follows the work, not the data; a cache folder keyed by the source files' paths,
//! sizes and modification times lets a later run over the same logs start at once.

mod cache;
pub mod columns;
mod dated;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::prelude::{col, SessionConfig};

use crate::table::{athena_schema, lake_schema};

use crate::load::{Event, LoadError, Partition, SourceReport};

pub use cache::CacheUse;
use cache::Hold;
pub use write::parse_text;

/// Why the store could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing the event store: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error("building the event store: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("building the event store: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("the event store's manifest: {0}")]
    Manifest(#[from] serde_json::Error),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the loaded events add up to; kept in the store's manifest.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub events: u64,
    /// Bytes of event text.
    pub bytes: u64,
    pub newest_ms: Option<i64>,
    /// Bytes of event text per Athena partition.
    pub partitions: Vec<(Partition, u64)>,
    pub sources: Vec<SourceReport>,
    pub errors: Vec<LoadError>,
}

/// The loaded events, ready to query.
pub struct EventStore {
    /// Every event, with [`columns::store_schema`].
    pub table: Arc<dyn TableProvider>,
    pub totals: Totals,
    /// Where the Parquet files are, and whether they came from the cache.
    pub cache: CacheUse,
    /// Keeps the folder (a lock on a cache folder, or a temporary folder) while the store lives.
    _hold: Hold,
}

/// The session settings every context over the store uses: filters evaluated while decoding
/// (so `eventjson` is only decoded for rows that match), Trino's exact decimals and its NULL
/// ordering.
pub fn session_config() -> SessionConfig {
    let mut config = SessionConfig::new();
    let parquet = &mut config.options_mut().execution.parquet;
    parquet.pushdown_filters = true;
    parquet.reorder_filters = true;
    // No per-file statistics gathered while planning: for a store spanning many days (a Parquet
    // file per day) they cost more than the query (400 daily files: 12 s to plan a count in the
    // dev build), and row groups are still pruned by their own statistics when read.
    config.options_mut().execution.collect_statistics = false;
    config.options_mut().sql_parser.parse_float_as_decimal = true;
    // Trino puts NULLs last whatever the direction (`ORDER BY errorCode DESC` ends with the rows
    // without one); DataFusion's default, Postgres's, puts them first when descending.
    config.options_mut().sql_parser.default_null_ordering = "nulls_last".into();
    // Lake's session zone: `CAST(x AS timestamp(3) with time zone)` keeps a zone (UTC), where
    // DataFusion's default, no zone, would make it a timestamp without one.
    config.options_mut().execution.time_zone = Some("UTC".into());
    config
}

impl EventStore {
    /// Loads every event file under `paths`. With `cache_root`, the store is kept there and
    /// reused while the files are unchanged; without, it lives in a temporary folder.
    pub fn open(paths: &[PathBuf], cache_root: Option<&Path>) -> Result<Self, StoreError> {
        let mut errors = Vec::new();
        let files = crate::load::event_files(paths, &mut errors);
        let opened = if let Some(root) = cache_root {
            cache::open_or_build(root, paths, &files)?
        } else {
            let temp = tempfile::tempdir().map_err(io(Path::new("temporary folder")))?;
            let totals = write::write_files(temp.path(), &files)?.totals;
            let dir = temp.path().to_path_buf();
            cache::Opened {
                dir: dir.clone(),
                totals,
                used: CacheUse::Temporary { dir },
                hold: Hold::Temp(temp),
            }
        };
        let mut totals = opened.totals;
        // Paths that could not be listed are in no file's report (nor in a cached manifest).
        totals.errors.splice(0..0, errors);
        Ok(Self {
            table: listing_table(&opened.dir)?,
            totals,
            cache: opened.used,
            _hold: opened.hold,
        })
    }

    /// Stores events already in memory (in a temporary folder).
    pub fn from_events(events: &[Event]) -> Result<Self, StoreError> {
        let temp = tempfile::tempdir().map_err(io(Path::new("temporary folder")))?;
        let totals = write::write_events(temp.path(), events)?.totals;
        let dir = temp.path().to_path_buf();
        Ok(Self {
            table: listing_table(&dir)?,
            totals,
            cache: CacheUse::Temporary { dir },
            _hold: Hold::Temp(temp),
        })
    }
}

impl EventStore {
    /// A view of the store with these columns (the store's own columns stay out of sight).
    fn view(&self, columns: Vec<Expr>) -> Result<Arc<dyn TableProvider>, StoreError> {
        let plan =
            LogicalPlanBuilder::scan("events", provider_as_source(self.table.clone()), None)?
                .project(columns)?
                .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }

    /// The Lake table: Lake's columns, in Lake's order.
    pub fn lake_table(&self) -> Result<Arc<dyn TableProvider>, StoreError> {
        self.view(
            lake_schema()
                .fields()
                .iter()
                .map(|f| col(f.name()))
                .collect(),
        )
    }

    /// The Lake table with each event's size, for the statistics Lake bills.
    pub fn lake_table_with_sizes(&self) -> Result<Arc<dyn TableProvider>, StoreError> {
        let mut columns: Vec<Expr> = lake_schema()
            .fields()
            .iter()
            .map(|f| col(f.name()))
            .collect();
        columns.push(col(columns::EVENT_SIZE));
        self.view(columns)
    }

    /// The Athena table: Athena's columns and partition keys, in Athena's order.
    pub fn athena_table(&self) -> Result<Arc<dyn TableProvider>, StoreError> {
        let own: Vec<String> = columns::athena_only()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let columns = athena_schema()
            .fields()
            .iter()
            .map(|f| {
                if own.contains(f.name()) {
                    col(format!("{}{}", columns::ATHENA_PREFIX, f.name())).alias(f.name())
                } else {
                    col(f.name())
                }
            })
            .collect();
        self.view(columns)
    }
}

/// The Parquet files under `dir` as one table, days skipped by their folders
/// ([`dated::Dated`]).
fn listing_table(dir: &Path) -> Result<Arc<dyn TableProvider>, StoreError> {
    let url = ListingTableUrl::parse(format!("{}/", dir.display()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![(dated::DATE.into(), DataType::Utf8)]);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(columns::store_schema());
    Ok(Arc::new(dated::Dated {
        inner: Arc::new(ListingTable::try_new(config)?),
    }))
}
