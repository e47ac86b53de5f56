//! JavaScript/TypeScript bindings for the semantic model: require, ES imports, destructuring,
//! declarations and functions.

use crate::fields::FieldExt;
use tree_sitter::Node;

use vigil_core::lang::Family;

use super::model::{normalize_module, Bind, Model, Role, ScopeId, REF_RULES, REF_TAINT};
use crate::model::Lit;

impl<'t> Model<'t> {
    /// Visits one JavaScript/TypeScript node during the model walk; returns a scope it opens.
    pub(crate) fn visit_js(
        &mut self,
        node: Node<'t>,
        role: Role,
        kind: &'static str,
        scope: ScopeId,
        ref_names: &dyn Fn(&str) -> u8,
    ) -> Option<ScopeId> {
        match role {
            Role::Call => {
                self.calls.push((node, scope));
                if kind == "call_expression" {
                    if let Some(m) = self.js_required_module(node, scope) {
                        self.imports.push((node, m));
                    }
                }
            }
            Role::Import => {
                let src = node.field("source")?;
                let Some(Lit::Str(module)) = self.literal(src, scope) else {
                    return None;
                };
                let module = normalize_module(&module);
                self.imports.push((node, module.clone()));
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    match ch.kind_name() {
                        "import_clause" => self.bind_import_clause(ch, scope, &module),
                        "import_require_clause" => {
                            if let Some(id) =
                                ch.named_child(0).filter(|n| n.kind_name() == "identifier")
                            {
                                self.bind(scope, self.src(id), Bind::Import(module.clone()));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Role::Declarator => {
                let name = node.field("name")?;
                let value = node.field("value");
                match (name.kind_name(), value) {
                    ("identifier", Some(v)) => self.bind(scope, self.src(name), Bind::Value(v)),
                    ("identifier", None) => self.bind(scope, self.src(name), Bind::Opaque),
                    ("object_pattern", Some(v)) => self.bind_object_pattern(name, v, scope),
                    _ => self.bind_pattern(name, scope),
                }
            }
            Role::Assign => {
                if let (Some(l), Some(r)) = (node.field("left"), node.field("right")) {
                    if l.kind_name() == "identifier" {
                        let target = self.lookup(scope, self.src(l)).map_or(scope, |(s, _)| s);
                        self.bind(target, self.src(l), Bind::Value(r));
                    }
                }
            }
            Role::AugAssign => {
                if let Some(l) = node.field("left").filter(|l| l.kind_name() == "identifier") {
                    let target = self.lookup(scope, self.src(l)).map_or(scope, |(s, _)| s);
                    self.bind(target, self.src(l), Bind::Opaque);
                }
            }
            Role::Function => {
                // An arrow function has no name, and its parameters (`x` or `(x)`) are its
                // first named child, but after a type parameter list or a comment: read so,
                // a field lookup that finds nothing scans every child.
                let arrow = kind == "arrow_function";
                let name = if arrow {
                    None
                } else {
                    node.field("name").map(|n| self.src(n))
                };
                if let (Some(n), true) = (
                    name,
                    matches!(
                        kind,
                        "function_declaration" | "generator_function_declaration"
                    ),
                ) {
                    self.bind(scope, n, Bind::Opaque);
                }
                let s = self.open_scope(node, scope, name);
                let params = if arrow {
                    node.named_child(0)
                        .filter(|p| matches!(p.kind_name(), "identifier" | "formal_parameters"))
                } else {
                    None
                };
                if let Some(p) = params
                    .or_else(|| node.field("parameters"))
                    .or_else(|| node.field("parameter"))
                {
                    self.bind_pattern(p, s);
                }
                return Some(s);
            }
            Role::ClassDecl => {
                if let Some(n) = node.field("name") {
                    self.bind(scope, self.src(n), Bind::Opaque);
                }
            }
            Role::Catch => {
                if let Some(p) = node.field("parameter") {
                    self.bind_pattern(p, scope);
                }
            }
            Role::Loop => {
                if let Some(l) = node.field("left") {
                    self.bind_pattern(l, scope);
                }
            }
            Role::Access => {
                if let Some(name) = self.access_member(node) {
                    let want = ref_names(name);
                    if want & REF_RULES != 0 {
                        self.refs.push((node, scope));
                    }
                    if want & REF_TAINT != 0 {
                        self.taint_refs.push((node, scope));
                    }
                }
            }
            Role::Identifier => {
                let want = ref_names(self.src(node));
                if want & REF_TAINT != 0 {
                    self.taint_refs.push((node, scope));
                }
                if want & REF_RULES == 0 {
                    return None;
                }
                let skip = node.parent().is_some_and(|p| {
                    matches!(
                        p.kind_name(),
                        "import_specifier" | "import_clause" | "namespace_import"
                    ) || (p.kind_name() == "variable_declarator"
                        && p.field("name").map(|n| n.id()) == Some(node.id()))
                });
                if !skip {
                    self.refs.push((node, scope));
                }
            }
            _ => {}
        }
        None
    }

    fn bind_import_clause(&mut self, clause: Node<'t>, scope: ScopeId, module: &str) {
        let mut c = clause.walk();
        for ch in clause.named_children(&mut c) {
            match ch.kind_name() {
                "identifier" => self.bind(scope, self.src(ch), Bind::Import(module.to_owned())),
                "namespace_import" => {
                    if let Some(id) = ch.named_child(0) {
                        self.bind(scope, self.src(id), Bind::Import(module.to_owned()));
                    }
                }
                "named_imports" => {
                    let mut c2 = ch.walk();
                    for spec in ch.named_children(&mut c2) {
                        if spec.kind_name() != "import_specifier" {
                            continue;
                        }
                        let Some(name) = spec.field("name") else {
                            continue;
                        };
                        let imported = if name.kind_name() == "string" {
                            self.string_value(name).unwrap_or_default()
                        } else {
                            self.src(name).to_owned()
                        };
                        let local = spec.field("alias").unwrap_or(name);
                        let q = if imported == "default" {
                            module.to_owned()
                        } else {
                            format!("{module}.{imported}")
                        };
                        self.bind(scope, self.src(local), Bind::Import(q));
                    }
                }
                _ => {}
            }
        }
    }

    fn bind_object_pattern(&mut self, pattern: Node<'t>, value: Node<'t>, scope: ScopeId) {
        let mut c = pattern.walk();
        for p in pattern.named_children(&mut c) {
            match p.kind_name() {
                "shorthand_property_identifier_pattern" => {
                    let n = self.src(p);
                    self.bind(scope, n, Bind::Member(value, n.to_owned()));
                }
                "object_assignment_pattern" => {
                    if let Some(l) = p.field("left") {
                        if l.kind_name() == "shorthand_property_identifier_pattern" {
                            let n = self.src(l);
                            self.bind(scope, n, Bind::Member(value, n.to_owned()));
                        } else {
                            self.bind_pattern(l, scope);
                        }
                    }
                }
                "pair_pattern" => {
                    let key = p
                        .field("key")
                        .map(|k| self.src(k).trim_matches(['"', '\'']).to_owned());
                    match (key, p.field("value")) {
                        (Some(k), Some(v)) if v.kind_name() == "identifier" => {
                            self.bind(scope, self.src(v), Bind::Member(value, k));
                        }
                        (_, Some(v)) => self.bind_pattern(v, scope),
                        _ => {}
                    }
                }
                _ => self.bind_pattern(p, scope),
            }
        }
    }
}

/// Properties of an Express/Koa/Node request object that carry client-controlled data.
const REQUEST_PROPS: &[&str] = &[
    "query",
    "body",
    "params",
    "headers",
    "cookies",
    "signedCookies",
    "files",
    "file",
    "url",
    "originalUrl",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
];

/// Methods of a request object that return client-controlled data: `req.get('Origin')`.
const REQUEST_METHODS: &[&str] = &["get", "header", "param"];

/// Names conventionally given to the request (or Koa context) parameter of a handler.
const REQUEST_ROOTS: &[&str] = &["req", "request", "ctx", "context", "event"];

/// Browser globals whose value the page's visitor (or a linking site) controls.
const BROWSER_SOURCES: &[&str] = &[
    "location.search",
    "location.hash",
    "location.href",
    "document.location.search",
    "document.location.hash",
    "document.location.href",
    "document.URL",
    "document.documentURI",
    "document.referrer",
];

/// Functions whose result carries the data of their arguments (paths, decoding, parsing).
const PASS_THROUGH: &[&str] = &[
    "path.join",
    "path.resolve",
    "path.normalize",
    "path.posix.join",
    "path.posix.resolve",
    "path.win32.join",
    "path.win32.resolve",
    "decodeURIComponent",
    "decodeURI",
    "unescape",
    "atob",
    "JSON.parse",
    "Buffer.from",
    "URL",
    "URLSearchParams",
    "querystring.parse",
    "qs.parse",
];

const MAX_REQUEST_DEPTH: usize = 16;

impl<'t> Model<'t> {
    /// True when the value is derived from request data: a member of `req.query`, `req.body`,
    /// `req.params`, `req.headers`, `req.cookies`, ... (also `ctx.request.body`, `ctx.query`,
    /// Lambda `event.queryStringParameters`), `req.get(...)`, browser URL sources
    /// (`location.search`, `location.hash`, `document.referrer`), names assigned from them,
    /// and strings, paths or parsed values built from them. `req`/`request`/`ctx` must be
    /// parameters (not imports or local values). This is a local, syntactic notion, not taint
    /// tracking: values passed through user functions are not followed.
    pub fn is_request(&self, node: Node<'t>, scope: ScopeId) -> bool {
        self.family == Family::JavaScript && self.request_at(node, scope, 0)
    }

    fn request_at(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> bool {
        if depth > MAX_REQUEST_DEPTH {
            return false;
        }
        let node = self.unwrap(node);
        let sub = |n: Node<'t>| self.request_at(n, scope, depth + 1);
        match node.kind_name() {
            "member_expression" => {
                let (Some(obj), Some(prop)) = (node.field("object"), node.field("property")) else {
                    return false;
                };
                self.request_member(obj, self.src(prop), scope)
                    || sub(obj)
                    || self
                        .resolve(node, scope)
                        .iter()
                        .any(|n| BROWSER_SOURCES.contains(&n.as_str()))
            }
            "subscript_expression" => node.field("object").is_some_and(sub),
            "identifier" => {
                let name = self.src(node);
                let Some((s, binds)) = self.lookup(scope, name) else {
                    return false;
                };
                binds.iter().any(|b| match b {
                    Bind::Value(v) => v.id() != node.id() && self.request_at(*v, s, depth + 1),
                    Bind::Member(obj, prop) => {
                        self.request_member(*obj, prop, s) || self.request_at(*obj, s, depth + 1)
                    }
                    _ => false,
                })
            }
            "template_string" => {
                let mut c = node.walk();
                let parts: Vec<Node<'t>> = node
                    .named_children(&mut c)
                    .filter(|n| n.kind_name() == "template_substitution")
                    .collect();
                parts.into_iter().any(|p| p.named_child(0).is_some_and(sub))
            }
            "binary_expression" => {
                let op = node.field("operator").map(|o| self.src(o)).unwrap_or("");
                matches!(op, "+" | "||" | "??" | "&&")
                    && (node.field("left").is_some_and(sub) || node.field("right").is_some_and(sub))
            }
            "ternary_expression" => {
                node.field("consequence").is_some_and(sub)
                    || node.field("alternative").is_some_and(sub)
            }
            "call_expression" | "new_expression" => {
                let Some(callee) = self.callee(node) else {
                    return false;
                };
                if callee.kind_name() == "member_expression" {
                    if let (Some(obj), Some(prop)) =
                        (callee.field("object"), callee.field("property"))
                    {
                        // req.get('Origin'), req.query.name.trim(), params.get('next')
                        if REQUEST_METHODS.contains(&self.src(prop))
                            && self.is_request_root_at(obj, scope)
                        {
                            return true;
                        }
                        if sub(obj) {
                            return true;
                        }
                    }
                }
                let passes = self
                    .resolve(callee, scope)
                    .iter()
                    .any(|n| PASS_THROUGH.contains(&n.as_str()));
                if !passes {
                    return false;
                }
                let Some(args) = node.field("arguments") else {
                    return false;
                };
                let mut c = args.walk();
                let list: Vec<Node<'t>> = args.named_children(&mut c).collect();
                list.into_iter().any(sub)
            }
            _ => false,
        }
    }

    /// `req.query`, `ctx.request.body`, `ctx.query`, `event.queryStringParameters`.
    fn request_member(&self, obj: Node<'t>, prop: &str, scope: ScopeId) -> bool {
        if !REQUEST_PROPS.contains(&prop) {
            return false;
        }
        let obj = self.unwrap(obj);
        let root_ok = match obj.kind_name() {
            "identifier" => {
                let name = self.src(obj);
                let lambda_only = name == "event";
                let koa = matches!(name, "ctx" | "context");
                self.is_request_root_at(obj, scope)
                    && (!lambda_only || prop.ends_with("Parameters"))
                    && !(koa && prop == "body")
            }
            _ => self.is_request_root_at(obj, scope),
        };
        root_ok
    }

    /// `req`, `request`, `ctx.request`, `ctx.req`, `this.req`: the request object itself.
    fn is_request_root_at(&self, obj: Node<'t>, scope: ScopeId) -> bool {
        let obj = self.unwrap(obj);
        match obj.kind_name() {
            "identifier" => {
                let name = self.src(obj);
                REQUEST_ROOTS.contains(&name)
                    && self
                        .lookup(scope, name)
                        .is_some_and(|(_, b)| b.iter().all(|b| matches!(b, Bind::Opaque)))
            }
            "member_expression" => obj
                .field("property")
                .is_some_and(|p| matches!(self.src(p), "request" | "req")),
            _ => false,
        }
    }
}
