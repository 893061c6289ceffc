//! The font every picture Kapok draws uses — the emergency slate, the text crawl — found
//! once among the system's CJK fonts, with the measuring and line breaking Chinese needs:
//! no shaping (one glyph per character), breaks anywhere between characters, never before
//! closing punctuation (避头), Latin words kept whole.

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};

/// Why no usable font was found or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FontError(pub String);

/// Fonts tried in order by [`CjkFont::find`]: WenQuanYi Zen Hei (Debian `fonts-wqy-zenhei`),
/// Noto Sans CJK (`fonts-noto-cjk`), Droid Sans Fallback (`fonts-droid-fallback`).
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// A font able to draw Chinese.
pub struct CjkFont {
    font: FontVec,
    path: PathBuf,
}

impl std::fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFont").field("path", &self.path).finish()
    }
}

impl CjkFont {
    /// Loads the first face of a TrueType/OpenType font or collection.
    ///
    /// # Errors
    /// [`FontError`] when it cannot be read, is not a font, or has no Chinese glyphs.
    pub fn load(path: &Path) -> Result<CjkFont, FontError> {
        let err = |m: String| FontError(format!("{}: {m}", path.display()));
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let font = FontVec::try_from_vec_and_index(bytes, 0).map_err(|e| err(e.to_string()))?;
        if font.glyph_id('警').0 == 0 {
            return Err(err("has no Chinese glyphs".to_owned()));
        }
        Ok(CjkFont { font, path: path.to_owned() })
    }

    /// The first usable font of [`FONT_CANDIDATES`].
    ///
    /// # Errors
    /// [`FontError`] naming the Debian packages to install when none is present.
    pub fn find() -> Result<CjkFont, FontError> {
        FONT_CANDIDATES
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| CjkFont::load(p).ok())
            .ok_or_else(|| FontError("no CJK font found: install fonts-wqy-zenhei (or fonts-noto-cjk)".to_owned()))
    }

    /// The font file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The face, for drawing glyphs.
    pub(crate) fn face(&self) -> &FontVec {
        &self.font
    }

    /// Width of `text` at `px` pixels.
    pub fn width(&self, text: &str, px: f32) -> f32 {
        let s = self.font.as_scaled(PxScale::from(px));
        text.chars().map(|c| s.h_advance(s.glyph_id(c))).sum()
    }

    /// Breaks `text` into lines no wider than `max_width`: anywhere between Chinese
    /// characters, at spaces in Latin text, never before closing punctuation (避头).
    pub fn wrap(&self, text: &str, px: f32, max_width: f32) -> Vec<String> {
        let s = self.font.as_scaled(PxScale::from(px));
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut width = 0.0;
            for c in para.chars() {
                let adv = s.h_advance(s.glyph_id(c));
                if width + adv > max_width && !line.is_empty() && !is_no_break_start(c) {
                    let carry = latin_tail(&mut line);
                    lines.push(line.trim_end().to_owned());
                    width = self.width(&carry, px);
                    line = carry;
                }
                line.push(c);
                width += adv;
            }
            if !line.trim().is_empty() {
                lines.push(line.trim_end().to_owned());
            }
        }
        lines
    }
}

fn is_no_break_start(c: char) -> bool {
    "，。、；：！？）》」』】,.;:!?)".contains(c)
}

/// Splits off a Latin word cut by the line end, so it moves to the next line whole.
fn latin_tail(line: &mut String) -> String {
    if !line.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return String::new();
    }
    match line.rfind(|c: char| !c.is_ascii_alphanumeric()) {
        Some(i) if i + 1 < line.len() => {
            let i = i + line[i..].chars().next().map_or(1, char::len_utf8);
            let tail = line[i..].to_owned();
            line.truncate(i);
            tail
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_chinese_anywhere_but_not_before_punctuation_or_inside_words() {
        let font = CjkFont::find().unwrap();
        // Room for nine characters: the comma may not start a line, so it stays on the first.
        let nine = font.width("安宁河水位快速上涨", 20.0) + 0.5;
        let lines = font.wrap("安宁河水位快速上涨，请沿河群众立即转移", 20.0, nine);
        assert_eq!(lines, ["安宁河水位快速上涨，", "请沿河群众立即转移"]);
        let lines = font.wrap("安宁河水位快速上涨，请沿河群众立即转移", 20.0, font.width("安宁河水", 20.0) + 0.5);
        assert_eq!(lines, ["安宁河水", "位快速上", "涨，请沿", "河群众立", "即转移"]);
        let lines = font.wrap("Flood warning for Miyi county", 20.0, 150.0);
        assert!(lines.iter().all(|l| font.width(l, 20.0) <= 150.0 || !l.contains(' ')), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), "FloodwarningforMiyicounty");
        assert!(lines.iter().all(|l| !l.starts_with(' ')));
    }

    #[test]
    fn missing_or_bad_font_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(CjkFont::load(&dir.path().join("none.ttf")), Err(FontError(_))));
        let junk = dir.path().join("junk.ttf");
        std::fs::write(&junk, b"not a font").unwrap();
        assert!(matches!(CjkFont::load(&junk), Err(FontError(_))));
    }
}
