//! Micro benchmarks: the parse floor, the full scan and the secret scanner, over a corpus built
//! from the repository's own fixtures (replicated to a few MB). The whole-program comparison
//! against peers lives in `benches/compare.sh`.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_core::engine::{scan_paths, ParseOnly, ScanSettings};
use vigil_rules::{Catalog, RuleOptions, RuleSet, Selection};

/// Copies every fixture `copies` times into a temporary directory.
fn corpus(copies: usize) -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
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

fn rules(prefilter: bool) -> RuleSet {
    let catalog = Catalog::builtin().expect("built-in rules");
    RuleSet::new(
        catalog,
        &Selection::default(),
        RuleOptions {
            prefilter,
            ..RuleOptions::default()
        },
    )
    .expect("compile rules")
}

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

fn bench_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(10);
    g.bench_function("load-and-compile-rules", |b| b.iter(|| rules(true)));
    g.finish();
}

criterion_group!(benches, bench_scan, bench_load);
criterion_main!(benches);
