//! The human format: `path:line:col: RULE [severity] message`, the code line with a caret
//! underline, the fix hint, then notes and a one-line summary.

use std::io::{self, Write};

use vigil_core::{Finding, NoteLevel, Severity};

use crate::Report;

/// Options for the text writer.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Show suppressed findings too (marked as such).
    pub show_suppressed: bool,
    /// Extra lines after each finding (for example how to suppress it, in the pre-commit hook).
    pub hint_suppression: bool,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn sev(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "1;33",
            Severity::Low => "1;36",
            Severity::Info => "2",
        };
        self.wrap(code, s.as_str())
    }
}

fn comment_prefix(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if [".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        "//"
    } else {
        "#"
    }
}

fn write_finding(w: &mut dyn Write, f: &Finding, p: &Paint, opts: &TextOptions) -> io::Result<()> {
    let loc = format!("{}:{}:{}:", f.path, f.span.start_line, f.span.start_col);
    let tag = if f.suppression.is_some() {
        " (suppressed)"
    } else {
        ""
    };
    writeln!(
        w,
        "{} {} [{}] {}{}",
        p.wrap("1", &loc),
        p.wrap("1", &f.rule.id),
        p.sev(f.severity),
        f.message,
        tag
    )?;
    let num = f.span.start_line.to_string();
    let pad = " ".repeat(num.len());
    let line: String = f
        .snippet
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    // The finding's column in the snippet: a long line's snippet starts at column
    // `snippet_col`, after a `…`.
    let col = if f.snippet_col > 1 {
        (f.span.start_col + 2).saturating_sub(f.snippet_col)
    } else {
        f.span.start_col
    };
    // Keep very long (minified) lines readable.
    let (shown, start_col) = if line.chars().count() > 200 {
        let from = col.saturating_sub(40);
        let s: String = line.chars().skip(from).take(160).collect();
        (format!("…{s}…"), col - from + 1)
    } else {
        (line.clone(), col)
    };
    writeln!(w, "{pad} {}", p.wrap("34", "|"))?;
    writeln!(w, "{} {} {shown}", p.wrap("34", &num), p.wrap("34", "|"))?;
    let width = if f.span.end_line == f.span.start_line {
        f.span.end_col.saturating_sub(f.span.start_col).max(1)
    } else {
        shown.chars().count().saturating_sub(start_col - 1).max(1)
    };
    let width = width.min(shown.chars().count().saturating_sub(start_col - 1).max(1));
    writeln!(
        w,
        "{pad} {} {}{}",
        p.wrap("34", "|"),
        " ".repeat(start_col.saturating_sub(1)),
        p.wrap("1;31", &"^".repeat(width))
    )?;
    let cwe = f
        .rule
        .cwe
        .iter()
        .map(|c| format!("CWE-{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(
        w,
        "{pad} = {} {} · confidence {}",
        p.wrap("1", "why:"),
        cwe,
        f.confidence
    )?;
    writeln!(w, "{pad} = {} {}", p.wrap("1", "fix:"), f.rule.fix.trim())?;
    if !f.flow.is_empty() {
        writeln!(w, "{pad} = {}", p.wrap("1", "flow:"))?;
        for (i, s) in f.flow.iter().enumerate() {
            writeln!(
                w,
                "{pad}     {}. {}:{}: {}",
                i + 1,
                s.span.start_line,
                s.span.start_col,
                s.message
            )?;
        }
    }
    if opts.hint_suppression && f.suppression.is_none() {
        writeln!(
            w,
            "{pad} = {} add `{} vigil: ignore[{}] <reason>` at the end of the line or on the line above",
            p.wrap("1", "to suppress:"),
            comment_prefix(&f.path),
            f.rule.id
        )?;
    }
    writeln!(w)
}

/// Writes the text report.
pub fn write_text(w: &mut dyn Write, r: &Report<'_>, opts: &TextOptions) -> io::Result<()> {
    let p = Paint { on: opts.color };
    for f in r.findings {
        if f.suppression.is_some() && !opts.show_suppressed {
            continue;
        }
        write_finding(w, f, &p, opts)?;
    }
    for n in r.notes {
        let label = match n.level {
            NoteLevel::Error => p.wrap("1;31", "error:"),
            NoteLevel::Warning => p.wrap("1;33", "warning:"),
            NoteLevel::Note => p.wrap("1;36", "note:"),
        };
        writeln!(w, "{label} {}", n.message)?;
    }
    let active = r.active().count();
    let sev: Vec<String> = r
        .by_severity()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let findings = match active {
        0 => p.wrap("1;32", "no findings"),
        1 => format!("{} ({})", p.wrap("1", "1 finding"), sev.join(", ")),
        n => format!(
            "{} ({})",
            p.wrap("1", &format!("{n} findings")),
            sev.join(", ")
        ),
    };
    let suppressed = match r.suppressed() {
        0 => String::new(),
        n => format!(", {n} suppressed"),
    };
    let skipped = match r.files_skipped {
        0 => String::new(),
        n => format!(", {n} skipped"),
    };
    let ms = r.duration.as_secs_f64() * 1000.0;
    let time = if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    };
    writeln!(
        w,
        "{findings}{suppressed} in {} file{}{skipped} ({time})",
        r.files_scanned,
        if r.files_scanned == 1 { "" } else { "s" }
    )
}
