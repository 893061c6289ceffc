//! Schedules are read across the network, a centre's private programmes are not: a reader of
//! another centre sees such an item as "private programme of 510421", without its title, its
//! programme id or its media key (they showed in the day, the guide, now/next and the
//! playout playlists). The network admin and the channel's own centre see everything.

use std::collections::HashMap;

use schedules::{CandidateIndex, Finding, Playlist, ProgrammeId, Source};
use serde_json::Value;

use crate::auth::policy::Principal;

/// The programmes of a schedule its reader may not see, with their centres.
pub struct Redaction {
    hidden: HashMap<ProgrammeId, String>,
}

/// How a hidden item is named.
pub fn label(centre: &str) -> String {
    format!("private programme of {centre}")
}

impl Redaction {
    /// What `p` may not see of schedules made from `index` (the channel's centre's candidates).
    pub fn for_reader(p: &Principal, index: &CandidateIndex) -> Self {
        let hidden = if p.role == catalog::user::Role::NetworkAdmin {
            HashMap::new()
        } else {
            index
                .items()
                .iter()
                .filter(|c| !c.shared && c.centre.as_str() != p.centre.as_str())
                .map(|c| (c.id.clone(), c.centre.as_str().to_string()))
                .collect()
        };
        Redaction { hidden }
    }

    /// The centre of programme `id` when the reader may not see it.
    pub fn hidden_centre(&self, id: &ProgrammeId) -> Option<&str> {
        self.hidden.get(id).map(String::as_str)
    }

    fn hidden_item(&self, source: &Source) -> Option<&str> {
        match source {
            Source::Programme { id } => self.hidden.get(id).map(String::as_str),
            _ => None,
        }
    }

    /// `playlist` with each hidden item's title, id and reason replaced.
    pub fn playlist(&self, mut playlist: Playlist) -> Playlist {
        if self.hidden.is_empty() {
            return playlist;
        }
        for it in &mut playlist.items {
            if let Some(centre) = self.hidden_item(&it.source) {
                it.title = label(centre);
                it.source = Source::Slate;
                it.why = None;
            }
        }
        playlist
    }

    /// A stored playlist (JSON of [`Playlist`]) as the reader may see it; one that does not
    /// decode is shown as it is only when nothing is hidden, else without its items.
    pub fn playlist_value(&self, stored: Value) -> Value {
        if self.hidden.is_empty() {
            return stored;
        }
        match serde_json::from_value::<Playlist>(stored) {
            Ok(pl) => serde_json::to_value(self.playlist(pl)).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    /// `findings` of `original` with the messages about hidden items (which name them) replaced.
    pub fn findings(&self, original: &Playlist, findings: &mut [Finding]) {
        for f in findings {
            let centre = f.item.and_then(|i| original.items.get(i)).and_then(|it| self.hidden_item(&it.source));
            if let Some(centre) = centre {
                f.message = format!("{}: {}", f.code, label(centre));
            }
        }
    }

    /// Playout playlists (`docs/playlist.md` JSON) with hidden items' media keys and titles
    /// replaced by the slate and the label.
    pub fn playout_json(&self, docs: &mut [Value]) {
        if self.hidden.is_empty() {
            return;
        }
        for item in docs.iter_mut().filter_map(|d| d.get_mut("items")).filter_map(Value::as_array_mut).flatten() {
            let id = item["source"]
                .as_str()
                .and_then(|s| s.strip_prefix("media://programmes/"))
                .and_then(|rest| rest.split('/').next())
                .and_then(|id| ProgrammeId::parse(id).ok());
            if let Some(centre) = id.and_then(|id| self.hidden.get(&id)) {
                item["title"] = Value::from(label(centre));
                item["source"] = Value::from("slate");
            }
        }
    }
}
