//! Unit tests of the fast parser against the shared rules.

use super::*;
use crate::parse::mapping::map_file;
use crate::rng::Rng;

#[test]
fn fast_temperature_agrees_with_the_rule() {
    let endings: [&[u8]; 4] = [b"", b"\n", b"\r\n", b"\r"];
    for text in [
        "0.0", "-0.0", "1.5", "-1.5", "99.9", "-99.9", "09.9", "100.0", "1.23", "1.", "-", "",
        "+1.0", "1,5", "-.5", ".5", "12", "1.0x", "1.0\r\r", "1.0 ",
    ] {
        for ending in endings {
            let mut t = text.as_bytes().to_vec();
            t.extend_from_slice(ending);
            let fast = parse_temperature(&t).map(|(tenths, used)| {
                assert_eq!(used, t.len(), "{t:?}");
                tenths
            });
            assert_eq!(fast, parse_tenths(text.as_bytes()).ok(), "{t:?}");
        }
    }
}

#[test]
fn check_line_rules() {
    assert_eq!(check_line(b""), Ok(None));
    assert_eq!(check_line(b"\r"), Ok(None));
    assert_eq!(check_line(b"abc"), Err(BadLine::NoSeparator));
    assert_eq!(check_line(b";1.0"), Err(BadLine::EmptyName));
    assert_eq!(check_line(b"a;1.0\r"), Ok(Some((&b"a"[..], 10))));
    assert_eq!(
        check_line(b"a;b;1.0"),
        Err(BadLine::NotANumber("b;1.0".into()))
    );
}

/// The shared rules, line by line: what every step must give (bad lines counted and skipped
/// with `skip_bad`).
fn oracle(data: &[u8], skip_bad: bool) -> Result<Partial, LineError> {
    let mut partial = Partial::default();
    let mut offset = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        match check_line(content) {
            Ok(Some((name, tenths))) => partial.add(name, tenths),
            Ok(None) => {}
            Err(_) if skip_bad => partial.skipped += 1,
            Err(kind) => return Err(LineError { offset, kind }),
        }
        offset += line.len() as u64;
    }
    Ok(partial)
}

/// Every step of the fast parser on `data`, against the oracle.
fn every_step_agrees(data: &[u8]) {
    use std::io::Write;
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(data).unwrap();
    if data.is_empty() {
        return; // an empty file cannot be mapped; `Input` never maps one
    }
    let map = map_file(&file).unwrap();
    for skip_bad in [false, true] {
        let want = oracle(data, skip_bad);
        for step in Step::ALL {
            let got = aggregate_range_step(&map, 0..data.len() as u64, skip_bad, step);
            let text = String::from_utf8_lossy(data);
            assert_eq!(got, want, "{step:?}, skip_bad {skip_bad}, on {text:?}");
        }
    }
}

#[test]
fn every_step_agrees_with_the_rules_on_the_edge_cases() {
    let long = "n".repeat(100);
    let over = "n".repeat(101);
    let mixed = format!("{}é", "n".repeat(98)); // 100 bytes, ending in a 2-byte character
    for data in [
        "a;1.0\n".to_string(),
        "a;-99.9\nb;99.9\nc;-0.0\nd;0.0\n".to_string(),
        format!("{long};-99.9\n{long};99.9\n"),
        format!("{mixed};1.5\n"),
        "Zürich;12.3\n北京;-5.0\nΑθήνα;30.1\n".to_string(),
        "a;1.0".to_string(), // last line without a newline
        "a;1.0\r".to_string(),
        "a;1.0\r\nb;2.0\r\n".to_string(),
        "\n\n\r\na;1.0\n\n".to_string(),
        "a;1.0\nb;x\n".to_string(),
        format!("a;1.0\n{over};1.0\n"),
        "a;1.0\n;1.0\n".to_string(),
        "a;1.0\nno separator\n".to_string(),
        // Lines without a `;` before valid ones: the `;` search runs on into the next line.
        "no separator\nb;1.0\n".to_string(),
        "a\nb;1.0\na\nb;2.0\n".to_string(),
        "\nb;1.0\n\nb;2.0\n".to_string(),
        format!("{}\nb;1.0\n", "x".repeat(60)),
        "a;100.0\n".to_string(),
        "a;1.23\n".to_string(),
        "a;1.\n".to_string(),
        "a;1.0;2.0\n".to_string(),
        "a\rb;1.0\n".to_string(),
        format!("a;1.0\n{}\n", "x".repeat(300)),
    ] {
        every_step_agrees(data.as_bytes());
        // The same lines again and again, so the lanes and the main loop (not only the
        // padded tail) meet them, at every offset.
        if !data.ends_with('\n') {
            continue;
        }
        let mut big = String::new();
        for i in 0..300 {
            big.push_str(&format!("s{};{}.{}\n", i % 13, i % 90, i % 10));
            if i % 97 == 0 && !data.contains("x;") {
                big.push_str(&data.replace(";x", ";1.0"));
            }
        }
        big.push_str(&data);
        every_step_agrees(big.as_bytes());
    }
}

#[test]
fn every_step_agrees_with_the_rules_on_random_lines() {
    let mut rng = Rng::new(42);
    let pieces: [&[u8]; 14] = [
        b"a",
        b"bb",
        "é".as_bytes(),
        "北".as_bytes(),
        b"\r",
        b";",
        b"\n",
        b"-",
        b".",
        b"1",
        b"9",
        b"0",
        b"x",
        b"\xEF\xBB\xBF",
    ];
    for _ in 0..300 {
        let mut data = Vec::new();
        for _ in 0..rng.below(60) {
            // Mostly valid lines, some made of random pieces.
            if rng.below(4) > 0 {
                let name_len = 1 + rng.below(100) as usize;
                data.extend((0..name_len).map(|_| b'a' + rng.below(3) as u8));
                let t = rng.below(1999) as i64 - 999;
                data.extend_from_slice(
                    format!(
                        ";{}{}.{}\n",
                        if t < 0 { "-" } else { "" },
                        t.abs() / 10,
                        t.abs() % 10
                    )
                    .as_bytes(),
                );
            } else {
                for _ in 0..rng.below(12) {
                    data.extend_from_slice(pieces[rng.below(14) as usize]);
                }
                data.push(b'\n');
            }
        }
        if rng.below(2) == 0 {
            data.pop();
        }
        every_step_agrees(&data);
    }
}
