//! vigil-core: the engine under vigil's rules.
//!
//! It finds the files to scan ([`discover`]), reads them as [`SourceFile`]s with a [`LineIndex`],
//! detects their [`Language`], parses code with one tree-sitter parser per thread ([`parse`]), and
//! runs an [`Analyzer`] over every file in parallel ([`engine`]), isolating failures per file.
//! Analyzers report [`Finding`]s; writers (the `vigil-report` crate) render them. Nothing here
//! prints, exits or panics on input: problems become [`Note`]s.

pub mod baseline;
pub mod cache;
pub mod config;
pub mod discover;
pub mod engine;
pub mod finding;
pub mod git;
pub mod lang;
pub mod parse;
pub mod source;
pub mod suppress;

pub use engine::{Analyzer, FileContext, ScanReport, ScanSettings};
pub use finding::{
    Confidence, Finding, FlowStep, Note, NoteKind, NoteLevel, RuleMeta, SecretInfo, Severity, Span,
    Suppression,
};
pub use lang::Language;
pub use source::{LineIndex, SourceFile};
