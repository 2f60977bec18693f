//! The report's sections, one unit each: `<name>.rs` beside
//! `templates/sections/<name>.html` holds the section's typed rows, the askama
//! template struct `<Name>Section`, and `build(audit, top)` that makes it from
//! the audit (`top` bounds the lists). [`crate::report::html`] composes the page
//! from them; sections share rows through [`crate::report::rows`] and links
//! through [`crate::report::anchors`], and never import the page.

pub mod advice;
pub mod autovacuum;
pub mod cache;
pub mod checklist;
pub mod checkpointer;
pub mod checkpoints;
pub mod comparison;
pub mod connections;
pub mod coverage;
pub mod errors;
pub mod findings;
pub mod indexes;
pub mod latency;
pub mod locks;
pub mod nplusone;
pub mod overview;
pub mod pgbouncer;
pub mod plans;
pub mod queries;
pub mod sessions;
pub mod slowest;
pub mod statements;
pub mod stats;
pub mod summary;
pub mod tables;
pub mod tempfiles;
pub mod thresholds;
pub mod timeline;

#[cfg(test)]
mod tests;
