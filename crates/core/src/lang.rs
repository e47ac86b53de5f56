//! Languages vigil parses, detected from a file's extension or shebang.

use serde::Serialize;

/// A language vigil parses with tree-sitter. Other text files are still scanned for secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Python (`.py`, `.pyi`, python shebang).
    Python,
    /// JavaScript, including JSX (`.js`, `.mjs`, `.cjs`, `.jsx`, node shebang).
    JavaScript,
    /// TypeScript without JSX (`.ts`, `.mts`, `.cts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
}

/// Rule families: JavaScript rules apply to every JavaScript and TypeScript dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Python.
    Python,
    /// JavaScript, JSX, TypeScript and TSX.
    JavaScript,
}

impl Language {
    /// Every language, in a fixed order.
    pub const ALL: [Language; 4] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
    ];

    /// Detects the language from the path's extension, then from a shebang in `head`
    /// (the first bytes of the file).
    pub fn detect(path: &str, head: &[u8]) -> Option<Language> {
        Self::from_path(path).or_else(|| Self::from_shebang(head))
    }

    /// The language of a path, by extension only.
    pub fn from_path(path: &str) -> Option<Language> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        match ext.to_ascii_lowercase().as_str() {
            "py" | "pyi" | "pyw" => Some(Language::Python),
            "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            _ => None,
        }
    }

    /// The language named by a `#!` line (`python`, `python3`, `node`, through `env` or not).
    pub fn from_shebang(head: &[u8]) -> Option<Language> {
        let line = head.strip_prefix(b"#!")?;
        let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
        let line = std::str::from_utf8(&line[..end]).ok()?;
        let mut words = line.split_whitespace();
        let mut prog = words.next()?.rsplit('/').next()?;
        if prog == "env" {
            prog = words.find(|w| !w.starts_with('-'))?;
        }
        if prog.starts_with("python") || prog == "pypy" || prog == "pypy3" {
            Some(Language::Python)
        } else if prog == "node" || prog == "nodejs" || prog == "deno" || prog == "bun" {
            Some(Language::JavaScript)
        } else {
            None
        }
    }

    /// The rule family of this language.
    pub fn family(self) -> Family {
        match self {
            Language::Python => Family::Python,
            _ => Family::JavaScript,
        }
    }

    /// The tree-sitter grammar of this language.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }

    /// A short lowercase name (`python`, `javascript`, `typescript`, `tsx`).
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
        }
    }

    /// A dense index (0..4), for per-language tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Family {
    /// The languages of this family.
    pub fn languages(self) -> &'static [Language] {
        match self {
            Family::Python => &[Language::Python],
            Family::JavaScript => &[Language::JavaScript, Language::TypeScript, Language::Tsx],
        }
    }

    /// The family's name as written in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Family::Python => "python",
            Family::JavaScript => "javascript",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(Language::from_path("a/b.py"), Some(Language::Python));
        assert_eq!(Language::from_path("x.pyi"), Some(Language::Python));
        for e in ["js", "mjs", "cjs", "jsx"] {
            assert_eq!(
                Language::from_path(&format!("f.{e}")),
                Some(Language::JavaScript)
            );
        }
        for e in ["ts", "mts", "cts"] {
            assert_eq!(
                Language::from_path(&format!("f.{e}")),
                Some(Language::TypeScript)
            );
        }
        assert_eq!(Language::from_path("f.tsx"), Some(Language::Tsx));
        assert_eq!(Language::from_path("Makefile"), None);
        assert_eq!(Language::from_path(".env"), None);
    }

    #[test]
    fn shebangs() {
        assert_eq!(
            Language::from_shebang(b"#!/usr/bin/env python3\nx"),
            Some(Language::Python)
        );
        assert_eq!(
            Language::from_shebang(b"#!/usr/bin/python"),
            Some(Language::Python)
        );
        assert_eq!(
            Language::from_shebang(b"#!/usr/bin/env node\n"),
            Some(Language::JavaScript)
        );
        assert_eq!(
            Language::from_shebang(b"#!/usr/bin/env -S node --x\n"),
            Some(Language::JavaScript)
        );
        assert_eq!(Language::from_shebang(b"#!/bin/sh\n"), None);
        assert_eq!(Language::from_shebang(b"print(1)"), None);
        assert_eq!(
            Language::detect("bin/tool", b"#!/usr/bin/env python3\n"),
            Some(Language::Python)
        );
    }
}
