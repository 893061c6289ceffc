//! Closing gaps with interstitials (idents, PSAs): rotated, the last one cut to the frame;
//! the channel slate when no filler is available.

use super::select::{Entry, Pool};
use crate::candidate::CandidateIndex;
use crate::phrase::Phrase;
use crate::playlist::{ItemKind, PlaylistItem, Source, Timing};
use crate::time::Frames;

/// Airable fillers in rotation order and a cursor.
#[derive(Debug, Default)]
pub struct Fillers {
    order: Vec<(usize, i64)>,
    cursor: usize,
    min_frames: i64,
}

impl Fillers {
    /// Fillers of `categories`, least recently played first.
    pub fn build(base: &[Entry], idx: &CandidateIndex, last: &[i64], salt: u64) -> Self {
        let pool = Pool::build(base, idx, last, salt);
        Self { order: pool.order.iter().map(|e| (e.i, e.frames)).collect(), cursor: 0, min_frames: pool.min_frames }
    }

    /// Items tiling `[from, to)` exactly. `rights(i, start, len)` says whether candidate `i`
    /// may air there. Returns the items and whether the slate had to be used.
    pub fn close(
        &mut self,
        from: Frames,
        to: Frames,
        before: &str,
        idx: &CandidateIndex,
        rights: &dyn Fn(usize, Frames, i64) -> bool,
    ) -> (Vec<PlaylistItem>, bool) {
        let mut out = Vec::new();
        let mut t = from;
        let n = self.order.len();
        while t < to {
            let rem = (to - t).0;
            let mut chosen = None;
            if rem >= self.min_frames {
                for k in 0..n {
                    let j = (self.cursor + k) % n;
                    if let Some(&(i, f)) = self.order.get(j) {
                        if f <= rem && rights(i, t, f) {
                            chosen = Some((j, i, f, false));
                            break;
                        }
                    }
                }
            }
            if chosen.is_none() {
                // Nothing fits whole: cut the next filler (all are longer than `rem`) to the frame.
                for k in 0..n {
                    let j = (self.cursor + k) % n;
                    if let Some(&(i, f)) = self.order.get(j) {
                        if f >= rem && rights(i, t, rem) {
                            chosen = Some((j, i, rem, f > rem));
                            break;
                        }
                    }
                }
            }
            let Some((j, i, f, cut)) = chosen else {
                out.push(slate(t, to, before));
                return (out, true);
            };
            self.cursor = (j + 1) % n.max(1);
            let Some(p) = idx.get(i) else { break };
            let (why, reason) = if cut {
                (
                    format!("filler closing the gap before {before}; cut to {f} frames so the gap closes to the frame"),
                    Phrase::new("filler_cut").with("before", before).with("frames", f),
                )
            } else {
                (
                    format!("filler closing the gap before {before} (rotation)"),
                    Phrase::new("filler").with("before", before),
                )
            };
            out.push(PlaylistItem {
                start: t,
                duration: Frames(f),
                timing: Timing::Soft,
                source: Source::Programme { id: p.id.clone() },
                in_point: Frames::ZERO,
                title: p.title.clone(),
                kind: ItemKind::Filler,
                category: p.category.clone(),
                locked: false,
                why: Some(why),
                reason: Some(reason),
            });
            t += Frames(f);
        }
        (out, false)
    }
}

fn slate(from: Frames, to: Frames, before: &str) -> PlaylistItem {
    PlaylistItem::slate(
        from,
        to - from,
        format!("no filler available to close the gap before {before}"),
        Phrase::new("no_filler").with("before", before),
    )
}
