//! Speech for an alert without its own audio: headline, description and instruction read by
//! espeak-ng (Mandarin) in a child process with a timeout, written to a WAV.
//!
//! The default voice is `cmn-latn-pinyin`, not `cmn`: espeak-ng 1.51 (Debian 12) with `cmn`
//! turns many characters into tone-numbered pinyin and then reads that *as English*
//! (米 → "mi three"); `cmn-latn-pinyin` reads the same pinyin as Mandarin.
//!
//! espeak-ng is a formant synthesiser: intelligible but robotic, with no tone sandhi and
//! weak polyphone (多音字) choice — see `docs/emergency-on-air.md`. An alert's own audio,
//! when present, is always preferred.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use schedules::emergency::Alert;
use serde::{Deserialize, Serialize};

use super::AlertError;

/// Longest text read out (characters): a longer description is cut at a sentence end.
pub const MAX_SPEECH_CHARS: usize = 1500;

/// Read first when the alert is a drill (CAP `Exercise`, EBM severities 21–23).
pub const DRILL_NOTICE: &str = "演练。这是一次应急广播演练，不是真实预警。";
/// Read last when the alert is a drill.
pub const DRILL_END: &str = "以上为演练。";

/// How speech is synthesised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechSettings {
    /// The espeak-ng program.
    pub program: PathBuf,
    /// The voice (`cmn-latn-pinyin`: Mandarin; plain `cmn` misreads much Chinese in 1.51).
    pub voice: String,
    /// Words (syllables, for Mandarin) per minute; espeak-ng's default is 175.
    pub words_per_minute: u32,
    /// Longest synthesis allowed before the child is killed.
    pub timeout_s: f64,
}

impl Default for SpeechSettings {
    fn default() -> Self {
        SpeechSettings {
            program: PathBuf::from("espeak-ng"),
            voice: "cmn-latn-pinyin".to_owned(),
            words_per_minute: 150,
            timeout_s: 15.0,
        }
    }
}

/// The text read out for `alert`: headline (else event), area names, description and
/// instruction, each ended as a sentence; control characters removed; at most
/// [`MAX_SPEECH_CHARS`] characters.
pub fn speech_text(alert: &Alert) -> String {
    let mut parts: Vec<String> = Vec::new();
    let drill = alert.status == schedules::emergency::vocab::Status::Exercise;
    if drill {
        parts.push(DRILL_NOTICE.to_owned());
    }
    let headline = alert.headline.as_deref().filter(|h| !h.trim().is_empty()).unwrap_or(&alert.event);
    parts.push(headline.to_owned());
    let areas: Vec<&str> = alert.areas.iter().map(|a| a.desc.trim()).filter(|d| !d.is_empty()).collect();
    if !areas.is_empty() {
        parts.push(format!("影响区域：{}", areas.join("、")));
    }
    parts.extend(alert.description.iter().cloned());
    parts.extend(alert.instruction.iter().cloned());
    if drill {
        parts.push(DRILL_END.to_owned());
    }
    let mut text = String::new();
    for p in parts {
        let clean: String =
            p.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned();
        if clean.is_empty() {
            continue;
        }
        text.push_str(&clean);
        if !clean.ends_with(['。', '！', '？', '.', '!', '?']) {
            text.push('。');
        }
    }
    truncate_at_sentence(&text, MAX_SPEECH_CHARS)
}

fn truncate_at_sentence(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(['。', '！', '？', '.', '!', '?']) {
        Some(i) => cut[..i + cut[i..].chars().next().map_or(1, char::len_utf8)].to_owned(),
        None => cut,
    }
}

impl SpeechSettings {
    /// Reads `text` into the WAV file `out` (espeak-ng writes 22 050 Hz mono).
    ///
    /// # Errors
    /// [`AlertError::Speech`] when espeak-ng is missing, fails, times out (the child is killed)
    /// or writes nothing.
    pub fn synthesise(&self, text: &str, out: &Path) -> Result<(), AlertError> {
        let err = |m: String| AlertError::Speech(m);
        if text.trim().is_empty() {
            return Err(err("nothing to read".to_owned()));
        }
        // A stale file must not pass for this run's output.
        let _ = std::fs::remove_file(out);
        let mut child = Command::new(&self.program)
            .args(["-v", &self.voice, "-s", &self.words_per_minute.to_string(), "-b", "1", "--stdin", "-w"])
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| err(format!("cannot run {} (Debian package espeak-ng): {e}", self.program.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            // Dropping stdin closes it: espeak-ng then reads to the end and finishes.
            stdin.write_all(text.as_bytes()).map_err(|e| err(format!("cannot send text to espeak-ng: {e}")))?;
        }
        let deadline = Instant::now() + Duration::from_secs_f64(self.timeout_s.clamp(0.1, 600.0));
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(err(format!("espeak-ng did not finish within {} s", self.timeout_s)));
                }
                Err(e) => return Err(err(format!("waiting for espeak-ng: {e}"))),
            }
        };
        let mut msg = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut msg);
        }
        if !status.success() {
            return Err(err(format!("espeak-ng failed ({status}): {}", msg.trim())));
        }
        // espeak-ng 1.51 exits 0 after "Can't write to output file": its words decide.
        if let Some(line) = msg.lines().find(|l| is_failure_line(l)) {
            return Err(err(format!("espeak-ng: {}", line.trim())));
        }
        match std::fs::metadata(out) {
            Ok(m) if m.len() > 44 => Ok(()),
            _ => Err(err(format!("espeak-ng wrote no audio to {}", out.display()))),
        }
    }
}

/// Whether a line espeak-ng printed reports a failure (it prints these and still exits 0).
fn is_failure_line(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    ["can't", "cannot", "failed", "error", "no such", "not found"].iter().any(|w| l.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        let doc = r#"{"id":"a","sender":"s","sent":"2026-07-01T08:30:00+08:00","status":"Actual",
            "msg_type":"Alert","severity":"Extreme","urgency":"Immediate","certainty":"Observed",
            "event":"山洪","headline":"米易县山洪红色预警","description":"安宁河水位快速上涨\u0007",
            "instruction":"请立即向高处转移！",
            "areas":[{"desc":"米易县","codes":["510421"]}],"language":"zh-CN"}"#;
        schedules::emergency::validate_document(doc.as_bytes()).alert.unwrap()
    }

    #[test]
    fn text_reads_headline_area_description_and_instruction_as_sentences() {
        assert_eq!(
            speech_text(&alert()),
            "米易县山洪红色预警。影响区域：米易县。安宁河水位快速上涨。请立即向高处转移！"
        );
        let mut a = alert();
        a.headline = None;
        assert!(speech_text(&a).starts_with("山洪。"));
    }

    #[test]
    fn a_drill_is_announced_first_and_last() {
        let mut a = alert();
        a.status = schedules::emergency::vocab::Status::Exercise;
        let text = speech_text(&a);
        assert!(text.starts_with(DRILL_NOTICE), "{text}");
        assert!(text.ends_with(DRILL_END), "{text}");
    }

    #[test]
    fn espeak_failure_printed_with_exit_0_is_an_error() {
        let e = SpeechSettings::default().synthesise("米易县。", Path::new("/nonexistent-dir/s.wav")).unwrap_err();
        assert!(matches!(&e, AlertError::Speech(m) if m.contains("write") || m.contains("no audio")), "{e}");
        assert!(is_failure_line("Can't write to: '/x/y.wav'"));
        assert!(!is_failure_line(""));
    }

    #[test]
    fn long_text_is_cut_at_a_sentence_end() {
        let text = "一二三。四五六七。".repeat(400);
        let cut = truncate_at_sentence(&text, 20);
        assert_eq!(cut, "一二三。四五六七。一二三。四五六七。");
        assert!(speech_text(&Alert { description: Some(text), ..alert() }).chars().count() <= MAX_SPEECH_CHARS);
    }

    #[test]
    fn espeak_ng_reads_mandarin_into_a_wav() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.wav");
        SpeechSettings::default().synthesise("米易县山洪红色预警。", &out).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        assert!(bytes.len() > 22_050, "{} bytes", bytes.len()); // more than half a second
    }

    #[test]
    fn missing_program_and_timeout_are_errors_not_hangs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.wav");
        let missing = SpeechSettings { program: "/nonexistent/espeak".into(), ..SpeechSettings::default() };
        assert!(matches!(missing.synthesise("测试", &out), Err(AlertError::Speech(m)) if m.contains("espeak-ng")));
        let slow = SpeechSettings { timeout_s: 0.1, ..SpeechSettings::default() };
        let started = Instant::now();
        let long = "这是一个很长的测试句子。".repeat(300);
        assert!(matches!(slow.synthesise(&long, &out), Err(AlertError::Speech(m)) if m.contains("within")));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(SpeechSettings::default().synthesise("  ", &out).is_err());
    }
}
