//! Filling in the crate READMEs: for each demo in the results, the text between
//! `<!-- perf-report:begin -->` and `<!-- perf-report:end -->` in `CRATES_DIR/<demo>/README.md`
//! is replaced with that demo's tables and findings, so no number is typed into a README by hand.
//!
//! A README without the markers is left alone with a warning: perf-report never guesses where
//! generated text may go. Writes go to a temporary file beside the README, renamed over it once
//! complete, so an interrupted run leaves either the old README or the new one, never half.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Kept here too for callers that wrote files through this module before it moved.
pub use crate::atomic::write_atomically;

pub const BEGIN: &str = "<!-- perf-report:begin -->";
pub const END: &str = "<!-- perf-report:end -->";

/// What happened to one README.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Updated(PathBuf),
    Unchanged(PathBuf),
    /// Left alone, with the reason to warn about.
    Skipped(PathBuf, String),
}

/// Replaces the marked block of `text` with `block`. `None` when the markers are missing or
/// out of order.
pub fn replace_block(text: &str, block: &str) -> Option<String> {
    let begin = text.find(BEGIN)?;
    let after_begin = begin + BEGIN.len();
    let end = after_begin + text[after_begin..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..after_begin],
        block.trim(),
        &text[end..]
    ))
}

/// Updates `dir/<demo>/README.md` with `block`.
pub fn update_readme(dir: &Path, demo: &str, block: &str) -> Result<Outcome> {
    let outcome = updated_text(dir, demo, block)?;
    if let Outcome::Updated(path) = &outcome {
        let new = render_into(path, block)?;
        write_atomically(path, new.as_bytes())?;
    }
    Ok(outcome)
}

/// The README's text with `block` in place of its marked block (the README must have the
/// markers: see [`updated_text`]).
pub fn render_into(path: &Path, block: &str) -> Result<String> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    replace_block(&text, block)
        .with_context(|| format!("{}: the perf-report markers are gone", path.display()))
}

/// What updating `dir/<demo>/README.md` with `block` would do, without writing:
/// `Updated` means the block would change.
pub fn updated_text(dir: &Path, demo: &str, block: &str) -> Result<Outcome> {
    let path = dir.join(demo).join("README.md");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Outcome::Skipped(path, "no README.md".to_string()));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let Some(new) = replace_block(&text, block) else {
        let why = format!("no `{BEGIN}` ... `{END}` markers, left untouched");
        return Ok(Outcome::Skipped(path, why));
    };
    if new == text {
        return Ok(Outcome::Unchanged(path));
    }
    Ok(Outcome::Updated(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "# demo\n\n## Performance\n\nProse before.\n\n<!-- perf-report:begin -->\nFilled in by `scripts/run_all.sh` from `performance_analysis/`.\n<!-- perf-report:end -->\n\nProse after.\n";

    #[test]
    fn replaces_only_between_the_markers_and_is_idempotent() {
        let once = replace_block(README, "| table |\n").unwrap();
        assert_eq!(
            once,
            "# demo\n\n## Performance\n\nProse before.\n\n<!-- perf-report:begin -->\n| table |\n<!-- perf-report:end -->\n\nProse after.\n"
        );
        assert_eq!(replace_block(&once, "| table |").unwrap(), once);
    }

    #[test]
    fn missing_or_reversed_markers_give_none() {
        assert_eq!(replace_block("# demo\n", "x"), None);
        assert_eq!(replace_block(&format!("{END}\n{BEGIN}\n"), "x"), None);
        assert_eq!(replace_block(&format!("{BEGIN}\n"), "x"), None);
    }

    #[test]
    fn updates_files_with_markers_and_leaves_others_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a")).unwrap();
        fs::create_dir_all(dir.path().join("b")).unwrap();
        fs::write(dir.path().join("a/README.md"), README).unwrap();
        fs::write(dir.path().join("b/README.md"), "# b\nno markers\n").unwrap();

        let a = update_readme(dir.path(), "a", "new block").unwrap();
        assert_eq!(a, Outcome::Updated(dir.path().join("a/README.md")));
        let text = fs::read_to_string(dir.path().join("a/README.md")).unwrap();
        assert!(text.contains("<!-- perf-report:begin -->\nnew block\n<!-- perf-report:end -->"));
        assert!(text.starts_with("# demo\n") && text.ends_with("Prose after.\n"));
        let again = update_readme(dir.path(), "a", "new block").unwrap();
        assert!(matches!(again, Outcome::Unchanged(_)));

        let b = update_readme(dir.path(), "b", "new block").unwrap();
        assert!(matches!(b, Outcome::Skipped(_, ref why) if why.contains("markers")));
        assert_eq!(
            fs::read_to_string(dir.path().join("b/README.md")).unwrap(),
            "# b\nno markers\n"
        );
        let c = update_readme(dir.path(), "c", "new block").unwrap();
        assert!(matches!(c, Outcome::Skipped(_, ref why) if why == "no README.md"));
        // No temporary file is left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
