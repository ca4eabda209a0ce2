//! Shared library of `dcm-ids`, `dcm-find` and `dcm-lay`.
//!
//! The three tools never depend on each other; what they share lives here: the
//! stream formats between the stages (ID lines and study records), the rules for
//! which IDs may become a query, tag parsing, the PACS address, exit statuses,
//! the stderr message style and logging set-up.

pub mod address;
pub mod charset;
pub mod cli;
pub mod exit;
pub mod find;
pub mod generate;
pub mod id;
pub mod input;
pub mod logging;
pub mod message;
pub mod progress;
pub mod record;
pub mod tag;

pub use exit::Exit;
pub use record::Record;
