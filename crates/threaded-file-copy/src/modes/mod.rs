//! The three ways to run the same jobs, side by side. Each takes the walker, runs every job
//! through `job::run`, and returns the directories the walker created (for `tree.rs` to
//! finalize). Read them in order: `sequential`, `threads`, `rayon`.

pub mod rayon;
pub mod sequential;
pub mod threads;
