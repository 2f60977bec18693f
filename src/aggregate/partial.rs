//! Partial results: the mergeable aggregate state of one run, saved to a file
//! (`--save-partial`) and merged later (`pgsift merge`) on another machine. The
//! file is a header line naming the format version and the options that shaped
//! the aggregate, then the aggregate as zstd-compressed JSON. A different version
//! or different options are refused with a clear message.

use super::Aggregate;
use std::io::{Read, Write};

/// Bumped whenever the aggregate's serialized shape changes.
pub const PARTIAL_VERSION: u32 = 1;
const MAGIC: &str = "pgsift-partial";

/// Why a partial file cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    #[error("not a pgsift partial result file")]
    NotPartial,
    #[error(
        "written by partial format version {found} (pgsift {by}); this pgsift reads version {PARTIAL_VERSION}: run the same pgsift version everywhere"
    )]
    Version { found: u32, by: String },
    #[error("damaged partial result: {0}")]
    Damaged(String),
}

/// Options that change what an aggregate holds: partials merge only with equal ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartialOptions {
    pub show_values: bool,
    pub slowest: usize,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    version: u32,
    generator: String,
    options: PartialOptions,
}

/// Encodes an aggregate.
pub fn encode(agg: &Aggregate, options: PartialOptions) -> std::io::Result<Vec<u8>> {
    let header = Header {
        format: MAGIC.into(),
        version: PARTIAL_VERSION,
        generator: format!("pgsift {}", env!("CARGO_PKG_VERSION")),
        options,
    };
    let mut out = serde_json::to_vec(&header)?;
    out.push(b'\n');
    let mut z = zstd::Encoder::new(out, 3)?;
    serde_json::to_writer(&mut z, agg)?;
    let mut out = z.finish()?;
    out.flush()?;
    Ok(out)
}

/// Decodes a partial; its options are returned to be checked against the others'.
pub fn decode(bytes: &[u8]) -> Result<(Aggregate, PartialOptions), PartialError> {
    let nl = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(PartialError::NotPartial)?;
    let header: Header =
        serde_json::from_slice(&bytes[..nl]).map_err(|_| PartialError::NotPartial)?;
    if header.format != MAGIC {
        return Err(PartialError::NotPartial);
    }
    if header.version != PARTIAL_VERSION {
        return Err(PartialError::Version {
            found: header.version,
            by: header.generator,
        });
    }
    let mut json = Vec::new();
    zstd::Decoder::new(&bytes[nl + 1..])
        .and_then(|mut d| d.read_to_end(&mut json))
        .map_err(|e| PartialError::Damaged(e.to_string()))?;
    let agg = serde_json::from_slice(&json).map_err(|e| PartialError::Damaged(e.to_string()))?;
    Ok((agg, header.options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let mut agg = Aggregate::default();
        agg.summary.executions = 7;
        let opts = PartialOptions {
            show_values: false,
            slowest: 25,
        };
        let bytes = encode(&agg, opts).unwrap();
        let (back, o) = decode(&bytes).unwrap();
        assert_eq!(back, agg);
        assert_eq!(o, opts);
        let other = String::from_utf8_lossy(&bytes).replacen("\"version\":1", "\"version\":9", 1);
        let e = decode(other.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("version 9"), "{e}");
        assert!(matches!(
            decode(b"hello\nworld"),
            Err(PartialError::NotPartial)
        ));
        let cut = &bytes[..bytes.len() - 5];
        assert!(matches!(decode(cut), Err(PartialError::Damaged(_))));
    }
}
