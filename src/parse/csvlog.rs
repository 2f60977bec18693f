//! csvlog: one CSV record per entry (quoted fields may hold newlines), columns by
//! position for every layout from PostgreSQL 12 to 18 (22 to 26 columns), mapped to
//! the same [`LogEntry`] the stderr parser builds.
//!
//! Lines are gathered until the record's quotes balance, then split into fields
//! (`""` escapes a quote). A record that does not have a csvlog shape is counted as
//! unrecognized, with all its lines.

use super::entry::{Assembled, LogEntry};
use super::events::{Event, EventBuilder};
use super::prefix::Level;
use super::timestamp::datetime_zone;

/// A record larger than this without closing its quotes is given up as unrecognized.
const MAX_RECORD: usize = 64 * 1024 * 1024;

/// Column positions (PostgreSQL 13+ order; older layouts are prefixes of it).
mod col {
    pub const LOG_TIME: usize = 0;
    pub const USER: usize = 1;
    pub const DB: usize = 2;
    pub const PID: usize = 3;
    pub const CLIENT: usize = 4;
    pub const SESSION_ID: usize = 5;
    pub const SESSION_LINE: usize = 6;
    pub const SEVERITY: usize = 11;
    pub const SQLSTATE: usize = 12;
    pub const MESSAGE: usize = 13;
    pub const DETAIL: usize = 14;
    pub const HINT: usize = 15;
    pub const INTERNAL_QUERY: usize = 16;
    pub const CONTEXT: usize = 18;
    pub const QUERY: usize = 19;
    pub const APP: usize = 22;
    pub const QUERY_ID: usize = 25;
}

/// Splits one CSV record into fields. Returns `None` when quoting is broken.
pub fn split_record(rec: &str) -> Option<Vec<String>> {
    let mut fields = Vec::with_capacity(26);
    let mut cur = String::new();
    let mut chars = rec.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else if c == '"' {
            return None;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

fn opt(f: &[String], i: usize) -> Option<String> {
    f.get(i).filter(|v| !v.is_empty()).cloned()
}

/// Builds an entry from a record's fields, or `None` when it is not a csvlog record.
pub fn entry_from_fields(f: &[String], line: u64, lines: u64) -> Option<(LogEntry, String)> {
    if !(22..=26).contains(&f.len()) {
        return None;
    }
    let (_, (ts, zone)) = datetime_zone(&f[col::LOG_TIME]).ok()?;
    let level = Level::from_word(&f[col::SEVERITY])?;
    let pid = f[col::PID].parse().ok()?;
    // PG 12 and older have 23 columns, PG 13 adds backend_type, PG 14 leader_pid and query_id.
    let app = if f.len() >= 23 {
        opt(f, col::APP)
    } else {
        None
    };
    let entry = LogEntry {
        ts: Some(ts),
        pid: Some(pid),
        session_id: opt(f, col::SESSION_ID).map(Into::into),
        user: opt(f, col::USER).map(Into::into),
        db: opt(f, col::DB).map(Into::into),
        app: app.map(Into::into),
        // `host:port`; the port differs per session, the host is what counts
        client: opt(f, col::CLIENT)
            .map(|c| match c.rsplit_once(':') {
                Some((host, port))
                    if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    host.to_string()
                }
                _ => c,
            })
            .map(Into::into),
        level: Some(level),
        sqlstate: opt(f, col::SQLSTATE).map(Into::into),
        query_id: f
            .get(col::QUERY_ID)
            .and_then(|q| q.parse().ok())
            .filter(|q| *q != 0),
        session_line: f.get(col::SESSION_LINE).and_then(|n| n.parse().ok()),
        message: f[col::MESSAGE].clone(),
        detail: opt(f, col::DETAIL),
        hint: opt(f, col::HINT),
        context: opt(f, col::CONTEXT),
        statement: opt(f, col::QUERY),
        query: opt(f, col::INTERNAL_QUERY),
        line,
        lines,
    };
    Some((entry, zone.to_string()))
}

/// Streams csvlog lines into events.
#[derive(Default)]
pub struct CsvlogParser {
    events: EventBuilder,
    record: String,
    record_lines: u64,
    record_start: u64,
    quotes: usize,
    line_no: u64,
    zones: Vec<String>,
}

impl CsvlogParser {
    /// Feeds one physical line.
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Event)) {
        self.line_no += 1;
        if self.record_lines == 0 {
            self.record_start = self.line_no;
        } else {
            self.record.push('\n');
        }
        self.record.push_str(line);
        self.record_lines += 1;
        self.quotes += line.bytes().filter(|b| *b == b'"').count();
        if self.quotes.is_multiple_of(2) {
            self.complete(out);
        } else if self.record.len() > MAX_RECORD {
            self.give_up(out);
        }
    }

    fn give_up(&mut self, out: &mut impl FnMut(Event)) {
        let first = self.record.lines().next().unwrap_or_default().to_string();
        out(Event::Unrecognized {
            line: self.record_start,
            text: first,
            lines: self.record_lines,
        });
        self.reset();
    }

    fn reset(&mut self) {
        self.record.clear();
        self.record_lines = 0;
        self.quotes = 0;
    }

    fn complete(&mut self, out: &mut impl FnMut(Event)) {
        let rec = self.record.strip_suffix('\r').unwrap_or(&self.record);
        if rec.trim().is_empty() {
            out(Event::Blank);
            self.reset();
            return;
        }
        let parsed = split_record(rec)
            .and_then(|f| entry_from_fields(&f, self.record_start, self.record_lines));
        match parsed {
            Some((entry, zone)) => {
                self.events.set_zone(&zone);
                if !self.zones.contains(&zone) {
                    self.zones.push(zone);
                }
                self.events
                    .push(Assembled::Entry(Box::new(entry), None), out);
                self.reset();
            }
            None => self.give_up(out),
        }
    }

    /// Flushes a record left open at the end (counted unrecognized) and unpaired statements.
    pub fn finish(&mut self, out: &mut impl FnMut(Event)) {
        if self.record_lines > 0 {
            self.give_up(out);
        }
        self.events.finish(out);
    }

    /// Leaves out the entries `filter` does not keep.
    pub fn set_filter(&mut self, filter: std::sync::Arc<super::filter::EntryFilter>) {
        self.events.set_filter(filter);
    }

    pub fn zones(&self) -> &[String] {
        &self.zones
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields_with_newlines_and_quotes() {
        let f = split_record("a,\"b,c\",\"say \"\"hi\"\"\nthere\",,x").unwrap();
        assert_eq!(f, ["a", "b,c", "say \"hi\"\nthere", "", "x"]);
        assert!(split_record("a,\"open").is_none());
    }

    #[test]
    fn pg12_record_with_parameters() {
        let line = r#"2021-01-22 10:03:22.785 CET,"aaaa","bbbb",1486,"127.0.0.1:52306",6009c305.5ce,32878,"SELECT",2021-01-21 19:08:05 CET,14/10903,0,LOG,00000,"duration: 26.120 ms  execute S_65: select f($1)","parameters: $1 = 'X, Y'",,,,,,,,"PostgreSQL JDBC Driver""#;
        let mut p = CsvlogParser::default();
        let mut ev = Vec::new();
        p.push_line(line, &mut |e| ev.push(e));
        p.finish(&mut |e| ev.push(e));
        match &ev[..] {
            [Event::Query(q)] => {
                assert_eq!(q.duration_us, Some(26_120));
                assert_eq!(q.sql, "select f($1)");
                assert_eq!(q.entry.user.as_deref(), Some("aaaa"));
                assert_eq!(q.entry.db.as_deref(), Some("bbbb"));
                assert_eq!(q.entry.app.as_deref(), Some("PostgreSQL JDBC Driver"));
                assert_eq!(q.entry.detail.as_deref(), Some("parameters: $1 = 'X, Y'"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.zones(), ["CET"]);
    }

    #[test]
    fn multi_line_record_counts_its_lines_and_garbage_is_unrecognized() {
        let text = "2024-05-01 10:00:00.001 UTC,\"u\",\"d\",7,\"h:1\",1.7,1,\"SELECT\",2024-05-01 10:00:00 UTC,1/1,0,LOG,00000,\"duration: 1.000 ms  statement: SELECT\n  1\",,,,,,,,,\"psql\",\"client backend\",,0\nnot,a,csvlog,record\n";
        let mut p = CsvlogParser::default();
        let mut ev = Vec::new();
        for l in text.lines() {
            p.push_line(l, &mut |e| ev.push(e));
        }
        p.finish(&mut |e| ev.push(e));
        match &ev[0] {
            Event::Query(q) => {
                assert_eq!(q.entry.lines, 2);
                assert_eq!(q.sql, "SELECT\n  1");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&ev[1], Event::Unrecognized { line: 3, .. }));
    }
}
