//! Watch folders: `<root>/<centre code>/` per centre. A file dropped there (with an optional
//! sidecar `NAME.json` or `STEM.json` of metadata) is ingested once its size and modification
//! time have stopped changing for [`WatchSettings::settle`]; when its programme is ready the
//! file (and sidecar) move to `<code>/done/`, when it fails to `<code>/failed/` beside a
//! `NAME.reason.txt`.
//!
//! [`Stability`] decides "stopped growing" from observations alone (no clock or filesystem of
//! its own), so it is tested without racing a writer. A file submitted is remembered by a
//! [`Marker`] beside it (`.NAME.kapok-watch.json`: its programme, size and modification
//! time), so a process restarted before the programme settles picks the programme up again
//! instead of submitting the file a second time; a file replaced meanwhile (other size or
//! time) is submitted afresh.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use catalog::audit::Actor;
use catalog::ids::{CentreCode, ProgrammeId};
use catalog::media::MediaStore;
use catalog::programme::{Category, NewProgramme, ProgrammeStatus, Sharing};
use catalog::Store;
use serde::{Deserialize, Serialize};

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

/// What a watcher remembers of a file it submitted, kept next to the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub programme: ProgrammeId,
    pub size: u64,
    /// Modification time as (seconds, nanoseconds) since the Unix epoch.
    pub modified: Option<(u64, u32)>,
}

impl Marker {
    /// The marker for a file `seen` as it was when submitted as `programme`.
    pub fn new(programme: ProgrammeId, seen: Seen) -> Self {
        let modified = seen
            .modified
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs(), d.subsec_nanos()));
        Self { programme, size: seen.size, modified }
    }

    /// The programme, if the file is still the one submitted (same size and time).
    pub fn programme_for(&self, seen: Seen) -> Option<ProgrammeId> {
        (Self::new(self.programme, seen) == *self).then_some(self.programme)
    }
}

/// Where the marker of `file` lives (a dot name: never taken as media).
pub fn marker_path(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_string_lossy();
    Some(file.with_file_name(format!(".{name}.kapok-watch.json")))
}

async fn recall(file: &Path, seen: Seen) -> Option<ProgrammeId> {
    let text = tokio::fs::read_to_string(marker_path(file)?).await.ok()?;
    serde_json::from_str::<Marker>(&text).ok()?.programme_for(seen)
}

/// Writes the marker (to a temporary name, then renamed: a crash leaves no torn marker).
async fn remember(file: &Path, marker: &Marker) {
    let Some(path) = marker_path(file) else { return };
    let temp = path.with_extension("json.part");
    let written = match serde_json::to_vec(marker) {
        Ok(text) => match tokio::fs::write(&temp, text).await {
            Ok(()) => tokio::fs::rename(&temp, &path).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(std::io::Error::other(e)),
    };
    if let Err(e) = written {
        tracing::warn!(file = %file.display(), error = %e, "watch folder: cannot write the marker; a restart would resubmit");
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
                    self.take(&code, &path, seen).await;
                }
            }
        }
        self.stability.retain(&present);
    }

    async fn take(&mut self, centre: &CentreCode, file: &Path, seen: Seen) {
        if let Some(id) = recall(file, seen).await {
            tracing::info!(file = %file.display(), programme = %id, "watch folder file already submitted");
            self.pending.insert(file.to_path_buf(), id);
            return;
        }
        let new = match read_sidecar(file).await.and_then(|s| s.programme(centre.clone(), file)) {
            Ok(n) => n,
            Err(reason) => return finish(file, false, &reason).await,
        };
        let actor = Actor::system("watch-folder");
        match submit::submit_file(&self.store, &self.media, &actor, file, &new).await {
            Ok(p) => {
                tracing::info!(file = %file.display(), programme = %p.id, "watch folder file queued");
                remember(file, &Marker::new(p.id, seen)).await;
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
    } else if let Some(marker) = marker_path(file) {
        let _ = tokio::fs::remove_file(marker).await;
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
    fn a_marker_recalls_its_programme_only_for_the_same_size_and_time() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_764_000_000_123_456_789);
        let at = Seen { size: 10, modified: Some(t) };
        let m = Marker::new(ProgrammeId::new(), at);
        let back: Marker = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back.programme_for(at), Some(m.programme));
        assert_eq!(back.programme_for(Seen { size: 11, ..at }), None, "grown or replaced");
        assert_eq!(back.programme_for(Seen { modified: Some(t + Duration::from_nanos(1)), ..at }), None, "rewritten");
        let p = marker_path(Path::new("/w/510421/芒果.mp4")).unwrap();
        assert_eq!(p, Path::new("/w/510421/.芒果.mp4.kapok-watch.json"));
        assert!(!is_candidate(&p.file_name().unwrap().to_string_lossy()));
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
