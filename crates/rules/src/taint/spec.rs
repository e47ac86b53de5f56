//! Taint specifications as data: raw TOML (deserialized strictly), validated.
//!
//! A folder `rules/<language>/taint/` holds one taint rule per file (sinks, rule-specific
//! sanitizers and metadata) and shared files whose name starts with `_` (sources, sanitizers and
//! safe calls common to every taint rule of the language).

use std::sync::Arc;

use serde::Deserialize;
use vigil_core::lang::Family;
use vigil_core::{Confidence, RuleMeta};

use crate::error::RuleError;
use crate::model::{check_meta, valid_id, MetaText};

/// A taint rule as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawTaintRule {
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
    #[serde(default)]
    sanitizers: Vec<String>,
    #[serde(default)]
    guards: Vec<String>,
    sink: Vec<RawSink>,
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
struct RawSink {
    #[serde(default)]
    call: Vec<String>,
    #[serde(default)]
    assign: Vec<String>,
    #[serde(default)]
    item: Vec<String>,
    #[serde(default)]
    args: Vec<usize>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    safe_keys: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    all_args: bool,
    requires_true: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    safe_prefix: bool,
    label: Option<String>,
}

/// Shared sources, sanitizers and safe calls of one language, as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawCommon {
    language: String,
    #[serde(default)]
    sanitizers: Vec<String>,
    #[serde(default)]
    safe_calls: Vec<String>,
    #[serde(default)]
    guards: Vec<String>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSource {
    label: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    params: Vec<String>,
    #[serde(default)]
    attributes: Vec<String>,
    #[serde(default)]
    route_decorators: Vec<String>,
    #[serde(default)]
    safe_types: Vec<String>,
    confidence: Option<String>,
}

/// Where tainted data comes from.
#[derive(Debug, Clone)]
pub struct Source {
    /// Shown in the flow (`Flask request data`).
    pub label: String,
    /// Qualified names: a reference to one of them, or the result of calling one, is tainted.
    pub names: Vec<String>,
    /// Parameter names (`request`, `req`; `self.request`) whose `attributes` are tainted.
    pub params: Vec<String>,
    /// Attributes of `params` that carry user data (`GET`, `query`, `body`).
    pub attributes: Vec<String>,
    /// Decorators (`*.route`, `*.get`, `app.post`) marking route handlers: every parameter of
    /// the handler is tainted, except those annotated with one of `safe_types`.
    pub route_decorators: Vec<String>,
    /// Parameter annotations that validate or are not user data (`int`, `Request`).
    pub safe_types: Vec<String>,
    /// Lower than the rule's confidence for this source (`sys.argv`, environment variables).
    pub confidence: Option<Confidence>,
}

/// Shared sources and sanitizers of one language family.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// Sources.
    pub sources: Vec<Source>,
    /// Calls whose result is clean for every taint rule (`int`, `parseInt`).
    pub sanitizers: Vec<String>,
    /// Calls whose result is never tainted although their arguments are (`len`, `isinstance`).
    pub safe_calls: Vec<String>,
    /// Checks that validate their first argument for every rule when they are true in an `if`
    /// (`validator.isInt(x)`).
    pub guards: Vec<String>,
    /// Files the shared parts came from.
    pub origins: Vec<String>,
}

/// A place where tainted data must not arrive.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Called names (`os.system`, `*.execute`): the arguments below are checked.
    pub calls: Vec<String>,
    /// Assigned properties (`*.innerHTML`, `location.href`): the assigned value is checked.
    pub assign: Vec<String>,
    /// Objects whose items are assigned (`*.headers` in `resp.headers["X"] = v`,
    /// `flask.session`): the assigned value is checked.
    pub items: Vec<String>,
    /// Argument positions that matter (0-based).
    pub args: Vec<usize>,
    /// Keyword names (Python) that matter.
    pub keywords: Vec<String>,
    /// Every argument matters.
    pub all_args: bool,
    /// When the checked argument is a dict or object literal, only the values of these keys
    /// matter (`filter` of ldapjs' search options, `$where` of a MongoDB query); any other
    /// argument value matters as a whole.
    pub keys: Vec<String>,
    /// In a dict or object literal argument, values under these keys (at any depth) do not
    /// matter (`$eq` compares with its operand as a plain value).
    pub safe_keys: Vec<String>,
    /// Only when this keyword (or JS option) is literally `true` (`shell`).
    pub requires_true: Option<String>,
    /// Not a sink when one of these keywords (or JS options) is given (`root` of `sendFile`).
    pub unless: Vec<String>,
    /// Not a sink when the value starts with a fixed relative path (`/`) or a fixed
    /// `scheme://host/`: the user no longer chooses the host.
    pub safe_prefix: bool,
    /// What the sink does, for the flow (`runs a shell command`).
    pub label: String,
}

/// A validated taint rule.
#[derive(Debug, Clone)]
pub struct TaintRule {
    /// Metadata shared with findings and reports.
    pub meta: Arc<RuleMeta>,
    /// Python or JavaScript.
    pub family: Family,
    /// Sinks.
    pub sinks: Vec<Sink>,
    /// Calls whose result is clean for this rule only (`shlex.quote`).
    pub sanitizers: Vec<String>,
    /// Checks that validate their first argument for this rule when true in an `if`
    /// (`url_has_allowed_host_and_scheme(url, ...)`).
    pub guards: Vec<String>,
}

/// True for files of a taint folder (`.../taint/x.toml`).
pub fn is_taint_file(path: &str) -> bool {
    let p = path.replace('\\', "/");
    p.contains("/taint/") || p.starts_with("taint/")
}

/// True for a shared file of a taint folder (`_sources.toml`).
pub fn is_common_file(path: &str) -> bool {
    let p = path.replace('\\', "/");
    p.rsplit('/').next().is_some_and(|n| n.starts_with('_'))
}

fn family_of(file: &str, id: &str, lang: &str) -> Result<Family, RuleError> {
    match lang {
        "python" => Ok(Family::Python),
        "javascript" | "typescript" => Ok(Family::JavaScript),
        other => Err(RuleError::new(
            file,
            format!("unknown language `{other}` (expected python or javascript)"),
        )
        .rule(id)
        .field("language")),
    }
}

fn check_names(file: &str, id: &str, field: &str, names: &[String]) -> Result<(), RuleError> {
    for n in names {
        let body = n.replace('*', "");
        if body.trim_matches('.').is_empty()
            || body.contains(char::is_whitespace)
            || n.contains("**")
        {
            return Err(RuleError::new(
                file,
                format!(
                    "`{n}` is not a qualified name (`a.b.c`, `a.b*`, `*.method` or a `*` pattern like `*.db.*.find`)"
                ),
            )
            .rule(id)
            .field(field));
        }
    }
    Ok(())
}

/// Parses and validates a shared file (`_sources.toml`) into `common`.
pub fn load_common(
    file: &str,
    text: &str,
    commons: &mut [(Family, Common); 2],
) -> Result<(), RuleError> {
    let raw: RawCommon = crate::error::read_rule_file(file, text)?;
    let family = family_of(file, "", &raw.language)?;
    check_names(file, "", "sanitizers", &raw.sanitizers)?;
    check_names(file, "", "safe-calls", &raw.safe_calls)?;
    check_names(file, "", "guards", &raw.guards)?;
    let Some((_, common)) = commons.iter_mut().find(|(f, _)| *f == family) else {
        return Ok(());
    };
    for (i, s) in raw.source.into_iter().enumerate() {
        let field = format!("source[{i}]");
        check_names(file, "", &format!("{field}.names"), &s.names)?;
        check_names(
            file,
            "",
            &format!("{field}.route-decorators"),
            &s.route_decorators,
        )?;
        if s.names.is_empty() && s.params.is_empty() && s.route_decorators.is_empty() {
            return Err(RuleError::new(
                file,
                "a source needs `names`, `params` (with `attributes`) or `route-decorators`",
            )
            .field(&field));
        }
        if !s.params.is_empty() && s.attributes.is_empty() {
            return Err(RuleError::new(file, "`params` needs `attributes`")
                .field(&format!("{field}.attributes")));
        }
        let confidence = match &s.confidence {
            None => None,
            Some(c) => Some(
                c.parse::<Confidence>()
                    .map_err(|m| RuleError::new(file, m).field(&format!("{field}.confidence")))?,
            ),
        };
        common.sources.push(Source {
            label: s.label,
            names: s.names,
            params: s.params,
            attributes: s.attributes,
            route_decorators: s.route_decorators,
            safe_types: s.safe_types,
            confidence,
        });
    }
    common.sanitizers.extend(raw.sanitizers);
    common.safe_calls.extend(raw.safe_calls);
    common.guards.extend(raw.guards);
    common.origins.push(file.to_owned());
    Ok(())
}

/// Parses and validates one taint-rule file.
pub fn load_taint_rule(file: &str, text: &str) -> Result<TaintRule, RuleError> {
    let raw: RawTaintRule = crate::error::read_rule_file(file, text)?;
    let id = raw.id.clone();
    let e = |field: &str, msg: String| RuleError::new(file, msg).rule(&id).field(field);
    let family = family_of(file, &id, &raw.language)?;
    let prefix = match family {
        Family::Python => "py-taint-",
        Family::JavaScript => "js-taint-",
    };
    if !valid_id(&id, prefix) {
        return Err(e(
            "id",
            format!("taint rule ids are kebab-case and start with `{prefix}`"),
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
    check_names(file, &id, "sanitizers", &raw.sanitizers)?;
    check_names(file, &id, "guards", &raw.guards)?;
    if raw.sink.is_empty() {
        return Err(e("sink", "at least one [[sink]] is required".to_owned()));
    }
    let mut sinks = Vec::new();
    for (i, s) in raw.sink.into_iter().enumerate() {
        let field = format!("sink[{i}]");
        let kinds = [!s.call.is_empty(), !s.assign.is_empty(), !s.item.is_empty()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(e(
                &field,
                "exactly one of `call`, `assign` or `item` is required".to_owned(),
            ));
        }
        check_names(file, &id, &format!("{field}.call"), &s.call)?;
        check_names(file, &id, &format!("{field}.assign"), &s.assign)?;
        check_names(file, &id, &format!("{field}.item"), &s.item)?;
        if (!s.keys.is_empty() || !s.safe_keys.is_empty()) && s.call.is_empty() {
            return Err(e(
                &format!("{field}.keys"),
                "`keys` and `safe-keys` only apply to `call` sinks".to_owned(),
            ));
        }
        if !s.call.is_empty() && s.args.is_empty() && s.keywords.is_empty() && !s.all_args {
            return Err(e(
                &field,
                "a call sink needs `args`, `keywords` or `all-args = true`".to_owned(),
            ));
        }
        let label = s.label.unwrap_or_else(|| raw.title.clone());
        sinks.push(Sink {
            calls: s.call,
            assign: s.assign,
            items: s.item,
            args: s.args,
            keys: s.keys,
            safe_keys: s.safe_keys,
            keywords: s.keywords,
            all_args: s.all_args,
            requires_true: s.requires_true,
            unless: s.unless,
            safe_prefix: s.safe_prefix,
            label,
        });
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
        tags: {
            let mut t = raw.tags;
            if !t.iter().any(|x| x == "taint") {
                t.push("taint".to_owned());
            }
            t
        },
        language: family.name().to_owned(),
        enabled: raw.enabled,
        origin: file.to_owned(),
    };
    Ok(TaintRule {
        meta: Arc::new(meta),
        family,
        sinks,
        sanitizers: raw.sanitizers,
        guards: raw.guards,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "py-taint-test"
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
fixed = "x"

[[sink]]
call = ["os.system"]
args = [0]
"#;

    fn err(text: &str) -> String {
        match load_taint_rule("t.toml", text) {
            Ok(_) => String::from("<loaded>"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn loads_a_good_rule() {
        assert_eq!(err(GOOD), "<loaded>");
    }

    #[test]
    fn metadata_errors_name_file_rule_and_field() {
        for (from, to, field) in [
            ("severity = \"high\"", "severity = \"severe\"", "severity"),
            (
                "owasp = \"A03:2021-Injection\"",
                "owasp = \"Injection\"",
                "owasp",
            ),
            ("cwe = [78]", "cwe = []", "cwe"),
            ("fix = \"f\"", "fix = \" \"", "fix"),
            (
                "references = [\"https://example.com\"]",
                "references = []",
                "references",
            ),
        ] {
            let e = err(&GOOD.replace(from, to));
            assert!(
                e.contains("t.toml") && e.contains("py-taint-test") && e.contains(field),
                "{field}: {e}"
            );
        }
    }

    #[test]
    fn sink_errors_name_the_sink() {
        let e = err(&GOOD.replace("args = [0]", "args = [0]\nassign = [\"x.y\"]"));
        assert!(e.contains("sink[0]") && e.contains("exactly one"), "{e}");
        let e = err(&GOOD.replace(
            "call = [\"os.system\"]\nargs = [0]",
            "item = [\"flask.session\"]\nkeys = [\"a\"]",
        ));
        assert!(e.contains("sink[0].keys"), "{e}");
        let e = err(&GOOD.replace("os.system", "os system"));
        assert!(e.contains("sink[0].call"), "{e}");
    }
}
