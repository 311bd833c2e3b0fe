//! Every model, called as a library function, gives the same results as sequential, for every
//! workload; and a failing task comes back as a value from every model, threads and processes
//! alike. The process models start the real binary as their workers.

use std::path::PathBuf;
use std::time::Duration;

use cpu_vs_io::models::{sequential, Context, Mode};
use cpu_vs_io::server;
use cpu_vs_io::task::Task;
use cpu_vs_io::workload::Workload;

fn context(workers: usize) -> Context {
    Context {
        workers,
        exe: PathBuf::from(env!("CARGO_BIN_EXE_cpu-vs-io")),
    }
}

#[test]
fn every_model_gives_the_same_results_for_every_workload() {
    let addr = server::start(Duration::from_millis(2)).unwrap();
    let ctx = context(3);
    for workload in [Workload::Cpu, Workload::IoSleep, Workload::IoTcp] {
        // 7 tasks on 3 workers: the pools get an uneven share, which shakes out ordering bugs.
        let tasks = workload.tasks(7, 2_000, 2, Some(addr));
        let expected = sequential::run(&tasks);
        for (task, result) in tasks.iter().zip(&expected) {
            let output = result.as_ref().expect("sequential succeeds");
            assert_eq!(output.id, task.id());
        }
        for mode in Mode::ALL {
            let got = mode
                .run(&tasks, &ctx)
                .unwrap_or_else(|err| panic!("{workload} under {mode}: {err:#}"));
            assert_eq!(got, expected, "{workload} under {mode}");
        }
    }
}

#[test]
fn more_workers_than_tasks_is_fine() {
    let ctx = context(5);
    let tasks = Workload::Cpu.tasks(2, 500, 0, None);
    let expected = sequential::run(&tasks);
    for mode in [Mode::ThreadPool, Mode::ProcessPool] {
        assert_eq!(mode.run(&tasks, &ctx).unwrap(), expected, "{mode}");
    }
}

#[test]
fn a_failed_task_comes_back_as_a_value_from_every_model() {
    // A port that nothing listens on: every TCP task fails to connect.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let tasks: Vec<Task> = (0..3).map(|id| Task::Tcp { id, addr }).collect();
    let ctx = context(2);
    for mode in Mode::ALL {
        let results = mode.run(&tasks, &ctx).unwrap();
        assert_eq!(results.len(), 3, "{mode}");
        for (id, result) in (0..).zip(&results) {
            let err = result.as_ref().expect_err("nothing listens there");
            assert_eq!(err.id, id, "{mode}");
            assert!(err.message.contains(&addr.to_string()), "{mode}: {err}");
        }
    }
}
