//! `cargo run --release -p playout --example channel -- air PLAYLIST SECONDS OUT.ts`
//! `cargo run --release -p playout --example channel -- prefetch STORE CACHE KEY…`
//! `cargo run --release -p playout --example channel -- override[-armed] PLAYLIST SOURCE COUNT OUT.ts`
//!
//! `air`: a `ChannelRunner` on a `FileSource` (a playlist file or directory with wall-clock
//! starts) for SECONDS into a `.ts` file; prints how long it took to get on air and how it
//! joined. `prefetch`: fills an empty media cache from a directory store (SHA-256 verified),
//! again (present), and after a reopen (re-hash); prints the throughput. `override`: on air as
//! for `air`, puts SOURCE on air COUNT times at uneven moments (0.5 s each, then resumes) and
//! prints how long after each call the override's first frame is on the channel's timeline;
//! `override-armed` arms SOURCE (`ChannelHandle::arm_override`) 0.4 s before each call.
//! Used by `bench/playout-channel.sh`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playout::cache::{DirFetcher, MediaCache, MediaRef};
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::{OnAirPlaylist, OutputTarget};
use serde_json::json;
use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn air(playlist: &Path, seconds: f64, out: &Path) -> Result<serde_json::Value> {
    let first = if playlist.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(playlist)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.into_iter().next().ok_or("no playlist in the directory")?
    } else {
        playlist.to_owned()
    };
    let format = OnAirPlaylist::load(&first)?.format;
    let config = ChannelConfig::new("bench", format, vec![OutputTarget::File(out.to_owned())]);
    let sink = Arc::new(MemoryAsRun::default());
    let called = Instant::now();
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(playlist)), sink.clone())?;
    let handle = runner.handle();
    while handle.status().frames_out == 0 && handle.status().samples_out == 0 {
        if called.elapsed() > Duration::from_secs(30) {
            return Err("not on air after 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let to_air = called.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let epoch = handle.epoch();
    let report = runner.stop()?;
    let records: Vec<_> = sink.records().into_iter().map(|(_, r)| r).collect();
    let joined = records.iter().find(|r| r.reason.as_deref().unwrap_or("").contains("joined"));
    let expected = joined
        .and_then(|r| r.scheduled_wall.as_deref())
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|s| (epoch - s.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0);
    Ok(json!({
        "to_air_s": to_air,
        "frames_out": report.frames_out,
        "samples_out": report.samples_out,
        "joined": joined.and_then(|r| r.reason.clone()),
        "expected_into_s": expected,
        "as_run": records,
    }))
}

/// Override latency: the wall time of each override's first frame (its as-run `actual_wall`,
/// the channel timeline's time of that frame) minus the wall time of the call.
fn overrides(playlist: &Path, source: &Path, count: usize, armed: bool, out: &Path) -> Result<serde_json::Value> {
    let format = OnAirPlaylist::load(playlist)?.format;
    let frame_ms = format.video.as_ref().map_or(20.0, |v| v.fps.frames_to_time(1).as_secs_f64() * 1000.0);
    let config = ChannelConfig::new("bench", format, vec![OutputTarget::File(out.to_owned())]);
    let sink = Arc::new(MemoryAsRun::default());
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(playlist)), sink.clone())?;
    let handle = runner.handle();
    let on_override = |want: bool| {
        let t = Instant::now();
        while handle.status().now.as_deref().is_some_and(|n| n.starts_with("override")) != want {
            if t.elapsed() > Duration::from_secs(5) {
                return Err::<(), Box<dyn std::error::Error>>("override did not change within 5 s".into());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    };
    std::thread::sleep(Duration::from_secs(2));
    let mut calls = Vec::new();
    for i in 0..count {
        // Uneven moments, so calls fall anywhere within a frame.
        std::thread::sleep(Duration::from_millis(500 + (i as u64 * 137) % 600));
        if armed {
            handle.arm_override(playout::playlist::Source::Path(source.to_owned()));
            std::thread::sleep(Duration::from_millis(400));
        }
        calls.push((chrono::Utc::now(), handle.status().frames_out));
        handle.override_with(playout::playlist::Source::Path(source.to_owned()));
        on_override(true)?;
        std::thread::sleep(Duration::from_millis(500));
        handle.release(playout::ResumePolicy::ResumeItem);
        on_override(false)?;
    }
    runner.stop()?;
    let starts: Vec<(chrono::DateTime<chrono::Utc>, u64)> = sink
        .records()
        .into_iter()
        .filter(|(_, r)| r.title.as_deref() == Some("override"))
        .filter_map(|(_, r)| {
            let wall = chrono::DateTime::parse_from_rfc3339(r.actual_wall.as_deref()?).ok()?;
            Some((wall.with_timezone(&chrono::Utc), r.start_frame))
        })
        .collect();
    if starts.len() != calls.len() {
        return Err(format!("{} overrides called, {} in the as-run", calls.len(), starts.len()).into());
    }
    let mut ms: Vec<f64> =
        calls.iter().zip(&starts).map(|(c, s)| (s.0 - c.0).num_microseconds().unwrap_or(0) as f64 / 1e3).collect();
    // Frames the engine put out between the call and the override's first frame: 0 or 1 is
    // "at the next frame" (the call lands while a frame is being made, or between two).
    let mut frames_after: Vec<u64> = calls.iter().zip(&starts).map(|(c, s)| s.1.saturating_sub(c.1)).collect();
    let within_next_frame = frames_after.iter().filter(|f| **f <= 1).count();
    ms.sort_by(f64::total_cmp);
    frames_after.sort_unstable();
    Ok(json!({
        "frame_ms": frame_ms,
        "overrides": ms.len(),
        "latency_ms_sorted": ms,
        "frames_after_call_sorted": frames_after,
        "median_ms": ms[ms.len() / 2],
        "max_ms": ms.last(),
        "within_next_frame": within_next_frame,
    }))
}

fn prefetch(store: &Path, dir: &Path, keys: &[String]) -> Result<serde_json::Value> {
    let mut refs = Vec::new();
    let mut bytes = 0u64;
    for key in keys {
        let data = std::fs::read(store.join(key))?;
        bytes += data.len() as u64;
        refs.push(MediaRef::new(key, &hex::encode(Sha256::digest(&data)))?);
    }
    let fetcher = Arc::new(DirFetcher::new(store));
    let timed = |f: &dyn Fn() -> Result<()>| -> Result<f64> {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    };
    let cold = timed(&|| {
        let cache = MediaCache::open(dir, u64::MAX, fetcher.clone())?;
        let r = cache.prefetch(&refs);
        if r.fetched != refs.len() {
            return Err(format!("{r:?}").into());
        }
        Ok(())
    })?;
    let reopen = timed(&|| {
        let cache = MediaCache::open(dir, u64::MAX, fetcher.clone())?;
        let r = cache.prefetch(&refs);
        if r.present != refs.len() {
            return Err(format!("{r:?}").into());
        }
        Ok(())
    })?;
    let cache = MediaCache::open(dir, u64::MAX, fetcher.clone())?;
    cache.prefetch(&refs);
    let warm = timed(&|| {
        cache.prefetch(&refs);
        Ok(())
    })?;
    let mb = bytes as f64 / 1e6;
    Ok(json!({
        "bytes": bytes,
        "files": refs.len(),
        "fetch_verify_s": cold, "fetch_verify_mb_per_s": mb / cold,
        "reopen_rehash_s": reopen, "reopen_rehash_mb_per_s": mb / reopen,
        "present_check_s": warm,
    }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [_, "air", playlist, seconds, out] => match seconds.parse::<f64>() {
            Ok(s) => air(Path::new(playlist), s, Path::new(out)),
            Err(_) => Err("SECONDS must be a number".into()),
        },
        [_, mode @ ("override" | "override-armed"), playlist, source, count, out] => match count.parse::<usize>() {
            Ok(n) if n > 0 => {
                overrides(Path::new(playlist), Path::new(source), n, *mode == "override-armed", Path::new(out))
            }
            _ => Err("COUNT must be a whole number above 0".into()),
        },
        [_, "prefetch", store, dir, keys @ ..] if !keys.is_empty() => {
            let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            prefetch(Path::new(store), Path::new(dir), &keys)
        }
        _ => {
            eprintln!(
                "usage: channel air PLAYLIST SECONDS OUT.ts | channel prefetch STORE CACHE KEY… | \
                 channel override[-armed] PLAYLIST SOURCE COUNT OUT.ts"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
