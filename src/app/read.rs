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
//! folded, the next few are prepared.

use super::InputsRead;
use crate::aggregate::{AggregateOptions, FileAggregator, NormalizedCache};
use crate::input::InputFile;
use crate::input::chunks::{ChunkStream, Lines, Recycler};
use crate::input::sniff::{LogFormat, sniff};
use crate::normalize::Normalized;
use crate::parse::prefix::LinePrefix;
use crate::parse::{LogParser, NoPrefix, Pre, Preparer};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Lines read from the start of a file to detect its format and prefix.
const DETECTION_SAMPLE: usize = 1000;

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub aggregate: AggregateOptions,
    /// Bytes per chunk (see [`crate::input::chunks`]).
    pub chunk_bytes: usize,
}

/// [`read_file`], with a panic (a bug in pgsift) turned into an error on that file
/// so the other inputs are still read and the report still written.
pub fn read_file_guarded(
    input: &InputFile,
    given: Option<&LinePrefix>,
    format: Option<LogFormat>,
    opts: ReadOptions,
) -> InputsRead {
    std::panic::catch_unwind(|| read_file(input, given, format, opts)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let name = input.path.display().to_string();
        let mut agg = FileAggregator::new(&name, opts.aggregate);
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

/// Chunks handed to workers and not folded yet, over every file being read.
static IN_PREPARATION: AtomicUsize = AtomicUsize::new(0);

/// One file's chunks in preparation, in file order, counted in a run-wide
/// count ([`IN_PREPARATION`]) while here. Dropping it uncounts what is left,
/// also when the fold stops on a panic (a bug), so the other files still get
/// their share of the workers.
struct Pending {
    rx: std::collections::VecDeque<std::sync::mpsc::Receiver<Prepared>>,
    count: &'static AtomicUsize,
}

impl Pending {
    fn new(count: &'static AtomicUsize) -> Pending {
        Pending {
            rx: Default::default(),
            count,
        }
    }

    fn len(&self) -> usize {
        self.rx.len()
    }

    fn push_back(&mut self, rx: std::sync::mpsc::Receiver<Prepared>) {
        self.count.fetch_add(1, Relaxed);
        self.rx.push_back(rx);
    }

    fn pop_front(&mut self) -> Option<std::sync::mpsc::Receiver<Prepared>> {
        let rx = self.rx.pop_front()?;
        self.count.fetch_sub(1, Relaxed);
        Some(rx)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.count.fetch_sub(self.rx.len(), Relaxed);
    }
}

/// Reads one input (file or stdin) into an aggregate. Never fails: problems are
/// recorded in the file's coverage.
pub fn read_file(
    input: &InputFile,
    given: Option<&LinePrefix>,
    format: Option<LogFormat>,
    opts: ReadOptions,
) -> InputsRead {
    let name = if input.is_stdin() {
        "(stdin)".to_string()
    } else {
        input.path.display().to_string()
    };
    let mut agg = FileAggregator::new(&name, opts.aggregate);
    let (raw, compression) = match crate::input::open(input) {
        Ok(r) => r,
        Err(e) => {
            agg.coverage_mut().error = Some(format!("cannot open: {e}"));
            return agg.finish(&[]).into();
        }
    };
    let mut stream = ChunkStream::spawn(raw, opts.chunk_bytes, 2);
    let mut bytes = 0u64;
    let mut read_error = None;
    let mut head: Vec<Lines> = Vec::new();
    let mut head_lines = 0;
    let mut more = true;
    while head_lines < DETECTION_SAMPLE {
        match stream.next() {
            Some(Ok(c)) => {
                bytes += c.len() as u64;
                let lines = Lines::of(c);
                head_lines += lines.len();
                head.push(lines);
            }
            Some(Err(e)) => {
                read_error = Some(e);
                more = false;
                break;
            }
            None => {
                more = false;
                break;
            }
        }
    }
    if head_lines == 0 && read_error.is_none() {
        // an empty file: nothing to read, nothing wrong
        agg.coverage_mut().file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
        return agg.finish(&[]).into();
    }
    let sample: Vec<&str> = head
        .iter()
        .flat_map(|l| l.iter().map(|(t, _)| t))
        .take(DETECTION_SAMPLE)
        .collect();
    if format.is_none()
        && !input.is_stdin()
        && sample
            .first()
            // a csvlog written with a header line stays a log
            .is_some_and(|l| crate::stats::views::looks_like_header(l) && !l.contains("log_time"))
    {
        drop(stream);
        return read_stats_csv(input, &name, opts.aggregate);
    }
    let format = format.unwrap_or_else(|| sniff(&sample));
    let choice = LogParser::choose(format, &sample, given, modified_year_month(input));
    drop(sample);
    let cov = agg.coverage_mut();
    cov.format = Some(format.name().to_string());
    cov.compression = compression.name().map(str::to_string);
    cov.file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
    let mut parser = match choice {
        Ok(c) => {
            cov.prefix = c.prefix.as_ref().map(|p| p.source().to_string());
            cov.prefix_detected = given.is_none() && c.prefix.is_some();
            Some(c.parser)
        }
        Err(NoPrefix) if !input.explicit && read_error.is_none() => {
            cov.skipped = Some(format!(
                "not recognized as a PostgreSQL {} log (no log_line_prefix matched its first lines)",
                format.name()
            ));
            cov.bytes = cov.file_bytes.unwrap_or(0);
            return agg.finish(&[]).into();
        }
        // nothing could be read: the read error (below) says why
        Err(NoPrefix) if head_lines == 0 => None,
        Err(NoPrefix) => {
            cov.error = Some(
                "could not detect the log_line_prefix: no known or inferred prefix matches at least half of the \
                 first lines; pass the server's setting with --prefix '...'"
                    .into(),
            );
            None
        }
    };
    // Every line goes through the parser (or is counted unrecognized), in order,
    // on this thread; the next batch is read and prepared meanwhile.
    let preparer = parser
        .as_ref()
        .map(LogParser::preparer)
        .filter(Preparer::is_useful);
    let mut line_no = 0;
    let recycler = stream.recycler();
    for l in head {
        fold(
            &mut agg,
            &mut parser,
            &mut line_no,
            prepare(l, preparer.as_ref()),
            &recycler,
        );
    }
    // Chunks are prepared by tasks, a few ahead, on whichever worker is free;
    // this thread folds them in order, and runs a waiting task itself rather than
    // wait idle (with one thread, it runs them all). Each file keeps two chunks
    // in preparation, up to three per worker while the whole run has fewer than
    // that in preparation (one big file uses every worker; many files at once
    // keep memory proportional to the workers, not to their square). Three per
    // worker keeps the other workers busy while this thread prepares a chunk
    // itself: with one more than the workers, the other worker of two sat idle
    // a third of the time on the bench log.
    let ahead = 3 * rayon::current_num_threads();
    rayon::scope(|scope| {
        let mut pending = Pending::new(&IN_PREPARATION);
        loop {
            while more
                && (pending.len() < 2
                    || (pending.len() < ahead && IN_PREPARATION.load(Relaxed) < ahead))
            {
                match stream.next() {
                    Some(Ok(c)) => {
                        bytes += c.len() as u64;
                        let (tx, rx) = std::sync::mpsc::sync_channel(1);
                        let preparer = preparer.as_ref();
                        scope.spawn(move |_| {
                            let _ = tx.send(prepare(Lines::of(c), preparer));
                        });
                        pending.push_back(rx);
                    }
                    Some(Err(e)) => {
                        read_error = Some(e);
                        more = false;
                    }
                    None => more = false,
                }
            }
            let Some(rx) = pending.pop_front() else {
                break;
            };
            let chunk = loop {
                match rx.try_recv() {
                    Ok(c) => break Some(c),
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break None,
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        // nothing of ours to run: another worker has the task
                        if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                            break rx.recv().ok();
                        }
                    }
                }
            };
            // a task that panicked sends nothing: the panic reaches the scope
            if let Some(c) = chunk {
                fold(&mut agg, &mut parser, &mut line_no, c, &recycler);
            }
        }
    });
    let zones = match parser.as_mut() {
        Some(p) => {
            p.finish(&mut agg);
            p.zones()
        }
        None => Vec::new(),
    };
    let cov = agg.coverage_mut();
    cov.bytes = bytes;
    if cov.error.is_none() && cov.lines_total > 0 && cov.lines_parsed + cov.lines_ignored == 0 {
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
    agg.finish(&zones).into()
}

/// Reads a statistics CSV (a file whose first line is a CSV header) from the start.
fn read_stats_csv(input: &InputFile, name: &str, opts: AggregateOptions) -> InputsRead {
    let folder = input
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (stats, mut cov) = match crate::input::open(input) {
        Ok((reader, compression)) => {
            let (stats, mut cov) = crate::stats::read_csv(name, &folder, reader);
            cov.compression = compression.name().map(str::to_string);
            (stats, cov)
        }
        Err(e) => {
            let mut cov = crate::aggregate::coverage::FileCoverage::new(name);
            cov.error = Some(format!("cannot open: {e}"));
            (Default::default(), cov)
        }
    };
    cov.file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_left_in_preparation_are_uncounted_when_the_fold_stops() {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let mut p = Pending::new(&COUNT);
        for _ in 0..3 {
            p.push_back(std::sync::mpsc::sync_channel(1).1);
        }
        assert_eq!(COUNT.load(Relaxed), 3);
        assert!(p.pop_front().is_some());
        assert_eq!(COUNT.load(Relaxed), 2);
        // a panic in the fold drops the queue with chunks still in it
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _p = p;
            panic!("a bug in the fold");
        }));
        assert!(r.is_err());
        assert_eq!(COUNT.load(Relaxed), 0);
    }
}
