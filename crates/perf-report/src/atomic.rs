//! Writing a file so that a reader sees the old contents or the new, never half: the bytes go
//! to a temporary file beside the target, are synced, then renamed over it. A leaf module: the
//! report, the charts, the crate READMEs and the runner's results are all written through it.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

/// Writes `bytes` to a temporary file in the same directory, then renames it over `path`: the
/// rename is atomic within a file system, so readers see the old file or the new, never half,
/// and a failed write leaves the old one (the temporary file is removed when it is dropped).
/// The folder must exist.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.perf-report-"))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
    // A temp file is created 0600; what we write is for everyone to read, like any file cp
    // writes.
    tmp.write_all(bytes)
        .and_then(|()| {
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))
        })
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}
