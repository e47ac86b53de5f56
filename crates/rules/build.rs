//! Embeds every rule file under the repository's `rules/` folder into the binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// A secret rule file's table without its rules' `tp` and `fp` examples.
fn without_examples(mut t: toml::Table) -> toml::Table {
    if let Some(toml::Value::Array(rules)) = t.get_mut("rule") {
        for r in rules {
            if let toml::Value::Table(r) = r {
                r.remove("tp");
                r.remove("fp");
            }
        }
    }
    t
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut files = Vec::new();
    collect(&rules, &mut files);
    // Sorted by the path as a string (all share the root prefix): the loader binary-searches it.
    files.sort_by_key(|f| f.to_string_lossy().replace('\\', "/"));
    // Each file also goes in as JSON: serde_json reads the whole catalogue several times faster
    // than the TOML parser, and every run loads it. A secret rule's JSON has no `tp`/`fp`
    // examples: a scan does not use them (a third of the secret rules' bytes), and whoever runs
    // them reads the TOML text. A file that is not valid TOML gets no JSON; it then loads from
    // its TOML text and fails there with the TOML parser's message.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let json_dir = out_dir.join("json");
    if let Err(e) = std::fs::create_dir_all(&json_dir) {
        panic!("cannot create {}: {e}", json_dir.display());
    }
    let mut src = String::from(
        "/// Rule files embedded at build time: (path relative to the repository, TOML text, the\n\
         /// same as JSON if it is valid TOML).\n\
         pub static EMBEDDED: &[(&str, &str, Option<&str>)] = &[\n",
    );
    for (i, f) in files.iter().enumerate() {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let json = text
            .parse::<toml::Table>()
            .ok()
            .map(|t| {
                if rel.starts_with("rules/secrets/") {
                    without_examples(t)
                } else {
                    t
                }
            })
            .and_then(|t| serde_json::to_string(&t).ok())
            .map(|j| {
                let path = json_dir.join(format!("{i}.json"));
                if let Err(e) = std::fs::write(&path, j) {
                    panic!("cannot write {}: {e}", path.display());
                }
                format!("Some(include_str!({:?}))", path.display().to_string())
            })
            .unwrap_or_else(|| "None".to_owned());
        let _ = writeln!(
            src,
            "    ({rel:?}, include_str!({:?}), {json}),",
            f.display().to_string()
        );
    }
    src.push_str("];\n");
    let out = out_dir.join("embedded.rs");
    if let Err(e) = std::fs::write(&out, src) {
        panic!("cannot write {}: {e}", out.display());
    }
}
