//! pgsift: PostgreSQL logs and statistics in, one self-contained HTML audit report out.
//!
//! The pipeline, one module per layer, each knowing nothing of the ones after it:
//! [`input`] (discover and read files) -> [`parse`] (lines -> log entries -> events)
//! -> [`normalize`] (SQL -> grouping key) -> [`aggregate`] (mergeable accumulators)
//! -> [`analyze`] (ranked, serializable audit) -> [`report`] (JSON and HTML bytes)
//! -> [`output`] (the only code that writes files). [`app`] wires them together.

pub mod normalize;
pub mod parse;
pub mod aggregate;
