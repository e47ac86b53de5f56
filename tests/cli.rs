//! The CLI contract, run against the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use util::*;

fn demo() -> Project {
    let p = Project::new();
    p.write("app/vuln.py", VULN_PY);
    p.write("web/vuln.js", VULN_JS);
    p.write("app/clean.py", CLEAN_PY);
    p
}

#[test]
fn scan_reports_findings_and_exits_1() {
    let p = demo();
    let o = p.vigil(&["scan", "."]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}{}", stderr(&o));
    assert!(
        out.contains("app/vuln.py:5:5: py-subprocess-shell-true [high]"),
        "{out}"
    );
    assert!(
        out.contains("app/vuln.py:6:12: py-eval-dynamic [high]"),
        "{out}"
    );
    assert!(
        out.contains("web/vuln.js:3:3: js-child-process-exec [high]"),
        "{out}"
    );
    assert!(out.contains("^^^^"), "caret underline missing: {out}");
    assert!(out.contains("3 findings (3 high) in 3 files"), "{out}");
    assert!(!out.contains("\x1b["), "colour when not a terminal: {out}");
}

#[test]
fn clean_file_exits_0() {
    let p = demo();
    let o = p.vigil(&["scan", "app/clean.py"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no findings in 1 file"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn missing_path_exits_2_with_a_clear_message() {
    let p = demo();
    let o = p.vigil(&["scan", "app/clean.py", "nope/missing.py"]);
    assert_eq!(code(&o), 2);
    let all = stdout(&o) + &stderr(&o);
    assert!(all.contains("nope/missing.py: does not exist"), "{all}");
}

#[test]
fn findings_are_written_even_when_exit_is_2() {
    let p = demo();
    let o = p.vigil(&["scan", "app/vuln.py", "missing.py", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);
    assert_eq!(v["success"], false);
}

#[test]
fn fail_on_threshold() {
    let p = demo();
    assert_eq!(code(&p.vigil(&["scan", "--fail-on", "high"])), 1);
    assert_eq!(code(&p.vigil(&["scan", "--fail-on", "critical"])), 0);
    assert_eq!(code(&p.vigil(&["scan", "--fail-on", "never"])), 0);
}

#[test]
fn bad_arguments_exit_2() {
    let p = demo();
    assert_eq!(code(&p.vigil(&["scan", "--format", "xml"])), 2);
    let o = p.vigil(&["scan", "--select", "py-no-such-rule"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("py-no-such-rule"), "{}", stderr(&o));
}

#[test]
fn a_one_file_scan_is_the_same_with_the_other_familys_rules_unloaded() {
    // Named files of one language load only that family's built-in rules, unless the output
    // or the arguments need the others.
    let p = demo();
    let json = |args: &[&str]| -> serde_json::Value {
        let o = p.vigil(args);
        assert!(code(&o) < 2, "{args:?}: {}", stderr(&o));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["summary"]["duration_ms"] = serde_json::Value::Null;
        v
    };
    // The same file alone and beside a folder (which loads every rule).
    let alone = json(&["scan", "--format", "json", "app/vuln.py"]);
    let all = json(&["scan", "--format", "json", "app/vuln.py", "web/"]);
    let of_py: Vec<&serde_json::Value> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "app/vuln.py")
        .collect();
    let alone: Vec<&serde_json::Value> = alone["findings"].as_array().unwrap().iter().collect();
    assert_eq!(alone, of_py);
    assert!(alone.len() >= 2, "{alone:?}");
    // `--select` is checked against every rule, whatever the file.
    let o = p.vigil(&["scan", "--select", "js-child-process-exec", "app/vuln.py"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // SARIF lists every rule.
    let o = p.vigil(&["scan", "--format", "sarif", "app/vuln.py"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "js-child-process-exec"));
    assert!(rules.iter().any(|r| r["id"] == "py-eval-dynamic"));
}

#[test]
fn select_and_ignore_by_prefix() {
    let p = demo();
    let o = p.vigil(&["scan", "--select", "js-", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["js-child-process-exec"]);
    let o = p.vigil(&[
        "scan",
        "--ignore",
        "py-eval-dynamic,js-",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["py-subprocess-shell-true"]);
}

#[test]
fn json_has_the_documented_fields() {
    let p = demo();
    let o = p.vigil(&["scan", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in [
        "rule_id",
        "title",
        "message",
        "severity",
        "confidence",
        "cwe",
        "owasp",
        "path",
        "start",
        "end",
        "snippet",
        "fingerprint",
        "fix",
    ] {
        assert!(!f[key].is_null(), "missing {key} in {f}");
    }
    assert_eq!(f["path"], "app/vuln.py");
    assert_eq!(f["start"]["line"], 5);
    assert_eq!(f["cwe"][0], "CWE-78");
    assert_eq!(v["summary"]["files_scanned"], 3);
}

#[test]
fn sarif_validates_and_carries_what_github_needs() {
    let p = demo();
    for args in [
        vec!["scan", "--format", "sarif"],
        vec!["scan", "app/clean.py", "--format", "sarif"],
        vec!["scan", "app", "missing", "--format", "sarif"],
    ] {
        let o = p.vigil(&args);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_valid_sarif(&doc);
    }
    let o = p.vigil(&["scan", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "vigil");
    assert!(driver["version"].is_string() && driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rules[] must be sorted");
    let result = &run["results"][0];
    let idx = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], result["ruleId"]);
    let rule = &rules[idx];
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"security") && tags.contains(&"external/cwe/cwe-78"),
        "{tags:?}"
    );
    assert!(rule["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .is_ok());
    assert!(rule["properties"]["precision"].is_string());
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("## Fixed"));
    assert!(
        rule["shortDescription"]["text"].is_string() && rule["fullDescription"]["text"].is_string()
    );
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app/vuln.py");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    for k in ["startLine", "startColumn", "endLine", "endColumn"] {
        assert!(loc["region"][k].is_u64(), "{k}");
    }
    assert!(result["partialFingerprints"]
        .as_object()
        .unwrap()
        .values()
        .all(|v| v.is_string()));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let o = p.vigil(&["scan", "app", "missing", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .contains("missing: does not exist")));
}

#[test]
fn same_findings_in_same_order_with_1_and_2_threads() {
    let p = demo();
    for i in 0..20 {
        p.write(&format!("gen/m{i}.py"), VULN_PY.repeat(i % 4 + 1));
        p.write(&format!("gen/w{i}.js"), VULN_JS);
    }
    let strip = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["summary"]["duration_ms"] = serde_json::Value::Null;
        v
    };
    let one = strip(&p.vigil(&["scan", "-j", "1", "--format", "json"]));
    let two = strip(&p.vigil(&["scan", "-j", "2", "--format", "json"]));
    assert!(one["findings"].as_array().unwrap().len() > 40);
    assert_eq!(one, two);
}

#[test]
fn output_file_is_written() {
    let p = demo();
    let o = p.vigil(&["scan", "--format", "sarif", "-o", "out/report.sarif"]);
    assert_eq!(
        code(&o),
        2,
        "missing output folder is an error: {}",
        stderr(&o)
    );
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    let o = p.vigil(&["scan", "--format", "sarif", "-o", "out/report.sarif"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("out/report.sarif")).unwrap())
            .unwrap();
    assert_valid_sarif(&doc);
}

#[test]
fn colour_only_when_asked_and_no_color_respected() {
    let p = demo();
    let o = p.vigil(&["scan", "--color", "always"]);
    assert!(stdout(&o).contains("\x1b["));
    let o = p.vigil_env(&["scan"], &[("NO_COLOR", "1")]);
    assert!(!stdout(&o).contains("\x1b["));
}

#[test]
fn rules_list_and_explain() {
    let p = demo();
    let o = p.vigil(&["rules", "list"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains("py-subprocess-shell-true") && out.contains("CWE-78") && out.contains("high"),
        "{out}"
    );
    let o = p.vigil(&["rules", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "secret-github-pat" || r["id"] == "secret-github-token"));
    let o = p.vigil(&["rules", "explain", "py-eval-dynamic"]);
    let out = stdout(&o);
    for part in [
        "# py-eval-dynamic",
        "## What it finds",
        "## Vulnerable",
        "## Fixed",
        "CWE-95",
        "## References",
    ] {
        assert!(out.contains(part), "missing {part}: {out}");
    }
    let o = p.vigil(&["rules", "explain", "py-nope"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn every_rule_explains() {
    // In-process: the same renderer `vigil rules explain` uses.
    let catalog = vigil_rules::Catalog::builtin().unwrap();
    for m in catalog.metas() {
        let md = vigil_report::explain_markdown(&m);
        assert!(md.starts_with(&format!("# {}: ", m.id)), "{}", m.id);
        assert!(
            md.contains("## What it finds") && md.contains("## How to fix"),
            "{}",
            m.id
        );
        if !m.id.starts_with("secret-") {
            assert!(
                md.contains("## Vulnerable") && md.contains("## Fixed"),
                "{}",
                m.id
            );
        }
    }
}

#[test]
fn broken_pipe_exits_quietly() {
    let p = demo();
    for i in 0..200 {
        p.write(&format!("many/m{i}.py"), VULN_PY);
    }
    let bin = assert_cmd::cargo::cargo_bin("vigil");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' scan . | head -n 1", bin.display()))
        .current_dir(p.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

/// One file by path, through standard input and inside its folder: the same findings (the
/// first two are parsed on a helper thread while the rules load).
#[test]
fn one_file_by_path_by_stdin_and_in_its_folder_gives_the_same_findings() {
    let p = demo();
    let json = |o: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).expect("JSON report")
    };
    let summary = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["path"] == "app/vuln.py")
            .map(|f| format!("{} {} {}", f["rule_id"], f["start"], f["message"]))
            .collect()
    };
    let by_path = p.vigil(&["scan", "app/vuln.py", "--format", "json"]);
    assert_eq!(code(&by_path), 1, "{}", stderr(&by_path));
    let in_folder = p.vigil(&["scan", ".", "--format", "json"]);
    let mut cmd = assert_cmd::Command::cargo_bin("vigil").expect("bin");
    let by_stdin = cmd
        .current_dir(p.path())
        .args([
            "scan",
            "--stdin-filename",
            "app/vuln.py",
            "-",
            "--format",
            "json",
        ])
        .write_stdin(VULN_PY)
        .output()
        .expect("run");
    assert_eq!(code(&by_stdin), 1, "{}", stderr(&by_stdin));
    let expected = summary(&json(&in_folder));
    assert!(expected.len() >= 2, "{expected:?}");
    assert_eq!(summary(&json(&by_path)), expected);
    assert_eq!(summary(&json(&by_stdin)), expected);
    // Standard input must be the only path.
    let o = p.vigil(&["scan", "--stdin-filename", "x.py", "app/vuln.py"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
