//! Timestamps: RFC 3339 from objects and `kubectl logs --timestamps`, and klog's yearless
//! `MMDD hh:mm:ss.ffffff`, brought to one comparable RFC 3339 UTC form. A klog time takes
//! its year and zone from the bundle's collection time; a time that cannot be placed is none.

use jiff::tz::{Offset, TimeZone};
use jiff::{civil, Timestamp};

/// Where klog's yearless, zoneless times are placed: the bundle's collection time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// When the bundle was collected.
    pub collected_at: Timestamp,
    /// The collection time's UTC offset: the zone the collecting machine (and, on AKS, the
    /// nodes, which run in UTC) wrote times in.
    pub offset: Offset,
}

impl Clock {
    /// The clock of a collection time in RFC 3339 (`2026-11-22T04:00:00Z`, or with an offset).
    pub fn of(collected_at: &str) -> Option<Clock> {
        let ts = collected_at.parse::<Timestamp>().ok()?;
        let offset = offset_of(collected_at).unwrap_or(Offset::UTC);
        Some(Clock {
            collected_at: ts,
            offset,
        })
    }

    /// The year of the collection time in its own zone.
    pub fn year(&self) -> i16 {
        self.collected_at
            .to_zoned(TimeZone::fixed(self.offset))
            .year()
    }
}

/// The `+hh:mm` / `Z` suffix of an RFC 3339 time.
fn offset_of(raw: &str) -> Option<Offset> {
    if raw.ends_with('Z') || raw.ends_with('z') {
        return Some(Offset::UTC);
    }
    let tail = raw.get(raw.len().checked_sub(6)?..)?;
    let b = tail.as_bytes();
    if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
        let h: i32 = tail.get(1..3)?.parse().ok()?;
        let m: i32 = tail.get(4..6)?.parse().ok()?;
        let secs = (h * 3600 + m * 60) * if b[0] == b'-' { -1 } else { 1 };
        return Offset::from_seconds(secs).ok();
    }
    None
}

/// Normalizes a raw timestamp to RFC 3339 UTC (`2026-11-22T04:00:01Z`). A klog time takes
/// its year from `year` (the bundle's collection time). Unparseable input is kept as is;
/// [`place`] is the form that refuses it.
pub fn normalize(raw: &str, year: Option<i16>) -> String {
    if let Some(ts) = parse(raw, year) {
        return format_ts(ts);
    }
    raw.to_string()
}

/// kubectl describe's times (`Tue, 07 Aug 2018 20:05:51 +0200`, RFC 2822), or RFC 3339,
/// as RFC 3339 UTC; none when neither parses.
pub fn from_rfc2822(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(format_ts(ts));
    }
    jiff::fmt::rfc2822::parse(raw)
        .ok()
        .map(|z| format_ts(z.timestamp()))
}

/// A raw timestamp (RFC 3339, or klog placed by `clock`) as RFC 3339 UTC, or none when it
/// cannot be placed on the time axis.
pub fn place(raw: &str, clock: Option<&Clock>) -> Option<String> {
    if let Ok(ts) = raw.trim().parse::<Timestamp>() {
        return Some(format_ts(ts));
    }
    let clock = clock?;
    let (month, day, time) = klog_parts(raw.trim())?;
    let tz = TimeZone::fixed(clock.offset);
    let at = |year: i16| -> Option<Timestamp> {
        let date = civil::Date::new(year, month, day).ok()?;
        tz.to_timestamp(date.to_datetime(time)).ok()
    };
    let year = clock.year();
    let ts = at(year)?;
    // A December line collected in January belongs to the year before: a log line cannot
    // be written more than a day after its bundle was collected.
    let ts = if ts.as_second() > clock.collected_at.as_second() + 86_400 {
        at(year - 1)?
    } else {
        ts
    };
    Some(format_ts(ts))
}

/// `MMDD hh:mm:ss[.ffffff]` as month, day and time of day.
fn klog_parts(raw: &str) -> Option<(i8, i8, civil::Time)> {
    let b = raw.as_bytes();
    if b.len() < 13 || b[4] != b' ' || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let month: i8 = raw.get(0..2)?.parse().ok()?;
    let day: i8 = raw.get(2..4)?.parse().ok()?;
    let time: civil::Time = raw.get(5..)?.parse().ok()?;
    Some((month, day, time))
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

/// Seconds since the Unix epoch of an RFC 3339 time.
pub fn seconds(raw: &str) -> Option<i64> {
    raw.parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// An RFC 3339 UTC time of seconds since the Unix epoch.
pub fn from_seconds(secs: i64) -> Option<String> {
    Timestamp::from_second(secs).ok().map(|t| t.to_string())
}

/// A duration flag: `90s`, `10m`, `2h`, `1d`, or plain seconds.
pub fn parse_duration(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let (digits, unit) = raw
        .find(|c: char| !c.is_ascii_digit())
        .map_or((raw, ""), |i| raw.split_at(i));
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("'{raw}' is not a duration (for example 90s, 10m, 2h)"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{raw}' has an unknown unit (s, m, h or d)")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("'{raw}' is too long"))
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

    #[test]
    fn klog_time_takes_year_and_zone_from_the_collection_time() {
        let utc = Clock::of("2026-03-08T09:00:00Z").unwrap();
        assert_eq!(
            place("0308 08:48:39.768029", Some(&utc)).as_deref(),
            Some("2026-03-08T08:48:39Z")
        );
        // Collected at 18:00 in +09:00: the node wrote local times too.
        let tokyo = Clock::of("2026-03-08T18:00:00+09:00").unwrap();
        assert_eq!(
            place("0308 17:48:39.768029", Some(&tokyo)).as_deref(),
            Some("2026-03-08T08:48:39Z")
        );
    }

    #[test]
    fn klog_time_from_december_collected_in_january_is_last_year() {
        let clock = Clock::of("2027-01-01T00:10:00Z").unwrap();
        assert_eq!(
            place("1231 23:59:58.000000", Some(&clock)).as_deref(),
            Some("2026-12-31T23:59:58Z")
        );
    }

    #[test]
    fn a_time_that_cannot_be_placed_is_none() {
        // Regression: raw klog prefixes reached reports when the bundle had no collection time.
        assert_eq!(place("0308 08:48:39.768029", None), None);
        assert_eq!(
            place(
                "yesterday",
                Some(&Clock::of("2026-03-08T09:00:00Z").unwrap())
            ),
            None
        );
        assert_eq!(
            place(
                "1345 08:48:39",
                Some(&Clock::of("2026-03-08T09:00:00Z").unwrap())
            ),
            None
        );
        assert_eq!(
            place("2026-03-08T08:48:39.5+01:00", None).as_deref(),
            Some("2026-03-08T07:48:39Z")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(600));
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5w").is_err());
    }
}
