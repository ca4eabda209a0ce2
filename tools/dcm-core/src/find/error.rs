//! What can go wrong while talking C-FIND, one variant per failing step.
//!
//! The variants carry what a user needs to act (the peer, the timeout, the
//! status with its comment), and [`FindError::retryable`] tells the caller
//! which failures are worth a new association: a C-FIND is safe to repeat.

use std::time::Duration;

use super::dimse::DimseError;

/// A failed step of a C-FIND exchange.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The TCP connection could not be made.
    #[error("cannot connect to {peer}: {reason}")]
    Connect {
        /// `AE@HOST:PORT`
        peer: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The PACS rejected the association.
    #[error("association rejected by {peer}: {reason}")]
    Rejected {
        /// `AE@HOST:PORT`
        peer: String,
        /// The rejection source and reason.
        reason: String,
        /// Whether the PACS said the rejection is only for now.
        transient: bool,
    },
    /// The association failed for another reason.
    #[error("association with {peer} failed: {reason}")]
    Associate {
        /// `AE@HOST:PORT`
        peer: String,
        /// What went wrong.
        reason: String,
    },
    /// No answer in time.
    #[error("no answer within {} s while {step}", .timeout.as_secs_f32())]
    Timeout {
        /// The step that waited.
        step: &'static str,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// The PACS aborted the association.
    #[error("{}", aborted_text(*.first_query))]
    Aborted {
        /// Whether it happened on the first C-FIND of the association.
        first_query: bool,
    },
    /// The connection closed, or a read or write on it failed.
    #[error("connection lost while {step}: {reason}")]
    Connection {
        /// The step under way.
        step: &'static str,
        /// The reason.
        reason: String,
    },
    /// The PACS broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A malformed DIMSE message.
    #[error(transparent)]
    Dimse(#[from] DimseError),
    /// Our identifier could not be encoded.
    #[error("cannot encode the query: {0}")]
    Encode(String),
}

fn aborted_text(first_query: bool) -> &'static str {
    if first_query {
        "the PACS aborted the association on the first C-FIND: the calling AE title is \
         probably not registered at the PACS"
    } else {
        "the PACS aborted the association"
    }
}

impl FindError {
    /// Whether a new association may succeed where this one failed.
    pub fn retryable(&self) -> bool {
        match self {
            FindError::Connect { .. }
            | FindError::Timeout { .. }
            | FindError::Connection { .. }
            | FindError::Associate { .. } => true,
            FindError::Rejected { transient, .. } => *transient,
            // An abort on the first query is the PACS refusing us, not a hiccup.
            FindError::Aborted { first_query } => !first_query,
            FindError::Protocol(_) | FindError::Dimse(_) | FindError::Encode(_) => false,
        }
    }

    /// Whether the failure is about reaching the PACS at all, rather than
    /// about one query: after retries, such a failure stops the run.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            FindError::Connect { .. } | FindError::Rejected { .. } | FindError::Associate { .. }
        )
    }
}
