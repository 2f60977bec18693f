//! pgsift: PostgreSQL logs and statistics in, one self-contained HTML audit report out.
//!
//! The pipeline, one module per layer, each knowing nothing of the ones after it:
//! [`input`] (discover and read files) -> [`parse`] (lines -> log entries -> events)
//! -> [`normalize`] (SQL -> grouping key) -> [`aggregate`] (mergeable accumulators;
//! statistics CSVs are read by [`stats`] into rows by header and snapshots)
//! -> [`analyze`] (ranked, serializable audit) -> [`report`] (JSON and HTML bytes)
//! -> [`output`] (the only code that writes files). [`app`] wires them together;
//! [`cli`] holds the command-line definitions; [`units`] formats numbers for both
//! the audit's texts and the report. Two bottom modules serve several layers:
//! [`merge`] (how partial results combine) and [`coverage`] (what happened to
//! every input line).

pub mod aggregate;
pub mod analyze;
pub mod app;
pub mod cli;
pub mod coverage;
pub mod input;
pub mod merge;
pub mod normalize;
pub mod output;
pub mod parse;
pub mod report;
pub mod stats;
pub mod units;
