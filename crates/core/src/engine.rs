//! The parallel scan: read, decode, parse and analyze every file, isolating failures per file.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use tree_sitter::Tree;

use crate::cache::Cache;
use crate::discover::{discover, Candidate, DiscoverOptions};
use crate::finding::{finalize, Finding, Note, NoteKind, NoteLevel};
use crate::lang::Language;
use crate::parse::{parse, ParseOutcome};
use crate::source::SourceFile;

thread_local! {
    static CURRENT_RULE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Names the rule (or group of rules) an analyzer is about to run on this thread, so that a
/// panic inside it is reported with the rule's name. Cheap: no allocation once warmed up.
pub fn set_current_rule(id: &str) {
    CURRENT_RULE.with(|c| {
        if let Ok(mut s) = c.try_borrow_mut() {
            s.clear();
            s.push_str(id);
        }
    });
}

fn current_rule() -> String {
    CURRENT_RULE.with(|c| c.try_borrow().map(|s| s.clone()).unwrap_or_default())
}

/// What a scan reports into, per file.
#[derive(Debug, Default)]
pub struct FileContext {
    /// Findings for this file.
    pub findings: Vec<Finding>,
    /// Notes for this file.
    pub notes: Vec<Note>,
}

/// A detector run over every file: the rule set implements it.
pub trait Analyzer: Send + Sync {
    /// Analyzes one file. `parse` returns the file's syntax tree (parsing it on first call):
    /// an analyzer whose prefilter rules out every code rule never calls it, and the file is
    /// never parsed.
    fn analyze(
        &self,
        file: &SourceFile,
        parse: &mut dyn FnMut() -> Option<Tree>,
        cx: &mut FileContext,
    );

    /// A key naming everything about this analyzer that a file's result depends on (its rules
    /// and options), for the warm re-scan cache. `None`, the default, disables caching.
    fn cache_key(&self) -> Option<String> {
        None
    }

    /// The metadata of the rule with this id, to rebuild cached findings.
    fn rule_meta(&self, _id: &str) -> Option<std::sync::Arc<crate::RuleMeta>> {
        None
    }
}

/// An analyzer that only parses: the floor of a scan's cost (`vigil debug parse`, benchmarks).
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOnly;

impl Analyzer for ParseOnly {
    fn analyze(
        &self,
        _file: &SourceFile,
        parse: &mut dyn FnMut() -> Option<Tree>,
        _cx: &mut FileContext,
    ) {
        let _ = parse();
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Files larger than this many bytes are skipped with a warning.
    pub max_file_size: u64,
    /// Parse time budget per file.
    pub parse_budget: Option<Duration>,
    /// Discovery options.
    pub discover: DiscoverOptions,
    /// Inline suppressions (`vigil: ignore[...]`), applied per file after analysis.
    pub suppressions: crate::suppress::SuppressOptions,
    /// The warm re-scan cache's folder (see [`crate::cache`]); `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// How much older than the scan a file must be for the cache to trust its `stat`
    /// ([`crate::cache::STAMP_AFTER`]; tests use zero).
    pub cache_stamp_after: Duration,
    /// Files parsed ahead of the scan (see [`crate::parse::Preparsed`]).
    pub preparsed: Option<std::sync::Arc<crate::parse::Preparsed>>,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            threads: 0,
            max_file_size: 1024 * 1024,
            parse_budget: Some(Duration::from_secs(10)),
            discover: DiscoverOptions::default(),
            suppressions: crate::suppress::SuppressOptions::default(),
            cache_dir: None,
            cache_stamp_after: crate::cache::STAMP_AFTER,
            preparsed: None,
        }
    }
}

/// One thing to scan: a file on disk, or content in memory (stdin, a staged blob).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    Disk(Candidate),
    /// Content held in memory, shown as `rel`.
    Memory {
        /// The path shown in output.
        rel: String,
        /// The content.
        bytes: Vec<u8>,
        /// Overrides language detection.
        language: Option<Language>,
    },
}

impl Input {
    /// What a tree parsed ahead is filed under: the path read, or the display path of content
    /// in memory.
    fn ahead_key(&self) -> &Path {
        match self {
            Input::Disk(c) => &c.abs,
            Input::Memory { rel, .. } => Path::new(rel),
        }
    }

    fn rel(&self) -> &str {
        match self {
            Input::Disk(c) => &c.rel,
            Input::Memory { rel, .. } => rel,
        }
    }

    /// Its size in bytes (0 for a file that cannot be read: it will only get a note).
    fn size(&self) -> u64 {
        match self {
            Input::Disk(c) => std::fs::metadata(&c.abs).map_or(0, |m| m.len()),
            Input::Memory { bytes, .. } => bytes.len() as u64,
        }
    }
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Findings, sorted by path, line, column and rule, with fingerprints.
    pub findings: Vec<Finding>,
    /// Notes, sorted by path.
    pub notes: Vec<Note>,
    /// Files read and analyzed.
    pub files_scanned: usize,
    /// Files skipped (binary, too large, unreadable).
    pub files_skipped: usize,
    /// Files answered from the cache.
    pub cache_hits: usize,
    /// Of those, files not even read: their `stat` matched (see [`crate::cache`]).
    pub cache_unread: usize,
}

impl ScanReport {
    /// True when a note says something could not be scanned (the run must exit 2).
    pub fn errored(&self) -> bool {
        self.notes.iter().any(|n| n.level == NoteLevel::Error)
    }
}

/// Discovers files under `roots` and scans them.
pub fn scan_paths(
    roots: &[PathBuf],
    base: &Path,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
) -> ScanReport {
    let opts = DiscoverOptions {
        threads: settings.threads,
        ..settings.discover.clone()
    };
    let (files, notes) = discover(roots, base, &opts);
    let inputs = files.into_iter().map(Input::Disk).collect();
    let mut report = scan_inputs(inputs, analyzer, settings);
    report.notes.extend(notes);
    sort_notes(&mut report.notes);
    report
}

/// Scans the given inputs in parallel.
pub fn scan_inputs(
    inputs: Vec<Input>,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
) -> ScanReport {
    let opened = settings.cache_dir.as_ref().and_then(|dir| {
        let key = analyzer.cache_key()?;
        // Every setting but the thread count and the cache's place can change a file's result.
        let relevant = ScanSettings {
            threads: 0,
            cache_dir: None,
            cache_stamp_after: Duration::ZERO,
            preparsed: None,
            ..settings.clone()
        };
        Some(Cache::open_with(
            dir,
            &format!("{key}\0{relevant:?}"),
            settings.cache_stamp_after,
        ))
    });
    let cache = opened.as_ref();
    let scan = |input: &Input| scan_one(input, analyzer, settings, cache);
    // One file (on-save, a one-file commit): no pool; its threads and their malloc arenas
    // cost page faults for nothing.
    let results = if inputs.len() < 2 {
        inputs.iter().map(scan).collect()
    } else {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(settings.threads)
            .build()
        {
            Ok(pool) => largest_first(&pool, &inputs, scan),
            Err(_) => inputs.iter().map(scan).collect(),
        }
    };
    let mut report = ScanReport::default();
    if let Some(c) = opened {
        report.cache_hits = c.hits();
        report.cache_unread = c.stamp_hits();
        c.save();
    }
    for r in results {
        if r.scanned {
            report.files_scanned += 1;
        } else {
            report.files_skipped += 1;
        }
        report.findings.extend(r.cx.findings);
        report.notes.extend(r.cx.notes);
    }
    finalize(&mut report.findings);
    sort_notes(&mut report.notes);
    report
}

fn sort_notes(notes: &mut [Note]) {
    notes.sort_by(|a, b| (&a.path, a.kind, &a.message).cmp(&(&b.path, b.kind, &b.message)));
}

struct FileResult {
    scanned: bool,
    cx: FileContext,
}

fn note(level: NoteLevel, kind: NoteKind, path: &str, message: String) -> Note {
    Note {
        level,
        kind,
        path: Some(path.to_owned()),
        message,
    }
}

/// Runs `scan` over `inputs` on every thread of `pool`, each thread taking the next file
/// whenever it is free; the results in input order. The large files go first, largest first
/// (a file is large at a fiftieth of a thread's share of the bytes), then the others in input
/// (path) order: the files still running when the others are done are small, so no thread
/// waits long at the end, and neighbouring files, alike in what they hold, run close in time.
/// (rayon's `par_iter` hands each thread a contiguous half of the list and splits it further
/// only on a steal: on webpack one thread finished 150-200 ms before the other, a fifth of
/// the run, holding one of the large generated parsers. Sorting every file by size instead
/// cost django 4 % more CPU time than this order.)
fn largest_first(
    pool: &rayon::ThreadPool,
    inputs: &[Input],
    scan: impl Fn(&Input) -> FileResult + Sync,
) -> Vec<FileResult> {
    let sizes: Vec<u64> = pool.install(|| inputs.par_iter().map(Input::size).collect());
    let threads = pool.current_num_threads().max(1) as u64;
    let large = sizes.iter().sum::<u64>() / threads / 50;
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i].max(large)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = pool.broadcast(|_| {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&i) = order.get(k) else { break };
            if let Some(input) = inputs.get(i) {
                done.push((i, scan(input)));
            }
        }
        done
    });
    let mut slots: Vec<Option<FileResult>> = (0..inputs.len()).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(r);
        }
    }
    slots.into_iter().flatten().collect()
}

fn scan_one(
    input: &Input,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
    cache: Option<&Cache>,
) -> FileResult {
    let rel = input.rel();
    let mut cx = FileContext::default();
    // Files on disk only: content in memory (stdin) is not worth keeping. The stamp is taken
    // before the read: a write in between makes the next stamp differ.
    let cached = match (cache, input) {
        (Some(cache), Input::Disk(c)) => Some((cache, crate::cache::Stamp::of(&c.abs))),
        _ => None,
    };
    if let Some((cache, Some(stamp))) = &cached {
        if let Some(key) = cache.key_by_stamp(rel, stamp) {
            if let Some((scanned, cx)) = cache.get(key, analyzer) {
                cache.stamp(rel, *stamp, key, true);
                return FileResult { scanned, cx };
            }
        }
    }
    let owned;
    let (bytes, forced_lang): (&[u8], Option<Language>) = match input {
        Input::Memory {
            bytes, language, ..
        } => (bytes, *language),
        Input::Disk(c) => match read_file(&c.abs, rel, settings.max_file_size) {
            Ok(b) => {
                owned = b;
                (&owned, None)
            }
            Err(n) => {
                cx.notes.push(n);
                return FileResult { scanned: false, cx };
            }
        },
    };
    let analyze = |cx| {
        let ahead = input.ahead_key();
        scan_bytes(rel, ahead, bytes, forced_lang, cx, analyzer, settings)
    };
    let Some((cache, stamp)) = cached else {
        return analyze(cx);
    };
    let key = crate::cache::file_key(rel, bytes);
    if let Some(stamp) = stamp {
        cache.stamp(rel, stamp, &key, false);
    }
    if let Some((scanned, cx)) = cache.get(&key, analyzer) {
        return FileResult { scanned, cx };
    }
    let result = analyze(cx);
    cache.put(key, result.scanned, &result.cx);
    result
}

/// Decodes, parses (on demand) and analyzes one file's bytes (`ahead`: see
/// [`crate::parse::Preparsed`]).
fn scan_bytes(
    rel: &str,
    ahead: &Path,
    bytes: &[u8],
    forced_lang: Option<Language>,
    mut cx: FileContext,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
) -> FileResult {
    if bytes.len() as u64 > settings.max_file_size {
        cx.notes
            .push(too_large(rel, bytes.len() as u64, settings.max_file_size));
        return FileResult { scanned: false, cx };
    }
    if is_binary(bytes) {
        cx.notes.push(note(
            NoteLevel::Warning,
            NoteKind::Binary,
            rel,
            format!("{rel}: skipped: binary content (NUL byte)"),
        ));
        return FileResult { scanned: false, cx };
    }
    let file = SourceFile::with_language(rel.to_owned(), bytes, forced_lang);
    if let Some(d) = file.decoding {
        cx.notes.push(note(
            NoteLevel::Note,
            NoteKind::Decoding,
            rel,
            format!("{rel}: not valid UTF-8; decoded as {d}"),
        ));
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut local = FileContext::default();
        let mut parse_notes = Vec::new();
        // The tree, kept for suppressions (a multi-line statement's first line).
        let mut kept: Option<Tree> = None;
        let mut parse_tree = || -> Option<Tree> {
            let lang = file.language?;
            let parsed = settings
                .preparsed
                .as_ref()
                .and_then(|p| p.take(ahead, lang, &file.text));
            match parsed.unwrap_or_else(|| parse(lang, &file.text, settings.parse_budget)) {
                ParseOutcome::Tree(t) => {
                    if t.root_node().has_error() {
                        // vigil's line index, not tree-sitter's rows: those count only `\n`,
                        // so a lone-CR file would report line 1.
                        let line = file.lines.line_of(first_error_byte(&t));
                        parse_notes.push(note(
                            NoteLevel::Note,
                            NoteKind::SyntaxError,
                            rel,
                            format!(
                                "{rel}:{line}: syntax error; the {} parser recovered and the file was analyzed",
                                lang.name()
                            ),
                        ));
                    }
                    kept = Some(t.clone());
                    Some(t)
                }
                ParseOutcome::TimedOut => {
                    parse_notes.push(note(
                        NoteLevel::Warning,
                        NoteKind::ParseIncomplete,
                        rel,
                        format!("{rel}: parsing stopped after the time budget; only text rules (secrets) ran"),
                    ));
                    None
                }
                ParseOutcome::Failed(why) => {
                    parse_notes.push(note(
                        NoteLevel::Warning,
                        NoteKind::ParseIncomplete,
                        rel,
                        format!("{rel}: not parsed ({why}); only text rules (secrets) ran"),
                    ));
                    None
                }
            }
        };
        set_current_rule("");
        analyzer.analyze(&file, &mut parse_tree, &mut local);
        set_current_rule("");
        crate::suppress::apply(&file, kept.as_ref(), &mut local, &settings.suppressions);
        if let (Some(p), Some(tree)) = (&settings.preparsed, kept) {
            p.keep(tree);
        }
        local.notes.extend(parse_notes);
        local
    }));
    match outcome {
        Ok(mut local) => {
            redact_every_secret(&file, &mut local.findings);
            cx.findings.extend(local.findings);
            cx.notes.extend(local.notes);
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            let rule = current_rule();
            let in_rule = if rule.is_empty() {
                String::new()
            } else {
                format!(" in rule `{rule}`")
            };
            set_current_rule("");
            cx.notes.push(note(
                NoteLevel::Error,
                NoteKind::Internal,
                rel,
                format!("{rel}: internal error while analyzing{in_rule} (please report): {what}"),
            ));
        }
    }
    FileResult { scanned: true, cx }
}

/// A snippet is a finding's whole first line, and each secret finding redacts only its own
/// match: a second secret on the line, or a code finding there, would show it. Found by
/// tests/fuzz.rs. Every secret's text (each line of it, if 4 characters or more) is redacted
/// from every snippet of the file.
fn redact_every_secret(file: &SourceFile, findings: &mut [Finding]) {
    let mut pieces: Vec<&str> = findings
        .iter()
        .filter(|f| f.secret.is_some())
        .filter_map(|f| file.text.get(f.span.start_byte..f.span.end_byte))
        .flat_map(str::lines)
        .map(str::trim)
        .filter(|p| p.chars().count() >= 4)
        .collect();
    if pieces.is_empty() {
        return;
    }
    // Longest first, so that a secret containing another is redacted whole.
    pieces.sort_by_key(|p| std::cmp::Reverse(p.len()));
    pieces.dedup();
    for f in findings.iter_mut() {
        for p in &pieces {
            if f.snippet.contains(p) {
                f.snippet = f.snippet.replace(p, "[REDACTED]");
            }
        }
        redact_cut_edges(&mut f.snippet, &pieces);
    }
}

/// A long line's snippet is cut (`…`) around its finding: a secret cut there shows only a part
/// of itself, which a search for the whole misses. A cut edge that begins with the end of a
/// secret, or ends with its beginning (4 characters or more), is redacted too.
fn redact_cut_edges(snippet: &mut String, pieces: &[&str]) {
    const CUT: &str = "…";
    for p in pieces {
        if let Some(rest) = snippet.strip_prefix(CUT) {
            let tail = (1..p.len())
                .filter(|&i| p.is_char_boundary(i))
                .map(|i| &p[i..])
                .find(|t| t.chars().count() >= 4 && rest.starts_with(t));
            if let Some(t) = tail {
                *snippet = format!("{CUT}[REDACTED]{}", &rest[t.len()..]);
            }
        }
        if let Some(rest) = snippet.strip_suffix(CUT) {
            let head = (1..p.len())
                .rev()
                .filter(|&i| p.is_char_boundary(i))
                .map(|i| &p[..i])
                .find(|h| h.chars().count() >= 4 && rest.ends_with(h));
            if let Some(h) = head {
                *snippet = format!("{}[REDACTED]{CUT}", &rest[..rest.len() - h.len()]);
            }
        }
    }
}

/// The start byte of the first error or missing node (iterative: trees can be deep).
fn first_error_byte(tree: &Tree) -> usize {
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            return node.start_byte();
        }
        // Descend into the first child that contains an error.
        let mut found = false;
        if cursor.goto_first_child() {
            loop {
                if cursor.node().has_error() {
                    found = true;
                    break;
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        if !found {
            return node.start_byte();
        }
    }
}

fn too_large(rel: &str, size: u64, cap: u64) -> Note {
    note(
        NoteLevel::Warning,
        NoteKind::TooLarge,
        rel,
        format!(
            "{rel}: skipped: {size} bytes is over the size cap of {cap} bytes (--max-file-size)"
        ),
    )
}

fn read_file(abs: &Path, rel: &str, cap: u64) -> Result<Vec<u8>, Note> {
    let err = |what: String| {
        note(
            NoteLevel::Error,
            NoteKind::ReadError,
            rel,
            format!("{rel}: {what}"),
        )
    };
    // Open first, then check what was opened: a path swapped for a FIFO between discovery and
    // here must not block the scan. Opening non-blocking returns at once even for a FIFO with
    // no writer; the type check on the open file then rejects it.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(abs)
        .map_err(|e| err(format!("cannot be read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| err(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(err("cannot be read: not a regular file".to_owned()));
    }
    if meta.len() > cap {
        return Err(too_large(rel, meta.len(), cap));
    }
    // Bounded: a file that grows after the size check (or a /proc file that reports size 0)
    // is read up to one byte over the cap, and then skipped as too large.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, cap.saturating_add(1)),
        &mut bytes,
    )
    .map_err(|e| err(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(rel, bytes.len() as u64, cap));
    }
    Ok(bytes)
}

/// True when the content looks binary: a NUL byte in the first 8 KiB, unless a UTF-16 BOM
/// announces text.
pub fn is_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return false;
    }
    bytes[..bytes.len().min(8192)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_cut_by_a_snippet_edge_is_redacted() {
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = format!("…{}\", x = 1…", &secret[10..]);
        redact_cut_edges(&mut s, &[secret]);
        assert_eq!(s, "…[REDACTED]\", x = 1…");
        let mut s = format!("…y = 2; t = \"{}…", &secret[..12]);
        redact_cut_edges(&mut s, &[secret]);
        assert_eq!(s, "…y = 2; t = \"[REDACTED]…");
        // Not at a cut: left alone (a whole secret is redacted before this).
        let mut s = format!("t = \"{}", &secret[..12]);
        redact_cut_edges(&mut s, &[secret]);
        assert!(s.contains(&secret[..12]));
    }

    /// A result holding one note, naming the input.
    fn noted(input: &Input) -> FileResult {
        let mut cx = FileContext::default();
        let kind = NoteKind::Binary;
        cx.notes
            .push(note(NoteLevel::Note, kind, input.rel(), String::new()));
        FileResult { scanned: true, cx }
    }

    fn memory(rel: &str, len: usize) -> Input {
        Input::Memory {
            rel: rel.to_owned(),
            bytes: vec![b'x'; len],
            language: None,
        }
    }

    #[test]
    fn large_files_go_first_then_the_rest_in_order_and_results_keep_input_order() {
        // Sizes: 1 000 bytes in all, on one thread a file is large from 20 bytes.
        let sizes = [10, 300, 5, 12, 600, 25, 48];
        let inputs: Vec<Input> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| memory(&format!("f{i}"), n))
            .collect();
        let started = std::sync::Mutex::new(Vec::new());
        let scan = |input: &Input| {
            if let Ok(mut s) = started.lock() {
                s.push(input.rel().to_owned());
            }
            noted(input)
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let results = largest_first(&one, &inputs, scan);
        let order = started.into_inner().unwrap();
        assert_eq!(order, ["f4", "f1", "f6", "f5", "f0", "f2", "f3"]);
        let paths: Vec<_> = results
            .iter()
            .map(|r| r.cx.notes[0].path.clone().unwrap())
            .collect();
        assert_eq!(paths, ["f0", "f1", "f2", "f3", "f4", "f5", "f6"]);
        // On several threads every file is scanned once, the results still in input order.
        let many: Vec<Input> = (0..200)
            .map(|i| memory(&format!("g{i:03}"), i % 17))
            .collect();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let results = largest_first(&two, &many, noted);
        let paths: Vec<_> = results
            .iter()
            .map(|r| r.cx.notes[0].path.clone().unwrap())
            .collect();
        let expected: Vec<String> = (0..200).map(|i| format!("g{i:03}")).collect();
        assert_eq!(paths, expected);
    }
}
