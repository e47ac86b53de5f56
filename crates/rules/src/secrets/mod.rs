//! Hardcoded-credential detection.
//!
//! Secret rules are data (`rules/secrets/*.toml`, see `docs/rules.md`, "Secret rules"). They are
//! loaded once into an immutable [`SecretRuleSet`]: every rule's regex is compiled once, and one
//! search for all keywords (ASCII case-insensitive; the rule set's shared prefilter gate, or this
//! set's own) decides which rules run on a file at all. Two kinds of rules exist:
//!
//! - **provider rules**: a regex over the file's bytes whose capture group is the secret, plus
//!   optional entropy, structural validator (`github-crc32`, `npm-crc32`, `jwt`, `base64`,
//!   `basic-auth`), allowlist and placeholder filter;
//! - **generic rules** (`generic = true`): the regex applies to the normalised *key*
//!   (`dbPassword` -> `db_password`) of the key/value pairs found around the rule's keywords in
//!   any text format (env, shell, INI, properties, YAML, JSON, TOML, HCL, XML, Dockerfile,
//!   source code); the value is the secret and must pass the false-positive filters
//!   (placeholders, templates, environment references, code, hashes, UUIDs, paths, URLs,
//!   identifiers, prose, weak or low-entropy values). In source files an unquoted value is code
//!   and never reported.
//!
//! When several rules match overlapping bytes, one finding is kept: provider over generic, a
//! rule recognising the token itself over a contextual one (`placeholder-filter`), then higher
//! confidence, the longer secret, the earlier rule.
//!
//! Findings carry the secret's byte range, a redacted form (at most 4 characters of the secret)
//! and a fingerprint (SHA-256 of rule id and secret); the secret itself is never stored.
//!
//! Rule-file fields beyond the documented schema: `generic` (bool), `placeholder-filter` (bool:
//! drop secrets that look like placeholders or references), `allow` (regexes: drop secrets that
//! match one).

mod generic;
mod model;
mod redact;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::gate::{Gate, GateBuilder, Mode};

pub use generic::{is_example_path, is_test_path};
pub use model::{SecretRule, SecretRuleError, CONFIDENCES, DEFAULT_FIX, SEVERITIES};
pub use redact::{fingerprint, redact};
pub use validate::shannon_entropy;

use generic::{Pair, PairFinder};
#[cfg(test)]
pub(crate) use model::parse_json;
use model::Matcher;

/// Options of one scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Run a rule only when one of its keywords occurs in the file (default true). Turning it
    /// off gives the same findings, more slowly.
    pub prefilter: bool,
    /// Run the generic key/value rules (default true).
    pub generic: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            prefilter: true,
            generic: true,
        }
    }
}

/// One secret found in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretMatch {
    /// Byte offset of the secret's first byte.
    pub start: usize,
    /// Byte offset just past the secret.
    pub end: usize,
    /// Index of the rule in [`SecretRuleSet::rules`].
    pub rule: usize,
    /// `abcd…(N chars)`: never more than 4 characters of the secret, none if it is short.
    pub redacted: String,
    /// Hex SHA-256 of the rule id, a NUL byte and the secret.
    pub fingerprint: String,
    /// The rule's confidence, lowered to `low` for generic findings in test, example, sample,
    /// template and documentation paths.
    pub confidence: String,
}

/// Compiled secret rules, shared immutably by all scanning threads.
#[derive(Debug)]
pub struct SecretRuleSet {
    rules: Vec<SecretRule>,
    /// The keyword gate over `keyword_patterns` (ASCII case-insensitive), for callers that do
    /// not pass what the shared gate found; built on first use.
    gate: std::sync::OnceLock<Gate>,
    keyword_patterns: Vec<String>,
    /// For each keyword pattern, the rules it enables.
    keyword_rules: Vec<Vec<usize>>,
    /// The generic rules' keywords (lowercase): where they occur is where key/value pairs are
    /// looked for.
    generic_keywords: Vec<String>,
    pairs: PairFinder,
}

/// Lock files and minified assets: skipped by default, as their content is generated.
pub fn skipped_by_default(path: &str) -> bool {
    const LOCK_FILES: &[&str] = &[
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "cargo.lock",
        "pipfile.lock",
        "composer.lock",
        "go.sum",
        "gemfile.lock",
        "bun.lockb",
        "uv.lock",
        "pdm.lock",
        "packages.lock.json",
        "flake.lock",
        "mix.lock",
        "podfile.lock",
        "pubspec.lock",
        "gradle.lockfile",
    ];
    let normalized = path.replace('\\', "/");
    let name = normalized
        .rsplit('/')
        .next()
        .unwrap_or(&normalized)
        .to_ascii_lowercase();
    LOCK_FILES.contains(&name.as_str())
        || name.ends_with(".min.js")
        || name.ends_with(".min.css")
        || name.ends_with(".min.mjs")
        || name.ends_with(".map")
}

/// Documentation example values that are never reported (AWS's published examples).
fn is_documentation_example(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret);
    s.ends_with("EXAMPLE") || s.contains("EXAMPLEKEY") || s.contains("EXAMPLETOKEN")
}

fn confidence_rank(c: &str) -> u8 {
    match c {
        "high" => 3,
        "medium" => 2,
        _ => 1,
    }
}

impl SecretRuleSet {
    /// Load and compile rules from `(file label, TOML text)` pairs. Every field is validated;
    /// the first problem is returned, naming the file label, the rule id and the field. The
    /// built-in rules come without their `tp` and `fp` examples (empty): scanning needs none;
    /// [`SecretRuleSet::load_with_examples`] keeps them.
    pub fn load<P: AsRef<str>, T: AsRef<str>>(sources: &[(P, T)]) -> Result<Self, SecretRuleError> {
        Self::load_inner(sources, false)
    }

    /// [`SecretRuleSet::load`], with every rule's examples, built-in ones too (for
    /// [`SecretRuleSet::check_examples`] and tests).
    pub fn load_with_examples<P: AsRef<str>, T: AsRef<str>>(
        sources: &[(P, T)],
    ) -> Result<Self, SecretRuleError> {
        Self::load_inner(sources, true)
    }

    fn load_inner<P: AsRef<str>, T: AsRef<str>>(
        sources: &[(P, T)],
        examples: bool,
    ) -> Result<Self, SecretRuleError> {
        let mut rules: Vec<SecretRule> = Vec::with_capacity(256);
        // Rule id -> index in `rules` (sized for the built-in catalogue: no rehashing).
        let mut seen: FxHashMap<String, usize> = FxHashMap::default();
        seen.reserve(256);
        for (file, text) in sources {
            let (file, text) = (file.as_ref(), text.as_ref());
            // Built-in rule files are validated by the test suite: their regexes compile lazily.
            let eager = !crate::is_builtin_source(file, text);
            let (raws, with_examples) = model::parse_file(file, text, examples)?;
            for raw in raws {
                if let Some(&first) = seen.get(&raw.id) {
                    return Err(SecretRuleError::DuplicateId {
                        file: file.to_owned(),
                        rule: raw.id.clone(),
                        first: rules.get(first).map(|r| r.file.clone()).unwrap_or_default(),
                    });
                }
                seen.insert(raw.id.clone(), rules.len());
                rules.push(model::compile_rule(file, raw, eager, with_examples)?);
            }
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        index.reserve(512);
        for (i, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let key = keyword.to_ascii_lowercase();
                let slot = *index.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    keyword_rules.push(Vec::new());
                    keyword_rules.len() - 1
                });
                if !keyword_rules[slot].contains(&i) {
                    keyword_rules[slot].push(i);
                }
            }
        }
        let generic_keywords: Vec<String> = {
            let mut k: Vec<String> = rules
                .iter()
                .filter(|r| r.generic)
                .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
                .collect();
            k.sort();
            k.dedup();
            k
        };
        let pairs = PairFinder::new(&generic_keywords).map_err(|e| SecretRuleError::Keywords {
            file: "*".to_string(),
            rule: "secret-generic-*".to_string(),
            message: e.to_string(),
        })?;
        Ok(Self {
            rules,
            gate: std::sync::OnceLock::new(),
            keyword_patterns: patterns,
            keyword_rules,
            generic_keywords,
            pairs,
        })
    }

    /// The rules, in load order (file order, then order within the file).
    pub fn rules(&self) -> &[SecretRule] {
        &self.rules
    }

    /// The rules' keywords (lowercase, matched ASCII case-insensitively), indexed like the
    /// `seen` argument of [`SecretRuleSet::scan_seen`].
    pub(crate) fn keywords(&self) -> &[String] {
        &self.keyword_patterns
    }

    /// The generic rules' keywords (lowercase, matched ASCII case-insensitively): a gate that
    /// records where they occur (`GateBuilder::record`) passes that as the `hits` argument of
    /// [`SecretRuleSet::scan_seen`], sparing the key/value search its own pass.
    pub(crate) fn generic_keywords(&self) -> &[String] {
        &self.generic_keywords
    }

    /// Which rules may match `bytes`: those with a keyword in it, or all without prefilter.
    /// `seen`: per keyword, whether it occurs (from a caller's shared gate); without it the
    /// set's own gate searches `bytes`, and also says where the generic keywords occur.
    fn candidates(
        &self,
        bytes: &[u8],
        prefilter: bool,
        seen: Option<&[bool]>,
    ) -> (Vec<bool>, Option<crate::gate::Hits>) {
        if !prefilter {
            return (vec![true; self.rules.len()], None);
        }
        let (seen, hits) = match seen {
            Some(seen) => (std::borrow::Cow::Borrowed(seen), None),
            None => {
                let gate = self
                    .gate
                    .get_or_init(|| keyword_gate(&self.keyword_patterns, &self.generic_keywords));
                let (mut seen, hits) = gate.scan_recording(bytes);
                (std::borrow::Cow::Owned(seen.swap_remove(0)), hits)
            }
        };
        let mut enabled = vec![false; self.rules.len()];
        for (p, rules) in self.keyword_rules.iter().enumerate() {
            if seen.get(p).copied().unwrap_or(true) {
                for &r in rules {
                    enabled[r] = true;
                }
            }
        }
        (enabled, hits)
    }

    /// Scan `bytes` (the content of the file at relative `path`) and append the secrets found
    /// to `out`, sorted by start offset and de-duplicated. The caller decides whether to skip
    /// files for which [`skipped_by_default`] is true.
    pub fn scan(&self, path: &str, bytes: &[u8], opts: &ScanOptions, out: &mut Vec<SecretMatch>) {
        self.scan_selected(path, bytes, opts, None, out);
    }

    /// Like [`SecretRuleSet::scan`], running only the rules whose entry in `selected` (indexed
    /// like [`SecretRuleSet::rules`]) is true; `None` runs all. De-duplication then happens among
    /// the selected rules only, so deselecting a rule never hides another rule's finding.
    pub fn scan_selected(
        &self,
        path: &str,
        bytes: &[u8],
        opts: &ScanOptions,
        selected: Option<&[bool]>,
        out: &mut Vec<SecretMatch>,
    ) {
        self.scan_seen(path, bytes, opts, selected, None, None, out);
    }

    /// Like [`SecretRuleSet::scan_selected`]; `seen` tells which of
    /// [`SecretRuleSet::keywords`] occur in `bytes`, when the caller already searched for them,
    /// and `hits` where [`SecretRuleSet::generic_keywords`] occur (every occurrence, sorted),
    /// when it recorded them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn scan_seen(
        &self,
        path: &str,
        bytes: &[u8],
        opts: &ScanOptions,
        selected: Option<&[bool]>,
        seen: Option<&[bool]>,
        hits: Option<&[(usize, usize)]>,
        out: &mut Vec<SecretMatch>,
    ) {
        let (mut enabled, own_hits) = self.candidates(bytes, opts.prefilter, seen);
        let hits = hits.or(own_hits.as_deref());
        if let Some(selected) = selected {
            for (i, on) in enabled.iter_mut().enumerate() {
                *on = *on && selected.get(i).copied().unwrap_or(false);
            }
        }
        let mut found: Vec<SecretMatch> = Vec::new();
        let test_path = is_test_path(path) || is_example_path(path);
        let mut any_generic = false;
        for (i, rule) in self.rules.iter().enumerate() {
            if !enabled[i] {
                continue;
            }
            match &rule.matcher {
                Matcher::Generic { .. } => any_generic = true,
                Matcher::Pattern { regex, group } => {
                    let Some(regex) = regex.get() else { continue };
                    let group = group.unwrap_or(usize::from(regex.captures_len() > 1));
                    for caps in regex.captures_iter(bytes) {
                        let Some(m) = caps.get(group) else { continue };
                        // Byte-mode regexes can stop inside a multi-byte character.
                        if !char_boundary(bytes, m.start()) || !char_boundary(bytes, m.end()) {
                            continue;
                        }
                        let secret = m.as_bytes();
                        if self.accept(rule, secret) {
                            found.push(self.make_match(i, m.start(), m.end(), secret, test_path));
                        }
                    }
                }
            }
        }
        if opts.generic && any_generic {
            self.scan_generic(path, bytes, hits, &enabled, test_path, &mut found);
        }
        dedupe(&self.rules, &mut found);
        out.extend(found);
    }

    fn accept(&self, rule: &SecretRule, secret: &[u8]) -> bool {
        if secret.is_empty() || is_documentation_example(secret) {
            return false;
        }
        if let Some(min) = rule.entropy {
            if shannon_entropy(secret) < min {
                return false;
            }
        }
        if let Some(v) = rule.validator_kind {
            if !v.check(secret) {
                return false;
            }
        }
        if rule.placeholder_filter
            && (generic::is_placeholder(secret) || generic::is_identifier_like(secret))
        {
            return false;
        }
        !rule.allow.iter().any(|a| a.is_match(secret))
    }

    fn make_match(
        &self,
        rule: usize,
        start: usize,
        end: usize,
        secret: &[u8],
        test_path: bool,
    ) -> SecretMatch {
        let r = &self.rules[rule];
        let confidence = if r.generic && test_path {
            "low".to_string()
        } else {
            r.confidence.clone()
        };
        SecretMatch {
            start,
            end,
            rule,
            redacted: redact(secret),
            fingerprint: fingerprint(&r.id, secret),
            confidence,
        }
    }

    fn scan_generic(
        &self,
        path: &str,
        bytes: &[u8],
        hits: Option<&[(usize, usize)]>,
        enabled: &[bool],
        test_path: bool,
        found: &mut Vec<SecretMatch>,
    ) {
        let source = generic::is_source_file(path);
        let mut pairs: Vec<Pair> = Vec::new();
        self.pairs.pairs(bytes, hits, &mut pairs);
        for pair in pairs {
            if source && !pair.quoted {
                continue;
            }
            if generic::key_is_metadata(&pair.key) {
                continue;
            }
            let Some(i) = self.rules.iter().enumerate().position(|(i, r)| {
                enabled[i] && matches!(&r.matcher, Matcher::Generic { key } if key.is_match(pair.key.as_bytes()))
            }) else {
                continue;
            };
            let rule = &self.rules[i];
            let raw = &bytes[pair.value.clone()];
            // trim surrounding whitespace inside quotes
            let lead = raw.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let trail = raw[lead..]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let start = pair.value.start + lead;
            let end = pair.value.end - trail;
            let secret = &bytes[start..end];
            if generic::noise_reason(secret).is_some() || !self.accept(rule, secret) {
                continue;
            }
            found.push(self.make_match(i, start, end, secret, test_path));
        }
    }

    /// Run every rule's inline examples: each `tp` must be found by its rule and no `fp` may
    /// be. Returns one human-readable line per failure (empty when all pass).
    pub fn check_examples(&self) -> Vec<String> {
        let opts = ScanOptions::default();
        let mut failures = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            for (n, tp) in rule.tp.iter().enumerate() {
                let mut out = Vec::new();
                self.scan("example", tp.as_bytes(), &opts, &mut out);
                if !out.iter().any(|m| m.rule == i) {
                    let others: Vec<&str> =
                        out.iter().map(|m| self.rules[m.rule].id.as_str()).collect();
                    let lower = tp.to_ascii_lowercase();
                    let keyword_missing = !rule
                        .keywords
                        .iter()
                        .any(|k| lower.contains(&k.to_ascii_lowercase()));
                    failures.push(format!(
                        "{}: rule {}: tp[{n}] is not found by the rule{}{}",
                        rule.file,
                        rule.id,
                        if keyword_missing {
                            " (it contains none of the rule's keywords, so the prefilter skips it)"
                        } else {
                            ""
                        },
                        if others.is_empty() {
                            String::new()
                        } else {
                            format!(" (found by: {})", others.join(", "))
                        }
                    ));
                }
            }
            for (n, fp) in rule.fp.iter().enumerate() {
                let mut out = Vec::new();
                self.scan("example", fp.as_bytes(), &opts, &mut out);
                if let Some(m) = out.iter().find(|m| m.rule == i) {
                    failures.push(format!(
                        "{}: rule {}: fp[{n}] is found by the rule ({})",
                        rule.file, rule.id, m.redacted
                    ));
                }
            }
        }
        failures
    }
}

/// Keep one finding per overlapping byte range: a provider rule beats a generic one, a rule
/// that recognises the token itself beats one that relies on context (`placeholder-filter`), then
/// higher confidence, then the longer secret, then the earlier rule. The result is sorted by
/// start offset.
fn dedupe(rules: &[SecretRule], found: &mut Vec<SecretMatch>) {
    if found.len() < 2 {
        found.sort();
        return;
    }
    found.sort_by(|a, b| {
        let ra = &rules[a.rule];
        let rb = &rules[b.rule];
        ra.generic
            .cmp(&rb.generic)
            .then(ra.placeholder_filter.cmp(&rb.placeholder_filter))
            .then(confidence_rank(&rb.confidence).cmp(&confidence_rank(&ra.confidence)))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.rule.cmp(&b.rule))
            .then(a.start.cmp(&b.start))
    });
    // accepted ranges keyed by start; ranges are disjoint
    let mut accepted: BTreeMap<usize, usize> = BTreeMap::new();
    let mut keep: Vec<SecretMatch> = Vec::with_capacity(found.len());
    for m in found.drain(..) {
        let overlaps_before = accepted
            .range(..=m.start)
            .next_back()
            .is_some_and(|(_, &end)| end > m.start);
        let overlaps_after = accepted
            .range(m.start..)
            .next()
            .is_some_and(|(&start, _)| start < m.end);
        if overlaps_before || overlaps_after {
            continue;
        }
        accepted.insert(m.start, m.end);
        keep.push(m);
    }
    keep.sort();
    *found = keep;
}

/// The keyword gate: every rule keyword, ASCII case-insensitive.
fn keyword_gate(patterns: &[String], record: &[String]) -> Gate {
    let mut gate = GateBuilder::new(1);
    for (i, p) in patterns.iter().enumerate() {
        gate.add(0, i, p, Mode::AnyCase);
    }
    for k in record {
        gate.record(k);
    }
    gate.build()
}

/// True when `i` is not inside a UTF-8 multi-byte sequence of `bytes`.
fn char_boundary(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_none_or(|b| (b & 0xC0) != 0x80)
}
