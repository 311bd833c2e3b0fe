//! The child side of the process models: what this program does when a parent starts it with
//! a hidden subcommand.
//!
//! - `__run-task JSON` (process-per-task): run the one task given as the argument, print its
//!   result as one JSON line on stdout, exit.
//! - `__worker` (process-pool): read tasks from stdin, one JSON line each, and answer each with
//!   one JSON line on stdout, in order, flushing after every answer because the parent is
//!   waiting for it. End of stdin (the parent closed its end of the pipe) means "no more work":
//!   the loop ends and the process exits 0.
//!
//! The wire format is line-framed JSON: serde_json never writes a raw newline inside a value,
//! so one line is one message. The answer is a whole [`TaskResult`], so a failed task crosses
//! the process boundary as a value, just as it crosses a channel between threads.

use std::io::{self, BufRead, Write};

use anyhow::{Context, Result};

use crate::task::{run_task, Task};

pub const WORKER_SUBCOMMAND: &str = "__worker";
pub const RUN_TASK_SUBCOMMAND: &str = "__run-task";

/// `__run-task`: one task from the command line, one answer on stdout.
pub fn run_one(task_json: &str) -> Result<()> {
    let task: Task = serde_json::from_str(task_json)
        .with_context(|| format!("{RUN_TASK_SUBCOMMAND}: not a task: {task_json:?}"))?;
    answer(&task, &mut io::stdout().lock())
}

/// `__worker`: serve tasks from stdin until it closes.
pub fn serve_stdin() -> Result<()> {
    serve(io::stdin().lock(), io::stdout().lock())
}

/// The worker loop, over any reader and writer so that tests can drive it with byte slices.
pub fn serve(input: impl BufRead, mut output: impl Write) -> Result<()> {
    // `lines()` returns `None` at end of input: that is the parent saying goodbye.
    for line in input.lines() {
        let line = line.context("reading a task from stdin")?;
        let task: Task = serde_json::from_str(&line)
            .with_context(|| format!("{WORKER_SUBCOMMAND}: not a task: {line:?}"))?;
        answer(&task, &mut output)?;
    }
    Ok(())
}

fn answer(task: &Task, output: &mut impl Write) -> Result<()> {
    let result = run_task(task);
    serde_json::to_writer(&mut *output, &result).context("writing a result to stdout")?;
    output.write_all(b"\n")?;
    // The parent blocks until this line arrives: it must not sit in a buffer.
    output.flush().context("writing a result to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Output, TaskResult};

    #[test]
    fn serves_one_line_per_task_until_end_of_input() {
        let input = format!(
            "{}\n{}\n",
            serde_json::to_string(&Task::Sleep { id: 0, ms: 0 }).unwrap(),
            serde_json::to_string(&Task::cpu(1, 10)).unwrap()
        );
        let mut output = Vec::new();
        serve(input.as_bytes(), &mut output).unwrap();
        let replies: Vec<TaskResult> = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(replies.len(), 2);
        assert_eq!(
            replies[0],
            Ok(Output {
                id: 0,
                value: 0,
                bytes: 0
            })
        );
        assert_eq!(replies[1], run_task(&Task::cpu(1, 10)));
    }

    #[test]
    fn a_garbled_task_line_is_an_error_naming_it() {
        let err = serve(&b"{oops\n"[..], Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("{oops"), "{err:#}");
    }
}
