//! Input coverage: what happened to every input line, per file. A bottom
//! module (it uses only [`crate::merge`]): the log reader and the statistics
//! reader both fill a file's record, and the aggregate holds them all.

use crate::merge::Merge;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many unrecognized lines are kept as examples per file.
pub const EXAMPLES_PER_FILE: usize = 10;

/// Coverage of one input file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCoverage {
    pub path: String,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Size of the file on disk (none for stdin).
    pub file_bytes: Option<u64>,
    /// `stderr`, `csvlog`, `jsonlog` or `syslog`: as detected or given with --format.
    pub format: Option<String>,
    /// `gzip`, `bzip2`, `xz` or `zstd` when the input was compressed.
    pub compression: Option<String>,
    /// The `log_line_prefix` used, and whether it was detected or given.
    pub prefix: Option<String>,
    pub prefix_detected: bool,
    /// How finely its timestamps tell time: `1ms` or `1s` (whole seconds:
    /// `%t`, BSD syslog); none when its entries have no timestamp.
    pub clock: Option<String>,
    pub lines_total: u64,
    /// Lines of entries that fed the analysis.
    pub lines_parsed: u64,
    /// Lines recognized as PostgreSQL output but not analyzed yet.
    pub lines_ignored: u64,
    /// Lines that are not PostgreSQL output as far as pgsift can tell.
    pub lines_unrecognized: u64,
    /// Lines of entries a filter of the run left out (`--since`, `--database`,
    /// `--exclude-query`, ...), by why.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_filtered: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filtered_by: BTreeMap<String, u64>,
    /// The first and last time of the entries analyzed (milliseconds since
    /// the epoch, UTC): which periods the file covers (`report --per`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ms: Option<i64>,
    /// What was read, to tell the same input given twice (`pgsift merge`):
    /// size, modification time and a hash of its first and last 64 KiB;
    /// none for stdin and streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Lines of entries pgsift refused to count (an impossible duration), by
    /// why, and the first of them: (line number, message).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_rejected: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected_by: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected_examples: Vec<(u64, String)>,
    /// Lines longer than the cap on a line (64 MiB), cut there
    /// (the rest of each skipped).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_cut: u64,
    /// Statements longer than 1 MiB, normalized and shown on their first MiB.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub statements_cut: u64,
    /// Its lines end in a bare CR, read as line ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bare_cr: bool,
    /// Lines holding invalid UTF-8 (read lossily, still counted above).
    pub invalid_utf8_lines: u64,
    /// Ignored lines by what they are (connection, checkpoint, ...).
    pub ignored_by_kind: BTreeMap<String, u64>,
    /// The first unrecognized lines: (line number, text).
    pub unrecognized_examples: Vec<(u64, String)>,
    /// Why the file could not be read (fully or at all).
    pub error: Option<String>,
    /// Why a file found in a directory was skipped (not a PostgreSQL log); its
    /// lines are not counted.
    pub skipped: Option<String>,
    /// Columns a statistics CSV lacks that pgsift would have used, each with
    /// what it would have shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_columns: Vec<String>,
    /// How a statistics CSV was spelled, when not as psql writes it (separator,
    /// byte order mark, COPY text format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
}

impl FileCoverage {
    pub fn new(path: &str) -> Self {
        FileCoverage {
            path: path.to_string(),
            ..Default::default()
        }
    }

    pub fn ignored(&mut self, kind: &str, lines: u64) {
        self.lines_ignored += lines;
        match self.ignored_by_kind.get_mut(kind) {
            Some(c) => *c += lines,
            None => {
                self.ignored_by_kind.insert(kind.to_string(), lines);
            }
        }
    }

    /// Counts `lines` lines a filter left out, under `why`.
    pub fn filtered(&mut self, why: &str, lines: u64) {
        self.lines_filtered += lines;
        match self.filtered_by.get_mut(why) {
            Some(c) => *c += lines,
            None => {
                self.filtered_by.insert(why.to_string(), lines);
            }
        }
    }

    /// Counts an entry of `lines` lines refused for `why`; `text` is its message.
    pub fn rejected(&mut self, line: u64, why: &str, text: &str, lines: u64) {
        self.lines_rejected += lines;
        *self.rejected_by.entry(why.to_string()).or_default() += lines;
        if self.rejected_examples.len() < EXAMPLES_PER_FILE {
            self.rejected_examples.push((line, clip(text)));
        }
    }

    /// Counts `lines` unrecognized lines starting at `line`; `text` is the first.
    pub fn unrecognized(&mut self, line: u64, text: &str, lines: u64) {
        self.lines_unrecognized += lines;
        if self.unrecognized_examples.len() < EXAMPLES_PER_FILE {
            self.unrecognized_examples.push((line, clip(text)));
        }
    }
}

/// An example's first 300 characters, `…` when there were more.
fn clip(text: &str) -> String {
    let mut t: String = text.chars().take(300).collect();
    if t.len() < text.len() {
        t.push('…');
    }
    t
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Coverage of all inputs, keyed by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
}

impl Coverage {
    /// Sum of a counter over all files.
    pub fn total(&self, f: impl Fn(&FileCoverage) -> u64) -> u64 {
        self.files.values().map(f).sum()
    }

    /// Files found in directories and skipped as not being logs.
    pub fn skipped(&self) -> usize {
        self.files.values().filter(|f| f.skipped.is_some()).count()
    }

    /// Files that could not be read, fully or at all.
    pub fn unreadable(&self) -> usize {
        self.files.values().filter(|f| f.error.is_some()).count()
    }
}

impl Merge for FileCoverage {
    /// The same path read twice (named twice): counts add up, the first examples
    /// and the first error are kept.
    fn merge(&mut self, v: Self) {
        self.bytes += v.bytes;
        self.lines_total += v.lines_total;
        self.lines_parsed += v.lines_parsed;
        self.lines_ignored += v.lines_ignored;
        self.lines_unrecognized += v.lines_unrecognized;
        self.invalid_utf8_lines += v.invalid_utf8_lines;
        self.lines_filtered += v.lines_filtered;
        self.lines_rejected += v.lines_rejected;
        self.lines_cut += v.lines_cut;
        self.statements_cut += v.statements_cut;
        self.bare_cr |= v.bare_cr;
        Merge::merge(&mut self.rejected_by, v.rejected_by);
        let room = EXAMPLES_PER_FILE.saturating_sub(self.rejected_examples.len());
        self.rejected_examples
            .extend(v.rejected_examples.into_iter().take(room));
        self.first_ms = match (self.first_ms, v.first_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ms = self.last_ms.max(v.last_ms);
        Merge::merge(&mut self.ignored_by_kind, v.ignored_by_kind);
        Merge::merge(&mut self.filtered_by, v.filtered_by);
        let room = EXAMPLES_PER_FILE.saturating_sub(self.unrecognized_examples.len());
        self.unrecognized_examples
            .extend(v.unrecognized_examples.into_iter().take(room));
        self.prefix = self.prefix.take().or(v.prefix);
        self.clock = self.clock.take().or(v.clock);
        self.format = self.format.take().or(v.format);
        self.compression = self.compression.take().or(v.compression);
        self.file_bytes = self.file_bytes.or(v.file_bytes);
        self.identity = self.identity.take().or(v.identity);
        self.error = self.error.take().or(v.error);
        self.skipped = self.skipped.take().or(v.skipped);
        self.dialect = self.dialect.take().or(v.dialect);
        for c in v.missing_columns {
            if !self.missing_columns.contains(&c) {
                self.missing_columns.push(c);
            }
        }
    }
}

impl Merge for Coverage {
    fn merge(&mut self, o: Self) {
        Merge::merge(&mut self.files, o.files);
    }
}
