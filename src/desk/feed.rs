//! Polling CAP feeds (Atom/RSS): every interval each configured feed is fetched, its new
//! entries' CAP documents (linked or inline) are fetched and handed to the desk by the same
//! path as `POST /api/alerts` — signed by a configured source unless the feeds are
//! configured as trusted unsigned. A feed that is down, slow, malformed or too large is
//! logged and tried again next time; nothing airs from it and the other feeds go on.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use catalog::Store;
use schedules::emergency::feed::{parse_feed, FeedEntry};

use crate::desk::{DeskError, EmergencyDesk};

/// Largest feed or linked CAP document fetched.
pub const MAX_FETCH_BYTES: usize = 4 * 1024 * 1024;

/// How feeds are polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSettings {
    /// Atom/RSS URLs.
    pub urls: Vec<String>,
    pub interval: Duration,
    /// Accept unsigned CAP from these feeds (a trusted network path); default false.
    pub allow_unsigned: bool,
}

/// What one poll of one feed did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Entries not seen before.
    pub new_entries: usize,
    /// Alerts the desk accepted.
    pub accepted: usize,
    /// Alerts the desk already knew.
    pub duplicates: usize,
    /// Entries refused (invalid, unsigned, wrong signature …) or whose CAP could not be fetched.
    pub refused: usize,
}

/// A poller's memory of the entries it has handled, per feed.
pub struct Poller {
    http: reqwest::Client,
    desk: EmergencyDesk,
    store: Store,
    allow_unsigned: bool,
    seen: HashSet<(String, String)>,
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut r = http.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_FETCH_BYTES {
            return Err(format!("{url}: larger than {MAX_FETCH_BYTES} bytes"));
        }
    }
    Ok(body)
}

/// Follows at most three redirects, and only within the host first asked: a feed must not be
/// able to send the server to a URL its operator did not configure (an internal address, a
/// metadata service). A redirect elsewhere ends the fetch with its 3xx status.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(|u| (u.host_str().map(str::to_owned), u.port_or_known_default()));
        let next = (attempt.url().host_str().map(str::to_owned), attempt.url().port_or_known_default());
        if attempt.previous().len() > 3 || first.is_some_and(|f| f != next) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

impl Poller {
    /// A poller submitting to `desk` and writing through `store`.
    pub fn new(desk: EmergencyDesk, store: Store, allow_unsigned: bool) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(same_host_redirects())
            .build()
            .unwrap_or_default();
        Self { http, desk, store, allow_unsigned, seen: HashSet::new() }
    }

    /// Polls `url` once.
    ///
    /// # Errors
    /// A message when the feed cannot be fetched or parsed (nothing was submitted then).
    pub async fn poll(&mut self, url: &str) -> Result<PollReport, String> {
        let body = fetch(&self.http, url).await?;
        let entries = parse_feed(&body).map_err(|r| format!("{url}: {}", r.message))?;
        let base = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        let mut report = PollReport::default();
        for entry in entries {
            let seen_key = (url.to_string(), entry.id.clone());
            if self.seen.contains(&seen_key) {
                continue;
            }
            report.new_entries += 1;
            match self.entry(&base, &entry).await {
                // A CAP that could not be fetched is tried again next poll.
                Err(e) => {
                    tracing::warn!(feed = %url, entry = %entry.id, error = %e, "feed entry not fetched");
                    report.refused += 1;
                    continue;
                }
                Ok((accepted, duplicates, refused)) => {
                    report.accepted += accepted;
                    report.duplicates += duplicates;
                    report.refused += refused;
                }
            }
            self.seen.insert(seen_key);
        }
        crate::desk::log::flush(&self.desk, &self.store).await;
        Ok(report)
    }

    async fn entry(&self, base: &url::Url, entry: &FeedEntry) -> Result<(usize, usize, usize), String> {
        let mut docs: Vec<Vec<u8>> = entry.inline.iter().map(|t| t.clone().into_bytes()).collect();
        for link in &entry.links {
            let url = base.join(link).map_err(|e| format!("link {link:?}: {e}"))?;
            docs.push(fetch(&self.http, url.as_str()).await?);
        }
        let (mut accepted, mut duplicates, mut refused) = (0, 0, 0);
        for doc in docs {
            let (desk, unsigned) = (self.desk.clone(), self.allow_unsigned);
            let now = chrono::Utc::now();
            let result = tokio::task::spawn_blocking(move || {
                if unsigned {
                    desk.receive_as(
                        &doc,
                        now,
                        catalog::audit::Actor::system("cap-feed"),
                        schedules::emergency::scope::SenderScope::Network,
                    )
                } else {
                    desk.receive_signed(&doc, None, now)
                }
            })
            .await
            .map_err(|e| e.to_string())?;
            match result {
                Ok(r) if r.outcome == "duplicate" => duplicates += 1,
                Ok(r) => {
                    tracing::warn!(entry = %entry.id, alert = %r.key, channels = ?r.channels, "alert from a feed");
                    accepted += 1;
                }
                Err(e) => {
                    let reasons = match &e {
                        DeskError::Invalid(r) | DeskError::Unauthenticated(r) => {
                            r.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; ")
                        }
                        other => other.to_string(),
                    };
                    tracing::warn!(entry = %entry.id, error = %e, %reasons, "alert from a feed refused");
                    refused += 1;
                }
            }
        }
        Ok((accepted, duplicates, refused))
    }
}

/// Polls every feed of `settings` each interval until `shutdown`.
pub async fn run_feeds(desk: EmergencyDesk, store: Store, settings: FeedSettings, shutdown: impl Future<Output = ()>) {
    if settings.urls.is_empty() {
        return shutdown.await;
    }
    tokio::pin!(shutdown);
    let mut poller = Poller::new(desk, store, settings.allow_unsigned);
    let mut every = tokio::time::interval(settings.interval.max(Duration::from_millis(100)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = every.tick() => {}
        }
        for url in &settings.urls {
            match poller.poll(url).await {
                Ok(r) if r.new_entries > 0 => tracing::info!(feed = %url, ?r, "CAP feed polled"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "CAP feed not polled; trying again next interval"),
            }
        }
    }
}
