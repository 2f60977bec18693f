use super::*;
use serde::Deserialize;

/// One row of every cell type, read through the csv crate as the views are.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Cells {
    text: Text,
    count: Count,
    int: Int,
    float: Float,
    flag: Flag,
    time: Time,
    pids: Pids,
}

fn cells(header: &str, row: &[&str]) -> Result<Cells, String> {
    let names = csv::StringRecord::from(header.split(',').collect::<Vec<_>>());
    csv::StringRecord::from(row.to_vec())
        .deserialize(Some(&names))
        .map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
            other => format!("{other:?}"),
        })
}

#[test]
fn times_read_with_and_without_offsets() {
    let utc = parse_time("2026-11-27 10:40:01.5+00").unwrap();
    assert_eq!(parse_time("2026-11-27 11:40:01.5+01"), Some(utc));
    assert_eq!(parse_time("2026-11-27T10:40:01.5"), Some(utc));
    assert_eq!(parse_time("2026-11-27 16:10:01.5+05:30"), Some(utc));
    assert_eq!(parse_time("yesterday"), None);
}

#[test]
fn empty_and_missing_cells_are_none() {
    let c = cells("text,count,int,float,flag,time", &["", " ", "", "", "", ""]).unwrap();
    assert_eq!(
        (c.text, c.count, c.int, c.float, c.flag, c.time),
        (
            Text(None),
            Count(None),
            Int(None),
            Float(None),
            Flag(None),
            Time(None)
        )
    );
    // no pids column: not known; an empty one: known, nobody blocks
    assert!(!c.pids.known);
    let c = cells("pids", &[""]).unwrap();
    assert_eq!(
        c.pids,
        Pids {
            known: true,
            pids: vec![]
        }
    );
    let c = cells("pids", &["{12, 34}"]).unwrap();
    assert_eq!(c.pids.pids, [12, 34]);
}

#[test]
fn counters_read_floats_and_negatives_like_postgresql_prints_them() {
    let count = |v: &str| cells("count", &[v]).map(|c| c.count.0);
    assert_eq!(count(" 12 "), Ok(Some(12)));
    assert_eq!(count("1e+06"), Ok(Some(1_000_000)));
    assert_eq!(count("12.6"), Ok(Some(13)));
    // reltuples -1: never analyzed
    assert_eq!(count("-1"), Ok(None));
    assert_eq!(count("-"), Ok(None));
    assert_eq!(count("-1e5"), Ok(Some(0)));
    assert_eq!(count("zero"), Err("zero".into()));
    let long = "x".repeat(60);
    assert_eq!(count(&long), Err("x".repeat(40)));
}

#[test]
fn floats_ints_flags_and_times_report_what_does_not_parse() {
    let c = cells(
        "float,int,flag,time",
        &["1.5", "-7", "T", "2026-01-01 10:00:00+00"],
    )
    .unwrap();
    assert_eq!(c.float.0, Some(1.5));
    assert_eq!(c.int.0, Some(-7));
    assert_eq!(c.flag.0, Some(true));
    assert_eq!(c.time.0, parse_time("2026-01-01 10:00:00+00"));
    assert_eq!(cells("float", &["NaN"]).unwrap().float.0, None);
    assert_eq!(cells("float", &["inf"]).unwrap().float.0, None);
    assert_eq!(cells("flag", &["no"]).unwrap().flag.0, Some(false));
    assert_eq!(cells("flag", &["0"]).unwrap().flag.0, Some(false));
    // a bad flag is reported in lower case, as it was compared
    assert_eq!(cells("flag", &["Maybe"]).unwrap_err(), "maybe");
    assert_eq!(cells("int", &["1.5"]).unwrap_err(), "1.5");
    assert_eq!(cells("float", &["fast"]).unwrap_err(), "fast");
    assert_eq!(cells("time", &["yesterday"]).unwrap_err(), "yesterday");
}

#[test]
fn tools_spellings_of_null_read_as_none() {
    for null in ["NULL", "null", "\\N", "(null)", "[NULL]"] {
        let c = cells(
            "text,count,int,float,flag,time",
            &[null, null, null, null, null, null],
        )
        .unwrap();
        assert_eq!(
            (c.text, c.count, c.int, c.float, c.flag, c.time),
            (
                Text(None),
                Count(None),
                Int(None),
                Float(None),
                Flag(None),
                Time(None)
            ),
            "{null}"
        );
    }
}

#[test]
fn thousands_separators_are_read() {
    let c = |count: &str, int: &str, float: &str| {
        let c = cells("count,int,float", &[count, int, float]).unwrap();
        (c.count.0, c.int.0, c.float.0)
    };
    assert_eq!(
        c("1,840,000", "-8,123,456", "1,234.5"),
        (Some(1_840_000), Some(-8_123_456), Some(1234.5))
    );
    assert_eq!(
        c("1.840.000", "1 234", "1.234,5"),
        (Some(1_840_000), Some(1234), Some(1234.5))
    );
    assert_eq!(
        c("1\u{a0}840", "1'234'567", "12,5"),
        (Some(1840), Some(1_234_567), Some(12.5))
    );
    // a head of 0 is a decimal comma; a counter's `1.234` is German for 1234
    assert_eq!(c("1.234", "0", "0,123"), (Some(1234), Some(0), Some(0.123)));
    // plain numbers are untouched; a malformed grouping is a bad value
    assert_eq!(
        c("40000", "-42", "1.5"),
        (Some(40000), Some(-42), Some(1.5))
    );
    assert!(cells("count", &["1,84,000"]).is_err());
}

#[test]
fn tools_spellings_of_booleans_and_times_read() {
    let c = cells("flag,time", &["true", "2026-12-04 10:05:21.479"]).unwrap();
    assert_eq!(c.flag.0, Some(true));
    assert_eq!(c.time.0, parse_time("2026-12-04 10:05:21.479+00"));
    let c = cells("flag,time", &["false", "2026-12-04 10:05:21.479139+00:00"]).unwrap();
    assert_eq!(c.flag.0, Some(false));
    assert_eq!(c.time.0, parse_time("2026-12-04 10:05:21.479139+00"));
    let c = cells("time", &["2026-12-04T11:05:21.479+01:00"]).unwrap();
    assert_eq!(c.time.0, parse_time("2026-12-04 10:05:21.479+00"));
}
