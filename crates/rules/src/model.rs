//! The code-rule model: raw TOML (deserialized strictly), validated into compiled rules.

use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;
use vigil_core::lang::Family;
use vigil_core::{Confidence, RuleMeta, Severity};

use crate::error::RuleError;

/// A code rule as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCodeRule {
    id: String,
    language: String,
    title: String,
    message: String,
    severity: String,
    confidence: String,
    cwe: Vec<u32>,
    owasp: String,
    fix: String,
    description: String,
    references: Vec<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    tags: Vec<String>,
    example: RawExample,
    #[serde(rename = "match")]
    matcher: RawMatch,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    vulnerable: String,
    fixed: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMatch {
    call: Option<Vec<String>>,
    reference: Option<Vec<String>>,
    import: Option<Vec<String>>,
    query: Option<String>,
    text: Option<String>,
    #[serde(default)]
    arg: Vec<RawArg>,
    #[serde(default)]
    capture: Vec<RawCapture>,
    #[serde(default)]
    triggers: Vec<String>,
    context: Option<RawContext>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawArg {
    position: Option<usize>,
    name: Option<String>,
    is: Option<Vec<String>>,
    equals: Option<toml::Value>,
    not_equals: Option<toml::Value>,
    none: Option<bool>,
    regex: Option<String>,
    names: Option<Vec<String>>,
    not_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCapture {
    name: String,
    is: Option<Vec<String>>,
    regex: Option<String>,
    not_regex: Option<String>,
    names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawContext {
    #[serde(default)]
    not_in_tests: bool,
    #[serde(default)]
    not_in_main: bool,
    path: Option<String>,
    names: Option<String>,
}

/// How a value was written, as far as one file can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A literal written in place.
    Literal,
    /// Known through same-scope constants.
    Constant,
    /// A string built with at least one non-constant part.
    Formatted,
    /// Any other non-constant value.
    Dynamic,
    /// Absent.
    Missing,
    /// Derived from request data (JavaScript: `req.query`, `req.body`, ...); not a kind of its
    /// own but a property checked alongside the others (see `Model::is_request`).
    Request,
}

impl Kind {
    fn parse(s: &str) -> Option<Vec<Kind>> {
        Some(match s {
            "literal" => vec![Kind::Literal],
            "constant" => vec![Kind::Constant],
            "formatted" => vec![Kind::Formatted],
            "dynamic" => vec![Kind::Dynamic],
            "missing" => vec![Kind::Missing],
            "non-constant" => vec![Kind::Formatted, Kind::Dynamic],
            "request" => vec![Kind::Request],
            _ => return None,
        })
    }
}

/// A literal value for `equals`.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// None / null / undefined.
    None,
}

/// A compiled argument constraint.
#[derive(Debug, Clone)]
pub struct ArgCheck {
    /// Position (0-based).
    pub position: Option<usize>,
    /// Keyword or option path.
    pub name: Option<String>,
    /// Accepted kinds (empty = any present value).
    pub kinds: Vec<Kind>,
    /// Literal equality.
    pub equals: Option<Lit>,
    /// Literal inequality (argument must be present).
    pub not_equals: Option<Lit>,
    /// Regex on the string value.
    pub regex: Option<LazyRe>,
    /// The value resolves to one of these names.
    pub names: Vec<String>,
    /// The value is present and resolves to none of these names.
    pub not_names: Vec<String>,
}

/// A compiled capture constraint.
#[derive(Debug, Clone)]
pub struct CaptureCheck {
    /// Capture name.
    pub name: String,
    /// Accepted kinds.
    pub kinds: Vec<Kind>,
    /// Regex on the capture's text.
    pub regex: Option<LazyRe>,
    /// Negative regex on the capture's text.
    pub not_regex: Option<LazyRe>,
    /// Resolves to one of these names.
    pub names: Vec<String>,
}

/// Context restrictions.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// No findings in test files or functions.
    pub not_in_tests: bool,
    /// No findings under `if __name__ == "__main__":`.
    pub not_in_main: bool,
    /// Only paths matching.
    pub path: Option<LazyRe>,
    /// Only in a security-relevant naming context.
    pub names: Option<LazyRe>,
}

/// What a code rule matches.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Calls to qualified names, with argument constraints.
    Call {
        /// Qualified names (`*` suffix = prefix; `*.m` = any receiver).
        names: Vec<String>,
        /// All must hold.
        args: Vec<ArgCheck>,
    },
    /// References to qualified names.
    Reference(Vec<String>),
    /// Imports of modules.
    Import(Vec<String>),
    /// A tree-sitter query, with capture constraints.
    Query {
        /// The query source.
        source: String,
        /// Constraints.
        captures: Vec<CaptureCheck>,
    },
    /// A regex over the text.
    Text(LazyRe),
}

/// A validated code rule.
#[derive(Debug, Clone)]
pub struct CodeRule {
    /// Metadata shared with findings and reports.
    pub meta: Arc<RuleMeta>,
    /// Python or JavaScript.
    pub family: Family,
    /// The match.
    pub matcher: Matcher,
    /// Context restrictions.
    pub context: Context,
    /// Prefilter: the rule can only match a file whose text holds every string of one of these
    /// alternatives (empty: always runs). Derived from the names the rule matches (each name's
    /// dotted segments: `requests.get` needs `requests` and `get`) and the keyword arguments it
    /// needs present (`verify=False` needs `verify`), or given as `match.triggers` (each one an
    /// alternative).
    pub triggers: Vec<Vec<String>>,
}

/// The metadata every rule kind (code, taint) writes, borrowed from its raw TOML form.
pub(crate) struct MetaText<'a> {
    pub(crate) severity: &'a str,
    pub(crate) confidence: &'a str,
    pub(crate) cwe: &'a [u32],
    pub(crate) owasp: &'a str,
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    pub(crate) fix: &'a str,
    pub(crate) description: &'a str,
    pub(crate) example_vulnerable: &'a str,
    pub(crate) example_fixed: &'a str,
    pub(crate) references: &'a [String],
}

/// Validates the metadata shared by code and taint rules: severity, confidence, at least one
/// CWE, an OWASP Top 10 2021 category, non-empty texts and references. Errors name the file,
/// the rule and the field.
pub(crate) fn check_meta(
    file: &str,
    id: &str,
    m: &MetaText<'_>,
) -> Result<(Severity, Confidence), RuleError> {
    let e = |field: &str, msg: String| RuleError::new(file, msg).rule(id).field(field);
    let severity: Severity = m.severity.parse().map_err(|x| e("severity", x))?;
    let confidence: Confidence = m.confidence.parse().map_err(|x| e("confidence", x))?;
    if m.cwe.is_empty() {
        return Err(e("cwe", "at least one CWE is required".to_owned()));
    }
    if !m.owasp.starts_with('A') || !m.owasp.contains(":2021") {
        return Err(e(
            "owasp",
            format!(
                "`{}` is not an OWASP Top 10 2021 category like `A03:2021-Injection`",
                m.owasp
            ),
        ));
    }
    for (field, value) in [
        ("title", m.title),
        ("message", m.message),
        ("fix", m.fix),
        ("description", m.description),
        ("example.vulnerable", m.example_vulnerable),
        ("example.fixed", m.example_fixed),
    ] {
        if value.trim().is_empty() {
            return Err(e(field, "must not be empty".to_owned()));
        }
    }
    if m.references.is_empty() {
        return Err(e(
            "references",
            "at least one reference is required".to_owned(),
        ));
    }
    Ok((severity, confidence))
}

/// True for a kebab-case id with the given prefix.
pub fn valid_id(id: &str, prefix: &str) -> bool {
    id.starts_with(prefix)
        && id.len() > prefix.len()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// A code rule's regex, compiled on first use: built-in rules (which the test suite also loads
/// eagerly) are not compiled at load, and a run compiles only the regexes of the rules its files
/// reach. User rules compile theirs at load, so that an invalid one fails there.
#[derive(Debug, Clone)]
pub struct LazyRe {
    source: String,
    forms: crate::regexes::TwoForms,
}

impl LazyRe {
    /// The compiled regex (`None` only for a built-in regex that fails to compile, which the
    /// test suite rules out). Matching goes through [`LazyRe::is_match`] and
    /// [`LazyRe::for_each_match`], which spare ASCII text the Unicode automata.
    pub fn get(&self) -> Option<&Regex> {
        self.forms.full(&self.source)
    }

    /// The regex's source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the regex compiles and matches `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.forms.is_match(&self.source, text)
    }

    /// Calls `f` with the byte range of each successive non-overlapping match in `text`.
    pub fn for_each_match(&self, text: &str, f: impl FnMut(usize, usize)) {
        self.forms.for_each_match(&self.source, text, f);
    }
}

fn compile_regex(
    file: &str,
    id: &str,
    field: &str,
    re: &str,
    eager: bool,
) -> Result<LazyRe, RuleError> {
    let forms = if eager {
        let compiled = Regex::new(re).map_err(|e| {
            RuleError::new(file, format!("invalid regex: {e}"))
                .rule(id)
                .field(field)
        })?;
        crate::regexes::TwoForms::with_full(compiled)
    } else {
        crate::regexes::TwoForms::default()
    };
    Ok(LazyRe {
        source: re.to_owned(),
        forms,
    })
}

fn to_lit(v: &toml::Value) -> Option<Lit> {
    match v {
        toml::Value::String(s) => Some(Lit::Str(s.clone())),
        toml::Value::Integer(i) => Some(Lit::Int(*i)),
        toml::Value::Float(f) => Some(Lit::Float(*f)),
        toml::Value::Boolean(b) => Some(Lit::Bool(*b)),
        _ => None,
    }
}

fn kinds(
    file: &str,
    id: &str,
    field: &str,
    list: &Option<Vec<String>>,
) -> Result<Vec<Kind>, RuleError> {
    let mut out = Vec::new();
    for k in list.iter().flatten() {
        let ks = Kind::parse(k).ok_or_else(|| {
            RuleError::new(
                file,
                format!("unknown value kind `{k}` (expected literal, constant, formatted, dynamic, missing, non-constant or request)"),
            )
            .rule(id)
            .field(field)
        })?;
        out.extend(ks);
    }
    Ok(out)
}

/// Parses and validates one code-rule file.
pub fn load_code_rule(file: &str, text: &str) -> Result<CodeRule, RuleError> {
    load_code_rule_with(file, text, true)
}

/// Like [`load_code_rule`]; with `check_query` false neither the query is resolved against its
/// grammar nor the regexes compiled at load (built-in rules: the test suite loads every one of
/// them eagerly too); the regexes then compile on first use.
pub fn load_code_rule_with(
    file: &str,
    text: &str,
    check_query: bool,
) -> Result<CodeRule, RuleError> {
    let raw: RawCodeRule = crate::error::read_rule_file(file, text)?;
    let id = raw.id.clone();
    let e = |field: &str, msg: String| RuleError::new(file, msg).rule(&id).field(field);
    let family = match raw.language.as_str() {
        "python" => Family::Python,
        "javascript" | "typescript" => Family::JavaScript,
        other => {
            return Err(e(
                "language",
                format!("unknown language `{other}` (expected python or javascript)"),
            ))
        }
    };
    let prefix = match family {
        Family::Python => "py-",
        Family::JavaScript => "js-",
    };
    if !valid_id(&id, prefix) {
        return Err(e(
            "id",
            format!("rule ids are kebab-case and start with `{prefix}`"),
        ));
    }
    let (severity, confidence) = check_meta(
        file,
        &id,
        &MetaText {
            severity: &raw.severity,
            confidence: &raw.confidence,
            cwe: &raw.cwe,
            owasp: &raw.owasp,
            title: &raw.title,
            message: &raw.message,
            fix: &raw.fix,
            description: &raw.description,
            example_vulnerable: &raw.example.vulnerable,
            example_fixed: &raw.example.fixed,
            references: &raw.references,
        },
    )?;
    let m = &raw.matcher;
    let given = [
        m.call.is_some(),
        m.reference.is_some(),
        m.import.is_some(),
        m.query.is_some(),
        m.text.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err(e(
            "match",
            "exactly one of call, reference, import, query or text is required".to_owned(),
        ));
    }
    if !m.arg.is_empty() && m.call.is_none() {
        return Err(e(
            "match.arg",
            "argument constraints need `call`".to_owned(),
        ));
    }
    if !m.capture.is_empty() && m.query.is_none() {
        return Err(e(
            "match.capture",
            "capture constraints need `query`".to_owned(),
        ));
    }
    let mut triggers: Vec<Vec<String>> = m.triggers.iter().map(|t| vec![t.clone()]).collect();
    let derive = |names: &[String]| -> Vec<Vec<String>> {
        // Any spelling that resolves to a name holds each of its literal segments, at the use
        // or in the import that binds it (`import subprocess as sp; sp.run()`).
        names
            .iter()
            .map(|n| {
                crate::taint::literal_segments(n)
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    };
    let matcher = if let Some(names) = &m.call {
        check_names(file, &id, "match.call", names)?;
        let mut args = Vec::new();
        for (i, a) in m.arg.iter().enumerate() {
            let field = format!("match.arg[{i}]");
            if a.position.is_none() && a.name.is_none() {
                return Err(e(&field, "needs `position` or `name`".to_owned()));
            }
            let lit = |v: &Option<toml::Value>, sub: &str| -> Result<Option<Lit>, RuleError> {
                match v {
                    None => Ok(None),
                    Some(v) => to_lit(v).map(Some).ok_or_else(|| {
                        e(
                            &format!("{field}.{sub}"),
                            "must be a string, number or boolean".to_owned(),
                        )
                    }),
                }
            };
            let mut equals = lit(&a.equals, "equals")?;
            if a.none == Some(true) {
                equals = Some(Lit::None);
            }
            args.push(ArgCheck {
                position: a.position,
                name: a.name.clone(),
                kinds: kinds(file, &id, &format!("{field}.is"), &a.is)?,
                equals,
                not_equals: lit(&a.not_equals, "not-equals")?,
                regex: a
                    .regex
                    .as_deref()
                    .map(|r| compile_regex(file, &id, &format!("{field}.regex"), r, check_query))
                    .transpose()?,
                names: a.names.clone().unwrap_or_default(),
                not_names: a.not_names.clone().unwrap_or_default(),
            });
        }
        if triggers.is_empty() {
            triggers = derive(names);
        }
        // A keyword argument that must be present (not only absent, and not reachable by
        // position in Python) is written in the file: `verify=False`, `{ rejectUnauthorized }`.
        let required: Vec<String> = args
            .iter()
            .filter(|a| !a.kinds.contains(&Kind::Missing))
            .filter(|a| a.position.is_none() || family == Family::JavaScript)
            .filter_map(|a| a.name.as_deref())
            .filter_map(|n| crate::taint::literal_segments(n).pop().map(str::to_owned))
            .collect();
        for alt in &mut triggers {
            alt.extend(required.iter().cloned());
        }
        Matcher::Call {
            names: names.clone(),
            args,
        }
    } else if let Some(names) = &m.reference {
        check_names(file, &id, "match.reference", names)?;
        if triggers.is_empty() {
            triggers = derive(names);
        }
        Matcher::Reference(names.clone())
    } else if let Some(mods) = &m.import {
        check_names(file, &id, "match.import", mods)?;
        if triggers.is_empty() {
            triggers = derive(mods);
        }
        Matcher::Import(mods.clone())
    } else if let Some(q) = &m.query {
        // Validate against every grammar of the family; the first one must accept it.
        let primary = family.languages()[0];
        if let Some(Err(err)) =
            check_query.then(|| crate::code::pattern::Query::new(&primary.grammar(), q))
        {
            return Err(e(
                "match.query",
                format!("invalid query for {}: {err}", primary.name()),
            ));
        }
        let mut captures = Vec::new();
        for (i, c) in m.capture.iter().enumerate() {
            let field = format!("match.capture[{i}]");
            if !q.contains(&format!("@{}", c.name)) {
                return Err(e(&field, format!("the query has no capture `@{}`", c.name)));
            }
            captures.push(CaptureCheck {
                name: c.name.clone(),
                kinds: kinds(file, &id, &format!("{field}.is"), &c.is)?,
                regex: c
                    .regex
                    .as_deref()
                    .map(|r| compile_regex(file, &id, &format!("{field}.regex"), r, check_query))
                    .transpose()?,
                not_regex: c
                    .not_regex
                    .as_deref()
                    .map(|r| {
                        compile_regex(file, &id, &format!("{field}.not-regex"), r, check_query)
                    })
                    .transpose()?,
                names: c.names.clone().unwrap_or_default(),
            });
        }
        Matcher::Query {
            source: q.clone(),
            captures,
        }
    } else if let Some(t) = &m.text {
        Matcher::Text(compile_regex(file, &id, "match.text", t, check_query)?)
    } else {
        return Err(e("match", "no match given".to_owned()));
    };
    let context = match &m.context {
        None => Context::default(),
        Some(c) => Context {
            not_in_tests: c.not_in_tests,
            not_in_main: c.not_in_main,
            path: c
                .path
                .as_deref()
                .map(|r| compile_regex(file, &id, "match.context.path", r, check_query))
                .transpose()?,
            names: c
                .names
                .as_deref()
                .map(|r| compile_regex(file, &id, "match.context.names", r, check_query))
                .transpose()?,
        },
    };
    for alt in &mut triggers {
        alt.retain(|t| !t.is_empty());
        alt.sort();
        alt.dedup();
    }
    if triggers
        .iter()
        .any(|alt| alt.is_empty() || alt.iter().any(|t| t == "*"))
    {
        // An alternative that needs nothing (or `*`): the rule always runs.
        triggers.clear();
    }
    let meta = RuleMeta {
        id: id.clone(),
        title: raw.title,
        message: raw.message,
        severity,
        confidence,
        cwe: raw.cwe,
        owasp: Some(raw.owasp),
        description: raw.description,
        fix: raw.fix,
        example_vulnerable: Some(raw.example.vulnerable),
        example_fixed: Some(raw.example.fixed),
        references: raw.references,
        tags: raw.tags,
        language: family.name().to_owned(),
        enabled: raw.enabled,
        origin: file.to_owned(),
    };
    Ok(CodeRule {
        meta: Arc::new(meta),
        family,
        matcher,
        context,
        triggers,
    })
}

fn check_names(file: &str, id: &str, field: &str, names: &[String]) -> Result<(), RuleError> {
    if names.is_empty() {
        return Err(RuleError::new(file, "must list at least one name")
            .rule(id)
            .field(field));
    }
    for n in names {
        let ok = !n.is_empty()
            && !n.contains(char::is_whitespace)
            && !n[..n.len().saturating_sub(1)].contains('*')
            || n.starts_with("*.") && !n[2..].contains('*') && n.len() > 2;
        if !ok {
            return Err(RuleError::new(
                file,
                format!("`{n}` is not a qualified name (`a.b.c`, `a.b*` or `*.method`)"),
            )
            .rule(id)
            .field(field));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "py-test-rule"
language = "python"
title = "t"
message = "m"
severity = "high"
confidence = "high"
cwe = [78]
owasp = "A03:2021-Injection"
fix = "f"
description = "d"
references = ["https://example.com"]
[example]
vulnerable = "v"
fixed = "f"
[match]
call = ["subprocess.run"]
[[match.arg]]
name = "shell"
equals = true
"#;

    #[test]
    fn loads_a_good_rule() {
        let r = load_code_rule("rules/python/t.toml", GOOD).expect("valid");
        assert_eq!(r.meta.id, "py-test-rule");
        // Every segment of the name, and the keyword argument the rule needs present.
        assert_eq!(r.triggers, [["run", "shell", "subprocess"]]);
        // Wildcards are not literals (an empty trigger would run the rule on every file); an
        // argument that may be absent or positional is not required.
        let wild = GOOD
            .replace(
                "call = [\"subprocess.run\"]",
                "call = [\"requests.*\", \"*.get\", \"pino*\"]",
            )
            .replace("name = \"shell\"", "name = \"shell\"\nposition = 1");
        let r = load_code_rule("rules/python/t.toml", &wild).expect("valid");
        assert_eq!(r.triggers, [["requests"], ["get"], ["pino"]]);
        let missing = GOOD.replace("equals = true", "is = [\"missing\"]");
        let r = load_code_rule("rules/python/t.toml", &missing).expect("valid");
        assert_eq!(r.triggers, [["run", "subprocess"]]);
    }

    #[test]
    fn errors_name_file_rule_and_field() {
        let bad = GOOD.replace("severity = \"high\"", "severity = \"severe\"");
        let err = load_code_rule("x.toml", &bad)
            .expect_err("invalid")
            .to_string();
        assert!(
            err.contains("x.toml") && err.contains("py-test-rule") && err.contains("severity"),
            "{err}"
        );
        let bad = GOOD.replace("fix = \"f\"", "fix = \"f\"\nbogus = 1");
        let err = load_code_rule("x.toml", &bad)
            .expect_err("invalid")
            .to_string();
        assert!(
            err.contains("x.toml:") && err.contains("bogus") && err.contains("py-test-rule"),
            "{err}"
        );
        let bad = GOOD.replace("call = [\"subprocess.run\"]", "query = \"(call\"");
        let bad = bad.replace("[[match.arg]]\nname = \"shell\"\nequals = true\n", "");
        let err = load_code_rule("x.toml", &bad)
            .expect_err("invalid")
            .to_string();
        assert!(err.contains("match.query"), "{err}");
        let bad = GOOD.replace("id = \"py-test-rule\"", "id = \"py_Test\"");
        let err = load_code_rule("x.toml", &bad)
            .expect_err("invalid")
            .to_string();
        assert!(err.contains("field `id`"), "{err}");
    }
}
