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
        if let Some(removed) = n.removed_by_filter
            && n.kind == "Seq Scan"
            && !n.name.starts_with("Parallel ")
            && removed >= ROWS_REMOVED
        {
            flags.push(format!(
                "{node} removes {removed:.0} rows by filter: an index may help"
            ));
        }
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
