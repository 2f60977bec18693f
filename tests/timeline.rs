//! The report over time (issue 22): on real logs, the timeline's buckets hold
//! exactly the log's own executions and events, the busiest bucket is the one
//! with the most statement time, and a month of daily logs gets day buckets
//! and a busy-hours table whose hours are the log's.

use crate::harness::run;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

fn sum(buckets: &[Value], f: impl Fn(&Value) -> u64) -> u64 {
    buckets.iter().map(f).sum()
}

#[test]
fn the_samples_timeline_holds_every_execution_and_event_of_the_log() {
    let r = run(&["samples/"]);
    let a = &r.json;
    let t = &a["timeline"];
    let b = t["buckets"].as_array().unwrap();
    // 25 seconds of log: one-second buckets
    assert_eq!(t["bucket_seconds"], 1);
    assert!(b.len() >= 20, "{}", b.len());
    assert_eq!(
        sum(b, |x| x["executions"].as_u64().unwrap()),
        a["summary"]["executions"].as_u64().unwrap()
    );
    let total_ms: f64 = b.iter().map(|x| x["total_ms"].as_f64().unwrap()).sum();
    let summary_ms = a["summary"]["total_duration_ms"].as_f64().unwrap();
    assert!(
        (total_ms - summary_ms).abs() < 0.01,
        "{total_ms} {summary_ms}"
    );
    assert_eq!(
        sum(b, |x| x["temp_bytes"].as_u64().unwrap()),
        a["temp_files"]["total_bytes"].as_u64().unwrap()
    );
    let kinds: Vec<&str> = t["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let events = |kind: &str| {
        let i = kinds.iter().position(|k| *k == kind).unwrap();
        sum(b, |x| x["events"][i].as_u64().unwrap())
    };
    assert_eq!(events("lock waits"), a["locks"]["waits"].as_u64().unwrap());
    assert_eq!(
        events("deadlocks"),
        a["deadlocks"]["count"].as_u64().unwrap()
    );
    assert_eq!(
        events("temp files"),
        a["temp_files"]["count"].as_u64().unwrap()
    );
    assert_eq!(
        events("checkpoints"),
        a["checkpoints"]["count"].as_u64().unwrap()
    );
    let errors: u64 = a["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(events("errors"), errors);
    assert_eq!(
        events("new sessions"),
        a["sessions"]["connections_authorized"].as_u64().unwrap()
    );
    // the busiest second is the one with the most statement time
    let top = b
        .iter()
        .max_by(|x, y| {
            x["total_ms"]
                .as_f64()
                .unwrap()
                .total_cmp(&y["total_ms"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(t["busiest"]["start"], top["start"]);
    assert_eq!(t["busiest"]["executions"], top["executions"]);
    // a span under a day has no busy hours
    assert!(t["busy_hours"].is_null());
    // the chart, with its axis and the busiest second named
    let section = &r.html[r.html.find("<section id=\"timeline\">").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("Busiest 1 second: "), "{section}");
    assert!(section.contains(">executions/s ("));
    assert!(section.contains(">p95 latency<"));
    assert!(section.contains("class=\"time\">10:59:"));
}

/// The month's log lines (tests/data/month: a gzipped log a day, UTC).
fn month_lines() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("tests/data/month").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "gz") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap())
                .read_to_string(&mut s)
                .unwrap();
            out.extend(s.lines().map(str::to_string));
        }
    }
    out
}

#[test]
fn a_month_gets_day_buckets_and_busy_hours_that_are_the_logs_own() {
    let r = run(&["tests/data/month"]);
    let t = &r.json["timeline"];
    assert_eq!(t["bucket_seconds"], 86_400);
    let durations: Vec<String> = month_lines()
        .into_iter()
        .filter(|l| l.contains(" LOG:  duration: "))
        .collect();
    // each day's bucket: that date's duration lines
    let mut by_day: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_hour = [0u64; 24];
    for l in &durations {
        *by_day.entry(&l[..10]).or_default() += 1;
        by_hour[l[11..13].parse::<usize>().unwrap()] += 1;
    }
    let buckets = t["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 30);
    for b in buckets {
        let day = &b["start"].as_str().unwrap()[..10];
        assert_eq!(
            b["executions"],
            by_day.get(day).copied().unwrap_or(0),
            "{day}"
        );
    }
    // busy hours: every weekday's hour added up is the log's hour
    let h = &t["busy_hours"];
    assert_eq!(h["zone"], "UTC");
    for (hour, n) in by_hour.iter().enumerate() {
        let got: u64 = (0..7)
            .map(|d| h["executions"][d][hour].as_u64().unwrap())
            .sum();
        assert_eq!(got, *n, "{hour}h");
    }
    // 2026-11-02 is a Monday: its executions are in Monday's row
    let monday: u64 = (0..24)
        .map(|x| h["executions"][0][x].as_u64().unwrap())
        .sum();
    let mondays: u64 = [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    .iter()
    .map(|d| by_day.get(d).copied().unwrap_or(0))
    .sum();
    assert_eq!(monday, mondays);
    assert!(r.html.contains("<h3>Busy hours</h3>"));
    assert!(r.html.contains(">executions/h ("), "per hour: a few a day");
}
