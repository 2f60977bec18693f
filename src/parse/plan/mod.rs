//! auto_explain plans: `duration: X ms  plan:` followed by `Query Text: ...` and the
//! plan, in text or JSON format. Finds the statement the plan belongs to and the
//! red flags a DBA looks for first.
//!
//! The parts: `nodes` reads a text or JSON plan into its nodes and their
//! figures, `flags` judges them; this module splits the statement from the plan.

mod flags;
pub use flags::MAX_KEPT_SHARE;
mod nodes;

use serde_json::Value;

/// A plan entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub us: u64,
    /// The statement (from `Query Text`).
    pub query: String,
    /// The plan as logged (without the query text for text plans).
    pub text: String,
    pub flags: Vec<String>,
}

/// Parses the body after `duration: X ms  plan:`.
pub fn parse(us: u64, body: &str) -> Option<Plan> {
    let body = body.trim_start_matches(['\n', ' ']);
    if body.starts_with('{') || body.starts_with('[') {
        return json_plan(us, body);
    }
    let rest = body.trim_start().strip_prefix("Query Text: ")?;
    // The plan starts at the first line that looks like a plan node.
    let lines: Vec<&str> = rest.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("(cost=") || l.contains("(actual "))
        .unwrap_or(lines.len());
    // PostgreSQL 16 adds `Query Parameters: $1 = '...'` after the query text
    let query_end = lines[..start]
        .iter()
        .position(|l| l.trim_start().starts_with("Query Parameters:"))
        .unwrap_or(start);
    let query = lines[..query_end].join("\n");
    let text = lines[start..].join("\n");
    let flags = flags::flags(&nodes::text_nodes(&text));
    Some(Plan {
        us,
        query,
        text,
        flags,
    })
}

/// A JSON plan (`auto_explain.log_format = json`): the statement from its
/// `Query Text`, the whole body as the plan.
fn json_plan(us: u64, body: &str) -> Option<Plan> {
    let v: Value = serde_json::from_str(body).ok()?;
    let v = if let Value::Array(a) = &v {
        a.first()?.clone()
    } else {
        v
    };
    let query = v.get("Query Text")?.as_str()?.to_string();
    let mut nodes = Vec::new();
    if let Some(p) = v.get("Plan") {
        nodes::json_nodes(p, None, &mut nodes);
    }
    let flags = flags::flags(&nodes);
    Some(Plan {
        us,
        query,
        text: body.to_string(),
        flags,
    })
}

/// The nodes of a plan as [`Plan::text`] holds it: a text plan, or a JSON body.
fn nodes_of(text: &str) -> Vec<nodes::Node> {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return nodes::text_nodes(text);
    }
    let Ok(v) = serde_json::from_str::<Value>(t) else {
        return Vec::new();
    };
    let v = match v {
        Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
        v => v,
    };
    let mut out = Vec::new();
    if let Some(p) = v.get("Plan") {
        nodes::json_nodes(p, None, &mut out);
    }
    out
}

/// The smallest share of the rows it read that a sequential scan of `table`
/// (as the plan names it, with or without its schema) kept: actual rows over
/// actual rows plus `Rows Removed by Filter`, per loop or per worker alike;
/// none when no scan of it has actual counts (a plan without ANALYZE) or it
/// read no row.
pub fn seq_scan_kept_share(text: &str, table: &str) -> Option<f64> {
    let on_table = |n: &nodes::Node| {
        n.name
            .split(" on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|r| r == table || r.rsplit('.').next() == Some(table))
    };
    nodes_of(text)
        .iter()
        .filter(|n| n.kind == "Seq Scan" && on_table(n))
        .filter_map(|n| {
            let kept = n.rows?;
            let all = kept + n.removed_by_filter.unwrap_or(0.0);
            (all > 0.0).then(|| kept / all)
        })
        .reduce(f64::min)
}

#[cfg(test)]
mod tests;
