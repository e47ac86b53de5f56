//! The regexes of code rules, compiled on first use in the form a text needs.
//!
//! A regex with Unicode classes (`\w`, `\s`, `[^\n]`, `(?i)` letters) compiles to UTF-8 automata,
//! forward and reverse: 0.3 to 2.5 ms for some built-in patterns, more than the rest of an
//! on-save scan's rule work. Source code is nearly always ASCII, and on ASCII text a regex
//! matches exactly where its ASCII restriction does: every class cut down to its ASCII members,
//! a non-ASCII literal never matching, Unicode word boundaries replaced by ASCII ones (in ASCII
//! text every word character is an ASCII one). That restriction compiles to small automata. So
//! an ASCII text is matched with the restriction, any other text with the regex itself, each
//! compiled the first time it is needed.

use std::sync::OnceLock;

use regex::Regex;
use regex_automata::meta;
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, Hir, HirKind, Look, Repetition,
};

/// The two compiled forms of one regex (its source is kept by the owner).
#[derive(Debug, Default)]
pub(crate) struct TwoForms {
    ascii: OnceLock<Option<Ascii>>,
    full: OnceLock<Option<Regex>>,
}

/// A regex's ASCII restriction.
#[derive(Debug)]
enum Ascii {
    /// It matches no ASCII text (the regex needs a non-ASCII character, as the Trojan Source
    /// rule does): nothing to search, where a compiled regex that can never match would still
    /// scan the whole text.
    Never,
    Regex(meta::Regex),
}

impl Clone for TwoForms {
    fn clone(&self) -> Self {
        let two = TwoForms::default();
        if let Some(full) = self.full.get() {
            let _ = two.full.set(full.clone());
        }
        two
    }
}

impl TwoForms {
    /// With the full form already compiled (a user rule's regex, checked at load).
    pub(crate) fn with_full(full: Regex) -> TwoForms {
        let two = TwoForms::default();
        let _ = two.full.set(Some(full));
        two
    }

    /// The regex itself (`None` if `source` does not compile).
    pub(crate) fn full(&self, source: &str) -> Option<&Regex> {
        self.full.get_or_init(|| Regex::new(source).ok()).as_ref()
    }

    fn ascii(&self, source: &str) -> Option<&Ascii> {
        self.ascii.get_or_init(|| compile_ascii(source)).as_ref()
    }

    /// True when the regex matches somewhere in `text`.
    pub(crate) fn is_match(&self, source: &str, text: &str) -> bool {
        self.matches(source, text) == Some(true)
    }

    /// Whether the regex matches somewhere in `text`; `None` if it does not compile.
    pub(crate) fn matches(&self, source: &str, text: &str) -> Option<bool> {
        if text.is_ascii() {
            match self.ascii(source) {
                Some(Ascii::Never) => return Some(false),
                Some(Ascii::Regex(re)) => return Some(re.is_match(text.as_bytes())),
                None => {}
            }
        }
        self.full(source).map(|re| re.is_match(text))
    }

    /// Calls `f` with the byte range of each successive non-overlapping match in `text`.
    pub(crate) fn for_each_match(&self, source: &str, text: &str, mut f: impl FnMut(usize, usize)) {
        if text.is_ascii() {
            match self.ascii(source) {
                Some(Ascii::Never) => return,
                Some(Ascii::Regex(re)) => {
                    for m in re.find_iter(text.as_bytes()) {
                        f(m.start(), m.end());
                    }
                    return;
                }
                None => {}
            }
        }
        if let Some(re) = self.full(source) {
            for m in re.find_iter(text) {
                f(m.start(), m.end());
            }
        }
    }
}

/// The ASCII restriction of `source`, compiled; `None` if it does not parse (the full form
/// then does not compile either).
fn compile_ascii(source: &str) -> Option<Ascii> {
    // The parser's defaults are the regex crate's.
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .ok()?;
    let ascii = ascii_only(&hir);
    if matches_nothing(&ascii) {
        return Some(Ascii::Never);
    }
    meta::Builder::new()
        .build_from_hir(&ascii)
        .ok()
        .map(Ascii::Regex)
}

/// `hir` restricted to ASCII text: it matches an ASCII text exactly where `hir` does.
fn ascii_only(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(lit) => {
            if lit.0.is_ascii() {
                Hir::literal(lit.0.clone())
            } else {
                Hir::fail()
            }
        }
        HirKind::Class(Class::Unicode(class)) => ascii_class(
            class
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        HirKind::Class(Class::Bytes(class)) => ascii_class(
            class
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        HirKind::Look(look) => Hir::look(match *look {
            Look::WordUnicode => Look::WordAscii,
            Look::WordUnicodeNegate => Look::WordAsciiNegate,
            Look::WordStartUnicode => Look::WordStartAscii,
            Look::WordEndUnicode => Look::WordEndAscii,
            Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
            Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
            other => other,
        }),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(ascii_only(&rep.sub)),
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            index: cap.index,
            name: cap.name.clone(),
            sub: Box::new(ascii_only(&cap.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(ascii_only).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(ascii_only).collect()),
    }
}

/// True when `hir` matches no text at all. (Its `minimum_len` is `None` then, but also for an
/// alternation of which one branch matches nothing.)
fn matches_nothing(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => false,
        HirKind::Class(Class::Unicode(class)) => class.ranges().is_empty(),
        HirKind::Class(Class::Bytes(class)) => class.ranges().is_empty(),
        HirKind::Repetition(rep) => rep.min > 0 && matches_nothing(&rep.sub),
        HirKind::Capture(cap) => matches_nothing(&cap.sub),
        HirKind::Concat(subs) => subs.iter().any(matches_nothing),
        HirKind::Alternation(subs) => subs.iter().all(matches_nothing),
    }
}

/// A class of the ASCII members of `ranges` (inclusive code points or bytes); it matches
/// nothing if there are none.
fn ascii_class(ranges: impl Iterator<Item = (u32, u32)>) -> Hir {
    let ascii = ranges
        .filter(|(start, _)| *start <= 0x7F)
        .filter_map(|(start, end)| {
            let start = u8::try_from(start).ok()?;
            let end = u8::try_from(end.min(0x7F)).ok()?;
            Some(ClassBytesRange::new(start, end))
        });
    Hir::class(Class::Bytes(ClassBytes::new(ascii)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patterns whose Unicode and ASCII forms differ, and the built-in kinds of pattern.
    const PATTERNS: &[&str] = &[
        r#"(?i)^["']?_*([a-z]+_?)?(password|passwd|pwd|pass_?phrase|secret|pass)["']?$"#,
        r"[\w$.]+\[\s*[\w$]+\s*\]\s*=\s*[\w$.]+\[\s*[\w$]+\s*\]",
        r"[\x{202A}-\x{202E}\x{2066}-\x{2069}][^\n]*",
        r"(?i)k|s|\bkey\b",
        r"\bfoo\B|\Bbar\b|\b{start}baz\b{end}",
        r"é|caf[eé]|\p{L}+\d",
        r".+?;|[^a-z\n]{2,}",
        r"(?m)^\s*$|(?s)a.b",
        r"(?-u:\w)+(?-u:\b)x",
        r"^(send|write|end)$",
        r"(?i)\W+|\S\D",
        r"",
        r"x*",
    ];

    /// ASCII texts that exercise the classes, case folding and boundaries above.
    fn texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "password",
            "'DB_PASSWORD'",
            "obj[key] = src[key]",
            "a.b[ i ]=c[j]",
            "Key k s S K x_key key_ foo foobar barfoo bar baz",
            "line one;\nline two;\r\n  \n\tend",
            "ABC 123 abc\n",
            "cafe x1 y22 send write end",
            "a\nb a.b axb",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut next = crate::xorshift(7);
        let alphabet = b"aAbBkKsSeE_xyz019 \t\n\r;.[]=$'\"-";
        for len in [1, 3, 8, 30, 120] {
            for _ in 0..60 {
                texts.push(
                    (0..len)
                        .map(|_| char::from(alphabet[next(alphabet.len())]))
                        .collect(),
                );
            }
        }
        texts
    }

    #[test]
    fn the_ascii_form_matches_ascii_text_exactly_where_the_regex_does() {
        let texts = texts();
        for source in PATTERNS {
            let full = Regex::new(source).unwrap();
            let ascii = compile_ascii(source).unwrap();
            for text in &texts {
                let want: Vec<(usize, usize)> =
                    full.find_iter(text).map(|m| (m.start(), m.end())).collect();
                let got: Vec<(usize, usize)> = match &ascii {
                    Ascii::Never => Vec::new(),
                    Ascii::Regex(re) => re
                        .find_iter(text.as_bytes())
                        .map(|m| (m.start(), m.end()))
                        .collect(),
                };
                assert_eq!(got, want, "{source:?} on {text:?}");
                let two = TwoForms::default();
                assert_eq!(two.is_match(source, text), full.is_match(text));
                let mut seen = Vec::new();
                two.for_each_match(source, text, |a, b| seen.push((a, b)));
                assert_eq!(seen, want, "{source:?} on {text:?}");
            }
        }
    }

    #[test]
    fn other_text_is_matched_by_the_regex_itself() {
        let two = TwoForms::default();
        let bidi = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}][^\n]*";
        let text = "x = 1 # \u{202E} admin\nok";
        let mut seen = Vec::new();
        two.for_each_match(bidi, text, |a, b| seen.push(&text[a..b]));
        assert_eq!(seen, ["\u{202E} admin"]);
        // Only the form a text needed was compiled.
        assert!(two.ascii.get().is_none());
        // On ASCII text a pattern that needs a non-ASCII character is not even searched.
        assert!(!two.is_match(bidi, "x = 1 # admin"));
        assert!(matches!(two.ascii.get(), Some(Some(Ascii::Never))));
        assert!(matches!(compile_ascii(r"\w+"), Some(Ascii::Regex(_))));
        assert!(matches!(compile_ascii(r"é|x"), Some(Ascii::Regex(_))));
        assert!(matches!(
            compile_ascii(r"(é|\x{2066})+a"),
            Some(Ascii::Never)
        ));
        assert!(matches!(compile_ascii(r"(é)*a"), Some(Ascii::Regex(_))));
        assert!(TwoForms::default().is_match(r"\w+é", "déjà vu é"));
        assert!(!TwoForms::default().is_match(r"(?i)straße", "STRASSE"));
        assert!(TwoForms::default().is_match(r"(?i)k", "\u{212A}"));
        // A regex that does not compile matches nothing, in either form.
        assert!(!TwoForms::default().is_match("(", "("));
        assert!(!TwoForms::default().is_match("(", "é("));
    }
}
