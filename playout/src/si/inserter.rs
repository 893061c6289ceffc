//! [`Inserter`]: the SI put into the mux's output (see the module docs of `si`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::packets::{packetize, pid, Packet};
use super::tables::{self, Event};
use super::{GuideEvent, ServiceIds, ServiceInfo};

const PAT_PID: u16 = 0x0000;
const SDT_PID: u16 = 0x0011;
const EIT_PID: u16 = 0x0012;
/// SDT and EIT present/following repetition (ETSI TR 101 211: at most 2 s).
const PF_EVERY: Duration = Duration::from_secs(1);
/// EIT schedule repetition (ETSI TR 101 211: 10 s for the first days of the actual TS).
const SCHEDULE_EVERY: Duration = Duration::from_secs(10);
/// How often an unchanged guide's schedule is rebuilt, to drop the events that ended and
/// move on at midnight (a new guide is built at once).
const SCHEDULE_REBUILD: Duration = Duration::from_secs(60);
/// Schedule packets added per mux buffer (one UDP datagram's worth), so a large schedule
/// is spread over the stream instead of bursting.
const SCHEDULE_PACKETS_PER_BUFFER: usize = 7;
/// The EIT schedule's share of the stream: 24 packets a second (36 kbit/s). A week of
/// hour-long programmes (~170 events, ~70 sections) is sent in ~3 s, inside the 10 s cycle; a
/// week of 30-second demo items (~20 000 events) takes minutes per cycle rather than
/// doubling a radio channel's bitrate.
const SCHEDULE_PACKETS_PER_SECOND: f64 = 24.0;

/// The EIT schedule's sections by table, and how many events did not fit.
type Schedule = (Vec<Vec<Vec<u8>>>, usize);

#[derive(Default)]
struct Guide {
    ids: ServiceIds,
    events: Arc<Vec<Event>>,
    /// Wall clock of stream time zero (the channel's epoch), once known.
    epoch: Option<DateTime<Utc>>,
    /// The schedule built from `events` ([`SiHandle::refresh_schedule`]), `None` when stale.
    schedule: Option<Arc<Schedule>>,
    built: Option<Instant>,
    /// Bumped on each new schedule, so it is queued at once.
    generation: u64,
}

fn lock(m: &Mutex<Guide>) -> MutexGuard<'_, Guide> {
    // The guide is replaced whole: a poisoned lock still holds a consistent one.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Feeds an [`Inserter`] from other threads: the guide (the published schedule) and the wall
/// clock of stream time zero.
#[derive(Clone, Default)]
pub struct SiHandle {
    guide: Arc<Mutex<Guide>>,
}

impl SiHandle {
    /// Replaces the guide: the next EIT present/following (within a second) and schedule
    /// carry it, with new version numbers where it changed. Events are sorted, overlapping
    /// and empty ones dropped.
    pub fn set_guide(&self, mut guide: Vec<GuideEvent>) {
        guide.sort_by_key(|e| e.start);
        guide.dedup_by(|b, a| b.start < a.end); // a later event starting inside an earlier one
        guide.retain(|e| e.end > e.start);
        let starts: Vec<DateTime<Utc>> = guide.iter().map(|e| e.start).collect();
        let events = guide
            .into_iter()
            .zip(tables::event_ids(&starts))
            .map(|(e, id)| Event {
                id,
                start: e.start,
                duration_s: u32::try_from((e.end - e.start).num_seconds()).unwrap_or(u32::MAX),
                content: e.category.as_deref().and_then(tables::content_nibbles),
                title: e.title,
            })
            .collect();
        let mut g = lock(&self.guide);
        g.events = Arc::new(events);
        g.schedule = None;
    }

    /// Rebuilds the EIT schedule from the guide when it changed, else every minute (events
    /// end, a new day starts). Call it off the streaming thread (the channel's SI thread does): a
    /// week of short items takes a while to encode.
    pub fn refresh_schedule(&self) {
        self.refresh_schedule_at(Utc::now());
    }

    /// [`SiHandle::refresh_schedule`] as of wall-clock `now`.
    pub fn refresh_schedule_at(&self, now: DateTime<Utc>) {
        let (ids, events, due) = {
            let g = lock(&self.guide);
            let due = g.schedule.is_none() || g.built.is_none_or(|b| b.elapsed() >= SCHEDULE_REBUILD);
            (g.ids, g.events.clone(), due)
        };
        if !due {
            return;
        }
        let schedule = tables::eit_schedule(&ids, &events, now);
        let mut g = lock(&self.guide);
        g.schedule = Some(Arc::new(schedule));
        g.built = Some(Instant::now());
        g.generation += 1;
    }

    /// Sets the wall clock of stream time zero; until then "now" is the system clock.
    pub fn set_epoch(&self, epoch: DateTime<Utc>) {
        lock(&self.guide).epoch = Some(epoch);
    }
}

struct Versioned {
    content: Vec<Vec<u8>>,
    version: u8,
}

/// Puts the SI into the TS: see the module docs of `si`. Called for each buffer of the mux's
/// output, in order, from one thread.
pub struct Inserter {
    info: ServiceInfo,
    handle: SiHandle,
    counters: HashMap<u16, u8>,
    versions: HashMap<u8, Versioned>,
    next_pf: Option<Duration>,
    next_schedule: Option<Duration>,
    generation: u64,
    pending: VecDeque<Packet>,
    /// Schedule sections queued (version, schedule, table, section), packetized as sent.
    queued: VecDeque<(u8, Arc<Schedule>, usize, usize)>,
    /// Schedule packets that may be sent now (refilled at [`SCHEDULE_PACKETS_PER_SECOND`]).
    allowance: f64,
    last_at: Option<Duration>,
    started: Instant,
    dropped_logged: bool,
}

impl Inserter {
    /// An inserter for `info`, fed through the returned handle.
    pub fn new(info: ServiceInfo) -> (Inserter, SiHandle) {
        let handle = SiHandle::default();
        lock(&handle.guide).ids = info.ids;
        let inserter = Inserter {
            info,
            handle: handle.clone(),
            counters: HashMap::new(),
            versions: HashMap::new(),
            next_pf: None,
            next_schedule: None,
            generation: 0,
            pending: VecDeque::new(),
            queued: VecDeque::new(),
            allowance: 0.0,
            last_at: None,
            started: Instant::now(),
            dropped_logged: false,
        };
        (inserter, handle)
    }

    /// Rewrites the PAT packets of `ts` (whole TS packets of the mux) in place and returns
    /// the SI packets to send after it. `stream_time` is the buffer's timestamp (its running
    /// time; `None`: time since the inserter started).
    pub fn process(&mut self, ts: &mut [u8], stream_time: Option<Duration>) -> Vec<Packet> {
        let at = stream_time.unwrap_or_else(|| self.started.elapsed());
        let mut pat = None;
        for packet in ts.chunks_exact_mut(188) {
            if packet[0] == 0x47 && pid(packet) == PAT_PID {
                let ours = pat.get_or_insert_with(|| tables::pat(&self.info.ids));
                let mut cc = self.counter(PAT_PID);
                let p = packetize(PAT_PID, ours, &mut cc);
                self.counters.insert(PAT_PID, cc);
                if let Some(first) = p.first() {
                    packet.copy_from_slice(first);
                }
            }
        }
        let (now, generation) = {
            let g = lock(&self.handle.guide);
            (g.epoch.map_or_else(Utc::now, |e| e + chrono::Duration::from_std(at).unwrap_or_default()), g.generation)
        };
        let mut out = Vec::new();
        if self.next_pf.is_none_or(|t| at >= t) {
            self.next_pf = Some(at + PF_EVERY);
            let sdt = tables::sdt(&self.info.ids, self.info.service_type(), &self.info.provider, &self.info.name);
            self.emit(SDT_PID, tables::SDT_ACTUAL, vec![sdt], &mut out);
            let pf = tables::eit_present_following(&self.info.ids, &lock(&self.handle.guide).events, now);
            self.emit(EIT_PID, tables::EIT_PF_ACTUAL, pf, &mut out);
        }
        let rebuild = generation != self.generation || self.next_schedule.is_none_or(|t| at >= t);
        let schedule = lock(&self.handle.guide).schedule.clone();
        if let (true, true, Some(schedule)) = (rebuild, self.pending.is_empty() && self.queued.is_empty(), schedule) {
            self.generation = generation;
            self.next_schedule = Some(at + SCHEDULE_EVERY);
            if schedule.1 > 0 && !std::mem::replace(&mut self.dropped_logged, true) {
                tracing::warn!(service = %self.info.name, dropped = schedule.1, "EIT schedule: events past 8 full sections a 3-hour segment left out");
            }
            for (t, sections) in schedule.0.iter().enumerate() {
                let version = self.version(tables::EIT_SCHEDULE_ACTUAL + t as u8, sections);
                self.queued.extend((0..sections.len()).map(|s| (version, schedule.clone(), t, s)));
            }
        }
        let elapsed = self.last_at.map_or(Duration::ZERO, |last| at.saturating_sub(last));
        self.last_at = Some(at);
        let cap = SCHEDULE_PACKETS_PER_BUFFER as f64;
        self.allowance = (self.allowance + elapsed.as_secs_f64() * SCHEDULE_PACKETS_PER_SECOND).min(cap);
        let n = self.allowance as usize;
        while self.pending.len() < n {
            let Some((version, schedule, t, s)) = self.queued.pop_front() else { break };
            let mut cc = 0; // stamped below
            self.pending.extend(packetize(EIT_PID, &tables::with_version(&schedule.0[t][s], version), &mut cc));
        }
        let n = n.min(self.pending.len());
        self.allowance -= n as f64;
        out.extend(self.pending.drain(..n));
        // Continuity counters are stamped as packets leave, in order: schedule packets wait in
        // `pending` while present/following packets on the same PID overtake them.
        for p in &mut out {
            let pid = pid(p);
            let cc = self.counters.entry(pid).or_insert(0);
            p[3] = (p[3] & 0xF0) | *cc;
            *cc = (*cc + 1) & 0x0F;
        }
        out
    }

    /// The version of sub-table `table_id` with `sections` (built with version 0): moved on
    /// when they differ from those it was last given.
    fn version(&mut self, table_id: u8, sections: &[Vec<u8>]) -> u8 {
        match self.versions.get_mut(&table_id) {
            Some(v) if v.content == sections => v.version,
            Some(v) => {
                v.version = (v.version + 1) & 0x1F;
                v.content = sections.to_vec();
                v.version
            }
            None => {
                self.versions.insert(table_id, Versioned { content: sections.to_vec(), version: 0 });
                0
            }
        }
    }

    fn counter(&self, pid: u16) -> u8 {
        self.counters.get(&pid).copied().unwrap_or(0)
    }

    /// Packetizes the sub-table `table_id` (its sections built with version 0), its version
    /// moved on when its content changed since it was last sent.
    fn emit(&mut self, pid: u16, table_id: u8, sections: Vec<Vec<u8>>, out: &mut Vec<Packet>) {
        let version = self.version(table_id, &sections);
        let mut cc = 0; // stamped again as the packets leave
        for s in &sections {
            out.extend(packetize(pid, &tables::with_version(s, version), &mut cc));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::si::ServiceIds;

    fn info() -> ServiceInfo {
        ServiceInfo {
            ids: ServiceIds::default(),
            name: "米易综合".into(),
            provider: "米易县融媒体中心".into(),
            radio: false,
        }
    }

    #[test]
    fn pat_is_replaced_in_place_and_si_follows_at_its_rates() {
        let (mut ins, handle) = Inserter::new(info());
        let t0 = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().with_timezone(&Utc);
        handle.set_epoch(t0);
        handle.set_guide(vec![GuideEvent {
            start: t0,
            end: t0 + chrono::Duration::minutes(30),
            title: "新闻联播".into(),
            category: Some("新闻".into()),
        }]);
        handle.refresh_schedule_at(t0);
        let mut ts = vec![0u8; 188 * 2];
        ts[0] = 0x47; // PAT
        ts[188] = 0x47;
        ts[189] = 0x01; // PID 0x100
        let extra = ins.process(&mut ts, Some(Duration::ZERO));
        assert_eq!(u16::from_be_bytes([ts[5 + 3], ts[5 + 4]]), 1, "our PAT's transport_stream_id");
        assert_eq!(ts[189], 0x01, "other packets untouched");
        let pids: Vec<u16> = extra.iter().map(|p| pid(p)).collect();
        assert!(pids.contains(&SDT_PID) && pids.contains(&EIT_PID), "{pids:?}");
        // Half a second later: nothing due but the rest of the schedule.
        let more = ins.process(&mut [], Some(Duration::from_millis(500)));
        assert!(more.iter().all(|p| pid(p) == EIT_PID && p[5] >= 0x50 || p[1] & 0x40 == 0));
        // The p/f version moves on when the guide changes.
        handle.set_guide(Vec::new());
        let _ = ins.process(&mut [], Some(Duration::from_millis(1000)));
        assert_eq!(ins.versions[&tables::EIT_PF_ACTUAL].version, 1);
        assert_eq!(ins.versions[&tables::SDT_ACTUAL].version, 0);
    }

    #[test]
    fn continuity_counters_run_on_per_pid_while_the_schedule_is_spread_over_buffers() {
        let (mut ins, handle) = Inserter::new(info());
        let t0 = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().with_timezone(&Utc);
        handle.set_epoch(t0);
        let guide = (0..2000)
            .map(|i| GuideEvent {
                start: t0 + chrono::Duration::minutes(i),
                end: t0 + chrono::Duration::minutes(i + 1),
                title: format!("节目{i}"),
                category: None,
            })
            .collect();
        handle.set_guide(guide);
        handle.refresh_schedule_at(t0);
        let mut last: HashMap<u16, u8> = HashMap::new();
        let mut sent = 0;
        for ms in (0..20_000).step_by(40) {
            for p in ins.process(&mut [], Some(Duration::from_millis(ms))) {
                let cc = p[3] & 0x0F;
                if let Some(before) = last.insert(pid(&p), cc) {
                    assert_eq!(cc, (before + 1) & 0x0F, "PID {:#x} at {ms} ms", pid(&p));
                }
                sent += 1;
            }
        }
        // 20 s: SDT and p/f once a second, the schedule at its budget.
        assert!(sent <= 20 * (1 + 2) + (20.0 * SCHEDULE_PACKETS_PER_SECOND) as usize + 7, "{sent} packets");
        assert!(sent > 400, "{sent} packets");
    }
}
