//! Fuzzing the whole pipeline with proptest (stable Rust; cargo-fuzz would need nightly).
//!
//! Arbitrary bytes, and near-valid Python/JavaScript/TypeScript built from fragments, go through
//! decoding, language detection, parsing, every built-in rule (code and secrets) and the text,
//! JSON and SARIF writers, as `.py`, `.js`, `.ts`, `.tsx` and generic text files. Every case must
//! finish without a panic (a caught one shows up as an `internal` note), give well-formed JSON,
//! and SARIF that validates against the 2.1.0 schema.
//!
//! The seeds in `tests/fuzz-seeds/` always run first. `VIGIL_FUZZ_CASES=N` sets the number of
//! random cases per property (default 64, sized for CI); `VIGIL_FUZZ_SECONDS=S` keeps generating
//! until S seconds have passed, for long local runs.

// Test helpers outside #[test] functions: failing loudly is their job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stderr)]

mod util;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use vigil_core::engine::{scan_inputs, Input, ScanSettings};
use vigil_core::NoteKind;

const EXTENSIONS: &[&str] = &["py", "js", "ts", "tsx", "txt"];

fn rules() -> &'static vigil_rules::RuleSet {
    static RULES: OnceLock<vigil_rules::RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let catalog = vigil_rules::Catalog::builtin().expect("builtin rules");
        // Every rule, opt-in ones included.
        let selection = vigil_rules::Selection {
            select: vec!["ALL".to_owned()],
            ignore: Vec::new(),
        };
        vigil_rules::RuleSet::new(catalog, &selection, vigil_rules::RuleOptions::default())
            .expect("rule set")
    })
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(&util::sarif_schema()).expect("schema"))
}

fn cases() -> u32 {
    std::env::var("VIGIL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn deadline() -> Option<Instant> {
    std::env::var("VIGIL_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(|s| Instant::now() + Duration::from_secs(s))
}

/// Runs one input through the pipeline and every writer; returns an error describing the first
/// broken property.
fn check(name: &str, bytes: &[u8], full_rules: bool) -> Result<(), String> {
    let rules = rules();
    let settings = ScanSettings {
        threads: 1,
        parse_budget: Some(Duration::from_secs(5)),
        ..ScanSettings::default()
    };
    let report = scan_inputs(
        vec![Input::Memory {
            rel: name.to_owned(),
            bytes: bytes.to_vec(),
            language: None,
        }],
        rules,
        &settings,
    );
    if let Some(n) = report.notes.iter().find(|n| n.kind == NoteKind::Internal) {
        return Err(format!("caught panic: {}", n.message));
    }
    if report.errored() {
        return Err(format!("in-memory input errored: {:?}", report.notes));
    }
    let text = String::from_utf8_lossy(bytes);
    let line_limit = bytes.len() + 2;
    for f in &report.findings {
        let s = f.span;
        if s.start_line == 0
            || s.start_col == 0
            || s.start_line > line_limit
            || (s.end_line, s.end_col) < (s.start_line, s.start_col)
            || s.end_byte < s.start_byte
        {
            return Err(format!("bad span {s:?} for {}", f.rule.id));
        }
        if f.fingerprint.len() != 32 {
            return Err(format!("bad fingerprint {:?}", f.fingerprint));
        }
        if f.snippet.contains(['\n', '\r']) {
            return Err(format!("snippet with a line break: {:?}", f.snippet));
        }
    }
    // Writers: only the rules that fired in rules[] for random cases (the full catalogue is
    // validated by the seeds and the CLI tests, and costs most of the schema check).
    let metas: Vec<_> = if full_rules {
        rules.metas().to_vec()
    } else {
        rules
            .metas()
            .iter()
            .filter(|m| report.findings.iter().any(|f| f.rule.id == m.id))
            .cloned()
            .collect()
    };
    let r = vigil_report::Report {
        findings: &report.findings,
        notes: &report.notes,
        rules: &metas,
        files_scanned: report.files_scanned,
        files_skipped: report.files_skipped,
        duration: Duration::ZERO,
        version: "0.0.0-fuzz",
        success: !report.errored(),
    };
    let mut out = Vec::new();
    vigil_report::write_text(&mut out, &r, &vigil_report::TextOptions::default())
        .map_err(|e| format!("text writer: {e}"))?;
    out.clear();
    vigil_report::write_json(&mut out, &r).map_err(|e| format!("json writer: {e}"))?;
    // The writer streams the findings: the same bytes as the whole document.
    let whole = serde_json::to_string_pretty(&vigil_report::json_value(&r)).unwrap() + "\n";
    if out != whole.as_bytes() {
        return Err("streamed JSON differs from the whole document".to_owned());
    }
    let json: Value = serde_json::from_slice(&out).map_err(|e| format!("bad JSON: {e}"))?;
    if json["findings"].as_array().map(Vec::len) != Some(report.findings.len()) {
        return Err("JSON findings count".to_owned());
    }
    out.clear();
    vigil_report::write_sarif(&mut out, &r).map_err(|e| format!("sarif writer: {e}"))?;
    let whole = serde_json::to_string_pretty(&vigil_report::sarif_value(&r)).unwrap() + "\n";
    if out != whole.as_bytes() {
        return Err("streamed SARIF differs from the whole log".to_owned());
    }
    let sarif: Value = serde_json::from_slice(&out).map_err(|e| format!("bad SARIF JSON: {e}"))?;
    // GitLab's report holds the time it is written: compared without it.
    let mut gitlab = Vec::new();
    vigil_report::write_gitlab(&mut gitlab, &r).map_err(|e| format!("gitlab writer: {e}"))?;
    let mut streamed: Value =
        serde_json::from_slice(&gitlab).map_err(|e| format!("bad GitLab JSON: {e}"))?;
    let mut whole = vigil_report::gitlab_value(&r);
    for v in [&mut streamed, &mut whole] {
        if let Some(scan) = v["scan"].as_object_mut() {
            scan.remove("start_time");
            scan.remove("end_time");
        }
    }
    if streamed != whole {
        return Err("streamed GitLab report differs from the whole one".to_owned());
    }
    let errors: Vec<String> = validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    if !errors.is_empty() {
        return Err(format!("SARIF schema: {}", errors.join("; ")));
    }
    // Secrets never reach an output verbatim (only checked for inputs that are valid UTF-8 and
    // whose secret is long enough to be unambiguous).
    for f in report.findings.iter().filter(|f| f.secret.is_some()) {
        let secret = text.get(f.span.start_byte..f.span.end_byte).unwrap_or("");
        if secret.len() >= 16 && !secret.contains('\u{fffd}') {
            let all = format!("{json}{sarif}");
            if all.contains(secret) {
                return Err(format!("unredacted secret of {}", f.rule.id));
            }
        }
    }
    Ok(())
}

fn check_all_extensions(stem: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    for ext in EXTENSIONS {
        let name = format!("{stem}.{ext}");
        check(&name, bytes, false)
            .map_err(|e| TestCaseError::fail(format!("{name} ({} bytes): {e}", bytes.len())))?;
    }
    Ok(())
}

/// Fragments of Python, JavaScript and TypeScript (and of what breaks them), glued at random.
const FRAGMENTS: &[&str] = &[
    "import subprocess\n",
    "import os, pickle as p\n",
    "from os import *\n",
    "const cp = require('child_process');\n",
    "import { exec } from 'child_process';\n",
    "subprocess.run(cmd, shell=True)\n",
    "os.system(",
    "exec('ls ' + req.query.x)",
    "eval(",
    "new Function(",
    "p.loads(data)",
    "el.innerHTML = ",
    "def f(x, *a, **k):\n",
    "async function g(req, res) {",
    "class C:\n",
    "class D extends E { constructor() { super(); } }",
    "lambda: ",
    "=> ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    " + ",
    ".",
    "x",
    "req.body.name",
    "'a'",
    "\"b\"",
    "'''",
    "\"\"\"",
    "`t ${",
    "`",
    "f'{x}'",
    "b'\\x00'",
    "\\",
    "#",
    "// c\n",
    "/* c",
    "*/",
    "<div onClick={h}>",
    "</div>",
    "<T,>(a: T) => a",
    "let v: Array<Map<string, number>> = ",
    " as any",
    "!",
    "?.",
    "@decorator\n",
    "if __name__ == '__main__':\n",
    "password = \"hunter2hunter2\"\n",
    "GITHUB_TOKEN = \"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\"\n",
    "AKIAIOSFODNN7EXAMPLE",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "api_key: ",
    "Authorization: Bearer ",
    "\u{feff}",
    "é",
    "日本",
    "\u{1F600}",
    "\u{0}",
    "\u{fffd}",
    "# vigil: ignore\n",
    "# nosec\n",
    "// vigil-ignore-next-line\n",
];

fn fragment_source() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..80)
        .prop_map(|parts| parts.concat().into_bytes())
}

/// Valid-looking text with a few bytes flipped or cut: near-valid UTF-8 and encodings.
fn mangled_source() -> impl Strategy<Value = Vec<u8>> {
    (
        fragment_source(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        any::<prop::sample::Index>(),
        0u8..4,
    )
        .prop_map(|(mut bytes, flips, cut, mode)| {
            if !bytes.is_empty() {
                for (i, b) in flips {
                    let at = i.index(bytes.len());
                    bytes[at] = b;
                }
            }
            match mode {
                // Truncated.
                0 if !bytes.is_empty() => bytes.truncate(cut.index(bytes.len())),
                // UTF-16LE with a BOM (possibly odd-length).
                1 => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let mut out = vec![0xFF, 0xFE];
                    for u in text.encode_utf16() {
                        out.extend(u.to_le_bytes());
                    }
                    if !out.is_empty() && cut.index(2) == 1 {
                        out.pop();
                    }
                    bytes = out;
                }
                // UTF-16BE with a BOM.
                2 => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let mut out = vec![0xFE, 0xFF];
                    for u in text.encode_utf16() {
                        out.extend(u.to_be_bytes());
                    }
                    bytes = out;
                }
                _ => {}
            }
            bytes
        })
}

/// Deep nesting of one bracket kind, sometimes unbalanced.
fn nested_source() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(
            &["(", "[", "{", "f(", "a.b(", "'x' + ", "not ", "-", "await "][..],
        ),
        1usize..3000,
        any::<bool>(),
    )
        .prop_map(|(open, depth, balanced)| {
            let close: String = open
                .chars()
                .filter_map(|c| match c {
                    '(' => Some(')'),
                    '[' => Some(']'),
                    '{' => Some('}'),
                    _ => None,
                })
                .collect();
            let mut s = format!("x = {}eval(y)", open.repeat(depth));
            if balanced {
                s.push_str(&close.repeat(depth));
            }
            s.push('\n');
            s.into_bytes()
        })
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    })
}

/// Runs `strategy` for the configured cases, or until `VIGIL_FUZZ_SECONDS` have passed.
fn fuzz<S: Strategy<Value = Vec<u8>>>(label: &str, strategy: S) {
    let until = deadline();
    let started = Instant::now();
    let mut rounds = 0u64;
    loop {
        let result = runner().run(&strategy, |bytes| check_all_extensions(label, &bytes));
        if let Err(e) = result {
            panic!("{label}: {e}");
        }
        rounds += 1;
        match until {
            Some(t) if Instant::now() < t => continue,
            _ => break,
        }
    }
    eprintln!(
        "{label}: {} cases x {} extensions in {:.1?}",
        u64::from(cases()) * rounds,
        EXTENSIONS.len(),
        started.elapsed()
    );
}

#[test]
fn seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-seeds");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz-seeds")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    let mut failures = Vec::new();
    for path in &entries {
        let bytes = std::fs::read(path).expect("read seed");
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("seed");
        // As itself (its own extension) with the full rule catalogue, then as every language.
        let own = path.file_name().and_then(|s| s.to_str()).unwrap_or("seed");
        if let Err(e) = check(own, &bytes, true) {
            failures.push(format!("{own}: {e}"));
        }
        for ext in EXTENSIONS {
            let name = format!("{stem}.{ext}");
            if let Err(e) = check(&name, &bytes, false) {
                failures.push(format!("{} as {name}: {e}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arbitrary_bytes() {
    fuzz("bytes", proptest::collection::vec(any::<u8>(), 0..2048));
}

#[test]
fn near_valid_code() {
    fuzz("fragments", fragment_source());
}

#[test]
fn mangled_and_reencoded_code() {
    fuzz("mangled", mangled_source());
}

#[test]
fn deep_nesting() {
    fuzz("nested", nested_source());
}
