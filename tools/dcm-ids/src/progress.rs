//! The progress bar, for a person watching a long run: files read, the rate
//! and the IDs found so far. Its own unit so the run does not care whether
//! anyone is watching; it is drawn only when stderr is a terminal and neither
//! `-q` nor `-v` asked for plain lines.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar on stderr, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar when `wanted` and stderr is a terminal; otherwise a no-op.
    pub fn new(wanted: bool) -> Progress {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        // The walk streams, so the total is unknown: a counter, not a gauge.
        let style =
            ProgressStyle::with_template("{spinner} {human_pos} files read, {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message("0 unique IDs");
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// Counts `files` more files and shows the IDs found so far.
    pub fn advance(&self, files: u64, ids: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(files);
            let rate = bar.per_sec();
            bar.set_message(format!("{rate:.0} files/s, {ids} unique IDs"));
        }
    }

    /// Runs `print` with the bar cleared, so stderr lines never mix with it.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Removes the bar before the summary line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
