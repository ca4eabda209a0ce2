//! What became of one input line, and the counts of the summary line.
//!
//! Every input ends in exactly one of: records on stdout, the failed list,
//! or the count of IDs without matches (design.md section 2); the variants
//! of [`Outcome`] are those ends, plus "not done" for a run that stopped.

use std::fmt;

use dcm_core::Record;

/// The end of one input line.
#[derive(Debug)]
pub enum Outcome {
    /// The query finished: its exact matches (maybe none).
    Done {
        /// Records in output order.
        records: Vec<Record>,
        /// Warnings to show with the ID.
        warnings: Vec<String>,
        /// Matches dropped as not exact.
        not_exact: u64,
    },
    /// Refused, or the query failed: the run goes on.
    Failed(String),
    /// The run stopped before this input was done.
    NotDone,
    /// The PACS cannot be reached: the run stops.
    Fatal(String),
}

/// Counts for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Input lines read.
    pub ids: u64,
    /// IDs sent to the PACS (C-FIND requests, retries not counted).
    pub queries: u64,
    /// C-FIND requests sent again after a failed attempt.
    pub retries: u64,
    /// Records written.
    pub matches: u64,
    /// IDs whose query found nothing.
    pub empty: u64,
    /// Matches dropped because their key was not exactly the asked ID.
    pub not_exact: u64,
    /// Inputs failed.
    pub failed: u64,
    /// Inputs left undone by a stop.
    pub not_done: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} IDs, {} queries, {} retries, {} matches, {} IDs without matches, \
             {} dropped as not exact, {} failed",
            self.ids,
            self.queries,
            self.retries,
            self.matches,
            self.empty,
            self.not_exact,
            self.failed
        )?;
        if self.not_done > 0 {
            write!(f, ", {} not done", self.not_done)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_every_count() {
        let s = Summary {
            ids: 5,
            queries: 4,
            retries: 2,
            matches: 7,
            empty: 1,
            not_exact: 2,
            failed: 1,
            not_done: 0,
        };
        assert_eq!(
            s.to_string(),
            "5 IDs, 4 queries, 2 retries, 7 matches, 1 IDs without matches, \
             2 dropped as not exact, 1 failed"
        );
    }
}
