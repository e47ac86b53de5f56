//! Runs every rule (opt-in ones included) over every fixture under `tests/fixtures/python` and
//! `tests/fixtures/javascript`, and checks the `ruleid:` / `ok:` annotations: a missed
//! `ruleid`, a finding on an `ok` line, or an unannounced finding fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use vigil_core::engine::{scan_inputs, Input, ScanSettings};
use vigil_rules::fixtures::{add_sidecar, compare, expectations};
use vigil_rules::{Catalog, RuleOptions, RuleSet, Selection};

fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn all_rules(prefilter: bool) -> RuleSet {
    let catalog = Catalog::builtin().unwrap();
    let selection = Selection {
        select: vec!["ALL".to_owned()],
        ignore: vec![],
    };
    RuleSet::new(
        catalog,
        &selection,
        RuleOptions {
            prefilter,
            ..RuleOptions::default()
        },
    )
    .unwrap()
}

/// A taint finding supersedes the pattern finding of the same CWE at the same sink
/// (`vigil_rules::taint::supersede`): where a fixture announces such a pattern rule on the line,
/// the taint finding reports that sink in its stead.
fn superseded_as_announced(
    rules: &RuleSet,
    ex: &vigil_rules::fixtures::Expectations,
    mut found: Vec<(usize, String)>,
) -> Vec<(usize, String)> {
    let cwe = |id: &str| {
        rules
            .metas()
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.cwe.clone())
            .unwrap_or_default()
    };
    let taint: Vec<(usize, String)> = found
        .iter()
        .filter(|(_, id)| id.contains("-taint-"))
        .cloned()
        .collect();
    for (line, id) in taint {
        let Some(wanted) = ex.positive.get(&line) else {
            continue;
        };
        let tc = cwe(&id);
        let stand_in: Vec<String> = wanted
            .iter()
            .filter(|p| !p.contains("-taint-") && cwe(p).iter().any(|c| tc.contains(c)))
            .filter(|p| !found.iter().any(|(l, f)| *l == line && f == *p))
            .cloned()
            .collect();
        if stand_in.is_empty() {
            continue;
        }
        if !wanted.contains(&id) {
            found.retain(|(l, f)| !(*l == line && *f == id));
        }
        found.extend(stand_in.into_iter().map(|p| (line, p)));
    }
    found
}

fn check_dir(lang_dir: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(lang_dir);
    let rules = all_rules(true);
    let files = fixture_files(&root);
    assert!(!files.is_empty(), "no fixtures in {}", root.display());
    let mut failures = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_none_or(|e| e != "expect"))
    {
        let rel = f
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let report = scan_inputs(
            vec![Input::Memory {
                rel: rel.clone(),
                bytes,
                language: None,
            }],
            &rules,
            &ScanSettings::default(),
        );
        let found: Vec<(usize, String)> = report
            .findings
            .iter()
            .map(|x| (x.span.start_line, x.rule.id.clone()))
            .collect();
        let mut ex = expectations(&text);
        if let Ok(side) = std::fs::read_to_string(format!("{}.expect", f.display())) {
            add_sidecar(&mut ex, &side);
        }
        let found = superseded_as_announced(&rules, &ex, found);
        failures.extend(compare(&rel, &ex, &found, &|_| true));
        for n in &report.notes {
            if n.level == vigil_core::NoteLevel::Error {
                failures.push(format!("{rel}: {}", n.message));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn python_fixtures() {
    check_dir("python");
}

#[test]
fn javascript_fixtures() {
    check_dir("javascript");
}

#[test]
fn secrets_fixtures() {
    check_dir("secrets");
}

/// Every code rule has at least one positive and one negative annotation in some fixture.
#[test]
fn every_code_rule_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut text = String::new();
    for f in fixture_files(&root) {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(f).unwrap()));
        text.push('\n');
    }
    let ex = expectations(&text);
    let pos: std::collections::BTreeSet<&String> = ex.positive.values().flatten().collect();
    let neg: std::collections::BTreeSet<&String> = ex.negative.values().flatten().collect();
    let catalog = Catalog::builtin().unwrap();
    let mut missing = Vec::new();
    for r in &catalog.code {
        if !pos.contains(&r.meta.id) {
            missing.push(format!("{}: no `ruleid:` fixture", r.meta.id));
        }
        if !neg.contains(&r.meta.id) {
            missing.push(format!("{}: no `ok:` fixture", r.meta.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The prefilters only make the scan faster: the same findings with them on and off, and with
/// 1 and 2 threads.
#[test]
fn prefilter_and_threads_do_not_change_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |prefilter: bool, threads: usize| {
        let rules = all_rules(prefilter);
        let settings = ScanSettings {
            threads,
            ..ScanSettings::default()
        };
        let report =
            vigil_core::engine::scan_paths(std::slice::from_ref(&root), base, &rules, &settings);
        report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}:{}:{}",
                    f.path, f.span.start_line, f.span.start_col, f.rule.id, f.fingerprint
                )
            })
            .collect::<Vec<_>>()
    };
    let reference = run(true, 2);
    assert!(
        reference.len() > 20,
        "too few findings: {}",
        reference.len()
    );
    assert_eq!(reference, run(false, 2), "prefilter changed the findings");
    assert_eq!(reference, run(true, 1), "thread count changed the findings");
}

/// Rule ids are unique, kebab-case and prefixed by family; every rule has a CWE and a fix.
#[test]
fn rule_ids_are_unique_and_well_formed() {
    let catalog = Catalog::builtin().unwrap();
    let metas = catalog.metas();
    let mut seen = std::collections::HashSet::new();
    for m in &metas {
        assert!(seen.insert(m.id.clone()), "duplicate id {}", m.id);
        let prefix_ok = ["py-", "js-", "secret-"]
            .iter()
            .any(|p| vigil_rules::model::valid_id(&m.id, p));
        assert!(
            prefix_ok,
            "{}: ids are kebab-case and start with py-, js- or secret-",
            m.id
        );
        assert!(!m.cwe.is_empty(), "{}: no CWE", m.id);
        assert!(!m.fix.trim().is_empty(), "{}: no fix hint", m.id);
        assert!(!m.title.trim().is_empty(), "{}: no title", m.id);
    }
    assert!(
        metas.len() > 100,
        "catalogue unexpectedly small: {}",
        metas.len()
    );
}
