//! The nodes of a plan and the figures the red flags judge, read from the text
//! format (one node a line, children indented under `->`) or the JSON format
//! (nested `Plans`). PostgreSQL reports rows, and rows removed by a filter, per
//! loop: they are kept per loop here.

use serde_json::Value;

/// One node of a plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Node {
    /// The node as EXPLAIN's text format names it (`Seq Scan on orders o`).
    pub name: String,
    /// The node type alone (`Seq Scan`, `Sort`, `HashAggregate`): without
    /// `Parallel`, `Partial` or `Finalize` and without what it scans;
    /// `SubPlan`, `InitPlan` or `CTE` for the label a subplan hangs under.
    pub kind: String,
    /// The index of the node above it in the plan's node list.
    pub parent: Option<usize>,
    /// The planner's estimate of the rows per loop.
    pub est_rows: Option<f64>,
    /// The rows produced per loop; none without ANALYZE or never executed.
    pub rows: Option<f64>,
    /// How many times the node ran (0: never executed); none without ANALYZE.
    pub loops: Option<f64>,
    /// `Rows Removed by Filter`, per loop.
    pub removed_by_filter: Option<f64>,
    /// How a sort spilled to disk (`external merge  Disk: 272kB`).
    pub sort_disk: Option<String>,
    /// The batches of a hash or a HashAggregate (more than one: it spilled to
    /// disk).
    pub batches: Option<f64>,
}

/// The number right after `key` in `s`.
fn num(s: &str, key: &str) -> Option<f64> {
    let i = s.find(key)? + key.len();
    let r = &s[i..];
    let end = r
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(r.len());
    r[..end].parse().ok()
}

/// The node type of a text-format node name (`Parallel Seq Scan on orders o`
/// is a `Seq Scan`, `Partial HashAggregate` a `HashAggregate`).
fn kind_of(name: &str) -> String {
    let mut k = name;
    for p in ["Parallel ", "Partial ", "Finalize "] {
        k = k.strip_prefix(p).unwrap_or(k);
    }
    let end = [" on ", " using "]
        .iter()
        .filter_map(|s| k.find(s))
        .min()
        .unwrap_or(k.len());
    k[..end].to_string()
}

/// The label a subplan hangs under (`SubPlan 1`, `InitPlan 1 (returns $1)`,
/// `CTE spenders`): a node of kind `SubPlan`, `InitPlan` or `CTE` without figures.
fn label(name: &str) -> Option<Node> {
    let kind = ["SubPlan", "InitPlan", "CTE"]
        .into_iter()
        .find(|k| name.strip_prefix(k).is_some_and(|r| r.starts_with(' ')))?;
    Some(Node {
        name: name.to_string(),
        kind: kind.to_string(),
        ..Node::default()
    })
}

/// A text node line without its `->`: the name, then `  (cost=...)`, then
/// ` (actual ...)` or ` (never executed)` (either alone with COSTS OFF).
fn text_node(t: &str) -> Option<Node> {
    let i = ["  (cost=", " (actual ", " (never executed)"]
        .into_iter()
        .filter_map(|m| t.find(m))
        .min()?;
    let name = t[..i].to_string();
    let cost = t.find("(cost=").map(|c| &t[c..]);
    let actual = t.find("(actual ").map(|a| &t[a..]);
    let loops = if t.contains("(never executed)") {
        Some(0.0)
    } else {
        actual.and_then(|a| num(a, "loops="))
    };
    Some(Node {
        kind: kind_of(&name),
        name,
        est_rows: cost.and_then(|c| num(&c[..c.find(')').unwrap_or(c.len())], "rows=")),
        rows: actual.and_then(|a| num(a, "rows=")),
        loops,
        ..Node::default()
    })
}

/// The nodes of a text plan, in the order they are printed; a node's parent
/// is the last node (or subplan label) printed less indented than it.
pub(super) fn text_nodes(plan: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    // (indentation, node) of the nodes the next line may hang under
    let mut open: Vec<(usize, usize)> = Vec::new();
    for line in plan.lines() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let t = body.trim_start_matches("->").trim_start();
        if let Some(mut node) = text_node(t).or_else(|| label(t)) {
            while open.last().is_some_and(|&(at, _)| at >= indent) {
                open.pop();
            }
            node.parent = open.last().map(|&(_, n)| n);
            nodes.push(node);
            open.push((indent, nodes.len() - 1));
            continue;
        }
        // a line under a node: one of its properties
        let Some(node) = nodes.last_mut() else {
            continue;
        };
        if let Some(n) = num(t, "Rows Removed by Filter: ") {
            node.removed_by_filter = Some(n);
        } else if let Some(m) = t.strip_prefix("Sort Method: ")
            && m.starts_with("external")
        {
            node.sort_disk = Some(m.to_string());
        } else if let Some(b) = num(t, "Batches: ") {
            node.batches = Some(b);
        }
    }
    nodes
}

/// The name EXPLAIN's text format gives a JSON plan node: `Parallel Seq Scan
/// on orders o`, `Index Scan using customers_pkey on customers c`, `Partial
/// HashAggregate`, `Hash Left Join`, `Insert on orders`.
fn json_name(p: &Value) -> String {
    let s = |k: &str| p.get(k).and_then(Value::as_str);
    let node_type = s("Node Type").unwrap_or("node");
    let mut name = String::new();
    if p.get("Parallel Aware").and_then(Value::as_bool) == Some(true) {
        name.push_str("Parallel ");
    }
    match s("Partial Mode") {
        Some("Partial") => name.push_str("Partial "),
        Some("Finalize") => name.push_str("Finalize "),
        _ => {}
    }
    let base = match (node_type, s("Strategy")) {
        ("Aggregate", Some("Hashed")) => "HashAggregate",
        ("Aggregate", Some("Sorted")) => "GroupAggregate",
        ("Aggregate", Some("Mixed")) => "MixedAggregate",
        ("SetOp", Some("Hashed")) => "HashSetOp",
        ("ModifyTable", _) => s("Operation").unwrap_or(node_type),
        _ => node_type,
    };
    match s("Join Type").filter(|j| *j != "Inner") {
        // `Hash Left Join`, `Nested Loop Anti Join`
        Some(j) => {
            let stem = base.strip_suffix(" Join").unwrap_or(base);
            name.push_str(&format!("{stem} {j} Join"));
        }
        None => name.push_str(base),
    }
    if s("Scan Direction") == Some("Backward") {
        name.push_str(" Backward");
    }
    let index = s("Index Name");
    if node_type == "Bitmap Index Scan" {
        name.push_str(&format!(" on {}", index.unwrap_or("?")));
        return name;
    }
    if let Some(i) = index {
        name.push_str(&format!(" using {i}"));
    }
    let object = [
        "Relation Name",
        "Function Name",
        "CTE Name",
        "Tuplestore Name",
    ]
    .into_iter()
    .find_map(s);
    let alias = s("Alias");
    if object.is_some() || alias.is_some() {
        name.push_str(" on");
        if let Some(o) = object {
            name.push_str(&format!(" {o}"));
        }
        if let Some(a) = alias.filter(|a| Some(*a) != object) {
            name.push_str(&format!(" {a}"));
        }
    }
    name
}

/// The nodes of a JSON plan node and those under it, parent first, appended
/// to `out`.
pub(super) fn json_nodes(p: &Value, parent: Option<usize>, out: &mut Vec<Node>) {
    let f = |k: &str| p.get(k).and_then(Value::as_f64);
    let mut parent = parent;
    if let Some(mut l) = p
        .get("Subplan Name")
        .and_then(Value::as_str)
        .and_then(label)
    {
        l.parent = parent;
        out.push(l);
        parent = Some(out.len() - 1);
    }
    let name = json_name(p);
    let loops = f("Actual Loops");
    out.push(Node {
        kind: kind_of(&name),
        name,
        parent,
        est_rows: f("Plan Rows"),
        // a node never executed reports 0 rows of 0 loops
        rows: f("Actual Rows").filter(|_| loops != Some(0.0)),
        loops,
        removed_by_filter: f("Rows Removed by Filter"),
        sort_disk: (p.get("Sort Space Type").and_then(Value::as_str) == Some("Disk"))
            .then(|| format!("{:.0} kB", f("Sort Space Used").unwrap_or(0.0))),
        // a HashAggregate names its batches apart
        batches: f("Hash Batches").or_else(|| f("HashAgg Batches")),
    });
    let me = Some(out.len() - 1);
    if let Some(Value::Array(children)) = p.get("Plans") {
        for c in children {
            json_nodes(c, me, out);
        }
    }
}
