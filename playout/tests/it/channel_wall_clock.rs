//! The wall clock followed: a channel whose wall clock (injected, [`SteppedWall`]) steps
//! +10 s and then −10 s while it airs. After the forward step the output airs what the
//! schedule says for the new time (cut); after the backward step it holds slate until the
//! schedule is back where it had aired, then goes on. Every frame of the output file is
//! checked against the schedule (its colour decoded by ffmpeg), the output never stalls, and
//! both steps are in the as-run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::channel_common::*;
use chrono::Utc;
use playout::channel::{ChannelConfig, ChannelRunner, FileSource, MemoryAsRun};
use playout::clock::SteppedWall;
use playout::{Outcome, OutputTarget};

/// The clip's colours, five seconds each.
const BLOCKS: [&str; 6] = ["red", "lime", "blue", "yellow", "white", "magenta"];

#[test]
fn a_wall_clock_step_forward_cuts_to_the_schedule_and_back_holds_until_it_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let seconds: Vec<&str> = BLOCKS.iter().flat_map(|c| [*c; 5]).collect();
    let blocks = clip(dir.path(), "blocks.mp4", &seconds);
    let t0 = Utc::now() + chrono::Duration::milliseconds(1500);
    let playlist = dir.path().join("day.json");
    write_playlist(&playlist, t0, serde_json::json!([{ "source": blocks, "duration": 30.0, "title": "blocks" }]));

    let file = dir.path().join("out.ts");
    let wall = Arc::new(SteppedWall::default());
    let mut config = ChannelConfig::new("test", format(), vec![OutputTarget::File(file.clone())]);
    config.poll = Duration::from_millis(200);
    config.wall = wall.clone();
    let sink = Arc::new(MemoryAsRun::default());
    let runner = ChannelRunner::start(config, Arc::new(FileSource::new(&playlist)), sink.clone()).unwrap();
    let handle = runner.handle();
    let epoch = handle.epoch();

    // The output's progress, sampled every 5 ms: the longest time frames_out stood still.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (handle, done) = (handle.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut last, mut since, mut longest) = (0, Instant::now(), Duration::ZERO);
            while !done.load(Ordering::SeqCst) {
                let frames = handle.status().frames_out;
                if frames != last {
                    if last > 0 {
                        longest = longest.max(since.elapsed());
                    }
                    (last, since) = (frames, Instant::now());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            longest
        })
    };

    sleep_until(t0 + chrono::Duration::milliseconds(3000)); // red (0–5 s)
    let forward_at = handle.status().frames_out;
    wall.step(chrono::Duration::seconds(10)); // now blue (13 s)
    std::thread::sleep(Duration::from_secs(3)); // the schedule at 16 s: yellow
    let back_at = handle.status().frames_out;
    wall.step(chrono::Duration::seconds(-10)); // the schedule at 6 s: hold 10 s
    std::thread::sleep(Duration::from_secs(13)); // held, then yellow from 16 s, white from 20 s
    let report = runner.stop().unwrap();
    done.store(true, Ordering::SeqCst);
    let stood_still = sampler.join().unwrap();

    // Where each frame is on the schedule: epoch + n/25 until the forward step, 10 s on from
    // it, back again from the backward step, held (slate) until past what had aired.
    let fps = 25.0;
    let sched = |n: usize| -> f64 {
        let t = secs(epoch - t0) + n as f64 / fps;
        if n >= forward_at as usize && n < back_at as usize {
            t + 10.0
        } else {
            t
        }
    };
    let aired_until = sched(back_at as usize - 1);
    let expected = |n: usize| -> &'static str {
        let t = sched(n);
        if t < 0.0 || n >= back_at as usize && t < aired_until - 1.0 / fps {
            "black"
        } else {
            BLOCKS.get((t / 5.0) as usize).copied().unwrap_or("black")
        }
    };
    let colours = frame_colours(&file);
    // The steps are read a few frames before the engine acts on them (its 100 ms lead), and
    // frames within a frame of a colour change may go either way.
    let near = |n: usize, at: u64| n + 2 >= at as usize && n < at as usize + 8;
    let boundary = |n: usize| {
        let t = sched(n);
        ((t / 5.0).round() * 5.0 - t).abs() < 1.5 / fps || (t - aired_until).abs() < 1.5 / fps || t.abs() < 1.5 / fps
    };
    let wrong: Vec<(usize, &str, &str)> = colours
        .iter()
        .enumerate()
        .filter(|(n, _)| !near(*n, forward_at) && !near(*n, back_at) && !boundary(*n))
        .filter(|(n, c)| **c != expected(*n))
        .map(|(n, c)| (n, *c, expected(n)))
        .collect();
    eprintln!(
        "wall clock steps: +10 s at frame {forward_at}, -10 s at frame {back_at}; {} frames decoded, {} aired; \
         output stood still at most {:.0} ms; {} frame(s) off the schedule; runs {:?}",
        colours.len(),
        report.frames_out,
        stood_still.as_secs_f64() * 1000.0,
        wrong.len(),
        runs(&colours)
    );
    assert!(wrong.is_empty(), "frames not what the schedule says (frame, aired, expected): {wrong:?}");
    assert_eq!(colours.len() as u64, report.frames_out, "every frame aired reached the file");
    // Blue right after the forward step (13 s), slate after the backward one, then yellow.
    let after = |at: u64, k: usize| colours[at as usize + k];
    assert_eq!(after(forward_at, 10), "blue");
    assert_eq!(after(back_at, 10), "black");
    assert!(stood_still < Duration::from_millis(500), "the output stood still for {stood_still:?}");

    let records: Vec<_> = sink.records().into_iter().map(|(_, r)| r).collect();
    let lines: Vec<String> = records.iter().map(|r| format!("{:?} {:?} {:?}", r.item, r.outcome, r.reason)).collect();
    let with = |text: &str| records.iter().filter(|r| r.reason.as_deref().is_some_and(|t| t.contains(text))).count();
    assert_eq!(with("wall clock stepped forward"), 1, "{lines:#?}");
    assert_eq!(with("wall clock stepped back"), 2, "the cut item and the hold: {lines:#?}");
    let held: Vec<_> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Fallback && r.reason.as_deref().is_some_and(|t| t.contains("held")))
        .collect();
    assert_eq!(held.len(), 1, "{lines:#?}");
    assert!((held[0].actual_duration_s - 10.0).abs() < 0.2, "held {:.3} s", held[0].actual_duration_s);
}
