//! The channels on air in this process, whose playout metrics `GET /metrics` serves
//! ([`web::routes::metrics`]).

use std::sync::{Arc, RwLock};

use playout::channel::{ChannelHandle, OnAirNow, Slot};
use playout::playlist::ItemKind;
use web::routes::metrics::{Airing, AiringItem, AiringKind};

/// The channels on air in this process, by slug; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct OnAirChannels(Arc<RwLock<Vec<(String, ChannelHandle)>>>);

impl OnAirChannels {
    /// Adds (or replaces) a channel.
    pub fn add(&self, slug: &str, handle: ChannelHandle) {
        if let Ok(mut list) = self.0.write() {
            list.retain(|(s, _)| s != slug);
            list.push((slug.to_owned(), handle));
        }
    }

    /// Forgets every channel (they are being stopped).
    pub fn clear(&self) {
        if let Ok(mut list) = self.0.write() {
            list.clear();
        }
    }

    /// The channels off air now (every output down), each with how long, in seconds.
    pub fn off_air(&self) -> Vec<(String, f64)> {
        let list = self.0.read().map(|l| l.clone()).unwrap_or_default();
        list.iter().filter_map(|(s, h)| h.status().off_air_s.map(|secs| (s.clone(), secs))).collect()
    }

    /// Every channel's metrics, each metric family once.
    pub fn prometheus(&self) -> String {
        let list = self.0.read().map(|l| l.clone()).unwrap_or_default();
        let statuses: Vec<(String, playout::Status)> = list.iter().map(|(s, h)| (s.clone(), h.status())).collect();
        let refs: Vec<(&str, &playout::Status)> = statuses.iter().map(|(s, st)| (s.as_str(), st)).collect();
        playout::status::prometheus_text(&refs)
    }
}

impl web::routes::metrics::ChannelMetrics for OnAirChannels {
    fn prometheus(&self) -> String {
        OnAirChannels::prometheus(self)
    }

    fn airing(&self, slug: &str) -> Option<Airing> {
        let handle = self.0.read().ok()?.iter().find(|(s, _)| s == slug).map(|(_, h)| h.clone())?;
        Some(airing(&handle.on_air()))
    }
}

/// The engine's now and next as the API names them: an override is an alert; in a gap, or
/// while a filler stands in for a failed item, the filler by title (else the slate).
fn airing(on: &OnAirNow) -> Airing {
    let of_slot = |s: &Slot| {
        let slate = s.item.source.to_string() == "slate";
        let kind = match s.item.kind {
            ItemKind::Live => AiringKind::Live,
            ItemKind::File if slate => AiringKind::Slate,
            ItemKind::File => AiringKind::Programme,
        };
        AiringItem {
            kind,
            title: s.item.title.clone().filter(|_| !slate),
            programme: s.item.id.clone().filter(|_| kind == AiringKind::Programme),
            start: Some(s.start),
            stop: Some(s.end),
        }
    };
    let next = on.next.as_ref().map(of_slot);
    let overridden = on.status.now.as_deref().and_then(|n| n.strip_prefix("override: "));
    let now = match (&on.now, overridden, &on.status.filler) {
        (_, Some(label), _) => AiringItem {
            kind: AiringKind::Alert,
            title: Some(label.to_owned()).filter(|l| !l.is_empty()),
            programme: None,
            start: None,
            stop: None,
        },
        (slot, None, Some(filler)) => AiringItem {
            kind: AiringKind::Filler,
            title: Some(filler.clone()),
            programme: None,
            start: slot.as_ref().map(|s| s.start).or(on.gap_from),
            stop: slot.as_ref().map(|s| s.end).or(on.next.as_ref().map(|n| n.start)),
        },
        (Some(slot), None, None) => of_slot(slot),
        (None, None, None) => AiringItem {
            kind: AiringKind::Slate,
            title: None,
            programme: None,
            start: on.gap_from,
            stop: on.next.as_ref().map(|n| n.start),
        },
    };
    Airing { now, next }
}
