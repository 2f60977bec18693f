//! "Checkpoints" (from the log): how many, why, how long, how much they wrote,
//! and whether WAL volume triggers them too often.

use crate::analyze::Audit;
use crate::report::rows::Card;
use crate::units::{bytes, count, duration_ms};
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/checkpoints.html")]
pub struct CheckpointsSection {
    /// No checkpoint in the log at all.
    pub no_checkpoints: bool,
    pub checkpoint_cards: Vec<Card>,
    pub checkpoint_advice: String,
}

pub fn build(audit: &Audit, _top: usize) -> CheckpointsSection {
    let c = &audit.activity.checkpoints;
    let avg = |total: u64| {
        if c.completed == 0 {
            "-".into()
        } else {
            duration_ms(total as f64 / c.completed as f64)
        }
    };
    let checkpoint_cards = vec![
        Card {
            label: "Checkpoints",
            value: count(c.count),
            note: c
                .by_reason
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Card {
            label: "Mean duration",
            value: avg(c.total_ms),
            note: format!(
                "write {}, sync {}; longest {}",
                avg(c.write_ms),
                avg(c.sync_ms),
                duration_ms(c.max_total_ms as f64)
            ),
        },
        Card {
            label: "Written",
            value: count(c.buffers),
            note: format!("buffers; WAL distance {}", bytes(c.distance_kb * 1024)),
        },
        Card {
            label: "Too frequent",
            value: count(c.too_frequent),
            note: c
                .min_seconds_apart
                .map_or("no warning".into(), |s| format!("as little as {s} s apart")),
        },
    ];
    let requested = c.by_reason.get("wal").copied().unwrap_or(0);
    let checkpoint_advice = if c.too_frequent > 0 || (c.count > 0 && requested * 2 > c.count) {
        "Checkpoints are triggered by WAL volume more often than by time: raise max_wal_size (and keep checkpoint_completion_target at 0.9) so they happen on checkpoint_timeout instead; rollback: set it back and reload.".to_string()
    } else {
        String::new()
    };
    CheckpointsSection {
        no_checkpoints: c.count == 0,
        checkpoint_cards,
        checkpoint_advice,
    }
}
