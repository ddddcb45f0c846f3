//! Time placement: every time a finding carries becomes RFC 3339 UTC or null. A time the
//! rules could not place (a klog prefix without a collection time, free text) is null; a
//! span with one end unknown is unknown at both ends; first never comes after last.

use crate::finding::{Evidence, Finding};
use crate::time::{place, Clock};

/// Places every time of `findings` on the report's time axis.
pub fn place_all(findings: &mut [Finding], clock: Option<&Clock>) {
    for f in findings.iter_mut() {
        for e in &mut f.evidence {
            place_evidence(e, clock);
        }
        let (first, last) = span(f.first_seen.take(), f.last_seen.take(), clock);
        f.first_seen = first;
        f.last_seen = last;
    }
}

fn place_evidence(e: &mut Evidence, clock: Option<&Clock>) {
    let (first, last) = span(e.first_seen.take(), e.last_seen.take(), clock);
    e.first_seen = first;
    e.last_seen = last;
}

/// A first/last pair placed: both set and ordered, or both null. A single known end
/// stands for both when the other was never recorded (an event with only a last time).
fn span(
    first: Option<String>,
    last: Option<String>,
    clock: Option<&Clock>,
) -> (Option<String>, Option<String>) {
    let placed = |t: Option<String>| t.and_then(|t| place(&t, clock));
    match (placed(first.clone()), placed(last.clone())) {
        (Some(a), Some(b)) => {
            if a <= b {
                (Some(a), Some(b))
            } else {
                (Some(b), Some(a))
            }
        }
        // One end was given but cannot be placed: the span is unknown.
        (Some(_), None) if last.is_some() => (None, None),
        (None, Some(_)) if first.is_some() => (None, None),
        (Some(a), None) => (Some(a.clone()), Some(a)),
        (None, Some(b)) => (Some(b.clone()), Some(b)),
        (None, None) => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::of("2026-03-08T09:00:00Z").unwrap()
    }

    #[test]
    fn raw_klog_prefixes_become_rfc3339() {
        // Regression: evidence showed `0308 08:48:39.768029` as its time.
        let got = span(
            Some("0308 08:48:39.768029".into()),
            Some("0308 08:49:01.000001".into()),
            Some(&clock()),
        );
        assert_eq!(
            got,
            (
                Some("2026-03-08T08:48:39Z".into()),
                Some("2026-03-08T08:49:01Z".into())
            )
        );
    }

    #[test]
    fn first_null_with_last_set_never_happens() {
        // Regression: `first_seen` null while `last_seen` was set.
        assert_eq!(
            span(None, Some("2026-03-08T08:00:00Z".into()), None),
            (
                Some("2026-03-08T08:00:00Z".into()),
                Some("2026-03-08T08:00:00Z".into())
            )
        );
        assert_eq!(
            span(
                Some("garbage".into()),
                Some("2026-03-08T08:00:00Z".into()),
                None
            ),
            (None, None)
        );
        assert_eq!(
            span(
                Some("0308 08:48:39.768029".into()),
                Some("2026-03-08T08:00:00Z".into()),
                None
            ),
            (None, None)
        );
    }

    #[test]
    fn first_never_after_last() {
        assert_eq!(
            span(
                Some("2026-03-08T09:00:00Z".into()),
                Some("2026-03-08T08:00:00+00:00".into()),
                None
            ),
            (
                Some("2026-03-08T08:00:00Z".into()),
                Some("2026-03-08T09:00:00Z".into())
            )
        );
    }
}
