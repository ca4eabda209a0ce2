//! The command line as clap sees it, and its check into a [`Config`].
//!
//! Kept apart from `run` so the tool can be driven from tests with a
//! `Config`, and so `--help` is defined in one place.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use dcm_core::address::{check_ae_title, AeAddress};
use dcm_core::charset::Charset;
use dcm_core::cli::{Verbosity, INPUT, NETWORK, OUTPUT, QUERY};
use dcm_core::find::{Level, Model, Query, Settings};
use dcm_core::input::IdFormat;
use dcm_core::tag::{self, Attribute};

use crate::output::OutputFormat;

const EXAMPLES: &str = "\
Examples:
  dcm-ids /tmp/allPatientsX | dcm-find DICOM_QR_SCP@pacs.example.org:7840 > studies.jsonl
  dcm-find -aet MYAE -j 4 --numbered --failed retry.tsv PACS@10.0.0.5:104 < ids.tsv > out.jsonl
  dcm-find -aet MYAE --numbered PACS@10.0.0.5:104 < retry.tsv >> out.jsonl   (the failed IDs)";

/// Looks up each ID of a stream at a PACS with C-FIND, one record per match.
///
/// Reads IDs (one per line) from stdin and writes, for each, the matches of
/// a C-FIND as JSON Lines records (position, id, key, dataset in the DICOM
/// JSON model), in input order. IDs that are empty or hold *, ? or a
/// backslash never become a query (wildcards only with --allow-wildcards).
/// `-aet` is accepted for --calling-ae.
#[derive(Debug, Parser)]
#[command(name = "dcm-find", version, about)]
#[command(after_help = format!("{}\n\n{EXAMPLES}", dcm_core::exit::EXIT_HELP))]
pub struct Cli {
    /// The PACS: AE@HOST:PORT.
    #[arg(value_name = "AE@HOST:PORT", env = "DCM_PACS")]
    pub pacs: AeAddress,
    /// IDs are NUL-terminated (and so are --failed entries).
    #[arg(short = '0', long, help_heading = INPUT)]
    pub null: bool,
    /// Input lines are POSITION<TAB>ID.
    #[arg(long, help_heading = INPUT)]
    pub numbered: bool,
    /// Our AE title (as registered at the PACS).
    #[arg(long, value_name = "AE", visible_alias = "aet", env = "DCM_CALLING_AE",
          default_value = "DCMFIND", help_heading = NETWORK)]
    pub calling_ae: String,
    /// Connect, association and response timeout, in seconds.
    #[arg(long, value_name = "SECS", env = "DCM_TIMEOUT", default_value_t = 30.0,
          help_heading = NETWORK)]
    pub timeout: f64,
    /// Associations (and queries) in parallel.
    #[arg(short, long, value_name = "N", env = "DCM_JOBS", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=64), help_heading = NETWORK)]
    pub jobs: u16,
    /// Retries of a query after a lost connection, abort or timeout.
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = NETWORK)]
    pub retries: u32,
    /// Largest PDU we accept, in bytes (0: no limit).
    #[arg(long, value_name = "BYTES", default_value_t = 65536, help_heading = NETWORK)]
    pub max_pdu: u32,
    /// Information model.
    #[arg(long, value_enum, default_value_t = ModelArg::Study, help_heading = QUERY)]
    pub model: ModelArg,
    /// Query/Retrieve level.
    #[arg(long, value_enum, default_value_t = LevelArg::Study, help_heading = QUERY)]
    pub level: LevelArg,
    /// The attribute each input ID fills (keyword or gggg,eeee).
    #[arg(long = "match", value_name = "KEY", default_value = "PatientID",
          value_parser = tag::parse, help_heading = QUERY)]
    pub match_key: Attribute,
    /// Return key (KEY) or fixed matching key (KEY=VALUE); replaces the default keys.
    #[arg(short = 'k', long = "key", value_name = "KEY[=VALUE]", help_heading = QUERY)]
    pub keys: Vec<String>,
    /// Keep at most N matches per query; past N, C-CANCEL and a warning.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..),
          help_heading = QUERY)]
    pub max_results: Option<u32>,
    /// Write failed and unfinished input lines to FILE, as they were read.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub failed: Option<PathBuf>,
    /// Let * and ? in IDs reach the PACS as DICOM wildcards.
    ///
    /// Without it an ID holding * or ? is refused, since the PACS would match
    /// other patients. With it, such an ID is sent as a pattern and a match
    /// is kept when its key matches the pattern (* any run of characters, ?
    /// one character, case-sensitive). Empty IDs, IDs of only *, and IDs
    /// with a backslash are still refused: they would match every patient
    /// or be read as a list.
    #[arg(long, help_heading = QUERY)]
    pub allow_wildcards: bool,
    /// Character set of answers that declare none (a defined term).
    ///
    /// An answer without Specific Character Set (0008,0005) whose text is not
    /// ASCII is decoded by this set, with a warning: the PACS did not say, so
    /// this is a guess. Any defined term of PS3.3 C.12.1.1.2, e.g. ISO_IR 100
    /// (Latin-1), ISO_IR 192 (UTF-8), ISO_IR 101 (Latin-2), GB18030.
    #[arg(long, value_name = "TERM", default_value = "ISO_IR 100", help_heading = OUTPUT)]
    pub fallback_charset: String,
    /// Output: jsonl (the record stream) or csv.
    ///
    /// jsonl writes the records of the record stream (what dcm-lay reads).
    /// csv writes one row per match: position, id, then the matching key,
    /// the return keys and the filter keys in the order given; several
    /// values are joined by a backslash, person names as in DICOM.
    #[arg(long, value_enum, default_value_t = FormatArg::Jsonl, help_heading = OUTPUT)]
    pub format: FormatArg,
    /// Write each dataset flat (keyword: string or array), for jq.
    ///
    /// Each line is {"position":..,"id":..,"key":..,"PatientName":"..",
    /// "ModalitiesInStudy":["CT","MR"],..}: one value as a string, several
    /// as an array, person names as in DICOM (groups joined by =), tags
    /// without keyword as gggg,eeee. Handy for jq, but VRs and the exact
    /// JSON types are gone: it is not the record stream, and dcm-lay does
    /// not read it.
    #[arg(long, help_heading = OUTPUT)]
    pub flat: bool,
    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// JSON Lines records (design.md section 2).
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// `--model` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Study Root.
    Study,
    /// Patient Root.
    Patient,
}

/// `--level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// PATIENT
    Patient,
    /// STUDY
    Study,
    /// SERIES
    Series,
    /// IMAGE
    Image,
}

/// A checked command line: everything `run` needs, types resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// How to reach the PACS.
    pub settings: Settings,
    /// What to ask for each ID.
    pub query: Query,
    /// Parallel associations.
    pub jobs: usize,
    /// Retries per query.
    pub retries: u32,
    /// How input lines are read (and failed ones written).
    pub format: IdFormat,
    /// Where to list failed inputs.
    pub failed: Option<PathBuf>,
    /// Matches per query before a C-CANCEL.
    pub max_results: Option<usize>,
    /// Whether `*` and `?` in IDs are sent as wildcards.
    pub allow_wildcards: bool,
    /// How records are written.
    pub output: OutputFormat,
}

impl Cli {
    /// Parses the process arguments, accepting DCMTK's `-aet` spelling.
    pub fn parse_args() -> Cli {
        Cli::parse_from(std::env::args_os().map(|a| {
            if a == "-aet" {
                "--calling-ae".into()
            } else {
                a
            }
        }))
    }

    /// Checks the values clap cannot check alone.
    pub fn into_config(self) -> Result<Config, String> {
        check_ae_title(&self.calling_ae).map_err(|e| format!("--calling-ae: {e}"))?;
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 86_400.0) {
            return Err(format!(
                "--timeout {}: give seconds between 0 and 86400",
                self.timeout
            ));
        }
        if self.max_pdu != 0 && self.max_pdu < 4096 {
            return Err(format!(
                "--max-pdu {}: give 0 or at least 4096",
                self.max_pdu
            ));
        }
        let charset = Charset::from_value(&self.fallback_charset);
        if !charset.unknown_terms().is_empty() {
            return Err(format!(
                "--fallback-charset {:?}: not a defined term (e.g. ISO_IR 100, ISO_IR 192)",
                self.fallback_charset
            ));
        }
        let query = self.query()?;
        let output = match (self.format, self.flat) {
            (FormatArg::Csv, true) => {
                return Err("--flat is a JSON Lines form: not with --format csv".into())
            }
            (FormatArg::Csv, false) => OutputFormat::csv(&query),
            (FormatArg::Jsonl, true) => OutputFormat::Flat,
            (FormatArg::Jsonl, false) => OutputFormat::Records,
        };
        Ok(Config {
            settings: Settings {
                peer: self.pacs,
                calling_ae: self.calling_ae,
                timeout: Duration::from_secs_f64(self.timeout),
                max_pdu: self.max_pdu,
                model: query.model,
                fallback_charset: self.fallback_charset,
            },
            query,
            jobs: self.jobs as usize,
            retries: self.retries,
            format: IdFormat {
                null: self.null,
                numbered: self.numbered,
            },
            failed: self.failed,
            max_results: self.max_results.map(|m| m as usize),
            allow_wildcards: self.allow_wildcards,
            output,
        })
    }

    fn query(&self) -> Result<Query, String> {
        let mut query = Query {
            model: match self.model {
                ModelArg::Study => Model::Study,
                ModelArg::Patient => Model::Patient,
            },
            level: match self.level {
                LevelArg::Patient => Level::Patient,
                LevelArg::Study => Level::Study,
                LevelArg::Series => Level::Series,
                LevelArg::Image => Level::Image,
            },
            match_key: self.match_key,
            ..Query::default()
        };
        if !self.keys.is_empty() {
            query.return_keys.clear();
        }
        for key in &self.keys {
            match key.split_once('=') {
                Some((name, value)) => {
                    let attr = tag::parse(name).map_err(|e| format!("-k {key}: {e}"))?;
                    query.filters.push((attr, value.to_string()));
                }
                None => {
                    let attr = tag::parse(key).map_err(|e| format!("-k {key}: {e}"))?;
                    query.return_keys.push(attr);
                }
            }
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    fn config(args: &[&str]) -> Result<Config, String> {
        let mut all = vec!["dcm-find"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .map_err(|e| e.to_string())?
            .into_config()
    }

    #[test]
    fn defaults_are_the_seed_query() {
        let c = config(&["P@127.0.0.1:104"]).unwrap();
        assert_eq!(c.query, Query::default());
        assert_eq!(c.settings.calling_ae, "DCMFIND");
        assert_eq!(c.settings.timeout, Duration::from_secs(30));
    }

    #[test]
    fn keys_replace_defaults_and_filters_are_kept() {
        let c = config(&["P@h:1", "-k", "StudyInstanceUID", "-k", "StudyDate=2020-"]).unwrap();
        assert_eq!(c.query.return_keys.len(), 1);
        assert_eq!(c.query.filters[0].1, "2020-");
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(config(&["P@h:1", "--timeout", "0"]).is_err());
        assert!(config(&["P@h:1", "--calling-ae", "WAY_TOO_LONG_AE_TITLE"]).is_err());
        assert!(config(&["P@h:1", "--jobs", "0"]).is_err());
        assert!(config(&["nonsense"]).is_err());
        assert!(config(&["P@h:1", "-k", "NoSuchKey"]).is_err());
        assert!(config(&["P@h:1", "--fallback-charset", "KLINGON"]).is_err());
        assert!(config(&["P@h:1", "--flat", "--format", "csv"]).is_err());
    }

    #[test]
    fn output_options_choose_the_format() {
        let c = config(&["P@h:1", "--flat"]).unwrap();
        assert_eq!(c.output, OutputFormat::Flat);
        let c = config(&["P@h:1", "--format", "csv", "-k", "StudyDate"]).unwrap();
        let OutputFormat::Csv(columns) = c.output else {
            panic!("csv expected")
        };
        let names: Vec<String> = columns.iter().map(|a| a.name()).collect();
        assert_eq!(names, ["PatientID", "StudyDate", "StudyInstanceUID"]);
        let c = config(&["P@h:1", "--fallback-charset", "ISO_IR 192"]).unwrap();
        assert_eq!(c.settings.fallback_charset, "ISO_IR 192");
    }
}
