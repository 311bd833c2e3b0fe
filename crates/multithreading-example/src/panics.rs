//! Lesson 6: a panicking worker.
//!
//! A panic unwinds only the thread it happens on. The thread ends, its `JoinHandle::join`
//! returns `Err` with the panic's payload (usually the message, as a `&str` or a `String`), and
//! every other thread carries on. So the coordinator can treat a panicked worker like any
//! other failed one: report which worker and why, keep the results of the others, and go on.
//! (The "thread 'worker-N' panicked at ..." line on stderr is Rust's default panic hook
//! printing the panic as it happens; the program has not stopped.)
//!
//! There is no sequential version to set beside it: on one thread the panic would unwind
//! through the caller and end the program, which is the point of the lesson.

use std::any::Any;
use std::thread;

use anyhow::Context;

/// The work: sums 1..=(n × 1000). Panics for the worker told to fail, like a bug would.
fn work(worker: usize, fail: bool) -> u64 {
    if fail {
        panic!("worker {worker} hit a bad input");
    }
    (1..=(worker as u64 + 1) * 1000).sum()
}

/// Turns a panic payload into its message. `panic!` with a literal gives a `&str`, with a
/// format string a `String`; anything else (`panic_any`) has no printable message.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

/// Starts `workers` named threads, of which worker `failing` panics, and joins them all.
pub fn run(workers: usize, failing: usize) -> anyhow::Result<Panics> {
    let mut handles = Vec::with_capacity(workers);
    for worker in 0..workers {
        // A named thread: the panic hook prints the name, so you can tell which one it was.
        let handle = thread::Builder::new()
            .name(format!("worker-{worker}"))
            .spawn(move || work(worker, worker == failing))
            // On `?` the workers already started are detached; each ends after its short sum.
            .with_context(|| format!("could not start worker {worker}"))?;
        handles.push(handle);
    }
    // Join every worker, in order. A panicked one gives `Err(payload)` here instead of taking
    // the program down; we keep its message as this worker's result and go on to the next.
    let outcomes = handles
        .into_iter()
        .map(|h| h.join().map_err(panic_message))
        .collect();
    Ok(Panics { outcomes })
}

// ---- End of the lesson. Below: its result. ----

/// What each worker's `join` handed back, in worker order.
#[derive(Debug)]
pub struct Panics {
    /// `Ok(the worker's sum)` or `Err(the panic message)`.
    pub outcomes: Vec<Result<u64, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_comes_back_as_an_error_at_join() {
        let p = run(4, 2).unwrap();
        assert_eq!(p.outcomes.len(), 4);
        assert_eq!(p.outcomes[2], Err("worker 2 hit a bad input".to_string()));
        assert_eq!(p.outcomes[0], Ok(500_500));
        assert_eq!(p.outcomes[3], Ok(8_002_000));
        assert_eq!(p.outcomes.iter().filter(|o| o.is_ok()).count(), 3);
    }

    #[test]
    fn the_payload_of_a_literal_and_a_formatted_panic_both_give_the_message() {
        assert_eq!(panic_message(Box::new("plain")), "plain");
        assert_eq!(
            panic_message(Box::new(String::from("formatted"))),
            "formatted"
        );
        assert_eq!(panic_message(Box::new(42)), "a panic with no message");
    }
}
