//! Structural tree patterns, written in tree-sitter's query syntax, matched natively.
//!
//! `tree_sitter::Query::new` analyses the whole grammar's parse table for every query it
//! compiles: ~4 ms for a one-node Python pattern, ~70 ms for the Python rules together and
//! ~300 ms for the TSX ones, paid by every run before its first finding. Rules only need a small
//! part of the query language, so it is parsed and matched here instead: compiling is a
//! recursive-descent parse plus a kind-name lookup (microseconds), and matching is a plain
//! backtracking walk, started only at nodes whose kind is the root kind of an active pattern.
//!
//! Supported: named nodes `(kind child...)` and the wildcard `(_)`, fields `name: pattern`,
//! alternations `[a b]`, captures `@name` (several per node), the anchor `.` (first child, last
//! child, adjacent siblings; comments are skipped), and the predicates `#eq?`, `#not-eq?`,
//! `#any-of?`, `#match?` and `#not-match?` comparing one capture's text with literals. Child
//! patterns match named children in order, like tree-sitter; supertype kinds (`expression`) match
//! any of their subtypes. Not supported (an error names the construct): quantifiers, anonymous
//! nodes, negated fields, grouped sibling sequences, predicates between two captures.

use std::collections::HashMap;
use std::num::NonZeroU16;
use std::rc::Rc;

use crate::fields::FieldExt;
use regex::Regex;
use tree_sitter::{Language as Grammar, Node, Tree};

/// An invalid pattern: what is wrong and where (byte offset in the pattern source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset in the source.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, PatternError> {
    Err(PatternError {
        offset,
        message: message.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Syntax

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenAlt,
    CloseAlt,
    Anchor,
    Capture(String),
    Field(String),
    Word(String),
    Str(String),
    Predicate(String),
    Quantifier,
    Negation,
}

fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, PatternError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b';' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                out.push((start, Tok::Open));
                i += 1;
            }
            b')' => {
                out.push((start, Tok::Close));
                i += 1;
            }
            b'[' => {
                out.push((start, Tok::OpenAlt));
                i += 1;
            }
            b']' => {
                out.push((start, Tok::CloseAlt));
                i += 1;
            }
            b'.' => {
                out.push((start, Tok::Anchor));
                i += 1;
            }
            b'?' | b'*' | b'+' => {
                out.push((start, Tok::Quantifier));
                i += 1;
            }
            b'!' => {
                out.push((start, Tok::Negation));
                i += 1;
            }
            b'@' => {
                i += 1;
                while i < b.len() && word_char(b[i]) {
                    i += 1;
                }
                if i == start + 1 {
                    return err(start, "a capture needs a name after `@`");
                }
                out.push((start, Tok::Capture(src[start + 1..i].to_owned())));
            }
            b'#' => {
                i += 1;
                while i < b.len() && (word_char(b[i]) || b[i] == b'?' || b[i] == b'!') {
                    i += 1;
                }
                out.push((start, Tok::Predicate(src[start + 1..i].to_owned())));
            }
            b'"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&c) = b.get(i) else {
                        return err(start, "unterminated string");
                    };
                    match c {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\\' => {
                            let Some(&e) = b.get(i + 1) else {
                                return err(i, "unterminated string");
                            };
                            s.push(match e {
                                b'n' => '\n',
                                b't' => '\t',
                                b'r' => '\r',
                                b'0' => '\0',
                                _ => e as char,
                            });
                            i += 2;
                        }
                        _ => {
                            // Copy the whole UTF-8 character.
                            let len = src[i..].chars().next().map_or(1, char::len_utf8);
                            s.push_str(&src[i..i + len]);
                            i += len;
                        }
                    }
                }
                out.push((start, Tok::Str(s)));
            }
            c if word_char(c) => {
                while i < b.len() && word_char(b[i]) {
                    i += 1;
                }
                let w = src[start..i].to_owned();
                if b.get(i) == Some(&b':') {
                    i += 1;
                    out.push((start, Tok::Field(w)));
                } else {
                    out.push((start, Tok::Word(w)));
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return err(start, format!("unexpected character `{ch}`"));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum Ast {
    Node {
        /// `None` for the wildcard `(_)`.
        kind: Option<(String, usize)>,
        children: Vec<AstChild>,
        anchor_end: bool,
        captures: Vec<String>,
    },
    Alt {
        alts: Vec<Ast>,
        captures: Vec<String>,
    },
}

#[derive(Debug, Clone)]
struct AstChild {
    anchored: bool,
    field: Option<(String, usize)>,
    pat: Ast,
}

#[derive(Debug, Clone)]
enum PredOp {
    Eq(String),
    NotEq(String),
    AnyOf(Vec<String>),
    Match(LazyRegex),
    NotMatch(LazyRegex),
}

impl PredOp {
    fn holds(&self, text: &str) -> bool {
        match self {
            PredOp::Eq(s) => text == s,
            PredOp::NotEq(s) => text != s,
            PredOp::AnyOf(v) => v.iter().any(|s| s == text),
            PredOp::Match(re) => re.matches(text) == Some(true),
            PredOp::NotMatch(re) => re.matches(text) == Some(false),
        }
    }
}

/// A predicate's regex, compiled on first use (checked by [`Query::new`], which validates).
#[derive(Debug, Clone)]
struct LazyRegex {
    source: String,
    at: usize,
    forms: crate::regexes::TwoForms,
}

impl LazyRegex {
    /// Whether the regex matches somewhere in `text`; `None` if it does not compile.
    fn matches(&self, text: &str) -> Option<bool> {
        self.forms.matches(&self.source, text)
    }

    fn check(&self, name: &str) -> Result<(), PatternError> {
        match Regex::new(&self.source) {
            Ok(_) => Ok(()),
            Err(e) => err(self.at, format!("invalid regex in #{name}: {e}")),
        }
    }
}

/// A predicate: (capture name, byte offset, test).
type Pred = (String, usize, PredOp);

struct Parser<'a> {
    toks: &'a [(usize, Tok)],
    pos: usize,
    end: usize,
    /// Predicates of the top-level pattern being parsed.
    preds: Vec<Pred>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.1)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    fn captures(&mut self) -> Result<Vec<String>, PatternError> {
        let mut caps = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Capture(c)) => {
                    caps.push(c.clone());
                    self.pos += 1;
                }
                Some(Tok::Quantifier) => {
                    return err(self.at(), "quantifiers (`?`, `*`, `+`) are not supported")
                }
                _ => return Ok(caps),
            }
        }
    }

    fn pattern(&mut self) -> Result<Ast, PatternError> {
        let at = self.at();
        match self.peek() {
            Some(Tok::OpenAlt) => {
                self.pos += 1;
                let mut alts = Vec::new();
                loop {
                    match self.peek() {
                        Some(Tok::CloseAlt) => {
                            self.pos += 1;
                            break;
                        }
                        None => return err(at, "unclosed `[`"),
                        _ => alts.push(self.pattern()?),
                    }
                }
                if alts.is_empty() {
                    return err(at, "an empty alternation `[]`");
                }
                let captures = self.captures()?;
                Ok(Ast::Alt { alts, captures })
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let kind_at = self.at();
                let kind = match self.peek() {
                    Some(Tok::Word(w)) if w == "_" => None,
                    Some(Tok::Word(w)) => Some((w.clone(), kind_at)),
                    Some(Tok::Open | Tok::OpenAlt) => {
                        return err(kind_at, "grouped sibling patterns are not supported")
                    }
                    Some(Tok::Str(_)) => {
                        return err(kind_at, "anonymous node patterns are not supported")
                    }
                    Some(Tok::Predicate(_)) => {
                        return err(kind_at, "a predicate must be inside a node pattern")
                    }
                    _ => return err(kind_at, "expected a node kind after `(`"),
                };
                self.pos += 1;
                let mut children = Vec::new();
                let mut anchored = false;
                let mut anchor_end = false;
                loop {
                    let cat = self.at();
                    match self.peek() {
                        Some(Tok::Close) => {
                            self.pos += 1;
                            if anchored {
                                anchor_end = true;
                            }
                            break;
                        }
                        None => return err(at, "unclosed `(`"),
                        Some(Tok::Anchor) => {
                            self.pos += 1;
                            anchored = true;
                        }
                        Some(Tok::Negation) => {
                            return err(cat, "negated fields (`!field`) are not supported")
                        }
                        Some(Tok::Open) if self.is_predicate() => self.predicate()?,
                        Some(Tok::Field(f)) => {
                            let field = Some((f.clone(), cat));
                            self.pos += 1;
                            let pat = self.pattern()?;
                            children.push(AstChild {
                                anchored,
                                field,
                                pat,
                            });
                            anchored = false;
                        }
                        Some(Tok::Open | Tok::OpenAlt) => {
                            let pat = self.pattern()?;
                            children.push(AstChild {
                                anchored,
                                field: None,
                                pat,
                            });
                            anchored = false;
                        }
                        Some(Tok::Str(_)) => {
                            return err(cat, "anonymous node patterns are not supported")
                        }
                        Some(Tok::Word(w)) if w == "_" => {
                            return err(cat, "the bare wildcard `_` is not supported; use `(_)`")
                        }
                        _ => return err(cat, "expected a child pattern, a field or `)`"),
                    }
                }
                let captures = self.captures()?;
                Ok(Ast::Node {
                    kind,
                    children,
                    anchor_end,
                    captures,
                })
            }
            Some(Tok::Str(_)) => err(at, "anonymous node patterns are not supported"),
            Some(Tok::Word(w)) if w == "_" => {
                err(at, "the bare wildcard `_` is not supported; use `(_)`")
            }
            _ => err(at, "expected `(` or `[`"),
        }
    }

    fn is_predicate(&self) -> bool {
        matches!(self.toks.get(self.pos + 1), Some((_, Tok::Predicate(_))))
    }

    fn predicate(&mut self) -> Result<(), PatternError> {
        let at = self.at();
        self.pos += 1; // `(`
        let Some((_, Tok::Predicate(name))) = self.toks.get(self.pos).cloned() else {
            return err(at, "expected a predicate");
        };
        self.pos += 1;
        let mut capture = None;
        let mut args = Vec::new();
        loop {
            let aat = self.at();
            match self.toks.get(self.pos).map(|t| t.1.clone()) {
                Some(Tok::Close) => {
                    self.pos += 1;
                    break;
                }
                Some(Tok::Capture(c)) if capture.is_none() => capture = Some(c),
                Some(Tok::Capture(_)) => {
                    return err(aat, "predicates comparing two captures are not supported")
                }
                Some(Tok::Str(s)) => args.push(s),
                None => return err(at, "unclosed predicate"),
                _ => return err(aat, "a predicate takes one capture and string literals"),
            }
            self.pos += 1;
        }
        let Some(capture) = capture else {
            return err(at, format!("#{name} needs a capture"));
        };
        let one = |args: &[String]| -> Result<String, PatternError> {
            match args {
                [s] => Ok(s.clone()),
                _ => err(at, format!("#{name} takes exactly one string")),
            }
        };
        let regex = |s: String| -> Result<LazyRegex, PatternError> {
            Ok(LazyRegex {
                source: s,
                at,
                forms: crate::regexes::TwoForms::default(),
            })
        };
        let op = match name.as_str() {
            "eq?" => PredOp::Eq(one(&args)?),
            "not-eq?" => PredOp::NotEq(one(&args)?),
            "any-of?" => {
                if args.is_empty() {
                    return err(at, "#any-of? needs at least one string");
                }
                PredOp::AnyOf(args)
            }
            "match?" => PredOp::Match(regex(one(&args)?)?),
            "not-match?" => PredOp::NotMatch(regex(one(&args)?)?),
            other => return err(at, format!("unsupported predicate #{other}")),
        };
        self.preds.push((capture, at, op));
        Ok(())
    }
}

/// A parsed query: its top-level patterns, each with the predicates written inside it.
#[derive(Debug, Clone)]
pub struct Parsed {
    patterns: Vec<(Ast, Vec<Pred>)>,
}

impl Parsed {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Parsed, PatternError> {
        let toks = tokenize(src)?;
        let mut p = Parser {
            toks: &toks,
            pos: 0,
            end: src.len(),
            preds: Vec::new(),
        };
        let mut patterns = Vec::new();
        while p.pos < toks.len() {
            if p.is_predicate() {
                return err(p.at(), "a predicate must be inside a node pattern");
            }
            let ast = p.pattern()?;
            patterns.push((ast, std::mem::take(&mut p.preds)));
        }
        if patterns.is_empty() {
            return err(0, "the query has no pattern");
        }
        Ok(Parsed { patterns })
    }

    /// True when some pattern captures `name`.
    pub fn has_capture(&self, name: &str) -> bool {
        fn walk(a: &Ast, name: &str) -> bool {
            match a {
                Ast::Node {
                    children, captures, ..
                } => {
                    captures.iter().any(|c| c == name)
                        || children.iter().any(|c| walk(&c.pat, name))
                }
                Ast::Alt { alts, captures } => {
                    captures.iter().any(|c| c == name) || alts.iter().any(|a| walk(a, name))
                }
            }
        }
        self.patterns.iter().any(|(a, _)| walk(a, name))
    }

    /// The captures every pattern binds at the callee child of its root, when every pattern
    /// (every alternative of a top-level alternation) is rooted at a node of one of the kinds
    /// of `callees`: (kind, the field holding its callee). A match can then only be at such a
    /// node, with those captures on its callee.
    pub fn root_field_captures(&self, callees: &[(&str, &str)]) -> Vec<String> {
        fn roots<'a>(a: &'a Ast, out: &mut Vec<&'a Ast>) {
            match a {
                Ast::Alt { alts, .. } => alts.iter().for_each(|x| roots(x, out)),
                node => out.push(node),
            }
        }
        let mut all = Vec::new();
        for (a, _) in &self.patterns {
            roots(a, &mut all);
        }
        let mut common: Option<Vec<String>> = None;
        for root in all {
            let Ast::Node {
                kind: Some((kind, _)),
                children,
                ..
            } = root
            else {
                return Vec::new();
            };
            let Some(&(_, field)) = callees.iter().find(|(k, _)| k == kind) else {
                return Vec::new();
            };
            let captured: &[String] = children
                .iter()
                .find_map(|c| match (&c.field, &c.pat) {
                    (Some((f, _)), Ast::Node { captures, .. } | Ast::Alt { captures, .. })
                        if f == field =>
                    {
                        Some(&captures[..])
                    }
                    _ => None,
                })
                .unwrap_or(&[]);
            common = Some(match common {
                None => captured.to_vec(),
                Some(c) => c.into_iter().filter(|n| captured.contains(n)).collect(),
            });
        }
        common.unwrap_or_default()
    }

    /// Adds a text check on capture `name` to every pattern (a no-op when no pattern captures
    /// it): its text must match `regex` (must not, with `negate`). The matcher applies it as
    /// it binds the capture, so a node that fails it is not descended into.
    pub fn require_text(&mut self, name: &str, regex: &str, negate: bool) {
        if !self.has_capture(name) {
            return;
        }
        let re = LazyRegex {
            source: regex.to_owned(),
            at: 0,
            forms: crate::regexes::TwoForms::default(),
        };
        let op = if negate {
            PredOp::NotMatch(re)
        } else {
            PredOp::Match(re)
        };
        for (_, preds) in &mut self.patterns {
            preds.push((name.to_owned(), 0, op.clone()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns resolved against one grammar

#[derive(Debug)]
enum Kinds {
    /// `(_)`: any named node.
    Any,
    Ids(Box<[u16]>),
}

#[derive(Debug)]
enum P {
    Node {
        kinds: Kinds,
        children: Box<[PChild]>,
        anchor_end: bool,
        captures: Box<[u16]>,
    },
    Alt {
        alts: Box<[P]>,
        captures: Box<[u16]>,
    },
}

#[derive(Debug)]
struct PChild {
    anchored: bool,
    field: Option<NonZeroU16>,
    pat: P,
}

/// Kind names and fields of one grammar.
struct Names {
    kinds: HashMap<&'static str, Vec<u16>>,
}

impl Names {
    fn new(g: &Grammar) -> Names {
        let mut kinds: HashMap<&'static str, Vec<u16>> = HashMap::new();
        let count = u16::try_from(g.node_kind_count()).unwrap_or(u16::MAX);
        for id in 0..count {
            let supertype = g.node_kind_is_supertype(id);
            let visible_named = g.node_kind_is_named(id) && g.node_kind_is_visible(id);
            if !(supertype || visible_named) {
                continue;
            }
            if let Some(name) = g.node_kind_for_id(id) {
                let v = kinds.entry(name).or_default();
                if supertype {
                    // Supertypes nest (`expression` > `primary_expression` > `call`).
                    let mut stack = vec![id];
                    let mut seen = vec![id];
                    while let Some(s) = stack.pop() {
                        for &sub in g.subtypes_for_supertype(s) {
                            if seen.contains(&sub) {
                                continue;
                            }
                            seen.push(sub);
                            if g.node_kind_is_supertype(sub) {
                                stack.push(sub);
                            } else {
                                v.push(sub);
                            }
                        }
                    }
                } else {
                    v.push(id);
                }
            }
        }
        for v in kinds.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Names { kinds }
    }
}

struct Resolver<'a> {
    g: &'a Grammar,
    names: &'a Names,
    capture_ids: &'a mut Vec<String>,
}

impl Resolver<'_> {
    fn cap(&mut self, name: &str) -> u16 {
        let i = match self.capture_ids.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                self.capture_ids.push(name.to_owned());
                self.capture_ids.len() - 1
            }
        };
        u16::try_from(i).unwrap_or(u16::MAX)
    }

    fn caps(&mut self, names: &[String]) -> Box<[u16]> {
        names.iter().map(|n| self.cap(n)).collect()
    }

    fn resolve(&mut self, a: &Ast) -> Result<P, PatternError> {
        Ok(match a {
            Ast::Alt { alts, captures } => P::Alt {
                alts: alts
                    .iter()
                    .map(|x| self.resolve(x))
                    .collect::<Result<_, _>>()?,
                captures: self.caps(captures),
            },
            Ast::Node {
                kind,
                children,
                anchor_end,
                captures,
            } => {
                let kinds = match kind {
                    None => Kinds::Any,
                    Some((k, at)) => match self.names.kinds.get(k.as_str()) {
                        Some(ids) if !ids.is_empty() => Kinds::Ids(ids.clone().into()),
                        _ => return err(*at, format!("unknown node kind `{k}`")),
                    },
                };
                let mut kids = Vec::with_capacity(children.len());
                for c in children {
                    let field = match &c.field {
                        None => None,
                        Some((f, at)) => match self.g.field_id_for_name(f) {
                            Some(id) => Some(id),
                            None => return err(*at, format!("unknown field `{f}`")),
                        },
                    };
                    kids.push(PChild {
                        anchored: c.anchored,
                        field,
                        pat: self.resolve(&c.pat)?,
                    });
                }
                P::Node {
                    kinds,
                    children: kids.into(),
                    anchor_end: *anchor_end,
                    captures: self.caps(captures),
                }
            }
        })
    }
}

struct Compiled {
    root: P,
    /// What the pattern needs of a call's `function` child, when its root has one.
    callee: Option<CalleeGuard>,
    /// Per capture id: the predicates on it.
    preds: Vec<Vec<PredOp>>,
    /// The kinds of the nodes every match holds whose text is always the same
    /// ([`FIXED_TEXT_KINDS`]).
    fixed: Vec<&'static str>,
    /// What the text of the root node of a match must contain (see `needs`), found on first
    /// use.
    needs: std::sync::OnceLock<Vec<Vec<Vec<u8>>>>,
    /// One search per requirement of `needs`, built on first use.
    searchers: std::sync::OnceLock<Vec<aho_corasick::AhoCorasick>>,
}

impl Compiled {
    /// A search per requirement of [`Compiled::needs`].
    fn searchers(&self) -> &[aho_corasick::AhoCorasick] {
        self.searchers.get_or_init(|| {
            self.needs()
                .iter()
                .filter_map(|alts| super::needs::searcher(alts))
                .collect()
        })
    }

    /// What the text of a node must contain for this pattern to match there: per predicate
    /// of a capture every match binds, the literals one of which the captured text holds,
    /// and the text of every fixed-text node the pattern holds (`(import)`). Each requirement
    /// is a list of alternatives (lowercased; compared ASCII case-insensitively).
    fn needs(&self) -> &[Vec<Vec<u8>>] {
        self.needs.get_or_init(|| {
            let mut out: Vec<Vec<Vec<u8>>> = self
                .fixed
                .iter()
                .filter_map(|k| super::needs::text_literals([*k]))
                .collect();
            let mut bound = Vec::new();
            always_bound(&self.root, &mut bound);
            bound.sort_unstable();
            bound.dedup();
            for id in bound {
                for op in self
                    .preds
                    .get(usize::from(id))
                    .map_or(&[][..], Vec::as_slice)
                {
                    let literals = match op {
                        PredOp::Eq(t) => super::needs::text_literals([t.as_str()]),
                        PredOp::AnyOf(v) => {
                            super::needs::text_literals(v.iter().map(String::as_str))
                        }
                        PredOp::Match(re) => super::needs::regex_literals(&re.source),
                        PredOp::NotEq(_) | PredOp::NotMatch(_) => None,
                    };
                    out.extend(literals);
                }
            }
            out
        })
    }
}

/// What a pattern whose root has a `function` child needs of that child, checked at a call
/// before the matcher runs: most patterns rooted at a call name its method
/// (`function: (member_expression property: (_) @m (#eq? @m "send"))`), a literal often
/// found elsewhere in the call's text (`extend(...)` holds `end`), and the matcher costs
/// thousands of instructions (it lists the children of the nodes it visits).
#[derive(Debug)]
struct CalleeGuard {
    /// The kinds the `function` child can be of (empty: any).
    kinds: Box<[u16]>,
    /// The captures on that child's `attribute` / `property` child (the member name), whose
    /// predicates must hold on the name.
    member_caps: Box<[u16]>,
}

impl CalleeGuard {
    /// The guard of a pattern rooted at `root`, given the grammar's `function` field and its
    /// member-name fields (`None`: the pattern asks nothing of a `function` child).
    fn of(root: &P, function: NonZeroU16, members: &[NonZeroU16]) -> Option<CalleeGuard> {
        let P::Node { children, .. } = root else {
            return None;
        };
        let child = children.iter().find(|c| c.field == Some(function))?;
        let P::Node {
            kinds,
            children: grandchildren,
            ..
        } = &child.pat
        else {
            return None;
        };
        let kinds = match kinds {
            Kinds::Ids(ids) => ids.clone(),
            Kinds::Any => Box::default(),
        };
        let member_caps: Box<[u16]> = grandchildren
            .iter()
            .filter(|c| c.field.is_some_and(|f| members.contains(&f)))
            .filter_map(|c| match &c.pat {
                P::Node { captures, .. } => Some(captures.iter().copied()),
                P::Alt { .. } => None,
            })
            .flatten()
            .collect();
        (!kinds.is_empty() || !member_caps.is_empty()).then_some(CalleeGuard { kinds, member_caps })
    }

    /// False when a call whose `function` child `callee` describes cannot match.
    fn admits(&self, callee: &Callee<'_>, preds: &[Vec<PredOp>]) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&callee.kind) {
            return false;
        }
        let Some(name) = callee.member else {
            return true;
        };
        self.member_caps.iter().all(|&id| {
            preds
                .get(usize::from(id))
                .is_none_or(|ps| ps.iter().all(|p| p.holds(name)))
        })
    }
}

/// A call's `function` child, as a [`CalleeGuard`] checks it.
struct Callee<'a> {
    /// Its kind id.
    kind: u16,
    /// The text of its `attribute` / `property` child (the member name), when it is an
    /// attribute or member access whose name reads off its text (`None`: not known).
    member: Option<&'a str>,
}

impl<'a> Callee<'a> {
    /// The `function` child of `node`, when `node` is a call.
    fn of(node: Node<'_>, text: &'a str) -> Option<Callee<'a>> {
        if !matches!(node.kind_name(), "call" | "call_expression") {
            return None;
        }
        let f = super::model::call_function(node)?;
        let member = match f.kind_name() {
            "attribute" | "member_expression" => text
                .get(f.byte_range())
                .and_then(super::model::trailing_member),
            _ => None,
        };
        Some(Callee {
            kind: f.kind_id(),
            member,
        })
    }
}

/// Named node kinds whose text is always their name, ASCII case aside (Python's `None` is a
/// `none`): keywords the grammars make named nodes of.
const FIXED_TEXT_KINDS: &[&str] = &[
    "import",
    "this",
    "super",
    "null",
    "undefined",
    "true",
    "false",
    "none",
];

/// The kinds of [`FIXED_TEXT_KINDS`] every match of `a` holds (outside alternations).
fn fixed_text_kinds(a: &Ast, out: &mut Vec<&'static str>) {
    if let Ast::Node { kind, children, .. } = a {
        if let Some(k) = kind
            .as_ref()
            .and_then(|(k, _)| FIXED_TEXT_KINDS.iter().find(|f| **f == k.as_str()))
        {
            out.push(k);
        }
        for c in children {
            fixed_text_kinds(&c.pat, out);
        }
    }
}

/// The captures every match of `p` binds (patterns have no quantifiers: only an alternation
/// makes a capture optional).
fn always_bound(p: &P, out: &mut Vec<u16>) {
    match p {
        P::Node {
            children, captures, ..
        } => {
            out.extend_from_slice(captures);
            for c in children.iter() {
                always_bound(&c.pat, out);
            }
        }
        P::Alt { alts, captures } => {
            out.extend_from_slice(captures);
            let mut common: Option<Vec<u16>> = None;
            for a in alts.iter() {
                let mut these = Vec::new();
                always_bound(a, &mut these);
                common = Some(match common {
                    None => these,
                    Some(c) => c.into_iter().filter(|x| these.contains(x)).collect(),
                });
            }
            out.extend(common.unwrap_or_default());
        }
    }
}

/// One query resolved against one grammar.
pub struct Query {
    patterns: Vec<Compiled>,
    capture_names: Vec<String>,
}

impl Query {
    /// Parses and resolves `src` against `grammar`: unknown node kinds and fields and invalid
    /// regexes are errors.
    pub fn new(grammar: &Grammar, src: &str) -> Result<Query, PatternError> {
        let parsed = Parsed::parse(src)?;
        for (_, preds) in &parsed.patterns {
            for (_, _, op) in preds {
                match op {
                    PredOp::Match(re) => re.check("match?")?,
                    PredOp::NotMatch(re) => re.check("not-match?")?,
                    _ => {}
                }
            }
        }
        Query::from_parsed(grammar, &parsed)
    }

    /// Resolves a parsed query against `grammar`.
    pub fn from_parsed(grammar: &Grammar, parsed: &Parsed) -> Result<Query, PatternError> {
        let names = Names::new(grammar);
        Query::resolve(grammar, &names, parsed)
    }

    fn resolve(grammar: &Grammar, names: &Names, parsed: &Parsed) -> Result<Query, PatternError> {
        let function = grammar.field_id_for_name("function");
        let members: Vec<NonZeroU16> = ["attribute", "property"]
            .iter()
            .filter_map(|f| grammar.field_id_for_name(f))
            .collect();
        let mut capture_names = Vec::new();
        let mut patterns = Vec::new();
        for (ast, preds) in &parsed.patterns {
            let mut r = Resolver {
                g: grammar,
                names,
                capture_ids: &mut capture_names,
            };
            let root = r.resolve(ast)?;
            let mut by_cap: Vec<Vec<PredOp>> = Vec::new();
            for (cap, at, op) in preds {
                if !parsed.has_capture(cap) {
                    return err(
                        *at,
                        format!("the predicate's capture `@{cap}` is not in the query"),
                    );
                }
                let id = usize::from(r.cap(cap));
                if by_cap.len() <= id {
                    by_cap.resize_with(id + 1, Vec::new);
                }
                by_cap[id].push(op.clone());
            }
            let mut fixed = Vec::new();
            fixed_text_kinds(ast, &mut fixed);
            patterns.push(Compiled {
                callee: function.and_then(|f| CalleeGuard::of(&root, f, &members)),
                root,
                preds: by_cap,
                fixed,
                needs: std::sync::OnceLock::new(),
                searchers: std::sync::OnceLock::new(),
            });
        }
        Ok(Query {
            patterns,
            capture_names,
        })
    }

    /// Capture names, indexed by the ids in [`Capture::id`].
    pub fn capture_names(&self) -> &[String] {
        &self.capture_names
    }
}

/// A capture of a match.
#[derive(Debug, Clone, Copy)]
pub struct Capture<'t> {
    /// Index into the query's [`Query::capture_names`].
    pub id: u16,
    /// The captured node.
    pub node: Node<'t>,
}

/// Many queries (one per rule) resolved against one grammar, dispatched by root kind.
pub struct QuerySet {
    /// (rule index, query).
    queries: Vec<(usize, Query)>,
    /// Kind id -> (query, pattern) whose root can be that kind.
    by_kind: Vec<Vec<(u32, u32)>>,
    /// Patterns whose root is `(_)`.
    any: Vec<(u32, u32)>,
    /// What the patterns' root nodes must contain, as one search; built on first use.
    needs: std::sync::OnceLock<SetNeeds>,
}

/// The requirements of every pattern of a [`QuerySet`] ([`Compiled::needs`]), over one list
/// of literals: a node's text is searched once for the literals of the patterns that can
/// start at its kind, whatever the number of those patterns.
struct SetNeeds {
    /// All the literals.
    literals: Vec<Vec<u8>>,
    /// Per query, per pattern: its requirements, each as the ids of its alternatives.
    reqs: Vec<Vec<Vec<Vec<u32>>>>,
    /// Per node kind, built on first use: a search for the literals of the patterns that can
    /// start there, and the id of each of its patterns (`None`: fewer than
    /// [`COMBINE_FROM`] of them need anything, and each is searched for on its own).
    by_kind: Vec<std::sync::OnceLock<Option<KindSearch>>>,
}

/// A search for several literals ([`crate::gate::each_lowered_match`]: the texts are short, and
/// the library's overlapping iterator costs more to set up than to run on them), and the id of
/// each of its patterns.
type KindSearch = (aho_corasick::dfa::DFA, Vec<u32>);

impl SetNeeds {
    fn new(queries: &[(usize, Query)], kinds: usize) -> SetNeeds {
        let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let reqs = queries
            .iter()
            .map(|(_, q)| {
                q.patterns
                    .iter()
                    .map(|c| {
                        c.needs()
                            .iter()
                            .map(|alts| {
                                alts.iter()
                                    .map(|l| {
                                        *ids.entry(l.clone()).or_insert_with(|| {
                                            literals.push(l.clone());
                                            u32::try_from(literals.len() - 1).unwrap_or(u32::MAX)
                                        })
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        SetNeeds {
            literals,
            reqs,
            by_kind: (0..kinds).map(|_| std::sync::OnceLock::new()).collect(),
        }
    }

    /// Marks in `present` (one bit per literal) the literals `text` holds, of those the
    /// patterns `here` and `any` (which start at `kind`) need; false when they are searched
    /// for one pattern at a time instead ([`Compiled::searchers`]).
    fn scan(
        &self,
        kind: usize,
        here: &[(u32, u32)],
        any: &[(u32, u32)],
        text: &str,
        present: &mut Vec<u64>,
    ) -> bool {
        let Some(cell) = self.by_kind.get(kind) else {
            return false;
        };
        let search = cell.get_or_init(|| {
            let needing = here
                .iter()
                .chain(any)
                .filter(|&&(qi, pi)| !self.of(qi as usize, pi as usize).is_empty())
                .count();
            if needing < COMBINE_FROM {
                return None;
            }
            let mut ids: Vec<u32> = here
                .iter()
                .chain(any)
                .flat_map(|&(qi, pi)| self.of(qi as usize, pi as usize))
                .flatten()
                .copied()
                .collect();
            ids.sort_unstable();
            ids.dedup();
            // The search's pattern `k` is literal `ids[k]`: kept in pairs.
            let (ids, lits): (Vec<u32>, Vec<&[u8]>) = ids
                .iter()
                .filter_map(|&i| Some((i, self.literals.get(i as usize)?.as_slice())))
                .unzip();
            // The literals are lowercase.
            Some((crate::gate::lowercase_dfa(&lits)?, ids))
        });
        let Some((dfa, ids)) = search else {
            return false;
        };
        present.clear();
        present.resize(self.literals.len().div_ceil(64), 0);
        crate::gate::each_lowered_match(dfa, text.as_bytes(), |k, _| {
            let id = ids[k] as usize;
            present[id / 64] |= 1 << (id % 64);
        });
        true
    }

    /// The requirements of pattern `pi` of query `qi`.
    fn of(&self, qi: usize, pi: usize) -> &[Vec<u32>] {
        self.reqs
            .get(qi)
            .and_then(|q| q.get(pi))
            .map_or(&[], Vec::as_slice)
    }
}

/// From this many patterns needing literals at a node kind, one search for all of them is
/// cheaper than one per pattern (each of which has a SIMD prefilter when it holds few
/// literals, which the combined search with many does not).
const COMBINE_FROM: usize = 6;

/// True when every requirement has an alternative marked in `present`.
fn met(reqs: &[Vec<u32>], present: &[u64]) -> bool {
    reqs.iter().all(|alts| {
        alts.iter().any(|&id| {
            let id = id as usize;
            present
                .get(id / 64)
                .is_some_and(|w| w & (1 << (id % 64)) != 0)
        })
    })
}

/// Bounds the backtracking done for one pattern at one node.
const STEP_BUDGET: u32 = 20_000;

/// Nodes with longer text are matched without first searching it for what the pattern needs.
const NEEDS_MAX_TEXT: usize = 256;

impl QuerySet {
    /// Resolves each `(rule, parsed query)` against `grammar`; a query that fails (a kind this
    /// dialect lacks) is returned in the errors, with its rule, and left out.
    pub fn new<'p>(
        grammar: &Grammar,
        parsed: impl IntoIterator<Item = (usize, &'p Parsed)>,
    ) -> (QuerySet, Vec<(usize, PatternError)>) {
        let names = Names::new(grammar);
        let mut set = QuerySet {
            queries: Vec::new(),
            by_kind: vec![Vec::new(); grammar.node_kind_count()],
            any: Vec::new(),
            needs: std::sync::OnceLock::new(),
        };
        let mut errors = Vec::new();
        for (rule, p) in parsed {
            match Query::resolve(grammar, &names, p) {
                Ok(q) => {
                    let qi = u32::try_from(set.queries.len()).unwrap_or(u32::MAX);
                    for (pi, c) in q.patterns.iter().enumerate() {
                        let pi = u32::try_from(pi).unwrap_or(u32::MAX);
                        let mut roots = Vec::new();
                        if root_kinds(&c.root, &mut roots) {
                            set.any.push((qi, pi));
                        } else {
                            roots.sort_unstable();
                            roots.dedup();
                            for k in roots {
                                if let Some(v) = set.by_kind.get_mut(usize::from(k)) {
                                    v.push((qi, pi));
                                }
                            }
                        }
                    }
                    set.queries.push((rule, q));
                }
                Err(e) => errors.push((rule, e)),
            }
        }
        (set, errors)
    }

    /// The rules that have a query in this set.
    pub fn rules(&self) -> impl Iterator<Item = usize> + '_ {
        self.queries.iter().map(|(r, _)| *r)
    }

    /// The query of `rule`, if it has one in this set.
    pub fn query(&self, rule: usize) -> Option<&Query> {
        self.queries
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, q)| q)
    }

    /// Walks `tree` once and calls `on_match(rule, query, captures)` for every match of an
    /// active rule's pattern (`active[rule]`); `on_match` returns true to stop looking for
    /// further matches of that pattern at that node.
    pub fn matches<'s, 't>(
        &'s self,
        tree: &'t Tree,
        text: &str,
        active: &[bool],
        on_match: &mut dyn FnMut(usize, &'s Query, &[Capture<'t>]) -> bool,
    ) {
        let mut cursor = tree.walk();
        let mut scratch = Scratch::default();
        loop {
            let node = cursor.node();
            self.match_at(node, node.kind_id(), text, active, &mut scratch, on_match);
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }

    /// True when a pattern can start at a node of kind id `kind`.
    #[inline]
    pub fn may_start_at_kind(&self, kind: u16) -> bool {
        !self.any.is_empty()
            || self
                .by_kind
                .get(usize::from(kind))
                .is_some_and(|here| !here.is_empty())
    }

    /// True when a pattern can start at a node of one of `kinds` (by name; `names`: the
    /// grammar's kind names by id), or at any node.
    pub fn may_start_at(&self, names: &[&str], kinds: &[&str]) -> bool {
        !self.any.is_empty()
            || self.by_kind.iter().enumerate().any(|(k, here)| {
                !here.is_empty() && names.get(k).is_some_and(|n| kinds.contains(n))
            })
    }

    /// Tries every active pattern whose root can be `node` (of kind id `kind`) at `node` (for
    /// callers that walk the tree themselves); see [`QuerySet::matches`].
    pub fn match_at<'s, 't>(
        &'s self,
        node: Node<'t>,
        kind: u16,
        text: &str,
        active: &[bool],
        scratch: &mut Scratch<'t>,
        on_match: &mut dyn FnMut(usize, &'s Query, &[Capture<'t>]) -> bool,
    ) {
        let kind = usize::from(kind);
        let here = self.by_kind.get(kind).map_or(&[][..], Vec::as_slice);
        if here.is_empty() && self.any.is_empty() {
            return;
        }
        // Children lists are shared by the patterns tried at this node (many rules start at a
        // call): a cursor step costs hundreds of instructions.
        scratch.memo.clear();
        // The node's text is searched for every pattern's literals at most once (and not at
        // all when no pattern tried here needs any).
        let needs = self
            .needs
            .get_or_init(|| SetNeeds::new(&self.queries, self.by_kind.len()));
        // The node's text, if short enough to search (read on first use).
        let mut short: Option<Option<&str>> = None;
        // Not searched yet / searched (true: the literals found are in `scratch.present`).
        let mut scanned: Option<bool> = None;
        // The node's callee, if it is a call (read on first use).
        let mut callee: Option<Option<Callee<'_>>> = None;
        for &(qi, pi) in here.iter().chain(&self.any) {
            let Some((rule, q)) = self.queries.get(qi as usize) else {
                continue;
            };
            if !active.get(*rule).copied().unwrap_or(false) {
                continue;
            }
            let Some(c) = q.patterns.get(pi as usize) else {
                continue;
            };
            // A node whose text lacks what a capture's predicate needs cannot match. (A long
            // node is matched without looking: searching its text would cost more than the
            // matcher, which looks at its children, and nested calls would search the same
            // text again and again.)
            let reqs = needs.of(qi as usize, pi as usize);
            let t = match reqs.is_empty() {
                true => None,
                false => *short.get_or_insert_with(|| {
                    text.get(node.byte_range())
                        .filter(|t| t.len() <= NEEDS_MAX_TEXT)
                }),
            };
            if let Some(t) = t {
                let combined = *scanned.get_or_insert_with(|| {
                    needs.scan(kind, here, &self.any, t, &mut scratch.present)
                });
                let ok = if combined {
                    met(reqs, &scratch.present)
                } else {
                    c.searchers().iter().all(|ac| ac.is_match(t))
                };
                if !ok {
                    continue;
                }
            }
            if let Some(g) = &c.callee {
                if let Some(f) = callee.get_or_insert_with(|| Callee::of(node, text)) {
                    if !g.admits(f, &c.preds) {
                        continue;
                    }
                }
            }
            let mut caps = std::mem::take(&mut scratch.caps);
            caps.clear();
            let mut cx = Ctx {
                text,
                preds: &c.preds,
                caps,
                budget: STEP_BUDGET,
                memo: std::mem::take(&mut scratch.memo),
            };
            let rule = *rule;
            m(&c.root, node, &mut cx, &mut |cx: &mut Ctx<'_, 't>| {
                on_match(rule, q, &cx.caps)
            });
            scratch.caps = cx.caps;
            scratch.memo = cx.memo;
        }
    }
}

/// Buffers reused across [`QuerySet::match_at`] calls.
#[derive(Default)]
pub struct Scratch<'t> {
    caps: Vec<Capture<'t>>,
    memo: Vec<(usize, Rc<[Kid<'t>]>)>,
    /// The literals of [`SetNeeds`] the current node's text holds.
    present: Vec<u64>,
}

/// Collects the root kinds of a pattern; true when it can be any node.
fn root_kinds(p: &P, out: &mut Vec<u16>) -> bool {
    match p {
        P::Node {
            kinds: Kinds::Any, ..
        } => true,
        P::Node {
            kinds: Kinds::Ids(ids),
            ..
        } => {
            out.extend_from_slice(ids);
            false
        }
        P::Alt { alts, .. } => {
            let mut any = false;
            for a in alts.iter() {
                any |= root_kinds(a, out);
            }
            any
        }
    }
}

#[derive(Clone, Copy)]
struct Kid<'t> {
    node: Node<'t>,
    field: Option<NonZeroU16>,
}

struct Ctx<'a, 't> {
    text: &'a str,
    preds: &'a [Vec<PredOp>],
    caps: Vec<Capture<'t>>,
    budget: u32,
    /// The named children of the nodes visited from the current root, by node id.
    memo: Vec<(usize, Rc<[Kid<'t>]>)>,
}

type K<'k, 'a, 't> = &'k mut dyn FnMut(&mut Ctx<'a, 't>) -> bool;

/// Binds `ids` to `node`, checking their predicates; false (and nothing bound) if one fails.
fn bind<'t>(cx: &mut Ctx<'_, 't>, ids: &[u16], node: Node<'t>) -> bool {
    if ids.is_empty() {
        return true;
    }
    let text = cx.text.get(node.byte_range()).unwrap_or("");
    for &id in ids {
        if let Some(ps) = cx.preds.get(usize::from(id)) {
            if !ps.iter().all(|p| p.holds(text)) {
                return false;
            }
        }
    }
    for &id in ids {
        cx.caps.push(Capture { id, node });
    }
    true
}

/// Matches `p` at `node`, then calls `k` with the captures; returns true to stop.
fn m<'a, 't>(p: &P, node: Node<'t>, cx: &mut Ctx<'a, 't>, k: K<'_, 'a, 't>) -> bool {
    if cx.budget == 0 {
        return true;
    }
    cx.budget -= 1;
    match p {
        P::Alt { alts, captures } => {
            let mark = cx.caps.len();
            if !bind(cx, captures, node) {
                return false;
            }
            for a in alts.iter() {
                if m(a, node, cx, k) {
                    cx.caps.truncate(mark);
                    return true;
                }
            }
            cx.caps.truncate(mark);
            false
        }
        P::Node {
            kinds,
            children,
            anchor_end,
            captures,
        } => {
            let kind_ok = match kinds {
                Kinds::Any => node.is_named(),
                Kinds::Ids(ids) => ids.contains(&node.kind_id()),
            };
            if !kind_ok {
                return false;
            }
            let mark = cx.caps.len();
            if !bind(cx, captures, node) {
                return false;
            }
            let stop = if children.is_empty() {
                k(cx)
            } else {
                let id = node.id();
                let kids = match cx.memo.iter().find(|(n, _)| *n == id) {
                    Some((_, kids)) => Rc::clone(kids),
                    None => {
                        let mut kids = Vec::new();
                        let mut c = node.walk();
                        if c.goto_first_child() {
                            loop {
                                let n = c.node();
                                if n.is_named() && !n.is_extra() {
                                    kids.push(Kid {
                                        node: n,
                                        field: c.field_id(),
                                    });
                                }
                                if !c.goto_next_sibling() {
                                    break;
                                }
                            }
                        }
                        let kids: Rc<[Kid<'t>]> = kids.into();
                        cx.memo.push((id, Rc::clone(&kids)));
                        kids
                    }
                };
                seq(children, *anchor_end, &kids, 0, None, cx, k)
            };
            cx.caps.truncate(mark);
            stop
        }
    }
}

/// Matches the child patterns `pats` against `kids[from..]` in order.
fn seq<'a, 't>(
    pats: &[PChild],
    anchor_end: bool,
    kids: &[Kid<'t>],
    from: usize,
    prev: Option<usize>,
    cx: &mut Ctx<'a, 't>,
    k: K<'_, 'a, 't>,
) -> bool {
    let Some((first, rest)) = pats.split_first() else {
        if anchor_end && prev.is_some_and(|p| p + 1 != kids.len()) {
            return false;
        }
        return k(cx);
    };
    let range = if first.anchored {
        let i = prev.map_or(0, |p| p + 1);
        i..(i + 1).min(kids.len())
    } else {
        from..kids.len()
    };
    for i in range {
        let kid = kids[i];
        if first.field.is_some() && kid.field != first.field {
            continue;
        }
        let stop = m(&first.pat, kid.node, cx, &mut |cx: &mut Ctx<'a, 't>| {
            seq(rest, anchor_end, kids, i + 1, Some(i), cx, k)
        });
        if stop {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py() -> Grammar {
        vigil_core::Language::Python.grammar()
    }

    /// Every node of a fixed-text kind, in code using them all in every grammar, has its
    /// kind's name for text; and a pattern holding one is not tried where the text is not.
    #[test]
    fn fixed_text_kinds_have_their_name_for_text() {
        use vigil_core::Language as L;
        let js = "import('x'); class A extends B { f() { super.f(); return this || null || \
                  undefined || true || false; } }\nimport y from 'y';\n";
        let cases = [
            (
                L::Python,
                "x = None if True else False\nimport os\nfrom a import b\n",
            ),
            (L::JavaScript, js),
            (L::TypeScript, js),
            (L::Tsx, js),
        ];
        for (lang, code) in cases {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).unwrap();
            let tree = parser.parse(code, None).unwrap();
            let mut seen = 0;
            let mut stack = vec![tree.root_node()];
            while let Some(n) = stack.pop() {
                if n.is_named() && FIXED_TEXT_KINDS.contains(&n.kind()) {
                    seen += 1;
                    assert!(
                        code[n.byte_range()].eq_ignore_ascii_case(n.kind()),
                        "{lang:?}: a `{}` node holds {:?}",
                        n.kind(),
                        &code[n.byte_range()]
                    );
                }
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
            assert!(seen >= 3, "{lang:?}: only {seen} fixed-text nodes");
        }
        let grammar = L::JavaScript.grammar();
        let q = "(call_expression function: (import) arguments: (arguments (_) @v)) @m";
        assert_eq!(run(&grammar, q, "import(x); f(x);").len(), 1);
        let parsed = Parsed::parse(q).unwrap();
        let (set, _) = QuerySet::new(&grammar, [(0, &parsed)]);
        let needs = set.queries[0].1.patterns[0].needs();
        assert_eq!(needs, [vec![b"import".to_vec()]]);
    }

    fn run(grammar: &Grammar, query: &str, code: &str) -> Vec<Vec<(String, String)>> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(grammar).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let parsed = Parsed::parse(query).unwrap();
        let (set, errors) = QuerySet::new(grammar, [(0, &parsed)]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut out = Vec::new();
        set.matches(&tree, code, &[true], &mut |_, q, caps| {
            out.push(
                caps.iter()
                    .map(|c| {
                        (
                            q.capture_names()[usize::from(c.id)].clone(),
                            code[c.node.byte_range()].to_owned(),
                        )
                    })
                    .collect(),
            );
            false
        });
        out
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn fields_and_predicates() {
        let q =
            r#"(assignment left: (identifier) @name (#eq? @name "DEBUG") right: (true)) @match"#;
        let got = run(&py(), q, "DEBUG = True\nOTHER = True\nDEBUG = False\n");
        assert_eq!(
            got,
            vec![pairs(&[("match", "DEBUG = True"), ("name", "DEBUG")])]
        );
    }

    #[test]
    fn every_child_combination_is_a_match() {
        let got = run(&py(), "(argument_list (string) @s)", "f('a', x, 'b')\n");
        assert_eq!(got, vec![pairs(&[("s", "'a'")]), pairs(&[("s", "'b'")])]);
    }

    #[test]
    fn anchors() {
        let g = py();
        let first = run(&g, "(argument_list . (_) @a)", "f(x, y, z)\n");
        assert_eq!(first, vec![pairs(&[("a", "x")])]);
        let last = run(&g, "(argument_list (_) @a .)", "f(x, y, z)\n");
        assert_eq!(last, vec![pairs(&[("a", "z")])]);
        let adjacent = run(&g, "(argument_list . (_) . (_) @b)", "f(x, y, z)\n");
        assert_eq!(adjacent, vec![pairs(&[("b", "y")])]);
        let third = run(
            &g,
            "(argument_list . (_) . (_) . (integer) @n)",
            "f(a, b, 1)\nf(a, 1)\n",
        );
        assert_eq!(third, vec![pairs(&[("n", "1")])]);
        // Comments are skipped by anchors.
        let c = run(&g, "(argument_list . (_) . (_) @b)", "f(x,  # note\n  y)\n");
        assert_eq!(c, vec![pairs(&[("b", "y")])]);
    }

    #[test]
    fn alternations_and_order() {
        let g = py();
        let q = r#"(keyword_argument name: (identifier) @k (#any-of? @k "a" "b") value: [(list (string) @v) (string) @v])"#;
        let got = run(&g, q, "f(a='x', b=['y', 'z'], c='w')\n");
        assert_eq!(
            got,
            vec![
                pairs(&[("k", "a"), ("v", "'x'")]),
                pairs(&[("k", "b"), ("v", "'y'")]),
                pairs(&[("k", "b"), ("v", "'z'")]),
            ]
        );
        // Children are matched in order: `value` never comes before `name`.
        let none = run(&g, "(keyword_argument value: (_) name: (_))", "f(a=1)\n");
        assert!(none.is_empty());
        // Top-level alternation, a regex predicate and a negated regex.
        let q = r#"[(integer) (float)] @n (#match? @n "^[0-9]+$")"#;
        assert!(
            Parsed::parse(q).is_err(),
            "a predicate outside a node is an error"
        );
        let q = r#"(call arguments: (argument_list [(integer) (float)] @n (#not-match? @n "^0")))"#;
        let got = run(&g, q, "f(1, 0.5, 2.5)\n");
        assert_eq!(got, vec![pairs(&[("n", "1")]), pairs(&[("n", "2.5")])]);
    }

    #[test]
    fn supertypes_match_their_subtypes() {
        let got = run(
            &py(),
            "(return_statement (expression) @e)",
            "def f():\n    return a + 1\n",
        );
        assert_eq!(got, vec![pairs(&[("e", "a + 1")])]);
    }

    #[test]
    fn errors_name_the_construct_and_offset() {
        let g = py();
        let e = |q: &str| {
            Query::new(&g, q)
                .err()
                .map(|e| e.message)
                .unwrap_or_default()
        };
        assert!(e("(call (identifier)?)").contains("quantifiers"));
        assert!(e("(call \"(\")").contains("anonymous"));
        assert!(e("(call !function)").contains("negated"));
        assert!(e("((call) (call))").contains("grouped"));
        assert!(e("(nope)").contains("unknown node kind `nope`"));
        assert!(e("(call nope: (_))").contains("unknown field `nope`"));
        assert!(e("(call").contains("unclosed"));
        assert!(e("(call (#eq? @a \"x\"))").contains("not in the query"));
        assert!(e("(call) @a (#eq? @a)").contains("inside a node"));
        assert!(e(r#"(call function: (_) @a (#match? @a "("))"#).contains("invalid regex"));
        let at = Query::new(&g, "(call function: (nope))")
            .err()
            .map(|e| e.offset);
        assert_eq!(at, Some(17));
    }

    #[test]
    fn deep_backtracking_is_bounded() {
        // Many unanchored siblings: the number of combinations explodes; the budget stops it.
        let args = vec!["x"; 60].join(", ");
        let code = format!("f({args})\n");
        let q = "(argument_list (_) (_) (_) (_) (_) (_) (_) (_) (_) (integer))";
        assert!(run(&py(), q, &code).is_empty());
    }

    #[test]
    fn root_field_captures_need_every_pattern_rooted_at_the_kind() {
        let captures = |q: &str| {
            Parsed::parse(q)
                .unwrap()
                .root_field_captures(&[("call", "function"), ("new_expression", "constructor")])
        };
        assert_eq!(
            captures(
                "[(call function: (_) @f @g arguments: (_)) (call function: (identifier) @f)]"
            ),
            vec!["f".to_owned()]
        );
        assert_eq!(
            captures("(call function: [(identifier) (attribute)] @f)"),
            vec!["f"]
        );
        // Another root kind, a wildcard root, a capture below the field child, or none.
        assert!(captures("[(call function: (_) @f) (assignment left: (_) @f)]").is_empty());
        assert!(captures("(_ function: (_) @f)").is_empty());
        assert!(captures("(call function: (attribute object: (_) @f))").is_empty());
        assert!(captures("(call arguments: (_) @f)").is_empty());
        // Each kind with its own callee field.
        assert_eq!(
            captures("(call function: (_) @f) (new_expression constructor: (_) @f)"),
            vec!["f"]
        );
        assert!(captures("(call function: (_) @f) (new_expression function: (_) @f)").is_empty());
    }

    /// Every match of `set` in Python `code`: (rule, the text of each capture, in order).
    fn set_matches(set: &QuerySet, code: &str, active: &[bool]) -> Vec<(usize, Vec<String>)> {
        set_matches_in(&py(), set, code, active)
    }

    fn set_matches_in(
        grammar: &Grammar,
        set: &QuerySet,
        code: &str,
        active: &[bool],
    ) -> Vec<(usize, Vec<String>)> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(grammar).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let mut found = Vec::new();
        set.matches(&tree, code, active, &mut |rule, _, caps| {
            let texts = caps
                .iter()
                .map(|c| code[c.node.byte_range()].to_owned())
                .collect();
            found.push((rule, texts));
            false
        });
        found
    }

    /// The callee guards spare the matcher only calls it would not match: the same matches
    /// with and without them, on calls whose callee is of another kind, names another
    /// member, or is written so that its name does not read off its text.
    #[test]
    fn callee_guards_skip_only_calls_that_cannot_match() {
        let js = vigil_core::Language::JavaScript.grammar();
        let cases: [(Grammar, &[&str], &str); 2] = [
            (
                js,
                &[
                    r#"(call_expression function: (member_expression property: (property_identifier) @m (#match? @m "^(send|end)$")) arguments: (arguments (_) @a)) @c"#,
                    r#"(call_expression function: (identifier) @f (#eq? @f "eval")) @c"#,
                    r#"(call_expression function: (member_expression object: (_) @o property: (property_identifier) @m (#not-eq? @m "x"))) @c"#,
                    r#"(call_expression function: (import)) @c"#,
                    r#"(call_expression function: (_) @f arguments: (arguments)) @c"#,
                ],
                "res.send(x); res.end(1); extend(a); a.b.c.send(1); eval(s); x.eval(s); a.x(); \
                 a?.send(z); a['send'](1); class K { #send() {} f() { this.#send(2); } }\n\
                 import('m'); (res.send)(x); res . send (y); res./*c*/send(q); res\n.send(r);\n",
            ),
            (
                py(),
                &[
                    r#"(call function: (attribute attribute: (identifier) @m (#eq? @m "execute")) arguments: (argument_list (_) @a)) @c"#,
                    r#"(call function: (identifier) @f (#any-of? @f "eval" "exec")) @c"#,
                ],
                "cur.execute(q)\nexecute(q)\ncur.executemany(q)\neval(x)\nexec(y)\nobj.eval(z)\n\
                 (cur.execute)(q)\ncur . execute (q)\ncur.\\\n  execute(q)\n",
            ),
        ];
        for (grammar, queries, code) in cases {
            let parsed: Vec<Parsed> = queries.iter().map(|q| Parsed::parse(q).unwrap()).collect();
            let (mut set, errors) = QuerySet::new(&grammar, parsed.iter().enumerate());
            assert!(errors.is_empty(), "{errors:?}");
            let guarded = set
                .queries
                .iter()
                .filter(|(_, q)| q.patterns.iter().all(|c| c.callee.is_some()))
                .count();
            let want = queries
                .iter()
                .filter(|q| !q.contains("function: (_)"))
                .count();
            assert_eq!(guarded, want, "every query but `function: (_)` has a guard");
            let active = vec![true; queries.len()];
            let mut with = set_matches_in(&grammar, &set, code, &active);
            for (_, q) in &mut set.queries {
                for c in &mut q.patterns {
                    c.callee = None;
                }
            }
            let mut without = set_matches_in(&grammar, &set, code, &active);
            with.sort();
            without.sort();
            assert_eq!(with, without);
            assert!(with.len() >= 5, "{with:?}");
        }
    }

    /// Many patterns at one kind share one search of the node's text: each still matches
    /// exactly where it did alone.
    #[test]
    fn patterns_sharing_a_search_match_as_alone() {
        let names = [
            "alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "zeta",
        ];
        let mut parsed: Vec<Parsed> = names
            .iter()
            .map(|n| {
                Parsed::parse(&format!(
                    "(call function: (identifier) @f (#eq? @f \"{n}\")) @m"
                ))
                .unwrap()
            })
            .collect();
        // A case-insensitive regex: its literal is searched for in any case.
        parsed.push(
            Parsed::parse(r#"(call function: (identifier) @f (#match? @f "(?i)^theta$")) @m"#)
                .unwrap(),
        );
        assert!(parsed.len() >= COMBINE_FROM);
        let (set, errors) = QuerySet::new(&py(), parsed.iter().enumerate());
        assert!(errors.is_empty(), "{errors:?}");
        let code = "alpha(1)\nBETA(2)\nx.gamma(3)\nzeta(delta)\nf(kappa_sigma())\nomega()\n\
                    ThEtA(4)\n";
        let mut found: Vec<(usize, String)> = set_matches(&set, code, &[true; 9])
            .into_iter()
            .map(|(rule, caps)| (rule, caps[0].clone()))
            .collect();
        found.sort();
        // `BETA` and `x.gamma` are no `#eq?` match, `delta` and `kappa_sigma` are no callee.
        let want = [
            (0, "alpha(1)"),
            (4, "omega()"),
            (7, "zeta(delta)"),
            (8, "ThEtA(4)"),
        ];
        let want: Vec<(usize, String)> = want.iter().map(|(r, t)| (*r, t.to_string())).collect();
        assert_eq!(found, want);
        // The shared search was used at calls.
        let call = usize::from(py().id_for_node_kind("call", true));
        let needs = set.needs.get().expect("searched");
        assert!(needs.by_kind[call].get().is_some_and(Option::is_some));
    }

    #[test]
    fn a_required_text_check_applies_as_the_capture_binds() {
        let mut parsed =
            Parsed::parse("(call function: (identifier) @f (argument_list (string) @s))").unwrap();
        parsed.require_text("s", "^.select", false);
        parsed.require_text("missing", "x", false);
        let (set, errors) = QuerySet::new(&py(), [(0, &parsed)]);
        assert!(errors.is_empty(), "{errors:?}");
        let code = "f('select 1')\nf('update')\n";
        let found: Vec<String> = set_matches(&set, code, &[true])
            .into_iter()
            .filter_map(|(_, caps)| caps.last().cloned())
            .collect();
        assert_eq!(found, vec!["'select 1'"]);
    }
}
