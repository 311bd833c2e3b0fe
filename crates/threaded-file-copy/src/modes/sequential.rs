//! The baseline: one thread walks the tree and copies each file as it finds it. Every other
//! mode does exactly this work, split across threads.

use crate::context::Context;
use crate::copy;
use crate::job;
use crate::walk::{DirMeta, Walker};

pub fn run(ctx: &Context, mut walker: Walker<'_>) -> Vec<DirMeta> {
    let mut buf = copy::buffer();
    for batch in &mut walker {
        for job in &batch {
            job::run(ctx, job, &mut buf);
        }
    }
    // The walker returned `None`: the tree is done (or Ctrl-C stopped it).
    walker.into_dirs()
}
