//! Test support (feature `test-support`): a real S3-compatible server on loopback, and the
//! media-store configuration that points at it.
//!
//! The server is `testkit::s3::S3Server` (`tests/kit/src/s3.rs`, moto on a free port, killed
//! on drop; start fails with the install command when moto is missing — tests never skip
//! silently). [`S3TestServer`] adds what needs catalog types: [`MediaStoreConfig`]s.

use super::MediaStoreConfig;

// Compiled here from testkit's source: catalog may not depend on the dev-only testkit crate,
// and `web`'s and the root crate's tests still reach the server through here.
#[path = "../../../tests/kit/src/s3.rs"]
mod s3;

pub use s3::{S3Server, BUCKET, INSTALL_HINT, SERVER_ENV};

/// A moto S3 server on `127.0.0.1` (see [`S3Server`]), killed on drop.
#[derive(Debug)]
pub struct S3TestServer(S3Server);

impl S3TestServer {
    /// Starts a server, waits until it listens and creates [`BUCKET`].
    ///
    /// # Errors
    /// An error carrying [`INSTALL_HINT`] if moto is missing, or the server's output if it
    /// fails to start.
    pub async fn start() -> std::io::Result<Self> {
        S3Server::start().await.map(Self)
    }

    /// The configuration of a store in [`BUCKET`] under `prefix` (may be empty).
    pub fn config(&self, prefix: &str) -> MediaStoreConfig {
        self.config_for_bucket(BUCKET, prefix)
    }

    /// The configuration of a store in `bucket` under `prefix` (may be empty).
    pub fn config_for_bucket(&self, bucket: &str, prefix: &str) -> MediaStoreConfig {
        MediaStoreConfig {
            url: S3Server::url_for_bucket(bucket, prefix),
            s3_endpoint: Some(self.endpoint()),
            s3_region: Some(s3::REGION.into()),
            s3_access_key_id: Some(s3::ACCESS_KEY_ID.into()),
            s3_secret_access_key: Some(s3::SECRET_ACCESS_KEY.into()),
            s3_allow_http: true,
        }
    }
}

impl std::ops::Deref for S3TestServer {
    type Target = S3Server;
    fn deref(&self) -> &S3Server {
        &self.0
    }
}

impl std::ops::DerefMut for S3TestServer {
    fn deref_mut(&mut self) -> &mut S3Server {
        &mut self.0
    }
}
