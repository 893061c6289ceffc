//! The replay window: a message whose `sent` is too old or too far in the future is refused,
//! so that a captured, validly signed alert cannot be aired again later, and so that the
//! dedupe memory only needs to span the window.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::alert::Alert;
use super::reason::{Reason, ReasonCode};

/// Accepted distance of `sent` from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplayWindow {
    /// Oldest accepted `sent`, in seconds before now (default 1 h).
    pub max_age_s: u32,
    /// Furthest accepted `sent` ahead of now, in seconds, for clock skew (default 5 min).
    pub max_future_s: u32,
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self { max_age_s: 3600, max_future_s: 300 }
    }
}

impl ReplayWindow {
    /// Checks `alert.sent` against `now`.
    ///
    /// # Errors
    /// A [`ReasonCode::Replay`] reason when outside the window.
    pub fn check(&self, alert: &Alert, now: DateTime<Utc>) -> Result<(), Reason> {
        let sent = alert.sent.utc();
        if sent < now - TimeDelta::seconds(i64::from(self.max_age_s)) {
            return Err(Reason::new(
                ReasonCode::Replay,
                format!("sent {} is more than {} s old", alert.sent, self.max_age_s),
                "/sent",
            ));
        }
        if sent > now + TimeDelta::seconds(i64::from(self.max_future_s)) {
            return Err(Reason::new(
                ReasonCode::Replay,
                format!("sent {} is more than {} s in the future", alert.sent, self.max_future_s),
                "/sent",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::{validate_document, AlertTime};

    #[test]
    fn refuses_old_and_far_future_messages() {
        let doc = br#"{"id":"a","sender":"s","sent":"2026-07-01T08:30:00+08:00","status":"Actual",
            "msg_type":"Alert","severity":"Minor","urgency":"Future","certainty":"Possible",
            "event":"fog","areas":[{"desc":"Miyi","codes":["510421"]}],"language":"zh-CN"}"#;
        let alert = validate_document(doc).alert.unwrap();
        let at = |s: &str| AlertTime::parse_cap(s).unwrap().utc();
        let w = ReplayWindow::default();
        assert!(w.check(&alert, at("2026-07-01T08:30:00+08:00")).is_ok());
        assert!(w.check(&alert, at("2026-07-01T09:30:00+08:00")).is_ok());
        assert!(w.check(&alert, at("2026-07-01T08:25:00+08:00")).is_ok());
        let old = w.check(&alert, at("2026-07-01T09:30:01+08:00")).unwrap_err();
        assert_eq!(old.code, ReasonCode::Replay);
        assert!(w.check(&alert, at("2026-07-01T08:24:59+08:00")).is_err());
    }
}
