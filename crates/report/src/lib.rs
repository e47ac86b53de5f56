//! vigil-report: renders a scan's findings and notes as text, JSON or SARIF 2.1.0.
//!
//! Writers never detect and detectors never format: everything here reads a [`Report`] and
//! writes bytes. Secrets arrive already redacted in findings; writers add nothing of them.

mod github;
mod gitlab;
mod sarif;
mod text;

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use vigil_core::{Finding, Note, RuleMeta, Severity};

pub use github::write_github;
pub use gitlab::{gitlab_value, write_gitlab, GITLAB_SAST_VERSION};
pub use sarif::{sarif_value, write_sarif};
pub use text::{write_text, TextOptions};

/// The version of the JSON output schema (docs/json-format.md).
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Everything a writer needs.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Findings, sorted; suppressed ones carry `suppression`.
    pub findings: &'a [Finding],
    /// Notes about files and the run.
    pub notes: &'a [Note],
    /// The rules that ran, sorted by id (SARIF `rules[]`).
    pub rules: &'a [Arc<RuleMeta>],
    /// Files analyzed.
    pub files_scanned: usize,
    /// Files skipped.
    pub files_skipped: usize,
    /// Wall time of the scan.
    pub duration: Duration,
    /// vigil's version.
    pub version: &'a str,
    /// Whether every file could be scanned (false: exit code 2).
    pub success: bool,
}

impl Report<'_> {
    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppression.is_none())
    }

    /// Counts of unsuppressed findings per severity, highest first.
    pub fn by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .map(|s| (*s, self.active().filter(|f| f.severity == *s).count()))
            .collect()
    }

    /// Number of suppressed findings.
    pub fn suppressed(&self) -> usize {
        self.findings.len() - self.active().count()
    }
}

fn finding_json(f: &Finding) -> Value {
    let mut v = json!({
        "rule_id": f.rule.id,
        "title": f.rule.title,
        "message": f.message,
        "severity": f.severity,
        "confidence": f.confidence,
        "cwe": f.rule.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>(),
        "owasp": f.rule.owasp,
        "path": f.path,
        "start": {"line": f.span.start_line, "column": f.span.start_col},
        "end": {"line": f.span.end_line, "column": f.span.end_col},
        "snippet": f.snippet,
        "fingerprint": f.fingerprint,
        "fix": f.rule.fix,
    });
    if let Some(s) = &f.secret {
        v["secret"] = json!({"redacted": s.redacted, "hash": s.hash});
    }
    if let Some(s) = &f.suppression {
        v["suppression"] = json!({"kind": s.kind, "justification": s.justification});
    }
    if !f.flow.is_empty() {
        v["flow"] = f
            .flow
            .iter()
            .map(|s| json!({"line": s.span.start_line, "column": s.span.start_col, "message": s.message}))
            .collect();
    }
    v
}

/// The JSON document for a report (schema version [`JSON_SCHEMA_VERSION`]).
pub fn json_value(r: &Report<'_>) -> Value {
    json_document(r, r.findings.iter().map(finding_json).collect())
}

/// The JSON document with `findings` for its findings.
fn json_document(r: &Report<'_>, findings: Vec<Value>) -> Value {
    let by_sev: serde_json::Map<String, Value> = r
        .by_severity()
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
        .collect();
    json!({
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "vigil", "version": r.version},
        "success": r.success,
        "findings": findings,
        "notes": r.notes.iter().map(|n| json!({
            "level": n.level, "kind": n.kind, "path": n.path, "message": n.message,
        })).collect::<Vec<_>>(),
        "summary": {
            "files_scanned": r.files_scanned,
            "files_skipped": r.files_skipped,
            "findings": r.active().count(),
            "suppressed": r.suppressed(),
            "by_severity": by_sev,
            "duration_ms": r.duration.as_millis() as u64,
        },
    })
}

/// Writes the JSON document, pretty-printed, with a final newline. The findings are written
/// one at a time: the document is never held in memory whole.
pub fn write_json(w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let doc = json_document(r, Vec::new());
    let findings = || r.findings.iter().map(finding_json);
    let spliced = Spliced {
        value: &doc,
        path: &["findings"],
        items: &|| Box::new(findings()),
    };
    serde_json::to_writer_pretty(&mut *w, &spliced)?;
    writeln!(w)
}

/// The items of a [`Spliced`] array, made on demand.
type Items<'a> = dyn Fn() -> Box<dyn Iterator<Item = Value> + 'a> + 'a;

/// A JSON value written with the array at `path` (object keys, array indexes) replaced by
/// `items`, each made and written in turn: a report's findings are not held in memory as one
/// document (100 000 findings of a minified bundle made a 1.5 GB SARIF value). The output is
/// the same as writing the whole value.
pub(crate) struct Spliced<'a> {
    pub(crate) value: &'a Value,
    pub(crate) path: &'a [&'a str],
    pub(crate) items: &'a Items<'a>,
}

impl serde::Serialize for Spliced<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let Some((head, rest)) = self.path.split_first() else {
            return s.collect_seq((self.items)());
        };
        let inner = |value| Spliced {
            value,
            path: rest,
            items: self.items,
        };
        match self.value {
            Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    if k == head {
                        m.serialize_entry(k, &inner(v))?;
                    } else {
                        m.serialize_entry(k, v)?;
                    }
                }
                m.end()
            }
            Value::Array(a) => {
                let at = head.parse::<usize>().ok();
                let mut q = s.serialize_seq(Some(a.len()))?;
                for (i, v) in a.iter().enumerate() {
                    if Some(i) == at {
                        q.serialize_element(&inner(v))?;
                    } else {
                        q.serialize_element(v)?;
                    }
                }
                q.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Renders the `vigil rules explain` page of a rule, as markdown.
pub fn explain_markdown(m: &RuleMeta) -> String {
    let mut s = format!("# {}: {}\n\n", m.id, m.title);
    s.push_str(&format!(
        "Severity: {} · Confidence: {} · {} · Language: {}{}\n\n",
        m.severity,
        m.confidence,
        m.cwe
            .iter()
            .map(|c| format!("CWE-{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        m.language,
        m.owasp
            .as_deref()
            .map(|o| format!(" · OWASP {o}"))
            .unwrap_or_default()
    ));
    if !m.enabled {
        s.push_str("Off by default: enable it with `--select ");
        s.push_str(&m.id);
        s.push_str("`.\n\n");
    }
    s.push_str("## What it finds, and why it matters\n\n");
    s.push_str(m.description.trim());
    s.push_str("\n\n");
    let fence = if m.language == "python" {
        "python"
    } else if m.language == "javascript" {
        "javascript"
    } else {
        "text"
    };
    if let Some(v) = &m.example_vulnerable {
        s.push_str(&format!(
            "## Vulnerable\n\n```{fence}\n{}\n```\n\n",
            v.trim_end()
        ));
    }
    if let Some(v) = &m.example_fixed {
        s.push_str(&format!(
            "## Fixed\n\n```{fence}\n{}\n```\n\n",
            v.trim_end()
        ));
    }
    s.push_str("## How to fix\n\n");
    s.push_str(m.fix.trim());
    s.push_str("\n\n");
    if !m.references.is_empty() || !m.cwe.is_empty() {
        s.push_str("## References\n\n");
        for c in &m.cwe {
            s.push_str(&format!(
                "- CWE-{c}: https://cwe.mitre.org/data/definitions/{c}.html\n"
            ));
        }
        for r in &m.references {
            s.push_str(&format!("- {r}\n"));
        }
    }
    s
}
