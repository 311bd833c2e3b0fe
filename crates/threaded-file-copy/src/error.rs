//! The errors: `CopyError`, of one entry (what was being done, to which path, and the OS
//! error; workers return it, `job::record` reports it and the copy goes on with the next
//! entry), and `Refusal`, a copy refused before it started or a usage error (exit status 2).

use std::io;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct CopyError {
    what: String,
    #[source]
    pub source: io::Error,
}

impl CopyError {
    pub fn new(action: &str, path: &Path, source: impl Into<io::Error>) -> Self {
        CopyError {
            what: format!("{action} '{}'", path.display()),
            source: source.into(),
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.source.kind() == io::ErrorKind::Interrupted
    }
}

/// `result.at("cannot read", path)?`: attach the action and the path to an OS error.
pub trait At<T> {
    fn at(self, action: &str, path: &Path) -> Result<T, CopyError>;
}

impl<T, E: Into<io::Error>> At<T> for Result<T, E> {
    fn at(self, action: &str, path: &Path) -> Result<T, CopyError> {
        self.map_err(|e| CopyError::new(action, path, e))
    }
}

/// A copy refused before it started, or a usage error: exit status 2, nothing written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    pub fn new(msg: impl Into<String>) -> Self {
        Refusal(msg.into())
    }
}
