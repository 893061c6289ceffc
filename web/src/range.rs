//! HTTP `Range: bytes=…` for downloads and previews (RFC 9110 §14), one range per request.
//! Pure: the header text and the object size in, what to serve out.

use std::ops::Range;

/// What to serve for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// 200: the whole object (no Range, or one this server ignores, such as several ranges).
    Full,
    /// 206: these bytes.
    Partial(Range<u64>),
    /// 416: the range lies wholly past the end.
    Unsatisfiable,
}

/// Decides what to serve for `header` (the Range value, if any) on an object of `size` bytes.
/// A syntactically bad or multi-range header is ignored (served in full), as RFC 9110 allows.
pub fn decide(header: Option<&str>, size: u64) -> Served {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Served::Full };
    if spec.contains(',') {
        return Served::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else { return Served::Full };
    let (start, end) = (start.trim(), end.trim());
    let parse = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (start.is_empty(), end.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match parse(end) {
            Some(0) => Served::Unsatisfiable,
            Some(_) if size == 0 => Served::Unsatisfiable,
            Some(n) => Served::Partial(size.saturating_sub(n)..size),
            None => Served::Full,
        },
        // bytes=A- : from A to the end.
        (false, true) => match parse(start) {
            Some(a) if a >= size => Served::Unsatisfiable,
            Some(a) => Served::Partial(a..size),
            None => Served::Full,
        },
        // bytes=A-B, inclusive; B past the end is cut at the end.
        (false, false) => match (parse(start), parse(end)) {
            (Some(a), Some(b)) if a > b => Served::Full,
            (Some(a), Some(_)) if a >= size => Served::Unsatisfiable,
            (Some(a), Some(b)) => Served::Partial(a..b.saturating_add(1).min(size)),
            _ => Served::Full,
        },
        (true, true) => Served::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        let cases: &[(Option<&str>, Served)] = &[
            (None, Served::Full),
            (Some("bytes=0-99"), Served::Partial(0..100)),
            (Some("bytes=100-"), Served::Partial(100..1000)),
            (Some("bytes=-10"), Served::Partial(990..1000)),
            (Some("bytes=-5000"), Served::Partial(0..1000)),
            (Some("bytes=900-5000"), Served::Partial(900..1000)),
            (Some("bytes=1000-"), Served::Unsatisfiable),
            (Some("bytes=1000-1001"), Served::Unsatisfiable),
            (Some("bytes=-0"), Served::Unsatisfiable),
            (Some("bytes=5-1"), Served::Full),
            (Some("bytes=0-1,5-6"), Served::Full),
            (Some("items=0-1"), Served::Full),
            (Some("bytes=x-1"), Served::Full),
            (Some("bytes=+1-2"), Served::Full),
            (Some("bytes=99999999999999999999999-"), Served::Full),
        ];
        for (h, want) in cases {
            assert_eq!(&decide(*h, 1000), want, "{h:?}");
        }
        assert_eq!(decide(Some("bytes=-1"), 0), Served::Unsatisfiable);
    }
}
