//! The red flags of a plan's nodes: the figures a DBA looks at first.

use super::nodes::Node;

/// Thresholds for red flags.
const ROWS_REMOVED: f64 = 1000.0;
const LOOPS: f64 = 1000.0;
const MISESTIMATE: f64 = 10.0;

/// The red flags of a plan's nodes, node by node in plan order.
pub(super) fn flags(nodes: &[Node]) -> Vec<String> {
    let mut flags = Vec::new();
    for n in nodes {
        let node = &n.name;
        if let (Some(e), Some(a)) = (n.est_rows, n.rows) {
            flags.extend(misestimate(node, e, a));
        }
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
    Some(if loops > 1.0 {
        format!(
            "{node} removes {total:.0} rows by filter ({per_loop:.0} per loop x {loops:.0} loops): an index may help"
        )
    } else {
        format!("{node} removes {total:.0} rows by filter: an index may help")
    })
}

/// The flag of a node whose row estimate is off by `MISESTIMATE` times or more.
fn misestimate(node: &str, estimated: f64, actual: f64) -> Option<String> {
    let (lo, hi) = (estimated.min(actual).max(1.0), estimated.max(actual));
    (hi >= 100.0 && hi / lo >= MISESTIMATE).then(|| {
        format!(
            "{node}: estimated {estimated:.0} rows, actual {actual:.0} (off by {:.0}x)",
            hi / lo
        )
    })
}
