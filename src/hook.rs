//! `vigil hook install|uninstall`: a git pre-commit hook that runs `vigil scan --staged`.
//!
//! The hook lives where git looks for hooks (`git rev-parse --git-path hooks`: honours
//! `core.hooksPath`, shared by linked worktrees). A hook vigil did not write is never replaced
//! without `--force`; with it, the old hook is kept beside ours and runs first (chained).
//! Uninstall removes only a hook carrying vigil's marker, and restores the kept one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vigil_core::git::Repo;

/// The line that marks a hook as vigil's.
const MARKER: &str = "# vigil pre-commit hook";
/// The name a replaced foreign hook is kept under.
const CHAINED: &str = "pre-commit.vigil-chained";

fn hooks_dir() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let repo = Repo::discover(&cwd)?;
    Ok(repo.hooks_dir()?)
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s.contains(MARKER))
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn script(exe: &Path, chained: bool) -> String {
    let mut s = format!(
        "#!/bin/sh\n{MARKER} (written by `vigil hook install`; `vigil hook uninstall` removes it)\n"
    );
    if chained {
        s.push_str(&format!(
            "# The hook that was here before runs first.\nhook_dir=$(dirname \"$0\")\nif [ -x \"$hook_dir/{CHAINED}\" ]; then\n  \"$hook_dir/{CHAINED}\" \"$@\" || exit $?\nfi\n"
        ));
    }
    let exe = exe.to_string_lossy();
    s.push_str(&format!(
        "if command -v {q} >/dev/null 2>&1; then vigil={q}; else vigil=vigil; fi\nexec \"$vigil\" scan --staged --hook\n",
        q = sh_quote(&exe)
    ));
    s
}

pub fn install(force: bool) -> Result<u8> {
    let dir = hooks_dir()?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the hooks folder", dir.display()))?;
    let hook = dir.join("pre-commit");
    let mut chained = dir.join(CHAINED).exists();
    if hook.exists() && !is_ours(&hook) {
        if !force {
            bail!(
                "{}: a pre-commit hook vigil did not write is already there; rerun with --force \
                 to install vigil's and keep that one running first",
                hook.display()
            );
        }
        if chained {
            bail!(
                "{}: both a foreign hook and a kept one ({CHAINED}) exist; resolve by hand",
                hook.display()
            );
        }
        std::fs::rename(&hook, dir.join(CHAINED))
            .with_context(|| format!("{}: cannot keep the existing hook", hook.display()))?;
        chained = true;
    }
    let exe = std::env::current_exe().context("cannot find vigil's own path")?;
    write_executable(&hook, &script(&exe, chained))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "installed {}", hook.display())?;
    if chained {
        writeln!(
            out,
            "the previous hook runs first: {}",
            dir.join(CHAINED).display()
        )?;
    }
    Ok(0)
}

pub fn uninstall() -> Result<u8> {
    let dir = hooks_dir()?;
    let hook = dir.join("pre-commit");
    let mut out = std::io::stdout().lock();
    if !hook.exists() {
        writeln!(out, "no pre-commit hook in {}", dir.display())?;
        return Ok(0);
    }
    if !is_ours(&hook) {
        bail!(
            "{}: this pre-commit hook was not written by vigil; left alone",
            hook.display()
        );
    }
    std::fs::remove_file(&hook).with_context(|| format!("{}: cannot remove", hook.display()))?;
    writeln!(out, "removed {}", hook.display())?;
    let kept = dir.join(CHAINED);
    if kept.exists() {
        std::fs::rename(&kept, &hook)
            .with_context(|| format!("{}: cannot restore", kept.display()))?;
        writeln!(out, "restored the previous hook")?;
    }
    Ok(0)
}

fn write_executable(path: &Path, content: &str) -> Result<()> {
    std::fs::write(path, content).with_context(|| format!("{}: cannot write", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("{}: cannot make executable", path.display()))?;
    }
    Ok(())
}
