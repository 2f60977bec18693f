//! pgsift's integration tests: one binary (faster to build and link than one
//! per topic), one module per topic, and one harness that runs `pgsift report`
//! and `pgsift merge` and holds the counting oracles (expected figures computed
//! from the logs' own text, never written down).

mod harness;
mod i18n;
mod oracle;

mod activity;
mod advice;
mod audit;
mod check;
mod chunks;
mod cli;
mod ddl;
mod detect;
mod exports;
mod filters;
mod formats;
mod hostile;
mod layers;
mod markdown;
mod papercuts;
mod partial;
mod per;
mod precision;
mod print;
mod stats;
mod timeline;
