//! The C-FIND client of `dcm-find`, in small steps: what to ask
//! ([`query`]), how to ask it ([`association`] over [`dimse`] messages),
//! what a response status means ([`status`]), and what to keep of an answer
//! ([`matches`]). Failures of each step are [`error::FindError`]s.

pub mod association;
pub mod decode;
pub mod dimse;
pub mod error;
pub mod matches;
pub mod query;
pub mod status;

pub use association::{Answer, FindAssociation, Settings};
pub use error::FindError;
pub use query::{Level, Model, Query};
