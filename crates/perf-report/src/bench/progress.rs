//! Progress on stderr, one line per run: `[k/n] what, run r/R (elapsed 1m05s, ETA 3m10s)`.
//! Plain lines rather than a redrawn bar: the run is long, and its log (a CI job, a terminal
//! scrolled back) should show every step.

use std::time::{Duration, Instant};

/// One line on stderr.
pub fn log(line: &str) {
    eprintln!("{line}");
}

/// Counts executions (warm-ups and timed runs) against the plan's total.
pub struct Progress {
    total: u64,
    done: u64,
    start: Instant,
}

impl Progress {
    pub fn new(total: u64) -> Progress {
        Progress {
            total,
            done: 0,
            start: Instant::now(),
        }
    }

    /// Logs the next step and counts it. The ETA is the mean time per execution so far times
    /// the executions left: rough (a crawl takes longer than a copy), and better as it goes.
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        let elapsed = self.start.elapsed();
        let eta = if self.done > 1 {
            let per = elapsed.as_secs_f64() / (self.done - 1) as f64;
            format!(
                ", ETA {}",
                clock(Duration::from_secs_f64(
                    per * (self.total - self.done + 1) as f64
                ))
            )
        } else {
            String::new()
        };
        log(&format!(
            "[{}/{}] {what} (elapsed {}{eta})",
            self.done,
            self.total,
            clock(elapsed)
        ));
    }
}

/// 65 s -> "1m05s", 3700 s -> "1h01m40s".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_like_a_stopwatch() {
        assert_eq!(clock(Duration::from_secs(7)), "7s");
        assert_eq!(clock(Duration::from_secs(65)), "1m05s");
        assert_eq!(clock(Duration::from_secs(3700)), "1h01m40s");
    }
}
