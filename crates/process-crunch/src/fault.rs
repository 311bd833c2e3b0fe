//! The hidden fault switch, `PROCESS_CRUNCH_FAULT`: a comma-separated list of faults that make
//! chosen workers misbehave, for the tests and for watching the supervisors work. The worker
//! faults (`crash`, `hang`, ...) are read in `worker.rs`, the timely ones in
//! `modes/timely/process.rs`; `pause-read` is here, since every mode's reader calls it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The environment variable of the fault switch.
pub const FAULT_ENV: &str = "PROCESS_CRUNCH_FAULT";

/// The `pause-read:MS` fault: waits once per process, before its first range is read.
pub fn pause_if_asked() {
    static PAUSED: AtomicBool = AtomicBool::new(false);
    let Ok(spec) = std::env::var(FAULT_ENV) else {
        return;
    };
    let ms = spec.split(',').find_map(|item| {
        let (kind, ms) = item.trim().split_once(':')?;
        (kind == "pause-read").then(|| ms.parse::<u64>().ok())?
    });
    if let Some(ms) = ms {
        if !PAUSED.swap(true, Ordering::SeqCst) {
            eprintln!("process-crunch: fault injected: pausing {ms} ms before reading");
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
}
