//! An `s3://` store configured by URL alone takes its endpoint and credentials from the
//! standard `AWS_*` environment (how a deployment or a `kapok` subprocess is set up).
//! Alone in its test binary because it changes the process environment.

#![allow(clippy::expect_used)]

use bytes::Bytes;
use catalog::media::testing::S3TestServer;
use catalog::media::{Key, MediaStore, MediaStoreConfig};

#[tokio::test]
async fn s3_url_alone_uses_the_aws_environment() {
    let server = S3TestServer::start().await.expect("S3 test server");
    for (name, value) in server.aws_env() {
        std::env::set_var(name, value);
    }
    let store = MediaStore::open(&MediaStoreConfig::with_url(server.url("env"))).expect("open");
    store.check().await.expect("healthy through the environment");
    let key = Key::parse("uploads/e1").expect("key");
    let outcome = store.put_bytes(&key, Bytes::from_static(b"from env")).await.expect("put");
    assert_eq!(outcome.size, 8);
    let explicit = MediaStore::open(&server.config("env")).expect("open");
    let object = explicit.get(&key).await.expect("visible to an explicit client");
    assert_eq!(&object.bytes().await.expect("bytes")[..], b"from env");
}
