//! Writing events into the store: each file parsed once, on every core, straight into Arrow
//! batches grouped by event date, then Parquet files under `date=YYYY-MM-DD/` (zstd, row-group
//! statistics, a bloom filter on `eventid`). Files are consumed in order, so the store's rows
//! keep the files' order.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use serde_json::Value;

use super::columns::{batch, store_schema, Record};
use super::{io, StoreError, Totals};
use crate::load::{
    partition_of, path_partition, records_in, Event, LoadError, Partition, Position, SourceReport,
};

/// Rows per Arrow batch handed to the writer.
const BATCH_ROWS: usize = 8192;
/// Rows per Parquet row group: the unit DataFusion prunes by statistics.
const ROW_GROUP_ROWS: usize = 65_536;
/// Dates with a file open at once; beyond it the least recently written is closed (a later
/// event of that date starts another file), which bounds the writer's buffers.
const MAX_OPEN: usize = 8;

/// A Parquet file of the store, relative to its folder, with what detects its corruption.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartFile {
    pub path: String,
    pub bytes: u64,
    pub crc32: u32,
}

/// What a write produced.
pub struct Written {
    pub totals: Totals,
    pub files: Vec<PartFile>,
}

/// One source file's events as batches by date, and what it adds to the totals.
#[derive(Default)]
struct FileOutput {
    batches: Vec<(String, RecordBatch)>,
    events: u64,
    bytes: u64,
    newest_ms: Option<i64>,
    partitions: BTreeMap<Partition, u64>,
    errors: Vec<LoadError>,
}

/// Records grouped by event date, each group turned into a batch when it fills.
/// The time a record's `eventtime` column holds: its `eventTime`, read already, unless the
/// column reads another spelling of the name (a record holding `eventtime` as well).
fn column_time_ms(r: &Record) -> Option<i64> {
    let value = crate::table::get_ci(&r.json, "eventtime")?;
    if r.json
        .get("eventTime")
        .is_some_and(|t| std::ptr::eq(t, value))
    {
        return Some(r.time_ms);
    }
    value.as_str().and_then(crate::load::parse_time_ms)
}

struct Grouper<'a> {
    schema: &'a SchemaRef,
    groups: BTreeMap<String, Vec<Record>>,
    out: FileOutput,
}

impl<'a> Grouper<'a> {
    fn new(schema: &'a SchemaRef) -> Self {
        Self {
            schema,
            groups: BTreeMap::new(),
            out: FileOutput::default(),
        }
    }

    fn push(&mut self, r: Record) -> Result<(), StoreError> {
        // The folder is the day of the time the `eventtime` column holds, which queries'
        // bounds on it prune folders by; none (an empty name, never pruned) if it holds none.
        let day = column_time_ms(&r)
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let size = u64::try_from(r.text.len()).unwrap_or(u64::MAX);
        let o = &mut self.out;
        o.events = o.events.saturating_add(1);
        o.bytes = o.bytes.saturating_add(size);
        o.newest_ms = o.newest_ms.max(Some(r.time_ms));
        let slot = o.partitions.entry(r.partition.clone()).or_default();
        *slot = slot.saturating_add(size);
        let group = self.groups.entry(day.clone()).or_default();
        group.push(r);
        if group.len() >= BATCH_ROWS {
            let full = std::mem::take(group);
            self.out.batches.push((day, batch(self.schema, &full)?));
        }
        Ok(())
    }

    fn finish(mut self) -> Result<FileOutput, StoreError> {
        for (day, records) in std::mem::take(&mut self.groups) {
            if !records.is_empty() {
                self.out.batches.push((day, batch(self.schema, &records)?));
            }
        }
        Ok(self.out)
    }
}

/// Checks a record's text is a CloudTrail event and readies it for storing.
fn record(text: &str, from_path: Option<&Partition>) -> Result<Record, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let event = crate::load::to_event(json)?;
    Ok(Record {
        text: text.to_string(),
        partition: partition_of(&event.json, event.time_ms, from_path),
        time_ms: event.time_ms,
        json: event.json,
    })
}

fn process_file(schema: &SchemaRef, path: &Path) -> Result<FileOutput, StoreError> {
    match crate::load::read_text(path) {
        Ok(text) => process_text(schema, path, &text),
        Err(e) => Ok(FileOutput {
            errors: vec![LoadError::at(path, Position::File, e.to_string())],
            ..FileOutput::default()
        }),
    }
}

/// One file's text (`path` names it) as the store's batches, by event date.
fn process_text(schema: &SchemaRef, path: &Path, text: &str) -> Result<FileOutput, StoreError> {
    let from_path = path_partition(path);
    let mut grouper = Grouper::new(schema);
    let mut bad: Vec<LoadError> = Vec::new();
    let mut failed = None;
    let errors = records_in(path, text, |position: Position, record_text| {
        if failed.is_some() {
            return;
        }
        match record(record_text, from_path.as_ref()) {
            Ok(r) => {
                if let Err(e) = grouper.push(r) {
                    failed = Some(e);
                }
            }
            Err(m) => bad.push(LoadError::at(path, position, m)),
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let mut out = grouper.finish()?;
    out.errors = errors.into_iter().chain(bad).collect();
    Ok(out)
}

/// What the loader makes of one file's text, without writing it: the events it stores and the
/// records it rejects (for the fuzzer, which feeds it arbitrary text).
pub fn parse_text(path: &Path, text: &str) -> Result<(u64, Vec<LoadError>), StoreError> {
    let out = process_text(&store_schema(), path, text)?;
    Ok((out.events, out.errors))
}

/// Counts bytes and their CRC-32 as they are written.
struct CrcFile {
    inner: BufWriter<File>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Write for CrcFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len = self.len.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct Open {
    writer: ArrowWriter<CrcFile>,
    path: String,
    last_used: u64,
}

/// The Parquet files being written, one open per date at most.
struct Parts<'a> {
    dir: &'a Path,
    schema: SchemaRef,
    props: WriterProperties,
    open: HashMap<String, Open>,
    next_file: usize,
    tick: u64,
    done: Vec<PartFile>,
}

impl<'a> Parts<'a> {
    fn new(dir: &'a Path, schema: SchemaRef) -> Result<Self, StoreError> {
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_column_bloom_filter_enabled(ColumnPath::from("eventid"), true)
            .set_column_bloom_filter_max_ndv(ColumnPath::from("eventid"), ROW_GROUP_ROWS as u64)
            .build();
        Ok(Self {
            dir,
            schema,
            props,
            open: HashMap::new(),
            next_file: 0,
            tick: 0,
            done: Vec::new(),
        })
    }

    fn write(&mut self, day: &str, batch: &RecordBatch) -> Result<(), StoreError> {
        self.tick = self.tick.saturating_add(1);
        if !self.open.contains_key(day) {
            if self.open.len() >= MAX_OPEN {
                let oldest = self
                    .open
                    .iter()
                    .min_by_key(|(_, o)| o.last_used)
                    .map(|(d, _)| d.clone());
                if let Some(d) = oldest {
                    self.close(&d)?;
                }
            }
            let rel = format!("date={day}/part-{:05}.parquet", self.next_file);
            self.next_file = self.next_file.saturating_add(1);
            let path = self.dir.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let file = File::create(&path).map_err(io(&path))?;
            let sink = CrcFile {
                inner: BufWriter::with_capacity(1 << 20, file),
                crc: crc32fast::Hasher::new(),
                len: 0,
            };
            let writer = ArrowWriter::try_new(sink, self.schema.clone(), Some(self.props.clone()))?;
            self.open.insert(
                day.to_string(),
                Open {
                    writer,
                    path: rel,
                    last_used: 0,
                },
            );
        }
        if let Some(o) = self.open.get_mut(day) {
            o.last_used = self.tick;
            o.writer.write(batch)?;
        }
        Ok(())
    }

    fn close(&mut self, day: &str) -> Result<(), StoreError> {
        if let Some(o) = self.open.remove(day) {
            let mut sink = o.writer.into_inner()?;
            let full = self.dir.join(&o.path);
            sink.inner.flush().map_err(io(&full))?;
            self.done.push(PartFile {
                path: o.path,
                bytes: sink.len,
                crc32: sink.crc.finalize(),
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<PartFile>, StoreError> {
        let days: Vec<String> = self.open.keys().cloned().collect();
        for d in days {
            self.close(&d)?;
        }
        self.done.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(self.done)
    }
}

/// The totals being added up, partitions in a map until the end.
#[derive(Default)]
struct Sum {
    totals: Totals,
    partitions: BTreeMap<Partition, u64>,
}

impl Sum {
    /// Adds one file's output and writes its batches.
    fn add(&mut self, parts: &mut Parts, out: FileOutput) -> Result<(), StoreError> {
        for (day, b) in &out.batches {
            parts.write(day, b)?;
        }
        let t = &mut self.totals;
        t.events = t.events.saturating_add(out.events);
        t.bytes = t.bytes.saturating_add(out.bytes);
        t.newest_ms = t.newest_ms.max(out.newest_ms);
        t.errors.extend(out.errors);
        for (p, n) in out.partitions {
            let slot = self.partitions.entry(p).or_default();
            *slot = slot.saturating_add(n);
        }
        Ok(())
    }

    fn finish(self, parts: Parts) -> Result<Written, StoreError> {
        let mut totals = self.totals;
        totals.partitions = self.partitions.into_iter().collect();
        Ok(Written {
            totals,
            files: parts.finish()?,
        })
    }
}

/// Writes the events of `files` into `dir`, parsing files on every core. Files are taken in
/// the order of the day their trail path names (then their path), so each date's file stays
/// open while its events arrive.
pub fn write_files(dir: &Path, files: &[PathBuf]) -> Result<Written, StoreError> {
    let schema = store_schema();
    let mut parts = Parts::new(dir, schema.clone())?;
    let mut sum = Sum::default();
    let mut files: Vec<&PathBuf> = files.iter().collect();
    files.sort_by_cached_key(|f| (path_partition(f).map(|p| p.day), (*f).clone()));
    let files = &files;
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len())
        .max(1);
    std::thread::scope(|s| -> Result<(), StoreError> {
        let mut inboxes = Vec::with_capacity(workers);
        for w in 0..workers {
            // One finished file waiting per worker bounds what is held in memory.
            let (tx, rx) = sync_channel(1);
            inboxes.push(rx);
            let schema = &schema;
            s.spawn(move || {
                for f in files.iter().skip(w).step_by(workers) {
                    if tx.send(process_file(schema, f)).is_err() {
                        break;
                    }
                }
            });
        }
        for (i, f) in files.iter().enumerate() {
            let out = inboxes
                .get(i % workers)
                .and_then(|rx| rx.recv().ok())
                .ok_or_else(|| {
                    io(f)(std::io::Error::other("the loader stopped before this file"))
                })??;
            sum.totals.sources.push(SourceReport {
                path: (*f).clone(),
                events: usize::try_from(out.events).unwrap_or(usize::MAX),
            });
            sum.add(&mut parts, out)?;
        }
        Ok(())
    })?;
    sum.finish(parts)
}

/// Writes events already in memory into `dir`.
pub fn write_events(dir: &Path, events: &[Event]) -> Result<Written, StoreError> {
    let schema = store_schema();
    let mut parts = Parts::new(dir, schema.clone())?;
    let mut grouper = Grouper::new(&schema);
    for e in events {
        grouper.push(Record {
            text: e.json.to_string(),
            json: e.json.clone(),
            time_ms: e.time_ms,
            partition: e.partition(),
        })?;
    }
    let mut sum = Sum::default();
    sum.add(&mut parts, grouper.finish()?)?;
    sum.finish(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        let json: Value = serde_json::from_str(json).expect("json");
        let time_ms = json["eventTime"]
            .as_str()
            .and_then(crate::load::parse_time_ms)
            .expect("an eventTime");
        Record {
            text: json.to_string(),
            json,
            time_ms,
            partition: Partition {
                account: String::new(),
                region: String::new(),
                day: String::new(),
            },
        }
    }

    #[test]
    fn the_folder_is_the_day_the_eventtime_column_holds() {
        let plain = record(r#"{"eventTime":"2024-02-29T23:59:59Z"}"#);
        assert_eq!(column_time_ms(&plain), Some(plain.time_ms));
        // The column reads `eventtime` before `eventTime`: so does the folder.
        let both =
            record(r#"{"eventTime":"2024-01-01T00:00:00Z","eventtime":"2030-01-01T00:00:00Z"}"#);
        assert_eq!(
            column_time_ms(&both),
            crate::load::parse_time_ms("2030-01-01T00:00:00Z")
        );
        // A column that holds no time: the folder with no date, which no bound prunes.
        let other = record(r#"{"eventTime":"2024-01-01T00:00:00Z","eventtime":7}"#);
        assert_eq!(column_time_ms(&other), None);
    }
}
