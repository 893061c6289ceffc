//! A day's playlist as the day editor opens it (`GET …/days/{date}?compact=true`): an item
//! with a `reason` phrase goes without its English `why`, which says the same and which the
//! editor never shows (it words the phrase). A generated 2,880-item day is sent in a fifth
//! fewer bytes; the API's other readers keep both.

use schedules::Playlist;

/// Leaves out the English `why` of every item of `playlist` that has a `reason`.
pub fn compact(playlist: &mut Playlist) {
    for it in playlist.items.iter_mut().filter(|it| it.reason.is_some()) {
        it.why = None;
    }
}

#[cfg(test)]
mod tests {
    use schedules::{Frames, Phrase, PlaylistItem};

    #[test]
    fn why_goes_only_where_a_reason_says_it() {
        let mut p: schedules::Playlist = serde_json::from_value(serde_json::json!({
            "channel": "c", "date": "2030-01-07", "rate": { "num": 25, "den": 1 }, "day_start": "06:00:00",
            "utc_offset_secs": 28800, "items": []
        }))
        .unwrap();
        let reason = Phrase::new("filler").with("before", "早间");
        p.items.push(PlaylistItem::slate(Frames(0), Frames(25), "slate before 早间".into(), reason.clone()));
        let mut imported = PlaylistItem::slate(Frames(25), Frames(25), "imported from CSV line 3".into(), reason);
        imported.reason = None;
        p.items.push(imported);
        super::compact(&mut p);
        assert_eq!((p.items[0].why.as_deref(), p.items[0].reason.is_some()), (None, true));
        assert_eq!(p.items[1].why.as_deref(), Some("imported from CSV line 3"), "no phrase: the sentence stays");
    }
}
