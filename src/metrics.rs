//! The channels on air in this process, whose playout metrics `GET /metrics` serves
//! ([`web::routes::metrics`]).

use std::sync::{Arc, RwLock};

use playout::channel::ChannelHandle;

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
}
