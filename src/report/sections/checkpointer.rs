//! "Checkpoints (statistics)": timed and requested checkpoints and buffers
//! written, from pg_stat_bgwriter / pg_stat_checkpointer.

use crate::analyze::Audit;
use crate::report::rows::{Card, count_or_dash, ratio_or_dash};
use crate::units::duration_ms;
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/checkpointer.html")]
pub struct CheckpointerSection {
    /// Empty without an export.
    pub checkpoint_cards: Vec<Card>,
    pub checkpoint_advice: String,
}

pub fn build(a: &Audit, _top: usize) -> CheckpointerSection {
    let Some(c) = &a.stats.checkpointer else {
        return CheckpointerSection::default();
    };
    CheckpointerSection {
        checkpoint_cards: vec![
            Card {
                label: "Timed checkpoints",
                value: count_or_dash(c.timed),
                note: "started by checkpoint_timeout".into(),
            },
            Card {
                label: "Requested checkpoints",
                value: count_or_dash(c.requested),
                note: format!(
                    "{} of all: started by WAL volume (max_wal_size) or by hand",
                    ratio_or_dash(c.requested_share)
                ),
            },
            Card {
                label: "Checkpoint write + sync",
                value: duration_ms(c.write_ms.unwrap_or(0.0) + c.sync_ms.unwrap_or(0.0)),
                note: format!("{} buffers written", count_or_dash(c.buffers_checkpoint)),
            },
            Card {
                label: "Buffers written by backends",
                value: count_or_dash(c.buffers_backend),
                note: if c.backend_writes_from_io {
                    "client backends writing relation buffers themselves (pg_stat_io): the background writer is behind".into()
                } else {
                    "backends writing their own buffers: the background writer is behind (pg_stat_bgwriter stopped counting them in PostgreSQL 17: export pg_stat_io)".into()
                },
            },
        ]
        .into_iter()
        .chain(c.wal_bytes.map(|b| Card {
            label: "WAL generated",
            value: crate::units::bytes(b),
            note: format!(
                "{} records, {} of them full-page images; WAL buffers full {} times (pg_stat_wal)",
                count_or_dash(c.wal_records),
                ratio_or_dash(c.wal_fpi_share),
                count_or_dash(c.wal_buffers_full)
            ),
        }))
        .collect(),
        checkpoint_advice: if c.too_many_requested {
            "More than 10% of checkpoints were requested, not timed: WAL fills max_wal_size before checkpoint_timeout. Raise max_wal_size (rollback: set it back; both take effect on reload).".into()
        } else {
            String::new()
        },
    }
}
