//! Index advice on inputs made apart from the samples (tests/data/advice,
//! written by its workload.sh against a real PostgreSQL 15): a `%t` log with
//! auto_explain, statistics exported right after `pg_stat_reset()` both by the
//! export script and by plain `\copy (SELECT * FROM view)`, and a pure pgbench
//! run. The workload was built to need exactly one index, `orders
//! (customer_email, created_at)`; its other queries filter on an output alias,
//! a CTE and unselective columns, which must not become advice.

use crate::harness::{AuditExt, Run, run};
use pgsift::analyze::findings::{Kind, Status};

const D: &str = "tests/data/advice";

fn advice(inputs: &[&str]) -> Run {
    let args: Vec<String> = inputs.iter().map(|i| format!("{D}/{i}")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// One row of a CSV with a header, as (column, value) pairs.
fn csv_row(path: &str, key: &str, value: &str) -> Vec<(String, String)> {
    let mut rd = csv::Reader::from_path(format!("{D}/{path}")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let at = header.iter().position(|h| h == key).unwrap();
    let row = rd
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[at] == value)
        .unwrap();
    header
        .into_iter()
        .zip(row.iter().map(String::from))
        .collect()
}

fn field(row: &[(String, String)], name: &str) -> f64 {
    row.iter()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .parse()
        .unwrap()
}

#[test]
fn the_workload_is_the_one_described() {
    // the export was taken after a reset: n_live_tup says 4 for a table every
    // sequential scan reads 40,000 rows of (read from the CSV, not assumed)
    for folder in ["export", "plain"] {
        let orders = csv_row(
            &format!("{folder}/pg_stat_user_tables.csv"),
            "relname",
            "orders",
        );
        assert!(field(&orders, "n_live_tup") < 10.0, "{orders:?}");
        let per_scan = field(&orders, "seq_tup_read") / field(&orders, "seq_scan");
        assert!(per_scan > 30_000.0, "{per_scan}");
    }
    let log = std::fs::read_to_string(format!("{D}/shop.log")).unwrap();
    assert!(log.contains("pg_stat_reset()"));
    assert!(log.contains("order by spent desc"));
    assert!(log.contains("Hash Join"));
}

#[test]
fn a_log_with_plans_and_exports_after_a_reset_get_the_one_index_a_dba_would_propose() {
    for inputs in [
        &["shop.log", "export"][..],
        &["shop.log", "plain"],
        &["shop.log"],
        &["export"],
        &["plain"],
    ] {
        let r = advice(inputs);
        let a = &r.audit;
        let recs: Vec<(String, Vec<String>)> = a
            .index_recommendations
            .iter()
            .map(|r| {
                (
                    r.table.trim_start_matches("public.").to_string(),
                    r.columns.clone(),
                )
            })
            .collect();
        assert_eq!(
            recs,
            [(
                "orders".to_string(),
                vec!["customer_email".to_string(), "created_at".to_string()]
            )],
            "{inputs:?}"
        );
        let rec = &a.index_recommendations[0];
        assert!(
            rec.create.starts_with("CREATE INDEX CONCURRENTLY"),
            "{}",
            rec.create
        );
        assert!(
            rec.rollback.starts_with("DROP INDEX CONCURRENTLY"),
            "{}",
            rec.rollback
        );
        assert!(
            rec.order.contains("customer_email (equality)")
                && rec.order.contains("created_at (sort, descending)"),
            "{}",
            rec.order
        );
        assert!(
            a.index_candidates.is_empty(),
            "{inputs:?}: {:?}",
            a.index_candidates
        );
        assert!(
            a.index_columns_unknown.is_empty(),
            "{:?}",
            a.index_columns_unknown
        );
        let missing: Vec<_> = a
            .findings_of(Kind::MissingIndex)
            .iter()
            .map(|f| f.change.clone())
            .collect();
        assert_eq!(missing, std::slice::from_ref(&rec.create), "{inputs:?}");
        assert_eq!(
            a.check("Missing indexes").status,
            Status::Fail,
            "{inputs:?}"
        );
        // the statistics' evidence survives the reset, and says how
        if inputs.contains(&"export") || inputs.contains(&"plain") {
            assert!(
                rec.evidence.iter().any(|e| e == "seq_scan_stats"),
                "{inputs:?}"
            );
            let t = a
                .stats
                .tables
                .seq_scan_heavy
                .iter()
                .find(|t| t.table == "public.orders")
                .unwrap();
            assert!(t.n_live_tup < 10 && t.table_rows > 30_000, "{t:?}");
            assert_ne!(t.table_rows_from, "n_live_tup");
        }
        // the plan shows the lookup reading orders whole, and the hash-joined
        // customers filtered on a country that keeps 12.5% of them: not advice
        if inputs.contains(&"shop.log") {
            assert!(rec.evidence.iter().any(|e| e == "plan"), "{inputs:?}");
            let lookup = a.query(
                "select id, status, total, created_at from orders where customer_email = $1 order by created_at desc limit",
            );
            assert_eq!(lookup.count, 40 + 10);
            assert!(rec.queries.contains(&lookup.fingerprint));
            assert_eq!(a.index_unselective.len(), 1, "{:?}", a.index_unselective);
            assert!(a.index_unselective[0].contains("customers (country)"));
            assert!(a.index_unselective[0].contains("12.5%"));
        }
        // no advice names an alias, an aggregate or a CTE
        for f in &a.findings {
            for bad in ["spent", "spenders", "(n)", "revenue", "count("] {
                assert!(!f.change.contains(bad), "{}", f.change);
            }
        }
    }
}

#[test]
fn a_pure_pgbench_run_gets_no_n_plus_one_and_no_index_advice() {
    for inputs in [&["pgbench.log", "pgbench-export"][..], &["pgbench.log"]] {
        let r = advice(inputs);
        let a = &r.audit;
        assert!(
            a.index_recommendations.is_empty(),
            "{:?}",
            a.index_recommendations
        );
        assert!(a.index_candidates.is_empty(), "{:?}", a.index_candidates);
        for kind in [Kind::MissingIndex, Kind::NPlusOne, Kind::IndexExplosion] {
            assert!(a.findings_of(kind).is_empty(), "{inputs:?} {kind:?}");
        }
        assert!(a.n_plus_one.detected.is_empty());
        assert_ne!(a.check("N+1").status, Status::Fail);
        assert_ne!(a.check("Missing indexes").status, Status::Fail);
        // pgbench -i fills pgbench_tellers row by row after its branch: seen
        // once, listed, not called N+1
        assert!(
            a.n_plus_one
                .once
                .iter()
                .any(|o| o.normalized.starts_with("insert into pgbench_tellers")),
            "{:?}",
            a.n_plus_one.once
        );
    }
}

#[test]
fn the_advice_workload_gives_exactly_its_findings() {
    let r = advice(&["shop.log", "export"]);
    let a = &r.audit;
    let mut kinds: Vec<&str> = a.findings.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    // the index it was built to need, and its top consumers by time; no
    // cache finding for the barely used template1 and postgres databases
    assert_eq!(kinds, ["missing_index", "slow_query"]);
    // every query taking 5%+ of the time is a finding, or served by the
    // index, or DDL/maintenance run once (the load's ANALYZE)
    for q in a
        .queries
        .iter()
        .filter(|q| q.share >= 0.05 && !(q.count == 1 && q.normalized.starts_with("analyze")))
    {
        let named = a
            .findings
            .iter()
            .any(|f| f.fingerprint.as_deref() == Some(q.fingerprint.as_str()));
        let served = a.index_recommendations[0].queries.contains(&q.fingerprint);
        assert!(named || served, "{} has no finding", q.normalized);
    }
    // the data load ran once: low
    let load = a
        .findings
        .iter()
        .find(|f| {
            f.normalized
                .as_deref()
                .is_some_and(|n| n.starts_with("insert into orders"))
        })
        .unwrap();
    assert_eq!(load.severity, pgsift::analyze::findings::Severity::Low);
}
