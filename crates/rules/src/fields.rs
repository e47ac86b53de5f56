//! Field lookups by id instead of by name, and node kinds from a table.
//!
//! `Node::child_by_field_name` resolves the name on every call with a linear scan and `strncmp`
//! over the grammar's field names: 9 % of a JavaScript scan's instructions went there. Rules ask
//! for a handful of fields, always by `&'static str`, so the id is cached per thread in a small
//! direct-mapped table keyed by the grammar and the name's address.
//!
//! `Node::kind` measures and UTF-8-checks the C string of the kind's name on every call (2 % of
//! a Python scan); [`FieldExt::kind_name`] reads it from a per-thread table indexed by the kind id.

use std::cell::{Cell, RefCell};
use std::num::NonZeroU16;
use std::sync::Mutex;

use tree_sitter::Node;

const SLOTS: usize = 512;

#[derive(Clone, Copy)]
struct Slot {
    /// The grammar (its node-kind count: distinct for the grammars vigil ships, see the test).
    grammar: usize,
    /// Address and length of the field name.
    name: (usize, usize),
    id: Option<NonZeroU16>,
}

thread_local! {
    static CACHE: RefCell<Vec<Option<Slot>>> = RefCell::new(vec![None; SLOTS]);
    /// The kind table of the grammar used last on this thread (a file's nodes share one).
    static LAST_KINDS: Cell<Option<(usize, &'static [&'static str])>> = const { Cell::new(None) };
}

/// Per grammar (keyed by its node-kind count): the name of every kind id. Built once per
/// grammar and process (a few hundred entries; vigil ships four grammars).
static KINDS: Mutex<Vec<(usize, &'static [&'static str])>> = Mutex::new(Vec::new());

fn kind_table(lang: &tree_sitter::Language, grammar: usize) -> &'static [&'static str] {
    let mut k = KINDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, t)) = k.iter().find(|(g, _)| *g == grammar) {
        return t;
    }
    let names: Vec<&'static str> = (0..grammar)
        .map(|id| {
            u16::try_from(id)
                .ok()
                .and_then(|id| lang.node_kind_for_id(id))
                .unwrap_or("")
        })
        .collect();
    let t: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    k.push((grammar, t));
    t
}

/// The name of every kind id of `lang`'s grammar (what [`FieldExt::kind_name`] reads), for a
/// caller that looks kinds up by id itself.
pub fn kind_names(lang: &tree_sitter::Language) -> &'static [&'static str] {
    kind_table(lang, lang.node_kind_count())
}

/// `child_by_field_name`, with the field's id cached; `kind`, from a table.
pub trait FieldExt<'t> {
    /// The child at field `name`.
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
    /// `Node::kind`, without converting the C string on every call.
    fn kind_name(&self) -> &'static str;
}

impl<'t> FieldExt<'t> for Node<'t> {
    fn kind_name(&self) -> &'static str {
        let id = usize::from(self.kind_id());
        let lang = self.language();
        let grammar = lang.node_kind_count();
        let table = match LAST_KINDS.with(Cell::get) {
            Some((g, t)) if g == grammar => t,
            _ => {
                let t = kind_table(&lang, grammar);
                LAST_KINDS.with(|c| c.set(Some((grammar, t))));
                t
            }
        };
        match table.get(id) {
            Some(name) => name,
            // ERROR (65535) and other built-in symbols past the table.
            None => u16::try_from(id)
                .ok()
                .and_then(|id| lang.node_kind_for_id(id))
                .unwrap_or(""),
        }
    }

    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        let lang = self.language();
        let grammar = lang.node_kind_count();
        let key = (name.as_ptr() as usize, name.len());
        let slot = (key.0 >> 2 ^ key.1 ^ grammar.wrapping_mul(31)) % SLOTS;
        let id = CACHE.with(|c| {
            let mut c = c.borrow_mut();
            match c[slot] {
                Some(s) if s.grammar == grammar && s.name == key => s.id,
                _ => {
                    let id = lang.field_id_for_name(name);
                    c[slot] = Some(Slot {
                        grammar,
                        name: key,
                        id,
                    });
                    id
                }
            }
        });
        self.child_by_field_id(id?.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::Language;

    #[test]
    fn grammars_are_told_apart_by_their_kind_count() {
        let counts: Vec<usize> = [
            Language::Python,
            Language::JavaScript,
            Language::TypeScript,
            Language::Tsx,
        ]
        .iter()
        .map(|l| l.grammar().node_kind_count())
        .collect();
        let mut dedup = counts.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), counts.len(), "{counts:?}");
    }

    /// Calls `f` on every node of `code` parsed as `lang`.
    fn each_node(lang: Language, code: &str, f: &mut dyn FnMut(Node<'_>)) {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&lang.grammar()).unwrap();
        let tree = p.parse(code, None).unwrap();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            f(n);
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
    }

    #[test]
    fn kind_name_equals_kind_in_broken_code() {
        for (lang, code) in [
            (Language::Python, "def f(:\n  x = = 1\n)))\n"),
            (Language::JavaScript, "function (a, { b: }; x = = ;\n"),
            (Language::Tsx, "const x: = <a href={>t</b>;\n"),
        ] {
            let mut errors = 0;
            each_node(lang, code, &mut |n| {
                assert_eq!(n.kind_name(), n.kind(), "{lang:?}");
                errors += usize::from(n.is_error());
            });
            assert!(errors > 0, "{lang:?}: no ERROR node in the sample");
        }
    }

    #[test]
    fn field_equals_child_by_field_name() {
        for (lang, code) in [
            (
                Language::Python,
                "x = f(a, b=1)\nclass C:\n    def m(self): return self.x\n",
            ),
            (
                Language::JavaScript,
                "const x = f(a, {b: 1}); obj.m = () => this.x;\n",
            ),
            (
                Language::Tsx,
                "const x: number = f(a); const e = <a href={u}>t</a>;\n",
            ),
        ] {
            let mut checked = 0;
            each_node(lang, code, &mut |n| {
                for f in [
                    "name",
                    "value",
                    "left",
                    "right",
                    "function",
                    "arguments",
                    "object",
                    "property",
                    "attribute",
                    "body",
                    "parameters",
                    "type",
                    "nope",
                ] {
                    assert_eq!(n.field(f), n.child_by_field_name(f), "{lang:?} {f}");
                    assert_eq!(n.kind_name(), n.kind(), "{lang:?}");
                    checked += 1;
                }
            });
            assert!(checked > 100);
        }
    }
}
