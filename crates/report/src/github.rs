//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, so
//! findings show as annotations on the pull request's changed files.

use std::io::{self, Write};

use vigil_core::{Finding, Severity};

use crate::Report;

/// Escapes a command's message (`%`, CR and LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn write_finding(w: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let cwe = f
        .rule
        .cwe
        .iter()
        .map(|c| format!("CWE-{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let title = format!("{} [{}]", f.rule.id, f.severity);
    let mut props = format!(
        "file={},line={},col={}",
        escape_property(&f.path),
        f.span.start_line,
        f.span.start_col
    );
    if f.span.end_line >= f.span.start_line {
        props.push_str(&format!(",endLine={}", f.span.end_line));
        if f.span.end_line == f.span.start_line {
            props.push_str(&format!(",endColumn={}", f.span.end_col));
        }
    }
    props.push_str(&format!(",title={}", escape_property(&title)));
    let body = format!(
        "{} ({cwe}; confidence {})\nFix: {}",
        f.message,
        f.confidence,
        f.rule.fix.trim()
    );
    writeln!(
        w,
        "::{} {props}::{}",
        command(f.severity),
        escape_data(&body)
    )
}

/// Writes one workflow command per unsuppressed finding, a notice per error note, and a
/// summary line.
pub fn write_github(w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
    for f in r.active() {
        write_finding(w, f)?;
    }
    for n in r
        .notes
        .iter()
        .filter(|n| n.level == vigil_core::NoteLevel::Error)
    {
        match &n.path {
            Some(p) => writeln!(
                w,
                "::error file={}::{}",
                escape_property(p),
                escape_data(&n.message)
            )?,
            None => writeln!(w, "::error::{}", escape_data(&n.message))?,
        }
    }
    writeln!(
        w,
        "vigil: {} finding(s), {} suppressed, in {} file(s)",
        r.active().count(),
        r.suppressed(),
        r.files_scanned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
