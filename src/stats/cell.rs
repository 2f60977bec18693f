//! One CSV cell read as its column's type, the same way for every statistics
//! view: the text is trimmed, an empty cell, `NULL`, `null`, `\N`, `(null)`
//! and `[NULL]` (what psql, pgAdmin and DBeaver write for null) are `None`,
//! and a value that does not parse is a deserialization error whose message is
//! the value as reported (the reader then finds its column, reports it and
//! reads the row without it). Numbers may carry thousands separators, as
//! DBeaver's "format numbers" and spreadsheets write them.
//! Each type is a newtype over `Option`, so a row type's fields say how they are
//! read (`calls: Count`) and a column missing from the header is `None` too.

use crate::parse::timestamp::Timestamp;
use serde::de::{Deserialize, Deserializer, Error};

/// How many characters of a bad value are reported.
const SHOWN: usize = 40;

fn shown(v: &str) -> String {
    v.chars().take(SHOWN).collect()
}

macro_rules! cell_types {
    ($( $(#[$doc:meta])* $name:ident($t:ty) = $parse:path; )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name(pub Option<$t>);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let cell = String::deserialize(d)?;
                let v = cell.trim();
                if is_null(v) {
                    return Ok($name(None));
                }
                $parse(v).map($name).map_err(D::Error::custom)
            }
        }
    )*};
}

cell_types! {
    /// Text, trimmed.
    Text(String) = text;
    /// A counter; `-1` (never analyzed) and other negative values read as `None`,
    /// floats (`1e+06`, `12.0`: reltuples and a few others) are rounded.
    Count(u64) = count;
    /// A signed integer (`queryid`).
    Int(i64) = int;
    /// A float; `NaN` and infinities read as `None`.
    Float(f64) = float;
    /// `t`/`true`/`f`/`false` (psql and most tools), also `1`/`0` and `yes`/`no`.
    Flag(bool) = flag;
    /// A `timestamptz` as PostgreSQL prints it ([`parse_time`]).
    Time(Timestamp) = time;
}

/// Whether a trimmed cell spells null.
fn is_null(v: &str) -> bool {
    matches!(
        v,
        "" | "NULL" | "null" | "Null" | "\\N" | "(null)" | "[NULL]" | "<null>"
    )
}

/// A number without its thousands separators: `1,840,000`, `1.840.000`,
/// `1 840 000` (also a no-break or thin space) and `1'840'000` become
/// `1840000`; `1,234.5` becomes `1234.5` and `1.234,5` (a decimal comma)
/// `1234.5`. Anything else is returned as it is.
fn plain_number(v: &str) -> std::borrow::Cow<'_, str> {
    let (sign, digits) = match v.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", v),
    };
    if !digits.starts_with(|c: char| c.is_ascii_digit()) || digits.parse::<f64>().is_ok() {
        return v.into();
    }
    let grouped = |s: &str, sep: char| {
        let mut groups = s.split(sep);
        let head = groups.next().unwrap_or("");
        // `0,123` is a decimal comma, never thousands
        head != "0"
            && (1..=3).contains(&head.len())
            && head.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
    };
    for sep in [',', '.', ' ', '\u{a0}', '\u{202f}', '\''] {
        for decimal in ['.', ','] {
            if decimal == sep {
                continue;
            }
            let (whole, frac) = match digits.rsplit_once(decimal) {
                Some((w, f)) => (w, Some(f)),
                None => (digits, None),
            };
            let frac_ok =
                frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
            if whole.contains(sep) && grouped(whole, sep) && frac_ok {
                let mut out = format!("{sign}{}", whole.replace(sep, ""));
                if let Some(f) = frac {
                    out.push('.');
                    out.push_str(f);
                }
                return out.into();
            }
        }
    }
    // a lone decimal comma: `12,5`
    match digits.split_once(',') {
        Some((w, f))
            if !w.is_empty()
                && !f.contains(',')
                && w.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{sign}{w}.{f}").into()
        }
        _ => v.into(),
    }
}

/// The result of reading a non-empty, trimmed cell: `Ok(None)` for values read
/// as empty, `Err` with the value as reported when it does not parse.
type Read<T> = Result<Option<T>, String>;

fn text(v: &str) -> Read<String> {
    Ok(Some(v.to_string()))
}

fn count(v: &str) -> Read<u64> {
    // a counter is whole: `1.234` is German for 1234, not 1.234 rounded
    if let Some((head, tail)) = v.split_once('.')
        && tail.len() == 3
        && !tail.contains('.')
        && (1..=3).contains(&head.len())
        && head != "0"
        && head.bytes().chain(tail.bytes()).all(|b| b.is_ascii_digit())
    {
        return Ok(Some(format!("{head}{tail}").parse().map_err(|_| shown(v))?));
    }
    let v = &*plain_number(v);
    if let Some(stripped) = v.strip_prefix('-')
        && stripped.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Ok(None);
    }
    match v.parse::<u64>() {
        Ok(x) => Ok(Some(x)),
        Err(_) => match v.parse::<f64>() {
            Ok(f) => Ok(Some(f.max(0.0).round() as u64)),
            Err(_) => Err(shown(v)),
        },
    }
}

fn int(v: &str) -> Read<i64> {
    plain_number(v).parse().map(Some).map_err(|_| shown(v))
}

fn float(v: &str) -> Read<f64> {
    match plain_number(v).parse::<f64>() {
        Ok(f) => Ok(f.is_finite().then_some(f)),
        Err(_) => Err(shown(v)),
    }
}

fn flag(v: &str) -> Read<bool> {
    match v.to_ascii_lowercase().as_str() {
        "t" | "true" | "1" | "yes" => Ok(Some(true)),
        "f" | "false" | "0" | "no" => Ok(Some(false)),
        other => Err(shown(other)),
    }
}

fn time(v: &str) -> Read<Timestamp> {
    parse_time(v).map(Some).ok_or_else(|| shown(v))
}

/// The `blocked_by` (`pg_blocking_pids`) column of `pg_stat_activity`: whether
/// the export has it, and the pids (`{12,34}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pids {
    pub known: bool,
    pub pids: Vec<u64>,
}

impl<'de> Deserialize<'de> for Pids {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(cell) = Text::deserialize(d)?;
        let pids = cell
            .map(|t| {
                t.trim_matches(|c| c == '{' || c == '}')
                    .split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Pids { known: true, pids })
    }
}

/// Parses a `timestamptz` as PostgreSQL writes it in ISO DateStyle
/// (`2026-11-27 10:40:01.12+00`, ISO `T` accepted); no offset means UTC.
pub fn parse_time(v: &str) -> Option<Timestamp> {
    use crate::parse::timestamp::{datetime, zone_offset};
    let v = v.trim();
    let fixed;
    let v = if v.len() > 10 && v.as_bytes()[10] == b'T' {
        fixed = format!("{} {}", &v[..10], &v[11..]);
        fixed.as_str()
    } else {
        v
    };
    let (rest, t) = datetime(v).ok()?;
    let rest = rest.trim();
    let offset = if rest.is_empty() {
        0
    } else {
        zone_offset(rest.trim_start_matches(' '))?
    };
    Some(Timestamp(t.0 - i64::from(offset) * 60_000))
}

#[cfg(test)]
mod tests;
