//! Key columns from query text and their coverage by existing indexes, on
//! hand-made column uses and index definitions.

use super::*;
use crate::analyze::index_advice::test_support::index;

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
fn at_most_three_equalities_and_three_columns() {
    let a = [
        cu("a", Use::Eq),
        cu("b", Use::Eq),
        cu("c", Use::In),
        cu("d", Use::IsNull),
        cu("e", Use::Range),
    ];
    let r: Vec<&ColumnUse> = a.iter().collect();
    assert_eq!(
        candidate(&r, false),
        (vec!["a".into(), "b".into(), "c".into()], 3)
    );
}

#[test]
fn sort_columns_follow_equalities_only() {
    // an IN list makes the order by useless for the index
    let a = [cu("a", Use::In), cu("b", Use::OrderBy)];
    let r: Vec<&ColumnUse> = a.iter().collect();
    assert_eq!(candidate(&r, false), (vec!["a".into()], 1));
}

#[test]
fn coverage_by_an_existing_index() {
    let def = index(
        "public",
        "t",
        "CREATE INDEX i ON public.t USING btree (status, customer_id, created_at)",
    );
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

#[test]
fn invalid_partial_or_non_btree_indexes_cover_nothing() {
    let one = vec!["status".to_string()];
    let mut invalid = index("public", "t", "CREATE INDEX i ON public.t (status)");
    invalid.valid = false;
    assert!(!covers(&invalid, &one, 1));
    let partial = index(
        "public",
        "t",
        "CREATE INDEX i ON public.t (status) WHERE deleted_at IS NULL",
    );
    assert!(!covers(&partial, &one, 1));
    let hash = index(
        "public",
        "t",
        "CREATE INDEX i ON public.t USING hash (status)",
    );
    assert!(!covers(&hash, &one, 1));
    let btree = index("public", "t", "CREATE INDEX i ON public.t (Status)");
    assert!(covers(&btree, &one, 1));
}

#[test]
fn an_index_serving_the_tables_own_filters_ends_it() {
    let uses = [cu("status", Use::Eq), cu("customer_id", Use::Join)];
    let r: Vec<&ColumnUse> = uses.iter().collect();
    let status = index("public", "t", "CREATE INDEX i ON public.t (status)");
    assert_eq!(key_columns(&r, false, &[&status], Some(true)), None);
    // without it, the join column leads when the plan probes the table by it,
    // and when there is no plan to say otherwise
    let both = Some(vec!["customer_id".into(), "status".into()]);
    assert_eq!(key_columns(&r, false, &[], Some(true)), both);
    assert_eq!(key_columns(&r, false, &[], None), both);
    // a hash-joined table: its filter column only
    assert_eq!(
        key_columns(&r, false, &[], Some(false)),
        Some(vec!["status".into()])
    );
    // join columns alone on a hash-joined table: no candidate
    let only_join = [cu("customer_id", Use::Join)];
    let j: Vec<&ColumnUse> = only_join.iter().collect();
    assert_eq!(key_columns(&j, false, &[], Some(false)), None);
}

#[test]
fn or_keeps_the_first_column() {
    let uses = [cu("email", Use::Eq), cu("phone", Use::Eq)];
    let r: Vec<&ColumnUse> = uses.iter().collect();
    assert_eq!(key_columns(&r, true, &[], None), Some(vec!["email".into()]));
    let email = index("public", "t", "CREATE INDEX i ON public.t (email, name)");
    assert_eq!(key_columns(&r, true, &[&email], None), None);
}

#[test]
fn no_column_no_candidate() {
    // order by alone is a candidate
    let uses = [cu("b", Use::OrderBy)];
    let r: Vec<&ColumnUse> = uses.iter().collect();
    assert_eq!(key_columns(&r, false, &[], None), Some(vec!["b".into()]));
    assert_eq!(key_columns(&[], false, &[], None), None);
}

#[test]
fn equality_columns_most_selective_first_when_pg_stats_says() {
    let uses = [
        cu("status", Use::Eq),
        cu("customer_email", Use::Eq),
        cu("kind", Use::Eq),
    ];
    let r: Vec<&ColumnUse> = uses.iter().collect();
    let stat = |column: &str, n_distinct: f64, null_frac: f64| ColumnStat {
        column: column.into(),
        n_distinct: Some(n_distinct),
        null_frac: Some(null_frac),
        ..Default::default()
    };
    // 4 statuses, 2,000 emails: the email narrows a lookup most
    let stats = [
        stat("status", 4.0, 0.0),
        stat("customer_email", 2000.0, 0.0),
    ];
    let s: Vec<&ColumnStat> = stats.iter().collect();
    assert_eq!(
        key_columns_ordered(&r, false, &[], None, &s),
        Some(vec![
            "customer_email".into(),
            "status".into(),
            "kind".into()
        ]),
        "a column without statistics comes after those with"
    );
    // a negative n_distinct is a share of the rows: unique-ish beats any count
    let stats = [
        stat("status", -0.5, 0.0),
        stat("customer_email", 2000.0, 0.0),
    ];
    let s: Vec<&ColumnStat> = stats.iter().collect();
    assert_eq!(
        key_columns_ordered(&r, false, &[], None, &s).unwrap()[0],
        "status"
    );
    // without statistics, the query's order
    assert_eq!(
        key_columns_ordered(&r, false, &[], None, &[]),
        Some(vec![
            "status".into(),
            "customer_email".into(),
            "kind".into()
        ])
    );
    // the range column stays after the equalities, whatever its statistics
    let with_range = [cu("created_at", Use::Range), cu("status", Use::Eq)];
    let r: Vec<&ColumnUse> = with_range.iter().collect();
    let stats = [stat("created_at", -1.0, 0.0), stat("status", 4.0, 0.0)];
    let s: Vec<&ColumnStat> = stats.iter().collect();
    assert_eq!(
        key_columns_ordered(&r, false, &[], None, &s),
        Some(vec!["status".into(), "created_at".into()])
    );
}
