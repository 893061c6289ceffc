//! Which filler programme airs next when the schedule cannot be aired (media missing, a live
//! source dropped, nothing scheduled): the channel's configured list in rotation, skipping
//! fillers that would not open, so the slate airs only when no filler is usable. Pure logic;
//! the engine opens and airs what this picks.

/// A rotation over `len` fillers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FillerRotation {
    len: usize,
    next: usize,
    broken: Vec<bool>,
}

impl FillerRotation {
    /// A rotation over `len` fillers, starting with the first.
    pub fn new(len: usize) -> FillerRotation {
        FillerRotation { len, next: 0, broken: vec![false; len] }
    }

    /// The filler to air next, or `None` when there is none that works (slate then).
    pub fn pick(&mut self) -> Option<usize> {
        for step in 0..self.len {
            let i = (self.next + step) % self.len;
            if !self.broken[i] {
                self.next = (i + 1) % self.len;
                return Some(i);
            }
        }
        None
    }

    /// Filler `i` could not be opened or decoded: it is skipped from now on.
    pub fn broken(&mut self, i: usize) {
        if let Some(b) = self.broken.get_mut(i) {
            *b = true;
        }
    }

    /// True when at least one filler may still air.
    pub fn any(&self) -> bool {
        self.broken.iter().any(|b| !b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers_rotate_skip_broken_ones_and_run_out_to_slate() {
        let mut r = FillerRotation::new(3);
        assert_eq!([r.pick(), r.pick(), r.pick(), r.pick()], [Some(0), Some(1), Some(2), Some(0)]);
        r.broken(1);
        assert_eq!([r.pick(), r.pick(), r.pick()], [Some(2), Some(0), Some(2)]);
        r.broken(0);
        r.broken(2);
        assert!(!r.any());
        assert_eq!(r.pick(), None);
        assert_eq!(FillerRotation::new(0).pick(), None);
    }
}
