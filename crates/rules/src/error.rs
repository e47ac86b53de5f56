//! Rule loading errors: each names the file, the rule and the field.

use std::fmt;

/// A rule file or rule that failed to load or validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule file (`rules/python/x.toml` or a user path).
    pub file: String,
    /// The rule id, when known.
    pub rule: Option<String>,
    /// The field at fault, when known.
    pub field: Option<String>,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl RuleError {
    /// An error in `file`.
    pub fn new(file: &str, message: impl Into<String>) -> RuleError {
        RuleError {
            file: file.to_owned(),
            rule: None,
            field: None,
            line: None,
            message: message.into(),
        }
    }

    /// Names the rule.
    pub fn rule(mut self, id: &str) -> RuleError {
        self.rule = Some(id.to_owned());
        self
    }

    /// Names the field.
    pub fn field(mut self, field: &str) -> RuleError {
        self.field = Some(field.to_owned());
        self
    }

    /// Names the line.
    pub fn line(mut self, line: usize) -> RuleError {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        f.write_str(":")?;
        if let Some(r) = &self.rule {
            write!(f, " rule `{r}`:")?;
        }
        if let Some(k) = &self.field {
            write!(f, " field `{k}`:")?;
        }
        write!(f, " {}", self.message)
    }
}

impl std::error::Error for RuleError {}

/// The 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Deserializes one rule file: a built-in file from the JSON form `build.rs` made of it (faster
/// to read, at every start), anything else (or a built-in whose JSON would not load) from its
/// TOML text, with parse errors naming the line and, when it can be read, the rule id.
pub(crate) fn read_rule_file<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, RuleError> {
    if let Some(v) = crate::builtin_json(file, text).and_then(|j| serde_json::from_str(j).ok()) {
        return Ok(v);
    }
    toml::from_str(text).map_err(|e| {
        let mut err = RuleError::new(file, e.message().to_owned());
        if let Some(span) = e.span() {
            err = err.line(line_of(text, span.start));
        }
        if let Ok(v) = text.parse::<toml::Table>() {
            if let Some(id) = v.get("id").and_then(|x| x.as_str()) {
                err = err.rule(id);
            }
        }
        err
    })
}
