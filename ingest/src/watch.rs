//! Watch folders: `<root>/<centre code>/` per centre. A file dropped there (with an optional
//! sidecar `NAME.json` or `STEM.json` of metadata) is ingested once its size and modification
//! time have stopped changing for [`WatchSettings::settle`]; when its programme is ready the
//! file (and sidecar) move to `<code>/done/`, when it fails to `<code>/failed/` beside a
//! `NAME.reason.txt`.
//!
//! [`Stability`] decides "stopped growing" from observations alone (no clock or filesystem of
//! its own), so it is tested without racing a writer. Files being processed are remembered in
//! memory: a process restarted mid-ingest submits them again (the source content is then
//! re-used, but a second programme is made).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use catalog::audit::Actor;
use catalog::ids::{CentreCode, ProgrammeId};
use catalog::media::MediaStore;
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::Store;
use serde::Deserialize;

use crate::submit;

/// How a watch folder behaves.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// A file is taken once unchanged for this long.
    pub settle: Duration,
    /// Time between scans.
    pub poll: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self { settle: Duration::from_secs(5), poll: Duration::from_secs(1) }
    }
}

/// What was seen of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// Tracks files until they have stopped changing.
#[derive(Debug, Default)]
pub struct Stability {
    files: HashMap<PathBuf, (Seen, Instant)>,
}

impl Stability {
    /// Records an observation of `path` at `now`; true once it has been the same for `settle`.
    pub fn observe(&mut self, path: &Path, seen: Seen, now: Instant, settle: Duration) -> bool {
        match self.files.get(path) {
            Some((before, since)) if *before == seen => now.duration_since(*since) >= settle,
            _ => {
                self.files.insert(path.to_path_buf(), (seen, now));
                false
            }
        }
    }

    /// Forgets `path` (taken, or gone).
    pub fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// Forgets every file not in `present`.
    pub fn retain(&mut self, present: &std::collections::HashSet<PathBuf>) {
        self.files.retain(|p, _| present.contains(p));
    }
}

/// The sidecar's metadata. Unknown keys are refused (the file then fails with the reason).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub title: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub shared: Option<String>,
    pub series: Option<String>,
    pub episode: Option<i32>,
}

impl Sidecar {
    /// The programme for `file` of `centre` (title defaults to the file's stem).
    ///
    /// # Errors
    /// A reason naming the bad field.
    pub fn programme(&self, centre: CentreCode, file: &Path) -> Result<NewProgramme, String> {
        let stem = file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let title = self.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or(stem);
        let category = match &self.category {
            Some(c) => Category::parse(c).map_err(|e| format!("sidecar category: {e}"))?,
            None => Category::News,
        };
        let mut n = NewProgramme::new(centre, title, category);
        n.description = self.description.clone().unwrap_or_default();
        if let Some(l) = &self.language {
            n.language = l.clone();
        }
        n.tags = self.tags.clone();
        n.series = self.series.clone();
        n.episode = self.episode;
        if let Some(s) = &self.shared {
            n.sharing = Sharing::parse(s).map_err(|e| format!("sidecar shared: {e}"))?;
        }
        n.check().map_err(|e| format!("sidecar: {e}"))?;
        Ok(n)
    }
}

/// Whether a name in a centre folder is a candidate media file.
pub fn is_candidate(name: &str) -> bool {
    !(name.starts_with('.') || name.ends_with(".json") || name.ends_with(".reason.txt") || name.ends_with(".part"))
}

/// The watch folders under one root.
pub struct Watcher {
    root: PathBuf,
    store: Store,
    media: MediaStore,
    settings: WatchSettings,
    stability: Stability,
    /// Files submitted, waiting for their programme to settle.
    pending: BTreeMap<PathBuf, ProgrammeId>,
}

impl Watcher {
    pub fn new(root: impl Into<PathBuf>, store: Store, media: MediaStore, settings: WatchSettings) -> Self {
        Self { root: root.into(), store, media, settings, stability: Stability::default(), pending: BTreeMap::new() }
    }

    /// Makes `<root>/<code>/` for every centre of the catalog.
    ///
    /// # Errors
    /// A message when the catalog or the directory cannot be used.
    pub async fn prepare(&self) -> Result<(), String> {
        for c in self.store.list_centres().await.map_err(|e| e.to_string())? {
            let dir = self.root.join(c.code.as_str());
            tokio::fs::create_dir_all(&dir).await.map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        Ok(())
    }

    /// Scans until `shutdown` completes.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        if let Err(e) = self.prepare().await {
            tracing::warn!(error = %e, root = %self.root.display(), "watch folders cannot be prepared");
        }
        tokio::pin!(shutdown);
        loop {
            self.scan_once(Instant::now()).await;
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// One scan: settle pending programmes, take stable files.
    pub async fn scan_once(&mut self, now: Instant) {
        self.settle_pending().await;
        let Ok(mut centres) = tokio::fs::read_dir(&self.root).await else { return };
        let mut present = std::collections::HashSet::new();
        while let Ok(Some(entry)) = centres.next_entry().await {
            let Ok(code) = CentreCode::parse(&entry.file_name().to_string_lossy()) else { continue };
            let Ok(mut files) = tokio::fs::read_dir(entry.path()).await else { continue };
            while let Ok(Some(f)) = files.next_entry().await {
                let name = f.file_name().to_string_lossy().to_string();
                let path = f.path();
                let Ok(meta) = f.metadata().await else { continue };
                if !meta.is_file() || !is_candidate(&name) || self.pending.contains_key(&path) {
                    continue;
                }
                present.insert(path.clone());
                let seen = Seen { size: meta.len(), modified: meta.modified().ok() };
                if self.stability.observe(&path, seen, now, self.settings.settle) {
                    self.stability.forget(&path);
                    self.take(&code, &path).await;
                }
            }
        }
        self.stability.retain(&present);
    }

    async fn take(&mut self, centre: &CentreCode, file: &Path) {
        let new = match read_sidecar(file).await.and_then(|s| s.programme(centre.clone(), file)) {
            Ok(n) => n,
            Err(reason) => return finish(file, false, &reason).await,
        };
        let actor = Actor::system("watch-folder");
        match submit::submit_file(&self.store, &self.media, &actor, file, &new).await {
            Ok(p) => {
                tracing::info!(file = %file.display(), programme = %p.id, "watch folder file queued");
                self.pending.insert(file.to_path_buf(), p.id);
            }
            Err(e) => finish(file, false, &e.to_string()).await,
        }
    }

    async fn settle_pending(&mut self) {
        let mut settled = Vec::new();
        for (file, id) in &self.pending {
            match self.store.get_programme(*id).await {
                Ok(p) if p.status == ProgrammeStatus::Ready => settled.push((file.clone(), true, String::new())),
                Ok(p) if p.status == ProgrammeStatus::Failed => {
                    settled.push((file.clone(), false, p.reason.unwrap_or_else(|| "failed".into())))
                }
                Ok(_) => {}
                Err(e) => settled.push((file.clone(), false, format!("programme {id}: {e}"))),
            }
        }
        for (file, ok, reason) in settled {
            self.pending.remove(&file);
            finish(&file, ok, &reason).await;
        }
    }
}

fn sidecars(file: &Path) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from(format!("{}.json", file.display()))];
    if file.extension().is_some() {
        out.push(file.with_extension("json"));
    }
    out
}

async fn read_sidecar(file: &Path) -> Result<Sidecar, String> {
    for p in sidecars(file) {
        if let Ok(text) = tokio::fs::read_to_string(&p).await {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            return serde_json::from_str(&text).map_err(|e| format!("sidecar {name}: {e}"));
        }
    }
    Ok(Sidecar::default())
}

/// Moves `file` (and its sidecar) into `done/` or `failed/`, writing `NAME.reason.txt` there
/// for a failure.
async fn finish(file: &Path, ok: bool, reason: &str) {
    let Some(dir) = file.parent() else { return };
    let Some(name) = file.file_name() else { return };
    let to = dir.join(if ok { "done" } else { "failed" });
    if let Err(e) = tokio::fs::create_dir_all(&to).await {
        tracing::warn!(dir = %to.display(), error = %e, "watch folder: cannot make the directory");
        return;
    }
    for side in sidecars(file) {
        if let Some(n) = side.file_name() {
            if tokio::fs::metadata(&side).await.is_ok() {
                let _ = tokio::fs::rename(&side, to.join(n)).await;
            }
        }
    }
    if let Err(e) = tokio::fs::rename(file, to.join(name)).await {
        tracing::warn!(file = %file.display(), error = %e, "watch folder: cannot move the file");
    }
    if !ok {
        let reason_file = to.join(format!("{}.reason.txt", name.to_string_lossy()));
        if let Err(e) = tokio::fs::write(&reason_file, format!("{reason}\n")).await {
            tracing::warn!(file = %reason_file.display(), error = %e, "watch folder: cannot write the reason");
        }
    }
    tracing::info!(file = %file.display(), ok, reason, "watch folder file settled");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(size: u64) -> Seen {
        Seen { size, modified: None }
    }

    #[test]
    fn a_file_is_taken_only_after_it_stops_changing_for_the_settle_time() {
        let mut s = Stability::default();
        let t0 = Instant::now();
        let settle = Duration::from_secs(3);
        let p = Path::new("/w/510421/a.mp4");
        assert!(!s.observe(p, seen(10), t0, settle), "first sight");
        assert!(!s.observe(p, seen(20), t0 + Duration::from_secs(2), settle), "still growing");
        assert!(!s.observe(p, seen(20), t0 + Duration::from_secs(4), settle), "2 s unchanged");
        assert!(s.observe(p, seen(20), t0 + Duration::from_secs(5), settle), "3 s unchanged");
        let touched = Seen { size: 20, modified: Some(SystemTime::UNIX_EPOCH) };
        assert!(!s.observe(p, touched, t0 + Duration::from_secs(6), settle), "rewritten in place");
    }

    #[test]
    fn sidecars_reports_and_hidden_files_are_not_media() {
        for name in ["a.json", "a.mp4.reason.txt", ".a.mp4", "a.mp4.part"] {
            assert!(!is_candidate(name), "{name}");
        }
        assert!(is_candidate("芒果.mp4"));
    }

    #[test]
    fn sidecar_metadata_becomes_the_programme_and_a_bad_field_is_named() {
        let centre = CentreCode::parse("510421").unwrap();
        let s: Sidecar = serde_json::from_str(r#"{"title":"芒果","category":"涉农","tags":["a"]}"#).unwrap();
        let n = s.programme(centre.clone(), Path::new("x.mp4")).unwrap();
        assert_eq!((n.title.as_str(), n.category), ("芒果", Category::Agriculture));
        let n = Sidecar::default().programme(centre.clone(), Path::new("/w/新闻 1.mp4")).unwrap();
        assert_eq!(n.title, "新闻 1");
        let bad: Sidecar = serde_json::from_str(r#"{"category":"farming"}"#).unwrap();
        assert!(bad.programme(centre, Path::new("x.mp4")).unwrap_err().contains("category"));
        assert!(serde_json::from_str::<Sidecar>(r#"{"titel":"x"}"#).is_err());
    }
}
