//! Micro benchmarks over a corpus built from the repository's own fixtures (replicated to a few
//! MB): start-up (loading the catalogue, building the rule set, the first file), the parse floor,
//! code-rule matching, the secret scanner per MB, and the full scan with and without prefilters.
//! The whole-program comparison against peers lives in `benches/compare.sh`.
//!
//! `cargo bench --bench scan -- startup` runs one group; numbers are throughput per byte of
//! corpus where that makes sense.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_core::engine::{scan_inputs, scan_paths, Input, ParseOnly, ScanSettings};
use vigil_core::{Language, SourceFile};
use vigil_rules::secrets::ScanOptions;
use vigil_rules::{Catalog, RuleOptions, RuleSet, Selection};

/// Every fixture file (recursively), sorted.
fn fixture_files() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read fixtures").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    (src, files)
}

/// Copies every fixture `copies` times into a temporary directory.
fn corpus(copies: usize) -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, files) = fixture_files();
    let mut bytes = 0;
    for i in 0..copies {
        for f in &files {
            let rel = f.strip_prefix(&src).expect("prefix");
            let to = dir.path().join(format!("c{i}")).join(rel);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            bytes += std::fs::copy(f, &to).expect("copy");
        }
    }
    (dir, bytes)
}

/// The fixtures in memory, as (relative path, bytes).
fn in_memory() -> (Vec<(String, Vec<u8>)>, u64) {
    let (src, files) = fixture_files();
    let mut out = Vec::new();
    let mut bytes = 0;
    for f in files {
        let rel = f
            .strip_prefix(&src)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let b = std::fs::read(&f).expect("read");
        bytes += b.len() as u64;
        out.push((rel, b));
    }
    (out, bytes)
}

fn rules_with(selection: &Selection, prefilter: bool) -> RuleSet {
    let catalog = Catalog::builtin().expect("built-in rules");
    RuleSet::new(
        catalog,
        selection,
        RuleOptions {
            prefilter,
            ..RuleOptions::default()
        },
    )
    .expect("compile rules")
}

fn rules(prefilter: bool) -> RuleSet {
    rules_with(&Selection::default(), prefilter)
}

fn only(prefixes: &[&str]) -> Selection {
    Selection {
        select: prefixes.iter().map(|s| (*s).to_owned()).collect(),
        ignore: Vec::new(),
    }
}

fn memory_inputs(files: &[(String, Vec<u8>)]) -> Vec<Input> {
    files
        .iter()
        .map(|(rel, bytes)| Input::Memory {
            rel: rel.clone(),
            bytes: bytes.clone(),
            language: None,
        })
        .collect()
}

/// Start-up: what every run pays before its first file, and the first file itself (which
/// compiles the regexes and queries it needs, lazily).
fn bench_startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(20);
    g.bench_function("load-catalog", |b| {
        b.iter(|| Catalog::builtin().expect("built-in rules"))
    });
    g.bench_function("load-and-build-rule-set", |b| b.iter(|| rules(true)));
    let one_py = Input::Memory {
        rel: "app/views.py".to_owned(),
        bytes: b"import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n\
                 API_KEY = \"AKIAIOSFODNN7EXAMPLF\"\n"
            .to_vec(),
        language: None,
    };
    let settings = ScanSettings {
        threads: 1,
        ..ScanSettings::default()
    };
    g.bench_function("rule-set-plus-first-python-file", |b| {
        b.iter_batched(
            || vec![one_py.clone()],
            |inputs| {
                let rs = rules(true);
                scan_inputs(inputs, &rs, &settings)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The parse floor per language, in memory (no file system).
fn bench_parse(c: &mut Criterion) {
    let (files, _) = in_memory();
    let mut g = c.benchmark_group("parse");
    g.sample_size(20);
    for lang in [Language::Python, Language::JavaScript, Language::TypeScript] {
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(rel, b)| SourceFile::new(rel.clone(), b))
            .filter(|f| f.language == Some(lang))
            .collect();
        if sources.is_empty() {
            continue;
        }
        let bytes: u64 = sources.iter().map(|f| f.text.len() as u64).sum();
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(lang.name(), |b| {
            b.iter(|| {
                for f in &sources {
                    let _ = vigil_core::parse::parse(lang, &f.text, None);
                }
            })
        });
    }
    g.finish();
}

/// Rule matching on files already in memory, one thread: code rules alone (includes the parse
/// of files a rule triggers on), secrets alone, everything.
fn bench_rules(c: &mut Criterion) {
    let (files, bytes) = in_memory();
    let settings = ScanSettings {
        threads: 1,
        ..ScanSettings::default()
    };
    let mut g = c.benchmark_group("rules");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    for (name, sel) in [
        ("parse-only", None),
        ("code-rules", Some(only(&["py-", "js-"]))),
        ("secret-rules", Some(only(&["secret-"]))),
        ("all-rules", Some(Selection::default())),
    ] {
        let rs = sel.as_ref().map(|s| rules_with(s, true));
        // Warm the lazily compiled regexes and queries: this group measures matching.
        if let Some(rs) = &rs {
            scan_inputs(memory_inputs(&files), rs, &settings);
        }
        g.bench_function(name, |b| {
            b.iter_batched(
                || memory_inputs(&files),
                |inputs| match &rs {
                    Some(rs) => scan_inputs(inputs, rs, &settings),
                    None => scan_inputs(inputs, &ParseOnly, &settings),
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// The secret scanner alone, per MB of text.
fn bench_secrets(c: &mut Criterion) {
    let (files, bytes) = in_memory();
    let catalog = Catalog::builtin().expect("built-in rules");
    let set = catalog.secrets;
    let mut g = c.benchmark_group("secrets");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    for (name, prefilter) in [("keyword-prefilter", true), ("no-prefilter", false)] {
        let opts = ScanOptions {
            prefilter,
            ..ScanOptions::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::new();
                for (rel, b) in &files {
                    set.scan(rel, b, &opts, &mut out);
                }
                out
            })
        });
    }
    g.finish();
}

/// The whole engine over a corpus on disk (discovery, reading, all threads).
fn bench_scan(c: &mut Criterion) {
    let (dir, bytes) = corpus(20);
    let roots = vec![dir.path().to_path_buf()];
    let settings = ScanSettings::default();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("parse-only", |b| {
        b.iter(|| scan_paths(&roots, dir.path(), &ParseOnly, &settings))
    });
    let with_prefilter = rules(true);
    g.bench_function("all-rules", |b| {
        b.iter(|| scan_paths(&roots, dir.path(), &with_prefilter, &settings))
    });
    let without = rules(false);
    g.bench_function("all-rules-no-prefilter", |b| {
        b.iter(|| scan_paths(&roots, dir.path(), &without, &settings))
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_startup,
    bench_parse,
    bench_rules,
    bench_secrets,
    bench_scan
);
criterion_main!(benches);
