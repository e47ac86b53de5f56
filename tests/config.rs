//! Configuration files: discovery, keys that take effect, `config show`, and errors that name
//! the file, line and key (exit 2).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use util::{code, stderr, stdout, Project, SECRET_LINE, VULN_PY};

#[test]
fn unknown_key_exits_2_naming_key_and_line() {
    let p = Project::new();
    p.write("a.py", VULN_PY);
    p.write(
        "vigil.toml",
        "fail-on = \"high\"\n\n[secrets]\nallow-pathz = [\"x\"]\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("vigil.toml:4:"), "{e}");
    assert!(e.contains("allow-pathz"), "{e}");
    let o = p.vigil(&["config", "show"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn wrong_type_and_bad_glob_name_the_line() {
    let p = Project::new();
    p.write(
        ".vigil.toml",
        "select = [\"py-\"]\nallow-suppressions = \"no\"\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(".vigil.toml:2:"), "{}", stderr(&o));
    p.write(
        ".vigil.toml",
        "exclude = [\n  \"ok/**\",\n  \"bad/[\",\n]\n",
    );
    let o = p.vigil(&["scan", "."]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains(".vigil.toml:3:") && e.contains("exclude"), "{e}");
}

#[test]
fn pyproject_tool_vigil_takes_effect_and_config_show_prints_it() {
    let p = Project::new();
    p.write(
        "pyproject.toml",
        "[project]\nname = \"demo\"\n\n[tool.vigil]\nexclude = [\"tests/**\"]\nfail-on = \"critical\"\nallow-suppressions = false\n\n[tool.vigil.severity]\npy-eval-dynamic = \"low\"\n",
    );
    p.write("tests/t.py", SECRET_LINE);
    p.write(
        "src/a.py",
        "def f(x):\n    return eval(x)  # vigil: ignore[py-eval-dynamic] trusted\n",
    );
    let o = p.vigil(&["scan", ".", "--format", "json"]);
    // Not suppressed (allow-suppressions = false), now low, and fail-on critical: exit 0.
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let f = v["findings"].as_array().expect("findings");
    assert!(f.iter().all(|f| f["path"] != "tests/t.py"), "{v}");
    let eval = f
        .iter()
        .find(|f| f["rule_id"] == "py-eval-dynamic")
        .expect("eval finding");
    assert_eq!(eval["severity"], "low");
    assert!(eval.get("suppression").is_none());
    // The command line wins.
    assert_eq!(code(&p.vigil(&["scan", ".", "--fail-on", "low"])), 1);
    let o = p.vigil(&["config", "show"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("pyproject.toml") && s.contains("fail-on = \"critical\""),
        "{s}"
    );
    // --config overrides discovery.
    p.write("strict.toml", "fail-on = \"low\"\n");
    assert_eq!(code(&p.vigil(&["scan", ".", "--config", "strict.toml"])), 1);
}
