//! A set of names asked about on every identifier of a file.

use rustc_hash::FxHashSet;

/// A set of names, with a bitmap of the (first byte, last byte) pairs of its members in
/// front of the hash set: the model's walk asks whether the rules want each identifier and
/// member name of a file, and most such names share neither end with a wanted one (one bit
/// test instead of hashing the name).
#[derive(Debug, Clone)]
pub(crate) struct NameSet {
    set: FxHashSet<String>,
    ends: Box<[u64]>,
}

impl Default for NameSet {
    fn default() -> Self {
        NameSet {
            set: FxHashSet::default(),
            ends: vec![0; 1 << 10].into_boxed_slice(),
        }
    }
}

/// The bit of a name's (first byte, last byte) pair; the empty name has pair (0, 0).
fn ends_bit(name: &str) -> usize {
    let b = name.as_bytes();
    let first = b.first().copied().unwrap_or(0);
    let last = b.last().copied().unwrap_or(0);
    usize::from(first) << 8 | usize::from(last)
}

impl NameSet {
    pub(crate) fn insert(&mut self, name: String) {
        let bit = ends_bit(&name);
        self.ends[bit / 64] |= 1 << (bit % 64);
        self.set.insert(name);
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        let bit = ends_bit(name);
        self.ends[bit / 64] & (1 << (bit % 64)) != 0 && self.set.contains(name)
    }
}

impl Extend<String> for NameSet {
    fn extend<I: IntoIterator<Item = String>>(&mut self, names: I) {
        for n in names {
            self.insert(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Membership is the hash set's, for names sharing ends with members or not, the empty
    /// name and multi-byte characters included.
    #[test]
    fn contains_what_was_inserted_and_nothing_else() {
        let members = ["exec", "eval", "e", "", "système", "x_y", "$"];
        let mut s = NameSet::default();
        s.extend(members.iter().map(|m| m.to_string()));
        for m in members {
            assert!(s.contains(m), "{m:?}");
        }
        for other in [
            "ec", "eccc", "execc", "evl", "ee", "x", "systèm", "systeme", "$$", "y_x",
        ] {
            assert!(!s.contains(other), "{other:?}");
        }
        // Sharing ends with a member is not enough, and sharing none is enough to say no.
        let empty = NameSet::default();
        assert!(!empty.contains("exec") && !empty.contains(""));
    }
}
