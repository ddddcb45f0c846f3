//! Errors of the analyzer library. Opening errors end the run with exit 2 and one line;
//! member problems become entries of the report's `errors` and the run goes on.

use std::path::{Path, PathBuf};

/// Why a bundle could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The path could not be read (missing, no permission).
    #[error("{}: {}", path.display(), source)]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{}: empty file, not a bundle", path.display())]
    Empty { path: PathBuf },
    /// The file is no archive this tool reads.
    #[error("{}: {detail}", path.display())]
    NotAnArchive { path: PathBuf, detail: String },
    /// The archive is damaged before any member could be read.
    #[error("{detail}")]
    Damaged { path: PathBuf, detail: String },
    /// The bundle was read but held nothing the analyzer knows (no layout it reads, or
    /// every known file failed): a report would say "no problem found" about nothing.
    #[error("{}: {detail}", path.display())]
    Unusable { path: PathBuf, detail: String },
}

impl OpenError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        let source = if source.kind() == std::io::ErrorKind::NotFound {
            std::io::Error::new(source.kind(), "no such file or directory")
        } else {
            source
        };
        OpenError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A member that could not be read, was skipped, or a rule that could not run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadIssue {
    /// Path inside the bundle (or `(bundle)`, or `rules/<id>` for a rule).
    pub file: String,
    /// One line saying what is wrong.
    pub message: String,
}
