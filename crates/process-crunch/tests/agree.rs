//! Every mode with every parser prints the same bytes, and the right ones.

mod common;

use common::*;

#[test]
fn ten_thousand_stations_with_long_utf8_names() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 120_000, 10_000, 42);
    let data = std::fs::read(&file).unwrap();
    // The generator made what this test is about.
    let names: std::collections::HashSet<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| &l[..l.iter().position(|&b| b == b';').unwrap()])
        .collect();
    assert!(names.len() > 9_000, "{}", names.len());
    assert!(names.iter().any(|n| n.len() > 90));
    assert!(names.iter().any(|n| !n.is_ascii()));

    assert_all_modes(&file, &[3], &reference_answer(&data));
}

#[test]
fn default_station_count_at_several_worker_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path(), "m.txt", 50_000, 413, 1);
    let data = std::fs::read(&file).unwrap();
    assert_all_modes(&file, &[1, 2, 7], &reference_answer(&data));
}

#[test]
fn edge_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "edges.txt",
        b"a;-99.9\na;99.9\nb;-0.0\nc;0.1\nc;0.2\nd;-0.1\nd;-0.2\ne;-0.1\ne;0.0\nf;09.5\n",
    );
    // c: mean 0.15 rounds up to 0.2; d: -0.15 rounds toward +inf to -0.1; e: -0.05 -> 0.0,
    // never -0.0; b: an input of -0.0 prints as 0.0; f: a leading zero is accepted.
    let expected = b"{a=-99.9/0.0/99.9, b=0.0/0.0/0.0, c=0.1/0.2/0.2, d=-0.2/-0.1/-0.1, \
e=-0.1/0.0/0.0, f=9.5/9.5/9.5}\n";
    assert_all_modes(&file, &[1, 2, 3, 4], expected);
}

#[test]
fn one_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.txt", "Zürich;12.3\n".as_bytes());
    assert_all_modes(&file, &[1, 3], "{Zürich=12.3/12.3/12.3}\n".as_bytes());
}

#[test]
fn many_rows_of_one_station_with_a_mean_on_the_half() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for _ in 0..5000 {
        data.extend_from_slice(
            b"S\xc3\xa3o Paulo;12.3\nS\xc3\xa3o Paulo;12.4\nneg;-12.3\nneg;-12.4\n",
        );
    }
    let file = write(dir.path(), "one-station.txt", &data);
    // 12.35 -> 12.4 and -12.35 -> -12.3: half toward positive infinity, with exact integers.
    assert_all_modes(
        &file,
        &[1, 4],
        "{São Paulo=12.3/12.4/12.4, neg=-12.4/-12.3/-12.3}\n".as_bytes(),
    );
}

#[test]
fn no_trailing_newline_crlf_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let expected = b"{a=1.0/1.0/1.0, b=-2.5/-2.5/-2.5, c=3.0/3.0/3.0}\n";
    for (name, data) in [
        ("no-newline.txt", &b"a;1.0\nb;-2.5\nc;3.0"[..]),
        ("crlf.txt", b"a;1.0\r\nb;-2.5\r\nc;3.0\r\n"),
        ("crlf-no-newline.txt", b"a;1.0\r\nb;-2.5\r\nc;3.0\r"),
        ("blank-lines.txt", b"\na;1.0\n\n\r\nb;-2.5\n\nc;3.0\n\n"),
    ] {
        let file = write(dir.path(), name, data);
        assert_all_modes(&file, &[1, 2, 5], expected);
    }
}

#[test]
fn empty_file_prints_braces() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "empty.txt", b"");
    assert_all_modes(&file, &[1, 3], b"{}\n");
}

#[test]
fn names_are_bytes_sorted_by_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // A name that is not UTF-8 is passed through as its bytes; quotes are ordinary bytes.
    let file = write(
        dir.path(),
        "bytes.txt",
        b"\xff\xfe;1.0\n\"quoted\";2.0\nZ;3.0\na b;4.0\n",
    );
    assert_all_modes(
        &file,
        &[1, 2],
        b"{\"quoted\"=2.0/2.0/2.0, Z=3.0/3.0/3.0, a b=4.0/4.0/4.0, \xff\xfe=1.0/1.0/1.0}\n",
    );
}

#[test]
fn more_workers_than_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "short.txt", b"x;1.0\ny;2.0\n");
    assert_all_modes(&file, &[16], b"{x=1.0/1.0/1.0, y=2.0/2.0/2.0}\n");
}
