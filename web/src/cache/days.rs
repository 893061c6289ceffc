//! The latest editing version of recently edited channel days, parsed, so an edit of a
//! 3,000-item day neither reads nor parses the stored day again. Exact by construction: a
//! version number names one immutable playlist, an entry is used only for the version the
//! edit names, and the store refuses to append after a version that is no longer the latest
//! (another writer or process: 409, and the next edit reads the store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use catalog::ids::ChannelId;
use chrono::NaiveDate;
use schedules::Playlist;

/// Channel days kept at most (a scheduler edits a few at a time).
const CAPACITY: usize = 32;

/// A channel day's kept version: its number and playlist.
type Kept = (i64, Arc<Playlist>);

/// Latest versions by channel day.
#[derive(Debug, Default)]
pub struct DayCache {
    days: Mutex<HashMap<(ChannelId, NaiveDate), Kept>>,
}

impl DayCache {
    /// The playlist of `version` of the day, when that is the version kept.
    pub fn get(&self, channel: ChannelId, day: NaiveDate, version: i64) -> Option<Arc<Playlist>> {
        let days = self.days.lock().unwrap_or_else(|e| e.into_inner());
        days.get(&(channel, day)).filter(|(v, _)| *v == version).map(|(_, p)| p.clone())
    }

    /// Keeps `playlist` as version `version` of the day (just stored).
    pub fn put(&self, channel: ChannelId, day: NaiveDate, version: i64, playlist: Arc<Playlist>) {
        let mut days = self.days.lock().unwrap_or_else(|e| e.into_inner());
        if days.len() >= CAPACITY && !days.contains_key(&(channel, day)) {
            // Any one goes: a dropped day is read from the store on its next edit.
            if let Some(k) = days.keys().next().copied() {
                days.remove(&k);
            }
        }
        days.insert((channel, day), (version, playlist));
    }
}
