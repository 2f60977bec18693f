//! syslog: `Mon DD HH:MM:SS host postgres[pid]: [N-M] <prefix>LEVEL:  message`
//! (or an RFC 3339 timestamp in front). Also Heroku's logplex lines, the same
//! syslog messages as `TIME app[postgres.PID]: [COLOR] [N-M]  sql_error_code
//! = XXXXX LEVEL:  message` (the database's attachment color dropped; its
//! metrics lines, `app[heroku-postgres]: ... sample#...`, counted as not
//! analyzed). Each record is turned into a stderr line
//! (`%m [%p] ` + the server's own prefix) and goes through the stderr assembler;
//! `[N-2]`, `[N-3]` ... records without a prefix continue the process's open entry,
//! and `#011` is a tab.
//!
//! BSD syslog timestamps carry no year and no zone. The year is inferred from the
//! file's modification time: the log is taken to end in that year, so the first
//! record gets that year, or the one before when its month lies after the
//! modification month; each time the month goes back (December to January), the
//! year advances. Times are shown as written, in the zone `syslog`.

use super::StderrParser;
use super::events::Event;
use super::prefix::{LinePrefix, detect};
use super::timestamp::{Clock, Timestamp, days_from_civil};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The zone label given to BSD syslog times (they have none).
pub const SYSLOG_ZONE: &str = "syslog";

/// One syslog record, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Month (1-12), day and seconds of day, when the timestamp is BSD style.
    pub bsd: Option<(u32, u32, i64)>,
    /// The instant, when the timestamp is RFC 3339.
    pub instant: Option<Timestamp>,
    /// Whole seconds for BSD timestamps; for RFC 3339 ones, as written.
    pub clock: Clock,
    pub pid: u32,
    /// `[N-M]`: the line number and chunk number.
    pub seq: Option<(u64, u32)>,
    /// Everything after `[N-M] ` (or after `]: ` when there is no sequence).
    pub rest: &'a str,
}

/// Splits a syslog line into its parts; `None` when it is not one.
pub fn split(line: &str) -> Option<Record<'_>> {
    let colon = line.find("]: ")?;
    let head = &line[..colon];
    let open = head.rfind('[')?;
    let ident = &head[open + 1..];
    let pid: u32 = ident
        .strip_prefix("postgres.")
        .unwrap_or(ident)
        .parse()
        .ok()?;
    let words: Vec<&str> = head[..open].split_whitespace().collect();
    let (bsd, instant, clock) = match words.as_slice() {
        [mon, day, time, _host, _ident] => {
            let m = MONTHS.iter().position(|x| x == mon)? as u32 + 1;
            let d: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
            let t: Vec<i64> = time
                .split(':')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            // a time of day, or not a syslog line (a fuzzer's 13888888888888:6:25
            // overflowed the arithmetic below)
            if t.len() != 3
                || !(0..24).contains(&t[0])
                || !(0..60).contains(&t[1])
                || !(0..61).contains(&t[2])
            {
                return None;
            }
            let sod = t[0] * 3600 + t[1] * 60 + t[2];
            (Some((m, d, sod)), None, Clock::Seconds)
        }
        [iso, _, _] | [iso, _] => (
            None,
            Some(super::jsonlog::rfc3339(iso)?),
            Clock::of_text(iso),
        ),
        _ => return None,
    };
    let after = &line[colon + 3..];
    // Heroku: the database's attachment color or name before `[N-M]`
    let after = match after.strip_prefix('[').and_then(|a| a.split_once("] [")) {
        Some((color, _))
            if !color.is_empty()
                && color
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
        {
            &after[color.len() + 3..]
        }
        _ => after,
    };
    let (seq, rest) = match after.strip_prefix('[').and_then(|a| a.split_once("] ")) {
        Some((nm, rest)) => match nm.split_once('-') {
            Some((n, m)) => match (n.parse().ok(), m.parse().ok()) {
                (Some(n), Some(m)) => (Some((n, m)), rest),
                _ => (None, after),
            },
            None => (None, after),
        },
        None => (None, after),
    };
    Some(Record {
        bsd,
        instant,
        clock,
        pid,
        seq,
        rest,
    })
}

/// Streams syslog lines into events.
pub struct SyslogParser {
    /// The clock of the entries' timestamps.
    clock: Clock,
    inner: StderrParser,
    year: i64,
    last_month: Option<u32>,
    mtime_month: u32,
}

impl SyslogParser {
    /// `sample` is used to detect the server's prefix (unless `given`);
    /// `mtime` (year, month) anchors the year of BSD timestamps.
    /// Returns `None` when no prefix fits the records.
    pub fn new(
        sample: &[&str],
        given: Option<&LinePrefix>,
        mtime: (i64, u32),
    ) -> Option<(Self, LinePrefix)> {
        let server_prefix = match given {
            Some(p) => p.clone(),
            None => {
                let rests: Vec<String> = sample
                    .iter()
                    .filter_map(|l| split(l))
                    .filter(|r| r.seq.is_none_or(|(_, m)| m == 1))
                    .map(|r| r.rest.replace("#011", "\t"))
                    .collect();
                let refs: Vec<&str> = rests.iter().map(String::as_str).collect();
                detect(&refs).ok()?.prefix
            }
        };
        let full = LinePrefix::compile(&format!("%m [%p] {}", server_prefix.source()));
        // the server's own timestamp, when its prefix has one, is the entry's;
        // else syslog's: BSD times have whole seconds, RFC 3339 ones what they write
        let clock = server_prefix.clock().unwrap_or_else(|| {
            let millis = sample
                .iter()
                .filter_map(|l| split(l))
                .any(|r| r.clock == Clock::Millis);
            if millis {
                Clock::Millis
            } else {
                Clock::Seconds
            }
        });
        let parser = SyslogParser {
            clock,
            inner: StderrParser::new(full),
            year: mtime.0,
            last_month: None,
            mtime_month: mtime.1,
        };
        Some((parser, server_prefix))
    }

    fn instant(&mut self, r: &Record<'_>) -> Timestamp {
        if let Some(t) = r.instant {
            return t;
        }
        let (m, d, sod) = r.bsd.unwrap_or((1, 1, 0));
        match self.last_month {
            None if m > self.mtime_month => self.year -= 1,
            Some(prev) if m + 6 < prev => self.year += 1,
            _ => {}
        }
        self.last_month = Some(m);
        Timestamp((days_from_civil(self.year, m, d) * 86_400 + sod) * 1000)
    }

    /// Feeds one line.
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Event)) {
        if line.contains(" app[heroku-postgres]: ") {
            out(Event::Ignored {
                category: "Heroku Postgres metrics",
                lines: 1,
            });
            return;
        }
        let Some(r) = split(line) else {
            // not a syslog record: counted unrecognized, as written
            self.inner.push_line(line, out);
            return;
        };
        let ts = self.instant(&r);
        let rest = r.rest.replace("#011", "\t");
        let zone = if r.instant.is_some() {
            "UTC"
        } else {
            SYSLOG_ZONE
        };
        let synthetic = format!("{} {zone} [{}] {rest}", ts.format(), r.pid);
        let is_chunk = r.seq.is_some_and(|(_, m)| m > 1);
        if self.inner.prefix().match_line(&synthetic).is_some() {
            self.inner.push_line(&synthetic, out);
        } else if is_chunk {
            let text = rest.strip_prefix('\t').unwrap_or(&rest);
            self.inner.continue_pid(r.pid, text, out);
        } else {
            // another program's record (systemd, cron): unrecognized, shown as written
            self.inner.push_line(line, out);
        }
    }

    /// Flushes open entries and unpaired statements.
    pub fn finish(&mut self, out: &mut impl FnMut(Event)) {
        self.inner.finish(out);
    }

    /// Leaves out the entries `filter` does not keep.
    pub fn set_filter(&mut self, filter: std::sync::Arc<super::filter::EntryFilter>) {
        self.inner.set_filter(filter);
    }

    pub fn zones(&self) -> &[String] {
        self.inner.zones()
    }

    /// The clock of the entries' timestamps.
    pub fn clock(&self) -> Clock {
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "Feb 11 13:15:40 test-pc postgres[10819]: [7-1] db=postgres,user=postgres,app=psql,client=[local] LOG:  duration: 13.997 ms  statement: SELECT d.datname as \"Name\",
Feb 11 13:15:40 test-pc postgres[10820]: [3-1] db=postgres,user=bob,app=psql,client=[local] LOG:  duration: 1.000 ms  statement: SELECT 1
Feb 11 13:15:40 test-pc postgres[10819]: [7-2] #011       pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\"
Feb 11 13:15:40 test-pc postgres[10819]: [7-3] #011FROM pg_catalog.pg_database d;
Feb 11 13:15:41 test-pc postgres[10808]: [3-1] db=,user=,app=,client= LOG:  ending log output to stderr
Feb 11 13:15:41 test-pc postgres[10808]: [3-2] db=,user=,app=,client= HINT:  Future log output will go to log destination \"syslog\".";

    #[test]
    fn a_bsd_time_out_of_range_is_no_syslog_line() {
        // found by the fuzzer (fuzz/README.md): an hour of 14 digits overflowed
        for line in [
            "Feb 11 13888888888888:6:25 pc pes[3]: [274 LOG:  x",
            "Feb 11 9000000000000000:6:25 pc pes[3]: [274 LOG:  x",
            "Feb 11 24:00:00 pc postgres[3]: [1-1] LOG:  x",
            "Feb 32 10:00:00 pc postgres[3]: [1-1] LOG:  x",
        ] {
            assert!(split(line).is_none(), "{line}");
        }
        assert!(split("Feb 11 23:59:60 pc postgres[3]: [1-1] LOG:  x").is_some());
    }

    #[test]
    fn continuation_chunks_join_their_process_entry() {
        let lines: Vec<&str> = LOG.lines().collect();
        let (mut p, prefix) = SyslogParser::new(&lines, None, (2019, 3)).unwrap();
        assert_eq!(prefix.source(), "%qdb=%d,user=%u,app=%a,client=%h ");
        let mut ev = Vec::new();
        for l in &lines {
            p.push_line(l, &mut |e| ev.push(e));
        }
        p.finish(&mut |e| ev.push(e));
        let q: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Query(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(q.len(), 2);
        let first = q.iter().find(|q| q.entry.pid == Some(10819)).unwrap();
        assert_eq!(
            first.sql,
            "SELECT d.datname as \"Name\",\n       pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\"\nFROM pg_catalog.pg_database d;"
        );
        assert_eq!(first.entry.lines, 3);
        assert_eq!(first.entry.ts.unwrap().format(), "2019-02-11 13:15:40.000");
        let ignored: u64 = ev
            .iter()
            .map(|e| match e {
                Event::Ignored { lines, .. } => *lines,
                _ => 0,
            })
            .sum();
        assert_eq!(ignored, 2, "LOG line with its HINT");
    }

    #[test]
    fn the_clock_is_the_servers_prefix_else_syslogs() {
        let lines: Vec<&str> = LOG.lines().collect();
        let clock = |lines: &[&str], given: Option<&str>| {
            let given = given.map(LinePrefix::compile);
            SyslogParser::new(lines, given.as_ref(), (2019, 3))
                .unwrap()
                .0
                .clock()
        };
        assert_eq!(clock(&lines, None), Clock::Seconds);
        assert_eq!(clock(&lines, Some("%m [%p] ")), Clock::Millis);
        let iso =
            ["2024-05-01T10:00:00.123456+00:00 h postgres[1]: [1-1] LOG:  statement: SELECT 1"];
        assert_eq!(clock(&iso, Some("")), Clock::Millis);
        let iso = ["2024-05-01T10:00:00+00:00 h postgres[1]: [1-1] LOG:  statement: SELECT 1"];
        assert_eq!(clock(&iso, Some("")), Clock::Seconds);
        assert_eq!(clock(&iso, Some("%t ")), Clock::Seconds);
    }

    #[test]
    fn year_comes_from_mtime_and_rolls_over() {
        let dec = "Dec 31 23:59:59 h postgres[1]: [1-1] LOG:  statement: SELECT 1";
        let jan = "Jan  1 00:00:01 h postgres[1]: [2-1] LOG:  duration: 1.000 ms";
        let (mut p, _) =
            SyslogParser::new(&[dec, jan], Some(&LinePrefix::compile("")), (2024, 1)).unwrap();
        let mut ev = Vec::new();
        p.push_line(dec, &mut |e| ev.push(e));
        p.push_line(jan, &mut |e| ev.push(e));
        p.finish(&mut |e| ev.push(e));
        match &ev[0] {
            Event::Query(q) => assert_eq!(q.entry.ts.unwrap().format(), "2024-01-01 00:00:01.000"),
            other => panic!("{other:?}"),
        }
    }
}
