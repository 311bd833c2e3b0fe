//! Lesson 4: shared memory, one mapped file seen by two processes.
//!
//! Processes do not share memory (lesson 2), unless they ask the kernel for it. Here the parent
//! creates a small file, in `/dev/shm` where the system has it (a file system in memory, so
//! nothing goes to disk) or else in the temp dir, and maps it into its memory with memmap2. The
//! child maps the same file. Both mappings are the same physical pages: a byte one process
//! writes is there for the other to read, with no copy and no message.
//!
//! The layout is fixed and agreed by both sides, like a C struct: a `f64` value at offset 0,
//! the array length as a `u64` at offset 8, then the array of `i64`, all little-endian. The
//! parent writes 0.0 and the array 0, 1, 2, ...; the child sets the value to π (3.14159...) and
//! negates every element; the parent, once the child has exited, reads the results.
//!
//! Nothing here stops the two from touching the memory at the same time: this lesson avoids it
//! by taking turns (the parent waits for the child). Lesson 5 shows what happens when they
//! do not, and how a lock fixes it.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use memmap2::MmapMut;
use tempfile::TempDir;

use crate::child::{self, Program};
use crate::supervised::Supervised;

/// Opens an existing file for reading and writing and maps it (the child side).
fn map_existing(path: &Path) -> anyhow::Result<MmapMut> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    map(&file, path)
}

/// Maps `file` into this process's memory.
fn map(file: &File, path: &Path) -> anyhow::Result<MmapMut> {
    // SAFETY: memmap2 cannot stop another process from changing the file under us, so mapping
    // is `unsafe`. Here the two processes take turns: the parent does not touch its mapping
    // while the child runs, and reads it only after `wait` says the child has exited.
    unsafe { MmapMut::map_mut(file) }.with_context(|| format!("cannot map {}", path.display()))
}

const VALUE: usize = 0;
const LEN: usize = 8;
const ARRAY: usize = 16;

fn read8(map: &[u8], at: usize) -> [u8; 8] {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&map[at..at + 8]);
    bytes
}

fn write8(map: &mut [u8], at: usize, bytes: [u8; 8]) {
    map[at..at + 8].copy_from_slice(&bytes);
}

/// The child side: set the value to π and negate the array, in the shared memory.
pub fn child(path: &Path) -> anyhow::Result<()> {
    let mut map = map_existing(path)?;
    anyhow::ensure!(map.len() >= ARRAY, "{} is too short", path.display());
    let len = u64::from_le_bytes(read8(&map, LEN)) as usize;
    // Divide rather than multiply: a corrupt length cannot overflow and pass the check.
    anyhow::ensure!(
        (map.len() - ARRAY) / 8 >= len,
        "{} is too short for {len} elements",
        path.display()
    );
    write8(&mut map, VALUE, std::f64::consts::PI.to_le_bytes());
    for i in 0..len {
        let at = ARRAY + 8 * i;
        let x = i64::from_le_bytes(read8(&map, at));
        write8(&mut map, at, (-x).to_le_bytes());
    }
    // The writes are already in the shared pages; `flush` (msync) is about the disk, not
    // about the other process, so there is nothing more to do. Unmapped when `map` drops.
    Ok(())
}

/// The parent side: share an array of `len` elements and a value with a child.
pub fn run(program: &Program, len: usize) -> anyhow::Result<SharedMemory> {
    let start = Instant::now();
    let shared = SharedFile::create("shared.bin", (ARRAY + 8 * len) as u64)?;
    let mut map = map(shared.file(), shared.path())?;
    let before: Vec<i64> = (0..len as i64).collect();
    write8(&mut map, VALUE, 0f64.to_le_bytes());
    write8(&mut map, LEN, (len as u64).to_le_bytes());
    for (i, x) in before.iter().enumerate() {
        write8(&mut map, ARRAY + 8 * i, x.to_le_bytes());
    }

    let mut cmd = program.worker(["shm-write", "--path"]);
    cmd.arg(shared.path());
    let mut child = Supervised::spawn(&mut cmd).context("cannot start the shared-memory child")?;
    // Wait for the child to finish its writes: after this, the pages hold its results.
    let status = child.wait().context("cannot wait for the child")?;
    child::check(status, "the shared-memory child")?;

    let value = f64::from_le_bytes(read8(&map, VALUE));
    let array = (0..len)
        .map(|i| i64::from_le_bytes(read8(&map, ARRAY + 8 * i)))
        .collect();
    let dir = shared.dir().to_path_buf();
    // Unmap, then delete the file and its directory (SharedFile's Drop).
    drop(map);
    drop(shared);
    Ok(SharedMemory {
        dir,
        before,
        value,
        array,
        elapsed: start.elapsed(),
    })
}

// ---- End of the lesson. Below: the shared file, and the result. ----

/// A file to map as shared memory; it and its directory are removed when this drops.
#[derive(Debug)]
pub struct SharedFile {
    // Keeps the directory (and so the file) alive; deleting it is its `Drop`.
    dir: TempDir,
    path: PathBuf,
    file: File,
}

impl SharedFile {
    /// Creates a file of `len` zero bytes in a new temporary directory.
    pub fn create(name: &str, len: u64) -> anyhow::Result<SharedFile> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("multiprocessing-example-");
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            builder.tempdir_in(shm).or_else(|_| builder.tempdir())
        } else {
            builder.tempdir()
        }
        .context("cannot create a temporary directory")?;
        let path = dir.path().join(name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.set_len(len)
            .with_context(|| format!("cannot size {}", path.display()))?;
        Ok(SharedFile { dir, path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the file lives in (`/dev/shm/...` or the temp dir).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self) -> &File {
        &self.file
    }
}

/// What the parent read back from the shared memory.
#[derive(Debug)]
pub struct SharedMemory {
    /// Where the shared file was (gone now).
    pub dir: PathBuf,
    /// The array as the parent wrote it.
    pub before: Vec<i64>,
    /// The value and the array after the child ran.
    pub value: f64,
    pub array: Vec<i64>,
    pub elapsed: Duration,
}
