use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::candidate::tests::prog;
use crate::demo;
use crate::playlist::{ItemKind, PlaylistItem, Timing};
use crate::template::tests::{channel, sample};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn assert_tiles(p: &Playlist) {
    let mut t = Frames::ZERO;
    for (i, it) in p.items.iter().enumerate() {
        assert_eq!(it.start, t, "item {i} starts at the previous end");
        assert!(it.duration > Frames::ZERO, "item {i} has a length");
        t = it.end();
    }
    assert_eq!(t, p.length(), "items cover the whole day");
}

fn fillers() -> Vec<ProgrammeCandidate> {
    vec![prog("id1", "ident", 7), prog("id2", "ident", 11), prog("psa1", "psa", 30), prog("psa2", "psa", 45)]
}

#[test]
fn demo_day_tiles_the_day_exactly_with_the_live_news_at_19() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let cat = demo::catalog(3_000, 1, now);
    let ch = demo::channel("pzh-tv1", crate::ChannelKind::Tv, "510400").unwrap();
    let g = generate_day(&ch, &demo::template().unwrap(), date(), &cat, &PlayHistory::new(), 42).unwrap();
    assert_tiles(&g.playlist);
    let news = g.playlist.items.iter().find(|i| i.kind == ItemKind::Live).unwrap();
    assert_eq!(g.playlist.clock().instant(news.start).to_rfc3339(), "2026-11-26T19:00:00+08:00");
    assert_eq!(news.timing, Timing::Hard);
    assert_eq!(g.explanations.len(), g.playlist.items.len());
    assert!(g.explanations.iter().all(|w| !w.is_empty()));
    // Everything chosen is airable on TV and within its rights.
    let idx = CandidateIndex::from_slice(&cat);
    for it in &g.playlist.items {
        if let Some(id) = it.programme() {
            let p = idx.by_id(id).unwrap();
            assert!(p.ready && p.video, "{id} airable");
            let clock = g.playlist.clock();
            assert!(p.rights_cover(clock.unix_secs(it.start), clock.unix_secs(it.end())), "{id} rights");
        }
    }
    assert!(g.exceptions.iter().all(|b| b.rule != "quota"), "{:?}", g.exceptions);
}

#[test]
fn consecutive_days_carry_rotation_forward() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let index = CandidateIndex::new(demo::catalog(3_000, 2, now));
    let ch = demo::channel("pzh-tv1", crate::ChannelKind::Tv, "510400").unwrap();
    let t = demo::template().unwrap();
    let mut hist = PlayHistory::new();
    let days = Generator::new(&ch, &t, &index).unwrap().days(date(), 2, &mut hist, 1);
    assert_eq!(days[1].playlist.date, date().succ_opt().unwrap());
    let first_of_day2 = days[1].playlist.items[0].programme().unwrap();
    assert!(
        days[0].playlist.items.iter().all(|i| i.kind != ItemKind::Programme || i.programme() != Some(first_of_day2)),
        "day 2 opens with something day 1 did not air"
    );
    assert!(!hist.is_empty());
}

#[test]
fn same_seed_same_day_other_seed_other_day() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
    let cat = demo::catalog(2_000, 3, now);
    let ch = demo::channel("pzh-tv1", crate::ChannelKind::Tv, "510400").unwrap();
    let t = demo::template().unwrap();
    let a = generate_day(&ch, &t, date(), &cat, &PlayHistory::new(), 9).unwrap();
    let b = generate_day(&ch, &t, date(), &cat, &PlayHistory::new(), 9).unwrap();
    let c = generate_day(&ch, &t, date(), &cat, &PlayHistory::new(), 10).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.playlist, c.playlist);
    // Reversing the catalog does not change the choice either (ties break on id hashes).
    let mut rev = cat.clone();
    rev.reverse();
    assert_eq!(generate_day(&ch, &t, date(), &rev, &PlayHistory::new(), 9).unwrap().playlist, a.playlist);
}

#[test]
fn separation_is_relaxed_in_order_and_recorded() {
    // One news programme of 10 min for a 30 min news block: repeats are needed.
    let mut cat = fillers();
    cat.push(prog("n1", "news", 600));
    cat.push(prog("a1", "涉农", 1800));
    let g = generate_day(&channel(), &sample(), date(), &cat, &PlayHistory::new(), 1).unwrap();
    assert_tiles(&g.playlist);
    let sep = g.exceptions.iter().find(|b| b.rule == "programme_separation").unwrap();
    assert!(sep.reason.contains("news"), "{}", sep.reason);
    let repeated = g.playlist.items.iter().filter(|i| i.programme().is_some_and(|p| p.as_str() == "n1")).count();
    assert_eq!(repeated, 9, "three per news block");
    assert!(g.playlist.items.iter().any(|i| i
        .why
        .as_deref()
        .unwrap_or("")
        .contains("relaxed rules up to programme_separation")));
}

#[test]
fn expired_rights_and_unready_media_are_never_relaxed() {
    let mut cat = fillers();
    let mut expired = prog("old", "news", 1800);
    expired.rights_until = Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut unready = prog("raw", "news", 1800);
    unready.ready = false;
    cat.extend([expired, unready, prog("a1", "涉农", 1800)]);
    let g = generate_day(&channel(), &sample(), date(), &cat, &PlayHistory::new(), 1).unwrap();
    assert_tiles(&g.playlist);
    assert!(g.playlist.items.iter().all(|i| i.programme().is_none_or(|p| p.as_str() != "old" && p.as_str() != "raw")));
    assert!(g.exceptions.iter().any(|b| b.rule == "block_unfilled" && b.block.starts_with("category")));
}

#[test]
fn gaps_are_closed_to_the_frame_with_a_cut_filler() {
    let mut cat = fillers();
    cat.push(prog("a1", "涉农", 1799)); // leaves 1 s in each 30 min block: 7 s ident cut to 25 frames
    cat.push(prog("n1", "news", 1800));
    let g = generate_day(&channel(), &sample(), date(), &cat, &PlayHistory::new(), 1).unwrap();
    assert_tiles(&g.playlist);
    let cut = g.playlist.items.iter().find(|i| i.why.as_deref().unwrap_or("").contains("cut to")).unwrap();
    assert_eq!(cut.kind, ItemKind::Filler);
}

#[test]
fn without_fillers_the_slate_fills_and_says_so() {
    let cat = vec![prog("a1", "涉农", 1800), prog("n1", "news", 1800), prog("i", "ident", 0)];
    let mut t = sample();
    t.fillers.categories = vec!["ident".into()];
    let g = generate_day(&channel(), &t, date(), &cat, &PlayHistory::new(), 1).unwrap();
    assert_tiles(&g.playlist);
    assert!(g.playlist.items.iter().any(|i| i.kind == ItemKind::Slate));
    assert!(g.exceptions.iter().any(|b| b.rule == "no_filler"));
}

#[test]
fn unmet_quota_is_reported() {
    let mut cat = fillers();
    cat.push(prog("n1", "news", 1800));
    cat.push(prog("a1", "涉农", 60));
    let mut t = sample();
    t.quotas[0].min = crate::template::QuotaMin::Minutes(120);
    let g = generate_day(&channel(), &t, date(), &cat, &PlayHistory::new(), 1).unwrap();
    let q = g.exceptions.iter().find(|b| b.rule == "quota").unwrap();
    assert!(q.reason.contains("required"), "{}", q.reason);
}

#[test]
fn own_centre_share_is_preferred_first() {
    let mut cat = fillers();
    let mut own = prog("own", "涉农", 900);
    own.centre = channel().centre.clone();
    cat.extend([prog("net1", "涉农", 900), prog("net2", "涉农", 900), own, prog("n1", "news", 1800)]);
    let mut t = sample();
    if let BlockKind::Category(r) = &mut t.clocks[0].segments[0].kind {
        r.own_centre_min_percent = Some(50);
    }
    let g = generate_day(&channel(), &t, date(), &cat, &PlayHistory::new(), 1).unwrap();
    assert_eq!(g.playlist.items[0].programme().unwrap().as_str(), "own");
}

#[test]
fn template_problems_stop_generation() {
    let mut t = sample();
    t.week.default.clocks[0].clock = "missing".into();
    let err = generate_day(&channel(), &t, date(), &fillers(), &PlayHistory::new(), 1).unwrap_err();
    assert!(matches!(err, ScheduleError::Template(p) if p.iter().any(|p| p.code == "unknown_clock")));
}

#[test]
fn rotation_skips_a_candidate_that_would_leave_an_unfillable_remainder() {
    let mut cat = fillers();
    cat.extend([prog("n1", "news", 1500), prog("n2", "news", 1800), prog("n3", "news", 600), prog("a1", "涉农", 1800)]);
    let mut hist = PlayHistory::new();
    let days_ago = |d: i64| Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap().timestamp() - d * 86_400;
    hist.record(&crate::ProgrammeId::parse("n1").unwrap(), None, days_ago(10));
    hist.record(&crate::ProgrammeId::parse("n2").unwrap(), None, days_ago(5));
    hist.record(&crate::ProgrammeId::parse("n3").unwrap(), None, days_ago(4));
    let g = generate_day(&channel(), &sample(), date(), &cat, &hist, 1).unwrap();
    // n1 (least recently played) would leave 5 min, less than any news programme: n2 fills
    // the 30 min block exactly instead.
    let news: Vec<&PlaylistItem> =
        g.playlist.items.iter().filter(|i| i.start >= Frames(25 * 1800) && i.start < Frames(25 * 3600)).collect();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0].programme().unwrap().as_str(), "n2");
}

#[test]
fn series_separation_is_relaxed_before_programme_separation_and_filters() {
    // Two episodes of one series, 15 min each, for a 30 min block: the second episode breaks
    // series separation (relaxed first), never programme separation.
    let mut cat = fillers();
    let mut e1 = prog("e1", "news", 900);
    e1.series = Some("s".into());
    let mut e2 = prog("e2", "news", 900);
    e2.series = Some("s".into());
    cat.extend([e1, e2, prog("a1", "涉农", 1800)]);
    let mut t = sample();
    t.week.default.clocks[0].hours = vec![6];
    let g = generate_day(&channel(), &t, date(), &cat, &PlayHistory::new(), 1).unwrap();
    let rules: Vec<&str> =
        g.exceptions.iter().filter(|b| b.block.starts_with("category 06:30")).map(|b| b.rule.as_str()).collect();
    assert_eq!(rules, ["series_separation"], "{:?}", g.exceptions);
}

#[test]
fn the_block_filter_is_relaxed_last_and_the_category_never() {
    let mut cat = fillers();
    cat.extend([prog("n1", "news", 1800), prog("a1", "涉农", 1800), prog("c1", "culture", 1800)]);
    let mut t = sample();
    if let BlockKind::Category(r) = &mut t.clocks[0].segments[1].kind {
        r.filter.language = Some("yi".into()); // no news programme in 彝语
    }
    t.week.default.clocks[0].hours = vec![6];
    let g = generate_day(&channel(), &t, date(), &cat, &PlayHistory::new(), 1).unwrap();
    let b = g.exceptions.iter().find(|b| b.rule == "block_filter").unwrap();
    assert!(b.block.starts_with("category 06:30"), "{b:?}");
    let at_630 = g.playlist.items.iter().find(|i| i.start == Frames(25 * 1800)).unwrap();
    assert_eq!(at_630.programme().unwrap().as_str(), "n1", "category kept: never culture");
}

/// A block longer than its few programmes, separation relaxed: today's repeats rotate
/// (least recently played first) instead of the first one aired coming back every time.
#[test]
fn repeats_within_a_day_rotate_through_the_pool() {
    let ch = crate::template::tests::channel();
    let t: Template = serde_json::from_value(serde_json::json!({
        "name": "small catalog",
        "week": { "default": { "blocks": [{ "start": "06:00", "length": "01:00", "type": "category",
            "filter": { "categories": ["涉农"] } }] } },
        "fillers": { "categories": [] }
    }))
    .unwrap();
    let cat = vec![prog("a", "涉农", 60), prog("b", "涉农", 60), prog("c", "涉农", 60)];
    let g =
        generate_day(&ch, &t, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(), &cat, &PlayHistory::new(), 1).unwrap();
    let ids: Vec<String> =
        g.playlist.items.iter().take(60).filter_map(|i| i.programme().map(|p| p.to_string())).collect();
    assert_eq!(ids.len(), 60);
    for w in ids.windows(2) {
        assert_ne!(w[0], w[1], "{ids:?}");
    }
}
