//! The shape of the code, checked: the pipeline's layers import only the layers
//! before them (so there is no import cycle), report sections never import the
//! page that composes them, and no file or function outgrows what a reader
//! takes in at once (issue 16's limits: 800 lines a file, 150 a function).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module's rank: a module may use only modules of a lower rank.
/// Modules of one rank (aggregate and stats) know nothing of each other.
const RANKS: &[(&str, u32)] = &[
    ("merge", 0),
    ("units", 0),
    ("coverage", 1),
    ("input", 2),
    ("parse", 3),
    ("normalize", 3),
    ("aggregate", 4),
    ("stats", 4),
    ("analyze", 5),
    ("report", 6),
    ("output", 6),
    ("cli", 7),
    ("app", 8),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source files under src/, with their text.
fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect()
}

/// The top-level module a file belongs to (`src/analyze/stats/mod.rs` -> `analyze`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix("src").unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a line, without its `//` comment (doc links name modules freely).
fn code(line: &str) -> &str {
    line.split("//").next().unwrap()
}

/// Top-level modules a text refers to through `crate::name` or `crate::{a, b::c}`.
fn crate_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().map(code) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push(name);
                }
            } else {
                out.push(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                );
            }
        }
    }
    out
}

#[test]
fn layers_import_only_the_layers_before_them() {
    let rank: BTreeMap<&str, u32> = RANKS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (path, text) in sources() {
        let m = module_of(&path);
        if m == "lib" || m == "main" {
            continue;
        }
        let Some(&own) = rank.get(m.as_str()) else {
            panic!("{}: module {m} has no rank in RANKS", path.display());
        };
        for r in crate_refs(&text) {
            if r == m || r.is_empty() {
                continue;
            }
            match rank.get(r.as_str()) {
                Some(&other) if other < own => {}
                _ => wrong.push(format!("{} ({m}) uses crate::{r}", path.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the pipeline:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn report_sections_do_not_import_the_page() {
    for (path, text) in sources() {
        let p = path.to_string_lossy();
        if !p.starts_with("src/report/sections/") || p.ends_with("tests.rs") {
            continue;
        }
        for line in text.lines().map(code) {
            assert!(
                !line.contains("html::") && !line.contains("super::super::html"),
                "{p} imports the page: {line}"
            );
        }
    }
}

/// Lines from each `fn` to the brace closing it at the same indentation.
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let indent = &l[..l.len() - t.len()];
        let sig = t
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("const ");
        let Some(name) = sig.strip_prefix("fn ") else {
            continue;
        };
        if l.trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|x| x.trim_end() == close) {
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((name, end + 2));
        }
    }
    out
}

#[test]
fn no_file_or_function_outgrows_a_reading() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        let n = text.lines().count();
        if n > 800 {
            long.push(format!("{}: {n} lines", path.display()));
        }
        for (name, len) in function_lengths(&text) {
            if len > 150 {
                long.push(format!("{}: fn {name}, {len} lines", path.display()));
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

#[test]
fn the_length_check_sees_functions() {
    let text = "fn a() {\n    1\n}\n\nimpl X {\n    pub fn b(&self) -> u8 {\n        2\n    }\n}\n";
    assert_eq!(
        function_lengths(text),
        [("a".to_string(), 3), ("b".to_string(), 3)]
    );
    assert_eq!(
        crate_refs("use crate::{merge::Merge, units};\nx = crate::stats::y; // crate::app"),
        ["merge", "units", "stats"]
    );
}
