//! Redaction and fingerprints: the only forms in which a found secret leaves this module.

use sha2::{Digest, Sha256};

/// Secrets shorter than this (in characters) show none of their characters.
pub const MIN_CHARS_TO_SHOW_PREFIX: usize = 12;
/// The most characters of a secret a redacted form ever shows.
pub const SHOWN_CHARS: usize = 4;

/// `abcd…(40 chars)`: the first 4 characters and the length; for secrets shorter than 12
/// characters only `…(N chars)`. Never more than 4 characters of the secret.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let count = text.chars().count();
    if count < MIN_CHARS_TO_SHOW_PREFIX {
        return format!("…({count} chars)");
    }
    let shown: String = text
        .chars()
        .take(SHOWN_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!("{shown}…({count} chars)")
}

/// Hex SHA-256 of `rule id`, a NUL byte and the secret: names a secret without storing it.
pub fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(secret);
    let digest = hasher.finalize();
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_show_nothing() {
        assert_eq!(redact(b"hunter2"), "…(7 chars)");
        assert_eq!(redact(b"ghp_abcdefghijkl"), "ghp_…(16 chars)");
    }

    #[test]
    fn fingerprint_is_hex_sha256() {
        let f = fingerprint("secret-x", b"abc");
        assert_eq!(f.len(), 64);
        assert_ne!(f, fingerprint("secret-y", b"abc"));
    }
}
