//! Reviewed snapshots of every output format (insta). In CI a changed or new snapshot fails the
//! test instead of being written; review changes with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use util::*;

fn project() -> Project {
    let p = Project::new();
    p.write("app/vuln.py", VULN_PY);
    p.write("web/vuln.js", VULN_JS);
    p.write(
        "config/.env",
        "# deploy settings\nGITHUB_TOKEN=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\n",
    );
    p.write("app/clean.py", CLEAN_PY);
    p.write("bin/blob.dat", b"\x00\x01binary");
    p
}

const SELECT: &str =
    "py-subprocess-shell-true,py-eval-dynamic,js-child-process-exec,secret-github-pat";

fn scan(p: &Project, format: &str) -> String {
    let o = p.vigil(&[
        "scan", "--select", SELECT, "--format", format, "--color", "never",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn text_snapshot() {
    let p = project();
    let out = scan(&p, "text");
    let re = regex::Regex::new(r"\(\d+(\.\d+)? ms\)").unwrap();
    insta::assert_snapshot!("text", re.replace_all(&out, "(<time>)"));
}

#[test]
fn json_snapshot() {
    let p = project();
    let mut v: serde_json::Value = serde_json::from_str(&scan(&p, "json")).unwrap();
    v["summary"]["duration_ms"] = serde_json::json!("<time>");
    v["tool"]["version"] = serde_json::json!("<version>");
    insta::assert_snapshot!("json", serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn sarif_snapshot() {
    let p = project();
    let mut v: serde_json::Value = serde_json::from_str(&scan(&p, "sarif")).unwrap();
    assert_valid_sarif(&v);
    let driver = &mut v["runs"][0]["tool"]["driver"];
    driver["version"] = serde_json::json!("<version>");
    driver["semanticVersion"] = serde_json::json!("<version>");
    insta::assert_snapshot!("sarif", serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn no_output_contains_the_secret() {
    let p = project();
    for format in ["text", "json", "sarif"] {
        let out = scan(&p, format);
        assert!(out.contains("secret-github-pat"), "{format}: {out}");
        assert!(
            !out.contains("4JOIuQ8BOAjGJz0cNBZs2CEo72pGp91I4E8L"),
            "{format} leaks the secret: {out}"
        );
    }
}
