//! The emergency desk's memory in the catalog: writing what the desk queued (alerts, state
//! changes, airings, as-run lines of interruptions and resumes), taking alerts back after a
//! restart, and the timer that expires alerts and records airings as they happen.

use std::future::Future;
use std::time::Duration;

use catalog::alert::AlertRecord;
use catalog::audit::Actor;
use catalog::Store;
use chrono::{DateTime, TimeDelta, Utc};
use schedules::emergency::area_code::AreaCode;
use schedules::emergency::lifecycle::{AlertState, Tracked, Transition};
use schedules::emergency::scope::SenderScope;
use schedules::emergency::Alert;

use crate::desk::records::DeskRecord;
use crate::desk::EmergencyDesk;

/// How often the timer expires alerts and records airing events.
pub const TICK: Duration = Duration::from_millis(250);

/// How far back ended alerts are reloaded at start: their keys refuse replays of messages
/// the replay window would still accept.
pub const REMEMBER: TimeDelta = TimeDelta::hours(2);

/// Writes everything the desk has queued, in order. A write the catalog refuses for good (an
/// unknown alert, say) is logged and dropped. When the database does not answer, the record
/// (what of it was not yet written) and every later one go back to the front of the desk's
/// queue for the next flush (the timer's, every [`TICK`]), in order: the desk keeps working
/// and airing through an outage, and what it did is stored once the catalog is back.
pub async fn flush(desk: &EmergencyDesk, store: &Store) {
    let _order = desk.flush_lock.lock().await;
    let desk_actor = Actor::system("emergency");
    let mut records = desk.take_records().into_iter();
    while let Some(mut r) = records.next() {
        if let Err(e) = write(store, &desk_actor, &mut r).await {
            let mut kept = vec![r];
            kept.extend(records);
            tracing::error!(error = %e, records = kept.len(), "alert records not stored; kept for the next try");
            desk.requeue(kept);
            return;
        }
    }
}

/// Writes one record, taking out each part once it is stored. `Err` only when the database
/// did not answer; the part that failed is still in `r`.
async fn write(store: &Store, desk_actor: &Actor, r: &mut DeskRecord) -> catalog::Result<()> {
    let actor = r.actor.clone().unwrap_or_else(|| desk_actor.clone());
    if let Some(new) = &r.new {
        match store.insert_alert(&actor, new).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(alert = %r.key, "alert already stored"),
            Err(e) if unanswered(&e) => return Err(e),
            Err(e) => tracing::error!(alert = %r.key, error = %e, "alert not stored"),
        }
        r.new = None;
    }
    if !r.events.is_empty() {
        match store.record_alert_events(&actor, &r.key, &r.events).await {
            Ok(()) => {}
            Err(e) if unanswered(&e) => return Err(e),
            Err(e) => tracing::error!(alert = %r.key, error = %e, steps = r.events.len(), "alert steps not stored"),
        }
        r.events.clear();
    }
    while let Some(line) = r.as_run.first() {
        match store.record_as_run(line).await {
            Ok(_) => {}
            Err(e) if unanswered(&e) => return Err(e),
            Err(e) => tracing::error!(alert = %r.key, channel = %line.channel, error = %e, "alert as-run not stored"),
        }
        r.as_run.remove(0);
    }
    Ok(())
}

/// Whether a write failed because the database did not answer (worth trying again), not
/// because it refused the write.
fn unanswered(e: &catalog::CatalogError) -> bool {
    matches!(e, catalog::CatalogError::Database(_))
}

/// An alert as the desk tracks it, rebuilt from its stored row and steps.
///
/// # Errors
/// A message when the stored alert or state no longer parses (an older, incompatible form).
pub fn tracked_from(record: &AlertRecord, events: &[catalog::alert::AlertEvent]) -> Result<Tracked, String> {
    let alert: Alert = serde_json::from_value(record.alert.clone()).map_err(|e| format!("stored alert: {e}"))?;
    let state = AlertState::parse(&record.state).ok_or_else(|| format!("stored state {:?}", record.state))?;
    let key = alert.key();
    let history = events
        .iter()
        .filter(|e| e.is_state_change())
        .filter_map(|e| {
            let to = AlertState::parse(&e.event)?;
            let from = e.from_state.as_deref().and_then(AlertState::parse);
            Some(Transition { at: e.at, key: key.clone(), from, to })
        })
        .collect();
    Ok(Tracked { alert, state, history })
}

/// Takes back into `desk` the alerts stored before this start (live ones, and those sent
/// within [`REMEMBER`]), then writes what restoring them recorded. Returns how many.
///
/// # Errors
/// `Database` when the alerts cannot be read; an alert that no longer parses is skipped
/// (logged), not fatal.
pub async fn restore(desk: &EmergencyDesk, store: &Store, now: DateTime<Utc>) -> catalog::Result<usize> {
    let mut tracked = Vec::new();
    for record in store.alerts_to_restore(now - REMEMBER).await? {
        let events = store.alert_events(&record.key).await?;
        match tracked_from(&record, &events).and_then(|t| Ok((t, scope_of(&record)?))) {
            Ok(t) => tracked.push(t),
            Err(e) => tracing::warn!(alert = %record.key, error = %e, "stored alert not restored"),
        }
    }
    let n = desk.restore(tracked, now);
    flush(desk, store).await;
    if n > 0 {
        tracing::info!(alerts = n, "emergency alerts restored from the catalog");
    }
    Ok(n)
}

/// The area the sender of a stored alert may interrupt.
///
/// # Errors
/// A message when the stored code no longer parses.
pub fn scope_of(record: &AlertRecord) -> Result<SenderScope, String> {
    match record.scope.as_deref() {
        None => Ok(SenderScope::Network),
        Some(code) => AreaCode::parse(code).map(SenderScope::Area).map_err(|e| format!("stored scope: {e}")),
    }
}

/// Where [`pull_peers`] has read up to: the id of the newest alert step seen.
#[derive(Debug, Default, Clone, Copy)]
pub struct PeerMark(i64);

/// How many steps before the mark [`pull_peers`] reads again: on PostgreSQL a step's id is
/// taken before its transaction commits, so a slower transaction can appear below ids
/// already read. Re-reading is cheap (known alerts are skipped).
const PEER_LOOKBACK: i64 = 256;

impl PeerMark {
    /// The mark at start-up (after [`restore`], which took in everything stored before).
    ///
    /// # Errors
    /// `Database` when the catalog does not answer.
    pub async fn now(store: &Store) -> catalog::Result<Self> {
        store.last_alert_event_id().await.map(Self)
    }
}

/// Takes in the alerts other servers of this catalog stored since `mark` (every API node
/// behind a balancer hears every alert, whichever node took it in). Returns how many were
/// new here. A database that does not answer is logged; the next pull reads from the same
/// mark.
pub async fn pull_peers(desk: &EmergencyDesk, store: &Store, mark: &mut PeerMark, now: DateTime<Utc>) -> usize {
    let rows = match store.alerts_stored_after((mark.0 - PEER_LOOKBACK).max(0)).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::debug!(error = %e, "alerts of other servers not read");
            return 0;
        }
    };
    let mut taken = 0;
    for (id, record) in rows {
        mark.0 = mark.0.max(id);
        // What ended before it was seen here needs nothing (a Cancel or Update still ends
        // what it names), nor does what is older than the replay memory.
        let ends_others = matches!(record.msg_type.as_str(), "Cancel" | "Update");
        if (record.is_terminal() && !ends_others) || record.received_at < now - REMEMBER {
            continue;
        }
        let Ok(alert) = serde_json::from_value::<Alert>(record.alert.clone()) else {
            tracing::warn!(alert = %record.key, "stored alert of another server no longer parses");
            continue;
        };
        if desk.knows(&alert.key()) {
            continue;
        }
        match scope_of(&record) {
            Ok(scope) => {
                let d = desk.clone();
                // Airing joins threads and builds programmes: not on the async workers.
                let r = tokio::task::spawn_blocking(move || d.take_in_peer(alert, scope, now)).await;
                if matches!(r, Ok(true)) {
                    taken += 1;
                }
            }
            Err(e) => tracing::warn!(alert = %record.key, error = %e, "alert of another server not taken in"),
        }
    }
    taken
}

/// Deletes ended alerts older than the desk's retention from the catalog, and forgets ended
/// alerts the desk no longer needs in memory.
pub async fn prune(desk: &EmergencyDesk, store: &Store, now: chrono::DateTime<Utc>) {
    let forgotten = desk.forget_ended(now);
    match store.prune_alerts(now - desk.retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(alerts = n, forgotten, "ended alerts past their retention deleted"),
        Err(e) => tracing::warn!(error = %e, "ended alerts not pruned; tried again in an hour"),
    }
}

/// Runs the desk's timer until `shutdown`: every [`TICK`], expires due alerts (off air and
/// marked `expired`), records airing events and completions, and writes them.
pub async fn run_timer(desk: EmergencyDesk, store: Store, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut every = tokio::time::interval(TICK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first prune runs at start-up, then hourly.
    let mut pruned: Option<tokio::time::Instant> = None;
    let mut mark = PeerMark::now(&store).await.unwrap_or_default();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = every.tick() => {}
        }
        if pruned.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(3600)) {
            pruned = Some(tokio::time::Instant::now());
            prune(&desk, &store, Utc::now()).await;
        }
        pull_peers(&desk, &store, &mut mark, Utc::now()).await;
        let d = desk.clone();
        // Taking an alert off air joins its airing thread: not on the async workers.
        if let Err(e) = tokio::task::spawn_blocking(move || d.tick(Utc::now())).await {
            tracing::error!(error = %e, "alert timer step failed");
        }
        flush(&desk, &store).await;
    }
    flush(&desk, &store).await;
}
