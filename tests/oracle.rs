//! Counting oracles: the figures a test expects, computed from the logs' own
//! text (never written down), so a test keeps meaning what it says when a
//! sample is regenerated.

/// The sample log of run 1 of samples/workload.sh (everything but durations-only logging).
pub const MAIN_LOG: &str = "samples/logs/postgresql-main.log";
/// The sample log of run 2 (log_statement + log_duration).
pub const STMT_LOG: &str = "samples/logs/postgresql-statement-duration.log";

/// A file's text, invalid UTF-8 replaced.
pub fn read(path: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

/// Lines of `text` that contain `needle`.
pub fn count(text: &str, needle: &str) -> u64 {
    text.lines().filter(|l| l.contains(needle)).count() as u64
}

/// Sizes of the `temporary file: path ..., size N` lines of a log.
pub fn temp_sizes(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.split("temporary file: path ").nth(1))
        .map(|r| r.rsplit_once(", size ").unwrap().1.trim().parse().unwrap())
        .collect()
}

/// Durations (ms) of `duration: X ms  statement|execute ...:` lines whose SQL contains `needle`.
pub fn timed_durations(log: &str, needle: &str) -> Vec<f64> {
    log.lines()
        .filter_map(|l| {
            let i = l.find("duration: ")?;
            let rest = &l[i + 10..];
            let (num, tail) = rest.split_once(" ms  ")?;
            let is_exec = tail.starts_with("statement: ")
                || (tail.starts_with("execute ") && tail.contains(": "));
            (is_exec && tail.contains(needle)).then(|| num.parse().unwrap())
        })
        .collect()
}

/// The decompressed text of a file, whatever its compression.
pub fn text(path: &str) -> String {
    let f = std::fs::File::open(path).unwrap();
    let (mut r, _) = pgsift::input::decompress::decoded(f).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut bytes).unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}
