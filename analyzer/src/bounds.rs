//! Guards that keep a hostile container or object file from making the reader buffer
//! without bound: tar header extensions (GNU long names, PAX records) are checked against a
//! cap before the `tar` crate reads them into memory, overlapping zip entries (one deflate
//! stream shared by many entries) are found before any is inflated, and every JSON string
//! of an object file is cut at a cap before serde sees it.

use std::io::{self, Read};

/// Largest GNU long name or long link member read (the `tar` crate holds it in memory).
/// A real path is at most 4 KiB (PATH_MAX).
pub const MAX_TAR_NAME_BYTES: u64 = 64 << 10;
/// Largest PAX extended header member read (held in memory like a long name).
pub const MAX_TAR_PAX_BYTES: u64 = 1 << 20;

const BLOCK: u64 = 512;

/// Sits between a tar stream and `tar::Archive`, follows the archive's headers as the
/// `tar` crate does (sizes, PAX `size` overrides, GNU sparse extension blocks) and fails
/// with a one-line error at a long-name or PAX member larger than its cap, before the
/// crate buffers it. When the stream stops looking like tar (a zero block, a bad checksum)
/// it stops following and passes bytes through: the crate ends or reports damage there.
pub struct TarGuard<R> {
    inner: R,
    /// Bytes handed on so far.
    pos: u64,
    /// Offset of the next block to inspect (a header or a sparse extension block), or
    /// `None` once no longer following.
    next: Option<u64>,
    block: [u8; BLOCK as usize],
    /// Bytes of `block` filled and handed on, while a block is being passed on.
    filled: usize,
    served: usize,
    /// Data size of the entry whose sparse extension blocks are being read.
    sparse_size: u64,
    in_sparse_ext: bool,
    /// The body of a PAX local header being collected, and where it ends.
    pax: Option<(Vec<u8>, u64)>,
    /// A PAX `size` that overrides the next entry's header size.
    pax_size: Option<u64>,
}

impl<R: Read> TarGuard<R> {
    /// Follows the tar stream `inner` from its first header.
    pub fn new(inner: R) -> TarGuard<R> {
        TarGuard {
            inner,
            pos: 0,
            next: Some(0),
            block: [0; BLOCK as usize],
            filled: 0,
            served: 0,
            sparse_size: 0,
            in_sparse_ext: false,
            pax: None,
            pax_size: None,
        }
    }

    fn fill_block(&mut self) -> io::Result<()> {
        self.filled = 0;
        self.served = 0;
        while self.filled < self.block.len() {
            match self.inner.read(&mut self.block[self.filled..]) {
                Ok(0) => break,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Looks at the block at `self.pos` and sets where the next one is.
    fn inspect(&mut self) -> io::Result<()> {
        let at = self.pos;
        if self.filled < self.block.len() {
            self.next = None;
            return Ok(());
        }
        if self.in_sparse_ext {
            let mut ext = tar::GnuExtSparseHeader::new();
            ext.as_mut_bytes().copy_from_slice(&self.block);
            if ext.is_extended() {
                self.next = Some(at + BLOCK);
            } else {
                self.in_sparse_ext = false;
                self.next = Some(at + BLOCK + round_up(self.sparse_size));
            }
            return Ok(());
        }
        self.finish_pax();
        if self.block.iter().all(|b| *b == 0) || !checksum_ok(&self.block) {
            self.next = None;
            return Ok(());
        }
        let header = tar::Header::from_byte_slice(&self.block);
        let ty = header.entry_type();
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        let extension = ty.is_gnu_longname()
            || ty.is_gnu_longlink()
            || ty.is_pax_local_extensions()
            || ty.is_pax_global_extensions();
        let Ok(mut size) = header.entry_size() else {
            self.next = None;
            return Ok(());
        };
        if !extension {
            if let Some(s) = self.pax_size.take() {
                size = s;
            }
        }
        if recognized {
            let (what, cap) = if ty.is_gnu_longname() {
                ("a GNU long name", MAX_TAR_NAME_BYTES)
            } else if ty.is_gnu_longlink() {
                ("a GNU long link name", MAX_TAR_NAME_BYTES)
            } else if ty.is_pax_local_extensions() {
                ("a PAX extended header", MAX_TAR_PAX_BYTES)
            } else {
                ("", u64::MAX)
            };
            if size > cap {
                self.next = None;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the member header at byte {at} announces {what} of {size} bytes (more than {cap}); the rest was not read"
                    ),
                ));
            }
            if ty.is_pax_local_extensions() {
                self.pax = Some((Vec::with_capacity(size as usize), at + BLOCK + size));
            }
            if ty.is_gnu_sparse() && header.as_gnu().is_some_and(|g| g.is_extended()) {
                self.in_sparse_ext = true;
                self.sparse_size = size;
                self.next = Some(at + BLOCK);
                return Ok(());
            }
        }
        match at
            .checked_add(BLOCK)
            .and_then(|d| d.checked_add(round_up(size)))
        {
            Some(next) => self.next = Some(next),
            None => self.next = None,
        }
        Ok(())
    }

    /// Takes the PAX `size` record of a collected PAX body, as the `tar` crate reads it.
    fn finish_pax(&mut self) {
        if let Some((body, _)) = self.pax.take() {
            self.pax_size = pax_size(&body);
        }
    }
}

fn round_up(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

fn checksum_ok(block: &[u8; BLOCK as usize]) -> bool {
    let header = tar::Header::from_byte_slice(block);
    let sum: u32 = block[..148]
        .iter()
        .chain(&block[156..])
        .map(|b| u32::from(*b))
        .sum::<u32>()
        + 8 * 32;
    header.cksum().is_ok_and(|c| c == sum)
}

fn pax_size(body: &[u8]) -> Option<u64> {
    for ext in tar::PaxExtensions::new(body) {
        let ext = ext.ok()?;
        if ext.key() != Ok("size") {
            continue;
        }
        return ext.value().ok()?.parse().ok();
    }
    None
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.served < self.filled {
            let n = out.len().min(self.filled - self.served);
            out[..n].copy_from_slice(&self.block[self.served..self.served + n]);
            self.served += n;
            self.pos += n as u64;
            return Ok(n);
        }
        match self.next {
            Some(next) if next == self.pos => {
                self.fill_block()?;
                self.inspect()?;
                if self.filled == 0 {
                    return Ok(0);
                }
                self.read(out)
            }
            Some(next) => {
                let want = (out.len() as u64).min(next - self.pos) as usize;
                let n = self.inner.read(&mut out[..want])?;
                if let Some((body, end)) = &mut self.pax {
                    if self.pos < *end {
                        let keep = (n as u64).min(*end - self.pos) as usize;
                        body.extend_from_slice(&out[..keep]);
                    }
                }
                self.pos += n as u64;
                Ok(n)
            }
            None => {
                let n = self.inner.read(out)?;
                self.pos += n as u64;
                Ok(n)
            }
        }
    }
}

/// The entries of a zip whose bytes overlap another entry's, by index. Each entry spans
/// its local header to the end of its compressed data; entries that share bytes (the
/// "overlapping files" zip bomb, where one deflate stream is every entry's data, or two
/// central records for one local header) are all listed. Entries whose local header cannot
/// be read are left to the caller. Sorting makes it O(n log n).
pub fn zip_overlaps<R: Read + io::Seek>(zip: &mut zip::ZipArchive<R>) -> Vec<bool> {
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            let start = f.header_start();
            let end = f
                .data_start()
                .saturating_add(f.compressed_size())
                .max(start + 1);
            spans.push((start, end, i));
        }
    }
    spans.sort_unstable();
    let mut overlapping = vec![false; zip.len()];
    // Runs of spans that overlap one another, transitively; every member of a run of two
    // or more is refused.
    let mut run_start = 0;
    let mut run_end = 0u64;
    for k in 0..=spans.len() {
        let joins = k < spans.len() && k > 0 && spans[k].0 < run_end;
        if joins {
            run_end = run_end.max(spans[k].1);
            continue;
        }
        if k - run_start > 1 {
            for s in &spans[run_start..k] {
                overlapping[s.2] = true;
            }
        }
        if k < spans.len() {
            run_start = k;
            run_end = spans[k].1;
        }
    }
    overlapping
}

/// Cuts every JSON string (values and keys) of an object file at `cap` bytes as the text
/// streams by, so a 400 MB event message never reaches memory: the rest of the string is
/// dropped and ` … [truncated, N bytes]` is written before its closing quote. Cuts fall on
/// a character boundary, never inside an escape or between the halves of a surrogate pair.
pub struct JsonStringCap<R> {
    inner: R,
    cap: usize,
    buf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    state: JsonState,
}

#[derive(Debug, Clone, Copy, Default)]
struct JsonState {
    in_string: bool,
    /// Bytes of the current string kept so far.
    kept: usize,
    /// Bytes left of the current escape (`\` then one, or `\u` then four).
    escape_left: u8,
    /// After `\`: the next byte decides the escape's length.
    escape_start: bool,
    hex: u16,
    in_hex: bool,
    /// A `\uD800`-`\uDBFF` escape waits for its low half.
    high_surrogate: bool,
    /// Bytes dropped from the current string (non-zero once cutting).
    dropped: u64,
    cutting: bool,
}

impl<R: Read> JsonStringCap<R> {
    /// Cuts the strings of `inner` at `cap` bytes.
    pub fn new(inner: R, cap: usize) -> JsonStringCap<R> {
        JsonStringCap {
            inner,
            cap: cap.max(16),
            buf: vec![0; 64 << 10],
            out: Vec::with_capacity(64 << 10),
            out_pos: 0,
            state: JsonState::default(),
        }
    }

    fn process(&mut self, n: usize) {
        self.out.clear();
        self.out_pos = 0;
        let st = &mut self.state;
        for &b in &self.buf[..n] {
            if !st.in_string {
                if b == b'"' {
                    *st = JsonState {
                        in_string: true,
                        ..JsonState::default()
                    };
                }
                self.out.push(b);
                continue;
            }
            // Inside a string.
            if st.escape_start {
                st.escape_start = false;
                if b == b'u' {
                    st.escape_left = 4;
                    st.in_hex = true;
                    st.hex = 0;
                } else {
                    st.escape_left = 0;
                    st.high_surrogate = false;
                }
                if !st.cutting {
                    self.out.push(b);
                    st.kept += 1;
                } else {
                    st.dropped += 1;
                }
                continue;
            }
            if st.escape_left > 0 {
                st.escape_left -= 1;
                if st.in_hex {
                    let d = (b as char).to_digit(16).unwrap_or(0) as u16;
                    st.hex = (st.hex << 4) | d;
                    if st.escape_left == 0 {
                        st.in_hex = false;
                        st.high_surrogate = (0xD800..=0xDBFF).contains(&st.hex);
                    }
                }
                if !st.cutting {
                    self.out.push(b);
                    st.kept += 1;
                } else {
                    st.dropped += 1;
                }
                continue;
            }
            if b == b'"' {
                if st.cutting {
                    self.out.extend_from_slice(
                        format!(" … [truncated, {} bytes]", st.dropped).as_bytes(),
                    );
                }
                self.out.push(b);
                *st = JsonState::default();
                continue;
            }
            let char_start = b & 0xC0 != 0x80;
            if !st.cutting && st.kept >= self.cap && char_start && !st.high_surrogate {
                st.cutting = true;
            }
            if b == b'\\' {
                st.escape_start = true;
            } else if char_start {
                st.high_surrogate = false;
            }
            if st.cutting {
                st.dropped += 1;
            } else {
                self.out.push(b);
                st.kept += 1;
            }
        }
    }
}

impl<R: Read> Read for JsonStringCap<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.out_pos == self.out.len() {
            let n = self.inner.read(&mut self.buf)?;
            if n == 0 {
                return Ok(0);
            }
            self.process(n);
        }
        let n = out.len().min(self.out.len() - self.out_pos);
        out[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(json: &str, cap: usize) -> String {
        let mut s = String::new();
        JsonStringCap::new(json.as_bytes(), cap)
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn long_strings_are_cut_with_a_marker_and_the_json_stays_valid() {
        let long = "x".repeat(100);
        let json = format!(r#"{{"message":"{long}","reason":"BackOff","n":[1,"ab"]}}"#);
        let out = capped(&json, 16);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["message"],
            format!("{} … [truncated, 84 bytes]", "x".repeat(16))
        );
        assert_eq!(v["reason"], "BackOff");
        assert_eq!(v["n"][1], "ab");
        // Short strings pass unchanged.
        assert_eq!(capped(&json, 1000), json);
    }

    #[test]
    fn cuts_never_split_escapes_characters_or_surrogate_pairs() {
        for prefix in 0..24 {
            let body = format!(
                "{}\\\"é\\u00e9\\ud83d\\ude00日本\\\\{}",
                "a".repeat(prefix),
                "z".repeat(40)
            );
            let json = format!(r#"["{body}", "tail\"q"]"#);
            let out = capped(&json, 16);
            let v: Vec<String> = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("prefix {prefix}: {e}: {out}"));
            assert!(v[0].contains("[truncated, "), "{out}");
            assert_eq!(v[1], "tail\"q");
        }
    }

    #[test]
    fn a_gnu_long_name_over_the_cap_is_refused_before_it_is_read() {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::GNULongName);
        header.set_size(MAX_TAR_NAME_BYTES + 1);
        header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        header.set_cksum();
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend(vec![b'a'; (MAX_TAR_NAME_BYTES + 512) as usize]);
        let mut archive = tar::Archive::new(TarGuard::new(&bytes[..]));
        let err = archive
            .entries()
            .unwrap()
            .next()
            .unwrap()
            .err()
            .expect("refused");
        assert!(err.to_string().contains("byte 0"), "{err}");
        assert!(err.to_string().contains("GNU long name"), "{err}");
    }

    #[test]
    fn ordinary_archives_pass_unchanged_through_the_tar_guard() {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("b/{}/pods.json", "n".repeat(300));
        for (name, body) in [(long.as_str(), &b"{}"[..]), ("b/short.txt", &b"hello"[..])] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, body).unwrap();
        }
        // A PAX header with a path, as Python's tarfile and bsdtar write them.
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_path("b/x").unwrap();
        b.append_pax_extensions([("path", &b"b/pax-named.txt"[..])])
            .unwrap();
        b.append_data(&mut h, "b/x", &b"abc"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let mut guarded = Vec::new();
        TarGuard::new(&bytes[..]).read_to_end(&mut guarded).unwrap();
        assert_eq!(guarded, bytes);
        let mut archive = tar::Archive::new(TarGuard::new(&bytes[..]));
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, [long.as_str(), "b/short.txt", "b/pax-named.txt"]);
    }
}
