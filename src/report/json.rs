//! JSON export of the audit (`schema_version` 1; documented in docs/json.md).

use crate::analyze::Audit;

/// The audit as pretty-printed JSON bytes, with a trailing newline.
pub fn render(audit: &Audit) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(audit).expect("the audit serializes: plain data only");
    v.push(b'\n');
    v
}
