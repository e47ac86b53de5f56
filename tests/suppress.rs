//! Inline suppressions with reasons, compatibility comments, SARIF `suppressions`, and stdin.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use util::{code, stderr, stdout, Project};

const SHELL: &str = "import subprocess\n\n\ndef run(cmd):\n";

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("json")
}

#[test]
fn reasoned_suppression_suppresses_and_sarif_carries_the_reason() {
    let p = Project::new();
    p.write(
        "a.py",
        format!("{SHELL}    subprocess.run(\"ls \" + cmd, shell=True)  # vigil: ignore[py-subprocess-shell-true] cmd is a fixed admin command\n"),
    );
    p.write(
        "b.py",
        format!("{SHELL}    # vigil: ignore[py-subprocess-shell-true] vetted by security review\n    subprocess.run(\"ls \" + cmd, shell=True)\n"),
    );
    p.write(
        "c.js",
        "const { exec } = require('child_process');\nfunction f(host) {\n  /* vigil: ignore[js-child-process-exec, js-taint-command-injection] host is validated */\n  exec('ping ' + host);\n}\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("suppressed"), "{}", stdout(&o));
    let o = p.vigil(&["scan", ".", "--format", "sarif"]);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    util::assert_valid_sarif(&v);
    let sups: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            assert_eq!(r["suppressions"][0]["kind"], "inSource");
            r["suppressions"][0]["justification"]
                .as_str()
                .expect("justification")
                .to_owned()
        })
        .collect();
    assert!(
        sups.contains(&"cmd is a fixed admin command".to_owned()),
        "{sups:?}"
    );
    assert!(
        sups.contains(&"vetted by security review".to_owned()),
        "{sups:?}"
    );
}

#[test]
fn multi_line_statement_first_line() {
    let p = Project::new();
    p.write(
        "a.py",
        format!("{SHELL}    subprocess.run(  # vigil: ignore[py-subprocess-shell-true] constant prefix, quoted arg\n        \"ls \" + cmd,\n        shell=True,\n    )\n"),
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn reasonless_suppression_is_reported_and_does_not_suppress() {
    let p = Project::new();
    p.write(
        "a.py",
        format!("{SHELL}    subprocess.run(\"ls \" + cmd, shell=True)  # vigil: ignore[py-subprocess-shell-true]\n"),
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("has no reason"), "{}", stdout(&o));
    let v = json(&p.vigil(&["scan", ".", "--format", "json"]));
    assert_eq!(v["notes"][0]["kind"], "suppression");
}

#[test]
fn unused_ignores_are_reported_on_request() {
    let p = Project::new();
    p.write("a.py", "x = 1  # vigil: ignore[py-eval-dynamic] legacy\n");
    let o = p.vigil(&["scan", "."]);
    assert!(!stdout(&o).contains("unused"), "{}", stdout(&o));
    let o = p.vigil(&["scan", ".", "--report-unused-ignores"]);
    assert!(stdout(&o).contains("unused suppression"), "{}", stdout(&o));
}

#[test]
fn compatibility_comments() {
    let p = Project::new();
    p.write(
        "a.py",
        format!("{SHELL}    subprocess.run(\"ls \" + cmd, shell=True)  # nosec B602\n    eval(cmd)  # noqa: S307\n"),
    );
    p.write(
        "k.env",
        "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZq # gitleaks:allow\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&p.vigil(&["scan", ".", "--format", "json"]));
    let n = v["findings"].as_array().expect("findings").len();
    assert!(n >= 3, "{v}");
    assert_eq!(v["summary"]["suppressed"], n);
}

#[test]
fn stdin_filename_reports_as_path() {
    let p = Project::new();
    let mut cmd = assert_cmd::Command::cargo_bin("vigil").expect("bin");
    let o = cmd
        .current_dir(p.path())
        .args(["scan", "--stdin-filename", "src/app.js", "-", "--format", "json"])
        .write_stdin("const cp = require('child_process');\nfunction f(req) { cp.exec('x ' + req.query.a); }\n")
        .output()
        .expect("run");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["findings"][0]["path"], "src/app.js");
    let o = p.vigil(&["scan", "-"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn nosec_in_a_file_without_colons() {
    let p = Project::new();
    p.write(
        "a.js",
        "const cp = require('child_process')\nfunction f(h) { cp.exec('ping ' + h) } // nosec\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("suppressed"), "{}", stdout(&o));
}
