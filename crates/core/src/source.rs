//! Source files as vigil sees them: decoded text plus a line index.

use crate::lang::Language;

/// One file's content, decoded to UTF-8, with its path relative to the scan root.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in output: relative to the scan root, `/`-separated.
    pub path: String,
    /// The detected language, if vigil parses this kind of file.
    pub language: Option<Language>,
    /// The decoded text (a UTF-8 BOM is removed; UTF-16 is converted; invalid bytes become U+FFFD).
    pub text: String,
    /// Set when the text is not the file's bytes verbatim (for example `"utf-16le"`, `"lossy"`).
    pub decoding: Option<&'static str>,
    /// Line starts, for byte offset to line/column conversion.
    pub lines: LineIndex,
}

impl SourceFile {
    /// Builds a source file from raw bytes, decoding them.
    pub fn new(path: String, bytes: &[u8]) -> SourceFile {
        let (text, decoding) = decode(bytes);
        let language = Language::detect(&path, text.as_bytes());
        let lines = LineIndex::new(&text);
        SourceFile {
            path,
            language,
            text,
            decoding,
            lines,
        }
    }

    /// Builds a source file with a known language (for example from `--stdin-filename`).
    pub fn with_language(path: String, bytes: &[u8], language: Option<Language>) -> SourceFile {
        let mut file = SourceFile::new(path, bytes);
        if language.is_some() {
            file.language = language;
        }
        file
    }
}

/// Decodes bytes to text: UTF-8 (BOM stripped), UTF-16 with a BOM, else lossy UTF-8.
pub fn decode(bytes: &[u8]) -> (String, Option<&'static str>) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => (s.to_owned(), None),
            Err(_) => (String::from_utf8_lossy(rest).into_owned(), Some("lossy")),
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return (utf16(rest, u16::from_le_bytes), Some("utf-16le"));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return (utf16(rest, u16::from_be_bytes), Some("utf-16be"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), None),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), Some("lossy")),
    }
}

fn utf16(bytes: &[u8], conv: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| conv([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Byte offsets of line starts. `\n`, `\r\n` and a lone `\r` each end a line.
#[derive(Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    /// On a long line, the last column counted: (line start, offset, characters from the line
    /// start to the offset). Findings come in order along a line, so the next column is
    /// counted from there: a minified bundle's line with 100 000 findings is counted once,
    /// not once per finding.
    last: std::sync::Mutex<(usize, usize, usize)>,
}

impl Clone for LineIndex {
    fn clone(&self) -> Self {
        LineIndex {
            starts: self.starts.clone(),
            len: self.len,
            last: std::sync::Mutex::default(),
        }
    }
}

/// Past this many bytes from its line's start, a column is counted from the last one counted.
const LONG_LINE: usize = 4096;

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        // Every file read is indexed, most of them never asked for a line: a vectorized
        // search for the line ends (a byte loop was a quarter of a secrets-only scan).
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // A `\r` before a `\n` ends its line at that `\n`.
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(i + 1);
        }
        LineIndex {
            starts,
            len: bytes.len(),
            last: std::sync::Mutex::default(),
        }
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.len)
    }

    /// The 1-based line and 1-based column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let count = |from: usize| text.get(from..offset).map_or(0, |s| s.chars().count());
        if offset - start <= LONG_LINE {
            return (line, count(start) + 1);
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (at, chars) = match *last {
            (s, o, c) if s == start && o <= offset => (o, c),
            _ => (start, 0),
        };
        let chars = chars + count(at);
        *last = (start, offset, chars);
        (line, chars + 1)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = if line < self.starts.len() {
            self.starts[line].min(text.len())
        } else {
            text.len()
        };
        let s = text.get(start..end).unwrap_or("");
        s.trim_end_matches(['\n', '\r'])
    }
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns on a long line, asked in any order, are those counted from the line's start.
    #[test]
    fn columns_on_a_long_line_in_any_order() {
        let line: String = (0..3000)
            .map(|i| ["a", "\u{e9}", "\u{1f600}", "\t"][i % 4])
            .collect();
        let t = format!("x\n{line}\r\n{line}");
        let li = LineIndex::new(&t);
        let naive = |offset: usize| {
            let line = li.line_of(offset);
            let start = li.line_start(line);
            (line, t[start..offset].chars().count() + 1)
        };
        let bounds: Vec<usize> = t.char_indices().map(|(i, _)| i).collect();
        let mut next = 0x2545_f491_4f6c_dd1d_u64;
        let mut pick = || {
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            bounds[(next % bounds.len() as u64) as usize]
        };
        // In order along the text, then at random.
        let mut offsets: Vec<usize> = bounds.iter().step_by(7).copied().collect();
        offsets.extend((0..2000).map(|_| pick()));
        for o in offsets {
            assert_eq!(li.line_col(&t, o), naive(o), "offset {o}");
        }
        // A copy counts alone.
        let copy = li.clone();
        let o = bounds[bounds.len() - 1];
        assert_eq!(copy.line_col(&t, o), naive(o));
    }

    #[test]
    fn line_endings() {
        let t = "a\r\nbc\rd\n\u{e9}x";
        let li = LineIndex::new(t);
        assert_eq!(li.line_count(), 4);
        assert_eq!(li.line_col(t, 0), (1, 1));
        assert_eq!(li.line_col(t, 4), (2, 2));
        assert_eq!(li.line_col(t, 6), (3, 1));
        assert_eq!(li.line_col(t, 10), (4, 2));
        assert_eq!(li.line_text(t, 2), "bc");
        assert_eq!(li.line_text(t, 4), "\u{e9}x");
        assert_eq!(li.line_text(t, 9), "");
    }

    /// Line starts, found the plain way: `\n`, `\r\n` and a lone `\r` end a line.
    fn starts_byte_by_byte(t: &str) -> Vec<usize> {
        let b = t.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            if b[i] == b'\n' || b[i] == b'\r' {
                starts.push(i + 1);
            }
            i += 1;
        }
        starts
    }

    /// Every mix of line ends, at every position, long enough for the vectorized search.
    #[test]
    fn line_starts_match_a_byte_loop() {
        let pieces = [
            "\n",
            "\r",
            "\r\n",
            "\n\r",
            "\r\r\n",
            "ab",
            "\u{e9}",
            "x".repeat(40).leak(),
        ];
        let mut next = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..200 {
            let t: String = (0..len)
                .map(|_| {
                    next ^= next << 13;
                    next ^= next >> 7;
                    next ^= next << 17;
                    pieces[(next % pieces.len() as u64) as usize]
                })
                .collect();
            let li = LineIndex::new(&t);
            let want = starts_byte_by_byte(&t);
            assert_eq!(li.line_count(), want.len(), "{t:?}");
            for (n, &start) in want.iter().enumerate() {
                assert_eq!(li.line_start(n + 1), start, "{t:?} line {}", n + 1);
            }
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFx=1").0, "x=1");
        let (s, d) = decode(b"\xFF\xFEa\0b\0");
        assert_eq!((s.as_str(), d), ("ab", Some("utf-16le")));
        let (s, d) = decode(b"caf\xE9");
        assert_eq!((s.as_str(), d), ("caf\u{fffd}", Some("lossy")));
    }
}
