//! Text from a cluster (kubectl's stderr, server messages, object names) on its way to a
//! terminal: C0 and C1 control characters other than tab and newline are shown visibly, so
//! an error message cannot set the window title (OSC 0), clear the screen (CSI), hide a
//! link (OSC 8), write the clipboard (OSC 52) or start an 8-bit CSI (0x9B). One function
//! for the whole project: [`outfile::terminal`].

pub use outfile::terminal::visible as safe;

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

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
            ("\u{9b}2Jx\ry\x7f", "\\u{9b}2Jx\\x0dy\\x7f"),
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
}
