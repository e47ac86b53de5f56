//! Robustness (issue 8): every bad input is scanned beside a normal vulnerable file. Each test
//! asserts that the normal file's findings are still reported, the exit code, and the
//! notification in JSON `notes[]` and SARIF `toolExecutionNotifications` (schema-validated).

// Test helpers outside #[test] functions: failing loudly is their job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stderr)]

mod util;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use util::*;
use vigil_core::engine::{scan_inputs, Input, ScanReport, ScanSettings};

/// A GitHub classic token with a valid checksum (a true-positive example of secret-github-pat).
const TOKEN: &str = "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";

/// Generous: a hang (a FIFO read, a quadratic walk) is what these tests catch.
const TIMEOUT: Duration = Duration::from_secs(180);

/// Runs the real binary in `p` with a timeout; kills it (by pid) and fails if it hangs.
fn run(p: &Project, args: &[&str]) -> Output {
    let child = Command::new(assert_cmd::cargo::cargo_bin("vigil"))
        .current_dir(p.path())
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(out) => out.expect("wait for vigil"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("vigil {args:?} did not finish within {TIMEOUT:?} (blocked?)");
        }
    }
}

/// Scans with `--format json` and `--format sarif`; validates the SARIF, checks that both runs
/// agree on the exit code and success, and returns (exit code, JSON, SARIF).
fn scan_both(p: &Project, args: &[&str]) -> (i32, Value, Value) {
    let mut a = vec!["scan"];
    a.extend_from_slice(args);
    let mut j = a.clone();
    j.extend(["--format", "json"]);
    let o = run(p, &j);
    let json: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{j:?}: not JSON ({e}):\n{}\n{}", stdout(&o), stderr(&o)));
    assert!(
        !stderr(&o).contains("panicked"),
        "{j:?}: a panic escaped: {}",
        stderr(&o)
    );
    let mut s = a.clone();
    s.extend(["--format", "sarif"]);
    let os = run(p, &s);
    let sarif: Value = serde_json::from_slice(&os.stdout)
        .unwrap_or_else(|e| panic!("{s:?}: not JSON ({e}): {}", stderr(&os)));
    assert_valid_sarif(&sarif);
    assert_eq!(code(&o), code(&os), "json and sarif runs disagree");
    assert_eq!(
        json["success"],
        sarif["runs"][0]["invocations"][0]["executionSuccessful"]
    );
    assert_eq!(json["success"], code(&o) != 2, "success vs exit code");
    (code(&o), json, sarif)
}

/// (path, rule, line, column) of every finding. A `rule` ending in `-` is a prefix (`py-`):
/// which rule reports a line (a pattern rule or the taint engine) is not what these tests are
/// about.
fn findings(json: &Value) -> Vec<(String, String, u64, u64)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
                f["start"]["line"].as_u64().unwrap_or(0),
                f["start"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn has(json: &Value, path: &str, rule: &str, line: u64, col: u64) -> bool {
    findings(json).iter().any(|f| {
        f.0 == path
            && (f.1 == rule || (rule.ends_with('-') && f.1.starts_with(rule)))
            && f.2 == line
            && f.3 == col
    })
}

#[track_caller]
fn assert_finding(json: &Value, path: &str, rule: &str, line: u64, col: u64) {
    assert!(
        has(json, path, rule, line, col),
        "no {rule} at {path}:{line}:{col}; findings: {:#?}\nnotes: {:#}",
        findings(json),
        json["notes"]
    );
}

/// The normal vulnerable file's two findings (`util::VULN_PY`).
#[track_caller]
fn assert_vuln(json: &Value, path: &str) {
    assert_finding(json, path, "py-", 5, 5);
    assert_finding(json, path, "py-", 6, 12);
}

#[track_caller]
fn assert_no_findings_in(json: &Value, path: &str) {
    let f: Vec<_> = findings(json).into_iter().filter(|f| f.0 == path).collect();
    assert!(f.is_empty(), "unexpected findings in {path}: {f:?}");
}

/// The JSON note of `kind` about `path` (exact); asserts its level and that the message names
/// the path.
#[track_caller]
fn note<'a>(json: &'a Value, kind: &str, path: &str, level: &str) -> &'a Value {
    let n = json["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .find(|n| n["kind"] == kind && n["path"] == path)
        .unwrap_or_else(|| panic!("no {kind} note for {path:?}; notes: {:#}", json["notes"]));
    assert_eq!(n["level"], level, "{n}");
    assert!(
        n["message"].as_str().unwrap_or_default().contains(path),
        "the message does not name the file: {n}"
    );
    n
}

/// The SARIF notification whose message contains `text`; asserts its level and descriptor.
#[track_caller]
fn notification<'a>(sarif: &'a Value, kind: &str, text: &str, level: &str) -> &'a Value {
    let all = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("toolExecutionNotifications");
    let n = all
        .iter()
        .find(|n| {
            n["descriptor"]["id"] == kind
                && n["message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(text)
        })
        .unwrap_or_else(|| panic!("no {kind} notification with {text:?}: {all:#?}"));
    assert_eq!(n["level"], level, "{n}");
    n
}

fn notes_of_kind(json: &Value, kind: &str) -> usize {
    json["notes"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|n| n["kind"] == kind).count())
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out: Vec<u8> = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// 1-based column of the first `needle` on its line, in Unicode scalar values.
fn col_of(line: &str, needle: &str) -> u64 {
    let at = line.find(needle).expect("needle");
    line[..at].chars().count() as u64 + 1
}

fn builtin_rules() -> vigil_rules::RuleSet {
    let catalog = vigil_rules::Catalog::builtin().expect("builtin rules");
    vigil_rules::RuleSet::new(
        catalog,
        &vigil_rules::Selection::default(),
        vigil_rules::RuleOptions::default(),
    )
    .expect("rule set")
}

fn sarif_of(report: &ScanReport, rules: &vigil_rules::RuleSet) -> Value {
    let r = vigil_report::Report {
        findings: &report.findings,
        notes: &report.notes,
        rules: rules.metas(),
        files_scanned: report.files_scanned,
        files_skipped: report.files_skipped,
        duration: Duration::ZERO,
        version: "0.0.0-test",
        success: !report.errored(),
    };
    vigil_report::sarif_value(&r)
}

fn memory(rel: &str, bytes: impl Into<Vec<u8>>) -> Input {
    Input::Memory {
        rel: rel.to_owned(),
        bytes: bytes.into(),
        language: None,
    }
}

#[test]
fn non_utf8_sources_are_decoded_and_their_secrets_found() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    // Latin-1: each high byte becomes one U+FFFD, so columns still count one per character.
    let mut latin1 =
        b"# -*- coding: latin-1 -*-\n# caf\xe9 na\xefve\nx = '\xe9t\xe9'; GITHUB_TOKEN = \""
            .to_vec();
    latin1.extend(TOKEN.as_bytes());
    latin1.extend(b"\"\nz = '\xe9\xe9'; eval(input())\n");
    p.write("latin1.py", &latin1);
    let le = format!("import os\n\nGITHUB_TOKEN = \"{TOKEN}\"\neval(input())\n");
    p.write("utf16le.py", utf16(&le, false));
    let be = format!("const t = \"{TOKEN}\";\nfunction f(req) {{ eval(req.query.code); }}\n");
    p.write("utf16be.js", utf16(&be, true));
    let mut invalid =
        b"\xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc \xed\xa0\x80\n\xffGITHUB_TOKEN=".to_vec();
    invalid.extend(TOKEN.as_bytes());
    invalid.extend(b"\n");
    p.write("invalid.txt", &invalid);

    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{json:#}");
    assert_vuln(&json, "vuln.py");
    let x_line = "x = '\u{fffd}t\u{fffd}'; GITHUB_TOKEN = \"";
    assert_finding(
        &json,
        "latin1.py",
        "secret-github-pat",
        3,
        col_of(x_line, "\"") + 1,
    );
    let z_line = "z = '\u{fffd}\u{fffd}'; eval(input())";
    assert_finding(&json, "latin1.py", "py-", 4, col_of(z_line, "eval"));
    assert_finding(&json, "utf16le.py", "secret-github-pat", 3, 17);
    assert_finding(&json, "utf16le.py", "py-", 4, 1);
    assert_finding(&json, "utf16be.js", "secret-github-pat", 1, 12);
    assert!(
        findings(&json)
            .iter()
            .any(|f| f.0 == "utf16be.js" && f.2 == 2 && f.1.starts_with("js-")),
        "the JS eval in UTF-16BE: {:#?}",
        findings(&json)
    );
    assert_finding(&json, "invalid.txt", "secret-github-pat", 2, 15);
    for (path, enc) in [
        ("latin1.py", "lossy"),
        ("utf16le.py", "utf-16le"),
        ("utf16be.js", "utf-16be"),
        ("invalid.txt", "lossy"),
    ] {
        let n = note(&json, "decoding", path, "note");
        assert!(n["message"].as_str().unwrap_or("").contains(enc), "{n}");
        notification(&sarif, "decoding", path, "note");
    }
    // Secrets are redacted in every output, decoded or not.
    assert!(!json.to_string().contains(TOKEN) && !sarif.to_string().contains(TOKEN));
}

#[test]
fn bom_crlf_and_lone_cr_keep_lines_and_columns() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write("bom.py", format!("\u{feff}{VULN_PY}"));
    p.write("crlf.py", VULN_PY.replace('\n', "\r\n"));
    p.write("cr.py", VULN_PY.replace('\n', "\r"));
    p.write(
        "bom_crlf.py",
        format!("\u{feff}{}", VULN_PY.replace('\n', "\r\n")),
    );
    p.write(
        "bom_crlf.js",
        format!("\u{feff}{}", VULN_JS.replace('\n', "\r\n")),
    );
    p.write("cr.js", VULN_JS.replace('\n', "\r"));
    p.write("crlf.env", format!("A=1\r\nGITHUB_TOKEN={TOKEN}\r\n"));
    p.write("cr.txt", format!("A=1\rB=2\rGITHUB_TOKEN={TOKEN}\r"));
    p.write("bom.txt", format!("\u{feff}GITHUB_TOKEN={TOKEN}\n"));

    let (code, json, _sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{json:#}");
    for path in ["vuln.py", "bom.py", "crlf.py", "cr.py", "bom_crlf.py"] {
        assert_vuln(&json, path);
    }
    for path in ["bom_crlf.js", "cr.js"] {
        assert_finding(&json, path, "js-", 3, 3);
    }
    assert_finding(&json, "crlf.env", "secret-github-pat", 2, 14);
    assert_finding(&json, "cr.txt", "secret-github-pat", 3, 14);
    assert_finding(&json, "bom.txt", "secret-github-pat", 1, 14);
    for f in json["findings"].as_array().expect("findings") {
        let snippet = f["snippet"].as_str().unwrap_or_default();
        assert!(
            !snippet.contains(['\r', '\n', '\u{feff}']),
            "snippet keeps a line break or BOM: {f}"
        );
        let (sl, el) = (&f["start"]["line"], &f["end"]["line"]);
        assert_eq!(sl, el, "one-line finding spans lines: {f}");
    }
    // A UTF-8 BOM and line endings are not decoding changes: no notes at all.
    assert_eq!(json["notes"], serde_json::json!([]), "{:#}", json["notes"]);
}

#[test]
fn binary_files_are_skipped_and_reported() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    let mut bin = b"\x00\x01\x02GITHUB_TOKEN=".to_vec();
    bin.extend(TOKEN.as_bytes());
    p.write("blob.py", &bin);
    p.write("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00");
    p.write("nul.js", "eval(x);\0\0\n");
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "a skipped binary file is a warning, not an error");
    assert_vuln(&json, "vuln.py");
    for path in ["blob.py", "image.png", "nul.js"] {
        note(&json, "binary", path, "warning");
        notification(&sarif, "binary", path, "warning");
        assert_no_findings_in(&json, path);
    }
    assert_eq!(json["summary"]["files_skipped"], 3);
    assert_eq!(json["summary"]["files_scanned"], 1);
}

#[test]
fn file_over_the_size_cap_is_skipped_with_a_warning() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    let big = format!("{VULN_PY}{}", "x = 1\n".repeat(200_000));
    assert!(big.len() > 1024 * 1024);
    p.write("big.py", &big);
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1);
    assert_vuln(&json, "vuln.py");
    let n = note(&json, "too-large", "big.py", "warning");
    assert!(
        n["message"]
            .as_str()
            .unwrap_or("")
            .contains("--max-file-size"),
        "{n}"
    );
    notification(&sarif, "too-large", "big.py", "warning");
    assert_no_findings_in(&json, "big.py");
    // Raised cap: scanned.
    let (code, json, _) = scan_both(&p, &[".", "--max-file-size", "2000000"]);
    assert_eq!(code, 1);
    assert_vuln(&json, "big.py");
    assert_eq!(notes_of_kind(&json, "too-large"), 0);
}

fn minified_js(target: usize) -> String {
    let mut s = String::with_capacity(target + 200);
    let mut i = 0;
    while s.len() < target {
        s.push_str(&format!(
            "var a{i}=function(b,c){{return b?c[{i}]:{{k:[b,c,\"s{i}\"]}}}};"
        ));
        if i == 20_000 {
            s.push_str("function h(req){eval(req.query.code)}");
        }
        i += 1;
    }
    s.push_str(&format!("var t=\"{TOKEN}\";"));
    s
}

#[test]
fn five_megabyte_single_line_js_under_a_raised_cap_is_bounded() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    let js = minified_js(5 * 1024 * 1024);
    assert!(!js.contains('\n'));
    p.write("bundle.js", &js);
    let started = Instant::now();
    let (code, json, sarif) = scan_both(&p, &[".", "--max-file-size", "8000000"]);
    let took = started.elapsed();
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    let line = "var t=\"";
    let col = js.rfind(line).expect("token") + line.len() + 1;
    assert_finding(&json, "bundle.js", "secret-github-pat", 1, col as u64);
    // Either the code rules ran to the end, or the cut is reported.
    let eval_found = findings(&json)
        .iter()
        .any(|f| f.0 == "bundle.js" && f.1.starts_with("js-"));
    if !eval_found {
        note(&json, "parse-incomplete", "bundle.js", "warning");
    }
    // The SARIF run is a second process: under load its parse may end differently, so it is
    // checked against its own results.
    let sarif_eval = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .any(|r| {
            r["ruleId"].as_str().unwrap_or("").starts_with("js-")
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bundle.js"
        });
    if !sarif_eval {
        notification(&sarif, "parse-incomplete", "bundle.js", "warning");
    }
    // Two scans (JSON + SARIF) of 5 MB in a debug build of vigil.
    assert!(took < Duration::from_secs(300), "took {took:?}");
}

#[test]
fn a_parse_cut_short_by_the_budget_is_reported_and_text_rules_still_run() {
    let rules = builtin_rules();
    let settings = ScanSettings {
        threads: 1,
        max_file_size: 8_000_000,
        // 5 MB of JavaScript takes about half a second to parse even in a release build; the
        // small Python file must stay well inside the budget on a loaded machine (1 ms did not).
        parse_budget: Some(Duration::from_millis(100)),
        ..ScanSettings::default()
    };
    let js = minified_js(5 * 1024 * 1024);
    let started = Instant::now();
    let report = scan_inputs(
        vec![memory("bundle.js", js), memory("vuln.py", VULN_PY)],
        &rules,
        &settings,
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let n = report
        .notes
        .iter()
        .find(|n| n.kind == vigil_core::NoteKind::ParseIncomplete)
        .unwrap_or_else(|| panic!("no parse-incomplete note: {:?}", report.notes));
    assert_eq!(n.path.as_deref(), Some("bundle.js"));
    assert_eq!(n.level, vigil_core::NoteLevel::Warning);
    let ids: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.rule.id.as_str()))
        .collect();
    assert!(ids.contains(&("bundle.js", "secret-github-pat")), "{ids:?}");
    assert!(ids.iter().any(|(p, _)| *p == "vuln.py"), "{ids:?}");
    assert_valid_sarif(&sarif_of(&report, &rules));
}

const DEPTH: usize = 100_000;

fn deep_sources() -> Vec<(&'static str, String)> {
    vec![
        (
            "deep_parens.py",
            format!(
                "x = {}eval(input()){}\n",
                "(".repeat(DEPTH),
                ")".repeat(DEPTH)
            ),
        ),
        (
            "deep_lists.py",
            format!("x = {}1{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        ),
        (
            "deep_binop.py",
            format!(
                "import subprocess\nsubprocess.run({}cmd, shell=True)\n",
                "'a' + ".repeat(DEPTH)
            ),
        ),
        (
            "deep_calls.py",
            format!("x = {}1{}\n", "f(".repeat(DEPTH), ")".repeat(DEPTH)),
        ),
        (
            "deep_brackets.js",
            format!(
                "const a = {}eval(location.hash){};\n",
                "[".repeat(DEPTH),
                "]".repeat(DEPTH)
            ),
        ),
        (
            "deep_parens.js",
            format!("const a = {}1{};\n", "(".repeat(DEPTH), ")".repeat(DEPTH)),
        ),
        (
            "deep_concat.js",
            format!(
                "require('child_process').exec({}req.query.x);\n",
                "'a' + ".repeat(DEPTH)
            ),
        ),
        (
            "deep_objects.ts",
            format!(
                "let a: any = {}1{};\n",
                "{a:".repeat(DEPTH),
                "}".repeat(DEPTH)
            ),
        ),
        // Not deep at all, but names that refer to each other: a cycle must not recurse.
        (
            "cycle.py",
            "import subprocess\na = b + 'x'\nb = a + 'y'\nsubprocess.run(a, shell=True)\n"
                .to_owned(),
        ),
        (
            "cycle.js",
            "const cp = require('child_process');\nlet a = b + 'x';\nlet b = a + 'y';\ncp.exec(a);\n"
                .to_owned(),
        ),
        // Unclosed: the parser's error recovery on a deep stack.
        ("unclosed.py", format!("x = {}\n", "(".repeat(DEPTH))),
        ("unclosed.js", format!("x = {}\n", "[{".repeat(DEPTH))),
    ]
}

#[test]
fn deeply_nested_code_does_not_overflow_the_stack() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    for (name, src) in deep_sources() {
        p.write(name, src);
    }
    let started = Instant::now();
    // -j 2: the analysis runs on rayon worker threads (2 MiB stacks by default).
    let (code, json, _sarif) = scan_both(&p, &[".", "-j", "2"]);
    let took = started.elapsed();
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_eq!(
        json["summary"]["files_scanned"],
        deep_sources().len() as u64 + 1
    );
    assert_finding(&json, "deep_parens.py", "py-", 1, DEPTH as u64 + 5);
    assert!(took < Duration::from_secs(300), "took {took:?}");
}

#[test]
fn deeply_nested_code_in_a_thread_with_a_2_mib_stack() {
    // The whole pipeline (parse, model walk, every rule, the SARIF writer) on one thread with the
    // default 2 MiB stack of a spawned thread: tree-sitter and vigil's walks must not recurse
    // per nesting level.
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let rules = builtin_rules();
            let settings = ScanSettings {
                parse_budget: None,
                ..ScanSettings::default()
            };
            let mut out = Vec::new();
            for (name, src) in deep_sources() {
                let file = vigil_core::SourceFile::new(name.to_owned(), src.as_bytes());
                let mut parse = || match vigil_core::parse::parse(
                    file.language?,
                    &file.text,
                    settings.parse_budget,
                ) {
                    vigil_core::parse::ParseOutcome::Tree(t) => Some(t),
                    _ => None,
                };
                let mut found = Vec::new();
                rules.check_file(&file, &mut parse, &mut found);
                out.push((name, found.len()));
            }
            let report = ScanReport::default();
            let sarif = sarif_of(&report, &rules);
            (out, sarif)
        })
        .expect("spawn");
    let (out, sarif) = handle.join().expect("no stack overflow or panic");
    assert_valid_sarif(&sarif);
    let found: std::collections::HashMap<_, _> = out.into_iter().collect();
    assert!(found["deep_parens.py"] >= 1, "{found:?}");
}

#[test]
fn syntax_errors_and_truncated_files_are_a_note_not_an_error() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write(
        "broken.py",
        "import subprocess\n\ndef broken(:\n    pass\n\nsubprocess.call(cmd, shell=True)\n",
    );
    let cut = VULN_PY.find("eval(cmd)").expect("eval") + "eval(cm".len();
    p.write("truncated.py", &VULN_PY[..cut]);
    p.write(
        "truncated.js",
        format!(
            "{}const s = `unterminated ${{",
            VULN_JS.trim_end().trim_end_matches('}')
        ),
    );
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "syntax errors are notes: {:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_finding(&json, "broken.py", "py-", 6, 1);
    assert_finding(&json, "truncated.py", "py-", 5, 5);
    assert_finding(&json, "truncated.js", "js-", 3, 3);
    let n = note(&json, "syntax-error", "broken.py", "note");
    assert!(
        n["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("broken.py:3:"),
        "the first error is on line 3: {n}"
    );
    note(&json, "syntax-error", "truncated.py", "note");
    note(&json, "syntax-error", "truncated.js", "note");
    notification(&sarif, "syntax-error", "broken.py", "note");
}

#[test]
fn syntax_error_line_counts_lone_cr_line_breaks() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    // `eval` makes a rule want the tree: a file that triggers no rule is not parsed at all.
    p.write("cr.js", "const a = eval(x);\rconst b = 2;\rconst = ;\r");
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1);
    assert_vuln(&json, "vuln.py");
    let n = note(&json, "syntax-error", "cr.js", "note");
    assert!(
        n["message"].as_str().unwrap_or("").starts_with("cr.js:3:"),
        "{n}"
    );
}

/// True when this process can read a file whose permissions are 000 (root, CAP_DAC_OVERRIDE).
#[cfg(unix)]
fn permissions_are_bypassed(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::write(&probe, "x").expect("write");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable = std::fs::read(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    readable
}

#[cfg(unix)]
#[test]
fn unreadable_files_fail_closed() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    if permissions_are_bypassed(p.path()) {
        // Running as root: chmod 000 does not stop us reading. A read error that even root gets:
        // `/proc/self/mem` is a regular file whose read at offset 0 fails (EIO).
        if cfg!(target_os = "linux") && Path::new("/proc/self/mem").exists() {
            let (code, json, sarif) = scan_both(&p, &[".", "/proc/self/mem"]);
            assert_eq!(code, 2, "{:#}", json["notes"]);
            assert_vuln(&json, "vuln.py");
            note(&json, "read-error", "/proc/self/mem", "error");
            notification(&sarif, "read-error", "/proc/self/mem", "error");
        } else {
            eprintln!("SKIPPED unreadable_files_fail_closed: running with permission bypass");
        }
        return;
    }
    let f = p.write("secret.py", format!("GITHUB_TOKEN = \"{TOKEN}\"\n"));
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let d = p.path().join("locked");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(d.join("a.py"), VULN_PY).expect("write");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let (code, json, sarif) = scan_both(&p, &["."]);
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(code, 2, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    note(&json, "read-error", "secret.py", "error");
    notification(&sarif, "read-error", "secret.py", "error");
    note(&json, "path-error", "locked", "error");
}

#[cfg(unix)]
#[test]
fn broken_symlinks_are_reported_when_followed_or_named() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    std::os::unix::fs::symlink("missing.py", p.path().join("dangling.py")).expect("symlink");
    // Walking without --follow: links are not followed and not read (documented), no error.
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    // With --follow, a link that leads nowhere is reported and fails the run.
    let (code, json, sarif) = scan_both(&p, &[".", "--follow"]);
    assert_eq!(code, 2, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    let n = json["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .find(|n| n["path"] == "dangling.py")
        .unwrap_or_else(|| panic!("no note for dangling.py: {:#}", json["notes"]));
    assert_eq!(n["level"], "error");
    assert!(n["message"].as_str().unwrap_or("").contains("dangling.py"));
    let all = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(all.contains("dangling.py"), "{all}");
    // Named on the command line: always reported.
    let (code, json, sarif) = scan_both(&p, &["vuln.py", "dangling.py"]);
    assert_eq!(code, 2);
    assert_vuln(&json, "vuln.py");
    let n = note(&json, "path-error", "dangling.py", "error");
    assert!(
        n["message"]
            .as_str()
            .unwrap_or("")
            .contains("broken symbolic link"),
        "{n}"
    );
    notification(&sarif, "path-error", "dangling.py", "error");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_with_follow() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write("sub/inner.py", VULN_PY);
    std::os::unix::fs::symlink("..", p.path().join("sub/up")).expect("symlink");
    std::os::unix::fs::symlink("self.py", p.path().join("self.py")).expect("symlink");
    let (code, json, sarif) = scan_both(&p, &[".", "--follow"]);
    assert_eq!(code, 2, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_vuln(&json, "sub/inner.py");
    for path in ["sub/up", "self.py"] {
        let n = json["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .find(|n| n["path"] == path)
            .unwrap_or_else(|| panic!("no note for {path}: {:#}", json["notes"]));
        assert_eq!(n["level"], "error", "{n}");
        let all = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
        assert!(all.contains(path), "{all}");
    }
    // Each real file is reported once, not once per path through the loop.
    let paths: std::collections::BTreeSet<String> =
        findings(&json).into_iter().map(|f| f.0).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["sub/inner.py", "vuln.py"]
    );
    // Without --follow the loop is never entered: nothing to report.
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
}

#[test]
fn a_path_that_vanishes_during_the_scan_is_reported() {
    // Discovery lists the file; it is removed before the engine reads it (the window a real
    // scan has between walking and reading, made deterministic).
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write("gone.py", VULN_PY);
    let base = p.path().to_path_buf();
    let (files, notes) =
        vigil_core::discover::discover(std::slice::from_ref(&base), &base, &Default::default());
    assert!(notes.is_empty());
    assert_eq!(files.len(), 2);
    std::fs::remove_file(p.path().join("gone.py")).expect("rm");
    let rules = builtin_rules();
    let report = scan_inputs(
        files.into_iter().map(Input::Disk).collect(),
        &rules,
        &ScanSettings::default(),
    );
    assert!(report.errored(), "fail closed");
    let mut ids: Vec<(&str, usize)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.span.start_line))
        .collect();
    ids.dedup();
    assert_eq!(ids, [("vuln.py", 5), ("vuln.py", 6)]);
    let n = report
        .notes
        .iter()
        .find(|n| n.path.as_deref() == Some("gone.py"))
        .unwrap_or_else(|| panic!("{:?}", report.notes));
    assert_eq!(
        (n.level, n.kind),
        (
            vigil_core::NoteLevel::Error,
            vigil_core::NoteKind::ReadError
        )
    );
    assert!(n.message.starts_with("gone.py: "), "{}", n.message);
    let sarif = sarif_of(&report, &rules);
    assert_valid_sarif(&sarif);
    notification(&sarif, "read-error", "gone.py", "error");
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn fifos_are_reported_and_never_block() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    mkfifo(&p.path().join("pipe.py"));
    std::os::unix::fs::symlink("pipe.py", p.path().join("to_pipe.py")).expect("symlink");
    // In a walked folder, followed through a link, and named on the command line.
    for args in [
        vec!["."],
        vec![".", "--follow"],
        vec!["vuln.py", "pipe.py"],
        vec!["vuln.py", "to_pipe.py"],
    ] {
        let (code, json, sarif) = scan_both(&p, &args);
        assert_eq!(code, 2, "{args:?}: {:#}", json["notes"]);
        assert_vuln(&json, "vuln.py");
        let path = if args.contains(&"to_pipe.py") {
            "to_pipe.py"
        } else {
            "pipe.py"
        };
        let n = note(&json, "read-error", path, "error");
        assert!(
            n["message"]
                .as_str()
                .unwrap_or("")
                .contains("not a regular file"),
            "{n}"
        );
        notification(&sarif, "read-error", path, "error");
    }
}

#[test]
fn unusual_paths_are_scanned_and_their_sarif_uris_validate() {
    let p = Project::new();
    let mut paths = vec![
        "with space/a b.py".to_owned(),
        "quotes/it's \"q\".py".to_owned(),
        "ünïcödé/日本語.py".to_owned(),
        "%20/100% #1?.py".to_owned(),
        "back\\slash/x.py".to_owned(),
    ];
    if cfg!(unix) {
        paths.push("new\nline/x\ty.py".to_owned());
    }
    // A long path: 30 folders of 60 characters (about 1 900 bytes).
    let long: Vec<String> = (0..30)
        .map(|i| format!("{i:02}{}", "d".repeat(58)))
        .collect();
    paths.push(format!("{}/{}.py", long.join("/"), "f".repeat(200)));
    for path in &paths {
        p.write(path, VULN_PY);
    }
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    for path in &paths {
        assert_vuln(&json, path);
    }
    assert_eq!(json["summary"]["files_scanned"], paths.len() as u64);
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    for uri in &uris {
        assert!(
            uri.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'"'),
            "raw character in a URI: {uri:?}"
        );
    }
    assert!(uris.contains(&"with%20space/a%20b.py"), "{uris:?}");
    assert!(uris.contains(&"%2520/100%25%20%231%3F.py"), "{uris:?}");
    // Text output names them too, without panicking.
    let o = run(&p, &["scan", "."]);
    assert_eq!(util::code(&o), 1);
    assert!(
        stdout(&o).contains("with space/a b.py:5:5"),
        "{}",
        stdout(&o)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names_stay_distinct() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    let a = p.path().join(OsStr::from_bytes(b"bad\xff.py"));
    let b = p.path().join(OsStr::from_bytes(b"bad\xfe.py"));
    if std::fs::write(&a, VULN_PY).is_err() {
        eprintln!("SKIPPED non_utf8_file_names_stay_distinct: the file system refuses the names");
        return;
    }
    std::fs::write(&b, VULN_PY).expect("write");
    let (code, json, _sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_eq!(
        json["summary"]["files_scanned"], 3,
        "two names that differ only in invalid bytes must both be scanned"
    );
    let paths: std::collections::BTreeSet<String> =
        findings(&json).into_iter().map(|f| f.0).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
}

fn rule_toml(id: &str, extra: &str, matcher: &str) -> String {
    format!(
        r#"id = "{id}"
language = "python"
title = "Test rule"
message = "Test rule matched."
severity = "low"
confidence = "low"
cwe = [20]
fix = "Do not."
description = "A test rule."
owasp = "A03:2021-Injection"
references = ["https://example.invalid/rule"]
{extra}
[example]
vulnerable = "x"
fixed = "y"

[match]
{matcher}
"#
    )
}

#[test]
fn invalid_custom_rules_exit_2_naming_file_rule_and_field_before_scanning() {
    let cases = [
        (
            "bad-query.toml",
            rule_toml(
                "py-test-bad-query",
                "",
                "query = '(call function: (identifier @f'",
            ),
            "py-test-bad-query",
            "match.query",
        ),
        (
            "bad-regex.toml",
            rule_toml("py-test-bad-regex", "", "text = 'password(['"),
            "py-test-bad-regex",
            "match.text",
        ),
        (
            "unknown-field.toml",
            rule_toml(
                "py-test-unknown",
                "colour = \"red\"\n",
                "call = [\"os.system\"]",
            ),
            "py-test-unknown",
            "colour",
        ),
        (
            "duplicate.toml",
            rule_toml("py-eval-dynamic", "", "call = [\"eval\"]"),
            "py-eval-dynamic",
            "id",
        ),
    ];
    for (file, toml, rule, field) in cases {
        let p = Project::new();
        p.write("vuln.py", VULN_PY);
        p.write(&format!("custom/{file}"), &toml);
        p.write("report.json", "previous report\n");
        let o = run(
            &p,
            &[
                "scan",
                ".",
                "--rules",
                "custom",
                "--format",
                "json",
                "-o",
                "report.json",
            ],
        );
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{file}: {err}");
        assert!(
            stdout(&o).is_empty(),
            "{file}: no report is written: {}",
            stdout(&o)
        );
        for part in [file, rule, field] {
            assert!(
                err.contains(part),
                "{file}: the error does not name {part:?}: {err}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(p.path().join("report.json")).expect("read"),
            "previous report\n",
            "{file}: the previous report must be untouched"
        );
    }
}

/// Files in `dir` whose names look like temporary files.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp") || n.contains(".tmp"))
        .collect()
}

#[cfg(unix)]
#[test]
fn a_failed_report_write_leaves_no_partial_file_and_no_temp_files() {
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write("report.sarif", "previous report\n");
    // Writing the report fails half-way: a file size limit of a few KiB (the SARIF log with
    // every rule's help is far larger), with SIGXFSZ ignored so write() returns EFBIG.
    let bin = assert_cmd::cargo::cargo_bin("vigil");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 8 && exec '{}' scan . --format sarif -o report.sarif",
            bin.display()
        ))
        .current_dir(p.path())
        .output()
        .expect("sh");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("report.sarif"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(p.path().join("report.sarif")).expect("read"),
        "previous report\n",
        "the previous report must be untouched"
    );
    assert_eq!(temp_files(p.path()), Vec::<String>::new());
    // The report cannot replace a directory: an error, and nothing left behind.
    std::fs::create_dir(p.path().join("out.sarif")).expect("mkdir");
    let o = run(&p, &["scan", ".", "--format", "sarif", "-o", "out.sarif"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(p.path().join("out.sarif").is_dir());
    assert_eq!(temp_files(p.path()), Vec::<String>::new());
    // A scan error (a missing path) still writes a complete report, atomically.
    let o = run(
        &p,
        &[
            "scan",
            ".",
            "missing.py",
            "--format",
            "sarif",
            "-o",
            "report.sarif",
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("report.sarif")).expect("read"),
    )
    .expect("complete JSON");
    assert_valid_sarif(&doc);
    assert_eq!(temp_files(p.path()), Vec::<String>::new());
}

#[test]
fn every_other_file_is_scanned_when_one_analyzer_call_panics() {
    // The engine half (a custom Analyzer that panics) is in crates/core/tests/isolation.rs; here
    // the real rule set runs beside it to show the notes reach SARIF intact.
    struct Boom(vigil_rules::RuleSet);
    impl vigil_core::Analyzer for Boom {
        fn analyze(
            &self,
            file: &vigil_core::SourceFile,
            parse: &mut dyn FnMut() -> Option<tree_sitter::Tree>,
            cx: &mut vigil_core::FileContext,
        ) {
            if file.path == "boom.py" {
                panic!("test-only panic in a rule");
            }
            self.0.analyze(file, parse, cx);
        }
    }
    let analyzer = Boom(builtin_rules());
    let report = scan_inputs(
        vec![
            memory("vuln.py", VULN_PY),
            memory("boom.py", VULN_PY),
            memory("other.py", VULN_PY),
        ],
        &analyzer,
        &ScanSettings::default(),
    );
    assert!(report.errored());
    let paths: std::collections::BTreeSet<&str> =
        report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["other.py", "vuln.py"]
    );
    let sarif = sarif_of(&report, &analyzer.0);
    assert_valid_sarif(&sarif);
    let n = notification(&sarif, "internal", "boom.py", "error");
    assert!(
        n["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("test-only panic"),
        "{n}"
    );
}

#[test]
fn an_empty_config_file_and_a_folder_named_like_the_config() {
    // An empty vigil.toml is the default configuration.
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    p.write("vigil.toml", "");
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_eq!(json["notes"], serde_json::json!([]));
    // A folder that discovery would take for the config is not a config: the scan goes on.
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    std::fs::create_dir(p.path().join("vigil.toml")).expect("mkdir");
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    // Named with --config, it is an error that names it, before any scanning.
    let o = run(
        &p,
        &["scan", ".", "--config", "vigil.toml", "--format", "json"],
    );
    assert_eq!(util::code(&o), 2);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("vigil.toml"), "{}", stderr(&o));
}

#[test]
fn secrets_are_redacted_from_every_snippet_on_their_line() {
    // Found by tests/fuzz.rs: each finding redacted only its own match, so a second secret on
    // the line, or a code finding there, showed a secret in its snippet.
    let p = Project::new();
    p.write("vuln.py", VULN_PY);
    let other = "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";
    p.write("two.env", format!("A={TOKEN} B={other}\n"));
    p.write(
        "code.py",
        format!(
            "import subprocess\n\n\ndef run(cmd):\n    subprocess.run(\"curl -u x:{TOKEN} \" + cmd, shell=True)\n"
        ),
    );
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_finding(&json, "two.env", "secret-github-pat", 1, 3);
    assert_finding(&json, "code.py", "py-", 5, 5);
    for doc in [&json, &sarif] {
        let all = doc.to_string();
        assert!(!all.contains(TOKEN) && !all.contains(other), "{all}");
    }
}

#[test]
fn a_megabyte_key_full_of_keywords_is_measured_once() {
    // One run of key characters holding a generic keyword every few bytes (a base64 blob or a
    // minified identifier can look like this): every keyword measured its key from scratch,
    // so a megabyte took about a minute in a release build. A real pair after it must still
    // be found, in code (the shared prefilter) and in plain text (the secret rules' own).
    let p = Project::new();
    let key = "apikeytoken".repeat(90_000);
    p.write(
        "blob.py",
        format!("x = \"{key}\"\nDB_PASSWORD = \"Zqumpm08hsE8JN#-\"\n"),
    );
    p.write(
        "blob.env",
        format!("BLOB={key}\nDB_PASSWORD=Zqumpm08hsE8JN#-\n"),
    );
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_finding(&json, "blob.py", "secret-generic-password", 2, 16);
    assert_finding(&json, "blob.env", "secret-generic-password", 2, 13);
    let o = run(&p, &["scan", "--no-prefilter", "--format", "json", "."]);
    let json: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_finding(&json, "blob.env", "secret-generic-password", 2, 13);
}

#[test]
fn a_megabyte_line_full_of_route_words_is_searched_once() {
    // A route decorator's word (`get`, `post`) counts for the taint prefilter only on a line
    // starting with `@`; every occurrence searched back to its line's start, so one line of
    // 900 KB holding 100 000 of them took about a minute in a release build.
    let p = Project::new();
    let line = "get.post,".repeat(100_000);
    p.write("routes.py", format!("x = \"{line}\"\n"));
    p.write("vuln.py", VULN_PY);
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_vuln(&json, "vuln.py");
    assert_no_findings_in(&json, "routes.py");
}

#[test]
fn a_chain_of_nested_functions_is_checked_once_each() {
    // Before running a function, the taint pass lists the functions nested in it (their code
    // is not its own): listing every descendant made a chain of 20 000 nested arrow functions
    // quadratic (2 s in a release build). The source and the sink are in the innermost one.
    let p = Project::new();
    p.write(
        "chain.js",
        format!("const f = {}eval(location.hash);\n", "x => ".repeat(20_000)),
    );
    let (code, json, _) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    assert_finding(&json, "chain.js", "js-taint-code-injection", 1, 100_011);
}

#[test]
fn thousands_of_findings_on_one_long_line_keep_short_snippets_and_redact_secrets() {
    // Every finding copied its whole line as its snippet: 10 000 findings on an 80 KB line
    // took 800 MB (100 000 of them: 16 GB). A long line's snippet is now cut around its
    // finding, and a secret cut at the edge of one is not shown in part either.
    let p = Project::new();
    let token = TOKEN;
    let line = format!(
        "var a={}1;var t=\"{token}\";var b={}1;\n",
        "eval(x)+".repeat(10_000),
        "eval(x)+".repeat(30)
    );
    p.write("bundle.js", &line);
    let (code, json, sarif) = scan_both(&p, &["."]);
    assert_eq!(code, 1, "{:#}", json["notes"]);
    let all = json["findings"].as_array().expect("findings");
    assert!(all.len() > 10_000, "{}", all.len());
    for f in all {
        let snippet = f["snippet"].as_str().expect("snippet");
        assert!(snippet.len() < 420, "{} bytes", snippet.len());
    }
    assert_finding(
        &json,
        "bundle.js",
        "secret-github-pat",
        1,
        line.find("ghp_").unwrap() as u64 + 1,
    );
    // No part of the token of 8 characters or more in any output.
    let text = stdout(&run(&p, &["scan", "."]));
    for out in [json.to_string(), sarif.to_string(), text] {
        for w in token.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!out.contains(w), "part of the token shown: {w}");
        }
    }
}

/// The walk does not go into plain string literals unless a rule's pattern starts inside one:
/// a custom rule rooted at `string_content` / `string_fragment` (or at any node) still sees
/// every string's text, and the built-in rules still see the calls inside f-strings and
/// template strings.
#[test]
fn patterns_rooted_inside_strings_still_match() {
    let py = "import os\nA = 'prefix DO-NOT-SHIP'\nB = rb\"DO-NOT-SHIP\"\nprint(f\"{os.system(input())}\")\n";
    let js = "const A = 'prefix DO-NOT-SHIP';\nconst B = \"DO-NOT-SHIP\";\nconsole.log(`${eval(process.argv[2])}`);\n";
    // (file, text, language, rule, its query, a built-in rule, expected (rule, line)s)
    let cases = [
        (
            "app.py",
            py,
            "python",
            "py-test-string-inside",
            "(string_content (#match? @m \"DO-NOT-SHIP\")) @m",
            "py-os-system",
            vec![
                ("py-os-system", 4),
                ("py-test-string-inside", 2),
                ("py-test-string-inside", 3),
            ],
        ),
        (
            "app.py",
            py,
            "python",
            "py-test-any-node",
            "(_ (#match? @m \"^DO-NOT-SHIP$\")) @m",
            "py-os-system",
            vec![("py-os-system", 4), ("py-test-any-node", 3)],
        ),
        (
            "app.js",
            js,
            "javascript",
            "js-test-string-inside",
            "(string_fragment (#match? @m \"DO-NOT-SHIP\")) @m",
            "js-eval-dynamic",
            vec![
                ("js-eval-dynamic", 3),
                ("js-test-string-inside", 1),
                ("js-test-string-inside", 2),
            ],
        ),
    ];
    for (file, text, language, id, query, builtin, want) in cases {
        let p = Project::new();
        p.write(file, text);
        let toml = rule_toml(id, "", &format!("query = '{query}'")).replace(
            "language = \"python\"",
            &format!("language = \"{language}\""),
        );
        p.write("custom/rule.toml", toml);
        let select = format!("{id},{builtin}");
        let (code, json, _) = scan_both(&p, &[".", "--rules", "custom", "--select", &select]);
        assert_eq!(code, 1, "{id}: {:#}", json["notes"]);
        let mut got: Vec<(String, u64)> = findings(&json).into_iter().map(|f| (f.1, f.2)).collect();
        got.sort();
        let want: Vec<(String, u64)> = want.iter().map(|(r, l)| (r.to_string(), *l)).collect();
        assert_eq!(got, want, "{id}");
    }
}
