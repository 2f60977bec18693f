//! Index recommendations from query text, corroborated by evidence: per table,
//! the equality/IN columns of each query first, then at most one range column,
//! else its sort columns; skipped when an existing valid btree index already
//! starts with them; kept only when a sequential scan of that table is shown (by
//! the statistics or by an auto_explain plan); ranked by the time of the queries
//! they serve. Every candidate carries its DDL, rollback, write overhead and
//! validation steps.

use super::QueryReport;
use super::activity::PlanView;
use super::stats::{SeqScanTable, StatementReport, quote_ident as ident};
use crate::normalize::shape::{Use, shape};
use crate::stats::records::IndexDef;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many equality columns lead a candidate.
const MAX_EQ: usize = 3;
/// A candidate serving less than this share of all query time is noise.
const MIN_SHARE: f64 = 0.005;
/// At most this many recommendations.
const MAX_RECOMMENDATIONS: usize = 10;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexRecommendation {
    /// The database to run it in (null when the statistics do not name it).
    pub database: Option<String>,
    /// `schema.table` (as the statistics name it, or as the queries write it).
    pub table: String,
    pub columns: Vec<String>,
    /// The index name proposed.
    pub index: String,
    pub create: String,
    pub rollback: String,
    /// Time of the queries it serves (pg_stat_statements totals when the query
    /// is there, else the log's), ms.
    pub served_ms: f64,
    /// The queries it serves, by fingerprint (most time first).
    pub queries: Vec<String>,
    /// `seq_scan_stats` (pg_stat_user_tables) and/or `plan` (auto_explain).
    pub evidence: Vec<String>,
    /// Sequential scans of the table in the window, rows read by them, live rows.
    pub seq_scan: Option<u64>,
    pub seq_tup_read: Option<u64>,
    pub n_live_tup: Option<u64>,
    /// Existing indexes on the table (null: definitions not exported).
    pub existing_indexes: Option<usize>,
    /// An existing index it extends (same leading columns).
    pub extends: Option<String>,
    pub write_overhead: String,
    pub verify: Vec<String>,
    pub caveats: Vec<String>,
    pub target: String,
}

/// One query that could use an index: its text and time.
struct Served<'a> {
    fingerprint: &'a str,
    normalized: &'a str,
    served_ms: f64,
    p95_ms: Option<f64>,
    database: Option<&'a str>,
}

/// At most this many columns in a candidate.
const MAX_COLUMNS: usize = 3;

/// A candidate's columns for one table of one query, and how many of them are
/// equalities: equality/IN/IS NULL columns first, then at most one range column,
/// else the sort columns. With `joins`, join columns lead (the table is then the
/// inner side of a nested loop, looked up by them).
fn candidate(uses: &[&crate::normalize::shape::ColumnUse], joins: bool) -> (Vec<String>, usize) {
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
fn covers(def: &IndexDef, cols: &[String], eq_len: usize) -> bool {
    if !def.valid || def.shape.predicate.is_some() || def.shape.method != "btree" {
        return false;
    }
    let keys: Vec<Option<String>> = def
        .shape
        .keys
        .iter()
        .map(|k| crate::stats::indexdef::IndexShape::key_column(k).map(|c| c.to_ascii_lowercase()))
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

/// Finds the table in the statistics: exact `schema.name`, else by name
/// (preferring the query's database, then `public`).
fn find_table<'a>(
    dbs: &'a [DatabaseStats],
    table: &str,
    database: Option<&str>,
) -> Option<(&'a DatabaseStats, String, String)> {
    let (schema, name) = match table.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, table),
    };
    let mut best: Option<(u8, &DatabaseStats, String, String)> = None;
    for d in dbs {
        let names = d
            .view
            .tables
            .iter()
            .map(|t| (t.schema.as_str(), t.name.as_str()))
            .chain(
                d.view
                    .index_defs
                    .iter()
                    .map(|x| (x.schema.as_str(), x.table.as_str())),
            );
        for (s, n) in names {
            if !n.eq_ignore_ascii_case(name) || schema.is_some_and(|q| !q.eq_ignore_ascii_case(s)) {
                continue;
            }
            let score = u8::from(database.is_some() && d.view.database.as_deref() == database) * 2
                + u8::from(s == "public");
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, d, s.to_string(), n.to_string()));
            }
        }
    }
    best.map(|(_, d, s, n)| (d, s, n))
}

/// Builds the recommendations.
pub(crate) fn build(
    queries: &[QueryReport],
    statements: &[StatementReport],
    plans: &[PlanView],
    dbs: &[DatabaseStats],
    seq_heavy: &[SeqScanTable],
) -> Vec<IndexRecommendation> {
    // every query once: pg_stat_statements time when there, else the log's
    let mut served: BTreeMap<&str, Served> = BTreeMap::new();
    for q in queries.iter().filter(|q| q.count > 0) {
        served.insert(
            q.fingerprint.as_str(),
            Served {
                fingerprint: &q.fingerprint,
                normalized: &q.normalized,
                served_ms: q.total_ms,
                p95_ms: q.p95_ms,
                database: q
                    .databases
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map(|(d, _)| d.as_str()),
            },
        );
    }
    let mut pgss_ms: BTreeMap<&str, f64> = BTreeMap::new();
    for s in statements {
        *pgss_ms.entry(s.fingerprint.as_str()).or_default() += s.total_ms;
    }
    for s in statements {
        let e = served.entry(s.fingerprint.as_str()).or_insert(Served {
            fingerprint: &s.fingerprint,
            normalized: &s.normalized,
            served_ms: 0.0,
            p95_ms: None,
            database: s.database.as_deref(),
        });
        e.served_ms = pgss_ms[s.fingerprint.as_str()];
    }
    let plan_of: BTreeMap<&str, &PlanView> =
        plans.iter().map(|p| (p.fingerprint.as_str(), p)).collect();
    struct Acc<'a> {
        table: String,
        schema: Option<String>,
        db: Option<&'a DatabaseStats>,
        columns: Vec<String>,
        served_ms: f64,
        queries: Vec<(f64, String, Option<f64>)>,
        evidence: BTreeSet<String>,
    }
    let mut acc: BTreeMap<(String, Vec<String>), Acc> = BTreeMap::new();
    for s in served.values() {
        let sh = shape(s.normalized);
        if !sh.reads {
            continue;
        }
        for table in &sh.tables {
            let uses: Vec<_> = sh.uses.iter().filter(|u| &u.table == table).collect();
            let found = find_table(dbs, table, s.database);
            let (schema, name) = match &found {
                Some((_, sc, n)) => (Some(sc.clone()), n.clone()),
                None => (None, table.rsplit('.').next().unwrap_or(table).to_string()),
            };
            let existing: Vec<&IndexDef> = match &found {
                Some((d, sc, n)) => d
                    .view
                    .index_defs
                    .iter()
                    .filter(|x| &x.schema == sc && &x.table == n)
                    .collect(),
                None => Vec::new(),
            };
            // the table's own filters, when an index already serves them, are
            // enough: it is the outer side, its join columns are not looked up
            let (own, own_eq) = candidate(&uses, false);
            if !own.is_empty() && existing.iter().any(|x| covers(x, &own, own_eq)) {
                continue;
            }
            let has_join = uses.iter().any(|u| u.usage == Use::Join);
            let (mut cols, mut eq_len) = if has_join {
                candidate(&uses, true)
            } else {
                (own, own_eq)
            };
            // `a = $1 OR b = $2`: alternatives, not one composite key
            if sh.has_or {
                cols.truncate(1);
                eq_len = eq_len.min(1);
            }
            if cols.is_empty() || existing.iter().any(|x| covers(x, &cols, eq_len)) {
                continue;
            }
            let leading_indexed = existing.iter().any(|x| {
                x.valid
                    && x.shape.predicate.is_none()
                    && x.shape
                        .keys
                        .first()
                        .and_then(|k| crate::stats::indexdef::IndexShape::key_column(k))
                        .map(|k| k.to_ascii_lowercase())
                        == cols.first().cloned()
            });
            let qualified = match &schema {
                Some(sc) => format!("{sc}.{name}"),
                None => name.clone(),
            };
            let mut evidence = BTreeSet::new();
            let db = found.as_ref().and_then(|f| f.0.view.database.clone());
            if seq_heavy
                .iter()
                .any(|t| t.table == qualified && found.is_some() && t.database == db)
            {
                evidence.insert("seq_scan_stats".to_string());
            }
            if let Some(p) = plan_of.get(s.fingerprint)
                && plan_seq_scans(&p.text, &name)
            {
                evidence.insert("plan".to_string());
            }
            // an index already leads with the first column: only the query's own
            // plan can show that it is not used
            if evidence.is_empty() || (leading_indexed && !evidence.contains("plan")) {
                continue;
            }
            let a = acc
                .entry((qualified.clone(), cols.clone()))
                .or_insert_with(|| Acc {
                    table: name.clone(),
                    schema: schema.clone(),
                    db: found.as_ref().map(|f| f.0),
                    columns: cols.clone(),
                    served_ms: 0.0,
                    queries: Vec::new(),
                    evidence: BTreeSet::new(),
                });
            a.served_ms += s.served_ms;
            a.queries
                .push((s.served_ms, s.fingerprint.to_string(), s.p95_ms));
            a.evidence.extend(evidence);
        }
    }
    // candidates of one table with the same leading column serve each other's
    // queries (at least by that column): keep the one serving the most time
    let total_ms: f64 = served.values().map(|s| s.served_ms).sum();
    let mut merged: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let mut all: Vec<((String, Vec<String>), Acc)> = acc.into_iter().collect();
    all.sort_by(|a, b| b.1.served_ms.total_cmp(&a.1.served_ms).then(a.0.cmp(&b.0)));
    for ((table, cols), a) in all {
        match merged.get_mut(&(table.clone(), cols[0].clone())) {
            Some(m) => {
                m.served_ms += a.served_ms;
                m.queries.extend(a.queries);
                m.evidence.extend(a.evidence);
            }
            None => {
                merged.insert((table, cols[0].clone()), a);
            }
        }
    }
    let mut used_names: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    let mut out: Vec<IndexRecommendation> = merged
        .into_values()
        .filter(|a| a.served_ms >= MIN_SHARE * total_ms)
        .map(|mut a| {
            a.queries
                .sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            let qualified = match &a.schema {
                Some(sc) => format!("{sc}.{}", a.table),
                None => a.table.clone(),
            };
            let sql_table = match &a.schema {
                Some(sc) => format!("{}.{}", ident(sc), ident(&a.table)),
                None => ident(&a.table),
            };
            // a name no index of the schema has (the rollback must never drop
            // someone else's index), within PostgreSQL's 63 bytes
            let taken: BTreeSet<String> = a
                .db
                .map(|d| {
                    d.view
                        .index_defs
                        .iter()
                        .filter(|x| Some(&x.schema) == a.schema.as_ref())
                        .map(|x| x.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            let name = index_name(&a.table, &a.columns, |n| {
                taken.contains(n) || used_names.contains(&(a.schema.clone(), n.to_string()))
            });
            used_names.insert((a.schema.clone(), name.clone()));
            let sql_name = match &a.schema {
                Some(sc) => format!("{}.{}", ident(sc), ident(&name)),
                None => ident(&name),
            };
            let cols: Vec<String> = a.columns.iter().map(|c| ident(c)).collect();
            let plain_name = ident(&name);
            let heavy = seq_heavy.iter().find(|t| t.table == qualified);
            let (defs, tstat, partitioned) = match a.db {
                Some(d) => {
                    let defs: Vec<&IndexDef> = d
                        .view
                        .index_defs
                        .iter()
                        .filter(|x| Some(&x.schema) == a.schema.as_ref() && x.table == a.table)
                        .collect();
                    let t = d
                        .view
                        .tables
                        .iter()
                        .find(|t| Some(&t.schema) == a.schema.as_ref() && t.name == a.table);
                    let p = d.view.table_sizes.iter().any(|s| {
                        Some(&s.schema) == a.schema.as_ref()
                            && s.name == a.table
                            && s.relkind.as_deref() == Some("p")
                    });
                    (
                        d.view.views.contains("index definitions").then_some(defs),
                        t,
                        p,
                    )
                }
                None => (None, None, false),
            };
            let extends = defs.as_ref().and_then(|defs| {
                defs.iter()
                    .find(|x| {
                        x.valid
                            && x.shape.predicate.is_none()
                            && x.shape.keys.first().and_then(|k| {
                                crate::stats::indexdef::IndexShape::key_column(k)
                            }) == a.columns.first().cloned()
                    })
                    .map(|x| format!("{}.{}", x.schema, x.name))
            });
            let writes = tstat.map(|t| t.writes());
            let write_overhead = format!(
                "Every insert, and every update that changes an indexed column or is not HOT, also writes this index{}{}. Expect slightly slower writes and more WAL; measure them before and after.",
                match &defs {
                    Some(d) => format!(" (the table has {} index(es) now)", d.len()),
                    None => String::new(),
                },
                match writes {
                    Some(w) => format!("; {w} rows were written in the statistics window"),
                    None => String::new(),
                }
            );
            let top = &a.queries[0];
            let mut caveats = vec![
                "CREATE INDEX CONCURRENTLY does not block writes, takes longer, cannot run inside a transaction block, and leaves an INVALID index if it fails (drop it and retry).".to_string(),
            ];
            if partitioned {
                caveats.push("This is a partitioned table: CONCURRENTLY is not supported on the parent. Create the index CONCURRENTLY on each partition, then CREATE INDEX ON ONLY the parent and ALTER INDEX ... ATTACH PARTITION each one.".into());
            } else {
                caveats.push("On a partitioned table CONCURRENTLY does not apply to the parent: index each partition instead.".into());
            }
            if defs.is_none() {
                caveats.push("Existing indexes were not exported: check that none already starts with these columns (\\d table).".into());
            }
            IndexRecommendation {
                database: a.db.and_then(|d| d.view.database.clone()),
                table: qualified.clone(),
                columns: a.columns.clone(),
                create: format!(
                    "CREATE INDEX CONCURRENTLY {} ON {sql_table} ({});",
                    ident(&name),
                    cols.join(", ")
                ),
                rollback: format!("DROP INDEX CONCURRENTLY IF EXISTS {sql_name};"),
                index: name,
                served_ms: super::round3(a.served_ms),
                queries: a.queries.iter().map(|q| q.1.clone()).collect(),
                evidence: a.evidence.into_iter().collect(),
                seq_scan: heavy.map(|h| h.seq_scan),
                seq_tup_read: heavy.map(|h| h.seq_tup_read),
                n_live_tup: heavy.map(|h| h.n_live_tup),
                existing_indexes: defs.as_ref().map(Vec::len),
                extends,
                write_overhead,
                verify: vec![
                    format!("Before and after: EXPLAIN (ANALYZE, BUFFERS) of query {} with real parameters; the plan should change from Seq Scan on {} to an Index Scan using the new index, with far fewer buffers.", top.1, a.table),
                    format!("Without building it: CREATE EXTENSION hypopg; SELECT * FROM hypopg_create_index('CREATE INDEX ON {sql_table} ({})'); then EXPLAIN the query (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) with $n parameters).", cols.join(", ")),
                    format!("After: pg_stat_user_indexes.idx_scan of {} grows and pg_stat_user_tables.seq_scan of {} stops growing.", plain_name, qualified),
                ],
                caveats,
                target: match (heavy, top.2) {
                    (Some(h), Some(p95)) => format!(
                        "sequential scans of {qualified}: {} in the window -> near 0; p95 of the main query {:.1} ms -> a few ms (an index lookup reads a handful of pages, not {} rows)",
                        h.seq_scan, p95, h.n_live_tup
                    ),
                    (Some(h), None) => format!(
                        "sequential scans of {qualified}: {} in the window -> near 0 (each read {} rows)",
                        h.seq_scan, h.rows_per_seq_scan
                    ),
                    (None, Some(p95)) => format!(
                        "p95 of the main query {p95:.1} ms -> a few ms, with an Index Scan instead of a Seq Scan in its plan"
                    ),
                    (None, None) => "an Index Scan instead of a Seq Scan in the query's plan".into(),
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.served_ms
            .total_cmp(&a.served_ms)
            .then(a.table.cmp(&b.table))
            .then(a.columns.cmp(&b.columns))
    });
    out.truncate(MAX_RECOMMENDATIONS);
    out
}

/// `table_cols_idx`, cut to 63 bytes on a character boundary, made unique with
/// a number when `taken` says the name exists.
fn index_name(table: &str, columns: &[String], taken: impl Fn(&str) -> bool) -> String {
    let base = format!("{table}_{}", columns.join("_"));
    for n in 0.. {
        let suffix = if n == 0 {
            "_idx".to_string()
        } else {
            format!("_idx{n}")
        };
        let mut cut = 63 - suffix.len();
        while cut < base.len() && !base.is_char_boundary(cut) {
            cut -= 1;
        }
        let name = format!("{}{suffix}", &base[..cut.min(base.len())]);
        if !taken(&name) {
            return name;
        }
    }
    unreachable!("some suffix is free")
}

/// Whether a plan (text or JSON) has a Seq Scan node on `table` itself.
fn plan_seq_scans(plan: &str, table: &str) -> bool {
    fn walk(v: &serde_json::Value, table: &str) -> bool {
        match v {
            serde_json::Value::Object(m) => {
                (m.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan")
                    && m.get("Relation Name").and_then(|t| t.as_str()) == Some(table))
                    || m.values().any(|x| walk(x, table))
            }
            serde_json::Value::Array(a) => a.iter().any(|x| walk(x, table)),
            _ => false,
        }
    }
    if let Some(start) = plan.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&plan[start..])
    {
        return walk(&v, table);
    }
    let needle = format!("Seq Scan on {table}");
    plan.match_indices(&needle).any(|(i, _)| {
        plan[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::shape::ColumnUse;

    fn cu(c: &str, u: Use) -> ColumnUse {
        ColumnUse {
            table: "t".into(),
            column: c.into(),
            usage: u,
            desc: false,
        }
    }

    #[test]
    fn equality_first_then_one_range_else_sort() {
        let a = [
            cu("created_at", Use::Range),
            cu("customer_id", Use::Eq),
            cu("status", Use::Eq),
            cu("total", Use::Range),
        ];
        let r: Vec<&ColumnUse> = a.iter().collect();
        assert_eq!(
            candidate(&r, false),
            (
                vec![
                    "customer_id".to_string(),
                    "status".into(),
                    "created_at".into()
                ],
                2
            )
        );
        let b = [cu("customer_email", Use::Eq), cu("id", Use::OrderBy)];
        let r: Vec<&ColumnUse> = b.iter().collect();
        assert_eq!(
            candidate(&r, false),
            (vec!["customer_email".to_string(), "id".into()], 1)
        );
        let j = [cu("status", Use::Eq), cu("customer_email", Use::Join)];
        let r: Vec<&ColumnUse> = j.iter().collect();
        assert_eq!(candidate(&r, true).0, ["customer_email", "status"]);
        assert_eq!(candidate(&r, false).0, ["status"]);
    }

    #[test]
    fn names_fit_and_never_reuse_one() {
        let cols = vec![
            "empföökontonummer".to_string(),
            "überweisungsdatum".to_string(),
        ];
        let n = index_name(
            "überweisungsaufträge_der_kunden_im_ausland",
            &cols,
            |_| false,
        );
        assert!(n.len() <= 63 && n.ends_with("_idx"), "{n}");
        let taken = "payments_gateway_txn_id_idx".to_string();
        let n = index_name("payments", &["gateway_txn_id".into()], |x| x == taken);
        assert_eq!(n, "payments_gateway_txn_id_idx1");
    }

    #[test]
    fn plan_evidence_is_the_node_on_that_table() {
        assert!(plan_seq_scans("Seq Scan on orders  (cost=...)", "orders"));
        assert!(!plan_seq_scans(
            "Seq Scan on orders_archive  (cost=...)",
            "orders"
        ));
        let json = r#"{"Plan": {"Node Type": "Nested Loop", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "orders"},
            {"Node Type": "Index Scan", "Relation Name": "customers"}]}}"#;
        assert!(plan_seq_scans(json, "orders"));
        assert!(!plan_seq_scans(json, "customers"));
    }

    #[test]
    fn coverage_by_an_existing_index() {
        let def = IndexDef {
            valid: true,
            shape: crate::stats::indexdef::parse(
                "CREATE INDEX i ON public.t USING btree (status, customer_id, created_at)",
            )
            .unwrap(),
            ..Default::default()
        };
        let c = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(covers(&def, &c(&["customer_id", "status"]), 2));
        assert!(covers(
            &def,
            &c(&["customer_id", "status", "created_at"]),
            2
        ));
        assert!(!covers(&def, &c(&["customer_id"]), 1));
        assert!(!covers(&def, &c(&["status", "created_at"]), 1));
    }
}
