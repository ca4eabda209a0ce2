//! The progress bar of the tools, for a person watching a long run: how many
//! inputs are done (of how many, when that is known), the rate, and a note
//! the tool adds. One unit for all tools so they draw alike; it is drawn only
//! when stderr is a terminal and neither `-q` nor `-v` asked for plain lines,
//! and every stderr line of a run goes through [`Progress::suspend`] so that
//! messages and the bar never share a line.

use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar on stderr, or nothing.
#[derive(Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
    unit: &'static str,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.bar.is_some() { "bar" } else { "none" };
        write!(f, "Progress({shown})")
    }
}

impl Progress {
    /// A bar when `wanted` and stderr is a terminal, otherwise a no-op.
    /// `done` names what is counted ("files read", "IDs"), `unit` the rate's
    /// unit ("files", "IDs"); `total` when the input's size is known.
    pub fn new(wanted: bool, total: Option<u64>, done: &str, unit: &'static str) -> Progress {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress { bar: None, unit };
        }
        let template = match total {
            Some(_) => {
                format!("{{bar:30}} {{human_pos}}/{{human_len}} {done}, {{msg}}, {{eta}} left")
            }
            // A stream: how much is still to come is unknown.
            None => format!("{{spinner}} {{human_pos}} {done}, {{msg}} [{{elapsed}}]"),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(format!("0 {unit}/s"));
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar: Some(bar),
            unit,
        }
    }

    /// Counts `n` more inputs done; `note` follows the rate (", 12 unique IDs").
    pub fn advance(&self, n: u64, note: &str) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            bar.set_message(format!("{:.0} {}/s{note}", bar.per_sec(), self.unit));
        }
    }

    /// Runs `print` with the bar cleared, so stderr lines never mix with it.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Removes the bar before the summary line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwanted_bar_is_a_no_op_that_still_prints() {
        let p = Progress::new(false, Some(3), "IDs", "IDs");
        p.advance(1, "");
        assert_eq!(p.suspend(|| 7), 7);
        p.finish();
    }
}
