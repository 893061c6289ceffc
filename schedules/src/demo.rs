//! Synthetic but realistic data for the 1+5 network: a catalog of any size and TV/radio
//! templates. Used by tests, the benchmark and a first-run demo channel.

use chrono::{DateTime, Duration, Utc};

use crate::candidate::{mix, ProgrammeCandidate, ProgrammeId};
use crate::channel::{CentreCode, Channel, ChannelKind};
use crate::error::Result;
use crate::template::Template;
use crate::time::MediaTime;

/// The six centres of the network.
pub const CENTRES: [&str; 6] = ["510400", "510402", "510403", "510411", "510421", "510422"];

/// Categories of the demo catalog.
pub const CATEGORIES: [&str; 8] = ["涉农", "news", "culture", "drama", "应急", "kids", "ident", "psa"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `n` synthetic programmes: every category, all six centres, some series, a few not ready,
/// radio-only or TV-only, and some with rights windows (a few already expired at `now`).
pub fn catalog(n: usize, seed: u64, now: DateTime<Utc>) -> Vec<ProgrammeCandidate> {
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        // Weights: fillers are common, drama and agriculture too.
        let category = match r.below(100) {
            0..=19 => "涉农",
            20..=31 => "news",
            32..=46 => "culture",
            47..=64 => "drama",
            65..=69 => "应急",
            70..=77 => "kids",
            78..=89 => "ident",
            _ => "psa",
        };
        let secs = match category {
            "ident" => 5 + r.below(15),
            "psa" => 15 + r.below(46),
            "news" => 300 + r.below(600),
            "drama" => 2_400 + r.below(360),
            "应急" => 120 + r.below(480),
            _ => 600 + r.below(1_500),
        };
        let ms = secs as i64 * 1000 + r.below(1000) as i64;
        let series = (category == "drama" || (category == "涉农" && r.below(3) == 0))
            .then(|| format!("{category}-series-{}", r.below((n as u64 / 40).max(1))));
        let centre = CENTRES[r.below(6) as usize];
        let (rights_from, rights_until) = match r.below(20) {
            0 => (None, Some(now - Duration::days(1))),
            1 => (None, Some(now + Duration::days(r.below(10) as i64 + 1))),
            2 => (Some(now + Duration::days(3)), None),
            _ => (None, None),
        };
        let medium = r.below(40);
        let (Ok(id), Ok(centre)) = (ProgrammeId::parse(&format!("p{k:06}")), CentreCode::parse(centre)) else {
            continue;
        };
        out.push(ProgrammeCandidate {
            id,
            title: format!("{category} {k}"),
            duration: MediaTime::from_millis(ms),
            category: category.to_owned(),
            tags: if r.below(4) == 0 { vec!["mango".into()] } else { vec![] },
            centre,
            shared: r.below(10) != 0,
            language: if r.below(10) == 0 { "yi".into() } else { "zh".into() },
            series,
            rights_from,
            rights_until,
            ready: r.below(25) != 0,
            video: medium != 0,
            radio: medium != 1,
        });
    }
    out
}

/// A channel of the network with defaults (25 fps, 06:00, +08:00).
///
/// # Errors
/// `Identifier` or `CentreCode` for a bad id or centre.
pub fn channel(id: &str, kind: ChannelKind, centre: &str) -> Result<Channel> {
    Channel::new(id, id, kind, CentreCode::parse(centre)?)
}

/// A full-day template: morning agriculture and news clock, culture, drama, local 涉农 at
/// 18:00, the 19:00 national news relayed live, late culture; quotas for 涉农 and local share.
///
/// # Errors
/// Never in practice (the template is a literal); `Template` if it failed to parse.
pub fn template() -> Result<Template> {
    let v = serde_json::json!({
        "name": "demo day",
        "clocks": [{
            "name": "morning",
            "segments": [
                {"at": "00:00", "length": "00:30", "type": "category", "label": "涉农 morning",
                 "filter": {"categories": ["涉农"]}, "own_centre_min_percent": 50, "series_separation_hours": 6},
                {"at": "00:30", "length": "00:30", "type": "category", "label": "news",
                 "filter": {"categories": ["news"]}, "programme_separation_hours": 12}
            ]
        }],
        "week": {"default": {
            "clocks": [{"clock": "morning", "hours": [6, 7, 8]}],
            "blocks": [
                {"start": "09:00", "length": "03:00", "type": "category", "label": "culture",
                 "filter": {"categories": ["culture", "涉农"]}},
                {"start": "12:00", "length": "00:30", "type": "category", "label": "midday news",
                 "filter": {"categories": ["news", "应急"]}, "programme_separation_hours": 6},
                {"start": "12:30", "length": "05:30", "type": "category", "label": "afternoon drama",
                 "filter": {"categories": ["drama", "kids"]}, "series_separation_hours": 2},
                {"start": "18:00", "length": "01:00", "type": "category", "label": "local 涉农",
                 "filter": {"categories": ["涉农"], "own_centre": true}},
                {"start": "19:00", "length": "00:30", "type": "live", "label": "新闻联播",
                 "uri": "srt://relay.cctv.example:9000", "title": "新闻联播"},
                {"start": "19:30", "length": "02:30", "type": "category", "label": "prime drama",
                 "filter": {"categories": ["drama", "kids"]}, "series_separation_hours": 1},
                {"start": "22:00", "length": "08:00", "type": "category", "label": "night",
                 "filter": {"categories": ["culture", "涉农", "news"]}, "programme_separation_hours": 12}
            ]
        }},
        "quotas": [
            {"name": "涉农 ≥ 30 min 06:00-22:00", "filter": {"categories": ["涉农"]},
             "from": "06:00", "until": "22:00", "min": {"minutes": 30}},
            {"name": "local ≥ 10% of airtime", "filter": {"own_centre": true},
             "from": "06:00", "until": "06:00", "min": {"percent_of_airtime": 10}}
        ]
    });
    serde_json::from_value(v).map_err(|e| {
        crate::error::ScheduleError::Template(vec![crate::template::Problem {
            code: "parse".into(),
            message: e.to_string(),
            location: String::new(),
            params: Default::default(),
        }])
    })
}
