//! Baselines: the fingerprints of accepted findings, so that adopting vigil on an existing code
//! base reports only new findings.
//!
//! The file is JSON with one entry per line, sorted by path, rule and fingerprint: it merges
//! cleanly and holds no line numbers, timestamps or secret values (a secret's fingerprint hashes
//! the secret's hash, never the secret). Fingerprints survive edits above a finding, so a finding
//! moved down stays baselined, while a new instance of the same rule in the same file has a
//! fingerprint of its own and is reported.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::finding::{Finding, Suppression};

/// The version of the baseline file format.
pub const BASELINE_VERSION: u32 = 1;

/// A baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON, or not a vigil baseline.
    #[error("{path}: not a vigil baseline: {why}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Path of the file.
    pub path: String,
    /// Rule id.
    pub rule: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// A set of accepted findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeSet<Entry>,
}

impl Baseline {
    /// The baseline of these findings (suppressed ones are left out: they need no baseline).
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline {
            entries: findings
                .iter()
                .filter(|f| f.suppression.is_none())
                .map(|f| Entry {
                    path: f.path.clone(),
                    rule: f.rule.id.clone(),
                    fingerprint: f.fingerprint.clone(),
                })
                .collect(),
        }
    }

    /// Parses a baseline file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Baseline, BaselineError> {
        let file: File = serde_json::from_str(text).map_err(|e| BaselineError::Invalid {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        if file.version != BASELINE_VERSION {
            return Err(BaselineError::Invalid {
                path: path.to_owned(),
                why: format!(
                    "version {} (this vigil reads version {BASELINE_VERSION})",
                    file.version
                ),
            });
        }
        Ok(Baseline {
            entries: file.findings.into_iter().collect(),
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file's text: sorted, one entry per line, final newline.
    pub fn to_json(&self) -> String {
        let mut s = format!("{{\n  \"version\": {BASELINE_VERSION},\n  \"findings\": [");
        for (i, e) in self.entries.iter().enumerate() {
            let line = serde_json::to_string(e).unwrap_or_default();
            let _ = write!(s, "{}\n    {line}", if i == 0 { "" } else { "," });
        }
        s.push_str(if self.entries.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        s
    }

    /// Marks the findings in the baseline as suppressed (`external`); returns how many.
    pub fn apply(&self, findings: &mut [Finding], name: &str) -> usize {
        let mut n = 0;
        for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
            let key = Entry {
                path: f.path.clone(),
                rule: f.rule.id.clone(),
                fingerprint: f.fingerprint.clone(),
            };
            if self.entries.contains(&key) {
                f.suppression = Some(Suppression {
                    kind: "external".to_owned(),
                    justification: format!("accepted in the baseline {name}"),
                });
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = Baseline::default();
        b.entries.insert(Entry {
            path: "b.py".into(),
            rule: "py-x".into(),
            fingerprint: "f2".into(),
        });
        b.entries.insert(Entry {
            path: "a.py".into(),
            rule: "py-x".into(),
            fingerprint: "f1".into(),
        });
        let text = b.to_json();
        assert!(text.find("a.py") < text.find("b.py"));
        assert_eq!(Baseline::parse(&text, "x").ok(), Some(b));
        assert_eq!(
            Baseline::parse(&Baseline::default().to_json(), "x").ok(),
            Some(Baseline::default())
        );
    }
}
