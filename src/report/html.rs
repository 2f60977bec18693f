//! HTML report: the page (`templates/report.html`) composed of the sections in
//! [`super::sections`], each rendered by its own askama template. Askama
//! escapes every value, so text from the log (attacker-controlled) never
//! becomes markup. CSS and JS are inlined; the page makes no network request.

use super::sections::{
    advice, autovacuum, checklist, checkpoints, comparison, coverage, errors, findings, latency,
    locks, nplusone, overview, pgbouncer, plans, queries, sessions, slowest, stats, summary,
    tempfiles, thresholds, timeline,
};
use crate::analyze::{Audit, AuditCoverage, AuditSummary};
use crate::units::bytes;
use askama::Template;

pub(crate) const CSS: &str = include_str!("../../templates/report.css");
const JS: &str = include_str!("../../templates/report.js");

/// A CSP source for inline text: `'sha256-<base64 of its SHA-256>'`.
pub(crate) fn csp_hash(text: &str) -> String {
    use sha2::Digest;
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let d = sha2::Sha256::digest(text.as_bytes());
    let mut out = String::from("'sha256-");
    for c in d.chunks(3) {
        let n = c.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - c.len()));
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push('\'');
    out
}

/// The page's policy: nothing from outside, and only its own style and
/// script (by hash: no `unsafe-inline`, so markup smuggled past escaping
/// could not run).
pub(crate) fn csp(css: &str, js: Option<&str>) -> String {
    let script = js.map_or_else(String::new, |j| format!(" script-src {};", csp_hash(j)));
    format!(
        "default-src 'none'; style-src {};{script} img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(css)
    )
}

/// The page: its header, then the sections in reading order.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub css: &'static str,
    pub js: &'static str,
    /// The Content-Security-Policy, with the hashes of `css` and `js`.
    pub csp: String,
    pub generator: String,
    /// `--title` (a server or ticket name), else empty.
    pub title: String,
    /// When the report was made (`2026-12-04 17:10 UTC`), else empty.
    pub generated: String,
    pub time_range: String,
    pub inputs: String,
    pub overview: overview::OverviewSection,
    pub checklist: checklist::ChecklistSection,
    pub findings: findings::FindingsSection,
    pub summary: summary::SummarySection,
    pub queries: queries::QueriesSection,
    pub latency: latency::LatencySection,
    pub slowest: slowest::SlowestSection,
    pub timeline: timeline::TimelineSection,
    pub sessions: sessions::SessionsSection,
    pub pgbouncer: pgbouncer::PgbouncerSection,
    pub locks: locks::LocksSection,
    pub tempfiles: tempfiles::TempfilesSection,
    pub errors: errors::ErrorsSection,
    pub checkpoints: checkpoints::CheckpointsSection,
    pub autovacuum: autovacuum::AutovacuumSection,
    pub plans: plans::PlansSection,
    pub advice: advice::AdviceSection,
    pub nplusone: nplusone::NplusoneSection,
    pub thresholds: thresholds::ThresholdsSection,
    pub comparison: comparison::ComparisonSection,
    /// Statistics window, statements, indexes, tables, cache, connections, checkpointer.
    pub stats: stats::StatsSection,
    pub coverage: coverage::CoverageSection,
}

/// `first to last (zone)`, or why there is no range.
fn time_range(s: &AuditSummary) -> String {
    let zone = if s.time_zones.is_empty() {
        "zone not in the log".to_string()
    } else {
        match (s.time_zone.as_str(), s.time_zone_offset.as_str()) {
            ("UTC", "+00:00") => "UTC".to_string(),
            (z, off) => format!("{z}, UTC{off}"),
        }
    };
    match (&s.first_ts, &s.last_ts) {
        (Some(f), Some(l)) => format!("{f} to {l} ({zone})"),
        _ => "no timestamped statements".into(),
    }
}

/// `3 files, 1.2 MB, 1 not fully readable, 2 skipped (not logs)`.
fn inputs(c: &AuditCoverage) -> String {
    format!(
        "{}, {}{}{}",
        crate::units::plural(c.files_total, "file", "files"),
        bytes(c.bytes_total),
        if c.files_unreadable > 0 {
            format!(", {} not fully readable", c.files_unreadable)
        } else {
            String::new()
        },
        if c.files_skipped > 0 {
            format!(", {} skipped (not logs)", c.files_skipped)
        } else {
            String::new()
        }
    )
}

/// Renders the whole page. `top` bounds the query and slowest-statement lists.
pub fn render(a: &Audit, top: usize) -> String {
    render_page(a, top, &PageOptions::default())
}

/// What the page says about itself besides the audit.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// `--title`: a server or ticket name, in the page title and header.
    pub title: Option<String>,
    /// When the report was made, as shown.
    pub generated: Option<String>,
}

/// Renders the whole page with its title and generation time.
pub fn render_page(a: &Audit, top: usize, opts: &PageOptions) -> String {
    let page = ReportPage {
        css: CSS,
        js: JS,
        csp: csp(CSS, Some(JS)),
        generator: a.generator.clone(),
        title: opts.title.clone().unwrap_or_default(),
        generated: opts.generated.clone().unwrap_or_default(),
        time_range: time_range(&a.summary),
        inputs: inputs(&a.coverage),
        overview: overview::build(a, top),
        checklist: checklist::build(a, top),
        findings: findings::build(a, top),
        summary: summary::build(a, top),
        queries: queries::build(a, top),
        latency: latency::build(a, top),
        slowest: slowest::build(a, top),
        timeline: timeline::build(a, top),
        sessions: sessions::build(a, top),
        pgbouncer: pgbouncer::build(a, top),
        locks: locks::build(a, top),
        tempfiles: tempfiles::build(a, top),
        errors: errors::build(a, top),
        checkpoints: checkpoints::build(a, top),
        autovacuum: autovacuum::build(a, top),
        plans: plans::build(a, top),
        advice: advice::build(a, top),
        nplusone: nplusone::build(a, top),
        thresholds: thresholds::build(a, top),
        comparison: comparison::build(a, top),
        stats: stats::build(a, top),
        coverage: coverage::build(a, top),
    };
    super::show_invisible(
        page.render()
            .expect("templates render: all values are plain strings and numbers"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_range_names_the_zone() {
        let mut s = AuditSummary {
            first_ts: Some("a".into()),
            last_ts: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(time_range(&s), "a to b (zone not in the log)");
        s.time_zones = vec!["CEST".into()];
        s.time_zone = "CEST".into();
        s.time_zone_offset = "+02:00".into();
        assert_eq!(time_range(&s), "a to b (CEST, UTC+02:00)");
        s.last_ts = None;
        assert_eq!(time_range(&s), "no timestamped statements");
    }
}

#[cfg(test)]
mod csp_tests {
    use super::*;

    #[test]
    fn hashes_are_base64_sha256_as_csp_writes_them() {
        // FIPS 180-2 vectors
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert_eq!(
            csp_hash("abc"),
            "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"
        );
        let p = csp("a", Some("b"));
        assert!(!p.contains("unsafe"), "{p}");
        assert!(p.contains(&format!("style-src {};", csp_hash("a"))));
        assert!(p.contains(&format!("script-src {};", csp_hash("b"))));
        assert!(!csp("a", None).contains("script-src"));
    }
}
