//! Checkpoints from `pg_stat_bgwriter`/`pg_stat_checkpointer` over the window:
//! how many were requested (WAL volume) rather than timed, and the time and
//! buffers they took.

use super::{preferred, round6};
use crate::analyze::round3;
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
}

/// The checkpoints of the export with the best window; null when none has them.
pub(super) fn checkpointer(dbs: &[DatabaseStats]) -> Option<CheckpointerView> {
    let c = preferred(dbs)
        .into_iter()
        .find_map(|d| d.view.checkpoints.as_ref())?;
    let total = c.timed.unwrap_or(0) + c.requested.unwrap_or(0);
    let share = (total > 0).then(|| round6(c.requested.unwrap_or(0) as f64 / total as f64));
    Some(CheckpointerView {
        timed: c.timed,
        requested: c.requested,
        requested_share: share,
        write_ms: c.write_ms.map(round3),
        sync_ms: c.sync_ms.map(round3),
        buffers_checkpoint: c.buffers_checkpoint,
        buffers_clean: c.buffers_clean,
        buffers_backend: c.buffers_backend,
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
