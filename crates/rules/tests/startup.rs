//! Built-in rules load lazily (their regexes and queries compile on first use), so a test must
//! compile every one of them eagerly: the same sources under a non-built-in path take the path
//! of user rules, which compiles and checks everything at load.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_rules::{embedded_sources, Catalog, RuleOptions, RuleSet, Selection};

#[test]
fn every_builtin_rule_compiles_eagerly() {
    let sources: Vec<(String, String)> = embedded_sources()
        .into_iter()
        .map(|(path, text)| (format!("eager/{path}"), text))
        .collect();
    let catalog = match Catalog::load(&sources) {
        Ok(c) => c,
        Err(e) => panic!("a built-in rule does not compile: {e}"),
    };
    let all = Selection {
        select: vec!["ALL".to_owned()],
        ignore: Vec::new(),
    };
    if let Err(e) = RuleSet::new(catalog, &all, RuleOptions::default()) {
        panic!("the built-in queries do not combine: {e}");
    }
}

#[test]
fn lazy_and_eager_loading_find_the_same() {
    let text = "import subprocess\nsubprocess.call(cmd, shell=True)\n\
                token = \"ghp_012345678901234567890123456789abcdef\"\n";
    let file = vigil_core::SourceFile::new("app.py".to_owned(), text.as_bytes());
    let run = |sources: Vec<(String, String)>| {
        let catalog = Catalog::load(&sources).expect("catalog");
        let rs =
            RuleSet::new(catalog, &Selection::default(), RuleOptions::default()).expect("rule set");
        let mut out = Vec::new();
        let mut parse =
            || match vigil_core::parse::parse(vigil_core::Language::Python, &file.text, None) {
                vigil_core::parse::ParseOutcome::Tree(t) => Some(t),
                _ => None,
            };
        rs.check_file(&file, &mut parse, &mut out);
        let mut ids: Vec<(String, usize)> = out
            .iter()
            .map(|f| (f.rule.id.clone(), f.span.start_line))
            .collect();
        ids.sort();
        ids
    };
    let lazy = run(embedded_sources());
    let eager = run(embedded_sources()
        .into_iter()
        .map(|(p, t)| (format!("eager/{p}"), t))
        .collect());
    assert!(!lazy.is_empty());
    assert_eq!(lazy, eager);
}

#[test]
fn builtin_rules_read_from_json_equal_the_toml() {
    // Built-in files load from the JSON form build.rs converts them to; the same text under
    // another path loads through the TOML parser. Every rule's metadata must agree.
    let metas = |c: &Catalog| -> Vec<String> {
        c.metas()
            .iter()
            .map(|m| {
                let mut v = serde_json::to_value(&**m).unwrap();
                // The origin names the file, which differs by construction.
                v.as_object_mut().unwrap().remove("origin");
                v.to_string()
            })
            .collect()
    };
    let json = Catalog::load(&embedded_sources()).unwrap();
    let toml: Vec<(String, String)> = embedded_sources()
        .into_iter()
        .map(|(path, text)| (format!("toml/{path}"), text))
        .collect();
    let toml = Catalog::load(&toml).unwrap();
    let (a, b) = (metas(&json), metas(&toml));
    assert!(a.len() > 300, "{}", a.len());
    assert_eq!(a, b);
}

#[test]
fn loading_only_the_inputs_families_finds_the_same() {
    // An on-save scan of one file loads only the built-in rules of its language family: every
    // fixture must get the same findings from that catalog as from the whole one.
    use vigil_core::lang::Family;
    let all_ids = |c: &Catalog| -> Vec<String> { c.metas().iter().map(|m| m.id.clone()).collect() };
    let full = Catalog::builtin().unwrap();
    let full_ids = all_ids(&full);
    let full = RuleSet::new(full, &Selection::default(), RuleOptions::default()).unwrap();
    let sources: Vec<(&str, &str)> = vigil_rules::embedded().collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut checked = [0usize; 2];
    for (slot, family) in [Family::Python, Family::JavaScript].into_iter().enumerate() {
        let only = Catalog::load_for(&sources, Some(&[family])).unwrap();
        let ids = all_ids(&only);
        // Fewer rules, none of them missing from the whole catalogue.
        assert!(ids.len() < full_ids.len() && ids.iter().all(|i| full_ids.contains(i)));
        let only = RuleSet::new(only, &Selection::default(), RuleOptions::default()).unwrap();
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let name = path.to_string_lossy().into_owned();
            let file = vigil_core::SourceFile::new(name.clone(), &bytes);
            if file.language.is_some_and(|l| l.family() != family) {
                continue;
            }
            let findings = |rs: &RuleSet| {
                let mut parse = || {
                    let lang = file.language?;
                    match vigil_core::parse::parse(lang, &file.text, None) {
                        vigil_core::parse::ParseOutcome::Tree(t) => Some(t),
                        _ => None,
                    }
                };
                let mut out = Vec::new();
                rs.check_file(&file, &mut parse, &mut out);
                let mut v: Vec<(String, usize, usize)> = out
                    .iter()
                    .map(|f| (f.rule.id.clone(), f.span.start_line, f.span.start_col))
                    .collect();
                v.sort();
                v
            };
            let expected = findings(&full);
            if file.language.is_some() {
                checked[slot] += expected.len();
            }
            assert_eq!(findings(&only), expected, "{name}");
        }
    }
    // Both families' fixtures were scanned and found something.
    assert!(checked.iter().all(|n| *n > 100), "{checked:?}");
}
