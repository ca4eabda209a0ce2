//! Whole runs of dcm-lay, through `run` and through the built binary, each
//! on a temp dir of its own.

mod common;
mod layout;
mod rerun;
mod signals;
