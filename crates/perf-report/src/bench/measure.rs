//! One configuration's runs: the warm-ups, then the timed runs, each checked (a run that fails,
//! prints no record or a wrong result stops the whole run, loudly), and the records they leave:
//! the demo's own, tagged, or the one the runner writes for an outside tool.

use anyhow::Result;

use super::config::{Config, Source};
use super::exec::{self, Runner};
use super::inputs::Inputs;
use super::progress::{log, Progress};
use super::reference::{ToolRecord, NOT_INSTALLED};
use super::results;

/// Warm-up and timed runs of one configuration; returns its records (timed runs only).
pub fn run_config(
    cfg: &Config,
    runner: &Runner,
    inputs: &Inputs,
    runs: u32,
    warmup: u32,
    progress: &mut Progress,
) -> Result<Vec<String>> {
    if let Source::NotInstalled = cfg.source {
        log(&format!("skipped: {}: {NOT_INSTALLED}", cfg.describe()));
        return Ok(vec![tool_record(
            cfg,
            0,
            0,
            0.0,
            false,
            Some(NOT_INSTALLED),
        )]);
    }
    let mut lines = Vec::new();
    for r in (1..=warmup).map(|_| 0).chain(1..=runs) {
        let what = if r == 0 {
            "warm-up".to_string()
        } else {
            format!("run {r}/{runs}")
        };
        progress.step(&format!("{}, {what}", cfg.describe()));
        if let Some(dir) = &cfg.reset {
            inputs.reset(dir)?;
        }
        let done = runner.run(&cfg.argv)?;
        let finished = match &cfg.source {
            Source::Timed(check) => check.accepts(done.status.code()),
            _ => done.status.success(),
        };
        if !finished {
            return Err(exec::failed(
                "a run failed",
                &exec::status_text(done.status),
                &cfg.argv,
                &done.stderr,
            ));
        }
        let new = match &cfg.source {
            Source::Records => {
                if done.stdout.trim().is_empty() {
                    return Err(exec::failed(
                        "printed no timing record on stdout",
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    ));
                }
                results::tag_records(&done.stdout, cfg).map_err(|e| {
                    exec::failed(
                        &format!("printed a line that is not a valid timing record ({e})"),
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    )
                })?
            }
            Source::Timed(check) => {
                let (items, bytes) = check.verify(&done.stderr).map_err(|e| {
                    exec::failed(
                        &format!("wrong result ({e})"),
                        "exit status 0",
                        &cfg.argv,
                        &done.stderr,
                    )
                })?;
                vec![tool_record(
                    cfg,
                    items,
                    bytes,
                    done.wall.as_secs_f64() * 1000.0,
                    true,
                    None,
                )]
            }
            Source::NotInstalled => unreachable!("handled above"),
        };
        if r > 0 {
            lines.extend(new);
        }
    }
    Ok(lines)
}

fn tool_record(
    cfg: &Config,
    items: u64,
    bytes: u64,
    wall_ms: f64,
    ok: bool,
    unavailable: Option<&str>,
) -> String {
    let rec = ToolRecord {
        demo: cfg.demo,
        workload: &cfg.workload,
        mode: &cfg.mode,
        workers: cfg.workers,
        items,
        bytes,
        wall_ms,
        ok,
        reference: cfg.reference,
        unavailable,
        command: exec::shell_line(&cfg.argv),
        config: cfg.id(),
    };
    serde_json::to_string(&rec).expect("a record of strings and numbers serializes")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bench::reference::{self, Tools};

    #[test]
    fn a_missing_tool_gets_a_not_installed_row_the_renderer_accepts() {
        let tools = Tools::default();
        let dir = Path::new("/w");
        let configs = reference::copy_tools(&tools, "small-files", &dir.join("s"), &dir.join("d"));
        assert_eq!(configs.len(), 5);
        let fcp = configs.iter().find(|c| c.mode == "fcp").unwrap();
        assert!(matches!(fcp.source, Source::NotInstalled));
        let line = tool_record(fcp, 0, 0, 0.0, false, Some(NOT_INSTALLED));
        assert_eq!(
            line,
            r#"{"demo":"threaded-file-copy","workload":"small-files","mode":"fcp","workers":1,"items":0,"bytes":0,"wall_ms":0.0,"ok":false,"reference":true,"unavailable":"not installed","command":"fcp /w/s /w/d","config":"threaded-file-copy/small-files/fcp/1"}"#
        );
        let parsed = crate::records::parse_records(&line, "r").unwrap();
        assert!(parsed[0].reference && !parsed[0].ok);
        assert_eq!(parsed[0].unavailable.as_deref(), Some(NOT_INSTALLED));
    }
}
