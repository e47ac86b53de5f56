//! The taint dataflow: flow-sensitive, per function, over the tree-sitter syntax tree.
//!
//! A state maps variable names (and attribute paths such as `self.cmd`) to a trace: the steps
//! from a source to here, as an immutable linked list shared between states. Statements run in
//! order; `if` branches run on copies of the state that are joined (union) afterwards, except a
//! branch that ends in `return`/`raise`/`throw`/`continue`/`break`; loops run until the state no
//! longer changes (at most [`LOOP_ROUNDS`] rounds). Calls to functions defined in the same file
//! use summaries computed on demand, one per (function, tainted parameter): whether the
//! parameter reaches the return value, and which sinks it reaches.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use crate::fields::FieldExt;
use tree_sitter::{Node, Tree};
use vigil_core::lang::Family;
use vigil_core::Confidence;

use super::FamilyTaint;
use crate::code::model::{access_object, object_of, ArgValue, Bind, Model, ScopeId};
use crate::model::Lit;

/// Loop bodies run at most this many times.
const LOOP_ROUNDS: usize = 3;
/// Traces stop growing past this many steps (the source and the sink are always kept).
const MAX_STEPS: usize = 48;
/// Expression nesting the evaluator follows.
const MAX_DEPTH: usize = 200;
/// Summary computations nest at most this deep.
const MAX_SUMMARY_DEPTH: usize = 4;
/// Nested functions (closures, callbacks) run inline at most this deep.
const MAX_INLINE_DEPTH: usize = 3;
/// Names a callee's derivation (`logging.getLogger().info`) is cut at.
const MAX_DERIVED: usize = 8;
/// Array and iterator methods whose callback receives the receiver's elements.
const CALLBACK_METHODS: &[&str] = &[
    "forEach",
    "map",
    "filter",
    "some",
    "every",
    "find",
    "findIndex",
    "flatMap",
    "reduce",
    "reduceRight",
    "then",
    "sort",
];
/// Methods that store their arguments in the receiver.
const MUTATORS: &[&str] = &[
    "append",
    "extend",
    "add",
    "insert",
    "update",
    "appendleft",
    "extendleft",
    "setdefault",
    "push",
    "unshift",
    "set",
    "write",
    "writelines",
];

/// One step of a trace, linked to the previous one.
#[derive(Debug)]
pub(crate) struct Trace {
    start: usize,
    end: usize,
    msg: String,
    prev: Option<Rc<Trace>>,
    len: usize,
    /// Rules (bits) for which a sanitizer cleaned the value.
    cleared: u64,
    /// A source of lower confidence than the rule's.
    pub(crate) confidence: Option<Confidence>,
}

impl Trace {
    fn root(start: usize, end: usize, msg: String, confidence: Option<Confidence>) -> Rc<Trace> {
        Rc::new(Trace {
            start,
            end,
            msg,
            prev: None,
            len: 1,
            cleared: 0,
            confidence,
        })
    }

    /// Steps from the source: (start byte, end byte, message).
    pub(crate) fn steps(&self) -> Vec<(usize, usize, String)> {
        let mut v = Vec::with_capacity(self.len);
        let mut cur = Some(self);
        while let Some(t) = cur {
            v.push((t.start, t.end, t.msg.clone()));
            cur = t.prev.as_deref();
        }
        v.reverse();
        v
    }
}

type T = Option<Rc<Trace>>;
type State = HashMap<String, Rc<Trace>>;
/// Names a condition validates, with the rules (bits) it validates them for.
type Guarded = Vec<(String, u64)>;

fn step(prev: &Rc<Trace>, node: Node<'_>, msg: String) -> Rc<Trace> {
    step_mask(prev, node.start_byte(), node.end_byte(), msg, prev.cleared)
}

fn step_mask(prev: &Rc<Trace>, start: usize, end: usize, msg: String, cleared: u64) -> Rc<Trace> {
    if prev.len >= MAX_STEPS && cleared == prev.cleared {
        return Rc::clone(prev);
    }
    Rc::new(Trace {
        start,
        end,
        msg,
        prev: Some(Rc::clone(prev)),
        len: prev.len + 1,
        cleared,
        confidence: prev.confidence,
    })
}

/// Appends the steps of `inner` (a trace rooted at a parameter) to `outer`.
fn splice(outer: &Rc<Trace>, inner: &Rc<Trace>) -> Rc<Trace> {
    let mut acc = Rc::clone(outer);
    let cleared = outer.cleared | inner.cleared;
    for (s, e, msg) in inner.steps() {
        acc = step_mask(&acc, s, e, msg, cleared);
    }
    if acc.cleared != cleared {
        acc = step_mask(&acc, inner.start, inner.end, inner.msg.clone(), cleared);
    }
    acc
}

/// A value built from several parts: tainted for a rule unless every tainted part is clean for it.
fn union(a: T, b: T) -> T {
    match (a, b) {
        (Some(a), Some(b)) => {
            let cleared = a.cleared & b.cleared;
            let base = if b.cleared.count_ones() < a.cleared.count_ones() {
                b
            } else {
                a
            };
            if base.cleared == cleared {
                Some(base)
            } else {
                Some(step_mask(
                    &base,
                    base.start,
                    base.end,
                    base.msg.clone(),
                    cleared,
                ))
            }
        }
        (a, None) => a,
        (None, b) => b,
    }
}

fn join(a: &mut State, b: &State) {
    for (k, v) in b {
        match a.get(k) {
            Some(x) if x.cleared.count_ones() <= v.cleared.count_ones() => {}
            _ => {
                a.insert(k.clone(), Rc::clone(v));
            }
        }
    }
}

fn same(a: &State, b: &State) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| w.cleared == v.cleared))
}

/// A sink reached: rule index, the sink's byte range, and the trace.
pub(crate) struct Hit {
    pub(crate) rule: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) trace: Rc<Trace>,
}

#[derive(Default)]
struct Summary {
    ret: T,
    sinks: Vec<Hit>,
}

struct Frame {
    scope: ScopeId,
    /// Computing a summary: sources are off, the only taint is the parameter's.
    summary: bool,
    ret: T,
    hits: Vec<Hit>,
}

struct Engine<'a, 't> {
    m: &'a Model<'t>,
    ft: &'a FamilyTaint,
    /// Functions defined in the file, by name: (node, is a method).
    funcs: HashMap<&'t str, Vec<(Node<'t>, bool)>>,
    summaries: HashMap<(usize, usize), Rc<Summary>>,
    in_progress: HashSet<usize>,
    frame: Frame,
    depth: usize,
    summary_depth: usize,
    inline_depth: usize,
    scratch: Vec<(usize, usize)>,
    /// Names bound to a source under another name (see [`source_aliases`]).
    aliases: HashSet<&'t str>,
}

/// Names the file binds to a source under another name: `from os import environ as env`,
/// `const { argv: args } = process`, `env = os.environ` (and names bound to those). A
/// reference is only resolved when its last segment is a source's or one of these.
fn source_aliases<'t>(m: &Model<'t>, ft: &FamilyTaint) -> HashSet<&'t str> {
    let mut out: HashSet<&'t str> = HashSet::default();
    fn last_of<'b, 't: 'b>(m: &Model<'t>, b: &'b Bind<'t>) -> &'b str {
        match b {
            Bind::Import(q) => q.rsplit('.').next().unwrap_or(q),
            Bind::Member(_, p) => p.rsplit('.').next().unwrap_or(p),
            Bind::Value(v) => {
                let v = m.unwrap(*v);
                match v.kind_name() {
                    "identifier" => m.src(v),
                    "attribute" | "member_expression" => m.access_member(v).unwrap_or(""),
                    _ => "",
                }
            }
            Bind::Opaque => "",
        }
    }
    // Rounds until nothing is added: `a = input` then `b = a`.
    loop {
        let before = out.len();
        for s in &m.scopes {
            for (&name, binds) in &s.bindings {
                if ft.source_last.contains(name) || out.contains(name) {
                    continue;
                }
                if binds.iter().any(|b| {
                    let last = last_of(m, b);
                    ft.source_last.contains(last) || out.contains(last)
                }) {
                    out.insert(name);
                }
            }
        }
        if out.len() == before {
            break;
        }
    }
    // A candidate is kept when a binding of it stands for a source, as a reference resolved
    // there would: `kind = options.name` is no alias of the browser's `name`.
    let mut found = Vec::new();
    out.retain(|&name| {
        m.scopes.iter().enumerate().any(|(id, s)| {
            s.bindings.contains_key(name) && {
                found.clear();
                ft.source_names
                    .find(&m.resolve_name_at(name, id), None, &mut found);
                !found.is_empty()
            }
        })
    });
    out
}

fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition"
            | "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "generator_function"
            | "arrow_function"
            | "method_definition"
    )
}

/// Runs every taint rule of the family over one file.
pub(crate) fn analyze(m: &Model<'_>, ft: &FamilyTaint, tree: &Tree) -> Vec<Hit> {
    let root = tree.root_node();
    let mut funcs: HashMap<&str, Vec<(Node<'_>, bool)>> = HashMap::default();
    let mut all = Vec::new();
    // Every function opens a scope of the model, in tree order: no walk of our own.
    for node in m.scopes.iter().filter_map(|s| s.opener) {
        if !is_function(node.kind_name()) {
            continue;
        }
        all.push(node);
        if let Some(name) = function_name(m, node) {
            let method = match m.family {
                Family::Python => {
                    // def in a class body: parent block (past a decorated_definition), then
                    // the class.
                    let decorated = m
                        .up(node, 1)
                        .is_some_and(|p| p.kind_name() == "decorated_definition");
                    m.up(node, if decorated { 3 } else { 2 })
                        .is_some_and(|c| c.kind_name() == "class_definition")
                }
                Family::JavaScript => node.kind_name() == "method_definition",
            };
            funcs.entry(name).or_default().push((node, method));
        }
    }
    let mut e = Engine {
        m,
        ft,
        funcs,
        summaries: HashMap::default(),
        in_progress: HashSet::default(),
        frame: Frame {
            scope: 0,
            summary: false,
            ret: None,
            hits: Vec::new(),
        },
        depth: 0,
        summary_depth: 0,
        inline_depth: 0,
        scratch: Vec::new(),
        aliases: source_aliases(m, ft),
    };
    // The module's own code first (its functions run below).
    if e.may_taint(root, nested_ranges(&all, root)) {
        e.exec(root, &mut State::default());
    }
    // Fields of `self`/`this` that a method leaves tainted, per class: every method of the
    // class runs again with them (one round: a conservative "this object" summary).
    let mut fields: HashMap<usize, State> = HashMap::default();
    for (i, &f) in all.iter().enumerate() {
        let init = e.route_params(f);
        if init.is_empty() && !e.may_taint(f, nested_ranges(&all[i + 1..], f)) {
            continue;
        }
        let (_, exit) = e.run_function_state(f, init);
        if let Some(class) = class_of(m, f) {
            let tainted: State = exit
                .into_iter()
                .filter(|(k, _)| k.starts_with("self.") || k.starts_with("this."))
                .collect();
            if !tainted.is_empty() {
                join(fields.entry(class.id()).or_default(), &tainted);
            }
        }
    }
    if !fields.is_empty() {
        for &f in &all {
            let Some(known) = class_of(m, f).and_then(|c| fields.get(&c.id())) else {
                continue;
            };
            let mut init = e.route_params(f);
            let name = function_name(m, f).unwrap_or("method");
            for (k, v) in known {
                if !init.contains_key(k) {
                    init.insert(k.clone(), step(v, f, format!("`{k}` read in `{name}()`")));
                }
            }
            e.run_function(f, init);
        }
    }
    let mut hits = std::mem::take(&mut e.frame.hits);
    let mut seen = HashSet::default();
    hits.retain(|h| seen.insert((h.rule, h.start, h.end)));
    // One finding per sink: a sink nested in another sink of the same rule
    // (`exec(compile(src, ...))`) is reported by the outer one.
    let outer: Vec<(usize, usize, usize)> = hits.iter().map(|h| (h.rule, h.start, h.end)).collect();
    hits.retain(|h| {
        !outer.iter().any(|&(r, s, e)| {
            r == h.rule && s <= h.start && h.end <= e && (s, e) != (h.start, h.end)
        })
    });
    hits
}

/// The byte ranges of the functions nested directly in `f` (outermost only), in order, from
/// `after`: the functions that follow `f` in tree order.
fn nested_ranges(after: &[Node<'_>], f: Node<'_>) -> Vec<(usize, usize)> {
    let end = f.end_byte();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(g) = after.get(i) {
        let (s, e) = (g.start_byte(), g.end_byte());
        if s >= end {
            break;
        }
        out.push((s, e));
        // On past the functions nested in `g` (a binary search: a chain of nested functions
        // would make a scan of them quadratic).
        i += 1 + after[i + 1..].partition_point(|h| h.start_byte() < e);
    }
    out
}

/// The class a method belongs to (Python `def` in a class body, JS `method_definition`).
fn class_of<'t>(m: &Model<'t>, f: Node<'t>) -> Option<Node<'t>> {
    let mut k = 1;
    let mut p = m.up(f, k)?;
    if p.kind_name() == "decorated_definition" {
        k += 1;
        p = m.up(f, k)?;
    }
    match p.kind_name() {
        "block" | "class_body" => {
            let c = m.up(f, k + 1)?;
            matches!(
                c.kind_name(),
                "class_definition" | "class_declaration" | "class"
            )
            .then_some(c)
        }
        _ => None,
    }
}

fn function_name<'t>(m: &Model<'t>, f: Node<'t>) -> Option<&'t str> {
    if let Some(n) = f.field("name") {
        return Some(m.src(n));
    }
    let p = m.up(f, 1)?;
    match p.kind_name() {
        "variable_declarator" => p
            .field("name")
            .filter(|n| n.kind_name() == "identifier")
            .map(|n| m.src(n)),
        "pair" => p.field("key").map(|n| m.src(n)),
        "assignment_expression" => p.field("left").and_then(|l| match l.kind_name() {
            "identifier" => Some(m.src(l)),
            "member_expression" => m.access_member(l),
            _ => None,
        }),
        _ => None,
    }
}

/// The parameters of a function: (name node, position) in order; `*args`/rest excluded.
fn params<'t>(m: &Model<'t>, f: Node<'t>) -> Vec<(Node<'t>, Option<Node<'t>>)> {
    let mut out = Vec::new();
    if let Some(p) = f.field("parameter") {
        out.push((p, None));
        return out;
    }
    let Some(ps) = f.field("parameters") else {
        return out;
    };
    let mut c = ps.walk();
    for p in ps.named_children(&mut c) {
        match p.kind_name() {
            "identifier" => out.push((p, None)),
            "typed_parameter" => {
                let name = p.named_child(0).filter(|n| n.kind_name() == "identifier");
                if let Some(n) = name {
                    out.push((n, p.field("type")));
                }
            }
            "default_parameter" | "typed_default_parameter" => {
                if let Some(n) = p.field("name") {
                    out.push((n, p.field("type")));
                }
            }
            "assignment_pattern" => {
                if let Some(n) = p.field("left") {
                    out.push((n, None));
                }
            }
            "required_parameter" | "optional_parameter" => {
                if let Some(n) = p.field("pattern") {
                    out.push((n, p.field("type")));
                }
            }
            "object_pattern" | "array_pattern" => out.push((p, None)),
            _ => {}
        }
    }
    let _ = m;
    out
}

impl<'a, 't> Engine<'a, 't> {
    fn src(&self, n: Node<'t>) -> &'t str {
        self.m.src(n)
    }

    /// The initial state of a route handler: its parameters are tainted.
    fn route_params(&self, f: Node<'t>) -> State {
        let mut st = State::default();
        let decorators: Vec<Node<'t>> = match self.m.family {
            Family::Python => match self
                .m
                .up(f, 1)
                .filter(|p| p.kind_name() == "decorated_definition")
            {
                Some(p) => {
                    let mut c = p.walk();
                    p.named_children(&mut c)
                        .filter(|n| n.kind_name() == "decorator")
                        .filter_map(|d| d.named_child(0))
                        .collect()
                }
                None => Vec::new(),
            },
            Family::JavaScript => Vec::new(),
        };
        if decorators.is_empty() {
            return st;
        }
        let scope = self.m.scope_of.get(&f.id()).copied().unwrap_or(0);
        for (si, s) in self.ft.sources.iter().enumerate() {
            if s.route_decorators.is_empty() {
                continue;
            }
            let route = decorators.iter().find(|d| {
                let callee = if d.kind_name() == "call" {
                    self.m.callee(**d)
                } else {
                    Some(**d)
                };
                let Some(callee) = callee else { return false };
                let names = self.m.resolve(callee, scope);
                let method = self.m.method_name(callee);
                s.route_decorators.iter().any(|p| {
                    if let Some(mm) = p.strip_prefix("*.") {
                        method == Some(mm)
                    } else {
                        names.iter().any(|n| n == p)
                    }
                })
            });
            let Some(route) = route else { continue };
            let route_text = self.src(*route);
            for (i, (name, ty)) in params(self.m, f).into_iter().enumerate() {
                let pname = self.src(name);
                if name.kind_name() != "identifier" || (i == 0 && matches!(pname, "self" | "cls")) {
                    continue;
                }
                if let Some(t) = ty {
                    let tt = self.src(t);
                    let last = tt.rsplit('.').next().unwrap_or(tt);
                    if s.safe_types.iter().any(|x| x == last || x == tt) {
                        continue;
                    }
                }
                // Flask converters: <int:id> is an integer.
                if ["int:", "float:", "uuid:"]
                    .iter()
                    .any(|c| route_text.contains(&format!("<{c}{pname}>")))
                {
                    continue;
                }
                // FastAPI dependencies are not request data.
                if let Some(def) = name.parent().and_then(|p| p.field("value")) {
                    let d = self.src(def);
                    if d.starts_with("Depends(") || d.starts_with("Security(") {
                        continue;
                    }
                }
                let _ = si;
                st.insert(
                    pname.to_owned(),
                    Trace::root(
                        name.start_byte(),
                        name.end_byte(),
                        format!("source: {} `{pname}`", s.label),
                        s.confidence,
                    ),
                );
            }
        }
        st
    }

    /// Whether a run of function `f` from an empty state could taint anything. Taint starts
    /// at a source: a reference that is one ([`Engine::source_ref`], [`Engine::param_source`];
    /// the model records every reference ending like a source, and aliases are searched for),
    /// or a call that returns one; summaries of the file's functions only carry the taint of
    /// their arguments, and nested functions run only with tainted state. So when no reference
    /// and no call within `f` is a source, as the run would see them (in `f`'s scope), the run
    /// finds nothing and is skipped: the common case in a file with a source somewhere.
    ///
    /// Only `f`'s own code counts, not that of the functions nested in it (`nested`, their
    /// byte ranges in order, from [`nested_ranges`]): a run from an empty state enters a
    /// nested function only once something is tainted, and each nested function has a run
    /// of its own (in its own scope, where its local names shadow the sources).
    fn may_taint(&mut self, f: Node<'t>, nested: Vec<(usize, usize)>) -> bool {
        let (start, end) = (f.start_byte(), f.end_byte());
        let saved = self.frame.scope;
        self.frame.scope = self.m.scope_of.get(&f.id()).copied().unwrap_or(saved);
        // f's own code: its bytes but those of the nested functions, as ranges.
        let mut own = Vec::with_capacity(nested.len() + 1);
        let mut at = start;
        for &(s, e) in &nested {
            own.push((at, s));
            at = e;
        }
        own.push((at, end));
        // The entries of a list in tree order that start within a range.
        fn within<'l, 't>(
            list: &'l [(Node<'t>, usize)],
            (s, e): (usize, usize),
        ) -> &'l [(Node<'t>, usize)] {
            let from = list.partition_point(|(n, _)| n.start_byte() < s);
            let to = from + list[from..].partition_point(|(n, _)| n.start_byte() < e);
            &list[from..to]
        }
        let m = self.m;
        // References to aliases are not recorded by the model: look for their names.
        let text = m.src(f);
        let found = self.aliases.iter().any(|a| text.contains(a))
            || own.iter().any(|&r| {
                within(&m.taint_refs, r)
                    .iter()
                    .any(|&(n, _)| self.source_ref(n).is_some() || self.param_source(n).is_some())
            })
            || own.iter().any(|&r| {
                within(&m.calls, r)
                    .iter()
                    .any(|&(call, _)| self.may_call_source(call))
            });
        self.frame.scope = saved;
        found
    }

    fn run_function(&mut self, f: Node<'t>, st: State) -> T {
        self.run_function_state(f, st).0
    }

    /// Runs a function body from `st`: its return value's taint and its state at the end.
    fn run_function_state(&mut self, f: Node<'t>, mut st: State) -> (T, State) {
        let saved = self.frame.scope;
        self.frame.scope = self.m.scope_of.get(&f.id()).copied().unwrap_or(saved);
        let saved_ret = self.frame.ret.take();
        if let Some(body) = f.field("body") {
            if matches!(body.kind_name(), "block" | "statement_block") {
                self.exec(body, &mut st);
            } else {
                let t = self.eval(body, &mut st);
                self.frame.ret = union(self.frame.ret.take(), t);
            }
        }
        let ret = std::mem::replace(&mut self.frame.ret, saved_ret);
        self.frame.scope = saved;
        (ret, st)
    }

    /// Runs a nested function (closure, lambda, callback) where it is defined, with the
    /// enclosing state (its captured variables) and, for a callback, its first parameter bound
    /// to `param`. Only when something is tainted: otherwise its own run says all there is.
    fn run_nested(&mut self, f: Node<'t>, st: &State, param: T) {
        if (st.is_empty() && param.is_none()) || self.inline_depth >= MAX_INLINE_DEPTH {
            return;
        }
        let mut init = st.clone();
        let ps = params(self.m, f);
        for (p, _) in &ps {
            if p.kind_name() == "identifier" {
                init.remove(self.src(*p));
            }
        }
        if let (Some(t), Some((p, _))) = (param, ps.first()) {
            let t = step(&t, *p, format!("callback parameter `{}`", self.src(*p)));
            self.assign(*p, Some(t), &mut init);
        }
        self.inline_depth += 1;
        self.run_function(f, init);
        self.inline_depth -= 1;
    }

    // ---- statements -------------------------------------------------------------------

    /// Runs a statement; true when it always leaves the enclosing block (return, raise, ...).
    fn exec(&mut self, node: Node<'t>, st: &mut State) -> bool {
        match node.kind_name() {
            "module" | "program" | "block" | "statement_block" | "else_clause"
            | "finally_clause" => {
                let mut c = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for ch in children {
                    if self.exec(ch, st) {
                        return true;
                    }
                }
                false
            }
            "expression_statement" => {
                let mut c = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for ch in children {
                    self.eval(ch, st);
                }
                false
            }
            "return_statement" => {
                if let Some(v) = node.named_child(0) {
                    let t = self.eval(v, st);
                    let t = t.map(|t| step(&t, node, "returned".to_owned()));
                    self.frame.ret = union(self.frame.ret.take(), t);
                }
                true
            }
            "raise_statement" | "throw_statement" => {
                self.eval_children(node, st);
                true
            }
            "break_statement" | "continue_statement" => true,
            "if_statement" => self.exec_if(node, st),
            "for_statement" if self.m.family == Family::Python => {
                let t = match node.field("right") {
                    Some(r) => self.eval(r, st),
                    None => None,
                };
                let left = node.field("left");
                self.exec_loop(node.field("body"), left, t, None, st);
                if let Some(a) = node.field("alternative") {
                    self.exec(a, st);
                }
                false
            }
            "for_in_statement" => {
                let t = match node.field("right") {
                    Some(r) => self.eval(r, st),
                    None => None,
                };
                let left = node.field("left");
                self.exec_loop(node.field("body"), left, t, None, st);
                false
            }
            "for_statement" => {
                if let Some(i) = node.field("initializer") {
                    self.exec(i, st);
                }
                let cond = node.field("condition");
                let incr = node.field("increment");
                if let Some(c) = cond {
                    self.eval(c, st);
                }
                self.exec_loop(node.field("body"), None, None, incr, st);
                false
            }
            "while_statement" | "do_statement" => {
                if let Some(c) = node.field("condition") {
                    self.eval(c, st);
                }
                self.exec_loop(node.field("body"), None, None, None, st);
                false
            }
            "try_statement" => {
                self.exec_try(node, st);
                false
            }
            "with_statement" => {
                let mut c = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for ch in children {
                    if ch.kind_name() == "with_clause" {
                        let mut c2 = ch.walk();
                        let items: Vec<Node<'t>> = ch.named_children(&mut c2).collect();
                        for item in items {
                            let Some(v) = item.field("value") else {
                                continue;
                            };
                            if v.kind_name() == "as_pattern" {
                                let t = match v.named_child(0) {
                                    Some(e) => self.eval(e, st),
                                    None => None,
                                };
                                if let Some(alias) = v.field("alias") {
                                    let target = alias.named_child(0).unwrap_or(alias);
                                    self.assign(target, t, st);
                                }
                            } else {
                                self.eval(v, st);
                            }
                        }
                    }
                }
                match node.field("body") {
                    Some(b) => self.exec(b, st),
                    None => false,
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut c = node.walk();
                let decls: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for d in decls {
                    if d.kind_name() != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = d.field("name") else {
                        continue;
                    };
                    let t = match d.field("value") {
                        Some(v) => self.eval(v, st),
                        None => None,
                    };
                    self.assign(name, t, st);
                }
                false
            }
            "switch_statement" => {
                if let Some(v) = node.field("value") {
                    self.eval(v, st);
                }
                let Some(body) = node.field("body") else {
                    return false;
                };
                let before = st.clone();
                let mut c = body.walk();
                let cases: Vec<Node<'t>> = body.named_children(&mut c).collect();
                for case in cases {
                    let mut cs = before.clone();
                    let mut c2 = case.walk();
                    let stmts: Vec<Node<'t>> =
                        case.children_by_field_name("body", &mut c2).collect();
                    for s in stmts {
                        if self.exec(s, &mut cs) {
                            break;
                        }
                    }
                    join(st, &cs);
                }
                false
            }
            "function_definition" | "function_declaration" | "generator_function_declaration" => {
                self.run_nested(node, st, None);
                if let Some(n) = node.field("name") {
                    st.remove(self.src(n));
                }
                false
            }
            "decorated_definition" => {
                if let Some(d) = node
                    .field("definition")
                    .filter(|d| d.kind_name() == "function_definition")
                {
                    self.run_nested(d, st, None);
                    if let Some(n) = d.field("name") {
                        st.remove(self.src(n));
                    }
                }
                false
            }
            "class_definition"
            | "class_declaration"
            | "import_statement"
            | "import_from_statement"
            | "comment"
            | "pass_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "empty_statement"
            | "export_statement" => {
                if node.kind_name() == "export_statement" {
                    if let Some(d) = node.field("declaration") {
                        return self.exec(d, st);
                    }
                }
                if let Some(n) = node.field("name") {
                    st.remove(self.src(n));
                }
                false
            }
            _ => {
                self.eval(node, st);
                false
            }
        }
    }

    fn exec_if(&mut self, node: Node<'t>, st: &mut State) -> bool {
        let cond = node.field("condition");
        if let Some(c) = cond {
            self.eval(c, st);
        }
        let (then_kill, else_kill) = match cond {
            Some(c) => self.guards(c, st),
            None => (Vec::new(), Vec::new()),
        };
        let mut then_st = st.clone();
        self.apply_guards(cond, &then_kill, &mut then_st);
        let then_term = match node.field("consequence") {
            Some(b) => self.exec(b, &mut then_st),
            None => false,
        };
        let mut else_st = std::mem::take(st);
        self.apply_guards(cond, &else_kill, &mut else_st);
        let else_term = match self.m.family {
            Family::Python => {
                let mut c = node.walk();
                let alts: Vec<Node<'t>> =
                    node.children_by_field_name("alternative", &mut c).collect();
                self.exec_py_alts(&alts, &mut else_st)
            }
            Family::JavaScript => match node.field("alternative") {
                Some(a) => self.exec(a, &mut else_st),
                None => false,
            },
        };
        match (then_term, else_term) {
            (true, true) => {
                *st = then_st;
                true
            }
            (true, false) => {
                *st = else_st;
                false
            }
            (false, true) => {
                *st = then_st;
                false
            }
            (false, false) => {
                join(&mut then_st, &else_st);
                *st = then_st;
                false
            }
        }
    }

    fn exec_py_alts(&mut self, alts: &[Node<'t>], st: &mut State) -> bool {
        let Some((first, rest)) = alts.split_first() else {
            return false;
        };
        if first.kind_name() != "elif_clause" {
            return match first.field("body") {
                Some(b) => self.exec(b, st),
                None => self.exec(*first, st),
            };
        }
        let cond = first.field("condition");
        if let Some(c) = cond {
            self.eval(c, st);
        }
        let (then_kill, else_kill) = match cond {
            Some(c) => self.guards(c, st),
            None => (Vec::new(), Vec::new()),
        };
        let mut then_st = st.clone();
        self.apply_guards(cond, &then_kill, &mut then_st);
        let then_term = match first.field("consequence") {
            Some(b) => self.exec(b, &mut then_st),
            None => false,
        };
        let mut else_st = std::mem::take(st);
        self.apply_guards(cond, &else_kill, &mut else_st);
        let else_term = self.exec_py_alts(rest, &mut else_st);
        match (then_term, else_term) {
            (true, true) => {
                *st = then_st;
                true
            }
            (true, false) => {
                *st = else_st;
                false
            }
            (false, true) => {
                *st = then_st;
                false
            }
            (false, false) => {
                join(&mut then_st, &else_st);
                *st = then_st;
                false
            }
        }
    }

    fn exec_loop(
        &mut self,
        body: Option<Node<'t>>,
        var: Option<Node<'t>>,
        iter: T,
        incr: Option<Node<'t>>,
        st: &mut State,
    ) {
        let Some(body) = body else { return };
        for _ in 0..LOOP_ROUNDS {
            let mut inner = st.clone();
            if let Some(v) = var {
                let t = iter
                    .as_ref()
                    .map(|t| step(t, v, format!("loop variable `{}`", self.src(v))));
                let target = if v.kind_name() == "lexical_declaration"
                    || v.kind_name() == "variable_declaration"
                {
                    v.named_child(0).and_then(|d| d.field("name")).unwrap_or(v)
                } else {
                    v
                };
                self.assign(target, t, &mut inner);
            }
            self.exec(body, &mut inner);
            if let Some(i) = incr {
                self.eval(i, &mut inner);
            }
            let mut next = st.clone();
            join(&mut next, &inner);
            if same(&next, st) {
                break;
            }
            *st = next;
        }
    }

    fn exec_try(&mut self, node: Node<'t>, st: &mut State) {
        let before = st.clone();
        if let Some(b) = node.field("body") {
            self.exec(b, st);
        }
        let mut handlers = Vec::new();
        let mut else_clause = None;
        let mut finally = None;
        let mut c = node.walk();
        for ch in node.named_children(&mut c) {
            match ch.kind_name() {
                "except_clause" | "except_group_clause" | "catch_clause" => handlers.push(ch),
                "else_clause" => else_clause = Some(ch),
                "finally_clause" => finally = Some(ch),
                _ => {}
            }
        }
        if let Some(h) = node.field("handler") {
            if !handlers.iter().any(|x| x.id() == h.id()) {
                handlers.push(h);
            }
        }
        if let Some(f) = node.field("finalizer") {
            finally = Some(f);
        }
        let after_body = st.clone();
        if let Some(e) = else_clause {
            self.exec(e, st);
        }
        for h in handlers {
            let mut hs = before.clone();
            join(&mut hs, &after_body);
            let body = h.field("body").or_else(|| {
                let mut c = h.walk();
                let b = h.named_children(&mut c).find(|n| n.kind_name() == "block");
                b
            });
            if let Some(b) = body {
                if !self.exec(b, &mut hs) {
                    join(st, &hs);
                }
            }
        }
        if let Some(f) = finally {
            let body = f.field("body").unwrap_or(f);
            self.exec(body, st);
        }
    }

    /// Cleans what a condition validated: a name validated for every rule is dropped, one
    /// validated for some rules carries the check in its trace.
    fn apply_guards(&self, cond: Option<Node<'t>>, kills: &Guarded, st: &mut State) {
        for (k, mask) in kills {
            if *mask == u64::MAX {
                st.remove(k);
            } else if let (Some(t), Some(c)) = (st.get(k), cond) {
                let msg = format!("validated by `{}`", compact(self.src(c)));
                let t = step_mask(t, c.start_byte(), c.end_byte(), msg, t.cleared | mask);
                st.insert(k.clone(), t);
            }
        }
    }

    /// Names an `if` condition validates: (clean in the then-branch, clean in the else-branch),
    /// each with the rules (bits) it validates them for.
    fn guards(&self, cond: Node<'t>, st: &State) -> (Guarded, Guarded) {
        let cond = self.m.unwrap(cond);
        let mut then_k = Vec::new();
        let mut else_k = Vec::new();
        match cond.kind_name() {
            "comparison_operator" => {
                let text = self.src(cond);
                if let Some(l) = cond.named_child(0) {
                    if let Some(k) = self.key(l) {
                        if text.contains(" not in ") {
                            else_k.push((k, u64::MAX));
                        } else if text.contains(" in ") {
                            then_k.push((k, u64::MAX));
                        }
                    }
                }
            }
            "not_operator" => {
                if let Some(a) = cond.field("argument") {
                    let (t, e) = self.guards(a, st);
                    return (e, t);
                }
            }
            "unary_expression" => {
                let op = cond.field("operator").map(|o| self.src(o));
                if let (Some("!"), Some(a)) = (op, cond.field("argument")) {
                    let (t, e) = self.guards(a, st);
                    return (e, t);
                }
            }
            "boolean_operator" | "binary_expression" => {
                let op = cond.field("operator").map(|o| self.src(o));
                if matches!(op, Some("and") | Some("&&")) {
                    for side in ["left", "right"] {
                        if let Some(s) = cond.field(side) {
                            then_k.extend(self.guards(s, st).0);
                        }
                    }
                }
                if matches!(op, Some("or") | Some("||")) {
                    for side in ["left", "right"] {
                        if let Some(s) = cond.field(side) {
                            else_k.extend(self.guards(s, st).1);
                        }
                    }
                }
            }
            "call" | "call_expression" => {
                let Some(callee) = self.m.callee(cond) else {
                    return (then_k, else_k);
                };
                let method = self.m.method_name(callee);
                if !self.ft.guards.is_empty() {
                    let names = self.m.resolve(callee, self.frame.scope);
                    let mut masks = Vec::new();
                    self.ft.guards.find(&names, None, &mut masks);
                    // The first argument, positional or keyword (`url=next_url`).
                    let first = cond
                        .field("arguments")
                        .and_then(|a| a.named_child(0))
                        .map(|a| {
                            if a.kind_name() == "keyword_argument" {
                                a.field("value").unwrap_or(a)
                            } else {
                                a
                            }
                        })
                        .and_then(|a| self.key(a));
                    if let (false, Some(k)) = (masks.is_empty(), first) {
                        then_k.push((k, masks.iter().fold(0, |a, b| a | b)));
                        return (then_k, else_k);
                    }
                }
                match method {
                    Some("isdigit" | "isnumeric" | "isdecimal" | "isalnum" | "isidentifier") => {
                        if let Some(k) = object_of(callee).and_then(|o| self.key(o)) {
                            then_k.push((k, u64::MAX));
                        }
                    }
                    Some("includes" | "has" | "__contains__") => {
                        let receiver_clean = object_of(callee)
                            .and_then(|o| self.key(o))
                            .is_none_or(|k| !st.contains_key(&k));
                        let first = cond.field("arguments").and_then(|a| a.named_child(0));
                        if let (true, Some(k)) = (receiver_clean, first.and_then(|a| self.key(a))) {
                            then_k.push((k, u64::MAX));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        (then_k, else_k)
    }

    // ---- expressions ------------------------------------------------------------------

    /// The state key of an identifier or attribute path (`x`, `self.cmd`, `opts.a.b`).
    fn key(&self, node: Node<'t>) -> Option<String> {
        let node = self.m.unwrap(node);
        match node.kind_name() {
            "identifier" | "shorthand_property_identifier_pattern" | "this" => {
                Some(self.src(node).to_owned())
            }
            "attribute" | "member_expression" => {
                let obj = access_object(node)?;
                let prop = self.m.access_member(node)?;
                let base = self.key(obj)?;
                Some(format!("{base}.{prop}"))
            }
            _ => None,
        }
    }

    fn eval_children(&mut self, node: Node<'t>, st: &mut State) -> T {
        let mut acc = None;
        let mut c = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
        for ch in children {
            let t = self.eval(ch, st);
            acc = union(acc, t);
        }
        acc
    }

    fn eval(&mut self, node: Node<'t>, st: &mut State) -> T {
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let t = self.eval_inner(node, st);
        self.depth -= 1;
        t
    }

    fn eval_inner(&mut self, node: Node<'t>, st: &mut State) -> T {
        match node.kind_name() {
            "identifier" => {
                let name = self.src(node);
                if let Some(t) = st.get(name) {
                    return Some(Rc::clone(t));
                }
                self.source_ref(node)
            }
            "this" | "self" => None,
            "attribute" | "member_expression" => {
                if let Some(k) = self.key(node) {
                    if let Some(t) = st.get(&k) {
                        return Some(Rc::clone(t));
                    }
                }
                if let Some(t) = self.source_ref(node) {
                    return Some(t);
                }
                if let Some(t) = self.param_source(node) {
                    return Some(t);
                }
                let obj = object_of(node)?;
                self.eval(obj, st)
            }
            "subscript" | "subscript_expression" => {
                let obj = node.field("value").or_else(|| node.field("object"));
                let idx = node.field("subscript").or_else(|| node.field("index"));
                if let Some(i) = idx {
                    self.eval(i, st);
                }
                match obj {
                    Some(o) => self.eval(o, st),
                    None => None,
                }
            }
            "call" | "call_expression" | "new_expression" => self.eval_call(node, st),
            "string"
            | "template_string"
            | "concatenated_string"
            | "interpolation"
            | "template_substitution"
            | "format_expression" => self.eval_children(node, st),
            "integer" | "float" | "number" | "true" | "false" | "none" | "null" | "undefined"
            | "comment" | "regex" | "string_content" | "string_fragment" | "escape_sequence"
            | "class" | "ellipsis" => None,
            "lambda"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function" => {
                self.run_nested(node, st, None);
                None
            }
            "comparison_operator" | "not_operator" => {
                self.eval_children(node, st);
                None
            }
            "unary_expression" | "unary_operator" => {
                let op = node.field("operator").map(|o| self.src(o));
                let t = self.eval_children(node, st);
                match op {
                    Some("!" | "typeof" | "void" | "-" | "+" | "~" | "delete" | "not") => None,
                    _ => t,
                }
            }
            "binary_expression" => {
                let op = node.field("operator").map(|o| self.src(o));
                let t = self.eval_children(node, st);
                match op {
                    Some(
                        "==" | "===" | "!=" | "!==" | "<" | ">" | "<=" | ">=" | "instanceof" | "in"
                        | "-" | "*" | "/" | "**" | "&" | "|" | "^" | "<<" | ">>" | ">>>",
                    ) => None,
                    _ => t,
                }
            }
            "binary_operator" => {
                let op = node.field("operator").map(|o| self.src(o));
                let t = self.eval_children(node, st);
                match op {
                    Some("-" | "*" | "/" | "//" | "**" | "&" | "|" | "^" | "<<" | ">>") => {
                        // `%` and `+` build strings; `*` repeats them but keeps no new data.
                        if op == Some("*") {
                            t
                        } else {
                            None
                        }
                    }
                    _ => t,
                }
            }
            "conditional_expression" => {
                let mut c = node.walk();
                let ch: Vec<Node<'t>> = node.named_children(&mut c).collect();
                let mut acc = None;
                for (i, n) in ch.into_iter().enumerate() {
                    let t = self.eval(n, st);
                    if i != 1 {
                        acc = union(acc, t);
                    }
                }
                acc
            }
            "ternary_expression" => {
                if let Some(c) = node.field("condition") {
                    self.eval(c, st);
                }
                let a = match node.field("consequence") {
                    Some(n) => self.eval(n, st),
                    None => None,
                };
                let b = match node.field("alternative") {
                    Some(n) => self.eval(n, st),
                    None => None,
                };
                union(a, b)
            }
            "assignment" | "assignment_expression" | "named_expression" => {
                let left = node.field("left").or_else(|| node.field("name"));
                let right = node.field("right").or_else(|| node.field("value"));
                let (Some(left), Some(right)) = (left, right) else {
                    return None;
                };
                // a, b = x, y: element by element.
                if matches!(left.kind_name(), "pattern_list" | "tuple_pattern")
                    && matches!(right.kind_name(), "expression_list" | "tuple")
                    && left.named_child_count() == right.named_child_count()
                {
                    let mut acc = None;
                    for i in 0..left.named_child_count() {
                        if let (Some(l), Some(r)) = (left.named_child(i), right.named_child(i)) {
                            let t = self.eval(r, st);
                            acc = union(acc, t.clone());
                            self.assign(l, t, st);
                        }
                    }
                    return acc;
                }
                let t = self.eval(right, st);
                self.assign_sink(node, left, &t);
                self.assign(left, t.clone(), st);
                t
            }
            "augmented_assignment" | "augmented_assignment_expression" => {
                let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
                    return None;
                };
                let r = self.eval(right, st);
                let l = self.eval(left, st);
                let t = union(l, r.clone());
                if r.is_some() {
                    self.assign_sink(node, left, &t);
                    if let (Some(k), Some(tt)) = (self.key(left), &t) {
                        let msg = format!("`{k}` extended");
                        st.insert(k, step(tt, node, msg));
                    }
                }
                t
            }
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => {
                let mut inner = st.clone();
                let mut c = node.walk();
                let ch: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for n in &ch {
                    if n.kind_name() == "for_in_clause" {
                        let t = match n.field("right") {
                            Some(r) => self.eval(r, &mut inner),
                            None => None,
                        };
                        if let Some(l) = n.field("left") {
                            self.assign(l, t, &mut inner);
                        }
                    }
                }
                let mut acc = None;
                for n in &ch {
                    if n.kind_name() != "for_in_clause" {
                        let t = self.eval(*n, &mut inner);
                        if n.kind_name() != "if_clause" {
                            acc = union(acc, t);
                        }
                    }
                }
                acc
            }
            "keyword_argument" => match node.field("value") {
                Some(v) => self.eval(v, st),
                None => None,
            },
            "pair" => {
                if let Some(k) = node.field("key") {
                    if k.kind_name() == "computed_property_name" {
                        self.eval(k, st);
                    }
                }
                match node.field("value") {
                    Some(v) => self.eval(v, st),
                    None => None,
                }
            }
            "shorthand_property_identifier" => st.get(self.src(node)).cloned(),
            _ => self.eval_children(node, st),
        }
    }

    /// A reference that resolves to a source name (`request.args`, `sys.argv`, `location`).
    fn source_ref(&self, node: Node<'t>) -> T {
        if self.frame.summary || self.ft.source_names.is_empty() {
            return None;
        }
        // Resolving is the costly part: only names whose last segment a source ends with.
        let last = match node.kind_name() {
            "identifier" => self.src(node),
            _ => self.m.member_of(node).unwrap_or(""),
        };
        if !self.ft.source_last.contains(last) && !self.aliases.contains(last) {
            return None;
        }
        let names = self.m.resolve(node, self.frame.scope);
        if names.is_empty() {
            return None;
        }
        self.source_named(node, &names)
    }

    /// `request.GET` where `request` is a parameter (Django, Express, Starlette).
    fn param_source(&self, node: Node<'t>) -> T {
        if self.frame.summary {
            return None;
        }
        let obj = self.m.unwrap(object_of(node)?);
        let prop = self.m.member_of(node)?;
        let obj_text = self.src(obj);
        for s in &self.ft.sources {
            if s.params.is_empty() || !s.attributes.iter().any(|a| a == prop) {
                continue;
            }
            if !s.params.iter().any(|p| p == obj_text) {
                continue;
            }
            let is_param = match obj.kind_name() {
                "identifier" => self
                    .m
                    .lookup(self.frame.scope, obj_text)
                    .is_some_and(|(_, b)| b.iter().all(|b| matches!(b, Bind::Opaque))),
                _ => true,
            };
            if is_param {
                return Some(Trace::root(
                    node.start_byte(),
                    node.end_byte(),
                    format!("source: {} `{}`", s.label, compact(self.src(node))),
                    s.confidence,
                ));
            }
        }
        None
    }

    /// Binds the value of an assignment to its target.
    fn assign(&mut self, left: Node<'t>, t: T, st: &mut State) {
        match left.kind_name() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                let name = self.src(left);
                match t {
                    Some(t) => {
                        let msg = format!("assigned to `{name}`");
                        st.insert(name.to_owned(), step(&t, left, msg));
                    }
                    None => {
                        st.remove(name);
                    }
                }
            }
            "attribute" | "member_expression" => {
                if let Some(k) = self.key(left) {
                    match t {
                        Some(t) => {
                            let msg = format!("assigned to `{k}`");
                            st.insert(k, step(&t, left, msg));
                        }
                        None => {
                            st.remove(&k);
                        }
                    }
                }
            }
            "subscript" | "subscript_expression" => {
                // Storing into a container taints the container (never cleans it).
                let obj = left.field("value").or_else(|| left.field("object"));
                if let (Some(o), Some(t)) = (obj, t) {
                    if let Some(k) = self.key(o) {
                        let msg = format!("stored in `{k}`");
                        st.insert(k, step(&t, left, msg));
                    }
                }
            }
            "pair_pattern" => {
                if let Some(v) = left.field("value") {
                    self.assign(v, t, st);
                }
            }
            "object_assignment_pattern" | "assignment_pattern" => {
                if let Some(v) = left.field("left") {
                    self.assign(v, t, st);
                }
            }
            "as_pattern_target" | "list_splat_pattern" | "rest_pattern" => {
                if let Some(v) = left.named_child(0) {
                    self.assign(v, t, st);
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "array_pattern"
            | "object_pattern" | "expression_list" | "tuple" | "list" => {
                let mut c = left.walk();
                let ch: Vec<Node<'t>> = left.named_children(&mut c).collect();
                for n in ch {
                    self.assign(n, t.clone(), st);
                }
            }
            _ => {}
        }
    }

    /// `el.innerHTML = tainted`, `location.href = tainted`.
    fn assign_sink(&mut self, at: Node<'t>, left: Node<'t>, t: &T) {
        let Some(t) = t else { return };
        // An object or array literal is not markup, a URL or a header value (`ctx.body = {...}`
        // is sent as JSON).
        if at.field("right").is_some_and(|r| {
            matches!(
                self.m.unwrap(r).kind_name(),
                "object" | "array" | "dictionary" | "list"
            )
        }) {
            return;
        }
        let mut found = Vec::new();
        let left = self.m.unwrap(left);
        match left.kind_name() {
            "member_expression" | "attribute" if !self.ft.assign_sinks.is_empty() => {
                let names = self.target_names(left);
                let method = self.m.method_name(left);
                self.ft.assign_sinks.find(&names, method, &mut found);
            }
            "subscript" | "subscript_expression" if !self.ft.item_sinks.is_empty() => {
                let Some(obj) = left.field("value").or_else(|| left.field("object")) else {
                    return;
                };
                let obj = self.m.unwrap(obj);
                let names = self.target_names(obj);
                let method = self.m.method_name(obj);
                self.ft.item_sinks.find(&names, method, &mut found);
            }
            _ => return,
        }
        found.sort_unstable();
        found.dedup();
        for (ri, si) in found {
            if t.cleared & (1u64 << ri) != 0 {
                continue;
            }
            let Some(sink) = self.ft.rules.get(ri).and_then(|r| r.sinks.get(si)) else {
                continue;
            };
            if sink.safe_prefix && at.field("right").is_some_and(|r| self.fixed_prefix(r)) {
                continue;
            }
            let trace = step(
                t,
                at,
                format!("sink: {} (`{}`)", sink.label, compact(self.src(left))),
            );
            self.frame.hits.push(Hit {
                rule: ri,
                start: at.start_byte(),
                end: at.end_byte(),
                trace,
            });
        }
    }

    fn eval_call(&mut self, node: Node<'t>, st: &mut State) -> T {
        let callee = self.m.callee(node);
        // Arguments: (keyword, value node, taint).
        let mut args: Vec<(Option<&'t str>, Node<'t>, T)> = Vec::new();
        let mut callbacks: Vec<Node<'t>> = Vec::new();
        if let Some(a) = node.field("arguments") {
            if a.kind_name() == "template_string" {
                // Tagged templates (sql`...`, html`...`) get the parts separately; only
                // String.raw keeps them as text.
                let t = self.eval(a, st);
                let raw = callee.is_some_and(|c| self.src(c) == "String.raw");
                return if raw { t } else { None };
            }
            if matches!(a.kind_name(), "generator_expression") {
                let t = self.eval(a, st);
                args.push((None, a, t));
            } else {
                let mut c = a.walk();
                let children: Vec<Node<'t>> = a.named_children(&mut c).collect();
                for ch in children {
                    match ch.kind_name() {
                        "comment" => {}
                        "keyword_argument" => {
                            let name = ch.field("name").map(|n| self.src(n));
                            let v = ch.field("value").unwrap_or(ch);
                            let t = self.eval(v, st);
                            args.push((name, v, t));
                        }
                        k if is_function(k) || k == "lambda" => {
                            callbacks.push(ch);
                            args.push((None, ch, None));
                        }
                        _ => {
                            let t = self.eval(ch, st);
                            args.push((None, ch, t));
                        }
                    }
                }
            }
        }
        let Some(callee) = callee else {
            for f in callbacks {
                self.run_nested(f, st, None);
            }
            return args.into_iter().fold(None, |acc, (_, _, t)| union(acc, t));
        };
        let callee_t = self.eval(callee, st);
        let names = self.callee_names(callee);
        let method = self.m.method_name(callee);

        // Callbacks: `items.forEach(x => ...)` gets the receiver's elements, `map(f, items)`
        // the other arguments; any other callback only its captured variables.
        if !callbacks.is_empty() {
            let element = if method.is_some_and(|m| CALLBACK_METHODS.contains(&m)) {
                callee_t.clone()
            } else if self.m.family == Family::Python
                && names
                    .iter()
                    .any(|n| matches!(n.as_str(), "map" | "filter" | "sorted"))
            {
                args.iter()
                    .fold(None, |acc, (_, _, t)| union(acc, t.clone()))
            } else {
                None
            };
            for f in callbacks {
                self.run_nested(f, st, element.clone());
            }
        }

        // Sinks.
        let mut found: Vec<(usize, usize)> = std::mem::take(&mut self.scratch);
        found.clear();
        self.ft.call_sinks.find(&names, method, &mut found);
        found.sort_unstable();
        found.dedup();
        if args.iter().any(|(_, _, t)| t.is_some()) {
            for &(ri, si) in &found {
                self.check_sink(node, callee, ri, si, &args, st);
            }
        }
        self.scratch = found;

        // Sources: the result of calling a source (`input()`, `request.get_json()`).
        if let Some(t) = self.source_named(node, &names) {
            return Some(t);
        }
        let arg_t = args
            .iter()
            .fold(None, |acc, (_, _, t)| union(acc, t.clone()));
        // Containers filled with tainted data are tainted: `out.append(x)`, `list.push(x)`.
        if let (Some(t), Some(m)) = (&arg_t, method) {
            if MUTATORS.contains(&m) {
                if let Some(k) = object_of(callee).and_then(|o| self.key(o)) {
                    let msg = format!("added to `{k}`");
                    let t = step(t, node, msg);
                    st.insert(k, t);
                }
            }
        }

        // Sanitizers.
        let mut masks = Vec::new();
        self.ft.sanitizers.find(&names, method, &mut masks);
        if !masks.is_empty() {
            let mask = masks.iter().fold(0u64, |a, b| a | b);
            if mask == u64::MAX {
                return None;
            }
            let t = union(arg_t, callee_t)?;
            let ids: Vec<&str> = (0..self.ft.rules.len())
                .filter(|i| mask & (1u64 << i) != 0)
                .filter_map(|i| self.ft.rules.get(i).map(|r| r.meta.id.as_str()))
                .collect();
            let msg = format!(
                "sanitized by `{}()` for {}",
                compact(self.src(callee)),
                ids.join(", ")
            );
            return Some(step_mask(
                &t,
                node.start_byte(),
                node.end_byte(),
                msg,
                t.cleared | mask,
            ));
        }
        let mut safe = Vec::new();
        self.ft.safe_calls.find(&names, method, &mut safe);
        if !safe.is_empty() {
            return None;
        }

        // Functions of this file.
        if let Some(t) = self.call_summary(node, callee, &args) {
            return t;
        }
        // Unknown calls: the result carries the arguments' and the receiver's taint.
        union(callee_t, arg_t)
    }

    /// The names a callee stands for, for sinks, sources and sanitizers: what the model
    /// resolves, or else what a receiver chain is derived from and the callee as written.
    fn callee_names(&self, callee: Node<'t>) -> Vec<String> {
        let mut names = self.m.resolve(callee, self.frame.scope);
        if names.is_empty() && matches!(callee.kind_name(), "attribute" | "member_expression") {
            self.derived(callee, self.frame.scope, 0, &mut names);
            let text = compact(self.src(callee));
            if !names.contains(&text) {
                names.push(text);
            }
        }
        names
    }

    /// The taint of `node` (a reference, or a call's result) when what it stands for,
    /// `names`, is a source.
    fn source_named(&self, node: Node<'t>, names: &[String]) -> T {
        if self.frame.summary {
            return None;
        }
        let mut src = Vec::new();
        self.ft.source_names.find(names, None, &mut src);
        let s = src.first().and_then(|&i| self.ft.sources.get(i))?;
        Some(Trace::root(
            node.start_byte(),
            node.end_byte(),
            format!("source: {} `{}`", s.label, compact(self.src(node))),
            s.confidence,
        ))
    }

    /// Whether `call` returns a source ([`Engine::source_named`], before its arguments are
    /// evaluated). Resolving a callee is the costly part: when every source name is exact, a
    /// callee written as a name or an attribute can only stand for one if its last segment
    /// is a source's or an alias of one (as for [`Engine::source_ref`]).
    fn may_call_source(&self, call: Node<'t>) -> bool {
        let Some(callee) = self.m.callee(call) else {
            return false;
        };
        if self.ft.source_names.is_exact_only() {
            let last = match callee.kind_name() {
                "identifier" => Some(self.src(callee)),
                "attribute" | "member_expression" => self.m.access_member(callee),
                _ => None,
            };
            if last.is_some_and(|l| !self.ft.source_last.contains(l) && !self.aliases.contains(l)) {
                return false;
            }
        }
        self.source_named(call, &self.callee_names(callee))
            .is_some()
    }

    fn check_sink(
        &mut self,
        call: Node<'t>,
        callee: Node<'t>,
        ri: usize,
        si: usize,
        args: &[(Option<&'t str>, Node<'t>, T)],
        st: &mut State,
    ) {
        let Some(sink) = self.ft.rules.get(ri).and_then(|r| r.sinks.get(si)) else {
            return;
        };
        if let Some(k) = &sink.requires_true {
            match self.m.arg(call, self.frame.scope, None, Some(k)) {
                ArgValue::Present(v) => {
                    if self.m.literal(v, self.frame.scope) != Some(Lit::Bool(true)) {
                        return;
                    }
                }
                _ => return,
            }
        }
        for k in &sink.unless {
            if matches!(
                self.m.arg(call, self.frame.scope, None, Some(k)),
                ArgValue::Present(_)
            ) {
                return;
            }
        }
        let mut pos = 0;
        for (kw, v, t) in args {
            let relevant = sink.all_args
                || match kw {
                    Some(k) => sink.keywords.iter().any(|x| x == k),
                    None => sink.args.contains(&pos),
                };
            if kw.is_none() {
                pos += 1;
            }
            let Some(t) = t else { continue };
            if !relevant || t.cleared & (1u64 << ri) != 0 {
                continue;
            }
            let keyed;
            let t = if sink.keys.is_empty() && sink.safe_keys.is_empty() {
                t
            } else {
                match self.keyed_taint(*v, &sink.keys, &sink.safe_keys, st, 0) {
                    Some(k) => {
                        keyed = k;
                        match &keyed {
                            Some(k) if k.cleared & (1u64 << ri) == 0 => k,
                            _ => continue,
                        }
                    }
                    None => t,
                }
            };
            if sink.safe_prefix && self.fixed_prefix(*v) {
                continue;
            }
            let trace = step(
                t,
                *v,
                format!("sink: {} (`{}`)", sink.label, compact(self.src(callee))),
            );
            self.frame.hits.push(Hit {
                rule: ri,
                start: call.start_byte(),
                end: call.end_byte(),
                trace,
            });
            return;
        }
    }

    /// The taint of a dict or object literal argument (None: not a literal, the whole value
    /// counts): with `keys`, only the values under them; values under `safe` keys never count.
    fn keyed_taint(
        &mut self,
        v: Node<'t>,
        keys: &[String],
        safe: &[String],
        st: &mut State,
        depth: usize,
    ) -> Option<T> {
        let mut v = self.m.unwrap(v);
        if v.kind_name() == "identifier" && depth == 0 {
            // `q = {...}; find(q)`: the literal the name is bound to (once).
            let (lit, _) = self.m.single_value(self.src(v), self.frame.scope)?;
            v = self.m.unwrap(lit);
        }
        if !matches!(v.kind_name(), "dictionary" | "object") || depth > 8 {
            return None;
        }
        let mut acc = None;
        let mut c = v.walk();
        let children: Vec<Node<'t>> = v.named_children(&mut c).collect();
        for ch in children {
            match ch.kind_name() {
                "pair" => {
                    let Some(k) = ch.field("key") else {
                        continue;
                    };
                    let name = match k.kind_name() {
                        "string" => self.m.string_value(k).unwrap_or_default(),
                        _ => self.src(k).to_owned(),
                    };
                    let Some(val) = ch.field("value") else {
                        continue;
                    };
                    if safe.contains(&name) {
                        continue;
                    }
                    if keys.is_empty() {
                        // Every value counts, nested literals key by key.
                        let t = match self.keyed_taint(val, keys, safe, st, depth + 1) {
                            Some(t) => t,
                            None => self.eval(val, st),
                        };
                        acc = union(acc, t);
                    } else if keys.contains(&name) {
                        let t = self.eval(val, st);
                        acc = union(acc, t);
                    }
                }
                "shorthand_property_identifier" => {
                    let name = self.src(ch);
                    if (keys.is_empty() || keys.iter().any(|x| x == name))
                        && !safe.iter().any(|x| x == name)
                    {
                        acc = union(acc, st.get(name).cloned());
                    }
                }
                // `{...opts}` / `**opts`: unknown keys.
                "spread_element" | "dictionary_splat" => {
                    let t = self.eval(ch, st);
                    acc = union(acc, t);
                }
                _ => {}
            }
        }
        Some(acc)
    }

    /// Names a receiver chain stands for when the model cannot resolve it: a local bound once
    /// to a call or an attribute is followed (`logger = logging.getLogger()` makes `logger.info`
    /// `logging.getLogger().info`), calls add `()` and subscripts `[]`.
    fn derived(&self, node: Node<'t>, scope: usize, depth: usize, out: &mut Vec<String>) {
        if depth > 16 || out.len() >= MAX_DERIVED {
            return;
        }
        let node = self.m.unwrap(node);
        match node.kind_name() {
            "identifier" => {
                let r = self.m.resolve(node, scope);
                if !r.is_empty() {
                    out.extend(r);
                    return;
                }
                let name = self.src(node);
                match self.m.single_value(name, scope) {
                    Some((v, s))
                        if matches!(
                            self.m.unwrap(v).kind_name(),
                            "call"
                                | "call_expression"
                                | "new_expression"
                                | "attribute"
                                | "member_expression"
                                | "subscript"
                                | "subscript_expression"
                        ) =>
                    {
                        self.derived(v, s, depth + 1, out);
                    }
                    _ => out.push(name.to_owned()),
                }
            }
            "this" | "self" => out.push(self.src(node).to_owned()),
            "attribute" | "member_expression" => {
                let (Some(obj), Some(prop)) = (access_object(node), self.m.access_member(node))
                else {
                    return;
                };
                let mut base = Vec::new();
                self.derived(obj, scope, depth + 1, &mut base);
                for b in base {
                    out.push(format!("{b}.{prop}"));
                }
            }
            "call" | "call_expression" | "new_expression" => {
                let Some(callee) = self.m.callee(node) else {
                    return;
                };
                let mut base = Vec::new();
                self.derived(callee, scope, depth + 1, &mut base);
                for b in base {
                    out.push(format!("{b}()"));
                }
            }
            "subscript" | "subscript_expression" => {
                let Some(obj) = node.field("value").or_else(|| node.field("object")) else {
                    return;
                };
                let mut base = Vec::new();
                self.derived(obj, scope, depth + 1, &mut base);
                for b in base {
                    out.push(format!("{b}[]"));
                }
            }
            _ => {}
        }
        out.truncate(MAX_DERIVED);
    }

    /// Names of an assignment target for sink matching: resolved, derived, or its text.
    fn target_names(&self, node: Node<'t>) -> Vec<String> {
        let mut names = self.m.resolve(node, self.frame.scope);
        if names.is_empty() {
            self.derived(node, self.frame.scope, 0, &mut names);
            let text = compact(self.src(node));
            if !names.contains(&text) {
                names.push(text);
            }
        }
        names
    }

    /// True when a string starts with a fixed relative path (`/x`, not `//`) or a fixed
    /// `scheme://host/`.
    fn fixed_prefix(&self, v: Node<'t>) -> bool {
        let mut n = self.m.unwrap(v);
        // The leftmost part of a concatenation.
        for _ in 0..16 {
            match n.kind_name() {
                "binary_operator" | "binary_expression" => match n.field("left") {
                    Some(l) => n = self.m.unwrap(l),
                    None => return false,
                },
                _ => break,
            }
        }
        let text = match n.kind_name() {
            "string" | "template_string" => {
                let raw = self.src(n);
                let raw = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                raw.get(1..).unwrap_or("")
            }
            _ => return false,
        };
        if let Some(rest) = text.strip_prefix('/') {
            return !rest.starts_with('/') && !rest.starts_with('\\') && !rest.is_empty();
        }
        match text.split_once("://") {
            Some((scheme, rest)) => {
                scheme.bytes().all(|b| b.is_ascii_alphabetic())
                    && rest.split_once('/').is_some_and(|(host, _)| {
                        !host.is_empty() && !host.contains(['$', '{', '%'])
                    })
            }
            None => false,
        }
    }

    /// A call to a function of this file: its summaries for the tainted arguments.
    fn call_summary(
        &mut self,
        call: Node<'t>,
        callee: Node<'t>,
        args: &[(Option<&'t str>, Node<'t>, T)],
    ) -> Option<T> {
        let (name, via_self) = match callee.kind_name() {
            "identifier" => (self.src(callee), false),
            "attribute" | "member_expression" => {
                let obj = object_of(callee)?;
                if !matches!(self.src(obj), "self" | "this" | "cls") {
                    return None;
                }
                (self.m.method_name(callee)?, true)
            }
            _ => return None,
        };
        if !self.funcs.contains_key(name) {
            return None;
        }
        if !via_self && !self.m.resolve(callee, self.frame.scope).is_empty() {
            // An import or a global, not a local definition.
            if self
                .m
                .lookup(self.frame.scope, name)
                .is_none_or(|(_, b)| !b.iter().all(|b| matches!(b, Bind::Opaque | Bind::Value(_))))
            {
                return None;
            }
        }
        let candidates = self.funcs.get(name)?;
        let &(f, _) = candidates.iter().find(|(_, m)| *m == via_self)?;
        let ps = params(self.m, f);
        let skip = usize::from(
            self.m.family == Family::Python
                && via_self
                && ps
                    .first()
                    .is_some_and(|(p, _)| matches!(self.src(*p), "self" | "cls")),
        );
        let mut result = None;
        let mut pos = 0;
        for (kw, v, t) in args {
            let pi = match kw {
                Some(k) => ps.iter().position(|(p, _)| self.src(*p) == *k),
                None => {
                    let i = pos + skip;
                    pos += 1;
                    Some(i)
                }
            };
            let (Some(pi), Some(t)) = (pi, t) else {
                continue;
            };
            if pi >= ps.len() {
                continue;
            }
            let Some(sum) = self.summary(f, pi, &ps) else {
                continue;
            };
            let fname = function_name(self.m, f).unwrap_or("function");
            let into = step(t, *v, format!("passed to `{fname}()`"));
            if let Some(r) = &sum.ret {
                let back = splice(&into, r);
                let back = step(&back, call, format!("returned from `{fname}()`"));
                result = union(result, Some(back));
            }
            for h in &sum.sinks {
                self.frame.hits.push(Hit {
                    rule: h.rule,
                    start: h.start,
                    end: h.end,
                    trace: splice(&into, &h.trace),
                });
            }
        }
        Some(result)
    }

    fn summary(
        &mut self,
        f: Node<'t>,
        pi: usize,
        ps: &[(Node<'t>, Option<Node<'t>>)],
    ) -> Option<Rc<Summary>> {
        if let Some(s) = self.summaries.get(&(f.id(), pi)) {
            return Some(Rc::clone(s));
        }
        if self.in_progress.contains(&f.id()) || self.summary_depth >= MAX_SUMMARY_DEPTH {
            return None;
        }
        let (pnode, _) = *ps.get(pi)?;
        let fname = function_name(self.m, f).unwrap_or("function");
        let mut init = State::default();
        let root = Trace::root(
            pnode.start_byte(),
            pnode.end_byte(),
            format!("parameter `{}` of `{fname}()`", self.src(pnode)),
            None,
        );
        let mut tmp = State::default();
        self.assign(pnode, Some(root), &mut tmp);
        // The parameter itself is the root: drop the "assigned to" step.
        for (k, v) in tmp {
            let base = match &v.prev {
                Some(p) => Rc::clone(p),
                None => v,
            };
            init.insert(k, base);
        }
        self.in_progress.insert(f.id());
        self.summary_depth += 1;
        let saved = std::mem::replace(
            &mut self.frame,
            Frame {
                scope: self.m.scope_of.get(&f.id()).copied().unwrap_or(0),
                summary: true,
                ret: None,
                hits: Vec::new(),
            },
        );
        let ret = self.run_function(f, init);
        let frame = std::mem::replace(&mut self.frame, saved);
        self.summary_depth -= 1;
        self.in_progress.remove(&f.id());
        let s = Rc::new(Summary {
            ret,
            sinks: frame.hits,
        });
        self.summaries.insert((f.id(), pi), Rc::clone(&s));
        Some(s)
    }
}

/// Source text with whitespace runs collapsed, cut to a readable length.
fn compact(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(80));
    let mut space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(ch);
        if out.len() > 60 {
            out.push('…');
            break;
        }
    }
    out
}
