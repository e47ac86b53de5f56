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
        // The grammars end lines at `\n` only: a file with lone `\r` line breaks (classic Mac)
        // would parse as one line (Python: one syntax error). Each lone `\r` becomes `\n`,
        // which keeps every byte offset, so the tree still indexes `text`.
        let normalized;
        let bytes = if has_lone_cr(text.as_bytes()) {
            normalized = lone_cr_to_lf(text.as_bytes());
            &normalized[..]
        } else {
            text.as_bytes()
        };
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

fn has_lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

fn lone_cr_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    out
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
    fn lone_cr_line_breaks_parse_like_lf() {
        let src = "import os\rdef f(x):\r    os.system(x)\r";
        match parse(Language::Python, src, None) {
            ParseOutcome::Tree(t) => {
                assert!(!t.root_node().has_error(), "{}", t.root_node().to_sexp());
                assert_eq!(t.root_node().end_byte(), src.len());
            }
            other => panic!("{other:?}"),
        }
        assert!(!has_lone_cr(b"a\r\nb\n") && has_lone_cr(b"a\rb") && has_lone_cr(b"a\r"));
        // Past the width of a vectorized search, at its end and in its middle.
        let crlf = "x\r\n".repeat(100);
        assert!(!has_lone_cr(crlf.as_bytes()));
        assert!(has_lone_cr(format!("{crlf}\r").as_bytes()));
        assert!(has_lone_cr(format!("{crlf}\ry{crlf}").as_bytes()));
        assert_eq!(lone_cr_to_lf(b"a\r\nb\rc\r"), b"a\r\nb\nc\n");
    }

    #[test]
    fn a_tree_parsed_ahead_is_given_only_for_the_same_file_language_and_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let py = dir.path().join("a.py");
        std::fs::write(&py, "import os\nos.system(x)\n").expect("write");
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, "not code").expect("write");
        let big = dir.path().join("big.py");
        let big_text = "x = 1\n".repeat(100);
        std::fs::write(&big, &big_text).expect("write");
        let files = [
            py.clone(),
            txt.clone(),
            dir.path().join("gone.py"),
            big.clone(),
        ];
        let ahead = Preparsed::parse_files(&files, None, 100);
        assert!(
            ahead.take(&big, Language::Python, &big_text).is_none(),
            "over the size cap"
        );
        let text = "import os\nos.system(x)\n";
        assert!(
            ahead.take(&txt, Language::Python, "not code").is_none(),
            "not code"
        );
        assert!(
            ahead.take(&py, Language::Python, "import os\n").is_none(),
            "other text"
        );
        assert!(
            ahead.take(&py, Language::JavaScript, text).is_none(),
            "other language"
        );
        assert!(matches!(
            ahead.take(&py, Language::Python, text),
            Some(ParseOutcome::Tree(_))
        ));
        assert!(
            ahead.take(&py, Language::Python, text).is_none(),
            "taken once"
        );
    }

    #[test]
    fn a_pending_parse_is_waited_for_and_a_failed_one_gives_nothing() {
        let text = "import os\nos.system(x)\n";
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let parsing = std::thread::spawn(move || {
            // Not done before the test asks: `take` must wait for it.
            wait.recv().expect("go");
            Preparsed::parse_bytes("<stdin>/a.py", text.as_bytes(), None)
        });
        let ahead = Preparsed::pending(parsing);
        go.send(()).expect("send");
        let path = std::path::Path::new("<stdin>/a.py");
        assert!(matches!(
            ahead.take(path, Language::Python, text),
            Some(ParseOutcome::Tree(_))
        ));
        assert!(ahead.take(path, Language::Python, text).is_none());

        let failed = Preparsed::pending(std::thread::spawn(|| -> Preparsed {
            panic!("the parse-ahead thread died")
        }));
        assert!(failed.take(path, Language::Python, text).is_none());
        assert!(failed.take(path, Language::Python, text).is_none());
    }

    #[test]
    fn recovers_from_errors() {
        match parse(Language::Python, "def f(:\n  eval(x)\n", None) {
            ParseOutcome::Tree(t) => assert!(t.root_node().has_error()),
            other => panic!("{other:?}"),
        }
    }
}

/// Files parsed ahead of a scan, on another thread while the rules load (a one-file on-save
/// scan spends a fifth of its time loading rules and a third parsing). The engine takes a tree
/// from here only for the same file, language and decoded text; anything else is parsed as
/// usual, so a stale or missing entry only costs the time it saved. A parse still running
/// ([`Preparsed::pending`]) is waited for on the first [`Preparsed::take`], so that the work a
/// scan does before it needs a tree (the prefilter, the secret rules) overlaps the parse too.
#[derive(Default)]
pub struct Preparsed {
    trees: std::sync::Mutex<Vec<(std::path::PathBuf, Language, String, ParseOutcome)>>,
    pending: std::sync::Mutex<Option<std::thread::JoinHandle<Preparsed>>>,
    /// Trees the scan is done with ([`Preparsed::keep`]).
    spent: std::sync::Mutex<Vec<tree_sitter::Tree>>,
}

impl std::fmt::Debug for Preparsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.trees.lock().map_or(0, |t| t.len());
        let pending = self.pending.lock().is_ok_and(|p| p.is_some());
        write!(f, "Preparsed({n} files, pending: {pending})")
    }
}

impl Preparsed {
    /// Reads, decodes and parses each code file of `paths` no larger than `max_size` bytes
    /// (others are left out: the scan skips them).
    pub fn parse_files(
        paths: &[std::path::PathBuf],
        budget: Option<Duration>,
        max_size: u64,
    ) -> Preparsed {
        let mut trees = Vec::new();
        for path in paths {
            if std::fs::metadata(path).map_or(true, |m| m.len() > max_size) {
                continue;
            }
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let file = crate::source::SourceFile::new(path.to_string_lossy().into_owned(), &bytes);
            let Some(lang) = file.language else { continue };
            let outcome = parse(lang, &file.text, budget);
            trees.push((path.clone(), lang, file.text, outcome));
        }
        Preparsed {
            trees: std::sync::Mutex::new(trees),
            ..Preparsed::default()
        }
    }

    /// Parses content that is not on disk (standard input), shown as `rel`.
    pub fn parse_bytes(rel: &str, bytes: &[u8], budget: Option<Duration>) -> Preparsed {
        let file = crate::source::SourceFile::new(rel.to_owned(), bytes);
        let mut trees = Vec::new();
        if let Some(lang) = file.language {
            let outcome = parse(lang, &file.text, budget);
            trees.push((std::path::PathBuf::from(rel), lang, file.text, outcome));
        }
        Preparsed {
            trees: std::sync::Mutex::new(trees),
            ..Preparsed::default()
        }
    }

    /// The trees `parsing` (a thread running [`Preparsed::parse_files`] or
    /// [`Preparsed::parse_bytes`]) will hand back, waited for on the first [`Preparsed::take`].
    pub fn pending(parsing: std::thread::JoinHandle<Preparsed>) -> Preparsed {
        Preparsed {
            pending: std::sync::Mutex::new(Some(parsing)),
            ..Preparsed::default()
        }
    }

    /// Keeps `tree`, which the scan is done with, for as long as this lives: deleting a tree
    /// visits every node (0.3-0.4 ms for a 1 000-line file, after the rules ran), and the CLI
    /// ends right after the report of a scan it parsed ahead, without dropping this.
    pub fn keep(&self, tree: tree_sitter::Tree) {
        if let Ok(mut spent) = self.spent.lock() {
            spent.push(tree);
        }
    }

    /// The parse of the file at `path` (content in memory: its display path), if it was
    /// parsed ahead as `lang` from this `text`. Waits for a pending parse (one that panicked
    /// gives nothing: the file is parsed again).
    pub fn take(&self, path: &std::path::Path, lang: Language, text: &str) -> Option<ParseOutcome> {
        let mut trees = self.trees.lock().ok()?;
        if let Some(parsing) = self.pending.lock().ok()?.take() {
            if let Ok(done) = parsing.join() {
                trees.extend(done.trees.into_inner().unwrap_or_default());
            }
        }
        let i = trees
            .iter()
            .position(|(p, l, t, _)| p == path && *l == lang && t == text)?;
        Some(trees.swap_remove(i).3)
    }
}
