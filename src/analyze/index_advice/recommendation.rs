//! Step 6 of the index advice: a merged candidate becomes a recommendation:
//! its DDL and rollback, the existing index it extends, its write overhead,
//! how to verify it, its caveats and its target.

use super::IndexRecommendation;
use super::grouping::Candidate;
use crate::analyze::round3;
use crate::analyze::stats::{SeqScanTable, quote_ident as ident};
use crate::stats::indexdef::IndexShape;
use crate::stats::records::{IndexDef, Table};
use crate::units::duration_ms;

/// The recommendation for candidate `c`, its index named `name`.
pub(super) fn recommend(
    mut c: Candidate,
    name: String,
    seq_heavy: &[SeqScanTable],
) -> IndexRecommendation {
    c.queries.sort_by(|x, y| {
        y.served_ms
            .total_cmp(&x.served_ms)
            .then(x.fingerprint.cmp(&y.fingerprint))
    });
    let qualified = c.qualified();
    let sql = Sql::new(&c, &name);
    let heavy = seq_heavy.iter().find(|t| t.table == qualified);
    let facts = TableFacts::of(&c);
    let top = &c.queries[0];
    IndexRecommendation {
        database: c.db.and_then(|d| d.view.database.clone()),
        table: qualified.clone(),
        columns: c.columns.clone(),
        create: format!(
            "CREATE INDEX CONCURRENTLY {} ON {} ({});",
            sql.name,
            sql.table,
            sql.columns.join(", ")
        ),
        rollback: format!("DROP INDEX CONCURRENTLY IF EXISTS {};", sql.qualified_name),
        index: name,
        served_ms: round3(c.served_ms),
        queries: c.queries.iter().map(|q| q.fingerprint.clone()).collect(),
        evidence: c.evidence.iter().map(|e| e.as_str().to_string()).collect(),
        seq_scan: heavy.map(|h| h.seq_scan),
        seq_tup_read: heavy.map(|h| h.seq_tup_read),
        n_live_tup: heavy.map(|h| h.n_live_tup),
        table_rows: heavy.map(|h| h.table_rows),
        table_rows_from: heavy.map(|h| h.table_rows_from.clone()),
        existing_indexes: facts.defs.as_ref().map(Vec::len),
        extends: extends(facts.defs.as_deref(), &c.columns),
        write_overhead: write_overhead(
            facts.defs.as_ref().map(Vec::len),
            facts.stats.map(Table::writes),
        ),
        verify: verify(&top.fingerprint, &c.table, &qualified, &sql),
        caveats: caveats(facts.partitioned, facts.defs.is_some()),
        target: target(&qualified, heavy, top.p95_ms),
        order: String::new(),
    }
}

/// The candidate's names as SQL, quoted only where they must be.
struct Sql {
    /// `schema.table`.
    table: String,
    columns: Vec<String>,
    /// The index's name alone (CREATE INDEX takes no schema).
    name: String,
    /// `schema.index`, for DROP INDEX.
    qualified_name: String,
}

impl Sql {
    fn new(c: &Candidate, name: &str) -> Sql {
        let qualify = |n: &str| match &c.schema {
            Some(sc) => format!("{}.{}", ident(sc), ident(n)),
            None => ident(n),
        };
        Sql {
            table: qualify(&c.table),
            columns: c.columns.iter().map(|col| ident(col)).collect(),
            name: ident(name),
            qualified_name: qualify(name),
        }
    }
}

/// What the export says of the candidate's table.
struct TableFacts<'a> {
    /// Its indexes, when index definitions were exported.
    defs: Option<Vec<&'a IndexDef>>,
    /// Its pg_stat_user_tables row.
    stats: Option<&'a Table>,
    /// A partitioned table (`relkind = p`).
    partitioned: bool,
}

impl<'a> TableFacts<'a> {
    fn of(c: &Candidate<'a>) -> TableFacts<'a> {
        let Some(d) = c.db else {
            return TableFacts {
                defs: None,
                stats: None,
                partitioned: false,
            };
        };
        let this =
            |schema: &String, name: &str| Some(schema) == c.schema.as_ref() && name == c.table;
        let defs: Vec<&IndexDef> = d
            .view
            .index_defs
            .iter()
            .filter(|x| this(&x.schema, &x.table))
            .collect();
        TableFacts {
            defs: d.view.views.contains("index definitions").then_some(defs),
            stats: d.view.tables.iter().find(|t| this(&t.schema, &t.name)),
            partitioned: d
                .view
                .table_sizes
                .iter()
                .any(|s| this(&s.schema, &s.name) && s.relkind.as_deref() == Some("p")),
        }
    }
}

/// The first valid, non-partial index leading with the candidate's first
/// column (as written in its definition), as `schema.name`.
fn extends(defs: Option<&[&IndexDef]>, columns: &[String]) -> Option<String> {
    defs?
        .iter()
        .find(|x| {
            x.valid
                && x.shape.predicate.is_none()
                && x.shape.keys.first().and_then(|k| IndexShape::key_column(k))
                    == columns.first().cloned()
        })
        .map(|x| format!("{}.{}", x.schema, x.name))
}

/// What the index costs writes, with the table's index count and the rows
/// written in the window when known.
fn write_overhead(existing: Option<usize>, writes: Option<u64>) -> String {
    format!(
        "Every insert, and every update that changes an indexed column or is not HOT, also writes this index{}{}. Expect slightly slower writes and more WAL; measure them before and after.",
        match existing {
            Some(n) => format!(
                " (the table has {} now)",
                crate::units::plural(n as u64, "index", "indexes")
            ),
            None => String::new(),
        },
        match writes {
            Some(w) => format!("; {w} rows were written in the statistics window"),
            None => String::new(),
        }
    )
}

/// How to check the index before and after building it, on the query serving
/// the most time.
fn verify(query: &str, table: &str, qualified: &str, sql: &Sql) -> Vec<String> {
    vec![
        format!(
            "Before and after: EXPLAIN (ANALYZE, BUFFERS) of query {query} with real parameters; the plan should change from Seq Scan on {table} to an Index Scan using the new index, with far fewer buffers."
        ),
        format!(
            "Without building it: CREATE EXTENSION hypopg; SELECT * FROM hypopg_create_index('CREATE INDEX ON {} ({})'); then EXPLAIN the query (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) with $n parameters).",
            sql.table,
            sql.columns.join(", ")
        ),
        format!(
            "After: pg_stat_user_indexes.idx_scan of {} grows and pg_stat_user_tables.seq_scan of {qualified} stops growing.",
            sql.name
        ),
    ]
}

/// What CREATE INDEX CONCURRENTLY implies here.
fn caveats(partitioned: bool, defs_known: bool) -> Vec<String> {
    let mut caveats = vec![
        "CREATE INDEX CONCURRENTLY does not block writes, takes longer, cannot run inside a transaction block, and leaves an INVALID index if it fails (drop it and retry).".to_string(),
    ];
    if partitioned {
        caveats.push("This is a partitioned table: CONCURRENTLY is not supported on the parent. Create the index CONCURRENTLY on each partition, then CREATE INDEX ON ONLY the parent and ALTER INDEX ... ATTACH PARTITION each one.".into());
    } else {
        caveats.push("On a partitioned table CONCURRENTLY does not apply to the parent: index each partition instead.".into());
    }
    if !defs_known {
        caveats.push("Existing indexes were not exported: check that none already starts with these columns (\\d table).".into());
    }
    caveats
}

/// The figures the index should move: the table's sequential scans and the
/// main query's p95, whichever are known.
fn target(qualified: &str, heavy: Option<&SeqScanTable>, p95: Option<f64>) -> String {
    match (heavy, p95) {
        (Some(h), Some(p95)) => format!(
            "sequential scans of {qualified}: {} in the window -> near 0; p95 of the main query {} -> a few ms (an index lookup reads a handful of pages, not {} rows)",
            h.seq_scan,
            duration_ms(p95),
            crate::units::count(h.table_rows.max(h.n_live_tup))
        ),
        (Some(h), None) => format!(
            "sequential scans of {qualified}: {} in the window -> near 0 (each read {} rows)",
            h.seq_scan,
            crate::units::count(h.rows_per_seq_scan.round() as u64)
        ),
        (None, Some(p95)) => format!(
            "p95 of the main query {} -> a few ms, with an Index Scan instead of a Seq Scan in its plan",
            duration_ms(p95)
        ),
        (None, None) => "an Index Scan instead of a Seq Scan in the query's plan".into(),
    }
}

#[cfg(test)]
mod tests;
