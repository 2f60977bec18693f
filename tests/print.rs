//! The report as a user opens it (issue 22): printed to PDF by headless
//! Chromium, the samples' report is a short document; the page asks for
//! nothing outside itself and carries no inline event handler (its one
//! script adds its handlers itself).

use std::process::Command;

/// The samples' report, with a hostile title to check escaping on the way.
fn samples_report(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let r = crate::harness::run(&["samples/", "-q", "--title", "<img src=x onerror=alert(1)>"]);
    let p = dir.join("report.html");
    std::fs::write(&p, &r.html).unwrap();
    (p, r.html)
}

#[test]
fn the_page_loads_nothing_and_has_no_inline_handlers() {
    let d = tempfile::tempdir().unwrap();
    let (_, html) = samples_report(d.path());
    let tag = regex::Regex::new(r"<[a-zA-Z][^>]*>").unwrap();
    let handler = regex::Regex::new(r#"(?i)\son[a-z]+\s*="#).unwrap();
    let external =
        regex::Regex::new(r#"(?i)(src|href|action)\s*=\s*["']?\s*(https?:|//)"#).unwrap();
    for t in tag.find_iter(&html) {
        assert!(
            !handler.is_match(t.as_str()),
            "inline handler: {}",
            t.as_str()
        );
        assert!(
            !external.is_match(t.as_str()),
            "external reference: {}",
            t.as_str()
        );
    }
    assert!(!html.contains("@import") && !html.contains("url(http"));
    assert!(
        html.contains("default-src 'none'"),
        "the CSP forbids loading"
    );
}

#[test]
fn the_samples_report_prints_as_a_short_document() {
    let d = tempfile::tempdir().unwrap();
    let (page, _) = samples_report(d.path());
    let pdf = d.path().join("report.pdf");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            d.path().join("chrome").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium is installed (.ci/run installs it)");
    assert!(pdf.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    // pages: the /Type /Page objects (not the /Pages tree)
    let pages = regex::bytes::Regex::new(r"/Type\s*/Page[^s]")
        .unwrap()
        .find_iter(&bytes)
        .count();
    // every section printed in full was 38 pages for a run of the samples'
    // size; now the first rows and lines only, findings open
    assert!((3..=20).contains(&pages), "{pages} pages");
}
