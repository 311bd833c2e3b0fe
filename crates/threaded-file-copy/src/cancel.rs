//! Ctrl-C: the signal handler only sets a flag; the walker and the copiers look at it
//! between files (and between chunks of a large file) and stop. A file being written has no
//! name yet (`staging.rs`): it vanishes when its copier drops it, or, where it has a temporary
//! name, the guard that owns that name removes it. Nothing is killed mid-write.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, Result};

/// The flag set by Ctrl-C, shared by every copy of this process.
static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs the Ctrl-C (and SIGTERM) handler once and returns its flag. The handler can
/// only be installed once per process; the bench and the demo call this once and reuse it.
pub fn install_ctrlc() -> Result<Arc<AtomicBool>> {
    if let Some(flag) = INTERRUPTED.get() {
        return Ok(flag.clone());
    }
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    // A second Ctrl-C sets the flag again: the copy is already stopping, and stopping cleanly
    // (temporary files removed) matters more than stopping a few milliseconds sooner.
    ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    Ok(INTERRUPTED.get_or_init(|| flag).clone())
}

/// The error a copy returns when it stopped because of Ctrl-C; never reported as a failure.
pub fn interrupted() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted by Ctrl-C")
}

/// Test hook, hidden from users: `THREADED_FILE_COPY_TEST_DELAY_MS=N` makes every file copy
/// pause N ms after its content is written and before it gets its real name, so that the
/// Ctrl-C and kill tests can stop copies that are in the middle of a file. The pause ends
/// early, with `interrupted()`, when the flag is set.
pub fn test_pause(flag: &AtomicBool) -> std::io::Result<()> {
    static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
    let delay = DELAY.get_or_init(|| {
        std::env::var("THREADED_FILE_COPY_TEST_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
    });
    let Some(delay) = *delay else { return Ok(()) };
    let step = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    while waited < delay {
        if flag.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        std::thread::sleep(step);
        waited += step;
    }
    Ok(())
}
