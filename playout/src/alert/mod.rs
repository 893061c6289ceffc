//! What goes to air for an emergency alert (应急广播): the attention signal, the alert's own
//! audio or speech synthesised from its text, and on TV a full-screen slate with a crawl;
//! built as an in-process [`Source`](crate::playlist::Source) for
//! [`EngineHandle::override_with`](crate::EngineHandle::override_with), and aired per the
//! insertion plan by [`airing::air_alert`].
//!
//! The attention signal is computed, not read, so it is on air at the next frame after the
//! override; speech synthesis, decoding and slate drawing run meanwhile on a helper thread
//! (the signal lasts 8 s). See `docs/emergency-on-air.md`.
//!
//! Pure parts: [`attention`], [`canvas`], [`slate`], the programme's timeline. Edges:
//! [`speech`] (espeak-ng child process), [`decode`] (GStreamer), [`airing`] (a thread).

pub mod airing;
pub mod attention;
pub mod canvas;
pub mod decode;
pub mod own_audio;
pub mod programme;
pub mod slate;
pub mod speech;

pub use airing::{air_alert, AiringEvent, AiringKind, AlertOnAir};
pub use attention::AttentionSignal;
pub use own_audio::OwnAudio;
pub use programme::{AlertMedia, AlertProgramme};
pub use speech::SpeechSettings;

/// What can go wrong preparing an alert for air. None of these stops an alert from airing:
/// the programme airs what it has (signal, slate, silence) and reports the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// The attention-signal settings are unusable.
    #[error("attention signal: {0}")]
    Attention(String),
    /// Speech synthesis failed.
    #[error("speech synthesis: {0}")]
    Speech(String),
    /// The alert's audio (or the speech WAV) could not be decoded.
    #[error("alert audio: {0}")]
    Audio(String),
    /// No font able to draw Chinese.
    #[error("slate font: {0}")]
    Font(String),
}

impl From<crate::font::FontError> for AlertError {
    fn from(e: crate::font::FontError) -> Self {
        AlertError::Font(e.0)
    }
}
