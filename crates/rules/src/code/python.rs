//! Python bindings for the semantic model: imports, aliases, definitions, assignments.

use crate::fields::FieldExt;
use tree_sitter::Node;

use super::model::{Bind, Model, Role, ScopeId, REF_RULES, REF_TAINT};

impl<'t> Model<'t> {
    /// Visits one Python node during the model walk; returns a scope it opens.
    pub(crate) fn visit_python(
        &mut self,
        node: Node<'t>,
        role: Role,
        kind: &'static str,
        scope: ScopeId,
        ref_names: &dyn Fn(&str) -> u8,
    ) -> Option<ScopeId> {
        match role {
            Role::Call => self.calls.push((node, scope)),
            Role::Import => {
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    match ch.kind_name() {
                        "dotted_name" => {
                            let full = self.src(ch);
                            let first = full.split('.').next().unwrap_or(full).trim();
                            let first_node = ch.named_child(0).unwrap_or(ch);
                            self.bind(scope, self.src(first_node), Bind::Import(first.to_owned()));
                            self.imports.push((node, compact(full)));
                        }
                        "aliased_import" => {
                            if let (Some(n), Some(a)) = (ch.field("name"), ch.field("alias")) {
                                let q = compact(self.src(n));
                                self.bind(scope, self.src(a), Bind::Import(q.clone()));
                                self.imports.push((node, q));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Role::ImportFrom => {
                let module = node
                    .field("module_name")
                    .map(|m| compact(self.src(m)))
                    .unwrap_or_default();
                self.imports.push((node, module.clone()));
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    if ch.kind_name() == "wildcard_import" {
                        if let Some(s) = self.scopes.get_mut(scope) {
                            s.wildcards.push(module.clone());
                        }
                    }
                }
                let mut c = node.walk();
                for ch in node.children_by_field_name("name", &mut c) {
                    let (name_node, local) = match ch.kind_name() {
                        "aliased_import" => match (ch.field("name"), ch.field("alias")) {
                            (Some(n), Some(a)) => (n, self.src(a)),
                            _ => continue,
                        },
                        _ => (ch, self.src(ch)),
                    };
                    let q = format!("{module}.{}", compact(self.src(name_node)));
                    self.imports.push((node, q.clone()));
                    self.bind(scope, local, Bind::Import(q));
                }
            }
            Role::Function => {
                let name = node.field("name").map(|n| self.src(n));
                if let Some(n) = name {
                    self.bind(scope, n, Bind::Opaque);
                }
                let s = self.open_scope(node, scope, name);
                if let Some(p) = node.field("parameters") {
                    self.bind_pattern(p, s);
                }
                return Some(s);
            }
            Role::Lambda => {
                let s = self.open_scope(node, scope, None);
                if let Some(p) = node.field("parameters") {
                    self.bind_pattern(p, s);
                }
                return Some(s);
            }
            Role::Assign => {
                let (Some(left), right) = (node.field("left"), node.field("right")) else {
                    return None;
                };
                let mut value = right;
                // Chained: a = b = value.
                while let Some(v) = value.filter(|v| v.kind_name() == "assignment") {
                    value = v.field("right");
                }
                match (left.kind_name(), value) {
                    ("identifier", Some(v)) => self.bind(scope, self.src(left), Bind::Value(v)),
                    ("identifier", None) => {}
                    _ => self.bind_pattern(left, scope),
                }
            }
            Role::AugAssign => {
                if let Some(l) = node.field("left").filter(|l| l.kind_name() == "identifier") {
                    self.bind(scope, self.src(l), Bind::Opaque);
                }
            }
            Role::Loop => {
                if let Some(l) = node.field("left") {
                    self.bind_pattern(l, scope);
                }
            }
            Role::Target => {
                let target = if kind == "named_expression" {
                    node.field("name")
                } else {
                    Some(node)
                };
                if let Some(t) = target {
                    self.bind_pattern(t, scope);
                }
            }
            Role::Catch => {
                // `except E as e`: the identifier after `as`.
                let mut c = node.walk();
                let mut after_as = false;
                for ch in node.children(&mut c) {
                    if after_as && ch.kind_name() == "identifier" {
                        self.bind(scope, self.src(ch), Bind::Opaque);
                    }
                    after_as = ch.kind_name() == "as";
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
                if want & REF_RULES != 0 && self.is_load_identifier(node) {
                    self.refs.push((node, scope));
                }
                if want & REF_TAINT != 0 {
                    self.taint_refs.push((node, scope));
                }
            }
            _ => {}
        }
        None
    }

    fn is_load_identifier(&self, node: Node<'t>) -> bool {
        let Some(p) = node.parent() else { return true };
        match p.kind_name() {
            "attribute" => p.field("attribute").map(|a| a.id()) != Some(node.id()),
            "dotted_name"
            | "aliased_import"
            | "keyword_argument"
            | "function_definition"
            | "class_definition"
            | "parameters"
            | "default_parameter"
            | "typed_parameter"
            | "import_from_statement" => {
                p.kind_name() == "keyword_argument"
                    && p.field("value").map(|v| v.id()) == Some(node.id())
            }
            "assignment" => p.field("left").map(|l| l.id()) != Some(node.id()),
            _ => true,
        }
    }

    /// Binds every identifier in a target or parameter pattern as opaque (skips defaults and
    /// annotations).
    pub(crate) fn bind_pattern(&mut self, root: Node<'t>, scope: ScopeId) {
        let mut stack = vec![root];
        let mut steps = 0;
        // Made on first use: most targets are one name.
        let mut cursor = None;
        while let Some(n) = stack.pop() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            match n.kind_name() {
                "identifier" | "shorthand_property_identifier_pattern" => {
                    self.bind(scope, self.src(n), Bind::Opaque);
                    continue;
                }
                // Targets that bind no name: `a.b = x`, `a[i] = x`; and annotations, defaults.
                "type"
                | "type_annotation"
                | "decorator"
                | "string"
                | "number"
                | "integer"
                | "attribute"
                | "subscript"
                | "member_expression"
                | "subscript_expression"
                | "call"
                | "call_expression" => continue,
                _ => {}
            }
            // The named children, but not default values and annotations (`value`, `right`,
            // `type` fields) nor keys; the cursor knows each child's field (asking the node
            // for the field of its i-th child walks the children again).
            let pair = n.kind_name() == "pair_pattern";
            let c = cursor.get_or_insert_with(|| n.walk());
            c.reset(n);
            if !c.goto_first_child() {
                continue;
            }
            loop {
                let ch = c.node();
                if ch.is_named() {
                    let field = c.field_name();
                    let skip = if pair {
                        field == Some("key")
                    } else {
                        matches!(field, Some("value" | "right" | "type" | "key"))
                    };
                    if !skip {
                        stack.push(ch);
                    }
                }
                if !c.goto_next_sibling() {
                    break;
                }
            }
        }
    }
}

/// `a . b` -> `a.b`.
fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
