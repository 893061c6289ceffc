//! The schedule source and as-run sink of a remote playout node, over the Kapok API.
//!
//! Contract (the server implements it):
//! - `GET {api}/api/channels/{channel}/playlists?from=<RFC 3339>&until=<RFC 3339>` answers
//!   `200` with a JSON array of playlist documents (`docs/playlist.md`, with wall-clock
//!   `start`s) that overlap the window.
//! - `POST {api}/api/channels/{channel}/as-run` with one as-run record as JSON answers `2xx`
//!   once it is stored.
//! - With a token, every request carries `Authorization: Bearer <token>`.
//!
//! Blocking (`ureq`): called from the runner's own threads, never from an async runtime.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use super::source::{AsRunSink, PlaylistSource, SourceError};
use crate::asrun::AsRunRecord;
use crate::playlist::OnAirPlaylist;

/// Largest playlist answer accepted (a week of one-minute items is a few MB).
const MAX_BODY: u64 = 64 << 20;

struct Api {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Api {
    fn new(base: &str, token: Option<String>) -> Api {
        let agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout(Duration::from_secs(20)).build();
        Api { agent, base: base.trim_end_matches('/').to_owned(), token }
    }

    fn url(&self, channel: &str, tail: &str) -> String {
        let mut segment = String::new();
        for b in channel.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                segment.push(char::from(b));
            } else {
                segment.push_str(&format!("%{b:02X}"));
            }
        }
        format!("{}/api/channels/{segment}/{tail}", self.base)
    }

    fn auth(&self, request: ureq::Request) -> ureq::Request {
        match &self.token {
            Some(t) => request.set("Authorization", &format!("Bearer {t}")),
            None => request,
        }
    }
}

/// [`PlaylistSource`] over the API (see the module docs for the contract).
pub struct HttpSource {
    api: Api,
}

impl HttpSource {
    /// Reads from the API at `api_url` (e.g. `https://kapok.example/`), with an optional token.
    pub fn new(api_url: &str, token: Option<String>) -> HttpSource {
        HttpSource { api: Api::new(api_url, token) }
    }
}

impl PlaylistSource for HttpSource {
    fn published(
        &self,
        channel: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OnAirPlaylist>, SourceError> {
        let url = self.api.url(channel, "playlists");
        let request = self
            .api
            .auth(self.api.agent.get(&url))
            .query("from", &from.to_rfc3339_opts(SecondsFormat::Millis, true))
            .query("until", &until.to_rfc3339_opts(SecondsFormat::Millis, true));
        let response = request.call().map_err(|e| SourceError::Unavailable(describe(&url, e)))?;
        let body: Vec<serde_json::Value> = serde_json::from_reader(response.into_reader().take(MAX_BODY))
            .map_err(|e| SourceError::OnAirPlaylist(e.into()))?;
        body.iter()
            .map(|doc| {
                let playlist = OnAirPlaylist::from_json(&doc.to_string())?;
                if playlist.origin.is_none() {
                    return Err(SourceError::NoStart(playlist.title.unwrap_or_else(|| url.clone())));
                }
                Ok(playlist)
            })
            .collect()
    }
}

fn describe(url: &str, error: ureq::Error) -> String {
    match error {
        ureq::Error::Status(code, response) => {
            let mut text = String::new();
            let _ = response.into_reader().take(500).read_to_string(&mut text);
            format!("{url}: HTTP {code} {}", text.trim())
        }
        ureq::Error::Transport(t) => format!("{url}: {t}"),
    }
}

/// [`AsRunSink`] over the API. Every record is first appended to a local spool file (JSON
/// lines), then the spool is sent in order; what the API does not take (down, 5xx) stays
/// spooled and is sent with the next record, or by [`HttpAsRunSink::flush`], also after a
/// restart. A record the API refuses as invalid (4xx) is logged and dropped, so one bad record
/// never blocks the log.
pub struct HttpAsRunSink {
    api: Api,
    spool: PathBuf,
    lock: Mutex<()>,
}

impl HttpAsRunSink {
    /// Posts to the API at `api_url`, spooling in the file `spool` (created when missing).
    pub fn new(api_url: &str, token: Option<String>, spool: impl Into<PathBuf>) -> HttpAsRunSink {
        HttpAsRunSink { api: Api::new(api_url, token), spool: spool.into(), lock: Mutex::new(()) }
    }

    /// Sends what is spooled, in order; returns how many records are still waiting.
    pub fn flush(&self) -> usize {
        let _guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.flush_locked()
    }

    fn flush_locked(&self) -> usize {
        let Ok(file) = std::fs::File::open(&self.spool) else { return 0 };
        let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).filter(|l| !l.is_empty()).collect();
        let mut sent = 0;
        for line in &lines {
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
                sent += 1; // not ours: drop it
                continue;
            };
            let channel = entry["channel"].as_str().unwrap_or_default();
            let url = self.api.url(channel, "as-run");
            let request = self.api.auth(self.api.agent.post(&url)).set("Content-Type", "application/json");
            match request.send_string(&entry["record"].to_string()) {
                Ok(_) => sent += 1,
                Err(ureq::Error::Status(code, _)) if (400..500).contains(&code) && code != 408 && code != 429 => {
                    tracing::error!(%url, code, record = %entry["record"], "as-run record refused by the API: dropped");
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %describe(&url, e), "as-run not delivered: kept in the spool");
                    break;
                }
            }
        }
        if sent > 0 {
            let rest: String = lines[sent..].iter().map(|l| format!("{l}\n")).collect();
            let temp = self.spool.with_extension("tmp");
            let rewritten = std::fs::write(&temp, rest).and_then(|()| std::fs::rename(&temp, &self.spool));
            if let Err(e) = rewritten {
                tracing::error!(spool = %self.spool.display(), error = %e, "cannot rewrite the as-run spool");
            }
        }
        lines.len() - sent
    }
}

impl AsRunSink for HttpAsRunSink {
    fn record(&self, channel: &str, record: &AsRunRecord) {
        let _guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = serde_json::json!({ "channel": channel, "record": record });
        if let Some(dir) = self.spool.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let spooled =
            OpenOptions::new().create(true).append(true).open(&self.spool).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = spooled {
            tracing::error!(spool = %self.spool.display(), error = %e, "cannot spool the as-run record");
        }
        self.flush_locked();
    }

    fn started(&self, channel: &str, record: &AsRunRecord) {
        self.record(channel, record);
    }
}

/// One server-sent event (the WHATWG `text/event-stream` format): its `event` name
/// (`message` when the server named none), its `data` lines joined by `\n`, its last `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEvent {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// Reads server-sent events from a `text/event-stream` body, blocking (a remote node holds
/// `/api/channels/{id}/alerts/stream` with it). Comments (`:keep-alive`) are skipped but
/// count as life: a read timeout on the underlying reader is how a dead stream shows.
pub struct EventReader<R> {
    reader: R,
    /// Largest event accepted, in bytes: a stream that sends more is broken.
    limit: usize,
}

impl<R: BufRead> EventReader<R> {
    /// Events from `reader`, none larger than `limit` bytes.
    pub fn new(reader: R, limit: usize) -> Self {
        EventReader { reader, limit }
    }

    /// The next event; `Ok(None)` at the end of the stream.
    ///
    /// # Errors
    /// The reader's error (a timeout when the server went quiet), or `InvalidData` for an
    /// event over the limit or a line that is not UTF-8.
    pub fn next_event(&mut self) -> std::io::Result<Option<ServerEvent>> {
        let (mut event, mut data, mut id, mut has_data) = (String::new(), String::new(), None, false);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = (&mut self.reader).take(self.limit as u64 + 2).read_until(b'\n', &mut line)?;
            if n == 0 {
                return Ok(None);
            }
            if data.len() + line.len() > self.limit {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "server-sent event too large"));
            }
            let text = std::str::from_utf8(&line)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?
                .trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                if has_data {
                    let event = if event.is_empty() { "message".to_owned() } else { event };
                    return Ok(Some(ServerEvent { event, data, id }));
                }
                event.clear();
                continue;
            }
            if text.starts_with(':') {
                continue;
            }
            let (field, value) = match text.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (text, ""),
            };
            match field {
                "event" => event = value.to_owned(),
                "data" => {
                    if has_data {
                        data.push('\n');
                    }
                    data.push_str(value);
                    has_data = true;
                }
                "id" => id = Some(value.to_owned()),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_between_comments_and_multi_line_data_is_joined() {
        let body = ":keep-alive\n\nevent: alerts\nid: 3\ndata: [1,\ndata:2]\n\n:keep-alive\r\n\r\ndata: plain\r\n\r\n";
        let mut r = EventReader::new(body.as_bytes(), 1024);
        let first = r.next_event().unwrap().unwrap();
        assert_eq!(first, ServerEvent { event: "alerts".into(), data: "[1,\n2]".into(), id: Some("3".into()) });
        let second = r.next_event().unwrap().unwrap();
        assert_eq!((second.event.as_str(), second.data.as_str()), ("message", "plain"));
        assert!(r.next_event().unwrap().is_none());
    }

    #[test]
    fn an_event_over_the_limit_is_an_error_not_a_truncated_event() {
        let body = format!("event: alerts\ndata: {}\n\n", "x".repeat(100));
        let mut r = EventReader::new(body.as_bytes(), 64);
        assert_eq!(r.next_event().unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    }
}
