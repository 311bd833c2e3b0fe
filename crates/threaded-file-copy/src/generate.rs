//! Seeded sample trees: the same seed always builds the same tree, byte for byte, so that
//! benchmark runs on different machines copy the same thing.
//!
//! - small-files: N files (default 10,000) spread over 100 directories, 100 B to 16 KiB each;
//! - large-files: 4 files of M MiB each (default 64);
//! - the demo's sample: a few thousand small files, a few large ones, and one of each
//!   special case (an empty directory, nested directories, a symlink, a dangling symlink, a
//!   hard link pair).
//!
//! Contents are pseudo-random (SplitMix64), so that no file system can store them as holes.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context as _, Result};

use crate::cli::Preset;
use crate::error::Refusal;

/// SplitMix64: a tiny, fast, well-mixed generator; plenty for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Builds the `preset` tree in `dir`, which must not exist or be an empty directory.
pub fn generate(dir: &Path, preset: Preset, files: usize, mib: u64, seed: u64) -> Result<()> {
    prepare(dir)?;
    let mut rng = Rng::new(seed);
    match preset {
        Preset::SmallFiles => small_files(dir, files, 100, &mut rng),
        Preset::LargeFiles => large_files(dir, 4, mib, &mut rng),
    }
}

/// The demo's tree: small and large files plus every special case the copier handles.
pub fn sample(dir: &Path, seed: u64) -> Result<()> {
    prepare(dir)?;
    let mut rng = Rng::new(seed);
    small_files(&dir.join("small"), 3000, 30, &mut rng)?;
    large_files(&dir.join("large"), 3, 16, &mut rng)?;
    let special = dir.join("special");
    fs::create_dir_all(special.join("empty"))?;
    fs::create_dir_all(special.join("a/b/c"))?;
    fs::write(special.join("a/b/c/deep.txt"), b"nested\n")?;
    fs::write(special.join("original.txt"), b"one file, two names\n")?;
    fs::hard_link(special.join("original.txt"), special.join("hardlink.txt"))?;
    std::os::unix::fs::symlink("original.txt", special.join("symlink"))?;
    std::os::unix::fs::symlink("does-not-exist", special.join("dangling"))?;
    Ok(())
}

fn prepare(dir: &Path) -> Result<()> {
    if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Refusal::new(format!(
            "'{}' is not empty: refusing to generate a tree into it",
            dir.display()
        ))
        .into());
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create '{}'", dir.display()))
}

fn small_files(dir: &Path, files: usize, dirs: usize, rng: &mut Rng) -> Result<()> {
    let dirs = dirs.clamp(1, files.max(1));
    let mut buf = vec![0u8; 16 * 1024];
    for d in 0..dirs {
        let sub = dir.join(format!("dir-{d:03}"));
        fs::create_dir_all(&sub).with_context(|| format!("cannot create '{}'", sub.display()))?;
        // Directory d holds files d, d + dirs, d + 2 * dirs, ...: every directory gets its
        // share, within one file, whatever N is.
        for f in (d..files).step_by(dirs) {
            let len = rng.range(100, 16 * 1024) as usize;
            rng.fill(&mut buf[..len]);
            let path = sub.join(format!("file-{f:05}.bin"));
            fs::write(&path, &buf[..len])
                .with_context(|| format!("cannot write '{}'", path.display()))?;
        }
    }
    Ok(())
}

fn large_files(dir: &Path, count: usize, mib: u64, rng: &mut Rng) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..count {
        let path = dir.join(format!("large-{i}.bin"));
        let file =
            File::create(&path).with_context(|| format!("cannot create '{}'", path.display()))?;
        let mut out = BufWriter::new(file);
        for _ in 0..mib {
            rng.fill(&mut buf);
            out.write_all(&buf)
                .with_context(|| format!("cannot write '{}'", path.display()))?;
        }
        out.flush()
            .with_context(|| format!("cannot write '{}'", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        generate(&a, Preset::SmallFiles, 250, 1, 7).unwrap();
        generate(&b, Preset::SmallFiles, 250, 1, 7).unwrap();
        let files: Vec<_> = walkdir::WalkDir::new(&a)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .collect();
        assert_eq!(files.len(), 250);
        for f in files {
            let rel = f.path().strip_prefix(&a).unwrap();
            let len = f.metadata().unwrap().len();
            assert!((100..=16 * 1024).contains(&len));
            assert_eq!(fs::read(f.path()).unwrap(), fs::read(b.join(rel)).unwrap());
        }
        assert!(
            generate(&a, Preset::LargeFiles, 0, 1, 7).is_err(),
            "refuses a non-empty dir"
        );
    }
}
