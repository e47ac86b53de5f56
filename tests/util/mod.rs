//! Shared helpers for integration tests: a temp project and the real `vigil` binary.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// A temporary directory to scan.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        p
    }

    /// Runs `vigil ARGS` in the project directory.
    pub fn vigil(&self, args: &[&str]) -> Output {
        self.vigil_env(args, &[])
    }

    pub fn vigil_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = assert_cmd::Command::cargo_bin("vigil").expect("vigil binary");
        cmd.current_dir(self.dir.path())
            .args(args)
            .env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run vigil")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The SARIF 2.1.0 schema: the shared copy beside the repository when present, else the
/// vendored copy in tests/data.
pub fn sarif_schema() -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/schemas/sarif-schema-2.1.0.json");
    let path = if shared.exists() {
        shared
    } else {
        root.join("tests/data/sarif-schema-2.1.0.json")
    };
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("schema json")
}

/// Validates a SARIF document against the schema; panics with every error.
pub fn assert_valid_sarif(doc: &serde_json::Value) {
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("compile schema");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

pub const VULN_PY: &str = "import subprocess\n\n\ndef run(cmd):\n    subprocess.run(\"ls \" + cmd, shell=True)\n    return eval(cmd)\n";
pub const VULN_JS: &str =
    "const { exec } = require('child_process');\nfunction f(host) {\n  exec('ping ' + host);\n}\n";
pub const CLEAN_PY: &str = "def add(a, b):\n    return a + b\n";

/// A Stripe-shaped secret (test data, not a real key) and a line that holds it.
pub const SECRET_LINE: &str = "stripe_key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZq\"\n";

impl Project {
    /// A project that is a fresh git repository (branch `main`, no commits).
    pub fn git_repo() -> Project {
        let p = Project::new();
        p.git(&["init", "-q"]);
        p
    }

    /// Runs `git ARGS` in the project with a fixed identity and no global/system config;
    /// panics when git fails.
    pub fn git(&self, args: &[&str]) -> Output {
        let o = self.git_unchecked(args);
        assert!(
            o.status.success(),
            "git {args:?} failed: {}{}",
            stdout(&o),
            stderr(&o)
        );
        o
    }

    /// Like [`Project::git`], without checking the exit status.
    pub fn git_unchecked(&self, args: &[&str]) -> Output {
        git_in(self.dir.path(), args)
    }
}

/// Runs `git ARGS` in `dir` with a fixed identity, `init.defaultBranch=main`, no signing, and
/// the user's global and system configuration ignored.
pub fn git_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "vigil test")
        .env("GIT_AUTHOR_EMAIL", "test@vigil.invalid")
        .env("GIT_COMMITTER_NAME", "vigil test")
        .env("GIT_COMMITTER_EMAIL", "test@vigil.invalid")
        .output()
        .expect("run git")
}

/// The path of the `vigil` binary under test.
pub fn vigil_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("vigil")
}
