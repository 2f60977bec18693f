//! Timestamps as PostgreSQL writes them (`2024-05-01 12:00:00.123 UTC`), parsed with nom.
//!
//! A [`Timestamp`] is the wall-clock time as written, in milliseconds since
//! 1970-01-01 00:00 of that wall clock; the zone label is kept apart. Comparing
//! timestamps of one zone is exact; conversion between zones is not done here.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n},
    combinator::{map_res, opt},
    sequence::preceded,
};
use serde::{Deserialize, Serialize};

/// Wall-clock milliseconds since 1970-01-01 00:00:00 (in the log's own zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Formats as `YYYY-MM-DD HH:MM:SS.mmm`.
    pub fn format(self) -> String {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
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

fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

/// Parses `YYYY-MM-DD HH:MM:SS[.fff]` (no zone).
pub fn datetime(i: &str) -> IResult<&str, Timestamp> {
    let (i, (y, _, mo, _, d, _, h, _, mi, _, s)) = (
        num(4),
        tag("-"),
        num(2),
        tag("-"),
        num(2),
        tag(" "),
        num(2),
        tag(":"),
        num(2),
        tag(":"),
        num(2),
    )
        .parse(i)?;
    let (i, frac) = opt(preceded(
        tag("."),
        take_while_m_n(1, 9, |c: char| c.is_ascii_digit()),
    ))
    .parse(i)?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    let ms = frac.map_or(0, |f| {
        let mut v: i64 = f[..f.len().min(3)].parse().unwrap_or(0);
        for _ in f.len()..3 {
            v *= 10;
        }
        v
    });
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Ok((i, Timestamp(secs * 1000 + ms)))
}

/// Parses a timestamp followed by a space and a zone label (`UTC`, `CEST`, `+02`, `-0500`).
pub fn datetime_zone(i: &str) -> IResult<&str, (Timestamp, &str)> {
    let (rest, ts) = datetime(i)?;
    let (rest, zone) = preceded(
        tag(" "),
        take_while_m_n(1, 32, |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_')
        }),
    )
    .parse(rest)?;
    Ok((rest, (ts, zone)))
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
    use super::*;

    #[test]
    fn parses_and_formats() {
        let (rest, (ts, zone)) = datetime_zone("2017-09-06 08:41:41.5 UTC [36]").unwrap();
        assert_eq!(rest, " [36]");
        assert_eq!(zone, "UTC");
        assert_eq!(ts.format(), "2017-09-06 08:41:41.500");
        let (_, (ts2, z2)) = datetime_zone("2024-02-29 23:59:59 +02 x").unwrap();
        assert_eq!(z2, "+02");
        assert_eq!(ts2.format(), "2024-02-29 23:59:59.000");
    }

    #[test]
    fn epoch_is_unix_time() {
        assert_eq!(
            epoch("1504687301.123 ").unwrap().1.format(),
            "2017-09-06 08:41:41.123"
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(datetime("2024-13-01 00:00:00").is_err());
        assert!(datetime("2024-01-01 25:00:00").is_err());
    }
}
