//! SARIF 2.1.0, as GitHub code scanning and other platforms read it.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use vigil_core::{Finding, NoteLevel, RuleMeta, Severity, Span};

use crate::{explain_markdown, Report};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/vigil-sec/vigil";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// `py-subprocess-shell-true` -> `SubprocessShellTrue`.
fn pascal_name(id: &str) -> String {
    let body = id.split_once('-').map_or(id, |(_, b)| b);
    body.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Percent-encodes a relative path for a SARIF `uri` (RFC 3986 path characters kept).
pub(crate) fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", encode_uri_path(path))})
    } else {
        json!({"uri": encode_uri_path(path), "uriBaseId": "%SRCROOT%"})
    }
}

fn region(span: &Span, snippet: Option<&str>) -> Value {
    let mut r = json!({
        "startLine": span.start_line,
        "startColumn": span.start_col,
        "endLine": span.end_line,
        "endColumn": span.end_col.max(1),
    });
    if let Some(s) = snippet {
        r["snippet"] = json!({"text": s});
    }
    r
}

fn first_paragraph(md: &str) -> String {
    md.trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn rule_json(m: &RuleMeta) -> Value {
    let mut tags = vec!["security".to_owned()];
    tags.extend(m.cwe.iter().map(|c| format!("external/cwe/cwe-{c}")));
    if let Some(o) = &m.owasp {
        if let Some((code, _)) = o.split_once(':') {
            tags.push(format!("external/owasp/{}", code.to_ascii_lowercase()));
        }
    }
    tags.extend(m.tags.iter().cloned());
    let help_text = format!(
        "{}\n\nFix: {}",
        first_paragraph(&m.description),
        m.fix.trim()
    );
    json!({
        "id": m.id,
        "name": pascal_name(&m.id),
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": first_paragraph(&m.description)},
        "help": {"text": help_text, "markdown": explain_markdown(m)},
        "helpUri": m.references.first().cloned().unwrap_or_else(|| INFO_URI.to_owned()),
        "defaultConfiguration": {"level": level(m.severity), "enabled": m.enabled},
        "properties": {
            "tags": tags,
            "security-severity": m.severity.score(),
            "precision": m.confidence.precision(),
            "problem.severity": match m.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                _ => "recommendation",
            },
        },
    })
}

fn result_json(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut r = json!({
        "ruleId": f.rule.id,
        "level": level(f.severity),
        "message": {"text": format!("{} Fix: {}", f.message, f.rule.fix.trim())},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&f.path),
                "region": region(&f.span, Some(&f.snippet)),
            }
        }],
        "partialFingerprints": {"vigilFingerprint/v1": f.fingerprint},
        "properties": {"severity": f.severity, "confidence": f.confidence},
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(s) = &f.secret {
        r["properties"]["secret"] = json!({"redacted": s.redacted, "hash": s.hash});
    }
    if let Some(s) = &f.suppression {
        r["suppressions"] = json!([{"kind": s.kind, "justification": s.justification}]);
    }
    if !f.flow.is_empty() {
        let locs: Vec<Value> = f
            .flow
            .iter()
            .map(|s| {
                json!({"location": {
                    "physicalLocation": {"artifactLocation": artifact(&f.path), "region": region(&s.span, None)},
                    "message": {"text": s.message},
                }})
            })
            .collect();
        r["codeFlows"] = json!([{"threadFlows": [{"locations": locs}]}]);
    }
    r
}

/// The rule index of every rule id.
fn rule_index<'a>(r: &Report<'a>) -> HashMap<&'a str, usize> {
    r.rules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect()
}

/// The SARIF log of a report.
pub fn sarif_value(r: &Report<'_>) -> Value {
    let index = rule_index(r);
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| result_json(f, index.get(f.rule.id.as_str()).copied()))
        .collect();
    sarif_log(r, results)
}

/// The SARIF log with `results` for its results.
fn sarif_log(r: &Report<'_>, results: Vec<Value>) -> Value {
    let rules: Vec<Value> = r.rules.iter().map(|m| rule_json(m)).collect();
    let notifications: Vec<Value> = r
        .notes
        .iter()
        .map(|n| {
            let mut v = json!({
                "level": match n.level {
                    NoteLevel::Error => "error",
                    NoteLevel::Warning => "warning",
                    NoteLevel::Note => "note",
                },
                "message": {"text": n.message},
                "descriptor": {"id": serde_json::to_value(n.kind).unwrap_or(Value::Null)},
            });
            if let Some(p) = &n.path {
                v["locations"] = json!([{"physicalLocation": {"artifactLocation": artifact(p)}}]);
            }
            v
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "vigil",
                "version": r.version,
                "semanticVersion": r.version,
                "informationUri": INFO_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": r.success,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Writes the SARIF log, pretty-printed, with a final newline; the results one at a time.
pub fn write_sarif(w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let log = sarif_log(r, Vec::new());
    let index = rule_index(r);
    let results = || {
        r.findings
            .iter()
            .map(|f| result_json(f, index.get(f.rule.id.as_str()).copied()))
    };
    let spliced = crate::Spliced {
        value: &log,
        path: &["runs", "0", "results"],
        items: &|| Box::new(results()),
    };
    serde_json::to_writer_pretty(&mut *w, &spliced)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(
            pascal_name("py-subprocess-shell-true"),
            "SubprocessShellTrue"
        );
        assert_eq!(encode_uri_path("a b/ü.py"), "a%20b/%C3%BC.py");
    }
}
