//! Report layer: the [`Audit`](crate::analyze::Audit) -> bytes. [`json`] is the
//! stable machine contract; [`html`] the self-contained page, composed of the
//! [`sections`] (one askama template and view model each, under
//! `templates/sections/`), CSS and JS inlined, charts as inline SVG. Nothing
//! here writes files.

pub mod anchors;
pub mod html;
pub mod index;
pub mod json;
pub mod markdown;
pub mod rows;
pub mod sections;
