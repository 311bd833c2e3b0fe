//! The records a run collects: checked with the renderer's own parser ([`records::parse_records`],
//! so that nothing reaches the results file that the report would reject), tagged with the
//! configuration they measure, and written whole at the end.
//!
//! The runner adds these fields to a demo's record (the renderer ignores fields it does not
//! know): `config`, the key of its configuration (`cpu-vs-io/io/thread-pool/4`), which --resume
//! and --merge match on; `workload` where the plan names the table (e.g. `cpu-small`, where the
//! binary prints `cpu`); `tasks` where the plan sets it (the `many` sweep, one table split by
//! N); `language: "python"` for the Python baseline;
//! `reference: true` for outside tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};

use super::config::Config;
use crate::atomic::write_atomically;
use crate::records;

/// Checks a command's stdout and returns its records as lines, tagged for `cfg`.
pub fn tag_records(stdout: &str, cfg: &Config) -> Result<Vec<String>> {
    // The renderer's parser: a line it would reject fails the run here, naming the line.
    let parsed = records::parse_records(stdout, "stdout")?;
    let mut lines = Vec::new();
    for (record, line) in parsed
        .iter()
        .zip(stdout.lines().filter(|l| !l.trim().is_empty()))
    {
        // Python scripts may name their demo as they like; a Rust demo must print its own.
        if cfg.language.is_none() && record.demo != cfg.demo {
            bail!(
                "a record of demo {:?}, expected {:?}: {line}",
                record.demo,
                cfg.demo
            );
        }
        let mut obj: Map<String, Value> =
            serde_json::from_str(line).map_err(|e| anyhow!("stdout: {e}: {line}"))?;
        if cfg.steps {
            let step = record
                .workload()
                .strip_prefix("fast-step-")
                .ok_or_else(|| {
                    anyhow!(
                        "a --steps record of workload {:?}: {line}",
                        record.workload()
                    )
                })?;
            let mode = if step == "plain" {
                step.to_string()
            } else {
                format!("+{step}")
            };
            obj.insert("mode".into(), mode.into());
        }
        if cfg.relabel {
            obj.insert("workload".into(), cfg.workload.clone().into());
        }
        if let Some(lang) = cfg.language {
            obj.insert("language".into(), lang.into());
            obj.entry("workload")
                .or_insert_with(|| cfg.workload.clone().into());
        }
        if cfg.reference {
            obj.insert("reference".into(), true.into());
        }
        if let Some(n) = cfg.tasks {
            obj.entry("tasks").or_insert_with(|| n.into());
        }
        obj.insert("config".into(), cfg.id().into());
        lines.push(Value::Object(obj).to_string());
    }
    Ok(lines)
}

/// The records collected so far, by whole configurations.
#[derive(Debug, Default)]
pub struct Collector {
    lines: Vec<String>,
    done: BTreeSet<String>,
}

impl Collector {
    /// Starts from a results file written by `perf-report bench`: its configurations count as
    /// done and its records are kept.
    pub fn resume(path: &Path) -> Result<Collector> {
        let mut c = Collector::default();
        for (config, line) in read_tagged(path)? {
            c.done.insert(config);
            c.lines.push(line);
        }
        Ok(c)
    }

    pub fn is_done(&self, id: &str) -> bool {
        self.done.contains(id)
    }

    /// Adds every record of one configuration, all runs at once: a configuration interrupted
    /// half-way leaves nothing, so --resume runs it again whole.
    pub fn add(&mut self, id: String, lines: Vec<String>) {
        self.lines.extend(lines);
        self.done.insert(id);
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn configs(&self) -> usize {
        self.done.len()
    }

    /// Writes every record to `path`, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = self.lines.join("\n");
        text.push('\n');
        write_atomically(path, text.as_bytes())
    }
}

/// The records of a results file with the configuration of each. Every record must be valid
/// for the renderer and carry a `config` field (only `perf-report bench` writes those).
pub fn read_tagged(path: &Path) -> Result<Vec<(String, String)>> {
    records::read_records(path)?;
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let obj: Map<String, Value> = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a JSON object", path.display(), n + 1))?;
        let Some(Value::String(config)) = obj.get("config") else {
            bail!(
                "{}:{}: a record without a `config` field (not written by perf-report bench), \
                 so its configuration is unknown",
                path.display(),
                n + 1
            );
        };
        out.push((config.clone(), line.to_string()));
    }
    Ok(out)
}

/// Joins results files: every configuration must come from one file only (a run split with
/// --only, or the same plan on two machines of the same kind with different --only). Returns
/// the joined lines and machine description.
pub fn merge(files: &[impl AsRef<Path>]) -> Result<(Vec<String>, Value)> {
    let mut lines = Vec::new();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut machines = Vec::new();
    for file in files {
        let file = file.as_ref();
        let name = file.display().to_string();
        let mut mine = BTreeSet::new();
        for (config, line) in read_tagged(file)? {
            if let Some(first) = owner.get(&config) {
                if *first != name {
                    bail!("configuration {config} is in both {first} and {name}: which one to keep is not for the tool to guess (split runs with --only)");
                }
            }
            mine.insert(config.clone());
            lines.push(line);
        }
        for config in mine {
            owner.insert(config, name.clone());
        }
        let machine = match records::default_machine_path(file) {
            Some(p) => {
                let text = fs::read_to_string(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                serde_json::from_str::<Value>(&text)
                    .with_context(|| format!("{}: not JSON", p.display()))?
            }
            None => bail!("no machine description beside {name} (<name>.machine.json)"),
        };
        machines.push((name, machine));
    }
    Ok((lines, merge_machines(&machines)?))
}

/// One machine description for joined results: the first one's, with every part's inputs and
/// skipped lines, `dirty` if any part was dirty, `commit` only if all parts agree. Parts measured
/// on different core counts cannot share one report (its ideal lines depend on the cores).
fn merge_machines(parts: &[(String, Value)]) -> Result<Value> {
    let (first_name, first) = &parts[0];
    let mut out = first.as_object().cloned().unwrap_or_default();
    let field = |m: &Value, k: &str| m.get(k).cloned().unwrap_or(Value::Null);
    let mut inputs = out
        .get("inputs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut skipped: Vec<Value> = out
        .get("skipped")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut hosts = vec![field(first, "host")];
    for (name, m) in &parts[1..] {
        if field(m, "logical_cpus") != field(first, "logical_cpus") {
            bail!(
                "{name} was measured on {} logical CPUs, {first_name} on {}: one report cannot hold both",
                field(m, "logical_cpus"),
                field(first, "logical_cpus")
            );
        }
        if field(m, "commit") != field(first, "commit") {
            out.insert("commit".into(), Value::Null);
        }
        if field(m, "dirty") == Value::Bool(true) {
            out.insert("dirty".into(), true.into());
        } else if field(m, "dirty").is_null() {
            out.entry("dirty").and_modify(|d| {
                if *d == Value::Bool(false) {
                    *d = Value::Null;
                }
            });
        }
        if let Some(more) = m.get("inputs").and_then(Value::as_object) {
            for (k, v) in more {
                inputs.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(more) = m.get("skipped").and_then(Value::as_array) {
            skipped.extend(more.iter().cloned());
        }
        if !hosts.contains(&field(m, "host")) {
            hosts.push(field(m, "host"));
        }
    }
    let host_names: Vec<String> = hosts
        .iter()
        .map(|h| h.as_str().unwrap_or("?").to_string())
        .collect();
    out.insert("host".into(), host_names.join(", ").into());
    out.insert("inputs".into(), Value::Object(inputs));
    out.insert("skipped".into(), Value::Array(skipped));
    out.insert(
        "merged_from".into(),
        parts
            .iter()
            .map(|(n, _)| Value::from(n.as_str()))
            .collect::<Vec<_>>()
            .into(),
    );
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::config::Source;

    fn cfg(workload: &str, relabel: bool) -> Config {
        Config {
            demo: "cpu-vs-io",
            workload: workload.into(),
            relabel,
            mode: "async".into(),
            workers: 4,
            language: None,
            reference: false,
            argv: vec![],
            source: Source::Records,
            reset: None,
            tasks: None,
            steps: false,
        }
    }

    const REC: &str = r#"{"demo":"cpu-vs-io","workload":"many","mode":"async","workers":4,"items":10,"bytes":0,"wall_ms":1.5,"ok":true,"peak_rss_kb":900}"#;

    #[test]
    fn records_are_tagged_with_their_configuration() {
        let lines = tag_records(&format!("{REC}\n\n"), &cfg("cpu-small", true)).unwrap();
        assert_eq!(lines.len(), 1);
        let v: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["workload"], "cpu-small");
        assert_eq!(v["config"], "cpu-vs-io/cpu-small/async/4");
        // The `many` sweep: one table, N in the key and in the record.
        let mut sweep = cfg("many", false);
        sweep.tasks = Some(1000);
        let v: Value = serde_json::from_str(&tag_records(REC, &sweep).unwrap()[0]).unwrap();
        assert_eq!(v["workload"], "many");
        assert_eq!(v["tasks"], 1000);
        assert_eq!(v["config"], "cpu-vs-io/many/async/4/tasks-1000");
        assert_eq!(v["peak_rss_kb"], 900, "the demo's own fields are kept");
        let kept = tag_records(REC, &cfg("io", false)).unwrap();
        assert!(kept[0].contains(r#""workload":"many""#));
    }

    #[test]
    fn step_records_become_rows_of_one_table() {
        let rec = r#"{"demo":"process-crunch","mode":"sequential","workload":"fast-step-swar","workers":1,"items":10,"bytes":5,"wall_ms":2.0,"ok":true}"#;
        let mut c = cfg("fast-steps", true);
        c.demo = "process-crunch";
        c.steps = true;
        let v: Value = serde_json::from_str(&tag_records(rec, &c).unwrap()[0]).unwrap();
        assert_eq!(
            (v["workload"].as_str(), v["mode"].as_str()),
            (Some("fast-steps"), Some("+swar"))
        );
        let plain = rec.replace("fast-step-swar", "fast-step-plain");
        let v: Value = serde_json::from_str(&tag_records(&plain, &c).unwrap()[0]).unwrap();
        assert_eq!(v["mode"], "plain");
        let other = rec.replace("fast-step-swar", "fast");
        assert!(tag_records(&other, &c).is_err());
    }

    #[test]
    fn a_record_of_another_demo_or_a_bad_line_fails() {
        let other = REC.replace("cpu-vs-io", "process-crunch");
        let err = tag_records(&other, &cfg("io", false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected \"cpu-vs-io\""), "{err}");
        let err = tag_records("progress: 50%\n", &cfg("io", false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("stdout:1: not a JSON object"), "{err}");
    }

    #[test]
    fn merge_refuses_a_configuration_in_two_files_and_mixed_core_counts() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, cpus: u64, config: &str| {
            let p = dir.path().join(format!("{name}.jsonl"));
            let line = REC.replace(r#""ok":true"#, &format!(r#""ok":true,"config":"{config}""#));
            fs::write(&p, format!("{line}\n")).unwrap();
            let m = format!(
                r#"{{"host":"{name}","logical_cpus":{cpus},"commit":"c1","dirty":false,"inputs":{{"{name}":"x"}}}}"#
            );
            fs::write(dir.path().join(format!("{name}.machine.json")), m).unwrap();
            p
        };
        let a = write("a", 2, "x/1");
        let b = write("b", 2, "x/2");
        let (lines, machine) = merge(&[&a, &b]).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(machine["host"], "a, b");
        assert_eq!(machine["commit"], "c1");
        assert_eq!(machine["inputs"].as_object().unwrap().len(), 2);
        let c = write("c", 2, "x/1");
        assert!(merge(&[&a, &c])
            .unwrap_err()
            .to_string()
            .contains("x/1 is in both"));
        let d = write("d", 16, "x/3");
        assert!(merge(&[&a, &d])
            .unwrap_err()
            .to_string()
            .contains("16 logical CPUs"));
    }
}
