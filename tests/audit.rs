//! The audit: findings ranked by time at stake, N+1 bursts, index
//! recommendations with their rollback, the checklist, and the before/after
//! comparison, on the real log and snapshots of `samples/` (the workload has an
//! N+1 pattern, an unindexed column filtered by a frequent query, an unused and a
//! duplicate index), and on inputs that lack the evidence.

use crate::harness::run;
use serde_json::Value;

fn query<'a>(j: &'a Value, starts: &str) -> &'a Value {
    j["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["normalized"].as_str().unwrap().starts_with(starts))
        .unwrap_or_else(|| panic!("no query {starts}"))
}

fn findings<'a>(j: &'a Value, kind: &str) -> Vec<&'a Value> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

fn status<'a>(j: &'a Value, item: &str) -> &'a str {
    j["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"].as_str().unwrap().starts_with(item))
        .unwrap_or_else(|| panic!("no checklist item {item}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn the_sample_workload_problems_are_found_and_ranked() {
    let r = run(&["samples/", "--cpu-cores", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = &r.json;

    // N+1: the order_items lookup, 20 per burst, right after the orders query
    let child = query(
        j,
        "select sku, quantity, unit_price_cents from order_items where order_id = $",
    );
    let parent = query(
        j,
        "select o.id, o.status, o.total_cents, o.created_at from orders as o where o.customer_email = $",
    );
    let n1 = findings(j, "n_plus_one");
    let f = n1
        .iter()
        .find(|f| f["fingerprint"] == child["fingerprint"])
        .expect("the order_items N+1");
    assert_eq!(f["normalized"], child["normalized"]);
    let burst = j["n_plus_one"]["detected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["fingerprint"] == child["fingerprint"])
        .unwrap();
    assert_eq!(burst["parent_fingerprint"], parent["fingerprint"]);
    // every child execution is in a burst, one burst per parent execution
    assert_eq!(burst["executions"], child["count"]);
    assert_eq!(burst["bursts"], parent["count"]);
    assert!(
        burst["batched"]
            .as_str()
            .unwrap()
            .contains("order_id = any($")
    );
    assert!(f["target"].as_str().unwrap().contains("-> 2"));

    // the unindexed, frequently filtered column gets its index and rollback
    let mi = findings(j, "missing_index");
    let pay = mi
        .iter()
        .find(|f| f["table"] == "public.payments")
        .expect("payments needs an index");
    assert_eq!(pay["columns"], serde_json::json!(["gateway_txn_id"]));
    assert_eq!(
        pay["change"],
        "CREATE INDEX CONCURRENTLY payments_gateway_txn_id_idx ON public.payments (gateway_txn_id);"
    );
    assert_eq!(
        pay["rollback"],
        "DROP INDEX CONCURRENTLY IF EXISTS public.payments_gateway_txn_id_idx;"
    );
    let lookup = query(
        j,
        "select id, order_id, status, amount_cents from payments where gateway_txn_id = $",
    );
    assert_eq!(pay["fingerprint"], lookup["fingerprint"]);
    let rec = j["index_recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["table"] == "public.payments")
        .unwrap();
    assert!(rec["write_overhead"].as_str().unwrap().contains("index"));
    assert!(
        rec["verify"][0]
            .as_str()
            .unwrap()
            .contains("EXPLAIN (ANALYZE, BUFFERS)")
    );
    assert!(rec["verify"][1].as_str().unwrap().contains("hypopg"));
    assert!(
        rec["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("partition"))
    );
    // no index proposed where one already starts with the columns (customer_id on shipments)
    assert!(
        !mi.iter().any(|f| f["table"] == "public.shipments"),
        "{mi:?}"
    );

    // unused and duplicate indexes, with their table and columns
    let un = findings(j, "unused_index");
    assert!(
        un.iter()
            .any(|f| f["index"] == "public.shipments_carrier_unused_idx"
                && f["table"] == "public.shipments"
                && f["columns"] == serde_json::json!(["carrier"]))
    );
    let dup = findings(j, "duplicate_index");
    assert!(
        dup.iter()
            .any(|f| f["index"] == "public.shipments_order_id_dup_idx"
                && f["columns"] == serde_json::json!(["order_id"]))
    );

    // ranked by time at stake; unmeasurable ones last; every change has a rollback
    let all = j["findings"].as_array().unwrap();
    let times: Vec<f64> = all
        .iter()
        .map(|f| f["time_at_stake_ms"].as_f64().unwrap_or(-1.0))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    for f in all {
        assert!(!f["rollback"].as_str().unwrap().is_empty(), "{f}");
        assert!(!f["target"].as_str().unwrap().is_empty(), "{f}");
        assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
        if f["time_at_stake_ms"].is_null() {
            assert!(
                f["time_basis"]
                    .as_str()
                    .unwrap()
                    .starts_with("not measurable"),
                "{f}"
            );
        }
    }
    // the payments index serves the lookup's time: pg_stat_statements' total for
    // it over the window (it counts every call), not the log's
    let pgss: f64 = j["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["fingerprint"] == lookup["fingerprint"])
        .map(|s| s["total_ms"].as_f64().unwrap())
        .sum();
    assert!(pgss > 0.0);
    assert!((pay["time_at_stake_ms"].as_f64().unwrap() - pgss).abs() < 0.01);

    // the checklist: 13 items, judged from this evidence
    let items = j["checklist"].as_array().unwrap();
    assert_eq!(items.len(), 13);
    for c in items {
        assert!(
            ["pass", "attention", "fail", "not_enough_data"]
                .contains(&c["status"].as_str().unwrap())
        );
        assert!(c["link"].as_str().unwrap().starts_with('#'));
    }
    assert_eq!(status(j, "N+1"), "fail");
    assert_eq!(status(j, "Missing indexes"), "fail");
    assert_eq!(status(j, "Unused and duplicate"), "fail");
    assert_eq!(status(j, "Lock contention"), "fail"); // the workload's deadlock
    assert_eq!(status(j, "Rollback procedure"), "pass");
    assert_eq!(status(j, "Connection pool sizing"), "pass");

    // the first screen, then every link of the report points at a section that exists
    assert!(j["first_screen"]["sentences"].as_array().unwrap().len() >= 3);
    let h = &r.html;
    assert!(h.find("id=\"overview\"").unwrap() < h.find("id=\"summary\"").unwrap());
    for link in h.split("href=\"#").skip(1) {
        let id = &link[..link.find('"').unwrap()];
        assert!(h.contains(&format!("id=\"{id}\"")), "dangling link #{id}");
    }
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
    assert!(!r.json["findings"].as_array().unwrap().is_empty());
    assert_no_dangling_link(&r.html);
    let r = run(&["samples/stats", "--top", "1"]);
    assert_no_dangling_link(&r.html);
}

#[test]
fn without_the_evidence_the_checklist_says_so() {
    // a log of statements with log_statement + log_duration, no statistics
    let r = run(&["samples/logs/postgresql-statement-duration.log"]);
    let j = &r.json;
    for item in [
        "Unused and duplicate",
        "Cache hit rate",
        "Connection pool sizing",
        "Write-performance",
    ] {
        assert_eq!(status(j, item), "not_enough_data", "{item}");
    }
    let needs = |item: &str| {
        j["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["item"].as_str().unwrap().starts_with(item))
            .unwrap()["needs"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(needs("Unused and duplicate").contains("pg_stat_user_indexes"));
    assert!(needs("Connection pool sizing").contains("--cpu-cores"));
    for kind in [
        "unused_index",
        "duplicate_index",
        "missing_index",
        "cache_hit",
    ] {
        assert!(
            findings(j, kind).is_empty(),
            "{kind} claimed without statistics"
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
    let j = &r.json;
    assert_eq!(j["summary"]["executions"], 30);
    assert_eq!(status(j, "N+1"), "not_enough_data");
    assert!(findings(j, "n_plus_one").is_empty());
    let n1 = j["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == "N+1 patterns")
        .unwrap();
    assert!(
        n1["needs"]
            .as_str()
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
    let c = &same.json["comparison"];
    assert_eq!(c["regressions"].as_array().unwrap().len(), 0);
    assert_eq!(c["improvements"].as_array().unwrap().len(), 0);
    assert_eq!(c["before_executions"], c["after_executions"]);
    assert_eq!(status(&same.json, "Before/after"), "pass");
    // a baseline where one query was 4x faster: it is now a regression
    let mut edited = first.json.clone();
    let target = edited["queries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|q| q["count"].as_u64().unwrap() >= 10 && q["p95_ms"].as_f64().unwrap() >= 4.0)
        .unwrap();
    let fp = edited["queries"][target]["fingerprint"].clone();
    let p95 = edited["queries"][target]["p95_ms"].as_f64().unwrap();
    edited["queries"][target]["p95_ms"] = serde_json::json!(p95 / 4.0);
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("base.json");
    std::fs::write(&p, serde_json::to_vec(&edited).unwrap()).unwrap();
    let r = run(&[
        "samples/logs/postgresql-main.log",
        "--baseline",
        p.to_str().unwrap(),
    ]);
    let reg = r.json["comparison"]["regressions"].as_array().unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0]["fingerprint"], fp);
    assert_eq!(status(&r.json, "Before/after"), "attention");
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
        run(&a).json
    };
    let p = "%m [%p] %q%u@%d ";
    let j = edge("interleaved.log", p);
    let det = j["n_plus_one"]["detected"].as_array().unwrap();
    assert_eq!(det.len(), 2, "{det:?}");
    for d in det {
        assert_eq!(
            (d["bursts"].as_u64(), d["executions"].as_u64()),
            (Some(5), Some(100))
        );
        assert_eq!(d["max_per_burst"], 20);
        assert!(
            d["parent_normalized"]
                .as_str()
                .unwrap()
                .starts_with("select * from orders where customer_id")
        );
    }
    let j = edge("ext_noparams.log", p);
    assert_eq!(j["n_plus_one"]["detected"].as_array().unwrap().len(), 1);
    assert!(j["n_plus_one"]["repeated"].as_array().unwrap().is_empty());
    let j = edge("pgbench_S.log", p);
    assert!(j["n_plus_one"]["detected"].as_array().unwrap().is_empty());
    assert_eq!(j["n_plus_one"]["loops"].as_array().unwrap().len(), 1);
    assert!(findings(&j, "n_plus_one").is_empty());
    let j = edge("prepare_tx.log", p);
    assert_eq!(j["transaction_pauses"]["long_gaps"], 0);
    assert!(findings(&j, "idle_in_transaction").is_empty());
    let j = edge("seconds_tx.log", "");
    assert_eq!(j["transaction_pauses"]["transactions"], 200);
    assert_eq!(j["transaction_pauses"]["long_gaps"], 0);
    assert!(findings(&j, "idle_in_transaction").is_empty());
}
