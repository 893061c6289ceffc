//! The EBD exchange against an independent upper-platform simulator
//! (`tests/sim/ebd_platform.py`, Python with `gmssl`, written from the protocol's description):
//! a real `kapok serve` on a fresh data directory receives the simulator's signed packages on
//! `POST /api/ebd`, and sends its heartbeats and reports to the simulator's listener, whose
//! signatures the simulator checks with Kapok's public key. What aired is checked outside the
//! protocol as well: the simulator records the demo channels' HLS previews and decodes them
//! with FFmpeg, and reads each alert's history through the API with a token.
//!
//! The server runs with an insertion policy without repeats (so a message runs to its end
//! within the test) and drills allowed on the radio channel only.

use std::process::Command;

use crate::common::{serve, token};

const PASSWORD: &str = "应急-平台-2026-kapok";

/// The simulator's Python: `KAPOK_TEST_EBD_PYTHON`, else the venv `scripts/setup-debian.sh`
/// makes (`$KAPOK_TOOLS/ebdsim`, default `~/.cache/kapok/ebdsim`).
fn python() -> String {
    if let Ok(p) = std::env::var("KAPOK_TEST_EBD_PYTHON") {
        return p;
    }
    let tools = std::env::var("KAPOK_TOOLS")
        .unwrap_or_else(|_| format!("{}/.cache/kapok", std::env::var("HOME").unwrap_or_default()));
    let p = format!("{tools}/ebdsim/bin/python");
    assert!(
        std::path::Path::new(&p).exists(),
        "{p} is missing: run scripts/setup-debian.sh (it installs gmssl for the EBD platform simulator)"
    );
    p
}

fn sim(py: &str, args: &[&str]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sim/ebd_platform.py");
    Command::new(py).arg(script).args(args).output().unwrap()
}

fn keypair(py: &str) -> (String, String) {
    let out = sim(py, &["keygen"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["private"].as_str().unwrap().to_string(), v["public"].as_str().unwrap().to_string())
}

#[test]
fn the_platform_simulator_sees_its_messages_air_and_gets_signed_answers_and_reports_none_lost_while_it_is_down() {
    let py = python();
    let (kapok_private, kapok_public) = keypair(&py);
    let (platform_private, platform_public) = keypair(&py);
    let data = tempfile::tempdir().unwrap();
    let key = data.path().join("kapok-sm2.hex");
    std::fs::write(&key, &kapok_private).unwrap();
    let port = testkit::net::free_port();
    // One airing each (no repeats), the attention signal before it, whatever the severity.
    let once = r#"{"interrupt":{"mode":"next_frame"},"attention_signal":true,"repeat_count":0,"repeat_interval_s":60}"#;
    let policy = data.path().join("policy.json");
    std::fs::write(&policy, format!(r#"{{"extreme":{once},"severe":{once},"unknown":{once}}}"#)).unwrap();
    let mut server = serve(&[
        ("KAPOK_DATA", data.path().join("data").display().to_string()),
        ("KAPOK_ADMIN_PASSWORD", PASSWORD.to_string()),
        ("KAPOK_ALERT_POLICY_FILE", policy.display().to_string()),
        ("KAPOK_ALERT_DRILL_CHANNELS", "pzh-demo-radio".into()),
        ("KAPOK_EBD_EBRID", "34510421000000000000001".into()),
        ("KAPOK_EBD_PLATFORM_EBRID", "24510400000000000000001".into()),
        ("KAPOK_EBD_PLATFORM_URL", format!("http://127.0.0.1:{port}/")),
        ("KAPOK_EBD_SIGNING_KEY_FILE", key.display().to_string()),
        ("KAPOK_EBD_CERT_SN", "KAPOK0001".into()),
        ("KAPOK_EBD_HEARTBEAT_S", "2".into()),
        ("KAPOK_ALERT_SM2_KEYS", format!("5A5A0001={platform_public}")),
    ]);
    let api_token = token(&data.path().join("data"), "admin");
    let cases = [
        "on_air_channels",
        "heartbeat",
        "valid_ebm",
        "drill",
        "test_severity",
        "tampered",
        "traversal",
        "huge_entry",
        "missing_field",
        "outside_only",
        "cancel",
        "omd",
        "platform_down",
    ];
    let port = port.to_string();
    let mut args = vec![
        "run",
        "--kapok",
        &server.base,
        "--kapok-public",
        &kapok_public,
        "--private",
        &platform_private,
        "--listen",
        &port,
        "--token",
        &api_token,
        "--channels",
        "pzh-demo-tv,pzh-demo-radio",
        "--drill-channels",
        "pzh-demo-radio",
        "--down-seconds",
        "60",
    ];
    args.extend(cases);
    let out = sim(&py, &args);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    let exited = server.child.try_wait().unwrap();
    let outbox: Vec<String> = std::fs::read_dir(data.path().join("data/ebd/outbox"))
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    assert!(
        out.status.success(),
        "simulator cases failed:\n{report}\n{}\nkapok serve exited: {exited:?}; spooled: {outbox:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report.lines().filter(|l| l.contains("\"ok\": true")).count(), cases.len(), "{report}");
    // Nothing from the package with "../" was written anywhere near the data directory.
    assert!(!data.path().join("escape.mp3").exists() && !data.path().join("data/escape.mp3").exists());
}

/// The private key of `tests/sim/platform-cert.pem` (a test fixture; see `tests/sim/README.md`).
const PLATFORM_CERT_KEY: &str = "4455d6fd942c7e8a22cc270468c346c8d866ddef599ae6311ddee48adb9a4955";

#[test]
fn alert_validate_reads_an_ebd_package_and_checks_its_signature_against_the_platform_certificate() {
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let cert = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sim/platform-cert.pem");
    let pack = |name: &str, tamper: &str| {
        let path = dir.path().join(name);
        let out = sim(
            &py,
            &[
                "pack",
                "--private",
                PLATFORM_CERT_KEY,
                "--cert-sn",
                "5A5A0001",
                "--out",
                path.to_str().unwrap(),
                "--tamper",
                tamper,
            ],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        path
    };
    let good = pack("EBDT_good.tar", "no");
    let bad = pack("EBDT_bad.tar", "yes");
    let validate = |file: &std::path::Path, env: &[(&str, String)]| {
        let mut env = env.to_vec();
        env.push(("KAPOK_DATA", dir.path().join("data").display().to_string()));
        let out = crate::common::kapok(&["alert", "validate", file.to_str().unwrap()], &env);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), report, String::from_utf8_lossy(&out.stderr).to_string())
    };

    // No platform keys configured: everything but the signature is read and checked.
    let (code, report, line) = validate(&good, &[]);
    eprintln!("{line}");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["form"], "EBD package");
    assert_eq!(report["envelope"]["kind"], "EBM");
    assert_eq!(report["signature"]["checked"], false);
    assert_eq!(report["ebm"]["valid"], true, "{report}");
    assert_eq!(report["answer"]["code"], 1);
    let files: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(files.contains(&"alert.mp3") && files.iter().any(|f| f.starts_with("EBDS_EBDB_")), "{files:?}");
    assert!(report["answer"]["reason"].as_str().unwrap().contains("1 audio file(s) to air"), "{report}");

    // The platform's X.509 certificate configured: trusted by its serial, the signature verifies.
    let certs = [("KAPOK_ALERT_SM2_CERTS", cert.to_string())];
    let (code, report, line) = validate(&good, &certs);
    eprintln!("{line}");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["signature"]["signer"], "5A5A0001", "{report}");
    assert!(line.contains("signed by 5A5A0001"), "{line}");

    // A changed byte in the data file: the signature fails, answer 4, exit 1.
    let (code, report, line) = validate(&bad, &certs);
    eprintln!("{line}");
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["answer"]["code"], 4, "{report}");
    assert_eq!(report["signature"]["checked"], true);
}
