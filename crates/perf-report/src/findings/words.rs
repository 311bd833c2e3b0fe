//! The words of the findings: how a configuration, a ratio or a range of gaps is said, so that
//! every sentence in `mod.rs` phrases the same numbers the same way.

use crate::format::fmt_x;
use crate::stats::{Row, BASELINE};

/// Within this fraction two times are said to be "about as fast". Wording only: whether a
/// difference is real is decided from the runs, in `evidence.rs`.
pub(super) const TIE: f64 = 0.03;

/// The row's label in backticks: "`threads`", or "`timely 2×1`".
pub(super) fn describe(row: &Row) -> String {
    format!("`{}`", row.label())
}

/// "with 4 workers", "with 1 worker"; empty for the baseline, whose worker count means nothing.
pub(super) fn workers_phrase(row: &Row) -> String {
    if row.mode == BASELINE {
        String::new()
    } else {
        format!(
            "with {} worker{}",
            row.workers,
            if row.workers == 1 { "" } else { "s" }
        )
    }
}

/// "`threads` with 4 workers" or "`sequential`".
pub(super) fn config(row: &Row) -> String {
    let w = workers_phrase(row);
    if w.is_empty() {
        describe(row)
    } else {
        format!("{} {w}", describe(row))
    }
}

/// How much faster a time is, given slower / faster (>= 1): "12% faster", "2.3× faster".
pub(super) fn faster_by(ratio: f64) -> String {
    if ratio < 1.0 + TIE {
        "about as fast".to_string()
    } else if ratio < 2.0 {
        format!("{:.0}% faster", (ratio - 1.0) * 100.0)
    } else {
        format!("{} faster", fmt_x(ratio))
    }
}

/// How much longer a time took, given slower / faster (>= 1): "12% longer", "2.3× as long".
pub(super) fn longer_by(ratio: f64) -> String {
    if ratio < 1.005 {
        "about as long".to_string()
    } else if ratio < 2.0 {
        format!("{:.0}% longer", (ratio - 1.0) * 100.0)
    } else {
        format!("{} as long", fmt_x(ratio))
    }
}

/// A range of percentage gaps (positive: slower) in words: "between 3% and 15% slower",
/// "between 2% faster and 40% slower".
pub(super) fn gap_range(lo: f64, hi: f64) -> String {
    if lo >= 0.0 {
        format!("between {lo:.0}% and {hi:.0}% slower")
    } else if hi <= 0.0 {
        format!("between {:.0}% and {:.0}% faster", -hi, -lo)
    } else {
        format!("between {:.0}% faster and {hi:.0}% slower", -lo)
    }
}

/// How time `a` compares with time `b`: "1.6× faster", "12% slower", "about as fast".
pub(super) fn compare(a: f64, b: f64) -> String {
    if a <= b {
        faster_by(b / a)
    } else if a / b < 1.0 + TIE {
        "about as fast".to_string()
    } else if a / b < 2.0 {
        format!("{:.0}% slower", (a / b - 1.0) * 100.0)
    } else {
        format!("{} slower", fmt_x(a / b))
    }
}

/// An ideal speedup without trailing zeros: "2", "1.5".
pub(super) fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
