//! UTC timestamps without a date library: RFC 3339 for the manifest and the compact
//! `YYYYMMDDTHHMMSSZ` form for bundle names.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant broken into calendar fields (second precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Utc {
    /// The calendar fields of `at`; instants before 1970 clamp to the epoch.
    pub(crate) fn from_system(at: SystemTime) -> Self {
        let secs = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// `2026-11-22T04:00:00Z`.
    pub(crate) fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `20261122T040000Z`, for file names.
    pub(crate) fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Now, as RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    Utc::from_system(SystemTime::now()).rfc3339()
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> Utc {
        Utc::from_system(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(at(0).rfc3339(), "1970-01-01T00:00:00Z");
        // 2026-11-22T04:00:00Z
        assert_eq!(at(1_795_320_000).rfc3339(), "2026-11-22T04:00:00Z");
        assert_eq!(at(1_795_320_000).compact(), "20261122T040000Z");
        // Leap day.
        assert_eq!(at(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(at(951_868_799).rfc3339(), "2000-02-29T23:59:59Z");
    }
}
