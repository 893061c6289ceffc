//! Which stored segments make up an upload. Pure logic over segment names.
//!
//! Each request appends segments named `{start:020}-{end:020}` (byte offsets, end exclusive).
//! Normally they tile `0..length` exactly; a request that lost its claim may have left a
//! stray segment beside them (same bytes of the same file, other boundaries). [`chain`] picks a
//! run of segments from 0 to the length, preferring the longest step at each offset.

use std::collections::BTreeMap;

/// The object name of the segment holding bytes `start..end`.
pub fn segment_name(start: i64, end: i64) -> String {
    format!("{start:020}-{end:020}")
}

/// The byte range of a segment name, if it is one.
pub fn parse_segment_name(name: &str) -> Option<(i64, i64)> {
    let (a, b) = name.split_once('-')?;
    if a.len() != 20 || b.len() != 20 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (start, end) = (a.parse().ok()?, b.parse().ok()?);
    (start < end).then_some((start, end))
}

/// Segments (`(start, end)`) covering `0..length` end to end, or `None` when there is a gap.
/// `sizes` gives each named segment's stored size; one whose size disagrees with its name
/// (a torn write) is not used.
pub fn chain(segments: &[((i64, i64), u64)], length: i64) -> Option<Vec<(i64, i64)>> {
    let mut by_start: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &((start, end), size) in segments {
        if u64::try_from(end - start).ok() == Some(size) && end <= length {
            by_start.entry(start).or_default().push(end);
        }
    }
    for ends in by_start.values_mut() {
        ends.sort_unstable_by(|a, b| b.cmp(a));
    }
    // Depth-first from 0, longest step first, with an explicit stack (uploads have thousands
    // of segments); `dead` remembers offsets that lead nowhere.
    let mut path: Vec<(i64, i64)> = Vec::new();
    let mut tried: Vec<usize> = vec![0];
    let mut dead = std::collections::HashSet::new();
    let mut at = 0;
    while at != length {
        let ends = by_start.get(&at).map(Vec::as_slice).unwrap_or_default();
        let next = tried.last().copied().unwrap_or(0);
        match ends.get(next).filter(|end| !dead.contains(*end)) {
            Some(&end) => {
                path.push((at, end));
                tried.push(0);
                at = end;
            }
            None if next < ends.len() => {
                if let Some(t) = tried.last_mut() {
                    *t += 1;
                }
            }
            None => {
                dead.insert(at);
                tried.pop();
                let (start, _) = path.pop()?;
                at = start;
                if let Some(t) = tried.last_mut() {
                    *t += 1;
                }
            }
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(a: i64, b: i64) -> ((i64, i64), u64) {
        ((a, b), (b - a) as u64)
    }

    #[test]
    fn names_round_trip_and_other_names_are_not_segments() {
        assert_eq!(parse_segment_name(&segment_name(8, 4096)), Some((8, 4096)));
        for bad in ["", "1-2", "00000000000000000005-00000000000000000005", "x0000000000000000000-00000000000000000001"]
        {
            assert_eq!(parse_segment_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn tiled_segments_chain_in_order() {
        assert_eq!(chain(&[seg(10, 30), seg(0, 10)], 30), Some(vec![(0, 10), (10, 30)]));
    }

    #[test]
    fn a_stray_segment_is_stepped_around_and_a_gap_is_none() {
        // A request wrote 0..25 and lost its claim; the winner wrote 0..10 and 10..30.
        let s = [seg(0, 10), seg(10, 30), seg(0, 25)];
        assert_eq!(chain(&s, 30), Some(vec![(0, 10), (10, 30)]));
        assert_eq!(chain(&[seg(0, 10), seg(11, 30)], 30), None);
        assert_eq!(chain(&[], 0), Some(vec![]));
    }

    #[test]
    fn a_torn_segment_whose_size_disagrees_with_its_name_is_not_used() {
        assert_eq!(chain(&[((0, 10), 4)], 10), None);
    }
}
