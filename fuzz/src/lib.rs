//! The fuzz targets' harness: each `pub fn` takes the fuzzer's bytes through
//! pgsift's public API the way the application does, so a panic, a hang or a
//! blow-up of memory anywhere on the real path is a finding.
//!
//! Kept apart from the `fuzz_targets/*.rs` binaries (one line each) so that
//! `tests/replay.rs` can run the seed corpus and saved findings through the
//! same code on a stable toolchain, without libFuzzer.

use pgsift::aggregate::partial::{decode, encode};
use pgsift::aggregate::{Aggregate, AggregateOptions, FileAggregator, NormalizedCache};
use pgsift::analyze::{AnalyzeOptions, analyze};
use pgsift::app::InputsRead;
use pgsift::input::chunks::Lines;
use pgsift::input::sniff::{LogFormat, sniff};
use pgsift::merge::Merge;
use pgsift::normalize::{self as norm, Normalized, fingerprint};
use pgsift::parse::prefix::{LinePrefix, detect, infer};
use pgsift::parse::{LogParser, Pre};
use pgsift::stats::StatsInput;
use std::sync::Arc;

/// Lines read from the start of a log to detect its format and prefix (as
/// `app::read`'s `DETECTION_SAMPLE`).
const DETECTION_SAMPLE: usize = 1000;

/// The prefix of the `stderr_fixed` target: Debian's default with `%q`.
pub const FIXED_PREFIX: &str = "%m [%p] %q%u@%d ";

/// What `pgsift report` aggregates with by default (`--top 25`, no values).
fn aggregate_options() -> AggregateOptions {
    AggregateOptions {
        show_values: false,
        slowest: 25,
        bursts: Default::default(),
    }
}

fn analyze_options() -> AnalyzeOptions {
    AnalyzeOptions {
        values_shown: false,
        tz: None,
        cpu_cores: None,
        baseline: None,
        filters: Vec::new(),
        databases: Default::default(),
    }
}

/// What a worker computes ahead for a chunk's lines (`app::read::prepare`):
/// the prefix match, and a one-line statement's text normalized.
fn prepare(
    lines: &Lines,
    parser: &LogParser<Arc<Normalized>>,
    cache: &mut NormalizedCache,
) -> Vec<Pre<Arc<Normalized>>> {
    let preparer = parser.preparer();
    if !preparer.is_useful() {
        return Vec::new();
    }
    let mut batch = preparer.batch();
    lines
        .iter()
        .map(|(l, _)| {
            let mut pre = batch.prepare(l);
            if let Some(p) = pre.as_mut()
                && let Some(sql) = p.statement()
            {
                let n = cache.normalized(sql);
                p.set_ahead(n);
            }
            pre
        })
        .collect()
}

/// One log file's bytes read as `app::read::read_log` reads them (on one
/// thread, the whole input as one chunk): format sniffed unless `format`,
/// prefix detected unless `prefix`, every line prepared then folded in order
/// into a [`FileAggregator`], open entries flushed.
pub fn read_log(data: &[u8], format: Option<LogFormat>, prefix: Option<&LinePrefix>) -> Aggregate {
    let lines = Lines::of(data.to_vec());
    let mut agg = FileAggregator::new("fuzz.log", aggregate_options());
    if lines.is_empty() {
        return agg.finish(&[]);
    }
    let sample: Vec<&str> = lines
        .iter()
        .map(|(t, _)| t)
        .take(DETECTION_SAMPLE)
        .collect();
    let format = format.unwrap_or_else(|| sniff(&sample));
    // syslog's year anchor: a fixed month, so a finding replays the same
    let choice = LogParser::<Arc<Normalized>>::choose(format, &sample, prefix, (2026, 11));
    drop(sample);
    let mut parser = match choice {
        Ok(c) => Some(c.parser),
        Err(_) => None,
    };
    agg.set_clock(parser.as_ref().and_then(LogParser::clock));
    let mut cache = NormalizedCache::default();
    let pre = match parser.as_ref() {
        Some(p) => prepare(&lines, p, &mut cache),
        None => Vec::new(),
    };
    let mut pre = pre.into_iter();
    for i in 0..lines.len() {
        agg.line_read(lines.invalid(i));
        let p = pre.next().flatten();
        let text = || lines.get(i).0;
        match parser.as_mut() {
            Some(parser) => parser.push_prepared(text, p, &mut agg),
            None => agg.unrecognized(i as u64 + 1, text(), 1),
        }
    }
    let zones = match parser.as_mut() {
        Some(p) => {
            p.finish(&mut agg);
            p.zones()
        }
        None => Vec::new(),
    };
    agg.finish(&zones)
}

/// The audit and its renderings, as `app::render` makes them (in memory).
fn analyze_and_render(read: &InputsRead) {
    let audit = analyze(&read.logs, &read.stats, &analyze_options());
    let _ = pgsift::report::json::render(&audit);
    let _ = pgsift::report::markdown::render(&audit, Some("report.html"));
    let page = pgsift::report::html::PageOptions {
        title: None,
        generated: None,
    };
    let _ = pgsift::report::html::render_page(&audit, 25, &page);
}

/// A log's aggregate through the analysis and the report, as `pgsift report`.
fn report_of(logs: Aggregate) {
    analyze_and_render(&InputsRead {
        logs,
        stats: StatsInput::default(),
    });
}

/// `stderr_fixed`: lines through the stderr parser with [`FIXED_PREFIX`]
/// given (`--format stderr --prefix '%m [%p] %q%u@%d '`).
pub fn stderr_fixed(data: &[u8]) {
    let prefix = LinePrefix::compile(FIXED_PREFIX);
    for (line, _) in Lines::of(data.to_vec()).iter() {
        let _ = prefix.match_line_full(line);
    }
    report_of(read_log(data, Some(LogFormat::Stderr), Some(&prefix)));
}

/// `stderr_detect`: the prefix detected from the lines (and inferred from
/// each), then the log read with no flag at all, as `pgsift report file.log`.
pub fn stderr_detect(data: &[u8]) {
    let lines = Lines::of(data.to_vec());
    let sample: Vec<&str> = lines
        .iter()
        .map(|(t, _)| t)
        .take(DETECTION_SAMPLE)
        .collect();
    for l in sample.iter().take(50) {
        if let Some(p) = infer(l) {
            let _ = LinePrefix::compile(&p).match_line_full(l);
        }
    }
    let _ = detect(&sample);
    drop(sample);
    drop(lines);
    // the stderr parser with the detected prefix, then whatever format is sniffed
    report_of(read_log(data, Some(LogFormat::Stderr), None));
    report_of(read_log(data, None, None));
}

/// `csvlog`: records through the csvlog parser (`--format csvlog`).
pub fn csvlog(data: &[u8]) {
    report_of(read_log(data, Some(LogFormat::Csvlog), None));
}

/// `jsonlog`: records through the jsonlog parser (`--format jsonlog`;
/// Cloud SQL exports' payloads through the stderr parser).
pub fn jsonlog(data: &[u8]) {
    report_of(read_log(data, Some(LogFormat::Jsonlog), None));
}

/// `syslog`: records through the syslog parser (`--format syslog`).
pub fn syslog(data: &[u8]) {
    report_of(read_log(data, Some(LogFormat::Syslog), None));
}

/// `normalize`: the SQL normalizer on any text (invalid UTF-8 replaced, as
/// the reader does).
pub fn normalize(data: &[u8]) {
    let sql = String::from_utf8_lossy(data);
    let n = norm::normalize(&sql);
    let _ = fingerprint(&n.key);
    let _ = n.fingerprint();
    // the key and the display text are SQL too: normalized again
    let _ = norm::normalize(&n.key);
    let _ = norm::normalize(&n.display);
}

/// `plan`: an auto_explain body (text or JSON) through the plan parser, then
/// the same body logged after `duration: ... ms  plan:` and read as a log.
pub fn plan(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    if let Some(p) = pgsift::parse::plan::parse(1_000, &body) {
        // tables the plan scans, as the index advice asks of it
        for table in p
            .text
            .split(" on ")
            .skip(1)
            .filter_map(|r| r.split_whitespace().next())
            .take(4)
        {
            let _ = pgsift::parse::plan::seq_scan_kept_share(&p.text, table);
        }
        let _ = pgsift::parse::plan::seq_scan_kept_share(&p.text, "t");
    }
    let mut log =
        String::from("2026-11-27 10:59:00.910 UTC [7] LOG:  duration: 786.081 ms  plan:\n");
    for l in body.lines() {
        log.push('\t');
        log.push_str(l);
        log.push('\n');
    }
    log.push_str("2026-11-27 10:59:00.911 UTC [7] LOG:  duration: 1.000 ms  statement: SELECT 1\n");
    let prefix = LinePrefix::compile("%m [%p] ");
    report_of(read_log(
        log.as_bytes(),
        Some(LogFormat::Stderr),
        Some(&prefix),
    ));
}

/// `stats_csv`: bytes read as one statistics CSV (a `pg_stat_*` export),
/// then analyzed (with a copy of itself in a second folder, as two exports
/// compared) and rendered.
pub fn stats_csv(data: &[u8]) {
    let (stats, _cov) = pgsift::stats::read_csv("export/view.csv", "export", data);
    let (mut later, _) = pgsift::stats::read_csv("export-2/view.csv", "export-2", data);
    later.merge(stats.clone());
    analyze_and_render(&InputsRead {
        logs: Aggregate::default(),
        stats,
    });
    analyze_and_render(&InputsRead {
        logs: Aggregate::default(),
        stats: later,
    });
}

/// A partial file around `json` (the state as JSON), as `--save-partial`
/// frames it: lets the fuzzer mutate the state itself rather than zstd frames.
pub fn frame_partial(json: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "{{\"format\":\"pgsift-partial\",\"version\":{},\"generator\":\"pgsift fuzz\",\"options\":{{\"show_values\":false,\"slowest\":25}}}}\n",
        pgsift::aggregate::partial::PARTIAL_VERSION
    )
    .into_bytes();
    out.extend(zstd::encode_all(json, 1).expect("zstd in memory"));
    out
}

/// `partial`: the bytes loaded as a partial file (raw, and as the JSON state
/// framed by [`frame_partial`]); what loads is merged with itself as
/// `pgsift merge a a` does, analyzed and rendered, and saved again.
pub fn partial(data: &[u8]) {
    let framed = frame_partial(data);
    for bytes in [data, &framed[..]] {
        let Ok((first, opts)) = decode::<InputsRead>(bytes) else {
            continue;
        };
        // as `pgsift merge` does: a state its check refuses is not merged
        if first.logs.check().is_err() {
            continue;
        }
        let Ok((second, _)) = decode::<InputsRead>(bytes) else {
            panic!("the same bytes decoded once, not twice");
        };
        let mut merged = InputsRead::default();
        merged.merge(first);
        merged.merge(second);
        analyze_and_render(&merged);
        // a merged state can be saved and loaded again (a merge of merges)
        let again = encode(&merged, opts).expect("encoding in memory");
        if let Err(e) = decode::<InputsRead>(&again) {
            panic!("a state pgsift loaded and merged cannot be loaded once saved: {e}");
        }
    }
}

/// `prefix`: the first line is a `log_line_prefix` (as `--prefix` gives it),
/// the other lines a log read with it.
pub fn prefix(data: &[u8]) {
    let nl = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let source = String::from_utf8_lossy(&data[..nl]);
    let prefix = LinePrefix::compile(&source);
    let _ = prefix.clock();
    let _ = prefix.escape_count();
    let rest = data.get(nl + 1..).unwrap_or(&[]);
    for (line, _) in Lines::of(rest.to_vec()).iter() {
        let _ = prefix.match_line_full(line);
    }
    let _ = read_log(rest, Some(LogFormat::Stderr), Some(&prefix));
}
