//! The audit: findings ranked by time at stake, N+1 bursts, index
//! recommendations with their rollback, the checklist, and the before/after
//! comparison, on the real log and snapshots of `samples/` (the workload has an
//! N+1 pattern, an unindexed column filtered by a frequent query, an unused and a
//! duplicate index), and on inputs that lack the evidence.

use crate::harness::{AuditExt, run};
use pgsift::analyze::findings::{Kind, Status};

#[test]
fn the_sample_workload_problems_are_found_and_ranked() {
    let r = run(&["samples/", "--cpu-cores", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = &r.audit;

    // N+1: the order_items lookup, 20 per burst, right after the orders query
    let child =
        a.query("select sku, quantity, unit_price_cents from order_items where order_id = $");
    let parent = a.query(
        "select o.id, o.status, o.total_cents, o.created_at from orders as o where o.customer_email = $",
    );
    let n1 = a.findings_of(Kind::NPlusOne);
    let f = n1
        .iter()
        .find(|f| f.fingerprint.as_ref() == Some(&child.fingerprint))
        .expect("the order_items N+1");
    assert_eq!(f.normalized.as_ref(), Some(&child.normalized));
    let burst = a
        .n_plus_one
        .detected
        .iter()
        .find(|b| b.fingerprint == child.fingerprint)
        .unwrap();
    assert_eq!(burst.parent_fingerprint.as_ref(), Some(&parent.fingerprint));
    // every child execution is in a burst, one burst per parent execution
    assert_eq!(burst.executions, child.count);
    assert_eq!(burst.bursts, parent.count);
    assert!(
        burst
            .batched
            .as_deref()
            .unwrap()
            .contains("order_id = any($")
    );
    assert!(f.target.contains("-> 2"));

    // the unindexed, frequently filtered column gets its index and rollback
    let mi = a.findings_of(Kind::MissingIndex);
    let pay = mi
        .iter()
        .find(|f| f.table.as_deref() == Some("public.payments"))
        .expect("payments needs an index");
    assert_eq!(pay.columns, Some(vec!["gateway_txn_id".to_string()]));
    assert_eq!(
        pay.change,
        "CREATE INDEX CONCURRENTLY payments_gateway_txn_id_idx ON public.payments (gateway_txn_id);"
    );
    assert_eq!(
        pay.rollback,
        "DROP INDEX CONCURRENTLY IF EXISTS public.payments_gateway_txn_id_idx;"
    );
    let lookup =
        a.query("select id, order_id, status, amount_cents from payments where gateway_txn_id = $");
    assert_eq!(pay.fingerprint.as_ref(), Some(&lookup.fingerprint));
    let rec = a
        .index_recommendations
        .iter()
        .find(|r| r.table == "public.payments")
        .unwrap();
    assert!(rec.write_overhead.contains("index"));
    assert!(rec.verify[0].contains("EXPLAIN (ANALYZE, BUFFERS)"));
    assert!(rec.verify[1].contains("hypopg"));
    assert!(rec.caveats.iter().any(|c| c.contains("partition")));
    // no index proposed where one already starts with the columns (customer_id on shipments)
    assert!(
        !mi.iter()
            .any(|f| f.table.as_deref() == Some("public.shipments")),
        "{mi:?}"
    );

    // unused and duplicate indexes, with their table and columns
    let carrier = Some(vec!["carrier".to_string()]);
    assert!(
        a.findings_of(Kind::UnusedIndex)
            .iter()
            .any(
                |f| f.index.as_deref() == Some("public.shipments_carrier_unused_idx")
                    && f.table.as_deref() == Some("public.shipments")
                    && f.columns == carrier
            )
    );
    let order_id = Some(vec!["order_id".to_string()]);
    assert!(
        a.findings_of(Kind::DuplicateIndex)
            .iter()
            .any(
                |f| f.index.as_deref() == Some("public.shipments_order_id_dup_idx")
                    && f.columns == order_id
            )
    );

    // ranked by time at stake; unmeasurable ones last; every change has a rollback
    let times: Vec<f64> = a
        .findings
        .iter()
        .map(|f| f.time_at_stake_ms.unwrap_or(-1.0))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    for f in &a.findings {
        assert!(!f.rollback.is_empty(), "{f:?}");
        assert!(!f.target.is_empty(), "{f:?}");
        assert!(!f.evidence.is_empty(), "{f:?}");
        if f.time_at_stake_ms.is_none() {
            assert!(f.time_basis.starts_with("not measurable"), "{f:?}");
        }
    }
    // the payments index serves the lookup's time: pg_stat_statements' total for
    // it over the window (it counts every call), not the log's
    let pgss: f64 = a
        .stats
        .statements
        .iter()
        .filter(|s| s.fingerprint == lookup.fingerprint)
        .map(|s| s.total_ms)
        .sum();
    assert!(pgss > 0.0);
    assert!((pay.time_at_stake_ms.unwrap() - pgss).abs() < 0.01);

    // the checklist: 13 items, judged from this evidence, each linking into the page
    assert_eq!(a.checklist.len(), 13);
    assert!(a.checklist.iter().all(|c| c.link.starts_with('#')));
    assert_eq!(a.check("N+1").status, Status::Fail);
    assert_eq!(a.check("Missing indexes").status, Status::Fail);
    assert_eq!(a.check("Unused and duplicate").status, Status::Fail);
    assert_eq!(a.check("Lock contention").status, Status::Fail); // the workload's deadlock
    assert_eq!(a.check("Rollback procedure").status, Status::Pass);
    assert_eq!(a.check("Connection pool sizing").status, Status::Pass);

    // the first screen, then every link of the report points at a section that exists
    assert!(a.first_screen.sentences.len() >= 3);
    let h = &r.html;
    assert!(h.find("id=\"overview\"").unwrap() < h.find("id=\"summary\"").unwrap());
    assert_no_dangling_link(h);
}

fn assert_no_dangling_link(h: &str) {
    for link in h.split("href=\"#").skip(1) {
        let id = &link[..link.find('"').unwrap()];
        assert!(h.contains(&format!("id=\"{id}\"")), "dangling link #{id}");
    }
}

#[test]
fn links_point_at_what_the_page_shows() {
    // a log only (no statistics sections) and a short list of queries
    let r = run(&["samples/logs/postgresql-main.log", "--top", "1"]);
    assert!(!r.audit.findings.is_empty());
    assert_no_dangling_link(&r.html);
    let r = run(&["samples/stats", "--top", "1"]);
    assert_no_dangling_link(&r.html);
}

#[test]
fn without_the_evidence_the_checklist_says_so() {
    // a log of statements with log_statement + log_duration, no statistics
    let r = run(&["samples/logs/postgresql-statement-duration.log"]);
    let a = &r.audit;
    for item in [
        "Unused and duplicate",
        "Cache hit rate",
        "Connection pool sizing",
        "Write-performance",
    ] {
        assert_eq!(a.check(item).status, Status::NotEnoughData, "{item}");
    }
    let needs = |item: &str| a.check(item).needs.clone().unwrap();
    assert!(needs("Unused and duplicate").contains("pg_stat_user_indexes"));
    assert!(needs("Connection pool sizing").contains("--cpu-cores"));
    for kind in [
        Kind::UnusedIndex,
        Kind::DuplicateIndex,
        Kind::MissingIndex,
        Kind::CacheHit,
    ] {
        assert!(
            a.findings_of(kind).is_empty(),
            "{kind:?} claimed without statistics"
        );
    }
    // a log of slow statements only, without %p (hand-made): N+1 cannot be seen,
    // and the checklist names the setting that would show it
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("slow.log");
    let lines: String = (0..30)
        .map(|i| {
            format!(
                "2026-01-01 10:00:{:02} UTC LOG:  duration: 300.000 ms  statement: select * from t where id = {i}\n",
                i
            )
        })
        .collect();
    std::fs::write(&log, lines).unwrap();
    let r = run(&[log.to_str().unwrap(), "--prefix", "%t "]);
    let a = &r.audit;
    assert_eq!(a.summary.executions, 30);
    let n1 = a.check("N+1 patterns");
    assert_eq!(n1.status, Status::NotEnoughData);
    assert!(a.findings_of(Kind::NPlusOne).is_empty());
    assert!(
        n1.needs
            .as_deref()
            .unwrap()
            .contains("log_min_duration_statement = 0")
    );
}

#[test]
fn a_baseline_run_shows_what_got_slower() {
    let first = run(&["samples/logs/postgresql-main.log"]);
    // the same log against itself: nothing changed
    let base = first.dir.path().join("out/report.json");
    let same = run(&[
        "samples/logs/postgresql-main.log",
        "--baseline",
        base.to_str().unwrap(),
    ]);
    let c = same.audit.comparison.as_ref().unwrap();
    assert!(c.regressions.is_empty());
    assert!(c.improvements.is_empty());
    assert_eq!(c.before_executions, c.after_executions);
    assert_eq!(same.audit.check("Before/after").status, Status::Pass);
    // a baseline where one query was 4x faster: it is now a regression
    let mut edited = first.audit.clone();
    let q = edited
        .queries
        .iter_mut()
        .find(|q| q.count >= 10 && q.p95_ms.unwrap() >= 4.0)
        .unwrap();
    let fp = q.fingerprint.clone();
    q.p95_ms = Some(q.p95_ms.unwrap() / 4.0);
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("base.json");
    std::fs::write(&p, serde_json::to_vec(&edited).unwrap()).unwrap();
    let r = run(&[
        "samples/logs/postgresql-main.log",
        "--baseline",
        p.to_str().unwrap(),
    ]);
    let reg = &r.audit.comparison.as_ref().unwrap().regressions;
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].fingerprint, fp);
    assert_eq!(r.audit.check("Before/after").status, Status::Attention);
    // an unusable baseline stops the run before any work
    std::fs::write(&p, b"{\"not\": \"an audit\"}").unwrap();
    let out = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .args(["report", "samples/logs", "-o"])
        .arg(d.path().join("x.html"))
        .arg("--baseline")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pgsift JSON audit"));
    assert!(!d.path().join("x.html").exists());
}

/// Hand-made logs for the shapes a review found (tests/data/audit-edge/README.md).
#[test]
fn session_pattern_edge_cases() {
    let edge = |f: &str, prefix: &str| {
        let mut args = vec![format!("tests/data/audit-edge/{f}")];
        if !prefix.is_empty() {
            args.extend(["--prefix".to_string(), prefix.to_string()]);
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&a).audit
    };
    let p = "%m [%p] %q%u@%d ";
    let a = edge("interleaved.log", p);
    let det = &a.n_plus_one.detected;
    assert_eq!(det.len(), 2, "{det:?}");
    for d in det {
        assert_eq!((d.bursts, d.executions), (5, 100));
        assert_eq!(d.max_per_burst, 20);
        assert!(
            d.parent_normalized
                .as_deref()
                .unwrap()
                .starts_with("select * from orders where customer_id")
        );
    }
    let a = edge("ext_noparams.log", p);
    assert_eq!(a.n_plus_one.detected.len(), 1);
    assert!(a.n_plus_one.repeated.is_empty());
    let a = edge("pgbench_S.log", p);
    assert!(a.n_plus_one.detected.is_empty());
    assert_eq!(a.n_plus_one.loops.len(), 1);
    assert!(a.findings_of(Kind::NPlusOne).is_empty());
    let a = edge("prepare_tx.log", p);
    assert_eq!(a.transaction_pauses.long_gaps, 0);
    assert!(a.findings_of(Kind::IdleInTransaction).is_empty());
    let a = edge("seconds_tx.log", "");
    assert_eq!(a.transaction_pauses.transactions, 200);
    assert_eq!(a.transaction_pauses.long_gaps, 0);
    assert!(a.findings_of(Kind::IdleInTransaction).is_empty());
    // every gap after BEGIN is under 2 s by the clock: unmeasurable, said so
    let text = crate::oracle::read("tests/data/audit-edge/seconds_tx.log");
    let statements = crate::oracle::count(&text, "statement: ");
    let begins = crate::oracle::count(&text, "statement: BEGIN");
    assert_eq!(a.transaction_pauses.gaps_unmeasurable, statements - begins);
    assert_eq!(a.summary.clock_resolution.as_deref(), Some("1s"));
    assert!(a.summary.approximate);
}

/// A log without statistics: the payments lookup (40 runs of a 40,000-row
/// scan, no plan logged for it) is a candidate to confirm, not silence and not
/// a recommendation; the orders index its plan shows is a recommendation. A
/// pure pgbench log (every lookup by primary key) yields neither.
#[test]
fn a_log_without_statistics_lists_candidates_to_confirm() {
    let r = run(&["samples/logs"]);
    let a = &r.audit;
    let candidates: Vec<(&str, Vec<&str>)> = a
        .index_candidates
        .iter()
        .map(|c| {
            (
                c.table.as_str(),
                c.columns.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(candidates, [("payments", vec!["gateway_txn_id"])]);
    let lookup =
        a.query("select id, order_id, status, amount_cents from payments where gateway_txn_id = $");
    assert_eq!(
        a.index_candidates[0].queries,
        std::slice::from_ref(&lookup.fingerprint)
    );
    assert!(
        a.index_candidates[0]
            .explain
            .starts_with("EXPLAIN (ANALYZE, BUFFERS) select id, order_id")
    );
    assert!(r.html.contains("Candidates to confirm"));
    let tables: Vec<&str> = a
        .index_recommendations
        .iter()
        .map(|x| x.table.as_str())
        .collect();
    assert_eq!(tables, ["orders"]);
    for pgbench in [
        "tests/data/pgbadger/light.postgres.log",
        "tests/data/audit-edge/pgbench_S.log",
    ] {
        let a = run(&[pgbench]).audit;
        assert!(
            a.index_candidates.is_empty(),
            "{pgbench}: {:?}",
            a.index_candidates
        );
        assert!(a.index_recommendations.is_empty(), "{pgbench}");
        assert!(a.findings_of(Kind::MissingIndex).is_empty(), "{pgbench}");
    }
}

/// A finding as `kind: subject` (its index, else its table, else the start of
/// its query), for comparing whole sets.
fn finding_keys(a: &pgsift::analyze::Audit) -> Vec<String> {
    let mut keys: Vec<String> = a
        .findings
        .iter()
        .map(|f| {
            let subject = f
                .index
                .clone()
                .or_else(|| f.table.clone())
                .or_else(|| {
                    f.normalized
                        .as_deref()
                        .map(|n| n.chars().take(40).collect())
                })
                .unwrap_or_default();
            format!("{}: {subject}", f.kind.as_str())
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn the_samples_give_exactly_the_findings_their_workload_was_built_to_produce() {
    let r = run(&["samples/", "--cpu-cores", "2"]);
    let keys = finding_keys(&r.audit);
    let expected = [
        // the N+1 custom script (the pgbench -i teller inserts, seen once, are not)
        "n_plus_one: select sku, quantity, unit_price_cents f",
        // the lock wait, relation lock wait, deadlock and lock timeout; their
        // victims (update orders 4.25 of 4.26 s waiting) are not slow queries
        "lock_contention: update orders set status = $1 where id =",
        // checkout-worker idle in transaction during snapshot 2, and its pause
        "idle_in_transaction: ",
        // the statement-timeout scenario's pg_sleep: 21% of all query time
        "slow_query: select pg_sleep($1)",
        // the one-off load of order_items: 11% of the time, low, and its spill
        "slow_query: insert into order_items(order_id, sku, q",
        "temp_spill: insert into order_items(order_id, sku, q",
        // the deliberately spilling sort (work_mem 64kB) and pgbench -i's primary key
        "temp_spill: select id, customer_email, created_at fr",
        "temp_spill: alter table pgbench_accounts add primary",
        // index scenarios (samples/workload.sh): (d) and the reports' orders scans
        "missing_index: payments_gateway_txn_id_idx",
        "missing_index: orders_customer_email_status_idx",
        // (b), (c), (a)
        "duplicate_index: public.shipments_order_id_dup_idx",
        "redundant_index: public.shipments_customer_id_redundant_idx",
        "unused_index: public.shipments_carrier_unused_idx",
        // tables read from disk after the loads (89.8% of heap blocks hit)
        "cache_hit: ",
    ];
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(keys, expected);
}
