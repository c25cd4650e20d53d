//! Loading CloudTrail events from trail log files, JSON arrays and JSON lines.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

/// One CloudTrail record with the fields the service indexes on, parsed once at load time.
#[derive(Debug, Clone)]
pub struct Event {
    /// The record exactly as read.
    pub json: Value,
    /// `eventTime` in milliseconds since the epoch.
    pub time_ms: i64,
    /// `eventID`.
    pub id: String,
    /// The Athena partition (account, region, `yyyy/MM/dd`) of the file it came from, when the
    /// file lies in a trail's `AWSLogs/.../CloudTrail/REGION/YYYY/MM/DD/` layout.
    pub path_partition: Option<std::sync::Arc<Partition>>,
}

/// An Athena CloudTrail table partition, as the projected partition keys name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Partition {
    pub account: String,
    pub region: String,
    /// `yyyy/MM/dd`.
    pub day: String,
}

impl Event {
    /// The event's partition: its file's, or else from its own account, region and time.
    pub fn partition(&self) -> Partition {
        partition_of(&self.json, self.time_ms, self.path_partition.as_deref())
    }
}

/// An event's Athena partition: its file's (`from_path`), or else from its own account, region
/// and time.
pub fn partition_of(json: &Value, time_ms: i64, from_path: Option<&Partition>) -> Partition {
    if let Some(p) = from_path {
        return p.clone();
    }
    let text = |k: &str| {
        json.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let account = match text("recipientAccountId") {
        a if a.is_empty() => json
            .pointer("/userIdentity/accountId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        a => a,
    };
    Partition {
        account,
        region: text("awsRegion"),
        day: chrono::DateTime::from_timestamp_millis(time_ms)
            .map(|t| t.format("%Y/%m/%d").to_string())
            .unwrap_or_default(),
    }
}

/// The partition a trail writes a file under:
/// `.../AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file`.
pub fn path_partition(path: &Path) -> Option<Partition> {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    let at = parts.iter().rposition(|p| *p == "CloudTrail")?;
    let (account, region, y, m, d) = (
        parts.get(at.checked_sub(1)?)?,
        parts.get(at + 1)?,
        parts.get(at + 2)?,
        parts.get(at + 3)?,
        parts.get(at + 4)?,
    );
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    let ok = account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && digits(y, 4)
        && digits(m, 2)
        && digits(d, 2)
        && parts.get(at + 5).is_some();
    ok.then(|| Partition {
        account: account.to_string(),
        region: region.to_string(),
        day: format!("{y}/{m}/{d}"),
    })
}

/// How many events came from one file.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SourceReport {
    pub path: PathBuf,
    pub events: usize,
}

/// A file, or a record in it, that could not be loaded.
#[derive(Debug, Clone, Serialize, serde::Deserialize, thiserror::Error)]
#[error("{path}: {position}: {message}", path = path.display())]
pub struct LoadError {
    pub path: PathBuf,
    /// Where in the file: `line L column C`, `record N` or `file`.
    pub position: String,
    pub message: String,
}

/// What a load produced: the events, where they came from, and what was rejected.
#[derive(Debug, Default)]
pub struct Loaded {
    pub events: Vec<Event>,
    pub sources: Vec<SourceReport>,
    pub errors: Vec<LoadError>,
}

/// Loads every event file under `paths` into memory (for tools that reshape events; the
/// service streams them into its store instead). A bad file or record is reported in
/// [`Loaded::errors`]; the rest still load.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let files = event_files(paths, &mut loaded.errors);
    for f in files {
        let before = loaded.events.len();
        let partition = path_partition(&f).map(std::sync::Arc::new);
        let mut bad = Vec::new();
        let file_errors = read_records(&f, |position, text| {
            match serde_json::from_str::<Value>(text)
                .map_err(|e| e.to_string())
                .and_then(to_event)
            {
                Ok(mut e) => {
                    e.path_partition = partition.clone();
                    loaded.events.push(e);
                }
                Err(m) => bad.push(LoadError::at(&f, position, m)),
            }
        });
        loaded.errors.extend(file_errors.into_iter().chain(bad));
        let n = loaded.events.len() - before;
        loaded.sources.push(SourceReport { path: f, events: n });
    }
    loaded
}

/// Every event file named by `paths` (folders searched recursively), sorted; a path that
/// cannot be read is reported in `errors`.
pub fn event_files(paths: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = collect_files(p, &mut files) {
            errors.push(LoadError::at(p, Position::File, e.to_string()));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// `p` itself when it is a file (whatever its name: the user named it), else every event file
/// below it.
fn collect_files(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !fs::metadata(p)?.is_dir() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(p).follow_links(true) {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() && is_event_file(entry.path()) {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

fn is_event_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    [".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// A file's text, gunzipped when it is gzip (by its magic bytes, whatever its name).
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = fs::read(path)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut s)?;
        Ok(s)
    } else {
        String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// Where in a file a record, or a problem, is.
#[derive(Debug, Clone, Copy)]
pub enum Position {
    File,
    /// The n-th record (from 0) of a trail log or array.
    Record(usize),
    /// A line (from 1) of a JSON lines file.
    Line(usize),
    LineColumn(usize, usize),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File => write!(f, "file"),
            Self::Record(i) => write!(f, "record {i}"),
            Self::Line(l) => write!(f, "line {l}"),
            Self::LineColumn(l, c) => write!(f, "line {l} column {c}"),
        }
    }
}

impl LoadError {
    /// A problem at `position` of `path`.
    pub fn at(path: &Path, position: Position, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            position: position.to_string(),
            message: message.into(),
        }
    }
}

fn array(doc: &str) -> Option<Vec<&serde_json::value::RawValue>> {
    serde_json::from_str(doc).ok()
}

/// Calls `each` with every record's original text in the file at `path` (a trail log, a JSON
/// array, one JSON object or JSON lines), in order; returns what could not be read. The text is
/// valid JSON but not yet checked to be an event.
pub fn read_records(path: &Path, each: impl FnMut(Position, &str)) -> Vec<LoadError> {
    match read_text(path) {
        Ok(text) => records_in(path, &text, each),
        Err(e) => vec![LoadError::at(path, Position::File, e.to_string())],
    }
}

/// [`read_records`] over a file's text already read (and decompressed); `path` names it in
/// errors.
pub fn records_in(path: &Path, text: &str, mut each: impl FnMut(Position, &str)) -> Vec<LoadError> {
    use serde_json::value::RawValue;
    let err = |position, message: String| vec![LoadError::at(path, position, message)];
    let trimmed = text.trim();
    // A whole-file JSON document (trail log, array or one record) is tried first; JSON lines
    // otherwise.
    let whole = match serde_json::from_str::<&RawValue>(trimmed) {
        Ok(doc) => doc,
        Err(e) => {
            if !trimmed.starts_with('{') || !trimmed.contains('\n') {
                return err(Position::LineColumn(e.line(), e.column()), e.to_string());
            }
            let mut errors = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_str::<&RawValue>(line) {
                    Ok(r) => each(Position::Line(i + 1), r.get()),
                    Err(e) => errors.push(LoadError::at(
                        path,
                        Position::LineColumn(i + 1, e.column()),
                        e.to_string(),
                    )),
                }
            }
            return errors;
        }
    };
    let records = match whole.get().as_bytes().first() {
        Some(b'[') => array(whole.get()),
        // A trail log's records, each kept as its original text (a repeated key: the last).
        Some(b'{') => match serde_json::from_str::<HashMap<&str, &RawValue>>(whole.get()) {
            Ok(members) => match members.get("Records") {
                Some(r) => match array(r.get()) {
                    Some(items) => Some(items),
                    None => return err(Position::File, "`Records` is not an array".into()),
                },
                None => Some(vec![whole]),
            },
            // A key with escapes cannot be borrowed; such an object is one record.
            Err(_) => Some(vec![whole]),
        },
        _ => None,
    };
    match records {
        Some(items) => {
            for (i, r) in items.into_iter().enumerate() {
                each(Position::Record(i), r.get());
            }
            Vec::new()
        }
        None => err(
            Position::File,
            "expected a trail log, an array or JSON lines".into(),
        ),
    }
}

/// Checks that a record has what every CloudTrail event has and that the service indexes on.
pub fn to_event(json: Value) -> Result<Event, String> {
    let obj = json.as_object().ok_or("record is not a JSON object")?;
    let time = obj
        .get("eventTime")
        .and_then(Value::as_str)
        .ok_or("record has no eventTime string")?;
    let time_ms =
        parse_time_ms(time).ok_or_else(|| format!("eventTime {time:?} is not ISO-8601"))?;
    let id = obj
        .get("eventID")
        .and_then(Value::as_str)
        .ok_or("record has no eventID string")?
        .to_string();
    Ok(Event {
        json,
        time_ms,
        id,
        path_partition: None,
    })
}

/// Parses CloudTrail's `2023-07-10T11:42:18Z` (and other RFC 3339 forms) to epoch milliseconds.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_paths_name_their_partition() {
        let p = path_partition(Path::new(
            "/b/pre/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/02/29/x.json.gz",
        ))
        .unwrap();
        assert_eq!(
            (p.account.as_str(), p.region.as_str(), p.day.as_str()),
            ("111122223333", "eu-west-1", "2024/02/29")
        );
        assert!(path_partition(Path::new("/data/CloudTrail/a.json")).is_none());
        assert!(path_partition(Path::new("AWSLogs/1/CloudTrail/r/2024/02/29/f")).is_none());
    }

    fn records(text: &str) -> (Vec<String>, Vec<String>) {
        let mut got = Vec::new();
        let errors = records_in(Path::new("f.json"), text, |p, t| {
            got.push(format!("{p}: {t}"));
        });
        (got, errors.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn records_keep_their_text_in_every_layout() {
        // A trail log: each record exactly as written, whitespace inside included.
        let (got, errors) = records("{\"Records\": [{\"a\": 1}, { \"b\" :2 }]}");
        assert_eq!(got, ["record 0: {\"a\": 1}", "record 1: { \"b\" :2 }"]);
        assert!(errors.is_empty());
        // A repeated key is read as JSON readers read it: the last one wins.
        let (got, _) = records("{\"Records\": [{\"a\": 1}], \"Records\": [{\"b\": 2}]}");
        assert_eq!(got, ["record 0: {\"b\": 2}"]);
        // `Records` that is not an array is the file's error, not a record.
        for bad in ["{\"Records\": null}", "{\"Records\": {}}"] {
            let (got, errors) = records(bad);
            assert!(got.is_empty(), "{bad}");
            assert_eq!(errors, ["f.json: file: `Records` is not an array"], "{bad}");
        }
        // One object is one record; an array, its items; JSON lines, each line.
        assert_eq!(records("{\"x\": 1}").0, ["record 0: {\"x\": 1}"]);
        assert_eq!(
            records("[{\"x\": 1}, 2]").0,
            ["record 0: {\"x\": 1}", "record 1: 2"]
        );
        let (got, errors) = records("{\"x\": 1}\n\n{\"y\"\n{\"z\": 3}\n");
        assert_eq!(got, ["line 1: {\"x\": 1}", "line 4: {\"z\": 3}"]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("f.json: line 3 column"), "{errors:?}");
    }
}
