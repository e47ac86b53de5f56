//! Git as a source of content: the staged snapshot (index blobs), changed line ranges against
//! the index or a merge base, and the hooks folder.
//!
//! Everything runs the real `git` binary with `-z` where git offers it, so paths with spaces,
//! quotes or non-ASCII characters come through unchanged. Submodules (gitlinks, mode 160000)
//! and symbolic links (120000) are never read: they hold no file content of this repository.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What went wrong talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be started.
    #[error("cannot run git: {0} (is git installed and on PATH?)")]
    Spawn(#[source] std::io::Error),
    /// The directory is not inside a git work tree.
    #[error("{0}: not inside a git repository (--staged and --diff need one)")]
    NotARepo(PathBuf),
    /// A git command failed.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// What git said.
        stderr: String,
    },
    /// Git's output could not be understood.
    #[error("unexpected output from `git {args}`: {what}")]
    Parse {
        /// The arguments.
        args: String,
        /// What was wrong.
        what: String,
    },
}

/// A git work tree, found from a directory inside it.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The directory git commands run in (where the user is).
    pub cwd: PathBuf,
    /// The top of the work tree.
    pub root: PathBuf,
    /// Whether HEAD points to a commit (false before the first commit).
    pub has_head: bool,
}

/// A file in the index, to be scanned from its staged blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// The blob's object id.
    pub oid: String,
}

/// Added or changed lines per file (1-based, inclusive ranges), keyed by repo-relative path.
#[derive(Debug, Clone, Default)]
pub struct ChangedLines {
    files: BTreeMap<String, Vec<(usize, usize)>>,
}

impl ChangedLines {
    /// True when any line of `start..=end` in `path` was added or changed.
    pub fn touches(&self, path: &str, start: usize, end: usize) -> bool {
        self.files.get(path).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|&(a, b)| a <= end.max(start) && start <= b)
        })
    }

    /// The files with at least one added or changed line.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The ranges of one file.
    pub fn ranges(&self, path: &str) -> &[(usize, usize)] {
        self.files.get(path).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn run_git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = git_command(cwd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::Spawn)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

fn git_command(cwd: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(cwd)
        .arg("-c")
        .arg("core.quotePath=false")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_EXTERNAL_DIFF");
    c
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_owned()
}

impl Repo {
    /// Finds the work tree containing `cwd`.
    pub fn discover(cwd: &Path) -> Result<Repo, GitError> {
        let out = git_command(cwd)
            .args(["rev-parse", "--show-toplevel"])
            .stdin(Stdio::null())
            .output()
            .map_err(GitError::Spawn)?;
        if !out.status.success() {
            return Err(GitError::NotARepo(cwd.to_path_buf()));
        }
        let root = PathBuf::from(text(out.stdout));
        if root.as_os_str().is_empty() {
            // A bare repository or inside .git.
            return Err(GitError::NotARepo(cwd.to_path_buf()));
        }
        let has_head = git_command(cwd)
            .args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(GitError::Spawn)?
            .success();
        Ok(Repo {
            cwd: cwd.to_path_buf(),
            root,
            has_head,
        })
    }

    /// Runs git in the user's directory.
    pub fn git(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        run_git(&self.cwd, args)
    }

    /// The tree staged changes are compared with: HEAD, or the empty tree before the first
    /// commit.
    fn staged_base(&self) -> Result<String, GitError> {
        if self.has_head {
            Ok("HEAD".to_owned())
        } else {
            self.empty_tree()
        }
    }

    fn empty_tree(&self) -> Result<String, GitError> {
        // Works for SHA-1 and SHA-256 repositories alike.
        let out = git_command(&self.cwd)
            .args(["hash-object", "-t", "tree", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::Spawn)?
            .wait_with_output()
            .map_err(GitError::Spawn)?;
        if !out.status.success() {
            return Err(GitError::Failed {
                args: "hash-object -t tree --stdin".to_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(text(out.stdout))
    }

    /// The directory hooks live in (honours `core.hooksPath`; shared by linked worktrees).
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let p = PathBuf::from(text(self.git(&["rev-parse", "--git-path", "hooks"])?));
        Ok(if p.is_absolute() { p } else { self.cwd.join(p) })
    }

    /// The staged files that were added, copied, modified or renamed (not deleted), limited to
    /// `pathspecs` (relative to `cwd`; empty = everything). Gitlinks and symlinks are skipped.
    pub fn staged_files(&self, pathspecs: &[String]) -> Result<Vec<StagedFile>, GitError> {
        let base = self.staged_base()?;
        let mut args: Vec<&str> = vec![
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=ACMRT",
            "--ignore-submodules=all",
            &base,
            "--",
        ];
        args.extend(pathspecs.iter().map(String::as_str));
        let names: BTreeSet<String> = self
            .git(&args)?
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        // `ls-files -s` gives mode and blob id of every staged path (stage 0).
        let listing = run_git(&self.root, &["ls-files", "-s", "-z", "--full-name"])?;
        let mut files = Vec::new();
        for entry in listing.split(|b| *b == 0).filter(|s| !s.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else {
                return Err(GitError::Parse {
                    args: "ls-files -s -z".to_owned(),
                    what: format!("no tab in `{entry}`"),
                });
            };
            if !names.contains(path) {
                continue;
            }
            let mut parts = meta.split(' ');
            let (Some(mode), Some(oid), Some(stage)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(GitError::Parse {
                    args: "ls-files -s -z".to_owned(),
                    what: format!("bad entry `{entry}`"),
                });
            };
            // Regular files only (100644, 100755); stage 0 only (no unmerged entries).
            if !mode.starts_with("100") || stage != "0" {
                continue;
            }
            files.push(StagedFile {
                path: path.to_owned(),
                oid: oid.to_owned(),
            });
        }
        Ok(files)
    }

    /// Reads blobs by object id with one `git cat-file --batch`, in order.
    pub fn read_blobs(&self, oids: &[&str]) -> Result<Vec<Vec<u8>>, GitError> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = git_command(&self.cwd)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(GitError::Spawn)?;
        let mut stdin = child.stdin.take().ok_or_else(|| GitError::Parse {
            args: "cat-file --batch".to_owned(),
            what: "no stdin".to_owned(),
        })?;
        let input: Vec<u8> = oids
            .iter()
            .flat_map(|o| format!("{o}\n").into_bytes())
            .collect();
        // Write from a thread: git's output would otherwise fill the pipe while we write.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let stdout = child.stdout.take().ok_or_else(|| GitError::Parse {
            args: "cat-file --batch".to_owned(),
            what: "no stdout".to_owned(),
        })?;
        let mut r = BufReader::new(stdout);
        let mut blobs = Vec::with_capacity(oids.len());
        let bad = |what: String| GitError::Parse {
            args: "cat-file --batch".to_owned(),
            what,
        };
        for oid in oids {
            let mut header = String::new();
            r.read_line(&mut header).map_err(GitError::Spawn)?;
            let fields: Vec<&str> = header.trim_end().split(' ').collect();
            if fields.len() != 3 || fields[1] != "blob" {
                return Err(bad(format!("for {oid}: `{}`", header.trim_end())));
            }
            let size: usize = fields[2]
                .parse()
                .map_err(|_| bad(format!("bad size in `{}`", header.trim_end())))?;
            let mut buf = vec![0; size + 1];
            r.read_exact(&mut buf).map_err(GitError::Spawn)?;
            buf.truncate(size);
            blobs.push(buf);
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(blobs)
    }

    /// Lines added or changed in the index relative to HEAD (all lines before the first commit).
    pub fn staged_changed_lines(&self) -> Result<ChangedLines, GitError> {
        let base = self.staged_base()?;
        self.changed_lines(&["--cached", &base])
    }

    /// The merge base of `reference` and HEAD.
    pub fn merge_base(&self, reference: &str) -> Result<String, GitError> {
        Ok(text(self.git(&["merge-base", reference, "HEAD"])?))
    }

    /// Lines of the working tree added or changed relative to `base` (a commit).
    pub fn changed_lines_since(&self, base: &str) -> Result<ChangedLines, GitError> {
        self.changed_lines(&[base])
    }

    fn changed_lines(&self, what: &[&str]) -> Result<ChangedLines, GitError> {
        let mut args = vec![
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--diff-filter=ACMRT",
            "--ignore-submodules=all",
            "--src-prefix=a/",
            "--dst-prefix=b/",
        ];
        args.extend_from_slice(what);
        let out = run_git(&self.root, &args)?;
        parse_unified_zero(&out).map_err(|what| GitError::Parse {
            args: args.join(" "),
            what,
        })
    }
}

/// Parses `git diff -U0` output into added/changed line ranges of the new side.
fn parse_unified_zero(out: &[u8]) -> Result<ChangedLines, String> {
    let mut files: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in out.split(|b| *b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"+++ ") {
            let p = unquote(rest)?;
            current = p.strip_prefix("b/").map(str::to_owned);
            if let Some(c) = &current {
                files.entry(c.clone()).or_default();
            }
        } else if line.starts_with(b"@@ ") {
            let l = String::from_utf8_lossy(line);
            // @@ -a[,b] +c[,d] @@
            let plus = l
                .split(' ')
                .find(|t| t.starts_with('+'))
                .ok_or_else(|| format!("bad hunk header `{l}`"))?;
            let plus = &plus[1..];
            let (start, count) = match plus.split_once(',') {
                Some((s, c)) => (s.parse::<usize>(), c.parse::<usize>()),
                None => (plus.parse::<usize>(), Ok(1)),
            };
            let (Ok(start), Ok(count)) = (start, count) else {
                return Err(format!("bad hunk header `{l}`"));
            };
            if count > 0 {
                if let Some(c) = &current {
                    files
                        .entry(c.clone())
                        .or_default()
                        .push((start, start + count - 1));
                }
            }
        }
    }
    Ok(ChangedLines { files })
}

/// Undoes git's C-style quoting of a path (`"a\"b\303\251"`), when present.
fn unquote(raw: &[u8]) -> Result<String, String> {
    let raw = raw.strip_suffix(b"\t").unwrap_or(raw);
    if raw.first() != Some(&b'"') {
        return Ok(String::from_utf8_lossy(raw).into_owned());
    }
    let inner = raw
        .get(1..raw.len().saturating_sub(1))
        .ok_or_else(|| "bad quoted path".to_owned())?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&e) = inner.get(i + 1) else {
            return Err("bad escape in quoted path".to_owned());
        };
        match e {
            b'0'..=b'7' => {
                let digits = inner
                    .get(i + 1..i + 4)
                    .ok_or_else(|| "bad octal escape in quoted path".to_owned())?;
                let s = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
                out.push(u8::from_str_radix(s, 8).map_err(|e| e.to_string())?);
                i += 4;
                continue;
            }
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            other => out.push(other),
        }
        i += 2;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_git_paths() {
        assert_eq!(
            unquote(b"b/plain name.py").as_deref(),
            Ok("b/plain name.py")
        );
        assert_eq!(
            unquote(b"\"b/qu\\\"ote\\303\\251.py\"").as_deref(),
            Ok("b/qu\"oteé.py")
        );
    }

    #[test]
    fn parses_hunks() {
        let diff = b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +2,3 @@\n+a\n+b\n+c\n@@ -9 +12 @@\n-x\n+y\n@@ -20,2 +22,0 @@\n-gone\n-gone\n";
        let c = parse_unified_zero(diff).unwrap_or_default();
        assert_eq!(c.ranges("x.py"), &[(2, 4), (12, 12)]);
        assert!(c.touches("x.py", 3, 3));
        assert!(!c.touches("x.py", 5, 11));
    }
}
