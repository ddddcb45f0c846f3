//! Tolerant reading of object files, shared by every layout: UTF-8 with or without a BOM,
//! UTF-16 (PowerShell's `>`) transcoded; a List (`items`, `"items": null`, internal
//! `"Items"`), a bare array (older troubleshoot) or a single object; one bad item skipped
//! with its index named while the rest of the file still reads. A shape that is none of
//! these is an error on the file, never zero objects.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes an object file's bytes to UTF-8: a UTF-8 BOM is dropped, UTF-16 with a BOM (or
/// without one, when the first character is ASCII) is transcoded.
pub fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    use std::borrow::Cow;
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return Ok(Cow::Borrowed(rest));
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<Cow<'_, [u8]>, String> {
        if !rest.len().is_multiple_of(2) {
            return Err("UTF-16 text with an odd number of bytes".into());
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(|s| Cow::Owned(s.into_bytes()))
            .map_err(|e| format!("invalid UTF-16 text: {e}"))
    };
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(rest, true),
        [0xfe, 0xff, rest @ ..] => utf16(rest, false),
        [a, 0, ..] if a.is_ascii() && *a != 0 => utf16(bytes, true),
        [0, b, ..] if b.is_ascii() && *b != 0 => utf16(bytes, false),
        _ => Ok(Cow::Borrowed(bytes)),
    }
}

/// Parses an object file into a JSON value, with a one-line description of what is wrong.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = decode(bytes)?;
    serde_json::from_slice(&text).map_err(|e| describe_json_error(&e))
}

/// The items of a file: a List's `items` (`null` is an empty list, internal `Items` too),
/// a bare array, or a single object (one item).
pub fn items(v: Value) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(mut m) => {
            let key = ["items", "Items"].into_iter().find(|k| m.contains_key(*k));
            match key.and_then(|k| m.remove(k)) {
                Some(Value::Array(a)) => Ok(a),
                Some(Value::Null) => Ok(Vec::new()),
                Some(other) => Err(format!(
                    "unexpected JSON shape: items is {}, not an array",
                    type_name(&other)
                )),
                None if is_object_like(&m) => Ok(vec![Value::Object(m)]),
                None => Err(
                    "unexpected JSON shape: neither a List (items) nor a Kubernetes object (metadata)"
                        .into(),
                ),
            }
        }
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "unexpected JSON shape: {} instead of a List or an object",
            type_name(&other)
        )),
    }
}

fn is_object_like(m: &serde_json::Map<String, Value>) -> bool {
    m.contains_key("metadata") || m.contains_key("name") || m.contains_key("Name")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Items typed, with what was skipped.
#[derive(Debug)]
pub struct Typed<T> {
    pub items: Vec<T>,
    /// One message per skipped item, naming its index.
    pub skipped: Vec<String>,
    /// Some item had an older shape that `normalize` rewrote.
    pub normalized: bool,
}

/// Types each item after `normalize` (a layout's older-shape rewrite). An item that is not
/// an object, has no `metadata` after normalisation, or does not fit `T` is skipped with
/// its index named.
pub fn typed<T: DeserializeOwned>(
    items: Vec<Value>,
    normalize: fn(&mut Value) -> bool,
) -> Typed<T> {
    let mut out = Typed {
        items: Vec::with_capacity(items.len()),
        skipped: Vec::new(),
        normalized: false,
    };
    for (i, mut item) in items.into_iter().enumerate() {
        if !item.is_object() {
            out.skipped.push(format!(
                "item {i}: {} instead of an object; skipped",
                type_name(&item)
            ));
            continue;
        }
        out.normalized |= normalize(&mut item);
        if !item.get("metadata").is_some_and(Value::is_object) {
            out.skipped.push(format!(
                "item {i}: no metadata, not an object as kubectl prints it; skipped"
            ));
            continue;
        }
        // `null` where a list or map belongs (`"topologyKeys": null`) is what Go writes
        // for an unset slice that is not `omitempty`: absent, as every typed field allows.
        strip_nulls(&mut item);
        match T::deserialize(item) {
            Ok(t) => out.items.push(t),
            Err(e) => out
                .skipped
                .push(format!("item {i}: unexpected shape: {e}; skipped")),
        }
    }
    out
}

/// Reads an object file's items one at a time, each normalised and typed as soon as it is
/// read, so only one item is ever held as a JSON value (a large `pods.json` costs its typed
/// objects, not a tree of every field). The shapes and errors are those of [`items`] and
/// [`typed`].
pub fn read_typed<T: DeserializeOwned>(
    bytes: &[u8],
    normalize: fn(&mut Value) -> bool,
) -> Result<Typed<T>, String> {
    let text = decode(bytes)?;
    let mut out = Typed {
        items: Vec::new(),
        skipped: Vec::new(),
        normalized: false,
    };
    let mut de = serde_json::Deserializer::from_slice(&text);
    serde::de::DeserializeSeed::deserialize(
        FileSeed {
            out: &mut out,
            normalize,
        },
        &mut de,
    )
    .map_err(|e| describe_json_error(&e))?;
    de.end().map_err(|e| describe_json_error(&e))?;
    Ok(out)
}

impl<T: DeserializeOwned> Typed<T> {
    fn push(&mut self, i: usize, mut item: Value, normalize: fn(&mut Value) -> bool) {
        let one = typed::<T>(vec![std::mem::take(&mut item)], normalize);
        self.normalized |= one.normalized;
        self.items.extend(one.items);
        self.skipped.extend(
            one.skipped
                .into_iter()
                .map(|m| m.replacen("item 0:", &format!("item {i}:"), 1)),
        );
    }
}

struct FileSeed<'a, T> {
    out: &'a mut Typed<T>,
    normalize: fn(&mut Value) -> bool,
}

impl<'de, T: DeserializeOwned> serde::de::DeserializeSeed<'de> for FileSeed<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for FileSeed<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a List or a Kubernetes object")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ItemsSeed {
            out: self.out,
            normalize: self.normalize,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = serde_json::Map::new();
        let mut listed = false;
        while let Some(key) = map.next_key::<String>()? {
            if !listed && (key == "items" || key == "Items") {
                listed = true;
                map.next_value_seed(ItemsSeed {
                    out: &mut *self.out,
                    normalize: self.normalize,
                })?;
            } else {
                rest.insert(key, map.next_value()?);
            }
        }
        if listed {
            return Ok(());
        }
        if is_object_like(&rest) {
            self.out.push(0, Value::Object(rest), self.normalize);
            return Ok(());
        }
        Err(serde::de::Error::custom(
            "neither a List (items) nor a Kubernetes object (metadata)",
        ))
    }
}

struct ItemsSeed<'a, T> {
    out: &'a mut Typed<T>,
    normalize: fn(&mut Value) -> bool,
}

impl<'de, T: DeserializeOwned> serde::de::DeserializeSeed<'de> for ItemsSeed<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for ItemsSeed<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of items (or null)")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            self.out.push(i, item, self.normalize);
            i += 1;
        }
        Ok(())
    }
}

/// No rewrite: the shape every current layout writes.
pub fn as_is(_: &mut Value) -> bool {
    false
}

/// One line saying what is wrong with a JSON text.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => format!(
            "truncated JSON (ends at line {}, column {})",
            e.line(),
            e.column()
        ),
        serde_json::error::Category::Syntax => format!("invalid JSON: {e}"),
        serde_json::error::Category::Data => format!("unexpected JSON shape: {e}"),
        serde_json::error::Category::Io => format!("read failed: {e}"),
    }
}

/// Removes every `null` member of every object, in place (a walk without allocation when
/// there is none).
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.values().any(Value::is_null) {
                m.retain(|_, x| !x.is_null());
            }
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pod;

    /// Both readers: the streaming one the sink uses, and the one over a parsed value the
    /// dump stream uses; they must agree.
    fn pods(text: &str) -> Result<Typed<Pod>, String> {
        let streamed = read_typed::<Pod>(text.as_bytes(), as_is);
        let whole = parse(text.as_bytes())
            .and_then(items)
            .map(|i| typed::<Pod>(i, as_is));
        match (&streamed, &whole) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.skipped, b.skipped);
                assert_eq!(a.items.len(), b.items.len());
            }
            (a, b) => assert_eq!(a.is_err(), b.is_err(), "{text}"),
        }
        streamed
    }

    #[test]
    fn items_null_is_an_empty_list() {
        // Regression: client-go's empty list, as troubleshoot writes it, was "invalid type: null".
        let t = pods(r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":null}"#).unwrap();
        assert!(t.items.is_empty() && t.skipped.is_empty());
    }

    #[test]
    fn bare_arrays_single_objects_and_missing_kind_read() {
        assert_eq!(
            pods(r#"[{"metadata":{"name":"a"}}]"#).unwrap().items.len(),
            1
        );
        let one = pods(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}"#).unwrap();
        assert_eq!(one.items[0].metadata.name, "a");
        assert_eq!(
            pods(r#"{"items":[{"metadata":{"name":"a"},"x":1}]}"#)
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[test]
    fn one_bad_item_is_skipped_with_its_index() {
        let t = pods(r#"{"items":[{"metadata":{"name":"a"}}, 7, {"metadata":{"name":"b"},"spec":"x"}, {"metadata":{"name":"c"}}]}"#)
            .unwrap();
        assert_eq!(t.items.len(), 2);
        assert!(t.skipped[0].starts_with("item 1:"), "{:?}", t.skipped);
        assert!(t.skipped[1].starts_with("item 2:"), "{:?}", t.skipped);
    }

    #[test]
    fn shapes_not_understood_are_errors() {
        assert!(pods(r#"{"foo": 1}"#)
            .unwrap_err()
            .contains("unexpected JSON shape"));
        assert!(pods(r#""text""#).is_err());
        assert!(pods(r#"{"items": {"a": 1}}"#).is_err());
        let t = pods(r#"{"items":[{"Name":"a","Spec":{}}]}"#).unwrap();
        assert!(
            t.items.is_empty() && t.skipped.len() == 1,
            "internal shape without a normaliser"
        );
    }

    #[test]
    fn byte_order_marks_and_utf16_read() {
        let text = r#"{"items":[{"metadata":{"name":"é"}}]}"#;
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(
            typed::<Pod>(items(parse(&bom).unwrap()).unwrap(), as_is)
                .items
                .len(),
            1
        );
        let mut le = vec![0xff, 0xfe];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let t = typed::<Pod>(items(parse(&le).unwrap()).unwrap(), as_is);
        assert_eq!(t.items[0].metadata.name, "é");
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            typed::<Pod>(items(parse(&be).unwrap()).unwrap(), as_is)
                .items
                .len(),
            1
        );
        assert!(parse(&[0xff, 0xfe, 0x41]).unwrap_err().contains("UTF-16"));
    }
}
