//! Structured logs: human-readable text by default, one JSON object a line when configured.
//!
//! In the text format every field and message is written with its control characters escaped
//! (`\n`, `\r`, `\u{1b}`): a username with a newline wrote a forged line into the log
//! (issue 19). The JSON format escapes by itself.

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::{debug_fn, FormatFields};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` filters (default `info`). Calling it twice is
/// harmless (the second call is ignored), which keeps tests simple.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.fmt_fields(escaped_fields()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The text format's fields: `name=value` separated by spaces, the message bare, each with its
/// control characters escaped so one event is one line.
pub fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    use tracing_subscriber::field::MakeExt;
    debug_fn(|w, field, value| {
        let raw = format!("{value:?}");
        let text = escape_controls(&raw);
        if field.name() == "message" {
            w.write_str(&text)
        } else {
            write!(w, "{}={text}", field.name())
        }
    })
    .delimited(" ")
}

/// `s` with every control character written as its escape (`\n`, `\t`, `\u{1b}`).
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect(),
    )
}

/// A text-format subscriber writing to `writer` without colours (for tests of the format).
pub fn text_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).fmt_fields(escaped_fields()).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_username_with_a_newline_cannot_forge_a_log_line() {
        let buf = Buffer::default();
        let sink = buf.clone();
        let subscriber = text_subscriber(move || sink.clone());
        let forged = "eve\n2026-12-06T19:00:00.000000Z  INFO kapok: signed in username=admin";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(username = %forged, ip = "10.0.0.1", "failed sign-in");
            tracing::info!("{}", format!("message with\r\n{forged}"));
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains(r"username=eve\n2026-12-06"), "{text}");
        assert!(text.contains("failed sign-in") && text.contains("10.0.0.1"), "{text}");
        assert_eq!(escape_controls("plain 米易"), "plain 米易");
        assert_eq!(escape_controls("a\u{1b}[31m"), r"a\u{1b}[31m");
    }
}
