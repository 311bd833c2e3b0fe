//! No child process survives the program, not even as a zombie (Linux: reads /proc).
//!
//! The test process makes itself a "child subreaper": any process that the program leaves
//! behind, running or dead but never waited for, is handed to the test process when the
//! program exits, instead of to init. So after the program has exited, this process must
//! have no children at all. One test function only, so no other test's children can be
//! mistaken for leftovers.

#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "reads /proc and uses PR_SET_CHILD_SUBREAPER: Linux only"]
fn no_child_survives_the_program_or_a_failed_lesson() {}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs;
    use std::process::Command;
    use std::time::{Duration, Instant};

    use multiprocessing_example::child::Program;
    use multiprocessing_example::{crashes, process_pool};

    const BIN: &str = env!("CARGO_BIN_EXE_multiprocessing-example");

    /// A process from /proc: pid, parent pid, state (R, S, Z for zombie...), command line.
    struct Proc {
        pid: u32,
        ppid: u32,
        state: char,
        cmdline: String,
    }

    fn processes() -> Vec<Proc> {
        let mut found = Vec::new();
        for entry in fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // A process may exit between read_dir and here: skip it.
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split
            // after the last ')'.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            let mut fields = after.split_whitespace();
            let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
            let ppid = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let cmdline = fs::read(entry.path().join("cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            found.push(Proc {
                pid,
                ppid,
                state,
                cmdline,
            });
        }
        found
    }

    /// Our children, after giving a dying one a moment to be re-parented to us.
    fn children_of_this_process() -> Vec<Proc> {
        let me = std::process::id();
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            let mine: Vec<Proc> = processes().into_iter().filter(|p| p.ppid == me).collect();
            if mine.is_empty() || Instant::now() > deadline {
                return mine;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Processes running this program in its hidden worker mode.
    fn workers_anywhere() -> Vec<Proc> {
        processes()
            .into_iter()
            .filter(|p| p.cmdline.starts_with(&format!("{BIN} worker")))
            .collect()
    }

    fn assert_nothing_left(after: &str) {
        let children = children_of_this_process();
        let workers = workers_anywhere();
        // Reap what we adopted, so that one failure does not cascade into the next check.
        for c in &children {
            // SAFETY: plain system calls on pids that are our (adopted) children.
            unsafe {
                libc::kill(c.pid as libc::pid_t, libc::SIGKILL);
                libc::waitpid(c.pid as libc::pid_t, std::ptr::null_mut(), 0);
            }
        }
        let show = |ps: &[Proc]| -> Vec<String> {
            ps.iter()
                .map(|p| format!("pid {} state {} {:?}", p.pid, p.state, p.cmdline))
                .collect()
        };
        assert!(
            children.is_empty(),
            "{after}: left behind (state Z = zombie): {:?}",
            show(&children)
        );
        assert!(
            workers.is_empty(),
            "{after}: workers still running: {:?}",
            show(&workers)
        );
    }

    #[test]
    fn no_child_survives_the_program_or_a_failed_lesson() {
        // SAFETY: a plain system call with integer arguments.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong) };
        assert_eq!(rc, 0, "cannot become a subreaper");

        // The whole program, every lesson. `output` waits for it, so it is not a leftover itself.
        let out = Command::new(BIN).output().unwrap();
        assert!(out.status.success());
        assert_nothing_left("after the whole program");

        // The same lessons with the pool at 3 workers, through the JSON path.
        let out = Command::new(BIN)
            .args(["--json", "--workers", "3"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_nothing_left("after the program with --json --workers 3");

        // Lessons run here, in this process: their children are direct children of ours.
        let program = Program::at(BIN);
        let err = process_pool::run(&program, &[10, 20, 30, 40, 50, 60, 70], 3, Some(30));
        assert!(err.is_err());
        assert_nothing_left("after a pool whose worker panicked");

        let crashes = crashes::run(&program).unwrap();
        assert_eq!(crashes.children.len(), 4);
        assert_nothing_left("after the crashing children");
    }
}
