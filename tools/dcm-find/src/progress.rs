//! The progress bar, for a person watching a long run: IDs done, of how
//! many when that is known (input from a file, not a pipe), and the rate.
//! Drawn only when stderr is a terminal and neither `-q` nor `-v` asked for
//! plain lines; every stderr line of the run goes through [`Progress::suspend`]
//! so that messages and the bar never share a line.

use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar on stderr, or nothing.
#[derive(Default)]
pub struct Progress(Option<ProgressBar>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Progress({})",
            if self.0.is_some() { "bar" } else { "none" }
        )
    }
}

impl Progress {
    /// A bar when `wanted` and stderr is a terminal; `total` IDs if known.
    pub fn new(wanted: bool, total: Option<u64>) -> Progress {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let template = match total {
            Some(_) => "{bar:30} {human_pos}/{human_len} IDs, {msg}, {eta} left [{elapsed}]",
            // A pipe: how many IDs are still to come is unknown.
            None => "{spinner} {human_pos} IDs, {msg} [{elapsed}]",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message("0 IDs/s");
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// Counts one more ID done.
    pub fn advance(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(format!("{:.0} IDs/s", bar.per_sec()));
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

/// How many entries `input` holds: terminators, plus an unterminated last
/// one.
pub fn count_entries(input: &[u8], terminator: u8) -> u64 {
    let ends = input.iter().filter(|&&b| b == terminator).count() as u64;
    let tail = input.last().is_some_and(|&b| b != terminator);
    ends + u64::from(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_counted_like_the_reader_reads_them() {
        assert_eq!(count_entries(b"", b'\n'), 0);
        assert_eq!(count_entries(b"A\n\nB\n", b'\n'), 3);
        assert_eq!(count_entries(b"A\nB", b'\n'), 2);
        assert_eq!(count_entries(b"A\0B\0", b'\0'), 2);
    }
}
