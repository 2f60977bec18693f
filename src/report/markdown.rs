//! The audit as a short Markdown summary for a ticket (`--markdown`): the
//! window and inputs, the top findings with time at stake, target, first step
//! and rollback, the checklist as one table, and the before/after comparison
//! when there is one. At most about 60 lines; renders in GitHub and GitLab
//! Markdown and reads as plain text in Jira.
//!
//! Everything from the inputs is escaped: SQL goes in code spans whose fence
//! is longer than any backtick run inside (pipes escaped, for tables), other
//! text has Markdown's active characters backslash-escaped, so no log text
//! can open a link, an HTML tag or a table cell. Queries are shown normalized
//! (constants as `$n`): the summary never carries literal values.

use crate::analyze::Audit;
use crate::analyze::findings::{Finding, Status};
use crate::units::{count, duration_ms, percent};
use std::fmt::Write;

/// Findings listed: five, four when a comparison takes their room.
const FINDINGS: usize = 5;
/// Characters of SQL shown per query.
const SQL_CHARS: usize = 110;

/// Renders the summary; `report` is the HTML report's file name, said at the end.
pub fn render(a: &Audit, report: Option<&str>) -> String {
    let mut md = String::new();
    header(&mut md, a);
    let room = if a.comparison.is_some() {
        FINDINGS - 1
    } else {
        FINDINGS
    };
    findings(&mut md, &a.findings, room);
    checklist(&mut md, a);
    if let Some(c) = &a.comparison {
        comparison(&mut md, c);
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "_{}{}._",
        match report {
            Some(r) => format!("Full report: {} (attached). ", text(r)),
            None => String::new(),
        },
        text(&a.generator)
    );
    md
}

fn header(md: &mut String, a: &Audit) {
    let s = &a.summary;
    let c = &a.coverage;
    let window = match (&s.first_ts, &s.last_ts) {
        (Some(f), Some(l)) => format!("{} to {} {}", text(f), text(l), text(&s.time_zone)),
        _ => "no timestamps".to_string(),
    };
    let _ = writeln!(md, "## PostgreSQL audit (pgsift): {window}\n");
    let logs = c
        .files
        .iter()
        .filter(|f| f.skipped.is_none())
        .filter(|f| !f.format.as_deref().is_some_and(|x| x.starts_with("csv: ")))
        .count() as u64;
    let mut inputs = format!("{} log file{}", count(logs), plural(logs));
    if c.statistics_files > 0 {
        let dbs = a
            .stats
            .stats_window
            .as_ref()
            .map_or(0, |w| w.databases.len());
        let _ = write!(
            inputs,
            ", {} statistics CSV{} ({} database{})",
            count(c.statistics_files),
            plural(c.statistics_files),
            dbs,
            plural(dbs as u64)
        );
    }
    let read = if c.lines_total == 0 {
        String::new()
    } else {
        format!(
            "; {} of {} lines read",
            percent(
                (c.lines_parsed + c.lines_ignored + c.lines_filtered + c.lines_rejected) as f64
                    / c.lines_total as f64
            ),
            count(c.lines_total)
        )
    };
    let _ = writeln!(md, "**Inputs:** {inputs}{read}  ");
    if !c.filters.is_empty() {
        let _ = writeln!(md, "**Filters:** {}  ", text(&c.filters.join("; ")));
    }
    let errors: u64 = a.activity.errors.iter().map(|e| e.count).sum();
    let _ = writeln!(
        md,
        "**Statements:** {} executions of {} queries, {} in all; **errors:** {}; **deadlocks:** {}; **peak sessions:** {}  ",
        count(s.executions),
        count(s.distinct_queries),
        duration_ms(s.total_duration_ms),
        count(errors),
        count(a.activity.deadlocks.count),
        a.activity
            .sessions
            .peak_concurrent
            .map_or("-".to_string(), |p| count(p as u64)),
    );
    let t = &a.activity.timeline;
    if let Some(b) = &t.busiest {
        let _ = writeln!(
            md,
            "**Busiest {}:** {} to {}, {} of statement time ({} of the span's), {} executions",
            super::sections::timeline::bucket_text(t.bucket_seconds),
            text(&b.start),
            text(&b.end),
            duration_ms(b.total_ms),
            percent(b.share_pct / 100.0),
            count(b.executions)
        );
    }
}

fn findings(md: &mut String, all: &[Finding], room: usize) {
    md.push('\n');
    if all.is_empty() {
        md.push_str("### Findings\n\nNo finding: nothing in these inputs stands out (see the checklist for what could not be judged).\n");
        return;
    }
    let _ = writeln!(
        md,
        "### Top findings ({} of {})\n",
        room.min(all.len()),
        all.len()
    );
    for (i, f) in all.iter().take(room).enumerate() {
        let stake = f
            .time_at_stake_ms
            .map(|ms| format!(" ({} at stake)", duration_ms(ms)))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "{}. **{}** {}{stake}",
            i + 1,
            f.severity.as_str().to_uppercase(),
            text(&f.title)
        );
        if let Some(q) = &f.normalized {
            let _ = writeln!(
                md,
                "   - Query: {}",
                code(&crate::units::short(q, SQL_CHARS))
            );
        } else if let Some(t) = &f.table {
            let _ = writeln!(md, "   - Table: {}", code(t));
        }
        for (label, v) in [
            ("Target", &f.target),
            ("First step", &f.change),
            ("Rollback", &f.rollback),
        ] {
            if is_statement(v) {
                let _ = writeln!(md, "   - {label}: {}", code(v));
            } else if !v.is_empty() {
                let _ = writeln!(md, "   - {label}: {}", sentence(v));
            }
        }
    }
}

fn checklist(md: &mut String, a: &Audit) {
    if a.checklist.is_empty() {
        return;
    }
    md.push_str("\n### Checklist\n\n| Item | Status | Evidence |\n| --- | --- | --- |\n");
    for c in &a.checklist {
        let status = match c.status {
            Status::Pass => "✅ pass",
            Status::Attention => "⚠️ attention",
            Status::Fail => "❌ fail",
            Status::NotEnoughData => "❔ not enough data",
        };
        let _ = writeln!(
            md,
            "| {} | {status} | {} |",
            cell(&c.item),
            cell(&crate::units::short(&c.evidence, 140))
        );
    }
}

fn comparison(md: &mut String, c: &crate::analyze::compare::Comparison) {
    let _ = writeln!(
        md,
        "\n### Before / after (baseline: {})\n\nExecutions {} -> {}; statement time {} -> {}; {} queries in both runs, {} regressed, {} improved (p95 by 20% and 1 ms or more).",
        text(&c.baseline),
        count(c.before_executions),
        count(c.after_executions),
        duration_ms(c.before_total_ms),
        duration_ms(c.after_total_ms),
        c.matched,
        c.regressions.len(),
        c.improvements.len()
    );
    for (what, list) in [("Slower", &c.regressions), ("Faster", &c.improvements)] {
        for q in list.iter().take(2) {
            let _ = writeln!(
                md,
                "- {what}: {} p95 {} -> {} ({} -> {} executions)",
                code(&crate::units::short(&q.normalized, 80)),
                duration_ms(q.before_p95_ms),
                duration_ms(q.after_p95_ms),
                count(q.before_count),
                count(q.after_count)
            );
        }
    }
}

/// Whether `v` is SQL to run as it is (`CREATE INDEX CONCURRENTLY ...;`):
/// shown as code, to copy.
fn is_statement(v: &str) -> bool {
    const VERBS: [&str; 8] = [
        "CREATE ", "DROP ", "ALTER ", "REINDEX ", "VACUUM ", "ANALYZE ", "SET ", "RESET ",
    ];
    VERBS.iter().any(|k| v.starts_with(k)) && v.trim_end().ends_with(';')
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text on one line with Markdown's active characters escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_whitespace() || ch.is_control() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if is_invisible(ch) {
            let _ = write!(out, "\\<U+{:04X}\\>", u32::from(ch));
            continue;
        }
        // `_` inside a word (lock_timeout) is no emphasis: left as it is, so
        // the text reads the same as plain text (Jira)
        let inside_word = ch == '_'
            && out.chars().last().is_some_and(char::is_alphanumeric)
            && chars.peek().is_some_and(|c| c.is_alphanumeric());
        // `:` (https://), `@` (user@host) and the `.` of `www.` would become
        // links in GitHub's and GitLab's autolinks; `$` maths
        let autolink = matches!(ch, ':' | '@' | '$')
            || (ch == '.'
                && out
                    .as_bytes()
                    .get(out.len().saturating_sub(3)..)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"www")));
        if autolink
            || (!inside_word
                && matches!(
                    ch,
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '~' | '&'
                ))
        {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// [`text`], with a final period.
fn sentence(s: &str) -> String {
    let t = text(s);
    if t.ends_with(['.', ';', ':']) {
        t
    } else {
        t + "."
    }
}

/// A code span holding `s` on one line: its fence is one backtick longer
/// than the longest run inside (backslashes do not escape in code spans, so
/// code spans are kept out of table cells).
pub fn code(s: &str) -> String {
    let one_line: String = s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|ch| match ch {
            ch if is_invisible(ch) => format!("<U+{:04X}>", u32::from(ch)),
            ch => ch.to_string(),
        })
        .collect();
    let longest = one_line
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // a space inside the fence when the text starts or ends with a backtick
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

use super::is_invisible;

/// A table cell: [`text`] (which escapes pipes).
fn cell(s: &str) -> String {
    text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_backticks_and_pipes() {
        assert_eq!(code("select 1"), "`select 1`");
        assert_eq!(code("select `a` | b"), "``select `a` | b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("a\n\tb"), "`a b`");
    }

    #[test]
    fn text_escapes_what_markdown_would_act_on() {
        assert_eq!(
            text("<script>alert(1)</script> [x](http://e) *b* a|b _c_ lock_timeout -> x"),
            "\\<script>alert(1)\\</script> \\[x\\](http\\://e) \\*b\\* a\\|b \\_c\\_ lock_timeout -> x"
        );
        assert_eq!(
            text("see https://evil.example or www.evil.example, mail a@b.example, $x$"),
            "see https\\://evil.example or www\\.evil.example, mail a\\@b.example, \\$x\\$"
        );
        assert_eq!(text("two\nlines\r\u{202e}x"), "two lines \\<U+202E\\>x");
        assert_eq!(code("a\u{202e}b"), "`a<U+202E>b`");
        assert_eq!(sentence("Do it"), "Do it.");
    }

    /// Everything a Markdown parser sees in `md`: (HTML found, code spans, text).
    fn parsed(md: &str) -> (bool, Vec<String>, String) {
        use pulldown_cmark::{Event, Options, Parser};
        let mut html = false;
        let mut codes = Vec::new();
        let mut all = String::new();
        for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
            match e {
                Event::Html(_) | Event::InlineHtml(_) => html = true,
                Event::Code(c) => codes.push(c.to_string()),
                Event::Text(t) => all.push_str(&t),
                _ => {}
            }
        }
        (html, codes, all)
    }

    #[test]
    fn log_text_cannot_open_html_links_or_cells() {
        use crate::analyze::findings::{CheckItem, Kind, Severity};
        let hostile = "<img src=x onerror=alert(1)> [a](javascript:x) | `b` **c**";
        let sql = "select `x` from t\nwhere a = '<b>|</b>'";
        let mut a = Audit::default();
        a.findings.push(Finding {
            kind: Kind::SlowQuery,
            severity: Severity::High,
            title: hostile.into(),
            time_at_stake_ms: Some(1.0),
            time_basis: String::new(),
            target: hostile.into(),
            change: "CREATE INDEX CONCURRENTLY \"a|b\" ON t (x);".into(),
            rollback: hostile.into(),
            verify: String::new(),
            evidence: vec![],
            fingerprint: None,
            normalized: Some(sql.into()),
            database: None,
            table: None,
            columns: None,
            index: None,
        });
        a.checklist.push(CheckItem {
            item: "Lock | contention".into(),
            status: Status::Fail,
            evidence: hostile.into(),
            link: String::new(),
            needs: None,
        });
        let md = render(&a, Some("r<x>.html"));
        let (html, codes, all) = parsed(&md);
        assert!(!html, "{md}");
        assert!(
            codes.contains(&"select `x` from t where a = '<b>|</b>'".to_string()),
            "{codes:?}"
        );
        assert!(codes.contains(&"CREATE INDEX CONCURRENTLY \"a|b\" ON t (x);".to_string()));
        // the hostile text reads back as it was, four times (title, target,
        // rollback, checklist evidence), never as markup
        assert_eq!(
            all.matches("<img src=x onerror=alert(1)> [a](javascript:x) | `b` **c**")
                .count(),
            4,
            "{all}"
        );
        // the checklist is one table: its header, its rule and one row
        let rows = md.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(rows, 3, "{md}");
        assert!(all.contains("Lock | contention"));
    }
}
