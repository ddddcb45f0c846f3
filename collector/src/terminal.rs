//! Text from a cluster (kubectl's stderr, server messages, object names) on its way to a
//! terminal: C0 and C1 control characters other than tab and newline are shown visibly as
//! `\xNN`, so an error message cannot set the window title (OSC 0), clear the screen (CSI),
//! hide a link (OSC 8), write the clipboard (OSC 52) or start an 8-bit CSI (0x9B).

use std::borrow::Cow;

/// `text` with every control character but `\t` and `\n` written as `\xNN` (C1 characters
/// by their code point: U+009B is `\x9b`). Borrowed when there was nothing to change.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`safe`] for bytes that may not be UTF-8: an invalid byte is shown as `\xNN` too (a raw
/// 0x9B is an 8-bit CSI to a terminal that does not speak UTF-8).
pub fn safe_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&safe(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_terminal_escapes_are_shown_visibly() {
        let cases = [
            // OSC 0: window title.
            ("\x1b]0;pwned\x07Error", "\\x1b]0;pwned\\x07Error"),
            // CSI: clear the screen, cursor home.
            ("\x1b[2J\x1b[Hforbidden", "\\x1b[2J\\x1b[Hforbidden"),
            // OSC 8: a hidden link.
            (
                "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
                "\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\",
            ),
            // OSC 52: clipboard write.
            (
                "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
                "\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07",
            ),
            // 8-bit CSI as a character (U+009B), carriage return, DEL.
            ("\u{9b}2Jx\ry\x7f", "\\x9b2Jx\\x0dy\\x7f"),
        ];
        for (input, want) in cases {
            assert_eq!(safe(input), want, "{input:?}");
            assert!(!safe(input)
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\n'));
        }
        // Tabs, newlines and ordinary Unicode pass; nothing is allocated for them.
        assert!(matches!(safe("a\tb\nc ✓ é"), Cow::Borrowed("a\tb\nc ✓ é")));
    }

    #[test]
    fn regression_raw_8bit_csi_byte_is_shown_visibly() {
        assert_eq!(safe_bytes(b"a\x9b2Jb\x1b[31m"), "a\\x9b2Jb\\x1b[31m");
        assert_eq!(safe_bytes("é\u{9b}".as_bytes()), "é\\x9b");
    }
}
