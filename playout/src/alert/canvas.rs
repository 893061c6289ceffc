//! A small RGB canvas with CJK text drawn by `ab_glyph` from a system font, and its
//! conversion to the channel's I420. Chinese needs no shaping (one glyph per character),
//! so glyph-by-glyph layout with per-character line breaking is correct for it.

use ab_glyph::{point, Font, PxScale, ScaleFont};

use crate::font::CjkFont;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// An RGB picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canvas {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Rows of RGB triplets.
    pub rgb: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `colour`.
    pub fn new(width: u32, height: u32, colour: Rgb) -> Canvas {
        let rgb = colour.iter().copied().cycle().take(width as usize * height as usize * 3).collect();
        Canvas { width, height, rgb }
    }

    /// The colour at (x, y), if inside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    /// Fills a rectangle (clipped).
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, colour: Rgb) {
        for yy in y..(y.saturating_add(h)).min(self.height) {
            for xx in x..(x.saturating_add(w)).min(self.width) {
                let i = (yy as usize * self.width as usize + xx as usize) * 3;
                self.rgb[i..i + 3].copy_from_slice(&colour);
            }
        }
    }

    fn blend(&mut self, x: i64, y: i64, colour: Rgb, coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        let i = (y as usize * self.width as usize + x as usize) * 3;
        for (dst, src) in self.rgb[i..i + 3].iter_mut().zip(colour) {
            let old = f32::from(*dst);
            *dst = (old + (f32::from(src) - old) * a).round() as u8;
        }
    }

    /// Draws one line of `text` with its top at `y` from `x`; returns the width drawn.
    pub fn text(&mut self, font: &CjkFont, text: &str, x: f32, y: f32, px: f32, colour: Rgb) -> f32 {
        let scale = PxScale::from(px);
        let s = font.face().as_scaled(scale);
        let baseline = y + s.ascent();
        let mut pen = x;
        for c in text.chars() {
            let id = s.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            if let Some(outline) = font.face().outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    self.blend(b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy), colour, cov);
                });
            }
            pen += s.h_advance(id);
        }
        pen - x
    }

    /// The picture as planar I420 (video range; BT.709 from 720 lines up, else BT.601).
    /// Width and height must be even (every channel format is).
    pub fn to_i420(&self) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let hd = h >= 720;
        let (kr, kb) = if hd { (0.2126, 0.0722) } else { (0.299, 0.114) };
        let kg = 1.0 - kr - kb;
        let yuv = |p: &[u8]| -> (f32, f32, f32) {
            let (r, g, b) = (f32::from(p[0]) / 255.0, f32::from(p[1]) / 255.0, f32::from(p[2]) / 255.0);
            let y = kr * r + kg * g + kb * b;
            (y, (b - y) / (2.0 * (1.0 - kb)), (r - y) / (2.0 * (1.0 - kr)))
        };
        let mut out = vec![0u8; w * h * 3 / 2];
        let (luma, chroma) = out.split_at_mut(w * h);
        let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
        for (i, p) in self.rgb.chunks_exact(3).enumerate() {
            luma[i] = (16.0 + 219.0 * yuv(p).0).round() as u8;
        }
        for cy in 0..h / 2 {
            for cx in 0..w / 2 {
                let (mut u, mut v) = (0.0, 0.0);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let i = ((2 * cy + dy) * w + 2 * cx + dx) * 3;
                    let (_, pu, pv) = yuv(&self.rgb[i..i + 3]);
                    u += pu / 4.0;
                    v += pv / 4.0;
                }
                u_plane[cy * (w / 2) + cx] = (128.0 + 224.0 * u).round().clamp(16.0, 240.0) as u8;
                v_plane[cy * (w / 2) + cx] = (128.0 + 224.0 * v).round().clamp(16.0, 240.0) as u8;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cjk_font_is_found_and_draws_chinese() {
        let font = CjkFont::find().unwrap();
        let mut c = Canvas::new(200, 60, [0, 0, 0]);
        let w = c.text(&font, "山洪预警", 4.0, 4.0, 40.0, [255, 255, 255]);
        // Four full-width glyphs: each as wide as the font's em at this scale.
        assert!((w - 4.0 * font.width("山", 40.0)).abs() < 0.01 && w > 100.0, "width {w}");
        let lit = c.rgb.chunks_exact(3).filter(|p| p[0] > 200).count();
        assert!(lit > 500, "{lit} lit pixels");
        assert_eq!(c.pixel(199, 59), Some([0, 0, 0]));
    }

    #[test]
    fn i420_of_white_black_and_red_has_video_range_values() {
        let mut c = Canvas::new(4, 2, [255, 255, 255]);
        c.fill(2, 0, 2, 2, [0, 0, 0]);
        let yuv = c.to_i420();
        assert_eq!(yuv.len(), 12);
        assert_eq!(&yuv[..4], &[235, 235, 16, 16]);
        assert_eq!(&yuv[8..], &[128, 128, 128, 128]);
        let red = Canvas::new(2, 2, [255, 0, 0]).to_i420();
        assert_eq!((red[0], red[4], red[5]), (81, 90, 240)); // BT.601 red
    }
}
