//! The input generator: `process-crunch generate FILE --rows N --stations K --seed S`.
//!
//! Each row picks one of K stations uniformly and draws a temperature from a normal
//! distribution around that station's yearly mean (standard deviation 10 degrees, as the 1BRC
//! generator does), clamped to [-99.9, 99.9] and rounded to one decimal.
//!
//! Same seed, same bytes: the random numbers come from a small hand-written generator
//! (xoshiro256++, seeded with SplitMix64, both public-domain algorithms) rather than from a
//! library whose algorithm may change between versions. The normal draws use Marsaglia's polar
//! method, which needs only `ln` and `sqrt` from the platform's maths library.
//!
//! Speed: rows are formatted by hand (the temperature by `stats::push_tenths`, which also
//! writes the output line) into a 1 MiB buffer that is written out when full, so a
//! row costs a few dozen instructions and no allocation.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::rng::Rng;
use crate::stations;
use crate::stats::push_tenths;

/// Defaults of the `generate` command (those of the 1BRC challenge, scaled to 10M rows).
pub const DEFAULT_ROWS: u64 = 10_000_000;
pub const DEFAULT_STATIONS: usize = 413;
pub const DEFAULT_SEED: u64 = 1;
/// The most stations the generator makes (the 1BRC limit).
pub const MAX_STATIONS: usize = 10_000;

/// Standard deviation of a station's temperatures, in degrees.
const STD_DEV: f64 = 10.0;
/// Output buffer size.
const BUFFER_BYTES: usize = 1 << 20;

/// Summary of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub rows: u64,
    pub bytes: u64,
}

/// Writes `rows` rows over `stations` stations to `path` (created or truncated).
pub fn generate(path: &Path, rows: u64, stations: usize, seed: u64) -> anyhow::Result<Generated> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let progress = io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(rows);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} rows, {eta} left")
                .expect("the template is valid"),
        );
        bar
    });
    let written = write_rows(file, rows, stations, seed, progress.as_ref());
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    match written {
        Ok(generated) => Ok(generated),
        Err(e) => {
            // Half a file is worse than none: it would parse, and give a wrong answer.
            let _ = std::fs::remove_file(path);
            Err(anyhow::Error::new(e).context(format!("cannot write {}", path.display())))
        }
    }
}

/// Writes the rows to `out`. Separate from [`generate`] so tests can write to memory.
pub fn write_rows(
    mut out: impl Write,
    rows: u64,
    stations: usize,
    seed: u64,
    progress: Option<&ProgressBar>,
) -> io::Result<Generated> {
    // Two generators from one seed: the station list does not depend on the row count.
    let stations = stations::stations(stations.clamp(1, MAX_STATIONS), &mut Rng::new(seed));
    let mut rng = Rng::new(seed ^ 0x7065_7261_7475_7265);
    let mut normal = Normal::default();

    let mut buf: Vec<u8> = Vec::with_capacity(BUFFER_BYTES + 128);
    let mut bytes = 0u64;
    for row in 0..rows {
        let (name, mean) = &stations[rng.below(stations.len() as u64) as usize];
        let degrees = f64::from(*mean) / 10.0 + STD_DEV * normal.sample(&mut rng);
        let tenths = ((degrees * 10.0).round() as i64).clamp(-999, 999);

        buf.extend_from_slice(name.as_bytes());
        buf.push(b';');
        push_tenths(&mut buf, tenths);
        buf.push(b'\n');

        if buf.len() >= BUFFER_BYTES {
            out.write_all(&buf)?;
            bytes += buf.len() as u64;
            buf.clear();
            if let Some(bar) = progress {
                bar.set_position(row + 1);
            }
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    bytes += buf.len() as u64;
    Ok(Generated { rows, bytes })
}

/// Standard normal draws by Marsaglia's polar method: two per accepted point, one kept spare.
#[derive(Default)]
struct Normal {
    spare: Option<f64>,
}

impl Normal {
    #[inline]
    fn sample(&mut self, rng: &mut Rng) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        loop {
            let (u, v) = (rng.signed_unit(), rng.signed_unit());
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * factor);
                return u * factor;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_tenths;

    fn rows(n: u64, stations: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_rows(&mut out, n, stations, seed, None).unwrap();
        out
    }

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(rows(5000, 413, 1), rows(5000, 413, 1));
        assert_ne!(rows(5000, 413, 1), rows(5000, 413, 2));
    }

    #[test]
    fn rows_are_valid_lines() {
        let data = rows(20_000, 10_000, 9);
        let mut count = 0;
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let sep = line.iter().position(|&b| b == b';').unwrap();
            assert!((1..=100).contains(&sep));
            assert!(parse_tenths(&line[sep + 1..]).is_ok(), "{line:?}");
            count += 1;
        }
        assert_eq!(count, 20_000);
    }

    #[test]
    fn normal_draws_have_the_right_mean_and_spread() {
        let mut rng = Rng::new(1);
        let mut normal = Normal::default();
        let draws: Vec<f64> = (0..100_000).map(|_| normal.sample(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn temperatures_format_by_hand() {
        for (tenths, text) in [
            (0, "0.0"),
            (-5, "-0.5"),
            (999, "99.9"),
            (-999, "-99.9"),
            (100, "10.0"),
        ] {
            let mut buf = Vec::new();
            push_tenths(&mut buf, tenths);
            assert_eq!(buf, text.as_bytes());
        }
    }
}
