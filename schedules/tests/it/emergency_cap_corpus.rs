//! The CAP 1.2 corpus (`tests/fixtures/cap_corpus`, sources in its README): every file gets
//! exactly the verdict `expected.txt` gives it — valid or invalid, with exactly the reasons
//! listed, and the broadcast-policy findings and warnings of the valid ones — quickly.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use schedules::emergency::{validate_document, CapAlert, DocumentKind, Reason, ValidationReport};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cap_corpus");

/// The slowest a corpus file may take to validate (best of three runs, debug build).
const BUDGET: Duration = Duration::from_millis(35);

struct Expected {
    file: String,
    valid: bool,
    reasons: BTreeSet<String>,
    policy: BTreeSet<String>,
    warnings: BTreeSet<String>,
}

fn expectations() -> Vec<Expected> {
    let text = std::fs::read_to_string(format!("{CORPUS}/expected.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let file = words.next().unwrap().to_string();
            let valid = match words.next() {
                Some("valid") => true,
                Some("invalid") => false,
                other => panic!("{file}: verdict {other:?}"),
            };
            let (mut reasons, mut policy, mut warnings) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
            for w in words {
                if let Some(p) = w.strip_prefix("policy:") {
                    policy.insert(p.to_string());
                } else if let Some(p) = w.strip_prefix("warning:") {
                    warnings.insert(p.to_string());
                } else {
                    reasons.insert(w.to_string());
                }
            }
            Expected { file, valid, reasons, policy, warnings }
        })
        .collect()
}

fn keys(reasons: &[Reason]) -> BTreeSet<String> {
    reasons.iter().map(|r| format!("{}@{}", serde_json::to_value(r.code).unwrap().as_str().unwrap(), r.path)).collect()
}

fn timed(doc: &[u8]) -> (ValidationReport, Duration) {
    let mut best = Duration::MAX;
    let mut report = None;
    for _ in 0..3 {
        let start = Instant::now();
        let r = validate_document(doc);
        best = best.min(start.elapsed());
        report = Some(r);
    }
    (report.unwrap(), best)
}

#[test]
fn every_corpus_file_gets_its_expected_verdict_reasons_and_policy_findings_within_35_ms() {
    let expected = expectations();
    let mut on_disk = BTreeSet::new();
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(Path::new(CORPUS).join(dir)).unwrap() {
            on_disk.insert(format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy()));
        }
    }
    let listed: BTreeSet<String> = expected.iter().map(|e| e.file.clone()).collect();
    assert_eq!(on_disk, listed, "every corpus file is listed in expected.txt, and only those");

    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for e in &expected {
        assert_eq!(e.file.starts_with("valid/"), e.valid, "{}: its folder says the other verdict", e.file);
        let doc = std::fs::read(format!("{CORPUS}/{}", e.file)).unwrap();
        let (report, took) = timed(&doc);
        if took > slowest.0 {
            slowest = (took, e.file.clone());
        }
        assert_eq!(report.kind, DocumentKind::Cap, "{}", e.file);
        let got = (report.valid, keys(&report.reasons), keys(&report.policy), keys(&report.warnings));
        let want = (e.valid, e.reasons.clone(), e.policy.clone(), e.warnings.clone());
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}\n  {:#?}", e.file, report.reasons));
        }
        assert_eq!(report.valid, report.alert.is_some(), "{}", e.file);
        assert!(took <= BUDGET, "{} took {took:?} to validate (budget {BUDGET:?})", e.file);
    }
    assert!(
        failures.is_empty(),
        "{} of {} files judged otherwise:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
    println!("{} corpus files as expected; slowest {} in {:?}", expected.len(), slowest.1, slowest.0);
}

#[test]
fn the_corpus_holds_the_specification_examples_and_the_four_formerly_refused_cases_as_valid() {
    let valid: Vec<String> = expectations().into_iter().filter(|e| e.valid).map(|e| e.file).collect();
    for name in [
        "valid/spec_a1_homeland_security.xml",
        "valid/spec_a2_severe_thunderstorm.xml",
        "valid/spec_a3_earthquake_update.xml",
        "valid/spec_a4_amber_multilingual.xml",
        "valid/empty_value.xml",
        "valid/iso_8859_1.xml",
        "valid/expires_equals_sent.xml",
        "valid/size_differs_from_content.xml",
    ] {
        assert!(valid.iter().any(|v| v == name), "{name} is not listed as valid");
    }
}

#[test]
fn an_iso_8859_1_document_is_decoded_not_mangled() {
    let doc = std::fs::read(format!("{CORPUS}/valid/iso_8859_1.xml")).unwrap();
    assert!(doc.contains(&0xC1) && std::str::from_utf8(&doc).is_err(), "the file is Latin-1 (Á is the byte 0xC1)");
    assert!(validate_document(&doc).valid);
    let cap = CapAlert::parse(&doc).unwrap();
    assert_eq!(cap.infos[1].event, "Abducción de Niño");
    assert_eq!(cap.infos[1].areas[0].desc, "condado de Los Ángeles");
}

#[test]
fn gb18030_and_utf16_documents_read_as_their_utf8_original() {
    let original = validate_document(&std::fs::read(format!("{CORPUS}/valid/kapok_every_element.xml")).unwrap());
    for name in ["gb18030.xml", "utf16_bom.xml"] {
        let report = validate_document(&std::fs::read(format!("{CORPUS}/valid/{name}")).unwrap());
        assert!(report.valid, "{name}: {:#?}", report.reasons);
        assert_eq!(report.alert, original.alert, "{name}");
    }
}

#[test]
fn an_empty_value_is_kept_empty() {
    let report = validate_document(&std::fs::read(format!("{CORPUS}/valid/empty_value.xml")).unwrap());
    assert!(report.valid, "{:#?}", report.reasons);
    assert!(report.policy.is_empty() && report.warnings.is_empty());
}

#[test]
fn policy_findings_refuse_broadcast_but_not_validity() {
    let report = validate_document(&std::fs::read(format!("{CORPUS}/valid/policy_alert_without_area.xml")).unwrap());
    assert!(report.valid && report.reasons.is_empty());
    assert_eq!(report.broadcast_refusals(), report.policy);
    let refused = report.into_broadcast_alert().unwrap_err();
    assert_eq!(keys(&refused), BTreeSet::from(["missing@/alert/info/area".to_string()]));

    let fine = validate_document(&std::fs::read(format!("{CORPUS}/valid/spec_a2_severe_thunderstorm.xml")).unwrap());
    assert!(fine.broadcast_refusals().is_empty());
    assert_eq!(fine.into_broadcast_alert().unwrap().event, "SEVERE THUNDERSTORM");

    let warned = validate_document(&std::fs::read(format!("{CORPUS}/valid/size_differs_from_content.xml")).unwrap());
    assert!(!warned.warnings.is_empty());
    let alert = warned.into_broadcast_alert().expect("a size warning does not refuse");
    assert!(alert.resources[0].content.is_some(), "the derefUri content is still carried");
}
