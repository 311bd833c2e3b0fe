//! Whether a difference between two configurations is real, decided from their runs and not
//! from a fixed percentage.
//!
//! The test: the two min–max ranges do not overlap. If both configurations were really the
//! same, every ordering of their n + m run times would be equally likely, and the chance that
//! all n runs of one fall below all m runs of the other, in either direction, is
//! 2 / C(n + m, n): 1 in 126 for 5 runs each, 1 in 10 for 3 runs each, certain for 1 run each.
//! A difference is called real when the ranges are apart and that chance is at most 5%;
//! ranges apart with a larger chance are "too few runs to tell"; overlapping ranges are a tie.

use crate::stats::Row;

/// The most chance of separation by noise alone that still counts as a real difference.
pub const LEVEL: f64 = 0.05;

/// The verdict on two configurations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// The ranges are apart and the chance of that by noise is at most [`LEVEL`].
    Real { chance: f64 },
    /// The ranges are apart, but with so few runs (`runs`: of each side) that noise alone
    /// could do it.
    TooFew { chance: f64, runs: (usize, usize) },
    /// The ranges overlap: the runs cannot tell the two apart.
    Tie,
}

impl Verdict {
    pub fn is_real(self) -> bool {
        matches!(self, Verdict::Real { .. })
    }

    /// "real", "tie", "too few runs to tell": the word for a table cell.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Real { .. } => "real",
            Verdict::TooFew { .. } => "too few runs to tell",
            Verdict::Tie => "tie",
        }
    }

    /// The word with its reason: "real (ranges apart; 0.8% by chance)".
    pub fn explained(self) -> String {
        match self {
            Verdict::Real { chance } => format!("real (ranges apart; {} by chance)", pct(chance)),
            Verdict::TooFew { runs: (1, 1), .. } => {
                "too few runs to tell (one run each)".to_string()
            }
            Verdict::TooFew {
                chance,
                runs: (n, m),
            } => format!(
                "too few runs to tell (ranges apart, but with {n} and {m} runs that happens by \
                 chance {} of the time)",
                pct(chance)
            ),
            Verdict::Tie => "tie (min–max ranges overlap)".to_string(),
        }
    }
}

fn pct(p: f64) -> String {
    if p >= 0.095 {
        format!("{:.0}%", p * 100.0)
    } else {
        format!("{:.1}%", p * 100.0)
    }
}

/// Compares two configurations by their runs, in either order.
pub fn compare(a: &Row, b: &Row) -> Verdict {
    compare_times(&a.times, &b.times)
}

/// Compares two sets of run times.
pub fn compare_times(a: &[f64], b: &[f64]) -> Verdict {
    if a.is_empty() || b.is_empty() {
        return Verdict::Tie;
    }
    let (a_lo, a_hi) = range(a);
    let (b_lo, b_hi) = range(b);
    if a_hi >= b_lo && b_hi >= a_lo {
        return Verdict::Tie;
    }
    let chance = separation_chance(a.len(), b.len());
    if chance <= LEVEL {
        Verdict::Real { chance }
    } else {
        Verdict::TooFew {
            chance,
            runs: (a.len(), b.len()),
        }
    }
}

fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

/// 2 / C(n + m, n), capped at 1: the chance that n and m runs of the same configuration come
/// out with ranges apart.
pub fn separation_chance(n: usize, m: usize) -> f64 {
    let k = n.min(m);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n + m - i) as f64 / (i + 1) as f64;
    }
    (2.0 / c).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_of_separation() {
        assert_eq!(separation_chance(1, 1), 1.0);
        assert!((separation_chance(3, 3) - 0.1).abs() < 1e-12);
        assert!((separation_chance(5, 5) - 2.0 / 252.0).abs() < 1e-12);
        assert!((separation_chance(5, 15) - 2.0 / 15504.0).abs() < 1e-12);
    }

    #[test]
    fn overlapping_ranges_are_a_tie_whatever_the_medians() {
        // Medians 100 against 130, but one slow run of the faster one reaches the other.
        let a = [95.0, 100.0, 131.0, 99.0, 101.0];
        let b = [128.0, 130.0, 132.0, 129.0, 131.0];
        assert_eq!(compare_times(&a, &b), Verdict::Tie);
        let a = [95.0, 100.0, 102.0, 99.0, 101.0];
        assert!(compare_times(&a, &b).is_real());
        assert!(compare_times(&b, &a).is_real());
        // Apart, but one run each: no evidence.
        assert!(matches!(
            compare_times(&[1.0], &[100.0]),
            Verdict::TooFew { .. }
        ));
        assert_eq!(
            compare_times(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).explained(),
            "too few runs to tell (ranges apart, but with 3 and 3 runs that happens by chance 10% of the time)"
        );
    }
}
