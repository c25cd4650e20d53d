//! Loading CloudTrail events from trail log files, JSON arrays and JSON lines.

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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    pub account: String,
    pub region: String,
    /// `yyyy/MM/dd`.
    pub day: String,
}

impl Event {
    /// The event's partition: its file's, or else from its own account, region and time.
    pub fn partition(&self) -> Partition {
        if let Some(p) = &self.path_partition {
            return (**p).clone();
        }
        let text = |k: &str| {
            self.json
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let account = match text("recipientAccountId") {
            a if a.is_empty() => self
                .json
                .pointer("/userIdentity/accountId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            a => a,
        };
        Partition {
            account,
            region: text("awsRegion"),
            day: chrono::DateTime::from_timestamp_millis(self.time_ms)
                .map(|t| t.format("%Y/%m/%d").to_string())
                .unwrap_or_default(),
        }
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
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub path: PathBuf,
    pub events: usize,
}

/// A file, or a record in it, that could not be loaded.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
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

/// Loads every `.json`, `.jsonl`, `.ndjson` and `.json.gz` file under `paths` (folders recursively).
/// A bad file or record is reported in [`Loaded::errors`]; the rest still load.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut files = Vec::new();
    let mut loaded = Loaded::default();
    for p in paths {
        if let Err(e) = collect_files(p, &mut files) {
            loaded.errors.push(LoadError {
                path: p.clone(),
                position: "file".into(),
                message: e.to_string(),
            });
        }
    }
    files.sort();
    for f in files {
        let before = loaded.events.len();
        load_file(&f, &mut loaded);
        let n = loaded.events.len() - before;
        loaded.sources.push(SourceReport { path: f, events: n });
    }
    loaded
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

fn read_text(path: &Path) -> std::io::Result<String> {
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

fn load_file(path: &Path, loaded: &mut Loaded) {
    let before = loaded.events.len();
    load_records(path, loaded);
    if let Some(p) = path_partition(path).map(std::sync::Arc::new) {
        for e in &mut loaded.events[before..] {
            e.path_partition = Some(p.clone());
        }
    }
}

fn load_records(path: &Path, loaded: &mut Loaded) {
    let err = |position: String, message: String| LoadError {
        path: path.to_path_buf(),
        position,
        message,
    };
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            loaded.errors.push(err("file".into(), e.to_string()));
            return;
        }
    };
    let trimmed = text.trim_start();
    // A whole-file JSON document (trail log or array) is tried first; JSON lines otherwise.
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(mut obj)) if obj.contains_key("Records") => match obj.remove("Records") {
            Some(Value::Array(records)) => push_records(path, records, loaded),
            _ => loaded
                .errors
                .push(err("Records".into(), "`Records` is not an array".into())),
        },
        Ok(Value::Array(records)) => push_records(path, records, loaded),
        Ok(v @ Value::Object(_)) => push_records(path, vec![v], loaded),
        Ok(_) => loaded.errors.push(err(
            "file".into(),
            "expected a trail log, an array or JSON lines".into(),
        )),
        Err(whole) => {
            if !trimmed.starts_with('{') || !trimmed.contains('\n') {
                loaded.errors.push(err(
                    format!("line {} column {}", whole.line(), whole.column()),
                    whole.to_string(),
                ));
                return;
            }
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => match to_event(v) {
                        Ok(e) => loaded.events.push(e),
                        Err(m) => loaded.errors.push(err(format!("line {}", i + 1), m)),
                    },
                    Err(e) => loaded.errors.push(err(
                        format!("line {} column {}", i + 1, e.column()),
                        e.to_string(),
                    )),
                }
            }
        }
    }
}

fn push_records(path: &Path, records: Vec<Value>, loaded: &mut Loaded) {
    for (i, r) in records.into_iter().enumerate() {
        match to_event(r) {
            Ok(e) => loaded.events.push(e),
            Err(m) => loaded.errors.push(LoadError {
                path: path.to_path_buf(),
                position: format!("record {i}"),
                message: m,
            }),
        }
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
}
