//! Prints one generated demo day as JSON: the playout items, the rule breaks and the
//! validation findings. `cargo run -p schedules --example demo_day -- [tv|radio] [YYYY-MM-DD]`

use chrono::{NaiveDate, Utc};
use schedules::{demo, validate, CandidateIndex, ChannelKind, Generator, PlayHistory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let kind = match args.next().as_deref() {
        Some("radio") => ChannelKind::Radio,
        _ => ChannelKind::Tv,
    };
    let date = match args.next() {
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")?,
        None => Utc::now().date_naive(),
    };
    let now = Utc::now();
    let index = CandidateIndex::new(demo::catalog(2_000, 1, now));
    let template = demo::template()?;
    let channel = demo::channel("demo", kind, "510400")?;
    let day = Generator::new(&channel, &template, &index)?.day(date, &PlayHistory::new(), 1);
    let findings = validate(&day.playlist, &channel, &template.quotas, &index, now);
    let out = serde_json::json!({
        "channel": channel,
        "items": day.playlist.playout(),
        "why": day.explanations,
        "exceptions": day.exceptions,
        "findings": findings,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
