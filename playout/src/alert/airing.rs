//! Airs an alert's programme on one running channel as its insertion plan says: each airing
//! at its time (interrupting at once, or at the next item boundary within the allowed wait),
//! released with the channel's resume policy when the programme ends; cancel takes it off
//! air at the next frame; expiry ends it. Every step is a timestamped [`AiringEvent`] for the
//! audit and as-run logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use schedules::emergency::policy::{InsertionPlan, Interrupt};
use serde::Serialize;

use super::programme::AlertProgramme;
use crate::engine::{EngineHandle, ResumePolicy};

/// How often the airing thread looks at the clock, the cancel flag and the channel.
const TICK: Duration = Duration::from_millis(5);

/// What happened to an airing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AiringKind {
    /// The override was handed to the engine (on air at its next frame).
    OnAir,
    /// The programme ran to its end and the channel resumed.
    Completed,
    /// Cancelled: taken off air (or never put on).
    Cancelled,
    /// The alert expired: taken off air (or never put on).
    Expired,
    /// Crawl only (Minor): the crawl went over the programme (TV).
    CrawlOn,
    /// Nothing aired (kept for records written before crawl-only alerts that cannot crawl
    /// aired as audio instead).
    NotAired,
}

/// One timestamped step of an alert on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiringEvent {
    /// Which airing (0 = first).
    pub airing: usize,
    /// What happened.
    pub kind: AiringKind,
    /// When (wall clock).
    pub at: DateTime<Utc>,
    /// Detail (e.g. "waited 3.2 s for the item boundary").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An alert being aired on one channel.
pub struct AlertOnAir {
    cancel: Arc<AtomicBool>,
    events: Arc<Mutex<Vec<AiringEvent>>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts airing `programme` on the channel of `handle` per `plan`, resuming with `resume`
/// after each airing; a crawl-only plan runs the crawl `crawl_passes` times across the
/// picture. Returns at once.
pub fn air_alert(
    handle: EngineHandle,
    programme: AlertProgramme,
    plan: &InsertionPlan,
    resume: ResumePolicy,
    crawl_passes: u32,
) -> AlertOnAir {
    let cancel = Arc::new(AtomicBool::new(false));
    let events: Arc<Mutex<Vec<AiringEvent>>> = Arc::default();
    let run = Runner {
        handle,
        programme,
        plan: plan.clone(),
        resume,
        crawl_passes,
        cancel: cancel.clone(),
        events: events.clone(),
    };
    let thread = std::thread::Builder::new().name("alert-airing".to_owned()).spawn(move || run.run()).ok();
    if thread.is_none() {
        tracing::error!("cannot start the alert airing thread");
    }
    AlertOnAir { cancel, events, thread }
}

impl AlertOnAir {
    /// Takes the alert off air at the next frame (if it is on) and drops its later airings;
    /// returns every event.
    pub fn cancel(mut self) -> Vec<AiringEvent> {
        self.cancel.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.events()
    }

    /// Waits for every airing to finish (or `timeout`); true when all did.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.thread.as_ref().is_some_and(|t| !t.is_finished()) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(TICK);
        }
        true
    }

    /// The events so far.
    pub fn events(&self) -> Vec<AiringEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

struct Runner {
    handle: EngineHandle,
    programme: AlertProgramme,
    plan: InsertionPlan,
    resume: ResumePolicy,
    crawl_passes: u32,
    cancel: Arc<AtomicBool>,
    events: Arc<Mutex<Vec<AiringEvent>>>,
}

enum Wait {
    Reached,
    Cancelled,
    Expired,
}

impl Runner {
    fn event(&self, airing: usize, kind: AiringKind, note: Option<String>) {
        tracing::info!(alert = self.programme.label(), airing, ?kind, ?note, "alert airing");
        if let Ok(mut e) = self.events.lock() {
            e.push(AiringEvent { airing, kind, at: Utc::now(), note });
        }
    }

    /// Waits until `done()` or the wall-clock time `until`, watching cancel and expiry.
    fn wait(&self, until: Option<DateTime<Utc>>, mut done: impl FnMut() -> bool) -> Wait {
        loop {
            if self.cancel.load(Ordering::SeqCst) || self.handle.is_stopping() {
                return Wait::Cancelled;
            }
            let now = Utc::now();
            if self.plan.until.is_some_and(|u| now >= u) {
                return Wait::Expired;
            }
            if done() || until.is_some_and(|t| now >= t) {
                return Wait::Reached;
            }
            std::thread::sleep(TICK);
        }
    }

    /// One crawl-only airing: `None` when the crawl cannot be drawn (radio, no font, the
    /// slate not ready), else whether the alert goes on (false after cancel, expiry).
    fn crawl(&self, k: usize) -> Option<bool> {
        let (overlay, length) = self.programme.crawl_overlay(self.crawl_passes)?;
        self.handle.set_overlay(Some(overlay));
        self.event(k, AiringKind::CrawlOn, None);
        let end = Utc::now() + chrono::TimeDelta::from_std(length).unwrap_or(chrono::TimeDelta::zero());
        match self.wait(Some(end), || false) {
            Wait::Reached => {
                self.event(k, AiringKind::Completed, None);
                Some(true)
            }
            Wait::Cancelled => {
                self.handle.set_overlay(None);
                self.event(k, AiringKind::Cancelled, Some("crawl removed".into()));
                Some(false)
            }
            Wait::Expired => {
                self.handle.set_overlay(None);
                self.event(k, AiringKind::Expired, Some("crawl removed".into()));
                Some(false)
            }
        }
    }

    fn run(self) {
        for (k, &at) in self.plan.airings.iter().enumerate() {
            match self.wait(Some(at), || false) {
                Wait::Reached => {}
                Wait::Cancelled => return self.event(k, AiringKind::Cancelled, Some("before airing".into())),
                Wait::Expired => return self.event(k, AiringKind::Expired, Some("before airing".into())),
            }
            let mut note = None;
            if self.plan.interrupt == Interrupt::CrawlOnly {
                match self.crawl(k) {
                    Some(true) => continue,
                    Some(false) => return,
                    // Nothing valid is dropped: what cannot crawl airs as sound.
                    None => {
                        note = Some(if self.programme.has_video() {
                            "crawl only, but the crawl could not be drawn: aired as audio with the slate".to_owned()
                        } else {
                            "crawl only, and radio has no picture: aired as audio".to_owned()
                        })
                    }
                }
            }
            if let Interrupt::NextItemBoundary { max_wait_s } = self.plan.interrupt {
                // The engine publishes what is on air; a change is an item boundary.
                let started = Instant::now();
                let before = self.handle.status().now;
                let latest = Utc::now() + chrono::TimeDelta::seconds(i64::from(max_wait_s));
                match self.wait(Some(latest), || self.handle.status().now != before) {
                    Wait::Reached => {}
                    Wait::Cancelled => return self.event(k, AiringKind::Cancelled, Some("before airing".into())),
                    Wait::Expired => return self.event(k, AiringKind::Expired, Some("before airing".into())),
                }
                note = Some(format!("waited {:.1} s for an item boundary", started.elapsed().as_secs_f64()));
            }
            let (tx, rx) = mpsc::channel();
            let (release, resume) = (self.handle.clone(), self.resume);
            let source = self.programme.source(Some(Box::new(move || {
                release.release(resume);
                let _ = tx.send(());
            })));
            self.handle.override_with(source);
            self.event(k, AiringKind::OnAir, note);
            match self.wait(None, || rx.try_recv().is_ok()) {
                Wait::Reached => self.event(k, AiringKind::Completed, Some(self.programme.summary())),
                Wait::Cancelled => {
                    self.handle.release(self.resume);
                    return self.event(k, AiringKind::Cancelled, Some("taken off air".into()));
                }
                Wait::Expired => {
                    self.handle.release(self.resume);
                    return self.event(k, AiringKind::Expired, Some("taken off air".into()));
                }
            }
        }
    }
}
