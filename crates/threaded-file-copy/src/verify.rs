//! `--verify`, and the check the demo and the bench run on every copy: walk SRC again and
//! compare each entry with its copy: the type; for files the blake3 hash of the content, the
//! permission bits and the mtime; for directories the permission bits and the mtime; for
//! symlinks the target; and files hard-linked together in SRC must be one inode in DST.
//!
//! Entries the copy could not read are skipped here (they were reported already), and so,
//! when the copy reported errors, are entries missing from DST. Files are hashed in parallel
//! on a rayon pool.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::iter::{ParallelBridge, ParallelIterator};
use walkdir::WalkDir;

use crate::context::{file_id, FileId};
use crate::meta::PERM_MASK;

/// Compares `dst` with `src`; returns one line per difference (empty: the copy is exact).
pub fn compare(
    src: &Path,
    dst: &Path,
    dereference: bool,
    workers: usize,
    copy_failed: bool,
) -> Vec<String> {
    let problems = Mutex::new(Vec::new());
    // For each multiply-linked source file: the inode of its first copy, and that copy's path.
    let links: Mutex<HashMap<FileId, (FileId, PathBuf)>> = Mutex::new(HashMap::new());
    let check = |entry: walkdir::DirEntry| {
        let rel = entry.path().strip_prefix(src).unwrap_or(Path::new(""));
        let copy = if rel.as_os_str().is_empty() {
            dst.to_path_buf()
        } else {
            dst.join(rel)
        };
        let result = compare_entry(&entry, &copy, &links);
        let problem = match result {
            Ok(None) => return,
            Ok(Some(problem)) => problem,
            Err(e) if e.kind() == io::ErrorKind::NotFound && copy_failed => return,
            Err(e) => format!("'{}': {e}", copy.display()),
        };
        lock(&problems).push(problem);
    };
    let walk = WalkDir::new(src)
        .follow_links(dereference)
        .into_iter()
        .flatten();
    match rayon::ThreadPoolBuilder::new().num_threads(workers).build() {
        Ok(pool) => pool.install(|| walk.par_bridge().for_each(check)),
        Err(_) => walk.for_each(check),
    }
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    problems.sort();
    problems
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `Ok(None)`: equal. `Ok(Some(why))`: different. `Err`: the copy (or the source) could not
/// be read.
fn compare_entry(
    entry: &walkdir::DirEntry,
    copy: &Path,
    links: &Mutex<HashMap<FileId, (FileId, PathBuf)>>,
) -> io::Result<Option<String>> {
    let ft = entry.file_type();
    let Ok(src_meta) = entry.metadata() else {
        return Ok(None); // unreadable: reported by the copy
    };
    let copy_meta = fs::symlink_metadata(copy)?;
    let shown = copy.display();
    if copy_meta.file_type() != src_meta.file_type() {
        return Ok(Some(format!(
            "'{shown}' is not the same kind of entry as its source"
        )));
    }
    if ft.is_symlink() {
        let (a, b) = (fs::read_link(entry.path())?, fs::read_link(copy)?);
        return Ok((a != b).then(|| {
            format!(
                "'{shown}' points to '{}', not '{}'",
                b.display(),
                a.display()
            )
        }));
    }
    if let Some(why) = compare_meta(&src_meta, &copy_meta) {
        return Ok(Some(format!("'{shown}': {why}")));
    }
    if !ft.is_file() {
        // Directories are compared above; a FIFO, socket or device by its device number.
        return Ok((src_meta.rdev() != copy_meta.rdev())
            .then(|| format!("'{shown}' has another device number than its source")));
    }
    if src_meta.nlink() > 1 {
        let mut links = lock(links);
        let first = links
            .entry(file_id(&src_meta))
            .or_insert_with(|| (file_id(&copy_meta), copy.to_path_buf()));
        if first.0 != file_id(&copy_meta) {
            return Ok(Some(format!(
                "'{shown}' should be a hard link to '{}'",
                first.1.display()
            )));
        }
    }
    let Ok(src_hash) = hash(entry.path()) else {
        return Ok(None); // unreadable: reported by the copy
    };
    Ok((src_hash != hash(copy)?).then(|| format!("'{shown}' differs in content from its source")))
}

fn compare_meta(src: &Metadata, copy: &Metadata) -> Option<String> {
    let (want, got) = (src.mode() & PERM_MASK, copy.mode() & PERM_MASK);
    if want != got {
        return Some(format!("permission bits {got:o}, expected {want:o}"));
    }
    if (src.mtime(), src.mtime_nsec()) != (copy.mtime(), copy.mtime_nsec()) {
        return Some("modification time differs".to_string());
    }
    if src.is_file() && src.len() != copy.len() {
        return Some(format!("{} bytes, expected {}", copy.len(), src.len()));
    }
    None
}

fn hash(path: &Path) -> io::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(File::open(path)?)?;
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn finds_each_kind_of_difference() {
        let tmp = tempfile::tempdir().unwrap();
        let (src, dst) = (tmp.path().join("s"), tmp.path().join("d"));
        for root in [&src, &dst] {
            fs::create_dir(root).unwrap();
            fs::write(root.join("same"), b"abc").unwrap();
            fs::write(
                root.join("content"),
                if root == &src { b"abc" } else { b"abd" },
            )
            .unwrap();
            fs::write(root.join("mode"), b"m").unwrap();
            std::os::unix::fs::symlink(if root == &src { "t1" } else { "t2" }, root.join("link"))
                .unwrap();
        }
        fs::set_permissions(dst.join("mode"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(src.join("mode"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(src.join("missing"), b"x").unwrap();
        // Give every pair the same mtime, so only the planted differences remain.
        for name in ["same", "content", "mode", "missing"] {
            let t = fs::metadata(src.join(name)).unwrap().modified().unwrap();
            for root in [&src, &dst] {
                if let Ok(f) = File::options().write(true).open(root.join(name)) {
                    f.set_modified(t).unwrap();
                }
            }
        }
        let t = fs::metadata(&src).unwrap().modified().unwrap();
        File::open(&dst).unwrap().set_modified(t).unwrap();
        fs::set_permissions(&dst, fs::metadata(&src).unwrap().permissions()).unwrap();

        let problems = compare(&src, &dst, false, 2, false).join("\n");
        assert!(
            problems.contains("content' differs in content"),
            "{problems}"
        );
        assert!(
            problems.contains("mode': permission bits 600, expected 644"),
            "{problems}"
        );
        assert!(
            problems.contains("link' points to 't2', not 't1'"),
            "{problems}"
        );
        assert!(problems.contains("missing'"), "{problems}");
        assert!(!problems.contains("same'"), "{problems}");
        // After a failed copy, missing entries were reported already.
        assert!(!compare(&src, &dst, false, 2, true)
            .join("\n")
            .contains("missing'"));
    }
}
