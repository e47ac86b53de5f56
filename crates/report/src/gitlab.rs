//! GitLab SAST report (security report schema 15.0.x): `version`, `vulnerabilities[]` with id,
//! name, description, severity, identifiers (the rule and its CWEs), location and solution, and
//! `scan` with analyzer, scanner, type, times and status.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use vigil_core::{Finding, Severity};

use crate::Report;

/// The schema version written.
pub const GITLAB_SAST_VERSION: &str = "15.0.7";

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// A UUID-shaped id from the (hex) fingerprint: stable across runs, as GitLab tracks it.
fn uuid(fp: &str) -> String {
    let h: String = fp.chars().chain(std::iter::repeat('0')).take(32).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a time.
fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn vulnerability(f: &Finding) -> Value {
    let mut identifiers = vec![json!({
        "type": "vigil_rule_id",
        "name": format!("vigil {}", f.rule.id),
        "value": f.rule.id,
    })];
    for c in &f.rule.cwe {
        identifiers.push(json!({
            "type": "cwe",
            "name": format!("CWE-{c}"),
            "value": c.to_string(),
            "url": format!("https://cwe.mitre.org/data/definitions/{c}.html"),
        }));
    }
    json!({
        "id": uuid(&f.fingerprint),
        "name": f.rule.title,
        "description": f.message,
        "severity": severity(f.severity),
        "solution": f.rule.fix.trim(),
        "identifiers": identifiers,
        "location": {
            "file": f.path,
            "start_line": f.span.start_line,
            "end_line": f.span.end_line.max(f.span.start_line),
        },
    })
}

/// The GitLab SAST report of unsuppressed findings.
pub fn gitlab_value(r: &Report<'_>) -> Value {
    gitlab_document(r, r.active().map(vulnerability).collect())
}

/// The report with `vulnerabilities` for its vulnerabilities.
fn gitlab_document(r: &Report<'_>, vulnerabilities: Vec<Value>) -> Value {
    let end = SystemTime::now();
    let start = end.checked_sub(r.duration).unwrap_or(end);
    let tool = json!({
        "id": "vigil",
        "name": "vigil",
        "version": r.version,
        "vendor": {"name": "vigil"},
    });
    json!({
        "version": GITLAB_SAST_VERSION,
        "vulnerabilities": vulnerabilities,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "status": if r.success { "success" } else { "failure" },
        },
    })
}

/// Writes the GitLab SAST report, pretty-printed; the vulnerabilities one at a time.
pub fn write_gitlab(w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    let doc = gitlab_document(r, Vec::new());
    let vulnerabilities = || r.active().map(vulnerability);
    let spliced = crate::Spliced {
        value: &doc,
        path: &["vulnerabilities"],
        items: &|| Box::new(vulnerabilities()),
    };
    serde_json::to_writer_pretty(&mut *w, &spliced)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_and_ids() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20");
        assert_eq!(
            uuid("0123456789abcdef0123456789abcdef"),
            "01234567-89ab-cdef-0123-456789abcdef"
        );
    }
}
