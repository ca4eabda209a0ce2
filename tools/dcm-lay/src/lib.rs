//! `dcm-lay`: lays out the study records of `dcm-find` as a tree of DICOM
//! Part 10 or DICOM JSON files under a root folder (design.md, section 5).
//!
//! The binary is a thin `main`; everything lives here so tests can drive a
//! whole run through [`run::run`] without spawning a process.

pub mod cli;
pub mod config;
pub mod encode;
pub mod journal;
pub mod lines;
pub mod manifest;
pub mod numbering;
pub mod part10;
pub mod prepare;
pub mod prune;
pub mod recover;
pub mod run;
pub mod sanitize;
pub mod template;
pub mod tree;
