//! Generic key/value detection: finds `key = value` pairs in any text format (env, shell, INI,
//! properties, YAML, JSON, TOML, HCL, XML, Dockerfile, source code), normalises the key
//! (`dbPassword`, `DB_PASSWORD`, `db-password` all become `db_password`) and hands the value to
//! the generic rules, after dropping what is clearly not a secret: placeholders and templates,
//! references to the environment, code, hashes, UUIDs, paths, URLs, identifiers, weak or
//! low-entropy strings.

use std::ops::Range;

use regex::bytes::Regex;

/// One key/value pair found in a file.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    /// Lower-case key segments joined by `_`.
    pub key: String,
    /// Byte range of the value (without quotes).
    pub value: Range<usize>,
    /// The value was written as a string literal (quoted, or XML text).
    pub quoted: bool,
}

/// The compiled extraction patterns; built once per rule set.
#[derive(Debug)]
pub(crate) struct PairFinder {
    kv: Regex,
    xml_element: Regex,
    key_value_attr: Regex,
    docker_env: Regex,
}

const KEY: &str = r"[A-Za-z_$][A-Za-z0-9_.\-]{0,80}";

impl PairFinder {
    pub(crate) fn new() -> Result<Self, regex::Error> {
        let kv = format!(
            r#"(?:"(?P<k1>{KEY})"|'(?P<k2>{KEY})'|\\"(?P<k4>{KEY})\\"|(?P<k3>{KEY}))[ \t]*(?P<op>===|==|!=|:=|=>|=|:)[ \t]*(?:\\"(?P<v4>[^"\\\r\n]{{0,400}})\\"|"(?P<v1>(?:[^"\\\r\n]|\\.){{0,400}})"|'(?P<v2>(?:[^'\\\r\n]|\\.){{0,400}})'|`(?P<v5>[^`\r\n]{{0,400}})`|(?P<v3>[^\s,;'"`\\]{{1,400}}))"#
        );
        Ok(Self {
            kv: Regex::new(&kv)?,
            xml_element: Regex::new(
                r"<(?P<t1>[A-Za-z_][A-Za-z0-9_.:\-]{0,80})(?:\s[^<>]{0,200})?>(?P<v>[^<\r\n]{1,400})</(?P<t2>[A-Za-z_][A-Za-z0-9_.:\-]{0,80})>",
            )?,
            key_value_attr: Regex::new(
                r#"(?i:key|name)\s*=\s*"(?P<k>[^"\r\n]{1,80})"\s+(?i:value)\s*=\s*"(?P<v>[^"\r\n]{0,400})""#,
            )?,
            docker_env: Regex::new(
                r"(?m)^[ \t]*(?:ENV|ARG)[ \t]+(?P<k>[A-Za-z_][A-Za-z0-9_]*)[ \t]+(?P<v>[^\s=]\S*)[ \t]*$",
            )?,
        })
    }

    /// Find the key/value pairs of `bytes`.
    pub(crate) fn pairs(&self, bytes: &[u8], out: &mut Vec<Pair>) {
        for caps in self.kv.captures_iter(bytes) {
            let Some(op) = caps.name("op") else { continue };
            if matches!(op.as_bytes(), b"==" | b"===" | b"!=") {
                continue;
            }
            let key = ["k1", "k2", "k3", "k4"].iter().find_map(|n| caps.name(n));
            let Some(key) = key else { continue };
            let (value, quoted) = if let Some(v) = caps.name("v3") {
                (v, false)
            } else if let Some(v) = ["v1", "v2", "v4", "v5"].iter().find_map(|n| caps.name(n)) {
                (v, true)
            } else {
                continue;
            };
            out.push(Pair {
                key: normalize_key(key.as_bytes()),
                value: value.range(),
                quoted,
            });
        }
        for caps in self.xml_element.captures_iter(bytes) {
            let (Some(t1), Some(t2), Some(v)) = (caps.name("t1"), caps.name("t2"), caps.name("v"))
            else {
                continue;
            };
            if t1.as_bytes() != t2.as_bytes() {
                continue;
            }
            out.push(Pair {
                key: normalize_key(t1.as_bytes()),
                value: v.range(),
                quoted: true,
            });
        }
        for caps in self.key_value_attr.captures_iter(bytes) {
            let (Some(k), Some(v)) = (caps.name("k"), caps.name("v")) else {
                continue;
            };
            out.push(Pair {
                key: normalize_key(k.as_bytes()),
                value: v.range(),
                quoted: true,
            });
        }
        for caps in self.docker_env.captures_iter(bytes) {
            let (Some(k), Some(v)) = (caps.name("k"), caps.name("v")) else {
                continue;
            };
            out.push(Pair {
                key: normalize_key(k.as_bytes()),
                value: v.range(),
                quoted: false,
            });
        }
    }
}

/// `dbPassword`, `DB_PASSWORD`, `db-password`, `db.password`, `APIKey` -> `db_password`, `api_key`.
pub(crate) fn normalize_key(key: &[u8]) -> String {
    let mut segments: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = String::from_utf8_lossy(key).chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                segments.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            // fooBar -> foo|Bar ; APIKey -> API|Key
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase())
            {
                segments.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments.join("_")
}

/// Last key segments that name something about a secret rather than the secret itself.
const NOT_SECRET_TAIL: &[&str] = &[
    "name",
    "names",
    "type",
    "types",
    "field",
    "fields",
    "label",
    "length",
    "len",
    "size",
    "min",
    "max",
    "count",
    "hint",
    "prompt",
    "regex",
    "pattern",
    "policy",
    "policies",
    "file",
    "filename",
    "files",
    "path",
    "paths",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "enabled",
    "enable",
    "required",
    "format",
    "header",
    "param",
    "prefix",
    "suffix",
    "mode",
    "method",
    "version",
    "env",
    "var",
    "ref",
    "location",
    "placeholder",
    "message",
    "msg",
    "error",
    "strength",
    "validator",
    "validation",
    "input",
    "reset",
    "user",
    "username",
    "email",
    "scope",
    "scopes",
    "provider",
    "lifetime",
    "index",
    "rotation",
    "store",
    "manager",
    "arn",
    "class",
    "service",
    "id",
    "ids",
    "lenght",
    "age",
    "algorithm",
    "alg",
    "kind",
    "source",
    "template",
    "variable",
    "description",
    "desc",
    "title",
    "text",
    "help",
    "visible",
    "show",
    "hidden",
    "changed",
    "updated",
    "created",
    "at",
    "date",
    "time",
    "count",
    "id",
    "location",
    "mount",
    "volume",
    "key_id",
    "pair",
    "exchange",
    "request",
    "response",
    "callback",
    "redirect",
    "handler",
    "example",
];

/// First key segments that make the key a flag or an action, not a secret.
const NOT_SECRET_HEAD: &[&str] = &[
    "is", "has", "use", "enable", "show", "require", "allow", "no", "get", "set", "check",
    "validate", "forgot", "reset", "disable", "should", "can", "verify", "toggle", "hide",
];

/// True when the key (normalised) names a property of a secret rather than the secret.
pub(crate) fn key_is_metadata(key: &str) -> bool {
    let mut segments = key.split('_');
    let first = segments.next().unwrap_or("");
    let last = key.rsplit('_').next().unwrap_or("");
    let multi = key.contains('_');
    NOT_SECRET_HEAD.contains(&first) && multi || NOT_SECRET_TAIL.contains(&last) && multi
}

/// True for values that are a placeholder, a template or a reference to a value kept elsewhere.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let v = text.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "password",
        "secret",
        "token",
        "pass",
        "required",
        "optional",
        "string",
        "str",
        "bool",
        "int",
        "any",
        "unknown",
        "n/a",
        "na",
        "tbd",
        "todo",
        "default",
        "passwd",
        "pwd",
        "apikey",
        "api_key",
        "key",
        "private",
        "public",
    ];
    if EXACT.contains(&lower.as_str()) {
        return true;
    }
    const TEMPLATE: &[&str] = &[
        "${", "{{", "}}", "%(", "#{", "<%", "$(", "%{", "{%", "[[", "]]",
    ];
    if TEMPLATE.iter().any(|t| v.contains(t)) {
        return true;
    }
    let bytes = v.as_bytes();
    if bytes[0] == b'$' && bytes.len() > 1 && (bytes[1].is_ascii_alphabetic() || bytes[1] == b'_') {
        return true;
    }
    if bytes.len() > 2 && bytes[0] == b'%' && bytes[bytes.len() - 1] == b'%' {
        return true;
    }
    if bytes[0] == b'<' && bytes[bytes.len() - 1] == b'>' {
        return true;
    }
    if bytes[0] == b'[' && bytes[bytes.len() - 1] == b']' {
        return true;
    }
    const WORDS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "change_it",
        "your_",
        "your-",
        "yourtoken",
        "yourpassword",
        "yoursecret",
        "yourkey",
        "your ",
        "example",
        "sample",
        "dummy",
        "placeholder",
        "redacted",
        "replace",
        "insert",
        "fixme",
        "todo",
        "enter_",
        "enter-",
        "enter your",
        "xxxx",
        "****",
        "....",
        "_here",
        "-here",
        "fake",
        "mock",
        "foobar",
        "not-a-real",
        "notreal",
        "not_real",
        "invalid",
        "process.env",
        "os.environ",
        "os.getenv",
        "getenv",
        "env(",
        "env[",
        "env.",
        "system.getenv",
        "secretkeyref",
        "vault:",
        "ssm:",
        "arn:aws:",
        "deno.env",
        "import.meta",
        "secrets.",
        "config.",
        "settings.",
        "keyring",
        "•••",
        "<your",
        "your>",
        "...",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // masks such as xxxxxx, ******, 000000, ------, ######
    if v.len() >= 3
        && v.bytes().all(|b| {
            matches!(
                b,
                b'x' | b'X' | b'*' | b'.' | b'#' | b'-' | b'_' | b'0' | b'?'
            )
        })
    {
        return true;
    }
    false
}

const KEYBOARD_WALKS: &[&str] = &[
    "qwerty", "asdfgh", "zxcvbn", "123456", "654321", "abcdef", "abc123", "password", "passw0rd",
    "p@ssw0rd", "letmein", "welcome", "iloveyou", "admin123", "qwertz", "azerty", "1q2w3e",
];

fn is_hex(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_hexdigit)
}

fn is_uuid(v: &[u8]) -> bool {
    if v.len() != 36 {
        return false;
    }
    v.iter().enumerate().all(|(i, b)| {
        if matches!(i, 8 | 13 | 18 | 23) {
            *b == b'-'
        } else {
            b.is_ascii_hexdigit()
        }
    })
}

/// `my-secret-name`, `app.config.secret`, `SOME_CONSTANT`: words joined by separators.
fn is_identifier_like(v: &[u8]) -> bool {
    let mut segments = 0;
    for part in v.split(|b| matches!(b, b'.' | b'_' | b'-' | b':' | b'/')) {
        if part.is_empty() || !part.iter().all(u8::is_ascii_alphabetic) {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

fn is_path_like(v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.contains("://")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && v.as_bytes()[2] == b'\\')
        || {
            // file names: something.ext with a common extension
            const EXT: &[&str] = &[
                ".pem",
                ".key",
                ".json",
                ".txt",
                ".yaml",
                ".yml",
                ".crt",
                ".cer",
                ".p12",
                ".pfx",
                ".jks",
                ".env",
                ".conf",
                ".cfg",
                ".ini",
                ".xml",
                ".gpg",
                ".asc",
                ".der",
                ".keystore",
            ];
            let lower = v.to_ascii_lowercase();
            EXT.iter().any(|e| lower.ends_with(e))
        }
}

/// Why a generic value is not reported, or `None` when it looks like a real secret.
pub(crate) fn noise_reason(value: &[u8]) -> Option<&'static str> {
    if is_placeholder(value) {
        return Some("placeholder");
    }
    let text = String::from_utf8_lossy(value);
    let v = text.trim();
    if v.chars().count() < 8 {
        return Some("short");
    }
    let bytes = v.as_bytes();
    let mut seen = [false; 256];
    let mut unique = 0;
    for &b in bytes {
        if !seen[b as usize] {
            seen[b as usize] = true;
            unique += 1;
        }
    }
    if unique <= 3 {
        return Some("repeated characters");
    }
    let lower = v.to_ascii_lowercase();
    if KEYBOARD_WALKS.iter().any(|w| lower.contains(w)) {
        return Some("keyboard walk or common password");
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return Some("number");
    }
    if is_hex(bytes) && matches!(bytes.len(), 32 | 40 | 64 | 96 | 128) {
        return Some("hex digest");
    }
    if is_uuid(bytes) {
        return Some("uuid");
    }
    if lower.starts_with("data:") || lower.contains(";base64,") {
        return Some("data uri");
    }
    if ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Some("integrity hash");
    }
    if is_path_like(v) {
        return Some("path or url");
    }
    if is_identifier_like(bytes) {
        return Some("identifier");
    }
    if v.matches(' ').count() >= 3 {
        return Some("prose");
    }
    if (v.contains('(') && v.contains(')')) || v.starts_with("function") || v.contains("=>") {
        return Some("code");
    }
    if matches!(bytes[0], b'@' | b'&' | b'!' | b'*' | b'|' | b'>' | b'=') {
        return Some("yaml tag or code");
    }
    None
}

/// Source languages, where an unquoted value is code (a name, a call), not a literal.
pub(crate) fn is_source_file(path: &str) -> bool {
    const EXT: &[&str] = &[
        "py", "pyi", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "java", "kt", "kts",
        "go", "rb", "php", "cs", "c", "cc", "cpp", "h", "hpp", "rs", "swift", "scala", "groovy",
        "dart", "lua", "pl", "r", "m", "vue", "svelte", "tf", "hcl", "ipynb", "ex", "exs", "erl",
        "clj", "fs", "vb", "sc", "jl",
    ];
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => EXT.contains(&ext.to_ascii_lowercase().as_str()),
        _ => false,
    }
}

/// Test code and fixtures: generic findings there get low confidence.
pub fn is_test_path(path: &str) -> bool {
    let p = path.replace('\\', "/");
    let lower = p.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_dir = |d: &str| lower.starts_with(&format!("{d}/")) || lower.contains(&format!("/{d}/"));
    in_dir("tests")
        || in_dir("test")
        || in_dir("__tests__")
        || in_dir("fixtures")
        || in_dir("testdata")
        || in_dir("spec")
        || name.starts_with("test_")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_spec.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise() {
        assert_eq!(normalize_key(b"dbPassword"), "db_password");
        assert_eq!(normalize_key(b"DB_PASSWORD"), "db_password");
        assert_eq!(normalize_key(b"APIKey"), "api_key");
        assert_eq!(normalize_key(b"githubToken"), "github_token");
        assert_eq!(
            normalize_key(b"spring.datasource.password"),
            "spring_datasource_password"
        );
        assert_eq!(normalize_key(b"x-api-key"), "x_api_key");
    }

    #[test]
    fn noise() {
        assert!(noise_reason(b"changeme").is_some());
        assert!(noise_reason(b"${DB_PASSWORD}").is_some());
        assert!(noise_reason(b"d41d8cd98f00b204e9800998ecf8427e").is_some());
        assert!(noise_reason(b"123e4567-e89b-12d3-a456-426614174000").is_some());
        assert!(noise_reason(b"qwerty123").is_some());
        assert!(noise_reason(b"get_password()").is_some());
        assert!(noise_reason(b"Zq8#rT2!vLp9@wX").is_none());
    }

    #[test]
    fn paths() {
        assert!(is_test_path("tests/a.env"));
        assert!(is_test_path("src/test_x.py"));
        assert!(is_test_path("web/app.test.js"));
        assert!(!is_test_path("src/app.py"));
        assert!(is_source_file("a/b/settings.py"));
        assert!(!is_source_file(".env"));
    }
}
