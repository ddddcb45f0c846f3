//! Where the output of `-o`/`--out` goes, by one rule for every command that writes:
//! `-` is standard output; a device, FIFO or socket is opened and written as it is (never
//! replaced: `--out /dev/null` must leave /dev/null a device); a regular file or an absent
//! path gets a temporary file in the same folder, an fsync and a rename, so a reader never
//! sees half a file. A symbolic link is resolved and its final target follows the same
//! rules (the link itself stays). Every error names the path.

pub mod terminal;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How output reaches a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A character or block device, FIFO or socket: opened for writing, written as it is.
    Direct(PathBuf),
    /// A regular file or an absent path: a temporary file renamed over it once complete.
    Atomic(PathBuf),
}

impl Target {
    /// Decides how to write `path`. A symbolic link is followed through the whole chain and
    /// its final target decides; a link to nothing and a folder are errors.
    pub fn of(path: &Path) -> Result<Target, Error> {
        if path.as_os_str() == "-" {
            return Ok(Target::Stdout);
        }
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Atomic(path.to_path_buf()))
            }
            Err(e) => return Err(Error::new(path, e)),
        };
        if !meta.file_type().is_symlink() {
            return classify(path.to_path_buf(), &meta);
        }
        // A link: its final target decides. A device or pipe behind it (`/dev/stdout`) is
        // opened through the link, which works for /proc's links to pipes too; a regular
        // file is replaced by its real path, so the link stays a link.
        let link_err = |e: io::Error| {
            Error::new(
                path,
                io::Error::new(
                    e.kind(),
                    format!(
                        "a symbolic link that does not resolve ({e}); give the file's own path"
                    ),
                ),
            )
        };
        let meta = fs::metadata(path).map_err(link_err)?;
        if meta.is_file() {
            let real = fs::canonicalize(path).map_err(link_err)?;
            classify(real, &meta)
        } else {
            classify(path.to_path_buf(), &meta)
        }
    }

    /// The path written, or `None` for standard output.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Target::Stdout => None,
            Target::Direct(p) | Target::Atomic(p) => Some(p),
        }
    }
}

fn classify(path: PathBuf, meta: &fs::Metadata) -> Result<Target, Error> {
    let ft = meta.file_type();
    if ft.is_dir() {
        Err(Error::new(
            &path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a folder"),
        ))
    } else if ft.is_file() {
        Ok(Target::Atomic(path))
    } else {
        Ok(Target::Direct(path))
    }
}

/// A failure to write output, with the path it concerns.
#[derive(Debug)]
pub struct Error {
    path: PathBuf,
    source: io::Error,
}

impl Error {
    /// An error on `path`.
    pub fn new(path: &Path, source: io::Error) -> Error {
        Error {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The path that could not be written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying I/O error.
    pub fn io(&self) -> &io::Error {
        &self.source
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

enum Sink {
    Stdout(io::Stdout),
    Direct(File),
    Atomic {
        tmp: tempfile::NamedTempFile,
        dest: PathBuf,
    },
}

/// Output being written. Dropped without [`Output::commit`] (an error, Ctrl-C), an atomic
/// target is left as it was and the temporary file is removed.
pub struct Output {
    shown: PathBuf,
    sink: Sink,
}

impl Output {
    /// Opens `path` for writing by the rules of [`Target::of`].
    pub fn create(path: &Path) -> Result<Output, Error> {
        let target = Target::of(path)?;
        let shown = target
            .path()
            .map_or_else(|| PathBuf::from("-"), Path::to_path_buf);
        let sink = match target {
            Target::Stdout => Sink::Stdout(io::stdout()),
            Target::Direct(p) => {
                // No truncation or creation: a device or FIFO is written as it is.
                let f = fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .map_err(|e| Error::new(&p, e))?;
                Sink::Direct(f)
            }
            Target::Atomic(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                let tmp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(|e| Error::new(&p, e))?;
                // Output files are ordinary files: keep the mode of the file replaced,
                // else rw-r--r-- (tempfile creates 0600).
                let mode = fs::metadata(&p)
                    .map(|m| m.permissions())
                    .unwrap_or_else(|_| {
                        use std::os::unix::fs::PermissionsExt;
                        fs::Permissions::from_mode(0o644)
                    });
                tmp.as_file()
                    .set_permissions(mode)
                    .map_err(|e| Error::new(&p, e))?;
                Sink::Atomic { tmp, dest: p }
            }
        };
        Ok(Output { shown, sink })
    }

    /// The path as shown in messages (`-` for standard output; a link's target).
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// Finishes the output: flushes it, and for a regular file syncs the temporary file
    /// and renames it into place.
    pub fn commit(self) -> Result<(), Error> {
        let shown = self.shown;
        let err = |e| Error::new(&shown, e);
        match self.sink {
            Sink::Stdout(mut s) => s.flush().map_err(err),
            Sink::Direct(mut f) => f.flush().map_err(err),
            Sink::Atomic { tmp, dest } => {
                tmp.as_file().sync_all().map_err(err)?;
                tmp.persist(&dest).map_err(|e| Error::new(&dest, e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(s) => s.write(buf),
            Sink::Direct(f) => f.write(buf),
            Sink::Atomic { tmp, .. } => tmp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(s) => s.flush(),
            Sink::Direct(f) => f.flush(),
            Sink::Atomic { tmp, .. } => tmp.flush(),
        }
    }
}

/// Writes `bytes` to `path` by the rules of [`Target::of`]; an error names the path.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut out = Output::create(path)?;
    out.write_all(bytes)
        .map_err(|e| Error::new(out.path(), e))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[test]
    fn a_regular_file_is_replaced_whole_and_keeps_its_mode() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("r.md");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let left: Vec<_> = fs::read_dir(t.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn an_absent_path_is_created_and_a_failed_write_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("new.json");
        {
            let mut out = Output::create(&p).unwrap();
            out.write_all(b"half").unwrap();
            // Dropped without commit: an interrupted run.
        }
        assert!(!p.exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
        write(&p, b"{}").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "{}");
    }

    #[test]
    fn dev_null_stays_a_device() {
        assert_eq!(
            Target::of(Path::new("/dev/null")).unwrap(),
            Target::Direct(PathBuf::from("/dev/null"))
        );
        write(Path::new("/dev/null"), b"gone").unwrap();
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn dev_full_is_an_error_naming_the_path() {
        let err = write(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(err.io().raw_os_error(), Some(28), "{err}");
        assert!(
            err.to_string().starts_with("cannot write /dev/full: "),
            "{err}"
        );
    }

    #[test]
    fn a_link_is_resolved_and_its_target_replaced_the_link_kept() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real.md");
        fs::write(&real, "old").unwrap();
        let link = t.path().join("link.md");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");

        let dangling = t.path().join("dangling.md");
        std::os::unix::fs::symlink(t.path().join("nowhere/x"), &dangling).unwrap();
        let err = write(&dangling, b"x").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");

        let dir_link = t.path().join("dir");
        std::os::unix::fs::symlink(t.path(), &dir_link).unwrap();
        let err = write(&dir_link, b"x").unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
    }

    #[test]
    fn a_link_to_a_device_is_written_through_the_link() {
        let t = tempfile::tempdir().unwrap();
        let link = t.path().join("out");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert_eq!(Target::of(&link).unwrap(), Target::Direct(link.clone()));
        write(&link, b"x").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn dash_is_standard_output() {
        assert_eq!(Target::of(Path::new("-")).unwrap(), Target::Stdout);
        assert_eq!(Target::Stdout.path(), None);
    }
}
