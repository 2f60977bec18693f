//! The index DDL pgsift proposes for the samples, run on a real PostgreSQL 15:
//! a throwaway server (initdb in a temporary folder, a unix socket only) gets
//! the samples' schema and data (tests/data/schema/shop.sql, copied from
//! samples/workload.sh); every `CREATE INDEX CONCURRENTLY` and `DROP INDEX
//! CONCURRENTLY` of the report's recommendations and index findings runs, then
//! its rollback, and any error fails the test. Where the query's own plan was
//! the evidence, EXPLAIN of the served query (its logged example) must use the
//! new index. `.ci/run` installs PostgreSQL 15 when the machine lacks it.

use crate::harness::run;
use pgsift::analyze::Audit;
use pgsift::analyze::findings::Kind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// PostgreSQL 15's programs: `PGSIFT_PG_BIN`, else Debian's place for them.
fn pg_bin() -> PathBuf {
    let dir = std::env::var_os("PGSIFT_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    assert!(
        dir.join("postgres").exists(),
        "PostgreSQL 15 is needed in {} (apt-get install postgresql-15; .ci/run does it)",
        dir.display()
    );
    dir
}

/// A throwaway server, stopped when dropped.
struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// Runs a command as the `postgres` user when this process is root (initdb
/// refuses root), else as itself.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // this process's own /proc entry belongs to its user
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Server {
    fn start() -> Server {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("pgsift-ddl-")
            .tempdir()
            .unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let data = dir.path().join("data");
        let out = as_postgres(&bin.join("initdb"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-D",
            ])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // one port per server of this process (tests run in parallel threads)
        static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let nth = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = 40_000 + ((std::process::id() % 2_000) as u16) * 10 + nth % 10;
        let opts = format!(
            "-c listen_addresses='' -k {} -p {port} -c fsync=off",
            dir.path().display()
        );
        let out = as_postgres(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(dir.path().join("server.log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Server { bin, dir, port }
    }

    /// Runs SQL (one statement, outside any transaction block) in `db`; the
    /// output, or the server's error.
    fn sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-h",
            ])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-d", db, "-c", sql])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs a file of SQL in `db`, stopping at the first error.
    fn file(&self, db: &str, path: &str) {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-d", db, "-f", path])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// Each change the report proposes on an index of database `db`, with its
/// rollback: the recommendations' CREATE and the index findings' DROP or CREATE.
fn index_changes(a: &Audit, db: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let index_kinds = [
        Kind::MissingIndex,
        Kind::DuplicateIndex,
        Kind::RedundantIndex,
        Kind::UnusedIndex,
        Kind::InvalidIndex,
        Kind::FkWithoutIndex,
    ];
    let shop = |d: &Option<String>| d.as_deref().is_none_or(|d| d == db);
    for r in a.index_recommendations.iter().filter(|r| shop(&r.database)) {
        out.push((r.create.clone(), r.rollback.clone()));
    }
    for f in a
        .findings
        .iter()
        .filter(|f| index_kinds.contains(&f.kind) && shop(&f.database))
    {
        out.push((f.change.clone(), f.rollback.clone()));
    }
    out.sort();
    out.dedup();
    out
}

/// A logged example as one runnable statement: the extended protocol's `$n`
/// replaced by the values of its `parameters:` line (literals as logged).
fn bind(e: &pgsift::analyze::SampleReport) -> String {
    let mut text = e.text.clone();
    let Some(params) = &e.params else {
        return text;
    };
    let mut values: Vec<(usize, String)> = Vec::new();
    let params = params.trim_start_matches("parameters: ");
    for part in format!(", {params}").split(", $").skip(1) {
        let (n, value) = part.split_once(" = ").unwrap();
        values.push((n.parse().unwrap(), value.to_string()));
    }
    // $12 before $1
    values.sort_by_key(|v| std::cmp::Reverse(v.0));
    for (n, value) in values {
        text = text.replace(&format!("${n}"), &value);
    }
    text
}

/// Names of the indexes of the shop database.
fn indexes(s: &Server) -> String {
    s.sql("shop", "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'")
        .unwrap()
}

#[test]
fn every_proposed_index_statement_and_rollback_runs_on_the_real_schema() {
    // the samples' deliberate scenarios: two indexes to create, three to drop
    proved_on_a_real_server(&["samples/"], "shop-eu", "tests/data/schema/shop.sql", 5);
}

#[test]
fn the_advice_workloads_index_runs_and_serves_its_query() {
    // tests/data/advice: one index to create, orders (customer_email, created_at)
    proved_on_a_real_server(
        &["tests/data/advice/shop.log", "tests/data/advice/export"],
        "shop",
        "tests/data/advice/schema.sql",
        1,
    );
}

/// Runs pgsift on `inputs`, then on a throwaway server loaded with `schema`:
/// every index change proposed for database `db` (there must be `expected`)
/// and its rollback run without error and leave the schema as it was, and
/// where a query's plan was the evidence, EXPLAIN of its logged example uses
/// the new index.
fn proved_on_a_real_server(inputs: &[&str], db: &str, schema: &str, expected: usize) {
    let mut args = inputs.to_vec();
    args.push("--show-values");
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = &r.audit;
    let changes = index_changes(a, db);
    assert_eq!(changes.len(), expected, "{changes:#?}");

    let s = Server::start();
    s.sql("postgres", "CREATE DATABASE shop").unwrap();
    s.file("shop", schema);
    let before = indexes(&s);
    for (change, rollback) in &changes {
        for sql in [change, rollback] {
            assert!(
                sql.starts_with("CREATE INDEX CONCURRENTLY")
                    || sql.starts_with("DROP INDEX CONCURRENTLY"),
                "{sql}"
            );
            if let Err(e) = s.sql("shop", sql) {
                panic!("{sql}\n{e}");
            }
        }
        assert_eq!(
            indexes(&s),
            before,
            "the rollback of {change} restores the schema"
        );
    }

    // where the query's plan was the evidence, the served query uses the index
    for rec in a
        .index_recommendations
        .iter()
        .filter(|r| r.evidence.iter().any(|e| e == "plan"))
        .filter(|r| r.database.as_deref().is_none_or(|d| d == db))
    {
        s.sql("shop", &rec.create).unwrap();
        s.sql("shop", "ANALYZE").unwrap();
        let examples: Vec<String> = rec
            .queries
            .iter()
            .filter_map(|fp| a.queries.iter().find(|q| &q.fingerprint == fp))
            .filter_map(|q| q.example.as_ref().map(bind))
            .collect();
        assert!(!examples.is_empty(), "{} serves no logged query", rec.index);
        let plans: Vec<String> = examples
            .iter()
            .map(|q| s.sql("shop", &format!("EXPLAIN {q}")).unwrap())
            .collect();
        assert!(
            plans.iter().any(|p| p.contains(&rec.index)),
            "no served query uses {}:\n{}",
            rec.index,
            plans.join("\n---\n")
        );
        s.sql("shop", &rec.rollback).unwrap();
    }
}
