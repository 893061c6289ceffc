//! Targeting over the 1+5 network, with alerts parsed from the fixtures.

use schedules::emergency::geo::Polygon;
use schedules::emergency::targeting::{targets, ChannelCoverage, ChannelId, ChannelKind, Network, Withheld};
use schedules::emergency::vocab::{MsgType, Status};
use schedules::emergency::{Alert, AreaCode, ReasonCode};

use crate::fixtures::alert;

fn channel(id: &str, kind: ChannelKind, code: &str, drills: bool) -> ChannelCoverage {
    ChannelCoverage {
        id: ChannelId(id.into()),
        kind,
        area_codes: vec![AreaCode::parse(code).unwrap()],
        allows_drills: drills,
        polygon: None,
    }
}

fn network() -> Vec<ChannelCoverage> {
    vec![
        channel("pzh-tv1", ChannelKind::Tv, "510400", true),
        channel("pzh-fm", ChannelKind::Radio, "510400", false),
        channel("dongqu-fm", ChannelKind::Radio, "510402", true),
        channel("miyi-tv", ChannelKind::Tv, "510421", false),
        channel("miyi-fm", ChannelKind::Radio, "510421", true),
        channel("yanbian-fm", ChannelKind::Radio, "510422", true),
    ]
}

fn ids(t: &[ChannelId]) -> Vec<&str> {
    t.iter().map(|c| c.0.as_str()).collect()
}

fn with_codes(mut a: Alert, codes: &[&str]) -> Alert {
    a.areas.truncate(1);
    a.areas[0].codes = codes.iter().map(|c| AreaCode::parse(c).unwrap()).collect();
    a.areas[0].polygons.clear();
    a.areas[0].circles.clear();
    a
}

#[test]
fn county_code_reaches_only_that_countys_channels() {
    let t = targets(&alert("cap_flood_extreme_miyi.xml"), &network());
    assert_eq!(ids(&t.channels), ["miyi-tv", "miyi-fm"]);
    assert!(t.reasons.is_empty(), "{:?}", t.reasons);
}

#[test]
fn city_code_reaches_every_channel() {
    let a = with_codes(alert("cap_flood_extreme_miyi.xml"), &["510400"]);
    assert_eq!(targets(&a, &network()).channels.len(), 6);
}

#[test]
fn township_code_reaches_its_county() {
    let t = targets(&alert("cap_update.xml"), &network());
    assert_eq!(ids(&t.channels), ["miyi-tv", "miyi-fm"]);
}

#[test]
fn exercise_reaches_only_channels_that_allow_drills() {
    let t = targets(&alert("cap_exercise.xml"), &network());
    assert_eq!(ids(&t.channels), ["pzh-tv1", "dongqu-fm", "miyi-fm", "yanbian-fm"]);
}

#[test]
fn test_system_and_draft_never_reach_public_channels() {
    for status in [Status::Test, Status::System, Status::Draft] {
        let mut a = alert("cap_flood_extreme_miyi.xml");
        a.status = status;
        let t = targets(&a, &network());
        assert!(t.channels.is_empty());
        assert_eq!(t.withheld, Some(Withheld::Status(status)));
    }
}

#[test]
fn ack_and_error_never_air() {
    for m in [MsgType::Ack, MsgType::Error] {
        let mut a = alert("cap_flood_extreme_miyi.xml");
        a.msg_type = m;
        let t = targets(&a, &network());
        assert!(t.channels.is_empty());
        assert_eq!(t.withheld, Some(Withheld::MsgType(m)));
    }
}

#[test]
fn code_outside_the_network_is_a_reason() {
    let a = with_codes(alert("cap_flood_extreme_miyi.xml"), &["510421", "510104"]);
    let t = targets(&a, &network());
    assert_eq!(ids(&t.channels), ["miyi-tv", "miyi-fm"]);
    assert_eq!(t.reasons.len(), 1);
    assert_eq!(t.reasons[0].code, ReasonCode::UnknownArea);
    assert_eq!(t.reasons[0].path, "/areas/0/codes/1");
}

#[test]
fn alert_reaching_nothing_says_so() {
    let a = with_codes(alert("cap_flood_extreme_miyi.xml"), &["510403"]);
    let t = targets(&a, &network());
    assert!(t.channels.is_empty());
    assert_eq!(t.reasons[0].code, ReasonCode::NoChannel);
}

#[test]
fn province_code_is_known_and_reaches_all() {
    let a = with_codes(alert("cap_flood_extreme_miyi.xml"), &["510000"]);
    let t = targets(&a, &network());
    assert_eq!(t.channels.len(), 6);
    assert!(t.reasons.is_empty());
    assert!(Network::panzhihua().knows(&AreaCode::parse("510421104000").unwrap()));
    assert!(!Network::panzhihua().knows(&AreaCode::parse("510100").unwrap()));
}

#[test]
fn polygon_reaches_a_channel_by_its_footprint() {
    let mut a = alert("cap_flood_extreme_miyi.xml");
    a.areas[0].codes.clear();
    a.areas[0].circles.clear();
    let mut chans = network();
    chans[2].polygon = Some(Polygon::parse_cap("26.9,101.7 27.2,101.7 27.2,102.0 26.9,102.0 26.9,101.7").unwrap());
    chans[5].polygon = Some(Polygon::parse_cap("26.0,101.0 26.2,101.0 26.2,101.2 26.0,101.2 26.0,101.0").unwrap());
    assert_eq!(ids(&targets(&a, &chans).channels), ["dongqu-fm"]);
}
