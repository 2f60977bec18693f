//! Input layer: finds the files to read, decompresses them, recognizes their
//! format and reads them as lines.
//!
//! Directories are walked recursively in sorted order; `-` is standard input.
//! Compression is recognized by magic bytes ([`decompress`]), the log format by
//! content ([`sniff`]). Files are read in chunks of whole lines on their own
//! thread ([`chunks`]), decoded lossily, so invalid UTF-8 is counted, never
//! fatal. Nothing here knows what a log line means.

pub mod chunks;
pub mod decompress;
pub mod sniff;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A path given by the user that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
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
    for p in paths {
        walk(p, true, &mut found, &mut errors);
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

fn walk(p: &Path, explicit: bool, files: &mut Vec<InputFile>, errors: &mut Vec<InputError>) {
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
    };
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(p) {
            Ok(rd) => {
                let mut children: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    walk(&c, false, files, errors);
                }
            }
            Err(e) => errors.push(err(e)),
        },
        Ok(_) => files.push(InputFile {
            path: p.to_path_buf(),
            explicit,
        }),
        Err(e) => errors.push(err(e)),
    }
}

/// Bytes read from input files on disk (before decompression), by every reader
/// of this process: what a progress display counts against the inputs' sizes.
pub static BYTES_FROM_DISK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A reader that adds what it reads to [`BYTES_FROM_DISK`].
pub struct CountingRead<R>(pub R);

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        BYTES_FROM_DISK.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens an input (a file, counted in [`BYTES_FROM_DISK`], or standard input),
/// decompressing it when its first bytes say it is compressed.
pub fn open(input: &InputFile) -> io::Result<(decompress::DynRead, decompress::Compression)> {
    if input.is_stdin() {
        decompress::decoded(io::stdin())
    } else {
        open_counted(&input.path).and_then(decompress::decoded)
    }
}

/// Opens a file on disk, counted in [`BYTES_FROM_DISK`].
pub fn open_counted(path: &Path) -> io::Result<CountingRead<std::fs::File>> {
    std::fs::File::open(path).map(CountingRead)
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
}
