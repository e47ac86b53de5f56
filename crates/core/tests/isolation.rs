//! Per-file isolation in the real engine: an analyzer that panics on one file (a stand-in for a
//! buggy rule; no hook exists in vigil itself) costs that file only.

use std::sync::Arc;

use tree_sitter::Tree;
use vigil_core::engine::{scan_inputs, scan_paths, Input, ScanSettings};
use vigil_core::{
    Analyzer, Confidence, FileContext, Finding, NoteKind, NoteLevel, RuleMeta, Severity, SourceFile,
};

fn meta() -> Arc<RuleMeta> {
    Arc::new(RuleMeta {
        id: "test-eval".to_owned(),
        title: "eval".to_owned(),
        message: "eval".to_owned(),
        severity: Severity::High,
        confidence: Confidence::High,
        cwe: vec![95],
        owasp: None,
        description: "test".to_owned(),
        fix: "test".to_owned(),
        example_vulnerable: None,
        example_fixed: None,
        references: Vec::new(),
        tags: Vec::new(),
        language: "python".to_owned(),
        enabled: true,
        origin: "test".to_owned(),
    })
}

/// Reports every `eval(` after parsing the file; panics on `boom.py`, after having reported a
/// finding (which must be dropped with the file's other partial results).
struct Boom(Arc<RuleMeta>);

impl Analyzer for Boom {
    fn analyze(
        &self,
        file: &SourceFile,
        parse: &mut dyn FnMut() -> Option<Tree>,
        cx: &mut FileContext,
    ) {
        let _ = parse();
        for (at, _) in file.text.match_indices("eval(") {
            cx.findings.push(Finding::new(&self.0, file, at, at + 4));
        }
        if file.path.ends_with("boom.py") {
            vigil_core::engine::set_current_rule("test-eval");
            panic!("index out of range");
        }
    }
}

fn input(rel: &str, text: &str) -> Input {
    Input::Memory {
        rel: rel.to_owned(),
        bytes: text.as_bytes().to_vec(),
        language: None,
    }
}

#[test]
fn a_panic_on_one_file_is_caught_reported_and_the_scan_completes() {
    let inputs: Vec<Input> = (0..50)
        .map(|i| input(&format!("f{i:02}.py"), "x = eval(y)\n"))
        .chain([input("boom.py", "eval(a)\neval(b)\n")])
        .collect();
    for threads in [1, 2] {
        let settings = ScanSettings {
            threads,
            ..ScanSettings::default()
        };
        let report = scan_inputs(inputs.clone(), &Boom(meta()), &settings);
        assert!(report.errored(), "fail closed: exit 2");
        assert_eq!(report.files_scanned, 51);
        assert_eq!(report.findings.len(), 50, "every other file's finding");
        assert!(report.findings.iter().all(|f| f.path != "boom.py"));
        let internal: Vec<_> = report
            .notes
            .iter()
            .filter(|n| n.kind == NoteKind::Internal)
            .collect();
        assert_eq!(internal.len(), 1, "{:?}", report.notes);
        let n = internal[0];
        assert_eq!(n.level, NoteLevel::Error);
        assert_eq!(n.path.as_deref(), Some("boom.py"));
        assert!(
            n.message.starts_with("boom.py: internal error")
                && n.message.contains("in rule `test-eval`")
                && n.message.contains("index out of range"),
            "{}",
            n.message
        );
    }
}

#[test]
fn a_panic_on_a_disk_file_is_isolated_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.py"), "eval(x)\n").expect("write");
    std::fs::write(dir.path().join("boom.py"), "eval(x)\n").expect("write");
    std::fs::write(dir.path().join("z.py"), "eval(x)\n").expect("write");
    let report = scan_paths(
        &[dir.path().to_path_buf()],
        dir.path(),
        &Boom(meta()),
        &ScanSettings::default(),
    );
    assert!(report.errored());
    let paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.py", "z.py"]);
    assert!(report
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::Internal && n.path.as_deref() == Some("boom.py")));
}
