//! Human formatting of numbers, durations, sizes and shares: one module that the
//! analyze layer (finding titles, targets, checklist evidence) and the report
//! layer (every table cell) both use.

/// `1234567` -> `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 deadlock`, `2 deadlocks`, `1,234 indexes`: a count with its noun in
/// the right number (`one` for exactly 1).
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// A duration in ms, with a unit a person reads at a glance:
/// `0.052 ms`, `12.3 ms`, `480 ms`, `1.24 s`, `3 min 05 s`, `2 h 03 min`.
pub fn duration_ms(ms: f64) -> String {
    if ms == 0.0 {
        "0 ms".to_string()
    } else if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms < 3_600_000.0 {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = (ms / 60_000.0).round() as u64;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// A duration known to about a second (timed by whole-second timestamps),
/// without digits it does not have: `about 10 s`, `about 3 min 05 s`.
pub fn about_seconds(ms: f64) -> String {
    let whole = (ms / 1000.0).round() * 1000.0;
    if whole < 60_000.0 {
        format!("about {:.0} s", whole / 1000.0)
    } else {
        format!("about {}", duration_ms(whole))
    }
}

/// An optional duration; `-` when absent.
pub fn opt_duration_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_string(), duration_ms)
}

/// A fraction as a percentage: `0.4567` -> `45.7%`.
pub fn percent(f: f64) -> String {
    if f > 0.0 && f < 0.001 {
        "<0.1%".to_string()
    } else {
        format!("{:.1}%", f * 100.0)
    }
}

/// Bytes with a binary unit (`1.5 MiB`).
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The first `n` characters of `s`, with `...` when it was longer.
pub fn short(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        t.push_str("...");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(100), "100");
        assert_eq!(duration_ms(0.0521), "0.052 ms");
        assert_eq!(duration_ms(12.34), "12.3 ms");
        assert_eq!(duration_ms(480.2), "480 ms");
        assert_eq!(duration_ms(1240.0), "1.24 s");
        assert_eq!(duration_ms(185_000.0), "3 min 05 s");
        assert_eq!(duration_ms(7_380_000.0), "2 h 03 min");
        assert_eq!(percent(0.4567), "45.7%");
        assert_eq!(percent(0.00001), "<0.1%");
        assert_eq!(bytes(1536), "1.5 KiB");
    }

    #[test]
    fn about_seconds_has_no_digits_it_does_not_have() {
        assert_eq!(about_seconds(9_999.0), "about 10 s");
        assert_eq!(about_seconds(2_000.0), "about 2 s");
        assert_eq!(about_seconds(400.0), "about 0 s");
        assert_eq!(about_seconds(185_000.0), "about 3 min 05 s");
    }
}
