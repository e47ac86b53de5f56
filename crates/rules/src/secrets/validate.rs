//! Structural validators and the entropy measure.
//!
//! Validators check what a token's format guarantees (checksums, embedded JSON), so that a
//! string of the right length and alphabet that is not a token is not reported.

/// A named structural check a rule can require of its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    /// GitHub `gh?_` tokens: the last 6 characters are the base62 (0-9A-Za-z), zero-padded,
    /// CRC32 (IEEE) of the 30 characters between the 4-character prefix and the checksum.
    GithubCrc32,
    /// npm `npm_` tokens: the same scheme as GitHub's.
    NpmCrc32,
    /// A JWT: three base64url segments, the first decoding to a JSON object with `"alg"`.
    Jwt,
    /// A base64 payload that decodes to at least 8 bytes.
    Base64,
    /// Base64 of `user:password` (HTTP basic auth): decodes to UTF-8 text with a `:` followed
    /// by a non-empty password.
    BasicAuth,
}

impl Validator {
    /// The names accepted in rule files.
    pub(crate) const NAMES: &'static [&'static str] =
        &["github-crc32", "npm-crc32", "jwt", "base64", "basic-auth"];

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "github-crc32" => Some(Self::GithubCrc32),
            "npm-crc32" => Some(Self::NpmCrc32),
            "jwt" => Some(Self::Jwt),
            "base64" => Some(Self::Base64),
            "basic-auth" => Some(Self::BasicAuth),
            _ => None,
        }
    }

    /// True when `secret` passes the check.
    pub(crate) fn check(self, secret: &[u8]) -> bool {
        match self {
            Self::GithubCrc32 | Self::NpmCrc32 => base62_crc32_token(secret),
            Self::Jwt => jwt(secret),
            Self::Base64 => {
                let cleaned: Vec<u8> = secret
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                base64_decode(&cleaned).is_some_and(|d| d.len() >= 8)
            }
            Self::BasicAuth => base64_decode(secret)
                .and_then(|d| String::from_utf8(d).ok())
                .is_some_and(|t| {
                    t.split_once(':').is_some_and(|(user, pass)| {
                        !pass.is_empty()
                            && !user.contains(char::is_control)
                            && !pass.contains(char::is_control)
                    })
                }),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_value(b: u8) -> Option<u64> {
    BASE62.iter().position(|&c| c == b).map(|p| p as u64)
}

#[cfg(test)]
/// Encode `n` in base62, left-padded with `0` to `width` characters.
pub(crate) fn base62_encode(mut n: u64, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// `prefix_` + 30 base62 characters + 6-character base62 CRC32 of those 30 characters.
fn base62_crc32_token(secret: &[u8]) -> bool {
    let Some(underscore) = secret.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &secret[underscore + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    let mut value: u64 = 0;
    for &b in check {
        let Some(d) = base62_value(b) else {
            return false;
        };
        value = value * 62 + d;
    }
    value == u64::from(crc32fast::hash(random))
}

/// Decode standard or URL-safe base64, with or without padding.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed: &[u8] = {
        let mut end = input.len();
        while end > 0 && input[end - 1] == b'=' {
            end -= 1;
        }
        &input[..end]
    };
    if trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in trimmed {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn jwt(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(h) = base64_decode(header) else {
        return false;
    };
    let Some(p) = base64_decode(payload) else {
        return false;
    };
    let h = String::from_utf8_lossy(&h);
    let p = String::from_utf8_lossy(&p);
    h.trim_start().starts_with('{') && h.contains("\"alg\"") && p.trim_start().starts_with('{')
}

/// Shannon entropy of `data` in bits per byte.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_roundtrip_checksum() {
        let random = b"abcdefghijABCDEFGHIJ0123456789";
        let check = base62_encode(u64::from(crc32fast::hash(random)), 6);
        let token = format!("ghp_{}{}", String::from_utf8_lossy(random), check);
        assert!(Validator::GithubCrc32.check(token.as_bytes()));
        let bad = format!("ghp_{}{}", String::from_utf8_lossy(random), "000000");
        assert!(!Validator::GithubCrc32.check(bad.as_bytes()));
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"ab") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn base64_variants() {
        assert_eq!(base64_decode(b"aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert!(base64_decode(b"a$b").is_none());
    }
}
