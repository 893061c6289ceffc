//! The one error type of the ingest crate.

use std::path::PathBuf;

/// How a caller (the job worker) should treat a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The media itself is unusable (corrupt, empty, hostile, unsupported): retrying the same
    /// file will fail the same way, so the programme is marked failed with the reason.
    BadMedia,
    /// The environment failed (disk, missing tool, out of space): retry later, maybe elsewhere.
    Retryable,
    /// The caller passed options that make no sense (a bug in the caller, not the media).
    InvalidOptions,
}

/// Everything that can go wrong while ingesting a file.
///
/// Every variant renders as a sentence a person can act on; the `source` chain is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The media is unusable; `reason` says why in plain words.
    #[error("bad media: {reason}")]
    BadMedia {
        /// What is wrong with the file.
        reason: String,
    },
    /// A media tool ran past its wall-clock limit and was killed (hostile or broken media
    /// is the usual cause, so this is classed as bad media).
    #[error("{tool} did not finish within {limit_s} s and was stopped (the media may be damaged or hostile)")]
    Timeout {
        /// The tool (ffprobe, ffmpeg).
        tool: &'static str,
        /// The limit that was exceeded, in seconds.
        limit_s: u64,
    },
    /// A media tool exited with an error or was killed by a signal (for example the memory
    /// limit); `detail` is the tail of its diagnostics.
    #[error("{tool} failed ({status}): {detail}")]
    Tool {
        /// The tool (ffprobe, ffmpeg).
        tool: &'static str,
        /// Its exit status as text.
        status: String,
        /// The last lines it printed on stderr.
        detail: String,
        /// True when the failure is the environment's (no space left), not the media's.
        environmental: bool,
    },
    /// A media tool could not be started at all (not installed, not executable).
    #[error("cannot start {tool}: {source}")]
    Spawn {
        /// The tool (ffprobe, ffmpeg, prlimit).
        tool: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing a local file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The loudness meter rejected its configuration (channel count or sample rate).
    #[error("loudness meter: {0}")]
    Meter(#[from] ebur128::Error),
    /// The job was cancelled (worker shutdown); the child tools were stopped.
    #[error("cancelled")]
    Cancelled,
    /// The options are invalid.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
}

impl IngestError {
    /// Shorthand for [`IngestError::BadMedia`].
    pub fn bad_media(reason: impl Into<String>) -> Self {
        Self::BadMedia { reason: reason.into() }
    }

    /// Shorthand for [`IngestError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// How the job worker should treat this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadMedia { .. } | Self::Timeout { .. } | Self::Meter(_) => ErrorKind::BadMedia,
            Self::Tool { environmental, .. } => {
                if *environmental {
                    ErrorKind::Retryable
                } else {
                    ErrorKind::BadMedia
                }
            }
            Self::Spawn { .. } | Self::Io { .. } | Self::Cancelled => ErrorKind::Retryable,
            Self::InvalidOptions(_) => ErrorKind::InvalidOptions,
        }
    }

    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Retryable
    }
}

/// `text` with every absolute path cut to its last part (`/srv/kapok/work/job-1/source` →
/// `source`): a failure reason is stored and shown to the uploader, who must not learn the
/// server's directory layout.
pub fn without_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('/') {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        // A path starts at a `/` that begins a word: not inside `a/b` or a URL's `//`.
        let starts_word = out.chars().last().is_none_or(|c| c.is_whitespace() || "([{'\"=:".contains(c));
        let end = from.find(|c: char| c.is_whitespace() || ":)]}'\",;".contains(c)).unwrap_or(from.len());
        let path = &from[..end];
        if starts_word && path.len() > 1 && !path.starts_with("//") {
            out.push_str(path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(""));
        } else {
            out.push_str(path);
        }
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_lose_server_paths_but_keep_their_words() {
        let r = "bad media: not a media file FFmpeg can read (/tmp/d/work/job-01a2-1/source: Invalid data found)";
        assert_eq!(without_paths(r), "bad media: not a media file FFmpeg can read (source: Invalid data found)");
        assert_eq!(without_paths("open /srv/kapok/x.mp4 failed"), "open x.mp4 failed");
        assert_eq!(without_paths("audio/video 1/2 at s3://bucket/key"), "audio/video 1/2 at s3://bucket/key");
        assert_eq!(without_paths("no path here"), "no path here");
    }

    #[test]
    fn media_faults_are_not_retryable_but_io_faults_are() {
        assert!(!IngestError::bad_media("empty").is_retryable());
        assert!(!IngestError::Timeout { tool: "ffprobe", limit_s: 5 }.is_retryable());
        let io = IngestError::io("/x", std::io::Error::other("disk"));
        assert!(io.is_retryable());
        let full = IngestError::Tool {
            tool: "ffmpeg",
            status: "exit 1".into(),
            detail: "No space left on device".into(),
            environmental: true,
        };
        assert_eq!(full.kind(), ErrorKind::Retryable);
    }

    #[test]
    fn messages_name_the_cause() {
        let e = IngestError::bad_media("file is empty (0 bytes)");
        assert_eq!(e.to_string(), "bad media: file is empty (0 bytes)");
    }
}
