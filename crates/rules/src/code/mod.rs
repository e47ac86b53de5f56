//! Code rules: compiled once per language family, run with one model walk per file.
//!
//! Every rule of a family shares one Aho-Corasick trigger prefilter, one index from qualified
//! names to call rules, and one combined tree-sitter query per grammar; a file is walked once to
//! build its [`Model`], then the recorded calls, references and imports are dispatched to rules.

mod javascript;
pub mod model;
mod needs;
pub mod pattern;
mod python;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{Arc, OnceLock};

use tree_sitter::{Node, Tree};
use vigil_core::lang::Family;
use vigil_core::{Finding, Language, RuleMeta, SourceFile};

use crate::error::RuleError;
use crate::fields::FieldExt;
use crate::gate::{Gate, GateBuilder, Mode};
use crate::model::{ArgCheck, CaptureCheck, CodeRule, Kind, Lit, Matcher};
use model::{ArgValue, Model, ScopeId};
use pattern::{Parsed, QuerySet};

/// True for paths of test code: `tests/`, `test_*.py`, `*_test.py`, `conftest.py`,
/// `*.test.js`, `*.spec.ts`, `__tests__/`.
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_test_dir = lower.split('/').rev().skip(1).any(|d| {
        matches!(
            d,
            "test" | "tests" | "__tests__" | "spec" | "specs" | "testing"
        )
    });
    in_test_dir
        || name.starts_with("test_")
        || name == "conftest.py"
        || name.ends_with("_test.py")
        || name.ends_with("_tests.py")
        || [".test.", ".spec.", "_spec."]
            .iter()
            .any(|m| name.contains(m))
}

/// The compiled rules of one language family.
struct FamilyRules {
    family: Family,
    rules: Vec<CodeRule>,
    /// The trigger prefilter over `triggers` (its automaton is built on the family's first
    /// file), used when the caller does not pass the triggers it found.
    gate: OnceLock<Gate>,
    triggers: Vec<String>,
    /// Per rule: alternatives of trigger ids that must all occur (none: the rule always runs).
    conditions: Vec<Vec<Vec<usize>>>,
    call_exact: HashMap<String, Vec<usize>>,
    call_prefix: Vec<(String, usize)>,
    call_method: HashMap<String, Vec<usize>>,
    ref_exact: HashMap<String, Vec<usize>>,
    ref_last: crate::names::NameSet,
    imports: Vec<(String, usize)>,
    texts: Vec<usize>,
    /// The query rules' patterns, resolved per language of the family (in `Family::languages()`
    /// order) on the first file of that language on which a query rule is active.
    queries: Vec<OnceLock<Option<Queries>>>,
    /// The rules with a query matcher, with their parsed patterns.
    query_rules: Vec<usize>,
    has_tree_rules: bool,
}

/// All code rules, compiled.
pub struct CodeRules {
    families: Vec<FamilyRules>,
}

impl CodeRules {
    /// Compiles the given rules (already validated one by one), including every combined query.
    pub fn compile(rules: Vec<CodeRule>) -> Result<CodeRules, RuleError> {
        CodeRules::compile_with(rules, true)
    }

    /// Like [`CodeRules::compile`]; with `eager` false the combined queries are compiled on
    /// first use instead (for rules whose queries are known to compile: the built-in ones, which
    /// the test suite compiles). A query that then fails to compile runs no query rule.
    pub fn compile_with(rules: Vec<CodeRule>, eager: bool) -> Result<CodeRules, RuleError> {
        let mut families = Vec::new();
        let (python, javascript): (Vec<CodeRule>, Vec<CodeRule>) =
            rules.into_iter().partition(|r| r.family == Family::Python);
        for (fam, rs) in [(Family::Python, python), (Family::JavaScript, javascript)] {
            let fr = FamilyRules::compile(fam, rs)?;
            if eager {
                for (lang, cell) in fam.languages().iter().zip(&fr.queries) {
                    let _ = cell.set(compile_queries(*lang, &fr)?);
                }
            }
            families.push(fr);
        }
        Ok(CodeRules { families })
    }

    /// Every rule's metadata.
    pub fn metas(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.families
            .iter()
            .flat_map(|f| f.rules.iter().map(|r| &r.meta))
    }

    /// The prefilter triggers of `family`'s rules (searched case-sensitively), indexed like the
    /// `seen` argument of [`CodeRules::check`].
    pub(crate) fn triggers(&self, family: Family) -> &[String] {
        self.families
            .iter()
            .find(|f| f.family == family)
            .map_or(&[], |f| &f.triggers[..])
    }

    /// Runs the rules of `file`'s language. `parse` is called at most once, only when a rule
    /// that needs the tree survives the prefilter or `then` is given. `then` (the taint pass)
    /// runs after them on the same tree and semantic model: a file is parsed, walked and
    /// modelled once for all rules. `seen`: which of [`CodeRules::triggers`] occur in the file,
    /// when the caller already searched for them (otherwise the family's own gate does).
    pub fn check(
        &self,
        file: &SourceFile,
        prefilter: bool,
        parse: &mut dyn FnMut() -> Option<Tree>,
        out: &mut Vec<Finding>,
        then: Option<AfterModel<'_>>,
        seen: Option<&[bool]>,
    ) {
        let Some(lang) = file.language else { return };
        match self.families.iter().find(|f| f.family == lang.family()) {
            Some(fr) if !fr.rules.is_empty() => {
                fr.check(file, lang, prefilter, parse, out, then, seen)
            }
            _ => {
                if let Some(then) = then {
                    let Some(tree) = parse() else { return };
                    let names = |name: &str| {
                        if (then.ref_names)(name) {
                            model::REF_TAINT
                        } else {
                            0
                        }
                    };
                    let model = Model::build(&tree, &file.text, lang.family(), &names, None);
                    (then.run)(&tree, &model, out);
                }
            }
        }
    }
}

/// A pass that runs on a file's tree and model after the code rules (the taint pass).
pub struct AfterModel<'a> {
    /// The last segments of the references the pass wants in [`Model::taint_refs`].
    pub ref_names: &'a dyn Fn(&str) -> bool,
    /// The pass.
    pub run: &'a mut dyn FnMut(&Tree, &Model<'_>, &mut Vec<Finding>),
}

impl FamilyRules {
    fn compile(family: Family, rules: Vec<CodeRule>) -> Result<FamilyRules, RuleError> {
        let mut fr = FamilyRules {
            family,
            rules: Vec::new(),
            gate: OnceLock::new(),
            triggers: Vec::new(),
            conditions: Vec::new(),
            call_exact: HashMap::default(),
            call_prefix: Vec::new(),
            call_method: HashMap::default(),
            ref_exact: HashMap::default(),
            ref_last: crate::names::NameSet::default(),
            imports: Vec::new(),
            texts: Vec::new(),
            queries: Vec::new(),
            query_rules: Vec::new(),
            has_tree_rules: false,
        };
        let mut trigger_ids: HashMap<String, usize> = HashMap::default();
        let mut trigger_list: Vec<String> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            match &r.matcher {
                Matcher::Call { names, .. } => {
                    for n in names {
                        if let Some(m) = n.strip_prefix("*.") {
                            fr.call_method.entry(m.to_owned()).or_default().push(i);
                        } else if let Some(p) = n.strip_suffix('*') {
                            fr.call_prefix.push((p.to_owned(), i));
                        } else {
                            fr.call_exact.entry(n.clone()).or_default().push(i);
                        }
                    }
                }
                Matcher::Reference(names) => {
                    for n in names {
                        fr.ref_exact.entry(n.clone()).or_default().push(i);
                        if let Some(last) = n.rsplit('.').next() {
                            fr.ref_last.insert(last.to_owned());
                        }
                    }
                }
                Matcher::Import(mods) => {
                    for m in mods {
                        fr.imports.push((m.clone(), i));
                    }
                }
                Matcher::Query { .. } => fr.query_rules.push(i),
                Matcher::Text(_) => fr.texts.push(i),
            }
            if !matches!(r.matcher, Matcher::Text(_)) {
                fr.has_tree_rules = true;
            }
            let alts = r
                .triggers
                .iter()
                .map(|alt| {
                    alt.iter()
                        .map(|t| {
                            *trigger_ids.entry(t.clone()).or_insert_with(|| {
                                trigger_list.push(t.clone());
                                trigger_list.len() - 1
                            })
                        })
                        .collect()
                })
                .collect();
            fr.conditions.push(alts);
        }
        fr.triggers = trigger_list;
        fr.queries = family.languages().iter().map(|_| OnceLock::new()).collect();
        fr.rules = rules;
        Ok(fr)
    }

    /// Which rules may match: those without triggers and those all of whose triggers of one
    /// alternative occur in the file.
    /// `seen` is, per trigger, whether it occurs (from a caller's shared gate); without it the
    /// family's own gate searches `text`.
    fn active(&self, text: &str, prefilter: bool, seen: Option<&[bool]>) -> Vec<bool> {
        if !prefilter {
            return vec![true; self.rules.len()];
        }
        let own;
        let seen = match seen {
            Some(seen) => seen,
            None => {
                let gate = self.gate.get_or_init(|| {
                    let mut gate = GateBuilder::new(1);
                    for (i, t) in self.triggers.iter().enumerate() {
                        gate.add(0, i, t, Mode::Exact);
                    }
                    gate.build()
                });
                own = gate.scan(text.as_bytes()).swap_remove(0);
                &own[..]
            }
        };
        let has = |t: &usize| seen.get(*t).copied().unwrap_or(true);
        self.conditions
            .iter()
            .map(|alts| alts.is_empty() || alts.iter().any(|alt| alt.iter().all(has)))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        file: &SourceFile,
        lang: Language,
        prefilter: bool,
        parse: &mut dyn FnMut() -> Option<Tree>,
        out: &mut Vec<Finding>,
        then: Option<AfterModel<'_>>,
        seen: Option<&[bool]>,
    ) {
        let active = self.active(&file.text, prefilter, seen);
        let start = out.len();
        for &i in &self.texts {
            if !active[i] {
                continue;
            }
            let r = &self.rules[i];
            if let Matcher::Text(re) = &r.matcher {
                if !path_ok(r, &file.path) {
                    continue;
                }
                re.for_each_match(&file.text, |start, end| {
                    out.push(Finding::new(&r.meta, file, start, end));
                });
            }
        }
        let needs_tree = self.rules.iter().enumerate().any(|(i, r)| {
            active[i] && !matches!(r.matcher, Matcher::Text(_)) && path_ok(r, &file.path)
        });
        if !needs_tree && then.is_none() {
            return;
        }
        // The combined query compiles (on the family's first file) before the parse: a tree
        // parsed ahead on another thread may still be in the making.
        let lang_idx = self
            .family
            .languages()
            .iter()
            .position(|l| *l == lang)
            .unwrap_or(0);
        let queries = self
            .queries
            .get(lang_idx)
            .filter(|_| needs_tree && self.query_rules.iter().any(|&i| active[i]))
            .and_then(|cell| {
                cell.get_or_init(|| compile_queries(lang, self).ok().flatten())
                    .as_ref()
            });
        let Some(tree) = parse() else { return };
        self.check_tree(file, &tree, &active, queries, start, out, then);
    }

    /// The part of [`FamilyRules::check`] that needs the tree.
    #[allow(clippy::too_many_arguments)]
    fn check_tree<'t>(
        &self,
        file: &'t SourceFile,
        tree: &'t Tree,
        active: &[bool],
        queries: Option<&Queries>,
        start: usize,
        out: &mut Vec<Finding>,
        then: Option<AfterModel<'_>>,
    ) {
        let want_refs = self.ref_exact.values().flatten().any(|&i| active[i]);
        let ref_last = &self.ref_last;
        let taint_names = then.as_ref().map(|t| t.ref_names);
        let filter = |name: &str| {
            let mut want = 0;
            if want_refs && ref_last.contains(name) {
                want |= model::REF_RULES;
            }
            if taint_names.is_some_and(|f| f(name)) {
                want |= model::REF_TAINT;
            }
            want
        };
        // Query patterns match during the model's walk (one walk of the tree for both); their
        // capture checks need the finished model, so matches wait in `pending`.
        let mut pending: Vec<Pending<'_, 't>> = Vec::new();
        let mut scratch = pattern::Scratch::default();
        let walk = queries.and_then(|q| q.walk.as_ref());
        let mut visit = |node: Node<'t>, kind: u16| {
            // Most nodes are of a kind no pattern starts at: told apart here, without a call.
            if let Some(qs) = walk.filter(|qs| qs.may_start_at_kind(kind)) {
                match_into(
                    qs,
                    node,
                    kind,
                    &file.text,
                    active,
                    &mut scratch,
                    &mut pending,
                );
            }
        };
        // String literals are not walked into when no pattern starts inside one.
        let skip_strings = queries.is_none_or(|q| !q.walk_into_strings);
        let model = Model::build_with(
            tree,
            &file.text,
            self.family,
            &filter,
            Some(&mut visit as &mut dyn FnMut(Node<'t>, u16)),
            skip_strings,
        );
        let mut seen: HashSet<(usize, usize, usize)> = HashSet::default();
        let mut emit = |rule: usize, node: Node<'_>, model: &Model<'_>, out: &mut Vec<Finding>| {
            let r = &self.rules[rule];
            vigil_core::engine::set_current_rule(&r.meta.id);
            if !seen.insert((rule, node.start_byte(), node.end_byte())) {
                return;
            }
            if !context_ok(r, model, node, &file.path) {
                return;
            }
            out.push(Finding::new(
                &r.meta,
                file,
                node.start_byte(),
                node.end_byte(),
            ));
        };
        let at_calls = queries.and_then(|q| Some((q, q.at_calls.as_ref()?)));
        let mut cands: Vec<usize> = Vec::new();
        for &(call, scope) in &model.calls {
            let Some(raw) = model::call_function(call).or_else(|| call.field("constructor")) else {
                continue;
            };
            let callee = model.unwrap(raw);
            cands.clear();
            let names = model.resolve(callee, scope);
            for name in &names {
                if let Some(rs) = self.call_exact.get(name) {
                    cands.extend(rs);
                }
                for (p, i) in &self.call_prefix {
                    if name.starts_with(p.as_str()) {
                        cands.push(*i);
                    }
                }
            }
            if let Some((q, set)) = at_calls {
                // What the rule's capture check will resolve: the callee as written, in its
                // own scope (the same as the call's but for a callee that opens a scope).
                let raw_scope = model.scope_at(raw);
                let own;
                let raw_names = if raw.id() == callee.id() && raw_scope == scope {
                    &names
                } else {
                    own = model.resolve(raw, raw_scope);
                    &own
                };
                if q.wants_call(raw_names, active) {
                    let kind = call.kind_id();
                    match_into(
                        set,
                        call,
                        kind,
                        &file.text,
                        active,
                        &mut scratch,
                        &mut pending,
                    );
                }
            }
            if let Some(m) = model.method_name(callee) {
                if let Some(rs) = self.call_method.get(m) {
                    cands.extend(rs);
                }
            }
            cands.sort_unstable();
            cands.dedup();
            for &i in &cands {
                if !active[i] {
                    continue;
                }
                if let Matcher::Call { args, .. } = &self.rules[i].matcher {
                    vigil_core::engine::set_current_rule(&self.rules[i].meta.id);
                    if args.iter().all(|a| arg_ok(&model, call, scope, a)) {
                        emit(i, call, &model, out);
                    }
                }
            }
        }
        for &(node, scope) in &model.refs {
            for name in model.resolve(node, scope) {
                if let Some(rs) = self.ref_exact.get(&name) {
                    for &i in rs {
                        if active[i] {
                            emit(i, node, &model, out);
                        }
                    }
                }
            }
        }
        for (node, module) in &model.imports {
            for (m, i) in &self.imports {
                if active[*i]
                    && (module == m
                        || module
                            .strip_prefix(m.as_str())
                            .is_some_and(|rest| rest.starts_with('.')))
                {
                    emit(*i, *node, &model, out);
                }
            }
        }
        for (rule, q, caps) in &pending {
            query_match(*rule, q, caps, &self.rules, &model, &mut |i, n, m| {
                emit(i, n, m, out)
            });
        }
        // Rules restricted by path apply to the whole file's findings.
        let mut k = start;
        while k < out.len() {
            let keep = self
                .rules
                .iter()
                .find(|r| Arc::ptr_eq(&r.meta, &out[k].rule))
                .is_none_or(|r| path_ok(r, &file.path));
            if keep {
                k += 1;
            } else {
                out.remove(k);
            }
        }
        if let Some(then) = then {
            (then.run)(tree, &model, out);
        }
    }
}

fn path_ok(rule: &CodeRule, path: &str) -> bool {
    if let Some(re) = &rule.context.path {
        if !re.is_match(path) {
            return false;
        }
    }
    !(rule.context.not_in_tests && is_test_path(path))
}

fn context_ok(rule: &CodeRule, model: &Model<'_>, node: Node<'_>, path: &str) -> bool {
    let c = &rule.context;
    if !path_ok(rule, path) {
        return false;
    }
    if c.not_in_tests
        && model
            .enclosing_functions(node)
            .iter()
            .any(|n| n.starts_with("test"))
    {
        return false;
    }
    if c.not_in_main && model.in_main_guard(node) {
        return false;
    }
    if let Some(re) = &c.names {
        if !model.context_names(node).iter().any(|n| re.is_match(n)) {
            return false;
        }
    }
    true
}

fn lit_eq(a: &Lit, b: &Lit) -> bool {
    match (a, b) {
        (Lit::Int(x), Lit::Float(y)) | (Lit::Float(y), Lit::Int(x)) => (*x as f64) == *y,
        (Lit::Int(x), Lit::Bool(y)) | (Lit::Bool(y), Lit::Int(x)) => *x == i64::from(*y),
        _ => a == b,
    }
}

fn arg_ok(model: &Model<'_>, call: Node<'_>, scope: ScopeId, a: &ArgCheck) -> bool {
    let wants_missing = a.kinds.contains(&Kind::Missing);
    let value = match model.arg(call, scope, a.position, a.name.as_deref()) {
        ArgValue::Unknown => return false,
        ArgValue::Missing => return wants_missing,
        ArgValue::Present(v) => v,
    };
    let present_kinds: Vec<Kind> = a
        .kinds
        .iter()
        .copied()
        .filter(|k| *k != Kind::Missing)
        .collect();
    let has_value_checks = a.equals.is_some()
        || a.not_equals.is_some()
        || a.regex.is_some()
        || !a.names.is_empty()
        || !a.not_names.is_empty();
    if present_kinds.is_empty() && wants_missing && !has_value_checks {
        return false;
    }
    value_ok(model, value, scope, &present_kinds, a)
}

fn value_ok(
    model: &Model<'_>,
    value: Node<'_>,
    scope: ScopeId,
    kinds: &[Kind],
    a: &ArgCheck,
) -> bool {
    if !kinds_ok(model, value, scope, kinds) {
        return false;
    }
    let lit = if a.equals.is_some() || a.not_equals.is_some() || a.regex.is_some() {
        model.literal(value, scope)
    } else {
        None
    };
    if let Some(e) = &a.equals {
        if !lit.as_ref().is_some_and(|l| lit_eq(l, e)) {
            return false;
        }
    }
    if let Some(ne) = &a.not_equals {
        if lit.as_ref().is_none_or(|l| lit_eq(l, ne)) {
            return false;
        }
    }
    if let Some(re) = &a.regex {
        if !matches!(&lit, Some(Lit::Str(s)) if re.is_match(s)) {
            return false;
        }
    }
    if !a.names.is_empty() || !a.not_names.is_empty() {
        let names = model.resolve(value, scope);
        if !a.names.is_empty()
            && !names
                .iter()
                .any(|n| a.names.iter().any(|w| name_matches(w, n)))
        {
            return false;
        }
        if !a.not_names.is_empty()
            && (names.is_empty()
                || names
                    .iter()
                    .any(|n| a.not_names.iter().any(|w| name_matches(w, n))))
        {
            return false;
        }
    }
    true
}

/// True when the value's kind is one of `kinds` (empty = any), `request` meaning derived from
/// request data.
fn kinds_ok(model: &Model<'_>, value: Node<'_>, scope: ScopeId, kinds: &[Kind]) -> bool {
    if kinds.is_empty() {
        return true;
    }
    if kinds.contains(&Kind::Request) && model.is_request(value, scope) {
        return true;
    }
    kinds.contains(&model.kind(value, scope))
}

fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(p) => name.starts_with(p),
        None => pattern == name,
    }
}

/// A query match waiting for the finished model: (rule, query, captures).
type Pending<'s, 't> = (usize, &'s pattern::Query, Vec<pattern::Capture<'t>>);

/// Matches `set` at `node`, keeping every match in `pending`.
fn match_into<'s, 't>(
    set: &'s QuerySet,
    node: Node<'t>,
    kind: u16,
    text: &str,
    active: &[bool],
    scratch: &mut pattern::Scratch<'t>,
    pending: &mut Vec<Pending<'s, 't>>,
) {
    set.match_at(node, kind, text, active, scratch, &mut |rule, q, caps| {
        pending.push((rule, q, caps.to_vec()));
        false
    });
}

/// One language's query rules, resolved against its grammar.
struct Queries {
    /// Matched at every node of the model's walk.
    walk: Option<QuerySet>,
    /// Rules every match of which is a call whose callee a capture check wants to resolve to
    /// a name (`(call function: (_) @callee ...)` with `names` on `@callee`): matched only at
    /// the calls whose callee does, once the model is built, instead of at every call.
    at_calls: Option<QuerySet>,
    /// Those rules by callee name (`prefix*` names apart).
    callee_exact: HashMap<String, Vec<usize>>,
    callee_prefix: Vec<(String, usize)>,
    /// True when a pattern of `walk` can start inside a string literal (or at any node): the
    /// walk then goes into strings (see [`Model::build_with`]).
    walk_into_strings: bool,
}

impl Queries {
    /// True when a callee resolving to `names` can satisfy an active rule of `at_calls`.
    fn wants_call(&self, names: &[String], active: &[bool]) -> bool {
        names.iter().any(|n| {
            self.callee_exact
                .get(n)
                .is_some_and(|rs| rs.iter().any(|&i| active[i]))
                || self
                    .callee_prefix
                    .iter()
                    .any(|(p, i)| active[*i] && n.starts_with(p.as_str()))
        })
    }
}

/// Resolves the query rules' patterns against one language's grammar. A rule whose pattern
/// names a kind or field the grammar lacks is an error for the family's primary language and is
/// left out for the other dialects (JSX in `.ts`).
fn compile_queries(lang: Language, fr: &FamilyRules) -> Result<Option<Queries>, RuleError> {
    if fr.query_rules.is_empty() {
        return Ok(None);
    }
    // The call nodes the model lists, with the field holding the callee.
    let call_kinds: &[(&str, &str)] = match fr.family {
        Family::Python => &[("call", "function")],
        Family::JavaScript => &[
            ("call_expression", "function"),
            ("new_expression", "constructor"),
        ],
    };
    // Parsed here, on first use: a run that needs no query pays nothing for them.
    let mut walk = Vec::with_capacity(fr.query_rules.len());
    let mut at_calls = Vec::new();
    let mut callee_exact: HashMap<String, Vec<usize>> = HashMap::default();
    let mut callee_prefix = Vec::new();
    for &i in &fr.query_rules {
        let r = &fr.rules[i];
        let Matcher::Query {
            source, captures, ..
        } = &r.matcher
        else {
            continue;
        };
        let mut p = Parsed::parse(source).map_err(|e| {
            RuleError::new(&r.meta.origin, format!("invalid query: {e}"))
                .rule(&r.meta.id)
                .field("match.query")
        })?;
        // A capture's text checks hold for every node it captures, so the matcher can apply
        // them as it binds (`capture_ok` applies them again to the matches).
        for c in captures {
            if let Some(re) = &c.regex {
                p.require_text(&c.name, re.source(), false);
            }
            if let Some(re) = &c.not_regex {
                p.require_text(&c.name, re.source(), true);
            }
        }
        let on_callee = p.root_field_captures(call_kinds);
        let named = captures
            .iter()
            .find(|c| !c.names.is_empty() && on_callee.contains(&c.name));
        match named {
            Some(c) => {
                for n in &c.names {
                    match n.strip_suffix('*') {
                        Some(prefix) => callee_prefix.push((prefix.to_owned(), i)),
                        None => callee_exact.entry(n.clone()).or_default().push(i),
                    }
                }
                at_calls.push((i, p));
            }
            None => walk.push((i, p)),
        }
    }
    let grammar = lang.grammar();
    let build = |parsed: &[(usize, Parsed)]| -> Result<Option<QuerySet>, RuleError> {
        if parsed.is_empty() {
            return Ok(None);
        }
        let (set, errors) = QuerySet::new(&grammar, parsed.iter().map(|(i, p)| (*i, p)));
        if lang == fr.family.languages()[0] {
            if let Some((i, e)) = errors.into_iter().next() {
                let r = &fr.rules[i];
                return Err(
                    RuleError::new(&r.meta.origin, format!("invalid query: {e}"))
                        .rule(&r.meta.id)
                        .field("match.query"),
                );
            }
        }
        Ok(Some(set))
    };
    let walk = build(&walk)?;
    let names = crate::fields::kind_names(&grammar);
    let insides = model::string_insides(fr.family);
    Ok(Some(Queries {
        walk_into_strings: walk
            .as_ref()
            .is_some_and(|qs| qs.may_start_at(names, insides)),
        walk,
        at_calls: build(&at_calls)?,
        callee_exact,
        callee_prefix,
    }))
}

fn capture_ok(model: &Model<'_>, node: Node<'_>, c: &CaptureCheck) -> bool {
    // The text checks first: they are cheap and reject most candidates.
    let text = model.src(node);
    if let Some(re) = &c.regex {
        if !re.is_match(text) {
            return false;
        }
    }
    if let Some(re) = &c.not_regex {
        if re.is_match(text) {
            return false;
        }
    }
    if c.kinds.is_empty() && c.names.is_empty() {
        return true;
    }
    let scope = model.scope_at(node);
    if !kinds_ok(model, node, scope, &c.kinds) {
        return false;
    }
    if !c.names.is_empty() {
        let names = model.resolve(node, scope);
        if !names
            .iter()
            .any(|n| c.names.iter().any(|w| name_matches(w, n)))
        {
            return false;
        }
    }
    true
}

/// Applies a query rule's capture checks to one match and emits it at its `@match` capture.
fn query_match(
    ri: usize,
    q: &pattern::Query,
    caps: &[pattern::Capture<'_>],
    rules: &[CodeRule],
    model: &Model<'_>,
    emit: &mut dyn FnMut(usize, Node<'_>, &Model<'_>),
) {
    let Some(Matcher::Query { captures, .. }) = rules.get(ri).map(|r| &r.matcher) else {
        return;
    };
    let names = q.capture_names();
    let name_of = |c: &pattern::Capture<'_>| names.get(usize::from(c.id)).map(String::as_str);
    let ok = captures.iter().all(|check| {
        let mut any = false;
        for cap in caps {
            if name_of(cap) == Some(check.name.as_str()) {
                any = true;
                if !capture_ok(model, cap.node, check) {
                    return false;
                }
            }
        }
        any
    });
    if !ok {
        return;
    }
    let node = caps
        .iter()
        .find(|c| name_of(c) == Some("match"))
        .or_else(|| caps.first())
        .map(|c| c.node);
    if let Some(n) = node {
        emit(ri, n, model);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of `code` where `rule` (a rule file's text) reports.
    fn lines(rule: &str, code: &str) -> Vec<usize> {
        let rule = crate::load_code_rule("t.toml", rule).expect("rule");
        let rules = CodeRules::compile(vec![rule]).expect("compile");
        let file = SourceFile::new("a.py".to_owned(), code.as_bytes());
        let mut parse = || match vigil_core::parse::parse(Language::Python, code, None) {
            vigil_core::parse::ParseOutcome::Tree(t) => Some(t),
            _ => None,
        };
        let mut out = Vec::new();
        rules.check(&file, true, &mut parse, &mut out, None, None);
        out.iter().map(|f| f.span.start_line).collect()
    }

    const HEAD: &str = r#"
id = "py-t-weak"
language = "python"
title = "t"
message = "t"
severity = "high"
confidence = "high"
cwe = [326]
owasp = "A02:2021-Cryptographic Failures"
fix = "t"
description = "t"
references = ["https://cwe.mitre.org/data/definitions/326.html"]
[example]
vulnerable = "RSA.generate(1024)"
fixed = "RSA.generate(4096)"
"#;

    #[test]
    fn a_query_on_a_named_callee_runs_only_at_calls_that_resolve_to_it() {
        let toml = format!(
            "{HEAD}\n[match]\nquery = '''\n(call function: (_) @callee arguments: (argument_list . (integer) @bits)) @match\n'''\n\
             [[match.capture]]\nname = \"callee\"\nnames = [\"Crypto.PublicKey.RSA.generate\", \"keys.make*\"]\n\
             [[match.capture]]\nname = \"bits\"\nregex = '^1024$'\n"
        );
        let code = "\
from Crypto.PublicKey import RSA as R
import keys
R.generate(1024)
R.generate(4096)
other.generate(1024)
def f():
    from Crypto.PublicKey import RSA
    return RSA.generate(1024)
keys.make_rsa(1024)
(R.generate)(1024)
";
        let rule = crate::load_code_rule("t.toml", &toml).expect("rule");
        let rules = CodeRules::compile(vec![rule]).expect("compile");
        let q = compile_queries(Language::Python, &rules.families[0])
            .expect("queries")
            .expect("some");
        assert!(
            q.walk.is_none() && q.at_calls.is_some(),
            "dispatched at calls"
        );
        assert_eq!(lines(&toml, code), vec![3, 8, 9, 10]);
    }
}
