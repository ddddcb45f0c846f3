//! The results file of `batch --out`, safe against crashes and resumable. Lines are
//! appended, one flushed write each, to a journal (`<out>.partial`) next to the results;
//! only a finished run puts the results in place, by a rename, so the final file is never
//! half written. `--resume` keeps every line of the old results and of an interrupted
//! run's journal, skips their bundles, and merges old and new lines in input order.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One complete line of an existing file.
#[derive(Debug, Clone)]
struct Entry {
    path: String,
    from_journal: bool,
    offset: u64,
    len: usize,
}

/// What a complete report line must hold to be trusted on `--resume`: the schema, the
/// bundle's path, the findings and errors, and the outcome `batch` appends last.
#[derive(serde::Deserialize)]
struct Head {
    schema: String,
    bundle: HeadBundle,
    #[allow(dead_code)]
    findings: Vec<serde::de::IgnoredAny>,
    #[allow(dead_code)]
    errors: Vec<serde::de::IgnoredAny>,
    outcome: String,
}

impl Head {
    fn check(self) -> Result<Head, String> {
        if self.schema != crate::finding::REPORT_SCHEMA {
            return Err(format!("schema {:?}", self.schema));
        }
        if !matches!(self.outcome.as_str(), "analyzed" | "damaged" | "failed") {
            return Err(format!("outcome {:?}", self.outcome));
        }
        Ok(self)
    }
}

#[derive(serde::Deserialize)]
struct HeadBundle {
    path: String,
}

/// The journal next to `out`: `<out>.partial`.
pub fn journal_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// The complete report lines of a results file, and the byte length of the part that
/// ends with the last one. Only a line that ends with its newline and holds a whole report
/// line (see [`Head`]) is trusted; anything else (a final line cut by a crash, even one
/// that happens to parse; garbage; JSON without the report's keys) is reported to `warn`
/// and dropped, so its bundle is analyzed again.
fn scan(
    path: &Path,
    from_journal: bool,
    warn: &mut dyn FnMut(String),
) -> io::Result<(Vec<Entry>, u64)> {
    let mut r = BufReader::new(File::open(path)?);
    let mut entries = Vec::new();
    let mut offset = 0u64;
    let mut good_end = 0u64;
    let mut buf = Vec::new();
    let mut lineno = 0;
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let complete = buf.ends_with(b"\n");
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if !body.iter().all(u8::is_ascii_whitespace) {
            let head = if complete {
                serde_json::from_slice::<Head>(body)
                    .map_err(|e| e.to_string())
                    .and_then(Head::check)
            } else {
                Err(String::new())
            };
            match head {
                Ok(h) => {
                    entries.push(Entry {
                        path: h.bundle.path,
                        from_journal,
                        offset,
                        len: body.len(),
                    });
                    good_end = offset + n as u64;
                }
                Err(e) if complete => warn(format!(
                    "{}:{lineno}: not a complete report line ({e}); dropped, its bundle is analyzed again",
                    path.display()
                )),
                Err(_) => warn(format!(
                    "{}:{lineno}: incomplete last line (an interrupted run); dropped, its bundle is analyzed again",
                    path.display()
                )),
            }
        } else if complete {
            good_end = offset + n as u64;
        }
        offset += n as u64;
    }
    Ok((entries, good_end))
}

/// The results file being written.
pub struct ResultsFile {
    out: PathBuf,
    journal: PathBuf,
    writer: BufWriter<File>,
    old: Vec<Entry>,
    journal_had: Vec<Entry>,
    journal_end: u64,
    new_paths: Vec<String>,
}

impl ResultsFile {
    /// Opens the journal of `out`. Without `resume` it starts empty (an old journal is
    /// discarded); with `resume` the lines of `out` and of the journal are kept and their
    /// bundle paths returned, so the caller can skip those bundles.
    pub fn open(
        out: &Path,
        resume: bool,
        warn: &mut dyn FnMut(String),
    ) -> io::Result<(ResultsFile, HashSet<String>)> {
        let journal = journal_path(out);
        let (mut old, mut journal_had, mut journal_end) = (Vec::new(), Vec::new(), 0);
        if resume {
            if out.exists() {
                old = scan(out, false, warn)?.0;
            }
            if journal.exists() {
                (journal_had, journal_end) = scan(&journal, true, warn)?;
            }
        }
        if !resume && journal.exists() {
            warn(format!(
                "{}: an interrupted run's results were discarded (--resume keeps them)",
                journal.display()
            ));
        }
        let file = if resume && journal.exists() {
            let f = OpenOptions::new().read(true).write(true).open(&journal)?;
            // Cut an incomplete last line, so new lines start on a line of their own.
            f.set_len(journal_end)?;
            let mut f = f;
            f.seek(SeekFrom::End(0))?;
            f
        } else {
            File::create(&journal)?
        };
        let done: HashSet<String> = old
            .iter()
            .chain(journal_had.iter())
            .map(|e| e.path.clone())
            .collect();
        Ok((
            ResultsFile {
                out: out.to_path_buf(),
                journal,
                writer: BufWriter::new(file),
                old,
                journal_had,
                journal_end,
                new_paths: Vec::new(),
            },
            done,
        ))
    }

    /// Appends one line for the bundle shown as `path`, and flushes it, so an interrupted
    /// run loses at most the line being written.
    pub fn append(&mut self, path: &str, json: &str) -> io::Result<()> {
        self.writer.write_all(json.as_bytes())?;
        self.writer.write_all(b"\n")?;
        self.writer.flush()?;
        self.new_paths.push(path.to_string());
        Ok(())
    }

    /// Puts the results in place. `order` is the display paths of all inputs in input
    /// order: lines follow it, and kept lines of bundles not in it come last, in their old
    /// order. When the journal alone holds everything in order, it is renamed; otherwise
    /// the merge goes through a temporary file and a rename.
    pub fn finish(mut self, order: &[String]) -> io::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_all()?;
        drop(self.writer);
        if self.old.is_empty() && self.journal_had.is_empty() {
            fs::rename(&self.journal, &self.out)?;
            return Ok(());
        }
        // Where each line is: old results, then the journal (kept lines, then new ones).
        let mut entries = self.old;
        entries.extend(self.journal_had);
        let mut offset = self.journal_end;
        {
            let mut j = BufReader::new(File::open(&self.journal)?);
            j.seek(SeekFrom::Start(offset))?;
            let mut buf = Vec::new();
            for path in self.new_paths {
                buf.clear();
                let n = j.read_until(b'\n', &mut buf)?;
                entries.push(Entry {
                    path,
                    from_journal: true,
                    offset,
                    len: n.saturating_sub(1),
                });
                offset += n as u64;
            }
        }
        let mut by_path: HashMap<&str, usize> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_path.entry(e.path.as_str()).or_insert(i);
        }
        let mut picked: Vec<usize> = Vec::with_capacity(entries.len());
        let mut used = vec![false; entries.len()];
        for p in order {
            if let Some(&i) = by_path.get(p.as_str()) {
                if !used[i] {
                    used[i] = true;
                    picked.push(i);
                }
            }
        }
        for (i, e) in entries.iter().enumerate() {
            if !used[i] && by_path.get(e.path.as_str()) == Some(&i) {
                used[i] = true;
                picked.push(i);
            }
        }
        // A temporary file in the same folder, so the rename cannot cross file systems.
        let mut tmp_name = self.out.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = self.out.with_file_name(tmp_name);
        let written = (|| -> io::Result<()> {
            let mut old = if self.out.exists() {
                Some(File::open(&self.out)?)
            } else {
                None
            };
            let mut journal = File::open(&self.journal)?;
            let file = File::create(&tmp)?;
            let mut w = BufWriter::new(&file);
            let mut buf = Vec::new();
            for i in picked {
                let e = &entries[i];
                let f: &mut File = if e.from_journal {
                    &mut journal
                } else {
                    old.as_mut().expect("old lines come from an existing file")
                };
                f.seek(SeekFrom::Start(e.offset))?;
                buf.resize(e.len, 0);
                f.read_exact(&mut buf)?;
                w.write_all(&buf)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
            drop(w);
            file.sync_all()?;
            fs::rename(&tmp, &self.out)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::remove_file(&self.journal)?;
        Ok(())
    }
}

/// The display paths of the bundles in `path`'s complete lines.
pub fn paths_in(path: &Path, warn: &mut dyn FnMut(String)) -> io::Result<Vec<String>> {
    Ok(scan(path, false, warn)?
        .0
        .into_iter()
        .map(|e| e.path)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(p: &str) -> String {
        format!("{{\"schema\":\"aksbundle.report/v1\",\"bundle\":{{\"path\":\"{p}\"}},\"findings\":[],\"errors\":[],\"outcome\":\"analyzed\"}}")
    }

    fn paths(file: &Path) -> Vec<String> {
        paths_in(file, &mut |_| {}).unwrap()
    }

    #[test]
    fn a_fresh_run_appears_only_when_finished() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("r.jsonl");
        let (mut f, done) = ResultsFile::open(&out, false, &mut |_| {}).unwrap();
        assert!(done.is_empty());
        f.append("a", &line("a")).unwrap();
        assert!(!out.exists());
        assert!(journal_path(&out).exists());
        f.finish(&["a".into()]).unwrap();
        assert_eq!(paths(&out), ["a"]);
        assert!(!journal_path(&out).exists());
    }

    #[test]
    fn resume_keeps_old_lines_and_an_interrupted_journal_and_merges_in_order() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("r.jsonl");
        fs::write(&out, format!("{}\n{}\n", line("b"), line("zz-gone"))).unwrap();
        // An interrupted run: one complete line, then half of one.
        fs::write(
            journal_path(&out),
            format!("{}\n{{\"schema\":\"aks", line("d")),
        )
        .unwrap();
        let mut warns = Vec::new();
        let (mut f, done) = ResultsFile::open(&out, true, &mut |w| warns.push(w)).unwrap();
        let mut done: Vec<_> = done.into_iter().collect();
        done.sort();
        assert_eq!(done, ["b", "d", "zz-gone"]);
        assert_eq!(warns.len(), 1, "{warns:?}");
        f.append("a", &line("a")).unwrap();
        f.append("c", &line("c")).unwrap();
        let order: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        f.finish(&order).unwrap();
        assert_eq!(paths(&out), ["a", "b", "c", "d", "zz-gone"]);
        let text = fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.ends_with("\n"));
    }

    #[test]
    fn without_resume_an_old_journal_is_discarded() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("r.jsonl");
        fs::write(journal_path(&out), format!("{}\n", line("old"))).unwrap();
        let mut warns = Vec::new();
        let (mut f, done) = ResultsFile::open(&out, false, &mut |w| warns.push(w)).unwrap();
        assert!(done.is_empty());
        assert_eq!(warns.len(), 1);
        f.append("a", &line("a")).unwrap();
        f.finish(&["a".into()]).unwrap();
        assert_eq!(paths(&out), ["a"]);
    }

    #[test]
    fn resume_redoes_every_line_that_is_not_a_complete_report_line() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("r.jsonl");
        let whole = line("ok");
        fs::write(
            journal_path(&out),
            format!(
                "{whole}\n{}\n{}\ngarbage {{\n{}\n{}",
                // Parses, but lacks the findings, errors and outcome.
                r#"{"schema":"aksbundle.report/v1","bundle":{"path":"no-keys"}}"#,
                line("bad-outcome").replace("\"analyzed\"", "\"maybe\""),
                line("other-schema").replace("report/v1", "report/v0"),
                // The last line is whole JSON but lost its newline: a crash mid-write.
                line("cut"),
            ),
        )
        .unwrap();
        let mut warns = Vec::new();
        let (mut f, done) = ResultsFile::open(&out, true, &mut |w| warns.push(w)).unwrap();
        assert_eq!(done.into_iter().collect::<Vec<_>>(), ["ok"]);
        assert_eq!(warns.len(), 5, "{warns:?}");
        assert!(
            warns.iter().all(|w| w.contains("analyzed again")),
            "{warns:?}"
        );
        // The redone bundles' lines start on lines of their own after the trusted one.
        for p in ["cut", "no-keys"] {
            f.append(p, &line(p)).unwrap();
        }
        f.finish(&["ok".into(), "no-keys".into(), "cut".into()])
            .unwrap();
        assert_eq!(paths(&out), ["ok", "no-keys", "cut"]);
        assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 3);
    }
}
