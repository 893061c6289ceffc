//! The channel logo: a PNG burnt into every output frame (TV), at a corner with a margin and
//! an opacity, by `gdkpixbufoverlay` just before the encoder.

use std::path::PathBuf;

use crate::error::PlayoutError;

/// Which corner of the picture the logo sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogoCorner {
    /// Top left.
    TopLeft,
    /// Top right (the usual place for a station bug).
    #[default]
    TopRight,
    /// Bottom left.
    BottomLeft,
    /// Bottom right.
    BottomRight,
}

/// A validated logo: the PNG exists, the opacity is within 0–1.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    path: PathBuf,
    corner: LogoCorner,
    margin: u32,
    opacity: f64,
}

impl Logo {
    /// A logo from `path` (PNG, with alpha if wanted) at `corner`, `margin` pixels from both
    /// edges, with `opacity` from 0 (invisible) to 1 (opaque).
    ///
    /// # Errors
    /// [`PlayoutError::Pipeline`] when the file is missing or the opacity out of range.
    pub fn new(path: impl Into<PathBuf>, corner: LogoCorner, margin: u32, opacity: f64) -> Result<Logo, PlayoutError> {
        let path = path.into();
        if !path.is_file() {
            return Err(PlayoutError::Pipeline(format!("logo {}: no such file", path.display())));
        }
        if !(0.0..=1.0).contains(&opacity) {
            return Err(PlayoutError::Pipeline(format!("logo opacity {opacity}: must be within 0 and 1")));
        }
        Ok(Logo { path, corner, margin: margin.min(10_000), opacity })
    }

    /// The `gdkpixbufoverlay` element (negative offsets count from the right/bottom edge).
    pub(crate) fn element(&self) -> String {
        let m = i64::from(self.margin);
        let (x, y) = match self.corner {
            LogoCorner::TopLeft => (m, m),
            LogoCorner::TopRight => (-m, m),
            LogoCorner::BottomLeft => (m, -m),
            LogoCorner::BottomRight => (-m, -m),
        };
        let location = self.path.to_string_lossy().replace('\\', "\\\\").replace('"', "\\\"");
        format!("gdkpixbufoverlay location=\"{location}\" offset-x={x} offset-y={y} alpha={}", self.opacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logo_is_checked_and_placed_by_corner() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let logo = Logo::new(file.path(), LogoCorner::BottomRight, 24, 0.5).unwrap();
        let e = logo.element();
        assert!(e.contains("offset-x=-24 offset-y=-24 alpha=0.5"), "{e}");
        assert!(Logo::new(file.path(), LogoCorner::TopLeft, 0, 1.5).is_err());
        assert!(Logo::new("/nonexistent/logo.png", LogoCorner::TopLeft, 0, 1.0).is_err());
        let tl = Logo::new(file.path(), LogoCorner::TopLeft, 8, 1.0).unwrap().element();
        assert!(tl.contains("offset-x=8 offset-y=8"), "{tl}");
    }
}
