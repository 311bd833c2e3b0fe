//! The Python twin: `python/crunch.py` must print byte for byte what `process-crunch run`
//! prints, and exit with the same status, on the edge cases of the 1BRC format.
//!
//! The script lives outside this crate (`../../python/crunch.py` from the manifest), and a
//! machine may have no `python3`: either way each test prints a `SKIP:` line and passes,
//! since the crate must also build and test when copied out of the workspace alone.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `python3` and the script, or `None` (with a SKIP line) when either is missing.
fn twin() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/crunch.py");
    if !script.is_file() {
        skip!(
            "SKIP: {} not found (is this crate outside the workspace?)",
            script.display()
        );
        return None;
    }
    let version = Command::new("python3").arg("--version").output();
    let text = match &version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => {
            skip!("SKIP: no python3 on PATH");
            return None;
        }
    };
    // "Python 3.11.7": the script needs 3.9 or newer.
    let minor = text
        .trim()
        .strip_prefix("Python 3.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|minor| minor.parse::<u32>().ok());
    if !matches!(minor, Some(m) if m >= 9) {
        skip!("SKIP: {} is older than Python 3.9", text.trim());
        return None;
    }
    Some(script)
}

fn rust(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-crunch"))
        .env_remove("PROCESS_CRUNCH_FAULT")
        .arg("run")
        .arg(file)
        .args(args)
        .output()
        .expect("process-crunch runs")
}

fn python(script: &Path, file: &Path, args: &[&str]) -> Output {
    Command::new("python3")
        .arg(script)
        .arg(file)
        .args(args)
        .output()
        .expect("python3 runs")
}

/// "line 4, byte 8" from an error message, the place both programs must blame.
fn blamed(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let start = text.find("line ")?;
    let end = start + text[start..].find(": ")?;
    Some(text[start..end].to_string())
}

/// Runs both programs on `data` in each pair of equivalent modes; asserts the same stdout
/// bytes and exit status, and for a failure the same line and byte blamed.
fn assert_twins(script: &Path, name: &str, data: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, data).unwrap();
    // `run FILE` as it is (the processes mode and a process pool, one worker per logical
    // CPU), and both sequential modes. crunch.py's own tests cover more worker counts.
    let pairs: [(&[&str], &[&str]); 2] = [
        (&[], &[]),
        (&["--mode", "sequential"], &["--mode", "sequential"]),
    ];
    for (rust_args, python_args) in pairs {
        let r = rust(&file, rust_args);
        let p = python(script, &file, python_args);
        let context = format!(
            "{name} ({rust_args:?} / {python_args:?})\nprocess-crunch stderr: {}\ncrunch.py stderr: {}",
            String::from_utf8_lossy(&r.stderr),
            String::from_utf8_lossy(&p.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&p.stdout),
            String::from_utf8_lossy(&r.stdout),
            "stdout differs: {context}"
        );
        assert_eq!(p.stdout, r.stdout, "stdout bytes differ: {context}");
        assert_eq!(p.status.code(), r.status.code(), "exit status: {context}");
        // The default run is the processes mode, which reports the first bad line of the file.
        if rust_args.is_empty() && !r.status.success() {
            assert_eq!(blamed(&p.stderr), blamed(&r.stderr), "{context}");
        }
    }
}

#[test]
fn good_files_print_the_same_bytes() {
    let Some(script) = twin() else { return };
    let cases: &[(&str, &[u8])] = &[
        ("bom.txt", b"\xef\xbb\xbfa;1.0\nb;2.0\n"),
        ("crlf.txt", b"a;1.0\r\nb;-0.0\r\n"),
        ("no-final-newline.txt", b"a;1.0\nb;2.0"),
        ("empty.txt", b""),
        ("blank-lines.txt", b"\n\r\na;1.0\n\n"),
        ("extremes.txt", b"b;99.9\nb;-99.9\nb;09.9\n"),
        ("negative-zero.txt", b"z;-0.0\nz;-0.0\nz;0.0\n"),
        (
            "halves.txt",
            b"a;0.1\na;0.2\nb;-0.1\nb;-0.2\nc;-0.1\nc;0.0\nd;12.3\nd;12.4\ne;-12.3\ne;-12.4\n",
        ),
        (
            "multi-byte.txt",
            "Zürich;1.0\nÜrümqi;2.0\nAbéché;-3.0\nZagreb;4.0\n東京;9.9\n".as_bytes(),
        ),
        ("cr-in-name.txt", b"x\r;1.0\n"),
        ("quote-in-name.txt", b"\"a;1.0\n"),
        ("bom-only.txt", b"\xef\xbb\xbf"),
        ("bom-then-blank.txt", b"\xef\xbb\xbf\na;1.0\n"),
        ("leading-zeros.txt", b"a;-00.0\nb;-09.9\nb;05.5\n"),
    ];
    for (name, data) in cases {
        assert_twins(&script, name, data);
    }
    let long_name = [&[b'n'; 100][..], b";1.0\n"].concat();
    assert_twins(&script, "name-of-100-bytes.txt", &long_name);
}

#[test]
fn bad_files_fail_alike() {
    let Some(script) = twin() else { return };
    let two_bad = [
        b"a;1.0\n".repeat(50),
        b"bad;x\n".to_vec(),
        b"a;1.0\n".repeat(50),
        b"bad;y\n".to_vec(),
    ]
    .concat();
    let long_name = [&b"a;1.0\n"[..], &[b'x'; 101], b";1.0\n"].concat();
    // Longer than any valid line (100 + 1 + 5 bytes): rejected before it is read whole.
    let long_line = [&b"a;1.0\n"[..], &[b'y'; 5000], b";1.0\n"].concat();
    let cases: &[(&str, &[u8])] = &[
        ("no-separator.txt", b"a;1.0\nno separator here\n"),
        ("empty-name.txt", b"a;1.0\n;2.0\n"),
        ("long-name.txt", &long_name),
        ("two-semicolons.txt", b"a;1;0\n"),
        ("out-of-range.txt", b"a;1.0\na;100.0\n"),
        ("no-decimal.txt", b"a;1.0\nb;2\n"),
        ("two-bad-lines.txt", &two_bad),
        ("half-a-bom.txt", b"\xef\xbb"),
        ("semicolon-only.txt", b";"),
        ("long-line.txt", &long_line),
    ];
    for (name, data) in cases {
        assert_twins(&script, name, data);
    }
    // Blank lines before the bad one: both blame line 4, byte 8.
    assert_twins(&script, "after-blank-lines.txt", b"a;1.0\n\n\nb;x\n");
}

/// A BOM after byte 0 is bytes of a line (here a line with no `;`), at every worker count.
#[test]
fn a_bom_after_byte_0_is_part_of_a_line() {
    let Some(script) = twin() else { return };
    assert_twins(&script, "bom-at-the-end.txt", b"a;1.0\n\xef\xbb\xbf");
}

#[test]
fn a_generated_file_prints_the_same_bytes() {
    let Some(script) = twin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("measurements.txt");
    let made = Command::new(env!("CARGO_BIN_EXE_process-crunch"))
        .arg("generate")
        .arg(&file)
        .args(["--rows", "20000", "--stations", "500", "--seed", "7"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let data = std::fs::read(&file).unwrap();
    assert_twins(&script, "measurements.txt", &data);
    let r = rust(&file, &["--mode", "processes", "--workers", "3"]);
    let p = python(
        &script,
        &file,
        &["--mode", "process-pool", "--workers", "3"],
    );
    assert!(r.status.success() && p.status.success(), "{r:?}\n{p:?}");
    assert_eq!(p.stdout, r.stdout, "3 workers");

    // The --json records agree on what was done.
    let r = rust(&file, &["--mode", "sequential", "--json"]);
    let p = python(&script, &file, &["--mode", "sequential", "--json"]);
    assert!(r.status.success() && p.status.success(), "{r:?}\n{p:?}");
    assert_eq!(
        p.stderr.split(|&b| b == b'\n').next(),
        r.stderr.split(|&b| b == b'\n').next(),
        "the result line moves to stderr in both"
    );
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let p: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    for field in [
        "demo", "mode", "workload", "workers", "items", "bytes", "ok", "stations",
    ] {
        assert_eq!(p[field], r[field], "field {field}");
    }
    assert_eq!(p["language"], "python");
    assert!(p["wall_ms"].is_number(), "{p}");
}
