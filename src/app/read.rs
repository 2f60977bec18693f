//! Reading one input into an aggregate: chunks read (and decompressed) on their
//! own thread, split and pre-parsed by the workers in parallel, folded in order.
//!
//! Everything that depends on what came before (entries spanning lines, a
//! statement waiting for its duration, DETAIL lines of a process, the session
//! windows of N+1 detection, sessions open for the peak) lives in the parser and
//! the aggregator, which see every line in file order on one thread. The workers
//! only do what depends on one line alone (line splitting, UTF-8 validation, the
//! `log_line_prefix` match, building the line's entry and classifying its
//! message, normalizing the SQL of a one-line statement), so the result is the
//! same for any number of threads and any chunk size. While one chunk is
//! folded, the next few are prepared ([`super::pipeline`]).

use super::InputsRead;
use super::pipeline::{self, Depth, InFlight};
use crate::aggregate::coverage::FileCoverage;
use crate::aggregate::{Aggregate, AggregateOptions, FileAggregator, NormalizedCache};
use crate::input::chunks::{ChunkStream, Lines, Recycler};
use crate::input::decompress::{Compression, DynRead};
use crate::input::sniff::{LogFormat, sniff};
use crate::input::{Content, DiskBytes, InputFile, Opened};
use crate::normalize::Normalized;
use crate::parse::prefix::LinePrefix;
use crate::parse::{LogParser, NoPrefix, ParserChoice, Pre, Preparer};
use std::sync::Arc;

/// Lines read from the start of a file to detect its format and prefix.
const DETECTION_SAMPLE: usize = 1000;

/// Bytes read at most for that sample (past the chunk that crosses them):
/// a file of long lines is sampled on a bounded number of bytes.
const DETECTION_BYTES: u64 = 16 << 20;

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub aggregate: AggregateOptions,
    /// Bytes per chunk (see [`crate::input::chunks`]).
    pub chunk_bytes: usize,
}

/// What every input of a run is read with.
#[derive(Clone, Copy)]
pub struct ReadContext<'a> {
    /// The `--prefix` given, if any.
    pub prefix: Option<&'a LinePrefix>,
    /// The `--format` given, if any.
    pub format: Option<LogFormat>,
    pub opts: ReadOptions,
    /// Chunks in preparation over every file being read.
    pub in_flight: &'a InFlight,
    /// Where the bytes read from disk are counted (for the progress line).
    pub disk_bytes: &'a DiskBytes,
    /// What the run aggregates (`--since`, `--database`, `--exclude-query`, ...).
    pub filters: &'a crate::cli::Filters,
}

/// [`read_file`], with a panic (a bug in pgsift) turned into an error on that file
/// so the other inputs are still read and the report still written.
pub fn read_file_guarded(input: &InputFile, ctx: &ReadContext) -> InputsRead {
    std::panic::catch_unwind(|| read_file(input, ctx)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let name = input.path.display().to_string();
        let mut agg = FileAggregator::new(&name, ctx.opts.aggregate);
        agg.coverage_mut().error = Some(format!(
            "internal error while reading this file (please report it): {what}"
        ));
        agg.finish(&[]).into()
    })
}

/// A chunk's lines with what the workers computed for each.
struct Prepared {
    lines: Lines,
    /// One per line, or empty when nothing is computed ahead. A single-line
    /// statement's carries its text normalized.
    pre: Vec<Pre<Arc<Normalized>>>,
}

thread_local! {
    /// Statement texts each worker thread normalized lately, across the chunks
    /// it prepared (normalizing is a pure function of the text).
    static NORMALIZED: std::cell::RefCell<NormalizedCache> = Default::default();
}

fn prepare(lines: Lines, preparer: Option<&Preparer>) -> Prepared {
    let pre = match preparer {
        Some(p) => NORMALIZED.with_borrow_mut(|cache| {
            let mut p = p.batch();
            lines
                .iter()
                .map(|(l, _)| {
                    let mut pre = p.prepare(l);
                    if let Some(pre) = pre.as_mut()
                        && let Some(sql) = pre.statement()
                    {
                        let n = cache.normalized(sql);
                        pre.set_ahead(n);
                    }
                    pre
                })
                .collect()
        }),
        None => Vec::new(),
    };
    Prepared { lines, pre }
}

/// The ordered fold: every line of a chunk through the parser into the
/// aggregator, or counted unrecognized when there is no parser.
fn fold(
    agg: &mut FileAggregator,
    parser: &mut Option<LogParser<Arc<Normalized>>>,
    line_no: &mut u64,
    chunk: Prepared,
    recycler: &Recycler,
) {
    let Prepared { lines, pre } = chunk;
    let mut pre = pre.into_iter();
    for i in 0..lines.len() {
        *line_no += 1;
        agg.line_read(lines.invalid(i));
        let p = pre.next().flatten();
        // the text is read only when what was prepared is not enough
        let text = || lines.get(i).0;
        match parser.as_mut() {
            Some(parser) => parser.push_prepared(text, p, agg),
            None => agg.unrecognized(*line_no, text(), 1),
        }
    }
    recycler.give(lines.into_buffer());
}

/// Reads one input (file or stdin) into an aggregate. Never fails: problems are
/// recorded in the file's coverage.
pub fn read_file(input: &InputFile, ctx: &ReadContext) -> InputsRead {
    let name = if input.is_stdin() {
        "(stdin)".to_string()
    } else {
        input.path.display().to_string()
    };
    match crate::input::open_classified(input, ctx.disk_bytes, ctx.format.is_some()) {
        Ok(
            opened @ Opened {
                content: Content::StatsCsv,
                ..
            },
        ) => read_stats_csv(input, &name, ctx.opts.aggregate, opened),
        Ok(opened) => read_log(input, &name, ctx, opened.reader, opened.compression).into(),
        Err(e) => {
            let mut agg = FileAggregator::new(&name, ctx.opts.aggregate);
            agg.coverage_mut().error = Some(format!("cannot open: {e}"));
            agg.finish(&[]).into()
        }
    }
}

/// The first chunks of a log, read to detect its format and prefix.
struct Head {
    chunks: Vec<Lines>,
    lines: usize,
    bytes: u64,
    /// The read error that ended the file within the head.
    error: Option<std::io::Error>,
    /// The file goes on after the head.
    more: bool,
}

impl Head {
    /// Reads chunks until they hold [`DETECTION_SAMPLE`] lines, or the file ends.
    fn read(stream: &mut ChunkStream) -> Head {
        let mut head = Head {
            chunks: Vec::new(),
            lines: 0,
            bytes: 0,
            error: None,
            more: true,
        };
        while head.lines < DETECTION_SAMPLE && head.bytes < DETECTION_BYTES {
            match stream.next() {
                Some(Ok(c)) => {
                    head.bytes += c.len() as u64;
                    let lines = Lines::of(c);
                    head.lines += lines.len();
                    head.chunks.push(lines);
                }
                Some(Err(e)) => {
                    head.error = Some(e);
                    head.more = false;
                    break;
                }
                None => {
                    head.more = false;
                    break;
                }
            }
        }
        head
    }

    /// The first [`DETECTION_SAMPLE`] lines.
    fn sample(&self) -> Vec<&str> {
        self.chunks
            .iter()
            .flat_map(|l| l.iter().map(|(t, _)| t))
            .take(DETECTION_SAMPLE)
            .collect()
    }
}

/// A file found not to be a PostgreSQL log (its coverage says why).
struct NotALog;

/// Records the format and parser chosen for a log in its coverage; `None` when
/// its lines can only be counted unrecognized.
fn parser_for(
    input: &InputFile,
    cov: &mut FileCoverage,
    format: LogFormat,
    choice: Result<ParserChoice<Arc<Normalized>>, NoPrefix>,
    given: bool,
    head: &Head,
) -> Result<Option<LogParser<Arc<Normalized>>>, NotALog> {
    match choice {
        Ok(c) => {
            cov.prefix = c.prefix.as_ref().map(|p| p.source().to_string());
            cov.prefix_detected = !given && c.prefix.is_some();
            Ok(Some(c.parser))
        }
        Err(NoPrefix { .. }) if !input.explicit && head.error.is_none() => {
            cov.skipped = Some(format!(
                "not recognized as a PostgreSQL {} log (no log_line_prefix matched its first lines)",
                format.name()
            ));
            cov.bytes = cov.file_bytes.unwrap_or(0);
            Err(NotALog)
        }
        // nothing could be read: the read error says why
        Err(NoPrefix { .. }) if head.lines == 0 => Ok(None),
        Err(NoPrefix { closest }) => {
            let closest = closest
                .map(|(p, matched, sampled)| {
                    format!(" (the closest, '{p}', explains {matched} of {sampled})")
                })
                .unwrap_or_default();
            cov.error = Some(format!(
                "could not detect the log_line_prefix: no known or inferred prefix matches at least half of the \
                 first lines{closest}; pass the server's setting with --prefix '...'"
            ));
            Ok(None)
        }
    }
}

/// Reads a log: its head to detect format and prefix, then every line through
/// the parser (or counted unrecognized), in order, on this thread, while the
/// next chunks are read and prepared.
fn read_log(
    input: &InputFile,
    name: &str,
    ctx: &ReadContext,
    raw: DynRead,
    compression: Compression,
) -> Aggregate {
    let mut agg = FileAggregator::new(name, ctx.opts.aggregate);
    let mut stream = ChunkStream::spawn(raw, ctx.opts.chunk_bytes, 2);
    let head = Head::read(&mut stream);
    if head.lines == 0 && head.error.is_none() {
        // an empty file: nothing to read, nothing wrong
        agg.coverage_mut().file_bytes = file_size(input);
        return agg.finish(&[]);
    }
    let sample = head.sample();
    let format = ctx.format.unwrap_or_else(|| sniff(&sample));
    let choice = LogParser::choose(format, &sample, ctx.prefix, modified_year_month(input));
    drop(sample);
    let cov = agg.coverage_mut();
    cov.format = Some(format.name().to_string());
    cov.compression = compression.name().map(str::to_string);
    cov.file_bytes = file_size(input);
    cov.identity = file_identity(input);
    let Ok(mut parser) = parser_for(input, cov, format, choice, ctx.prefix.is_some(), &head) else {
        return agg.finish(&[]);
    };
    agg.set_clock(parser.as_ref().and_then(LogParser::clock));
    agg.set_statement_filter(ctx.filters.statements.clone());
    if let Some(p) = parser.as_mut() {
        p.set_filter(ctx.filters.entries.clone());
    }
    let preparer = parser
        .as_ref()
        .map(LogParser::preparer)
        .filter(Preparer::is_useful);
    let recycler = stream.recycler();
    let mut line_no = 0;
    let mut bytes = head.bytes;
    let mut read_error = head.error;
    let mut fold_chunk = |c| fold(&mut agg, &mut parser, &mut line_no, c, &recycler);
    for l in head.chunks {
        fold_chunk(prepare(l, preparer.as_ref()));
    }
    if head.more {
        // Each file keeps two chunks in preparation, up to three per worker
        // while the whole run has fewer than that in preparation. Three per
        // worker keeps the other workers busy while this thread prepares a
        // chunk itself: with one more than the workers, the other worker of two
        // sat idle a third of the time on the bench log.
        let depth = Depth {
            floor: 2,
            ceiling: 3 * rayon::current_num_threads(),
        };
        let source = stream.by_ref().inspect(|c| {
            if let Ok(c) = c {
                bytes += c.len() as u64;
            }
        });
        let prepare_chunk = |c| prepare(Lines::of(c), preparer.as_ref());
        if let Err(e) = pipeline::ordered(source, depth, ctx.in_flight, prepare_chunk, fold_chunk) {
            read_error = Some(e);
        }
    }
    let notes = stream.notes();
    let cov = agg.coverage_mut();
    cov.lines_cut = notes.lines_cut.load(std::sync::atomic::Ordering::Relaxed);
    cov.bare_cr = notes.bare_cr.load(std::sync::atomic::Ordering::Relaxed);
    finish_log(agg, parser, bytes, read_error, format, compression)
}

/// Ends a log: the parser's last events, and the coverage's verdict on what
/// was read.
fn finish_log(
    mut agg: FileAggregator,
    mut parser: Option<LogParser<Arc<Normalized>>>,
    bytes: u64,
    read_error: Option<std::io::Error>,
    format: LogFormat,
    compression: Compression,
) -> Aggregate {
    let zones = match parser.as_mut() {
        Some(p) => {
            p.finish(&mut agg);
            p.zones()
        }
        None => Vec::new(),
    };
    let cov = agg.coverage_mut();
    cov.bytes = bytes;
    if cov.error.is_none()
        && cov.lines_total > 0
        && cov.lines_parsed + cov.lines_ignored + cov.lines_filtered + cov.lines_rejected == 0
    {
        cov.error = Some(match &cov.prefix {
            Some(p) => format!(
                "no line matched the log_line_prefix '{p}'; check the server's setting and pass it with --prefix '...'"
            ),
            None => format!(
                "no line could be read as {}; check the file or pass --format",
                format.name()
            ),
        });
    }
    if let Some(e) = read_error {
        let at = format!(
            "read error after {bytes} bytes{}: {e}",
            if compression.name().is_some() {
                " of decompressed data"
            } else {
                ""
            }
        );
        cov.error = Some(match cov.error.take() {
            Some(prev) => format!("{prev}; {at}"),
            None => at,
        });
    }
    agg.finish(&zones)
}

/// The input's identity (none for stdin).
fn file_identity(input: &InputFile) -> Option<String> {
    (!input.is_stdin())
        .then(|| crate::input::identity(&input.path))
        .flatten()
}

/// The input's size on disk (none for stdin).
fn file_size(input: &InputFile) -> Option<u64> {
    std::fs::metadata(&input.path).map(|m| m.len()).ok()
}

/// Reads a statistics CSV (a file whose first line is a CSV header) from the start.
fn read_stats_csv(
    input: &InputFile,
    name: &str,
    opts: AggregateOptions,
    opened: Opened,
) -> InputsRead {
    let folder = input
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (mut stats, mut cov) = crate::stats::read_csv(name, &folder, opened.reader);
    let modified = std::fs::metadata(&input.path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| crate::parse::timestamp::Timestamp(d.as_millis() as i64));
    for r in stats.folders.values_mut() {
        r.modified = modified;
    }
    cov.compression = opened.compression.name().map(str::to_string);
    cov.file_bytes = file_size(input);
    cov.identity = file_identity(input);
    cov.bytes = cov.file_bytes.unwrap_or(0);
    let mut agg = FileAggregator::new(name, opts);
    *agg.coverage_mut() = cov;
    InputsRead {
        logs: agg.finish(&[]),
        stats,
    }
}

/// Year and month the input was last modified (now, for stdin): anchors syslog's year.
fn modified_year_month(input: &InputFile) -> (i64, u32) {
    let when = if input.is_stdin() {
        None
    } else {
        std::fs::metadata(&input.path)
            .and_then(|m| m.modified())
            .ok()
    };
    let secs = when
        .unwrap_or_else(std::time::SystemTime::now)
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::parse::timestamp::Timestamp(secs * 1000).year_month()
}
