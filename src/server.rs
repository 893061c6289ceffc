//! Start-up and shutdown of the server: connect, bind, serve until told to stop, drain.

use std::future::Future;
use std::net::SocketAddr;

use catalog::media::MediaStore;
use catalog::Store;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ConfigError};
use web::state::AppState;

/// A server that has connected to its database and store and bound its port, ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    /// The emergency desk behind `state.desk`, with its channels.
    desk: crate::desk::EmergencyDesk,
    /// The channels on air behind `state.on_air`.
    on_air_list: crate::metrics::OnAirChannels,
    data: std::path::PathBuf,
    ui_dir: Option<std::path::PathBuf>,
    worker: Option<ingest::worker::Worker>,
    on_air: bool,
    /// Outputs of the channels besides HLS, by slug (`channel_outputs`).
    outputs: Vec<(String, playout::OutputTarget)>,
    watch: Option<ingest::watch::Watcher>,
    /// The emergency-broadcast platform link, when configured (`crate::platform`).
    platform: Option<crate::platform::Platform>,
    /// CAP feeds polled into the emergency desk.
    feeds: crate::desk::feed::FeedSettings,
    /// Header and idle timeouts and the connection cap of the HTTP listener.
    http: crate::connections::HttpLimits,
}

/// Connects the catalog database and the media store named by the configuration.
///
/// # Errors
/// A `ConfigError` naming the setting whose target cannot be used.
pub async fn connect(config: &Config) -> Result<(Store, MediaStore), ConfigError> {
    std::fs::create_dir_all(&config.data)
        .map_err(|e| ConfigError::new("KAPOK_DATA (data)", format!("{}: {e}", config.data.display())))?;
    let mut store = Store::connect(&config.database_url)
        .await
        .map_err(|e| ConfigError::new("KAPOK_DATABASE_URL (database_url)", e.to_string()))?;
    store.set_search_concurrency(config.search_concurrency);
    check_centres(config, &store).await?;
    let media = connect_media(config).await?;
    Ok((store, media))
}

/// A setting naming a centre must name one of this network's: a typo would apply to nobody.
async fn check_centres(config: &Config, store: &Store) -> Result<(), ConfigError> {
    let known =
        store.list_centres().await.map_err(|e| ConfigError::new("KAPOK_DATABASE_URL (database_url)", e.to_string()))?;
    match config.loudness.centres().find(|(code, _)| !known.iter().any(|c| &c.code == *code)) {
        None => Ok(()),
        Some((code, _)) => {
            let codes: Vec<&str> = known.iter().map(|c| c.code.as_str()).collect();
            Err(ConfigError::new(
                crate::config::LOUDNESS_TARGETS,
                format!("{code} is not a centre of the network ({})", codes.join(", ")),
            ))
        }
    }
}

impl Application {
    /// Connects the catalog and media store and binds the listener.
    ///
    /// # Errors
    /// A `ConfigError` naming the setting whose target cannot be used (database unreachable,
    /// store not writable, port taken).
    pub async fn build(config: &Config) -> Result<Self, ConfigError> {
        let (store, media) = connect(config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
            ConfigError::new("KAPOK_LISTEN (listen)", format!("cannot listen on {}: {e}", config.listen))
        })?;
        let watch = crate::components::watcher(config, store.clone(), media.clone());
        let authority = config.alerts.authority()?;
        let platform_keys = authority.ebd_keys.clone();
        let policy = config.alerts.policy()?;
        let desk = crate::desk::EmergencyDesk::new(config.data.join("work"))
            .with_authority(authority)
            .with_policy(policy)
            .with_coverage(config.alerts.coverage()?)
            .with_retention_days(config.alerts.retention_days)
            .with_drill_channels(config.alerts.drill_channels.clone());
        desk.prepare()
            .map_err(|e| ConfigError::new("KAPOK_DATA (data)", format!("alert speech has nowhere to go: {e}")))?;
        let on_air_list = crate::metrics::OnAirChannels::default();
        let mut state = AppState::new(store, media, std::sync::Arc::new(desk.clone()))
            .with_channels(std::sync::Arc::new(on_air_list.clone()));
        let platform = match &config.ebd {
            Some(s) => Some(
                crate::platform::Platform::new(
                    s.clone(),
                    platform_keys,
                    desk.clone(),
                    state.store.clone(),
                    &config.data,
                )?
                .with_channels(on_air_list.clone()),
            ),
            None => None,
        };
        if let Some(p) = &platform {
            state = state.with_ebd(std::sync::Arc::new(p.clone()));
        }
        state.uploads.settings.expiry = config.upload_expiry;
        state.uploads.settings.max_size = config.upload_max_bytes;
        state.uploads.settings.centre_quota = config.upload_quota_bytes;
        state.uploads.settings.free_space_floor = config.store_free_min_bytes;
        state.logins =
            std::sync::Arc::new(web::auth::ratelimit::LoginLimiter::trusting(config.login_trusted_networks.clone()));
        // Alerts known before a restart stay known (Cancel and Update find them); see
        // `EmergencyDesk::restore` for why an alert that was on air is not re-aired.
        if let Err(e) = crate::desk::log::restore(&desk, &state.store, chrono::Utc::now()).await {
            tracing::error!(error = %e, "emergency alerts not restored from the catalog");
        }
        Ok(Self {
            listener,
            state,
            desk,
            on_air_list,
            data: config.data.clone(),
            ui_dir: config.ui_dir.clone(),
            worker: None,
            on_air: false,
            outputs: Vec::new(),
            watch,
            feeds: config.alerts.feed_settings(),
            platform,
            http: config.http,
        })
    }

    /// Adds what the all-in-one server runs beside the API: an ingest worker running
    /// `worker_concurrency` jobs at once (none when it is 0), and its channels on air (the
    /// demo channels, made on the first run).
    pub fn with_in_process_components(mut self, config: &Config) -> Self {
        let (store, media) = (self.state.store.clone(), self.state.media.clone());
        let events = self.state.events.clone();
        let progress: ingest::worker::ProgressFn = std::sync::Arc::new(move |id, centre, stage, percent| {
            events.publish(web::events::Event {
                kind: "job.progress".into(),
                centre: centre.and_then(|c| catalog::ids::CentreCode::parse(c).ok()),
                shared: false,
                payload: serde_json::json!({ "programme_id": id, "stage": stage, "percent": percent }),
            });
        });
        let settled = crate::components::settled_events(&self.state);
        self.worker = (config.worker_concurrency > 0).then(|| {
            crate::components::ingest_worker(config, store, media, config.worker_concurrency)
                .on_progress(progress)
                .on_settled(settled)
        });
        self.on_air = true;
        self.outputs.clone_from(&config.channel_outputs);
        self
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state, for in-process components started beside the API.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    ///
    /// # Errors
    /// An I/O error of the listener.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let addr = self.local_addr()?;
        // One shutdown signal fans out to the server and every in-process component; the
        // tracker waits for all of them before the pool is closed.
        let stop = CancellationToken::new();
        let tasks = TaskTracker::new();
        let on_signal = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            on_signal.cancel();
        });
        let stopped = || stop.clone().cancelled_owned();
        if let Some(w) = self.worker {
            tasks.spawn(w.run(stopped()));
        }
        if self.on_air {
            let (data, store, media, desk) =
                (self.data.clone(), self.state.store.clone(), self.state.media.clone(), self.desk.clone());
            let list = self.on_air_list.clone();
            let outputs = self.outputs.clone();
            tasks.spawn(crate::components::run_channels(data, store, media, desk, list, outputs, stopped()));
        }
        // Abandoned uploads are swept by every API node (each upload is taken once).
        let uploads = self.state.uploads.clone();
        if let Some(w) = self.watch {
            tasks.spawn(w.run(stopped()));
        }
        tasks.spawn(uploads.clone().run_sweeper(uploads.sweep_interval(), stopped()));
        // What other processes (a `kapok worker`, other API nodes) settled reaches /api/events.
        tasks.spawn(web::events::outbox::run(self.state.clone(), stopped()));
        tasks.spawn(crate::desk::feed::run_feeds(
            self.desk.clone(),
            self.state.store.clone(),
            self.feeds.clone(),
            stopped(),
        ));
        if let Some(p) = self.platform {
            tasks.spawn(p.run(stopped()));
        }
        tasks.spawn(crate::desk::log::run_timer(self.desk.clone(), self.state.store.clone(), stopped()));
        tracing::info!(%addr, "kapok listening");
        let store = self.state.store.clone();
        let events = self.state.events.clone();
        // Open event streams would hold a graceful shutdown open: end them when it starts.
        let sse_end = stopped();
        tokio::spawn(async move {
            sse_end.await;
            events.close();
        });
        let hls = tower_http::services::ServeDir::new(self.data.join("hls"));
        let app = web::app::router_with_ui(self.state, self.ui_dir.as_deref()).nest_service("/hls", hls);
        // Client addresses reach the login limiter (per-address allowance); see
        // `connections` for the timeouts and the connection cap.
        let served = crate::connections::serve(self.listener, app, self.http, stopped()).await;
        // A listener that failed ends the components too.
        stop.cancel();
        tasks.close();
        tasks.wait().await;
        store.close().await;
        tracing::info!("kapok stopped");
        served
    }
}

/// Opens the configured media store and checks it answers.
///
/// # Errors
/// A `ConfigError` naming `KAPOK_STORAGE_URL` with the store's reason.
pub async fn connect_media(config: &Config) -> Result<MediaStore, ConfigError> {
    let setting = "KAPOK_STORAGE_URL (storage_url)";
    let media = MediaStore::open(&config.storage).map_err(|e| ConfigError::new(setting, e.to_string()))?;
    // A store that does not answer must not hang start-up in the client's retry loop.
    match tokio::time::timeout(std::time::Duration::from_secs(15), media.check()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ConfigError::new(setting, e.to_string())),
        Err(_) => return Err(ConfigError::new(setting, "the media store did not answer within 15 s")),
    }
    Ok(media)
}

/// A future that completes on SIGINT or SIGTERM. The handlers are installed when this is
/// called (not when the future is first polled), so a signal that arrives while the server is
/// still starting is not lost to the default action. Call it inside the Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    async move {
        let term = async {
            match term.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        let int = async {
            match int.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term => {},
            _ = int => {},
        }
        tracing::info!("shutdown requested");
    }
}
