//! Misbehaving timely peers: this test plays process 1 of a two-process hostfile run by hand,
//! sends a valid hello and then misbehaves. Process 0 must exit 1 naming process 1 and the
//! cause, within a bounded time: never abort, never hang, never grow without bound.
#![cfg(feature = "timely")]

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Starts process 0 of a 2 x 1 hostfile run; returns it and its address.
fn start_process_0(dir: &Path, file: &Path, extra: &[&str]) -> (Child, String) {
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let hosts = write(
        dir,
        "hosts.txt",
        format!("{address}\n127.0.0.1:1\n").as_bytes(),
    );
    let child = bin()
        .arg("run")
        .arg(file)
        .args(["--mode", "timely", "--workers", "1", "--process-index", "0"])
        .arg("--hostfile")
        .arg(&hosts)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, address)
}

/// Dials process 0 (retrying until it listens) and sends process 1's hello.
fn dial_with_hello(address: &str, file_len: u64) -> TcpStream {
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect(address) {
            Ok(stream) => break stream,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("process 0 never listened: {e}"),
        }
    };
    let mut hello = b"PCTIMEL1".to_vec();
    for field in [1u64, 2, 1, file_len] {
        hello.extend_from_slice(&field.to_be_bytes());
    }
    stream.write_all(&hello).unwrap();
    stream
}

fn sample(dir: &Path) -> (std::path::PathBuf, u64) {
    let file = generate(dir, "m.txt", 2_000, 50, 1);
    let len = std::fs::metadata(&file).unwrap().len();
    (file, len)
}

#[test]
fn a_peer_that_leaves_right_after_its_hello_is_an_error_never_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let (file, len) = sample(dir.path());
    // It used to abort (SIGABRT) in about one run in three.
    for round in 0..8 {
        let (mut child, address) = start_process_0(dir.path(), &file, &[]);
        drop(dial_with_hello(&address, len));
        let (status, err) = wait_within(&mut child, Duration::from_secs(30));
        assert_eq!(status.code(), Some(1), "round {round}: {status}: {err}");
        assert!(
            err.contains("timely process 0: lost the connection to process 1"),
            "round {round}: {err}"
        );
    }
}

#[test]
fn a_peer_that_sends_garbage_after_its_hello_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (file, len) = sample(dir.path());
    let (mut child, address) = start_process_0(dir.path(), &file, &[]);
    let mut peer = dial_with_hello(&address, len);
    let _ = peer.write_all(&[0xA5; 4096]);
    let (status, err) = wait_within(&mut child, Duration::from_secs(30));
    drop(peer);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("lost the connection to process 1")
            && err.contains("not a process-crunch peer, or a corrupt stream"),
        "{err}"
    );
}

#[test]
fn a_frame_header_promising_a_terabyte_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (file, len) = sample(dir.path());
    let (mut child, address) = start_process_0(dir.path(), &file, &[]);
    let mut peer = dial_with_hello(&address, len);
    let mut header = Vec::new();
    for field in [0u64, 1, 0, 1, 1 << 40, 0] {
        header.extend_from_slice(&field.to_be_bytes());
    }
    peer.write_all(&header).unwrap();
    // Keep sending: before the cap, process 0 buffered every byte towards the terabyte.
    let sender = std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 16];
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) && peer.write_all(&chunk).is_ok() {}
    });
    let (status, err) = wait_within(&mut child, Duration::from_secs(30));
    sender.join().unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("process 1") && err.contains("promising 1099511627776 bytes, over the limit"),
        "{err}"
    );
}

#[test]
fn a_peer_that_stalls_after_its_hello_is_given_up_on_after_the_peer_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (file, len) = sample(dir.path());
    let (mut child, address) = start_process_0(dir.path(), &file, &["--peer-timeout-s", "1"]);
    // Connected, silent, never closing: only the timeout ends this.
    let peer = dial_with_hello(&address, len);
    let (status, err) = wait_within(&mut child, Duration::from_secs(30));
    drop(peer);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("lost the connection to process 1")
            && err.contains("moved no data for 1 s (--peer-timeout-s)"),
        "{err}"
    );
}
