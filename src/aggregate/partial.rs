//! Partial results: the mergeable state of one run, saved to a file
//! (`--save-partial`) and merged later (`pgsift merge`) on another machine. The
//! file is a header line naming the format version and the options that shaped
//! the state, then the state as zstd-compressed JSON. A different version or
//! different options are refused with a clear message. The state is whatever
//! the run keeps (the application's: the logs' [`super::Aggregate`] and the
//! statistics CSVs read); this module only frames it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{Read, Write};

/// Bumped whenever the state's serialized shape changes (2: the logs'
/// aggregate and the statistics read side by side, no longer one inside the
/// other; 3: the statistics records hold the tables' columns; 4: the clock of
/// the timestamps, per file and counted, and the pauses it could not time;
/// 5: each file's first and last time, and its lines left out by filters).
pub const PARTIAL_VERSION: u32 = 6;
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

/// Encodes a run's state.
pub fn encode<T: Serialize>(state: &T, options: PartialOptions) -> std::io::Result<Vec<u8>> {
    let header = Header {
        format: MAGIC.into(),
        version: PARTIAL_VERSION,
        generator: format!("pgsift {}", env!("CARGO_PKG_VERSION")),
        options,
    };
    let mut out = serde_json::to_vec(&header)?;
    out.push(b'\n');
    let mut z = zstd::Encoder::new(out, 3)?;
    serde_json::to_writer(&mut z, state)?;
    let mut out = z.finish()?;
    out.flush()?;
    Ok(out)
}

/// Decodes a partial; its options are returned to be checked against the others'.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, PartialOptions), PartialError> {
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
    let state = serde_json::from_slice(&json).map_err(|e| PartialError::Damaged(e.to_string()))?;
    Ok((state, header.options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregate;

    #[test]
    fn round_trip_and_refusals() {
        let mut agg = Aggregate::default();
        agg.summary.executions = 7;
        let opts = PartialOptions {
            show_values: false,
            slowest: 25,
        };
        let bytes = encode(&agg, opts).unwrap();
        let (back, o) = decode::<Aggregate>(&bytes).unwrap();
        assert_eq!(back, agg);
        assert_eq!(o, opts);
        let other = String::from_utf8_lossy(&bytes).replacen(
            &format!("\"version\":{PARTIAL_VERSION}"),
            "\"version\":9",
            1,
        );
        let e = decode::<Aggregate>(other.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("version 9"), "{e}");
        assert!(matches!(
            decode::<Aggregate>(b"hello\nworld"),
            Err(PartialError::NotPartial)
        ));
        let cut = &bytes[..bytes.len() - 5];
        assert!(matches!(
            decode::<Aggregate>(cut),
            Err(PartialError::Damaged(_))
        ));
    }
}
