//! What the catalog tests share: centre codes, and agricultural programmes to import.

use catalog::ids::CentreCode;
use catalog::programme::{Category, NewProgramme, Sharing};

pub fn code(s: &str) -> CentreCode {
    CentreCode::parse(s).unwrap()
}

/// An agricultural programme of `centre` with this title, description and sharing.
pub fn new(centre: &str, title: &str, description: &str, sharing: Sharing) -> NewProgramme {
    let mut n = NewProgramme::new(code(centre), title, Category::Agriculture);
    n.description = description.into();
    n.sharing = sharing;
    n
}
