//! The progress line on stderr (a terminal): bytes read of the inputs' sizes on
//! disk, MB/s and time left, redrawn a few times a second from the run's
//! [`DiskBytes`] count.

use crate::input::DiskBytes;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A progress line being drawn on its own thread.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    /// Starts drawing the progress of reading `total` bytes, counted in `read`.
    pub fn start(total: u64, read: DiskBytes) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let base = read.get();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut stderr = std::io::stderr();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let line = progress_line(read.get() - base, total, started.elapsed());
                let _ = write!(stderr, "\r{line}   ");
            }
            let _ = write!(stderr, "\r{:78}\r", "");
        });
        Progress { stop, thread }
    }

    /// Stops drawing and clears the line.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// The line for `done` bytes of `total` read in `elapsed`; with no total
/// known (standard input, a pipe), the bytes and the rate only.
fn progress_line(done: u64, total: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    if total == 0 {
        return format!(
            "pgsift: {:.1} MB read, {:.0} MB/s",
            done as f64 / 1e6,
            rate / 1e6
        );
    }
    let left = if rate > 0.0 && total > done {
        format!(", about {:.0} s left", (total - done) as f64 / rate)
    } else {
        String::new()
    };
    format!(
        "pgsift: {:.1} of {:.1} MB read ({:.0}%), {:.0} MB/s{left}",
        done as f64 / 1e6,
        total as f64 / 1e6,
        (done as f64 * 100.0 / total as f64).min(100.0),
        rate / 1e6
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_share_rate_and_time_left() {
        assert_eq!(
            progress_line(50_000_000, 200_000_000, Duration::from_secs(2)),
            "pgsift: 50.0 of 200.0 MB read (25%), 25 MB/s, about 6 s left"
        );
        // standard input: no size, so no share and no time left
        assert_eq!(
            progress_line(3_000_000, 0, Duration::from_secs(1)),
            "pgsift: 3.0 MB read, 3 MB/s"
        );
    }
}
