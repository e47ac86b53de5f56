//! Taint tracking: user input flowing into dangerous sinks, within one file.
//!
//! Taint rules are data ([`spec`]): sources, sinks, sanitizers and safe calls, by qualified name.
//! The engine ([`engine`]) runs an intraprocedural, flow-sensitive dataflow over each function
//! (and the module's top level) of a file: statements in order, branches joined, loops iterated
//! to a bounded fixpoint, with same-file function summaries (parameter to return value, parameter
//! to sink) computed on demand. A finding sits at the sink and carries every step from the source
//! in [`Finding::flow`].
//!
//! The pass only runs on files whose text may hold both a source and a sink: one Aho-Corasick
//! pass finds which name segments occur, and a source (or sink) counts only when every segment
//! of one of its names does (`flask`, `request` and `args` for `flask.request.args`; a resolved
//! name's segments are all written in the file, in the code or in its imports). A parameter
//! source needs `request.` (or `request?.`) and one of its attributes; a route decorator needs
//! its method (`get`) on a line that starts with `@`.

mod engine;
pub mod spec;

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet;
use std::sync::Arc;

use tree_sitter::Tree;
use vigil_core::lang::Family;
use vigil_core::{Finding, FlowStep, RuleMeta, SourceFile, Span};

use crate::code::model::Model;
use crate::error::RuleError;
use crate::gate::{Gate, GateBuilder, Mode};
pub use spec::{Common, Sink, Source, TaintRule};

/// Names matched exactly, by prefix (`os.exec*`), by method (`*.execute`) or by a `*` pattern
/// (`*.db.*.find`, `*logger.info`: `*` stands for any text, dots included).
/// Prefix and `*` patterns are filed by their first byte (or, for a `*` pattern that starts
/// with `*`, by its last), so a name is compared only with those that can match it.
#[derive(Debug, Default)]
pub(crate) struct NameSet<T> {
    exact: HashMap<String, Vec<T>>,
    prefix: FirstByte<(String, T)>,
    method: HashMap<String, Vec<T>>,
    globs: FirstByte<(Vec<String>, T)>,
    /// `*` patterns that start with `*`, by their last byte (slot 256: they end with `*` too).
    globs_by_last: FirstByte<(Vec<String>, T)>,
}

/// Values filed by a first byte, or under "any" (slot 256).
#[derive(Debug)]
struct FirstByte<V>(Vec<Vec<V>>);

impl<V> Default for FirstByte<V> {
    fn default() -> Self {
        FirstByte(Vec::new())
    }
}

impl<V> FirstByte<V> {
    fn push(&mut self, first: Option<u8>, v: V) {
        if self.0.is_empty() {
            self.0.resize_with(257, Vec::new);
        }
        self.0[first.map_or(256, usize::from)].push(v);
    }

    /// What may match a name starting with `first`.
    fn candidates(&self, first: Option<u8>) -> impl Iterator<Item = &V> {
        let here = first.and_then(|b| self.0.get(usize::from(b)));
        here.into_iter().chain(self.0.get(256)).flatten()
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
}

/// True when `name` matches `parts` (a pattern split at its `*`s).
fn glob_match(parts: &[String], name: &str) -> bool {
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return name == first;
    }
    if !name.starts_with(first.as_str()) || name.len() < first.len() + last.len() {
        return false;
    }
    if !name.ends_with(last.as_str()) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p.as_str()) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

impl<T: Copy> NameSet<T> {
    fn add(&mut self, name: &str, v: T) {
        let method = name.strip_prefix("*.").filter(|m| !m.contains(['*', '.']));
        if let Some(m) = method {
            self.method.entry(m.to_owned()).or_default().push(v);
        } else if let Some(p) = name.strip_suffix('*').filter(|p| !p.contains('*')) {
            self.prefix.push(p.bytes().next(), (p.to_owned(), v));
        } else if name.contains('*') {
            let parts = name.split('*').map(str::to_owned).collect();
            match name.bytes().next().filter(|b| *b != b'*') {
                Some(first) => self.globs.push(Some(first), (parts, v)),
                None => self
                    .globs_by_last
                    .push(name.bytes().last().filter(|b| *b != b'*'), (parts, v)),
            }
        } else {
            self.exact.entry(name.to_owned()).or_default().push(v);
        }
    }

    /// Values whose pattern matches one of `names` or the method name.
    pub(crate) fn find(&self, names: &[String], method: Option<&str>, out: &mut Vec<T>) {
        for n in names {
            if let Some(v) = self.exact.get(n) {
                out.extend(v.iter().copied());
            }
            let first = n.bytes().next();
            for (p, v) in self.prefix.candidates(first) {
                if n.starts_with(p.as_str()) {
                    out.push(*v);
                }
            }
            let last = n.bytes().last();
            let globs = self.globs.candidates(first);
            for (p, v) in globs.chain(self.globs_by_last.candidates(last)) {
                if glob_match(p, n) {
                    out.push(*v);
                }
            }
        }
        if let Some(v) = method.and_then(|m| self.method.get(m)) {
            out.extend(v.iter().copied());
        }
    }

    /// True when every name is exact (no prefix, method or `*` patterns): a name is then
    /// found only if it is one of them, so its last segment is one of theirs.
    pub(crate) fn is_exact_only(&self) -> bool {
        self.prefix.is_empty()
            && self.method.is_empty()
            && self.globs.is_empty()
            && self.globs_by_last.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.prefix.is_empty()
            && self.method.is_empty()
            && self.globs.is_empty()
            && self.globs_by_last.is_empty()
    }
}

/// The last dotted segment of a name pattern that text must contain (`execute` of
/// `*.execute`, `session` of `req.session.*`, `HttpResponse` of `django.http.HttpResponse*()`).
fn last_segment(name: &str) -> &str {
    name.rsplit('.')
        .map(|s| s.trim_matches(|c| matches!(c, '*' | '(' | ')' | '[' | ']')))
        .find(|s| !s.is_empty() && !s.contains(['*', '(', ')', '[', ']']))
        .unwrap_or("")
}

/// The compiled taint rules of one language family.
pub(crate) struct FamilyTaint {
    pub(crate) rules: Arc<[TaintRule]>,
    pub(crate) sources: Vec<Source>,
    /// Source names -> source index.
    pub(crate) source_names: NameSet<usize>,
    /// Last segments of the source names (a reference is only resolved if it ends so).
    pub(crate) source_last: FxHashSet<String>,
    /// `source_last` and the attributes of parameter sources (`request.GET`): the references
    /// the model records for the pass ([`Model::taint_refs`]).
    pub(crate) ref_last: crate::names::NameSet,
    /// Call sinks -> (rule, sink).
    pub(crate) call_sinks: NameSet<(usize, usize)>,
    /// Assignment sinks -> (rule, sink).
    pub(crate) assign_sinks: NameSet<(usize, usize)>,
    /// Item assignment sinks (`resp.headers[k] = v`) -> (rule, sink).
    pub(crate) item_sinks: NameSet<(usize, usize)>,
    /// `if` guards -> bit mask of the rules they validate for (all bits: every rule).
    pub(crate) guards: NameSet<u64>,
    /// Sanitizers -> bit mask of the rules they clean (all bits: every rule).
    pub(crate) sanitizers: NameSet<u64>,
    /// Calls whose result is never tainted.
    pub(crate) safe_calls: NameSet<()>,
    /// The prefilter over `triggers` (built on first use), used when the caller does not pass
    /// what it found.
    gate: std::sync::OnceLock<Gate>,
    /// The prefilter triggers: (text, only counts on a line that starts with `@`).
    triggers: Vec<(String, bool)>,
    /// What a file must contain for a source (true) or a sink (false): every group needs one
    /// of its triggers.
    needs: Vec<(bool, Vec<Vec<usize>>)>,
}

/// The literal parts of a name pattern that text holding the name must contain: its dotted
/// segments, split at `*`, without call or index marks (`pino*().info`: `pino`, `info`).
pub(crate) fn literal_segments(name: &str) -> Vec<&str> {
    name.split(['.', '*'])
        .map(|s| s.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']')))
        .filter(|s| !s.is_empty() && !s.contains(['(', ')', '[', ']']))
        .collect()
}

/// Collects prefilter triggers: (text, decorator-only) -> index.
#[derive(Default)]
struct Triggers {
    list: Vec<(String, bool)>,
    /// Where each trigger is in `list` (a family has hundreds: a linear search for each of
    /// its names was a third of compiling Python's taint rules).
    index: HashMap<(String, bool), usize>,
}

impl Triggers {
    fn id(&mut self, text: &str, decorator: bool) -> usize {
        let next = self.list.len();
        let i = *self
            .index
            .entry((text.to_owned(), decorator))
            .or_insert(next);
        if i == next {
            self.list.push((text.to_owned(), decorator));
        }
        i
    }

    /// Every literal segment of `name`, each a group of its own.
    fn name(&mut self, name: &str) -> Vec<Vec<usize>> {
        literal_segments(name)
            .into_iter()
            .map(|s| vec![self.id(s, false)])
            .collect()
    }
}

impl FamilyTaint {
    fn compile(
        family: Family,
        rules: Arc<[TaintRule]>,
        common: &Common,
    ) -> Result<Self, RuleError> {
        if rules.len() > 64 {
            return Err(RuleError::new(
                "<taint rules>",
                format!("at most 64 {} taint rules are supported", family.name()),
            ));
        }
        let mut ft = FamilyTaint {
            rules: Arc::clone(&rules),
            sources: common.sources.clone(),
            source_names: NameSet::default(),
            source_last: FxHashSet::default(),
            ref_last: crate::names::NameSet::default(),
            call_sinks: NameSet::default(),
            assign_sinks: NameSet::default(),
            item_sinks: NameSet::default(),
            guards: NameSet::default(),
            sanitizers: NameSet::default(),
            safe_calls: NameSet::default(),
            gate: std::sync::OnceLock::new(),
            triggers: Vec::new(),
            needs: Vec::new(),
        };
        let mut tr = Triggers::default();
        let mut needs: Vec<(bool, Vec<Vec<usize>>)> = Vec::new();
        for (i, src) in common.sources.iter().enumerate() {
            for n in &src.names {
                ft.source_names.add(n, i);
                ft.source_last.insert(last_segment(n).to_owned());
                ft.ref_last.insert(last_segment(n).to_owned());
                needs.push((true, tr.name(n)));
            }
            if !src.params.is_empty() {
                let mut params = Vec::new();
                for p in &src.params {
                    let last = last_segment(p);
                    params.push(tr.id(&format!("{last}."), false));
                    params.push(tr.id(&format!("{last}?."), false));
                }
                ft.ref_last.extend(src.attributes.iter().cloned());
                let attrs = src.attributes.iter().map(|a| tr.id(a, false)).collect();
                needs.push((true, vec![params, attrs]));
            }
            if !src.route_decorators.is_empty() {
                let group = src
                    .route_decorators
                    .iter()
                    .map(|d| tr.id(last_segment(d), true))
                    .collect();
                needs.push((true, vec![group]));
            }
        }
        for n in &common.sanitizers {
            ft.sanitizers.add(n, u64::MAX);
        }
        for n in &common.safe_calls {
            ft.safe_calls.add(n, ());
        }
        for n in &common.guards {
            ft.guards.add(n, u64::MAX);
        }
        for (ri, r) in rules.iter().enumerate() {
            for n in &r.sanitizers {
                ft.sanitizers.add(n, 1u64 << ri);
            }
            for n in &r.guards {
                ft.guards.add(n, 1u64 << ri);
            }
            for (si, s) in r.sinks.iter().enumerate() {
                for n in &s.calls {
                    ft.call_sinks.add(n, (ri, si));
                    needs.push((false, tr.name(n)));
                }
                for n in &s.assign {
                    ft.assign_sinks.add(n, (ri, si));
                    needs.push((false, tr.name(n)));
                }
                for n in &s.items {
                    ft.item_sinks.add(n, (ri, si));
                    needs.push((false, tr.name(n)));
                }
            }
        }
        needs.retain(|(_, groups)| !groups.is_empty());
        needs.sort();
        needs.dedup();
        ft.triggers = tr.list;
        ft.needs = needs;
        Ok(ft)
    }

    /// True when the file may hold a flow: what some source needs and what some sink needs
    /// both occur. `seen`: per trigger, whether it occurs (from a caller's shared gate);
    /// without it the family's own gate searches `text`.
    fn may_flow(&self, text: &str, seen: Option<&[bool]>) -> bool {
        if self.triggers.is_empty() {
            return false;
        }
        let gate = || {
            self.gate.get_or_init(|| {
                let mut gate = GateBuilder::new(1);
                for (i, (t, decorator)) in self.triggers.iter().enumerate() {
                    let mode = if *decorator {
                        Mode::Decorator
                    } else {
                        Mode::Exact
                    };
                    gate.add(0, i, t, mode);
                }
                gate.build()
            })
        };
        let own;
        let seen = match seen {
            Some(seen) => seen,
            None => {
                own = gate().scan(text.as_bytes()).swap_remove(0);
                &own[..]
            }
        };
        let met = |source: bool| {
            self.needs.iter().any(|(s, groups)| {
                *s == source
                    && groups
                        .iter()
                        .all(|g| g.iter().any(|&t| seen.get(t).copied().unwrap_or(false)))
            })
        };
        met(true) && met(false)
    }
}

/// Every selected taint rule; a language family's rules compile (name sets, prefilter) on its
/// first file, so a run over Python files never builds the JavaScript ones.
pub struct TaintRules {
    families: Vec<LazyFamily>,
}

struct LazyFamily {
    family: Family,
    rules: Arc<[TaintRule]>,
    common: Common,
    compiled: std::sync::OnceLock<Option<FamilyTaint>>,
}

impl LazyFamily {
    fn get(&self) -> Option<&FamilyTaint> {
        self.compiled
            .get_or_init(|| {
                FamilyTaint::compile(self.family, Arc::clone(&self.rules), &self.common).ok()
            })
            .as_ref()
    }
}

impl TaintRules {
    /// Compiles the selected rules with their language's shared sources and sanitizers.
    pub fn compile(rules: Vec<TaintRule>, commons: &[(Family, Common)]) -> Result<Self, RuleError> {
        let mut families = Vec::new();
        let (python, javascript): (Vec<TaintRule>, Vec<TaintRule>) =
            rules.into_iter().partition(|r| r.family == Family::Python);
        for (fam, rs) in [(Family::Python, python), (Family::JavaScript, javascript)] {
            if rs.is_empty() {
                continue;
            }
            let empty = Common::default();
            let common = commons
                .iter()
                .find(|(f, _)| *f == fam)
                .map_or(&empty, |(_, c)| c);
            if rs.len() > 64 {
                return Err(RuleError::new(
                    "<taint rules>",
                    format!("at most 64 {} taint rules are supported", fam.name()),
                ));
            }
            families.push(LazyFamily {
                family: fam,
                rules: rs.into(),
                common: common.clone(),
                compiled: std::sync::OnceLock::new(),
            });
        }
        Ok(TaintRules { families })
    }

    /// Every rule's metadata.
    pub fn metas(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.families
            .iter()
            .flat_map(|f| f.rules.iter().map(|r| &r.meta))
    }

    /// True when `file` should be parsed for taint analysis. `seen`: which of
    /// [`TaintRules::triggers`] occur in the file, when the caller already searched for them.
    pub fn wants(&self, file: &SourceFile, prefilter: bool, seen: Option<&[bool]>) -> bool {
        let Some(lang) = file.language else {
            return false;
        };
        self.families
            .iter()
            .find(|f| f.family == lang.family())
            .and_then(LazyFamily::get)
            .is_some_and(|f| !prefilter || f.may_flow(&file.text, seen))
    }

    /// The last segments of the references the taint pass of `family` wants in
    /// [`Model::taint_refs`] (a source may end so); `None` when it has no rules.
    pub(crate) fn ref_names(&self, family: Family) -> Option<&crate::names::NameSet> {
        self.families
            .iter()
            .find(|f| f.family == family)
            .and_then(LazyFamily::get)
            .map(|f| &f.ref_last)
    }

    /// The prefilter triggers of `family`'s rules: (text, counts only on a decorator line),
    /// indexed like the `seen` argument of [`TaintRules::wants`]. Compiles the family.
    pub(crate) fn triggers(&self, family: Family) -> &[(String, bool)] {
        self.families
            .iter()
            .find(|f| f.family == family)
            .and_then(LazyFamily::get)
            .map_or(&[], |f| &f.triggers[..])
    }

    /// Analyzes one parsed file; findings go to `out`.
    pub fn check(&self, file: &SourceFile, tree: &Tree, out: &mut Vec<Finding>) {
        let Some(lang) = file.language else { return };
        let wanted = self.ref_names(lang.family());
        let names = |name: &str| {
            if wanted.is_some_and(|w| w.contains(name)) {
                crate::code::model::REF_TAINT
            } else {
                0
            }
        };
        let model = Model::build(tree, &file.text, lang.family(), &names, None);
        self.check_model(file, tree, &model, out);
    }

    /// Like [`TaintRules::check`], on a semantic model already built for the file (the code
    /// rules' model: one walk and one model per file for all rules).
    pub fn check_model(
        &self,
        file: &SourceFile,
        tree: &Tree,
        model: &Model<'_>,
        out: &mut Vec<Finding>,
    ) {
        let Some(lang) = file.language else { return };
        let Some(ft) = self
            .families
            .iter()
            .find(|f| f.family == lang.family())
            .and_then(LazyFamily::get)
        else {
            return;
        };
        let hits = engine::analyze(model, ft, tree);
        for h in hits {
            let Some(rule) = ft.rules.get(h.rule) else {
                continue;
            };
            let mut f = Finding::new(&rule.meta, file, h.start, h.end);
            let steps = h.trace.steps();
            if let Some(first) = steps.first() {
                let line = Span::from_bytes(file, first.0, first.1).start_line;
                let label = first.2.strip_prefix("source: ").unwrap_or(&first.2);
                f.message = format!("{} (user input: {label}, line {line})", rule.meta.message);
            }
            if let Some(c) = h.trace.confidence {
                f.confidence = f.confidence.min(c);
            }
            f.flow = steps
                .into_iter()
                .map(|(s, e, msg)| FlowStep {
                    span: Span::from_bytes(file, s, e),
                    message: msg,
                })
                .collect();
            out.push(f);
        }
    }
}

/// Drops pattern findings that a taint finding supersedes: same file, inside the taint finding's
/// sink, sharing a CWE. `start` is where this file's findings begin in `out`.
pub fn supersede(out: &mut Vec<Finding>, start: usize) {
    let taint: Vec<(usize, usize, Vec<u32>)> = out[start..]
        .iter()
        .filter(|f| !f.flow.is_empty() && f.rule.tags.iter().any(|t| t == "taint"))
        .map(|f| (f.span.start_byte, f.span.end_byte, f.rule.cwe.clone()))
        .collect();
    if taint.is_empty() {
        return;
    }
    let mut k = start;
    while k < out.len() {
        let f = &out[k];
        let is_taint = f.rule.tags.iter().any(|t| t == "taint");
        let superseded = !is_taint
            && f.secret.is_none()
            && taint.iter().any(|(s, e, cwe)| {
                f.span.start_byte >= *s
                    && f.span.end_byte <= *e
                    && f.rule.cwe.iter().any(|c| cwe.contains(c))
            });
        if superseded {
            out.remove(k);
        } else {
            k += 1;
        }
    }
}

/// Validates the taint side of a rule catalog: no empty sink or source lists.
pub fn check_common(commons: &[(Family, Common)], rules: &[TaintRule]) -> Result<(), RuleError> {
    for r in rules {
        let has_sources = commons
            .iter()
            .any(|(f, c)| *f == r.family && !c.sources.is_empty());
        if !has_sources {
            return Err(RuleError::new(
                &r.meta.origin,
                "no taint sources for this language: add a shared `_sources.toml` beside the rule",
            )
            .rule(&r.meta.id));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_set_finds_exact_prefix_method_and_star_patterns() {
        let mut set = NameSet::default();
        for (i, p) in [
            "os.system",
            "os.exec*",
            "*.execute",
            "*.db.*.find",
            "*logger.info",
            "sub*.run",
            "*.cursor().*",
            "*",
        ]
        .iter()
        .enumerate()
        {
            set.add(p, i);
        }
        let find = |names: &[&str], method: Option<&str>| {
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            let mut out = Vec::new();
            set.find(&names, method, &mut out);
            out.sort_unstable();
            out
        };
        assert_eq!(find(&["os.system"], None), vec![0, 7]);
        assert_eq!(find(&["os.execvp"], None), vec![1, 7]);
        assert_eq!(find(&["cur.execute"], Some("execute")), vec![2, 7]);
        assert_eq!(find(&["app.db.users.find"], None), vec![3, 7]);
        assert_eq!(find(&["mylogger.info", "x"], None), vec![4, 7, 7]);
        assert_eq!(find(&["subprocess.run"], None), vec![5, 7]);
        assert_eq!(find(&["db.cursor().execute"], None), vec![6, 7]);
        assert_eq!(find(&["Os.system", ""], None), vec![7, 7]);
        let empty: NameSet<usize> = NameSet::default();
        assert!(empty.is_empty() && !set.is_empty());
    }
}
