//! The alert fixtures in `schedules/tests/fixtures/alerts`: CAP and EBM documents, some signed
//! by xmlsec1 and gmssl, some broken on purpose.

use schedules::emergency::validate_document;
use schedules::emergency::Alert;

/// The fixture directory (absolute: tests may run from any directory).
pub const ALERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alerts");

/// The bytes of fixture `name`.
pub fn alert_bytes(name: &str) -> Vec<u8> {
    let path = format!("{ALERTS}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fixture `name`, validated: the alert it carries.
pub fn alert(name: &str) -> Alert {
    validate_document(&alert_bytes(name)).alert.unwrap()
}
