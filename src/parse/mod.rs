//! Parse layer: physical log lines -> [`events::Event`] values.
//!
//! Borrowed lines in, owned events out; knows nothing of aggregation or output.
//! Every format ends in the same [`entry::LogEntry`] and the same event stream:
//! [`prefix`] compiles and detects `log_line_prefix`, [`entry`] assembles
//! multi-line stderr entries, [`csvlog`], [`jsonlog`] and [`syslog`] read the other
//! formats, [`message`] classifies messages, [`events`] pairs statements with
//! durations.
//!
//! The reader may compute something ahead from a one-line statement's SQL
//! text on a worker ([`entry::Prematched::set_ahead`]): it travels, of
//! whatever type `A` the reader chose, with the statement to the event sink
//! ([`events::EventSink`]); this layer only carries it.

pub mod activity;
pub mod csvlog;
pub mod entry;
pub mod events;
pub mod filter;
pub mod i18n;
pub mod jsonlog;
pub mod message;
pub mod pgbouncer;
pub mod plan;
pub mod prefix;
pub mod syslog;
pub mod timestamp;

use crate::input::sniff::LogFormat;
use entry::StderrAssembler;
use events::{EventBuilder, EventSink};
use prefix::{LinePrefix, detect};
use timestamp::Clock;

/// A streaming parser for one stderr log: lines in, events out; `A` is what
/// is computed ahead from a statement's text (nothing, by default).
pub struct StderrParser<A = ()> {
    assembler: StderrAssembler<A>,
    events: EventBuilder<A>,
    /// Zone label changes the event builder has been told of.
    zones_told: u64,
}

impl<A> StderrParser<A> {
    pub fn new(prefix: LinePrefix) -> Self {
        StderrParser {
            assembler: StderrAssembler::new(prefix),
            events: EventBuilder::default(),
            zones_told: 0,
        }
    }

    /// Leaves out the entries `filter` does not keep.
    pub fn set_filter(&mut self, filter: std::sync::Arc<filter::EntryFilter>) {
        self.events.set_filter(filter);
    }

    /// Feeds one line (without its newline).
    pub fn push_line(&mut self, line: &str, out: &mut impl EventSink<A>) {
        self.push_prepared(|| line, None, out);
    }

    /// Feeds one line with what a worker computed for it ahead.
    pub fn push_prepared<'l>(
        &mut self,
        line: impl FnOnce() -> &'l str,
        pre: Pre<A>,
        out: &mut impl EventSink<A>,
    ) {
        let events = &mut self.events;
        self.assembler
            .push_prematched(line, pre, &mut |a| events.push(a, out));
        // an entry is handed on when its process opens the next one, so the
        // zone of the line just read is known before its entry is filtered
        let (changes, now) = self.assembler.zone_now();
        if changes != self.zones_told {
            self.zones_told = changes;
            if let Some(z) = now {
                self.events.set_zone(z);
            }
        }
    }

    /// Flushes open entries and unpaired statements.
    pub fn finish(&mut self, out: &mut impl EventSink<A>) {
        let events = &mut self.events;
        self.assembler.finish(&mut |a| events.push(a, out));
        self.events.finish(out);
    }

    /// Time zone labels seen in the timestamps so far.
    pub fn zones(&self) -> &[String] {
        self.assembler.zones()
    }

    /// The prefix lines are matched with.
    pub fn prefix(&self) -> &LinePrefix {
        self.assembler.prefix()
    }

    /// Continues the open entry of process `pid` with one more line (syslog's
    /// numbered continuation records).
    pub fn continue_pid(&mut self, pid: u32, text: &str, out: &mut impl EventSink<A>) {
        let events = &mut self.events;
        self.assembler
            .continue_pid(pid, text, &mut |a| events.push(a, out));
    }
}

/// What a worker computes for one line ahead of the thread that folds the lines
/// in order, the pure, per-line part of parsing: a stderr line parsed (see
/// [`entry::prematch`]), or nothing (the line is parsed when folded); `A` is
/// what the reader computes ahead from a one-line statement's text.
pub type Pre<A = ()> = Option<entry::Prematched<A>>;

/// Computes [`Pre`] for lines; shared by the workers of one file.
#[derive(Debug, Clone)]
pub struct Preparer {
    prefix: Option<LinePrefix>,
}

impl Preparer {
    /// A preparer for one batch of consecutive lines.
    pub fn batch(&self) -> BatchPreparer<'_> {
        BatchPreparer {
            prefix: self.prefix.as_ref(),
            zone: None,
        }
    }

    /// Whether [`BatchPreparer::prepare`] computes anything at all.
    pub fn is_useful(&self) -> bool {
        self.prefix.is_some()
    }
}

/// Computes [`Pre`] for the lines of one batch, in order.
pub struct BatchPreparer<'a> {
    prefix: Option<&'a LinePrefix>,
    /// The time zone label of the previous line.
    zone: Option<String>,
}

impl BatchPreparer<'_> {
    /// What can be computed ahead for `line`, the batch's next line.
    pub fn prepare<A>(&mut self, line: &str) -> Pre<A> {
        match self.prefix {
            Some(p) => entry::prematch(p, line, &mut self.zone),
            None => None,
        }
    }
}

/// A parser for any supported format; `A` is what is computed ahead from a
/// statement's text (for stderr logs only: see [`Preparer`]).
pub enum LogParser<A = ()> {
    Stderr(StderrParser<A>),
    Csvlog(csvlog::CsvlogParser),
    Jsonlog(jsonlog::JsonlogParser),
    Syslog(syslog::SyslogParser),
    /// pgBouncer's own log.
    Pgbouncer(pgbouncer::PgbouncerParser),
}

/// What was chosen for a file: its parser and the prefix it reads lines with.
pub struct ParserChoice<A = ()> {
    pub parser: LogParser<A>,
    /// The `log_line_prefix` in use (none for csvlog and native jsonlog).
    pub prefix: Option<LinePrefix>,
}

/// Why no parser could be set up for a file: no prefix explained half of its
/// first lines; the closest one, with the lines it explained and the lines
/// sampled, when one explained any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoPrefix {
    pub closest: Option<(String, usize, usize)>,
}

impl<A> LogParser<A> {
    /// Sets up the parser for `format`, detecting the prefix from `sample` (the
    /// file's first lines) unless `given`. `mtime` anchors syslog's year.
    pub fn choose(
        format: LogFormat,
        sample: &[&str],
        given: Option<&LinePrefix>,
        mtime: (i64, u32),
    ) -> Result<ParserChoice<A>, NoPrefix> {
        Ok(match format {
            LogFormat::Stderr => {
                let prefix = match given {
                    Some(p) => p.clone(),
                    None => {
                        detect(sample)
                            .map_err(|closest| NoPrefix {
                                closest: closest
                                    .map(|d| (d.prefix.source().to_string(), d.matched, d.sampled)),
                            })?
                            .prefix
                    }
                };
                ParserChoice {
                    parser: LogParser::Stderr(StderrParser::new(prefix.clone())),
                    prefix: Some(prefix),
                }
            }
            LogFormat::Csvlog => ParserChoice {
                parser: LogParser::Csvlog(csvlog::CsvlogParser::default()),
                prefix: None,
            },
            LogFormat::Jsonlog => {
                let (p, prefix) = jsonlog::JsonlogParser::new(sample, given);
                ParserChoice {
                    parser: LogParser::Jsonlog(p),
                    prefix,
                }
            }
            LogFormat::Pgbouncer => ParserChoice {
                parser: LogParser::Pgbouncer(Default::default()),
                prefix: None,
            },
            LogFormat::Syslog => {
                let (p, prefix) = syslog::SyslogParser::new(sample, given, mtime)
                    .ok_or_else(NoPrefix::default)?;
                ParserChoice {
                    parser: LogParser::Syslog(p),
                    prefix: Some(prefix),
                }
            }
        })
    }

    /// The per-line work workers can do ahead for this parser: the prefix match
    /// of stderr lines; nothing for the other formats (their records can span
    /// lines, or their lines are cheap to split).
    pub fn preparer(&self) -> Preparer {
        Preparer {
            prefix: match self {
                LogParser::Stderr(p) => Some(p.prefix().clone()),
                _ => None,
            },
        }
    }

    /// Feeds one physical line with what a [`Preparer`] computed for it;
    /// `line` gives its text, read only when what was computed is not enough.
    pub fn push_prepared<'l>(
        &mut self,
        line: impl FnOnce() -> &'l str,
        pre: Pre<A>,
        out: &mut impl EventSink<A>,
    ) {
        match (self, pre) {
            (LogParser::Stderr(p), pre) => p.push_prepared(line, pre, out),
            (other, _) => other.push_line(line(), out),
        }
    }

    /// Feeds one physical line.
    pub fn push_line(&mut self, line: &str, out: &mut impl EventSink<A>) {
        match self {
            LogParser::Stderr(p) => p.push_line(line, out),
            LogParser::Csvlog(p) => p.push_line(line, &mut |e| out.emit(e)),
            LogParser::Jsonlog(p) => p.push_line(line, &mut |e| out.emit(e)),
            LogParser::Syslog(p) => p.push_line(line, &mut |e| out.emit(e)),
            LogParser::Pgbouncer(p) => p.push_line(line, &mut |e| out.emit(e)),
        }
    }

    /// Flushes what is still open.
    pub fn finish(&mut self, out: &mut impl EventSink<A>) {
        match self {
            LogParser::Stderr(p) => p.finish(out),
            LogParser::Csvlog(p) => p.finish(&mut |e| out.emit(e)),
            LogParser::Jsonlog(p) => p.finish(&mut |e| out.emit(e)),
            LogParser::Syslog(p) => p.finish(&mut |e| out.emit(e)),
            LogParser::Pgbouncer(_) => {}
        }
    }

    /// The clock of the entries' timestamps, known from the format and the
    /// prefix before the first entry: whole seconds for `%t` and BSD syslog,
    /// milliseconds for `%m`, `%n`, csvlog and jsonlog (which always write
    /// them); `None` when entries have no timestamp.
    pub fn clock(&self) -> Option<Clock> {
        match self {
            LogParser::Stderr(p) => p.prefix().clock(),
            LogParser::Csvlog(_) => Some(Clock::Millis),
            LogParser::Jsonlog(p) => p.clock(),
            LogParser::Syslog(p) => Some(p.clock()),
            LogParser::Pgbouncer(_) => Some(Clock::Millis),
        }
    }

    /// Leaves out the entries `filter` does not keep (pgBouncer's own lines
    /// are kept: they name no database, user or application of PostgreSQL's).
    pub fn set_filter(&mut self, filter: std::sync::Arc<filter::EntryFilter>) {
        match self {
            LogParser::Stderr(p) => p.set_filter(filter),
            LogParser::Csvlog(p) => p.set_filter(filter),
            LogParser::Jsonlog(p) => p.set_filter(filter),
            LogParser::Syslog(p) => p.set_filter(filter),
            LogParser::Pgbouncer(_) => {}
        }
    }

    /// Time zone labels seen.
    pub fn zones(&self) -> Vec<String> {
        match self {
            LogParser::Stderr(p) => p.zones().to_vec(),
            LogParser::Csvlog(p) => p.zones().to_vec(),
            LogParser::Jsonlog(p) => p.zones(),
            LogParser::Syslog(p) => p.zones().to_vec(),
            LogParser::Pgbouncer(p) => p.zones().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entry::prematch;

    /// Events with what travelled with them.
    #[derive(Default)]
    struct Collected(Vec<(events::Event, Option<String>)>);

    impl EventSink<String> for Collected {
        fn event(&mut self, e: events::Event, ahead: Option<String>) {
            self.0.push((e, ahead));
        }
    }

    /// What was computed ahead from a line's SQL reaches the event whose text is
    /// exactly that SQL, and no other.
    #[test]
    fn what_was_computed_ahead_travels_with_exactly_its_statement() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  duration: 1.000 ms  execute S_1: SELECT a FROM t WHERE id = $1\n\
                   2024-05-01 10:00:00.002 UTC [1] DETAIL:  parameters: $1 = '5'\n\
                   2024-05-01 10:00:00.003 UTC [2] LOG:  duration: 2.000 ms  statement: SELECT 2\n\
                   2024-05-01 10:00:00.004 UTC [2] LOG:  duration: 0.100 ms  parse <unnamed>: SELECT 3\n\
                   2024-05-01 10:00:00.005 UTC [3] LOG:  statement: SELECT 4\n\
                   2024-05-01 10:00:00.006 UTC [3] LOG:  duration: 4.000 ms\n\
                   2024-05-01 10:00:00.007 UTC [2] LOG:  duration: 3.000 ms  statement: SELECT 5\n\
                   \tFROM t\n";
        let prefix = LinePrefix::compile("%m [%p] ");
        let mut parser = StderrParser::new(prefix.clone());
        let mut events = Collected::default();
        let mut zone = None;
        for line in log.lines() {
            let mut pre = prematch(&prefix, line, &mut zone);
            // the "computation": the text itself, to compare with the event's
            if let Some(p) = pre.as_mut()
                && let Some(sql) = p.statement()
            {
                let sql = sql.to_string();
                p.set_ahead(sql);
            }
            parser.push_prepared(|| line, pre, &mut events);
        }
        parser.finish(&mut events);
        let mut seen = Vec::new();
        for (e, ahead) in events.0 {
            match e {
                events::Event::Query(q) => seen.push((q.sql.clone(), ahead)),
                events::Event::StepTiming { sql, .. } => seen.push((sql, ahead)),
                _ => assert_eq!(ahead, None, "nothing travels with {e:?}"),
            }
        }
        seen.sort();
        let some = |s: &str| (s.to_string(), Some(s.to_string()));
        assert_eq!(
            seen,
            vec![
                some("SELECT 2"),
                some("SELECT 3"),
                some("SELECT 4"),
                // continued on the next line: the text grew, nothing travels
                ("SELECT 5\nFROM t".to_string(), None),
                some("SELECT a FROM t WHERE id = $1"),
            ]
        );
    }
}
