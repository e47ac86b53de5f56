//! Generic key/value detection: finds `key = value` pairs in any text format (env, shell, INI,
//! properties, YAML, JSON, TOML, HCL, XML, Dockerfile, source code), normalises the key
//! (`dbPassword`, `DB_PASSWORD`, `db-password` all become `db_password`) and hands the value to
//! the generic rules, after dropping what is clearly not a secret: placeholders and templates,
//! references to the environment, code, hashes, UUIDs, paths, URLs, identifiers, weak or
//! low-entropy strings.

use std::ops::Range;

use aho_corasick::AhoCorasick;

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

/// Finds key/value pairs around keyword hits; built once per rule set.
///
/// Keys are found through the generic rules' keywords (a key is only considered when it
/// contains one), then parsed by hand: the key is widened to its identifier boundaries and the
/// text after it must be an assignment (`=`, `:`, `:=`, `=>`), an XML element
/// (`<key>value</key>`), a .NET-style attribute pair (`key="Name" value="..."`) or a
/// Dockerfile `ENV`/`ARG` with a space-separated value.
#[derive(Debug)]
pub(crate) struct PairFinder {
    keywords: Option<AhoCorasick>,
}

const MAX_KEY: usize = 80;
const MAX_VALUE: usize = 400;

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn skip_blanks(bytes: &[u8], mut p: usize) -> usize {
    while p < bytes.len() && matches!(bytes[p], b' ' | b'\t') {
        p += 1;
    }
    p
}

/// Start of the line holding `p`, looking back at most `max` bytes (`None` past that: long
/// minified lines must not make the scan quadratic).
fn line_start(bytes: &[u8], p: usize, max: usize) -> Option<usize> {
    let from = p.saturating_sub(max);
    match bytes[from..p].iter().rposition(|&b| b == b'\n') {
        Some(i) => Some(from + i + 1),
        None if from == 0 => Some(0),
        None => None,
    }
}

/// A quoted value starting at `p` (on the quote): its inner range, and the index past it.
fn quoted_value(bytes: &[u8], p: usize) -> Option<(Range<usize>, usize)> {
    if bytes.get(p) == Some(&b'\\') && bytes.get(p + 1) == Some(&b'"') {
        // \"value\" inside a JSON string (notebooks)
        let start = p + 2;
        let mut q = start;
        while q < bytes.len() && q - start <= MAX_VALUE {
            match bytes[q] {
                b'\\' => {
                    return (bytes.get(q + 1) == Some(&b'"')).then_some((start..q, q + 2));
                }
                b'"' | b'\n' | b'\r' => return None,
                _ => q += 1,
            }
        }
        return None;
    }
    let quote = *bytes.get(p)?;
    if !matches!(quote, b'"' | b'\'' | b'`') {
        return None;
    }
    let start = p + 1;
    let mut q = start;
    while q < bytes.len() && q - start <= MAX_VALUE {
        match bytes[q] {
            b'\\' if quote != b'`' => q += 2,
            b'\n' | b'\r' => return None,
            b if b == quote => return Some((start..q, q + 1)),
            _ => q += 1,
        }
    }
    None
}

/// An unquoted value starting at `p`: up to whitespace or a separator.
fn bare_value(bytes: &[u8], p: usize) -> Option<Range<usize>> {
    let mut q = p;
    while q < bytes.len()
        && !bytes[q].is_ascii_whitespace()
        && !matches!(bytes[q], b',' | b';' | b'\'' | b'"' | b'`' | b'\\')
    {
        q += 1;
        if q - p > MAX_VALUE {
            // too long to be a credential; never cut inside a UTF-8 sequence
            return None;
        }
    }
    (q > p).then_some(p..q)
}

impl PairFinder {
    /// `keywords`: the generic rules' keywords (matched ASCII case-insensitively).
    pub(crate) fn new(keywords: &[String]) -> Result<Self, aho_corasick::BuildError> {
        if keywords.is_empty() {
            return Ok(Self { keywords: None });
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(keywords)?;
        Ok(Self { keywords: Some(ac) })
    }

    /// Find the key/value pairs of `bytes` whose key contains a keyword. `hits`: where the
    /// keywords occur (every occurrence, sorted), when a gate already found them; otherwise
    /// they are searched for here.
    pub(crate) fn pairs(&self, bytes: &[u8], hits: Option<&[(usize, usize)]>, out: &mut Vec<Pair>) {
        let Some(ac) = &self.keywords else { return };
        // The key around the last keyword: every keyword within it names the same key (keys
        // are runs of key bytes), so each run is measured once, however many keywords it holds.
        let mut last_key = (usize::MAX, usize::MAX);
        let mut at = |start: usize, end: usize| {
            if (last_key.0..last_key.1).contains(&start) {
                return;
            }
            let mut ks = start;
            while ks > 0 && is_key_byte(bytes[ks - 1]) {
                ks -= 1;
            }
            let mut ke = end;
            while ke < bytes.len() && is_key_byte(bytes[ke]) {
                ke += 1;
            }
            last_key = (ks, ke);
            if ke - ks > MAX_KEY {
                return;
            }
            // `${NAME}` / `${NAME:-default}` is a reference, not an assignment
            if ks >= 2 && bytes[ks - 1] == b'{' && bytes[ks - 2] == b'$' {
                return;
            }
            if let Some(pair) = self.pair_at(bytes, ks, ke) {
                out.push(pair);
            }
        };
        match hits {
            Some(hits) => hits.iter().for_each(|&(start, end)| at(start, end)),
            None => ac
                .find_overlapping_iter(bytes)
                .for_each(|m| at(m.start(), m.end())),
        }
    }

    fn pair_at(&self, bytes: &[u8], ks: usize, ke: usize) -> Option<Pair> {
        let key_bytes = &bytes[ks..ke];
        let before = if ks > 0 { bytes[ks - 1] } else { b'\n' };
        // `AWS::Service::Thing`, `arn:aws:secretsmanager:...:secret:name`: a path, not a key
        if before == b':' {
            return None;
        }
        // `spring.datasource.password`, `Token.Name.Builtin`: the last dotted part names it
        let last = key_bytes
            .iter()
            .rposition(|&b| b == b'.')
            .map_or(key_bytes, |i| &key_bytes[i + 1..]);
        let key_lead = last.iter().position(u8::is_ascii_alphanumeric)?;
        let key = normalize_key(&last[key_lead..]);
        // <key attr="...">value</key>
        if before == b'<' {
            let mut p = ke;
            if bytes.get(p).is_some_and(|b| *b == b' ' || *b == b'\t') {
                while p < bytes.len() && !matches!(bytes[p], b'>' | b'<' | b'\n') {
                    p += 1;
                }
            }
            if bytes.get(p) != Some(&b'>') {
                return None;
            }
            let vs = p + 1;
            let mut q = vs;
            while q < bytes.len()
                && q - vs <= MAX_VALUE
                && !matches!(bytes[q], b'<' | b'\n' | b'\r')
            {
                q += 1;
            }
            let close = bytes.get(q..)?;
            if q == vs
                || !close.starts_with(b"</")
                || !close[2..].starts_with(key_bytes)
                || close.get(2 + key_bytes.len()) != Some(&b'>')
            {
                return None;
            }
            return Some(Pair {
                key,
                value: vs..q,
                quoted: true,
            });
        }
        // key="Name" value="..."   /   name="Name" value="..."
        if before == b'"' && bytes.get(ke) == Some(&b'"') {
            let prefix = &bytes[(ks - 1).saturating_sub(64)..ks - 1];
            let trimmed = prefix.trim_ascii_end();
            let lower = trimmed.to_ascii_lowercase();
            if lower.ends_with(b"key=") || lower.ends_with(b"name=") {
                let mut p = skip_blanks(bytes, ke + 1);
                let rest = bytes.get(p..)?;
                if rest.len() > 5 && rest[..5].eq_ignore_ascii_case(b"value") {
                    p = skip_blanks(bytes, p + 5);
                    if bytes.get(p) == Some(&b'=') {
                        p = skip_blanks(bytes, p + 1);
                        let (value, _) = quoted_value(bytes, p)?;
                        return Some(Pair {
                            key,
                            value,
                            quoted: true,
                        });
                    }
                }
                return None;
            }
        }
        // key = value, "key": value, key: value, key := value, key => value
        let mut p = ke;
        if bytes.get(p) == Some(&b'\\') && bytes.get(p + 1) == Some(&b'"') {
            p += 2;
        } else if matches!(bytes.get(p), Some(b'"' | b'\'')) {
            p += 1;
        }
        let after_key = p;
        p = skip_blanks(bytes, p);
        let rest = bytes.get(p..).unwrap_or(&[]);
        let op_len =
            if rest.starts_with(b"==") || rest.starts_with(b"!=") || rest.starts_with(b"::") {
                return None;
            } else if rest.starts_with(b":=") || rest.starts_with(b"=>") {
                2
            } else if rest.starts_with(b"=") || rest.starts_with(b":") {
                1
            } else {
                0
            };
        if op_len == 0 {
            return self.docker_env(bytes, ks, after_key, key);
        }
        let op_is_colon = rest.first() == Some(&b':') && op_len == 1;
        let value_start = skip_blanks(bytes, p + op_len);
        let spaced = value_start > p + op_len;
        p = value_start;
        if let Some((value, _)) = quoted_value(bytes, p) {
            return Some(Pair {
                key,
                value,
                quoted: true,
            });
        }
        if matches!(bytes.get(p), Some(b'"' | b'\'' | b'`')) {
            return None;
        }
        // YAML needs a space after `:`; `a:b` is a URL, an ARN, a time or a path
        if op_is_colon && !spaced {
            return None;
        }
        let value = bare_value(bytes, p)?;
        Some(Pair {
            key,
            value,
            quoted: false,
        })
    }

    /// Dockerfile `ENV KEY value` / `ARG KEY value` (legacy form without `=`).
    fn docker_env(&self, bytes: &[u8], ks: usize, ke: usize, key: String) -> Option<Pair> {
        let ls = line_start(bytes, ks, 256)?;
        let head = bytes[ls..ks].trim_ascii();
        if head != b"ENV" && head != b"ARG" {
            return None;
        }
        if !bytes.get(ke).is_some_and(|b| *b == b' ' || *b == b'\t') {
            return None;
        }
        let p = skip_blanks(bytes, ke);
        let (value, end, quoted) = match quoted_value(bytes, p) {
            Some((v, end)) => (v, end, true),
            None => {
                let v = bare_value(bytes, p)?;
                let end = v.end;
                (v, end, false)
            }
        };
        let tail_end = bytes[end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| end + i);
        if !bytes[end..tail_end].trim_ascii().is_empty() {
            return None;
        }
        Some(Pair { key, value, quoted })
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
    "spec",
    "specs",
    "used",
    "status",
    "state",
    "entered",
    "exited",
    "verifier",
    "period",
    "usage",
    "config",
    "option",
    "options",
    "flag",
    "flags",
    "level",
    "rule",
    "rules",
    "role",
    "roles",
    "group",
    "groups",
    "stage",
    "step",
    "hash",
    "hashed",
    "digest",
    "locker",
    "rotated",
    "last",
    "expired",
    "invalid",
    "missing",
];

/// Key segments anywhere in the key that make it a non-secret (pagination cursors, request ids).
const NOT_SECRET_ANY: &[&str] = &[
    "next",
    "page",
    "continuation",
    "pagination",
    "cursor",
    "idempotency",
    "wait",
    "sync",
    "lock",
    "csrf",
    "xsrf",
    "nonce",
    "output",
    "input",
    "change",
    "copy",
    "import",
    "export",
    "verification",
    "strategy",
    "scheme",
];

/// First key segments that make the key a flag or an action, not a secret.
const NOT_SECRET_HEAD: &[&str] = &[
    "is", "has", "use", "enable", "show", "require", "allow", "no", "get", "set", "check",
    "validate", "forgot", "reset", "disable", "should", "can", "verify", "toggle", "hide", "csrf",
    "xsrf", "nonce",
];

/// True when the key (normalised) names a property of a secret rather than the secret.
pub(crate) fn key_is_metadata(key: &str) -> bool {
    let mut segments = key.split('_');
    let first = segments.next().unwrap_or("");
    let last = key.rsplit('_').next().unwrap_or("");
    let multi = key.contains('_');
    multi
        && (NOT_SECRET_HEAD.contains(&first)
            || NOT_SECRET_TAIL.contains(&last)
            || key.split('_').any(|s| NOT_SECRET_ANY.contains(&s)))
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
    // <your-token>, <default secret key>, {name} format fields, --flags, ARNs
    if bytes[0] == b'<' || (bytes[0] == b'{' && v.contains('}')) {
        return true;
    }
    if bytes[0] == b'-'
        && bytes
            .get(1)
            .is_some_and(|b| *b == b'-' || b.is_ascii_alphabetic())
    {
        return true;
    }
    if lower.starts_with("arn:") {
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
        "not a real",
        "not my real",
        "token",
        "secret",
        "password",
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
/// Each part is a lower-case, upper-case or capitalised word, or camel-case words.
pub(crate) fn is_identifier_like(v: &[u8]) -> bool {
    let mut segments = 0;
    for part in v.split(|b| matches!(b, b'.' | b'_' | b'-' | b':' | b'/')) {
        if !is_word_part(part) {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

/// `privateKeyUsagePeriod`, `IAmSensitive`, `URLSafeSerializer`: words in camel case, no
/// digits or symbols. Random letters (`drUDAWDMsqLDoNt`) split into short, vowel-less pieces.
fn is_camel_case_words(v: &str) -> bool {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let key = normalize_key(v.as_bytes());
    let words: Vec<&str> = key.split('_').collect();
    if words.len() < 2 {
        return false;
    }
    let letters: usize = words.iter().map(|w| w.len()).sum();
    let wordy = words.iter().enumerate().all(|(i, w)| {
        (w.len() >= 2 || i == 0) && (w.len() < 3 || w.bytes().any(|b| b"aeiouy".contains(&b)))
    });
    wordy && letters >= 3 * words.len()
}

/// One identifier part: a lower-case, upper-case or capitalised word, or camel-case words.
fn is_word_part(part: &[u8]) -> bool {
    if part.is_empty() || !part.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    part[1..].iter().all(u8::is_ascii_lowercase)
        || part.iter().all(u8::is_ascii_uppercase)
        || is_camel_case_words(&String::from_utf8_lossy(part))
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
    if v.chars().all(char::is_alphabetic) && v.chars().skip(1).all(char::is_lowercase) {
        return Some("word");
    }
    if is_identifier_like(bytes) || is_camel_case_words(v) {
        return Some("identifier");
    }
    if v.matches(' ').count() >= 3
        || (v.contains(' ')
            && v.chars()
                .all(|c| c.is_alphabetic() || " .,'?!:-()".contains(c)))
    {
        return Some("prose");
    }
    // base64 of a sentence or a placeholder ("user:not my real password")
    if v.len() >= 12 {
        if let Some(decoded) = super::validate::base64_decode(bytes) {
            if let Ok(text) = std::str::from_utf8(&decoded) {
                if text.chars().all(|c| !c.is_control())
                    && (is_placeholder(text.as_bytes()) || text.matches(' ').count() >= 3)
                {
                    return Some("encoded placeholder or prose");
                }
            }
        }
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
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    dirs.split('/').any(|d| {
        matches!(
            d,
            "tests" | "test" | "__tests__" | "fixtures" | "testdata" | "spec"
        )
    }) || name.starts_with("test_")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_spec.")
}

/// Examples, samples, templates and documentation: generic findings there get low confidence.
pub fn is_example_path(path: &str) -> bool {
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    // `name.tpl` or `name.tpl.ext`.
    let has_suffix = |s: &str| {
        name.match_indices(s)
            .any(|(i, _)| matches!(name.as_bytes().get(i + s.len()), None | Some(b'.')))
    };
    dirs.split('/').any(|d| {
        matches!(
            d,
            "example" | "examples" | "sample" | "samples" | "docs" | "doc"
        )
    }) || [".example", ".sample", ".template", ".tmpl", ".dist", ".tpl"]
        .iter()
        .any(|s| has_suffix(s))
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
        assert!(noise_reason(b"DistributionList.NextMarker").is_some());
        assert!(noise_reason(b"URLSafeTimedSerializer").is_some());
        assert!(noise_reason(b"privateKeyUsagePeriod").is_some());
        assert!(noise_reason(b"drUDAWDMsqLDoNtDcknQ").is_none());
        assert!(noise_reason(b"kQmZxvLpRtWnBvCx").is_none());
    }

    #[test]
    fn paths() {
        assert!(is_test_path("tests/a.env"));
        assert!(is_test_path("src/test_x.py"));
        assert!(is_test_path("web/app.test.js"));
        assert!(!is_test_path("src/app.py"));
        assert!(is_example_path(".env.example"));
        assert!(is_example_path("config/settings.sample.yaml"));
        assert!(is_example_path("docs/setup.md"));
        assert!(!is_example_path("config/settings.yaml"));
        assert!(is_source_file("a/b/settings.py"));
        assert!(!is_source_file(".env"));
    }

    /// The path checks give what their first, string-search version gave.
    #[test]
    fn paths_as_by_substring() {
        // A path (lowercased, `/`-separated) under one of `dirs`, or whose name `name_ok` takes.
        fn by_substring(path: &str, dirs: &[&str], name_ok: &dyn Fn(&str) -> bool) -> bool {
            let lower = path.replace('\\', "/").to_ascii_lowercase();
            let name = lower.rsplit('/').next().unwrap_or(&lower);
            dirs.iter()
                .any(|d| lower.starts_with(&format!("{d}/")) || lower.contains(&format!("/{d}/")))
                || name_ok(name)
        }
        let test_by_substring = |path: &str| {
            by_substring(
                path,
                &["tests", "test", "__tests__", "fixtures", "testdata", "spec"],
                &|name| {
                    name.starts_with("test_")
                        || ["_test.", ".test.", ".spec.", "_spec."]
                            .iter()
                            .any(|s| name.contains(s))
                },
            )
        };
        let example_by_substring = |path: &str| {
            by_substring(
                path,
                &["example", "examples", "sample", "samples", "docs", "doc"],
                &|name| {
                    [".example", ".sample", ".template", ".tmpl", ".dist", ".tpl"]
                        .iter()
                        .any(|s| name.ends_with(s) || name.contains(&format!("{s}.")))
                },
            )
        };
        let dirs = [
            "",
            "a/",
            "Tests/",
            "x/test/",
            "testing/",
            "a\\spec\\",
            "./doc/",
            "docs",
            "my_docs/",
            "/samples/",
        ];
        let names = [
            "a.py",
            "test_a.py",
            "a_test.go",
            "a.test.js",
            "a.spec.ts",
            "a_spec.rb",
            ".env.example",
            "x.sample.yaml",
            "x.tpl",
            "x.tpl.bak",
            "x.tplx",
            "x.dist",
            "tests",
            "doc",
            "x.TEMPLATE",
            "x.tmpl.tmpl",
            "spec",
        ];
        for d in dirs {
            for n in names {
                let p = format!("{d}{n}");
                assert_eq!(is_test_path(&p), test_by_substring(&p), "{p}");
                assert_eq!(is_example_path(&p), example_by_substring(&p), "{p}");
            }
        }
    }
}
