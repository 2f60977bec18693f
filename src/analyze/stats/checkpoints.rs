//! Checkpoints from `pg_stat_bgwriter`/`pg_stat_checkpointer` over the window:
//! how many were requested (WAL volume) rather than timed, and the time and
//! buffers they took; the WAL they cost from `pg_stat_wal` (14+), and the
//! buffers backends wrote themselves from `pg_stat_io` (16+) where
//! `pg_stat_bgwriter` no longer counts them (17+).

use super::{preferred, round6};
use crate::analyze::round3;
use crate::stats::records::Checkpoints;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};

/// Above this share of requested checkpoints, max_wal_size is too small.
const REQUESTED_SHARE_MAX: f64 = 0.1;
/// Requested checkpoints before their share matters: a few are manual
/// `CHECKPOINT`s, base backups or a restart, not WAL pressure.
const REQUESTED_MIN: u64 = 10;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckpointerView {
    pub timed: Option<u64>,
    pub requested: Option<u64>,
    /// requested / (timed + requested).
    pub requested_share: Option<f64>,
    pub write_ms: Option<f64>,
    pub sync_ms: Option<f64>,
    pub buffers_checkpoint: Option<u64>,
    pub buffers_clean: Option<u64>,
    pub buffers_backend: Option<u64>,
    /// More than 10% of checkpoints requested (WAL volume): raise max_wal_size.
    pub too_many_requested: bool,
    /// `buffers_backend` comes from pg_stat_io (client backends' relation writes).
    #[serde(default)]
    pub backend_writes_from_io: bool,
    /// WAL generated over the window (pg_stat_wal).
    #[serde(default)]
    pub wal_bytes: Option<u64>,
    #[serde(default)]
    pub wal_records: Option<u64>,
    /// Full-page images / WAL records: high right after each checkpoint.
    #[serde(default)]
    pub wal_fpi_share: Option<f64>,
    /// Times a backend found the WAL buffers full and wrote them itself.
    #[serde(default)]
    pub wal_buffers_full: Option<u64>,
}

/// The checkpoints and WAL of the exports with the best window; null when
/// none has them.
pub(super) fn checkpointer(dbs: &[DatabaseStats]) -> Option<CheckpointerView> {
    let order = preferred(dbs);
    let wal = order.iter().find_map(|d| d.view.wal.as_ref());
    let io = order
        .iter()
        .find(|d| !d.view.io.is_empty())
        .map(|d| &d.view.io);
    let fallback = Checkpoints::default();
    let c = match order.iter().find_map(|d| d.view.checkpoints.as_ref()) {
        Some(c) => c,
        None if wal.is_some() || io.is_some() => &fallback,
        None => return None,
    };
    let total = c.timed.unwrap_or(0) + c.requested.unwrap_or(0);
    let share = (total > 0).then(|| round6(c.requested.unwrap_or(0) as f64 / total as f64));
    // 17+: backends' own writes are in pg_stat_io only
    let io_writes = io.filter(|_| c.buffers_backend.is_none()).map(|rows| {
        rows.iter()
            .filter(|r| r.backend_type == "client backend" && r.object == "relation")
            .filter_map(|r| r.writes)
            .sum::<u64>()
    });
    Some(CheckpointerView {
        backend_writes_from_io: io_writes.is_some(),
        wal_bytes: wal.and_then(|w| w.bytes),
        wal_records: wal.and_then(|w| w.records),
        wal_fpi_share: wal.and_then(|w| match (w.fpi, w.records) {
            (Some(f), Some(r)) if r > 0 => Some(round6(f as f64 / r as f64)),
            _ => None,
        }),
        wal_buffers_full: wal.and_then(|w| w.buffers_full),
        timed: c.timed,
        requested: c.requested,
        requested_share: share,
        write_ms: c.write_ms.map(round3),
        sync_ms: c.sync_ms.map(round3),
        buffers_checkpoint: c.buffers_checkpoint,
        buffers_clean: c.buffers_clean,
        buffers_backend: c.buffers_backend.or(io_writes),
        too_many_requested: share.is_some_and(|s| s > REQUESTED_SHARE_MAX)
            && c.requested.unwrap_or(0) >= REQUESTED_MIN,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{db, snapshot};
    use super::*;
    use crate::stats::records::Checkpoints;

    fn view(timed: u64, requested: u64) -> CheckpointerView {
        let mut s = snapshot("shop", &["pg_stat_bgwriter"]);
        s.checkpoints = Some(Checkpoints {
            timed: Some(timed),
            requested: Some(requested),
            write_ms: Some(1.23456),
            ..Default::default()
        });
        checkpointer(&[db(s, None, None)]).unwrap()
    }

    #[test]
    fn wal_and_io_complete_the_checkpoints() {
        use crate::stats::records::{Io, Wal};
        let mut s = snapshot("shop", &["pg_stat_wal", "pg_stat_io"]);
        s.wal = Some(Wal {
            records: Some(1000),
            fpi: Some(250),
            bytes: Some(4_000_000),
            buffers_full: Some(3),
            ..Default::default()
        });
        let io = |backend: &str, object: &str, writes: u64| Io {
            backend_type: backend.into(),
            object: object.into(),
            context: "normal".into(),
            writes: Some(writes),
            ..Default::default()
        };
        s.io = vec![
            io("client backend", "relation", 40),
            io("client backend", "temp relation", 7),
            io("checkpointer", "relation", 900),
        ];
        let v = checkpointer(&[db(s, None, None)]).unwrap();
        assert_eq!(v.wal_bytes, Some(4_000_000));
        assert_eq!(v.wal_fpi_share, Some(0.25));
        assert_eq!(v.wal_buffers_full, Some(3));
        // no pg_stat_bgwriter: the backends' own relation writes, from pg_stat_io
        assert_eq!(v.buffers_backend, Some(40));
        assert!(v.backend_writes_from_io);
        assert_eq!(v.timed, None);
    }

    #[test]
    fn more_than_a_tenth_requested_is_too_many() {
        let v = view(68, 12);
        assert_eq!(v.requested_share, Some(0.15));
        assert!(v.too_many_requested);
        assert_eq!(v.write_ms, Some(1.235));
        // exactly a tenth is not
        assert!(!view(90, 10).too_many_requested);
        assert!(view(89, 10).too_many_requested);
    }

    #[test]
    fn a_few_requested_checkpoints_are_not_too_many_whatever_their_share() {
        let v = view(1, 1);
        assert_eq!(v.requested_share, Some(0.5));
        assert!(!v.too_many_requested);
        // two manual CHECKPOINTs in a short window
        assert!(!view(3, 2).too_many_requested);
        assert!(!view(0, REQUESTED_MIN - 1).too_many_requested);
        assert!(view(0, REQUESTED_MIN).too_many_requested);
    }

    #[test]
    fn no_checkpoints_no_share_and_no_view_without_the_export() {
        assert_eq!(view(0, 0).requested_share, None);
        assert!(checkpointer(&[db(snapshot("shop", &[]), None, None)]).is_none());
    }
}
