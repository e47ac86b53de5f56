//! Where a scan's content comes from: the git index (`--staged`), a diff against a merge base
//! (`--diff REF`), standard input (`--stdin-filename PATH -`), or files and folders.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vigil_core::engine::{scan_inputs, scan_paths, Input, ScanReport, ScanSettings};
use vigil_core::git::{ChangedLines, Repo};
use vigil_core::Analyzer;

use crate::args::ScanArgs;

/// A scan's findings and, for `--staged`/`--diff`, the lines findings must touch.
pub struct Scanned {
    pub report: ScanReport,
    pub changed: Option<ChangedLines>,
}

/// Scans what the arguments name. `stdin`: standard input, when it was already read.
pub fn scan(
    a: &ScanArgs,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
    stdin: Option<std::io::Result<Vec<u8>>>,
) -> Result<Scanned> {
    let base = std::env::current_dir().context("cannot read the current directory")?;
    if let Some(name) = &a.stdin_filename {
        return read_stdin(a, name, analyzer, settings, stdin);
    }
    if a.paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("`-` (standard input) needs --stdin-filename PATH to name the content");
    }
    if a.staged {
        return staged(a, &base, analyzer, settings);
    }
    if let Some(reference) = &a.diff {
        return diff(a, reference, &base, analyzer, settings);
    }
    let roots: Vec<PathBuf> = a.paths.iter().map(|p| absolutize(p, &base)).collect();
    Ok(Scanned {
        report: scan_paths(&roots, &base, analyzer, settings),
        changed: None,
    })
}

pub fn absolutize(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The display path of standard input named `name` by `--stdin-filename`.
pub fn stdin_display_path(name: &str) -> String {
    name.trim_start_matches("./").replace('\\', "/")
}

fn read_stdin(
    a: &ScanArgs,
    name: &str,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
    read: Option<std::io::Result<Vec<u8>>>,
) -> Result<Scanned> {
    if a.paths.len() != 1 || a.paths[0].as_os_str() != "-" {
        bail!("--stdin-filename reads standard input: pass `-` as the only path");
    }
    let bytes = match read {
        Some(read) => read.context("cannot read standard input")?,
        None => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            bytes
        }
    };
    let rel = stdin_display_path(name);
    let input = Input::Memory {
        rel,
        bytes,
        language: None,
    };
    Ok(Scanned {
        report: scan_inputs(vec![input], analyzer, settings),
        changed: None,
    })
}

fn staged(
    a: &ScanArgs,
    base: &Path,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
) -> Result<Scanned> {
    let repo = Repo::discover(base)?;
    let pathspecs: Vec<String> = a
        .paths
        .iter()
        .filter(|p| p.as_os_str() != ".")
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let files = repo
        .staged_files(&pathspecs)
        .context("cannot list the staged files")?;
    let oids: Vec<&str> = files.iter().map(|f| f.oid.as_str()).collect();
    let blobs = repo
        .read_blobs(&oids)
        .context("cannot read the staged content")?;
    let inputs = files
        .iter()
        .zip(blobs)
        .map(|(f, bytes)| Input::Memory {
            rel: f.path.clone(),
            bytes,
            language: None,
        })
        .collect();
    let report = scan_inputs(inputs, analyzer, settings);
    let changed = if a.all_lines {
        None
    } else {
        Some(
            repo.staged_changed_lines()
                .context("cannot diff the index against HEAD")?,
        )
    };
    Ok(Scanned { report, changed })
}

fn diff(
    a: &ScanArgs,
    reference: &str,
    base: &Path,
    analyzer: &dyn Analyzer,
    settings: &ScanSettings,
) -> Result<Scanned> {
    let repo = Repo::discover(base)?;
    let merge_base = repo
        .merge_base(reference)
        .with_context(|| format!("--diff {reference}: no merge base with HEAD"))?;
    let changed = repo.changed_lines_since(&merge_base)?;
    let limits: Vec<PathBuf> = a.paths.iter().map(|p| absolutize(p, base)).collect();
    let roots: Vec<PathBuf> = changed
        .paths()
        .map(|p| repo.root.join(p))
        .filter(|p| p.is_file() && limits.iter().any(|l| p.starts_with(l)))
        .collect();
    let report = if roots.is_empty() {
        ScanReport::default()
    } else {
        scan_paths(&roots, &repo.root, analyzer, settings)
    };
    Ok(Scanned {
        report,
        changed: Some(changed),
    })
}
