//! Per-station statistics and the 1BRC output line.
//!
//! Every temperature is kept in integer tenths of a degree (`-12.3` is `-123`), so that the sum
//! is exact and every mode, whatever order it merges partial results in, prints the same bytes.
//! Floating point would make the result depend on the order of additions.
//!
//! A [`Partial`] is what one worker hands back: a map from station name (raw bytes, never
//! checked for UTF-8) to [`StationStats`], plus the count of skipped lines. Partials merge
//! associatively, which is what lets threads, rayon and processes each aggregate a piece of the
//! file.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Min, max, sum and count of one station's temperatures, in tenths of a degree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationStats {
    /// Lowest temperature seen, in tenths.
    pub min: i16,
    /// Highest temperature seen, in tenths.
    pub max: i16,
    /// Sum of all temperatures, in tenths. An i64 holds 9.2e15 rows of 99.9 before overflow.
    pub sum: i64,
    /// Number of rows for this station.
    pub count: u64,
}

impl StationStats {
    /// The statistics of a single reading.
    #[inline]
    pub fn new(tenths: i16) -> Self {
        StationStats {
            min: tenths,
            max: tenths,
            sum: i64::from(tenths),
            count: 1,
        }
    }

    /// Adds one reading.
    #[inline]
    pub fn add(&mut self, tenths: i16) {
        self.min = self.min.min(tenths);
        self.max = self.max.max(tenths);
        self.sum += i64::from(tenths);
        self.count += 1;
    }

    /// Folds another station's statistics into this one.
    pub fn merge(&mut self, other: &StationStats) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.count += other.count;
    }

    /// The mean in tenths, rounded as the 1BRC reference rounds: half toward positive infinity.
    ///
    /// The reference computes `Math.round(mean * 10.0) / 10.0` in doubles. Here the mean is the
    /// exact fraction `sum / count` (in tenths), and rounding half up is
    /// `floor(sum / count + 1/2) = floor((2 * sum + count) / (2 * count))`. `div_euclid` is a
    /// floor division for a positive divisor, so negative sums round the same way
    /// (-0.05 -> 0.0, -0.15 -> -0.1, -0.16 -> -0.2). i128 so that nothing can overflow.
    pub fn mean_tenths(&self) -> i64 {
        let sum = i128::from(self.sum);
        let count = i128::from(self.count.max(1));
        (2 * sum + count).div_euclid(2 * count) as i64
    }
}

/// The map type every parser fills: names are raw bytes, looked up with a borrowed `&[u8]`
/// (`Box<[u8]>: Borrow<[u8]>`), so a name is copied only the first time it is seen.
/// FxHash: a fast, non-cryptographic hash; the input is not adversarial here.
pub type StationMap = FxHashMap<Box<[u8]>, StationStats>;

/// Folds one station's statistics into `map`. The name is already owned, so one `entry`
/// lookup serves both cases.
pub fn merge_station(map: &mut StationMap, name: Box<[u8]>, stats: &StationStats) {
    map.entry(name)
        .and_modify(|mine| mine.merge(stats))
        .or_insert(*stats);
}

/// The result of aggregating one byte range of the file (or all of it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Station name (raw bytes) to its statistics.
    pub stations: StationMap,
    /// Malformed lines skipped (only with `--skip-bad`; otherwise the first one is an error).
    pub skipped: u64,
}

impl Partial {
    /// Adds one reading of `name`, copying the name only when it is new.
    #[inline]
    pub fn add(&mut self, name: &[u8], tenths: i16) {
        match self.stations.get_mut(name) {
            Some(stats) => stats.add(tenths),
            None => {
                self.stations.insert(name.into(), StationStats::new(tenths));
            }
        }
    }

    /// Rows aggregated: the sum of the stations' counts, worked out when asked for rather
    /// than counted again for every line.
    pub fn rows(&self) -> u64 {
        self.stations.values().map(|stats| stats.count).sum()
    }

    /// Merges `other` into `self`. Merging the smaller map into the larger one saves work when
    /// the sizes differ; the result is the same either way.
    pub fn merge(&mut self, mut other: Partial) {
        if other.stations.len() > self.stations.len() {
            std::mem::swap(&mut self.stations, &mut other.stations);
        }
        for (name, stats) in other.stations {
            merge_station(&mut self.stations, name, &stats);
        }
        self.skipped += other.skipped;
    }

    /// The 1BRC result: `{name=min/mean/max, ...}` sorted by the names' bytes, then a newline.
    ///
    /// Names are written back as the bytes they were read as (no UTF-8 check, no replacement).
    pub fn to_1brc(&self) -> Vec<u8> {
        let mut entries: Vec<(&[u8], &StationStats)> = self
            .stations
            .iter()
            .map(|(name, stats)| (&name[..], stats))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let mut out = Vec::with_capacity(2 + entries.len() * 32);
        out.push(b'{');
        for (i, (name, stats)) in entries.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(name);
            out.push(b'=');
            push_tenths(&mut out, i64::from(stats.min));
            out.push(b'/');
            push_tenths(&mut out, stats.mean_tenths());
            out.push(b'/');
            push_tenths(&mut out, i64::from(stats.max));
        }
        out.extend_from_slice(b"}\n");
        out
    }
}

/// Writes tenths as a number with one decimal: `-123` -> `-12.3`, `5` -> `0.5`, `-5` -> `-0.5`.
///
/// Zero is always `0.0`, never `-0.0`: the reference rounds through `Math.round`, which returns
/// a `long`, so it cannot print a negative zero either (an input of `-0.0` is 0 tenths).
pub fn push_tenths(out: &mut Vec<u8>, tenths: i64) {
    if tenths < 0 {
        out.push(b'-');
    }
    let abs = tenths.unsigned_abs();
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(abs / 10).as_bytes());
    out.push(b'.');
    out.push(b'0' + (abs % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`push_tenths`] as a `String`.
    fn format_tenths(tenths: i64) -> String {
        let mut out = Vec::new();
        push_tenths(&mut out, tenths);
        String::from_utf8(out).expect("digits, '-' and '.' are ASCII")
    }

    fn mean_of(values: &[i16]) -> String {
        let mut s = StationStats::new(values[0]);
        for &v in &values[1..] {
            s.add(v);
        }
        format_tenths(s.mean_tenths())
    }

    #[test]
    fn formats_tenths() {
        assert_eq!(format_tenths(0), "0.0");
        assert_eq!(format_tenths(5), "0.5");
        assert_eq!(format_tenths(-5), "-0.5");
        assert_eq!(format_tenths(999), "99.9");
        assert_eq!(format_tenths(-999), "-99.9");
        assert_eq!(format_tenths(-100), "-10.0");
    }

    #[test]
    fn mean_rounds_half_toward_positive_infinity() {
        // 0.1 and 0.2: mean 0.15 -> 0.2.
        assert_eq!(mean_of(&[1, 2]), "0.2");
        // -0.1 and -0.2: mean -0.15 -> -0.1 (toward +inf, as Java's Math.round).
        assert_eq!(mean_of(&[-1, -2]), "-0.1");
        // -0.1 and 0.0: mean -0.05 -> 0.0, printed without a minus sign.
        assert_eq!(mean_of(&[-1, 0]), "0.0");
        // -0.1, -0.1, 0.0: mean -0.0666 -> -0.1.
        assert_eq!(mean_of(&[-1, -1, 0]), "-0.1");
        // 12.3, 12.4: 12.35 -> 12.4; -12.3, -12.4: -12.35 -> -12.3.
        assert_eq!(mean_of(&[123, 124]), "12.4");
        assert_eq!(mean_of(&[-123, -124]), "-12.3");
        // Just under and over the half.
        assert_eq!(mean_of(&[1, 1, 2]), "0.1");
        assert_eq!(mean_of(&[1, 2, 2]), "0.2");
        assert_eq!(mean_of(&[999, 999]), "99.9");
        assert_eq!(mean_of(&[-999, -999]), "-99.9");
    }

    #[test]
    fn merge_is_order_independent() {
        let mut a = Partial::default();
        a.add(b"x", 10);
        a.add(b"y", -5);
        let mut b = Partial::default();
        b.add(b"x", -20);
        b.add(b"z", 7);
        b.skipped = 2;

        let mut ab = a.clone();
        ab.merge(b.clone());
        let mut ba = b;
        ba.merge(a);
        assert_eq!(ab, ba);
        assert_eq!(ab.rows(), 4);
        assert_eq!(ab.skipped, 2);
        assert_eq!(
            ab.to_1brc(),
            b"{x=-2.0/-0.5/1.0, y=-0.5/-0.5/-0.5, z=0.7/0.7/0.7}\n"
        );
    }

    #[test]
    fn empty_is_braces() {
        assert_eq!(Partial::default().to_1brc(), b"{}\n");
    }

    #[test]
    fn sorts_by_bytes_not_by_characters() {
        let mut p = Partial::default();
        p.add("Zürich".as_bytes(), 1);
        p.add("Zagreb".as_bytes(), 1);
        p.add("Ürümqi".as_bytes(), 1);
        p.add("Abéché".as_bytes(), 1);
        let line = String::from_utf8(p.to_1brc()).unwrap();
        assert_eq!(
            line,
            "{Abéché=0.1/0.1/0.1, Zagreb=0.1/0.1/0.1, Zürich=0.1/0.1/0.1, Ürümqi=0.1/0.1/0.1}\n"
        );
    }
}
