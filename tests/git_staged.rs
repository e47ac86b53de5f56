//! `scan --staged`, `scan --diff`, baselines and the pre-commit hook, against a real git.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use util::{code, stderr, stdout, Project, SECRET_LINE, VULN_PY};

const CLEAN: &str = "x = 1\n";

#[test]
fn first_commit_paths_with_spaces_and_unicode() {
    let p = Project::git_repo();
    p.write("dir with space/héllo wörld.py", SECRET_LINE);
    p.write("q\"uote.py", VULN_PY);
    p.git(&["add", "."]);
    let o = p.vigil(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        paths.contains(&"dir with space/héllo wörld.py"),
        "{paths:?}"
    );
    assert!(paths.contains(&"q\"uote.py"), "{paths:?}");
    // The secret is never printed in full.
    assert!(!stdout(&o).contains("sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZq"));
}

#[test]
fn staged_secret_deleted_in_working_tree_still_blocks() {
    let p = Project::git_repo();
    p.write("app.py", CLEAN);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    p.write("app.py", format!("{CLEAN}{SECRET_LINE}"));
    p.git(&["add", "app.py"]);
    // Removed from the working tree only: the index still holds it.
    p.write("app.py", CLEAN);
    let o = p.vigil(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("app.py:2:"), "{}", stdout(&o));
    // A plain scan reads the working tree and finds nothing.
    assert_eq!(code(&p.vigil(&["scan", "app.py"])), 0);
}

#[test]
fn secret_only_in_working_tree_does_not_block() {
    let p = Project::git_repo();
    p.write("app.py", CLEAN);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    p.write("app.py", format!("{CLEAN}y = 2\n"));
    p.git(&["add", "app.py"]);
    p.write("app.py", format!("{CLEAN}y = 2\n{SECRET_LINE}"));
    p.write("untracked.py", SECRET_LINE);
    let o = p.vigil(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(code(&p.vigil(&["scan", "app.py"])), 1);
}

#[test]
fn only_staged_lines_unless_all_lines() {
    let p = Project::git_repo();
    p.write("old.py", VULN_PY);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    p.write("old.py", format!("{VULN_PY}z = 3\n"));
    p.git(&["add", "old.py"]);
    let o = p.vigil(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = p.vigil(&["scan", "--staged", "--all-lines"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    // Deleted files are not scanned.
    p.git(&["rm", "-q", "--cached", "old.py"]);
    let o = p.vigil(&["scan", "--staged", "--all-lines"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn submodule_gitlink_skipped_and_subdirectory_run() {
    let p = Project::git_repo();
    p.write("a.py", CLEAN);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    let head = stdout(&p.git(&["rev-parse", "HEAD"])).trim().to_owned();
    p.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/sub"),
    ]);
    p.write("src/deep/b.py", SECRET_LINE);
    p.git(&["add", "src"]);
    let o = p.vigil(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("src/deep/b.py"));
    assert!(!stdout(&o).contains("vendor/sub"));
}

#[test]
fn outside_a_repository_exits_2() {
    let p = Project::new();
    p.write("a.py", CLEAN);
    let o = p.vigil_env(&["scan", "--staged"], &[("GIT_CEILING_DIRECTORIES", "/")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not inside a git repository"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn hook_blocks_then_allows_a_commit() {
    let p = Project::git_repo();
    p.write("README", "hi\n");
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    let o = p.vigil(&["hook", "install"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    p.write("svc.py", VULN_PY);
    p.git(&["add", "svc.py"]);
    let o = p.git_unchecked(&["commit", "-m", "add service"]);
    assert!(!o.status.success(), "the hook should block");
    let msg = format!("{}{}", stdout(&o), stderr(&o));
    assert!(msg.contains("svc.py:5:"), "{msg}");
    assert!(msg.contains("commit blocked"), "{msg}");
    assert!(
        msg.contains("# vigil: ignore[py-subprocess-shell-true] <"),
        "{msg}"
    );
    // Fix one, suppress the other with a reason.
    p.write(
        "svc.py",
        "import subprocess\n\n\ndef run(cmd):\n    subprocess.run([\"/bin/ls\", cmd])\n    return eval(cmd)  # vigil: ignore[py-eval-dynamic, py-taint-code-injection] admin-only debug console\n",
    );
    p.git(&["add", "svc.py"]);
    let o = p.git_unchecked(&["commit", "-m", "add service"]);
    assert!(
        o.status.success(),
        "the commit should pass: {}{}",
        stdout(&o),
        stderr(&o)
    );
    // A foreign hook is not replaced without --force, then kept and chained.
    let o = p.vigil(&["hook", "uninstall"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let hook = p.path().join(".git/hooks/pre-commit");
    assert!(!hook.exists());
    std::fs::write(&hook, "#!/bin/sh\necho foreign hook ran\n").expect("write");
    make_executable(&hook);
    assert_eq!(code(&p.vigil(&["hook", "install"])), 2);
    assert_eq!(code(&p.vigil(&["hook", "install", "--force"])), 0);
    p.write("b.py", SECRET_LINE);
    p.git(&["add", "b.py"]);
    let o = p.git_unchecked(&["commit", "-m", "secret"]);
    assert!(!o.status.success());
    assert!(stdout(&o).contains("foreign hook ran") || stderr(&o).contains("foreign hook ran"));
    assert_eq!(code(&p.vigil(&["hook", "uninstall"])), 0);
    assert!(std::fs::read_to_string(&hook)
        .expect("restored")
        .contains("foreign hook ran"));
}

#[test]
fn hook_honours_core_hooks_path_and_worktrees() {
    let p = Project::git_repo();
    p.write("README", "hi\n");
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    // Absolute: a relative core.hooksPath is relative to each worktree's root.
    let hooks = p.path().join("my hooks");
    p.git(&["config", "core.hooksPath", hooks.to_str().expect("utf-8")]);
    assert_eq!(code(&p.vigil(&["hook", "install"])), 0);
    assert!(p.path().join("my hooks/pre-commit").exists());
    // A linked worktree shares the hook and scans its own index.
    let wt = p.path().join("wt");
    p.git(&[
        "worktree",
        "add",
        "-q",
        wt.to_str().expect("utf-8"),
        "-b",
        "side",
    ]);
    std::fs::write(wt.join("k.py"), SECRET_LINE).expect("write");
    util::git_in(&wt, &["add", "k.py"]);
    let o = util::git_in(&wt, &["commit", "-m", "secret"]);
    assert!(!o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("k.py:1:"), "{}", stderr(&o));
}

#[test]
fn diff_reports_only_changed_lines() {
    let p = Project::git_repo();
    p.write("a.py", VULN_PY);
    p.write("b.py", SECRET_LINE);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "base"]);
    p.git(&["checkout", "-q", "-b", "feature"]);
    p.write(
        "a.py",
        format!("{VULN_PY}\n\ndef g(x):\n    return eval(x)\n"),
    );
    p.write("c.py", CLEAN);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "feature"]);
    let o = p.vigil(&["scan", "--diff", "main", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let found: Vec<(String, u64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["start"]["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|(p, l)| p == "a.py" && *l == 10),
        "{found:?}"
    );
    // Nothing changed relative to itself.
    let o = p.vigil(&["scan", "--diff", "HEAD"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn baseline_round_trip_survives_lines_inserted_above() {
    let p = Project::new();
    p.write("a.py", VULN_PY);
    p.write("conf.py", SECRET_LINE);
    let o = p.vigil(&["baseline", ".", "-o", ".vigil-baseline.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(p.path().join(".vigil-baseline.json")).expect("baseline");
    assert!(!text.contains("line"), "{text}");
    assert!(!text.contains("sk_live"), "{text}");
    assert_eq!(code(&p.vigil(&["baseline", "-o", "again.json"])), 0);
    let again = std::fs::read_to_string(p.path().join("again.json")).expect("baseline");
    assert_eq!(text, again, "deterministic");
    assert_eq!(
        code(&p.vigil(&["scan", "--baseline", ".vigil-baseline.json"])),
        0
    );
    // Move everything down.
    p.write("a.py", format!("# a header\n\n\n{VULN_PY}"));
    p.write("conf.py", format!("\n\nname = 'x'\n{SECRET_LINE}"));
    let o = p.vigil(&["scan", "--baseline", ".vigil-baseline.json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("suppressed"), "{}", stdout(&o));
    // A new instance of the same rule in the same file is reported.
    p.write(
        "a.py",
        format!("# a header\n\n\n{VULN_PY}\n\ndef h(y):\n    return eval(y + '1')\n"),
    );
    let o = p.vigil(&[
        "scan",
        "--baseline",
        ".vigil-baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let active: Vec<u64> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f.get("suppression").is_none())
        .map(|f| f["start"]["line"].as_u64().expect("line"))
        .collect();
    assert!(
        !active.is_empty() && active.iter().all(|l| *l == 13),
        "{active:?}"
    );
}

#[test]
fn baseline_not_written_when_the_scan_fails() {
    let p = Project::new();
    p.write("a.py", VULN_PY);
    let o = p.vigil(&["baseline", "missing-dir", "-o", "b.json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!p.path().join("b.json").exists());
}

fn make_executable(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn partial_staging_with_add_p() {
    let p = Project::git_repo();
    let clean: String = (1..=12).map(|i| format!("v{i} = {i}\n")).collect();
    p.write("m.py", &clean);
    p.git(&["add", "."]);
    p.git(&["commit", "-q", "-m", "init"]);
    let mut lines: Vec<String> = clean.lines().map(|l| format!("{l}\n")).collect();
    lines[1] = SECRET_LINE.to_owned();
    lines[10] = "v11 = eval(input())\n".to_owned();
    p.write("m.py", lines.concat());
    // Stage the first hunk (the secret) only, as `git add -p` does.
    let mut child = std::process::Command::new("git")
        .current_dir(p.path())
        .args(["-c", "interactive.singleKey=false", "add", "-p", "m.py"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("git add -p");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"y\nn\n").expect("answer");
    }
    assert!(child.wait().expect("wait").success());
    let o = p.vigil(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["start"]["line"].as_u64().expect("line"))
        .collect();
    assert!(lines.contains(&2), "{lines:?}");
    assert!(!lines.contains(&11), "unstaged eval reported: {lines:?}");
}
