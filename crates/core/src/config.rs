//! Project configuration: `vigil.toml` or `.vigil.toml` in the scan root or a parent up to the
//! repository root, or `[tool.vigil]` in `pyproject.toml`.
//!
//! Unknown keys, wrong types, bad globs, bad regexes and bad severities are errors that name
//! the file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::finding::{Confidence, Finding, Severity};

/// A configuration error, with the file, line and key.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// The key concerned.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Secrets allowlist.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretsConfig {
    /// Path globs where secret findings are not reported.
    #[serde(default)]
    pub allow_paths: Vec<Spanned<String>>,
    /// Regexes; a secret finding whose (redacted) line matches one is not reported.
    #[serde(default)]
    pub allow_regexes: Vec<Spanned<String>>,
    /// SHA-256 hashes of accepted secrets (the `secret.hash` of a finding in JSON output).
    #[serde(default)]
    pub allow_hashes: Vec<String>,
}

/// The configuration keys.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Only report findings in paths matching these globs (empty: everywhere).
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Never report findings in paths matching these globs.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Rules to run: ids, prefixes or `CWE-N` (the command line's `--select` wins).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run (the command line's `--ignore` adds to these).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<String>>,
    /// `critical`, `high`, `medium`, `low` or `never`.
    pub fail_on: Option<Spanned<String>>,
    /// Drop findings below this confidence (`low`, `medium`, `high`).
    pub min_confidence: Option<Spanned<String>>,
    /// Extra rule folders, relative to the configuration file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Honour inline suppressions (default true).
    pub allow_suppressions: Option<bool>,
    /// Honour other tools' comments: nosec, noqa: S..., nosemgrep, gitleaks:allow,
    /// pragma: allowlist secret (default true).
    pub suppression_compat: Option<bool>,
    /// Secrets allowlist.
    #[serde(default)]
    pub secrets: SecretsConfig,
}

#[derive(Deserialize)]
struct PyProject {
    #[serde(default)]
    tool: Option<PyTool>,
}

#[derive(Deserialize)]
struct PyTool {
    #[serde(default)]
    vigil: Option<Config>,
}

/// A loaded configuration and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The file, if one was found.
    pub file: Option<PathBuf>,
    /// The keys.
    pub config: Config,
    /// Compiled `include`/`exclude`/`secrets.allow-paths` globs and regexes.
    compiled: Compiled,
}

#[derive(Debug, Clone, Default)]
struct Compiled {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
    secret_paths: Option<globset::GlobSet>,
    secret_regexes: Vec<regex::Regex>,
    severity: BTreeMap<String, Severity>,
    min_confidence: Option<Confidence>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The key named in a serde error message (`unknown field `x``), if any.
fn key_in(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "(document)".to_owned())
}

impl Loaded {
    /// Finds the configuration for `start`: the first `vigil.toml`, `.vigil.toml` or
    /// `pyproject.toml` with `[tool.vigil]` in it or a parent, stopping at the repository root
    /// (a folder holding `.git`).
    pub fn discover(start: &Path) -> Result<Loaded, ConfigError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            for name in ["vigil.toml", ".vigil.toml"] {
                let p = d.join(name);
                if p.is_file() {
                    return Loaded::from_file(&p);
                }
            }
            let py = d.join("pyproject.toml");
            if py.is_file() {
                let loaded = Loaded::from_file(&py)?;
                if loaded.file.is_some() {
                    return Ok(loaded);
                }
            }
            if d.join(".git").exists() {
                break;
            }
            dir = d.parent();
        }
        Ok(Loaded::default())
    }

    /// Loads one file (`pyproject.toml`: its `[tool.vigil]` table; none: an empty
    /// configuration with `file` unset).
    pub fn from_file(path: &Path) -> Result<Loaded, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: name.clone(),
            line: 0,
            key: "(file)".to_owned(),
            message: format!("cannot be read: {e}"),
        })?;
        let is_py = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let err = |e: toml::de::Error| ConfigError {
            file: name.clone(),
            line: e.span().map(|s| line_of(&text, s.start)).unwrap_or(0),
            key: key_in(e.message()),
            message: e.message().to_owned(),
        };
        let config = if is_py {
            let py: PyProject = toml::from_str(&text).map_err(err)?;
            match py.tool.and_then(|t| t.vigil) {
                Some(c) => c,
                None => return Ok(Loaded::default()),
            }
        } else {
            toml::from_str::<Config>(&text).map_err(err)?
        };
        let compiled = compile(&config, &name, &text)?;
        let mut config = config;
        let base = path.parent().unwrap_or(Path::new("."));
        config.rules = config.rules.iter().map(|r| base.join(r)).collect();
        Ok(Loaded {
            file: Some(path.to_path_buf()),
            config,
            compiled,
        })
    }

    /// Applies severity overrides, drops findings below `min-confidence`, outside `include`,
    /// inside `exclude`, and allowlisted secrets.
    pub fn filter_findings(&self, findings: &mut Vec<Finding>) {
        let c = &self.compiled;
        let allowed_hashes = &self.config.secrets.allow_hashes;
        findings.retain(|f| {
            if c.include.as_ref().is_some_and(|g| !g.is_match(&f.path)) {
                return false;
            }
            if c.exclude.as_ref().is_some_and(|g| g.is_match(&f.path)) {
                return false;
            }
            if c.min_confidence.is_some_and(|m| f.confidence < m) {
                return false;
            }
            if let Some(s) = &f.secret {
                if allowed_hashes.contains(&s.hash)
                    || c.secret_paths.as_ref().is_some_and(|g| g.is_match(&f.path))
                    || c.secret_regexes.iter().any(|r| r.is_match(&f.snippet))
                {
                    return false;
                }
            }
            true
        });
        for f in findings.iter_mut() {
            if let Some(s) = c.severity.get(&f.rule.id) {
                f.severity = *s;
            }
        }
    }

    /// The effective configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.config).unwrap_or_default()
    }
}

fn compile(c: &Config, file: &str, text: &str) -> Result<Compiled, ConfigError> {
    let at = |key: &str, span: std::ops::Range<usize>, message: String| ConfigError {
        file: file.to_owned(),
        line: line_of(text, span.start),
        key: key.to_owned(),
        message,
    };
    let globs =
        |key: &str, list: &[Spanned<String>]| -> Result<Option<globset::GlobSet>, ConfigError> {
            if list.is_empty() {
                return Ok(None);
            }
            let mut b = globset::GlobSetBuilder::new();
            for g in list {
                let glob = globset::GlobBuilder::new(g.get_ref())
                    .literal_separator(false)
                    .build()
                    .map_err(|e| at(key, g.span(), format!("bad glob `{}`: {e}", g.get_ref())))?;
                b.add(glob);
            }
            b.build()
                .map(Some)
                .map_err(|e| at(key, list[0].span(), e.to_string()))
        };
    let mut severity = BTreeMap::new();
    for (rule, s) in &c.severity {
        let v: Severity = s
            .get_ref()
            .parse()
            .map_err(|e: String| at(&format!("severity.{rule}"), s.span(), e))?;
        severity.insert(rule.clone(), v);
    }
    let min_confidence = match &c.min_confidence {
        Some(s) => Some(
            s.get_ref()
                .parse::<Confidence>()
                .map_err(|e| at("min-confidence", s.span(), e))?,
        ),
        None => None,
    };
    if let Some(f) = &c.fail_on {
        let v = f.get_ref().as_str();
        if !["critical", "high", "medium", "low", "never"].contains(&v) {
            return Err(at(
                "fail-on",
                f.span(),
                format!("`{v}` is not one of critical, high, medium, low, never"),
            ));
        }
    }
    let mut secret_regexes = Vec::new();
    for r in &c.secrets.allow_regexes {
        secret_regexes.push(
            regex::Regex::new(r.get_ref())
                .map_err(|e| at("secrets.allow-regexes", r.span(), format!("bad regex: {e}")))?,
        );
    }
    Ok(Compiled {
        include: globs("include", &c.include)?,
        exclude: globs("exclude", &c.exclude)?,
        secret_paths: globs("secrets.allow-paths", &c.secrets.allow_paths)?,
        secret_regexes,
        severity,
        min_confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError {
            file: String::new(),
            line: 0,
            key: String::new(),
            message: e.to_string(),
        })?;
        let p = dir.path().join("vigil.toml");
        let _ = std::fs::write(&p, text);
        Loaded::from_file(&p)
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = load("select = [\"py-\"]\n\nfail-onn = \"high\"\n").err();
        let e = e.map(|e| (e.line, e.key));
        assert_eq!(e, Some((3, "fail-onn".to_owned())));
    }

    #[test]
    fn bad_glob_and_severity() {
        assert_eq!(load("exclude = [\"a/[\"]\n").err().map(|e| e.line), Some(1));
        let e = load("[severity]\npy-x = \"urgent\"\n").err();
        assert_eq!(
            e.map(|e| (e.line, e.key)),
            Some((2, "severity.py-x".to_owned()))
        );
    }
}
