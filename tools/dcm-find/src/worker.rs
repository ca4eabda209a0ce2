//! One worker: one association, reused for query after query, opened again
//! after a failure, with retries and backoff.
//!
//! A C-FIND changes nothing at the PACS, so repeating it after a lost
//! connection, an abort or a timeout is safe; records are only written after
//! the final response, so a retried query never duplicates them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use dcm_core::find::matches::{sift, Matching};
use dcm_core::find::status::StatusClass;
use dcm_core::find::{Answer, FindAssociation, FindError};
use dcm_core::{message, Record};
use dicom_object::InMemDicomObject;

use crate::cli::Config;
use crate::outcome::Outcome;
use crate::progress::Progress;
use crate::run::TOOL;

/// What the workers share.
#[derive(Debug, Default)]
pub struct Shared {
    /// Set when the run must stop (fatal error, broken pipe, interrupt).
    pub stop: AtomicBool,
    /// Set on Ctrl-C: a running query is cancelled.
    pub interrupted: AtomicBool,
    /// IDs sent to the PACS (first attempts).
    pub queries: AtomicU64,
    /// C-FIND requests sent again after a failed attempt.
    pub retries: AtomicU64,
    /// Set once any query got its final response: after that, an abort on a
    /// fresh association is not taken for an unregistered AE title.
    pub answered: AtomicBool,
    /// The bar on stderr, if any: messages are printed around it.
    pub progress: Progress,
}

impl Shared {
    /// Logs a warning line without breaking the progress bar.
    pub fn warn(&self, subject: &str, reason: &str) {
        self.progress
            .suspend(|| tracing::warn!("{}", message::line(TOOL, subject, reason)));
    }

    /// Whether new work must not start.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.interrupted.load(Ordering::Relaxed)
    }
}

/// A query worker.
pub struct Worker<'a> {
    config: &'a Config,
    shared: &'a Shared,
    association: Option<FindAssociation>,
}

impl<'a> Worker<'a> {
    /// A worker with no association yet: it connects on its first query.
    pub fn new(config: &'a Config, shared: &'a Shared) -> Self {
        Worker {
            config,
            shared,
            association: None,
        }
    }

    /// Looks up one checked ID.
    pub fn lookup(&mut self, position: u64, id: &str, matching: Matching) -> Outcome {
        if self.shared.stopping() {
            return Outcome::NotDone;
        }
        match self.query_with_retries(id) {
            Ok(answer) => self.outcome(position, id, matching, answer),
            // A retry cut short by a stop (another worker's fatal error,
            // Ctrl-C) leaves the ID for a rerun.
            Err(_) if self.shared.stopping() => Outcome::NotDone,
            Err(e) if e.is_unreachable() => {
                // Stop the other workers now, not when this outcome's turn
                // to be written comes.
                self.shared.stop.store(true, Ordering::Relaxed);
                Outcome::Fatal(e.to_string())
            }
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn query_with_retries(&mut self, id: &str) -> Result<Answer, FindError> {
        let identifier = self.config.query.identifier(id);
        let mut attempt = 0;
        let mut sent = false;
        loop {
            let error = match self.query_once(&identifier, &mut sent) {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            if !error.retryable() || attempt >= self.config.retries || self.shared.stopping() {
                return Err(error);
            }
            let wait = backoff(attempt);
            let why = format!(
                "{error}; retry {} in {:.1} s",
                attempt + 1,
                wait.as_secs_f32()
            );
            self.shared.warn(id, &why);
            self.shared.retries.fetch_add(1, Ordering::Relaxed);
            if !self.sleep(wait) {
                return Err(error);
            }
            attempt += 1;
        }
    }

    fn query_once(
        &mut self,
        identifier: &InMemDicomObject,
        sent: &mut bool,
    ) -> Result<Answer, FindError> {
        if self.association.is_none() {
            self.association = Some(self.open()?);
        }
        let association = self.association.as_mut().expect("opened above");
        // The summary's queries are the IDs sent at least once; its retries
        // count every retry attempt (see `query_with_retries`), also those
        // that never got as far as sending, as when the PACS is down.
        if !std::mem::replace(sent, true) {
            self.shared.queries.fetch_add(1, Ordering::Relaxed);
        }
        let max = self.config.max_results;
        let cancel = |matches: usize| {
            self.shared.interrupted.load(Ordering::Relaxed) || max.is_some_and(|m| matches > m)
        };
        match association.find(identifier, &cancel) {
            Ok(answer) => {
                self.shared.answered.store(true, Ordering::Relaxed);
                Ok(answer)
            }
            Err(e) => {
                // After a failed exchange the association's state is unknown:
                // drop it and start the next attempt on a fresh one.
                if let Some(a) = self.association.take() {
                    a.abort();
                }
                match e {
                    FindError::Aborted { first_query: true }
                        if self.shared.answered.load(Ordering::Relaxed) =>
                    {
                        Err(FindError::Aborted { first_query: false })
                    }
                    e => Err(e),
                }
            }
        }
    }

    /// Opens an association, saying at -v what was negotiated.
    fn open(&self) -> Result<FindAssociation, FindError> {
        let association = FindAssociation::open(&self.config.settings)?;
        let peer = self.config.settings.peer.to_string();
        tracing::debug!("{}", message::line(TOOL, &peer, association.description()));
        for note in association.notes() {
            self.shared.warn(&peer, note);
        }
        Ok(association)
    }

    /// Sleeps in short steps so a stop is noticed; false if stopped.
    fn sleep(&self, total: Duration) -> bool {
        let step = Duration::from_millis(50);
        let mut slept = Duration::ZERO;
        while slept < total {
            if self.shared.stopping() {
                return false;
            }
            thread::sleep(step);
            slept += step;
        }
        true
    }

    fn outcome(&self, position: u64, id: &str, matching: Matching, answer: Answer) -> Outcome {
        if let Some(failure) = answer.failure() {
            return Outcome::Failed(failure);
        }
        let mut answer = answer;
        let mut warnings = std::mem::take(&mut answer.warnings);
        let mut matches = std::mem::take(&mut answer.matches);
        let reached = self.config.max_results.filter(|&m| matches.len() > m);
        if answer.status.class == StatusClass::Cancel {
            // Cancelled on Ctrl-C: the answer may be short, so the ID is
            // left for a rerun. A PACS that completed anyway gave it all.
            if self.shared.interrupted.load(Ordering::Relaxed) {
                return Outcome::NotDone;
            }
            if reached.is_none() {
                let why = format!("{}: matches may be missing", answer.status_text());
                return Outcome::Failed(why);
            }
        }
        if let Some(max) = reached {
            // Cut here too: a PACS may send more before it sees the C-CANCEL.
            matches.truncate(max);
            warnings.push(format!(
                "more than {max} matches: {max} kept (--max-results)"
            ));
        }
        if answer.status.class == StatusClass::Warning {
            warnings.push(answer.status_text());
        }
        let key = self.config.query.key_name();
        let mut records = Vec::with_capacity(matches.len());
        for object in &matches {
            match Record::from_object(position, id, &key, object) {
                Ok(r) => records.push(r),
                Err(e) => return Outcome::Failed(format!("cannot convert a match to JSON: {e}")),
            }
        }
        let query = &self.config.query;
        let unique = query.level.unique_key();
        let sifted = sift(records, query.match_key.tag, id, matching, unique);
        let why = match matching {
            Matching::Exact => "not exactly the asked ID",
            Matching::Wildcard => "does not match the asked pattern",
        };
        for value in &sifted.not_exact {
            let shown = value.as_deref().map_or("none".into(), |v| format!("{v:?}"));
            warnings.push(format!("match with {key} {shown} dropped: {why}"));
        }
        if sifted.duplicates > 0 {
            warnings.push(format!("{} duplicate matches dropped", sifted.duplicates));
        }
        Outcome::Done {
            records: sifted.kept,
            warnings,
            not_exact: sifted.not_exact.len() as u64,
        }
    }

    /// Releases the association at the end of the run.
    pub fn finish(mut self) {
        if let Some(a) = self.association.take() {
            if let Err(e) = a.release() {
                let peer = self.config.settings.peer.to_string();
                tracing::debug!("{}", message::line(TOOL, &peer, &e.to_string()));
            }
        }
    }
}

/// 0.5 s, 1 s, 2 s, ... up to 8 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let waits: Vec<_> = (0..7).map(|a| backoff(a).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    }
}
