//! The prefilter gate: one Aho-Corasick search over a file's bytes answers, for several
//! consumers at once (the code rules' triggers, the taint rules' triggers, the secret rules'
//! keywords), which of their strings occur.
//!
//! Strings are searched ASCII case-insensitively; a case-sensitive string is then compared
//! byte for byte at the match. The automaton starts as a noncontiguous NFA (the cheapest to
//! build: a run over one or a few files, the pre-commit and on-save cases, pays little for it);
//! once it has searched [`DFA_AFTER`] bytes the gate builds a DFA (faster per byte, costlier to
//! build: about 20 M instructions for the Python family's ~1 000 strings, what the NFA spends
//! on ~1 MB) and uses it from then on. Both report the same matches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, BuildError, MatchKind};

/// Bytes searched with the NFA before the gate switches to a DFA.
const DFA_AFTER: usize = 1 << 20;

/// How a string counts as present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Exactly these bytes.
    Exact,
    /// These bytes in any ASCII case.
    AnyCase,
    /// Exactly these bytes, on a line whose first non-blank byte is `@` (a decorator).
    Decorator,
}

#[derive(Clone, Debug)]
struct Target {
    consumer: u8,
    id: u32,
    mode: Mode,
}

/// Collects the strings of each consumer.
#[derive(Debug)]
pub(crate) struct GateBuilder {
    index: HashMap<Vec<u8>, usize>,
    patterns: Vec<Vec<u8>>,
    originals: Vec<Vec<u8>>,
    targets: Vec<Vec<(Target, usize)>>,
    sizes: Vec<usize>,
}

impl GateBuilder {
    /// A builder for `consumers` consumers, numbered from 0.
    pub(crate) fn new(consumers: usize) -> Self {
        GateBuilder {
            index: HashMap::new(),
            patterns: Vec::new(),
            originals: Vec::new(),
            targets: Vec::new(),
            sizes: vec![0; consumers],
        }
    }

    /// Registers string `id` of `consumer` (ids of one consumer: 0..n, any order; an empty
    /// string is never present).
    pub(crate) fn add(&mut self, consumer: usize, id: usize, text: &str, mode: Mode) {
        if consumer >= self.sizes.len() {
            return;
        }
        self.sizes[consumer] = self.sizes[consumer].max(id + 1);
        if text.is_empty() {
            return;
        }
        let key = text.as_bytes().to_ascii_lowercase();
        let slot = *self.index.entry(key.clone()).or_insert_with(|| {
            self.patterns.push(key);
            self.targets.push(Vec::new());
            self.patterns.len() - 1
        });
        self.originals.push(text.as_bytes().to_vec());
        let target = Target {
            consumer: consumer as u8,
            id: id as u32,
            mode,
        };
        self.targets[slot].push((target, self.originals.len() - 1));
    }

    /// The gate; its automaton is built on first use (see [`Gate::check`] to build it now).
    pub(crate) fn build(self) -> Gate {
        let targets = self
            .targets
            .into_iter()
            .map(|ts| {
                ts.into_iter()
                    .map(|(t, o)| GateTarget {
                        consumer: t.consumer,
                        id: t.id,
                        mode: t.mode,
                        exact: self.originals[o].clone().into_boxed_slice(),
                    })
                    .collect()
            })
            .collect();
        Gate {
            patterns: self.patterns,
            targets,
            sizes: self.sizes,
            nfa: OnceLock::new(),
            dfa: OnceLock::new(),
            searched: AtomicUsize::new(0),
        }
    }
}

#[derive(Debug)]
struct GateTarget {
    consumer: u8,
    id: u32,
    mode: Mode,
    exact: Box<[u8]>,
}

/// One search for every consumer's strings.
#[derive(Debug)]
pub(crate) struct Gate {
    patterns: Vec<Vec<u8>>,
    targets: Vec<Vec<GateTarget>>,
    sizes: Vec<usize>,
    nfa: OnceLock<Option<AhoCorasick>>,
    dfa: OnceLock<Option<AhoCorasick>>,
    /// Bytes searched so far.
    searched: AtomicUsize,
}

/// Per consumer, per string id: whether it occurs.
pub(crate) type Seen = Vec<Vec<bool>>;

impl Gate {
    fn automaton(&self, kind: AhoCorasickKind) -> Result<AhoCorasick, BuildError> {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&self.patterns)
    }

    /// Builds the automaton now: an error names what the automaton cannot take.
    pub(crate) fn check(&self) -> Result<(), BuildError> {
        let ac = self.automaton(AhoCorasickKind::NoncontiguousNFA);
        let err = ac.as_ref().err().cloned();
        let _ = self.nfa.set(ac.ok());
        err.map_or(Ok(()), Err)
    }

    fn searcher(&self, len: usize) -> Option<&AhoCorasick> {
        if self.patterns.is_empty() {
            return None;
        }
        if self.searched.fetch_add(len, Ordering::Relaxed) >= DFA_AFTER {
            if let Some(ac) = self
                .dfa
                .get_or_init(|| self.automaton(AhoCorasickKind::DFA).ok())
            {
                return Some(ac);
            }
        }
        self.nfa
            .get_or_init(|| self.automaton(AhoCorasickKind::NoncontiguousNFA).ok())
            .as_ref()
    }

    /// `given` (what a caller's shared gate found), or else this gate's own search of `bytes`
    /// for its consumer 0; `None` when the automaton cannot be built (run everything).
    pub(crate) fn seen_or_scan<'a>(
        &self,
        given: Option<&'a [bool]>,
        bytes: &[u8],
    ) -> Option<std::borrow::Cow<'a, [bool]>> {
        match given {
            Some(seen) => Some(std::borrow::Cow::Borrowed(seen)),
            None => self
                .scan(bytes)
                .map(|mut s| std::borrow::Cow::Owned(s.swap_remove(0))),
        }
    }

    /// Which strings of each consumer occur in `bytes`; `None` when the automaton could not be
    /// built (the caller then runs everything).
    pub(crate) fn scan(&self, bytes: &[u8]) -> Option<Seen> {
        let mut seen: Seen = self.sizes.iter().map(|n| vec![false; *n]).collect();
        if self.patterns.is_empty() {
            return Some(seen);
        }
        let ac = self.searcher(bytes.len())?;
        // A pattern all of whose targets are settled is skipped on its later matches.
        let mut done = vec![false; self.patterns.len()];
        for m in ac.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            if done[p] {
                continue;
            }
            let mut settled = true;
            for t in &self.targets[p] {
                let slot = &mut seen[usize::from(t.consumer)][t.id as usize];
                if *slot {
                    continue;
                }
                let hit = match t.mode {
                    Mode::AnyCase => true,
                    Mode::Exact => bytes[m.start()..m.end()] == *t.exact,
                    Mode::Decorator => {
                        bytes[m.start()..m.end()] == *t.exact && after_at(bytes, m.start())
                    }
                };
                if hit {
                    *slot = true;
                } else {
                    settled = false;
                }
            }
            done[p] = settled;
        }
        Some(seen)
    }
}

/// True when the line holding `at` starts (after blanks) with `@`.
fn after_at(bytes: &[u8], at: usize) -> bool {
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    bytes[line_start..at]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        let mut b = GateBuilder::new(3);
        b.add(0, 0, "None", Mode::Exact);
        b.add(0, 1, "pickle", Mode::Exact);
        b.add(1, 0, "route", Mode::Decorator);
        b.add(1, 1, "route", Mode::Exact);
        b.add(2, 0, "password", Mode::AnyCase);
        b.add(2, 1, "", Mode::AnyCase);
        b.build()
    }

    #[test]
    fn reports_each_consumer_and_mode() {
        let g = gate();
        let seen = g
            .scan(b"x = NONE\n@app.route('/')\nPassWord = 1\n")
            .unwrap();
        assert_eq!(
            seen,
            vec![vec![false, false], vec![true, true], vec![true, false]]
        );
        let seen = g.scan(b"x = None; route(); import pickle").unwrap();
        assert_eq!(
            seen,
            vec![vec![true, true], vec![false, true], vec![false, false]]
        );
    }

    #[test]
    fn nfa_and_dfa_agree() {
        let g = gate();
        let text = b"@route\nNone none pickle PASSWORD\n  @x.route\n";
        let first = g.scan(text).unwrap();
        g.searched.store(DFA_AFTER, Ordering::Relaxed);
        for _ in 0..2 {
            assert_eq!(g.scan(text).unwrap(), first);
        }
        assert!(g.dfa.get().is_some_and(Option::is_some));
    }
}
