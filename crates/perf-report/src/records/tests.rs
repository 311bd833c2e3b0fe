//! Unit tests of `records.rs`.

use super::*;

const GOOD: &str = r#"{"demo":"d","mode":"sequential","workers":1,"items":10,"bytes":0,"wall_ms":100.5,"ok":true}"#;

#[test]
fn parses_required_and_optional_fields_and_ignores_unknown_ones() {
    let text = format!(
        "{GOOD}\n\n{}\n",
        r#"{"demo":"d","mode":"timely","workers":4,"items":10,"bytes":5,"wall_ms":1,"ok":false,"workload":"csv","errors":2,"processes":2,"peak_in_flight":3,"something_new":[1,2]}"#
    );
    let records = parse_records(&text, "r.jsonl").unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].workload(), "default");
    assert!(!records[0].reference);
    assert_eq!(records[1].workload(), "csv");
    assert_eq!(records[1].processes, Some(2));
    assert_eq!(records[1].errors, Some(2));
    assert!(!records[1].ok);
}

#[test]
fn malformed_line_names_file_and_line() {
    let text = format!("{GOOD}\n{GOOD}\n{{\"demo\": \"d\", oops}}\n");
    let err = parse_records(&text, "r.jsonl").unwrap_err().to_string();
    assert!(err.starts_with("r.jsonl:3: "), "{err}");
}

#[test]
fn missing_field_names_line_and_field() {
    let text = format!("{GOOD}\n{}\n", GOOD.replace(r#""wall_ms":100.5,"#, ""));
    let err = parse_records(&text, "r.jsonl").unwrap_err().to_string();
    assert!(err.starts_with("r.jsonl:2: "), "{err}");
    assert!(err.contains("missing field `wall_ms`"), "{err}");
}

#[test]
fn non_object_and_nonsense_values_are_errors() {
    let err = parse_records("[1,2]\n", "r").unwrap_err().to_string();
    assert!(err.contains("r:1: not a JSON object"), "{err}");
    let err = parse_records(&GOOD.replace("100.5", "-1"), "r")
        .unwrap_err()
        .to_string();
    assert!(err.contains("r:1: field `wall_ms`"), "{err}");
    let err = parse_records(&GOOD.replace(r#""workers":1"#, r#""workers":0"#), "r")
        .unwrap_err()
        .to_string();
    assert!(err.contains("r:1: field `workers` is 0"), "{err}");
}

#[test]
fn empty_file_is_an_error() {
    let err = parse_records("", "r.jsonl").unwrap_err().to_string();
    assert_eq!(err, "r.jsonl: no timing records: the file is empty");
    assert!(parse_records("\n  \n", "r.jsonl").is_err());
}

#[test]
fn python_skipped_and_new_optional_fields() {
    let text = [
        r#"{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"threading","workers":4,"items":16,"bytes":0,"wall_ms":900.5,"ok":true,"python_version":"3.11.7","gil_enabled":true}"#,
        r#"{"demo":"cpu-vs-io","language":"python","workload":"cpu","mode":"threading","workers":4,"items":16,"bytes":0,"wall_ms":300,"ok":true,"python_version":"3.13.1","gil_enabled":false}"#,
        r#"{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0,"ok":false,"reference":true,"unavailable":"not installed"}"#,
        r#"{"demo":"cpu-vs-io","workload":"many","mode":"threads","workers":1,"items":1000,"tasks":1000,"bytes":0,"wall_ms":5,"ok":true,"peak_rss_kb":20480,"cpu_ms":4.5}"#,
    ]
    .join("\n");
    let r = parse_records(&text, "r").unwrap();
    assert_eq!(r[0].language(), "python");
    assert_eq!(r[0].runtime(), "python");
    assert_eq!(r[1].runtime(), "python (free-threaded)");
    assert_eq!(r[2].language(), "rust");
    assert_eq!(r[2].unavailable.as_deref(), Some("not installed"));
    assert!(r[2].reference);
    assert_eq!(
        (r[3].peak_rss_kb, r[3].cpu_ms, r[3].task_count()),
        (Some(20480), Some(4.5), 1000)
    );
    // Written back, a record parses the same (the runner can serialize through this type).
    let again = serde_json::to_string(&r[2]).unwrap();
    assert!(
        again.contains(r#""unavailable":"not installed""#),
        "{again}"
    );
    assert!(!again.contains("language"), "{again}");
    assert_eq!(parse_records(&again, "r").unwrap()[0].mode, "fcp");
}

#[test]
fn source_commit_from_new_and_old_fields() {
    let m: Machine = serde_json::from_str(r#"{"commit":"abc123","dirty":false}"#).unwrap();
    assert_eq!(m.source(), (Some("abc123".into()), Some(false)));
    let m: Machine =
        serde_json::from_str(r#"{"git_commit":"813f38185d94 (with uncommitted changes)"}"#)
            .unwrap();
    assert_eq!(m.source(), (Some("813f38185d94".into()), Some(true)));
    let m: Machine = serde_json::from_str(r#"{"git_commit":"unknown"}"#).unwrap();
    assert_eq!(m.source(), (None, None));
    let m: Machine = serde_json::from_str(r#"{"commit":null,"dirty":null}"#).unwrap();
    assert_eq!(m.source(), (None, None));
}

#[test]
fn machine_fields_are_optional() {
    let m: Machine = serde_json::from_str(r#"{"logical_cpus":2,"extra":1}"#).unwrap();
    assert_eq!(m.logical_cpus, Some(2));
    assert_eq!(m.summary(), "an unrecorded CPU, 2 logical cores");
}

#[test]
fn machine_path_prefers_the_stem_pair() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("20260101T000000Z-host.jsonl");
    assert_eq!(default_machine_path(&results), None);
    fs::write(dir.path().join("machine.json"), "{}").unwrap();
    assert_eq!(
        default_machine_path(&results),
        Some(dir.path().join("machine.json"))
    );
    fs::write(dir.path().join("20260101T000000Z-host.machine.json"), "{}").unwrap();
    assert_eq!(
        default_machine_path(&results),
        Some(dir.path().join("20260101T000000Z-host.machine.json"))
    );
}
