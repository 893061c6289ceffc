//! The TV slate of an alert: a full-screen picture with the severity colour band (GB/T
//! 35965.1 levels I–IV: red, orange, yellow, blue), headline, area, validity (Beijing time)
//! and description, and a crawl band at the bottom whose text moves while the audio runs.
//!
//! Pure: text in, pictures out. The slate is drawn once; each frame copies it and the crawl
//! strip's current window (a few hundred kilobytes a frame).

use chrono::FixedOffset;
use schedules::emergency::gbt35965::WarningLevel;
use schedules::emergency::vocab::Severity;
use schedules::emergency::Alert;

use super::canvas::{Canvas, Rgb};
use crate::font::CjkFont;

const BACKGROUND: Rgb = [16, 20, 28];
const WHITE: Rgb = [255, 255, 255];
const GREY: Rgb = [200, 206, 214];
/// The drill banner's colour: a violet no warning level uses, so a drill never looks like a
/// level's band.
pub const DRILL: Rgb = [128, 40, 168];
/// The drill banner's text.
pub const DRILL_BANNER: &str = "演练 EXERCISE　本信息为应急广播演练，不是真实预警";
/// What the crawl of a drill starts with (and its fixed label says).
pub const DRILL_LABEL: &str = "演练";

/// What the slate shows, taken from an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateText {
    /// Warning level, when the severity has one.
    pub level: Option<WarningLevel>,
    /// Headline (or the event).
    pub headline: String,
    /// Area names.
    pub area: String,
    /// "effective – expires" in Beijing time.
    pub validity: String,
    /// Description and instruction.
    pub description: String,
    /// The text that crawls.
    pub crawl: String,
    /// A drill (CAP `Exercise`): the slate carries the 演练 / EXERCISE banner and the crawl
    /// a fixed 演练 label.
    pub drill: bool,
}

impl SlateText {
    /// The slate text of `alert`.
    pub fn of(alert: &Alert) -> SlateText {
        let level = WarningLevel::from_severity(alert.severity);
        let headline = alert.headline.clone().filter(|h| !h.trim().is_empty()).unwrap_or_else(|| alert.event.clone());
        let area = alert.areas.iter().map(|a| a.desc.trim()).filter(|d| !d.is_empty()).collect::<Vec<_>>().join("、");
        // Asia/Shanghai has been UTC+8 all year since 1991.
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc));
        let fmt =
            |t: schedules::emergency::AlertTime| t.utc().with_timezone(&beijing).format("%Y-%m-%d %H:%M").to_string();
        let until = alert.expires.map_or_else(|| "另行通知".to_owned(), fmt);
        let validity = format!("{} 至 {}（北京时间）", fmt(alert.effective_from()), until);
        let description = [alert.description.as_deref(), alert.instruction.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let crawl = [Some(headline.as_str()), alert.description.as_deref(), alert.instruction.as_deref()]
            .into_iter()
            .flatten()
            .map(|s| s.replace(['\n', '\r'], " "))
            .collect::<Vec<_>>()
            .join("　　");
        let drill = alert.status == schedules::emergency::vocab::Status::Exercise;
        let crawl = if drill { format!("【演练 EXERCISE】　{crawl}　　【演练】") } else { crawl };
        SlateText { level, headline, area, validity, description, crawl, drill }
    }

    /// The band's colour and title (`特别重大（Ⅰ级）红色预警`).
    pub fn band(&self) -> (Rgb, String, Rgb) {
        match self.level {
            Some(l) => {
                let (bg, fg) = level_colours(l);
                (bg, format!("{}（{}级）{}预警", l.chinese_name(), l.roman(), l.chinese_colour()), fg)
            }
            None => ([96, 96, 96], "应急广播".to_owned(), WHITE),
        }
    }
}

/// Band colour and the text colour readable on it.
pub fn level_colours(level: WarningLevel) -> (Rgb, Rgb) {
    match level {
        WarningLevel::Red => ([220, 20, 30], WHITE),
        WarningLevel::Orange => ([255, 128, 0], WHITE),
        WarningLevel::Yellow => ([255, 214, 0], [0, 0, 0]),
        WarningLevel::Blue => ([0, 82, 204], WHITE),
    }
}

/// The severity's colour, for callers without an alert at hand.
pub fn severity_colour(s: Severity) -> Rgb {
    WarningLevel::from_severity(s).map_or([96, 96, 96], |l| level_colours(l).0)
}

/// Where things go, in pixels, for a picture of `height` lines.
#[derive(Debug, Clone, Copy)]
struct Layout {
    margin: f32,
    band_h: u32,
    crawl_h: u32,
    title_px: f32,
    headline_px: f32,
    body_px: f32,
}

impl Layout {
    fn for_size(width: u32, height: u32) -> Layout {
        let h = height as f32;
        let even = |v: f32| ((v / 2.0).round() as u32) * 2;
        Layout {
            margin: (width as f32 * 0.05).round(),
            band_h: even(h * 0.16),
            crawl_h: even(h * 0.10),
            title_px: h * 0.075,
            headline_px: h * 0.07,
            body_px: h * 0.045,
        }
    }
}

/// The still picture (everything but the crawl's text).
pub fn render_slate(text: &SlateText, width: u32, height: u32, font: &CjkFont) -> Canvas {
    let l = Layout::for_size(width, height);
    let (band, title, band_fg) = text.band();
    let mut c = Canvas::new(width, height, BACKGROUND);
    c.fill(0, 0, width, l.band_h, band);
    let title_y = (l.band_h as f32 - l.title_px) / 2.0;
    c.text(font, &title, l.margin, title_y, l.title_px, band_fg);
    let inner = width as f32 - 2.0 * l.margin;
    let mut y = l.band_h as f32 + l.body_px;
    if text.drill {
        let (top, h) = drill_banner(height);
        c.fill(0, top, width, h, DRILL);
        let px = h as f32 * 0.6;
        c.text(font, DRILL_BANNER, l.margin, top as f32 + (h as f32 - px) / 2.0, px, WHITE);
        y = (top + h) as f32 + l.body_px * 0.6;
    }
    for line in font.wrap(&text.headline, l.headline_px, inner).iter().take(2) {
        c.text(font, line, l.margin, y, l.headline_px, WHITE);
        y += l.headline_px * 1.25;
    }
    y += l.body_px * 0.4;
    for (label, value) in [("影响区域：", &text.area), ("有效时间：", &text.validity)] {
        if value.is_empty() {
            continue;
        }
        let w = c.text(font, label, l.margin, y, l.body_px, label_colour(band));
        for line in font.wrap(value, l.body_px, inner - w).iter().take(2) {
            c.text(font, line, l.margin + w, y, l.body_px, GREY);
            y += l.body_px * 1.3;
        }
    }
    y += l.body_px * 0.4;
    // The description fills what is left above the crawl; an overflow ends in an ellipsis.
    let bottom = (height - l.crawl_h) as f32 - l.body_px * 0.5;
    let fits = ((bottom - y) / (l.body_px * 1.3)).floor().max(0.0) as usize;
    let lines = font.wrap(&text.description, l.body_px, inner);
    for (k, line) in lines.iter().take(fits).enumerate() {
        let shown = if k + 1 == fits && lines.len() > fits { format!("{line}…") } else { line.clone() };
        c.text(font, &shown, l.margin, y, l.body_px, WHITE);
        y += l.body_px * 1.3;
    }
    c.fill(0, height - l.crawl_h, width, l.crawl_h, [0, 0, 0]);
    c.fill(0, height - l.crawl_h, width, (l.crawl_h / 16).max(2), band);
    c
}

/// Where the drill banner lies on a slate `height` lines high: top line and height (even),
/// right under the level band.
pub fn drill_banner(height: u32) -> (u32, u32) {
    let l = Layout::for_size(2, height);
    (l.band_h, ((height as f32 * 0.09 / 2.0).round() as u32) * 2)
}

/// The band colour lightened, for labels readable on the dark background.
fn label_colour(band: Rgb) -> Rgb {
    band.map(|c| (f32::from(c) + (255.0 - f32::from(c)) * 0.4).round() as u8)
}

/// The crawl: a strip holding the text once plus a picture-wide gap, moved left by
/// `speed` pixels a frame and wrapped around.
#[derive(Debug, Clone)]
pub struct Crawl {
    /// Top line of the band in the picture (even).
    pub top: u32,
    strip: Canvas,
    strip_i420: Vec<u8>,
    picture_width: u32,
    /// Pixels moved per frame (even, so chroma stays aligned).
    pub speed: u32,
    /// A fixed label at the band's left end (a drill's 演练), I420, and its width.
    label: Option<(Vec<u8>, u32)>,
}

impl Crawl {
    /// The crawl for a `width`×`height` picture, moving one picture width in about
    /// `seconds_per_width` at `fps`.
    pub fn new(text: &str, width: u32, height: u32, fps: f64, font: &CjkFont) -> Crawl {
        Self::build(text, width, height, fps, font, None)
    }

    /// A drill's crawl: [`Self::new`] with a fixed violet 演练 label at the band's left end.
    pub fn drill(text: &str, width: u32, height: u32, fps: f64, font: &CjkFont) -> Crawl {
        Self::build(text, width, height, fps, font, Some(DRILL_LABEL))
    }

    fn build(text: &str, width: u32, height: u32, fps: f64, font: &CjkFont, label: Option<&str>) -> Crawl {
        let l = Layout::for_size(width, height);
        let px = l.crawl_h as f32 * 0.6;
        let line = (l.crawl_h / 16).max(2);
        let band_h = l.crawl_h - line;
        let text_w = font.width(text, px).ceil() as u32;
        let strip_w = (text_w + width).div_ceil(2) * 2;
        let mut strip = Canvas::new(strip_w, band_h, [0, 0, 0]);
        strip.text(font, text, 0.0, (band_h as f32 - px) / 2.0, px, [255, 230, 0]);
        let speed = ((f64::from(width) / 8.0 / fps.max(1.0)) / 2.0).round().max(1.0) as u32 * 2;
        let strip_i420 = strip.to_i420();
        let label = label.map(|t| {
            let w = ((font.width(t, px) + px).ceil() as u32).div_ceil(2) * 2;
            let mut c = Canvas::new(w.min(width), band_h, DRILL);
            c.text(font, t, px / 2.0, (band_h as f32 - px) / 2.0, px, WHITE);
            (c.to_i420(), w.min(width))
        });
        Crawl { top: height - band_h, strip, strip_i420, picture_width: width, speed, label }
    }

    /// Frames for the text to cross the picture once, entering at the right and leaving at
    /// the left.
    pub fn pass_frames(&self) -> u64 {
        u64::from(self.strip.width.div_ceil(self.speed))
    }

    /// Writes the crawl of frame `n` (counted from its start) into the I420 `frame` of a
    /// picture `height` lines high; the text enters from the right edge. A frame of another
    /// size is left alone.
    pub fn draw(&self, frame: &mut [u8], n: u64, height: u32) {
        let (w, sw, bh) = (self.picture_width as usize, self.strip.width as usize, self.strip.height as usize);
        if frame.len() != w * height as usize * 3 / 2 || self.top as usize + bh > height as usize {
            return;
        }
        // Offset into the strip of the picture's left edge; the strip starts with the text,
        // so begin `w` pixels "before" it (a blank screen-width first).
        let offset = ((n * u64::from(self.speed) + (sw - w) as u64) % sw as u64) as usize & !1;
        let h = height as usize;
        let top = self.top as usize;
        let (luma, chroma) = frame.split_at_mut(w * h);
        let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
        let (sy, schroma) = self.strip_i420.split_at(sw * bh);
        let (su, sv) = schroma.split_at(sw * bh / 4);
        for row in 0..bh {
            let dst = &mut luma[(top + row) * w..(top + row + 1) * w];
            copy_wrapped(dst, &sy[row * sw..(row + 1) * sw], offset);
        }
        for row in 0..bh / 2 {
            let d = (top / 2 + row) * (w / 2);
            copy_wrapped(&mut u_plane[d..d + w / 2], &su[row * (sw / 2)..(row + 1) * (sw / 2)], offset / 2);
            copy_wrapped(&mut v_plane[d..d + w / 2], &sv[row * (sw / 2)..(row + 1) * (sw / 2)], offset / 2);
        }
        if let Some((patch, lw)) = &self.label {
            let lw = *lw as usize;
            let (py, pc) = patch.split_at(lw * bh);
            let (pu, pv) = pc.split_at(lw * bh / 4);
            for row in 0..bh {
                luma[(top + row) * w..(top + row) * w + lw].copy_from_slice(&py[row * lw..(row + 1) * lw]);
            }
            for row in 0..bh / 2 {
                let d = (top / 2 + row) * (w / 2);
                u_plane[d..d + lw / 2].copy_from_slice(&pu[row * (lw / 2)..(row + 1) * (lw / 2)]);
                v_plane[d..d + lw / 2].copy_from_slice(&pv[row * (lw / 2)..(row + 1) * (lw / 2)]);
            }
        }
    }
}

fn copy_wrapped(dst: &mut [u8], src: &[u8], offset: usize) {
    let first = (src.len() - offset).min(dst.len());
    dst[..first].copy_from_slice(&src[offset..offset + first]);
    let rest = dst.len() - first;
    if rest > 0 {
        dst[first..].copy_from_slice(&src[..rest]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(severity: &str) -> Alert {
        let doc = format!(
            r#"{{"id":"a","sender":"s","sent":"2026-07-01T00:30:00Z","status":"Actual",
            "msg_type":"Alert","severity":"{severity}","urgency":"Immediate","certainty":"Observed",
            "event":"山洪","headline":"米易县山洪红色预警","description":"安宁河水位快速上涨。",
            "instruction":"请立即向高处转移！","expires":"2026-07-01T01:30:00Z",
            "areas":[{{"desc":"米易县","codes":["510421"]}},{{"desc":"盐边县","codes":["510422"]}}],"language":"zh-CN"}}"#
        );
        schedules::emergency::validate_document(doc.as_bytes()).alert.unwrap()
    }

    #[test]
    fn slate_text_has_level_area_and_beijing_validity() {
        let t = SlateText::of(&alert("Extreme"));
        assert_eq!(t.level, Some(WarningLevel::Red));
        assert_eq!(t.area, "米易县、盐边县");
        assert_eq!(t.validity, "2026-07-01 08:30 至 2026-07-01 09:30（北京时间）");
        assert_eq!(t.description, "安宁河水位快速上涨。\n请立即向高处转移！");
        assert!(t.crawl.starts_with("米易县山洪红色预警　　安宁河"));
        assert_eq!(t.band().1, "特别重大（I级）红色预警");
    }

    #[test]
    fn band_colour_follows_the_level() {
        let font = CjkFont::find().unwrap();
        for (sev, colour) in [
            ("Extreme", [220, 20, 30]),
            ("Severe", [255, 128, 0]),
            ("Moderate", [255, 214, 0]),
            ("Minor", [0, 82, 204]),
        ] {
            let c = render_slate(&SlateText::of(&alert(sev)), 640, 360, &font);
            assert_eq!(c.pixel(2, 2), Some(colour), "{sev}");
            assert_eq!(c.pixel(2, 200), Some(BACKGROUND), "{sev}");
        }
        assert_eq!(severity_colour(Severity::Unknown), [96, 96, 96]);
    }

    #[test]
    fn slate_carries_text_in_each_block() {
        let font = CjkFont::find().unwrap();
        let c = render_slate(&SlateText::of(&alert("Extreme")), 1280, 720, &font);
        let lit_rows = |from: u32, to: u32| {
            (from..to).filter(|&y| (0..1280).any(|x| c.pixel(x, y).is_some_and(|p| p == WHITE))).count()
        };
        assert!(lit_rows(0, 115) > 20, "band title");
        assert!(lit_rows(115, 250) > 30, "headline");
        assert!(lit_rows(330, 640) > 30, "description");
    }

    #[test]
    fn a_drill_carries_the_banner_and_a_fixed_crawl_label() {
        let font = CjkFont::find().unwrap();
        let mut drill = alert("Severe");
        drill.status = schedules::emergency::vocab::Status::Exercise;
        let text = SlateText::of(&drill);
        assert!(text.drill && text.crawl.starts_with("【演练 EXERCISE】"));
        let (top, h) = drill_banner(720);
        let c = render_slate(&text, 1280, 720, &font);
        assert_eq!(c.pixel(4, top + 2), Some(DRILL));
        assert_eq!(c.pixel(1275, top + h - 2), Some(DRILL));
        let real = render_slate(&SlateText::of(&alert("Severe")), 1280, 720, &font);
        assert_ne!(real.pixel(4, top + 2), Some(DRILL), "a real alert has no banner");
        // The crawl keeps its 演练 label at the left end whatever the text's position.
        let crawl = Crawl::drill(&text.crawl, 640, 360, 25.0, &font);
        let mut f = vec![0u8; 640 * 360 * 3 / 2];
        crawl.draw(&mut f, 0, 360);
        let row = (crawl.top + 2) as usize;
        let violet_y = Canvas::new(2, 2, DRILL).to_i420()[0];
        assert_eq!(f[row * 640 + 2], violet_y);
        assert_eq!(f[row * 640 + 600], 16, "the rest of the band is black at frame 0");
    }

    #[test]
    fn crawl_moves_left_and_wraps() {
        let font = CjkFont::find().unwrap();
        let crawl = Crawl::new("米易县山洪红色预警", 640, 360, 25.0, &font);
        assert_eq!(crawl.speed % 2, 0);
        let frame = |n| {
            let mut f = vec![0u8; 640 * 360 * 3 / 2];
            crawl.draw(&mut f, n, 360);
            f
        };
        let yellow_cols = |f: &[u8]| -> Vec<usize> {
            (0..640).filter(|&x| (crawl.top as usize..360).any(|y| f[y * 640 + x] > 150)).collect()
        };
        assert!(yellow_cols(&frame(0)).is_empty(), "enters from the right");
        let a = yellow_cols(&frame(20));
        let b = yellow_cols(&frame(21));
        assert!(!a.is_empty());
        assert_eq!(a[0] - b[0], crawl.speed as usize);
        assert_eq!(frame(20 + u64::from(crawl.strip.width)), frame(20));
    }
}
