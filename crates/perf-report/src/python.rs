//! `## Python beside Rust`: the same work measured in the tutorial's own language. Per workload,
//! the models side by side (Rust, Python, and a free-threaded Python as its own column when it
//! was measured), the ratio of the best configurations, and a sentence, chosen from the numbers,
//! on what the GIL did to Python's threads and what Rust's threads did on the same work.

use std::fmt::Write as _;

use crate::format::{capitalize, fmt_ms, fmt_x};
use crate::stats::{Demo, Group, Kind, Row, BASELINE};

/// The model a mode stands for, so that Python's and Rust's names meet on one line:
/// `threading` starts a thread per task, `asyncio` is the async model.
fn model(mode: &str) -> &str {
    match mode {
        "threading" => "thread-per-task",
        "asyncio" | "tokio" => "async",
        other => other,
    }
}

/// Thread-based models (Python: `threading`, `thread-pool`; Rust: also rayon and `threads`).
fn is_threads(mode: &str) -> bool {
    matches!(
        model(mode),
        "thread-per-task" | "thread-pool" | "threads" | "rayon"
    )
}

fn is_processes(mode: &str) -> bool {
    matches!(
        model(mode),
        "process-per-task" | "process-pool" | "processes"
    )
}

/// The best (fastest, not noisy) row of the modes that pass `pick`.
fn best_of(g: &Group, pick: impl Fn(&str) -> bool) -> Option<&Row> {
    g.rows
        .iter()
        .filter(|r| !r.noisy && pick(&r.mode))
        .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
}

/// A cell: "411 ms ×2 (1.98×)".
fn cell(r: &Row) -> String {
    let mut s = fmt_ms(r.median_ms);
    if r.mode != BASELINE {
        let _ = write!(s, " ×{}", r.workers);
    }
    if let Some(x) = r.speedup {
        let _ = write!(s, " ({})", fmt_x(x));
    }
    if r.noisy {
        s.push_str(" noisy");
    }
    s
}

/// The column header of a runtime: "Python 3.11.7", "Python 3.13.1 (free-threaded)".
fn header(g: &Group) -> String {
    let (lang, ft) = match g.language.strip_suffix(" (free-threaded)") {
        Some(l) => (l, " (free-threaded)"),
        None => (g.language.as_str(), ""),
    };
    match &g.python_version {
        Some(v) => format!("{} {v}{ft}", capitalize(lang)),
        None => format!("{}{ft}", capitalize(lang)),
    }
}

/// The whole section; empty when no Python records were given.
pub fn python_beside_rust(demos: &[Demo]) -> String {
    let python: Vec<&Group> = demos
        .iter()
        .filter(|d| !d.is_rust())
        .flat_map(|d| &d.groups)
        .collect();
    if python.is_empty() {
        return String::new();
    }
    let mut md = String::from("## Python beside Rust\n\n");
    let versions: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for h in python.iter().map(|g| header(g)) {
            if !v.contains(&h) {
                v.push(h);
            }
        }
        v
    };
    let gil = |g: &Group| !g.language.ends_with("(free-threaded)");
    let _ = writeln!(
        md,
        "The same workloads in Python (the `python/` folder, standard library only), measured in \
         the same run at the same worker counts: {}. {}\n",
        versions.join(", "),
        if python.iter().all(|g| gil(g)) {
            "Every Python measured here runs with the GIL, which lets one thread at a time run \
             Python code; a free-threaded build (3.13t and later) would be measured as its own \
             column."
        } else {
            "A free-threaded build (no GIL) is its own column."
        }
    );
    // One heading per (demo, workload), in the Rust order, then Python-only workloads.
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for g in demos.iter().flat_map(|d| &d.groups) {
        let k = (g.demo.as_str(), g.workload.as_str());
        if python
            .iter()
            .any(|p| (p.demo.as_str(), p.workload.as_str()) == k)
            && !keys.contains(&k)
        {
            keys.push(k);
        }
    }
    for (demo, workload) in keys {
        let twins: Vec<&Group> = demos
            .iter()
            .flat_map(|d| &d.groups)
            .filter(|g| g.demo == demo && g.workload == workload)
            .collect();
        md.push_str(&workload_section(&twins));
    }
    md
}

fn workload_section(twins: &[&Group]) -> String {
    let g0 = twins[0];
    let mut md = format!("### `{}` · `{}`\n\n", g0.demo, g0.workload);
    let mut models: Vec<&str> = Vec::new();
    for g in twins {
        for r in &g.rows {
            if !models.contains(&model(&r.mode)) {
                models.push(model(&r.mode));
            }
        }
    }
    let _ = write!(md, "| Model |");
    for g in twins {
        let _ = write!(md, " {} |", header(g));
    }
    md.push_str("\n|---|");
    for _ in twins {
        md.push_str("--:|");
    }
    md.push('\n');
    for m in &models {
        // The model's name, and the names the languages give it where they differ.
        let mut names: Vec<&str> = Vec::new();
        for r in twins.iter().flat_map(|g| &g.rows) {
            if model(&r.mode) == *m && r.mode != *m && !names.contains(&r.mode.as_str()) {
                names.push(&r.mode);
            }
        }
        let aka: String = names.iter().map(|n| format!(" (`{n}`)")).collect();
        let _ = write!(md, "| `{m}`{aka} |");
        for g in twins {
            let best = g
                .rows
                .iter()
                .filter(|r| model(&r.mode) == *m && !r.noisy)
                .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
                .or_else(|| g.rows.iter().find(|r| model(&r.mode) == *m));
            let _ = write!(md, " {} |", best.map_or("—".to_string(), cell));
        }
        md.push('\n');
    }
    md.push_str(
        "\nEach cell: the median of the mode's fastest configuration, its workers and its \
         speedup over the same language's sequential run.\n\n",
    );
    let rust = twins.iter().copied().find(|g| g.is_rust());
    let mut sentences: Vec<String> = Vec::new();
    for py in twins.iter().copied().filter(|g| !g.is_rust()) {
        if let (Some(r), Some(p)) = (rust.and_then(Group::fastest), py.fastest()) {
            sentences.push(format!(
                "{}'s best (`{}` ×{}, {}) took {} Rust's best (`{}` ×{}, {}): a Rust/Python \
                 time ratio of {:.2}.",
                header(py),
                p.label(),
                p.workers,
                fmt_ms(p.median_ms),
                ratio_words(p.median_ms / r.median_ms),
                r.label(),
                r.workers,
                fmt_ms(r.median_ms),
                r.median_ms / p.median_ms
            ));
        }
        sentences.extend(gil_sentence(py, rust));
    }
    if !sentences.is_empty() {
        let _ = writeln!(md, "{}\n", sentences.join(" "));
    }
    md
}

fn ratio_words(r: f64) -> String {
    if r >= 1.0 {
        format!("{} as long as", fmt_x(r))
    } else {
        format!("{} the time of", fmt_x(r))
    }
}

/// What the GIL did: Python's threads against Python's processes on this work, and Rust's
/// threads on the same work. Chosen from the speedups, not written in advance.
fn gil_sentence(py: &Group, rust: Option<&Group>) -> Option<String> {
    let pt = best_of(py, is_threads)?;
    let pts = pt.speedup?;
    let pp = best_of(py, is_processes).and_then(|r| Some((r, r.speedup?)));
    let rt = rust
        .and_then(|g| best_of(g, is_threads))
        .and_then(|r| Some((r, r.speedup?)));
    let free = py.language.ends_with("(free-threaded)");
    let computes = py.kind == Kind::Cpu || py.kind == Kind::Data;
    let threads = format!("`{}` ×{}", pt.label(), pt.workers);
    let mut s = if computes && !free && pts < 1.3 {
        format!(
            "On this CPU work Python's threads did not help: {threads} ran at {} of the \
             sequential speed, because the GIL lets one thread at a time run Python code",
            fmt_x(pts)
        )
    } else if computes && free {
        format!(
            "Without the GIL, Python's threads ran this CPU work in parallel: {threads} reached {}",
            fmt_x(pts)
        )
    } else if computes {
        format!(
            "Python's threads reached {} on this CPU work ({threads}), more than the GIL usually \
             allows: the work must spend time outside Python code",
            fmt_x(pts)
        )
    } else {
        format!(
            "On this waiting work the GIL is released while a thread waits, so Python's threads \
             overlap: {threads} reached {}",
            fmt_x(pts)
        )
    };
    if let Some((r, x)) = pp {
        let _ = write!(
            s,
            "; Python's processes, each with its own interpreter and GIL, reached {} (`{}` ×{})",
            fmt_x(x),
            r.label(),
            r.workers
        );
    }
    if let Some((r, x)) = rt {
        let _ = write!(
            s,
            ". Rust's threads, which share no such lock, reached {} on the same work (`{}` ×{})",
            fmt_x(x),
            r.label(),
            r.workers
        );
    }
    s.push('.');
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_records;
    use crate::stats::group_on;

    #[test]
    fn gil_threads_against_processes_and_rust_threads() {
        let mut lines = Vec::new();
        let mut add = |lang: &str, mode: &str, workers: u64, ms: f64| {
            let extra = if lang == "python" {
                r#","language":"python","python_version":"3.11.7","gil_enabled":true"#
            } else {
                ""
            };
            for f in [0.99, 1.0, 1.01] {
                lines.push(format!(
                    r#"{{"demo":"cpu-vs-io","workload":"cpu","mode":"{mode}","workers":{workers},"items":16,"bytes":0,"wall_ms":{}{extra},"ok":true}}"#,
                    ms * f
                ));
            }
        };
        add("rust", "sequential", 1, 800.0);
        add("rust", "thread-pool", 2, 410.0);
        add("rust", "process-pool", 2, 420.0);
        add("python", "sequential", 1, 8000.0);
        add("python", "threading", 16, 8100.0);
        add("python", "thread-pool", 2, 7900.0);
        add("python", "process-pool", 2, 4200.0);
        let demos = group_on(&parse_records(&lines.join("\n"), "t").unwrap(), Some(2));
        let md = python_beside_rust(&demos);
        assert!(md.starts_with("## Python beside Rust\n"), "{md}");
        assert!(md.contains("| Model | Rust | Python 3.11.7 |"), "{md}");
        assert!(
            md.contains("| `thread-per-task` (`threading`) | — | 8.10 s ×16 (0.99×) |"),
            "{md}"
        );
        assert!(
            md.contains("| `thread-pool` | 410 ms ×2 (1.95×) | 7.90 s ×2 (1.01×) |"),
            "{md}"
        );
        assert!(md.contains("Python 3.11.7's best (`process-pool` ×2, 4.20 s) took 10.2× as long as Rust's best (`thread-pool` ×2, 410 ms)"), "{md}");
        assert!(
            md.contains("Python's threads did not help: `thread-pool` ×2 ran at 1.01×"),
            "{md}"
        );
        assert!(md.contains("Python's processes, each with its own interpreter and GIL, reached 1.90× (`process-pool` ×2)"), "{md}");
        assert!(
            md.contains("Rust's threads, which share no such lock, reached 1.95×"),
            "{md}"
        );
        assert_eq!(python_beside_rust(&demos[..1]), "");
    }

    #[test]
    fn a_free_threaded_python_is_its_own_column() {
        let mut lines = Vec::new();
        for (gil, seq, threads) in [("true", 8000.0, 7900.0), ("false", 9000.0, 4700.0)] {
            for (mode, ms, w) in [("sequential", seq, 1), ("thread-pool", threads, 2)] {
                lines.push(format!(
                    r#"{{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"{mode}","workers":{w},"items":16,"bytes":0,"wall_ms":{ms},"ok":true,"python_version":"3.13.1","gil_enabled":{gil}}}"#
                ));
            }
        }
        let demos = group_on(&parse_records(&lines.join("\n"), "t").unwrap(), Some(2));
        let md = python_beside_rust(&demos);
        assert!(
            md.contains("| Model | Python 3.13.1 | Python 3.13.1 (free-threaded) |"),
            "{md}"
        );
        assert!(
            md.contains("A free-threaded build (no GIL) is its own column."),
            "{md}"
        );
        assert!(
            md.contains("Without the GIL, Python's threads ran this CPU work in parallel: `thread-pool` ×2 reached 1.91×"),
            "{md}"
        );
    }
}
