//! The prefilter gate: one search over a file's bytes answers, for several consumers at once
//! (the code rules' triggers, the taint rules' triggers, the secret rules' keywords), which of
//! their strings occur.
//!
//! Strings are searched ASCII case-insensitively; a case-sensitive string is then compared
//! byte for byte at the match. The first [`DFA_AFTER`] bytes a gate searches go through a
//! bucket table (strings filed under a hash of their first three lowercased bytes; one pass
//! over the text, a table lookup per byte): it costs next to nothing to build, which is what a
//! run over one or a few files (the pre-commit and on-save cases) needs. Past that, the gate
//! builds an Aho-Corasick DFA (about 20 M instructions for the Python family's ~700 strings,
//! fewer per byte than the table) and uses it from then on. Both report the same strings.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use rustc_hash::FxHashMap;

/// Bytes searched with the bucket table before the gate switches to a DFA.
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

/// Collects the strings of each consumer.
#[derive(Debug)]
pub(crate) struct GateBuilder {
    index: FxHashMap<Box<[u8]>, usize>,
    patterns: Vec<Box<[u8]>>,
    targets: Vec<Vec<GateTarget>>,
    /// Per string: every occurrence is reported (see [`GateBuilder::record`]).
    record: Vec<bool>,
    sizes: Vec<usize>,
}

impl GateBuilder {
    /// A builder for `consumers` consumers, numbered from 0.
    pub(crate) fn new(consumers: usize) -> Self {
        GateBuilder {
            index: FxHashMap::default(),
            patterns: Vec::new(),
            targets: Vec::new(),
            record: Vec::new(),
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
        let slot = self.slot(text);
        self.targets[slot].push(GateTarget {
            consumer: consumer as u8,
            id: id as u32,
            mode,
            exact: text.as_bytes().into(),
        });
    }

    /// Also reports where `text` occurs (in any ASCII case): every occurrence, in
    /// [`Gate::scan_recording`]'s list. An empty string is never recorded.
    pub(crate) fn record(&mut self, text: &str) {
        if !text.is_empty() {
            let slot = self.slot(text);
            self.record[slot] = true;
        }
    }

    /// The slot of `text` (lowercased), added if new.
    fn slot(&mut self, text: &str) -> usize {
        let key: Box<[u8]> = text.as_bytes().to_ascii_lowercase().into_boxed_slice();
        match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                self.patterns.push(key.clone());
                self.targets.push(Vec::new());
                self.record.push(false);
                self.index.insert(key, self.patterns.len() - 1);
                self.patterns.len() - 1
            }
        }
    }

    /// The gate; its search structures are built on first use.
    pub(crate) fn build(self) -> Gate {
        let records = self.record.iter().any(|r| *r);
        Gate {
            patterns: self.patterns,
            targets: self.targets,
            record: if records { self.record } else { Vec::new() },
            sizes: self.sizes,
            buckets: OnceLock::new(),
            dfa: OnceLock::new(),
            building: AtomicBool::new(false),
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
    /// The strings, lowercased, deduplicated.
    patterns: Vec<Box<[u8]>>,
    /// Per string: who asked for it, and how.
    targets: Vec<Vec<GateTarget>>,
    /// Per string: every occurrence is reported (empty when none is).
    record: Vec<bool>,
    sizes: Vec<usize>,
    buckets: OnceLock<Buckets>,
    dfa: OnceLock<Option<DFA>>,
    /// Set by the thread that builds the DFA (the others go on with the table).
    building: AtomicBool,
    /// Bytes searched so far.
    searched: AtomicUsize,
}

/// Per consumer, per string id: whether it occurs.
pub(crate) type Seen = Vec<Vec<bool>>;

/// Where the recorded strings occur (see [`GateBuilder::record`]): (start, end) byte ranges,
/// sorted.
pub(crate) type Hits = Vec<(usize, usize)>;

/// At most this many occurrences are recorded per search (16 MiB): past it the search gives
/// none, and the caller searches by itself, without keeping them.
const MAX_RECORDED: usize = 1 << 20;

/// log2 of the number of buckets of strings of three bytes or more.
const BUCKET_BITS: u32 = 12;

/// The bucket table: strings of three bytes or more filed under a hash of their first three
/// (lowercased) bytes; strings of one or two bytes found through a bit per byte pair.
#[derive(Debug)]
struct Buckets {
    /// Per bucket: the range of `ids` holding its strings.
    slots: Box<[(u32, u32); 1 << BUCKET_BITS]>,
    /// (first three lowercased bytes as one number (see [`key`]), string).
    ids: Vec<(u32, u32)>,
    /// Bit `a << 8 | b` (lowercased bytes): some two-byte string is `a, b`, or some one-byte
    /// string is `b`.
    pairs: Box<[u64; 1024]>,
    /// The strings of one or two bytes: (lowercased bytes as one number, string).
    short: Vec<(u16, u32)>,
}

/// Three lowercased bytes as one number, the first in the high bits.
fn key(a: u8, b: u8, c: u8) -> u32 {
    u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c)
}

fn bucket(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - BUCKET_BITS)) as usize
}

impl Buckets {
    fn new(patterns: &[Box<[u8]>]) -> Buckets {
        let mut counts = vec![0u32; 1 << BUCKET_BITS];
        let mut pairs = Box::new([0u64; 1024]);
        let mut short = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match **p {
                [a, b, c, ..] => counts[bucket(key(a, b, c))] += 1,
                [a, b] => {
                    let k = u16::from(a) << 8 | u16::from(b);
                    pairs[usize::from(k >> 6)] |= 1 << (k & 63);
                    short.push((k, i as u32));
                }
                [a] => {
                    for before in 0..=255u16 {
                        let k = before << 8 | u16::from(a);
                        pairs[usize::from(k >> 6)] |= 1 << (k & 63);
                    }
                    short.push((u16::from(a), i as u32));
                }
                [] => {}
            }
        }
        let mut slots = Box::new([(0u32, 0u32); 1 << BUCKET_BITS]);
        let mut at = 0u32;
        for (slot, n) in slots.iter_mut().zip(&counts) {
            *slot = (at, at);
            at += n;
        }
        let mut ids = vec![(0, 0); at as usize];
        for (i, p) in patterns.iter().enumerate() {
            if let [a, b, c, ..] = **p {
                let k = key(a, b, c);
                let slot = &mut slots[bucket(k)];
                ids[slot.1 as usize] = (k, i as u32);
                slot.1 += 1;
            }
        }
        Buckets {
            slots,
            ids,
            pairs,
            short,
        }
    }

    /// Calls `hit(done, string, start)` for every occurrence in `bytes` of every string whose
    /// `done` flag is not set (`hit` may set flags).
    fn search(
        &self,
        patterns: &[Box<[u8]>],
        bytes: &[u8],
        done: &mut [bool],
        hit: &mut dyn FnMut(&mut [bool], usize, usize),
    ) {
        // The last three bytes, lowercased: byte `i` in the low bits (zeros before the text).
        let mut window = 0u32;
        for (i, &b) in bytes.iter().enumerate() {
            window = (window << 8 | u32::from(LOWER[usize::from(b)])) & 0xFF_FFFF;
            let pair = (window & 0xFFFF) as usize;
            if self.pairs[pair >> 6] & (1 << (pair & 63)) != 0 {
                for &(k, p) in &self.short {
                    let p = p as usize;
                    if done[p] {
                        continue;
                    }
                    if patterns[p].len() == 1 && usize::from(k) == pair & 0xFF {
                        hit(done, p, i);
                    } else if patterns[p].len() == 2 && usize::from(k) == pair && i >= 1 {
                        hit(done, p, i - 1);
                    }
                }
            }
            let (s, e) = self.slots[bucket(window) & ((1 << BUCKET_BITS) - 1)];
            if s == e {
                continue;
            }
            for &(k, p) in &self.ids[s as usize..e as usize] {
                let p = p as usize;
                if k == window && !done[p] && i >= 2 {
                    let (at, pat) = (i - 2, &patterns[p]);
                    let rest = bytes.get(at + 3..at + pat.len());
                    if rest.is_some_and(|r| r.eq_ignore_ascii_case(&pat[3..])) {
                        hit(done, p, at);
                    }
                }
            }
        }
    }
}

/// A DFA over `strings` (lowercase) for [`each_lowered_match`]: built case-sensitive, it has
/// half the byte classes and half the memory of an ASCII case-insensitive one, which matters
/// because a parse between two searches evicts it from cache (the JavaScript family's
/// prefilter: 666 KiB against 1.3 MiB). No prefilter: it would only make start states special.
pub(crate) fn lowercase_dfa<S: AsRef<[u8]>>(strings: &[S]) -> Option<DFA> {
    aho_corasick::dfa::Builder::new()
        .ascii_case_insensitive(false)
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(strings)
        .ok()
}

/// Calls `hit(string, end)` for every occurrence in `bytes`, in any ASCII case, of every
/// string of `dfa` (built by [`lowercase_dfa`]), `end` being the offset after it. The automaton
/// is stepped by hand over the lowercased bytes: the library's overlapping iterator costs a
/// call and its state per match, and short strings match every few dozen bytes of code.
/// (Inlined into its two callers: left to the compiler, the prefilter's search cost 0.2 % more
/// instructions on the webpack sample.)
#[inline(always)]
pub(crate) fn each_lowered_match(dfa: &DFA, bytes: &[u8], hit: impl FnMut(usize, usize)) {
    each_lowered_match_in(dfa, bytes, TWO_STREAMS_FROM, BLOCK, hit);
}

/// Texts from this long are searched by [`each_lowered_match`] in two interleaved walks.
const TWO_STREAMS_FROM: usize = 4096;

/// The two walks go through a long text a block of this many bytes at a time: the second
/// walk's matches wait for the first's, and a block bounds how many wait.
const BLOCK: usize = 1 << 16;

/// [`each_lowered_match`], with two walks from `two_streams_from` bytes, by blocks of `block`.
#[inline(always)]
fn each_lowered_match_in(
    dfa: &DFA,
    bytes: &[u8],
    two_streams_from: usize,
    block: usize,
    mut hit: impl FnMut(usize, usize),
) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let step = |sid, b: u8| dfa.next_state(Anchored::No, sid, LOWER[usize::from(b)]);
    let overlap = dfa.max_pattern_len().saturating_sub(1);
    let block = block.max(4 * overlap).max(2);
    if bytes.len() < two_streams_from || bytes.len() < 4 * overlap {
        let mut sid = start;
        for (i, &b) in bytes.iter().enumerate() {
            sid = step(sid, b);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                for k in 0..dfa.match_len(sid) {
                    hit(dfa.match_pattern(sid, k).as_usize(), i + 1);
                }
            }
        }
        return;
    }
    // Each block is split in two halves walked in step: each DFA step waits on the table load
    // of the step before, and two independent walks overlap those waits. A walk starts afresh
    // `overlap` bytes before its half (it then sees whole every string that ends in its half)
    // and reports only the strings that end in its half. The second half's matches are kept
    // and reported after the first half's: the order of one walk over the text.
    let mut later: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + block).min(bytes.len());
        let mid = at + (end - at) / 2;
        let (a0, b0) = (at.saturating_sub(overlap), mid - overlap.min(mid));
        let (front, back) = (&bytes[a0..mid], &bytes[b0..end]);
        let (mut a, mut b) = (start, start);
        let n = front.len().min(back.len());
        for (i, (&x, &y)) in front.iter().zip(back).enumerate() {
            a = step(a, x);
            b = step(b, y);
            if dfa.is_special(a) && dfa.is_match(a) && a0 + i + 1 > at {
                for k in 0..dfa.match_len(a) {
                    hit(dfa.match_pattern(a, k).as_usize(), a0 + i + 1);
                }
            }
            if dfa.is_special(b) && dfa.is_match(b) && b0 + i + 1 > mid {
                keep(dfa, b, b0 + i + 1, &mut later);
            }
        }
        // The longer of the two parts, finished alone.
        for (i, &x) in front.iter().enumerate().skip(n) {
            a = step(a, x);
            if dfa.is_special(a) && dfa.is_match(a) && a0 + i + 1 > at {
                for k in 0..dfa.match_len(a) {
                    hit(dfa.match_pattern(a, k).as_usize(), a0 + i + 1);
                }
            }
        }
        for (i, &y) in back.iter().enumerate().skip(n) {
            b = step(b, y);
            if dfa.is_special(b) && dfa.is_match(b) && b0 + i + 1 > mid {
                keep(dfa, b, b0 + i + 1, &mut later);
            }
        }
        for (p, e) in later.drain(..) {
            hit(p, e);
        }
        at = end;
    }
}

/// Keeps the matches of match state `sid`, ending at `end`.
fn keep(
    dfa: &DFA,
    sid: aho_corasick::automaton::StateID,
    end: usize,
    out: &mut Vec<(usize, usize)>,
) {
    for k in 0..dfa.match_len(sid) {
        out.push((dfa.match_pattern(sid, k).as_usize(), end));
    }
}

/// ASCII lowercase of every byte.
static LOWER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).to_ascii_lowercase();
        i += 1;
    }
    t
};

impl Gate {
    /// The DFA, once this gate has searched [`DFA_AFTER`] bytes (`None` before, while another
    /// thread builds it, or when it cannot be built: the bucket table answers meanwhile).
    fn dfa(&self, len: usize) -> Option<&DFA> {
        if self.searched.fetch_add(len, Ordering::Relaxed) < DFA_AFTER {
            return None;
        }
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        if self.building.swap(true, Ordering::AcqRel) {
            return None;
        }
        let dfa = lowercase_dfa(&self.patterns);
        let _ = self.dfa.set(dfa);
        self.dfa.get().and_then(Option::as_ref)
    }

    /// Which strings of each consumer occur in `bytes`.
    pub(crate) fn scan(&self, bytes: &[u8]) -> Seen {
        self.scan_recording(bytes).0
    }

    /// Which strings of each consumer occur in `bytes`, and where the recorded strings occur
    /// (`None`: too many to keep, see [`MAX_RECORDED`]).
    pub(crate) fn scan_recording(&self, bytes: &[u8]) -> (Seen, Option<Hits>) {
        let mut seen: Seen = self.sizes.iter().map(|n| vec![false; *n]).collect();
        let mut hits: Hits = Vec::new();
        let mut overflow = false;
        if self.patterns.is_empty() {
            return (seen, Some(hits));
        }
        // A string all of whose targets are settled is skipped on its later matches (unless
        // it is recorded).
        let mut done = vec![false; self.patterns.len()];
        let mut lines = LineStarts::default();
        let mut settle = |done: &mut [bool], p: usize, start: usize| {
            let end = start + self.patterns[p].len();
            let record = self.record.get(p).copied().unwrap_or(false);
            if record {
                if hits.len() < MAX_RECORDED {
                    hits.push((start, end));
                } else {
                    overflow = true;
                }
            }
            let mut settled = !record;
            for t in &self.targets[p] {
                let slot = &mut seen[usize::from(t.consumer)][t.id as usize];
                if *slot {
                    continue;
                }
                let hit = match t.mode {
                    Mode::AnyCase => true,
                    Mode::Exact => bytes[start..end] == *t.exact,
                    Mode::Decorator => {
                        bytes[start..end] == *t.exact
                            && starts_with_at(bytes, lines.start_of(bytes, start), start)
                    }
                };
                if hit {
                    *slot = true;
                } else {
                    settled = false;
                }
            }
            done[p] = settled;
        };
        if let Some(dfa) = self.dfa(bytes.len()) {
            each_lowered_match(dfa, bytes, |p, end| {
                if !done[p] {
                    settle(&mut done, p, end - self.patterns[p].len());
                }
            });
        } else {
            let buckets = self.buckets.get_or_init(|| Buckets::new(&self.patterns));
            buckets.search(&self.patterns, bytes, &mut done, &mut settle);
        }
        if overflow {
            return (seen, None);
        }
        hits.sort_unstable();
        hits.dedup();
        (seen, Some(hits))
    }
}

/// True when the line holding `at` starts (after blanks) with `@` (the slow way, for tests).
#[cfg(test)]
fn after_at(bytes: &[u8], at: usize) -> bool {
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    starts_with_at(bytes, line_start, at)
}

/// True when `bytes[line_start..at]` starts (after blanks) with `@`.
fn starts_with_at(bytes: &[u8], line_start: usize, at: usize) -> bool {
    bytes[line_start..at]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'@')
}

/// The start of the line holding a position, for positions asked in (mostly) increasing
/// order: only the bytes since the last position asked are searched, so a long line holding
/// many matches is not searched back to its start for each of them.
#[derive(Default)]
struct LineStarts {
    /// Every position below this has been searched; `start` is the line start there.
    upto: usize,
    start: usize,
}

impl LineStarts {
    fn start_of(&mut self, bytes: &[u8], at: usize) -> usize {
        if at < self.upto {
            // Out of order (overlapping matches end in order, not start): no newline lies
            // between the current line start and `upto`, so only a position before that
            // line is searched back (near a newline: at most once per line and string).
            if at >= self.start {
                return self.start;
            }
            return bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
        }
        if let Some(p) = bytes[self.upto..at].iter().rposition(|&b| b == b'\n') {
            self.start = self.upto + p + 1;
        }
        self.upto = at;
        self.start
    }
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
        b.add(2, 2, "/", Mode::AnyCase);
        b.add(2, 3, "e.", Mode::AnyCase);
        b.build()
    }

    #[test]
    fn reports_each_consumer_and_mode() {
        let g = gate();
        let seen = g.scan(b"x = NONE\n@app.route('/')\nPassWord = 1\n");
        assert_eq!(
            seen,
            vec![
                vec![false, false],
                vec![true, true],
                vec![true, false, true, false]
            ]
        );
        let seen = g.scan(b"x = None; route(); import pickle; E.");
        assert_eq!(
            seen,
            vec![
                vec![true, true],
                vec![false, true],
                vec![false, false, false, true]
            ]
        );
        // A string at the very end, and text shorter than a bucket key.
        assert_eq!(g.scan(b"e.")[2], vec![false, false, false, true]);
        assert_eq!(g.scan(b"Non")[0], vec![false, false]);
        assert_eq!(g.scan(b"")[0], vec![false, false]);
    }

    /// What the gate must answer, computed the slow way.
    fn naive(strings: &[(usize, usize, String, Mode)], sizes: &[usize], text: &[u8]) -> Seen {
        let mut seen: Seen = sizes.iter().map(|n| vec![false; *n]).collect();
        for (c, id, s, mode) in strings {
            let s = s.as_bytes();
            if s.is_empty() || s.len() > text.len() {
                continue;
            }
            seen[*c][*id] |= (0..=text.len() - s.len()).any(|at| {
                let w = &text[at..at + s.len()];
                match mode {
                    Mode::AnyCase => w.eq_ignore_ascii_case(s),
                    Mode::Exact => w == s,
                    Mode::Decorator => w == s && after_at(text, at),
                }
            });
        }
        seen
    }

    /// Where the recorded strings occur (any ASCII case), computed the slow way.
    fn naive_hits(record: &[String], text: &[u8]) -> Hits {
        let mut hits = Vec::new();
        for s in record.iter().map(String::as_bytes) {
            for at in 0..(text.len() + 1).saturating_sub(s.len()) {
                if !s.is_empty() && text[at..at + s.len()].eq_ignore_ascii_case(s) {
                    hits.push((at, at + s.len()));
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    #[test]
    fn two_interleaved_walks_report_what_one_walk_does() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"abAB.x\n";
        for round in 0..600 {
            let strings: Vec<Vec<u8>> = (0..1 + next(8))
                .map(|_| {
                    (0..1 + next(7))
                        .map(|_| alphabet[next(4)].to_ascii_lowercase())
                        .collect()
                })
                .collect();
            let Some(dfa) = lowercase_dfa(&strings) else {
                continue;
            };
            let text: Vec<u8> = (0..next(300))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let mut one = Vec::new();
            each_lowered_match_in(&dfa, &text, usize::MAX, BLOCK, |p, end| one.push((p, end)));
            // Blocks shorter than the text (down to their least), and one for all of it.
            for block in [0, 1 + next(40), 1 + next(300), BLOCK] {
                let mut two = Vec::new();
                each_lowered_match_in(&dfa, &text, 0, block, |p, end| two.push((p, end)));
                assert_eq!(
                    one, two,
                    "round {round}, block {block}: {strings:?} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn table_and_dfa_agree_with_a_naive_search() {
        // A small deterministic generator: strings and texts over a few letters, so that
        // strings overlap, share prefixes and buckets, and differ only in case.
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let alphabet = b"aAbB.@ \n_";
        for round in 0..600 {
            let mut strings = Vec::new();
            let mut sizes = vec![0usize; 3];
            for _ in 0..1 + next(12) {
                let c = next(3);
                let len = 1 + next(5);
                let s: String = (0..len)
                    .map(|_| char::from(alphabet[next(alphabet.len())]))
                    .collect();
                let mode = [Mode::Exact, Mode::AnyCase, Mode::Decorator][next(3)];
                strings.push((c, sizes[c], s, mode));
                sizes[c] += 1;
            }
            // Recorded strings: some also searched for, some not.
            let mut record: Vec<String> = Vec::new();
            for _ in 0..next(4) {
                if next(2) == 0 && !strings.is_empty() {
                    record.push(strings[next(strings.len())].2.clone());
                } else {
                    let len = 1 + next(4);
                    record.push(
                        (0..len)
                            .map(|_| char::from(alphabet[next(alphabet.len())]))
                            .collect(),
                    );
                }
            }
            let build = || {
                let mut b = GateBuilder::new(3);
                for (c, id, s, mode) in &strings {
                    b.add(*c, *id, s, *mode);
                }
                for r in &record {
                    b.record(r);
                }
                b.build()
            };
            let (table, dfa) = (build(), build());
            dfa.searched.store(DFA_AFTER, Ordering::Relaxed);
            for _ in 0..5 {
                let text: Vec<u8> = (0..next(80))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect();
                let want = (
                    naive(&strings, &sizes, &text),
                    Some(naive_hits(&record, &text)),
                );
                assert_eq!(
                    table.scan_recording(&text),
                    want,
                    "round {round}, table: {strings:?}, recording {record:?}, in {text:?}"
                );
                assert_eq!(
                    dfa.scan_recording(&text),
                    want,
                    "round {round}, DFA: {strings:?}, recording {record:?}, in {text:?}"
                );
            }
            assert!(table.dfa.get().is_none());
            assert!(dfa.dfa.get().is_some_and(Option::is_some));
        }
    }
}
