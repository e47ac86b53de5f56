//! The warm re-scan cache gives exactly the findings and notes of a cold scan, and is
//! invalidated by a change to a file, the rule selection or the rule options.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use vigil_core::engine::{scan_paths, ScanReport, ScanSettings};
use vigil_rules::{Catalog, RuleOptions, RuleSet, Selection};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

fn rules(selection: &Selection, options: RuleOptions) -> RuleSet {
    RuleSet::new(
        Catalog::builtin().expect("built-in rules"),
        selection,
        options,
    )
    .expect("rule set")
}

/// Everything a writer shows, as one comparable string per finding and note.
fn summary(r: &ScanReport) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} {} {} {} {:?} {:?} {:?} {:?} {}",
                f.rule.id,
                f.path,
                f.span,
                f.message,
                f.severity,
                f.confidence,
                f.snippet,
                f.secret,
                f.suppression,
                f.flow,
                f.fingerprint
            )
        })
        .chain(r.notes.iter().map(|n| format!("{n:?}")))
        .collect();
    out.push(format!("{} {}", r.files_scanned, r.files_skipped));
    out
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cache_hit_gives_exactly_the_findings_of_a_cold_scan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("src");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
        &root,
    );
    let cache_dir = root.join(vigil_core::cache::CACHE_DIR);
    let roots = vec![root.clone()];
    let rs = rules(&Selection::default(), RuleOptions::default());
    let cold_settings = ScanSettings::default();
    let cached_settings = ScanSettings {
        cache_dir: Some(cache_dir.clone()),
        ..ScanSettings::default()
    };

    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    assert!(!cold.findings.is_empty(), "the fixtures have findings");
    let first = scan_paths(&roots, &root, &rs, &cached_settings);
    assert_eq!(summary(&cold), summary(&first), "a cache miss");
    assert_eq!(cache_files(&cache_dir).len(), 1, "one cache file");
    let before = cache_files(&cache_dir);
    let warm = scan_paths(&roots, &root, &rs, &cached_settings);
    assert_eq!(summary(&cold), summary(&warm), "a cache hit");
    // Nothing changed: the cache file is not rewritten (a rewrite replaces it by a rename).
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = |p: &PathBuf| std::fs::metadata(p).expect("cache file").ino();
        assert_eq!(before, cache_files(&cache_dir));
        let again = scan_paths(&roots, &root, &rs, &cached_settings);
        assert_eq!(summary(&cold), summary(&again), "a second cache hit");
        assert_eq!(
            inode(&before[0]),
            inode(&cache_files(&cache_dir)[0]),
            "rewritten"
        );
    }
    // The cache folder itself is never scanned.
    assert!(warm
        .findings
        .iter()
        .all(|f| !f.path.contains(".vigil_cache")));

    // A changed file is re-analyzed.
    let victim = root.join("python/web.py");
    let mut text = std::fs::read_to_string(&victim).expect("read");
    text.push_str("\nimport pickle\npickle.loads(data)\n");
    std::fs::write(&victim, &text).expect("write");
    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    let warm = scan_paths(&roots, &root, &rs, &cached_settings);
    assert_eq!(summary(&cold), summary(&warm), "after an edit");
    // A deleted file drops out of the cache (and is not reported from it).
    std::fs::remove_file(&victim).expect("remove");
    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    let warm = scan_paths(&roots, &root, &rs, &cached_settings);
    assert_eq!(summary(&cold), summary(&warm), "after a deletion");
    std::fs::write(&victim, &text).expect("write");
    let warm = scan_paths(&roots, &root, &rs, &cached_settings);
    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    assert_eq!(summary(&cold), summary(&warm), "after a re-creation");

    // Another selection or other options use another cache file, and the old one is removed.
    let py = Selection {
        select: vec!["py-".to_owned()],
        ignore: Vec::new(),
    };
    let rs_py = rules(&py, RuleOptions::default());
    let cold = scan_paths(&roots, &root, &rs_py, &cold_settings);
    let warm = scan_paths(&roots, &root, &rs_py, &cached_settings);
    assert_eq!(summary(&cold), summary(&warm), "another selection");
    assert!(warm.findings.iter().all(|f| f.rule.id.starts_with("py-")));
    assert_eq!(
        cache_files(&cache_dir).len(),
        1,
        "stale cache files are removed"
    );
    let rs_all = rules(
        &Selection::default(),
        RuleOptions {
            skip_generated: false,
            ..RuleOptions::default()
        },
    );
    let cold = scan_paths(&roots, &root, &rs_all, &cold_settings);
    let warm = scan_paths(&roots, &root, &rs_all, &cached_settings);
    assert_eq!(summary(&cold), summary(&warm), "other options");
}

#[test]
fn a_corrupt_cache_is_ignored() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    std::fs::write(
        root.join("app.py"),
        "import subprocess\nsubprocess.call(cmd, shell=True)\n",
    )
    .expect("write");
    let cache_dir = root.join(vigil_core::cache::CACHE_DIR);
    let rs = rules(&Selection::default(), RuleOptions::default());
    let settings = ScanSettings {
        cache_dir: Some(cache_dir.clone()),
        ..ScanSettings::default()
    };
    let roots = vec![root.clone()];
    let first = scan_paths(&roots, &root, &rs, &settings);
    for f in cache_files(&cache_dir) {
        std::fs::write(&f, "{ not json").expect("corrupt");
    }
    let second = scan_paths(&roots, &root, &rs, &settings);
    assert_eq!(summary(&first), summary(&second));
    assert!(!first.findings.is_empty());
}

#[test]
fn unchanged_stamps_skip_the_read_and_any_change_is_seen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let app = root.join("app.py");
    let safe = "import subprocess\nsubprocess.call(cmd, shell=False)\n";
    std::fs::write(&app, safe).expect("write");
    std::fs::write(root.join("other.py"), "x = eval(input())\n").expect("write");
    let rs = rules(&Selection::default(), RuleOptions::default());
    let cold_settings = ScanSettings::default();
    let settings = ScanSettings {
        cache_dir: Some(root.join(vigil_core::cache::CACHE_DIR)),
        // Trust every stamp, however recent (the default waits 2 s: racy writes).
        cache_stamp_after: std::time::Duration::ZERO,
        ..ScanSettings::default()
    };
    let roots = vec![root.clone()];
    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    let first = scan_paths(&roots, &root, &rs, &settings);
    assert_eq!((first.cache_hits, first.cache_unread), (0, 0));
    let warm = scan_paths(&roots, &root, &rs, &settings);
    assert_eq!(summary(&cold), summary(&warm));
    assert_eq!(
        (warm.cache_hits, warm.cache_unread),
        (2, 2),
        "both files unread"
    );

    // Same size, old modification time put back: the change time still differs.
    let mtime = std::fs::metadata(&app)
        .and_then(|m| m.modified())
        .expect("mtime");
    let same_size = safe.replace("shell=False", "shell=True ");
    assert_eq!(same_size.len(), safe.len());
    std::fs::write(&app, &same_size).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&app)
        .and_then(|f| f.set_modified(mtime))
        .expect("set mtime");
    let cold = scan_paths(&roots, &root, &rs, &cold_settings);
    let warm = scan_paths(&roots, &root, &rs, &settings);
    assert_eq!(summary(&cold), summary(&warm), "a same-size edit");
    assert!(
        warm.findings.iter().any(|f| f.path == "app.py"),
        "the edit adds a finding: {:?}",
        summary(&warm)
    );
    assert_eq!(warm.cache_unread, 1, "only other.py is unread");

    // With the default window, files written just now are read and hashed every time.
    let default = ScanSettings {
        cache_dir: Some(root.join(vigil_core::cache::CACHE_DIR)),
        ..ScanSettings::default()
    };
    std::fs::write(&app, safe).expect("write");
    let _ = scan_paths(&roots, &root, &rs, &default);
    let again = scan_paths(&roots, &root, &rs, &default);
    assert_eq!(again.cache_hits, 2);
    assert!(again.cache_unread <= 1, "app.py was just written");
}
