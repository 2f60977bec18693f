//! The report as a user opens it (issue 22): printed to PDF by headless
//! Chromium, the samples' report is a short document; the page asks for
//! nothing outside itself and carries no inline event handler (its one
//! script adds its handlers itself). Its policy allows its own style and
//! script by hash, nothing inline else (issue 23): Chromium runs the script
//! as written and refuses it changed by one byte.

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
    let csp = policy(&html);
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(
        !html.contains(" style=\""),
        "a style attribute needs unsafe-inline"
    );
    // the hashes are those of the page's own style and script
    for (tag, directive) in [("style", "style-src"), ("script", "script-src")] {
        let body = between(&html, &format!("<{tag}>"), &format!("</{tag}>"));
        assert!(
            csp.contains(&format!("{directive} 'sha256-{}'", sha256_b64(body))),
            "{tag}: {csp}"
        );
    }
    // every section is in the menu
    let section = regex::Regex::new(r#"<section id="([a-z0-9-]+)""#).unwrap();
    for id in section.captures_iter(&html) {
        assert!(
            html.contains(&format!("<a href=\"#{}\">", &id[1])),
            "{}",
            &id[1]
        );
    }
}

/// The page's Content-Security-Policy, unescaped.
fn policy(html: &str) -> String {
    between(
        html,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    )
    .replace("&#39;", "'")
}

fn between<'a>(s: &'a str, from: &str, to: &str) -> &'a str {
    let start = s.find(from).unwrap_or_else(|| panic!("no {from}")) + from.len();
    &s[start..start + s[start..].find(to).unwrap()]
}

fn sha256_b64(text: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(text.as_bytes());
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in d.chunks(3) {
        let n = c.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - c.len()));
        for i in 0..=c.len() {
            out.push(b64[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
        out.extend(std::iter::repeat_n('=', 3 - c.len()));
    }
    out
}

/// Headless Chromium on `page` with its own profile folder and `extra`
/// flags (what to make of the page).
fn chromium(
    page: &std::path::Path,
    profile: &std::path::Path,
    extra: &[String],
) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium is installed (.ci/run installs it)")
}

/// The page's DOM after its script ran, as headless Chromium has it.
fn dom(page: &std::path::Path, profile: &std::path::Path) -> String {
    let out = chromium(page, profile, &["--dump-dom".to_string()]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chromium_runs_the_pages_script_by_its_hash_and_refuses_it_changed() {
    let d = tempfile::tempdir().unwrap();
    let (page, html) = samples_report(d.path());
    // the script adds the copy buttons and the filter boxes
    let ran = dom(&page, &d.path().join("chrome-a"));
    assert!(ran.contains("class=\"tools\""), "the script did not run");
    // one byte of the script changed: its hash no longer matches, it does not run
    let tampered = html.replacen("<script>", "<script> ", 1);
    let other = d.path().join("tampered.html");
    std::fs::write(&other, tampered).unwrap();
    let refused = dom(&other, &d.path().join("chrome-b"));
    assert!(
        refused.contains("<section id=\"queries\">"),
        "the page loaded"
    );
    assert!(
        !refused.contains("class=\"tools\""),
        "a script off its hash ran"
    );
}

#[test]
fn the_samples_report_prints_as_a_short_document() {
    let d = tempfile::tempdir().unwrap();
    let (page, _) = samples_report(d.path());
    let pdf = d.path().join("report.pdf");
    let out = chromium(
        &page,
        &d.path().join("chrome"),
        &[
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
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
