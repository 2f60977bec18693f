//! Decompression, chosen by magic bytes (not by file name): gzip (multi-member),
//! bzip2 (multi-stream), xz (multi-stream) and zstd (multi-frame), through
//! well-kept crates. A truncated or corrupt archive surfaces as a read error at the
//! point of damage; everything before it has been delivered.

use std::io::{self, BufRead, BufReader, Read};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    /// Recognizes a format from the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|c| (b'1'..=b'9').contains(c))
        {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// Name for the report (`None` for plain input).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Bzip2 => Some("bzip2"),
            Compression::Xz => Some("xz"),
            Compression::Zstd => Some("zstd"),
        }
    }
}

/// The type every input is read through.
pub type DynRead = Box<dyn BufRead + Send>;

/// Buffer size of the readers: half the chunks the log reader asks for (see
/// [`crate::input::chunks::DEFAULT_CHUNK_BYTES`]), so those reads (a chunk
/// less the partial line carried over) bypass the buffers and bytes go
/// straight from the file or the decoder into a chunk.
const BUF: usize = crate::input::chunks::DEFAULT_CHUNK_BYTES / 2;

/// Wraps `raw` in the decoder its first bytes call for.
pub fn decoded<R: Read + Send + 'static>(raw: R) -> io::Result<(DynRead, Compression)> {
    let mut buffered = BufReader::with_capacity(BUF, raw);
    let kind = Compression::sniff(buffered.fill_buf()?);
    let reader: DynRead = match kind {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            BUF,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            BUF,
            bzip2::bufread::MultiBzDecoder::new(buffered),
        )),
        Compression::Xz => Box::new(BufReader::with_capacity(
            BUF,
            liblzma::bufread::XzDecoder::new_multi_decoder(buffered),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            BUF,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        )),
    };
    Ok((reader, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> (io::Result<Vec<u8>>, Compression) {
        let (mut r, kind) = decoded(io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (res, kind)
    }

    #[test]
    fn every_format_round_trips() {
        let data = b"line one\nline two\n".repeat(1000);
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&data).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&data).unwrap();
        let cases = [
            (data.clone(), Compression::None),
            (gzip(&data), Compression::Gzip),
            (bz.finish().unwrap(), Compression::Bzip2),
            (xz.finish().unwrap(), Compression::Xz),
            (zstd::encode_all(&data[..], 3).unwrap(), Compression::Zstd),
        ];
        for (bytes, kind) in cases {
            let (out, got) = read_all(bytes);
            assert_eq!(got, kind);
            assert_eq!(out.unwrap(), data, "{kind:?}");
        }
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let mut two = gzip(b"first\n");
        two.extend(gzip(b"second\n"));
        assert_eq!(read_all(two).0.unwrap(), b"first\nsecond\n");
    }

    #[test]
    fn truncated_gzip_gives_the_readable_part_then_an_error() {
        let data: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut z = gzip(&data);
        z.truncate(z.len() / 2);
        let (mut r, _) = decoded(io::Cursor::new(z)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let err = loop {
            match r.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break Some(e),
            }
        };
        assert!(err.is_some(), "truncation must be reported");
        assert!(got.len() > 1000 && data.starts_with(&got));
    }
}
