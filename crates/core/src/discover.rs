//! Finding the files to scan: `.gitignore`, `.ignore` and `.vigilignore` are honoured, VCS
//! directories skipped, symlinks not followed unless asked.

use std::path::{Path, PathBuf};

use crate::finding::{Note, NoteKind, NoteLevel};

/// Directories never descended into: version control metadata, and vigil's own scan cache.
pub const VCS_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "_darcs",
    ".jj",
    "CVS",
    crate::cache::CACHE_DIR,
];

/// Options for discovery.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Follow symbolic links (default false).
    pub follow_symlinks: bool,
    /// Honour `.gitignore`, `.ignore` and `.vigilignore` files (default true).
    pub respect_ignore_files: bool,
    /// Threads walking the folders; 0 = one per core.
    pub threads: usize,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            follow_symlinks: false,
            respect_ignore_files: true,
            threads: 0,
        }
    }
}

/// A file to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Where to read it.
    pub abs: PathBuf,
    /// The path shown in output (relative to the base directory when under it).
    pub rel: String,
    /// Named on the command line (rather than found by walking).
    pub explicit: bool,
}

/// The display path of `path`: relative to `base` when under it, `/`-separated, no `./`.
pub fn display_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let mut s = String::new();
    for comp in rel.components() {
        use std::path::Component;
        match comp {
            Component::CurDir => continue,
            Component::RootDir => {
                s.push('/');
                continue;
            }
            Component::Prefix(p) => s.push_str(&p.as_os_str().to_string_lossy()),
            Component::ParentDir => s.push_str(".."),
            Component::Normal(n) => push_os_str(&mut s, n),
        }
        s.push('/');
    }
    if s.len() > 1 {
        s.pop();
    }
    if s.is_empty() {
        s.push('.');
    }
    s
}

/// Appends a path component; bytes that are not UTF-8 are written as `\xNN` escapes rather
/// than U+FFFD, so that two names differing only in such bytes stay distinct (findings are
/// keyed and de-duplicated by display path).
fn push_os_str(s: &mut String, name: &std::ffi::OsStr) {
    if let Some(t) = name.to_str() {
        s.push_str(t);
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        for chunk in name.as_bytes().utf8_chunks() {
            s.push_str(chunk.valid());
            for b in chunk.invalid() {
                s.push_str(&format!("\\x{b:02X}"));
            }
        }
    }
    #[cfg(not(unix))]
    s.push_str(&name.to_string_lossy());
}

/// Walks `roots`, returning the files to scan (sorted by display path, de-duplicated) and notes
/// for paths that could not be walked.
pub fn discover(
    roots: &[PathBuf],
    base: &Path,
    opts: &DiscoverOptions,
) -> (Vec<Candidate>, Vec<Note>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for root in roots {
        let shown = display_path(root, base);
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let what = match std::fs::symlink_metadata(root) {
                    Ok(_) => "is a broken symbolic link or cannot be resolved",
                    Err(_) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
                    Err(_) => "cannot be accessed",
                };
                notes.push(Note {
                    level: NoteLevel::Error,
                    kind: NoteKind::PathError,
                    path: Some(shown.clone()),
                    message: format!("{shown}: {what} ({e})"),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            out.push(Candidate {
                abs: root.clone(),
                rel: shown,
                explicit: true,
            });
            continue;
        }
        let mut wb = ignore::WalkBuilder::new(root);
        wb.hidden(false)
            .threads(opts.threads)
            .follow_links(opts.follow_symlinks)
            .git_ignore(opts.respect_ignore_files)
            .git_global(false)
            .git_exclude(opts.respect_ignore_files)
            .ignore(opts.respect_ignore_files)
            .parents(opts.respect_ignore_files)
            .require_git(false)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && VCS_DIRS.iter().any(|d| e.file_name() == *d))
            });
        if opts.respect_ignore_files {
            wb.add_custom_ignore_filename(".vigilignore");
        }
        // A small tree is walked on this thread (starting walker threads costs more than
        // it); past SEQUENTIAL entries the walk starts over in parallel: a warm cached
        // re-scan of django is mostly this walk's system calls (stat of every ignore file
        // candidate in 3 200 folders).
        let mut items = Vec::new();
        let mut complete = true;
        for (i, entry) in wb.build().enumerate() {
            if i == SEQUENTIAL {
                complete = false;
                break;
            }
            items.extend(walk_item(entry, base, &shown));
        }
        if complete {
            for item in items {
                match item {
                    Ok(c) => out.push(c),
                    Err(n) => notes.push(n),
                }
            }
            continue;
        }
        let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
        wb.build_parallel().run(|| {
            let found = &found;
            let shown = &shown;
            Box::new(move |entry| {
                if let Some(item) = walk_item(entry, base, shown) {
                    if let Ok(mut f) = found.lock() {
                        match item {
                            Ok(c) => f.0.push(c),
                            Err(n) => f.1.push(n),
                        }
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let (files, errs) = found.into_inner().unwrap_or_default();
        out.extend(files);
        notes.extend(errs);
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup_by(|a, b| a.rel == b.rel);
    (out, notes)
}

/// Walk entries seen one by one before the walk goes parallel.
const SEQUENTIAL: usize = 256;

/// A walked entry as a file to scan, a note for an entry that cannot be walked, or nothing
/// (folders; symbolic links, which are not followed).
fn walk_item(
    entry: Result<ignore::DirEntry, ignore::Error>,
    base: &Path,
    shown: &str,
) -> Option<Result<Candidate, Note>> {
    match entry {
        Ok(e) => {
            let ft = e.file_type()?;
            if ft.is_dir() || ft.is_symlink() {
                return None;
            }
            let rel = display_path(e.path(), base);
            Some(Ok(Candidate {
                abs: e.into_path(),
                rel,
                explicit: false,
            }))
        }
        Err(err) => {
            let path = walk_error_path(&err).map(|p| display_path(&p, base));
            let message = match &path {
                Some(p) => format!("{p}: cannot be walked ({err})"),
                None => format!("cannot walk {shown}: {err}"),
            };
            Some(Err(Note {
                level: NoteLevel::Error,
                kind: NoteKind::PathError,
                path,
                message,
            }))
        }
    }
}

fn walk_error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_and_ignores() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::write(root.join(".git/config"), "x").expect("write");
        std::fs::create_dir_all(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/a.py"), "x").expect("write");
        std::fs::write(root.join("src/b.py"), "x").expect("write");
        std::fs::write(root.join(".env"), "x").expect("write");
        std::fs::write(root.join(".gitignore"), "b.py\n").expect("write");
        std::fs::write(root.join(".vigilignore"), ".env\n").expect("write");
        let (files, notes) = discover(&[root.to_path_buf()], root, &DiscoverOptions::default());
        let names: Vec<_> = files.iter().map(|c| c.rel.as_str()).collect();
        assert_eq!(names, [".gitignore", ".vigilignore", "src/a.py"]);
        assert!(notes.is_empty());
        let (_, notes) = discover(&[root.join("nope")], root, &DiscoverOptions::default());
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].message.contains("nope: does not exist"),
            "{}",
            notes[0].message
        );
    }

    #[test]
    fn a_large_tree_is_walked_in_parallel_with_the_same_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.log\nskip/\n").expect("write");
        for d in 0..20 {
            let sub = root.join(format!("d{d:02}"));
            std::fs::create_dir_all(sub.join("skip")).expect("mkdir");
            std::fs::write(sub.join("skip/x.py"), "x").expect("write");
            for f in 0..15 {
                std::fs::write(sub.join(format!("f{f:02}.py")), "x").expect("write");
                std::fs::write(sub.join(format!("f{f:02}.log")), "x").expect("write");
            }
        }
        let (files, notes) = discover(&[root.to_path_buf()], root, &DiscoverOptions::default());
        assert!(notes.is_empty(), "{notes:?}");
        // 20 x 15 .py files and the .gitignore; no .log, nothing under skip/; sorted.
        assert_eq!(files.len(), 301);
        assert!(files
            .iter()
            .all(|c| !c.rel.ends_with(".log") && !c.rel.contains("skip/")));
        assert!(files.windows(2).all(|w| w[0].rel < w[1].rel));
    }

    #[test]
    fn display_paths() {
        assert_eq!(
            display_path(Path::new("/a/b/c.py"), Path::new("/a")),
            "b/c.py"
        );
        assert_eq!(
            display_path(Path::new("./x/y.js"), Path::new("/a")),
            "x/y.js"
        );
        assert_eq!(display_path(Path::new("/a"), Path::new("/a")), ".");
    }
}
