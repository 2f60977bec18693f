//! Report layer: the [`Audit`](crate::analyze::Audit) -> bytes. [`json`] is the
//! stable machine contract; [`html`] the self-contained page (askama templates
//! under `templates/`, CSS and JS inlined, charts as inline SVG). Nothing here
//! writes files.

pub mod activity_html;
pub mod audit_html;
pub mod html;
pub mod json;
pub mod stats_html;
