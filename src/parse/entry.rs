//! Entry assembly for stderr logs: physical lines -> [`LogEntry`] values.
//!
//! A prefixed line with a primary severity opens an entry; lines starting with a tab
//! continue the entry that received the previous line (PostgreSQL writes a tab after
//! every newline inside a message); DETAIL/HINT/CONTEXT/STATEMENT/QUERY/LOCATION lines
//! attach to the open entry of the same process. An entry is emitted when its process
//! opens the next one, or at the end of the input, so memory holds at most one open
//! entry per live process.

use super::prefix::{Level, LinePrefix, PrefixedLine, PrefixedSpans};
use super::timestamp::Timestamp;

/// One log entry with its secondary lines attached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEntry {
    pub ts: Option<Timestamp>,
    pub pid: Option<u32>,
    pub session_id: Option<String>,
    pub user: Option<String>,
    pub db: Option<String>,
    pub app: Option<String>,
    pub client: Option<String>,
    pub level: Option<Level>,
    pub sqlstate: Option<String>,
    pub query_id: Option<i64>,
    /// The session's log line number (`%l`, csvlog/jsonlog `session_line_num`).
    pub session_line: Option<u64>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub context: Option<String>,
    pub statement: Option<String>,
    pub query: Option<String>,
    /// 1-based number of the entry's first line in its file.
    pub line: u64,
    /// Physical lines that make up the entry (continuations and secondary lines included).
    pub lines: u64,
}

/// What the assembler hands on, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// A complete entry.
    Entry(Box<LogEntry>),
    /// A line that is neither a prefixed line nor a continuation.
    Unrecognized { line: u64, text: String },
    /// A secondary or continuation line with no entry to attach to.
    Orphan { lines: u64 },
    /// An empty line.
    Blank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Message,
    Detail,
    Hint,
    Context,
    Statement,
    Query,
    Location,
}

/// Streams stderr lines into entries. Feed lines with [`push_line`](Self::push_line),
/// then call [`finish`](Self::finish).
pub struct StderrAssembler {
    prefix: LinePrefix,
    open: rustc_hash::FxHashMap<u64, LogEntry>,
    last: Option<(u64, Field)>,
    line_no: u64,
    zones: Vec<String>,
}

fn field_of(level: Level) -> Field {
    match level {
        Level::Detail => Field::Detail,
        Level::Hint => Field::Hint,
        Level::Context => Field::Context,
        Level::Statement => Field::Statement,
        Level::Query => Field::Query,
        Level::Location => Field::Location,
        _ => Field::Message,
    }
}

fn slot(e: &mut LogEntry, f: Field) -> Option<&mut Option<String>> {
    match f {
        Field::Message | Field::Location => None,
        Field::Detail => Some(&mut e.detail),
        Field::Hint => Some(&mut e.hint),
        Field::Context => Some(&mut e.context),
        Field::Statement => Some(&mut e.statement),
        Field::Query => Some(&mut e.query),
    }
}

/// The prefix match [`StderrAssembler::push_line`] needs for `line`, computed
/// ahead by a worker: `None` when the line needs none (a tab-led continuation, a
/// blank line) or is too long to carry as spans; `Some(None)` when it does not match.
pub fn prematch(prefix: &LinePrefix, line: &str) -> Option<Option<PrefixedSpans>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.starts_with('\t') || line.trim().is_empty() {
        return None;
    }
    match prefix.match_line(line) {
        None => Some(None),
        Some(p) => p.to_spans(line).map(Some),
    }
}

impl StderrAssembler {
    pub fn new(prefix: LinePrefix) -> Self {
        StderrAssembler {
            prefix,
            open: Default::default(),
            last: None,
            line_no: 0,
            zones: Vec::new(),
        }
    }

    /// The prefix lines are matched with.
    pub fn prefix(&self) -> &LinePrefix {
        &self.prefix
    }

    /// Time zone labels seen in timestamps, in order of first appearance.
    pub fn zones(&self) -> &[String] {
        &self.zones
    }

    fn key(p: &PrefixedLine<'_>) -> u64 {
        match (p.fields.pid, p.fields.session_id) {
            (Some(pid), _) => u64::from(pid),
            (None, Some(s)) => crate::normalize::fingerprint(s),
            (None, None) => 0,
        }
    }

    /// Feeds one physical line (without its newline).
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Assembled)) {
        self.push_prematched(line, None, out);
    }

    /// Feeds one line whose prefix match a worker may have computed ahead with
    /// [`prematch`] (`None`: not computed, matched here when needed).
    pub fn push_prematched(
        &mut self,
        line: &str,
        pre: Option<Option<&PrefixedSpans>>,
        out: &mut impl FnMut(Assembled),
    ) {
        self.line_no += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut matched = pre.map(|m| m.map(|s| s.resolve(line)));
        // PostgreSQL writes a tab after each newline inside a message; some copies of
        // logs turned that tab into spaces, so a space-led line continues too.
        let cont = line.strip_prefix('\t').or_else(|| {
            (line.starts_with(' ')
                && !line.trim().is_empty()
                && self.last.is_some()
                && matched
                    .get_or_insert_with(|| self.prefix.match_line(line))
                    .is_none())
            .then_some(line)
        });
        if let Some(cont) = cont {
            // A continuation with nothing to continue is not understood.
            let Some(e) = self.last.and_then(|(key, _)| self.open.get_mut(&key)) else {
                out(Assembled::Unrecognized {
                    line: self.line_no,
                    text: line.to_string(),
                });
                return;
            };
            let field = self.last.map_or(Field::Message, |(_, f)| f);
            e.lines += 1;
            match slot(e, field) {
                Some(Some(s)) => {
                    s.push('\n');
                    s.push_str(cont);
                }
                Some(None) => {}
                None if field == Field::Message => {
                    e.message.push('\n');
                    e.message.push_str(cont);
                }
                None => {}
            }
            return;
        }
        if line.trim().is_empty() {
            out(Assembled::Blank);
            return;
        }
        let Some(p) = matched.unwrap_or_else(|| self.prefix.match_line(line)) else {
            out(Assembled::Unrecognized {
                line: self.line_no,
                text: line.to_string(),
            });
            return;
        };
        let key = Self::key(&p);
        if p.level.is_secondary() {
            let field = field_of(p.level);
            match self.open.get_mut(&key) {
                Some(e) => {
                    e.lines += 1;
                    if let Some(s) = slot(e, field) {
                        match s {
                            Some(existing) => {
                                existing.push('\n');
                                existing.push_str(p.message);
                            }
                            None => *s = Some(p.message.to_string()),
                        }
                    }
                    self.last = Some((key, field));
                }
                None => {
                    out(Assembled::Orphan { lines: 1 });
                    self.last = None;
                }
            }
            return;
        }
        if let Some(tz) = p.fields.tz
            && !self.zones.iter().any(|z| z == tz)
        {
            self.zones.push(tz.to_string());
        }
        let f = &p.fields;
        let entry = LogEntry {
            ts: f.ts,
            pid: f.pid,
            session_id: f.session_id.map(str::to_string),
            user: f.user.map(str::to_string),
            db: f.db.map(str::to_string),
            app: f.app.map(str::to_string),
            client: f.client.map(str::to_string),
            level: Some(p.level),
            sqlstate: p.sqlstate.or(f.sqlstate).map(str::to_string),
            query_id: f.query_id,
            session_line: f.line_num,
            message: p.message.to_string(),
            line: self.line_no,
            lines: 1,
            ..LogEntry::default()
        };
        if let Some(prev) = self.open.insert(key, entry) {
            out(Assembled::Entry(Box::new(prev)));
        }
        self.last = Some((key, Field::Message));
    }

    /// Appends a continuation line to the open entry of process `pid` (syslog
    /// numbers continuation records per process, so they need not follow their entry).
    pub fn continue_pid(&mut self, pid: u32, text: &str, out: &mut impl FnMut(Assembled)) {
        self.line_no += 1;
        let key = u64::from(pid);
        let field = match self.last {
            Some((k, f)) if k == key => f,
            _ => Field::Message,
        };
        let Some(e) = self.open.get_mut(&key) else {
            out(Assembled::Unrecognized {
                line: self.line_no,
                text: text.to_string(),
            });
            return;
        };
        e.lines += 1;
        let target = match slot(e, field) {
            Some(Some(s)) => s,
            _ => &mut e.message,
        };
        target.push('\n');
        target.push_str(text);
        self.last = Some((key, field));
    }

    /// Emits the entries still open, in line order.
    pub fn finish(&mut self, out: &mut impl FnMut(Assembled)) {
        let mut rest: Vec<LogEntry> = self.open.drain().map(|(_, e)| e).collect();
        rest.sort_by_key(|e| e.line);
        for e in rest {
            out(Assembled::Entry(Box::new(e)));
        }
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assemble(prefix: &str, text: &str) -> Vec<Assembled> {
        let mut a = StderrAssembler::new(LinePrefix::compile(prefix));
        let mut out = Vec::new();
        for l in text.lines() {
            a.push_line(l, &mut |x| out.push(x));
        }
        a.finish(&mut |x| out.push(x));
        out
    }

    fn entries(v: &[Assembled]) -> Vec<&LogEntry> {
        v.iter()
            .filter_map(|a| match a {
                Assembled::Entry(e) => Some(e.as_ref()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn continuation_and_detail_attach_to_same_pid() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  duration: 1.000 ms  execute S_1: SELECT a,\n\
                   \t  b FROM t WHERE id = $1\n\
                   2024-05-01 10:00:00.002 UTC [2] LOG:  duration: 2.000 ms  statement: SELECT 2\n\
                   2024-05-01 10:00:00.003 UTC [1] DETAIL:  parameters: $1 = 'x, y\n\
                   \tz'\n\
                   2024-05-01 10:00:00.004 UTC [1] LOG:  duration: 3.000 ms  statement: SELECT 3\n";
        let out = assemble("%m [%p] ", log);
        let e = entries(&out);
        assert_eq!(e.len(), 3);
        let first = e.iter().find(|e| e.line == 1).unwrap();
        assert_eq!(
            first.message,
            "duration: 1.000 ms  execute S_1: SELECT a,\n  b FROM t WHERE id = $1"
        );
        assert_eq!(first.detail.as_deref(), Some("parameters: $1 = 'x, y\nz'"));
        assert_eq!(first.lines, 4);
        assert_eq!(first.pid, Some(1));
    }

    #[test]
    fn padded_prefix_lines_starting_with_spaces_are_entries() {
        let log = "  123 2024-05-01 10:00:00.001 UTC LOG:  duration: 1.000 ms  statement: SELECT 1\n   45 2024-05-01 10:00:00.002 UTC LOG:  duration: 1.000 ms  statement: SELECT 2\n";
        let out = assemble("%5p %m ", log);
        assert_eq!(entries(&out).len(), 2);
    }

    #[test]
    fn unrecognized_orphans_and_blanks_are_reported() {
        let log = "garbage here\n\
                   \tcontinuation without entry\n\
                   2024-05-01 10:00:00.003 UTC [9] DETAIL:  orphan detail\n\
                   \n\
                   2024-05-01 10:00:00.004 UTC [1] LOG:  statement: SELECT 3\n";
        let out = assemble("%m [%p] ", log);
        assert_eq!(
            out[0],
            Assembled::Unrecognized {
                line: 1,
                text: "garbage here".into()
            }
        );
        assert_eq!(
            out[1],
            Assembled::Unrecognized {
                line: 2,
                text: "\tcontinuation without entry".into()
            }
        );
        assert_eq!(out[2], Assembled::Orphan { lines: 1 });
        assert_eq!(out[3], Assembled::Blank);
        assert_eq!(entries(&out).len(), 1);
    }
}
