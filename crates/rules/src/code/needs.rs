//! Text a pattern's match must contain: a cheap test of a candidate node before the matcher
//! walks it.
//!
//! Every capture of a pattern is bound inside the node the pattern starts at (patterns have no
//! quantifiers, so a capture outside an alternation is always bound), and a capture's
//! predicates test its text. So when every match of a predicate's regex contains one of a few
//! literals (`select`, `insert`, ... of a SQL regex), or the predicate wants one of a few exact
//! texts (`#eq? @m "format"`), the candidate node's text must contain one of them too. A node
//! whose text does not is not matched at all: listing a node's children through tree-sitter
//! costs far more than searching its text.
//!
//! Literals are compared ASCII case-insensitively: that only lets more nodes through, so a
//! regex's case-insensitive letters need no special treatment beyond being recognized as one
//! letter. A character class that holds anything but one ASCII letter in its two cases (or a
//! few ASCII bytes) is not a literal: `(?i)s` in Unicode mode also matches `ſ`.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many alternative literals per requirement (more are not worth a search).
const MAX_ALTERNATIVES: usize = 64;

/// Alternative literals (lowercased, non-empty) one of which every match of `regex`
/// contains; `None` when no such set is known.
pub(crate) fn regex_literals(regex: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(regex)
        .ok()?;
    let set = required(&hir)?;
    usable(set)
}

/// The alternatives `texts` (an `#eq?` / `#any-of?` predicate), lowercased.
pub(crate) fn text_literals<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Vec<Vec<u8>>> {
    usable(
        texts
            .into_iter()
            .map(|t| t.as_bytes().to_ascii_lowercase())
            .collect(),
    )
}

/// A search for one requirement.
pub(crate) fn searcher<L: AsRef<[u8]>>(literals: &[L]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(literals)
        .ok()
}

fn usable(mut set: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    set.sort();
    set.dedup();
    let ok = !set.is_empty() && set.len() <= MAX_ALTERNATIVES && set.iter().all(|l| !l.is_empty());
    ok.then_some(set)
}

/// The byte a class stands for (lowercased), if it is one character, or one ASCII letter in
/// both cases.
fn class_byte(c: &Class) -> Option<u8> {
    let bytes = class_bytes(c, 2)?;
    match bytes[..] {
        [b] => Some(b.to_ascii_lowercase()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b) && a != b => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The ASCII bytes of a class of at most `max` characters, all ASCII.
fn class_bytes(c: &Class, max: u32) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match c {
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let count: u32 = ranges.iter().map(|(a, b)| b - a + 1).sum();
    if count == 0 || count > max || ranges.iter().any(|(_, b)| *b > 0x7F) {
        return None;
    }
    Some(
        ranges
            .iter()
            .flat_map(|&(a, b)| a..=b)
            .filter_map(|x| u8::try_from(x).ok())
            .collect(),
    )
}

/// One fixed character or string: a literal, or a one-letter class.
fn fixed(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => class_byte(c).map(|b| vec![b]),
        _ => None,
    }
}

/// How good a requirement is: the length of its shortest literal, then fewer alternatives.
fn score(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(set.len()))
}

fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(_) => fixed(h).map(|l| vec![l]),
        HirKind::Class(c) => {
            let bytes = class_bytes(c, 8)?;
            Some(bytes.iter().map(|b| vec![b.to_ascii_lowercase()]).collect())
        }
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(required(a)?);
                if out.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(items) => {
            // Every item matches, in order: runs of fixed items are literals, and any one
            // item's requirement holds for the whole. The best of them is kept.
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut keep = |cand: Option<Vec<Vec<u8>>>| {
                if let Some(c) = cand.and_then(usable) {
                    if best.as_ref().is_none_or(|b| score(&c) > score(b)) {
                        best = Some(c);
                    }
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for item in items {
                if let Some(f) = fixed(item) {
                    run.extend(f);
                    continue;
                }
                if !run.is_empty() {
                    keep(Some(vec![std::mem::take(&mut run)]));
                }
                keep(required(item));
            }
            if !run.is_empty() {
                keep(Some(vec![run]));
            }
            best
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(re: &str) -> Option<Vec<String>> {
        regex_literals(re).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .collect()
        })
    }

    #[test]
    fn finds_the_literals_every_match_contains() {
        // `s` and `k` are not literals under Unicode case folding (`ſ`, the Kelvin sign).
        assert_eq!(
            lits(
                r#"(?is)^[a-z]*["']+\s*(select\s.*\sfrom\s|insert\s+into\s|update\s+\S+\s+set\s|delete\s+from\s)"#
            ),
            Some(vec![
                "delete".into(),
                "elect".into(),
                "into".into(),
                "update".into()
            ])
        );
        // Case-sensitive and case-insensitive literals alike, lowercased.
        assert_eq!(lits("password"), Some(vec!["password".into()]));
        assert_eq!(lits("(?i)Bearer"), Some(vec!["bearer".into()]));
        // `k` breaks a case-insensitive run (the Kelvin sign).
        assert_eq!(lits("(?i)Token"), Some(vec!["to".into()]));
        assert_eq!(
            lits("^(host|bind|addr)$"),
            Some(vec!["addr".into(), "bind".into(), "host".into()])
        );
        // The longest run wins over a short one.
        assert_eq!(lits(r"a\d+secret"), Some(vec!["secret".into()]));
        // A few bytes of a class are alternatives.
        assert_eq!(lits(r#"["']"#), Some(vec!["\"".into(), "'".into()]));
    }

    #[test]
    fn knows_when_nothing_is_required() {
        // Optional parts, an empty alternative, classes too big, anchors only.
        assert_eq!(lits("(abc)?"), None);
        assert_eq!(lits("abc|"), None);
        assert_eq!(lits(r"\w+"), None);
        assert_eq!(lits("^$"), None);
        assert_eq!(lits("(?i)k"), None, "(?i)k also matches the Kelvin sign");
        assert_eq!(lits("(?i)s"), None, "(?i)s also matches the long s");
        assert_eq!(lits("[invalid"), None);
    }

    /// Random regexes over a small alphabet (literals, case-insensitive groups, classes,
    /// optional and repeated parts, alternations) against random texts: whenever the regex
    /// matches, one of the literals derived from it occurs in the text.
    #[test]
    fn no_match_is_ever_ruled_out() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        fn atom(next: &mut dyn FnMut(usize) -> usize, depth: usize) -> String {
            let letters = ["a", "b", "S", "k", "K", "x"];
            match next(if depth > 2 { 4 } else { 9 }) {
                0 | 1 => letters[next(letters.len())].to_owned(),
                2 => "[ab]".to_owned(),
                3 => r"\d".to_owned(),
                4 => format!("(?i:{})", seq(next, depth + 1)),
                5 => format!("({}|{})", seq(next, depth + 1), seq(next, depth + 1)),
                6 => format!("({})?", seq(next, depth + 1)),
                7 => format!("({})+", seq(next, depth + 1)),
                _ => format!("({}){{2}}", seq(next, depth + 1)),
            }
        }
        fn seq(next: &mut dyn FnMut(usize) -> usize, depth: usize) -> String {
            (0..1 + next(3)).map(|_| atom(next, depth)).collect()
        }
        // Texts over the regexes' letters, digits, and the two non-ASCII characters that fold
        // to ASCII letters (the long s, the Kelvin sign).
        let chars = [
            "a", "b", "s", "S", "k", "K", "x", "1", "\u{17f}", "\u{212a}",
        ];
        let mut checked = 0;
        for _ in 0..400 {
            let re = seq(&mut next, 0);
            let Ok(r) = regex::Regex::new(&re) else {
                continue;
            };
            let Some(set) = regex_literals(&re) else {
                continue;
            };
            let ac = searcher(&set).unwrap();
            for _ in 0..40 {
                let text: String = (0..next(12)).map(|_| chars[next(chars.len())]).collect();
                if r.is_match(&text) {
                    checked += 1;
                    assert!(
                        ac.is_match(&text),
                        "{re:?} matches {text:?}, none of {set:?} is in it"
                    );
                }
            }
        }
        assert!(checked > 100, "only {checked} matching texts");
    }

    #[test]
    fn a_required_literal_occurs_in_every_match() {
        let cases = [
            (r"(?i)select\s+\w+\s+from", "SeLeCt x FROM"),
            (r"^[rRuU]?[\x22']0\.0\.0\.0[\x22']$", "'0.0.0.0'"),
            (r"(?i)(host|bind|addr|listen)", "LISTEN_ADDR"),
            (r"x{2,}y", "xxy"),
        ];
        for (re, text) in cases {
            let r = regex::Regex::new(re).unwrap();
            assert!(r.is_match(text), "{re} on {text}");
            let set = regex_literals(re).unwrap();
            let ac = searcher(&set).unwrap();
            assert!(ac.is_match(text), "{re}: {set:?} not in {text}");
        }
    }
}
