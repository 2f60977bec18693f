//! Timestamps as PostgreSQL writes them (`2024-05-01 12:00:00.123 UTC`), parsed with nom.
//!
//! A [`Timestamp`] is an instant: milliseconds since the Unix epoch, UTC. The zone
//! label a log writes (`UTC`, `CEST`, `+02`, `-0500`) is turned into an offset with
//! [`zone_offset`]; a label it does not know is taken as UTC and reported as such.
//! [`Timestamp::format_at`] shows an instant in any offset.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n},
    combinator::map_res,
    sequence::preceded,
};
use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01 00:00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

/// How finely a log's timestamps tell time: milliseconds (`%m`, `%n`, csvlog,
/// jsonlog) or whole seconds (`%t`, BSD syslog). A [`Timestamp`] always holds
/// milliseconds; from a whole-second clock they are zero, and the true instant
/// lies anywhere in the second that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Clock {
    Millis,
    Seconds,
}

impl Clock {
    /// `1ms` or `1s`: the JSON's name for the resolution.
    pub fn label(self) -> &'static str {
        match self {
            Clock::Millis => "1ms",
            Clock::Seconds => "1s",
        }
    }

    /// The clock of a timestamp written as `text` (`YYYY-MM-DD HH:MM:SS` or
    /// RFC 3339's `YYYY-MM-DDTHH:MM:SS`, then perhaps a fraction): whole
    /// seconds unless a dot and a digit follow the seconds.
    pub fn of_text(text: &str) -> Clock {
        match text.as_bytes().get(19..21) {
            Some([b'.', d]) if d.is_ascii_digit() => Clock::Millis,
            _ => Clock::Seconds,
        }
    }
}

impl Timestamp {
    /// Formats as `YYYY-MM-DD HH:MM:SS.mmm`, in UTC.
    pub fn format(self) -> String {
        self.format_at(0)
    }

    /// Year and month (UTC).
    pub fn year_month(self) -> (i64, u32) {
        let (y, m, _) = civil_from_days(self.0.div_euclid(86_400_000));
        (y, m)
    }

    /// Formats as `YYYY-MM-DD HH:MM:SS` at a UTC offset (minutes east): the
    /// second the instant falls in, for a clock that tells no more.
    pub fn format_seconds_at(self, offset_min: i32) -> String {
        let mut s = self.format_at(offset_min);
        s.truncate(19);
        s
    }

    /// Formats as `YYYY-MM-DD HH:MM:SS.mmm` at a UTC offset (minutes east).
    pub fn format_at(self, offset_min: i32) -> String {
        let local = self.0 + i64::from(offset_min) * 60_000;
        let ms = local.rem_euclid(1000);
        let secs = local.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn num(n: usize) -> impl FnMut(&str) -> IResult<&str, u32> {
    move |i| {
        map_res(
            take_while_m_n(n, n, |c: char| c.is_ascii_digit()),
            str::parse::<u32>,
        )
        .parse(i)
    }
}

thread_local! {
    /// The date, hour and minute of the last timestamp read on this thread
    /// (checked), and that minute's seconds since the epoch.
    static LAST_MINUTE: std::cell::Cell<Option<([u8; 16], i64)>> = const { std::cell::Cell::new(None) };
    /// The last zone label read on this thread (up to 8 bytes) and its offset.
    static LAST_ZONE: std::cell::Cell<Option<([u8; 8], usize, i32)>> = const { std::cell::Cell::new(None) };
}

/// Parses `YYYY-MM-DD HH:MM:SS[.fff]` (no zone). Byte by byte rather than with
/// nom combinators: every log line starts with one, and this is 10x faster.
pub fn datetime(i: &str) -> IResult<&str, Timestamp> {
    let fail = || {
        Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )))
    };
    let Some(b) = i.as_bytes().first_chunk::<19>() else {
        return fail();
    };
    // two digits at `at` (a byte that is not a digit makes it >= 100)
    let d2 = |at: usize| -> u32 {
        let (x, y) = (b[at].wrapping_sub(b'0'), b[at + 1].wrapping_sub(b'0'));
        if x < 10 && y < 10 {
            u32::from(x) * 10 + u32::from(y)
        } else {
            100
        }
    };
    let s = d2(17);
    if b[16] != b':' || s > 60 {
        return fail();
    }
    // consecutive lines nearly always share their minute: its seconds are kept
    // per thread, keyed by the bytes up to the minute (checked when kept)
    let minute: [u8; 16] = b[..16].try_into().unwrap_or_default();
    let base = match LAST_MINUTE.get() {
        Some((m, base)) if m == minute => base,
        _ => {
            let (c, yy, mo, d) = (d2(0), d2(2), d2(5), d2(8));
            let (h, mi) = (d2(11), d2(14));
            if (b[4], b[7], b[10], b[13]) != (b'-', b'-', b' ', b':')
                || c > 99
                || yy > 99
                || !(1..=12).contains(&mo)
                || !(1..=31).contains(&d)
                || h > 23
                || mi > 59
            {
                return fail();
            }
            let days = days_from_civil(i64::from(c * 100 + yy), mo, d);
            let base = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60;
            LAST_MINUTE.set(Some((minute, base)));
            base
        }
    };
    // an optional fraction of 1 to 9 digits (a lone dot is not one)
    let rest = &i.as_bytes()[19..];
    let (end, ms) = if rest.first() == Some(&b'.') {
        let digits = rest[1..]
            .iter()
            .take(9)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            (19, 0)
        } else {
            // milliseconds: the first three digits, padded with zeros
            let ms = (0..3).fold(0, |v, k| {
                v * 10
                    + if k < digits {
                        i64::from(rest[1 + k] - b'0')
                    } else {
                        0
                    }
            });
            (20 + digits, ms)
        }
    } else {
        (19, 0)
    };
    let secs = base + i64::from(s);
    Ok((&i[end..], Timestamp(secs * 1000 + ms)))
}

/// Parses a timestamp followed by a space and a zone label (`UTC`, `CEST`, `+02`, `-0500`).
pub fn datetime_zone(i: &str) -> IResult<&str, (Timestamp, &str)> {
    let (rest, ts) = datetime(i)?;
    let b = rest.as_bytes();
    // a space, then the zone label ([`zone_label_len`])
    let n = b
        .get(1..)
        .filter(|_| b[0] == b' ')
        .map_or(0, zone_label_len);
    if n == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            rest,
            nom::error::ErrorKind::TakeWhileMN,
        )));
    }
    // usually the label of the line before: its offset is kept
    if let Some((k, len, off)) = LAST_ZONE.get()
        && len == n
        && b[1..1 + n] == k[..len]
    {
        let zone = &rest[1..1 + len];
        return Ok((
            &rest[1 + len..],
            (Timestamp(ts.0 - i64::from(off) * 60_000), zone),
        ));
    }
    let zone = &rest[1..1 + n];
    Ok((
        &rest[1 + n..],
        (
            Timestamp(ts.0 - i64::from(zone_offset_kept(zone)) * 60_000),
            zone,
        ),
    ))
}

/// Bytes of the zone label at the start of `z`: a name (`UTC`, `CEST`,
/// `America/New_York`, also `UTC+3`, `Etc/GMT-3` as shippers write them), or
/// an offset: a sign and 2 or 4 digits, or `+HH:MM` when a space or the end
/// follows. What comes after is the prefix's own text: `UTC-6b129a22.c93-`
/// (Azure's `%t-%c-`) is `UTC`, `-03:10.0.0.1(5432):` (RDS's `%t:%r:` with
/// an offset zone) is `-03`.
pub fn zone_label_len(z: &[u8]) -> usize {
    let digits = |from: usize| {
        z.get(from..).map_or(0, |r| {
            r.iter().take(4).take_while(|c| c.is_ascii_digit()).count()
        })
    };
    let ends = |at: usize| z.get(at).is_none_or(|c| *c == b' ');
    match z.first() {
        Some(b'+' | b'-') => {
            let d = digits(1);
            if d == 2 && z.get(3) == Some(&b':') && digits(4) == 2 && ends(6) {
                6
            } else if d == 0 {
                0
            } else {
                1 + d
            }
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let name = z
                .iter()
                .take(32)
                .take_while(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'/'))
                .count();
            // `UTC+3`, `Etc/GMT-3`: an hour offset glued to the name
            match z.get(name) {
                Some(b'+' | b'-') => {
                    let d = digits(name + 1);
                    if (1..=2).contains(&d) && ends(name + 1 + d) {
                        name + 1 + d
                    } else {
                        name
                    }
                }
                _ => name,
            }
        }
        _ => 0,
    }
}

/// [`zone_offset`] of a label that is not the one kept (0 for a label it does
/// not know); a short label is kept, with its offset, for the next line's
/// check in [`datetime_zone`]: a log nearly always repeats one label.
fn zone_offset_kept(zone: &str) -> i32 {
    let off = zone_offset(zone).unwrap_or(0);
    let mut key = [0u8; 8];
    if let Some(k) = key.get_mut(..zone.len()) {
        k.copy_from_slice(zone.as_bytes());
        LAST_ZONE.set(Some((key, zone.len(), off)));
    }
    off
}

/// Time zone abbreviations PostgreSQL commonly prints, with their UTC offsets in
/// minutes. Ambiguous ones take their most common meaning (`CST` is US Central,
/// `IST` is India).
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UCT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("IST", 330),
    ("CET", 60),
    ("CEST", 120),
    ("MET", 60),
    ("MEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
    ("AKST", -540),
    ("AKDT", -480),
    ("HST", -600),
    ("BRT", -180),
    ("ART", -180),
    ("JST", 540),
    ("KST", 540),
    ("SGT", 480),
    ("HKT", 480),
    ("AWST", 480),
    ("ACST", 570),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
];

/// The UTC offset (minutes east) of a zone label: an abbreviation from the table
/// above or a numeric offset (`+02`, `-0500`, `+05:30`).
pub fn zone_offset(label: &str) -> Option<i32> {
    if let Some(&(_, off)) = ZONES.iter().find(|(z, _)| z.eq_ignore_ascii_case(label)) {
        return Some(off);
    }
    let sign = match label.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = label[1..].chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 15 && m < 60).then_some(sign * (h * 60 + m))
}

thread_local! {
    /// Time zones of the tz database read on this thread, by name.
    static IANA: std::cell::RefCell<std::collections::HashMap<String, Option<jiff::tz::TimeZone>>> =
        Default::default();
}

/// The time zone `name` of the IANA tz database (`Europe/Berlin`), built into
/// pgsift (a machine's own zoneinfo may be missing or old).
pub fn iana_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    if !name.contains('/') && !name.eq_ignore_ascii_case("UTC") {
        // abbreviations (CET, EST) are read from the table above: the tz
        // database's few zones of those names are not what logs mean by them
        return None;
    }
    IANA.with_borrow_mut(|m| {
        m.entry(name.to_string())
            .or_insert_with(|| jiff::tz::TimeZone::get(name).ok())
            .clone()
    })
}

/// Whether `zone` names a zone pgsift knows: an abbreviation, an offset, or
/// an IANA name.
pub fn is_zone(zone: &str) -> bool {
    zone_offset(zone).is_some() || iana_zone(zone).is_some()
}

/// The UTC offset (minutes east) of `zone` at the instant `ms`: its fixed
/// offset, or, for an IANA name, the one in force then (daylight saving time).
pub fn zone_offset_at(zone: &str, ms: i64) -> Option<i32> {
    zone_offset(zone).or_else(|| {
        let tz = iana_zone(zone)?;
        let t = jiff::Timestamp::from_millisecond(ms).ok()?;
        Some(tz.to_offset(t).seconds() / 60)
    })
}

/// The instant (epoch ms) of the wall-clock time `wall_ms` (epoch ms read as
/// UTC) in `zone`; a time that happens twice (clocks going back) is read in
/// standard time, one that does not happen (clocks going forward) is moved by
/// the change.
pub fn wall_to_instant(zone: &str, wall_ms: i64) -> Option<i64> {
    let first = zone_offset_at(zone, wall_ms)?;
    let guess = wall_ms - i64::from(first) * 60_000;
    let second = zone_offset_at(zone, guess)?;
    Some(wall_ms - i64::from(second) * 60_000)
}

/// `+02:00`-style text for an offset in minutes.
pub fn offset_text(min: i32) -> String {
    let sign = if min < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", min.abs() / 60, min.abs() % 60)
}

/// Parses `%n`: Unix epoch seconds with milliseconds (always UTC).
pub fn epoch(i: &str) -> IResult<&str, Timestamp> {
    let (rest, secs) = map_res(
        take_while_m_n(1, 12, |c: char| c.is_ascii_digit()),
        str::parse::<i64>,
    )
    .parse(i)?;
    let (rest, ms) = preceded(tag("."), num(3)).parse(rest)?;
    Ok((rest, Timestamp(secs * 1000 + i64::from(ms))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iana_zones_follow_daylight_saving_time() {
        let at = |t: &str| datetime(t).unwrap().1.0;
        assert_eq!(
            zone_offset_at("Europe/Berlin", at("2026-01-15 12:00:00")),
            Some(60)
        );
        assert_eq!(
            zone_offset_at("Europe/Berlin", at("2026-07-15 12:00:00")),
            Some(120)
        );
        assert_eq!(
            zone_offset_at("America/New_York", at("2026-07-15 12:00:00")),
            Some(-240)
        );
        assert_eq!(zone_offset_at("CET", 0), Some(60));
        assert_eq!(zone_offset_at("Mars/Olympus", 0), None);
        assert!(is_zone("Asia/Kolkata") && is_zone("+05:30") && !is_zone("Nowhere"));
        // 14:00 in Berlin in July is 12:00 UTC; on the night clocks go back
        // (2026-10-25 02:30 happens twice), the second one (standard time)
        assert_eq!(
            wall_to_instant("Europe/Berlin", at("2026-07-15 14:00:00")),
            Some(at("2026-07-15 12:00:00"))
        );
        assert_eq!(
            wall_to_instant("Europe/Berlin", at("2026-10-25 02:30:00")),
            Some(at("2026-10-25 01:30:00"))
        );
    }

    use super::*;

    #[test]
    fn parses_and_formats() {
        let (rest, (ts, zone)) = datetime_zone("2017-09-06 08:41:41.5 UTC [36]").unwrap();
        assert_eq!(rest, " [36]");
        assert_eq!(zone, "UTC");
        assert_eq!(ts.format(), "2017-09-06 08:41:41.500");
        let (_, (ts2, z2)) = datetime_zone("2024-02-29 23:59:59 +02 x").unwrap();
        assert_eq!(z2, "+02");
        assert_eq!(ts2.format(), "2024-02-29 21:59:59.000");
        assert_eq!(ts2.format_at(120), "2024-02-29 23:59:59.000");
    }

    #[test]
    fn zones_become_instants() {
        let (_, (utc, _)) = datetime_zone("2024-05-01 12:00:00 UTC").unwrap();
        let (_, (cest, z)) = datetime_zone("2024-05-01 14:00:00 CEST").unwrap();
        let (_, (num, _)) = datetime_zone("2024-05-01 07:00:00 -0500").unwrap();
        let (_, (ist, _)) = datetime_zone("2024-05-01 17:30:00 +0530").unwrap();
        assert_eq!(z, "CEST");
        assert_eq!(utc, cest);
        assert_eq!(utc, num);
        assert_eq!(utc, ist);
        assert_eq!(cest.format_at(120), "2024-05-01 14:00:00.000");
        assert_eq!(zone_offset("XYZT"), None);
        assert_eq!(offset_text(-330), "-05:30");
    }

    #[test]
    fn the_zone_kept_from_the_last_line_is_only_reused_for_the_same_label() {
        let at = |s| datetime_zone(s).map(|(_, (t, _))| t.0).ok();
        std::thread::spawn(move || {
            let noon = at("2024-05-01 12:00:00 UTC");
            assert_eq!(at("2024-05-01 14:00:00 CEST"), noon);
            assert_eq!(at("2024-05-01 14:00:00 CEST"), noon);
            // a label sharing the kept one's first bytes, and a long one
            assert_eq!(at("2024-05-01 14:00:00 CES"), at("2024-05-01 14:00:00 UTC"));
            assert_eq!(at("2024-05-01 15:00:00 +03"), noon);
            assert_eq!(at("2024-05-01 15:00:00 +0300"), noon);
            assert_eq!(at("2024-05-01 12:00:00 Not_A_Zone_Label"), noon);
            assert_eq!(at("2024-05-01 12:00:00 Not_A_Zone"), noon);
            assert_eq!(at("2024-05-01 13:00:00 +01"), noon);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_kept_zone_is_compared_the_same_with_text_after_it() {
        // labels followed by the rest of a line take the word-wide comparison;
        // the same labels at the end of the input, the byte-wise one
        let labels = [
            "UTC",
            "CEST",
            "CEST",
            "CES",
            "UTC",
            "+03",
            "+0300",
            "Not_A_Zone_Label",
            "Not_A_Zone",
            "+01",
            "UTCX",
            "UT",
            "UTC",
            "ABCDEFGH",
            "ABCDEFGH",
            "ABCDEFGHI",
            "ABCDEFG",
        ];
        let run = |tail: &'static str| {
            std::thread::spawn(move || {
                labels
                    .iter()
                    .map(|l| {
                        let line = format!("2024-05-01 12:00:00 {l}{tail}");
                        datetime_zone(&line)
                            .map(|(rest, (t, z))| (t.0, z.to_string(), rest.len()))
                            .ok()
                    })
                    .collect::<Vec<_>>()
            })
            .join()
            .unwrap()
        };
        let at_end = run("");
        const TAIL: &str = " [42]: LOG:  statement: SELECT 1";
        let in_line = run(TAIL);
        assert_eq!(at_end.len(), in_line.len());
        for ((l, a), b) in labels.iter().zip(&at_end).zip(&in_line) {
            let a = a.clone().map(|(t, z, r)| (t, z, r + TAIL.len()));
            assert_eq!(&a, b, "label {l}");
        }
        // the kept label is not taken for a longer one it starts
        let utcx = in_line[10].as_ref().unwrap();
        assert_eq!(utcx.1, "UTCX");
    }

    #[test]
    fn a_clock_is_told_by_the_fraction_written() {
        assert_eq!(Clock::of_text("2024-05-01 12:00:00.000 UTC"), Clock::Millis);
        assert_eq!(Clock::of_text("2024-05-01T12:00:00.5Z"), Clock::Millis);
        assert_eq!(Clock::of_text("2024-05-01 12:00:00 UTC"), Clock::Seconds);
        assert_eq!(Clock::of_text("2024-05-01T12:00:00+02:00"), Clock::Seconds);
        assert_eq!(Clock::of_text("2024-05-01 12:00:00. UTC"), Clock::Seconds);
        assert_eq!(Clock::of_text("2024-05-01 12:00:00"), Clock::Seconds);
        let t = datetime("2024-05-01 12:00:59.999").unwrap().1;
        assert_eq!(t.format_seconds_at(60), "2024-05-01 13:00:59");
    }

    #[test]
    fn epoch_is_unix_time() {
        assert_eq!(
            epoch("1504687301.123 ").unwrap().1.format(),
            "2017-09-06 08:41:41.123"
        );
    }

    #[test]
    fn fractions_and_rests() {
        fn ms(s: &str) -> Result<(&str, i64), ()> {
            datetime(s)
                .map(|(r, t)| (r, t.0.rem_euclid(1000)))
                .map_err(|_| ())
        }
        assert_eq!(ms("2024-01-01 00:00:00.1 x"), Ok((" x", 100)));
        assert_eq!(ms("2024-01-01 00:00:00.123456789012"), Ok(("012", 123)));
        assert_eq!(ms("2024-01-01 00:00:00. x"), Ok((". x", 0)));
        assert_eq!(ms("2024-01-01 00:00:00"), Ok(("", 0)));
        assert!(datetime("2024-01-01 00:00:0").is_err());
        assert!(datetime("2024-01-01T00:00:00").is_err());
        assert!(datetime("2024-01-01 0a:00:00").is_err());
        assert!(datetime("+024-01-01 00:00:00").is_err());
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(datetime("2024-13-01 00:00:00").is_err());
        assert!(datetime("2024-01-01 25:00:00").is_err());
    }

    #[test]
    fn the_minute_kept_from_the_last_line_is_only_reused_for_the_same_minute() {
        let ms = |s| datetime(s).map(|(_, t)| t.0).ok();
        // a fresh thread: nothing kept yet, so ten NUL bytes are no date
        std::thread::spawn(move || {
            assert_eq!(ms("\0\0\0\0\0\0\0\0\0\0 12:00:00"), None);
            assert_eq!(ms("1970-01-01 00:00:01"), Some(1000));
            assert_eq!(ms("1970-01-01 00:00:02"), Some(2000));
            // another day right after, and back
            assert_eq!(ms("2024-02-29 00:00:00"), Some(1_709_164_800_000));
            assert_eq!(ms("1970-01-02 00:00:00"), Some(86_400_000));
            assert_eq!(ms("1970-01-01 00:00:00"), Some(0));
            // a bad date is rejected even right after a good one, and does not
            // replace it
            assert_eq!(ms("1970-01-01 24:00:00"), None);
            assert_eq!(ms("1970-13-01 00:00:00"), None);
            assert_eq!(ms("1970-01-01 00:00:03"), Some(3000));
            // same minute, then the next hour and minute of that day
            assert_eq!(ms("1970-01-01 00:00:59.5"), Some(59_500));
            assert_eq!(ms("1970-01-01 01:01:00"), Some(3_660_000));
            assert_eq!(ms("1970-01-01 01:01:61"), None);
            assert_eq!(ms("1970-01-01 01:01x00"), None);
        })
        .join()
        .unwrap();
    }
}

#[cfg(test)]
mod zone_label_tests {
    use super::zone_label_len;

    #[test]
    fn a_zone_label_stops_where_the_prefix_goes_on() {
        let len = |s: &str| zone_label_len(s.as_bytes());
        assert_eq!(len("UTC [1]"), 3);
        assert_eq!(len("CEST"), 4);
        assert_eq!(len("America/Sao_Paulo [1]"), 17);
        assert_eq!(len("+05:30 [1]"), 6);
        assert_eq!(len("-03 [1]"), 3);
        assert_eq!(len("-0330 [1]"), 5);
        // RDS's %t:%r: with an offset zone: the colon is the prefix's
        assert_eq!(len("-03:10.0.0.1(5432):app@shop:[100]:"), 3);
        // Azure's %t-%c-
        assert_eq!(len("UTC-6b129a22.c93-LOG"), 3);
        assert_eq!(len("UTC-ab12cd34.c93-LOG"), 3);
        // shippers' names with an hour offset
        assert_eq!(len("UTC+3 [1]"), 5);
        assert_eq!(len("Etc/GMT-3 [1]"), 9);
        assert_eq!(len("[1]"), 0);
    }
}
