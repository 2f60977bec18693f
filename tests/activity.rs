//! Everything besides statement timings, on the real sample log (run 1 of
//! samples/workload.sh): every expected count is computed here from the log text.

use crate::harness;
use crate::oracle::{MAIN_LOG, count, read, temp_sizes};

use serde_json::Value;

fn audit(args: &[&str]) -> (Value, String) {
    let r = harness::run(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (r.json, r.html)
}

fn log() -> String {
    read(MAIN_LOG)
}

/// Files counted under `temp_files.by_query[]`.
fn temp_files_by_query(j: &Value) -> u64 {
    j["temp_files"]["by_query"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["count"].as_u64().unwrap())
        .sum()
}

#[test]
fn lock_waits_are_counted_and_attributed_to_their_statements() {
    let (j, _) = audit(&[MAIN_LOG]);
    let t = log();
    let waits = count(&t, "LOG:  process ")
        - count(&t, " acquired ")
        - count(&t, " detected deadlock while waiting");
    assert_eq!(j["locks"]["waits"], count(&t, " still waiting for "));
    assert_eq!(j["locks"]["waits"], waits);
    assert_eq!(j["locks"]["acquired"], count(&t, " acquired "));
    let items = j["locks"]["items"].as_array().unwrap();
    let on_relation = items
        .iter()
        .find(|i| i["object"].as_str().unwrap().starts_with("relation "))
        .expect("a relation lock wait");
    assert_eq!(
        on_relation["statement"]["normalized"],
        "select count(*) from orders"
    );
    assert_eq!(on_relation["mode"], "AccessShareLock");
    let rows = items
        .iter()
        .find(|i| {
            i["object"]
                .as_str()
                .unwrap()
                .contains("rows of relation \"customers\"")
        })
        .expect("row lock waits");
    assert_eq!(
        rows["statement"]["normalized"],
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
    assert!((j["locks"]["total_wait_ms"].as_f64().unwrap() - acquired_ms).abs() < 0.01);
    let by_query = j["locks"]["by_query"].as_array().unwrap();
    let update = by_query
        .iter()
        .find(|q| q["label"] == "update customers set note = $1 where id = $2")
        .unwrap();
    assert_eq!(update["waits"], rows["waits"]);
    let by_object_waits: u64 = j["locks"]["by_object"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["waits"].as_u64().unwrap())
        .sum();
    assert_eq!(by_object_waits, j["locks"]["waits"].as_u64().unwrap());
}

#[test]
fn deadlocks_temp_files_and_checkpoints() {
    let (j, _) = audit(&[MAIN_LOG]);
    let t = log();
    assert_eq!(
        j["deadlocks"]["count"],
        count(&t, "ERROR:  deadlock detected")
    );
    assert_eq!(j["deadlocks"]["count"], 1);
    let d = &j["deadlocks"]["items"][0];
    assert!(d["cycle"].as_str().unwrap().contains("blocked by process"));
    assert_eq!(
        d["victim"]["normalized"],
        "update customers set note = $1 where id = $2"
    );

    let sizes = temp_sizes(&t);
    assert_eq!(j["temp_files"]["count"], sizes.len() as u64);
    assert_eq!(j["temp_files"]["total_bytes"], sizes.iter().sum::<u64>());
    assert_eq!(j["temp_files"]["max_bytes"], *sizes.iter().max().unwrap());
    let by_query = temp_files_by_query(&j);
    assert_eq!(
        by_query + j["temp_files"]["unattributed_count"].as_u64().unwrap(),
        sizes.len() as u64
    );
    assert!(
        j["temp_files"]["by_query"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["statement"]["normalized"]
                .as_str()
                .unwrap()
                .contains("order by customer_email desc")),
        "the spilling sort is attributed to its statement"
    );

    assert_eq!(j["checkpoints"]["count"], count(&t, "checkpoint starting:"));
    assert_eq!(
        j["checkpoints"]["completed"],
        count(&t, "checkpoint complete:")
    );
    assert_eq!(
        j["checkpoints"]["by_reason"]["immediate"],
        count(&t, "checkpoint starting: immediate")
    );
    assert_eq!(
        j["checkpoints"]["by_reason"]["shutdown"],
        count(&t, "checkpoint starting: shutdown")
    );
    assert_eq!(
        j["checkpoints"]["too_frequent"],
        count(&t, "checkpoints are occurring too frequently")
    );
}

#[test]
fn errors_by_sqlstate_cancellations_and_failed_logins() {
    let (j, html) = audit(&[MAIN_LOG]);
    let t = log();
    let errors = j["errors"].as_array().unwrap();
    let by_state = |state: &str| -> u64 {
        errors
            .iter()
            .filter(|e| e["sqlstate"] == state)
            .map(|e| e["count"].as_u64().unwrap())
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
    let all: u64 = errors.iter().map(|e| e["count"].as_u64().unwrap()).sum();
    let logged =
        count(&t, " ERROR:  ") + count(&t, " FATAL:  ") - count(&t, "ERROR:  deadlock detected");
    assert_eq!(
        all, logged,
        "every ERROR and FATAL but the deadlock is in errors[]"
    );
    let division = errors
        .iter()
        .find(|e| e["message"] == "division by zero")
        .unwrap();
    assert!(
        division["example"]["normalized"]
            .as_str()
            .unwrap()
            .contains(" / ")
    );

    assert_eq!(
        j["cancellations"]["statement_timeout"],
        count(&t, "canceling statement due to statement timeout")
    );
    assert_eq!(j["cancellations"]["statement_timeout"], 2);
    assert_eq!(j["cancellations"]["lock_timeout"], 1);

    let failures = j["auth_failures"].as_array().unwrap();
    let report = failures
        .iter()
        .find(|f| f["user"] == "report@corp.example")
        .unwrap();
    assert_eq!(
        report["count"],
        count(
            &t,
            "password authentication failed for user \"report@corp.example\""
        )
    );
    assert_eq!(report["host"], "127.0.0.1");
    assert_eq!(
        failures.iter().find(|f| f["user"] == "intruder").unwrap()["count"],
        1
    );
    assert_eq!(
        j["sessions"]["failures"],
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

#[test]
fn autovacuum_sessions_and_plans() {
    let (j, html) = audit(&[MAIN_LOG]);
    let t = log();
    assert_eq!(
        j["autovacuum"]["vacuums"],
        count(&t, "automatic vacuum of table") + count(&t, "automatic aggressive vacuum")
    );
    assert_eq!(
        j["autovacuum"]["analyzes"],
        count(&t, "automatic analyze of table")
    );
    let orders = j["autovacuum"]["by_table"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["table"] == "shop-eu.public.orders")
        .unwrap();
    assert_eq!(
        orders["vacuums"],
        count(&t, "automatic vacuum of table \"shop-eu.public.orders\"")
    );

    let s = &j["sessions"];
    assert_eq!(s["connections_received"], count(&t, "connection received:"));
    assert_eq!(
        s["connections_authorized"],
        count(&t, "connection authorized:")
    );
    assert_eq!(
        s["disconnections"],
        count(&t, "disconnection: session time:")
    );
    // the peak, replayed from the disconnection lines: session end minus session time
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
    assert!(peak >= 2, "pgbench runs two clients at once: {peak}");
    assert_eq!(s["peak_concurrent"], peak);

    let plans = j["plans"].as_array().unwrap();
    let logged: u64 = plans.iter().map(|p| p["count"].as_u64().unwrap()).sum();
    assert_eq!(logged, count(&t, " ms  plan:"));
    let flags: Vec<&str> = plans
        .iter()
        .flat_map(|p| p["flags"].as_array().unwrap())
        .map(|f| f.as_str().unwrap())
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
    let flagged = j["queries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| !q["plan_flags"].as_array().unwrap().is_empty())
        .count();
    assert!(flagged >= 1);
    // plans are evidence, not executions
    let timed = t
        .lines()
        .filter(|l| {
            l.contains(" ms  statement: ")
                || (l.contains(" ms  execute ") && l.contains("LOG:  duration"))
        })
        .count() as u64;
    assert_eq!(j["summary"]["executions"], timed);
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
        let (j, _) = audit(&[f]);
        let syntax = j["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["message"].as_str().unwrap().starts_with("syntax error"))
            .unwrap_or_else(|| panic!("{f}: no syntax error"));
        assert_eq!(
            syntax["sqlstate"], "42601",
            "{f}: the logged SQLSTATE, not an inferred one"
        );
    }
}

#[test]
fn temp_files_of_another_server_are_counted_to_the_byte() {
    let path = "tests/data/pgbadger/tempfile_only.log.gz";
    let f = std::fs::File::open(path).unwrap();
    let (mut r, _) = pgsift::input::decompress::decoded(f).unwrap();
    let mut t = String::new();
    std::io::Read::read_to_string(&mut r, &mut t).unwrap();
    let sizes = temp_sizes(&t);
    let (j, _) = audit(&[path]);
    assert_eq!(j["temp_files"]["count"], sizes.len() as u64);
    assert_eq!(j["temp_files"]["total_bytes"], sizes.iter().sum::<u64>());
    let attributed = temp_files_by_query(&j);
    assert_eq!(
        attributed,
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
    let (one, _) = audit(&[d, "-j", "1"]);
    let (three, _) = audit(&[d, "-j", "3"]);
    assert_eq!(one, three);
    // the same counts as the whole file, whatever the cut
    let (whole, _) = audit(&[MAIN_LOG]);
    for k in ["executions", "distinct_queries"] {
        assert_eq!(one["summary"][k], whole["summary"][k], "{k}");
    }
    assert_eq!(
        one["errors"].as_array().unwrap().len(),
        whole["errors"].as_array().unwrap().len()
    );
    assert_eq!(one["temp_files"]["count"], whole["temp_files"]["count"]);

    let (hidden, _) = audit(&[MAIN_LOG]);
    let (shown, _) = audit(&[MAIN_LOG, "--show-values"]);
    for path in [("locks", "items"), ("temp_files", "by_query")] {
        assert_eq!(
            hidden[path.0][path.1].as_array().unwrap().len(),
            shown[path.0][path.1].as_array().unwrap().len(),
            "{path:?}"
        );
    }
    assert_eq!(
        hidden["errors"].as_array().unwrap().len(),
        shown["errors"].as_array().unwrap().len()
    );
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
    let (j, _) = audit(&[p.to_str().unwrap()]);
    let item = &j["locks"]["items"][0];
    assert_eq!(item["ended_by_error"], 1);
    assert_eq!(item["total_wait_ms"], 30_000.0);
    assert_eq!(
        item["statement"]["normalized"],
        "update t set x = $1 where id = $2"
    );
    assert_eq!(j["cancellations"]["lock_timeout"], 1);
}
