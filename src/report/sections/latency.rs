//! "Latency distribution": executions per duration bin, as an inline SVG bar
//! chart with the time each bin took.

use crate::analyze::{Audit, LatencyBin};
use crate::units::{count, duration_ms};
use askama::Template;

/// One bar of the latency histogram, with its SVG geometry.
#[derive(Debug, Clone, Default)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub label: String,
    pub count: String,
    pub time: String,
    pub label_x: f64,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/latency.html")]
pub struct LatencySection {
    pub bars: Vec<Bar>,
    pub chart_w: f64,
    pub chart_h: f64,
    /// The axis: bars stand on it, labels hang below it.
    pub base_y: f64,
}

pub fn build(a: &Audit, _top: usize) -> LatencySection {
    let (chart_w, chart_h) = (760.0, 230.0);
    let base_y = chart_h - 30.0;
    LatencySection {
        bars: bars(&a.latency_bins, chart_w, chart_h, base_y),
        chart_w,
        chart_h,
        base_y,
    }
}

/// `< 1 ms`, `1-10 ms`, `500 ms-1 s`, `>= 10 s`.
fn bin_label(b: &LatencyBin) -> String {
    let unit = |ms: u64| {
        if ms >= 1000 {
            format!("{} s", ms / 1000)
        } else {
            format!("{ms} ms")
        }
    };
    match b.to_ms {
        Some(to) if b.from_ms == 0 => format!("< {}", unit(to)),
        Some(to) if (b.from_ms >= 1000) == (to >= 1000) => {
            let from = if b.from_ms >= 1000 {
                b.from_ms / 1000
            } else {
                b.from_ms
            };
            format!("{from}-{}", unit(to))
        }
        Some(to) => format!("{}-{}", unit(b.from_ms), unit(to)),
        None => format!(">= {}", unit(b.from_ms)),
    }
}

/// One bar per bin, heights on a log scale of the count (`log10(1 + n)`), so
/// a bin of 4 executions still shows next to one of 23,699 (its count is
/// written above it); an empty bin has no bar.
fn bars(bins: &[LatencyBin], w: f64, h: f64, base_y: f64) -> Vec<Bar> {
    let scale = |n: u64| (1.0 + n as f64).log10();
    let max = bins
        .iter()
        .map(|b| scale(b.count))
        .fold(0.0_f64, f64::max)
        .max(scale(1));
    let slot = w / bins.len() as f64;
    bins.iter()
        .enumerate()
        .map(|(i, b)| {
            let bh = scale(b.count) / max * (h - 60.0);
            Bar {
                x: i as f64 * slot + 8.0,
                y: base_y - bh,
                w: slot - 16.0,
                h: bh,
                label: bin_label(b),
                count: count(b.count),
                time: duration_ms(b.total_ms),
                label_x: i as f64 * slot + slot / 2.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(from_ms: u64, to_ms: Option<u64>, count: u64) -> LatencyBin {
        LatencyBin {
            from_ms,
            to_ms,
            count,
            ..Default::default()
        }
    }

    #[test]
    fn labels_read_in_one_unit_where_they_can() {
        assert_eq!(bin_label(&bin(0, Some(1), 0)), "< 1 ms");
        assert_eq!(bin_label(&bin(10, Some(100), 0)), "10-100 ms");
        assert_eq!(bin_label(&bin(500, Some(1000), 0)), "500 ms-1 s");
        assert_eq!(bin_label(&bin(1000, Some(10000), 0)), "1-10 s");
        assert_eq!(bin_label(&bin(10000, None, 0)), ">= 10 s");
    }

    #[test]
    fn bars_scale_to_the_fullest_bin_on_a_log_scale() {
        let b = bars(
            &[bin(0, Some(1), 100), bin(1, Some(10), 0), bin(10, None, 1)],
            300.0,
            230.0,
            200.0,
        );
        assert_eq!(b[0].h, 170.0);
        assert_eq!(b[0].y, 30.0);
        assert_eq!(b[1].h, 0.0);
        // one execution next to a hundred: still 15% of the height, not 1%
        let expected = 170.0 * 2f64.log10() / 101f64.log10();
        assert!((b[2].h - expected).abs() < 1e-9, "{}", b[2].h);
        assert!(b[2].h > 25.0);
        assert_eq!((b[1].x, b[1].w, b[1].label_x), (108.0, 84.0, 150.0));
    }
}
