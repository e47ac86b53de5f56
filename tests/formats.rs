//! `--format github` (workflow commands) and `--format gitlab-sast` (GitLab SAST report).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use util::{code, stdout, Project, SECRET_LINE, VULN_PY};

#[test]
fn github_workflow_commands() {
    let p = Project::new();
    p.write("a b.py", VULN_PY);
    p.write("k.py", SECRET_LINE);
    let o = p.vigil(&["scan", "--format", "github"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error file=a b.py,line=5,col=5,")
                && l.contains("title=py-subprocess-shell-true [high]::")),
        "{out}"
    );
    assert!(out.contains("::error file=k.py,line=1,"), "{out}");
    assert!(
        !out.contains("sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZq"),
        "{out}"
    );
}

#[test]
fn gitlab_sast_report_has_the_required_fields() {
    let p = Project::new();
    p.write("a.py", VULN_PY);
    let o = p.vigil(&[
        "scan",
        "--format",
        "gitlab-sast",
        "-o",
        "gl-sast-report.json",
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("gl-sast-report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(v["version"], "15.0.7");
    assert_eq!(v["scan"]["type"], "sast");
    assert_eq!(v["scan"]["status"], "success");
    for k in ["analyzer", "scanner"] {
        for f in ["id", "name", "version"] {
            assert!(v["scan"][k][f].is_string(), "{k}.{f}");
        }
        assert!(v["scan"][k]["vendor"]["name"].is_string());
    }
    let ts = v["scan"]["start_time"].as_str().expect("start_time");
    assert_eq!(ts.len(), 19, "{ts}");
    let vulns = v["vulnerabilities"].as_array().expect("vulnerabilities");
    assert!(vulns.len() >= 2);
    for x in vulns {
        assert!(x["id"].as_str().is_some_and(|s| s.len() == 36));
        assert!(["Critical", "High", "Medium", "Low", "Info"]
            .contains(&x["severity"].as_str().expect("severity")));
        assert!(!x["identifiers"].as_array().expect("identifiers").is_empty());
        assert_eq!(x["location"]["file"], "a.py");
        assert!(x["location"]["start_line"].is_u64());
    }
}
