//! A remote playout node (`kapok::node::Node`, what `kapok playout --channel` runs)
//! against the real API, whose only output is RTMP to a closed port: it stays up retrying
//! for its grace, then gives up (`kapok playout` exits 3 on that) saying it was off air.

use super::common;

use std::time::{Duration, Instant};

use catalog::audit::Actor;
use catalog::channel::{ChannelFormat, ChannelKind, NewChannel};
use catalog::user::Role;
use kapok::node::{Node, NodeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_only_output_lost_its_receiver_gives_up_after_its_grace() {
    let app = common::start(catalog::testing::sqlite_store().await).await;
    let new = NewChannel {
        centre: common::code(common::OWN),
        slug: "miyi-radio".into(),
        name: "米易广播".into(),
        kind: ChannelKind::Radio,
        format: ChannelFormat::radio(),
        day_start: "06:00".into(),
        time_zone: "Asia/Shanghai".into(),
    };
    let channel = app.store().create_channel(&Actor::system("test"), &new).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = testkit::net::free_port();
    let opts = NodeOptions {
        api: app.base.clone(),
        token: Some(app.token(Role::PlayoutNode).to_owned()),
        channel: channel.slug.clone(),
        data: dir.path().to_path_buf(),
        outputs: vec![playout::OutputTarget::Rtmp { url: format!("rtmp://127.0.0.1:{port}/live/radio") }],
        cache_bytes: 64 << 20,
        crawl: None,
        fillers: Vec::new(),
        off_air_exit_after: Some(Duration::from_secs(3)),
        audio_codec: None,
        role: None,
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let node = Node::start(opts).unwrap();
        let started = Instant::now();
        let mut first_check = None;
        let why = loop {
            if let Some(why) = node.gave_up() {
                break Some(why);
            }
            // When the outputs went off air, by the node's own count (this poll may see it late).
            if let (None, Some(off)) = (first_check, node.handle().status().off_air_s) {
                first_check = Some(started.elapsed().saturating_sub(Duration::from_secs_f64(off)));
            }
            if started.elapsed() > Duration::from_secs(30) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let gave_up_after = started.elapsed();
        let status = node.handle().status();
        let _ = node.stop();
        (why, first_check, gave_up_after, status)
    })
    .await
    .unwrap();
    let (why, off_air_seen, gave_up_after, status) = outcome;
    let why = why.unwrap_or_else(|| panic!("never gave up: {status:?}"));
    assert!(why.contains("off air for") && why.contains("limit 3 s"), "{why}");
    let seen = off_air_seen.expect("off air reported before giving up");
    // `seen` is estimated from the node's published status, which lags its own count by up to
    // a status period; 250 ms is that slack, not a looser limit (the node's reason says 3 s).
    assert!(
        gave_up_after + Duration::from_millis(250) >= seen + Duration::from_secs(3),
        "gave up {gave_up_after:?}, off air since {seen:?}"
    );
    assert!(status.samples_out > 0, "the timeline ran while off air: {status:?}");
}
