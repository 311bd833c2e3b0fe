//! The dataflow every timely worker runs: aggregate a range, exchange by station, gather.
//!
//! ```text
//!  worker k: aggregate_range(range k) ──► parts ──Exchange(hash(station))──► MergeByStation
//!                                                                              │ (at the end)
//!                                           worker 0: Gather ◄──Exchange(0)────┘
//! ```
//!
//! Each worker first aggregates its own newline-aligned range with the crate's parser, exactly
//! as the threads mode does, and turns its partial map into records, one per station. The
//! first exchange sends every record of a station to the same worker (the one its name hashes
//! to), which merges them: station by station, the work of merging is spread over all workers
//! of all processes. When its input is complete, each worker sends what it merged to worker 0,
//! which holds the whole result.
//!
//! Failures travel as data: a worker whose range holds a bad line sends the error instead of
//! stations, routed straight to worker 0, which reports the first one in the file. A worker
//! must not just stop: the others would wait for it forever.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::ToStream;
use timely::worker::Worker;

use crate::parse::{AggregateError, Input, LineError};
use crate::stats::{merge_station, Partial, StationMap, StationStats};

/// One record on the wire between workers.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Part {
    /// One station's statistics over some rows: routed by the station's name.
    Station(Box<[u8]>, StationStats),
    /// A worker's count of skipped lines (its rows are the stations' counts): routed to
    /// worker 0.
    Tally { skipped: u64 },
    /// A worker's range could not be aggregated: routed to worker 0.
    Failed(RangeFailure),
}

/// Why a worker's range failed, in a form that can cross the network.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RangeFailure {
    /// A malformed line, with its byte offset.
    Line(LineError),
    /// The file could not be read: the I/O error's message (the path is added at worker 0).
    Io(String),
    /// The file changed while it was read: how (the path is added at worker 0).
    Changed(String),
}

/// What worker 0 holds at the end.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Every station, rows and skipped lines of the whole file.
    pub partial: Partial,
    /// Every range that failed (each worker reports at most its first bad line).
    pub failures: Vec<RangeFailure>,
    /// When process 0 was connected to every peer (set by `run_process`; `None` for a single
    /// process, which connects to nothing).
    pub connected_at: Option<std::time::Instant>,
}

/// FNV-1a of the name. Routing must agree between processes, perhaps built by different
/// compilers on different hosts; std's `DefaultHasher` promises no stable output, FNV is
/// fixed. (A station split over two workers would still merge right at worker 0, but the
/// exchange would then do no useful work.)
fn station_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn route(part: &Part) -> u64 {
    match part {
        Part::Station(name, _) => station_hash(name),
        Part::Tally { .. } | Part::Failed(_) => 0,
    }
}

/// Turns one worker's result into the records it sends.
fn to_parts(result: Result<Partial, AggregateError>) -> Vec<Part> {
    match result {
        Ok(partial) => {
            let mut parts: Vec<Part> = Vec::with_capacity(partial.stations.len() + 1);
            parts.push(Part::Tally {
                skipped: partial.skipped,
            });
            parts.extend(
                partial
                    .stations
                    .into_iter()
                    .map(|(name, stats)| Part::Station(name, stats)),
            );
            parts
        }
        Err(AggregateError::Line(e)) => vec![Part::Failed(RangeFailure::Line(e))],
        Err(AggregateError::Io { error, .. }) => {
            vec![Part::Failed(RangeFailure::Io(error.to_string()))]
        }
        Err(AggregateError::Changed { detail, .. }) => {
            vec![Part::Failed(RangeFailure::Changed(detail))]
        }
    }
}

/// Runs one worker to completion: aggregates `ranges[worker.index()]`, builds the dataflow,
/// steps it until every worker's input is drained. Returns the gathered result at worker 0.
///
/// `before_dataflow` runs after the range is aggregated: the hook for the fault switch.
pub fn run_worker(
    worker: &mut Worker,
    input: &Input,
    ranges: &[Range<u64>],
    skip_bad: bool,
    before_dataflow: impl FnOnce(usize),
) -> Option<Gathered> {
    let index = worker.index();
    let parts = to_parts(input.aggregate_range(ranges[index].clone(), skip_bad));
    before_dataflow(index);

    let gathered = Rc::new(RefCell::new(Gathered::default()));
    let sink = Rc::clone(&gathered);
    worker.dataflow::<u64, _, _>(move |scope| {
        parts
            .to_stream(scope)
            .container::<Vec<Part>>()
            .unary_frontier(
                Exchange::new(route),
                "MergeByStation",
                |capability, _info| {
                    // Holding the capability keeps the output open until the merge is complete.
                    let mut capability = Some(capability);
                    let mut merged = StationMap::default();
                    let mut others = Vec::new();
                    move |(input, frontier), output| {
                        input.for_each_stamp(|_stamp, batches| {
                            for batch in batches {
                                for part in batch.drain(..) {
                                    match part {
                                        Part::Station(name, stats) => {
                                            merge_station(&mut merged, name, &stats)
                                        }
                                        other => others.push(other),
                                    }
                                }
                            }
                        });
                        // An empty frontier: every worker's input is closed and everything sent to
                        // this worker has arrived. Send the merged stations on, then release the
                        // capability, which lets the dataflow finish.
                        if frontier.is_empty() {
                            if let Some(capability) = capability.take() {
                                let mut session = output.session(&capability);
                                session.give_iterator(others.drain(..));
                                session.give_iterator(
                                    merged
                                        .drain()
                                        .map(|(name, stats)| Part::Station(name, stats)),
                                );
                            }
                        }
                    }
                },
            )
            .container::<Vec<Part>>()
            .sink(
                Exchange::new(|_: &Part| 0),
                "GatherAtWorkerZero",
                move |(input, _frontier)| {
                    let mut gathered = sink.borrow_mut();
                    input.for_each(|_stamp, batch| {
                        for part in batch.drain(..) {
                            match part {
                                Part::Station(name, stats) => {
                                    merge_station(&mut gathered.partial.stations, name, &stats)
                                }
                                Part::Tally { skipped } => {
                                    gathered.partial.skipped += skipped;
                                }
                                Part::Failed(failure) => gathered.failures.push(failure),
                            }
                        }
                    });
                },
            );
    });

    // Step until the dataflow is done; parks when there is nothing to do.
    while worker.step_or_park(None) {}
    (index == 0).then(|| gathered.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_hash_is_fixed() {
        // FNV-1a test vectors: the routing must not change between builds.
        assert_eq!(station_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(station_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
