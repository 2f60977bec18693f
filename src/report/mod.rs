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

/// Characters that change how the text around them shows without showing
/// themselves: bidirectional controls (U+202E reverses what follows), zero
/// widths, the byte order mark. The report shows them as `<U+202E>`.
pub(crate) fn is_invisible(ch: char) -> bool {
    matches!(
        u32::from(ch),
        0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF
    )
}

/// A rendered page with each [`is_invisible`] character written as the
/// visible text `<U+202E>` (escaped). The page's own markup, style and script
/// hold none, so only text from the inputs changes.
pub(crate) fn show_invisible(html: String) -> String {
    if !html.chars().any(is_invisible) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 64);
    for ch in html.chars() {
        if is_invisible(ch) {
            out.push_str(&format!("&lt;U+{:04X}&gt;", u32::from(ch)));
        } else {
            out.push(ch);
        }
    }
    out
}
