//! Inline suppressions that carry a reason.
//!
//! `# vigil: ignore[RULE-ID] reason`, `// vigil: ignore[ID1, ID2] reason` or
//! `/* vigil: ignore[ID] reason */` suppresses findings of those rules on the comment's line, or,
//! when the comment is alone on its line, on the line below it. For a statement spanning several
//! lines, the comment may also sit anywhere on the statement's first line (or alone on the line
//! above it).
//!
//! A suppression without a reason does not suppress: it is reported as a warning note, and the
//! finding stays. With [`SuppressOptions::report_unused`], a reasoned ignore that matched nothing
//! is reported too.
//!
//! Other tools' comments are honoured on the same line unless [`SuppressOptions::compat`] is off:
//! `# nosec` (Bandit, with or without test ids), `# noqa: S...` (flake8-bandit codes),
//! `nosemgrep`, and for secret rules only `gitleaks:allow` and `pragma: allowlist secret`.

use tree_sitter::{Node, Tree};

use crate::engine::FileContext;
use crate::finding::{Finding, Note, NoteKind, NoteLevel, Suppression};
use crate::source::SourceFile;

/// How inline suppressions behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressOptions {
    /// Inline suppressions are honoured at all (`allow-suppressions`).
    pub enabled: bool,
    /// Other tools' comments (`nosec`, `noqa: S...`, `nosemgrep`, `gitleaks:allow`,
    /// `pragma: allowlist secret`) are honoured.
    pub compat: bool,
    /// Report `vigil: ignore` comments that suppress nothing.
    pub report_unused: bool,
}

impl Default for SuppressOptions {
    fn default() -> Self {
        SuppressOptions {
            enabled: true,
            compat: true,
            report_unused: false,
        }
    }
}

/// One `vigil: ignore[...]` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: usize,
    /// The rule ids it names.
    pub ids: Vec<String>,
    /// The reason, if one was given.
    pub reason: Option<String>,
    /// The comment is the only thing on its line (then it applies to the line below).
    pub alone: bool,
}

/// A comment of another tool that suppresses findings on its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compat {
    line: usize,
    /// Which tool's comment, as shown in the justification.
    what: &'static str,
    /// Only secret rules.
    secrets_only: bool,
}

const MARKER: &str = "vigil:";

/// Parses the `vigil: ignore[...]` comments of a text.
pub fn directives(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    // One search of the whole text first: most files have no directive at all.
    if !text.contains(MARKER) {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(pos) = line[from..].find(MARKER) {
            let at = from + pos;
            from = at + MARKER.len();
            let before = line[..at].trim_end();
            if !is_comment_start(before) {
                continue;
            }
            let rest = line[from..].trim_start();
            let Some(rest) = rest.strip_prefix("ignore") else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('[') else {
                continue;
            };
            let Some(close) = rest.find(']') else {
                continue;
            };
            let ids: Vec<String> = rest[..close]
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            let mut reason = rest[close + 1..].trim();
            for end in ["*/", "-->"] {
                if let Some(r) = reason.strip_suffix(end) {
                    reason = r.trim_end();
                }
            }
            let reason = reason
                .trim_start_matches([':', '-', '—', ' '])
                .trim()
                .to_owned();
            let comment_start = before
                .trim_end_matches(['#', '/', '*', '<', '!', '-', ';'])
                .trim_end();
            out.push(Directive {
                line: i + 1,
                ids,
                reason: (!reason.is_empty()).then_some(reason),
                alone: comment_start.is_empty(),
            });
            break;
        }
    }
    out
}

/// True when `before` (the text before `vigil:`) ends with a comment introducer.
fn is_comment_start(before: &str) -> bool {
    ["#", "//", "/*", "*", "<!--", "--", ";"]
        .iter()
        .any(|c| before.ends_with(c))
}

fn compat_comments(text: &str) -> Vec<Compat> {
    let mut out = Vec::new();
    // One search of the whole text first: most files have none of these comments.
    let lower_all = text.to_ascii_lowercase();
    let words = [
        "nosec",
        "nosemgrep",
        "noqa:",
        "gitleaks:allow",
        "pragma: allowlist secret",
    ];
    if !words.iter().any(|w| lower_all.contains(w)) {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let line_no = i + 1;
        let mut push = |what, secrets_only| {
            out.push(Compat {
                line: line_no,
                what,
                secrets_only,
            })
        };
        if has_comment_word(&lower, "nosec") {
            push("nosec", false);
        } else if has_comment_word(&lower, "nosemgrep") {
            push("nosemgrep", false);
        } else if noqa_bandit(&lower) {
            push("noqa: S", false);
        } else if lower.contains("gitleaks:allow") {
            push("gitleaks:allow", true);
        } else if lower.contains("pragma: allowlist secret") {
            push("pragma: allowlist secret", true);
        }
    }
    out
}

/// `# nosec`, `// nosec`, `# nosec B602`, `#nosec`: the word right after a comment introducer.
fn has_comment_word(lower: &str, word: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = lower[from..].find(word) {
        let at = from + pos;
        from = at + word.len();
        let before = lower[..at].trim_end();
        let after = lower[from..].chars().next();
        let word_end = after.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        if word_end && (before.ends_with('#') || before.ends_with("//") || before.ends_with("/*")) {
            return true;
        }
    }
    false
}

/// `# noqa: S602` or `# noqa: E501,S105`: a flake8-bandit code in a noqa list.
fn noqa_bandit(lower: &str) -> bool {
    let Some(pos) = lower.find("noqa:") else {
        return false;
    };
    lower[pos + 5..]
        .split([',', ' '])
        .map(str::trim)
        .take_while(|c| c.is_empty() || c.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic()))
        .any(|c| c.len() > 1 && c.starts_with('s') && c[1..].chars().all(|ch| ch.is_ascii_digit()))
}

/// The first line of the statement that contains `[start, end)`, when a tree is at hand.
fn statement_first_line(tree: &Tree, start: usize, end: usize) -> Option<usize> {
    let mut node: Node = tree.root_node().descendant_for_byte_range(start, end)?;
    while let Some(parent) = node.parent() {
        if matches!(
            parent.kind(),
            "module" | "block" | "program" | "statement_block" | "class_body" | "switch_body"
        ) {
            break;
        }
        node = parent;
    }
    Some(node.start_position().row + 1)
}

/// Applies the file's suppressions to its findings and reports faulty (and, on request,
/// unused) ignore comments as notes.
pub fn apply(file: &SourceFile, tree: Option<&Tree>, cx: &mut FileContext, opts: &SuppressOptions) {
    if !opts.enabled {
        return;
    }
    let dirs = directives(&file.text);
    // Other tools' comments only matter to findings (`vigil: ignore` comments are checked
    // even without: a malformed one gets a note).
    let compat = if opts.compat && !cx.findings.is_empty() {
        compat_comments(&file.text)
    } else {
        Vec::new()
    };
    if dirs.is_empty() && compat.is_empty() {
        return;
    }
    let mut used = vec![false; dirs.len()];
    for f in cx.findings.iter_mut() {
        if f.suppression.is_some() {
            continue;
        }
        let mut lines = vec![f.span.start_line];
        if let Some(l) =
            tree.and_then(|t| statement_first_line(t, f.span.start_byte, f.span.end_byte))
        {
            if l < f.span.start_line {
                lines.push(l);
            }
        }
        if let Some(s) = find_suppression(f, &lines, &dirs, &mut used) {
            f.suppression = Some(s);
            continue;
        }
        let is_secret = f.rule.id.starts_with("secret-");
        if let Some(c) = compat
            .iter()
            .find(|c| c.line == f.span.start_line && (is_secret || !c.secrets_only))
        {
            f.suppression = Some(Suppression {
                kind: "inSource".to_owned(),
                justification: format!("`{}` comment (compatibility; no reason given)", c.what),
            });
        }
    }
    for (d, used) in dirs.iter().zip(used) {
        let rel = &file.path;
        if d.reason.is_none() {
            cx.notes.push(Note {
                level: NoteLevel::Warning,
                kind: NoteKind::Suppression,
                path: Some(rel.clone()),
                message: format!(
                    "{rel}:{}: `vigil: ignore[{}]` has no reason, so it suppresses nothing; write why after the brackets: `vigil: ignore[{}] <reason>`",
                    d.line,
                    d.ids.join(", "),
                    d.ids.join(", ")
                ),
            });
        } else if d.ids.is_empty() {
            cx.notes.push(Note {
                level: NoteLevel::Warning,
                kind: NoteKind::Suppression,
                path: Some(rel.clone()),
                message: format!(
                    "{rel}:{}: `vigil: ignore[]` names no rule, so it suppresses nothing",
                    d.line
                ),
            });
        } else if opts.report_unused && !used {
            cx.notes.push(Note {
                level: NoteLevel::Warning,
                kind: NoteKind::Suppression,
                path: Some(rel.clone()),
                message: format!(
                    "{rel}:{}: unused suppression: no finding of {} here",
                    d.line,
                    d.ids.join(", ")
                ),
            });
        }
    }
}

fn find_suppression(
    f: &Finding,
    lines: &[usize],
    dirs: &[Directive],
    used: &mut [bool],
) -> Option<Suppression> {
    for (i, d) in dirs.iter().enumerate() {
        let Some(reason) = &d.reason else { continue };
        let here = lines
            .iter()
            .any(|&l| d.line == l || (d.alone && d.line + 1 == l));
        if here && d.ids.iter().any(|id| id == &f.rule.id) {
            used[i] = true;
            return Some(Suppression {
                kind: "inSource".to_owned(),
                justification: reason.clone(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        let t = "x = 1  # vigil: ignore[py-a, py-b] fixture data\n    // vigil: ignore[js-x]\n/* vigil: ignore[js-y] -- trusted input */\ns = \"vigil: ignore[py-a] not a comment\"\n";
        let d = directives(t);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].ids, vec!["py-a", "py-b"]);
        assert_eq!(d[0].reason.as_deref(), Some("fixture data"));
        assert!(!d[0].alone);
        assert_eq!(d[1].reason, None);
        assert!(d[1].alone);
        assert_eq!(d[2].reason.as_deref(), Some("trusted input"));
    }

    #[test]
    fn compat_comments_are_recognised() {
        let c = compat_comments(
            "a # nosec\nb # nosec B602\nc # noqa: E501, S602\nd # noqa: E501\ne # gitleaks:allow\nf # nosecurity\n",
        );
        let lines: Vec<usize> = c.iter().map(|c| c.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5]);
    }
}
