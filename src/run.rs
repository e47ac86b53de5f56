//! Running a command: settings from arguments, the scan, the report, the exit code.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use vigil_core::engine::{scan_paths, ScanSettings};
use vigil_core::lang::Family;
use vigil_core::Severity;
use vigil_report::{Report, TextOptions};
use vigil_rules::{Catalog, RuleOptions, RuleSet, Selection};

use crate::args::{
    Cli, Color, Command, ConfigCommand, DebugCommand, FailOn, Format, HookCommand, ListFormat,
    RulesCommand, ScanArgs,
};
use vigil_core::config::Loaded;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the command and returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(a) => scan(a),
        Command::Baseline(a) => baseline(a),
        Command::Hook(HookCommand::Install { force }) => crate::hook::install(force),
        Command::Hook(HookCommand::Uninstall) => crate::hook::uninstall(),
        Command::Config(ConfigCommand::Show { config }) => config_show(config.as_deref()),
        Command::Rules(RulesCommand::List { format, rule_dirs }) => rules_list(format, &rule_dirs),
        Command::Rules(RulesCommand::Explain { rule, rule_dirs }) => {
            rules_explain(&rule, &rule_dirs)
        }
        Command::Rules(RulesCommand::Test { dir, fixtures }) => {
            rules_test(&dir, fixtures.as_deref())
        }
        Command::Debug(DebugCommand::Parse { paths, threads }) => debug_parse(&paths, threads),
    }
}

fn catalog(rule_dirs: &[PathBuf]) -> Result<Catalog> {
    catalog_for(rule_dirs, None)
}

/// The built-in rules (borrowed from the binary, not copied) and those of `rule_dirs`; the
/// built-in code rules only of `families` if given (see [`Catalog::load_for`]).
fn catalog_for(rule_dirs: &[PathBuf], families: Option<&[Family]>) -> Result<Catalog> {
    let mut sources: Vec<(Cow<'static, str>, Cow<'static, str>)> = vigil_rules::embedded()
        .map(|(p, t)| (Cow::Borrowed(p), Cow::Borrowed(t)))
        .collect();
    for d in rule_dirs {
        let user = vigil_rules::load_dir(d).context("invalid rule folder")?;
        sources.extend(
            user.into_iter()
                .map(|(p, t)| (Cow::Owned(p), Cow::Owned(t))),
        );
    }
    Catalog::load_for(&sources, families).context("invalid rule")
}

/// The language families of a scan's inputs, when they are known before it starts: files
/// named on the command line, or standard input named by `--stdin-filename`. The rules of the
/// other family need not load (a quarter of an on-save scan's start-up). `None`, every rule
/// loads, when the inputs are discovered (a folder, `--staged`, `--diff`), when a file's
/// language is not in its name (a shebang may decide), and whenever the other rules make a
/// difference to the output: SARIF lists every selected rule, `--select` and `--ignore` are
/// checked against every rule id, and user rules may repeat a built-in id.
fn known_families(
    a: &ScanArgs,
    selection: &Selection,
    rule_dirs: &[PathBuf],
) -> Option<Vec<Family>> {
    if a.format == Format::Sarif
        || !rule_dirs.is_empty()
        || !selection.select.is_empty()
        || !selection.ignore.is_empty()
        || a.staged
        || a.diff.is_some()
    {
        return None;
    }
    let mut families = Vec::new();
    let mut add = |name: &str| {
        let family = vigil_core::Language::from_path(name)?.family();
        if !families.contains(&family) {
            families.push(family);
        }
        Some(())
    };
    match &a.stdin_filename {
        Some(name) => add(name)?,
        None => {
            for p in &a.paths {
                if !p.metadata().is_ok_and(|m| m.is_file()) {
                    return None;
                }
                add(&p.to_string_lossy())?;
            }
        }
    }
    Some(families)
}

fn threshold(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    }
}

fn load_config(explicit: Option<&Path>) -> Result<Loaded> {
    Ok(match explicit {
        Some(p) => Loaded::from_file(p).context("invalid configuration")?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Loaded::discover(&cwd).context("invalid configuration")?
        }
    })
}

fn config_show(explicit: Option<&Path>) -> Result<u8> {
    let loaded = load_config(explicit)?;
    let mut out = std::io::stdout().lock();
    match &loaded.file {
        Some(f) => writeln!(out, "# from {}", f.display())?,
        None => writeln!(out, "# no configuration file found; defaults")?,
    }
    out.write_all(loaded.to_toml().as_bytes())?;
    Ok(0)
}

fn fail_on(a: &ScanArgs, loaded: &Loaded) -> FailOn {
    a.fail_on.unwrap_or_else(|| {
        match loaded.config.fail_on.as_ref().map(|s| s.get_ref().as_str()) {
            Some("critical") => FailOn::Critical,
            Some("high") => FailOn::High,
            Some("medium") => FailOn::Medium,
            Some("never") => FailOn::Never,
            _ => FailOn::Low,
        }
    })
}

/// What [`parse_ahead`] hands back: the trees (still being parsed), and standard input when
/// it reads it (sent as soon as it is read, before the parse).
type Ahead = (
    vigil_core::parse::Preparsed,
    Option<std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>>,
);

/// The on-save case: a few code files named on the command line, or standard input, are read
/// and parsed on another thread while this one loads and compiles the rules and runs what
/// needs no tree (wall time, not CPU: a parse the rules turn out not to need is wasted work on
/// the other core).
fn parse_ahead(a: &ScanArgs) -> Option<Ahead> {
    const AHEAD: usize = 4;
    let budget = ScanSettings::default().parse_budget;
    let spawn = |f: Box<dyn FnOnce() -> vigil_core::parse::Preparsed + Send>| {
        std::thread::Builder::new()
            .name("vigil-parse-ahead".to_owned())
            .spawn(f)
            .ok()
            .map(vigil_core::parse::Preparsed::pending)
    };
    if let Some(name) = &a.stdin_filename {
        if a.paths.len() != 1 || a.paths[0].as_os_str() != "-" {
            return None;
        }
        let rel = crate::sources::stdin_display_path(name);
        let (send, receive) = std::sync::mpsc::channel();
        let parsing = spawn(Box::new(move || {
            let mut bytes = Vec::new();
            let read = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes);
            match read {
                Ok(_) => {
                    let _ = send.send(Ok(bytes.clone()));
                    vigil_core::parse::Preparsed::parse_bytes(&rel, &bytes, budget)
                }
                Err(e) => {
                    let _ = send.send(Err(e));
                    vigil_core::parse::Preparsed::default()
                }
            }
        }))?;
        return Some((parsing, Some(receive)));
    }
    if a.staged || a.diff.is_some() || a.paths.len() > AHEAD {
        return None;
    }
    let base = std::env::current_dir().ok()?;
    let files: Vec<PathBuf> = a
        .paths
        .iter()
        .map(|p| crate::sources::absolutize(p, &base))
        .filter(|p| {
            vigil_core::Language::from_path(&p.to_string_lossy()).is_some()
                && p.metadata().is_ok_and(|m| m.is_file())
        })
        .collect();
    if files.is_empty() {
        return None;
    }
    let max_size = a.max_file_size;
    let parsing = spawn(Box::new(move || {
        vigil_core::parse::Preparsed::parse_files(&files, budget, max_size)
    }))?;
    Some((parsing, None))
}

/// The rules and engine settings of a scan, and the configuration.
fn prepare(a: &ScanArgs) -> Result<(RuleSet, ScanSettings, Loaded)> {
    let loaded = load_config(a.config.as_deref())?;
    let mut rule_dirs = a.rule_dirs.clone();
    rule_dirs.extend(loaded.config.rules.iter().cloned());
    let selection = Selection {
        select: if a.select.is_empty() {
            loaded.config.select.clone()
        } else {
            a.select.clone()
        },
        ignore: a
            .ignore
            .iter()
            .chain(&loaded.config.ignore)
            .cloned()
            .collect(),
    };
    let families = known_families(a, &selection, &rule_dirs);
    let catalog = catalog_for(&rule_dirs, families.as_deref())?;
    let unknown = selection.unknown(&catalog.metas());
    if !unknown.is_empty() {
        bail!(
            "--select/--ignore: no rule matches {} (see `vigil rules list`)",
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let options = RuleOptions {
        prefilter: !a.no_prefilter,
        skip_generated: !a.scan_generated,
    };
    let rules = RuleSet::new(catalog, &selection, options).context("invalid rule")?;
    let mut settings = ScanSettings {
        threads: a.threads.unwrap_or(0),
        max_file_size: a.max_file_size,
        ..ScanSettings::default()
    };
    settings.discover.follow_symlinks = a.follow;
    settings.discover.respect_ignore_files = !a.no_ignore;
    settings.suppressions.report_unused = a.report_unused_ignores;
    settings.suppressions.enabled = loaded.config.allow_suppressions.unwrap_or(true);
    settings.suppressions.compat = loaded.config.suppression_compat.unwrap_or(true);
    if a.cache && !a.no_cache {
        let here = std::env::current_dir().context("cannot read the current directory")?;
        settings.cache_dir = Some(here.join(vigil_core::cache::CACHE_DIR));
    }
    Ok((rules, settings, loaded))
}

fn scan(a: ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let ahead = parse_ahead(&a);
    let (rules, mut settings, loaded) = prepare(&a)?;
    let mut stdin = None;
    if let Some((parsing, read)) = ahead {
        settings.preparsed = Some(std::sync::Arc::new(parsing));
        // A reader thread that died without sending leaves `stdin` to be read here.
        stdin = read.and_then(|r| r.recv().ok());
    }
    let baseline = match &a.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the baseline", path.display()))?;
            Some((
                vigil_core::baseline::Baseline::parse(&text, &path.to_string_lossy())?,
                path.to_string_lossy().into_owned(),
            ))
        }
        None => None,
    };
    let crate::sources::Scanned {
        mut report,
        changed,
    } = crate::sources::scan(&a, &rules, &settings, stdin)?;
    if let Some(changed) = &changed {
        report
            .findings
            .retain(|f| changed.touches(&f.path, f.span.start_line, f.span.end_line));
    }
    loaded.filter_findings(&mut report.findings);
    if let Some((b, name)) = &baseline {
        b.apply(&mut report.findings, name);
    }
    let r = Report {
        findings: &report.findings,
        notes: &report.notes,
        rules: rules.metas(),
        files_scanned: report.files_scanned,
        files_skipped: report.files_skipped,
        duration: started.elapsed(),
        version: VERSION,
        success: !report.errored(),
    };
    let color = match a.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            a.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let text_opts = TextOptions {
        color,
        show_suppressed: a.show_suppressed,
        hint_suppression: a.hook,
    };
    let render = |w: &mut dyn Write| -> std::io::Result<()> {
        match a.format {
            Format::Text => vigil_report::write_text(w, &r, &text_opts),
            Format::Json => vigil_report::write_json(w, &r),
            Format::Sarif => vigil_report::write_sarif(w, &r),
            Format::Github => vigil_report::write_github(w, &r),
            Format::GitlabSast => vigil_report::write_gitlab(w, &r),
        }
    };
    match &a.output {
        Some(path) => write_atomically(path, &render)?,
        None => {
            // Stdout is line-buffered: one write per line was 7 000 system calls for django.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            render(&mut out).context("cannot write the report")?;
            out.flush().context("cannot write the report")?;
        }
    }
    // The process ends right after: freeing the compiled rules one allocation at a time is a
    // measurable share of a small run (3 M instructions), and the OS reclaims it all at once.
    // The same for the trees parsed ahead (`Preparsed::keep`): 1.3 M for a 1 000-line file.
    std::mem::forget(rules);
    std::mem::forget(settings);
    if report.errored() {
        return Ok(2);
    }
    let failing: Vec<&vigil_core::Finding> = match threshold(fail_on(&a, &loaded)) {
        Some(t) => report
            .findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.severity >= t)
            .collect(),
        None => Vec::new(),
    };
    if a.hook && !failing.is_empty() {
        hook_footer(&failing)?;
    }
    Ok(u8::from(!failing.is_empty()))
}

/// The pre-commit hook's closing words: what blocks the commit and the two ways out.
fn hook_footer(failing: &[&vigil_core::Finding]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let n = failing.len();
    writeln!(
        out,
        "\nvigil: commit blocked: {n} finding{} in the staged changes.",
        if n == 1 { "" } else { "s" }
    )?;
    let mut rules: Vec<&str> = failing.iter().map(|f| f.rule.id.as_str()).collect();
    rules.dedup();
    writeln!(
        out,
        "  why it matters: `vigil rules explain {}` describes the risk and the fix.",
        rules[0]
    )?;
    writeln!(out, "  Two ways out:")?;
    writeln!(
        out,
        "  1. fix the code (see `fix:` above), `git add` it, and commit again;"
    )?;
    let f = failing[0];
    let prefix = if [".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"]
        .iter()
        .any(|e| f.path.to_ascii_lowercase().ends_with(e))
    {
        "//"
    } else {
        "#"
    };
    writeln!(
        out,
        "  2. or, if it is a false positive or an accepted risk, suppress it with a reason, e.g. at the end of {}:{}:\n       {prefix} vigil: ignore[{}] <why this is safe>",
        f.path, f.span.start_line, f.rule.id
    )?;
    out.flush()?;
    Ok(())
}

fn baseline(a: ScanArgs) -> Result<u8> {
    let (rules, settings, loaded) = prepare(&a)?;
    let crate::sources::Scanned { report, changed } =
        crate::sources::scan(&a, &rules, &settings, None)?;
    let mut findings = report.findings;
    if let Some(changed) = &changed {
        findings.retain(|f| changed.touches(&f.path, f.span.start_line, f.span.end_line));
    }
    loaded.filter_findings(&mut findings);
    let path = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(".vigil-baseline.json"));
    if report
        .notes
        .iter()
        .any(|n| n.level == vigil_core::NoteLevel::Error)
    {
        let mut err = std::io::stderr().lock();
        for n in report
            .notes
            .iter()
            .filter(|n| n.level == vigil_core::NoteLevel::Error)
        {
            writeln!(err, "error: {}", n.message)?;
        }
        writeln!(
            err,
            "vigil: the scan failed; {} was not written",
            path.display()
        )?;
        return Ok(2);
    }
    let b = vigil_core::baseline::Baseline::from_findings(&findings);
    let text = b.to_json();
    write_atomically(&path, &|w: &mut dyn Write| w.write_all(text.as_bytes()))?;
    writeln!(
        std::io::stderr().lock(),
        "wrote {} finding{} to {}",
        b.len(),
        if b.len() == 1 { "" } else { "s" },
        path.display()
    )?;
    Ok(0)
}

fn absolutize(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Writes to a temporary file beside `path`, then renames it: a reader never sees a truncated
/// report.
fn write_atomically(
    path: &Path,
    render: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).with_context(|| {
        format!(
            "{}: cannot create a temporary file in {}",
            path.display(),
            dir.display()
        )
    })?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        render(&mut w).with_context(|| format!("{}: cannot write the report", path.display()))?;
        w.flush()
            .with_context(|| format!("{}: cannot write the report", path.display()))?;
    }
    tmp.persist(path)
        .with_context(|| format!("{}: cannot write the report", path.display()))?;
    Ok(())
}

fn rules_list(format: ListFormat, rule_dirs: &[PathBuf]) -> Result<u8> {
    let catalog = catalog(rule_dirs)?;
    let metas = catalog.metas();
    let mut out = std::io::stdout().lock();
    match format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "title": m.title, "language": m.language,
                        "severity": m.severity, "confidence": m.confidence,
                        "cwe": m.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>(),
                        "owasp": m.owasp, "enabled": m.enabled, "origin": m.origin,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(10);
            writeln!(
                out,
                "{:<w$}  {:<8}  {:<10}  {:<9}  TITLE",
                "RULE", "SEVERITY", "CWE", "DEFAULT"
            )?;
            for m in &metas {
                let cwe = m
                    .cwe
                    .iter()
                    .map(|c| format!("CWE-{c}"))
                    .collect::<Vec<_>>()
                    .join(",");
                writeln!(
                    out,
                    "{:<w$}  {:<8}  {:<10}  {:<9}  {}",
                    m.id,
                    m.severity.as_str(),
                    cwe,
                    if m.enabled { "on" } else { "opt-in" },
                    m.title
                )?;
            }
            writeln!(out, "{} rules", metas.len())?;
        }
    }
    Ok(0)
}

fn rules_explain(id: &str, rule_dirs: &[PathBuf]) -> Result<u8> {
    let catalog = catalog(rule_dirs)?;
    let metas = catalog.metas();
    let Some(m) = metas.iter().find(|m| m.id == id) else {
        let close: Vec<&str> = metas
            .iter()
            .map(|m| m.id.as_str())
            .filter(|m| m.contains(id) || id.contains(*m))
            .take(5)
            .collect();
        if close.is_empty() {
            bail!("no rule `{id}` (see `vigil rules list`)");
        }
        bail!("no rule `{id}`; did you mean {}?", close.join(", "));
    };
    let mut out = std::io::stdout().lock();
    out.write_all(vigil_report::explain_markdown(m).as_bytes())?;
    Ok(0)
}

fn rules_test(dir: &Path, fixtures: Option<&Path>) -> Result<u8> {
    let sources = vigil_rules::load_dir(dir).context("invalid rule folder")?;
    if sources.is_empty() {
        bail!("{}: no rule files (*.toml)", dir.display());
    }
    let catalog = Catalog::load_with_examples(&sources).context("invalid rule")?;
    let ids: std::collections::HashSet<String> =
        catalog.metas().iter().map(|m| m.id.clone()).collect();
    let mut failures = catalog.secrets.check_examples();
    let selection = Selection {
        select: vec!["ALL".to_owned()],
        ignore: Vec::new(),
    };
    let rules =
        RuleSet::new(catalog, &selection, RuleOptions::default()).context("invalid rule")?;
    let fixture_root = fixtures.unwrap_or(dir);
    let base = std::env::current_dir().context("cannot read the current directory")?;
    let mut settings = ScanSettings::default();
    settings.discover.respect_ignore_files = false;
    let (files, notes) = vigil_core::discover::discover(
        &[absolutize(fixture_root, &base)],
        &base,
        &settings.discover,
    );
    for n in notes {
        failures.push(n.message);
    }
    let files: Vec<_> = files
        .into_iter()
        .filter(|c| !c.rel.ends_with(".toml"))
        .collect();
    let mut checked = 0;
    for c in files {
        let bytes = std::fs::read(&c.abs).with_context(|| format!("{}: cannot be read", c.rel))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let ex = vigil_rules::fixtures::expectations(&text);
        if ex.positive.is_empty() && ex.negative.is_empty() {
            continue;
        }
        checked += 1;
        let report = vigil_core::engine::scan_inputs(
            vec![vigil_core::engine::Input::Disk(c.clone())],
            &rules,
            &settings,
        );
        let found: Vec<(usize, String)> = report
            .findings
            .iter()
            .map(|f| (f.span.start_line, f.rule.id.clone()))
            .collect();
        failures.extend(vigil_rules::fixtures::compare(&c.rel, &ex, &found, &|id| {
            ids.contains(id)
        }));
    }
    let mut out = std::io::stdout().lock();
    for f in &failures {
        writeln!(out, "FAIL {f}")?;
    }
    writeln!(
        out,
        "{} rules, {checked} fixture files: {}",
        ids.len(),
        if failures.is_empty() {
            "all expectations met".to_owned()
        } else {
            format!("{} failures", failures.len())
        }
    )?;
    Ok(u8::from(!failures.is_empty()))
}

fn debug_parse(paths: &[PathBuf], threads: Option<usize>) -> Result<u8> {
    let started = Instant::now();
    let base = std::env::current_dir().context("cannot read the current directory")?;
    let roots: Vec<PathBuf> = paths.iter().map(|p| absolutize(p, &base)).collect();
    let settings = ScanSettings {
        threads: threads.unwrap_or(0),
        ..ScanSettings::default()
    };
    let report = scan_paths(&roots, &base, &vigil_core::engine::ParseOnly, &settings);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "parsed {} files ({} skipped, {} notes) in {:.1} ms",
        report.files_scanned,
        report.files_skipped,
        report.notes.len(),
        started.elapsed().as_secs_f64() * 1000.0
    )?;
    Ok(0)
}
