//! The runner's helper threads: the watcher (polls the schedule source, asks the engine to
//! replan when what lies ahead changed, feeds the prefetcher) and the prefetcher (fills the
//! media cache, replans when media the run lacked has arrived).

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;

use super::runner::{lock, resolved, Shared};
use super::window::{agenda, ahead, changed, live_at, Entry};
use crate::cache::SourceMedia;
use crate::cache::{MediaCache, MediaRef};
use crate::off_air::OffAirAlarm;
use crate::playlist::OnAirPlaylist;
use crate::si::GuideEvent;

/// How often the guide around now (EIT present/following) is read: a republished day is in
/// the EIT within this plus one EIT cycle (1 s).
const GUIDE_NEAR_EVERY: Duration = Duration::from_secs(2);
/// The span read that often, around now.
const GUIDE_NEAR: chrono::Duration = chrono::Duration::hours(6);
/// How often the whole guide (EIT schedule, 8 days from today) is read.
const GUIDE_FAR_EVERY: Duration = Duration::from_secs(60);

/// The SI thread: reads the guide from the schedule source and hands it to the output's SI
/// inserter — the next 6 hours every 2 s, 8 days every minute (a week of playlists is too
/// much to read every 2 s from a remote API).
pub(super) fn guide_loop(shared: &Shared, si: &crate::si::SiHandle) {
    let (mut far, mut near): (Vec<GuideEvent>, Vec<GuideEvent>) = (Vec::new(), Vec::new());
    let mut far_read: Option<std::time::Instant> = None;
    let mut sent: Option<Vec<GuideEvent>> = None;
    let mut send = |far: &[GuideEvent], near: &[GuideEvent], now: chrono::DateTime<Utc>| {
        let (from, until) = (now - GUIDE_NEAR, now + GUIDE_NEAR);
        let mut guide: Vec<GuideEvent> =
            far.iter().filter(|e| e.end <= from || e.start >= until).chain(near).cloned().collect();
        guide.sort_by_key(|e| e.start);
        if sent.as_ref() != Some(&guide) {
            si.set_guide(guide.clone());
            sent = Some(guide);
        }
    };
    while !shared.stopping.load(Ordering::SeqCst) {
        // Around now first (present/following), then the week when due: reading a week of a
        // channel of short items takes a while, and must not hold the present back.
        let now = Utc::now();
        match shared.source.guide(&shared.channel, now - GUIDE_NEAR, now + GUIDE_NEAR) {
            Ok(g) => {
                near = g;
                send(&far, &near, now);
            }
            Err(e) => tracing::warn!(channel = %shared.channel, error = %e, "guide (EIT present/following) not read"),
        }
        if far_read.is_none_or(|t| t.elapsed() >= GUIDE_FAR_EVERY) {
            let midnight = now.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            match shared.source.guide(&shared.channel, midnight, midnight + chrono::Duration::days(8)) {
                Ok(g) => {
                    far = g;
                    far_read = Some(std::time::Instant::now());
                    send(&far, &near, now);
                }
                Err(e) => tracing::warn!(channel = %shared.channel, error = %e, "guide (EIT schedule) not read"),
            }
        }
        si.refresh_schedule();
        let guard = lock(&shared.wake.0);
        let _ = shared.wake.1.wait_timeout_while(guard, GUIDE_NEAR_EVERY, |()| !shared.stopping.load(Ordering::SeqCst));
    }
}

/// The watcher thread: poll, compare what lies ahead, replan on change, feed the prefetcher.
/// Also raises the off-air alarm: an error line at once and every minute while every output
/// target is down.
pub(super) fn watch(shared: &Shared, poll: Duration, prefetch: &mpsc::Sender<Vec<MediaRef>>) {
    let mut first = true;
    let (started, mut alarm) = (std::time::Instant::now(), OffAirAlarm::default());
    loop {
        if !first {
            let guard = lock(&shared.wake.0);
            let _ = shared.wake.1.wait_timeout_while(guard, poll, |()| !shared.stopping.load(Ordering::SeqCst));
        }
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let status = shared.engine.status();
        if alarm.due(status.off_air_s.is_some(), started.elapsed()) {
            let down: Vec<String> = status
                .outputs
                .iter()
                .map(|o| format!("{} {}: {}", o.target, o.state.as_str(), o.failed.as_deref().unwrap_or("-")))
                .collect();
            tracing::error!(channel = %shared.channel, off_air_s = status.off_air_s.unwrap_or_default(),
                outputs = %down.join("; "), "OFF AIR: every output target is down; retrying them");
        }
        let now = shared.wall.now();
        let merged = shared.refresh(now);
        let fresh = merged.as_ref().map(|m| ahead(&agenda(m), now, now + shared.window)).unwrap_or_default();
        let loaded = lock(&shared.loaded).clone();
        let until = *lock(&shared.loaded_until);
        // The first round only starts the prefetch: the engine is loading the same schedule.
        if !std::mem::take(&mut first) && changed(&fresh, &loaded, now, until, shared.window) {
            tracing::info!(channel = %shared.channel, "schedule changed: applying it after the item on air");
            shared.replans.fetch_add(1, Ordering::Relaxed);
            if let Some(merged) = &merged {
                prepare_next(shared, merged, &loaded, now);
            }
            shared.engine.return_after_item();
        }
        let fillers = lock(&shared.extras).fillers.clone();
        let media: Vec<MediaRef> =
            fresh.iter().map(|e| &e.item).chain(&fillers).filter_map(|item| item.source.media()).collect();
        if !media.is_empty() {
            let _ = prefetch.send(media);
        }
    }
}

/// Opens, ahead, the item the changed schedule airs when the item on air ends, so the switch
/// does not wait for it to open.
fn prepare_next(shared: &Shared, merged: &OnAirPlaylist, loaded: &[Entry], now: chrono::DateTime<Utc>) {
    let slip = lock(&shared.slip).ahead;
    let published = now + slip;
    let Some(current) = loaded.iter().find(|e| e.start <= published && e.end > published) else { return };
    let Some((live, _)) = live_at(merged, current.end - slip, slip, shared.tolerance()) else { return };
    let (live, _) = resolved(shared, live);
    if let Some(first) = live.items.into_iter().next() {
        shared.engine.prepare(first);
    }
}

/// The prefetch thread: fetch what the window needs; replan when media the run lacked arrived.
pub(super) fn prefetch_loop(shared: &Shared, cache: &MediaCache, rx: &mpsc::Receiver<Vec<MediaRef>>) {
    while let Ok(mut media) = rx.recv() {
        while let Ok(newer) = rx.try_recv() {
            media = newer;
        }
        let report = cache.prefetch(&media);
        if report.fetched > 0 {
            tracing::info!(channel = %shared.channel, fetched = report.fetched, present = report.present, "media prefetched");
        }
        for (key, reason) in &report.failed {
            tracing::warn!(channel = %shared.channel, key, reason, "prefetch failed: cached media still airs");
        }
        let arrived = lock(&shared.missing).iter().chain(&lock(&shared.extras).missing).any(|m| cache.get(m).is_some());
        if arrived {
            shared.engine.return_after_item();
        }
    }
}
