//! Malformed lines, missing files and usage errors: the right message and exit status in
//! every mode.

#[macro_use]
mod common;

use common::*;

/// Runs every mode and parser on `data` and checks each fails with exit 1 and `message`.
fn assert_error_everywhere(data: &[u8], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.txt", data);
    for parser in PARSERS {
        for mode in MODES {
            for workers in [1, 3] {
                let output = run(&file, mode, parser, workers, &[]);
                let err = stderr(&output);
                assert_eq!(output.status.code(), Some(1), "{mode}/{parser}: {err}");
                assert!(output.stdout.is_empty(), "{mode}/{parser}");
                assert!(
                    err.contains(&format!("{}: {message}", file.display())),
                    "{mode}/{parser}/{workers}: {err}"
                );
            }
        }
    }
}

#[test]
fn line_without_separator() {
    assert_error_everywhere(
        b"a;1.0\nno separator here\nb;2.0\n",
        "line 2, byte 6: no `;` between station name and temperature",
    );
}

#[test]
fn empty_name() {
    assert_error_everywhere(b"a;1.0\n;2.0\n", "line 2, byte 6: empty station name");
}

#[test]
fn name_too_long() {
    let mut data = b"a;1.0\n".to_vec();
    data.extend_from_slice(&[b'n'; 100]);
    data.extend_from_slice(b";1.0\n");
    // 100 bytes is fine...
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "ok.txt", &data);
    assert!(run(&ok, "sequential", "fast", 1, &[]).status.success());
    // ...101 is not.
    data.extend_from_slice(&[b'n'; 101]);
    data.extend_from_slice(b";1.0\n");
    assert_error_everywhere(
        &data,
        "line 3, byte 111: station name is 101 bytes long, over the limit of 100",
    );
}

#[test]
fn temperatures_that_are_not_one_decimal() {
    for (text, shown) in [
        ("1.23", "1.23"),
        ("1", "1"),
        ("abc", "abc"),
        ("+1.0", "+1.0"),
        ("1.0;2.0", "1.0;2.0"),
        ("", ""),
        ("1.0 ", "1.0 "),
    ] {
        let data = format!("a;1.0\nb;{text}\nc;2.0\n");
        assert_error_everywhere(
            data.as_bytes(),
            &format!(
                "line 2, byte 6: temperature `{shown}` is not a number with exactly one decimal"
            ),
        );
    }
}

#[test]
fn temperatures_out_of_range() {
    for text in ["100.0", "-100.0", "123.4"] {
        let data = format!("a;1.0\nb;{text}");
        assert_error_everywhere(
            data.as_bytes(),
            &format!("line 2, byte 6: temperature `{text}` is out of range [-99.9, 99.9]"),
        );
    }
}

#[test]
fn the_first_bad_line_is_reported_whichever_worker_finds_it() {
    // Bad lines near the start and near the end: every mode names the first.
    let mut data = Vec::new();
    for i in 0..2000 {
        data.extend_from_slice(format!("s{};{}.5\n", i % 7, i % 50).as_bytes());
    }
    let first = data.len();
    data.extend_from_slice(b"bad;x\n");
    for i in 0..2000 {
        data.extend_from_slice(format!("s{};{}.5\n", i % 7, i % 50).as_bytes());
    }
    data.extend_from_slice(b"bad;y\n");
    assert_error_everywhere(
        &data,
        &format!("line 2001, byte {first}: temperature `x` is not a number"),
    );
}

#[test]
fn skip_bad_counts_and_keeps_the_good_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "some-bad.txt",
        b"a;1.0\nnothing\n;1.0\nb;2.0\nc;1.23\nd;200.0\na;3.0\n",
    );
    for parser in PARSERS {
        for mode in MODES {
            let output = run(&file, mode, parser, 3, &["--skip-bad"]);
            assert!(output.status.success(), "{}", stderr(&output));
            assert_eq!(output.stdout, b"{a=1.0/2.0/3.0, b=2.0/2.0/2.0}\n");
            assert!(stderr(&output).contains("skipped 4 malformed lines"));

            let output = run(&file, mode, parser, 3, &["--skip-bad", "--json"]);
            let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(record["errors"], 4);
            assert_eq!(record["items"], 3);
            assert_eq!(record["ok"], false);
        }
    }
}

#[test]
fn missing_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("does-not-exist.txt");
    for parser in PARSERS {
        for mode in MODES {
            let output = run(&missing, mode, parser, 2, &[]);
            assert_eq!(output.status.code(), Some(1));
            let err = stderr(&output);
            assert!(
                err.contains(&missing.display().to_string()) && err.contains("No such file"),
                "{err}"
            );

            let output = run(dir.path(), mode, parser, 2, &[]);
            assert_eq!(output.status.code(), Some(1));
            assert!(
                stderr(&output).contains("is a directory"),
                "{}",
                stderr(&output)
            );

            // A device (or a pipe) has no length to split: an error, not a silent `{}`.
            #[cfg(unix)]
            {
                let output = run(std::path::Path::new("/dev/null"), mode, parser, 2, &[]);
                assert_eq!(output.status.code(), Some(1));
                assert!(
                    stderr(&output).contains("/dev/null: is not a regular file"),
                    "{}",
                    stderr(&output)
                );
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "secret.txt", b"a;1.0\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        // Running as root: permissions do not stop us, so there is nothing to test.
        skip!("SKIP: unreadable_file: the file is readable anyway (running as root)");
        return;
    }
    let output = run(&file, "processes", "fast", 2, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("Permission denied"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ok.txt", b"a;1.0\n");
    let f = file.to_str().unwrap();
    for args in [
        vec!["run", f, "--mode", "telepathy"],
        vec!["run", f, "--workers", "0"],
        vec!["run", f, "--workers", "many"],
        vec!["run", f, "--parser", "regex"],
        vec!["run"],
        vec!["run", f, "--frobnicate"],
        vec!["generate", f, "--stations", "0"],
        vec!["generate", f, "--stations", "10001"],
        vec!["no-such-command"],
    ] {
        let output = bin().args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = bin().args(["run", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
}
