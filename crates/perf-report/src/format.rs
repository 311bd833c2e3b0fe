//! How numbers are written in the report: times, ranges, rates and ratios, each to three
//! significant digits. A leaf module: the tables, the findings and the charts all format through
//! it, so the same number reads the same everywhere.

/// Three significant digits, without exponent: 0.123, 1.23, 12.3, 123, 1234.
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A time in ms or s: "0.412 ms", "41.2 ms", "412 ms", "4.12 s".
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", sig3(ms / 1000.0))
    } else {
        format!("{} ms", sig3(ms))
    }
}

/// A time that may be far below a millisecond (CPU time per row): in ns, µs, ms or s, so that
/// 30 ns reads "30.0 ns", not "0.000 ms".
pub fn fmt_tiny_ms(ms: f64) -> String {
    if ms >= 1.0 || ms == 0.0 {
        fmt_ms(ms)
    } else if ms >= 1e-3 {
        format!("{} µs", sig3(ms * 1e3))
    } else {
        format!("{} ns", sig3(ms * 1e6))
    }
}

/// A range of times with the unit written once where both ends share it: "401–430 ms".
pub fn fmt_range(min: f64, max: f64) -> String {
    if max < 1000.0 {
        format!("{}–{} ms", sig3(min), sig3(max))
    } else if min >= 1000.0 {
        format!("{}–{} s", sig3(min / 1000.0), sig3(max / 1000.0))
    } else {
        format!("{} – {}", fmt_ms(min), fmt_ms(max))
    }
}

/// A rate with a metric prefix: "512", "12.3 k", "4.56 M".
pub fn fmt_rate(per_s: f64) -> String {
    if per_s >= 1e9 {
        format!("{} G", sig3(per_s / 1e9))
    } else if per_s >= 1e6 {
        format!("{} M", sig3(per_s / 1e6))
    } else if per_s >= 1e3 {
        format!("{} k", sig3(per_s / 1e3))
    } else {
        sig3(per_s)
    }
}

/// A ratio: "1.93×", "12.4×".
pub fn fmt_x(ratio: f64) -> String {
    format!(
        "{}×",
        if ratio < 10.0 {
            format!("{ratio:.2}")
        } else {
            sig3(ratio)
        }
    )
}

/// A memory size from KiB: "812 KiB", "41.2 MiB", "1.23 GiB".
pub fn fmt_kib(kib: f64) -> String {
    if kib >= 1024.0 * 1024.0 {
        format!("{} GiB", sig3(kib / (1024.0 * 1024.0)))
    } else if kib >= 1024.0 {
        format!("{} MiB", sig3(kib / 1024.0))
    } else {
        format!("{} KiB", sig3(kib))
    }
}

/// "1 worker", "4 workers".
pub fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The first letter in upper case.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "a, b and c".
pub fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// 10000000 -> "10,000,000".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(fmt_ms(0.4123), "0.412 ms");
        assert_eq!(fmt_ms(41.23), "41.2 ms");
        assert_eq!(fmt_ms(412.3), "412 ms");
        assert_eq!(fmt_ms(4123.0), "4.12 s");
        assert_eq!(fmt_range(401.0, 430.4), "401–430 ms");
        assert_eq!(fmt_range(1500.0, 2500.0), "1.50–2.50 s");
        assert_eq!(fmt_range(900.0, 1100.0), "900 ms – 1.10 s");
        assert_eq!(fmt_rate(512.0), "512");
        assert_eq!(fmt_rate(12_345.0), "12.3 k");
        assert_eq!(fmt_rate(24_250_000.0), "24.2 M");
        assert_eq!(fmt_x(1.934), "1.93×");
        assert_eq!(fmt_x(26.66), "26.7×");
        assert_eq!(fmt_kib(812.0), "812 KiB");
        assert_eq!(fmt_kib(2048.0), "2.00 MiB");
        assert_eq!(plural(1, "worker"), "1 worker");
        assert_eq!(capitalize("rows"), "Rows");
        assert_eq!(grouped(10_000_000), "10,000,000");
        assert_eq!(grouped(999), "999");
    }
}
