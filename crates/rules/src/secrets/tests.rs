//! Tests over the real rule files and fixtures.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;

/// The repository root: the first ancestor (of the crate dir, or of this source file when its
/// path is absolute) holding `rules/secrets`. `VIGIL_ROOT` overrides.
fn repo_root() -> PathBuf {
    if let Ok(root) = std::env::var("VIGIL_ROOT") {
        return PathBuf::from(root);
    }
    let mut starts = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
    let here = Path::new(file!());
    if here.is_absolute() {
        starts.push(here.to_path_buf());
    } else {
        starts.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(here));
    }
    for start in starts {
        for dir in start.ancestors() {
            if dir.join("rules").join("secrets").is_dir() {
                return dir.to_path_buf();
            }
        }
    }
    panic!(
        "no rules/secrets directory above {}",
        env!("CARGO_MANIFEST_DIR")
    );
}

fn rule_sources() -> Vec<(String, String)> {
    let dir = repo_root().join("rules").join("secrets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let label = format!("rules/secrets/{}", p.file_name().unwrap().to_string_lossy());
            (label, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn builtin() -> SecretRuleSet {
    match SecretRuleSet::load_with_examples(&rule_sources()) {
        Ok(set) => set,
        Err(e) => panic!("{e}"),
    }
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests").join("fixtures").join("secrets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "expect"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_rule_example_passes() {
    let set = builtin();
    let failures = set.check_examples();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_scan_loads_the_builtin_rules_alike_but_without_their_examples() {
    let sources = rule_sources();
    let scan = SecretRuleSet::load(&sources).unwrap();
    let full = SecretRuleSet::load_with_examples(&sources).unwrap();
    assert_eq!(scan.rules().len(), full.rules().len());
    let key = |r: &SecretRule| {
        format!(
            "{:?}",
            (
                (&r.id, &r.title, &r.severity, &r.confidence, &r.description),
                (&r.fix, &r.references, &r.cwe, &r.keywords, &r.regex),
                (r.entropy, &r.validator, r.generic, &r.file),
            )
        )
    };
    for (a, b) in scan.rules().iter().zip(full.rules()) {
        assert!(a.tp.is_empty() && a.fp.is_empty(), "{}", a.id);
        assert!(!b.tp.is_empty() && !b.fp.is_empty(), "{}", b.id);
        assert_eq!(key(a), key(b));
    }
    // A file that is not built in keeps its examples, and still needs them.
    let own = SecretRuleSet::load(&[("good.toml".to_string(), GOOD.to_string())]).unwrap();
    assert_eq!(own.rules()[0].tp, ["tst_ab12cd34"]);
    for field in ["tp", "fp"] {
        let text: String = GOOD
            .lines()
            .filter(|l| !l.starts_with(&format!("{field} =")))
            .map(|l| format!("{l}\n"))
            .collect();
        let e = load_err(&text);
        assert!(e.contains(&format!("`{field}`")), "{e}");
    }
}

#[test]
fn catalogue_is_large_and_ids_are_unique() {
    let set = builtin();
    let providers = set.rules().iter().filter(|r| !r.generic).count();
    assert!(providers >= 120, "only {providers} provider rules");
    let ids: BTreeSet<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), set.rules().len());
}

fn scan_all(set: &SecretRuleSet, path: &str, bytes: &[u8], prefilter: bool) -> Vec<SecretMatch> {
    let mut out = Vec::new();
    let opts = ScanOptions {
        prefilter,
        generic: true,
    };
    set.scan(path, bytes, &opts, &mut out);
    out
}

#[test]
fn prefilter_is_only_an_optimisation() {
    let set = builtin();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for rule in set.rules() {
        for tp in rule.tp.iter().chain(rule.fp.iter()) {
            inputs.push(("example".to_string(), tp.as_bytes().to_vec()));
        }
    }
    for f in fixture_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        inputs.push((name, std::fs::read(&f).unwrap()));
    }
    for (path, bytes) in &inputs {
        let on = scan_all(&set, path, bytes, true);
        let off = scan_all(&set, path, bytes, false);
        assert_eq!(
            on,
            off,
            "prefilter changes findings for {path}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn findings_are_sorted_and_disjoint() {
    let set = builtin();
    for f in fixture_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let out = scan_all(&set, &name, &std::fs::read(&f).unwrap(), true);
        for w in out.windows(2) {
            assert!(w[0].end <= w[1].start, "{name}: overlapping findings");
        }
    }
}

#[test]
fn redaction_never_shows_a_secret() {
    let set = builtin();
    let mut checked = 0;
    for rule in set.rules() {
        for tp in &rule.tp {
            for m in scan_all(&set, "example", tp.as_bytes(), true) {
                let secret = &tp[m.start..m.end];
                assert!(!m.redacted.contains(secret), "{}: {}", rule.id, m.redacted);
                let shown = m.redacted.split('…').next().unwrap();
                assert!(shown.chars().count() <= 4, "{}: {}", rule.id, m.redacted);
                if secret.chars().count() < 12 {
                    assert!(shown.is_empty(), "{}: {}", rule.id, m.redacted);
                }
                assert_eq!(
                    m.fingerprint,
                    fingerprint(&set.rules()[m.rule].id, secret.as_bytes())
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
}

/// Expectations of one fixture: (line, rule id, must match), read by the shared harness
/// (annotations and the `.expect` sidecar).
fn expectations(path: &Path, text: &str) -> Vec<(usize, String, bool)> {
    let mut ex = crate::fixtures::expectations(text);
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    if let Ok(expect) = std::fs::read_to_string(&sidecar) {
        crate::fixtures::add_sidecar(&mut ex, &expect);
    }
    let mut out = Vec::new();
    for (map, positive) in [(&ex.positive, true), (&ex.negative, false)] {
        for (line, ids) in map {
            out.extend(ids.iter().map(|id| (*line, id.clone(), positive)));
        }
    }
    out
}

#[test]
fn fixtures_match_their_annotations() {
    let set = builtin();
    let mut problems = Vec::new();
    let mut positives = 0;
    for f in fixture_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let expected = expectations(&f, &text);
        let found: Vec<(usize, String, String)> = scan_all(&set, &name, &bytes, true)
            .into_iter()
            .map(|m| {
                let line = bytes[..m.start].iter().filter(|&&b| b == b'\n').count() + 1;
                (line, set.rules()[m.rule].id.clone(), m.redacted)
            })
            .collect();
        for (line, id, positive) in &expected {
            let hit = found.iter().any(|(l, r, _)| l == line && r == id);
            if *positive && !hit {
                problems.push(format!("{name}:{line}: missed {id}"));
            }
            if !*positive && hit {
                problems.push(format!("{name}:{line}: unexpected {id} on an ok line"));
            }
            if *positive {
                positives += 1;
            }
        }
        for (line, id, redacted) in &found {
            if !expected.iter().any(|(l, r, p)| *p && l == line && r == id) {
                problems.push(format!(
                    "{name}:{line}: unannotated finding {id} ({redacted})"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(positives >= 30, "only {positives} positive fixture lines");
}

#[test]
fn lock_files_and_minified_assets_are_skipped_by_default() {
    assert!(skipped_by_default("web/package-lock.json"));
    assert!(skipped_by_default("Cargo.lock"));
    assert!(skipped_by_default("go.sum"));
    assert!(skipped_by_default("static/app.min.js"));
    assert!(skipped_by_default("static/app.js.map"));
    assert!(!skipped_by_default("src/app.js"));
    assert!(!skipped_by_default(".env"));
}

#[test]
fn generic_in_test_paths_is_low_confidence() {
    let set = builtin();
    let text = b"DB_PASSWORD=Vq7#pLm2!xR9zT4w\n";
    let prod = scan_all(&set, "config/app.env", text, true);
    let test = scan_all(&set, "tests/app.env", text, true);
    assert_eq!(prod.len(), 1);
    assert_eq!(test.len(), 1);
    assert_eq!(prod[0].confidence, "medium");
    assert_eq!(test[0].confidence, "low");
}

#[test]
fn source_files_do_not_report_code() {
    let set = builtin();
    let code = b"password = get_password()\ntoken = os.environ[\"TOKEN\"]\nif password == \"\":\n    pass\ndef f(password: str, api_key: Optional[str] = None):\n    secret = settings.SECRET\n";
    assert!(scan_all(&set, "app/main.py", code, true).is_empty());
    let js = b"const token = process.env.TOKEN;\nlet password = req.body.password;\nconst apiKey = getKey();\n";
    assert!(scan_all(&set, "src/app.js", js, true).is_empty());
    let lit = b"password = \"Vq7#pLm2!xR9zT4w\"\n";
    assert_eq!(scan_all(&set, "app/main.py", lit, true).len(), 1);
}

#[test]
fn non_utf8_input_is_scanned() {
    let set = builtin();
    let mut bytes = vec![0xff, 0xfe, b'\n'];
    bytes.extend_from_slice(b"API_TOKEN=Vq7pLm2xR9zT4wKd8s\n");
    bytes.push(0xc3);
    assert_eq!(scan_all(&set, "x.env", &bytes, true).len(), 1);
}

fn load_err(text: &str) -> String {
    match SecretRuleSet::load(&[("rules/secrets/bad.toml".to_string(), text.to_string())]) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

const GOOD: &str = r#"
[[rule]]
id = "secret-test-token"
title = "Test token"
keywords = ["tst_"]
regex = '''\b(tst_[a-z0-9]{8})\b'''
description = "A test token."
tp = ["tst_ab12cd34"]
fp = ["tst_ab12"]
"#;

#[test]
fn loader_accepts_a_minimal_rule() {
    let set = SecretRuleSet::load(&[("good.toml".to_string(), GOOD.to_string())]).unwrap();
    assert_eq!(set.rules().len(), 1);
    assert!(set.check_examples().is_empty());
    assert_eq!(set.rules()[0].severity, "high");
    assert_eq!(set.rules()[0].cwe, vec![798]);
}

#[test]
fn loader_errors_name_file_rule_and_field() {
    let bad_regex = GOOD.replace(r"[a-z0-9]{8}", r"[a-z0-9{8}");
    let e = load_err(&bad_regex);
    assert!(
        e.contains("rules/secrets/bad.toml")
            && e.contains("secret-test-token")
            && e.contains("`regex`"),
        "{e}"
    );

    let dup = format!("{GOOD}\n{GOOD}");
    let e = load_err(&dup);
    assert!(
        e.contains("bad.toml")
            && e.contains("secret-test-token")
            && e.contains("`id`")
            && e.contains("duplicate"),
        "{e}"
    );

    let unknown = GOOD.replace("title =", "colour = \"red\"\ntitle =");
    let e = load_err(&unknown);
    assert!(
        e.contains("bad.toml") && e.contains("secret-test-token") && e.contains("`colour`"),
        "{e}"
    );

    let group = GOOD.replace("title =", "secret-group = 3\ntitle =");
    let e = load_err(&group);
    assert!(
        e.contains("secret-test-token") && e.contains("`secret-group`"),
        "{e}"
    );

    let validator = GOOD.replace("title =", "validator = \"luhn\"\ntitle =");
    let e = load_err(&validator);
    assert!(
        e.contains("secret-test-token") && e.contains("`validator`") && e.contains("luhn"),
        "{e}"
    );

    let no_fp = GOOD.replace("fp = [\"tst_ab12\"]", "");
    let e = load_err(&no_fp);
    assert!(e.contains("secret-test-token") && e.contains("`fp`"), "{e}");

    let empty_fp = GOOD.replace("fp = [\"tst_ab12\"]", "fp = []");
    let e = load_err(&empty_fp);
    assert!(e.contains("secret-test-token") && e.contains("`fp`"), "{e}");

    let severity = GOOD.replace("title =", "severity = \"urgent\"\ntitle =");
    let e = load_err(&severity);
    assert!(
        e.contains("secret-test-token") && e.contains("`severity`"),
        "{e}"
    );

    let bad_id = GOOD.replace("secret-test-token", "Secret_Test");
    let e = load_err(&bad_id);
    assert!(e.contains("Secret_Test") && e.contains("`id`"), "{e}");

    let not_toml = load_err("[[rule]\nid = 1");
    assert!(not_toml.contains("bad.toml"), "{not_toml}");
}

#[test]
fn failing_examples_are_reported() {
    let broken = GOOD.replace("tp = [\"tst_ab12cd34\"]", "tp = [\"nothing here\"]");
    let set = SecretRuleSet::load(&[("x.toml".to_string(), broken)]).unwrap();
    let failures = set.check_examples();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("secret-test-token") && failures[0].contains("tp[0]"));
    assert!(failures[0].contains("keywords"), "{}", failures[0]);
}

#[test]
fn deselected_rules_do_not_hide_selected_ones() {
    let set = builtin();
    // a GitHub token inside a basic-auth URL: both rules match the same bytes
    let token = set
        .rules()
        .iter()
        .find(|r| r.id == "secret-github-pat")
        .unwrap()
        .tp[0]
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    let text = format!("https://ci:{token}@git.internal/org/app.git\n");
    let all = scan_all(&set, "deploy.sh", text.as_bytes(), true);
    assert_eq!(all.len(), 1);
    assert_eq!(set.rules()[all[0].rule].id, "secret-github-pat");
    let selected: Vec<bool> = set
        .rules()
        .iter()
        .map(|r| r.id != "secret-github-pat")
        .collect();
    let mut out = Vec::new();
    set.scan_selected(
        "deploy.sh",
        text.as_bytes(),
        &ScanOptions::default(),
        Some(&selected),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(set.rules()[out[0].rule].id, "secret-url-basic-auth");
}

#[test]
fn large_input_scans_quickly() {
    let set = builtin();
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "key_{i} = \"value-{i}\"\nurl: https://example.org/path/{i}?q=token\n# password reminder {i}\n"
        ));
    }
    let start = std::time::Instant::now();
    let out = scan_all(&set, "big.yaml", text.as_bytes(), true);
    let elapsed = start.elapsed();
    assert!(out.is_empty(), "{} findings", out.len());
    assert!(elapsed.as_secs() < 60, "took {elapsed:?}");
}

#[test]
#[ignore]
fn profile_rules() {
    let set = builtin();
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!(
            "key_{i} = \"value-{i}\"\nurl: https://example.org/path/{i}?q=token\n# password reminder {i}\n"
        ));
    }
    let bytes = text.as_bytes();
    let mut times = Vec::new();
    for (i, _) in set.rules().iter().enumerate() {
        let sel: Vec<bool> = (0..set.rules().len()).map(|j| j == i).collect();
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        set.scan_selected(
            "big.yaml",
            bytes,
            &ScanOptions::default(),
            Some(&sel),
            &mut out,
        );
        times.push((start.elapsed(), set.rules()[i].id.clone()));
    }
    times.sort();
    times.reverse();
    for (t, id) in times.iter().take(25) {
        eprintln!("{t:?} {id}");
    }
}

/// Lists secret findings over the code-rule fixtures (run by hand when those change).
#[test]
#[ignore]
fn list_findings_in_code_fixtures() {
    let set = builtin();
    let root = repo_root().join("tests").join("fixtures");
    for lang in ["python", "javascript"] {
        let mut stack = vec![root.join(lang)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let bytes = std::fs::read(&p).unwrap();
                let rel = p
                    .strip_prefix(repo_root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                for m in scan_all(&set, &rel, &bytes, true) {
                    let line = bytes[..m.start].iter().filter(|&&b| b == b'\n').count() + 1;
                    let id = &set.rules()[m.rule].id;
                    let above = if line >= 2 { lines[line - 2] } else { "" };
                    let announced = above.contains(id.as_str());
                    eprintln!(
                        "{}{rel}:{line}: {id} {}",
                        if announced { "  ok " } else { "NEW  " },
                        m.redacted
                    );
                }
            }
        }
    }
}

#[test]
fn crlf_is_not_part_of_a_secret() {
    let set = builtin();
    let text = b"DB_PASSWORD=Vq7pLm2xR9zT4wK#\r\napi_key: \"Zt9qL2vXw8Rk4mPb7sJd\"\r\n";
    let out = scan_all(&set, "a.env", text, true);
    assert_eq!(out.len(), 2);
    for m in &out {
        assert!(!text[m.start..m.end].contains(&b'\r'));
        assert!(!text[m.start..m.end].contains(&b'"'));
    }
}

#[test]
fn secret_ranges_fall_on_char_boundaries() {
    let set = builtin();
    let long = "é".repeat(300);
    let text = format!(
        "password={long}\npassword=\"ünïcödé-Pässwörd-7#x\"\ntoken: Zt9qL2vXw8Rk4mPbé7sJd\n"
    );
    for m in scan_all(&set, "a.env", text.as_bytes(), true) {
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
    }
}

/// Scans the folder named by `SCAN_DIR` and lists every finding (redacted), to review false
/// positives on real code: `SCAN_DIR=... cargo test scan_dir -- --ignored --nocapture`.
#[test]
#[ignore]
fn scan_dir() {
    let Ok(dir) = std::env::var("SCAN_DIR") else {
        return;
    };
    let set = builtin();
    let mut stack = vec![PathBuf::from(&dir)];
    let mut files = 0;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(&dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            if skipped_by_default(&rel) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            if bytes.len() > 1_000_000 || bytes.iter().take(8000).any(|&b| b == 0) {
                continue;
            }
            files += 1;
            for m in scan_all(&set, &rel, &bytes, true) {
                let line = bytes[..m.start].iter().filter(|&&b| b == b'\n').count() + 1;
                let id = &set.rules()[m.rule].id;
                *counts.entry(id.clone()).or_default() += 1;
                let ls = bytes[..m.start]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let context = String::from_utf8_lossy(&bytes[ls..m.start]);
                let context: String = context
                    .chars()
                    .rev()
                    .take(50)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                eprintln!(
                    "{rel}:{line}: {id} [{}] {} | {}",
                    m.confidence,
                    m.redacted,
                    context.trim()
                );
            }
        }
    }
    eprintln!("{files} files");
    for (id, n) in counts {
        eprintln!("{n:6} {id}");
    }
}

#[test]
fn minified_single_line_json_is_linear() {
    let set = builtin();
    let mut text = String::from("{");
    for i in 0..30_000 {
        text.push_str(&format!("\"token{i}\":\"value-{i}\",\"name\":\"key-{i}\","));
    }
    text.push('}');
    let start = std::time::Instant::now();
    let out = scan_all(&set, "data.json", text.as_bytes(), true);
    assert!(out.is_empty(), "{} findings", out.len());
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}

#[test]
fn byte_mode_regexes_keep_matches_on_character_boundaries() {
    // Secret regexes compile without Unicode mode: a value with multi-byte characters is still
    // found whole (its quotes delimit it), and no match may split a character.
    let set = builtin();
    let text = "SECRET_KEY = 'é3kq9Zp0x7Wm2Lr8Tb5Yc1Nv6Hd4Gf'\n";
    let found = scan_all(&set, "settings.py", text.as_bytes(), true);
    let ids: Vec<&str> = found
        .iter()
        .map(|m| set.rules()[m.rule].id.as_str())
        .collect();
    assert!(ids.contains(&"secret-django-secret-key"), "{ids:?}");
    for m in &found {
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        assert_eq!(&text[m.start..m.end], "é3kq9Zp0x7Wm2Lr8Tb5Yc1Nv6Hd4Gf");
    }
    // Wide characters everywhere: whatever matches, every span is on character boundaries.
    let wide = "password = \"ééééééééééééééééééééééééé\"\napi_key: ñ€𝄞ñ€𝄞ñ€𝄞ñ€𝄞ñ€𝄞\n";
    for m in scan_all(&set, "config.yml", wide.as_bytes(), true) {
        assert!(wide.is_char_boundary(m.start) && wide.is_char_boundary(m.end));
    }
}
