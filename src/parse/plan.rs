//! auto_explain plans: `duration: X ms  plan:` followed by `Query Text: ...` and the
//! plan, in text or JSON format. Finds the statement the plan belongs to and the
//! red flags a DBA looks for first.

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

/// Thresholds for red flags.
const ROWS_REMOVED: u64 = 1000;
const LOOPS: u64 = 1000;
const MISESTIMATE: u64 = 10;

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
    let flags = text_flags(&text);
    Some(Plan {
        us,
        query,
        text,
        flags,
    })
}

fn num(s: &str, key: &str) -> Option<f64> {
    let i = s.find(key)? + key.len();
    let r = &s[i..];
    let end = r
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(r.len());
    r[..end].parse().ok()
}

fn misestimate(node: &str, estimated: f64, actual: f64) -> Option<String> {
    let (lo, hi) = (estimated.min(actual).max(1.0), estimated.max(actual));
    (hi >= 100.0 && hi / lo >= MISESTIMATE as f64).then(|| {
        format!(
            "{node}: estimated {estimated:.0} rows, actual {actual:.0} (off by {:.0}x)",
            hi / lo
        )
    })
}

/// Red flags in a text plan.
fn text_flags(plan: &str) -> Vec<String> {
    let mut flags = Vec::new();
    let mut node = String::new();
    for line in plan.lines() {
        let t = line.trim_start().trim_start_matches("->").trim_start();
        if let Some(i) = t.find("  (cost=").or_else(|| t.find("  (actual")) {
            node = t[..i].to_string();
            let est = num(t, "rows=");
            let actual = t.find("(actual").and_then(|a| num(&t[a..], "rows="));
            let loops = t
                .find("(actual")
                .and_then(|a| num(&t[a..], "loops="))
                .unwrap_or(1.0);
            if let (Some(e), Some(a)) = (est, actual) {
                flags.extend(misestimate(&node, e, a));
            }
            if loops >= LOOPS as f64 {
                flags.push(format!("{node} runs {loops:.0} times (nested loop)"));
            }
        } else if let Some(n) = num(t, "Rows Removed by Filter: ") {
            if node.starts_with("Seq Scan") && n >= ROWS_REMOVED as f64 {
                flags.push(format!(
                    "{node} removes {n:.0} rows by filter: an index may help"
                ));
            }
        } else if t.starts_with("Sort Method: external") {
            flags.push(format!(
                "Sort spilled to disk ({})",
                t.trim_start_matches("Sort Method: ")
            ));
        } else if let Some(b) = num(t, "Batches: ")
            && b > 1.0
        {
            flags.push(format!("{node} spilled to disk ({b:.0} batches)"));
        }
    }
    flags
}

fn json_plan(us: u64, body: &str) -> Option<Plan> {
    let v: Value = serde_json::from_str(body).ok()?;
    let v = if let Value::Array(a) = &v {
        a.first()?.clone()
    } else {
        v
    };
    let query = v.get("Query Text")?.as_str()?.to_string();
    let mut flags = Vec::new();
    if let Some(p) = v.get("Plan") {
        json_flags(p, &mut flags);
    }
    Some(Plan {
        us,
        query,
        text: body.to_string(),
        flags,
    })
}

fn json_flags(p: &Value, flags: &mut Vec<String>) {
    let f = |k: &str| p.get(k).and_then(Value::as_f64);
    let node_type = p.get("Node Type").and_then(Value::as_str).unwrap_or("node");
    let node = match p.get("Relation Name").and_then(Value::as_str) {
        Some(r) => format!("{node_type} on {r}"),
        None => node_type.to_string(),
    };
    if let (Some(e), Some(a)) = (f("Plan Rows"), f("Actual Rows")) {
        flags.extend(misestimate(&node, e, a));
    }
    if f("Actual Loops").unwrap_or(1.0) >= LOOPS as f64 {
        flags.push(format!(
            "{node} runs {:.0} times (nested loop)",
            f("Actual Loops").unwrap_or(0.0)
        ));
    }
    if node_type == "Seq Scan" && f("Rows Removed by Filter").unwrap_or(0.0) >= ROWS_REMOVED as f64
    {
        flags.push(format!(
            "{node} removes {:.0} rows by filter: an index may help",
            f("Rows Removed by Filter").unwrap_or(0.0)
        ));
    }
    if p.get("Sort Space Type").and_then(Value::as_str) == Some("Disk") {
        flags.push(format!(
            "Sort spilled to disk ({:.0} kB)",
            f("Sort Space Used").unwrap_or(0.0)
        ));
    }
    if f("Hash Batches").unwrap_or(1.0) > 1.0 {
        flags.push(format!(
            "{node} spilled to disk ({:.0} batches)",
            f("Hash Batches").unwrap_or(0.0)
        ));
    }
    if let Some(Value::Array(children)) = p.get("Plans") {
        for c in children {
            json_flags(c, flags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_plan_with_flags() {
        let body = "\nQuery Text: SELECT *\n  FROM orders WHERE status = 'x'\nSeq Scan on orders  (cost=0.00..1000.00 rows=10 width=40) (actual time=0.01..12.00 rows=5000 loops=1)\n  Filter: (status = 'x'::text)\n  Rows Removed by Filter: 45000\nSort  (cost=1.0..2.0 rows=100 width=4) (actual time=1..2 rows=100 loops=1)\n  Sort Method: external merge  Disk: 1024kB";
        let p = parse(250_000, body).unwrap();
        assert_eq!(p.query, "SELECT *\n  FROM orders WHERE status = 'x'");
        assert!(p.text.starts_with("Seq Scan on orders"));
        assert!(
            p.flags.iter().any(|f| f.contains("removes 45000 rows")),
            "{:?}",
            p.flags
        );
        assert!(
            p.flags
                .iter()
                .any(|f| f.contains("estimated 10 rows, actual 5000")),
            "{:?}",
            p.flags
        );
        assert!(
            p.flags
                .iter()
                .any(|f| f.starts_with("Sort spilled to disk")),
            "{:?}",
            p.flags
        );
    }

    #[test]
    fn query_parameters_are_not_part_of_the_query() {
        let body = "Query Text: SELECT * FROM t WHERE id = $1\nQuery Parameters: $1 = '42'\nIndex Scan using t_pkey on t  (cost=0.1..8.1 rows=1 width=4) (actual time=0.01..0.01 rows=1 loops=1)";
        assert_eq!(
            parse(1, body).unwrap().query,
            "SELECT * FROM t WHERE id = $1"
        );
    }

    #[test]
    fn json_plan_with_flags() {
        let body = r#"{"Query Text": "SELECT 1", "Plan": {"Node Type": "Nested Loop", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Plans": [{"Node Type": "Index Scan", "Relation Name": "items", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 5000}, {"Node Type": "Hash", "Hash Batches": 4}]}}"#;
        let p = parse(1000, body).unwrap();
        assert_eq!(p.query, "SELECT 1");
        assert!(
            p.flags
                .iter()
                .any(|f| f == "Index Scan on items runs 5000 times (nested loop)"),
            "{:?}",
            p.flags
        );
        assert!(
            p.flags.iter().any(|f| f.contains("4 batches")),
            "{:?}",
            p.flags
        );
    }
}
