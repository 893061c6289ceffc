//! Benchmark: 7 days × 12 channels against 100,000 synthetic programmes, then validation of
//! one day. Prints figures; run with `bench/schedules.sh`.

use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use schedules::{demo, validate, CandidateIndex, ChannelKind, Generator, PlayHistory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).single().ok_or("time")?;
    let t0 = Instant::now();
    let catalog = demo::catalog(n, 7, now);
    let index = CandidateIndex::new(catalog);
    let t_index = t0.elapsed();
    let template = demo::template()?;
    let mut channels = Vec::new();
    for (k, centre) in demo::CENTRES.iter().enumerate() {
        channels.push(demo::channel(&format!("tv{k}"), ChannelKind::Tv, centre)?);
        channels.push(demo::channel(&format!("fm{k}"), ChannelKind::Radio, centre)?);
    }
    let first = NaiveDate::from_ymd_opt(2026, 11, 26).ok_or("date")?;
    let (mut items, mut breaks, mut last) = (0usize, 0usize, None);
    let mut by_rule: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    let t1 = Instant::now();
    for ch in &channels {
        let mut history = PlayHistory::new();
        let generator = Generator::new(ch, &template, &index)?;
        for d in 0..7 {
            let date = first + Duration::days(d);
            let g = generator.day(date, &history, 1);
            items += g.playlist.items.len();
            breaks += g.exceptions.len();
            for b in &g.exceptions {
                *by_rule.entry(b.rule.clone()).or_default() += 1;
            }
            history.record_playlist(&g.playlist, |id| {
                index.position(id).and_then(|i| index.get(i)).and_then(|p| p.series.clone())
            });
            last = Some(g.playlist);
        }
    }
    let t_gen = t1.elapsed();
    let playlist = last.ok_or("no playlist")?;
    let channel = channels.last().ok_or("no channel")?;
    let t2 = Instant::now();
    let runs = 100;
    let mut findings = 0;
    for _ in 0..runs {
        findings = validate(&playlist, channel, &template.quotas, &index, now).len();
    }
    let t_val = t2.elapsed() / runs;
    println!("programmes            {n}");
    println!("index build           {:.1} ms", t_index.as_secs_f64() * 1e3);
    println!(
        "generate 7 d x 12 ch  {:.3} s  ({} channel-days, {items} items, {breaks} rule breaks)",
        t_gen.as_secs_f64(),
        channels.len() * 7
    );
    println!("rule breaks by rule   {by_rule:?}");
    println!("per channel-day       {:.2} ms", t_gen.as_secs_f64() * 1e3 / (channels.len() * 7) as f64);
    println!(
        "validate one day      {:.3} ms  ({} items, {findings} findings, mean of {runs})",
        t_val.as_secs_f64() * 1e3,
        playlist.items.len()
    );
    Ok(())
}
