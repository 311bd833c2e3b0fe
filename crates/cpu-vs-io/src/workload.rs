//! The three workloads and the tasks that make them up. `--workload io` is two of them: the
//! same waiting done as a sleep (`io-sleep`) and as a blocking socket read (`io-tcp`).

use std::fmt;
use std::net::SocketAddr;

use crate::task::Task;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Cpu,
    IoSleep,
    IoTcp,
}

impl Workload {
    /// The name in the table and in the records' `workload` field.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Cpu => "cpu",
            Workload::IoSleep => "io-sleep",
            Workload::IoTcp => "io-tcp",
        }
    }

    pub fn is_io(self) -> bool {
        self != Workload::Cpu
    }

    /// Tasks when `--tasks` is not given: enough CPU tasks to keep a few cores busy while the
    /// debug build still finishes quickly; enough I/O tasks that overlapping them pays.
    pub fn default_tasks(self) -> u32 {
        if self.is_io() {
            32
        } else {
            8
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
                (Workload::IoSleep, _) => Task::Sleep { id, ms: latency_ms },
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
                "{n} tasks, each a blocking read from a local TCP server that answers after \
                 {latency_ms} ms (I/O-bound)"
            ),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
