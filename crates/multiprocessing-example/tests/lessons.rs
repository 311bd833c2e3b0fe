//! Each lesson function, run against the built program as its children, asserts what the
//! lesson teaches. (Unit tests inside the crate cannot do this: there, `current_exe()` is the
//! test runner, not the program, so these tests pass the program's path explicitly.)

use multiprocessing_example::child::Program;
use multiprocessing_example::pipe_queue::Message;
use multiprocessing_example::{
    crashes, pipe_queue, process_lock, process_pool, separate_memory, shared_memory, spawn,
};

fn program() -> Program {
    Program::at(env!("CARGO_BIN_EXE_multiprocessing-example"))
}

#[test]
fn spawn_reads_each_childs_output_and_exit_status() {
    let lesson = spawn::run(&program()).unwrap();
    assert_eq!(lesson.children.len(), 2);
    for c in &lesson.children {
        assert_ne!(c.pid, std::process::id());
        assert!(
            c.said
                .starts_with(&format!("hello from the child: pid {}", c.pid)),
            "{c:?}"
        );
        assert_eq!(c.status.code(), Some(i32::from(c.asked)));
    }
    assert!(lesson.children[0].status.success());
    assert!(!lesson.children[1].status.success());
}

#[test]
fn the_parents_list_stays_empty_and_the_childs_arrives_only_when_sent() {
    let lesson = separate_memory::run(&program(), 5).unwrap();
    assert!(lesson.parent_list.is_empty(), "{lesson:?}");
    assert_eq!(lesson.received.list, [1, 4, 9, 16, 25]);
    assert_ne!(lesson.received.pid, std::process::id());
}

#[test]
fn the_pipe_queue_delivers_in_order_and_reports_a_truncated_message() {
    let lesson = pipe_queue::run(&program(), 5).unwrap();
    let c = &lesson.complete;
    assert_eq!(c.error, None);
    assert!(c.status.success());
    let seqs: Vec<u64> = c
        .items
        .iter()
        .map(|m| match m {
            Message::Item { seq, value, cube } => {
                assert_eq!(*cube, value.pow(3));
                *seq
            }
            Message::Done { .. } => panic!("Done is not kept as an item"),
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);

    let t = &lesson.truncated;
    assert_eq!(t.items.len(), 2);
    let error = t.error.as_deref().unwrap();
    assert!(error.starts_with("message 3: "), "{error}");
    assert!(error.contains("promised"), "{error}");
    // The child exited "successfully": only the framing noticed.
    assert_eq!(t.status.code(), Some(0));
}

#[test]
fn shared_memory_values_written_by_the_child_arrive_in_the_parent() {
    let lesson = shared_memory::run(&program(), 10).unwrap();
    assert_eq!(lesson.before, (0..10).collect::<Vec<i64>>());
    assert_eq!(lesson.value, std::f64::consts::PI);
    assert_eq!(lesson.array, (0..10).map(|x| -x).collect::<Vec<i64>>());
    // The shared file and its directory are gone.
    assert!(!lesson.dir.exists());
}

#[test]
fn alone_or_with_the_file_lock_the_balance_ends_at_200_every_time() {
    for _ in 0..3 {
        let lesson = process_lock::run(&program(), 200, 100).unwrap();
        assert_eq!(lesson.one_process.0, 200, "{lesson:?}");
        assert_eq!(lesson.locked_balance, 200, "{lesson:?}");
    }
}

#[test]
fn the_pool_gives_answers_in_input_order_from_several_processes() {
    let inputs = process_pool::inputs(12);
    let run = process_pool::run(&program(), &inputs, 3, None).unwrap();
    let expected: Vec<u64> = inputs
        .iter()
        .map(|&n| process_pool::count_primes(n))
        .collect();
    assert_eq!(run.outputs, expected);
    assert_eq!(run.workers, 3);
    let mut pids = run.pids.clone();
    pids.sort_unstable();
    pids.dedup();
    assert!((1..=3).contains(&pids.len()), "{pids:?}");
    assert!(!pids.contains(&std::process::id()));
}

#[test]
fn the_pool_copes_with_more_workers_than_inputs_and_with_no_inputs() {
    let run = process_pool::run(&program(), &[10, 100], 8, None).unwrap();
    assert_eq!(run.outputs, [4, 25]);
    assert_eq!(run.workers, 2);
    let run = process_pool::run(&program(), &[], 4, None).unwrap();
    assert!(run.outputs.is_empty());
}

#[test]
fn a_pool_member_that_panics_is_reported_with_its_input_and_status() {
    let inputs = [10, 20, 30, 40, 50, 60];
    let err = process_pool::run(&program(), &inputs, 2, Some(40)).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("failed on input #3 (40)"), "{msg}");
    assert!(msg.contains("exit status 101"), "{msg}");
}

#[test]
fn crashing_children_are_reported_by_exit_status_or_signal() {
    let lesson = crashes::run(&program()).unwrap();
    let panicked = &lesson.children[0];
    assert_eq!(panicked.status.code(), Some(101));
    assert!(
        panicked
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("the child panics on purpose"),
        "{panicked:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let killed = &lesson.children[1..];
        // Self-killed, killed by the parent and (on Linux) killed by the parent-death signal.
        assert_eq!(killed.len(), if cfg!(target_os = "linux") { 3 } else { 2 });
        for c in killed {
            assert_eq!(c.status.signal(), Some(libc::SIGKILL), "{c:?}");
            assert_eq!(c.status.code(), None, "{c:?}");
        }
    }
    // Straight to the stderr handle: the harness captures `eprintln!` of a passing test,
    // and a skip must be seen.
    #[cfg(not(unix))]
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        b"SKIP: no signals here; only the panic's exit status was checked\n",
    );
}
