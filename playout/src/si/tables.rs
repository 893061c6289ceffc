//! PSI/SI sections (ISO/IEC 13818-1, ETSI EN 300 468): the PAT, the SDT (actual transport
//! stream) and the EIT (actual transport stream: present/following and schedule), each a
//! complete section with its CRC. Pure bytes: no GStreamer, no clock.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use super::crc::crc32_mpeg2;
use super::text::encode;
use super::ServiceIds;

/// table_id of the PAT.
pub const PAT: u8 = 0x00;
/// table_id of the SDT of the actual transport stream.
pub const SDT_ACTUAL: u8 = 0x42;
/// table_id of the EIT present/following of the actual transport stream.
pub const EIT_PF_ACTUAL: u8 = 0x4E;
/// First table_id of the EIT schedule of the actual transport stream (0x50–0x5F).
pub const EIT_SCHEDULE_ACTUAL: u8 = 0x50;
/// Largest EIT (and SDT) section, in bytes, header and CRC included (EN 300 468 5.1.4).
const MAX_SECTION: usize = 4096;
/// A schedule table covers 4 days of 32 three-hour segments of 8 sections each.
const SEGMENT: i64 = 3 * 3600;
const SEGMENTS: usize = 32;
/// The schedule tables sent: 0x50 (today and the 3 days after) and 0x51 (the next 4), which
/// covers "the next 7 days" from any time of today.
pub const SCHEDULE_TABLES: u8 = 2;

/// One event of the guide, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique within the service over the guide's span.
    pub id: u16,
    pub start: DateTime<Utc>,
    /// Whole seconds (BCD hh:mm:ss, so at most 99:59:59).
    pub duration_s: u32,
    pub title: String,
    /// The content descriptor's nibbles (level 1 << 4 | level 2), when the category maps to one.
    pub content: Option<u8>,
}

/// The content nibbles (EN 300 468 table 29) of Kapok's programme categories
/// (`catalog::programme::Category`, by their Chinese names). The ident category and unknown
/// names have none.
pub fn content_nibbles(category: &str) -> Option<u8> {
    Some(match category {
        "新闻" => 0x20,     // news/current affairs (general)
        "涉农" => 0x90,     // education/science/factual topics (general)
        "应急科普" => 0x92, // technology/natural sciences
        "文化" => 0x70,     // arts/culture (without music), general
        "公益" => 0x80,     // social/political issues/economics, general
        "少儿" => 0x50,     // children's/youth programmes, general
        "综艺" => 0x30,     // show/game show, general
        "纪录" => 0x23,     // news/current affairs: documentary
        "音乐" => 0x60,     // music/ballet/dance, general
        _ => return None,
    })
}

/// A long-form section (syntax indicator 1) with version 0 and its CRC. `private` is the bit
/// after the syntax indicator: '0' in the PAT, reserved_future_use '1' in the SDT and EIT.
fn section(table_id: u8, private: bool, ext: u16, number: u8, last: u8, body: &[u8]) -> Vec<u8> {
    let length = 5 + body.len() + 4;
    let mut s = Vec::with_capacity(3 + length);
    s.push(table_id);
    s.push(0x80 | if private { 0x40 } else { 0 } | 0x30 | ((length >> 8) as u8 & 0x0F));
    s.push(length as u8);
    s.extend_from_slice(&ext.to_be_bytes());
    s.push(0xC1); // reserved '11', version 0, current_next_indicator 1
    s.push(number);
    s.push(last);
    s.extend_from_slice(body);
    let crc = crc32_mpeg2(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

/// `section` with its version_number set to `version` (mod 32) and its CRC recomputed.
pub fn with_version(section: &[u8], version: u8) -> Vec<u8> {
    let mut s = section.to_vec();
    if s.len() < 12 {
        return s;
    }
    s[5] = 0xC1 | ((version & 0x1F) << 1);
    let end = s.len() - 4;
    let crc = crc32_mpeg2(&s[..end]);
    s[end..].copy_from_slice(&crc.to_be_bytes());
    s
}

/// The PAT: one programme, `ids.service_id`, its PMT on `ids.pmt_pid`.
pub fn pat(ids: &ServiceIds) -> Vec<u8> {
    let mut body = ids.service_id.to_be_bytes().to_vec();
    body.extend_from_slice(&(0xE000 | (ids.pmt_pid & 0x1FFF)).to_be_bytes());
    section(PAT, false, ids.transport_stream_id, 0, 0, &body)
}

/// The SDT of the actual transport stream: one service of `service_type` (0x01 digital
/// television, 0x02 digital radio sound) named `name` by `provider`, running, free to air,
/// with EIT schedule and present/following.
pub fn sdt(ids: &ServiceIds, service_type: u8, provider: &str, name: &str) -> Vec<u8> {
    let (provider, _) = encode(provider, 100);
    let (name, _) = encode(name, 100);
    let mut descriptor = vec![0x48, (3 + provider.len() + name.len()) as u8, service_type, provider.len() as u8];
    descriptor.extend_from_slice(&provider);
    descriptor.push(name.len() as u8);
    descriptor.extend_from_slice(&name);
    let mut body = ids.original_network_id.to_be_bytes().to_vec();
    body.push(0xFF); // reserved_future_use
    body.extend_from_slice(&ids.service_id.to_be_bytes());
    body.push(0xFC | 0x02 | 0x01); // EIT_schedule_flag, EIT_present_following_flag
    let loop_word = (4u16 << 13) | (descriptor.len() as u16 & 0x0FFF); // running, free_CA_mode 0
    body.extend_from_slice(&loop_word.to_be_bytes());
    body.extend_from_slice(&descriptor);
    section(SDT_ACTUAL, true, ids.transport_stream_id, 0, 0, &body)
}

/// Modified Julian Date and BCD time of `t` (EN 300 468 Annex C), 5 bytes.
pub fn mjd_bcd(t: DateTime<Utc>) -> [u8; 5] {
    let epoch = NaiveDate::from_ymd_opt(1858, 11, 17).unwrap_or_default();
    let mjd = (t.date_naive() - epoch).num_days() as u16;
    let [a, b] = mjd.to_be_bytes();
    [a, b, bcd(t.hour()), bcd(t.minute()), bcd(t.second())]
}

/// A duration in whole seconds as BCD hh:mm:ss (capped at 99:59:59).
pub fn duration_bcd(seconds: u32) -> [u8; 3] {
    let s = seconds.min(99 * 3600 + 59 * 60 + 59);
    [bcd(s / 3600), bcd(s / 60 % 60), bcd(s % 60)]
}

fn bcd(v: u32) -> u8 {
    (((v / 10 % 10) << 4) | (v % 10)) as u8
}

/// One event of an EIT section: its header, a short_event_descriptor (title, language
/// "chi") and, when it has a category, a content_descriptor.
fn event_bytes(e: &Event, running_status: u8) -> Vec<u8> {
    event_bytes_with(e, running_status, &encode(&e.title, 200).0)
}

/// [`event_bytes`] with the title already encoded.
fn event_bytes_with(e: &Event, running_status: u8, title: &[u8]) -> Vec<u8> {
    let mut descriptors = vec![0x4D, (5 + title.len()) as u8, b'c', b'h', b'i', title.len() as u8];
    descriptors.extend_from_slice(title);
    descriptors.push(0); // text_length
    if let Some(nibbles) = e.content {
        descriptors.extend_from_slice(&[0x54, 2, nibbles, 0]);
    }
    let mut out = e.id.to_be_bytes().to_vec();
    out.extend_from_slice(&mjd_bcd(e.start));
    out.extend_from_slice(&duration_bcd(e.duration_s));
    let word = (u16::from(running_status & 7) << 13) | (descriptors.len() as u16 & 0x0FFF);
    out.extend_from_slice(&word.to_be_bytes());
    out.extend_from_slice(&descriptors);
    out
}

fn eit_section(
    ids: &ServiceIds,
    table_id: u8,
    number: u8,
    last: u8,
    segment_last: u8,
    last_table: u8,
    events: &[u8],
) -> Vec<u8> {
    let mut body = ids.transport_stream_id.to_be_bytes().to_vec();
    body.extend_from_slice(&ids.original_network_id.to_be_bytes());
    body.push(segment_last);
    body.push(last_table);
    body.extend_from_slice(events);
    section(table_id, true, ids.service_id, number, last, &body)
}

/// EIT present/following: section 0 the event on air at `now` (running), section 1 the next
/// one (not yet running); either empty when there is none.
pub fn eit_present_following(ids: &ServiceIds, events: &[Event], now: DateTime<Utc>) -> Vec<Vec<u8>> {
    let end = |e: &Event| e.start + Duration::seconds(i64::from(e.duration_s));
    let present = events.iter().position(|e| e.start <= now && end(e) > now);
    let following = match present {
        Some(i) => events.get(i + 1),
        None => events.iter().find(|e| e.start > now),
    };
    let pf = [present.map(|i| event_bytes(&events[i], 4)), following.map(|e| event_bytes(e, 1))];
    pf.iter()
        .enumerate()
        .map(|(n, ev)| eit_section(ids, EIT_PF_ACTUAL, n as u8, 1, 1, EIT_PF_ACTUAL, ev.as_deref().unwrap_or(&[])))
        .collect()
}

/// EIT schedule, tables 0x50 and 0x51: the events (in start order) that have not ended by `now`, by start
/// time in 3-hour segments from midnight UTC of `now`'s day (ETSI TR 101 211 4.1.4), each
/// segment in up to 8 sections of at most 4096 bytes, an empty section for an empty segment.
/// Returns the sections by table (each table a sub-table with its own version) and how many
/// events did not fit (8 full sections in a segment).
pub fn eit_schedule(ids: &ServiceIds, events: &[Event], now: DateTime<Utc>) -> (Vec<Vec<Vec<u8>>>, usize) {
    let midnight = now.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let last_table = EIT_SCHEDULE_ACTUAL + SCHEDULE_TABLES - 1;
    let room = MAX_SECTION - 3 - 5 - 6 - 4;
    let mut dropped = 0;
    let mut tables = Vec::new();
    // A channel repeats its titles: each is encoded once. Events are in start order, so a
    // segment's events are found by bisection.
    let mut titles: std::collections::HashMap<&str, Vec<u8>> = std::collections::HashMap::new();
    for t in 0..SCHEDULE_TABLES {
        let mut segments: Vec<Vec<Vec<u8>>> = Vec::with_capacity(SEGMENTS);
        for s in 0..SEGMENTS {
            let from = midnight + Duration::seconds((usize::from(t) * SEGMENTS + s) as i64 * SEGMENT);
            let until = from + Duration::seconds(SEGMENT);
            let mut bodies: Vec<Vec<u8>> = vec![Vec::new()];
            let (first, last) =
                (events.partition_point(|e| e.start < from), events.partition_point(|e| e.start < until));
            for e in &events[first..last] {
                if e.start + Duration::seconds(i64::from(e.duration_s)) <= now {
                    continue;
                }
                let title = titles.entry(e.title.as_str()).or_insert_with(|| encode(&e.title, 200).0);
                let bytes = event_bytes_with(e, 0, title);
                let full = bodies.last().is_some_and(|b| b.len() + bytes.len() > room);
                if full && bodies.len() == 8 {
                    dropped += 1;
                    continue;
                }
                if full {
                    bodies.push(Vec::new());
                }
                if let Some(b) = bodies.last_mut() {
                    b.extend_from_slice(&bytes);
                }
            }
            segments.push(bodies);
        }
        let last = ((SEGMENTS - 1) * 8 + segments[SEGMENTS - 1].len() - 1) as u8;
        let table_id = EIT_SCHEDULE_ACTUAL + t;
        let mut sections = Vec::new();
        for (s, bodies) in segments.iter().enumerate() {
            let segment_last = (s * 8 + bodies.len() - 1) as u8;
            for (k, body) in bodies.iter().enumerate() {
                sections.push(eit_section(ids, table_id, (s * 8 + k) as u8, last, segment_last, last_table, body));
            }
        }
        tables.push(sections);
    }
    (tables, dropped)
}

/// Event ids for events in start order: the start's minute count (mod 2^16: one id a minute
/// over 45 days), or one more than the previous event's where that is later, so events less
/// than a minute apart differ (unique for up to 65 536 events).
pub fn event_ids(starts: &[DateTime<Utc>]) -> Vec<u16> {
    let mut last: Option<i64> = None;
    starts
        .iter()
        .map(|s| {
            let minute = s.timestamp().div_euclid(60);
            let id = last.map_or(minute, |l| minute.max(l + 1));
            last = Some(id);
            (id & 0xFFFF) as u16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::si::crc::crc32_mpeg2;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap()
    }

    #[test]
    fn start_times_are_mjd_and_bcd_as_in_the_standard_example() {
        // EN 300 468 Annex C: 93/10/13 12:45:00 is coded "0xC079124500".
        assert_eq!(mjd_bcd(at("1993-10-13T12:45:00Z")), [0xC0, 0x79, 0x12, 0x45, 0x00]);
        assert_eq!(duration_bcd(3600 + 45 * 60 + 30), [0x01, 0x45, 0x30]);
    }

    #[test]
    fn every_section_checks_and_a_new_version_changes_only_version_and_crc() {
        let ids = ServiceIds::default();
        let s = sdt(&ids, 1, "米易县融媒体中心", "米易综合");
        assert_eq!(crc32_mpeg2(&s), 0);
        assert_eq!(usize::from(s[1] & 0x0F) << 8 | usize::from(s[2]), s.len() - 3);
        let v = with_version(&s, 5);
        assert_eq!(crc32_mpeg2(&v), 0);
        assert_eq!((v[5] >> 1) & 0x1F, 5);
        assert_eq!(crc32_mpeg2(&pat(&ids)), 0);
    }

    #[test]
    fn present_following_picks_the_event_on_air_and_the_next() {
        let ids = ServiceIds::default();
        let starts = [at("2026-12-06T10:00:00Z"), at("2026-12-06T10:30:00Z"), at("2026-12-06T11:00:00Z")];
        let ev: Vec<Event> = starts
            .iter()
            .zip(event_ids(&starts))
            .map(|(s, id)| Event { id, start: *s, duration_s: 1800, title: format!("T{id}"), content: Some(0x20) })
            .collect();
        let pf = eit_present_following(&ids, &ev, at("2026-12-06T10:40:00Z"));
        assert_eq!(pf.len(), 2);
        // The first event's id sits right after the 14-byte header.
        assert_eq!(u16::from_be_bytes([pf[0][14], pf[0][15]]), ev[1].id);
        assert_eq!(u16::from_be_bytes([pf[1][14], pf[1][15]]), ev[2].id);
        assert_eq!(pf[0][24] >> 5, 4, "present is running");
        let (tables, dropped) = eit_schedule(&ids, &ev, at("2026-12-06T10:40:00Z"));
        assert_eq!((tables.len(), dropped), (2, 0));
        // One section per segment, the 10:00–13:00 one (segment 3) holding the two not ended.
        assert_eq!(tables[0].len(), 32);
        assert!(tables[0].iter().all(|s| crc32_mpeg2(s) == 0));
        assert!(tables[0][3].len() > 18 && tables[0][2].len() == 18);
    }

    #[test]
    fn event_ids_are_unique_for_starts_within_a_minute() {
        let s = [at("2026-12-06T10:00:00Z"), at("2026-12-06T10:00:20Z"), at("2026-12-06T10:01:00Z")];
        let ids = event_ids(&s);
        assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), 3);
    }
}
