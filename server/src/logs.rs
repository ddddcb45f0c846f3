//! `pods/log`: streams a log copy through the options kubectl sends (`tailLines`,
//! `sinceTime`, `sinceSeconds`, `timestamps`, `limitBytes`) line by line, so a large log is
//! never held in memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use analyzer::layout::dump_marker;

use crate::store::LogCopy;

/// A line longer than this is passed on in pieces (each filtered as a line).
const MAX_LINE: u64 = 1 << 20;

/// The log options of one request.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// Only the last N lines.
    pub tail_lines: Option<u64>,
    /// Only lines stamped at or after this time (lines without a stamp are kept).
    pub since: Option<jiff::Timestamp>,
    /// Keep the `kubectl logs --timestamps` prefix the collector recorded.
    pub timestamps: bool,
    /// Stop after this many bytes.
    pub limit_bytes: Option<u64>,
}

/// The RFC 3339 stamp that starts a line written by `kubectl logs --timestamps`, and the
/// rest of the line after its space.
fn split_stamp(line: &[u8]) -> Option<(jiff::Timestamp, &[u8])> {
    let space = memchr(b' ', &line[..line.len().min(40)])?;
    let text = std::str::from_utf8(&line[..space]).ok()?;
    if !text.contains('T') {
        return None;
    }
    let at = text.parse::<jiff::Timestamp>().ok()?;
    Some((at, &line[space + 1..]))
}

fn memchr(b: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|c| *c == b)
}

/// Yields the lines of one container's log that pass the section and time filters.
struct Lines {
    reader: BufReader<File>,
    /// For a dump's `logs.txt`: the container whose section is wanted, and whether the
    /// reader is inside it.
    section: Option<(String, bool)>,
    since: Option<jiff::Timestamp>,
    buf: Vec<u8>,
}

impl Lines {
    fn open(
        path: &Path,
        section: Option<String>,
        since: Option<jiff::Timestamp>,
    ) -> io::Result<Lines> {
        Ok(Lines {
            reader: BufReader::with_capacity(64 << 10, File::open(path)?),
            section: section.map(|c| (c, false)),
            since,
            buf: Vec::new(),
        })
    }

    /// The next wanted line (with its newline), or `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            self.buf.clear();
            let n = (&mut self.reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            if let Some((container, inside)) = &mut self.section {
                match dump_marker(&self.buf) {
                    Some(Some(c)) => {
                        *inside = c.container == *container;
                        continue;
                    }
                    Some(None) => {
                        *inside = false;
                        continue;
                    }
                    None if !*inside => continue,
                    None => {}
                }
            }
            if let Some(since) = self.since {
                if split_stamp(&self.buf).is_some_and(|(at, _)| at < since) {
                    continue;
                }
            }
            return Ok(Some(&self.buf));
        }
    }
}

/// A log response body.
pub struct LogStream {
    lines: Lines,
    skip: u64,
    timestamps: bool,
    left: Option<u64>,
    out: Vec<u8>,
    pos: usize,
}

impl LogStream {
    /// Opens `container`'s log in `copy` with the request's options.
    pub fn open(copy: &LogCopy, container: &str, query: &LogQuery) -> io::Result<LogStream> {
        let (path, section) = match copy {
            LogCopy::File(p) => (p, None),
            LogCopy::Dump(p) => (p, Some(container.to_string())),
        };
        let skip = match query.tail_lines {
            Some(tail) => {
                let mut count = Lines::open(path, section.clone(), query.since)?;
                let mut total = 0u64;
                while count.next_line()?.is_some() {
                    total += 1;
                }
                total.saturating_sub(tail)
            }
            None => 0,
        };
        Ok(LogStream {
            lines: Lines::open(path, section, query.since)?,
            skip,
            timestamps: query.timestamps,
            left: query.limit_bytes,
            out: Vec::new(),
            pos: 0,
        })
    }

    /// True when the container has no line in a dump's `logs.txt`.
    pub fn dump_has(copy: &LogCopy, container: &str) -> io::Result<bool> {
        match copy {
            LogCopy::File(_) => Ok(true),
            LogCopy::Dump(p) => {
                let mut f = BufReader::new(File::open(p)?);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    if (&mut f).take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
                        return Ok(false);
                    }
                    if matches!(dump_marker(&line), Some(Some(s)) if s.container == container) {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

impl Read for LogStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.left == Some(0) {
                return Ok(0);
            }
            let timestamps = self.timestamps;
            let Some(line) = self.lines.next_line()? else {
                return Ok(0);
            };
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let body = match split_stamp(line) {
                Some((_, rest)) if !timestamps => rest,
                _ => line,
            };
            self.out.clear();
            self.out.extend_from_slice(body);
            if let Some(left) = &mut self.left {
                let keep = (*left).min(self.out.len() as u64) as usize;
                self.out.truncate(keep);
                *left -= keep as u64;
            }
            self.pos = 0;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(copy: &LogCopy, container: &str, q: &LogQuery) -> String {
        let mut s = String::new();
        LogStream::open(copy, container, q)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn tail_since_and_timestamps_on_a_stamped_log() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l");
        std::fs::write(
            &p,
            "2026-11-22T03:58:00.000000000Z I1122 03:58:00.000000 1 main.go:1] one\n\
             2026-11-22T03:59:00.000000000Z I1122 03:59:00.000000 1 main.go:1] two\n\
             2026-11-22T04:00:00.000000000Z E1122 04:00:00.000000 1 main.go:1] three\n",
        )
        .unwrap();
        let copy = LogCopy::File(p);
        let plain = read_all(&copy, "c", &LogQuery::default());
        assert!(plain.starts_with("I1122 03:58:00.000000 1 main.go:1] one\n"));
        let tail = read_all(
            &copy,
            "c",
            &LogQuery {
                tail_lines: Some(1),
                timestamps: true,
                ..Default::default()
            },
        );
        assert_eq!(
            tail,
            "2026-11-22T04:00:00.000000000Z E1122 04:00:00.000000 1 main.go:1] three\n"
        );
        let since = read_all(
            &copy,
            "c",
            &LogQuery {
                since: Some("2026-11-22T03:59:00Z".parse().unwrap()),
                ..Default::default()
            },
        );
        assert_eq!(since.lines().count(), 2);
        let limited = read_all(
            &copy,
            "c",
            &LogQuery {
                limit_bytes: Some(5),
                ..Default::default()
            },
        );
        assert_eq!(limited, "I1122");
    }

    #[test]
    fn dump_logs_are_cut_at_the_container_markers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("logs.txt");
        std::fs::write(
            &p,
            "==== START logs for container init of pod shop/web-1 ====\ninit line\n\
             ==== END logs for container init of pod shop/web-1 ====\n\
             ==== START logs for container app of pod shop/web-1 ====\napp 1\napp 2\n\
             ==== END logs for container app of pod shop/web-1 ====\n",
        )
        .unwrap();
        let copy = LogCopy::Dump(p);
        assert_eq!(
            read_all(&copy, "app", &LogQuery::default()),
            "app 1\napp 2\n"
        );
        assert_eq!(read_all(&copy, "init", &LogQuery::default()), "init line\n");
        assert!(!LogStream::dump_has(&copy, "sidecar").unwrap());
    }
}
