//! The differential property test: files generated from a grammar of valid and invalid lines
//! (byte order marks, `\r`, blank lines, long names, multi-byte characters split at the name
//! limit or cut in half, a last line without `\n`) must give the same stdout, or the same
//! error (kind, line and byte), in every mode, with both parsers and 1, 2, 3 and 7 workers.
//!
//! Each case runs the binary about 34 times (the processes and timely modes start processes
//! of their own), so the case count is small and fixed, and shrinking is bounded.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use common::*;

const WORKERS: [usize; 4] = [1, 2, 3, 7];

/// One line of the grammar, with its line ending.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        4 => prop::sample::select(vec![
            "a".as_bytes().to_vec(),
            "b".as_bytes().to_vec(),
            "Zürich".as_bytes().to_vec(),
            "北京".as_bytes().to_vec(),
            b"\xEF\xBB\xBFa".to_vec(),      // a byte order mark inside a name
            b"a\rb".to_vec(),              // a `\r` inside a name
            b"\xE5\x8C".to_vec(),          // half of a 3-byte character
            vec![b'n'; 100],               // the longest name
            [vec![b'n'; 98], "é".as_bytes().to_vec()].concat(), // 100 bytes with a 2-byte char
            [vec![b'n'; 99], "é".as_bytes().to_vec()].concat(), // 101: the char split by the limit
            [vec![b'n'; 99], "北".as_bytes().to_vec()].concat(), // 102
            Vec::new(),                    // empty name
        ]),
        1 => prop::collection::vec(any::<u8>().prop_filter("no separators", |b| *b != b';' && *b != b'\n'), 1..120),
    ];
    let temperature = prop_oneof![
        6 => (-999i32..=999).prop_map(|t| {
            let sign = if t < 0 { "-" } else { "" };
            format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10).into_bytes()
        }),
        1 => prop::sample::select(vec![
            b"-0.0".to_vec(), b"99.9".to_vec(), b"-99.9".to_vec(), b"100.0".to_vec(),
            b"1.23".to_vec(), b"+1.0".to_vec(), b"1".to_vec(), b"x".to_vec(), b"1.0;2".to_vec(),
            b"".to_vec(), b"1.0 ".to_vec(), vec![b'7'; 150],
        ]),
    ];
    let ending = prop::sample::select(vec![b"\n".to_vec(), b"\n".to_vec(), b"\r\n".to_vec()]);
    prop_oneof![
        10 => (name, temperature, ending.clone()).prop_map(|(n, t, e)| [n, b";".to_vec(), t, e].concat()),
        2 => ending.clone(),                                  // a blank line
        1 => (prop::collection::vec(b'a'..=b'z', 1..200), ending).prop_map(|(n, e)| [n, e].concat()), // no `;`
    ]
}

/// A whole file: an optional byte order mark, lines, maybe no `\n` at the end.
fn file() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop::collection::vec(line(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, chop)| {
            let mut data = if bom {
                b"\xEF\xBB\xBF".to_vec()
            } else {
                Vec::new()
            };
            for l in lines {
                data.extend_from_slice(&l);
            }
            if chop && data.ends_with(b"\n") {
                data.pop();
            }
            data
        })
}

/// What a run printed, reduced to what must agree: exit status, stdout, the error line.
fn outcome(output: &std::process::Output) -> (Option<i32>, String, String) {
    let err = stderr(output);
    let error = err
        .lines()
        .filter(|l| l.contains("error:"))
        .map(str::to_string)
        .next()
        .unwrap_or_default();
    // Escaped, not lossily decoded: two different invalid byte sequences must not look equal.
    (
        output.status.code(),
        output.stdout.escape_ascii().to_string(),
        error,
    )
}

#[test]
fn every_mode_parser_and_worker_count_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(file(), any::<bool>()), |(data, skip_bad)| {
        let path = write(dir.path(), "case.txt", &data);
        let extra: &[&str] = if skip_bad { &["--skip-bad"] } else { &[] };
        let expected = outcome(&run(&path, "sequential", "csv", 1, extra));
        prop_assert!(
            matches!(expected.0, Some(0) | Some(1)),
            "sequential/csv exited {:?}: {}",
            expected.0,
            expected.2
        );
        for parser in PARSERS {
            for mode in all_modes() {
                let workers: &[usize] = if mode == "sequential" { &[1] } else { &WORKERS };
                for &w in workers {
                    let got = outcome(&run(&path, mode, parser, w, extra));
                    prop_assert_eq!(
                        &got,
                        &expected,
                        "{}/{} with {} workers, skip_bad {}, file {:?}",
                        mode,
                        parser,
                        w,
                        skip_bad,
                        data.escape_ascii().to_string()
                    );
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
