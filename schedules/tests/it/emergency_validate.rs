//! `validate_document` against every fixture in tests/fixtures/alerts.

use schedules::emergency::vocab::{MsgType, Severity, Status};
use schedules::emergency::{validate_document, DocumentKind, ReasonCode, ValidationReport};

use crate::fixtures::alert_bytes as fixture;

fn validate(name: &str) -> ValidationReport {
    validate_document(&fixture(name))
}

fn codes(report: &ValidationReport) -> Vec<ReasonCode> {
    report.reasons.iter().map(|r| r.code).collect()
}

fn assert_rejected_with(report: &ValidationReport, code: ReasonCode, path: &str) {
    assert!(!report.valid, "{report:#?}");
    assert!(report.alert.is_none());
    assert!(
        report.reasons.iter().any(|r| r.code == code && r.path == path),
        "expected {code:?} at {path}, got {:#?}",
        report.reasons
    );
}

#[test]
fn extreme_flood_for_miyi_in_chinese_is_valid_under_the_gbt35965_profile() {
    let report = validate("cap_flood_extreme_miyi.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    assert_eq!(report.kind, DocumentKind::Cap);
    assert_eq!(report.profile, Some("GB/T 35965.1"));
    let alert = report.alert.unwrap();
    assert_eq!(alert.severity, Severity::Extreme);
    assert_eq!(alert.event, "山洪");
    assert_eq!(alert.language, "zh-CN");
    assert_eq!(alert.area_codes().map(|c| c.as_str()).collect::<Vec<_>>(), ["510421"]);
    assert_eq!(alert.areas[0].polygons.len(), 1);
    assert_eq!(alert.areas[0].circles[0].radius_km, 15.0);
    assert_eq!(alert.resources[0].mime_type, "audio/mpeg");
    assert_eq!(alert.expires.unwrap().to_cap_string(), "2026-07-01T20:30:00+08:00");
}

#[test]
fn update_references_the_original_and_keeps_township_code() {
    let report = validate("cap_update.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    let alert = report.alert.unwrap();
    assert_eq!(alert.msg_type, MsgType::Update);
    assert_eq!(alert.references.len(), 1);
    assert_eq!(alert.area_codes().next().unwrap().as_str(), "510421104000");
}

#[test]
fn cancel_without_info_is_valid_and_references_both_messages() {
    let report = validate("cap_cancel.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    let alert = report.alert.unwrap();
    assert_eq!(alert.msg_type, MsgType::Cancel);
    assert_eq!(alert.references.len(), 2);
    assert!(alert.areas.is_empty());
}

#[test]
fn exercise_with_prefixed_namespace_and_utc_offset_is_valid() {
    let report = validate("cap_exercise.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    assert_eq!(report.profile, None);
    let alert = report.alert.unwrap();
    assert_eq!(alert.status, Status::Exercise);
    assert_eq!(alert.sent.to_cap_string(), "2026-05-12T14:28:00+00:00");
}

#[test]
fn missing_identifier_is_reported_with_its_path() {
    assert_rejected_with(&validate("invalid_missing_identifier.xml"), ReasonCode::Missing, "/alert/identifier");
}

#[test]
fn bad_enumerations_are_all_reported() {
    let report = validate("invalid_bad_enum.xml");
    assert_rejected_with(&report, ReasonCode::InvalidEnum, "/alert/status");
    assert_rejected_with(&report, ReasonCode::InvalidEnum, "/alert/info[0]/severity");
}

#[test]
fn fractional_seconds_and_z_are_not_cap_times() {
    assert_rejected_with(&validate("invalid_bad_time.xml"), ReasonCode::InvalidTime, "/alert/sent");
}

#[test]
fn unclosed_polygon_is_refused() {
    assert_rejected_with(
        &validate("invalid_unclosed_polygon.xml"),
        ReasonCode::InvalidPolygon,
        "/alert/info[0]/area[0]/polygon[0]",
    );
}

#[test]
fn update_without_references_is_refused() {
    assert_rejected_with(
        &validate("invalid_update_without_references.xml"),
        ReasonCode::InvalidReferences,
        "/alert/references",
    );
}

#[test]
fn entity_bomb_is_refused_before_parsing() {
    let report = validate("invalid_entity_bomb.xml");
    assert_eq!(codes(&report), [ReasonCode::DoctypeForbidden]);
    assert_eq!(report.kind, DocumentKind::Cap);
}

#[test]
fn xxe_is_refused_before_parsing() {
    let report = validate("invalid_xxe.xml");
    assert_eq!(codes(&report), [ReasonCode::DoctypeForbidden]);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("root:"), "nothing from /etc/passwd may appear");
}

#[test]
fn two_mebibyte_payload_is_refused_unread() {
    let mut doc = fixture("cap_flood_extreme_miyi.xml");
    let at = doc.windows(13).position(|w| w == b"<description>").unwrap() + 13;
    doc.splice(at..at, std::iter::repeat_n(b'x', 2 << 20));
    let report = validate_document(&doc);
    assert_eq!(codes(&report), [ReasonCode::TooLarge]);
}

#[test]
fn malformed_xml_is_one_clear_reason() {
    let report = validate("malformed.xml");
    assert_eq!(codes(&report), [ReasonCode::Malformed]);
    assert!(report.reasons[0].message.contains("not well-formed"), "{:?}", report.reasons);
}

#[test]
fn ebm_publish_maps_level_times_and_areas() {
    let report = validate("ebm_publish_miyi.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    assert_eq!(report.kind, DocumentKind::Ebm);
    let alert = report.alert.unwrap();
    assert_eq!(alert.severity, Severity::Extreme);
    assert_eq!(alert.key().as_str(), "ebm:51042100000000000120260701083000001");
    assert_eq!(alert.area_codes().count(), 2);
    assert_eq!(alert.effective.unwrap().to_cap_string(), "2026-07-01T08:30:00+08:00");
    assert_eq!(alert.resources[0].mime_type, "audio/mpeg");
}

#[test]
fn ebm_cancel_with_prefixes_references_its_own_ebm_id() {
    let report = validate("ebm_cancel.xml");
    assert!(report.valid, "{:#?}", report.reasons);
    let alert = report.alert.unwrap();
    assert_eq!(alert.msg_type, MsgType::Cancel);
    assert_eq!(alert.references[0].key(), alert.key());
}

#[test]
fn ebm_problems_are_all_reported() {
    let report = validate("invalid_ebm_missing_fields.xml");
    assert_eq!(report.kind, DocumentKind::Ebm);
    assert_rejected_with(&report, ReasonCode::Missing, "/EBD/SRC/EBRID");
    assert_rejected_with(&report, ReasonCode::InvalidEnum, "/EBD/EBM/MsgBasicInfo/MsgType");
    assert_rejected_with(&report, ReasonCode::InvalidEnum, "/EBD/EBM/MsgBasicInfo/Severity");
    assert_rejected_with(&report, ReasonCode::TimeOrder, "/EBD/EBM/MsgBasicInfo/EndTime");
    assert_rejected_with(&report, ReasonCode::Missing, "/EBD/EBM/MsgContent/MsgDesc");
    assert_rejected_with(&report, ReasonCode::InvalidValue, "/EBD/EBM/MsgContent/AreaCode");
}

#[test]
fn json_alert_is_valid_and_round_trips_through_its_own_form() {
    let report = validate("json_alert_moderate.json");
    assert!(report.valid, "{:#?}", report.reasons);
    assert_eq!(report.kind, DocumentKind::Json);
    let alert = report.alert.unwrap();
    assert_eq!(alert.areas[1].polygons[0].points().len(), 5);
    let again = validate_document(&serde_json::to_vec(&alert).unwrap());
    assert!(again.valid, "{:#?}", again.reasons);
    assert_eq!(again.alert.unwrap(), alert);
}

#[test]
fn every_converted_alert_round_trips_through_the_json_form() {
    for name in
        ["cap_flood_extreme_miyi.xml", "cap_update.xml", "cap_cancel.xml", "ebm_publish_miyi.xml", "ebm_cancel.xml"]
    {
        let alert = validate(name).alert.unwrap();
        let again = validate_document(&serde_json::to_vec(&alert).unwrap());
        assert!(again.valid, "{name}: {:#?}", again.reasons);
        assert_eq!(again.alert.unwrap(), alert, "{name}");
    }
}

#[test]
fn json_problems_are_all_reported_with_pointers() {
    let report = validate("invalid_json_alert.json");
    assert_rejected_with(&report, ReasonCode::Missing, "/id");
    assert_rejected_with(&report, ReasonCode::InvalidTime, "/sent");
    assert_rejected_with(&report, ReasonCode::InvalidEnum, "/status");
    assert_rejected_with(&report, ReasonCode::InvalidValue, "/areas/0");
    assert_rejected_with(&report, ReasonCode::InvalidValue, "/colour");
}

#[test]
fn malformed_json_is_one_clear_reason() {
    let report = validate("malformed.json");
    assert_eq!(report.kind, DocumentKind::Json);
    assert_eq!(codes(&report), [ReasonCode::Malformed]);
}

#[test]
fn report_serialises_as_the_cli_contract() {
    let value = serde_json::to_value(validate("invalid_missing_identifier.xml")).unwrap();
    assert_eq!(value["valid"], false);
    assert_eq!(value["kind"], "cap");
    assert_eq!(value["reasons"][0]["code"], "missing");
    assert_eq!(value["reasons"][0]["path"], "/alert/identifier");
    assert!(value["alert"].is_null());
}

#[test]
fn arbitrary_bytes_never_panic() {
    for doc in [&b""[..], b"\xff\xfe<", b"<", b"{", b"[]", b"null", b"<alert/>", b"<EBD/>", b"<rss/>"] {
        let report = validate_document(doc);
        assert!(!report.valid, "{doc:?}");
        assert!(!report.reasons.is_empty(), "{doc:?}");
    }
}

#[test]
fn ebm_ending_before_it_was_sent_is_refused() {
    let doc = String::from_utf8(fixture("ebm_publish_miyi.xml"))
        .unwrap()
        .replace("<StartTime>2026-07-01 08:30:00</StartTime>", "<StartTime>2026-07-01 06:00:00</StartTime>")
        .replace("<EndTime>2026-07-01 20:30:00</EndTime>", "<EndTime>2026-07-01 07:00:00</EndTime>");
    assert_rejected_with(&validate_document(doc.as_bytes()), ReasonCode::TimeOrder, "/EBD/EBM/MsgBasicInfo/EndTime");
}

#[test]
fn mutated_and_truncated_fixtures_never_panic_and_always_explain() {
    let dir = crate::fixtures::ALERTS;
    let mut seed: u64 = 0x5104_2100;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let doc = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..doc.len()).step_by(7) {
            let report = validate_document(&doc[..cut]);
            assert!(report.valid || !report.reasons.is_empty());
        }
        for _ in 0..300 {
            let mut m = doc.clone();
            for _ in 0..1 + next() % 4 {
                let i = next() % m.len();
                m[i] = b"<>&;/\"' ,:-T0Z9\xff\xe4"[next() % 16];
            }
            let report = validate_document(&m);
            assert!(report.valid == report.reasons.is_empty());
            assert!(report.valid == report.alert.is_some());
        }
    }
}
