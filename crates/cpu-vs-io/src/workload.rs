//! The four workloads and the tasks that make them up. `--workload io` is two of them: the
//! same waiting done as a sleep (`io-sleep`) and as a blocking socket read (`io-tcp`).
//! `--workload many` is the sleep again at a scale where the cost of each wait shows: 10,000
//! waits at once by default, up to 100,000.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::task::Task;

/// The most tasks of `cpu`, `io-sleep` and `io-tcp`, where thread-per-task and
/// process-per-task start that many threads or processes at once.
pub const MAX_TASKS: u32 = 4096;

/// The most tasks of `many`.
pub const MAX_MANY_TASKS: u32 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    Cpu,
    IoSleep,
    IoTcp,
    /// `--tasks` concurrent sleeps of `--latency-ms`: what one wait costs each model.
    Many,
}

impl Workload {
    /// The name in the table and in the records' `workload` field.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Cpu => "cpu",
            Workload::IoSleep => "io-sleep",
            Workload::IoTcp => "io-tcp",
            Workload::Many => "many",
        }
    }

    pub fn is_io(self) -> bool {
        self != Workload::Cpu
    }

    /// Tasks when `--tasks` is not given: enough CPU tasks to keep a few cores busy while the
    /// debug build still finishes quickly; enough I/O tasks that overlapping them pays; for
    /// `many`, enough waits that a thread each costs something worth measuring.
    pub fn default_tasks(self) -> u32 {
        match self {
            Workload::Cpu => 8,
            Workload::IoSleep | Workload::IoTcp => 32,
            Workload::Many => 10_000,
        }
    }

    /// The most `--tasks` this workload takes.
    pub fn max_tasks(self) -> u32 {
        match self {
            Workload::Many => MAX_MANY_TASKS,
            _ => MAX_TASKS,
        }
    }

    /// `n` tasks. `cpu_size` is used by `Cpu`, `latency_ms` by `IoSleep`; `IoTcp` needs the
    /// address of a running latency server (which holds the latency).
    pub fn tasks(
        self,
        n: u32,
        cpu_size: u64,
        latency_ms: u64,
        server: Option<SocketAddr>,
    ) -> Vec<Task> {
        (0..n)
            .map(|id| match (self, server) {
                (Workload::Cpu, _) => Task::cpu(id, cpu_size),
                (Workload::IoSleep | Workload::Many, _) => Task::Sleep { id, ms: latency_ms },
                (Workload::IoTcp, Some(addr)) => Task::Tcp { id, addr },
                (Workload::IoTcp, None) => unreachable!("io-tcp tasks need a server address"),
            })
            .collect()
    }

    /// One line for the table's heading: what a task of this workload does.
    pub fn describe(self, n: u32, cpu_size: u64, latency_ms: u64) -> String {
        match self {
            Workload::Cpu => format!(
                "{n} tasks, each counting the primes among {cpu_size} numbers near 10^9 \
                 (CPU-bound)"
            ),
            Workload::IoSleep => format!("{n} tasks, each sleeping {latency_ms} ms (I/O-bound)"),
            Workload::IoTcp => format!(
                "{n} tasks, each a read from a local TCP server that answers after {latency_ms} ms \
                 (I/O-bound)"
            ),
            Workload::Many => format!(
                "{n} concurrent waits of {latency_ms} ms: what one wait costs in time and memory"
            ),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
