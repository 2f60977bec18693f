//! Whole-line chunks of a byte stream, read on their own thread: what workers
//! split, decode and pre-parse in parallel while one thread folds them in order.
//!
//! A chunk is at least the chunk size (except the last) and always ends at a line
//! end, so no line is ever cut in two; a line longer than the chunk size makes a
//! longer chunk. Decompression happens on the reading thread, alongside parsing.
//! The buffers of consumed chunks go back to the reading thread ([`Recycler`])
//! and are filled again, so a file is not read into ever new (zeroed) memory.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The longest line read whole: a longer one is cut there (counted in
/// [`StreamNotes`]), so memory stays bounded on any input (one endless line:
/// a damaged file, a gzip of zeros, `/dev/zero`).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// What the reading thread noticed about the stream, read once it is done.
#[derive(Debug, Default)]
pub struct StreamNotes {
    /// Lines longer than the cap, cut to it (the rest of each is skipped).
    pub lines_cut: AtomicU64,
    /// Lines end in a bare CR (no LF in the first chunk, CRs in it): each CR
    /// was read as a line end.
    pub bare_cr: AtomicBool,
}

/// The chunk size a run uses unless told otherwise: small enough that a chunk
/// and the entries prepared from it stay in a core's cache until they are
/// folded, and a worker's task short, so the folding thread is not held up
/// long when it prepares one itself. Twice the input readers' buffers, so
/// reads bypass those buffers (see [`crate::input::decompress`]).
pub const DEFAULT_CHUNK_BYTES: usize = 32 << 10;

/// Reads a stream as chunks of whole lines.
pub struct ChunkReader<R> {
    inner: R,
    size: usize,
    carry: Vec<u8>,
    eof: bool,
    /// A read error met after the last complete line: returned on the next call.
    error: Option<io::Error>,
    /// Buffers of chunks already consumed, handed back to be filled again.
    spares: Option<Receiver<Vec<u8>>>,
    max_line: usize,
    /// The rest of a cut line is being skipped.
    skipping: bool,
    /// Whether CRs are line ends, once the reads told; CRs seen before.
    bare_cr: Option<bool>,
    crs_seen: usize,
    undecided_bytes: usize,
    notes: Arc<StreamNotes>,
}

impl<R: Read> ChunkReader<R> {
    /// Chunks of at least `size` bytes (1 at least).
    pub fn new(inner: R, size: usize) -> Self {
        ChunkReader {
            inner,
            size: size.max(1),
            carry: Vec::new(),
            eof: false,
            error: None,
            spares: None,
            max_line: MAX_LINE_BYTES,
            skipping: false,
            bare_cr: None,
            crs_seen: 0,
            undecided_bytes: 0,
            notes: Arc::default(),
        }
    }

    /// Lines longer than `max` bytes are cut (for tests: the default is
    /// [`MAX_LINE_BYTES`]).
    pub fn with_max_line(mut self, max: usize) -> Self {
        self.max_line = max.max(1);
        self
    }

    /// What was noticed so far.
    pub fn notes(&self) -> Arc<StreamNotes> {
        self.notes.clone()
    }

    /// Skips the rest of a cut line, up to and with its LF; what follows is
    /// carried over. An error met while skipping is kept for the next call.
    fn skip_rest_of_line(&mut self) {
        while self.skipping {
            if let Some(i) = memchr::memchr(b'\n', &self.carry) {
                self.carry.drain(..=i);
                self.skipping = false;
                return;
            }
            self.carry.clear();
            if self.eof {
                self.skipping = false;
                return;
            }
            let (n, error) = read_into(&mut self.inner, &mut self.carry, 0, self.size);
            self.carry.truncate(n);
            if self.bare_cr.is_none() && memchr::memchr(b'\n', &self.carry).is_some() {
                self.bare_cr = Some(false);
            }
            self.cr_to_lf(0);
            if let Some(e) = error {
                self.error = Some(e);
                self.eof = true;
            } else if n < self.size {
                self.eof = true;
            }
        }
    }

    /// In a file whose lines end in a bare CR, CRs from `from` on become LFs.
    fn cr_to_lf(&mut self, from: usize) {
        if self.bare_cr == Some(true) {
            cr_to_lf(&mut self.carry[from..]);
        }
    }

    /// A buffer to fill: a spare one when one was handed back (its bytes are
    /// overwritten, never zeroed again), else a new one.
    fn buffer(&mut self) -> Vec<u8> {
        self.spares
            .as_ref()
            .and_then(|s| s.try_recv().ok())
            .unwrap_or_else(|| Vec::with_capacity(self.size + self.carry.len().min(self.size)))
    }

    /// The next chunk, or `None` at the end. On a read error, the complete lines
    /// read before it come first; the partial line at the error is dropped and the
    /// error is returned by the next call.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        if let Some(e) = self.error.take() {
            self.eof = true;
            self.carry.clear();
            return Err(e);
        }
        self.skip_rest_of_line();
        if let Some(e) = self.error.take() {
            self.eof = true;
            self.carry.clear();
            return Err(e);
        }
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        // `buf[..filled]` is the chunk so far; bytes after it are left over from
        // the buffer's last use
        let mut buf = self.buffer();
        let mut filled = self.carry.len();
        if buf.len() < filled {
            buf.resize(filled, 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut scanned = 0;
        loop {
            if !self.eof && filled < scanned + self.size {
                let want = scanned + self.size - filled;
                let (n, error) = read_into(&mut self.inner, &mut buf, filled, want);
                if self.bare_cr == Some(true) {
                    cr_to_lf(&mut buf[filled..filled + n]);
                }
                filled += n;
                if self.bare_cr.is_none() {
                    // told at the first LF (no), or after 64 KiB (or the end)
                    // without one and with two CRs or more (yes): a log with
                    // CRs inside a long first line is not taken for one
                    let new = &buf[filled - n..filled];
                    self.crs_seen += memchr::memchr_iter(b'\r', new).take(2).count();
                    self.undecided_bytes += n;
                    let end = error.is_none() && n < want;
                    if memchr::memchr(b'\n', new).is_some() {
                        self.bare_cr = Some(false);
                    } else if (self.crs_seen >= 2 && (self.undecided_bytes >= 64 << 10 || end))
                        || (end && self.crs_seen == 1)
                    {
                        self.bare_cr = Some(true);
                        self.notes.bare_cr.store(true, Ordering::Relaxed);
                        cr_to_lf(&mut buf[..filled]);
                        scanned = 0;
                    }
                }
                if let Some(e) = error {
                    self.eof = true;
                    return match memchr::memrchr(b'\n', &buf[..filled]) {
                        Some(i) => {
                            self.error = Some(e);
                            buf.truncate(i + 1);
                            Ok(Some(buf))
                        }
                        None => Err(e),
                    };
                }
                self.eof = n < want;
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[scanned..filled]) {
                self.carry.extend_from_slice(&buf[scanned + i + 1..filled]);
                buf.truncate(scanned + i + 1);
                return Ok(Some(buf));
            }
            if filled > self.max_line {
                // one line longer than the cap: cut, the rest skipped
                buf.truncate(self.max_line);
                buf.push(b'\n');
                self.notes.lines_cut.fetch_add(1, Ordering::Relaxed);
                self.skipping = !self.eof;
                return Ok(Some(buf));
            }
            if self.eof {
                buf.truncate(filled);
                return Ok((!buf.is_empty()).then_some(buf));
            }
            // one line longer than the chunk size so far: read on
            scanned = filled;
        }
    }
}

/// Every CR of `b` made an LF.
fn cr_to_lf(b: &mut [u8]) {
    let at: Vec<usize> = memchr::memchr_iter(b'\r', b).collect();
    for i in at {
        b[i] = b'\n';
    }
}

/// Reads up to `want` bytes from `r` into `buf` at `at` (growing `buf` when it
/// is shorter); fewer only at the end of the stream or on an error, returned
/// with the count read before it. The bytes are read straight into `buf`: a
/// reader that buffers (the input's `BufReader`) hands a request at least as
/// large as its buffer directly to what it wraps, so a file's bytes are copied
/// once, not twice.
fn read_into(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    at: usize,
    want: usize,
) -> (usize, Option<io::Error>) {
    if buf.len() < at + want {
        buf.resize(at + want, 0);
    }
    let mut got = 0;
    while got < want {
        match r.read(&mut buf[at + got..at + want]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

/// Chunks read ahead on their own thread, so reading and decompressing overlap
/// with parsing. They are handed over in batches of `BATCH` (8): the reading
/// thread then wakes (and takes a core from the workers) once per batch, not
/// once per chunk.
pub struct ChunkStream {
    rx: Receiver<Vec<io::Result<Vec<u8>>>>,
    spares: Recycler,
    batch: std::collections::VecDeque<io::Result<Vec<u8>>>,
    done: bool,
    thread: Option<std::thread::JoinHandle<()>>,
    notes: Arc<StreamNotes>,
}

/// Chunks per hand-over.
const BATCH: usize = 8;

/// Most consumed buffers kept for the reading thread to fill again.
const SPARES: usize = 2 * BATCH;

/// Hands the buffers of consumed chunks back to the reading thread, which
/// fills them again instead of allocating (and zeroing) new ones: the same few
/// buffers go round, warm in the caches. Cloned freely; buffers it has no room
/// for, or grown by a long line, are dropped.
#[derive(Clone)]
pub struct Recycler {
    tx: SyncSender<Vec<u8>>,
    /// Largest capacity kept.
    keep: usize,
}

impl Recycler {
    /// Gives a consumed chunk's buffer back.
    pub fn give(&self, buf: Vec<u8>) {
        if buf.capacity() <= self.keep {
            let _ = self.tx.try_send(buf);
        }
    }
}

/// The error that ends a stream whose reader panicked (a bug in a decoder).
pub(crate) const READER_PANICKED: &str =
    "the reading thread stopped on an internal error (please report it)";

impl ChunkStream {
    /// Starts reading `inner` in chunks of `size` bytes on a new thread, at
    /// most `ahead` batches waiting.
    pub fn spawn<R: Read + Send + 'static>(inner: R, size: usize, ahead: usize) -> ChunkStream {
        Self::spawn_reader(ChunkReader::new(inner, size), ahead)
    }

    /// [`Self::spawn`] for a reader set up already.
    pub fn spawn_reader<R: Read + Send + 'static>(
        mut r: ChunkReader<R>,
        ahead: usize,
    ) -> ChunkStream {
        let size = r.size;
        let notes = r.notes();
        let (tx, rx) = sync_channel(ahead.max(1));
        let (spare_tx, spare_rx) = sync_channel(SPARES);
        let thread = std::thread::spawn(move || {
            r.spares = Some(spare_rx);
            let mut last = false;
            while !last {
                let mut batch = Vec::with_capacity(BATCH);
                let mut bytes = 0;
                // a batch is BATCH chunks, or fewer long ones: memory in flight
                // stays about BATCH chunk sizes per batch, whatever the lines
                while batch.len() < BATCH && bytes < BATCH * size {
                    // a reader that panics (a bug in a decoder) ends the stream
                    // with an error after the chunks read before it
                    let next =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.next_chunk()))
                            .unwrap_or_else(|_| Err(io::Error::other(READER_PANICKED)));
                    match next {
                        Ok(Some(c)) => {
                            bytes += c.len();
                            batch.push(Ok(c));
                        }
                        Ok(None) => {
                            last = true;
                            break;
                        }
                        Err(e) => {
                            batch.push(Err(e));
                            last = true;
                            break;
                        }
                    }
                }
                // the reader was dropped (the file turned out to be a CSV): stop
                if batch.is_empty() || tx.send(batch).is_err() {
                    break;
                }
            }
        });
        ChunkStream {
            rx,
            spares: Recycler {
                tx: spare_tx,
                keep: 2 * size.max(1) + (64 << 10),
            },
            batch: Default::default(),
            done: false,
            thread: Some(thread),
            notes,
        }
    }

    /// What the reading thread noticed (complete once the stream is done).
    pub fn notes(&self) -> Arc<StreamNotes> {
        self.notes.clone()
    }

    /// Where the buffers of consumed chunks go back to (see [`Recycler`]).
    pub fn recycler(&self) -> Recycler {
        self.spares.clone()
    }
}

impl Iterator for ChunkStream {
    type Item = io::Result<Vec<u8>>;

    /// The next chunk; after an error, nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.batch.is_empty()
            && let Ok(batch) = self.rx.recv()
        {
            self.batch = batch.into();
        }
        let item = match self.batch.pop_front() {
            Some(item) => Some(item),
            // the reading thread is gone: at the end, or because it panicked (a
            // bug in a decoder), which must not pass for the end of the file
            None => match self.thread.take().map(std::thread::JoinHandle::join) {
                Some(Err(_)) => Some(Err(io::Error::other(READER_PANICKED))),
                _ => None,
            },
        };
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// A chunk as text and line boundaries; lines that were not valid UTF-8 are
/// decoded lossily and flagged.
pub struct Lines {
    text: String,
    /// Start, end (without the newline) and whether the line had invalid UTF-8.
    spans: Vec<(usize, usize, bool)>,
}

impl Lines {
    /// Splits a chunk on `\n` (a trailing `\r` stays, for the parser to strip).
    pub fn of(bytes: Vec<u8>) -> Lines {
        let mut spans = Vec::with_capacity(bytes.len() / 100 + 1);
        let text = match String::from_utf8(bytes) {
            Ok(text) => {
                let mut start = 0;
                for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
                    spans.push((start, nl, false));
                    start = nl + 1;
                }
                if start < text.len() {
                    spans.push((start, text.len(), false));
                }
                text
            }
            Err(e) => {
                // rare: rebuild the text line by line, replacing bad bytes
                let bytes = e.into_bytes();
                let mut text = String::with_capacity(bytes.len());
                let mut start = 0;
                while start < bytes.len() {
                    let end =
                        memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
                    let line = String::from_utf8_lossy(&bytes[start..end]);
                    let bad = matches!(line, std::borrow::Cow::Owned(_));
                    let at = text.len();
                    text.push_str(&line);
                    spans.push((at, text.len(), bad));
                    text.push('\n');
                    start = end + 1;
                }
                text
            }
        };
        Lines { text, spans }
    }

    /// How many lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No line at all.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether line `i` had invalid UTF-8 (without reading its text).
    pub fn invalid(&self, i: usize) -> bool {
        self.spans[i].2
    }

    /// Line `i` and whether it had invalid UTF-8.
    pub fn get(&self, i: usize) -> (&str, bool) {
        let (a, b, bad) = self.spans[i];
        (&self.text[a..b], bad)
    }

    /// The chunk's buffer, for its bytes to be overwritten (see [`Recycler`]).
    pub fn into_buffer(self) -> Vec<u8> {
        self.text.into_bytes()
    }

    /// Every line, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, bool)> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_chunks(data: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut r = ChunkReader::new(data, size);
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            out.push(c);
        }
        out
    }

    /// Every chunk of `r`, as text.
    fn chunks_of<R: Read>(mut r: ChunkReader<R>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            out.push(String::from_utf8(c).unwrap());
        }
        out
    }

    #[test]
    fn a_line_longer_than_the_cap_is_cut_counted_and_the_next_read() {
        let text = format!("short\n{}\nafter\n{}", "x".repeat(100), "y".repeat(1000));
        let r = ChunkReader::new(text.as_bytes(), 4).with_max_line(10);
        let notes = r.notes();
        let all: String = chunks_of(r).concat();
        assert_eq!(all, "short\nxxxxxxxxxx\nafter\nyyyyyyyyyy\n");
        assert_eq!(notes.lines_cut.load(Ordering::Relaxed), 2);
        // an endless line holds no more than the cap and a read
        let zeros = std::io::repeat(0).take(50 << 20);
        let mut r = ChunkReader::new(zeros, 1 << 16).with_max_line(1 << 20);
        let first = r.next_chunk().unwrap().unwrap();
        assert_eq!(first.len(), (1 << 20) + 1);
        // the buffer grows by doubling: at most twice the cap
        assert!(first.capacity() <= 2 << 20, "{}", first.capacity());
        assert_eq!(r.next_chunk().unwrap(), None);
    }

    #[test]
    fn bare_cr_line_ends_are_read_as_line_ends_and_crlf_is_left_alone() {
        let r = ChunkReader::new(&b"a\rb\rc\r"[..], 2);
        let notes = r.notes();
        assert_eq!(chunks_of(r).concat(), "a\nb\nc\n");
        assert!(notes.bare_cr.load(Ordering::Relaxed));
        let r = ChunkReader::new(&b"a\r\nb\r\n"[..], 2);
        let notes = r.notes();
        assert_eq!(chunks_of(r).concat(), "a\r\nb\r\n");
        assert!(!notes.bare_cr.load(Ordering::Relaxed));
        // CRs inside a long first line of an LF log: not line ends
        let long = format!(
            "{}\r{}\r{}\nnext\n",
            "x".repeat(40_000),
            "y".repeat(40_000),
            "z"
        );
        let r = ChunkReader::new(long.as_bytes(), 1 << 10);
        let notes = r.notes();
        assert_eq!(chunks_of(r).concat(), long);
        assert!(!notes.bare_cr.load(Ordering::Relaxed));
        // an LF passed while a cut line is skipped decides too
        let cut = format!("{}\r\r{}\nnext\r\r\n", "x".repeat(100), "y".repeat(100));
        let r = ChunkReader::new(cut.as_bytes(), 4).with_max_line(10);
        let notes = r.notes();
        let got = chunks_of(r).concat();
        assert!(got.ends_with("next\r\r\n"), "{got:?}");
        assert!(!notes.bare_cr.load(Ordering::Relaxed));
    }

    #[test]
    fn chunks_end_at_line_ends_and_lose_nothing() {
        let data = b"one\ntwo\nthree is longer than the chunk\nfour\nlast without newline";
        for size in [1, 2, 5, 8, 100] {
            let chunks = all_chunks(data, size);
            assert_eq!(chunks.concat(), data, "size {size}");
            for c in &chunks[..chunks.len() - 1] {
                assert_eq!(c.last(), Some(&b'\n'), "size {size}");
                assert!(c.len() >= size.min(4));
            }
            let lines: Vec<String> = chunks
                .into_iter()
                .flat_map(|c| {
                    let l = Lines::of(c);
                    l.iter().map(|(t, _)| t.to_string()).collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(lines.len(), 5);
            assert_eq!(lines[4], "last without newline");
        }
        assert!(all_chunks(b"", 4).is_empty());
        assert_eq!(all_chunks(b"\n\n", 1).concat(), b"\n\n");
    }

    #[test]
    fn refilled_buffers_show_none_of_their_old_bytes() {
        let data = b"one\ntwo\nthree is longer than the chunk\nfour\nlast without newline";
        for size in [1, 2, 5, 8, 100] {
            // spare buffers full of stale bytes, shorter and longer than a chunk
            let (tx, rx) = sync_channel(64);
            for len in [0, 1, 3, 7, 40, 200].into_iter().cycle().take(60) {
                tx.send(b"X\n".repeat(len)).unwrap();
            }
            let mut r = ChunkReader::new(&data[..], size);
            r.spares = Some(rx);
            let mut chunks = Vec::new();
            while let Some(c) = r.next_chunk().unwrap() {
                chunks.push(c);
            }
            assert_eq!(chunks.concat(), data, "size {size}");
            assert!(
                chunks[..chunks.len() - 1]
                    .iter()
                    .all(|c| c.ends_with(b"\n"))
            );
        }
        // through the stream: consumed buffers handed back are filled again
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut s = ChunkStream::spawn(std::io::Cursor::new(text.clone()), 64, 1);
        let recycler = s.recycler();
        let mut got = Vec::new();
        for c in s.by_ref() {
            let mut c = c.unwrap();
            got.extend_from_slice(&c);
            c.fill(b'\n');
            recycler.give(c);
        }
        assert_eq!(got, text);
    }

    #[test]
    fn invalid_utf8_lines_are_flagged_and_keep_their_place() {
        let l = Lines::of(b"ok\nbad \xff here\r\nlast\n".to_vec());
        let got: Vec<(&str, bool)> = l.iter().collect();
        assert_eq!(
            got,
            [
                ("ok", false),
                ("bad \u{fffd} here\r", true),
                ("last", false)
            ]
        );
    }

    /// Fails after `ok` bytes.
    struct Broken<'a>(&'a [u8], usize);
    impl Read for Broken<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 == 0 {
                return Err(io::Error::other("truncated"));
            }
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            self.1 -= n;
            Ok(n)
        }
    }

    /// Panics after `ok` bytes.
    struct Panicky(usize);
    impl Read for Panicky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.0 > 0, "decoder bug");
            let n = buf.len().min(self.0);
            buf[..n].fill(b'\n');
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_panicking_reader_is_an_error_not_the_end() {
        // three one-line chunks, then the panic: in the same hand-over batch,
        // the chunks before it are delivered, then the error
        let mut s = ChunkStream::spawn(Panicky(3), 1, 1);
        let mut got = Vec::new();
        for item in s.by_ref() {
            got.push(item.map_err(|e| e.to_string()));
        }
        assert_eq!(
            got,
            vec![
                Ok(b"\n".to_vec()),
                Ok(b"\n".to_vec()),
                Ok(b"\n".to_vec()),
                Err(READER_PANICKED.to_string())
            ]
        );
        assert!(s.next().is_none());
    }

    #[test]
    fn a_read_error_comes_after_the_complete_lines() {
        let mut r = ChunkReader::new(Broken(b"a\nb\npartial", 8), 1 << 20);
        assert_eq!(r.next_chunk().unwrap().unwrap(), b"a\nb\n");
        assert!(r.next_chunk().is_err());
        assert!(r.next_chunk().unwrap().is_none());
        let mut s = ChunkStream::spawn(Broken(b"a\nb\npartial", 8), 2, 1);
        assert_eq!(s.next().unwrap().unwrap(), b"a\n");
        assert_eq!(s.next().unwrap().unwrap(), b"b\n");
        assert!(s.next().unwrap().is_err());
        assert!(s.next().is_none());
    }
}
