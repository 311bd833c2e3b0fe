//! What limits a workload: computation, waiting, the file system or data crunching. The kind
//! decides the ideal speedup (the cores cap work that computes, not work that waits) and how
//! the summary names the workload.

/// What limits a workload, which decides its ideal speedup and how the summary names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Computation: the ideal stops at the logical cores.
    Cpu,
    /// Waiting (sleeps, sockets, a remote server): the ideal is one per worker.
    Io,
    /// Copying files: system calls and the page cache; one per worker.
    FileSystem,
    /// Parsing and aggregating a data file: computation over memory; stops at the cores.
    Data,
}

impl Kind {
    /// The kind of a demo's workload, from what the demo does.
    pub fn of(demo: &str, workload: &str) -> Kind {
        match demo {
            "cpu-vs-io" if workload.starts_with("cpu") => Kind::Cpu,
            "threaded-file-copy" => Kind::FileSystem,
            "process-crunch" => Kind::Data,
            _ => Kind::Io,
        }
    }

    /// "CPU-bound", "I/O-bound", "file system", "data".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "CPU-bound",
            Kind::Io => "I/O-bound",
            Kind::FileSystem => "file system",
            Kind::Data => "data",
        }
    }

    /// Whether the cores, not the workers, bound the speedup.
    pub fn computes(self) -> bool {
        matches!(self, Kind::Cpu | Kind::Data)
    }
}

/// What one item is for each demo, for the rate column.
pub fn item_unit(demo: &str) -> &'static str {
    match demo {
        "cpu-vs-io" => "tasks",
        "threaded-file-copy" => "files",
        "threaded-scrape" => "pages",
        "process-crunch" => "rows",
        _ => "items",
    }
}
