//! Parsing with one reusable tree-sitter parser per thread and language.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use tree_sitter::{ParseOptions, ParseState, Parser, Tree};

use crate::lang::Language;

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; 4]> = const { RefCell::new([None, None, None, None]) };
}

/// The result of parsing one file.
#[derive(Debug)]
pub enum ParseOutcome {
    /// A tree (possibly with error nodes: tree-sitter recovers from syntax errors).
    Tree(Tree),
    /// The time budget ran out; no tree.
    TimedOut,
    /// The parser could not be set up or returned nothing.
    Failed(String),
}

/// Parses `text` as `lang`, stopping after `budget` if given. Reuses this thread's parser.
pub fn parse(lang: Language, text: &str, budget: Option<Duration>) -> ParseOutcome {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = &mut parsers[lang.index()];
        if slot.is_none() {
            let mut p = Parser::new();
            if let Err(e) = p.set_language(&lang.grammar()) {
                return ParseOutcome::Failed(format!(
                    "cannot load the {} grammar: {e}",
                    lang.name()
                ));
            }
            *slot = Some(p);
        }
        let Some(parser) = slot.as_mut() else {
            return ParseOutcome::Failed("no parser".to_owned());
        };
        let bytes = text.as_bytes();
        let start = Instant::now();
        let mut timed_out = false;
        let mut progress = |_: &ParseState| -> bool {
            if let Some(b) = budget {
                if start.elapsed() > b {
                    timed_out = true;
                    return true;
                }
            }
            false
        };
        let mut input = |offset: usize, _| -> &[u8] { bytes.get(offset..).unwrap_or(&[]) };
        let tree = parser.parse_with_options(
            &mut input,
            None,
            Some(ParseOptions::new().progress_callback(&mut progress)),
        );
        match tree {
            Some(t) => ParseOutcome::Tree(t),
            None => {
                parser.reset();
                if timed_out {
                    ParseOutcome::TimedOut
                } else {
                    ParseOutcome::Failed("the parser returned no tree".to_owned())
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_language() {
        for (lang, src) in [
            (Language::Python, "import os\nos.system(x)\n"),
            (Language::JavaScript, "const a = <b/>; eval(x)"),
            (Language::TypeScript, "let x: number = (y as any)!;"),
            (Language::Tsx, "const a = <B x={y as any} />;"),
        ] {
            match parse(lang, src, None) {
                ParseOutcome::Tree(t) => assert!(!t.root_node().has_error(), "{lang:?}"),
                other => panic!("{lang:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn recovers_from_errors() {
        match parse(Language::Python, "def f(:\n  eval(x)\n", None) {
            ParseOutcome::Tree(t) => assert!(t.root_node().has_error()),
            other => panic!("{other:?}"),
        }
    }
}
