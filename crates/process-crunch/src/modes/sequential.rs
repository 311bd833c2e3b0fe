//! The baseline: one thread, one range, the whole file.

use super::{Job, ModeError, Outcome};
use crate::parse::Input;

/// Aggregates the whole file on the calling thread.
pub fn run(job: &Job) -> Result<Outcome, ModeError> {
    let input = Input::open(&job.path, job.parser)?;
    let partial = input.aggregate_range(0..input.len(), job.skip_bad)?;
    Ok(Outcome::new(partial, 1))
}
