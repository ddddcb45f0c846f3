//! Timestamps: RFC 3339 from objects and `kubectl logs --timestamps`, and klog's yearless
//! `MMDD hh:mm:ss.ffffff`, brought to one comparable RFC 3339 form.

use jiff::Timestamp;

/// Normalizes a raw timestamp to RFC 3339 UTC (`2026-11-22T04:00:01Z`). A klog time takes
/// its year from `year` (the bundle's collection time). Unparseable input is kept as is.
pub fn normalize(raw: &str, year: Option<i16>) -> String {
    if let Some(ts) = parse(raw, year) {
        return format_ts(ts);
    }
    raw.to_string()
}

/// Parses either form.
pub fn parse(raw: &str, year: Option<i16>) -> Option<Timestamp> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(ts);
    }
    // klog: MMDD hh:mm:ss[.ffffff]
    let b = raw.as_bytes();
    if b.len() >= 13 && b[4] == b' ' && b[..4].iter().all(u8::is_ascii_digit) {
        let year = year?;
        let (mm, dd) = (&raw[0..2], &raw[2..4]);
        let time = &raw[5..];
        let text = format!("{year:04}-{mm}-{dd}T{time}Z");
        return text.parse::<Timestamp>().ok();
    }
    None
}

fn format_ts(ts: Timestamp) -> String {
    // Whole seconds keep reports readable and comparable across sources.
    let secs = ts.as_second();
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ts.to_string())
}

/// The year of an RFC 3339 time.
pub fn year_of(raw: &str) -> Option<i16> {
    raw.get(..4)?.parse().ok()
}

/// Seconds between two normalized times, when both parse.
pub fn distance(a: &str, b: &str) -> Option<i64> {
    let a = a.parse::<Timestamp>().ok()?;
    let b = b.parse::<Timestamp>().ok()?;
    Some((a.as_second() - b.as_second()).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klog_time_takes_the_bundle_year() {
        assert_eq!(
            normalize("1122 04:00:01.123456", Some(2026)),
            "2026-11-22T04:00:01Z"
        );
        assert_eq!(
            normalize("1122 04:00:01.123456", None),
            "1122 04:00:01.123456"
        );
    }

    #[test]
    fn rfc3339_with_nanos_and_offsets() {
        assert_eq!(
            normalize("2026-11-22T04:00:01.999999999Z", None),
            "2026-11-22T04:00:01Z"
        );
        assert_eq!(
            normalize("2026-11-22T05:00:01+01:00", None),
            "2026-11-22T04:00:01Z"
        );
        assert_eq!(
            distance("2026-11-22T04:00:01Z", "2026-11-22T04:01:01Z"),
            Some(60)
        );
    }
}
