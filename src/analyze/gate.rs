//! The regression gate (`pgsift check`): a run's audit against an earlier
//! run's, both as their JSON, judged by thresholds: a query's p95 up by more
//! than N% (and M ms) with enough executions in both runs, total statement
//! time up by N%, new error SQLSTATEs, new queries slower than X ms, new
//! deadlocks, checkpoints too frequent. Works on the JSON (schema_version 1)
//! so a baseline written by an older pgsift still reads.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What counts as a regression. The defaults work without any flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// A query's p95 grew by more than this share (0.5: +50%)...
    pub p95_increase: f64,
    /// ...and by at least this much (ms): sub-millisecond noise is no regression...
    pub p95_increase_min_ms: f64,
    /// ...with at least this many timed executions in both runs.
    pub min_executions: u64,
    /// Total statement time grew by more than this share (off by default: it
    /// follows the length of the window and the traffic).
    pub total_increase: Option<f64>,
    /// A query absent from the baseline has a p95 above this (ms).
    pub new_query_ms: Option<f64>,
    /// An error SQLSTATE absent from the baseline.
    pub new_errors: bool,
    /// More deadlocks than the baseline.
    pub new_deadlocks: bool,
    /// More checkpoints too close together than the baseline.
    pub checkpoints: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            p95_increase: 0.5,
            p95_increase_min_ms: 1.0,
            min_executions: 10,
            total_increase: None,
            new_query_ms: Some(1000.0),
            new_errors: true,
            new_deadlocks: true,
            checkpoints: true,
        }
    }
}

impl Thresholds {
    /// Applies a thresholds file: `key = value` lines (a TOML subset; `#`
    /// starts a comment): `p95_increase_pct`, `p95_increase_min_ms`,
    /// `min_executions`, `total_increase_pct`, `new_query_ms` (a number, or
    /// `false` to turn a rule off), `new_errors`, `new_deadlocks`,
    /// `checkpoints_too_frequent` (`true`/`false`).
    pub fn apply_file(&mut self, text: &str) -> Result<(), String> {
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = || format!("line {}", n + 1);
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("{}: expected key = value, not {line:?}", at()))?;
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            let num = || {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("{}: {k} must be a number >= 0, not {v:?}", at()))
            };
            let off_or = |x: &mut Option<f64>, scale: f64| -> Result<(), String> {
                *x = match v {
                    "false" | "off" => None,
                    _ => Some(num()? * scale),
                };
                Ok(())
            };
            let flag = || match v {
                "true" | "on" => Ok(true),
                "false" | "off" => Ok(false),
                _ => Err(format!("{}: {k} must be true or false, not {v:?}", at())),
            };
            match k {
                "p95_increase_pct" => self.p95_increase = num()? / 100.0,
                "p95_increase_min_ms" => self.p95_increase_min_ms = num()?,
                "min_executions" => self.min_executions = num()? as u64,
                "total_increase_pct" => off_or(&mut self.total_increase, 0.01)?,
                "new_query_ms" => off_or(&mut self.new_query_ms, 1.0)?,
                "new_errors" => self.new_errors = flag()?,
                "new_deadlocks" => self.new_deadlocks = flag()?,
                "checkpoints_too_frequent" => self.checkpoints = flag()?,
                _ => return Err(format!("{}: unknown threshold {k:?}", at())),
            }
        }
        Ok(())
    }

    /// The thresholds in force, for the run's last line.
    pub fn describe(&self) -> String {
        let mut d = vec![format!(
            "p95 +{:.0}% and +{} ms with {}+ executions",
            self.p95_increase * 100.0,
            self.p95_increase_min_ms,
            self.min_executions
        )];
        if let Some(t) = self.total_increase {
            d.push(format!("total time +{:.0}%", t * 100.0));
        }
        if let Some(ms) = self.new_query_ms {
            d.push(format!("new queries over {ms} ms"));
        }
        for (on, what) in [
            (self.new_errors, "new SQLSTATEs"),
            (self.new_deadlocks, "new deadlocks"),
            (self.checkpoints, "checkpoints too frequent"),
        ] {
            if on {
                d.push(what.to_string());
            }
        }
        d.join(", ")
    }
}

/// One threshold crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `p95`, `total`, `new-query`, `new-error`, `deadlocks`, `checkpoints`.
    pub rule: &'static str,
    /// What crossed it, with both figures.
    pub text: String,
}

/// What the gate found.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub violations: Vec<Violation>,
    /// Queries found in both runs.
    pub compared: usize,
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn ms(x: f64) -> String {
    crate::units::duration_ms(x)
}

/// A query named in a line: its fingerprint and the start of its text.
fn name(q: &Value) -> String {
    let text: String = q["normalized"]
        .as_str()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "query {} ({})",
        q["fingerprint"].as_str().unwrap_or("?"),
        crate::units::short(&text, 70)
    )
}

/// Judges `current` against `baseline` (both JSON audits).
pub fn judge(baseline: &Value, current: &Value, t: &Thresholds) -> Verdict {
    let mut v = Verdict::default();
    let before = super::compare::queries_by_fingerprint(baseline);
    for (fp, q) in super::compare::queries_by_fingerprint(current) {
        // a query the baseline saw too rarely to judge its p95 is held to the
        // new-query rule
        let known = before
            .get(fp)
            .filter(|b| n(&b["count"]) >= t.min_executions);
        match known {
            Some(b) => {
                v.compared += 1;
                p95(&mut v, b, q, t);
            }
            None => {
                if let Some(limit) = t.new_query_ms
                    && f(&q["p95_ms"]) > limit
                {
                    v.violations.push(Violation {
                        rule: "new-query",
                        text: format!(
                            "new slow {}: p95 {} over {} ({} executions)",
                            name(q),
                            ms(f(&q["p95_ms"])),
                            ms(limit),
                            n(&q["count"])
                        ),
                    });
                }
            }
        }
    }
    if let Some(limit) = t.total_increase {
        let (b, c) = (
            f(&baseline["summary"]["total_duration_ms"]),
            f(&current["summary"]["total_duration_ms"]),
        );
        if b > 0.0 && c > b * (1.0 + limit) {
            v.violations.push(Violation {
                rule: "total",
                text: format!(
                    "total statement time {} -> {} (+{:.0}%, threshold +{:.0}%)",
                    ms(b),
                    ms(c),
                    (c / b - 1.0) * 100.0,
                    limit * 100.0
                ),
            });
        }
    }
    if t.new_errors {
        new_errors(&mut v, baseline, current);
    }
    let counts = [
        (
            t.new_deadlocks,
            "deadlocks",
            "/deadlocks/count",
            "deadlocks",
        ),
        (
            t.checkpoints,
            "checkpoints",
            "/checkpoints/too_frequent",
            "checkpoints too close together",
        ),
    ];
    for (on, rule, pointer, what) in counts {
        let b = baseline.pointer(pointer).map_or(0, n);
        let c = current.pointer(pointer).map_or(0, n);
        if on && c > b {
            v.violations.push(Violation {
                rule,
                text: format!("{what}: {b} -> {c}"),
            });
        }
    }
    v
}

fn p95(v: &mut Verdict, b: &Value, q: &Value, t: &Thresholds) {
    let (bc, qc) = (n(&b["count"]), n(&q["count"]));
    let (bp, qp) = (f(&b["p95_ms"]), f(&q["p95_ms"]));
    if bc < t.min_executions || qc < t.min_executions || bp <= 0.0 {
        return;
    }
    if qp > bp * (1.0 + t.p95_increase) && qp - bp >= t.p95_increase_min_ms {
        v.violations.push(Violation {
            rule: "p95",
            text: format!(
                "p95 regression of {}: {} -> {} (+{:.0}%; {} -> {} executions; threshold +{:.0}% and +{} ms)",
                name(q),
                ms(bp),
                ms(qp),
                (qp / bp - 1.0) * 100.0,
                bc,
                qc,
                t.p95_increase * 100.0,
                t.p95_increase_min_ms
            ),
        });
    }
}

/// An error's SQLSTATE (an inferred one is written `22012*`), else its message.
fn error_key(e: &Value) -> String {
    match e["sqlstate"].as_str() {
        Some(s) => s.trim_end_matches('*').to_string(),
        None => e["message"].as_str().unwrap_or("").to_string(),
    }
}

fn new_errors(v: &mut Verdict, baseline: &Value, current: &Value) {
    let known: BTreeSet<String> = baseline["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(error_key)
        .collect();
    let mut new: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for e in current["errors"].as_array().into_iter().flatten() {
        let k = error_key(e);
        if known.contains(&k) {
            continue;
        }
        // one line per violation: the log's text has no line breaks here
        let message: String = e["message"]
            .as_str()
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let entry = new.entry(k).or_insert_with(|| (0, message));
        entry.0 += n(&e["count"]);
    }
    for (k, (count, message)) in new {
        v.violations.push(Violation {
            rule: "new-error",
            text: format!(
                "new error {k}: {} ({count} time{})",
                crate::units::short(&message, 90),
                if count == 1 { "" } else { "s" }
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn audit(queries: Value, errors: Value, deadlocks: u64) -> Value {
        json!({"schema_version": 1, "queries": queries, "errors": errors,
               "deadlocks": {"count": deadlocks}, "checkpoints": {"too_frequent": 0},
               "summary": {"total_duration_ms": 1000.0}})
    }

    fn q(fp: &str, count: u64, p95: f64) -> Value {
        json!({"fingerprint": fp, "normalized": format!("select {fp}"), "count": count, "p95_ms": p95})
    }

    #[test]
    fn p95_needs_share_milliseconds_and_executions() {
        let base = audit(
            json!([q("a", 20, 2.0), q("b", 20, 0.1), q("c", 5, 2.0)]),
            json!([]),
            0,
        );
        let cur = audit(
            json!([q("a", 20, 3.5), q("b", 20, 0.5), q("c", 20, 9.0)]),
            json!([]),
            0,
        );
        let v = judge(&base, &cur, &Thresholds::default());
        // a: +75% and +1.5 ms; b: +400% but +0.4 ms; c: 5 executions before
        assert_eq!(v.violations.len(), 1, "{v:?}");
        assert!(
            v.violations[0]
                .text
                .starts_with("p95 regression of query a (select a): 2.00 ms -> 3.50 ms (+75%"),
            "{v:?}"
        );
        assert_eq!(v.compared, 2, "c is held to the new-query rule");
        let same = judge(&base, &base, &Thresholds::default());
        assert!(same.violations.is_empty());
    }

    #[test]
    fn new_errors_queries_and_deadlocks() {
        let base = audit(
            json!([]),
            json!([{"sqlstate": "22012*", "message": "division by zero", "count": 3}]),
            0,
        );
        let cur = audit(
            json!([q("n", 1, 2500.0), q("m", 1, 20.0)]),
            json!([{"sqlstate": "22012", "message": "division by zero", "count": 1},
                   {"sqlstate": "23505", "message": "duplicate key value violates unique constraint", "count": 2}]),
            2,
        );
        let v = judge(&base, &cur, &Thresholds::default());
        let rules: Vec<&str> = v.violations.iter().map(|x| x.rule).collect();
        assert_eq!(rules, ["new-query", "new-error", "deadlocks"], "{v:?}");
        assert!(
            v.violations[1]
                .text
                .starts_with("new error 23505: duplicate key")
        );
        assert_eq!(v.violations[2].text, "deadlocks: 0 -> 2");
    }

    #[test]
    fn a_thresholds_file_sets_and_turns_off() {
        let mut t = Thresholds::default();
        t.apply_file("# nightly gate\np95_increase_pct = 20\nmin_executions = 50 # busy queries only\nnew_query_ms = false\ntotal_increase_pct = 30\nnew_errors = false\n").unwrap();
        assert_eq!(t.p95_increase, 0.2);
        assert_eq!(t.min_executions, 50);
        assert_eq!(t.new_query_ms, None);
        assert_eq!(t.total_increase, Some(0.3));
        assert!(!t.new_errors);
        assert!(
            t.apply_file("p95 = 3")
                .unwrap_err()
                .contains("unknown threshold")
        );
        assert!(
            t.apply_file("min_executions = -1")
                .unwrap_err()
                .contains("number >= 0")
        );
        assert!(t.apply_file("oops").unwrap_err().starts_with("line 1"));
    }
}
