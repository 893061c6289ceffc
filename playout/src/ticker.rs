//! A channel's text crawl (e.g. a weather ticker): the scrolling band of the emergency slate
//! ([`Crawl`]), looped for as long as the channel runs, drawn into every frame of the
//! scheduled programme before the encoder (not over overrides, so an alert slate airs clean).
//! Set with [`crate::Engine::set_ticker`] or `ChannelConfig::crawl`.

use crate::alert::slate::Crawl;
use crate::engine::Overlay;
use crate::error::PlayoutError;
use crate::font::CjkFont;
use crate::timeline::ChannelFormat;

/// A looping crawl of one text across the bottom of the picture.
pub struct Ticker {
    crawl: Crawl,
    pass: u64,
    frame: u64,
}

impl Ticker {
    /// The crawl of `text` for `format`'s picture, drawn with `font`.
    ///
    /// # Errors
    /// [`PlayoutError::Pipeline`] on radio (no picture) or for empty text.
    pub fn new(text: &str, format: &ChannelFormat, font: &CjkFont) -> Result<Ticker, PlayoutError> {
        let v = format.video.ok_or_else(|| PlayoutError::Pipeline("a text crawl needs a TV channel".into()))?;
        if text.trim().is_empty() {
            return Err(PlayoutError::Pipeline("the text crawl is empty".into()));
        }
        let fps = f64::from(v.fps.num()) / f64::from(v.fps.den());
        let crawl = Crawl::new(text.trim(), v.width, v.height, fps, font);
        let pass = crawl.pass_frames().max(1);
        Ok(Ticker { crawl, pass, frame: 0 })
    }

    /// Frames for the text to cross the picture once (then it enters again).
    pub fn pass_frames(&self) -> u64 {
        self.pass
    }
}

impl Overlay for Ticker {
    fn draw(&mut self, frame: &mut [u8], _width: u32, height: u32) -> bool {
        self.crawl.draw(frame, self.frame % self.pass, height);
        self.frame += 1;
        true
    }
}
