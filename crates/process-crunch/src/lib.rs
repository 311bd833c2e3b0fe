//! process-crunch: the One Billion Row Challenge aggregation, solved four ways with one core.
//!
//! Read in this order:
//! 1. [`stats`]: per-station min/max/sum/count in integer tenths, merging, the output line;
//! 2. [`parse`]: the line rules, then [`parse::csv`] and [`parse::fast`], the two parsers;
//! 3. [`ranges`]: cutting the file into newline-aligned byte ranges;
//! 4. [`modes`]: sequential, threads and rayon, each a few lines around the same core;
//! 5. [`modes::processes`], [`worker`] and [`frame`]: the processes mode, parent and child;
//! 6. [`generate`], [`stations`] and [`rng`]: the seeded input generator;
//! 7. [`measure`] and [`cli`]: timing, the bench table and the command line.

pub mod bench;
pub mod cli;
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
