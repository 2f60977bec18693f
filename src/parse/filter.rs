//! Which log entries a run aggregates: `--since`/`--until` and the names an
//! entry carries (`--database`, `--user`, `--application`, `--host`). A
//! filter is a predicate on one [`LogEntry`], applied where entries become
//! events, so a filtered run gives the numbers a run on the lines cut
//! beforehand (an entry with its continuation and DETAIL lines kept or left
//! out whole) would give. Nothing here reads or skips bytes: what is read
//! from disk, and so the speed, stays the same.

use super::entry::LogEntry;
use super::timestamp::{Timestamp, datetime, zone_offset};

/// An instant bounding the window: with its zone (`+02:00`, `Z`, `UTC`), or a
/// wall-clock time read in the zone of each log's own timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    /// Milliseconds since the epoch of the wall-clock time read as UTC.
    wall_ms: i64,
    /// The zone written with it (minutes east), if any.
    offset_min: Option<i32>,
}

impl TimeBound {
    /// Reads `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]` (or with a `T`), then
    /// perhaps a zone: `Z`, `+02`, `+02:00`, `-0500`, or a space and a label
    /// (`UTC`, `CEST`).
    pub fn parse(text: &str) -> Result<TimeBound, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "{text:?} is not a time: use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or 2026-11-27T14:00:00+01:00"
            )
        };
        if t.len() < 10 || !t.is_char_boundary(10) {
            return Err(bad());
        }
        let (date, rest) = t.split_at(10);
        let mut full = String::with_capacity(23);
        full.push_str(date);
        full.push(' ');
        let rest = rest.strip_prefix(['T', ' ']).unwrap_or(rest);
        // HH:MM, HH:MM:SS, HH:MM:SS.fff: the part made of digits, colons and a dot
        let clock_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
            .count();
        let (clock, zone) = rest.split_at(clock_len);
        match clock.len() {
            0 => full.push_str("00:00:00"),
            5 => {
                full.push_str(clock);
                full.push_str(":00");
            }
            _ => full.push_str(clock),
        }
        let (left, ts) = datetime(&full).map_err(|_| bad())?;
        if !left.is_empty() {
            return Err(bad());
        }
        // 2026-11-31 is no day (the parser would read it as 2026-12-01)
        let day = ts.0.div_euclid(86_400_000);
        let (y, m, d) = super::timestamp::civil_from_days(day);
        if format!("{y:04}-{m:02}-{d:02}") != date {
            return Err(bad());
        }
        let zone = zone.trim();
        let offset_min = match zone {
            "" => None,
            "Z" | "z" => Some(0),
            z => Some(zone_offset(z).ok_or_else(|| {
                format!("{text:?}: unknown zone {z:?}; use an offset such as +02:00, or Z")
            })?),
        };
        Ok(TimeBound {
            wall_ms: ts.0,
            offset_min,
        })
    }

    /// The bound as an instant, for a log whose wall clock is `log_offset`
    /// minutes east of UTC (used only when the bound has no zone of its own).
    pub fn instant(self, log_offset: i32) -> i64 {
        self.wall_ms - i64::from(self.offset_min.unwrap_or(log_offset)) * 60_000
    }

    /// The bound in `zone` (`--tz`: an abbreviation, an offset or an IANA
    /// name, whose offset at that time is taken) when it has no zone of its own.
    pub fn in_zone(self, zone: Option<&str>) -> TimeBound {
        match (self.offset_min, zone) {
            (None, Some(z)) => match super::timestamp::wall_to_instant(z, self.wall_ms) {
                Some(instant) => TimeBound {
                    offset_min: Some(((self.wall_ms - instant) / 60_000) as i32),
                    ..self
                },
                None => self,
            },
            _ => self,
        }
    }

    /// The bound as the user wrote it, normalized (`2026-11-27 14:00:00 +01:00`).
    pub fn describe(self) -> String {
        let ts = Timestamp(self.wall_ms).format_seconds_at(0);
        match self.offset_min {
            Some(o) => format!("{ts} {}", super::timestamp::offset_text(o)),
            None => format!("{ts} (the logs' zone)"),
        }
    }

    /// A bound at the instant `ms` (epoch milliseconds, UTC).
    pub fn utc(ms: i64) -> TimeBound {
        TimeBound {
            wall_ms: ms,
            offset_min: Some(0),
        }
    }

    /// A bound at the wall-clock time `ms` (epoch milliseconds read as UTC), in
    /// the logs' own zone.
    pub fn wall(ms: i64) -> TimeBound {
        TimeBound {
            wall_ms: ms,
            offset_min: None,
        }
    }
}

/// Names to keep and names to leave out (a name written `!name`), compared
/// without regard to case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    keep: Vec<String>,
    drop: Vec<String>,
}

impl Names {
    /// From the values of a repeatable flag: `shop`, `!template1`.
    pub fn of(values: &[String]) -> Names {
        let mut n = Names::default();
        for v in values {
            match v.strip_prefix('!') {
                Some(x) => n.drop.push(x.to_string()),
                None => n.keep.push(v.clone()),
            }
        }
        n
    }

    pub fn is_empty(&self) -> bool {
        self.keep.is_empty() && self.drop.is_empty()
    }

    /// Whether `value` passes (`None`: a name not known, kept unless names
    /// to keep are given).
    pub fn keeps(&self, value: Option<&str>) -> bool {
        matches!(self.passes(value, same_name), Verdict::Keep)
    }

    /// Whether a value passes (`None`: the entry does not carry one), by `eq`.
    fn passes(&self, value: Option<&str>, eq: impl Fn(&str, &str) -> bool) -> Verdict {
        match value {
            None if self.keep.is_empty() => Verdict::Keep,
            None => Verdict::Missing,
            Some(v) if self.drop.iter().any(|d| eq(v, d)) => Verdict::Other,
            Some(_) if self.keep.is_empty() => Verdict::Keep,
            Some(v) if self.keep.iter().any(|k| eq(v, k)) => Verdict::Keep,
            Some(_) => Verdict::Other,
        }
    }

    fn describe(&self, flag: &str) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.keep.is_empty() {
            parts.push(self.keep.join(", "));
        }
        if !self.drop.is_empty() {
            parts.push(format!("not {}", self.drop.join(", ")));
        }
        Some(format!("{flag} {}", parts.join("; ")))
    }
}

enum Verdict {
    Keep,
    Other,
    Missing,
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A client as the log writes it (`10.0.0.5`, `10.0.0.5(51234)`,
/// `10.0.0.5:51234`, `[local]`) is host `h`: the same, or `h` and a port.
fn same_host(client: &str, h: &str) -> bool {
    if client.eq_ignore_ascii_case(h) {
        return true;
    }
    let Some(port) = client
        .get(..h.len())
        .filter(|c| c.eq_ignore_ascii_case(h))
        .map(|_| &client[h.len()..])
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    port.strip_prefix(':').is_some_and(digits)
        || port
            .strip_prefix('(')
            .and_then(|p| p.strip_suffix(')'))
            .is_some_and(digits)
}

/// The entries a run keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub since: Option<TimeBound>,
    /// Excluded: an entry at exactly this instant is left out.
    pub until: Option<TimeBound>,
    pub databases: Names,
    pub users: Names,
    pub applications: Names,
    pub hosts: Names,
}

impl EntryFilter {
    /// Keeps everything.
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.databases.is_empty()
            && self.users.is_empty()
            && self.applications.is_empty()
            && self.hosts.is_empty()
    }

    /// Why `e` is left out (the heading its lines are counted under in the
    /// coverage), or `None` when it is kept. `log_offset`: the zone of the
    /// log's own timestamps, minutes east of UTC.
    pub fn verdict(&self, e: &LogEntry, log_offset: i32) -> Option<&'static str> {
        if self.since.is_some() || self.until.is_some() {
            let Some(ts) = e.ts else {
                return Some("--since/--until: no timestamp on the line");
            };
            if self.since.is_some_and(|s| ts.0 < s.instant(log_offset)) {
                return Some("--since: before the window");
            }
            if self.until.is_some_and(|u| ts.0 >= u.instant(log_offset)) {
                return Some("--until: at or after the end of the window");
            }
        }
        let names = [
            (&self.databases, e.db.as_deref(), "--database"),
            (&self.users, e.user.as_deref(), "--user"),
            (&self.applications, e.app.as_deref(), "--application"),
        ];
        for (set, value, flag) in names {
            // PostgreSQL writes `[unknown]` before a session knows its names
            let value = value.filter(|v| !v.is_empty() && *v != "[unknown]");
            match set.passes(value, same_name) {
                Verdict::Keep => {}
                Verdict::Other => return Some(other(flag)),
                Verdict::Missing => return Some(missing(flag)),
            }
        }
        let client = e.client.as_deref().filter(|c| !c.is_empty());
        match self.hosts.passes(client, same_host) {
            Verdict::Keep => None,
            Verdict::Other => Some(other("--host")),
            Verdict::Missing => Some(missing("--host")),
        }
    }

    /// The filters, one phrase each (`--database shop; not template1`).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = self.since {
            out.push(format!("--since {}", s.describe()));
        }
        if let Some(u) = self.until {
            out.push(format!("--until {} (excluded)", u.describe()));
        }
        out.extend(self.databases.describe("--database"));
        out.extend(self.users.describe("--user"));
        out.extend(self.applications.describe("--application"));
        out.extend(self.hosts.describe("--host"));
        out
    }
}

fn other(flag: &str) -> &'static str {
    match flag {
        "--database" => "--database: another database",
        "--user" => "--user: another user",
        "--application" => "--application: another application",
        _ => "--host: another client host",
    }
}

fn missing(flag: &str) -> &'static str {
    match flag {
        "--database" => {
            "--database: no database on the line (server-wide, or the prefix has no %d)"
        }
        "--user" => "--user: no user on the line (server-wide, or the prefix has no %u)",
        "--application" => "--application: no application on the line (or the prefix has no %a)",
        _ => "--host: no client host on the line (or the prefix has no %h/%r)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: &str, db: Option<&str>, client: Option<&str>) -> LogEntry {
        LogEntry {
            ts: Some(datetime(ts).unwrap().1),
            db: db.map(Into::into),
            client: client.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn times_read_with_and_without_a_zone() {
        let b = TimeBound::parse("2026-11-27").unwrap();
        assert_eq!(b.describe(), "2026-11-27 00:00:00 (the logs' zone)");
        let b = TimeBound::parse("2026-11-27T14:05+01:00").unwrap();
        assert_eq!(b.describe(), "2026-11-27 14:05:00 +01:00");
        let b = TimeBound::parse("2026-11-27 14:05:07.250 UTC").unwrap();
        assert_eq!(b.instant(600) % 1000, 250);
        assert_eq!(
            TimeBound::parse("2026-11-27 14:05:07Z")
                .unwrap()
                .instant(60),
            b.instant(0) - 250
        );
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-11-31",
            "2026-11-0é",
            "2026-11-27 25:00",
            "2026-11-27 14:00 Mars",
        ] {
            assert!(TimeBound::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_keeps_its_instant_until_leaves_it_out() {
        let f = EntryFilter {
            since: Some(TimeBound::parse("2026-11-27 10:00").unwrap()),
            until: Some(TimeBound::parse("2026-11-27 11:00").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            f.verdict(&entry("2026-11-27 10:00:00", None, None), 0),
            None
        );
        assert_eq!(
            f.verdict(&entry("2026-11-27 10:59:59.999", None, None), 0),
            None
        );
        assert_eq!(
            f.verdict(&entry("2026-11-27 11:00:00", None, None), 0),
            Some("--until: at or after the end of the window")
        );
        // the log writes CET (+60): 10:30 UTC is 11:30 on its clock
        assert_eq!(
            f.verdict(&entry("2026-11-27 10:30:00", None, None), 60),
            Some("--until: at or after the end of the window")
        );
        assert!(f.verdict(&LogEntry::default(), 0).is_some());
    }

    #[test]
    fn names_keep_drop_and_missing() {
        let f = EntryFilter {
            databases: Names::of(&["Shop".into()]),
            ..Default::default()
        };
        let at = "2026-11-27 10:00:00";
        assert_eq!(f.verdict(&entry(at, Some("shop"), None), 0), None);
        assert_eq!(
            f.verdict(&entry(at, Some("bench"), None), 0),
            Some("--database: another database")
        );
        assert!(
            f.verdict(&entry(at, None, None), 0)
                .unwrap()
                .contains("no database")
        );
        assert!(f.verdict(&entry(at, Some("[unknown]"), None), 0).is_some());
        let f = EntryFilter {
            databases: Names::of(&["!template1".into()]),
            hosts: Names::of(&["10.0.0.5".into()]),
            ..Default::default()
        };
        assert_eq!(f.verdict(&entry(at, None, Some("10.0.0.5(5123)")), 0), None);
        assert_eq!(
            f.verdict(&entry(at, Some("x"), Some("10.0.0.5:5123")), 0),
            None
        );
        assert!(f.verdict(&entry(at, None, Some("10.0.0.55")), 0).is_some());
        assert!(
            f.verdict(&entry(at, Some("template1"), Some("10.0.0.5")), 0)
                .is_some()
        );
        assert_eq!(
            f.describe(),
            ["--database not template1", "--host 10.0.0.5"]
        );
    }
}
