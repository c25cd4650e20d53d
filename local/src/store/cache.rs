//! The store's cache: one folder per set of source files, named by a digest of their paths,
//! sizes and modification times and of the store's layout (the crate version and schema), with a
//! manifest that repeats that listing (a digest collision is caught, not trusted) and gives
//! every Parquet file's size and CRC-32, so a changed source file or a corrupt cache file leads
//! to a rebuild, never to a wrong answer.
//!
//! Every process using a folder holds a shared lock on its `lock` file; a folder is only removed
//! (outdated, corrupt, unused for 30 days, or an abandoned build) under an exclusive lock, so a
//! running `trailwatch serve` never loses its files to another process's cleanup. A load with a
//! file that could not be read is not cached: the next run tries that file again.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::columns::store_schema;
use super::write::{write_files, PartFile};
use super::{io, StoreError, Totals};
use crate::load::Position;

/// The layout of the store's files; with the crate version and schema, part of every key.
const FORMAT: u32 = 2;
const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";
/// A data set's folder not opened for this long is removed.
const UNUSED_FOR: Duration = Duration::from_secs(30 * 86_400);
/// A build folder left this long by a process that died is removed.
const ABANDONED_AFTER: Duration = Duration::from_secs(86_400);

/// Where the store's files are and how they came to be there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum CacheUse {
    /// Read from the cache as they were.
    Hit { dir: PathBuf },
    /// Built now: no cache folder for these source files yet.
    Built { dir: PathBuf },
    /// Built again: the cache folder was unusable (the reason says why).
    Rebuilt { dir: PathBuf, reason: String },
    /// Built in a temporary folder (no cache, or a file could not be read).
    Temporary { dir: PathBuf },
}

/// What keeps a store's folder for as long as the store lives (by being dropped with it).
#[allow(dead_code)]
pub enum Hold {
    /// A shared lock on a cache folder.
    Lock(File),
    /// A temporary folder, removed when dropped.
    Temp(tempfile::TempDir),
}

/// A cache folder opened or built.
pub struct Opened {
    pub dir: PathBuf,
    pub totals: Totals,
    pub used: CacheUse,
    pub hold: Hold,
}

/// One source file as the cache knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
struct Source {
    path: PathBuf,
    bytes: u64,
    modified_ns: u128,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    version: String,
    /// The paths the user named, to find this data set's older folders.
    roots: Vec<PathBuf>,
    sources: Vec<Source>,
    files: Vec<PartFile>,
    totals: Totals,
}

/// The store's layout: the format, the crate's version and the schema it writes.
fn version() -> String {
    format!(
        "{FORMAT}/{}/{:x}",
        env!("CARGO_PKG_VERSION"),
        crc32fast::hash(format!("{:?}", store_schema()).as_bytes())
    )
}

/// The files as the key sees them; one that cannot be read counts as empty (the load reports it).
fn listing(files: &[PathBuf]) -> Vec<Source> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            Source {
                path: std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()),
                bytes: meta.as_ref().map_or(0, std::fs::Metadata::len),
                modified_ns: meta
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos()),
            }
        })
        .collect()
}

fn digest(version: &str, sources: &[Source]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (version, sources).hash(&mut h);
    format!("{:016x}", h.finish())
}

fn crc_of(path: &Path) -> std::io::Result<(u64, u32)> {
    let mut f = std::io::BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((len, crc.finalize()));
        }
        crc.update(&buf[..n]);
        len = len.saturating_add(n as u64);
    }
}

/// Why `dir` cannot serve `sources`, if it cannot.
fn check(dir: &Path, version: &str, sources: &[Source]) -> Result<Manifest, String> {
    let text = std::fs::read(dir.join(MANIFEST)).map_err(|e| format!("no manifest ({e})"))?;
    let m: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("unreadable manifest ({e})"))?;
    if m.version != version || m.sources != sources {
        return Err("it was built from other files or by another version".into());
    }
    let mut present: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "parquet"))
        .filter_map(|e| {
            e.path()
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect();
    present.sort();
    let listed: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    if present != listed {
        return Err("its Parquet files are not the ones it lists".into());
    }
    for f in &m.files {
        let (bytes, crc) = crc_of(&dir.join(&f.path)).map_err(|e| format!("{}: {e}", f.path))?;
        if bytes != f.bytes || crc != f.crc32 {
            return Err(format!(
                "{} is corrupt (its size or checksum changed)",
                f.path
            ));
        }
    }
    Ok(m)
}

/// `dir`'s lock file, created if missing.
fn lock_file(dir: &Path) -> std::io::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))
}

/// A shared lock on `dir`'s lock file, which also marks the folder used.
fn lock_shared(dir: &Path) -> std::io::Result<File> {
    let f = lock_file(dir)?;
    f.lock_shared()?;
    let _ = f.set_modified(SystemTime::now());
    Ok(f)
}

/// Removes `dir` if no process holds it; whether it is gone.
fn remove_unless_used(dir: &Path) -> bool {
    let lock = lock_file(dir);
    let free = lock.as_ref().is_ok_and(|f| f.try_lock().is_ok());
    if free || lock.is_err() {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return true,
            Err(e) => return e.kind() == std::io::ErrorKind::NotFound,
        }
    }
    false
}

/// The cache folder for `files` under `root`: reused when it checks out, else (re)built.
pub fn open_or_build(
    root: &Path,
    roots: &[PathBuf],
    files: &[PathBuf],
) -> Result<Opened, StoreError> {
    let version = version();
    let sources = listing(files);
    let key = digest(&version, &sources);
    let dir = root.join(&key);
    let mut reason = None;
    if let Ok(lock) = lock_shared(&dir) {
        match check(&dir, &version, &sources) {
            Ok(m) => {
                return Ok(Opened {
                    dir: dir.clone(),
                    totals: m.totals,
                    used: CacheUse::Hit { dir },
                    hold: Hold::Lock(lock),
                })
            }
            Err(why) => {
                tracing::warn!(folder = %dir.display(), reason = %why, "rebuilding the event cache");
                drop(lock);
                if !remove_unless_used(&dir) {
                    // Another process still reads it: this one builds its own, uncached.
                    tracing::warn!(folder = %dir.display(), "the unusable cache folder is in use");
                }
                reason = Some(why);
            }
        }
    }
    std::fs::create_dir_all(root).map_err(io(root))?;
    let building = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(root)
        .map_err(io(root))?;
    let lock = lock_shared(building.path()).map_err(io(building.path()))?;
    let written = write_files(building.path(), files)?;
    let file_level = Position::File.to_string();
    if written
        .totals
        .errors
        .iter()
        .any(|e| e.position == file_level)
    {
        // A file that could not be read may be readable next time: nothing is cached.
        let dir = building.path().to_path_buf();
        return Ok(Opened {
            dir: dir.clone(),
            totals: written.totals,
            used: CacheUse::Temporary { dir },
            hold: Hold::Temp(building),
        });
    }
    let manifest = Manifest {
        version,
        roots: canonical(roots),
        sources,
        files: written.files,
        totals: written.totals,
    };
    let path = building.path().join(MANIFEST);
    std::fs::write(&path, serde_json::to_vec(&manifest)?).map_err(io(&path))?;
    let built = building.keep();
    // If another process made the folder meanwhile, this one keeps serving its own build
    // (which a later prune removes once nobody holds it).
    let dir = if std::fs::rename(&built, &dir).is_ok() {
        dir
    } else {
        built
    };
    prune(root, &key, &manifest.roots);
    let used = match reason {
        Some(reason) => CacheUse::Rebuilt {
            dir: dir.clone(),
            reason,
        },
        None => CacheUse::Built { dir: dir.clone() },
    };
    Ok(Opened {
        dir,
        totals: manifest.totals,
        used,
        hold: Hold::Lock(lock),
    })
}

fn canonical(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect()
}

fn age(path: &Path) -> Duration {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default()
}

/// Removes, unless a process holds them: the folders of the same data set that its files have
/// since outdated, folders not used for [`UNUSED_FOR`], and builds abandoned by a dead process.
fn prune(root: &Path, keep: &str, roots: &[PathBuf]) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if name == keep || !path.is_dir() {
            continue;
        }
        let remove = if name.starts_with(".build-") {
            age(&path) > ABANDONED_AFTER
        } else {
            let same_data = std::fs::read(path.join(MANIFEST))
                .ok()
                .and_then(|t| serde_json::from_slice::<Manifest>(&t).ok())
                .is_some_and(|m| m.roots == roots);
            same_data || age(&path.join(LOCK)) > UNUSED_FOR
        };
        if remove {
            remove_unless_used(&path);
        }
    }
}
