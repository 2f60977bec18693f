//! Everything besides statement timings, on the real sample log (run 1 of
//! samples/workload.sh): every expected count is computed here from the log text.

use crate::harness;
use crate::oracle::{MAIN_LOG, count, read, temp_sizes, text};
use pgsift::analyze::Audit;

fn audit(args: &[&str]) -> (Audit, String) {
    let r = harness::run(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (r.audit, r.html)
}

fn log() -> String {
    read(MAIN_LOG)
}

/// Files counted under `temp_files.by_query[]`.
fn temp_files_by_query(a: &Audit) -> u64 {
    a.activity.temp_files.by_query.iter().map(|q| q.count).sum()
}

/// The normalized text of an optional statement (`""` when none).
fn normalized(s: &Option<pgsift::analyze::activity::StatementView>) -> &str {
    s.as_ref().map_or("", |s| s.normalized.as_str())
}

#[test]
fn lock_waits_are_counted_and_attributed_to_their_statements() {
    let (a, _) = audit(&[MAIN_LOG]);
    let locks = &a.activity.locks;
    let t = log();
    let waits = count(&t, "LOG:  process ")
        - count(&t, " acquired ")
        - count(&t, " detected deadlock while waiting");
    assert_eq!(locks.waits, count(&t, " still waiting for "));
    assert_eq!(locks.waits, waits);
    assert_eq!(locks.acquired, count(&t, " acquired "));
    let on_relation = locks
        .items
        .iter()
        .find(|i| i.object.starts_with("relation "))
        .expect("a relation lock wait");
    assert_eq!(
        normalized(&on_relation.statement),
        "select count(*) from orders"
    );
    assert_eq!(on_relation.mode, "AccessShareLock");
    let rows = locks
        .items
        .iter()
        .find(|i| i.object.contains("rows of relation \"customers\""))
        .expect("row lock waits");
    assert_eq!(
        normalized(&rows.statement),
        "update customers set note = $1 where id = $2"
    );
    // total wait comes from the `acquired ... after N ms` lines
    let acquired_ms: f64 = t
        .lines()
        .filter_map(|l| l.split(" acquired ").nth(1))
        .filter_map(|r| {
            r.rsplit_once(" after ")?
                .1
                .split(' ')
                .next()?
                .parse::<f64>()
                .ok()
        })
        .sum();
    assert!((locks.total_wait_ms - acquired_ms).abs() < 0.01);
    let update = locks
        .by_query
        .iter()
        .find(|q| q.label == "update customers set note = $1 where id = $2")
        .unwrap();
    assert_eq!(update.waits, rows.waits);
    let by_object_waits: u64 = locks.by_object.iter().map(|o| o.waits).sum();
    assert_eq!(by_object_waits, locks.waits);
}

#[test]
fn deadlocks_temp_files_and_checkpoints() {
    let (a, _) = audit(&[MAIN_LOG]);
    let act = &a.activity;
    let t = log();
    assert_eq!(act.deadlocks.count, count(&t, "ERROR:  deadlock detected"));
    assert_eq!(act.deadlocks.count, 1);
    let d = &act.deadlocks.items[0];
    assert!(d.cycle.contains("blocked by process"));
    assert_eq!(
        normalized(&d.victim),
        "update customers set note = $1 where id = $2"
    );

    let sizes = temp_sizes(&t);
    let temp = &act.temp_files;
    assert_eq!(temp.count, sizes.len() as u64);
    assert_eq!(temp.total_bytes, sizes.iter().sum::<u64>());
    assert_eq!(temp.max_bytes, *sizes.iter().max().unwrap());
    assert_eq!(
        temp_files_by_query(&a) + temp.unattributed_count,
        sizes.len() as u64
    );
    assert!(
        temp.by_query.iter().any(|q| q
            .statement
            .normalized
            .contains("order by customer_email desc")),
        "the spilling sort is attributed to its statement"
    );

    let cp = &act.checkpoints;
    assert_eq!(cp.count, count(&t, "checkpoint starting:"));
    assert_eq!(cp.completed, count(&t, "checkpoint complete:"));
    assert_eq!(
        cp.by_reason["immediate"],
        count(&t, "checkpoint starting: immediate")
    );
    assert_eq!(
        cp.by_reason["shutdown"],
        count(&t, "checkpoint starting: shutdown")
    );
    assert_eq!(
        cp.too_frequent,
        count(&t, "checkpoints are occurring too frequently")
    );
}

#[test]
fn errors_by_sqlstate_cancellations_and_failed_logins() {
    let (a, html) = audit(&[MAIN_LOG]);
    let act = &a.activity;
    let t = log();
    let by_state = |state: &str| -> u64 {
        act.errors
            .iter()
            .filter(|e| e.sqlstate.as_deref() == Some(state))
            .map(|e| e.count)
            .sum()
    };
    assert_eq!(by_state("22012*"), count(&t, "ERROR:  division by zero"));
    assert_eq!(
        by_state("42601*"),
        count(&t, "ERROR:  syntax error at or near")
    );
    assert_eq!(
        by_state("23505*"),
        count(&t, "ERROR:  duplicate key value violates unique constraint")
    );
    assert_eq!(
        by_state("42P01*"),
        count(&t, "ERROR:  relation \"order_archive\" does not exist")
    );
    assert_eq!(
        by_state("57014*"),
        count(&t, "canceling statement due to statement timeout")
    );
    assert_eq!(
        by_state("55P03*"),
        count(&t, "canceling statement due to lock timeout")
    );
    assert_eq!(by_state("40P01*"), count(&t, "ERROR:  deadlock detected"));
    assert_eq!(by_state("40P01*"), 1);
    let all: u64 = act.errors.iter().map(|e| e.count).sum();
    let logged = count(&t, " ERROR:  ") + count(&t, " FATAL:  ") + count(&t, " PANIC:  ");
    assert_eq!(all, logged, "every ERROR, FATAL and PANIC is in errors[]");
    // identifiers are kept, values masked: one row per constraint
    assert!(
        act.errors
            .iter()
            .any(|e| e.message
                == "duplicate key value violates unique constraint \"customers_pkey\""),
        "{:?}",
        act.errors
    );
    assert!(
        act.errors
            .iter()
            .all(|e| !e.message.contains("at character"))
    );
    let division = act
        .errors
        .iter()
        .find(|e| e.message == "division by zero")
        .unwrap();
    assert!(normalized(&division.example).contains(" / "));

    assert_eq!(
        act.cancellations["statement_timeout"],
        count(&t, "canceling statement due to statement timeout")
    );
    assert_eq!(act.cancellations["statement_timeout"], 2);
    assert_eq!(act.cancellations["lock_timeout"], 1);

    let failures = &act.auth_failures;
    let report = failures
        .iter()
        .find(|f| f.user == "report@corp.example")
        .unwrap();
    assert_eq!(
        report.count,
        count(
            &t,
            "password authentication failed for user \"report@corp.example\""
        )
    );
    assert_eq!(report.host, "127.0.0.1");
    assert_eq!(
        failures
            .iter()
            .find(|f| f.user == "intruder")
            .unwrap()
            .count,
        1
    );
    assert_eq!(
        act.sessions.failures,
        count(&t, "FATAL:  password authentication failed") + count(&t, "FATAL:  role \"")
    );
    for section in [
        "Lock waits and deadlocks",
        "Temporary files",
        "Errors and cancellations",
        "Failed logins",
        "Checkpoints",
        "Autovacuum",
        "Execution plans",
    ] {
        assert!(html.contains(section), "{section}");
    }
}

/// The peak of concurrent sessions, replayed from the disconnection lines
/// (session end minus session time).
fn peak_sessions(t: &str) -> i64 {
    let mut points: Vec<(i64, i64)> = Vec::new();
    for l in t
        .lines()
        .filter(|l| l.contains("disconnection: session time: "))
    {
        let ts = &l[..23];
        let (h, m, sec) = (&ts[11..13], &ts[14..16], &ts[17..23]);
        let end = (h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60) * 1000
            + (sec.parse::<f64>().unwrap() * 1000.0).round() as i64;
        let d = l
            .split("session time: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let p: Vec<&str> = d.split(':').collect();
        let dur = (p[0].parse::<i64>().unwrap() * 3600 + p[1].parse::<i64>().unwrap() * 60) * 1000
            + (p[2].parse::<f64>().unwrap() * 1000.0).round() as i64;
        points.push((end - dur, 1));
        points.push((end, -1));
    }
    points.sort(); // at the same millisecond, -1 (an end) sorts before +1
    let (mut now, mut peak) = (0, 0);
    for (_, d) in points {
        now += d;
        peak = peak.max(now);
    }
    peak
}

#[test]
fn autovacuum_sessions_and_plans() {
    let (a, html) = audit(&[MAIN_LOG]);
    let act = &a.activity;
    let t = log();
    assert_eq!(
        act.autovacuum.vacuums,
        count(&t, "automatic vacuum of table") + count(&t, "automatic aggressive vacuum")
    );
    assert_eq!(
        act.autovacuum.analyzes,
        count(&t, "automatic analyze of table")
    );
    let orders = act
        .autovacuum
        .by_table
        .iter()
        .find(|x| x.table == "shop-eu.public.orders")
        .unwrap();
    assert_eq!(
        orders.vacuums,
        count(&t, "automatic vacuum of table \"shop-eu.public.orders\"")
    );

    let s = &act.sessions;
    assert_eq!(s.connections_received, count(&t, "connection received:"));
    assert_eq!(
        s.connections_authorized,
        count(&t, "connection authorized:")
    );
    assert_eq!(s.disconnections, count(&t, "disconnection: session time:"));
    let peak = peak_sessions(&t);
    assert!(peak >= 2, "pgbench runs two clients at once: {peak}");
    assert_eq!(s.peak_concurrent, Some(peak));

    let logged: u64 = act.plans.iter().map(|p| p.count).sum();
    assert_eq!(logged, count(&t, " ms  plan:"));
    let flags: Vec<&str> = act
        .plans
        .iter()
        .flat_map(|p| &p.flags)
        .map(String::as_str)
        .collect();
    assert!(
        flags
            .iter()
            .any(|f| f.contains("Seq Scan on orders") && f.contains("rows by filter")),
        "{flags:?}"
    );
    assert!(
        flags.iter().any(|f| f.starts_with("Sort spilled to disk")),
        "{flags:?}"
    );
    // the query group carries its plan's flags
    assert!(a.queries.iter().any(|q| !q.plan_flags.is_empty()));
    // plans are evidence, not executions
    let timed = t
        .lines()
        .filter(|l| {
            l.contains(" ms  statement: ")
                || (l.contains(" ms  execute ") && l.contains("LOG:  duration"))
        })
        .count() as u64;
    assert_eq!(a.summary.executions, timed);
    // values stay hidden in plans too
    assert!(
        !html.contains("'pending'"),
        "literal from a JSON plan's query text leaked"
    );
}

#[test]
fn real_sqlstates_from_csvlog_and_jsonlog() {
    for f in [
        "tests/data/formats/postgresql.csv",
        "tests/data/formats/postgresql.json",
    ] {
        let (a, _) = audit(&[f]);
        let syntax = a
            .activity
            .errors
            .iter()
            .find(|e| e.message.starts_with("syntax error"))
            .unwrap_or_else(|| panic!("{f}: no syntax error"));
        assert_eq!(
            syntax.sqlstate.as_deref(),
            Some("42601"),
            "{f}: the logged SQLSTATE, not an inferred one"
        );
    }
}

#[test]
fn temp_files_of_another_server_are_counted_to_the_byte() {
    let path = "tests/data/pgbadger/tempfile_only.log.gz";
    let sizes = temp_sizes(&text(path));
    let (a, _) = audit(&[path]);
    assert_eq!(a.activity.temp_files.count, sizes.len() as u64);
    assert_eq!(a.activity.temp_files.total_bytes, sizes.iter().sum::<u64>());
    assert_eq!(
        temp_files_by_query(&a),
        sizes.len() as u64,
        "every file has its STATEMENT line"
    );
}

#[test]
fn split_files_give_the_same_audit_with_any_thread_count_and_values_do_not_change_grouping() {
    // cut the log into 6 files at entry boundaries (a line that is not a continuation)
    let t = log();
    let lines: Vec<&str> = t.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let mut start = 0;
    for k in 0..6 {
        let mut end = ((k + 1) * lines.len() / 6).min(lines.len());
        while end < lines.len() && lines[end].starts_with('\t') {
            end += 1;
        }
        let chunk = lines[start..end].join("\n") + "\n";
        std::fs::write(dir.path().join(format!("part-{k}.log")), chunk).unwrap();
        start = end;
    }
    let d = dir.path().to_str().unwrap();
    let one = harness::run(&[d, "-j", "1"]);
    let three = harness::run(&[d, "-j", "3"]);
    assert_eq!(one.json, three.json);
    let one = one.audit;
    // the same counts as the whole file, whatever the cut
    let (whole, _) = audit(&[MAIN_LOG]);
    assert_eq!(one.summary.executions, whole.summary.executions);
    assert_eq!(one.summary.distinct_queries, whole.summary.distinct_queries);
    assert_eq!(one.activity.errors.len(), whole.activity.errors.len());
    assert_eq!(
        one.activity.temp_files.count,
        whole.activity.temp_files.count
    );

    let (shown, _) = audit(&[MAIN_LOG, "--show-values"]);
    let (hidden, shown) = (&whole.activity, &shown.activity);
    assert_eq!(hidden.locks.items.len(), shown.locks.items.len());
    assert_eq!(
        hidden.temp_files.by_query.len(),
        shown.temp_files.by_query.len()
    );
    assert_eq!(hidden.errors.len(), shown.errors.len());
}

#[test]
fn a_wait_ended_by_a_timeout_counts_until_the_error() {
    // hand-made edge case: the server logs no `acquired` line for such a wait
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("timeout.log");
    std::fs::write(
        &p,
        "2024-05-01 10:00:00.100 UTC [7] LOG:  process 7 still waiting for ShareLock on transaction 5 after 100.000 ms\n\
         2024-05-01 10:00:00.100 UTC [7] STATEMENT:  UPDATE t SET x = 1 WHERE id = 1\n\
         2024-05-01 10:00:30.000 UTC [7] ERROR:  canceling statement due to lock timeout\n\
         2024-05-01 10:00:30.000 UTC [7] STATEMENT:  UPDATE t SET x = 1 WHERE id = 1\n",
    )
    .unwrap();
    let (a, _) = audit(&[p.to_str().unwrap()]);
    let item = &a.activity.locks.items[0];
    assert_eq!(item.ended_by_error, 1);
    assert_eq!(item.total_wait_ms, 30_000.0);
    assert_eq!(
        normalized(&item.statement),
        "update t set x = $1 where id = $2"
    );
    assert_eq!(a.activity.cancellations["lock_timeout"], 1);
}

#[test]
fn lock_objects_are_named_where_the_statistics_give_their_oids() {
    // the log: `relation 16485 of database 16386`
    let t = log();
    assert!(t.contains("on relation 16485 of database 16386 after "));
    // the exports: pg_stat_user_tables' relid 16485 is public.orders of
    // shop-eu, pg_stat_database's datid 16386 is shop-eu
    let tables = read("samples/stats/shop-eu-2/pg_stat_user_tables.csv");
    assert!(tables.contains(",shop-eu,16485,public,orders,"));
    let dbs = read("samples/stats/shop-eu-2/pg_stat_database.csv");
    assert!(dbs.contains(",16386,shop-eu,"));
    let (a, _) = audit(&["samples/"]);
    let named = "relation public.orders (16485) of database shop-eu";
    assert!(
        a.activity.locks.items.iter().any(|i| i.object == named),
        "{:?}",
        a.activity
            .locks
            .items
            .iter()
            .map(|i| &i.object)
            .collect::<Vec<_>>()
    );
    assert!(a.activity.locks.by_object.iter().any(|o| o.label == named));
    // the log alone names nothing: the oids stay
    let (alone, _) = audit(&[MAIN_LOG]);
    assert!(
        alone
            .activity
            .locks
            .items
            .iter()
            .any(|i| i.object == "relation 16485 of database 16386")
    );
}
