//! The Markdown summary for tickets (issue 21): on the samples' real inputs it
//! is short, parses as GitHub Markdown with no HTML, and says what the JSON
//! audit says (window, top findings with their DDL and rollback, every
//! checklist status); `merge` writes the same summary as one run.

use crate::harness::run;
use pgsift::analyze::Audit;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// What a GitHub-flavoured parser makes of the summary.
#[derive(Default)]
struct Parsed {
    html: bool,
    headings: Vec<String>,
    /// Table rows (header included), as their cells' text.
    rows: Vec<Vec<String>>,
    /// Ordered-list items' first paragraph text.
    items: Vec<String>,
    codes: Vec<String>,
}

fn parse(md: &str) -> Parsed {
    let mut p = Parsed::default();
    let (mut in_heading, mut in_cell, mut depth) = (false, false, 0usize);
    let mut text = String::new();
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match e {
            Event::Html(_) | Event::InlineHtml(_) => p.html = true,
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                p.headings.push(std::mem::take(&mut text));
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => p.rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => in_cell = true,
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                p.rows.last_mut().unwrap().push(std::mem::take(&mut text));
            }
            Event::Start(Tag::Item) => {
                depth += 1;
                if depth == 1 {
                    text.clear();
                }
            }
            Event::Start(Tag::List(_)) if depth == 1 => {
                p.items.push(std::mem::take(&mut text));
            }
            Event::End(TagEnd::Item) => depth -= 1,
            Event::Code(c) => {
                p.codes.push(c.to_string());
                text.push_str(&c);
            }
            Event::Text(t) if in_heading || in_cell || depth == 1 => text.push_str(&t),
            _ => {}
        }
    }
    p
}

fn check_summary(md: &str, audit: &Audit) {
    let lines = md.lines().count();
    assert!(lines <= 60, "{lines} lines:\n{md}");
    let p = parse(md);
    assert!(!p.html, "HTML in the summary:\n{md}");
    let s = &audit.summary;
    assert!(
        p.headings[0].contains(s.first_ts.as_deref().unwrap()),
        "{:?}",
        p.headings
    );
    assert!(p.headings[0].contains(s.last_ts.as_deref().unwrap()));
    // the busiest bucket of the timeline, when there is one
    if let Some(b) = &audit.activity.timeline.busiest {
        let line = md
            .lines()
            .find(|l| l.starts_with("**Busiest "))
            .unwrap_or_else(|| panic!("no busiest line:\n{md}"));
        assert!(line.replace('\\', "").contains(&b.start), "{line}");
    }
    // the findings, in rank order, with the time at stake
    let shown = audit.findings.len().min(5);
    assert_eq!(p.items.len(), shown, "{md}");
    for (item, f) in p.items.iter().zip(&audit.findings) {
        assert!(item.contains(&f.title), "{item} / {}", f.title);
    }
    // every CREATE INDEX among them is a code span to copy, with its rollback
    for f in audit.findings.iter().take(shown) {
        if f.change.starts_with("CREATE INDEX") {
            assert!(p.codes.contains(&f.change), "{}", f.change);
            assert!(p.codes.contains(&f.rollback), "{}", f.rollback);
        }
    }
    // one table: the checklist, every item with its status
    assert_eq!(p.rows.len(), 1 + audit.checklist.len(), "{md}");
    assert_eq!(p.rows[0], ["Item", "Status", "Evidence"]);
    for (row, c) in p.rows[1..].iter().zip(&audit.checklist) {
        assert_eq!(row[0], c.item);
        let status = c.status.as_str().replace('_', " ");
        assert!(row[1].ends_with(&status), "{row:?} / {status}");
    }
}

#[test]
fn the_samples_summary_is_short_markdown_that_says_what_the_audit_says() {
    let dir = tempfile::tempdir().unwrap();
    let md_path = dir.path().join("summary.md");
    let r = run(&["samples/", "-q", "--markdown", md_path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let md = std::fs::read_to_string(&md_path).unwrap();
    check_summary(&md, &r.audit);
    assert!(md.contains("Full report: report.html"), "{md}");
    // no literal value: the samples' log has them in every statement
    assert!(
        !md.contains("'shipped'") && !md.contains("@example.com"),
        "{md}"
    );

    // with a baseline: the comparison, and still short
    let base = r.dir.path().join("out/report.json");
    let md2 = dir.path().join("again.md");
    let again = run(&[
        "samples/",
        "-q",
        "--baseline",
        base.to_str().unwrap(),
        "--markdown",
        md2.to_str().unwrap(),
    ]);
    let md2 = std::fs::read_to_string(&md2).unwrap();
    assert!(md2.lines().count() <= 60, "{md2}");
    let p = parse(&md2);
    assert!(
        p.headings.iter().any(|h| h.starts_with("Before / after")),
        "{:?}",
        p.headings
    );
    assert_eq!(p.items.len(), again.audit.findings.len().min(4));
    let c = again.audit.comparison.as_ref().unwrap();
    assert!(
        md2.contains(&format!("{} queries in both runs", c.matched)),
        "{md2}"
    );
}

#[test]
fn merge_writes_the_summary_of_one_run_and_markdown_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let partial = dir.path().join("a.partial");
    let one = run(&[
        "samples/logs/",
        "-q",
        "--save-partial",
        partial.to_str().unwrap(),
    ]);
    let merged_md = dir.path().join("m.md");
    let out = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .arg("merge")
        .arg(&partial)
        .arg("-o")
        .arg(dir.path().join("report.html"))
        .arg("--markdown")
        .arg(&merged_md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(&merged_md).unwrap();
    check_summary(&md, &one.audit);
    // `--markdown -` prints it (the same text) for a pipe into a ticket tool
    let out = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .args(["merge", partial.to_str().unwrap(), "-o"])
        .arg(dir.path().join("report.html"))
        .args(["--markdown", "-"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), md);
}
