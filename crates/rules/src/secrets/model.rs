//! Secret rule model: the raw TOML shape, the validated and compiled rule, and load errors.

use std::sync::OnceLock;

use regex::bytes::Regex;
use serde::Deserialize;

use super::validate::Validator;

/// Severity names accepted in rule files.
pub const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "info"];
/// Confidence names accepted in rule files.
pub const CONFIDENCES: &[&str] = &["high", "medium", "low"];

/// Fix hint used when a rule does not give one.
pub const DEFAULT_FIX: &str =
    "Revoke and rotate this credential, then load it at run time from the \
environment or a secret manager instead of keeping it in the file.";

/// An error found while loading secret rules. Every message names the file label, the rule id
/// (when known) and the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum SecretRuleError {
    /// The file is not valid TOML or does not have the rule-file shape (includes unknown fields).
    #[error("{file}: rule {rule}: field `{field}`: {message}")]
    Parse {
        /// File label as given to the loader.
        file: String,
        /// Rule id, or `?` when the parser could not tell.
        rule: String,
        /// Field name, or `?` when the parser could not tell.
        field: String,
        /// What the TOML parser reported.
        message: String,
    },
    /// A field has a value outside its allowed set or shape.
    #[error("{file}: rule {rule}: field `{field}`: {message}")]
    Invalid {
        /// File label as given to the loader.
        file: String,
        /// Rule id.
        rule: String,
        /// Field name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A regex field does not compile.
    #[error("{file}: rule {rule}: field `{field}`: invalid regex: {message}")]
    Regex {
        /// File label as given to the loader.
        file: String,
        /// Rule id.
        rule: String,
        /// Field name (`regex` or `allow`).
        field: String,
        /// The regex compiler's message.
        message: String,
    },
    /// Two rules share an id.
    #[error("{file}: rule {rule}: field `id`: duplicate id (first defined in {first})")]
    DuplicateId {
        /// File label of the second definition.
        file: String,
        /// The duplicated id.
        rule: String,
        /// File label of the first definition.
        first: String,
    },
    /// The keyword prefilter could not be built.
    #[error("{file}: rule {rule}: field `keywords`: {message}")]
    Keywords {
        /// File label (`*` when the failure concerns all files).
        file: String,
        /// Rule id (`*` when the failure concerns all rules).
        rule: String,
        /// The automaton builder's message.
        message: String,
    },
}

/// One rule file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub rule: Vec<toml::Value>,
}

/// One `[[rule]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawRule {
    pub id: String,
    pub title: String,
    pub severity: Option<String>,
    pub confidence: Option<String>,
    pub keywords: Vec<String>,
    pub regex: String,
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    pub validator: Option<String>,
    pub description: String,
    pub fix: Option<String>,
    pub references: Option<Vec<String>>,
    pub cwe: Option<Vec<u32>>,
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub placeholder_filter: bool,
    #[serde(default)]
    pub allow: Vec<String>,
    /// Absent only from a built-in file's JSON form (see [`parse_file`]).
    #[serde(default)]
    pub tp: Vec<String>,
    #[serde(default)]
    pub fp: Vec<String>,
}

/// Compiles a secret regex without Unicode mode where it can: secrets are ASCII, and Unicode
/// classes under bounded repetition (`[^"'\s]{20,200}`) compile into large UTF-8 automata (the
/// whole catalogue: ~270 ms with Unicode, ~80 ms without). `\s`, `\w`, `\d` and `(?i)` are
/// then ASCII-only. A regex that needs Unicode (a `\p{..}` class, a non-ASCII literal) falls
/// back to it. Matches may then end inside a multi-byte character: the scanner drops those.
fn compile(source: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(source)
        .unicode(false)
        .build()
        .or_else(|_| Regex::new(source))
}

/// A regex compiled on first use: a process that scans one file compiles only the regexes whose
/// keywords occur in it. Built-in rules are validated by the test suite (which loads each of
/// them eagerly too) and are not even parsed at load; other rules are compiled at load (`eager`),
/// so that one the regex compiler rejects (for example over its size limit) fails there, naming
/// its file, rule and field.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    source: String,
    cell: OnceLock<Option<Regex>>,
    /// Capture groups, group 0 included (known at load only when eager).
    captures_len: Option<usize>,
}

impl LazyRegex {
    fn new(
        file: &str,
        rule: &str,
        field: &str,
        source: &str,
        eager: bool,
    ) -> Result<LazyRegex, SecretRuleError> {
        let error = |message: String| SecretRuleError::Regex {
            file: file.to_string(),
            rule: rule.to_string(),
            field: field.to_string(),
            message,
        };
        let cell = OnceLock::new();
        let captures_len = if eager {
            let regex = compile(source).map_err(|e| error(e.to_string()))?;
            let n = regex.captures_len();
            let _ = cell.set(Some(regex));
            Some(n)
        } else {
            None
        };
        Ok(LazyRegex {
            source: source.to_string(),
            cell,
            captures_len,
        })
    }

    /// The compiled regex; `None` only if a syntax-checked built-in regex fails to compile.
    pub(crate) fn get(&self) -> Option<&Regex> {
        self.cell
            .get_or_init(|| compile(&self.source).ok())
            .as_ref()
    }

    pub(crate) fn is_match(&self, bytes: &[u8]) -> bool {
        self.get().is_some_and(|r| r.is_match(bytes))
    }

    /// The number of capture groups, group 0 included, if known at load.
    fn captures_len(&self) -> Option<usize> {
        self.captures_len
    }
}

/// How a rule finds candidates.
#[derive(Debug)]
pub(crate) enum Matcher {
    /// A regex over the file's bytes; the capture group holds the secret (`None`: group 1 if
    /// the regex has one, else the whole match; resolved when the regex compiles).
    Pattern {
        regex: LazyRegex,
        group: Option<usize>,
    },
    /// A regex over normalised key names (`db_password`, `github_token`) of the key/value pairs
    /// that the generic scanner extracts; the value is the secret.
    Generic { key: LazyRegex },
}

/// A validated, compiled secret rule.
#[derive(Debug)]
pub struct SecretRule {
    /// Stable id, `secret-...`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// Markdown description.
    pub description: String,
    /// Fix hint.
    pub fix: String,
    /// Reference URLs.
    pub references: Vec<String>,
    /// CWE numbers.
    pub cwe: Vec<u32>,
    /// Literal keywords (matched ASCII case-insensitively) gating the rule.
    pub keywords: Vec<String>,
    /// The regex as written.
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret, if any.
    pub entropy: Option<f64>,
    /// Name of the structural validator, if any.
    pub validator: Option<String>,
    /// True for key/value (generic) rules.
    pub generic: bool,
    /// Inline true-positive examples.
    pub tp: Vec<String>,
    /// Inline false-positive examples.
    pub fp: Vec<String>,
    /// The label of the file the rule came from.
    pub file: String,
    pub(crate) matcher: Matcher,
    pub(crate) validator_kind: Option<Validator>,
    pub(crate) placeholder_filter: bool,
    pub(crate) allow: Vec<LazyRegex>,
}

fn invalid(file: &str, rule: &str, field: &str, message: impl Into<String>) -> SecretRuleError {
    SecretRuleError::Invalid {
        file: file.to_string(),
        rule: rule.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// Pull the field name out of a serde message such as "unknown field `foo`, expected ...".
fn field_from_message(message: &str) -> String {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(pos) = message.find(marker) {
            let rest = &message[pos + marker.len()..];
            if let Some(end) = rest.find('`') {
                return rest[..end].to_string();
            }
        }
    }
    "?".to_string()
}

fn is_kebab_id(id: &str) -> bool {
    id.starts_with("secret-")
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads a built-in file's JSON form (see `build.rs`).
pub(crate) fn parse_json(json: &str) -> Option<Vec<RawRule>> {
    #[derive(Deserialize)]
    struct JsonFile {
        rule: Vec<RawRule>,
    }
    serde_json::from_str::<JsonFile>(json).ok().map(|f| f.rule)
}

/// Parse one file into raw rules, reporting parse errors with the rule id when it can be found.
/// Also says whether the rules came with their `tp` and `fp` examples: a built-in file is read
/// from its JSON form, converted at build time without them (a third of its bytes, and only
/// tests and `vigil rules test` run them), unless `examples` asks for them.
pub(crate) fn parse_file(
    file: &str,
    text: &str,
    examples: bool,
) -> Result<(Vec<RawRule>, bool), SecretRuleError> {
    // Built-in files are valid by the test suite; should one not load from JSON, the TOML
    // path below reports why.
    if !examples {
        if let Some(rules) = crate::builtin_json(file, text).and_then(parse_json) {
            return Ok((rules, false));
        }
    }
    let raw: RawFile = toml::from_str(text).map_err(|e| SecretRuleError::Parse {
        file: file.to_string(),
        rule: "?".to_string(),
        field: field_from_message(e.message()),
        message: e.message().to_string(),
    })?;
    let mut out = Vec::with_capacity(raw.rule.len());
    for (index, value) in raw.rule.into_iter().enumerate() {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", index + 1));
        let rule: RawRule = value.try_into().map_err(|e: toml::de::Error| {
            let message = e.message().to_string();
            SecretRuleError::Parse {
                file: file.to_string(),
                rule: id.clone(),
                field: field_from_message(&message),
                message,
            }
        })?;
        out.push(rule);
    }
    Ok((out, true))
}

/// Validate and compile one raw rule; `eager` compiles its regexes now (see [`LazyRegex`]);
/// `examples`: the rule was read with its examples, which must then be there.
pub(crate) fn compile_rule(
    file: &str,
    raw: RawRule,
    eager: bool,
    examples: bool,
) -> Result<SecretRule, SecretRuleError> {
    let id = raw.id.clone();
    if !is_kebab_id(&id) {
        return Err(invalid(
            file,
            &id,
            "id",
            "must be kebab-case and start with `secret-`",
        ));
    }
    if raw.title.trim().is_empty() || raw.title.contains('\n') {
        return Err(invalid(file, &id, "title", "must be one non-empty line"));
    }
    if raw.description.trim().is_empty() {
        return Err(invalid(file, &id, "description", "must not be empty"));
    }
    let severity = raw.severity.unwrap_or_else(|| "high".to_string());
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(invalid(
            file,
            &id,
            "severity",
            format!("`{severity}` is not one of {}", SEVERITIES.join(", ")),
        ));
    }
    let confidence = raw.confidence.unwrap_or_else(|| "high".to_string());
    if !CONFIDENCES.contains(&confidence.as_str()) {
        return Err(invalid(
            file,
            &id,
            "confidence",
            format!("`{confidence}` is not one of {}", CONFIDENCES.join(", ")),
        ));
    }
    if raw.keywords.is_empty() || raw.keywords.iter().any(|k| k.trim().is_empty()) {
        return Err(invalid(
            file,
            &id,
            "keywords",
            "needs at least one non-empty keyword",
        ));
    }
    if examples && raw.tp.is_empty() {
        return Err(invalid(
            file,
            &id,
            "tp",
            "needs at least one true-positive example",
        ));
    }
    if examples && raw.fp.is_empty() {
        return Err(invalid(
            file,
            &id,
            "fp",
            "needs at least one false-positive example",
        ));
    }
    if let Some(e) = raw.entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(invalid(file, &id, "entropy", "must be between 0 and 8"));
        }
    }
    if let Some(cwe) = &raw.cwe {
        if cwe.is_empty() {
            return Err(invalid(file, &id, "cwe", "must list at least one CWE"));
        }
    }
    let validator_kind = match &raw.validator {
        None => None,
        Some(name) => Some(Validator::from_name(name).ok_or_else(|| {
            invalid(
                file,
                &id,
                "validator",
                format!(
                    "unknown validator `{name}` (known: {})",
                    Validator::NAMES.join(", ")
                ),
            )
        })?),
    };
    let regex = LazyRegex::new(file, &id, "regex", &raw.regex, eager)?;
    let matcher = if raw.generic {
        if raw.secret_group.is_some() {
            return Err(invalid(
                file,
                &id,
                "secret-group",
                "generic rules take the value of the key/value pair; remove secret-group",
            ));
        }
        Matcher::Generic { key: regex }
    } else {
        let groups = regex.captures_len().map(|n| n - 1);
        let group = match (raw.secret_group, groups) {
            (Some(g), Some(groups)) if g > groups => {
                return Err(invalid(
                    file,
                    &id,
                    "secret-group",
                    format!("group {g} does not exist (the regex has {groups} capture groups)"),
                ))
            }
            (Some(g), _) => Some(g),
            (None, Some(groups)) => Some(usize::from(groups >= 1)),
            (None, None) => None,
        };
        Matcher::Pattern { regex, group }
    };
    let mut allow = Vec::with_capacity(raw.allow.len());
    for pattern in &raw.allow {
        allow.push(LazyRegex::new(file, &id, "allow", pattern, eager)?);
    }
    Ok(SecretRule {
        id,
        title: raw.title,
        severity,
        confidence,
        description: raw.description,
        fix: raw.fix.unwrap_or_else(|| DEFAULT_FIX.to_string()),
        references: raw.references.unwrap_or_default(),
        cwe: raw.cwe.unwrap_or_else(|| vec![798]),
        keywords: raw.keywords,
        regex: raw.regex,
        entropy: raw.entropy,
        validator: raw.validator,
        generic: raw.generic,
        tp: raw.tp,
        fp: raw.fp,
        file: file.to_string(),
        matcher,
        validator_kind,
        placeholder_filter: raw.placeholder_filter,
        allow,
    })
}
