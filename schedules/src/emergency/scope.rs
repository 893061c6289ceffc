//! Who may send what, and how much text an alert may carry.
//!
//! A sender acts for a [`SenderScope`]: the whole network (the city centre, the network
//! administrator, a configured platform) or one centre's area (a county's operator). An
//! alert is accepted from a sender only when
//! - every area code lies within the scope;
//! - every circle and polygon lies inside the coverage footprint of a channel the scope
//!   owns (a channel whose areas all lie within the scope) — Kapok knows no county
//!   boundary beyond its channels' footprints, so a county without a configured footprint
//!   sends area codes, not shapes;
//! - every alert an Update or Cancel references passes the same test (a county may end its
//!   own alerts, never the city's).
//!
//! The channels an area-limited sender's alert reaches are only the channels the scope owns:
//! a circle inside 米易 overlaps the city channels' footprint too, but the city decides
//! what interrupts the city's channels.

use super::alert::Alert;
use super::area_code::AreaCode;
use super::reason::{Reason, ReasonCode};
use super::targeting::ChannelCoverage;

/// Longest headline, description, instruction, event or area description, bytes (UTF-8).
pub const MAX_FIELD_BYTES: usize = 4096;
/// Longest text of a whole alert (every field together), bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Widest circle accepted, km: Sichuan is about 1,100 km across; wider means a typo.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// For whom a sender acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderScope {
    /// The whole network (the city centre, the network administrator, a signed platform).
    Network,
    /// One centre's area (`510421` for 米易).
    Area(AreaCode),
}

impl SenderScope {
    /// How the scope is named in refusals.
    pub fn label(&self) -> String {
        match self {
            SenderScope::Network => "the whole network".to_owned(),
            SenderScope::Area(a) => format!("area {a}"),
        }
    }

    /// Whether `code` lies within the scope.
    pub fn covers(&self, code: &AreaCode) -> bool {
        match self {
            SenderScope::Network => true,
            SenderScope::Area(a) => a.contains(code),
        }
    }

    /// Whether the scope owns `channel`: every area the channel serves lies within it.
    pub fn owns(&self, channel: &ChannelCoverage) -> bool {
        !channel.area_codes.is_empty() && channel.area_codes.iter().all(|c| self.covers(c))
    }

    /// Whether `alert`'s codes and shapes lie within the scope, given the channels (and their
    /// footprints) this desk knows.
    ///
    /// # Errors
    /// Why not, for a person (`centre 510421 may not send for 510400`).
    pub fn check_areas(&self, alert: &Alert, channels: &[ChannelCoverage]) -> Result<(), String> {
        let SenderScope::Area(own) = self else { return Ok(()) };
        let mut any = false;
        for area in &alert.areas {
            for code in &area.codes {
                any = true;
                if !self.covers(code) {
                    return Err(format!("centre {own} may send alerts only for its own area ({own}…), not for {code}"));
                }
            }
            if area.polygons.is_empty() && area.circles.is_empty() {
                continue;
            }
            any = true;
            let footprints: Vec<_> =
                channels.iter().filter(|c| self.owns(c)).filter_map(|c| c.polygon.as_ref()).collect();
            if footprints.is_empty() {
                return Err(format!(
                    "centre {own} has no coverage footprint configured, so its shapes cannot be checked: send area codes"
                ));
            }
            for p in &area.polygons {
                if !footprints.iter().any(|f| f.encloses(p)) {
                    return Err(format!("a polygon of this alert leaves the coverage of centre {own}"));
                }
            }
            for c in &area.circles {
                if !footprints.iter().any(|f| f.encloses_circle(c)) {
                    return Err(format!(
                        "a circle of {} km around {:.4},{:.4} leaves the coverage of centre {own}",
                        c.radius_km,
                        c.centre.lat(),
                        c.centre.lon()
                    ));
                }
            }
        }
        // A Cancel names what it ends by reference; the references are checked instead.
        if !any && alert.msg_type != super::vocab::MsgType::Cancel {
            return Err(format!("centre {own} must name its area: give an area code ({own}…)"));
        }
        Ok(())
    }
}

/// Text fields over [`MAX_FIELD_BYTES`], a whole text over [`MAX_TEXT_BYTES`], circles over
/// [`MAX_RADIUS_KM`] and polygons whose edges cross, each with the field's path.
pub fn check_limits(alert: &Alert) -> Vec<Reason> {
    let mut out = Vec::new();
    let mut total = 0usize;
    let mut field = |value: Option<&str>, path: String, out: &mut Vec<Reason>| {
        let Some(v) = value else { return };
        total += v.len();
        if v.len() > MAX_FIELD_BYTES {
            out.push(Reason::new(
                ReasonCode::TooLong,
                format!("{path} is {} bytes; at most {MAX_FIELD_BYTES} bytes air", v.len()),
                path,
            ));
        }
    };
    field(alert.headline.as_deref(), "/headline".into(), &mut out);
    field(alert.description.as_deref(), "/description".into(), &mut out);
    field(alert.instruction.as_deref(), "/instruction".into(), &mut out);
    field(Some(&alert.event), "/event".into(), &mut out);
    for (i, a) in alert.areas.iter().enumerate() {
        field(Some(&a.desc), format!("/areas/{i}/desc"), &mut out);
    }
    if total > MAX_TEXT_BYTES {
        out.push(Reason::new(
            ReasonCode::TooLong,
            format!("the alert's text is {total} bytes; at most {MAX_TEXT_BYTES} bytes air"),
            "/",
        ));
    }
    for (i, a) in alert.areas.iter().enumerate() {
        for (j, c) in a.circles.iter().enumerate() {
            if c.radius_km > MAX_RADIUS_KM {
                out.push(Reason::new(
                    ReasonCode::InvalidShape,
                    format!(
                        "a circle of {} km is wider than any area a broadcast desk serves (at most {MAX_RADIUS_KM} km)",
                        c.radius_km
                    ),
                    format!("/areas/{i}/circles/{j}"),
                ));
            }
        }
        for (j, p) in a.polygons.iter().enumerate() {
            if p.crosses_itself() {
                out.push(Reason::new(
                    ReasonCode::InvalidShape,
                    "the polygon's edges cross each other: give its points in order around the area",
                    format!("/areas/{i}/polygons/{j}"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::geo::Polygon;
    use crate::emergency::targeting::{ChannelId, ChannelKind};

    fn alert(areas: &str) -> Alert {
        let doc = format!(
            r#"{{"id":"a","sender":"s","sent":"2026-07-01T08:30:00+08:00","status":"Actual",
            "msg_type":"Alert","severity":"Severe","urgency":"Immediate","certainty":"Observed",
            "event":"山洪","headline":"米易县山洪橙色预警","areas":{areas},"language":"zh-CN"}}"#
        );
        crate::emergency::validate_document(doc.as_bytes()).alert.unwrap()
    }

    fn channel(id: &str, code: &str, footprint: Option<&str>) -> ChannelCoverage {
        ChannelCoverage {
            id: ChannelId(id.into()),
            kind: ChannelKind::Tv,
            area_codes: vec![AreaCode::parse(code).unwrap()],
            allows_drills: false,
            polygon: footprint.map(|f| Polygon::parse_cap(f).unwrap()),
        }
    }

    const CITY: &str = "26.0,101.0 27.5,101.0 27.5,102.5 26.0,102.5 26.0,101.0";
    const MIYI: &str = "26.6,101.8 27.1,101.8 27.1,102.3 26.6,102.3 26.6,101.8";

    #[test]
    fn a_county_sends_for_its_own_codes_and_shapes_only() {
        let channels = [channel("city", "510400", Some(CITY)), channel("miyi", "510421", Some(MIYI))];
        let county = SenderScope::Area(AreaCode::parse("510421").unwrap());
        assert!(county.check_areas(&alert(r#"[{"desc":"米易","codes":["510421"]}]"#), &channels).is_ok());
        assert!(county.check_areas(&alert(r#"[{"desc":"x","codes":["510421001000"]}]"#), &channels).is_ok());
        let city = county.check_areas(&alert(r#"[{"desc":"全市","codes":["510400"]}]"#), &channels).unwrap_err();
        assert!(city.contains("510400"), "{city}");
        let inside = r#"[{"desc":"米易","codes":["510421"],"circles":[{"centre":[26.85,102.05],"radius_km":5}]}]"#;
        assert!(county.check_areas(&alert(inside), &channels).is_ok());
        let leaves = r#"[{"desc":"米易","codes":["510421"],"circles":[{"centre":[26.85,102.05],"radius_km":60}]}]"#;
        assert!(county.check_areas(&alert(leaves), &channels).unwrap_err().contains("leaves"));
        // Without its own footprint a county cannot use shapes at all.
        let bare = [channel("city", "510400", Some(CITY)), channel("miyi", "510421", None)];
        assert!(county.check_areas(&alert(inside), &bare).unwrap_err().contains("footprint"));
        assert!(SenderScope::Network.check_areas(&alert(leaves), &bare).is_ok());
        assert!(county.owns(&channels[1]) && !county.owns(&channels[0]));
    }

    #[test]
    fn limits_name_the_field() {
        let mut a = alert(r#"[{"desc":"米易","codes":["510421"]}]"#);
        assert!(check_limits(&a).is_empty());
        a.description = Some("雨".repeat(2000));
        let r = check_limits(&a);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].code, r[0].path.as_str()), (ReasonCode::TooLong, "/description"));
        let huge = r#"[{"desc":"x","codes":["510421"],"circles":[{"centre":[26.85,102.05],"radius_km":10000}]}]"#;
        assert_eq!(check_limits(&alert(huge))[0].code, ReasonCode::InvalidShape);
    }
}
