//! vigil-rules: the rule model, the loader, and the detectors.
//!
//! Rules are data: TOML files under the repository's `rules/` folder are embedded at build time
//! ([`embedded_sources`]), and user folders load through the same path ([`load_dir`]). Loading
//! validates every rule and fails with a [`RuleError`] naming the file, rule and field. A
//! [`RuleSet`] compiles the selected rules once and implements [`vigil_core::Analyzer`]:
//! code rules run on a per-file semantic model ([`code`]), secret rules on the text
//! ([`secrets`]).

pub mod code;
pub mod error;
pub(crate) mod fields;
pub mod fixtures;
mod gate;
pub mod model;
mod names;
mod regexes;
pub mod secrets;
pub mod taint;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tree_sitter::Tree;
use vigil_core::engine::FileContext;
use vigil_core::{Analyzer, Confidence, Finding, RuleMeta, SecretInfo, Severity, SourceFile};

pub use error::RuleError;
pub use model::{load_code_rule, load_code_rule_with, CodeRule};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in rule files: (path relative to the repository, contents).
pub fn embedded_sources() -> Vec<(String, String)> {
    embedded()
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
        .collect()
}

/// The built-in rule files, borrowed from the binary: (path relative to the repository,
/// contents). [`Catalog::load`] takes these without a copy.
pub fn embedded() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::EMBEDDED.iter().map(|(p, t, _)| (*p, *t))
}

/// The built-in rule file `(path, text)` is, byte for byte, if any. `EMBEDDED` is sorted by
/// path (`build.rs`); a text borrowed from it is recognised without comparing its bytes.
fn builtin(
    path: &str,
    text: &str,
) -> Option<&'static (&'static str, &'static str, Option<&'static str>)> {
    let i = embedded::EMBEDDED
        .binary_search_by(|(p, _, _)| (*p).cmp(path))
        .ok()?;
    let entry = &embedded::EMBEDDED[i];
    let same = std::ptr::eq(entry.1.as_ptr(), text.as_ptr()) && entry.1.len() == text.len();
    (same || entry.1 == text).then_some(entry)
}

/// True when `(path, text)` is one of the built-in rule files, byte for byte. Those are
/// validated by the test suite, so loading them skips the costly checks (compiling every regex
/// and tree-sitter query) that a user's rule file gets; they compile on first use instead.
pub(crate) fn is_builtin_source(path: &str, text: &str) -> bool {
    builtin(path, text).is_some()
}

/// The JSON form of a built-in rule file (converted at build time), if `(path, text)` is one.
pub(crate) fn builtin_json(path: &str, text: &str) -> Option<&'static str> {
    builtin(path, text).and_then(|(_, _, j)| *j)
}

/// Reads every `*.toml` file under `dir` (recursively, sorted) as rule sources.
pub fn load_dir(dir: &Path) -> Result<Vec<(String, String)>, RuleError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            RuleError::new(
                &d.display().to_string(),
                format!("cannot read the rule folder: {e}"),
            )
        })?;
        for e in entries {
            let e = e.map_err(|e| {
                RuleError::new(
                    &d.display().to_string(),
                    format!("cannot read the rule folder: {e}"),
                )
            })?;
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let shown = f.display().to_string();
        let text = std::fs::read_to_string(&f)
            .map_err(|e| RuleError::new(&shown, format!("cannot read: {e}")))?;
        out.push((shown, text));
    }
    Ok(out)
}

/// Every loaded rule, before selection.
pub struct Catalog {
    /// Code rules.
    pub code: Vec<CodeRule>,
    /// Secret rule sources, compiled by [`secrets::SecretRuleSet`].
    pub secrets: secrets::SecretRuleSet,
    /// Secret rules' metadata, in the secret rule set's order.
    pub secret_metas: Vec<Arc<RuleMeta>>,
    /// Taint rules (`*/taint/*.toml`).
    pub taint: Vec<taint::TaintRule>,
    /// Shared taint sources and sanitizers per language (`*/taint/_*.toml`).
    pub taint_common: [(vigil_core::lang::Family, taint::Common); 2],
    /// True when a code rule comes from outside the built-in set: its queries are then compiled
    /// when the rule set is built, so that a problem fails there rather than being skipped.
    user_code_rules: bool,
    /// SHA-256 of the rule sources that are not built in (part of the cache key).
    user_sources_hash: String,
}

/// The language family whose rules a built-in rule file holds (`rules/python/...`), if any.
fn builtin_family(path: &str) -> Option<vigil_core::lang::Family> {
    let rest = path.strip_prefix("rules/")?;
    if rest.starts_with("python/") {
        Some(vigil_core::lang::Family::Python)
    } else if rest.starts_with("javascript/") {
        Some(vigil_core::lang::Family::JavaScript)
    } else {
        None
    }
}

fn is_secret_file(path: &str) -> bool {
    let p = path.replace('\\', "/");
    p.contains("/secrets/") || p.starts_with("secrets/") || p.starts_with("rules/secrets/")
}

impl Catalog {
    /// Loads and validates rule sources (embedded ones and user folders together): pairs of
    /// (path, text). Secret rule files are those under a `secrets/` folder; the others are code
    /// rules.
    pub fn load<P: AsRef<str>, T: AsRef<str>>(sources: &[(P, T)]) -> Result<Catalog, RuleError> {
        Catalog::load_inner(sources, None, false)
    }

    /// [`Catalog::load`], keeping every secret rule's `tp` and `fp` examples, built-in ones
    /// too (a scan's catalogue has none for the built-in rules), for
    /// [`secrets::SecretRuleSet::check_examples`].
    pub fn load_with_examples<P: AsRef<str>, T: AsRef<str>>(
        sources: &[(P, T)],
    ) -> Result<Catalog, RuleError> {
        Catalog::load_inner(sources, None, true)
    }

    /// [`Catalog::load`], except that the built-in code and taint rules of a language family
    /// not in `families` are skipped unread (`None`: nothing is skipped). For a scan whose
    /// inputs are known before it starts, such as one file from an editor: a Python file needs
    /// none of the JavaScript rules. Secret rules and user rules always load.
    pub fn load_for<P: AsRef<str>, T: AsRef<str>>(
        sources: &[(P, T)],
        families: Option<&[vigil_core::lang::Family]>,
    ) -> Result<Catalog, RuleError> {
        Catalog::load_inner(sources, families, false)
    }

    fn load_inner<P: AsRef<str>, T: AsRef<str>>(
        sources: &[(P, T)],
        families: Option<&[vigil_core::lang::Family]>,
        examples: bool,
    ) -> Result<Catalog, RuleError> {
        let mut code = Vec::new();
        let mut secret_sources = Vec::new();
        let mut taint_rules = Vec::new();
        let mut user_code_rules = false;
        let mut user_sources = Sha256::new();
        let mut taint_common = [
            (vigil_core::lang::Family::Python, taint::Common::default()),
            (
                vigil_core::lang::Family::JavaScript,
                taint::Common::default(),
            ),
        ];
        for (path, text) in sources {
            let (path, text) = (path.as_ref(), text.as_ref());
            let builtin = is_builtin_source(path, text);
            if !builtin {
                user_sources.update(path.as_bytes());
                user_sources.update([0]);
                user_sources.update(text.as_bytes());
                user_sources.update([0]);
            }
            let unwanted = |f| families.is_some_and(|wanted| !wanted.contains(&f));
            if builtin && builtin_family(path).is_some_and(unwanted) {
                continue;
            }
            if taint::spec::is_taint_file(path) {
                if taint::spec::is_common_file(path) {
                    taint::spec::load_common(path, text, &mut taint_common)?;
                } else {
                    taint_rules.push(taint::spec::load_taint_rule(path, text)?);
                }
            } else if is_secret_file(path) {
                secret_sources.push((path, text));
            } else {
                user_code_rules |= !builtin;
                code.push(load_code_rule_with(path, text, !builtin)?);
            }
        }
        let secrets = if examples {
            secrets::SecretRuleSet::load_with_examples(&secret_sources)
        } else {
            secrets::SecretRuleSet::load(&secret_sources)
        };
        let secrets = secrets.map_err(|e| {
            let msg = e.to_string();
            RuleError::new(
                msg.split(':').next().unwrap_or("rules/secrets"),
                msg.clone(),
            )
        })?;
        let secret_metas = secrets
            .rules()
            .iter()
            .map(|r| Arc::new(secret_meta(r)))
            .collect();
        taint::check_common(&taint_common, &taint_rules)?;
        let catalog = Catalog {
            code,
            secrets,
            secret_metas,
            taint: taint_rules,
            taint_common,
            user_code_rules,
            user_sources_hash: vigil_core::finding::hex(&user_sources.finalize()),
        };
        let mut seen = HashSet::new();
        for m in catalog.metas() {
            if !seen.insert(m.id.clone()) {
                return Err(RuleError::new(&m.origin, "duplicate rule id")
                    .rule(&m.id)
                    .field("id"));
            }
        }
        Ok(catalog)
    }

    /// The built-in rules.
    pub fn builtin() -> Result<Catalog, RuleError> {
        Catalog::load(&embedded().collect::<Vec<_>>())
    }

    /// Every rule's metadata, sorted by id.
    pub fn metas(&self) -> Vec<Arc<RuleMeta>> {
        let mut v: Vec<Arc<RuleMeta>> = self
            .code
            .iter()
            .map(|r| Arc::clone(&r.meta))
            .chain(self.taint.iter().map(|r| Arc::clone(&r.meta)))
            .chain(self.secret_metas.iter().cloned())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

fn secret_meta(r: &secrets::SecretRule) -> RuleMeta {
    RuleMeta {
        id: r.id.clone(),
        title: r.title.clone(),
        message: format!("{} found in the code: treat it as leaked", r.title),
        severity: r.severity.parse().unwrap_or(Severity::High),
        confidence: r.confidence.parse().unwrap_or(Confidence::High),
        cwe: r.cwe.clone(),
        owasp: Some("A07:2021-Identification and Authentication Failures".to_owned()),
        description: r.description.clone(),
        fix: r.fix.clone(),
        example_vulnerable: None,
        example_fixed: None,
        references: r.references.clone(),
        tags: vec!["secret".to_owned()],
        language: "any".to_owned(),
        enabled: true,
        origin: r.file.clone(),
    }
}

/// Which rules run: `--select` / `--ignore` entries are rule ids or prefixes (`py-`, `secret-`)
/// or CWE ids (`CWE-78`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// If non-empty, only rules matching one of these (including opt-in rules).
    pub select: Vec<String>,
    /// Rules matching one of these never run.
    pub ignore: Vec<String>,
}

fn selector_matches(sel: &str, meta: &RuleMeta) -> bool {
    if let Some(n) = sel
        .strip_prefix("CWE-")
        .or_else(|| sel.strip_prefix("cwe-"))
        .and_then(|n| n.parse::<u32>().ok())
    {
        return meta.cwe.contains(&n);
    }
    if sel == "ALL" || sel == "all" {
        return true;
    }
    meta.id == sel
        || (sel.ends_with('-') && meta.id.starts_with(sel))
        || meta.id.starts_with(&format!("{sel}-"))
}

impl Selection {
    /// Whether the rule runs.
    pub fn includes(&self, meta: &RuleMeta) -> bool {
        if self.ignore.iter().any(|s| selector_matches(s, meta)) {
            return false;
        }
        if self.select.is_empty() {
            return meta.enabled;
        }
        // An explicit id selects opt-in rules; a prefix selects only enabled ones.
        self.select.iter().any(|s| {
            selector_matches(s, meta) && (meta.enabled || s == &meta.id || s == "ALL" || s == "all")
        })
    }

    /// Selectors that match no rule at all (likely typos).
    pub fn unknown<'a>(&'a self, metas: &[Arc<RuleMeta>]) -> Vec<&'a str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|s| !metas.iter().any(|m| selector_matches(s, m)))
            .map(String::as_str)
            .collect()
    }
}

/// Options of a rule set.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// Use the keyword/trigger prefilters (they change speed only).
    pub prefilter: bool,
    /// Skip lock files and minified assets for secrets.
    pub skip_generated: bool,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            prefilter: true,
            skip_generated: true,
        }
    }
}

/// The consumers of [`RuleSet`]'s shared prefilter gate.
const GATE_CODE: usize = 0;
const GATE_TAINT: usize = 1;
const GATE_SECRETS: usize = 2;

/// The selected rules, compiled: the analyzer the engine runs.
pub struct RuleSet {
    code: code::CodeRules,
    taint: taint::TaintRules,
    secrets: secrets::SecretRuleSet,
    secret_metas: Vec<Arc<RuleMeta>>,
    secret_on: Vec<bool>,
    metas: Vec<Arc<RuleMeta>>,
    options: RuleOptions,
    /// What, besides the built-in rules and the version, the cache key covers.
    cache_basis: String,
    /// Per language family (Python, JavaScript): one prefilter search for the code rules'
    /// triggers, the taint rules' triggers and the secret keywords; built on the family's
    /// first file.
    gates: [std::sync::OnceLock<gate::Gate>; 2],
}

impl RuleSet {
    /// Compiles the rules of `catalog` that `selection` includes.
    pub fn new(
        catalog: Catalog,
        selection: &Selection,
        options: RuleOptions,
    ) -> Result<RuleSet, RuleError> {
        let code_rules: Vec<CodeRule> = catalog
            .code
            .into_iter()
            .filter(|r| selection.includes(&r.meta))
            .collect();
        let secret_on: Vec<bool> = catalog
            .secret_metas
            .iter()
            .map(|m| selection.includes(m))
            .collect();
        let code = code::CodeRules::compile_with(code_rules, catalog.user_code_rules)?;
        let taint_rules: Vec<taint::TaintRule> = catalog
            .taint
            .into_iter()
            .filter(|r| selection.includes(&r.meta))
            .collect();
        let taint = taint::TaintRules::compile(taint_rules, &catalog.taint_common)?;
        let mut metas: Vec<Arc<RuleMeta>> = code
            .metas()
            .cloned()
            .chain(taint.metas().cloned())
            .chain(
                catalog
                    .secret_metas
                    .iter()
                    .zip(&secret_on)
                    .filter(|(_, on)| **on)
                    .map(|(m, _)| Arc::clone(m)),
            )
            .collect();
        metas.sort_by(|a, b| a.id.cmp(&b.id));
        let cache_basis = format!("{}\0{selection:?}\0{options:?}", catalog.user_sources_hash);
        Ok(RuleSet {
            code,
            taint,
            secrets: catalog.secrets,
            secret_metas: catalog.secret_metas,
            secret_on,
            metas,
            options,
            cache_basis,
            gates: Default::default(),
        })
    }

    /// What of every prefilter occurs in `file`: per consumer (code, taint, secrets), per
    /// string; and where the generic secret keywords occur. `None` without prefilter.
    fn gate_scan(&self, file: &SourceFile) -> Option<(gate::Seen, Option<gate::Hits>)> {
        let family = file.language?.family();
        if !self.options.prefilter {
            return None;
        }
        let slot = match family {
            vigil_core::lang::Family::Python => 0,
            vigil_core::lang::Family::JavaScript => 1,
        };
        let gate = self.gates[slot].get_or_init(|| {
            let mut b = gate::GateBuilder::new(3);
            for (i, t) in self.code.triggers(family).iter().enumerate() {
                b.add(GATE_CODE, i, t, gate::Mode::Exact);
            }
            for (i, (t, decorator)) in self.taint.triggers(family).iter().enumerate() {
                let mode = if *decorator {
                    gate::Mode::Decorator
                } else {
                    gate::Mode::Exact
                };
                b.add(GATE_TAINT, i, t, mode);
            }
            if self.secret_on.iter().any(|on| *on) {
                for (i, k) in self.secrets.keywords().iter().enumerate() {
                    b.add(GATE_SECRETS, i, k, gate::Mode::AnyCase);
                }
                for k in self.secrets.generic_keywords() {
                    b.record(k);
                }
            }
            b.build()
        });
        Some(gate.scan_recording(file.text.as_bytes()))
    }

    /// The metadata of every selected rule, sorted by id.
    pub fn metas(&self) -> &[Arc<RuleMeta>] {
        &self.metas
    }

    /// Runs all selected rules over one file, parsing it only if a code rule needs the tree.
    pub fn check_file(
        &self,
        file: &SourceFile,
        parse: &mut dyn FnMut() -> Option<Tree>,
        out: &mut Vec<Finding>,
    ) {
        let start = out.len();
        let scanned = self.gate_scan(file);
        let seen_of = |consumer: usize| scanned.as_ref().map(|(s, _)| &s[consumer][..]);
        let hits = scanned.as_ref().and_then(|(_, h)| h.as_deref());
        // The secret rules first: they need no tree, so they run while a tree parsed ahead on
        // another thread is finished (their findings still come after the code rules').
        let mut secrets = Vec::new();
        self.check_secrets(file, seen_of(GATE_SECRETS), hits, &mut secrets);
        // Code rules and taint rules share one parse, one walk and one model of the file.
        let mut taint_pass =
            |tree: &Tree, model: &code::model::Model<'_>, out: &mut Vec<Finding>| {
                vigil_core::engine::set_current_rule("taint rules");
                self.taint.check_model(file, tree, model, out);
                taint::supersede(out, start);
            };
        // Looked up once: the walk asks about every identifier.
        let wanted = file.language.and_then(|l| self.taint.ref_names(l.family()));
        let taint_names = |name: &str| wanted.is_some_and(|w| w.contains(name));
        let then = self
            .taint
            .wants(file, self.options.prefilter, seen_of(GATE_TAINT))
            .then_some(code::AfterModel {
                ref_names: &taint_names,
                run: &mut taint_pass,
            });
        self.code.check(
            file,
            self.options.prefilter,
            parse,
            out,
            then,
            seen_of(GATE_CODE),
        );
        if secrets.is_empty() {
            return;
        }
        // A secret finding supersedes a code rule's hard-coded-credential finding (CWE-259/798)
        // on the same line: one credential, one finding. (Every secret is redacted from every
        // snippet of the file by the engine, after all rules ran.)
        let secret_lines: Vec<(usize, usize)> = secrets
            .iter()
            .map(|f| (f.span.start_line, f.span.end_line))
            .collect();
        let mut code = out.split_off(start);
        code.retain(|f| {
            !f.rule.cwe.iter().any(|c| *c == 798 || *c == 259)
                || !secret_lines
                    .iter()
                    .any(|(a, b)| f.span.start_line >= *a && f.span.start_line <= *b)
        });
        out.append(&mut code);
        out.append(&mut secrets);
    }

    /// The secret rules' findings in `file` (`seen`: which keywords the shared gate found;
    /// `hits`: where it found the generic ones).
    fn check_secrets(
        &self,
        file: &SourceFile,
        seen: Option<&[bool]>,
        hits: Option<&[(usize, usize)]>,
        out: &mut Vec<Finding>,
    ) {
        if !self.secret_on.iter().any(|x| *x)
            || (self.options.skip_generated && secrets::skipped_by_default(&file.path))
        {
            return;
        }
        let mut matches = Vec::new();
        let opts = secrets::ScanOptions {
            prefilter: self.options.prefilter,
            ..secrets::ScanOptions::default()
        };
        vigil_core::engine::set_current_rule("secret rules");
        self.secrets.scan_seen(
            &file.path,
            file.text.as_bytes(),
            &opts,
            Some(&self.secret_on),
            seen,
            hits,
            &mut matches,
        );
        for m in matches {
            if !self.secret_on.get(m.rule).copied().unwrap_or(false) {
                continue;
            }
            let Some(meta) = self.secret_metas.get(m.rule) else {
                continue;
            };
            let mut f = Finding::new(meta, file, m.start, m.end);
            f.snippet = redact_line(&f.snippet, file.text.get(m.start..m.end).unwrap_or(""));
            f.match_key = m.fingerprint.clone();
            f.message = format!("{} ({})", meta.message, m.redacted);
            if let Ok(c) = m.confidence.parse::<Confidence>() {
                f.confidence = c;
            }
            f.secret = Some(SecretInfo {
                redacted: m.redacted,
                hash: m.fingerprint,
            });
            out.push(f);
        }
    }
}

/// Replaces every occurrence of `secret` in `line` (and, for multi-line secrets, the part of it
/// on this line) with a redaction marker.
pub fn redact_line(line: &str, secret: &str) -> String {
    if secret.is_empty() {
        // Unknown secret text: show nothing of the line rather than risk showing the secret.
        return "[REDACTED]".to_owned();
    }
    let mut out = line.replace(secret, "[REDACTED]");
    // A multi-line secret (a PEM block): redact the part of it on this line.
    if let Some(first) = secret
        .lines()
        .next()
        .filter(|f| !f.is_empty() && f.len() < secret.len())
    {
        out = out.replace(first, "[REDACTED]");
    }
    out
}

impl Analyzer for RuleSet {
    fn analyze(
        &self,
        file: &SourceFile,
        parse: &mut dyn FnMut() -> Option<Tree>,
        cx: &mut FileContext,
    ) {
        self.check_file(file, parse, &mut cx.findings);
    }

    /// vigil's version, every built-in rule file, the user rule files, the selection and the
    /// options: a change to any of them invalidates the cache.
    fn cache_key(&self) -> Option<String> {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update([0]);
        for (path, text, _) in embedded::EMBEDDED {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(text.as_bytes());
            h.update([0]);
        }
        h.update(self.cache_basis.as_bytes());
        Some(vigil_core::finding::hex(&h.finalize()))
    }

    fn rule_meta(&self, id: &str) -> Option<Arc<RuleMeta>> {
        let i = self
            .metas
            .binary_search_by(|m| m.id.as_str().cmp(id))
            .ok()?;
        self.metas.get(i).cloned()
    }
}

/// A small deterministic generator (xorshift) for the randomized tests: `next(n)` is in
/// `0..n`.
#[cfg(test)]
pub(crate) fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_are_found_by_path_and_content() {
        // The lookup binary-searches EMBEDDED: it must be sorted (and have no duplicate path).
        assert!(embedded::EMBEDDED.windows(2).all(|w| w[0].0 < w[1].0));
        for (path, text) in embedded() {
            // Borrowed from the binary (no byte comparison) and copied (compared).
            assert!(is_builtin_source(path, text), "{path}");
            let copy = String::from(text);
            assert!(is_builtin_source(path, copy.as_str()), "{path}");
            assert!(!is_builtin_source(path, &format!("{text}\n")), "{path}");
            assert!(!is_builtin_source(&format!("user/{path}"), text), "{path}");
            // A prefix of a built-in text, borrowed from it, is not that file.
            assert!(!is_builtin_source(path, &text[..text.len() - 1]), "{path}");
        }
    }

    #[test]
    fn builtin_families_come_from_the_rule_folders() {
        use vigil_core::lang::Family;
        let mut seen = [0usize; 3];
        for (path, _) in embedded() {
            let slot = match builtin_family(path) {
                Some(Family::Python) => 0,
                Some(Family::JavaScript) => 1,
                None => 2,
            };
            seen[slot] += 1;
            // Only secret rules belong to no family.
            assert_eq!(slot == 2, is_secret_file(path), "{path}");
        }
        assert!(seen.iter().all(|n| *n > 10), "{seen:?}");
    }

    #[test]
    fn every_builtin_rule_file_has_a_json_form_that_loads() {
        // Otherwise the loader silently falls back to the slower TOML parser.
        for (path, _, json) in embedded::EMBEDDED {
            let Some(json) = json else {
                panic!("{path}: no JSON form");
            };
            let ok = if taint::spec::is_taint_file(path) {
                if taint::spec::is_common_file(path) {
                    serde_json::from_str::<taint::spec::RawCommon>(json).is_ok()
                } else {
                    serde_json::from_str::<taint::spec::RawTaintRule>(json).is_ok()
                }
            } else if is_secret_file(path) {
                secrets::parse_json(json).is_some()
            } else {
                serde_json::from_str::<model::RawCodeRule>(json).is_ok()
            };
            assert!(ok, "{path}: the JSON form does not load");
        }
    }
}
