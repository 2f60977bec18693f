//! The red flags of a plan's nodes: the figures a DBA looks at first.

use super::nodes::Node;

/// Thresholds for red flags.
const ROWS_REMOVED: f64 = 1000.0;
const LOOPS: f64 = 1000.0;
const MISESTIMATE: f64 = 10.0;

/// A sequential scan keeping more than this share of the rows it reads is no
/// case for an index: a btree reaching that many rows reads more pages, at
/// random, than the scan does in order (bitmap scans stay cheaper up to about
/// this share). The index advice uses the same bound.
pub const MAX_KEPT_SHARE: f64 = 0.10;

/// The red flags of a plan's nodes, node by node in plan order.
pub(super) fn flags(nodes: &[Node]) -> Vec<String> {
    let mut flags = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let node = &n.name;
        flags.extend(misestimate(nodes, i));
        if let Some(loops) = n.loops
            && loops >= LOOPS
        {
            flags.push(format!("{node} runs {loops:.0} times (nested loop)"));
        }
        flags.extend(filtered(n));
        if let Some(how) = &n.sort_disk {
            flags.push(format!("Sort spilled to disk ({how})"));
        }
        if let Some(b) = n.batches
            && b > 1.0
        {
            flags.push(format!("{node} spilled to disk ({b:.0} batches)"));
        }
    }
    flags
}

/// The flag of a sequential scan (parallel or not) whose filter removes
/// `ROWS_REMOVED` rows or more in all: PostgreSQL reports the rows removed per
/// loop (for a parallel scan, per process: the workers launched and the
/// leader), so the figure judged is the one per loop times the loops.
fn filtered(n: &Node) -> Option<String> {
    let per_loop = n.removed_by_filter?;
    let loops = n.loops.unwrap_or(1.0);
    let total = per_loop * loops;
    if n.kind != "Seq Scan" || total < ROWS_REMOVED {
        return None;
    }
    let node = &n.name;
    let kept = n.rows.map(|r| r / (r + per_loop));
    let advice = match kept {
        Some(k) if k > MAX_KEPT_SHARE => format!(
            "it keeps {:.1}% of the rows it reads, too many for an index to pay",
            k * 100.0
        ),
        _ => "an index may help".to_string(),
    };
    Some(if loops > 1.0 {
        format!(
            "{node} removes {total:.0} rows by filter ({per_loop:.0} per loop x {loops:.0} loops): {advice}"
        )
    } else {
        format!("{node} removes {total:.0} rows by filter: {advice}")
    })
}

/// Nodes that read all their input before they return a row (or, for a
/// subplan label, run apart from the node they hang under): a Limit above one
/// does not cut what is under it short.
const READS_ALL_INPUT: &[&str] = &[
    "Sort",
    "Hash",
    "Aggregate",
    "HashAggregate",
    "HashSetOp",
    "Bitmap Heap Scan",
    "BitmapAnd",
    "BitmapOr",
    "SubPlan",
    "InitPlan",
    "CTE",
];

/// Whether a Limit stops node `i` before it returns all its rows: a Limit is
/// above it with only nodes that pass rows on as they come in between. A
/// top-N sort under a Limit (its estimate is of its input, its actual rows stop
/// at the limit), the Gather Merge and the sorts of its workers under a Limit,
/// a scan right under a Limit: all are cut short.
pub(super) fn cut_by_limit(nodes: &[Node], i: usize) -> bool {
    let mut up = nodes[i].parent;
    while let Some(p) = up {
        let kind = nodes[p].kind.as_str();
        if kind == "Limit" {
            return true;
        }
        if READS_ALL_INPUT.contains(&kind) {
            return false;
        }
        up = nodes[p].parent;
    }
    false
}

/// The flag of node `i` when its row estimate is off by `MISESTIMATE` times or
/// more (the larger of the two being 100 rows or more). PostgreSQL reports both the estimate and the
/// actual rows per loop: they are compared per loop. Not judged: a node never
/// executed, a Limit (it returns what it is asked) and a node a Limit cuts
/// short, whose actual rows are not what it would have produced.
fn misestimate(nodes: &[Node], i: usize) -> Option<String> {
    let n = &nodes[i];
    let (estimated, actual) = (n.est_rows?, n.rows?);
    let loops = n.loops.unwrap_or(1.0);
    if loops == 0.0 || n.kind == "Limit" || cut_by_limit(nodes, i) {
        return None;
    }
    let (lo, hi) = (estimated.min(actual).max(1.0), estimated.max(actual));
    if hi < 100.0 || hi / lo < MISESTIMATE {
        return None;
    }
    let node = &n.name;
    let off = hi / lo;
    Some(if loops > 1.0 {
        format!(
            "{node}: estimated {estimated:.0} rows per loop, actual {actual:.0} per loop over {loops:.0} loops (off by {off:.0}x)"
        )
    } else {
        format!("{node}: estimated {estimated:.0} rows, actual {actual:.0} (off by {off:.0}x)")
    })
}
