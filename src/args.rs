//! Command-line arguments (the CLI contract; see README.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// vigil: stops insecure code and hardcoded credentials before they land.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for insecure code and hardcoded credentials.
    Scan(ScanArgs),
    /// List, explain and test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write the current findings' fingerprints to a baseline file (for `scan --baseline`).
    Baseline(ScanArgs),
    /// Install or remove vigil's git pre-commit hook.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Tools for vigil's developers.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

/// `vigil config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (TOML) and the file it came from.
    Show {
        /// Use this configuration file instead of looking for one.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `vigil hook ...`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write a pre-commit hook that runs `vigil scan --staged` (honours core.hooksPath).
    Install {
        /// Replace a hook vigil did not write; the old hook is kept and still runs first.
        #[arg(long)]
        force: bool,
    },
    /// Remove the hook vigil installed (and restore a hook it kept).
    Uninstall,
}

/// `vigil debug ...`.
#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Only discover, read and parse files (the tree-sitter floor of a scan); print counts and time.
    Parse {
        /// Files and directories.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Worker threads (default: one per core).
        #[arg(short = 'j', long, value_name = "N")]
        threads: Option<usize>,
    },
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable, with code excerpts.
    Text,
    /// vigil's JSON schema (docs/json-format.md).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab SAST report (security report schema 15.0).
    GitlabSast,
}

/// The lowest severity that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only critical findings fail.
    Critical,
    /// High and above.
    High,
    /// Medium and above.
    Medium,
    /// Low and above: any reported finding except info.
    Low,
    /// Never fail on findings (errors still exit 2).
    Never,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `vigil scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity is reported.
    /// [default: low, or `fail-on` in the configuration]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Use this configuration file (default: vigil.toml, .vigil.toml or [tool.vigil] in
    /// pyproject.toml, in the current folder or a parent up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only these rules: ids, prefixes (`py-`, `js-`, `secret-`) or `CWE-N`; comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Never run these rules: ids, prefixes or `CWE-N`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Load extra rules from this folder (same format as the built-in rules; repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_file_size: u64,
    /// Scan files that .gitignore, .ignore or .vigilignore exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,
    /// Also scan lock files and minified assets for secrets.
    #[arg(long)]
    pub scan_generated: bool,
    /// When to use colours in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Show suppressed findings in text output.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Disable the keyword prefilters (slower; the findings are the same). For testing.
    #[arg(long, hide = true)]
    pub no_prefilter: bool,
    /// Scan the staged content (the git index) of added, copied, modified and renamed files;
    /// report findings on staged lines only.
    #[arg(long, conflicts_with_all = ["diff", "stdin_filename"])]
    pub staged: bool,
    /// With --staged: report findings anywhere in the staged files, not only on staged lines.
    #[arg(long, requires = "staged")]
    pub all_lines: bool,
    /// Report only findings on lines added or changed since the merge base of REF and HEAD.
    #[arg(long, value_name = "REF", conflicts_with = "stdin_filename")]
    pub diff: Option<String>,
    /// Report only findings whose fingerprints are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Read one file's content from standard input (path `-`) and report it as PATH.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<String>,
    /// Report `vigil: ignore[...]` comments that suppress nothing.
    #[arg(long)]
    pub report_unused_ignores: bool,
    /// Running as the git pre-commit hook: explain how to fix or suppress what blocks the commit.
    #[arg(long, hide = true)]
    pub hook: bool,
    /// Keep each file's results in `.vigil_cache/` and reuse them while the file, the rules,
    /// the options and vigil's version are unchanged (a warm re-scan).
    #[arg(long, overrides_with = "no_cache")]
    pub cache: bool,
    /// Do not read or write the cache (the default).
    #[arg(long, overrides_with = "cache")]
    pub no_cache: bool,
}

/// `vigil rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules with their severity and CWE.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Also load rules from this folder.
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
    /// Run a folder's rules over the fixtures beside them (`ruleid:` / `ok:` annotations).
    Test {
        /// A folder of rule files (TOML); fixture files (any other file) are searched in it too.
        dir: PathBuf,
        /// Look for fixtures here instead (recursively).
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
    },
    /// Explain a rule: what it finds, why it matters, examples, fix and references (markdown).
    Explain {
        /// The rule id.
        rule: String,
        /// Also load rules from this folder.
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
}

/// Formats of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// JSON.
    Json,
}
