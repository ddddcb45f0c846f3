//! Text bound for a terminal or a Markdown stream. Bundle and cluster text may carry
//! terminal escapes (OSC 0 window titles, screen clears, OSC 8 hidden links, OSC 52
//! clipboard writes, 8-bit CSI); at these sinks every C0 and C1 control character other
//! than tab and newline is shown visibly instead (`\x1b`, `\u{9b}`), by one function.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a control character a terminal could act on: C0 (but tab and newline), DEL
/// and C1.
fn acts(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// `s` with its control characters (C0 but tab and newline, DEL, C1) written visibly:
/// `\x1b` for C0 and DEL, `\u{9b}` for C1. Text without any is returned as it is.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !acts(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// JSON text with C1 control characters (U+0080 to U+009F, which serde_json writes raw)
/// as `\u00XX` escapes: the same JSON value, safe to print on a terminal. C0 characters
/// are already escaped by serde_json, and outside strings JSON text is ASCII.
pub fn json_escape_c1(s: String) -> String {
    if !s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        // OSC 0 title, screen clear, OSC 8 hidden link, OSC 52 clipboard write, 8-bit CSI.
        let hostile = "a\x1b]0;pwned\x07b\x1b[2J\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\\x1b]52;c;cm0gLXJm\x07\u{9b}31m\r\x7f";
        let shown = visible(hostile);
        assert!(!shown.chars().any(acts), "{shown}");
        assert_eq!(
            shown,
            "a\\x1b]0;pwned\\x07b\\x1b[2J\\x1b]8;;http://evil\\x1b\\x\\x1b]8;;\\x1b\\\\x1b]52;c;cm0gLXJm\\x07\\u{9b}31m\\x0d\\x7f"
        );
        assert!(matches!(visible("tab\tnew\nline é 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn c1_in_json_is_escaped_and_the_value_kept() {
        let json = serde_json::to_string(&serde_json::json!({"m": "x\u{9b}2J\u{1b}"})).unwrap();
        let escaped = json_escape_c1(json);
        assert_eq!(escaped, r#"{"m":"x\u009b2J\u001b"}"#);
        let v: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(v["m"], "x\u{9b}2J\u{1b}");
    }
}
