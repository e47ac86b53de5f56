//! The per-file semantic model: scopes, bindings (imports, aliases, constants) and the nodes
//! rules look at, built in one iterative walk of the tree.

use rustc_hash::FxHashMap as HashMap;

use crate::fields::FieldExt;
use tree_sitter::{Node, Tree, TreeCursor};
use vigil_core::lang::Family;

use crate::model::{Kind, Lit};

/// Index of a scope in [`Model::scopes`].
pub type ScopeId = usize;

/// How a name is bound in a scope.
#[derive(Debug, Clone)]
pub enum Bind<'t> {
    /// An import: the qualified name it stands for.
    Import(String),
    /// An assignment from this expression.
    Value(Node<'t>),
    /// A member of an object: `const { exec } = require('child_process')`.
    Member(Node<'t>, String),
    /// Anything else: a parameter, a def, a loop variable. Shadows imports.
    Opaque,
}

/// One scope: module, function, class or lambda.
#[derive(Debug, Default)]
pub struct Scope<'t> {
    /// The enclosing scope.
    pub parent: Option<ScopeId>,
    /// Name of the function or class that opens it.
    pub name: Option<&'t str>,
    /// Bindings by name.
    pub bindings: HashMap<&'t str, Vec<Bind<'t>>>,
    /// `from m import *` modules (Python).
    pub wildcards: Vec<String>,
    /// The node that opens it (none for the module).
    pub opener: Option<Node<'t>>,
    /// The opener's parent, grandparent and great-grandparent, as the walk saw them
    /// (`Node::parent` searches from the root on every call).
    pub up: [Option<Node<'t>>; 3],
}

/// What an argument lookup found.
#[derive(Debug, Clone, Copy)]
pub enum ArgValue<'t> {
    /// The argument's value.
    Present(Node<'t>),
    /// Provably absent.
    Missing,
    /// Absent, but `*args`/`**kwargs`/spread or a non-literal options object could supply it.
    Unknown,
}

/// The semantic model of one file.
pub struct Model<'t> {
    /// The file's text.
    pub text: &'t str,
    /// Python or JavaScript.
    pub family: Family,
    /// Scopes; 0 is the module.
    pub scopes: Vec<Scope<'t>>,
    /// The scope opened by a node (node id -> scope).
    pub scope_of: HashMap<usize, ScopeId>,
    /// Every call (and JS `new`) with its scope.
    pub calls: Vec<(Node<'t>, ScopeId)>,
    /// Identifier and attribute nodes whose last segment the rules look for
    /// ([`REF_RULES`]), with their scope.
    pub refs: Vec<(Node<'t>, ScopeId)>,
    /// Identifier and attribute nodes whose last segment the taint pass looks for
    /// ([`REF_TAINT`]: a source may end so), with their scope.
    pub taint_refs: Vec<(Node<'t>, ScopeId)>,
    /// Import statements and the module names they import.
    pub imports: Vec<(Node<'t>, String)>,
    /// The tree's root.
    pub root: Node<'t>,
}

const MAX_DEPTH: usize = 12;

/// A bit of what [`Model::build`]'s `ref_names` answers: the rules want references ending so
/// recorded in [`Model::refs`].
pub const REF_RULES: u8 = 1;
/// A bit of what [`Model::build`]'s `ref_names` answers: the taint pass wants references ending
/// so recorded in [`Model::taint_refs`].
pub const REF_TAINT: u8 = 2;

/// What a node kind is to the model's walk: read from a table indexed by kind id (see
/// [`roles`]), so that the walk tells kinds apart without comparing their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Nothing for the visitors.
    Other,
    /// Python `call`; JavaScript `call_expression`, `new_expression`.
    Call,
    /// `import_statement`.
    Import,
    /// Python `import_from_statement`.
    ImportFrom,
    /// A node that opens a scope: Python `function_definition`, `class_definition`; the
    /// JavaScript functions, arrow functions and methods.
    Function,
    /// Python `lambda`.
    Lambda,
    /// JavaScript `variable_declarator`.
    Declarator,
    /// Python `assignment`; JavaScript `assignment_expression`.
    Assign,
    /// Python `augmented_assignment`; JavaScript `augmented_assignment_expression`.
    AugAssign,
    /// JavaScript `class_declaration`.
    ClassDecl,
    /// Python `for_statement`, `for_in_clause`; JavaScript `for_in_statement`.
    Loop,
    /// Python `as_pattern_target`, `named_expression`.
    Target,
    /// Python `except_clause`; JavaScript `catch_clause`.
    Catch,
    /// Python `attribute`; JavaScript `member_expression`.
    Access,
    /// `identifier`.
    Identifier,
    /// `string` (the walk may not go into it).
    String,
}

/// The kinds with a [`Role`] other than [`Role::Other`], per family (`None`: both).
const ROLE_KINDS: &[(Option<Family>, &str, Role)] = {
    use Family::{JavaScript as Js, Python as Py};
    &[
        (None, "identifier", Role::Identifier),
        (None, "string", Role::String),
        (None, "import_statement", Role::Import),
        (Some(Py), "call", Role::Call),
        (Some(Py), "import_from_statement", Role::ImportFrom),
        (Some(Py), "function_definition", Role::Function),
        (Some(Py), "class_definition", Role::Function),
        (Some(Py), "lambda", Role::Lambda),
        (Some(Py), "assignment", Role::Assign),
        (Some(Py), "augmented_assignment", Role::AugAssign),
        (Some(Py), "for_statement", Role::Loop),
        (Some(Py), "for_in_clause", Role::Loop),
        (Some(Py), "as_pattern_target", Role::Target),
        (Some(Py), "named_expression", Role::Target),
        (Some(Py), "except_clause", Role::Catch),
        (Some(Py), "attribute", Role::Access),
        (Some(Js), "call_expression", Role::Call),
        (Some(Js), "new_expression", Role::Call),
        (Some(Js), "function_declaration", Role::Function),
        (Some(Js), "generator_function_declaration", Role::Function),
        (Some(Js), "function_expression", Role::Function),
        (Some(Js), "generator_function", Role::Function),
        (Some(Js), "arrow_function", Role::Function),
        (Some(Js), "method_definition", Role::Function),
        (Some(Js), "variable_declarator", Role::Declarator),
        (Some(Js), "assignment_expression", Role::Assign),
        (Some(Js), "augmented_assignment_expression", Role::AugAssign),
        (Some(Js), "class_declaration", Role::ClassDecl),
        (Some(Js), "for_in_statement", Role::Loop),
        (Some(Js), "catch_clause", Role::Catch),
        (Some(Js), "member_expression", Role::Access),
    ]
};

impl Role {
    fn of(family: Family, kind: &str) -> Role {
        ROLE_KINDS
            .iter()
            .find(|(f, k, _)| f.is_none_or(|f| f == family) && *k == kind)
            .map_or(Role::Other, |(_, _, r)| *r)
    }
}

/// Per grammar (keyed by its kind table) and family: the [`Role`] of every kind id, built
/// once per process.
pub(crate) fn roles(kinds: &'static [&'static str], family: Family) -> &'static [Role] {
    type Tables = Vec<(usize, Family, &'static [Role])>;
    static ROLES: std::sync::Mutex<Tables> = std::sync::Mutex::new(Vec::new());
    let mut t = ROLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = kinds.as_ptr() as usize;
    if let Some((_, _, r)) = t.iter().find(|(k, f, _)| *k == key && *f == family) {
        return r;
    }
    let r: &'static [Role] = Box::leak(
        kinds
            .iter()
            .map(|k| Role::of(family, k))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    t.push((key, family, r));
    r
}

/// The named kinds a string literal's node (`string`) can hold, per family. A plain string
/// (see [`Model::build_with`]) holds only these, and no code.
pub fn string_insides(family: Family) -> &'static [&'static str] {
    match family {
        Family::Python => &[
            "string_start",
            "string_content",
            "string_end",
            "escape_sequence",
            "escape_interpolation",
            "interpolation",
            "ERROR",
        ],
        // A template string is a `template_string`: a `string` holds no code.
        Family::JavaScript => &[
            "string_fragment",
            "escape_sequence",
            "html_character_reference",
            "ERROR",
        ],
    }
}

/// True for a Python string literal (`string` node) that cannot hold code: no `f` or `t`
/// in its prefix (so no interpolation), no syntax error in it.
fn plain_python_string(node: Node<'_>, text: &str) -> bool {
    let rest = text.as_bytes().get(node.start_byte()..).unwrap_or_default();
    for &b in rest.iter().take(4) {
        match b {
            b'\'' | b'"' => return !node.has_error(),
            b'f' | b'F' | b't' | b'T' => return false,
            _ if b.is_ascii_alphabetic() => {}
            _ => return false,
        }
    }
    false
}

/// The member named at the end of an attribute or member access's text (`a.b(c).d` -> `d`),
/// when it ends with ASCII name characters after a `.` (and blanks): then the node's
/// `attribute` / `property` child has exactly that text. `None` otherwise (a private `#d`,
/// a name with other characters, a comment or line break before it): the caller asks
/// tree-sitter for the child, at a few hundred instructions a call.
pub(crate) fn trailing_member(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let name_start = b
        .iter()
        .rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$'))
        .map_or(0, |i| i + 1);
    if name_start == b.len() {
        return None;
    }
    let dot = b[..name_start]
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')?;
    (b[dot] == b'.').then(|| &text[name_start..])
}

/// The object of an attribute or member access (`a.b` -> `a`): its first named child when
/// that starts where the access does (cheaper than a field lookup), else its `object` field
/// (`super.x`, `import.meta`).
pub(crate) fn access_object(node: Node<'_>) -> Option<Node<'_>> {
    node.named_child(0)
        .filter(|o| o.start_byte() == node.start_byte())
        .or_else(|| node.field("object"))
}

/// The `object` child of `node`, read cheaply for an attribute or member access
/// ([`access_object`]).
pub(crate) fn object_of(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind_name() {
        "attribute" | "member_expression" => access_object(node),
        // A leaf: no fields.
        "identifier" => None,
        _ => node.field("object"),
    }
}

/// The `function` child of a call (`None` for a JavaScript `new`, whose callee is its
/// `constructor`): a Python `call`'s or JavaScript `call_expression`'s first named child
/// when that starts where the call does (cheaper than a field lookup), else the field.
pub(crate) fn call_function(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind_name() {
        "call" | "call_expression" => node
            .named_child(0)
            .filter(|f| f.start_byte() == node.start_byte())
            .or_else(|| node.field("function")),
        "new_expression" => None,
        _ => node.field("function"),
    }
}

/// A node of the model's walk: its named children are `kids[next..end]` of the walk's shared
/// list (from `start` when they were listed).
struct Frame<'t> {
    node: Node<'t>,
    start: usize,
    next: usize,
    end: usize,
}

/// Above this many named children, a node's children are listed with a cursor.
const FEW_CHILDREN: usize = 16;

/// Appends the named children of `node` to `kids`. `Node::named_child(i)` scans the children
/// from the first, so a node with many children has them listed with a cursor instead.
fn list_named_children<'t>(node: Node<'t>, cursor: &mut TreeCursor<'t>, kids: &mut Vec<Node<'t>>) {
    let n = node.named_child_count();
    if n <= FEW_CHILDREN {
        kids.extend((0..n).filter_map(|i| node.named_child(i)));
        return;
    }
    kids.extend(node.named_children(cursor));
}

impl<'t> Model<'t> {
    /// Builds the model in one walk. `ref_names` says, of the last segment of a name, who
    /// wants references ending so recorded ([`REF_RULES`], [`REF_TAINT`]; other identifiers
    /// are not recorded); `visit` sees every node of the walk, with its kind id (the
    /// structural patterns match there, sparing a second walk).
    pub fn build(
        tree: &'t Tree,
        text: &'t str,
        family: Family,
        ref_names: &dyn Fn(&str) -> u8,
        visit: Option<&mut dyn FnMut(Node<'t>, u16)>,
    ) -> Model<'t> {
        Model::build_with(tree, text, family, ref_names, visit, false)
    }

    /// [`Model::build`]; with `skip_string_insides`, the walk does not go into a string
    /// literal that cannot hold code (JavaScript: any `string` node; Python: one without an
    /// `f` or `t` prefix; either: without a syntax error in it): the caller's `visit` wants
    /// none of the kinds [`string_insides`] lists.
    pub fn build_with(
        tree: &'t Tree,
        text: &'t str,
        family: Family,
        ref_names: &dyn Fn(&str) -> u8,
        mut visit: Option<&mut dyn FnMut(Node<'t>, u16)>,
        skip_string_insides: bool,
    ) -> Model<'t> {
        let mut m = Model {
            text,
            family,
            scopes: vec![Scope::default()],
            scope_of: HashMap::default(),
            calls: Vec::new(),
            refs: Vec::new(),
            taint_refs: Vec::new(),
            imports: Vec::new(),
            root: tree.root_node(),
        };
        // (end byte, scope) of open scopes.
        let mut stack: Vec<(usize, ScopeId)> = vec![(usize::MAX, 0)];
        // Each node's kind is read once, by id, for the visitors and the patterns alike.
        let names = crate::fields::kind_names(&tree.language());
        let python = family == Family::Python;
        let roles = roles(names, family);
        // Returns whether the walk need not go into the node, and the scope it opens.
        let mut enter = |m: &mut Model<'t>, node: Node<'t>| -> (bool, Option<ScopeId>) {
            let id = node.kind_id();
            let role = roles.get(usize::from(id)).copied().unwrap_or(Role::Other);
            while stack.len() > 1 && node.start_byte() >= stack[stack.len() - 1].0 {
                stack.pop();
            }
            let opened = if role == Role::Other || role == Role::String {
                None
            } else {
                let kind = match names.get(usize::from(id)) {
                    Some(k) => *k,
                    None => node.kind_name(),
                };
                let scope = stack[stack.len() - 1].1;
                match family {
                    Family::Python => m.visit_python(node, role, kind, scope, ref_names),
                    Family::JavaScript => m.visit_js(node, role, kind, scope, ref_names),
                }
            };
            if let Some(s) = opened {
                stack.push((node.end_byte(), s));
            }
            if let Some(v) = visit.as_deref_mut() {
                v(node, id);
            }
            let skip = skip_string_insides
                && role == Role::String
                && if python {
                    plain_python_string(node, m.text)
                } else {
                    !node.has_error()
                };
            (skip, opened)
        };
        // Pre-order over the named nodes: no rule and no pattern starts at an anonymous token,
        // and stepping through them with a cursor costs hundreds of instructions each. The
        // children of the nodes being visited are listed in one buffer for the whole walk: no
        // allocation per node.
        let root = tree.root_node();
        enter(&mut m, root);
        let mut cursor = root.walk();
        let mut kids: Vec<Node<'t>> = Vec::with_capacity(256);
        list_named_children(root, &mut cursor, &mut kids);
        let mut walk: Vec<Frame<'t>> = vec![Frame {
            node: root,
            start: 0,
            next: 0,
            end: kids.len(),
        }];
        while let Some(top) = walk.last_mut() {
            let Some(&child) = kids.get(top.next).filter(|_| top.next < top.end) else {
                kids.truncate(top.start);
                walk.pop();
                continue;
            };
            top.next += 1;
            let (skip, opened) = enter(&mut m, child);
            if let Some(s) = opened {
                // The opener's ancestors, as the walk has them (few nodes open a scope).
                let n = walk.len();
                let up = [1, 2, 3].map(|k| n.checked_sub(k).map(|i| walk[i].node));
                if let Some(scope) = m.scopes.get_mut(s) {
                    scope.up = up;
                }
            }
            // A leaf's frame would be popped at once.
            if !skip && child.named_child_count() > 0 {
                let start = kids.len();
                list_named_children(child, &mut cursor, &mut kids);
                walk.push(Frame {
                    node: child,
                    start,
                    next: start,
                    end: kids.len(),
                });
            }
        }
        m
    }

    /// The `k`-th ancestor of `node` (1: its parent, up to 3), from what the walk recorded
    /// when `node` opens a scope, else through `Node::parent`.
    pub fn up(&self, node: Node<'t>, k: usize) -> Option<Node<'t>> {
        if let Some(s) = self
            .scope_of
            .get(&node.id())
            .and_then(|&s| self.scopes.get(s))
        {
            if s.opener.is_some_and(|o| o.id() == node.id()) && (1..=3).contains(&k) {
                return s.up[k - 1];
            }
        }
        let mut cur = node;
        for _ in 0..k {
            cur = cur.parent()?;
        }
        Some(cur)
    }

    /// The source text of a node.
    pub fn src(&self, node: Node<'_>) -> &'t str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    pub(crate) fn open_scope(
        &mut self,
        node: Node<'t>,
        parent: ScopeId,
        name: Option<&'t str>,
    ) -> ScopeId {
        let id = self.scopes.len();
        self.scopes.push(Scope {
            parent: Some(parent),
            name,
            opener: Some(node),
            ..Scope::default()
        });
        self.scope_of.insert(node.id(), id);
        id
    }

    pub(crate) fn bind(&mut self, scope: ScopeId, name: &'t str, b: Bind<'t>) {
        if let Some(s) = self.scopes.get_mut(scope) {
            s.bindings.entry(name).or_default().push(b);
        }
    }

    /// The innermost scope containing `node` (a node that opens a scope is in the enclosing
    /// one). Scopes are opened in tree order, so the last one starting at or before `node`
    /// either contains it or is nested in the one that does: a binary search and a walk up the
    /// scope chain, no tree walk.
    pub fn scope_at(&self, node: Node<'t>) -> ScopeId {
        let (start, end, id) = (node.start_byte(), node.end_byte(), node.id());
        let after = self
            .scopes
            .partition_point(|s| s.opener.is_none_or(|o| o.start_byte() <= start));
        let mut cur = after.saturating_sub(1);
        while cur != 0 {
            let Some(o) = self.scopes[cur].opener else {
                break;
            };
            if o.id() != id && o.start_byte() <= start && end <= o.end_byte() {
                if o.start_byte() == start && o.end_byte() == end {
                    // Same span: the opener may be `node`'s descendant or its ancestor.
                    return self.scope_at_slow(node);
                }
                return cur;
            }
            cur = self.scopes[cur].parent.unwrap_or(0);
        }
        0
    }

    /// [`Model::scope_at`] by walking the node's ancestors.
    pub fn scope_at_slow(&self, node: Node<'t>) -> ScopeId {
        self.ancestors(node)
            .iter()
            .find_map(|n| self.scope_of.get(&n.id()).copied())
            .unwrap_or(0)
    }

    /// The ancestors of `node`, innermost first. Found by walking down from the root, because
    /// `Node::parent` itself searches from the root: walking up with it costs the depth squared,
    /// which on a file nested 100 000 levels deep never ends.
    pub fn ancestors(&self, node: Node<'t>) -> Vec<Node<'t>> {
        let mut chain = Vec::new();
        let mut cur = self.root;
        while cur.id() != node.id() {
            chain.push(cur);
            match cur.child_with_descendant(node) {
                Some(next) if next.id() != cur.id() => cur = next,
                _ => break,
            }
        }
        if cur.id() != node.id() {
            // Not a node of this tree: no ancestors known.
            chain.clear();
        }
        chain.reverse();
        chain
    }

    /// The bindings of `name` in the innermost scope from `scope` outwards that binds it.
    pub fn lookup(&self, scope: ScopeId, name: &str) -> Option<(ScopeId, &[Bind<'t>])> {
        let mut cur = Some(scope);
        while let Some(s) = cur {
            let sc = &self.scopes[s];
            if let Some(b) = sc.bindings.get(name) {
                return Some((s, b));
            }
            cur = sc.parent;
        }
        None
    }

    /// The qualified names an expression may stand for (empty: unknown or local).
    pub fn resolve(&self, node: Node<'t>, scope: ScopeId) -> Vec<String> {
        let mut out = Vec::new();
        self.resolve_into(node, scope, 0, &mut out);
        out
    }

    /// The qualified names a reference to `name` in `scope` may stand for (as [`Model::resolve`]
    /// of an identifier).
    pub fn resolve_name_at(&self, name: &str, scope: ScopeId) -> Vec<String> {
        let mut out = Vec::new();
        self.resolve_name(name, scope, 0, &mut out);
        out
    }

    fn resolve_into(&self, node: Node<'t>, scope: ScopeId, depth: usize, out: &mut Vec<String>) {
        if depth > MAX_DEPTH {
            return;
        }
        let node = self.unwrap(node);
        match node.kind_name() {
            "identifier" => {
                let name = self.src(node);
                self.resolve_name(name, scope, depth, out);
            }
            "attribute" | "member_expression" => {
                let (Some(obj), Some(prop)) = (access_object(node), self.access_member(node))
                else {
                    return;
                };
                let mut base = Vec::new();
                self.resolve_into(obj, scope, depth + 1, &mut base);
                for b in base {
                    out.push(join_name(&b, prop));
                }
            }
            "subscript_expression" => {
                // obj['exec'] in JavaScript.
                let (Some(obj), Some(idx)) = (node.field("object"), node.field("index")) else {
                    return;
                };
                if let Some(Lit::Str(prop)) = self.literal(idx, scope) {
                    let mut base = Vec::new();
                    self.resolve_into(obj, scope, depth + 1, &mut base);
                    for b in base {
                        out.push(join_name(&b, &prop));
                    }
                }
            }
            "call_expression" if self.family == Family::JavaScript => {
                if let Some(m) = self.js_required_module(node, scope) {
                    out.push(m);
                }
            }
            _ => {}
        }
    }

    fn resolve_name(&self, name: &str, scope: ScopeId, depth: usize, out: &mut Vec<String>) {
        match self.lookup(scope, name) {
            Some((s, binds)) => {
                let before = out.len();
                for b in binds {
                    match b {
                        Bind::Import(q) => out.push(q.clone()),
                        Bind::Value(v) if binds.len() == 1 => {
                            self.resolve_into(*v, s, depth + 1, out);
                        }
                        Bind::Member(obj, prop) if binds.len() == 1 => {
                            let mut base = Vec::new();
                            self.resolve_into(*obj, s, depth + 1, &mut base);
                            for b in base {
                                out.push(join_name(&b, prop));
                            }
                        }
                        _ => {
                            // A local definition shadows everything else.
                            out.truncate(before);
                            return;
                        }
                    }
                }
                out.sort();
                out.dedup();
            }
            None => {
                if self.family == Family::JavaScript
                    && matches!(name, "window" | "globalThis" | "self" | "global")
                {
                    out.push(String::new());
                    return;
                }
                out.push(name.to_owned());
                for w in &self.scopes[0].wildcards {
                    out.push(format!("{w}.{name}"));
                }
            }
        }
    }

    /// The member name of an attribute or member access (`a.b` -> `b`), read off its text
    /// when it can be (see [`trailing_member`]).
    pub(crate) fn access_member(&self, node: Node<'t>) -> Option<&'t str> {
        let text = self.src(node);
        trailing_member(text).or_else(|| {
            let field = match node.kind_name() {
                "attribute" => "attribute",
                _ => "property",
            };
            node.field(field).map(|p| self.src(p))
        })
    }

    /// The text of `node`'s `attribute` or `property` child, read cheaply for an attribute
    /// or member access ([`Model::access_member`]).
    pub(crate) fn member_of(&self, node: Node<'t>) -> Option<&'t str> {
        match node.kind_name() {
            "attribute" | "member_expression" => self.access_member(node),
            _ => node
                .field("attribute")
                .or_else(|| node.field("property"))
                .map(|p| self.src(p)),
        }
    }

    /// Strips parentheses, type assertions and non-null assertions.
    pub fn unwrap(&self, mut node: Node<'t>) -> Node<'t> {
        for _ in 0..64 {
            match node.kind_name() {
                "parenthesized_expression"
                | "as_expression"
                | "non_null_expression"
                | "satisfies_expression"
                | "type_assertion"
                | "await_expression" => {
                    let next = node.field("expression").or_else(|| node.named_child(0));
                    match next {
                        Some(n) if n.kind_name() != "type_annotation" => node = n,
                        _ => return node,
                    }
                }
                _ => return node,
            }
        }
        node
    }

    /// The single value a name is bound to in its scope, if bound exactly once by assignment.
    pub fn single_value(&self, name: &str, scope: ScopeId) -> Option<(Node<'t>, ScopeId)> {
        let (s, binds) = self.lookup(scope, name)?;
        match binds {
            [Bind::Value(v)] => Some((*v, s)),
            _ => None,
        }
    }

    /// How a value was written.
    pub fn kind(&self, node: Node<'t>, scope: ScopeId) -> Kind {
        self.kind_at(node, scope, 0)
    }

    fn kind_at(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Kind {
        if depth > MAX_DEPTH {
            return Kind::Dynamic;
        }
        let node = self.unwrap(node);
        let sub = |n: Node<'t>| self.kind_at(n, scope, depth + 1);
        match (self.family, node.kind_name()) {
            (
                _,
                "integer" | "float" | "true" | "false" | "none" | "number" | "null" | "undefined",
            ) => Kind::Literal,
            (Family::Python, "string") => {
                let mut k = Kind::Literal;
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    if ch.kind_name() == "interpolation" {
                        let inner = ch.named_child(0).map_or(Kind::Dynamic, sub);
                        k = join_fmt(k, inner);
                    }
                }
                k
            }
            (Family::JavaScript, "string") => Kind::Literal,
            (Family::JavaScript, "template_string") => {
                let mut k = Kind::Literal;
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    if ch.kind_name() == "template_substitution" {
                        let inner = ch.named_child(0).map_or(Kind::Dynamic, sub);
                        k = join_fmt(k, inner);
                    }
                }
                k
            }
            (_, "concatenated_string") => {
                let mut k = Kind::Literal;
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    k = join_fmt(k, sub(ch));
                }
                k
            }
            (_, "unary_operator" | "unary_expression") => {
                let arg = node.field("argument").or_else(|| node.field("operand"));
                match arg.map(sub) {
                    Some(Kind::Literal) => Kind::Literal,
                    Some(Kind::Constant) => Kind::Constant,
                    _ => Kind::Dynamic,
                }
            }
            (_, "list" | "tuple" | "set" | "array") => {
                let mut k = Kind::Literal;
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    if ch.kind_name() == "comment" {
                        continue;
                    }
                    match sub(ch) {
                        Kind::Literal => {}
                        Kind::Constant => k = Kind::Constant,
                        _ => return Kind::Dynamic,
                    }
                }
                k
            }
            (_, "binary_operator" | "binary_expression") => {
                let op = node.field("operator").map(|o| self.src(o)).unwrap_or("");
                let (Some(l), Some(r)) = (node.field("left"), node.field("right")) else {
                    return Kind::Dynamic;
                };
                let (kl, kr) = (sub(l), sub(r));
                if is_const(kl) && is_const(kr) {
                    return Kind::Constant;
                }
                if matches!(op, "+" | "%")
                    && (self.is_stringish(l, scope) || self.is_stringish(r, scope))
                {
                    return Kind::Formatted;
                }
                if matches!(kl, Kind::Formatted) || matches!(kr, Kind::Formatted) {
                    return Kind::Formatted;
                }
                Kind::Dynamic
            }
            (_, "conditional_expression" | "ternary_expression") => {
                let mut all_const = true;
                let mut c = node.walk();
                let children: Vec<_> = node.named_children(&mut c).collect();
                // Python: a if cond else b -> children [a, cond, b]; JS: cond ? a : b.
                let values: Vec<Node<'t>> = if self.family == Family::Python {
                    children
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != 1)
                        .map(|(_, n)| *n)
                        .collect()
                } else {
                    children.iter().skip(1).copied().collect()
                };
                for v in values {
                    all_const &= is_const(sub(v));
                }
                if all_const {
                    Kind::Constant
                } else {
                    Kind::Dynamic
                }
            }
            (_, "call" | "call_expression") => self.call_kind(node, scope, depth),
            (_, "identifier") => {
                let name = self.src(node);
                if self.family == Family::JavaScript && name == "undefined" {
                    return Kind::Literal;
                }
                match self.single_value(name, scope) {
                    Some((v, s)) => match self.kind_at(v, s, depth + 1) {
                        Kind::Literal | Kind::Constant => Kind::Constant,
                        Kind::Formatted => Kind::Formatted,
                        _ => Kind::Dynamic,
                    },
                    None => Kind::Dynamic,
                }
            }
            _ => Kind::Dynamic,
        }
    }

    fn call_kind(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Kind {
        let Some(func) = call_function(node) else {
            return Kind::Dynamic;
        };
        let func = self.unwrap(func);
        if !matches!(func.kind_name(), "attribute" | "member_expression") {
            return Kind::Dynamic;
        }
        let field = if func.kind_name() == "attribute" {
            "attribute"
        } else {
            "property"
        };
        let (Some(obj), Some(prop)) = (func.field("object"), func.field(field)) else {
            return Kind::Dynamic;
        };
        let method = self.src(prop);
        let string_methods = [
            "format", "join", "concat", "replace", "strip", "lower", "upper", "trim", "encode",
            "decode",
        ];
        if !string_methods.contains(&method) || !self.is_stringish(obj, scope) {
            return Kind::Dynamic;
        }
        let mut k = match self.kind_at(obj, scope, depth + 1) {
            Kind::Literal | Kind::Constant => Kind::Constant,
            Kind::Formatted => Kind::Formatted,
            _ => Kind::Dynamic,
        };
        if k == Kind::Dynamic {
            return Kind::Formatted;
        }
        if let Some(args) = node.field("arguments") {
            let mut c = args.walk();
            for a in args.named_children(&mut c) {
                let a = match a.kind_name() {
                    "keyword_argument" => match a.field("value") {
                        Some(v) => v,
                        None => continue,
                    },
                    "comment" => continue,
                    _ => a,
                };
                if !is_const(self.kind_at(a, scope, depth + 1)) {
                    k = Kind::Formatted;
                }
            }
        }
        k
    }

    /// True when the expression is (or is built from) a string.
    pub fn is_stringish(&self, node: Node<'t>, scope: ScopeId) -> bool {
        self.is_stringish_at(node, scope, 0)
    }

    /// Iterative over operands (`'a' + b + c + ...` nests one binary node per operand, so
    /// recursing per operand overflows the stack on long chains); the hops through names
    /// (`a = b + 'x'; b = a + 'y'` would cycle) are bounded by `MAX_DEPTH`.
    fn is_stringish_at(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let mut todo = vec![node];
        while let Some(node) = todo.pop() {
            let node = self.unwrap(node);
            let found = match node.kind_name() {
                "string" | "concatenated_string" | "template_string" => true,
                "binary_operator" | "binary_expression" => {
                    // Left operand first, as the recursive form did.
                    todo.extend(node.field("right"));
                    todo.extend(node.field("left"));
                    false
                }
                "identifier" => self
                    .single_value(self.src(node), scope)
                    .is_some_and(|(v, s)| {
                        v.id() != node.id() && self.is_stringish_shallow(v, s, depth + 1)
                    }),
                "call" | "call_expression" => call_function(node)
                    .map(|f| self.unwrap(f))
                    .filter(|f| matches!(f.kind_name(), "attribute" | "member_expression"))
                    .and_then(|f| f.field("object"))
                    .is_some_and(|o| self.is_stringish_shallow(o, scope, depth + 1)),
                _ => false,
            };
            if found {
                return true;
            }
        }
        false
    }

    fn is_stringish_shallow(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> bool {
        let node = self.unwrap(node);
        match node.kind_name() {
            "string" | "concatenated_string" | "template_string" => true,
            "binary_operator" | "binary_expression" | "call" | "call_expression" => {
                self.is_stringish_at(node, scope, depth)
            }
            _ => false,
        }
    }

    /// The literal value of an expression, through same-scope constants.
    pub fn literal(&self, node: Node<'t>, scope: ScopeId) -> Option<Lit> {
        self.literal_at(node, scope, 0)
    }

    fn literal_at(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Option<Lit> {
        if depth > MAX_DEPTH {
            return None;
        }
        let node = self.unwrap(node);
        match node.kind_name() {
            "true" => Some(Lit::Bool(true)),
            "false" => Some(Lit::Bool(false)),
            "none" | "null" | "undefined" => Some(Lit::None),
            "integer" | "number" | "float" => parse_number(self.src(node)),
            "string" => self.string_value(node).map(Lit::Str),
            "template_string" => {
                let mut c = node.walk();
                if node
                    .named_children(&mut c)
                    .any(|n| n.kind_name() == "template_substitution")
                {
                    return None;
                }
                let s = self.src(node);
                Some(Lit::Str(s.trim_matches('`').to_owned()))
            }
            "concatenated_string" => {
                let mut out = String::new();
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    match self.literal_at(ch, scope, depth + 1)? {
                        Lit::Str(s) => out.push_str(&s),
                        _ => return None,
                    }
                }
                Some(Lit::Str(out))
            }
            "binary_operator" | "binary_expression" => {
                let op = node.field("operator").map(|o| self.src(o))?;
                if op != "+" {
                    return None;
                }
                let l = self.literal_at(node.field("left")?, scope, depth + 1)?;
                let r = self.literal_at(node.field("right")?, scope, depth + 1)?;
                match (l, r) {
                    (Lit::Str(a), Lit::Str(b)) => Some(Lit::Str(a + &b)),
                    (Lit::Int(a), Lit::Int(b)) => a.checked_add(b).map(Lit::Int),
                    _ => None,
                }
            }
            "unary_operator" | "unary_expression" => {
                let op = node.field("operator").map(|o| self.src(o))?;
                let arg = node.field("argument").or_else(|| node.field("operand"))?;
                match (op, self.literal_at(arg, scope, depth + 1)?) {
                    ("-", Lit::Int(i)) => Some(Lit::Int(-i)),
                    ("-", Lit::Float(f)) => Some(Lit::Float(-f)),
                    ("!", Lit::Int(i)) => Some(Lit::Bool(i == 0)),
                    ("!", Lit::Bool(b)) => Some(Lit::Bool(!b)),
                    ("not", Lit::Bool(b)) => Some(Lit::Bool(!b)),
                    _ => None,
                }
            }
            "identifier" => {
                let name = self.src(node);
                if self.family == Family::JavaScript && name == "undefined" {
                    return Some(Lit::None);
                }
                let (v, s) = self.single_value(name, scope)?;
                if v.id() == node.id() {
                    return None;
                }
                self.literal_at(v, s, depth + 1)
            }
            _ => None,
        }
    }

    /// The value of a string literal without interpolation (escapes kept as written, except
    /// simple quotes and backslashes).
    pub fn string_value(&self, node: Node<'t>) -> Option<String> {
        let mut out = String::new();
        let mut c = node.walk();
        let mut any_content = false;
        for ch in node.named_children(&mut c) {
            match ch.kind_name() {
                "string_content" | "string_fragment" => {
                    out.push_str(self.src(ch));
                    any_content = true;
                }
                "escape_sequence" => {
                    let e = self.src(ch);
                    match e {
                        "\\n" => out.push('\n'),
                        "\\t" => out.push('\t'),
                        "\\\\" => out.push('\\'),
                        "\\'" => out.push('\''),
                        "\\\"" => out.push('"'),
                        _ => out.push_str(e),
                    }
                    any_content = true;
                }
                "interpolation" | "template_substitution" => return None,
                _ => {}
            }
        }
        if !any_content && self.family == Family::Python {
            // Python 3.12 grammars put content in string_content; older ones may not.
            let s = self.src(node);
            let s = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            for q in ["\"\"\"", "'''", "\"", "'"] {
                if s.len() >= 2 * q.len() && s.starts_with(q) && s.ends_with(q) {
                    return Some(s[q.len()..s.len() - q.len()].to_owned());
                }
            }
        }
        Some(out)
    }

    /// The callee of a call node (`function` or `constructor`).
    pub fn callee(&self, call: Node<'t>) -> Option<Node<'t>> {
        call_function(call)
            .or_else(|| call.field("constructor"))
            .map(|n| self.unwrap(n))
    }

    /// The method name of a callee written `x.name(...)`.
    pub fn method_name(&self, callee: Node<'t>) -> Option<&'t str> {
        match callee.kind_name() {
            "attribute" | "member_expression" => self.access_member(callee),
            "subscript_expression" => {
                let idx = callee.field("index")?;
                if idx.kind_name() == "string" {
                    let mut c = idx.walk();
                    let frag = idx
                        .named_children(&mut c)
                        .find(|n| n.kind_name() == "string_fragment");
                    frag.map(|n| self.src(n))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Finds an argument of a call by position and/or keyword name (an options-object path in
    /// JavaScript).
    pub fn arg(
        &self,
        call: Node<'t>,
        scope: ScopeId,
        position: Option<usize>,
        name: Option<&str>,
    ) -> ArgValue<'t> {
        let Some(args) = call.field("arguments") else {
            return if position.is_some() || name.is_some() {
                ArgValue::Missing
            } else {
                ArgValue::Unknown
            };
        };
        let mut positional = Vec::new();
        let mut keywords: Vec<(&'t str, Node<'t>)> = Vec::new();
        let (mut star, mut kwstar) = (false, false);
        if matches!(args.kind_name(), "generator_expression" | "template_string") {
            positional.push(args);
        } else {
            let mut c = args.walk();
            for a in args.named_children(&mut c) {
                match a.kind_name() {
                    "comment" => {}
                    "keyword_argument" => {
                        if let (Some(n), Some(v)) = (a.field("name"), a.field("value")) {
                            keywords.push((self.src(n), v));
                        }
                    }
                    "list_splat" => star = true,
                    "dictionary_splat" => kwstar = true,
                    "spread_element" => {
                        star = true;
                        kwstar = true;
                    }
                    _ => positional.push(a),
                }
            }
        }
        match self.family {
            Family::Python => {
                if let Some(n) = name {
                    if let Some((_, v)) = keywords.iter().find(|(k, _)| *k == n) {
                        return ArgValue::Present(*v);
                    }
                }
                if let Some(p) = position {
                    if let Some(v) = positional.get(p) {
                        return ArgValue::Present(*v);
                    }
                    if star {
                        return ArgValue::Unknown;
                    }
                }
                if name.is_some() && kwstar {
                    return ArgValue::Unknown;
                }
                ArgValue::Missing
            }
            Family::JavaScript => match (position, name) {
                (Some(p), None) => match positional.get(p) {
                    Some(v) => ArgValue::Present(*v),
                    None if star => ArgValue::Unknown,
                    None => ArgValue::Missing,
                },
                (Some(p), Some(path)) => match positional.get(p) {
                    Some(v) => self.option(*v, scope, path),
                    None if star => ArgValue::Unknown,
                    None => ArgValue::Missing,
                },
                (None, Some(path)) => {
                    let mut unknown = star;
                    for v in &positional {
                        match self.option(*v, scope, path) {
                            ArgValue::Present(x) => return ArgValue::Present(x),
                            ArgValue::Unknown => {
                                if self.object_literal(*v, scope).is_none()
                                    && !self.is_plain_literal(*v)
                                {
                                    unknown = true;
                                }
                            }
                            ArgValue::Missing => {}
                        }
                    }
                    if unknown {
                        ArgValue::Unknown
                    } else {
                        ArgValue::Missing
                    }
                }
                (None, None) => ArgValue::Unknown,
            },
        }
    }

    fn is_plain_literal(&self, node: Node<'t>) -> bool {
        matches!(
            self.unwrap(node).kind_name(),
            "string"
                | "number"
                | "true"
                | "false"
                | "null"
                | "template_string"
                | "array"
                | "arrow_function"
                | "function_expression"
        )
    }

    /// The object literal an expression is (directly or through a single `const`).
    pub fn object_literal(&self, node: Node<'t>, scope: ScopeId) -> Option<Node<'t>> {
        let node = self.unwrap(node);
        match node.kind_name() {
            "object" => Some(node),
            "identifier" => {
                let (v, s) = self.single_value(self.src(node), scope)?;
                let v = self.unwrap(v);
                (v.kind_name() == "object" && s <= scope).then_some(v)
            }
            _ => None,
        }
    }

    /// Looks up a dotted property path in an object-literal value.
    pub fn option(&self, value: Node<'t>, scope: ScopeId, path: &str) -> ArgValue<'t> {
        let Some(mut obj) = self.object_literal(value, scope) else {
            return ArgValue::Unknown;
        };
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let mut found = None;
            let mut spread = false;
            let mut c = obj.walk();
            for p in obj.named_children(&mut c) {
                match p.kind_name() {
                    "pair" => {
                        let Some(k) = p.field("key") else {
                            continue;
                        };
                        let key = match k.kind_name() {
                            "string" => self.string_value(k).unwrap_or_default(),
                            _ => self.src(k).to_owned(),
                        };
                        if key == part {
                            found = p.field("value");
                        }
                    }
                    "shorthand_property_identifier" if self.src(p) == part => found = Some(p),
                    "spread_element" => spread = true,
                    _ => {}
                }
            }
            match found {
                Some(v) if parts.peek().is_none() => return ArgValue::Present(v),
                Some(v) => match self.object_literal(v, scope) {
                    Some(o) => obj = o,
                    None => return ArgValue::Unknown,
                },
                None if spread => return ArgValue::Unknown,
                None => return ArgValue::Missing,
            }
        }
        ArgValue::Missing
    }

    /// For `require('x')` / `import('x')` calls: the module name `x` (without `node:`).
    pub fn js_required_module(&self, call: Node<'t>, scope: ScopeId) -> Option<String> {
        // The callee starts the call: most calls are told apart by their first bytes, without
        // asking the tree for the callee.
        let text = self.src(call);
        if !text.starts_with("require") && !text.starts_with("import") {
            return None;
        }
        let func = call_function(call)?;
        let is_require = match func.kind_name() {
            "import" => true,
            "identifier" => self.src(func) == "require" && self.lookup(scope, "require").is_none(),
            _ => false,
        };
        if !is_require {
            return None;
        }
        let args = call.field("arguments")?;
        let first = args.named_child(0)?;
        match self.literal(first, scope)? {
            Lit::Str(s) => Some(normalize_module(&s)),
            _ => None,
        }
    }

    /// Names of the functions enclosing `node`, innermost first.
    pub fn enclosing_functions(&self, node: Node<'t>) -> Vec<&'t str> {
        let mut names = Vec::new();
        for n in self.ancestors(node) {
            if matches!(
                n.kind_name(),
                "function_definition"
                    | "function_declaration"
                    | "method_definition"
                    | "generator_function_declaration"
            ) {
                if let Some(name) = n.field("name") {
                    names.push(self.src(name));
                }
            }
        }
        names
    }

    /// True under `if __name__ == "__main__":`.
    pub fn in_main_guard(&self, node: Node<'t>) -> bool {
        for n in self.ancestors(node) {
            if n.kind_name() == "if_statement" {
                if let Some(c) = n.field("condition") {
                    let t = self.src(c);
                    if t.contains("__name__") && t.contains("__main__") {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Names that give `node` its meaning: assignment targets, keyword names, object keys, and
    /// enclosing function names.
    pub fn context_names(&self, node: Node<'t>) -> Vec<&'t str> {
        let mut out = Vec::new();
        for (steps, n) in self.ancestors(node).into_iter().enumerate() {
            match n.kind_name() {
                "assignment" | "augmented_assignment" | "assignment_expression" => {
                    if let Some(l) = n.field("left") {
                        out.push(self.src(l));
                    }
                }
                "keyword_argument" | "variable_declarator" | "default_parameter" => {
                    if let Some(l) = n.field("name") {
                        out.push(self.src(l));
                    }
                }
                // JS/TS class fields: `csrfToken = ...`, `private token: string = ...`.
                "public_field_definition" | "field_definition" => {
                    if let Some(l) = n.field("name").or_else(|| n.field("property")) {
                        out.push(self.src(l));
                    }
                }
                "pair" => {
                    if let Some(l) = n.field("key") {
                        out.push(self.src(l));
                    }
                }
                "function_definition"
                | "function_declaration"
                | "method_definition"
                | "class_definition"
                | "class_declaration" => {
                    if let Some(l) = n.field("name") {
                        out.push(self.src(l));
                    }
                }
                _ => {}
            }
            if steps >= 64 {
                break;
            }
        }
        out
    }
}

/// Joins a base qualified name and a member (an empty base stands for the global object).
pub fn join_name(base: &str, member: &str) -> String {
    if base.is_empty() {
        member.to_owned()
    } else {
        format!("{base}.{member}")
    }
}

/// `node:fs` -> `fs`; `fs/promises` stays.
pub fn normalize_module(s: &str) -> String {
    s.strip_prefix("node:").unwrap_or(s).to_owned()
}

fn is_const(k: Kind) -> bool {
    matches!(k, Kind::Literal | Kind::Constant)
}

fn join_fmt(acc: Kind, part: Kind) -> Kind {
    match (acc, part) {
        (Kind::Formatted, _) => Kind::Formatted,
        (_, Kind::Literal) => acc,
        (Kind::Literal, Kind::Constant) | (Kind::Constant, Kind::Constant) => Kind::Constant,
        _ => Kind::Formatted,
    }
}

fn parse_number(s: &str) -> Option<Lit> {
    let t: String = s.chars().filter(|&c| c != '_').collect();
    let t = t.trim_end_matches(['n', 'l', 'L', 'j', 'J']);
    let lower = t.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        // Legacy octal (JS 0777).
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    match parsed {
        Some(i) => Some(Lit::Int(i)),
        None => lower.parse::<f64>().ok().map(Lit::Float),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::Language;

    /// Walking past plain strings leaves out only what lies inside them: every other node is
    /// visited, and calls, references and scopes in f-strings, t-strings and template strings
    /// are all found.
    #[test]
    fn skipping_plain_strings_leaves_out_only_their_insides() {
        let samples = [
            // os.system, len, eval (in the t-string), the lambda's call, os.popen.
            (
                Language::Python,
                "import os\na = 'os.system(x)'\nb = f\"{os.system(a)} {len(b)!r:>{w}}\"\nc = rb'\\x00' + Rb\"\"\"q\"\"\"\nd = t'{eval(c)}'\ne = F'{(lambda q: q)(1)}'\ng = u'\\u00e9' 'x' f'{os.popen(d)}'\nh = 'broken\n",
                (5, 2),
            ),
            // eval, the arrow function's call, h, f, g.
            (
                Language::JavaScript,
                "const a = 'eval(x)';\nconst b = `${eval(a)} ${(() => h(\"q\"))()}`;\nf(\"\\u0041\", 'x', \"\\n\");\nconst el = <div title=\"a &amp; b\">{g('y')}</div>;\nconst z = 'broken\n",
                (5, 2),
            ),
        ];
        for (lang, code, want) in samples {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar()).unwrap();
            let tree = p.parse(code, None).unwrap();
            let walk = |skip: bool| {
                let mut seen = Vec::new();
                let mut visit = |n: Node<'_>, _: u16| seen.push(n.id());
                let m = Model::build_with(
                    &tree,
                    code,
                    lang.family(),
                    &|_| REF_RULES | REF_TAINT,
                    Some(&mut visit),
                    skip,
                );
                let calls: Vec<usize> = m.calls.iter().map(|(c, _)| c.id()).collect();
                let refs: Vec<usize> = m.refs.iter().map(|(r, _)| r.id()).collect();
                (seen, calls, refs, m.scopes.len())
            };
            let (all, calls, refs, scopes) = walk(false);
            let (some, calls2, refs2, scopes2) = walk(true);
            assert_eq!((calls.len(), scopes), want, "{lang:?}: code in strings");
            assert_eq!(
                (&calls, &refs, scopes),
                (&calls2, &refs2, scopes2),
                "{lang:?}"
            );
            // What was left out: the insides of the plain strings, nothing else.
            let insides = string_insides(lang.family());
            let mut stack = vec![tree.root_node()];
            let mut left_out = 0;
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                if some.contains(&n.id()) {
                    continue;
                }
                left_out += 1;
                assert!(
                    insides.contains(&n.kind_name()),
                    "{lang:?}: {}",
                    n.kind_name()
                );
                let mut holder = n.parent().unwrap();
                while holder.kind_name() != "string" {
                    assert!(insides.contains(&holder.kind_name()), "{lang:?}");
                    holder = holder.parent().unwrap();
                }
                let plain = match lang.family() {
                    Family::Python => plain_python_string(holder, code),
                    Family::JavaScript => !holder.has_error(),
                };
                assert!(plain, "{lang:?}: {:?}", &code[holder.byte_range()]);
            }
            assert_eq!(left_out, all.len() - some.len(), "{lang:?}");
            assert!(left_out >= 6, "{lang:?}: {left_out}");
        }
    }

    /// Every kind the walk's role table names is a kind of each grammar of its family (a
    /// misspelt or renamed kind would silently never be visited), and the table built for a
    /// grammar gives each kind id its role.
    #[test]
    fn role_kinds_exist_in_their_grammars() {
        for lang in [
            Language::Python,
            Language::JavaScript,
            Language::TypeScript,
            Language::Tsx,
        ] {
            let grammar = lang.grammar();
            let family = lang.family();
            let kinds = crate::fields::kind_names(&grammar);
            let table = roles(kinds, family);
            for (f, kind, role) in ROLE_KINDS {
                if f.is_some_and(|f| f != family) {
                    continue;
                }
                let id = grammar.id_for_node_kind(kind, true);
                assert_ne!(id, 0, "{lang:?} has no kind {kind}");
                assert_eq!(table[usize::from(id)], *role, "{lang:?} {kind}");
            }
            let other = grammar.id_for_node_kind("comment", true);
            assert_eq!(table[usize::from(other)], Role::Other, "{lang:?}");
        }
    }

    /// The member name read off an access's text is its `attribute` / `property` child's
    /// text, on tricky accesses and on every access in the fixtures; the cheap readings of a
    /// call's `function` and of any node's `object`, `attribute` or `property` child agree
    /// with tree-sitter's fields on every node.
    #[test]
    fn trailing_member_is_the_property_child() {
        let mut samples: Vec<(Language, String)> = vec![
            (Language::Python, "a.b\nx = f(a.b).c_2 + (a .\\\n  d) + (a.  # c.e\n f) + 1..real + o.\u{e9}t\u{e9} + (a\n .g)\n".into()),
            (Language::JavaScript, "a.b; f(a.b).$c_2; a?.d; a . e; a./* x.y */f; a.#p; 1..toString(); a.\\u0062; a.\u{e9}; a\n.g; a.// c.h\nk;\n".into()),
            (Language::TypeScript, "a!.b; (a as T).c; a?.d!.e;\n".into()),
            (
                Language::JavaScript,
                "class K extends B { m() { return super.x + import.meta.url + new.target; } }\n/* c */ a /* d */ .b;\n".into(),
            ),
            (
                Language::JavaScript,
                "f(); a?.(); a.b?.(c)(d); tag`x${y}`; new F(); new F; import('m'); (g)(h); /* c */ f /* d */ (x);\nclass C extends D { constructor() { super(); } }\n".into(),
            ),
            (Language::TypeScript, "f<T>(x); new G<T>(); a!(); (a as F)();\n".into()),
            (
                Language::Python,
                "f()\n(g)(h)\na.b(c)(d)\n@dec(x)\ndef k(): pass\nf(  # c\n x)\nprint(x[0].y, x.y[0])\n".into(),
            ),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Some(lang) = Language::from_path(&p.to_string_lossy()) {
                    if let Ok(t) = std::fs::read_to_string(&p) {
                        samples.push((lang, t));
                    }
                }
            }
        }
        let (mut read, mut asked) = (0, 0);
        for (lang, code) in &samples {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar()).unwrap();
            let tree = p.parse(code, None).unwrap();
            let model = Model::build(&tree, code, lang.family(), &|_| 0, None);
            let mut stack = vec![tree.root_node()];
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                let id = |n: Option<Node<'_>>| n.map(|n| n.id());
                let at = || format!("{lang:?}: {} {}", n.kind_name(), &code[n.byte_range()]);
                assert_eq!(id(call_function(n)), id(n.field("function")), "{}", at());
                assert_eq!(id(object_of(n)), id(n.field("object")), "{}", at());
                let member = n.field("attribute").or_else(|| n.field("property"));
                assert_eq!(model.member_of(n), member.map(|m| model.src(m)), "{}", at());
                let field = match n.kind_name() {
                    "attribute" => "attribute",
                    "member_expression" => "property",
                    _ => continue,
                };
                assert_eq!(
                    access_object(n).map(|o| o.id()),
                    n.field("object").map(|o| o.id()),
                    "{lang:?}: {}",
                    &code[n.byte_range()]
                );
                let Some(child) = n.field(field) else {
                    continue;
                };
                match trailing_member(&code[n.byte_range()]) {
                    Some(name) => {
                        read += 1;
                        assert_eq!(
                            name,
                            &code[child.byte_range()],
                            "{lang:?}: {}",
                            &code[n.byte_range()]
                        );
                    }
                    None => asked += 1,
                }
            }
        }
        assert!(read > 500 && asked >= 8, "{read} read, {asked} asked");
    }

    #[test]
    fn scope_at_agrees_with_the_ancestor_walk_on_every_node() {
        let samples = [
            (
                Language::Python,
                "import os\nx = lambda a: a + 1\nclass C:\n    y = 1\n    @staticmethod\n    def s():\n        pass\n    def m(self, v=lambda: 2):\n        def inner():\n            return [i for i in v]\n        return inner\n    z = 3\nasync def f():\n    return (lambda: (lambda: 1))\n",
            ),
            (
                Language::JavaScript,
                "const f = () => 1;\nfunction g(a, b = () => 2) { const h = function() { return () => a; }; return h; }\nclass K { m() { return x => x; } }\nlet z = (() => 3)();\n",
            ),
        ];
        for (lang, code) in samples {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar()).unwrap();
            let tree = p.parse(code, None).unwrap();
            let model = Model::build(&tree, code, lang.family(), &|_| 0, None);
            assert!(model.scopes.len() > 3, "{lang:?}");
            let mut stack = vec![tree.root_node()];
            let mut n = 0;
            while let Some(node) = stack.pop() {
                assert_eq!(
                    model.scope_at(node),
                    model.scope_at_slow(node),
                    "{lang:?}: {} at {:?}",
                    node.kind_name(),
                    node.byte_range()
                );
                n += 1;
                let mut c = node.walk();
                stack.extend(node.children(&mut c));
            }
            assert!(n > 50);
            // What the walk recorded of each scope opener's ancestors is what Node::parent
            // finds.
            let mut openers = 0;
            for f in model.scopes.iter().filter_map(|s| s.opener) {
                let mut want = Some(f);
                for k in 1..=3 {
                    want = want.and_then(|w| w.parent());
                    assert_eq!(
                        model.up(f, k).map(|n| n.id()),
                        want.map(|n| n.id()),
                        "{lang:?}: ancestor {k} of {} at {:?}",
                        f.kind_name(),
                        f.byte_range()
                    );
                }
                openers += 1;
            }
            assert!(openers > 3);
        }
    }
}
