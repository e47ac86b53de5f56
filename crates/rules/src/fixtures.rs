//! The fixture harness shared by the test suite and `vigil rules test`: comments announce
//! findings (`ruleid: ID`) and near misses (`ok: ID`) on the next line, or, at the end of a line
//! (`value  # ruleid: ID`), on that line: for constructs a comment line would break, such as
//! the entries of a YAML block or the body of a key file.

use std::collections::{BTreeMap, BTreeSet};

/// Expectations read from a fixture's annotations, by 1-based line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Line -> rule ids that must fire there.
    pub positive: BTreeMap<usize, BTreeSet<String>>,
    /// Line -> rule ids that must not fire there.
    pub negative: BTreeMap<usize, BTreeSet<String>>,
}

fn annotation(line: &str) -> Option<(bool, Vec<String>)> {
    let t = line.trim_start();
    let body = ["#", "//", "/*", "<!--", "--", ";"]
        .iter()
        .find_map(|c| t.strip_prefix(c))?
        .trim();
    let (positive, rest) = if let Some(r) = body.strip_prefix("ruleid:") {
        (true, r)
    } else if let Some(r) = body.strip_prefix("ok:") {
        (false, r)
    } else {
        return None;
    };
    let rest = rest.trim().trim_end_matches("*/").trim_end_matches("-->");
    let ids = rest
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Some((positive, ids))
}

/// An annotation at the end of a code line: a comment introducer preceded by whitespace, then
/// `ruleid:` or `ok:`.
fn trailing_annotation(line: &str) -> Option<(bool, Vec<String>)> {
    ["#", "//", "/*", "<!--", "--", ";"].iter().find_map(|c| {
        line.match_indices(c).find_map(|(at, _)| {
            let before = &line[..at];
            if !before.ends_with([' ', '\t']) || before.trim().is_empty() {
                return None;
            }
            annotation(&line[at..])
        })
    })
}

/// Reads the annotations of a fixture. Consecutive annotation lines all apply to the next
/// line that is not an annotation; an annotation at the end of a line applies to that line.
pub fn expectations(text: &str) -> Expectations {
    let mut ex = Expectations::default();
    let mut pending: Vec<(bool, Vec<String>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(a) = annotation(line) {
            pending.push(a);
            continue;
        }
        pending.extend(trailing_annotation(line));
        for (positive, ids) in pending.drain(..) {
            let map = if positive {
                &mut ex.positive
            } else {
                &mut ex.negative
            };
            map.entry(i + 1).or_default().extend(ids);
        }
    }
    ex
}

/// Adds expectations from a sidecar file (`<fixture>.expect`, for formats without comments such
/// as JSON): lines `LINE RULE-ID` (must fire) or `ok LINE RULE-ID` (must not fire); `#` starts a
/// comment.
pub fn add_sidecar(ex: &mut Expectations, sidecar: &str) {
    for line in sidecar.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let (positive, num) = match words.next() {
            Some("ok") => (false, words.next()),
            other => (true, other),
        };
        let (Some(num), Some(id)) = (num.and_then(|n| n.parse::<usize>().ok()), words.next())
        else {
            continue;
        };
        let map = if positive {
            &mut ex.positive
        } else {
            &mut ex.negative
        };
        map.entry(num).or_default().insert(id.to_owned());
    }
}

/// Compares findings `(line, rule id)` with a fixture's expectations; returns the failures
/// (empty = pass). `known` restricts the check to rules that ran (others' annotations are
/// ignored).
pub fn compare(
    path: &str,
    ex: &Expectations,
    found: &[(usize, String)],
    known: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut failures = Vec::new();
    let found_set: BTreeSet<(usize, &str)> = found.iter().map(|(l, r)| (*l, r.as_str())).collect();
    for (line, ids) in &ex.positive {
        for id in ids {
            if known(id) && !found_set.contains(&(*line, id.as_str())) {
                failures.push(format!("{path}:{line}: expected {id}, not found"));
            }
        }
    }
    for (line, id) in &found_set {
        let announced = ex.positive.get(line).is_some_and(|s| s.contains(*id));
        if ex.negative.get(line).is_some_and(|s| s.contains(*id)) {
            failures.push(format!(
                "{path}:{line}: {id} fired on a line marked `ok: {id}`"
            ));
        } else if !announced {
            failures.push(format!("{path}:{line}: unexpected finding {id}"));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_annotations() {
        let t = "# ruleid: a, b\n# ok: c\nx()\n// ok: d\ny()\n/* ruleid: e */\nz()\n";
        let ex = expectations(t);
        assert_eq!(
            ex.positive[&3],
            ["a", "b"].iter().map(|s| s.to_string()).collect()
        );
        assert_eq!(
            ex.negative[&3],
            ["c"].iter().map(|s| s.to_string()).collect()
        );
        assert_eq!(ex.negative[&5].len(), 1);
        assert!(ex.positive[&7].contains("e"));
        let f = compare(
            "f",
            &ex,
            &[(3, "a".into()), (5, "d".into()), (9, "q".into())],
            &|_| true,
        );
        assert_eq!(f.len(), 4, "{f:?}");
    }

    #[test]
    fn reads_annotations_at_the_end_of_a_line() {
        let t = "  password: c2VjcmV0  # ruleid: k8s\nx = 1 // ok: a, b\nurl = 'http://h/#ok:'\n";
        let ex = expectations(t);
        assert!(ex.positive[&1].contains("k8s"));
        assert_eq!(ex.negative[&2].len(), 2);
        // Not a comment: no whitespace before the introducer.
        assert!(!ex.negative.contains_key(&3));
        assert_eq!(ex.positive.len(), 1);
    }
}
