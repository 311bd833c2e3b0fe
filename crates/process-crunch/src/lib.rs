//! process-crunch: the One Billion Row Challenge aggregation, solved four ways with one core.
//!
//! Read in this order: the concurrency first, then the parsers, then timely.
//! 1. [`modes`]: sequential, threads and rayon, each a few lines around the same core;
//! 2. [`modes::processes`], [`worker`], [`frame`] and [`spawn`]: the processes mode, parent and
//!    child, the wire between them and the `Supervised` guard that owns each child;
//!    [`ranges`]: cutting the file into newline-aligned byte ranges;
//! 3. [`stats`]: per-station min/max/sum/count in integer tenths, merging, the output line;
//! 4. [`parse`]: the line rules, then [`parse::csv`] and [`parse::fast`], the two parsers;
//!    [`file`](mod@file): opening FILE without blocking and noticing when it changes;
//! 5. `modes::timely`: the same work on timely-dataflow, across processes and hosts;
//! 6. [`generate`], [`stations`] and [`rng`]: the seeded input generator;
//! 7. [`measure`], [`bench`](mod@bench) and [`cli`]: timing, the bench tables and the command line.

pub mod bench;
pub mod cli;
pub mod fault;
pub mod file;
pub mod frame;
pub mod generate;
pub mod measure;
pub mod modes;
pub mod parse;
pub mod ranges;
pub mod rng;
pub mod spawn;
pub mod stations;
pub mod stats;
pub mod worker;
