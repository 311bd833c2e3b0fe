//! `## What wins when`: the table that opens the report, one row per workload, answering the
//! question a reader came with: which model should I use here, and is the difference real?
//!
//! Every cell is computed. The best configuration is the fastest median that is not noise (a
//! speedup above its ideal is never a winner); "real or tie" is the verdict of the separation
//! test in [`crate::evidence`] on the winner's runs against the runner-up model's; the advice is
//! chosen from the kind of work, the verdict and where the winner stands against the cores.

use std::fmt::Write as _;

use crate::evidence::{self, Verdict};
use crate::format::{capitalize, fmt_ms, fmt_x, join_and, plural};
use crate::stats::{Demo, Group, Kind, Row, BASELINE};

/// How much machinery a model brings, for the advice on a tie: the simplest one that keeps
/// pace is the one to pick.
fn machinery(mode: &str) -> u8 {
    match mode {
        BASELINE => 0,
        "rayon" => 1,
        "thread-pool" | "threads" | "threading" => 2,
        "thread-per-task" => 3,
        "async" | "tokio" | "asyncio" => 4,
        "process-pool" | "processes" => 5,
        "process-per-task" => 6,
        _ => 7,
    }
}

/// A row as a table cell: "`rayon` ×2, 411 ms" (the worker count omitted for the baseline).
pub fn cell(row: &Row) -> String {
    if row.mode == BASELINE {
        format!("`{}`, {}", row.label(), fmt_ms(row.median_ms))
    } else {
        format!(
            "`{}` ×{}, {}",
            row.label(),
            row.workers,
            fmt_ms(row.median_ms)
        )
    }
}

/// The verdict of the winner against the best of the next model, if there is another model.
pub fn verdict(g: &Group) -> Option<(&Row, &Row, Verdict)> {
    let best = g.best_per_mode();
    let (winner, runner_up) = (*best.first()?, *best.get(1)?);
    Some((winner, runner_up, evidence::compare(winner, runner_up)))
}

/// The whole section, or an empty string when there is nothing of the demos' own.
pub fn what_wins_when(demos: &[Demo], cores: Option<u64>) -> String {
    let rust: Vec<&Group> = demos
        .iter()
        .filter(|d| d.is_rust())
        .flat_map(|d| &d.groups)
        .filter(|g| g.fastest().is_some())
        .collect();
    // A table of one-core techniques (process-crunch's parser steps) compares no models: it
    // has its own section, and no row here.
    let (rust, ladders): (Vec<&Group>, Vec<&Group>) =
        rust.into_iter().partition(|g| g.compares_models());
    if rust.is_empty() {
        return String::new();
    }
    // One column per other runtime measured (Python, a free-threaded Python).
    let mut others: Vec<&str> = Vec::new();
    for d in demos.iter().filter(|d| !d.is_rust()) {
        if !others.contains(&d.language.as_str()) {
            others.push(&d.language);
        }
    }
    let mut md = String::from("## What wins when\n\n");
    md.push_str(
        "One row per workload: the fastest configuration, the best of every other model, and \
         whether the winner's lead is **real** (its min–max range of runs lies apart from the \
         runner-up's, with at most a 5% chance of that happening by noise alone; see *How to \
         read the tables*) or a **tie**. Rows whose speedup is above the ideal are noise and \
         never win.\n\n",
    );
    let _ = write!(
        md,
        "| Workload | Kind | Best | Other models | Real or tie |"
    );
    for o in &others {
        let _ = write!(md, " Best {} |", capitalize(o));
    }
    md.push_str(" Against the tools | Advice |\n|---|---|---|---|---|");
    for _ in &others {
        md.push_str("---|");
    }
    md.push_str("---|---|\n");
    for g in rust {
        md.push_str(&row(g, demos, &others, cores));
    }
    md.push('\n');
    if !ladders.is_empty() {
        let names: Vec<String> = ladders
            .iter()
            .map(|g| format!("`{}` · `{}`", g.demo, g.workload))
            .collect();
        let _ = writeln!(
            md,
            "Not in this table, since they compare techniques on one core rather than models: {} (see their sections).\n",
            names.join(", ")
        );
    }
    md
}

fn row(g: &Group, demos: &[Demo], others: &[&str], cores: Option<u64>) -> String {
    let best = g.best_per_mode();
    let Some(winner) = best.first().copied() else {
        return String::new();
    };
    let others_cell = if best.len() > 1 {
        best[1..]
            .iter()
            .map(|r| cell(r))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        "—".to_string()
    };
    let faster_noise = g.faster_noise();
    let mut real = match verdict(g) {
        _ if faster_noise > 0 => format!(
            "not decided: {} faster row{} above the ideal (a slow sequential run, not parallelism)",
            faster_noise,
            if faster_noise == 1 { " is" } else { "s are" }
        ),
        Some((_, r, v)) => format!("{} against `{}`", v.explained(), r.label()),
        None => "only one model measured".to_string(),
    };
    let noisy = g.noisy_rows().count();
    if noisy > 0 && faster_noise == 0 {
        let _ = write!(
            real,
            "; {noisy} row{} above the ideal left out as noise",
            if noisy == 1 { "" } else { "s" }
        );
    }
    if g.spread_hides_gain() {
        real.push_str("; the sequential runs spread wider than the gain");
    }
    let mut md = format!(
        "| `{}` · `{}` | {} | **{}** | {others_cell} | {real} |",
        g.demo,
        g.workload,
        g.kind.name(),
        cell(winner)
    );
    for o in others {
        let twin = demos
            .iter()
            .filter(|d| d.language == *o && d.name == g.demo)
            .flat_map(|d| &d.groups)
            .find(|t| t.workload == g.workload);
        let text = match twin.and_then(Group::fastest) {
            Some(t) => format!(
                "{} ({} Rust's best)",
                cell(t),
                ratio_words(t.median_ms / winner.median_ms)
            ),
            None => "—".to_string(),
        };
        let _ = write!(md, " {text} |");
    }
    let _ = writeln!(md, " {} | {} |", tools(g, winner), advice(g, cores));
    md
}

/// "3.1× as long as", "0.80× the time of": a Python time over Rust's.
fn ratio_words(r: f64) -> String {
    if r >= 1.0 {
        format!("{} as long as", fmt_x(r))
    } else {
        format!("{} the time of", fmt_x(r))
    }
}

/// Where ours stands against each outside tool, and which were not installed.
fn tools(g: &Group, ours: &Row) -> String {
    let mut parts: Vec<String> = g
        .references
        .iter()
        .map(|t| {
            let v = evidence::compare(ours, t);
            let how = if v == Verdict::Tie {
                "a tie".to_string()
            } else if !v.is_real() {
                v.word().to_string()
            } else if ours.median_ms < t.median_ms {
                format!("ours {} faster", fmt_x(t.median_ms / ours.median_ms))
            } else {
                format!("ours {} slower", fmt_x(ours.median_ms / t.median_ms))
            };
            format!("`{}` {}: {how}", t.mode, fmt_ms(t.median_ms))
        })
        .collect();
    parts.extend(g.skipped.iter().map(|s| format!("`{}`: {}", s.mode, s.why)));
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join("; ")
    }
}

/// One sentence of advice from the kind of work, the verdict and the worker count.
pub fn advice(g: &Group, cores: Option<u64>) -> String {
    let Some(winner) = g.fastest() else {
        return "Every parallel row was noise; rerun on a quiet machine.".to_string();
    };
    if g.faster_noise() > 0 {
        return "The sequential runs were too uneven to rank these modes: rerun on a quiet \
                machine before choosing."
            .to_string();
    }
    let Some((_, runner_up, v)) = verdict(g) else {
        return "Only one model was measured here.".to_string();
    };
    let past_cores = cores.is_some_and(|n| winner.workers > n);
    let why = match g.kind {
        Kind::Cpu | Kind::Data => cores
            .map(|n| {
                format!(
                    "the work computes, so the {} set the limit",
                    plural(n, "core")
                )
            })
            .unwrap_or_else(|| "the work computes, so the cores set the limit".to_string()),
        Kind::Io if past_cores => {
            "the workers mostly wait, so more of them than cores pay off".to_string()
        }
        Kind::Io => "the work waits, so overlap is what pays".to_string(),
        Kind::FileSystem => {
            "the copy is system calls and memory traffic, which overlap only so far".to_string()
        }
    };
    if matches!(v, Verdict::TooFew { .. }) {
        return format!(
            "Too few runs to call a winner (rerun with more runs): `{}` is ahead of `{}` on \
             these runs only; {why}.",
            winner.label(),
            runner_up.label()
        );
    }
    if !v.is_real() {
        // A tie: the simplest of the tied models is the one to pick.
        let mut tied: Vec<&Row> = g
            .best_per_mode()
            .into_iter()
            .filter(|r| !evidence::compare(winner, r).is_real())
            .collect();
        let names: Vec<String> = tied.iter().map(|r| format!("`{}`", r.label())).collect();
        tied.sort_by_key(|r| machinery(&r.mode));
        let simplest = tied.first().copied().unwrap_or(winner);
        return format!(
            "{} are a tie, their runs overlap: take the simplest, `{}`; {why}.",
            join_and(&names),
            simplest.label()
        );
    }
    if winner.mode == BASELINE {
        return format!("Stay sequential: no parallel model beat it here; {why}.");
    }
    format!(
        "Use `{}` with {}: it beat `{}` for real; {why}.",
        winner.label(),
        plural(winner.workers, "worker"),
        runner_up.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_records;
    use crate::stats::group_on;

    fn lines(demo: &str, workload: &str, runs: &[(&str, u64, &[f64])]) -> String {
        let mut out = Vec::new();
        for (mode, workers, times) in runs {
            for t in *times {
                out.push(format!(
                    r#"{{"demo":"{demo}","workload":"{workload}","mode":"{mode}","workers":{workers},"items":16,"bytes":0,"wall_ms":{t},"ok":true}}"#
                ));
            }
        }
        out.join("\n")
    }

    /// Noisy records, as a shared machine makes them: medians that differ by up to 30%, but
    /// ranges that overlap, or one run each. None of these may be called a win.
    #[test]
    fn noisy_records_never_make_a_tie_a_win() {
        let text = [
            // Medians 400 against 520 (30% apart), ranges overlap: a tie.
            lines(
                "cpu-vs-io",
                "cpu",
                &[
                    ("sequential", 1, &[800.0, 810.0, 1300.0, 790.0, 805.0]),
                    ("thread-pool", 2, &[410.0, 400.0, 560.0, 415.0, 405.0]),
                    ("process-pool", 2, &[520.0, 515.0, 530.0, 380.0, 525.0]),
                ],
            ),
            // One run each: apart, but no evidence.
            lines(
                "threaded-file-copy",
                "small-files",
                &[
                    ("sequential", 1, &[200.0]),
                    ("threads", 2, &[150.0]),
                    ("rayon", 2, &[120.0]),
                ],
            ),
            // A speedup above the ideal from a slow baseline: 4 workers on 2 cores of CPU
            // work; the 3× row is noise, the real winner is the 2-worker row.
            lines(
                "process-crunch",
                "csv",
                &[
                    ("sequential", 1, &[300.0, 900.0, 910.0]),
                    ("threads", 2, &[450.0, 455.0, 460.0]),
                    ("threads", 4, &[300.0, 305.0, 310.0]),
                    ("processes", 2, &[470.0, 480.0, 490.0]),
                ],
            ),
        ]
        .join("\n");
        let demos = group_on(&parse_records(&text, "t").unwrap(), Some(2));
        let md = what_wins_when(&demos, Some(2));
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        for row in &rows {
            assert!(!row.contains("| real"), "a tie called real: {row}");
            assert!(!row.contains("for real"), "a tie advised as a win: {row}");
        }
        assert!(
            rows[0].contains("tie (min–max ranges overlap) against `process-pool`"),
            "{}",
            rows[0]
        );
        assert!(
            rows[0].contains("take the simplest, `thread-pool`"),
            "{}",
            rows[0]
        );
        assert!(rows[1].contains("too few runs to tell"), "{}", rows[1]);
        // The 3× row (noise) is not the best; the 2-worker one is.
        assert!(rows[2].contains("**`threads` ×2, 455 ms**"), "{}", rows[2]);
        assert!(
            rows[2].contains("not decided: 1 faster row is above the ideal"),
            "{}",
            rows[2]
        );
        assert!(
            rows[2].contains("too uneven to rank these modes"),
            "{}",
            rows[2]
        );
        assert!(
            rows[2].contains("the sequential runs spread wider than the gain"),
            "{}",
            rows[2]
        );
    }

    #[test]
    fn a_clear_win_is_real_with_its_advice_and_tools() {
        let text = [
            lines(
                "threaded-scrape",
                "200-pages-20ms",
                &[
                    ("sequential", 1, &[4000.0, 4010.0, 4020.0, 4005.0, 4015.0]),
                    ("threads", 32, &[150.0, 152.0, 149.0, 151.0, 150.0]),
                    ("async", 32, &[180.0, 182.0, 181.0, 179.0, 183.0]),
                ],
            ),
            r#"{"demo":"threaded-scrape","workload":"200-pages-20ms","mode":"wget --spider -r","workers":1,"items":200,"bytes":0,"wall_ms":4100,"ok":true,"reference":true}"#.to_string(),
            r#"{"demo":"threaded-scrape","workload":"200-pages-20ms","mode":"wget2","workers":1,"items":0,"bytes":0,"wall_ms":0,"ok":false,"reference":true,"unavailable":"not installed"}"#.to_string(),
            r#"{"demo":"threaded-scrape","language":"python","workload":"200-pages-20ms","mode":"thread-pool","workers":32,"items":200,"bytes":0,"wall_ms":300,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#.to_string(),
        ]
        .join("\n");
        let demos = group_on(&parse_records(&text, "t").unwrap(), Some(2));
        let md = what_wins_when(&demos, Some(2));
        assert!(md.starts_with("## What wins when\n"), "{md}");
        assert!(md.contains("| Best Python |"), "{md}");
        let row = md
            .lines()
            .find(|l| l.starts_with("| `threaded-scrape`"))
            .unwrap();
        assert!(row.contains("| I/O-bound | **`threads` ×32, 150 ms** | `async` ×32, 181 ms; `sequential`, 4.01 s |"), "{row}");
        assert!(
            row.contains("| real (ranges apart; 0.8% by chance) against `async` |"),
            "{row}"
        );
        assert!(
            row.contains("`thread-pool` ×32, 300 ms (2.00× as long as Rust's best)"),
            "{row}"
        );
        assert!(
            row.contains("`wget --spider -r` 4.10 s: too few runs to tell"),
            "{row}"
        );
        assert!(row.contains("`wget2`: not installed"), "{row}");
        assert!(
            row.contains(
                "Use `threads` with 32 workers: it beat `async` for real; the workers mostly wait"
            ),
            "{row}"
        );
    }
}
