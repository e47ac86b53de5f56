//! What analyzers report: findings with their rule metadata, and notes about files.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How bad a finding is, from `info` to `critical`. Ordered: `Info < Low < ... < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational only.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, highest first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The CVSS-like score GitHub code scanning reads from `security-severity`.
    pub fn score(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}` (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// How sure the rule is that a finding is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Confidence {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// The SARIF `precision` property for this confidence.
    pub fn precision(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!(
                "unknown confidence `{s}` (expected high, medium or low)"
            )),
        }
    }
}

/// A rule's metadata: the single source for findings, `rules explain`, docs and SARIF `rules[]`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// Stable, kebab-case, family-prefixed id (`py-...`, `js-...`, `secret-...`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The default finding message.
    pub message: String,
    /// Default severity.
    pub severity: Severity,
    /// Default confidence.
    pub confidence: Confidence,
    /// CWE numbers.
    pub cwe: Vec<u32>,
    /// OWASP Top 10 2021 category, e.g. `A03:2021-Injection`.
    pub owasp: Option<String>,
    /// Markdown: what the rule finds and why it matters.
    pub description: String,
    /// The fix hint.
    pub fix: String,
    /// A vulnerable example.
    pub example_vulnerable: Option<String>,
    /// The fixed example.
    pub example_fixed: Option<String>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Extra tags.
    pub tags: Vec<String>,
    /// `python`, `javascript` or `any` (secrets).
    pub language: String,
    /// Whether the rule runs without `--select`.
    pub enabled: bool,
    /// Where the rule was loaded from (`rules/python/x.toml`, or a user path).
    pub origin: String,
}

/// A 1-based source region. Columns count Unicode scalar values; the end is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// Start line.
    pub start_line: usize,
    /// Start column.
    pub start_col: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive).
    pub end_col: usize,
    /// Start byte offset in the decoded text.
    #[serde(skip)]
    pub start_byte: usize,
    /// End byte offset in the decoded text.
    #[serde(skip)]
    pub end_byte: usize,
}

impl Span {
    /// The span of a byte range in `file`.
    pub fn from_bytes(file: &crate::SourceFile, start: usize, end: usize) -> Span {
        let (start_line, start_col) = file.lines.line_col(&file.text, start);
        let (end_line, end_col) = file.lines.line_col(&file.text, end.max(start));
        Span {
            start_line,
            start_col,
            end_line,
            end_col,
            start_byte: start,
            end_byte: end.max(start),
        }
    }
}

/// A redacted view of a secret, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretInfo {
    /// A redacted form (at most a few leading characters, then the length).
    pub redacted: String,
    /// SHA-256 (hex) of the rule id and the secret: names it without storing it.
    pub hash: String,
}

/// Why a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `inSource` for inline comments, `external` for baselines.
    pub kind: String,
    /// The reason given.
    pub justification: String,
}

/// One step of a data flow (taint) from source to sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowStep {
    /// Where.
    pub span: Span,
    /// What happens there.
    pub message: String,
}

/// Lines longer than this many bytes are cut around a finding for its snippet: a minified
/// file with thousands of findings on one line would otherwise copy that line for each.
pub const SNIPPET_MAX: usize = 400;

/// The snippet of a finding starting at byte `at` (column `col`, 1-based, in characters) of
/// `line`, and the column its text starts at: the whole line, or of a long line
/// [`SNIPPET_MAX`] bytes from a little before the finding, with `…` where cut.
fn snippet_of(line: &str, at: usize, col: usize) -> (String, usize) {
    if line.len() <= SNIPPET_MAX {
        return (line.to_owned(), 1);
    }
    let at = at.min(line.len());
    let mut from = at.saturating_sub(SNIPPET_MAX / 4);
    while !line.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (from + SNIPPET_MAX).min(line.len());
    while !line.is_char_boundary(to) {
        to += 1;
    }
    let start_col = col.saturating_sub(line[from..at].chars().count()).max(1);
    let mut s = String::with_capacity(to - from + 8);
    if from > 0 {
        s.push('…');
    }
    s.push_str(&line[from..to]);
    if to < line.len() {
        s.push('…');
    }
    (s, start_col)
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule that fired.
    #[serde(skip)]
    pub rule: Arc<RuleMeta>,
    /// The message for this instance.
    pub message: String,
    /// Severity of this instance.
    pub severity: Severity,
    /// Confidence of this instance.
    pub confidence: Confidence,
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// Where.
    pub span: Span,
    /// The first line of the finding, trimmed of its line break (secrets redacted); of a line
    /// longer than [`SNIPPET_MAX`] bytes, the part around the finding, with `…` where cut.
    pub snippet: String,
    /// The column (1-based, in characters) of the line at which `snippet` starts after its
    /// `…`: 1 unless the line was cut before the finding.
    #[serde(skip)]
    pub snippet_col: usize,
    /// Stable fingerprint: survives edits above the finding. Set by the engine.
    pub fingerprint: String,
    /// Set for secrets.
    pub secret: Option<SecretInfo>,
    /// Set when an inline comment or baseline suppresses the finding.
    pub suppression: Option<Suppression>,
    /// Data-flow steps from source to sink, for taint findings.
    pub flow: Vec<FlowStep>,
    /// Text used for the fingerprint; for secrets, the secret's hash. Not serialized.
    #[serde(skip)]
    pub match_key: String,
}

impl Finding {
    /// A finding of `rule` at `[start, end)` of `file`, with the rule's defaults.
    pub fn new(
        rule: &Arc<RuleMeta>,
        file: &crate::SourceFile,
        start: usize,
        end: usize,
    ) -> Finding {
        let span = Span::from_bytes(file, start, end);
        let line = file.lines.line_text(&file.text, span.start_line);
        // `line` lies within `file.text`: the finding's offset in it.
        let line_start = (line.as_ptr() as usize).saturating_sub(file.text.as_ptr() as usize);
        let (snippet, snippet_col) =
            snippet_of(line, start.saturating_sub(line_start), span.start_col);
        let match_key = file.text.get(start..end).unwrap_or("").to_owned();
        Finding {
            rule: Arc::clone(rule),
            message: rule.message.clone(),
            severity: rule.severity,
            confidence: rule.confidence,
            path: file.path.clone(),
            span,
            snippet,
            snippet_col,
            fingerprint: String::new(),
            secret: None,
            suppression: None,
            flow: Vec::new(),
            match_key,
        }
    }

    /// The sort key: path, line, column, rule id.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, usize, usize) {
        (
            &self.path,
            self.span.start_line,
            self.span.start_col,
            &self.rule.id,
            self.span.end_line,
            self.span.end_col,
        )
    }
}

/// Sorts findings deterministically and assigns fingerprints.
///
/// A fingerprint hashes the rule id, the path, the matched text with whitespace collapsed, and
/// the occurrence index among findings with the same three: it does not move when lines are
/// inserted above the finding.
pub fn finalize(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in findings.iter_mut() {
        let norm: String = f.match_key.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut h = Sha256::new();
        h.update(f.rule.id.as_bytes());
        h.update([0]);
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update(norm.as_bytes());
        let base = hex(&h.finalize());
        let n = seen.entry(base.clone()).or_insert(0);
        let mut h = Sha256::new();
        h.update(base.as_bytes());
        h.update(n.to_string().as_bytes());
        *n += 1;
        f.fingerprint = hex(&h.finalize())[..32].to_owned();
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// How serious a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteLevel {
    /// Informational (a recovered parse error, a decoding fallback).
    Note,
    /// A file was skipped on purpose (binary, too large).
    Warning,
    /// Something could not be scanned: the run fails closed (exit 2).
    Error,
}

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// The file could not be read.
    ReadError,
    /// The path does not exist or could not be walked.
    PathError,
    /// Skipped: binary content.
    Binary,
    /// Skipped: over the size cap.
    TooLarge,
    /// The parser recovered from syntax errors; the file was still analyzed.
    SyntaxError,
    /// Parsing stopped early (timeout); findings may be incomplete.
    ParseIncomplete,
    /// The text was decoded with replacement or from UTF-16.
    Decoding,
    /// A rule failed on this file (caught panic).
    Internal,
    /// An inline suppression comment is faulty (no reason, no rule) or unused.
    Suppression,
}

/// A message about a file or the run, shown in text output and as a SARIF notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Severity of the note.
    pub level: NoteLevel,
    /// Category.
    pub kind: NoteKind,
    /// The file concerned (relative), if any.
    pub path: Option<String>,
    /// Human-readable message naming the file and what went wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_cut_around_the_finding() {
        assert_eq!(
            snippet_of("x = eval(y)", 5, 5),
            ("x = eval(y)".to_owned(), 1)
        );
        // 2-byte characters before, at and after the finding; the finding at column 1001.
        let line = format!("{}eval(y){}", "é".repeat(1000), "ü".repeat(1000));
        let at = "é".repeat(1000).len();
        let (s, col) = snippet_of(&line, at, 1001);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        // Cut marks, and a character not split at the end.
        assert!(
            s.len() <= SNIPPET_MAX + 2 * '…'.len_utf8() + 3,
            "{}",
            s.len()
        );
        // The snippet's text starts at column `col`: the finding is where it says.
        let text: Vec<char> = s.chars().skip(1).collect();
        let here: String = text[1001 - col..1001 - col + 7].iter().collect();
        assert_eq!(here, "eval(y)");
        // At the very start and the very end of a long line.
        let line = format!("eval(y){}", "a".repeat(2000));
        let (s, col) = snippet_of(&line, 0, 1);
        assert!(s.starts_with("eval(y)") && s.ends_with('…') && col == 1);
        let line = format!("{}eval(y)", "a".repeat(2000));
        let (s, col) = snippet_of(&line, 2000, 2001);
        assert!(
            s.starts_with('…') && s.ends_with("eval(y)") && col > 1,
            "{s}"
        );
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("medium".parse::<Severity>(), Ok(Severity::Medium));
        assert!("bad".parse::<Severity>().is_err());
    }
}
