//! Progress of the long stages for a person at a terminal: a bar per
//! stage (tables validated with their rows, data-point queries, Monte
//! Carlo runs, report pages), drawn by `tracing-indicatif` when the binary
//! installs its layer, so bars and log lines do not tear each other.
//! Without that layer (stderr not a terminal, `--quiet`, JSON logs, the
//! library used on its own) a [`Progress`] is an idle span: nothing is
//! drawn and nothing else changes.

use tracing_indicatif::span_ext::IndicatifSpanExt;

/// The field that marks a span as a progress bar (the binary's
/// `IndicatifFilter` shows only spans that carry it).
pub const BAR_FIELD: &str = "indicatif.pb_show";

/// One stage's bar: `len` steps, advanced with [`Progress::inc`]; it goes
/// when dropped.
#[derive(Debug)]
pub struct Progress {
    span: tracing::Span,
}

impl Progress {
    /// A bar for `stage` of `len` steps.
    pub fn new(stage: &str, len: u64) -> Self {
        let span = tracing::info_span!(
            target: "qinglian::progress",
            "progress",
            indicatif.pb_show = tracing::field::Empty
        );
        if !span.is_disabled() {
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<28} [{bar:30}] {pos}/{len} {elapsed}",
            )
            .map(|s| s.progress_chars("=> "));
            if let Ok(style) = style {
                span.pb_set_style(&style);
            }
            span.pb_set_length(len);
            span.pb_set_message(stage);
            span.pb_start();
        }
        Self { span }
    }

    /// Advances the bar by `n` steps.
    pub fn inc(&self, n: u64) {
        if !self.span.is_disabled() {
            self.span.pb_inc(n);
        }
    }

    /// Replaces the text beside the bar (e.g. the table being read).
    pub fn message(&self, text: &str) {
        if !self.span.is_disabled() {
            self.span.pb_set_message(text);
        }
    }
}
