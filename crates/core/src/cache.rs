//! The warm re-scan cache: per-file results keyed by a hash of the file's path and content.
//!
//! A scan with a cache directory (`vigil scan --cache`: `.vigil_cache/` under the current
//! directory) looks every file up by the SHA-256 of its display path and bytes before decoding or
//! parsing it. A hit returns the findings and notes the file produced last time; a miss analyzes
//! it and records the result. The cache file is named after a key that covers everything else a
//! file's result depends on: vigil's version, the rule set ([`crate::Analyzer::cache_key`]: the
//! rule sources, the selection and the rule options) and the engine settings (size cap,
//! suppression options, ...). Change any of them and the old file is simply not read; stale
//! files are removed on save. Fingerprints are not stored: they are recomputed over the whole
//! report, so a hit gives exactly the findings of a cold scan.
//!
//! Before reading a file, its `stat` (size, modification and change times, inode, device) is
//! compared with the one recorded when its content was last hashed: unchanged, the content is
//! taken as unchanged and the file is not read (git's index makes the same assumption). A stamp
//! is only recorded for a file whose times are [`STAMP_AFTER`] older than the moment it was
//! read, so a write in the same clock tick as an earlier one cannot go unnoticed; and the change
//! time, which no tool can set back, catches contents replaced with their old modification time.
//!
//! Only files read from disk are cached (content in memory, like `--stdin-filename`, is not).
//! A file whose result cannot be stored faithfully (an unknown note kind, a finding whose rule
//! the analyzer cannot name back) is simply never cached. Failing to read or write the cache
//! never fails a scan.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::{Analyzer, FileContext};
use crate::finding::{
    hex, Confidence, Finding, FlowStep, Note, NoteKind, NoteLevel, SecretInfo, Severity, Span,
    Suppression,
};

/// The cache folder's name under the directory a scan runs in.
pub const CACHE_DIR: &str = ".vigil_cache";

const FORMAT: u32 = 2;

/// How much older than the scan a file's times must be for its stamp to be trusted.
pub const STAMP_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// What `stat` says of a file; equal stamps stand for equal contents (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

impl Stamp {
    /// The stamp of the file at `path` (following links); `None` where it cannot be had.
    #[cfg(unix)]
    pub fn of(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        })
    }

    /// No stamps off Unix: every file is read and hashed.
    #[cfg(not(unix))]
    pub fn of(_path: &Path) -> Option<Stamp> {
        None
    }

    /// True when both times are at least `window` before `now` (seconds since the epoch).
    fn settled(&self, now: std::time::Duration, window: std::time::Duration) -> bool {
        let at = |(s, ns): (i64, i64)| {
            u64::try_from(s)
                .ok()
                .zip(u32::try_from(ns).ok())
                .map(|(s, ns)| std::time::Duration::new(s, ns))
        };
        [self.mtime, self.ctime]
            .into_iter()
            .all(|t| at(t).is_some_and(|t| t + window <= now))
    }
}

/// A file's cached result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    scanned: bool,
    findings: Vec<CFinding>,
    notes: Vec<CNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CSpan {
    l0: usize,
    c0: usize,
    l1: usize,
    c1: usize,
    b0: usize,
    b1: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CFinding {
    rule: String,
    message: String,
    severity: String,
    confidence: String,
    path: String,
    span: CSpan,
    snippet: String,
    /// `Finding::snippet_col` (absent from caches written before it: 0, read as 1).
    #[serde(default)]
    snippet_col: usize,
    secret: Option<(String, String)>,
    suppression: Option<(String, String)>,
    flow: Vec<(CSpan, String)>,
    match_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CNote {
    level: String,
    kind: String,
    path: Option<String>,
    message: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    key: String,
    entries: HashMap<String, Entry>,
    /// Display path -> (stamp, content key) of files whose stamp can be trusted.
    #[serde(default)]
    stamps: HashMap<String, (Stamp, String)>,
}

fn span_out(s: &Span) -> CSpan {
    CSpan {
        l0: s.start_line,
        c0: s.start_col,
        l1: s.end_line,
        c1: s.end_col,
        b0: s.start_byte,
        b1: s.end_byte,
    }
}

fn span_in(s: &CSpan) -> Span {
    Span {
        start_line: s.l0,
        start_col: s.c0,
        end_line: s.l1,
        end_col: s.c1,
        start_byte: s.b0,
        end_byte: s.b1,
    }
}

const LEVELS: [NoteLevel; 3] = [NoteLevel::Note, NoteLevel::Warning, NoteLevel::Error];
const KINDS: [NoteKind; 9] = [
    NoteKind::ReadError,
    NoteKind::PathError,
    NoteKind::Binary,
    NoteKind::TooLarge,
    NoteKind::SyntaxError,
    NoteKind::ParseIncomplete,
    NoteKind::Decoding,
    NoteKind::Internal,
    NoteKind::Suppression,
];

fn name<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

impl Entry {
    /// `None` when the result cannot be stored faithfully.
    fn from_result(scanned: bool, cx: &FileContext) -> Option<Entry> {
        let mut notes = Vec::with_capacity(cx.notes.len());
        for n in &cx.notes {
            // Run-level problems (a panic, a read error) are not cached: they may not recur.
            if matches!(n.kind, NoteKind::Internal | NoteKind::ReadError) {
                return None;
            }
            notes.push(CNote {
                level: name(&n.level),
                kind: name(&n.kind),
                path: n.path.clone(),
                message: n.message.clone(),
            });
        }
        let findings = cx
            .findings
            .iter()
            .map(|f| CFinding {
                rule: f.rule.id.clone(),
                message: f.message.clone(),
                severity: f.severity.as_str().to_owned(),
                confidence: f.confidence.as_str().to_owned(),
                path: f.path.clone(),
                span: span_out(&f.span),
                snippet: f.snippet.clone(),
                snippet_col: f.snippet_col,
                secret: f
                    .secret
                    .as_ref()
                    .map(|s| (s.redacted.clone(), s.hash.clone())),
                suppression: f
                    .suppression
                    .as_ref()
                    .map(|s| (s.kind.clone(), s.justification.clone())),
                flow: f
                    .flow
                    .iter()
                    .map(|s| (span_out(&s.span), s.message.clone()))
                    .collect(),
                match_key: f.match_key.clone(),
            })
            .collect();
        Some(Entry {
            scanned,
            findings,
            notes,
        })
    }

    /// `None` when an entry refers to something this run does not know (a rule, a note kind).
    fn to_result(&self, analyzer: &dyn Analyzer) -> Option<(bool, FileContext)> {
        let mut cx = FileContext::default();
        for n in &self.notes {
            cx.notes.push(Note {
                level: *LEVELS.iter().find(|l| name(*l) == n.level)?,
                kind: *KINDS.iter().find(|k| name(*k) == n.kind)?,
                path: n.path.clone(),
                message: n.message.clone(),
            });
        }
        for f in &self.findings {
            cx.findings.push(Finding {
                rule: analyzer.rule_meta(&f.rule)?,
                message: f.message.clone(),
                severity: f.severity.parse::<Severity>().ok()?,
                confidence: f.confidence.parse::<Confidence>().ok()?,
                path: f.path.clone(),
                span: span_in(&f.span),
                snippet: f.snippet.clone(),
                snippet_col: f.snippet_col.max(1),
                fingerprint: String::new(),
                secret: f.secret.as_ref().map(|(redacted, hash)| SecretInfo {
                    redacted: redacted.clone(),
                    hash: hash.clone(),
                }),
                suppression: f
                    .suppression
                    .as_ref()
                    .map(|(kind, justification)| Suppression {
                        kind: kind.clone(),
                        justification: justification.clone(),
                    }),
                flow: f
                    .flow
                    .iter()
                    .map(|(span, message)| FlowStep {
                        span: span_in(span),
                        message: message.clone(),
                    })
                    .collect(),
                match_key: f.match_key.clone(),
            });
        }
        Some((self.scanned, cx))
    }
}

/// An open cache: the entries read at the start of a scan, and those of this scan.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    key: String,
    old: HashMap<String, Entry>,
    new: Mutex<HashMap<String, Entry>>,
    hits: std::sync::atomic::AtomicUsize,
    old_stamps: HashMap<String, (Stamp, String)>,
    new_stamps: Mutex<HashMap<String, (Stamp, String)>>,
    stamp_hits: std::sync::atomic::AtomicUsize,
    /// When this scan started, since the epoch.
    started: std::time::Duration,
    /// See [`STAMP_AFTER`].
    stamp_after: std::time::Duration,
}

/// The key of a file: its display path and content.
pub fn file_key(rel: &str, bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rel.as_bytes());
    h.update([0]);
    h.update(bytes);
    hex(&h.finalize())
}

impl Cache {
    /// Opens the cache in `dir` for a run whose results depend on `key` (the analyzer's key,
    /// the engine settings and vigil's version together). A missing or unreadable cache file
    /// gives an empty cache.
    pub fn open(dir: &Path, key: &str) -> Cache {
        Cache::open_with(dir, key, STAMP_AFTER)
    }

    /// Like [`Cache::open`], trusting the stamps of files whose times are `stamp_after` older
    /// than the scan (tests use zero).
    pub fn open_with(dir: &Path, key: &str, stamp_after: std::time::Duration) -> Cache {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update([0]);
        h.update(FORMAT.to_le_bytes());
        h.update(key.as_bytes());
        let key = hex(&h.finalize())[..32].to_owned();
        let (old, old_stamps) = std::fs::read(dir.join(format!("scan-{key}.json")))
            .ok()
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
            .filter(|f| f.format == FORMAT && f.key == key)
            .map(|f| (f.entries, f.stamps))
            .unwrap_or_default();
        Cache {
            dir: dir.to_path_buf(),
            key,
            old,
            new: Mutex::new(HashMap::new()),
            hits: std::sync::atomic::AtomicUsize::new(0),
            old_stamps,
            new_stamps: Mutex::new(HashMap::new()),
            stamp_hits: std::sync::atomic::AtomicUsize::new(0),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
            stamp_after,
        }
    }

    /// The content key recorded for the file shown as `rel` with this stamp, if any.
    pub(crate) fn key_by_stamp(&self, rel: &str, stamp: &Stamp) -> Option<&str> {
        self.old_stamps
            .get(rel)
            .filter(|(s, _)| s == stamp)
            .map(|(_, k)| k.as_str())
    }

    /// Records that the file shown as `rel`, stamped `stamp` before it was read, has content
    /// key `key`: kept only when the stamp can be trusted next time.
    pub(crate) fn stamp(&self, rel: &str, stamp: Stamp, key: &str, by_stamp: bool) {
        if by_stamp {
            self.stamp_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if !stamp.settled(self.started, self.stamp_after) {
            return;
        }
        if let Ok(mut m) = self.new_stamps.lock() {
            m.insert(rel.to_owned(), (stamp, key.to_owned()));
        }
    }

    /// Files answered from their stamp, without reading them, so far.
    pub fn stamp_hits(&self) -> usize {
        self.stamp_hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The cached result of a file, if any.
    pub(crate) fn get(&self, key: &str, analyzer: &dyn Analyzer) -> Option<(bool, FileContext)> {
        let entry = self.old.get(key)?;
        let result = entry.to_result(analyzer)?;
        if let Ok(mut new) = self.new.lock() {
            new.insert(key.to_owned(), entry.clone());
        }
        self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(result)
    }

    /// Records a file's result.
    pub(crate) fn put(&self, key: String, scanned: bool, cx: &FileContext) {
        if let Some(entry) = Entry::from_result(scanned, cx) {
            if let Ok(mut new) = self.new.lock() {
                new.insert(key, entry);
            }
        }
    }

    /// Files answered from the cache so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes the entries of this scan (only those: deleted files drop out), atomically, and
    /// removes cache files of other keys. Errors are ignored: the cache is an optimization.
    pub fn save(self) {
        let entries = self.new.into_inner().unwrap_or_default();
        let stamps = self.new_stamps.into_inner().unwrap_or_default();
        // Every file answered from the cache and no other: the file on disk already holds
        // exactly these entries (rewriting 3 MB of JSON was a tenth of a warm django run).
        if !self.old.is_empty()
            && entries.len() == self.old.len()
            && entries.iter().all(|(k, e)| self.old.get(k) == Some(e))
            && stamps == self.old_stamps
        {
            return;
        }
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // Never scanned, never committed: the folder ignores itself.
        let ignore = self.dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# Created by vigil: a scan cache.\n*\n");
        }
        let file = CacheFile {
            format: FORMAT,
            key: self.key.clone(),
            entries,
            stamps,
        };
        let Ok(bytes) = serde_json::to_vec(&file) else {
            return;
        };
        let name = format!("scan-{}.json", self.key);
        let tmp = self.dir.join(format!("{name}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_err() {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        if std::fs::rename(&tmp, self.dir.join(&name)).is_err() {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("scan-") && n.ends_with(".json") && n != name {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}
