//! The JSON report (`aksbundle.report/v1`), exactly as the CLI contract fixes it. It is
//! written straight to its destination (no copy of a large report in memory), with C1
//! control characters escaped (`\u009b`) like serde_json escapes C0 ones, so the JSON is
//! safe on a terminal.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::finding::Report;

/// The report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Writes the report as pretty JSON with a trailing newline.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    write_pretty(report, &mut *w)?;
    w.write_all(b"\n")
}

/// Writes any value as pretty JSON, C1 controls escaped.
pub fn write_pretty<T: Serialize + ?Sized>(value: &T, w: &mut dyn Write) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, C1Escaping(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Writes any value as compact JSON, C1 controls escaped.
pub fn write_compact<T: Serialize + ?Sized>(value: &T, w: &mut dyn Write) -> io::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(w, C1Escaping(serde_json::ser::CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// A formatter that writes U+0080 to U+009F in strings as `\u00XX`.
struct C1Escaping<F>(F);

impl<F: Formatter> Formatter for C1Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest
            .char_indices()
            .find(|(_, c)| ('\u{80}'..='\u{9f}').contains(c))
        {
            writer.write_all(&rest.as_bytes()[..i])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_are_escaped_and_the_json_unchanged_otherwise() {
        let v = serde_json::json!({"m": "x\u{9b}2J\u{1b}é", "n": [1, "\u{85}"]});
        let mut out = Vec::new();
        write_pretty(&v, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""x\u009b2J\u001bé""#), "{text}");
        assert!(text.contains(r#""\u0085""#), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        let mut plain = Vec::new();
        write_pretty(&serde_json::json!({"a": [1, {"b": "c"}]}), &mut plain).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            serde_json::to_string_pretty(&serde_json::json!({"a": [1, {"b": "c"}]})).unwrap()
        );
    }
}
