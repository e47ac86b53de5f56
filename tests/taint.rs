//! Taint tracking through the real binary: flows in SARIF `codeFlows` (schema-valid), the text
//! path, taint findings superseding pattern findings at the same sink, and the rule catalogue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use util::*;

const FLASK: &str = r#"import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


def build(name):
    return "ping -c 1 " + name


@app.route("/ping")
def ping():
    host = request.args.get("host")
    cmd = build(host)
    os.system(cmd)


@app.route("/safe")
def safe():
    os.system("uptime")
    subprocess.run("ls " + os.getcwd(), shell=True)
"#;

const EXPRESS: &str = r#"const { exec } = require("child_process");
const app = require("express")();

app.get("/ping", (req, res) => {
  const { host } = req.query;
  exec(`ping -c 1 ${host}`);
});
"#;

fn project() -> Project {
    let p = Project::new();
    p.write("app/views.py", FLASK);
    p.write("web/server.js", EXPRESS);
    p
}

fn sarif(p: &Project) -> serde_json::Value {
    let o = p.vigil(&["scan", "--format", "sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn sarif_with_code_flows_validates() {
    let p = project();
    let doc = sarif(&p);
    assert_valid_sarif(&doc);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let taint: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["ruleId"].as_str().unwrap().contains("-taint-"))
        .collect();
    let ids: Vec<&str> = taint
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"py-taint-command-injection"), "{ids:?}");
    assert!(ids.contains(&"js-taint-command-injection"), "{ids:?}");
    for r in &taint {
        let locs = r["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap_or_else(|| panic!("no codeFlows in {r}"));
        assert!(locs.len() >= 2, "{r}");
    }
    // The Python flow goes through the helper: source, assignments, parameter, return, sink.
    let py = taint
        .iter()
        .find(|r| r["ruleId"] == "py-taint-command-injection")
        .unwrap();
    let steps: Vec<String> = py["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["location"]["message"]["text"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    let all = steps.join(" | ");
    assert!(all.starts_with("source: Flask request data"), "{all}");
    assert!(all.contains("parameter `name` of `build()`"), "{all}");
    assert!(all.contains("assigned to `cmd`"), "{all}");
    assert!(all.contains("sink: runs a shell command"), "{all}");
    // SARIF rules[] knows the taint rules.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "py-taint-command-injection"));
}

#[test]
fn taint_finding_supersedes_the_pattern_finding_at_the_same_sink() {
    let p = project();
    let doc = sarif(&p);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let at = |rule: &str, line: u64| {
        results.iter().any(|r| {
            r["ruleId"] == rule
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
        })
    };
    // views.py:17 is `os.system(cmd)` with request data: the taint finding only.
    assert!(at("py-taint-command-injection", 17));
    assert!(!at("py-os-system", 17));
    // The constant-free but untainted shell command stays a pattern finding.
    assert!(at("py-subprocess-shell-true", 23));
    assert!(!at("py-taint-command-injection", 23));
}

#[test]
fn text_output_shows_the_path_and_ignore_turns_taint_off() {
    let p = project();
    let o = p.vigil(&["scan", "app"]);
    let out = stdout(&o);
    assert!(out.contains("py-taint-command-injection"), "{out}");
    assert!(out.contains("flow:"), "{out}");
    assert!(out.contains("source: Flask request data"), "{out}");
    let o = p.vigil(&["scan", "app", "--ignore", "py-taint-,js-taint-"]);
    let out = stdout(&o);
    assert!(!out.contains("-taint-"), "{out}");
    // Without the taint rule, the pattern rule reports the sink again.
    assert!(out.contains("py-os-system"), "{out}");
}

#[test]
fn taint_rules_are_listed_and_explained() {
    let p = project();
    let o = p.vigil(&["rules", "list"]);
    let out = stdout(&o);
    for id in [
        "py-taint-command-injection",
        "py-taint-sql-injection",
        "js-taint-xss",
    ] {
        assert!(out.contains(id), "{id} missing from\n{out}");
    }
    let o = p.vigil(&["rules", "explain", "py-taint-sql-injection"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("parameters argument"), "{}", stdout(&o));
}
