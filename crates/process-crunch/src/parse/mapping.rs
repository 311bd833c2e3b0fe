//! The fast parser's memory map: how the file is mapped, how each window's pages are put into
//! the page table before it is parsed, and how they are handed back after, so that resident
//! memory stays a window's worth whatever the file's size. System calls only: the parsing is
//! in `fast.rs`.

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps `file` read-only and tells the kernel it will be read sequentially (more read-ahead).
pub fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and we never write through it. Another process that
    // truncates or rewrites the file while we read it breaks the promise that the bytes do
    // not change (the usual caveat of mmap): a truncation raises SIGBUS, which is reported as
    // "FILE changed while it was read" (`file::report_sigbus`, or the parent of a worker), and
    // a rewrite changes the file's modification time, which `Input::aggregate_range` checks
    // after reading, so the bytes read are thrown away with that same error.
    let map = unsafe { Mmap::map(file)? };
    #[cfg(unix)]
    map.advise(memmap2::Advice::Sequential)?;
    Ok(map)
}

/// Maps the pages of `from..to` into the page table in one call before they are parsed
/// (Linux 5.14+ `MADV_POPULATE_READ`). Without it every 64 KiB or so of the file costs a page
/// fault: a trap into the kernel and back, which maps the same pages but pays the trap each
/// time (about a tenth of the fast parser's time, all of it in the kernel). It changes no byte
/// that is read, only when the page-table entries are made. A failure (an older kernel, a
/// file truncated under us) is ignored: the pages then fault in as before, and a truncation
/// still raises the SIGBUS that is reported as a changed file.
#[cfg(target_os = "linux")]
pub(super) fn populate(map: &Mmap, from: usize, to: usize) {
    let start = from / page_size() * page_size();
    if to > start {
        let _ = map.advise_range(memmap2::Advice::PopulateRead, start, to - start);
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn populate(_map: &Mmap, _from: usize, _to: usize) {}

/// The page size (4096 if the system does not say).
fn page_size() -> usize {
    // SAFETY (sysconf): no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => 4096,
    }
}

/// Hands the pages wholly inside `from..to` back to the kernel (Unix only).
#[cfg(unix)]
pub(super) fn release(map: &Mmap, from: usize, to: usize) {
    let page = page_size();
    let start = from.div_ceil(page) * page;
    let end = to / page * page;
    if end > start {
        // SAFETY: the mapping is a read-only, shared mapping of a file. MADV_DONTNEED only
        // drops our page-table entries: the next access (by any thread) faults the same file
        // page back in from the page cache, so no reader can see different bytes. It only
        // makes the resident set shrink. A failure here is harmless, so it is ignored.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }
}

#[cfg(not(unix))]
pub(super) fn release(_map: &Mmap, _from: usize, _to: usize) {}
