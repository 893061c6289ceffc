//! Browse proxy, poster and thumbnail strip: what they are and where the poster goes. They
//! are encoded in the media child's house transcode, from the frames the house encoders get.
//!
//! * TV: H.264 540p ~1.5 Mb/s + AAC 128 kb/s MP4 with `faststart` (plays in a browser while
//!   it downloads), a 960×540 poster JPEG, and a strip of 10 thumbnails (192×108 each)
//!   spread evenly over the programme.
//! * Radio: AAC 128 kb/s in M4A, and a waveform picture as poster (no strip).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::qc::Segment;

/// Thumbnails in the strip.
pub const STRIP_TILES: u32 = 10;

/// The files rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyOutcome {
    /// Browse proxy (`proxy.mp4` or `proxy.m4a`).
    pub proxy: PathBuf,
    /// Poster picture (`poster.jpg`).
    pub poster: PathBuf,
    /// Thumbnail strip (`strip.jpg`), TV only.
    pub strip: Option<PathBuf>,
}

/// Chooses the poster time: a third into the programme, moved out of black or frozen runs
/// (the first moment after such a run, if any is left).
pub fn poster_time(duration_s: f64, avoid: &[Segment]) -> f64 {
    let mut t = duration_s / 3.0;
    for _ in 0..avoid.len() {
        match avoid.iter().find(|s| t >= s.start_s && t < s.end_s) {
            Some(s) if s.end_s + 0.5 < duration_s => t = s.end_s + 0.5,
            Some(_) => break,
            None => break,
        }
    }
    t.clamp(0.0, (duration_s - 0.1).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poster_is_a_third_in_when_nothing_is_black() {
        assert!((poster_time(90.0, &[]) - 30.0).abs() < 1e-9);
    }

    #[test]
    fn poster_skips_black_and_frozen_runs() {
        let avoid = [Segment { start_s: 20.0, end_s: 35.0 }, Segment { start_s: 35.0, end_s: 40.0 }];
        assert!((poster_time(90.0, &avoid) - 40.5).abs() < 1e-9);
    }

    #[test]
    fn poster_stays_inside_the_programme() {
        let avoid = [Segment { start_s: 0.0, end_s: 10.0 }];
        let t = poster_time(10.0, &avoid);
        assert!((0.0..10.0).contains(&t));
    }
}
