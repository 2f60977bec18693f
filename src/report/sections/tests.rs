//! Snapshot tests: every section rendered on its own from one small hand-made
//! audit (`audit.json`: the samples' audit cut to two items a list, with what
//! the samples lack added by hand: a third timeline bucket, a pool verdict, a
//! slower and a faster query, an invalid index, a foreign key without an index,
//! write overhead, a table with dead tuples, a suspected N+1, a repeated burst,
//! and an unreadable file with unrecognized lines) and from the empty audit,
//! compared with the committed snapshots in `snapshots/`. A change to a
//! section's HTML shows up here, section by section.

use super::*;
use crate::analyze::Audit;
use askama::Template;

/// Shorter than the fixture's lists, so the "more in the JSON" lines show.
const TOP: usize = 1;

fn audit() -> Audit {
    serde_json::from_str(include_str!("audit.json")).expect("the fixture is an audit")
}

macro_rules! snapshot_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let html = $name::build(&audit(), TOP).render().expect("the section renders");
                insta::assert_snapshot!(html);
                let empty = $name::build(&Audit::default(), TOP)
                    .render()
                    .expect("the empty section renders");
                insta::assert_snapshot!(concat!(stringify!($name), "_empty"), empty);
            }
        )*
    };
}

snapshot_tests!(
    overview,
    checklist,
    findings,
    summary,
    queries,
    latency,
    slowest,
    timeline,
    sessions,
    locks,
    tempfiles,
    errors,
    checkpoints,
    autovacuum,
    plans,
    advice,
    nplusone,
    thresholds,
    comparison,
    stats,
    statements,
    indexes,
    tables,
    cache,
    connections,
    checkpointer,
    coverage,
);

#[test]
fn the_page_is_its_sections_in_reading_order() {
    let a = audit();
    let page = crate::report::html::render(&a, TOP);
    let sections = [
        overview::build(&a, TOP).render(),
        checklist::build(&a, TOP).render(),
        findings::build(&a, TOP).render(),
        summary::build(&a, TOP).render(),
        queries::build(&a, TOP).render(),
        latency::build(&a, TOP).render(),
        slowest::build(&a, TOP).render(),
        timeline::build(&a, TOP).render(),
        sessions::build(&a, TOP).render(),
        pgbouncer::build(&a, TOP).render(),
        locks::build(&a, TOP).render(),
        tempfiles::build(&a, TOP).render(),
        errors::build(&a, TOP).render(),
        checkpoints::build(&a, TOP).render(),
        autovacuum::build(&a, TOP).render(),
        plans::build(&a, TOP).render(),
        advice::build(&a, TOP).render(),
        nplusone::build(&a, TOP).render(),
        thresholds::build(&a, TOP).render(),
        comparison::build(&a, TOP).render(),
        stats::build(&a, TOP).render(),
        coverage::build(&a, TOP).render(),
    ];
    let joined = sections
        .into_iter()
        .map(|s| s.expect("the section renders"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        page.contains(&format!("<main>\n{joined}\n</main>")),
        "the page's <main> is exactly its sections, one a line"
    );
}

#[test]
fn statistics_sections_render_only_with_statistics() {
    let a = audit();
    let with = stats::build(&a, TOP).render().expect("renders");
    assert!(with.contains("<h2>Statistics window</h2>"));
    assert!(with.contains(&statements::build(&a, TOP).render().expect("renders")));
    assert!(with.contains(&checkpointer::build(&a, TOP).render().expect("renders")));
    let without = stats::build(&Audit::default(), TOP)
        .render()
        .expect("renders");
    assert!(without.contains("No statistics CSVs were given"));
    assert!(!without.contains("id=\"statements\""));
}
