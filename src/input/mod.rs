//! Input layer: finds the files to read, decompresses them, recognizes their
//! format and reads them as lines.
//!
//! Directories are walked recursively in sorted order; `-` is standard input.
//! Compression is recognized by magic bytes ([`decompress`]), a statistics CSV
//! by its first line ([`open_classified`], which hands that line on so nothing
//! is read twice), the log format by content ([`sniff`]). Files are read in
//! chunks of whole lines on their own thread ([`chunks`]), decoded lossily, so
//! invalid UTF-8 is counted, never fatal. Nothing here knows what a log line
//! means.

pub mod chunks;
pub mod decompress;
pub mod sniff;

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A path given by the user that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
    /// Found in a directory and left aside on purpose (not a regular file, a
    /// directory reached again through a symlink): listed, not an error.
    pub skipped: bool,
}

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The file, or `-` for standard input.
    pub path: PathBuf,
    /// Named on the command line (not found by walking a directory). A named file
    /// that is not a log is an error; a file found in a directory is just skipped.
    pub explicit: bool,
}

/// Expands the given paths into files: files as given, directories recursed and
/// sorted. A file reached twice (named twice, or also inside a named directory) is
/// read once. Paths that do not exist or cannot be listed are returned as errors.
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<InputError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut dirs = std::collections::HashSet::new();
    for p in paths {
        walk(p, true, &mut found, &mut errors, &mut dirs);
    }
    let mut seen: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut files: Vec<InputFile> = Vec::new();
    for f in found {
        let key = if f.is_stdin() {
            f.path.clone()
        } else {
            std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())
        };
        match seen.get(&key) {
            Some(&i) => files[i].explicit |= f.explicit,
            None => {
                seen.insert(key, files.len());
                files.push(f);
            }
        }
    }
    (files, errors)
}

impl InputFile {
    /// Standard input, named `-` on the command line.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

/// A directory's identity: device and inode (its canonical path elsewhere).
fn dir_id(p: &Path, m: &std::fs::Metadata) -> (u64, u64, PathBuf) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = p;
        (m.dev(), m.ino(), PathBuf::new())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        (
            0,
            0,
            std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
        )
    }
}

/// Walks `p`: a directory once only (a symlink back to a parent is not a
/// loop), its regular files; what else a directory holds (FIFOs, sockets,
/// devices) is listed as skipped. A path named explicitly is read whatever
/// it is (a FIFO is read as a stream).
fn walk(
    p: &Path,
    explicit: bool,
    files: &mut Vec<InputFile>,
    errors: &mut Vec<InputError>,
    dirs: &mut std::collections::HashSet<(u64, u64, PathBuf)>,
) {
    if p.as_os_str() == "-" {
        files.push(InputFile {
            path: p.to_path_buf(),
            explicit: true,
        });
        return;
    }
    let err = |e: io::Error| InputError {
        path: p.to_path_buf(),
        message: e.to_string(),
        skipped: false,
    };
    let skip = |why: &str| InputError {
        path: p.to_path_buf(),
        message: why.to_string(),
        skipped: true,
    };
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() && !dirs.insert(dir_id(p, &m)) => {
            errors.push(skip(
                "a directory already read (reached again through a symlink)",
            ));
        }
        Ok(m) if m.is_dir() => match std::fs::read_dir(p) {
            Ok(rd) => {
                let mut children: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    walk(&c, false, files, errors, dirs);
                }
            }
            Err(e) => errors.push(err(e)),
        },
        Ok(m) if !explicit && !m.is_file() => {
            errors.push(skip(
                "not a regular file (a FIFO, socket or device): name it to read it",
            ));
        }
        Ok(_) => files.push(InputFile {
            path: p.to_path_buf(),
            explicit,
        }),
        Err(e) => errors.push(err(e)),
    }
}

/// Bytes read from input files on disk (before decompression) by every reader
/// opened with it: what a progress display counts against the inputs' sizes.
/// One per run, cloned into each reader.
#[derive(Debug, Clone, Default)]
pub struct DiskBytes(Arc<AtomicU64>);

impl DiskBytes {
    /// The bytes counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A reader that adds what it reads to a [`DiskBytes`].
pub struct CountingRead<R> {
    inner: R,
    counted: DiskBytes,
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counted.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens an input (a file, counted in `counted`, or standard input),
/// decompressing it when its first bytes say it is compressed.
pub fn open(
    input: &InputFile,
    counted: &DiskBytes,
) -> io::Result<(decompress::DynRead, decompress::Compression)> {
    if input.is_stdin() {
        decompress::decoded(io::stdin())
    } else {
        open_counted(&input.path, counted).and_then(decompress::decoded)
    }
}

/// Opens a file on disk, counted in `counted`.
pub fn open_counted(path: &Path, counted: &DiskBytes) -> io::Result<CountingRead<std::fs::File>> {
    std::fs::File::open(path).map(|inner| CountingRead {
        inner,
        counted: counted.clone(),
    })
}

/// What an input holds, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A PostgreSQL log (or something to be read as one).
    Log,
    /// A statistics CSV (see `pgsift export-script`).
    StatsCsv,
}

/// An input opened, decompressed and told a log or a statistics CSV.
pub struct Opened {
    /// The whole content from its first byte: the line read to tell what the
    /// input holds is handed on here, not read again.
    pub reader: decompress::DynRead,
    pub compression: decompress::Compression,
    pub content: Content,
}

/// Opens an input and tells a statistics CSV from a log by its first line. A
/// CSV header is a statistics CSV unless it names `log_time` (a csvlog written
/// with a header stays a log). Standard input, and every input when
/// `log_only` (the log format was given), is a log without looking.
pub fn open_classified(
    input: &InputFile,
    counted: &DiskBytes,
    log_only: bool,
) -> io::Result<Opened> {
    let (mut reader, compression) = open(input, counted)?;
    if log_only || input.is_stdin() {
        return Ok(Opened {
            reader,
            compression,
            content: Content::Log,
        });
    }
    let mut first = Vec::new();
    // a decoder that panics (a bug) fails the read, as in the chunk reader
    // (a header is short: at most 64 KiB are looked at, whatever the line)
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        io::Read::take(&mut reader, 64 << 10).read_until(b'\n', &mut first)
    }))
    .unwrap_or_else(|_| Err(io::Error::other(chunks::READER_PANICKED)));
    let (content, rest): (Content, decompress::DynRead) = match read {
        Ok(_) => (content_of(&first), reader),
        // the bytes before the error come first, then the error, then nothing
        Err(e) => (Content::Log, Box::new(FailedRead(Some(e)))),
    };
    Ok(Opened {
        reader: Box::new(io::Cursor::new(first).chain(rest)),
        compression,
        content,
    })
}

/// What an input whose first line is `first` holds.
fn content_of(first: &[u8]) -> Content {
    let line = String::from_utf8_lossy(first);
    let line = line.strip_suffix('\n').unwrap_or(&line);
    if sniff::looks_like_csv_header(line) && !line.contains("log_time") {
        Content::StatsCsv
    } else {
        Content::Log
    }
}

/// A reader that failed: its error once, then the end.
struct FailedRead(Option<io::Error>);

impl Read for FailedRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

impl BufRead for FailedRead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.take().map_or(Ok(&[]), Err)
    }

    fn consume(&mut self, _: usize) {}
}

/// A regular file's identity: its size, modification time and a SHA-256 of
/// its first and last 64 KiB (`size 1234, modified 1733312345.123456789,
/// head and tail 3f2a...`). None for what is not a regular file (stdin, a
/// FIFO) or cannot be read. Two paths with the same identity hold the same
/// bytes as far as a merge needs to know.
pub fn identity(path: &Path) -> Option<String> {
    use sha2::Digest;
    use std::io::{Read, Seek, SeekFrom};
    const BLOCK: u64 = 64 * 1024;
    let mut f = std::fs::File::open(path).ok()?;
    let m = f.metadata().ok()?;
    if !m.is_file() {
        return None;
    }
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut h = sha2::Sha256::new();
    let mut head = Vec::new();
    (&mut f).take(BLOCK).read_to_end(&mut head).ok()?;
    h.update(&head);
    if m.len() > BLOCK {
        f.seek(SeekFrom::Start(m.len().saturating_sub(BLOCK).max(BLOCK)))
            .ok()?;
        let mut tail = Vec::new();
        f.take(BLOCK).read_to_end(&mut tail).ok()?;
        h.update(&tail);
    }
    let d = h.finalize();
    let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "size {}, modified {}.{:09}, head and tail {hex}",
        m.len(),
        modified.as_secs(),
        modified.subsec_nanos()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_recursed_sorted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        for f in ["b.log", "a.log", "sub/c.log"] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        let (files, errors) = discover(&[d.path().to_path_buf(), d.path().join("missing")]);
        assert!(files.iter().all(|f| !f.explicit));
        // the same file through two paths is read once, and counts as named
        let twice = discover(&[
            d.path().to_path_buf(),
            d.path().join("a.log"),
            d.path().join("./a.log"),
        ])
        .0;
        assert_eq!(twice.len(), 3);
        assert!(twice[0].explicit);
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(d.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.log", "b.log", "sub/c.log"]);
        assert_eq!(errors.len(), 1);
    }

    fn classify(bytes: &[u8], name: &str, log_only: bool) -> (Content, Vec<u8>, u64) {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let counted = DiskBytes::default();
        let input = InputFile {
            path,
            explicit: true,
        };
        let mut opened = open_classified(&input, &counted, log_only).unwrap();
        let mut all = Vec::new();
        opened.reader.read_to_end(&mut all).unwrap();
        (opened.content, all, counted.get())
    }

    #[test]
    fn a_statistics_csv_is_told_by_its_header_and_read_once_whole() {
        let csv = b"datname,relname,idx_scan\r\napp,t,1\n";
        let (content, all, counted) = classify(csv, "t.csv", false);
        assert_eq!(content, Content::StatsCsv);
        // the first line, read to decide, is handed on with the rest
        assert_eq!(all, csv);
        assert_eq!(counted, csv.len() as u64, "the file is read once");
        // the format was given: a log, without looking
        assert_eq!(classify(csv, "t.csv", true).0, Content::Log);
        // a csvlog with a header line stays a log
        let csvlog = b"log_time,user_name,database_name\n2024-05-01 ...\n";
        assert_eq!(classify(csvlog, "l.csv", false).0, Content::Log);
        let log = b"2024-05-01 10:00:00 UTC [1] LOG:  x\nsecond\n";
        let (content, all, _) = classify(log, "a.log", false);
        assert_eq!((content, all.as_slice()), (Content::Log, &log[..]));
        assert_eq!(classify(b"", "empty.log", false).0, Content::Log);
    }

    #[test]
    fn a_compressed_csv_is_told_after_decompression() {
        use std::io::Write;
        let csv = b"datname,relname,seq_scan\napp,t,1\n".repeat(100);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&csv).unwrap();
        let (content, all, _) = classify(&e.finish().unwrap(), "t.csv.gz", false);
        assert_eq!((content, all), (Content::StatsCsv, csv));
    }

    #[test]
    fn a_read_error_on_the_first_line_comes_after_its_bytes() {
        let mut r =
            io::Cursor::new(b"partial".to_vec()).chain(FailedRead(Some(io::Error::other("bad"))));
        let mut got = Vec::new();
        assert!(r.read_to_end(&mut got).is_err());
        assert_eq!(got, b"partial");
        assert_eq!(r.read(&mut [0; 4]).unwrap(), 0);
    }
}
