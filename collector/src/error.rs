//! Errors that stop a collection. A failing kubectl step is not one of them: it becomes an
//! entry in `manifest.errors` and collection goes on.

use std::path::PathBuf;

/// Why `collect` (or `collect node`) could not produce a bundle.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// An option value could not be used (bad `--since`, zero parallelism, ...).
    #[error("invalid {option}: {reason}")]
    InvalidOption {
        /// The flag or option name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A file given with `--attach` could not be read.
    #[error("cannot read attachment {path}: {source}")]
    Attachment {
        /// The attachment as given.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The kubectl binary could not be started at all (not installed, not executable).
    #[error("cannot run kubectl `{program}`: {source} (use --kubectl PATH or $KUBECTL)")]
    KubectlNotRunnable {
        /// The program we tried to start.
        program: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Writing the bundle (staging files, the archive or the final rename) failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The IPAM store on this host could not be read (`collect node`).
    #[error("cannot read the IPAM store under {path}: {source}")]
    HostRead {
        /// The directory being read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The user interrupted the collection (Ctrl-C); no partial bundle was left behind.
    #[error("interrupted; no bundle was written")]
    Interrupted,
}

impl CollectError {
    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CollectError::Write {
            path: path.into(),
            source,
        }
    }
}
