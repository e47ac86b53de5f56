//! JavaScript/TypeScript bindings for the semantic model: require, ES imports, destructuring,
//! declarations and functions.

use tree_sitter::Node;

use super::model::{normalize_module, Bind, Model, ScopeId};
use crate::model::Lit;

impl<'t> Model<'t> {
    /// Visits one JavaScript/TypeScript node during the model walk; returns a scope it opens.
    pub(crate) fn visit_js(
        &mut self,
        node: Node<'t>,
        scope: ScopeId,
        ref_names: &dyn Fn(&str) -> bool,
    ) -> Option<ScopeId> {
        match node.kind() {
            "call_expression" | "new_expression" => {
                self.calls.push((node, scope));
                if node.kind() == "call_expression" {
                    if let Some(m) = self.js_required_module(node, scope) {
                        self.imports.push((node, m));
                    }
                }
            }
            "import_statement" => {
                let Some(src) = node.child_by_field_name("source") else {
                    return None;
                };
                let Some(Lit::Str(module)) = self.literal(src, scope) else {
                    return None;
                };
                let module = normalize_module(&module);
                self.imports.push((node, module.clone()));
                let mut c = node.walk();
                for ch in node.named_children(&mut c) {
                    match ch.kind() {
                        "import_clause" => self.bind_import_clause(ch, scope, &module),
                        "import_require_clause" => {
                            if let Some(id) = ch.named_child(0).filter(|n| n.kind() == "identifier")
                            {
                                self.bind(scope, self.src(id), Bind::Import(module.clone()));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "variable_declarator" => {
                let Some(name) = node.child_by_field_name("name") else {
                    return None;
                };
                let value = node.child_by_field_name("value");
                match (name.kind(), value) {
                    ("identifier", Some(v)) => self.bind(scope, self.src(name), Bind::Value(v)),
                    ("identifier", None) => self.bind(scope, self.src(name), Bind::Opaque),
                    ("object_pattern", Some(v)) => self.bind_object_pattern(name, v, scope),
                    _ => self.bind_pattern(name, scope),
                }
            }
            "assignment_expression" => {
                if let (Some(l), Some(r)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    if l.kind() == "identifier" {
                        let target = self.lookup(scope, self.src(l)).map_or(scope, |(s, _)| s);
                        self.bind(target, self.src(l), Bind::Value(r));
                    }
                }
            }
            "augmented_assignment_expression" => {
                if let Some(l) = node
                    .child_by_field_name("left")
                    .filter(|l| l.kind() == "identifier")
                {
                    let target = self.lookup(scope, self.src(l)).map_or(scope, |(s, _)| s);
                    self.bind(target, self.src(l), Bind::Opaque);
                }
            }
            "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "generator_function"
            | "arrow_function"
            | "method_definition" => {
                let name = node.child_by_field_name("name").map(|n| self.src(n));
                if let (Some(n), true) = (
                    name,
                    matches!(
                        node.kind(),
                        "function_declaration" | "generator_function_declaration"
                    ),
                ) {
                    self.bind(scope, n, Bind::Opaque);
                }
                let s = self.open_scope(node, scope, name);
                if let Some(p) = node
                    .child_by_field_name("parameters")
                    .or_else(|| node.child_by_field_name("parameter"))
                {
                    self.bind_pattern(p, s);
                }
                return Some(s);
            }
            "class_declaration" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.bind(scope, self.src(n), Bind::Opaque);
                }
            }
            "catch_clause" => {
                if let Some(p) = node.child_by_field_name("parameter") {
                    self.bind_pattern(p, scope);
                }
            }
            "for_in_statement" => {
                if let Some(l) = node.child_by_field_name("left") {
                    self.bind_pattern(l, scope);
                }
            }
            "member_expression" => {
                if let Some(p) = node.child_by_field_name("property") {
                    if ref_names(self.src(p)) {
                        self.refs.push((node, scope));
                    }
                }
            }
            "identifier" => {
                if ref_names(self.src(node)) {
                    let skip = node.parent().is_some_and(|p| {
                        matches!(
                            p.kind(),
                            "import_specifier" | "import_clause" | "namespace_import"
                        ) || (p.kind() == "variable_declarator"
                            && p.child_by_field_name("name").map(|n| n.id()) == Some(node.id()))
                    });
                    if !skip {
                        self.refs.push((node, scope));
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn bind_import_clause(&mut self, clause: Node<'t>, scope: ScopeId, module: &str) {
        let mut c = clause.walk();
        for ch in clause.named_children(&mut c) {
            match ch.kind() {
                "identifier" => self.bind(scope, self.src(ch), Bind::Import(module.to_owned())),
                "namespace_import" => {
                    if let Some(id) = ch.named_child(0) {
                        self.bind(scope, self.src(id), Bind::Import(module.to_owned()));
                    }
                }
                "named_imports" => {
                    let mut c2 = ch.walk();
                    for spec in ch.named_children(&mut c2) {
                        if spec.kind() != "import_specifier" {
                            continue;
                        }
                        let Some(name) = spec.child_by_field_name("name") else {
                            continue;
                        };
                        let imported = if name.kind() == "string" {
                            self.string_value(name).unwrap_or_default()
                        } else {
                            self.src(name).to_owned()
                        };
                        let local = spec.child_by_field_name("alias").unwrap_or(name);
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
            match p.kind() {
                "shorthand_property_identifier_pattern" => {
                    let n = self.src(p);
                    self.bind(scope, n, Bind::Member(value, n.to_owned()));
                }
                "object_assignment_pattern" => {
                    if let Some(l) = p.child_by_field_name("left") {
                        if l.kind() == "shorthand_property_identifier_pattern" {
                            let n = self.src(l);
                            self.bind(scope, n, Bind::Member(value, n.to_owned()));
                        } else {
                            self.bind_pattern(l, scope);
                        }
                    }
                }
                "pair_pattern" => {
                    let key = p
                        .child_by_field_name("key")
                        .map(|k| self.src(k).trim_matches(['"', '\'']).to_owned());
                    match (key, p.child_by_field_name("value")) {
                        (Some(k), Some(v)) if v.kind() == "identifier" => {
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
