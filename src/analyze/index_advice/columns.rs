//! Step 3 of the index advice: a candidate's key columns from the query text,
//! for one table of one query, unless an existing index already serves them.

use crate::normalize::shape::{ColumnUse, Use};
use crate::stats::indexdef::IndexShape;
use crate::stats::records::{ColumnStat, IndexDef};
use std::collections::BTreeSet;

/// At most this many equality columns lead a candidate.
const MAX_EQ: usize = 3;
/// At most this many columns in a candidate.
const MAX_COLUMNS: usize = 3;

/// The key columns to propose for a table of a query; none when an existing
/// index serves the query.
///
/// The table's own filters come first: when an index already serves them, the
/// table is the outer side of any join and its join columns are not looked up.
/// Otherwise join columns lead where the table is probed once per outer row by
/// them: `probed` is what the query's plan says (the inner side of a nested
/// loop, or a correlated subquery: `Some(true)`; a hash or merge join, which
/// reads the table once and is served by its filter columns: `Some(false)`),
/// and without a plan (`None`) the text is all there is, so join columns lead.
/// With an OR among the conditions, only the first column is kept (the columns
/// are alternatives, not one composite key).
#[cfg(test)]
pub(super) fn key_columns(
    uses: &[&ColumnUse],
    has_or: bool,
    existing: &[&IndexDef],
    probed: Option<bool>,
) -> Option<Vec<String>> {
    key_columns_ordered(uses, has_or, existing, probed, &[])
}

/// [`key_columns`], with the equality columns most selective first when
/// `pg_stats` of the table (`column_stats`) says how many distinct values each
/// has (`n_distinct`, a negative value being a fraction of the rows; fewer
/// nulls count as more selective); without statistics, the query's order.
pub(super) fn key_columns_ordered(
    uses: &[&ColumnUse],
    has_or: bool,
    existing: &[&IndexDef],
    probed: Option<bool>,
    column_stats: &[&ColumnStat],
) -> Option<Vec<String>> {
    let (own, own_eq) = candidate(uses, false);
    if !own.is_empty() && existing.iter().any(|x| covers(x, &own, own_eq)) {
        return None;
    }
    let has_join = probed != Some(false) && uses.iter().any(|u| u.usage == Use::Join);
    let (mut cols, mut eq_len) = if has_join {
        candidate(uses, true)
    } else {
        (own, own_eq)
    };
    if has_or {
        cols.truncate(1);
        eq_len = eq_len.min(1);
    }
    if cols.is_empty() || existing.iter().any(|x| covers(x, &cols, eq_len)) {
        return None;
    }
    by_selectivity(&mut cols[..eq_len], column_stats);
    Some(cols)
}

/// Sorts equality columns by how many rows one value selects, fewest first
/// (a stable sort: columns without statistics keep their order, after those
/// with).
fn by_selectivity(eq: &mut [String], column_stats: &[&ColumnStat]) {
    // distinct values among non-null rows, as a rank: a negative n_distinct is
    // a share of the rows, so it outranks any absolute count of a big table
    let distinct = |c: &String| -> Option<f64> {
        let s = column_stats
            .iter()
            .find(|s| s.column.eq_ignore_ascii_case(c))?;
        let nd = s.n_distinct?;
        let d = if nd < 0.0 { -nd * 1e12 } else { nd };
        Some(d / (1.0 - s.null_frac.unwrap_or(0.0)).max(1e-9))
    };
    eq.sort_by(|a, b| match (distinct(a), distinct(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

/// A candidate's columns for one table of one query, and how many of them are
/// equalities: equality/IN/IS NULL columns first, then at most one range column,
/// else the sort columns. With `joins`, join columns lead (the table is then the
/// inner side of a nested loop, looked up by them).
pub(super) fn candidate(uses: &[&ColumnUse], joins: bool) -> (Vec<String>, usize) {
    let mut cols: Vec<String> = Vec::new();
    let eq_kinds: &[Use] = if joins {
        &[Use::Join, Use::Eq, Use::In, Use::IsNull]
    } else {
        &[Use::Eq, Use::In, Use::IsNull]
    };
    for kind in eq_kinds {
        for u in uses.iter().filter(|u| u.usage == *kind) {
            if !cols.contains(&u.column) && cols.len() < MAX_EQ {
                cols.push(u.column.clone());
            }
        }
    }
    let eq_len = cols.len();
    let only_eq = uses
        .iter()
        .all(|u| !matches!(u.usage, Use::In | Use::Range));
    if let Some(r) = uses
        .iter()
        .find(|u| u.usage == Use::Range && !cols.contains(&u.column))
    {
        cols.push(r.column.clone());
    } else if only_eq {
        for u in uses.iter().filter(|u| u.usage == Use::OrderBy) {
            if !cols.contains(&u.column) {
                cols.push(u.column.clone());
            }
        }
    }
    cols.truncate(MAX_COLUMNS);
    (cols, eq_len.min(MAX_COLUMNS))
}

/// Whether `def` starts with the candidate: its equality part in any order, then
/// the rest in order.
pub(super) fn covers(def: &IndexDef, cols: &[String], eq_len: usize) -> bool {
    if !def.valid || def.shape.predicate.is_some() || def.shape.method != "btree" {
        return false;
    }
    let keys: Vec<Option<String>> = def
        .shape
        .keys
        .iter()
        .map(|k| IndexShape::key_column(k).map(|c| c.to_ascii_lowercase()))
        .collect();
    if keys.len() < cols.len() {
        return false;
    }
    let head: BTreeSet<Option<String>> = keys[..eq_len].iter().cloned().collect();
    let want: BTreeSet<Option<String>> = cols[..eq_len].iter().cloned().map(Some).collect();
    head == want
        && keys[eq_len..cols.len()]
            .iter()
            .zip(&cols[eq_len..])
            .all(|(k, c)| k.as_deref() == Some(c.as_str()))
}

#[cfg(test)]
mod tests;
