//! The rows on disk, as the crawl finds them: `--out FILE` (CSV) or `--jsonl FILE`.
//!
//! The file is created before the first request (a bad path fails at once, not after the
//! crawl) and every row is flushed as soon as its page is settled, so a crawl that is killed
//! keeps every row it finished. The columns are the fields of [`Row`], serialized by serde:
//! defined once, for both formats.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::frontier::Row;

/// Where the rows go.
pub trait RowSink {
    fn write(&mut self, row: &Row) -> anyhow::Result<()>;
}

/// Rows kept in memory only (the outcome still has them).
pub struct NoFile;

impl RowSink for NoFile {
    fn write(&mut self, _: &Row) -> anyhow::Result<()> {
        Ok(())
    }
}

enum Format {
    // Boxed: the CSV writer carries its own buffer state, ten times the JSON one's size.
    Csv(Box<csv::Writer<File>>),
    Jsonl(BufWriter<File>),
}

/// A CSV or JSON-lines file, written and flushed row by row.
pub struct RowFile {
    path: PathBuf,
    format: Format,
}

impl RowFile {
    /// Creates (or truncates) `path` for CSV rows, header included.
    pub fn csv(path: &Path) -> anyhow::Result<RowFile> {
        // The header is written now, so a crawl with no row still leaves a valid CSV; serde
        // would write it with the first row only.
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(create(path)?);
        writer
            .write_record(header())
            .and_then(|()| writer.flush().map_err(csv::Error::from))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(RowFile {
            path: path.to_path_buf(),
            format: Format::Csv(Box::new(writer)),
        })
    }

    /// Creates (or truncates) `path` for one JSON object per row and line.
    pub fn jsonl(path: &Path) -> anyhow::Result<RowFile> {
        Ok(RowFile {
            path: path.to_path_buf(),
            format: Format::Jsonl(BufWriter::new(create(path)?)),
        })
    }
}

fn create(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

/// The CSV header: the names of [`Row`]'s written fields, from serde itself.
pub fn header() -> Vec<String> {
    let row = Row {
        url: String::new(),
        final_url: String::new(),
        status: None,
        depth: 0,
        referrer: String::new(),
        content_type: String::new(),
        bytes: 0,
        title: String::new(),
        links: 0,
        elapsed_ms: 0.0,
        error: String::new(),
        error_kind: None,
    };
    // The CSV serializer writes the header from the field names, in declaration order.
    let mut writer = csv::Writer::from_writer(Vec::new());
    if writer.serialize(&row).is_err() {
        return Vec::new();
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap_or_default();
    let first = text.lines().next().unwrap_or("");
    first.split(',').map(str::to_string).collect()
}

impl RowSink for RowFile {
    fn write(&mut self, row: &Row) -> anyhow::Result<()> {
        let context = || format!("cannot write {}", self.path.display());
        match &mut self.format {
            Format::Csv(w) => {
                w.serialize(row).with_context(context)?;
                w.flush().with_context(context)?;
            }
            Format::Jsonl(w) => {
                serde_json::to_writer(&mut *w, row).with_context(context)?;
                w.write_all(b"\n").with_context(context)?;
                w.flush().with_context(context)?;
            }
        }
        Ok(())
    }
}
