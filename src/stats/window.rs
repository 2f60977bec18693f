//! The statistics window of a database seen in two or more snapshots: the
//! latest snapshot with its cumulative counters replaced by their deltas since
//! the first. A counter that went down between the two is a reset: its later
//! value is used and the reset reported; so is a `stats_reset` time inside the
//! window.

use super::records::*;
use super::snapshot::{DatabaseStats, Snapshot, WindowSource};
use crate::parse::timestamp::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// `b - a`, or `b` when the counter went down (a reset), noting it.
fn delta(a: Option<u64>, b: Option<u64>, reset: &mut bool) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) if y >= x => Some(y - x),
        (Some(_), Some(y)) => {
            *reset = true;
            Some(y)
        }
        (_, y) => y,
    }
}

fn delta_f(a: Option<f64>, b: Option<f64>, reset: &mut bool) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) if y + 1e-9 >= x => Some((y - x).max(0.0)),
        (Some(_), Some(y)) => {
            *reset = true;
            Some(y)
        }
        (_, y) => y,
    }
}

/// Replaces each listed counter of `$last` by its delta since `$first`; `$r`
/// is set when one went down.
macro_rules! deltas {
    ($delta:ident, $first:expr, $last:expr, $r:ident: $($f:ident),+ $(,)?) => {
        $( $last.$f = $delta($first.$f, $last.$f, &mut $r); )+
    };
}

/// A reset time that falls after the first snapshot: the counters restarted
/// inside the window and the later totals are the window's.
fn reset_inside(reset: Option<Timestamp>, first: &Snapshot) -> bool {
    matches!((reset, first.taken_at), (Some(r), Some(f)) if r > f)
}

/// The database's own `stats_reset`: from the export's metadata, else from its
/// `pg_stat_database` row, else from that row in another export.
pub fn database_reset(s: &Snapshot) -> Option<Timestamp> {
    s.meta
        .as_ref()
        .and_then(|m| m.db_stats_reset)
        .or_else(|| {
            s.databases
                .iter()
                .find(|d| Some(&d.datname) == s.database.as_ref())
                .and_then(|d| d.stats_reset)
        })
        .or(s.reset_elsewhere)
}

/// The window between the first and the last of `n` snapshots.
pub fn window(first: Snapshot, mut last: Snapshot, n: usize) -> DatabaseStats {
    let mut resets = Vec::new();
    let pgss_reset = reset_inside(
        last.statements_info.as_ref().and_then(|i| i.stats_reset),
        &first,
    );
    if pgss_reset {
        resets.push("pg_stat_statements was reset inside the window (pg_stat_statements_info.stats_reset): its totals since the reset are used".into());
    }
    let db_reset = reset_inside(database_reset(&last), &first);
    if db_reset {
        resets.push("the database's statistics were reset inside the window (stats_reset): table and index totals since the reset are used".into());
    }
    resets.extend(statement_deltas(&first, &mut last, pgss_reset));
    if !db_reset {
        resets.extend(table_deltas(&first, &mut last));
        resets.extend(index_deltas(&first, &mut last));
    }
    resets.extend(database_deltas(&first, &mut last));
    resets.extend(checkpoint_deltas(&first, &mut last));
    resets.extend(wal_deltas(&first, &mut last));
    resets.extend(io_deltas(&first, &mut last));
    DatabaseStats {
        start: first.taken_at,
        end: last.taken_at,
        source: WindowSource::Snapshots,
        snapshots: n,
        folders: vec![first.folder.clone(), last.folder.clone()],
        resets,
        view: last,
        ..Default::default()
    }
}

/// `pg_stat_statements` entries over the window; an entry reset or evicted
/// inside it keeps its later totals, one with no call in it is dropped.
fn statement_deltas(first: &Snapshot, last: &mut Snapshot, pgss_reset: bool) -> Option<String> {
    let before: BTreeMap<String, &Statement> =
        first.statements.iter().map(|s| (s.key(), s)).collect();
    let mut reset_statements = 0;
    last.statements = last
        .statements
        .iter()
        .filter_map(|s| {
            let Some(a) = before.get(&s.key()) else {
                return Some(s.clone());
            };
            if pgss_reset {
                return Some(s.clone());
            }
            if reset_inside(s.stats_since, first)
                || s.calls < a.calls
                || s.exec_ms + 1e-9 < a.exec_ms
            {
                reset_statements += 1;
                return Some(s.clone());
            }
            let d = statement_delta(a, s);
            (d.calls > 0).then_some(d)
        })
        .collect();
    (reset_statements > 0).then(|| format!(
        "pg_stat_statements: {reset_statements} entries were reset or evicted inside the window (fewer calls later, or stats_since after the first snapshot); their later totals are used"
    ))
}

/// `s` with its counters since `a` (neither went down).
fn statement_delta(a: &Statement, s: &Statement) -> Statement {
    Statement {
        calls: s.calls - a.calls,
        exec_ms: (s.exec_ms - a.exec_ms).max(0.0),
        plan_ms: (s.plan_ms - a.plan_ms).max(0.0),
        rows: s.rows.saturating_sub(a.rows),
        shared_blks_hit: s.shared_blks_hit.saturating_sub(a.shared_blks_hit),
        shared_blks_read: s.shared_blks_read.saturating_sub(a.shared_blks_read),
        temp_blks_read: s.temp_blks_read.saturating_sub(a.temp_blks_read),
        temp_blks_written: s.temp_blks_written.saturating_sub(a.temp_blks_written),
        io_read_ms: (s.io_read_ms - a.io_read_ms).max(0.0),
        io_write_ms: (s.io_write_ms - a.io_write_ms).max(0.0),
        ..s.clone()
    }
}

/// Table counters over the window (gauges such as `n_live_tup` stay the last).
fn table_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let first_tables: HashMap<(&str, &str), &Table> = first
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let mut reset_tables = Vec::new();
    for t in &mut last.tables {
        let Some(a) = first_tables.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        let mut r = false;
        deltas!(delta, a, t, r:
            seq_scan,
            seq_tup_read,
            idx_scan,
            idx_tup_fetch,
            n_tup_ins,
            n_tup_upd,
            n_tup_del,
            n_tup_hot_upd,
            heap_blks_read,
            heap_blks_hit,
            idx_blks_read,
            idx_blks_hit
        );
        if r {
            reset_tables.push(format!("{}.{}", t.schema, t.name));
        }
    }
    (!reset_tables.is_empty()).then(|| {
        format!(
            "pg_stat_user_tables: counters went down for {} (reset); their later totals are used",
            reset_tables.join(", ")
        )
    })
}

/// Index counters over the window.
fn index_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let first_indexes: HashMap<(&str, &str), &Index> = first
        .indexes
        .iter()
        .map(|i| ((i.schema.as_str(), i.name.as_str()), i))
        .collect();
    let mut reset_indexes = Vec::new();
    for i in &mut last.indexes {
        let Some(a) = first_indexes.get(&(i.schema.as_str(), i.name.as_str())) else {
            continue;
        };
        let mut r = false;
        deltas!(delta, a, i, r:
            idx_scan,
            idx_tup_read,
            idx_tup_fetch,
            idx_blks_read,
            idx_blks_hit
        );
        if r {
            reset_indexes.push(format!("{}.{}", i.schema, i.name));
        }
    }
    (!reset_indexes.is_empty()).then(|| {
        format!(
            "pg_stat_user_indexes: counters went down for {} (reset); their later totals are used",
            reset_indexes.join(", ")
        )
    })
}

/// `pg_stat_database` counters over the window.
fn database_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let mut reset_dbs = Vec::new();
    for d in &mut last.databases {
        let Some(a) = first.databases.iter().find(|x| x.datname == d.datname) else {
            continue;
        };
        let mut r = false;
        deltas!(delta, a, d, r:
            xact_commit,
            xact_rollback,
            blks_read,
            blks_hit,
            temp_files,
            temp_bytes,
            deadlocks,
            sessions
        );
        deltas!(delta_f, a, d, r: idle_in_transaction_ms);
        if r {
            reset_dbs.push(if d.datname.is_empty() {
                "(shared objects)".to_string()
            } else {
                d.datname.clone()
            });
        }
    }
    (!reset_dbs.is_empty()).then(|| {
        format!(
            "pg_stat_database: counters went down for {} (reset); their later totals are used",
            reset_dbs.join(", ")
        )
    })
}

/// Checkpoint and background writer counters over the window.
fn checkpoint_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let (Some(a), Some(c)) = (&first.checkpoints, &mut last.checkpoints) else {
        return None;
    };
    let mut r = false;
    deltas!(delta, a, c, r:
        timed,
        requested,
        buffers_checkpoint,
        buffers_clean,
        maxwritten_clean,
        buffers_backend,
        buffers_alloc
    );
    deltas!(delta_f, a, c, r: write_ms, sync_ms);
    r.then(|| {
        "pg_stat_bgwriter/pg_stat_checkpointer: counters went down (reset); the later totals are used"
            .into()
    })
}

/// `pg_stat_wal` counters over the window.
fn wal_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let (Some(a), Some(w)) = (&first.wal, &mut last.wal) else {
        return None;
    };
    let mut r = false;
    deltas!(delta, a, w, r: records, fpi, bytes, buffers_full, write, sync);
    r.then(|| "pg_stat_wal: counters went down (reset); the later totals are used".into())
}

/// `pg_stat_io` counters over the window, row by row.
fn io_deltas(first: &Snapshot, last: &mut Snapshot) -> Option<String> {
    let mut r = false;
    for io in &mut last.io {
        let Some(a) = first.io.iter().find(|x| {
            (&x.backend_type, &x.object, &x.context) == (&io.backend_type, &io.object, &io.context)
        }) else {
            continue;
        };
        deltas!(delta, a, io, r: reads, writes, hits, evictions, fsyncs);
    }
    r.then(|| "pg_stat_io: counters went down (reset); the later totals are used".into())
}

#[cfg(test)]
mod tests;
