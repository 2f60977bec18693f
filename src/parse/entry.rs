//! Entry assembly for stderr logs: physical lines -> [`LogEntry`] values.
//!
//! A prefixed line with a primary severity opens an entry; lines starting with a tab
//! continue the entry that received the previous line (PostgreSQL writes a tab after
//! every newline inside a message); DETAIL/HINT/CONTEXT/STATEMENT/QUERY/LOCATION lines
//! attach to the open entry of the same process. An entry is emitted when its process
//! opens the next one, or at the end of the input, so memory holds at most one open
//! entry per live process.

use super::message::Classified;
use super::prefix::{Level, LinePrefix, PrefixedLine};
use super::timestamp::Timestamp;

/// The most text an entry's message keeps from its continuation lines (the
/// cap on one line): a statement of millions of lines stays bounded.
pub const MAX_ENTRY_BYTES: usize = 64 << 20;

/// A short text held inline when it fits (23 bytes): user, database and
/// application names, client addresses, session ids and SQLSTATEs, which every
/// entry carries and which would otherwise cost an allocation each.
pub type Short = compact_str::CompactString;

/// One log entry with its secondary lines attached.
///
/// Built by a worker and read by the thread that folds entries in order, which
/// reads the first fields for every statement: they come first, in this order
/// (`repr(C)`), so they share three cache lines instead of spreading over five.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[repr(C)]
pub struct LogEntry {
    pub ts: Option<Timestamp>,
    pub query_id: Option<i64>,
    pub pid: Option<u32>,
    /// 1-based number of the entry's first line in its file.
    pub line: u64,
    /// Physical lines that make up the entry (continuations and secondary lines included).
    pub lines: u64,
    pub level: Option<Level>,
    pub message: String,
    pub detail: Option<String>,
    pub user: Option<Short>,
    pub db: Option<Short>,
    pub app: Option<Short>,
    /// The session's log line number (`%l`, csvlog/jsonlog `session_line_num`).
    pub session_line: Option<u64>,
    pub session_id: Option<Short>,
    pub client: Option<Short>,
    pub sqlstate: Option<Short>,
    pub hint: Option<String>,
    pub context: Option<String>,
    pub statement: Option<String>,
    pub query: Option<String>,
}

/// The process a line belongs to, as a map key: its pid, else a hash of its
/// session id (csvlog and jsonlog always have one; a stderr prefix may print
/// only `%c`), else 0. Entries, their secondary lines and a statement's
/// duration are matched by it.
pub fn process_key(pid: Option<u32>, session_id: Option<&str>) -> u64 {
    match (pid, session_id) {
        (Some(pid), _) => u64::from(pid),
        (None, Some(s)) => {
            use std::hash::Hasher;
            let mut h = rustc_hash::FxHasher::default();
            h.write(s.as_bytes());
            h.finish()
        }
        (None, None) => 0,
    }
}

/// What a worker knew of an entry's message ahead: its classification, and
/// what a later stage computed from its SQL text ([`Prematched::statement`]),
/// of a type `A` the parse layer knows nothing of (the reader that sets it
/// chooses it; `()` when nothing is computed). Both hold only while the
/// message is the one line they were computed from: an entry continued on
/// later lines drops them, so `ahead` reaches only the statement whose text is
/// exactly the one it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known<A> {
    pub class: Classified,
    pub ahead: Option<A>,
}

/// What the assembler hands on, in order; `A` is what is computed ahead (see
/// [`Known`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled<A = ()> {
    /// A complete entry, with what was known of its message ahead (when the
    /// message was not continued since).
    Entry(Box<LogEntry>, Option<Known<A>>),
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
/// then call [`finish`](Self::finish). `A` is what is computed ahead (see [`Known`]).
pub struct StderrAssembler<A = ()> {
    prefix: LinePrefix,
    open: rustc_hash::FxHashMap<u64, Open<A>>,
    last: Option<(u64, Field)>,
    line_no: u64,
    zones: Vec<String>,
    /// Changes of the lines' zone label, and the index in `zones` of the current one.
    zone_changes: u64,
    current_zone: usize,
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

/// A stderr line parsed ahead by a worker ([`prematch`]): everything the
/// assembler needs that depends on the line alone, owned, so the thread that
/// folds lines in order only files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prematched<A = ()> {
    /// A line with a primary severity: the entry it opens.
    Entry(Opening<A>),
    /// A DETAIL, HINT, CONTEXT, ... line of process `key`.
    Secondary {
        key: u64,
        level: Level,
        text: String,
    },
    /// The prefix does not match.
    Unmatched,
}

impl<A> Prematched<A> {
    /// The SQL text of the line this was computed for, when the line alone is
    /// a statement entry (`duration: ... statement: SQL`, `execute S_1: SQL`):
    /// what workers can normalize ahead. An entry continued on later lines has
    /// a longer text, so a text taken from here is only ever used for exactly
    /// the same text.
    pub fn statement(&self) -> Option<&str> {
        match self {
            Prematched::Entry(o) => o.known.as_ref()?.class.sql(&o.entry.message),
            _ => None,
        }
    }

    /// Hands `ahead`, computed from [`statement`](Self::statement)'s text, on
    /// with the entry (nothing for a line that is not a statement).
    pub fn set_ahead(&mut self, ahead: A) {
        if let Prematched::Entry(Opening { known: Some(k), .. }) = self {
            k.ahead = Some(ahead);
        }
    }
}

/// An entry opened by one line, built ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening<A> {
    /// Everything but its line number, which the assembler sets.
    entry: Box<LogEntry>,
    key: u64,
    /// The time zone label, when it differs from the previous line's in the
    /// same batch (first appearances keep their order).
    zone: Option<String>,
    /// The message classified, when it is a statement or duration, with what
    /// was computed from its SQL ahead ([`Prematched::set_ahead`]).
    known: Option<Known<A>>,
}

/// The per-line parse [`StderrAssembler::push_prematched`] takes, computed
/// ahead by a worker: `None` when the line needs the assembler's state (a
/// tab-led continuation, a blank line). `zone` is the previous line's time
/// zone label in the same batch.
pub fn prematch<A>(
    prefix: &LinePrefix,
    line: &str,
    zone: &mut Option<String>,
) -> Option<Prematched<A>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.starts_with('\t') || line.trim().is_empty() {
        return None;
    }
    let Some(p) = prefix.match_line(line) else {
        return Some(Prematched::Unmatched);
    };
    let key = process_key(p.fields.pid, p.fields.session_id);
    if p.level.is_secondary() {
        return Some(Prematched::Secondary {
            key,
            level: p.level,
            text: p.message.to_string(),
        });
    }
    let new_zone = match p.fields.tz {
        Some(tz) if zone.as_deref() != Some(tz) => {
            *zone = Some(tz.to_string());
            zone.clone()
        }
        _ => None,
    };
    Some(Prematched::Entry(Opening {
        known: Classified::of(p.message).map(|class| Known { class, ahead: None }),
        entry: Box::new(LogEntry::opened_by(&p, 0)),
        key,
        zone: new_zone,
    }))
}

impl LogEntry {
    /// The entry a primary line opens, as line `line` of its file.
    fn opened_by(p: &PrefixedLine<'_>, line: u64) -> LogEntry {
        let f = &p.fields;
        LogEntry {
            ts: f.ts,
            pid: f.pid,
            session_id: f.session_id.map(Short::new),
            user: f.user.map(Short::new),
            db: f.db.map(Short::new),
            app: f.app.map(Short::new),
            client: f.client.map(Short::new),
            level: Some(p.level),
            sqlstate: p.sqlstate.or(f.sqlstate).map(Short::new),
            query_id: f.query_id,
            session_line: f.line_num,
            message: p.message.to_string(),
            line,
            lines: 1,
            ..LogEntry::default()
        }
    }
}

/// An entry waiting for the next one of its process.
struct Open<A> {
    entry: Box<LogEntry>,
    known: Option<Known<A>>,
}

impl<A> StderrAssembler<A> {
    pub fn new(prefix: LinePrefix) -> Self {
        StderrAssembler {
            prefix,
            open: Default::default(),
            last: None,
            line_no: 0,
            zones: Vec::new(),
            zone_changes: 0,
            current_zone: 0,
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

    /// How many times the lines' zone label changed, and the label now.
    pub fn zone_now(&self) -> (u64, Option<&str>) {
        (
            self.zone_changes,
            self.zones.get(self.current_zone).map(String::as_str),
        )
    }

    /// Feeds one physical line (without its newline).
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Assembled<A>)) {
        self.push_prematched(|| line, None, out);
    }

    /// `line` parsed here, as a worker would have: for a line that is neither
    /// tab-led nor blank.
    fn parse_here(&self, line: &str) -> Prematched<A> {
        prematch(&self.prefix, line, &mut None).unwrap_or(Prematched::Unmatched)
    }

    /// Feeds one line with what a worker parsed of it ahead with [`prematch`]
    /// (`None`: nothing, parsed here when needed). `line` gives the line's text,
    /// only read when the prematch does not say everything: the thread that
    /// files lines in order then does not touch the text of an entry's or a
    /// secondary line (another core read it last).
    pub fn push_prematched<'l>(
        &mut self,
        line: impl FnOnce() -> &'l str,
        pre: Option<Prematched<A>>,
        out: &mut impl FnMut(Assembled<A>),
    ) {
        self.line_no += 1;
        let pre = match pre {
            // a worker's prematch is of a line neither tab-led nor blank, so it
            // continues nothing; an unmatched one may (a space-led continuation)
            Some(Prematched::Entry(o)) => return self.open_entry(o, out),
            Some(Prematched::Secondary { key, level, text }) => {
                return self.attach(key, level, text, out);
            }
            pre => pre,
        };
        let line = line();
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut pre = pre;
        // PostgreSQL writes a tab after each newline inside a message; some copies of
        // logs turned that tab into spaces, so a space-led line continues too.
        let cont = line.strip_prefix('\t').or_else(|| {
            (line.starts_with(' ')
                && !line.trim().is_empty()
                && self.last.is_some()
                && matches!(
                    pre.get_or_insert_with(|| self.parse_here(line)),
                    Prematched::Unmatched
                ))
            .then_some(line)
        });
        if let Some(cont) = cont {
            // A continuation with nothing to continue is not understood.
            let Some(o) = self.last.and_then(|(key, _)| self.open.get_mut(&key)) else {
                out(Assembled::Unrecognized {
                    line: self.line_no,
                    text: line.to_string(),
                });
                return;
            };
            let field = self.last.map_or(Field::Message, |(_, f)| f);
            let e = &mut o.entry;
            e.lines += 1;
            // an entry holds at most MAX_ENTRY_BYTES of text: the lines past
            // them are counted, not kept (a statement that long is grouped on
            // its first MiB anyway, and said)
            if e.message.len() + cont.len() > MAX_ENTRY_BYTES {
                return;
            }
            match slot(e, field) {
                Some(Some(s)) if s.len() + cont.len() > MAX_ENTRY_BYTES => {}
                Some(Some(s)) => {
                    s.push('\n');
                    s.push_str(cont);
                }
                Some(None) => {}
                None if field == Field::Message => {
                    e.message.push('\n');
                    e.message.push_str(cont);
                    // a longer message is classified again
                    o.known = None;
                }
                None => {}
            }
            return;
        }
        if line.trim().is_empty() {
            out(Assembled::Blank);
            return;
        }
        match pre.unwrap_or_else(|| self.parse_here(line)) {
            Prematched::Unmatched => out(Assembled::Unrecognized {
                line: self.line_no,
                text: line.to_string(),
            }),
            Prematched::Entry(o) => self.open_entry(o, out),
            Prematched::Secondary { key, level, text } => self.attach(key, level, text, out),
        }
    }

    /// A secondary line (DETAIL, HINT, ...) of process `key`: attached to the
    /// entry it has open.
    fn attach(&mut self, key: u64, level: Level, text: String, out: &mut impl FnMut(Assembled<A>)) {
        let field = field_of(level);
        match self.open.get_mut(&key) {
            Some(o) => {
                o.entry.lines += 1;
                if let Some(s) = slot(&mut o.entry, field) {
                    match s {
                        Some(existing) => {
                            existing.push('\n');
                            existing.push_str(&text);
                        }
                        None => *s = Some(text),
                    }
                }
                self.last = Some((key, field));
            }
            None => {
                out(Assembled::Orphan { lines: 1 });
                self.last = None;
            }
        }
    }

    /// A primary line: the entry it opens replaces (and hands on) the one its
    /// process had open.
    fn open_entry(&mut self, o: Opening<A>, out: &mut impl FnMut(Assembled<A>)) {
        let Opening {
            mut entry,
            key,
            zone,
            known,
        } = o;
        if let Some(tz) = zone {
            // the label changed (a line's label is given only when it differs
            // from the line before): counted, so a label that comes back
            // (CET, CEST, CET) is seen too
            self.zone_changes += 1;
            match self.zones.iter().position(|z| *z == tz) {
                Some(i) => self.current_zone = i,
                None => {
                    self.current_zone = self.zones.len();
                    self.zones.push(tz);
                }
            }
        }
        entry.line = self.line_no;
        if let Some(prev) = self.open.insert(key, Open { entry, known }) {
            out(Assembled::Entry(prev.entry, prev.known));
        }
        self.last = Some((key, Field::Message));
    }

    /// Appends a continuation line to the open entry of process `pid` (syslog
    /// numbers continuation records per process, so they need not follow their entry).
    pub fn continue_pid(&mut self, pid: u32, text: &str, out: &mut impl FnMut(Assembled<A>)) {
        self.line_no += 1;
        let key = u64::from(pid);
        let field = match self.last {
            Some((k, f)) if k == key => f,
            _ => Field::Message,
        };
        let Some(o) = self.open.get_mut(&key) else {
            out(Assembled::Unrecognized {
                line: self.line_no,
                text: text.to_string(),
            });
            return;
        };
        let e = &mut o.entry;
        e.lines += 1;
        let target = match slot(e, field) {
            Some(Some(s)) => s,
            _ => {
                o.known = None;
                &mut e.message
            }
        };
        target.push('\n');
        target.push_str(text);
        self.last = Some((key, field));
    }

    /// Emits the entries still open, in line order.
    pub fn finish(&mut self, out: &mut impl FnMut(Assembled<A>)) {
        let mut rest: Vec<Open<A>> = self.open.drain().map(|(_, o)| o).collect();
        rest.sort_by_key(|o| o.entry.line);
        for o in rest {
            out(Assembled::Entry(o.entry, o.known));
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
                Assembled::Entry(e, _) => Some(e.as_ref()),
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
    fn without_a_pid_lines_are_matched_by_session_id() {
        // a prefix with the session id and no pid: two sessions interleaved,
        // each DETAIL goes to the entry of its own session
        let log = "2024-05-01 10:00:00.001 UTC 6630a1b2.1f4 LOG:  duration: 1.000 ms  execute S_1: SELECT $1\n\
                   2024-05-01 10:00:00.002 UTC 6630a1b3.1f5 LOG:  duration: 2.000 ms  execute S_2: SELECT $1\n\
                   2024-05-01 10:00:00.003 UTC 6630a1b2.1f4 DETAIL:  parameters: $1 = 'a'\n\
                   2024-05-01 10:00:00.004 UTC 6630a1b3.1f5 DETAIL:  parameters: $1 = 'b'\n";
        let out = assemble("%m %c ", log);
        let e = entries(&out);
        assert_eq!(e.len(), 2);
        for (line, session, detail) in [
            (1, "6630a1b2.1f4", "parameters: $1 = 'a'"),
            (2, "6630a1b3.1f5", "parameters: $1 = 'b'"),
        ] {
            let x = e.iter().find(|x| x.line == line).unwrap();
            assert_eq!(x.session_id.as_deref(), Some(session));
            assert_eq!(x.pid, None);
            assert_eq!(x.detail.as_deref(), Some(detail));
            assert_eq!(x.lines, 2);
        }
        assert_ne!(
            process_key(None, Some("6630a1b2.1f4")),
            process_key(None, Some("6630a1b3.1f5"))
        );
        assert_eq!(process_key(Some(500), Some("6630a1b2.1f4")), 500);
    }

    /// Assembles `text` with every line parsed ahead by [`prematch`], in
    /// batches of `batch` lines (as workers do), instead of by the assembler.
    fn assemble_prematched(prefix: &str, text: &str, batch: usize) -> Vec<Assembled> {
        let p = LinePrefix::compile(prefix);
        let mut a = StderrAssembler::new(p.clone());
        let mut out = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        let mut filed_ready = 0;
        for b in lines.chunks(batch) {
            let mut zone = None;
            let pre: Vec<_> = b.iter().map(|l| prematch(&p, l, &mut zone)).collect();
            for (l, pre) in b.iter().zip(pre) {
                // the text of a line prematched as an entry or a secondary line
                // is not read again when it is filed
                let ready = matches!(
                    pre,
                    Some(Prematched::Entry(_) | Prematched::Secondary { .. })
                );
                let read = std::cell::Cell::new(false);
                let text = || {
                    read.set(true);
                    *l
                };
                a.push_prematched(text, pre, &mut |x| out.push(x));
                assert_eq!(read.get(), !ready, "line {l:?} read: {}", read.get());
                filed_ready += usize::from(ready);
            }
        }
        assert!(filed_ready > 0 || text.lines().all(|l| l.trim().is_empty()));
        a.finish(&mut |x| out.push(x));
        assert_eq!(
            a.zones(),
            {
                let mut here = StderrAssembler::<()>::new(p.clone());
                text.lines().for_each(|l| here.push_line(l, &mut |_| {}));
                here.zones().to_vec()
            },
            "zones"
        );
        out
    }

    #[test]
    fn lines_parsed_ahead_assemble_like_lines_parsed_here() {
        let cases = [
            (
                "%m [%p] ",
                "2024-05-01 10:00:00.001 UTC [1] LOG:  duration: 1.000 ms  execute S_1: SELECT a,\n\
                 \t  b FROM t WHERE id = $1\n\
                 2024-05-01 10:00:00.002 CEST [2] LOG:  duration: 2.000 ms  statement: SELECT 2\n\
                 2024-05-01 10:00:00.003 UTC [1] DETAIL:  parameters: $1 = 'x, y\n\
                 \tz'\n\
                   spaces continue the detail\n\
                 \n\
                 garbage\n\
                 2024-05-01 10:00:00.004 CEST [1] LOG:  duration: 3.000 ms\n\
                 2024-05-01 10:00:00.005 UTC [3] HINT:  an orphan\n\
                 2024-05-01 10:00:00.006 UTC [2] LOG:  statement: SELECT 3\n\
                 \tFROM t\n\
                 2024-05-01 10:00:00.007 UTC [2] LOG:  duration: 4.000 ms\n",
            ),
            // %n prints no zone: the entries say UTC
            (
                "%n [%p] ",
                "1504687301.123 [36] LOG:  duration: 1.000 ms  statement: SELECT 1\n\
                 1504687302.123 [36] LOG:  duration: 1.000 ms  statement: SELECT 2\n",
            ),
        ];
        for (prefix, text) in cases {
            let here = assemble(prefix, text);
            assert!(entries(&here).len() >= 2, "{prefix}");
            for batch in [1, 2, 3, 100] {
                let ahead = assemble_prematched(prefix, text, batch);
                assert_eq!(ahead.len(), here.len(), "{prefix} batch {batch}");
                for (a, h) in ahead.iter().zip(&here) {
                    match (a, h) {
                        // classified ahead or not, the entry is the same; a
                        // classification made ahead is the message's own
                        (Assembled::Entry(a, known), Assembled::Entry(h, _)) => {
                            assert_eq!(a, h, "{prefix} batch {batch}");
                            if let Some(k) = known {
                                assert_eq!(Some(k.class), Classified::of(&a.message));
                            }
                        }
                        _ => assert_eq!(a, h, "{prefix} batch {batch}"),
                    }
                }
            }
        }
        // a continued message is classified again, not taken from its first line
        let ahead = assemble_prematched("%m [%p] ", cases[0].1, 100);
        let continued = ahead
            .iter()
            .find_map(|a| match a {
                Assembled::Entry(e, known) if e.message.ends_with("FROM t") => Some(known.clone()),
                _ => None,
            })
            .expect("the continued statement");
        assert_eq!(continued, None);
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
