//! The record lines, read on a thread of their own.
//!
//! Its own unit because of interrupts: a read from a producer that is alive
//! but silent blocks, and the signal handler (ctrlc) restarts it, so a loop
//! that reads in place would not see Ctrl-C until the next line. The reader
//! thread hands lines over a bounded channel; the main loop waits on it in
//! short slices and checks the stop flag between them.
//!
//! The reader thread also runs a `prepare` step on each line before handing
//! it over (the run parses and encodes there), so that work uses a second
//! core while the main loop writes; lines still arrive one by one, in order.

use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// How long the main loop waits for a line before it looks at the flag.
const POLL: Duration = Duration::from_millis(50);

/// Lines in flight between the reader and the main loop.
const BACKLOG: usize = 1024;

/// After an interrupt, how long a silent producer is waited for.
const QUIET: Duration = Duration::from_secs(2);

/// After an interrupt, how long lines are drained into `--failed` at most.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);

/// What the reader saw.
enum Event<T> {
    /// A line without its `\n`; `cut` when the input ended before the `\n`.
    Line {
        raw: Vec<u8>,
        cut: bool,
        prepared: T,
    },
    Failed(io::Error),
}

/// The next thing the main loop must handle.
#[derive(Debug)]
pub enum Next<T> {
    /// Line `number` (from 1), trimmed of `\n` and `\r`, and what the
    /// `prepare` step made of it.
    Line {
        number: u64,
        raw: Vec<u8>,
        cut: bool,
        prepared: T,
    },
    /// The input ended.
    End,
    /// Reading failed; no more lines follow.
    Failed(io::Error),
    /// The stop flag was set.
    Interrupted,
}

/// The reading end of the reader thread.
pub struct Lines<T> {
    events: Receiver<Event<T>>,
    number: u64,
}

impl<T: Send + 'static> Lines<T> {
    /// Starts reading `input` on its own thread, calling `prepare(raw, cut)`
    /// on each line there. The thread ends at the end of the input, or at
    /// its next line once `Lines` is dropped.
    pub fn spawn<F>(mut input: Box<dyn BufRead + Send>, prepare: F) -> Lines<T>
    where
        F: Fn(&[u8], bool) -> T + Send + 'static,
    {
        let (tx, events) = mpsc::sync_channel(BACKLOG);
        thread::spawn(move || loop {
            let mut raw = Vec::new();
            let event = match input.read_until(b'\n', &mut raw) {
                Ok(0) => return,
                Ok(_) => {
                    let cut = raw.last() != Some(&b'\n');
                    trim_newline(&mut raw);
                    let prepared = prepare(&raw, cut);
                    Event::Line { raw, cut, prepared }
                }
                Err(e) => Event::Failed(e),
            };
            let last = matches!(event, Event::Failed(_));
            if tx.send(event).is_err() || last {
                return;
            }
        });
        Lines { events, number: 0 }
    }

    /// Waits for the next line, the end, or the stop flag.
    pub fn next(&mut self, stop: &AtomicBool) -> Next<T> {
        loop {
            if stop.load(Ordering::Relaxed) {
                return Next::Interrupted;
            }
            match self.events.recv_timeout(POLL) {
                Ok(event) => return self.number(event),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Next::End,
            }
        }
    }

    /// After an interrupt: the lines not yet handed out, read until the
    /// producer closes its end. Records a producer already wrote into the
    /// pipe count as done there, so they must reach `--failed` here rather
    /// than be lost with the pipe. A producer that stays silent for `QUIET`
    /// (alive, but not stopping) ends the wait, and so does `DRAIN_LIMIT`.
    pub fn pending(&mut self) -> Vec<Vec<u8>> {
        let started = std::time::Instant::now();
        let mut lines = Vec::new();
        while started.elapsed() < DRAIN_LIMIT {
            match self.events.recv_timeout(QUIET) {
                Ok(Event::Line { raw, .. }) => lines.push(raw),
                Ok(Event::Failed(_)) => break,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        lines
    }

    fn number(&mut self, event: Event<T>) -> Next<T> {
        match event {
            Event::Line { raw, cut, prepared } => {
                self.number += 1;
                Next::Line {
                    number: self.number,
                    raw,
                    cut,
                    prepared,
                }
            }
            Event::Failed(e) => Next::Failed(e),
        }
    }
}

fn trim_newline(raw: &mut Vec<u8>) {
    if raw.last() == Some(&b'\n') {
        raw.pop();
    }
    if raw.last() == Some(&b'\r') {
        raw.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &'static [u8]) -> Vec<(u64, Vec<u8>, bool)> {
        let mut lines = Lines::spawn(Box::new(input), |raw, _| raw.len());
        let stop = AtomicBool::new(false);
        let mut out = Vec::new();
        loop {
            match lines.next(&stop) {
                Next::Line {
                    number,
                    raw,
                    cut,
                    prepared,
                } => {
                    assert_eq!(prepared, raw.len());
                    out.push((number, raw, cut));
                }
                Next::End => return out,
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn lines_are_numbered_and_a_cut_last_line_is_marked() {
        let got = all(b"a\r\n\nb\n{\"cut");
        assert_eq!(
            got,
            [
                (1, b"a".to_vec(), false),
                (2, b"".to_vec(), false),
                (3, b"b".to_vec(), false),
                (4, b"{\"cut".to_vec(), true),
            ]
        );
    }

    #[test]
    fn the_flag_wins_over_waiting_lines() {
        let mut lines = Lines::spawn(Box::new(&b"a\nb\n"[..]), |_, _| ());
        let stop = AtomicBool::new(true);
        assert!(matches!(lines.next(&stop), Next::Interrupted));
        thread::sleep(Duration::from_millis(100));
        assert_eq!(lines.pending(), [b"a".to_vec(), b"b".to_vec()]);
    }
}
