//! Start-up and shutdown of the server: connect, bind, serve until told to stop, drain.

use std::future::Future;
use std::net::SocketAddr;

use catalog::media::{MediaStore, MediaStoreConfig};
use catalog::Store;

use crate::config::{Config, ConfigError};
use crate::state::AppState;

/// A server that has connected to its database and store and bound its port, ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Application {
    /// Connects the catalog and media store and binds the listener.
    ///
    /// # Errors
    /// A `ConfigError` naming the setting whose target cannot be used (database unreachable,
    /// store not writable, port taken).
    pub async fn build(config: &Config) -> Result<Self, ConfigError> {
        std::fs::create_dir_all(&config.data)
            .map_err(|e| ConfigError::new("KAPOK_DATA (data)", format!("{}: {e}", config.data.display())))?;
        let store = Store::connect(&config.database_url)
            .await
            .map_err(|e| ConfigError::new("KAPOK_DATABASE_URL (database_url)", e.to_string()))?;
        let media = connect_media(config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
            ConfigError::new("KAPOK_LISTEN (listen)", format!("cannot listen on {}: {e}", config.listen))
        })?;
        Ok(Self { listener, state: AppState::new(store, media) })
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
        tracing::info!(%addr, "kapok listening");
        let store = self.state.store.clone();
        let app = crate::app::router(self.state);
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
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
    let s = &config.storage;
    let media_config = MediaStoreConfig {
        url: s.url.clone(),
        s3_endpoint: s.s3_endpoint.clone(),
        s3_region: s.s3_region.clone(),
        s3_access_key_id: s.s3_access_key_id.clone(),
        s3_secret_access_key: s.s3_secret_access_key.clone(),
        s3_allow_http: s.s3_allow_http,
    };
    let setting = "KAPOK_STORAGE_URL (storage_url)";
    let media = MediaStore::open(&media_config).map_err(|e| ConfigError::new(setting, e.to_string()))?;
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
