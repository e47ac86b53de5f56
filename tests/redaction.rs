//! No output format ever contains a full secret: every true-positive example of every secret
//! rule is written into files of several kinds, scanned with the real binary in text, JSON and
//! SARIF, and each secret (located by the library's own scanner) must be absent from every output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use util::*;
use vigil_rules::secrets::{ScanOptions, SecretRuleSet};

fn secret_rules() -> SecretRuleSet {
    let sources: Vec<(String, String)> = vigil_rules::embedded_sources()
        .into_iter()
        .filter(|(p, _)| p.starts_with("rules/secrets/"))
        .collect();
    SecretRuleSet::load_with_examples(&sources).unwrap()
}

#[test]
fn no_format_prints_a_full_secret() {
    let rules = secret_rules();
    let p = Project::new();
    let mut secrets: Vec<String> = Vec::new();
    let kinds = ["env", "yaml", "py", "js", "txt"];
    let mut n = 0;
    for rule in rules.rules() {
        for tp in &rule.tp {
            let mut found = Vec::new();
            rules.scan(
                "example.txt",
                tp.as_bytes(),
                &ScanOptions::default(),
                &mut found,
            );
            for m in &found {
                if let Some(s) = tp.get(m.start..m.end) {
                    secrets.push(s.to_owned());
                }
            }
            let ext = kinds[n % kinds.len()];
            p.write(
                &format!("corpus/{}-{n}.{ext}", rule.id),
                format!("# sample\n{tp}\n"),
            );
            n += 1;
        }
    }
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() > 200,
        "too few secrets located: {}",
        secrets.len()
    );
    for format in ["text", "json", "sarif"] {
        let o = p.vigil(&[
            "scan", "corpus", "--select", "secret-", "--format", format, "--color", "never",
        ]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        let out = stdout(&o) + &stderr(&o);
        let leaked: Vec<&String> = secrets
            .iter()
            .filter(|s| s.len() >= 6 && out.contains(s.as_str()))
            .collect();
        assert!(
            leaked.is_empty(),
            "{format} output contains {} full secrets, e.g. the one starting {:?}",
            leaked.len(),
            leaked
                .first()
                .map(|s| s.chars().take(4).collect::<String>())
        );
    }
}
