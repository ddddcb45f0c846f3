//! Limits on what one bundle may make the reader do. Every one has a default and a flag
//! (`aksbundle analyze --max-*`); exceeding one is an error on that member, never a panic.

/// Reading limits. The defaults fit a large real bundle with room to spare while keeping
/// a hostile one (a gzip bomb, a million members, a line with no end) bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Inflated bytes read from the whole bundle. Default 8 GiB.
    pub max_total_bytes: u64,
    /// Inflated bytes of one member. Default 2 GiB (logs); object files stop at
    /// `max_object_bytes`.
    pub max_member_bytes: u64,
    /// Bytes of one JSON object file, which is parsed in memory. Default 512 MiB.
    pub max_object_bytes: u64,
    /// Members (files, folders, links) in the bundle. Default 250,000.
    pub max_members: u64,
    /// Bytes of one log line that are matched; the rest of a longer line is skipped.
    /// Default 64 KiB.
    pub max_line_bytes: usize,
    /// Bytes kept of one JSON string in an object file (an event message, a status
    /// message); the rest is dropped as the file streams by and the string ends with
    /// `… [truncated, N bytes]`. Default 64 KiB.
    pub max_string_bytes: usize,
    /// Depth of archives nested in archives (a bundle inside a ticket's zip). Default 2.
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 8 << 30,
            max_member_bytes: 2 << 30,
            max_object_bytes: 512 << 20,
            max_members: 250_000,
            max_line_bytes: 64 << 10,
            max_string_bytes: 64 << 10,
            max_nesting: 2,
        }
    }
}
