//! The command line of dcm-ids, and its check into a [`Config`].

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use dcm_core::cli::{Verbosity, INPUT, OUTPUT, PERFORMANCE};
use dcm_core::tag::{self, Attribute};
use dicom_core::VR;

const EXAMPLES: &str = "\
Examples:
  dcm-ids /tmp/allPatientsX | dcm-find DICOM_QR_SCP@pacs.example.org:7840 > studies.jsonl
  find /data -name '*.dcm' -print0 | dcm-ids --files0-from - --format csv > ids.csv
  dcm-ids --numbered --failed failed.txt /archive > ids.tsv; dcm-ids --files-from failed.txt";

/// DICOM files and folders in, a stream of unique IDs out.
///
/// Reads each file only as far as the attribute (PatientID by default), in
/// parallel, and prints every value once, in the order first seen in a sorted
/// walk of the inputs.
#[derive(Debug, Parser)]
#[command(name = "dcm-ids", version, about, long_about = None)]
#[command(after_help = format!("{}\n\n{EXAMPLES}", dcm_core::exit::EXIT_HELP))]
pub struct Cli {
    /// Files and folders to read (folders recursively).
    pub paths: Vec<PathBuf>,
    /// Read paths to read from FILE, one per line (`-` for stdin).
    #[arg(long, value_name = "FILE", help_heading = INPUT)]
    pub files_from: Option<PathBuf>,
    /// Read paths to read from FILE, NUL-terminated (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "files_from", help_heading = INPUT)]
    pub files0_from: Option<PathBuf>,
    /// Follow symbolic links (loops are detected and reported).
    ///
    /// Without it, links found inside folders give nothing; a link named as
    /// input (on the command line or in a path list) is always followed.
    #[arg(short = 'L', long, help_heading = INPUT)]
    pub follow: bool,
    /// The attribute to collect: a keyword or gggg,eeee.
    #[arg(short, long, value_name = "KEY", default_value = "PatientID",
          value_parser = text_attribute, help_heading = INPUT)]
    pub attribute: Attribute,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Lines, help_heading = OUTPUT)]
    pub format: Format,
    /// End each output line (and --failed entry) with NUL instead of newline.
    #[arg(short = '0', long, help_heading = OUTPUT)]
    pub null: bool,
    /// Print each ID as POSITION<TAB>ID (lines format).
    #[arg(long, help_heading = OUTPUT)]
    pub numbered: bool,
    /// Write the paths of failed files to FILE, as --files-from reads them.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub failed: Option<PathBuf>,
    /// Write a CSV row (path, outcome, reason) for every file that gave no ID.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub report: Option<PathBuf>,
    /// Threads for reading files (default: all cores).
    #[arg(short, long, value_name = "N", env = "DCM_JOBS",
          value_parser = clap::value_parser!(u16).range(1..), help_heading = PERFORMANCE)]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One ID per line (the ID stream dcm-find reads).
    Lines,
    /// CSV with a header: position, id, files, first_file.
    Csv,
    /// JSON Lines: {"position", "id", "files", "first_file"}.
    Json,
}

/// Where the paths to read come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathList {
    /// Newline-separated list in a file, or stdin for `-`.
    Lines(PathBuf),
    /// NUL-terminated list in a file, or stdin for `-`.
    Nul(PathBuf),
}

/// A checked command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub list: Option<PathList>,
    pub attribute: Attribute,
    pub format: Format,
    pub null: bool,
    pub numbered: bool,
    pub follow: bool,
    pub jobs: Option<usize>,
    pub failed: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

impl Cli {
    /// Checks what clap cannot: that there is something to read.
    pub fn into_config(self) -> Result<Config, String> {
        let list = match (self.files_from, self.files0_from) {
            (Some(f), _) => Some(PathList::Lines(f)),
            (_, Some(f)) => Some(PathList::Nul(f)),
            _ => None,
        };
        if self.paths.is_empty() && list.is_none() {
            return Err("no input: give files or folders, or --files-from FILE".into());
        }
        if self.numbered && self.format != Format::Lines {
            return Err("--numbered applies to the lines format only".into());
        }
        Ok(Config {
            paths: self.paths,
            list,
            attribute: self.attribute,
            format: self.format,
            null: self.null,
            numbered: self.numbered,
            follow: self.follow,
            jobs: self.jobs.map(usize::from),
            failed: self.failed,
            report: self.report,
        })
    }
}

/// An attribute whose value is text: dcm-ids lists values as text, and the
/// bytes of a number, a sequence or pixel data are not an ID. UN (a private
/// or unknown tag) is let through and read as text.
fn text_attribute(text: &str) -> Result<Attribute, String> {
    let attribute = tag::parse(text)?;
    match attribute.vr {
        VR::AE
        | VR::AS
        | VR::CS
        | VR::DA
        | VR::DS
        | VR::DT
        | VR::IS
        | VR::LO
        | VR::LT
        | VR::PN
        | VR::SH
        | VR::ST
        | VR::TM
        | VR::UC
        | VR::UI
        | VR::UR
        | VR::UT
        | VR::UN => Ok(attribute),
        vr => Err(format!(
            "{} has VR {}, not text: dcm-ids lists text values (IDs, UIDs, codes)",
            attribute.name(),
            vr.to_string()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn needs_an_input() {
        let cli = Cli::try_parse_from(["dcm-ids"]).unwrap();
        assert!(cli.into_config().is_err());
        let cli = Cli::try_parse_from(["dcm-ids", "--files-from", "-"]).unwrap();
        assert_eq!(
            cli.into_config().unwrap().list,
            Some(PathList::Lines("-".into()))
        );
    }

    #[test]
    fn only_text_attributes_are_collected() {
        for ok in [
            "PatientID",
            "StudyInstanceUID",
            "0009,1010",
            "AccessionNumber",
        ] {
            assert!(text_attribute(ok).is_ok(), "{ok}");
        }
        for bad in ["PixelData", "Rows", "ReferencedStudySequence"] {
            let err = text_attribute(bad).unwrap_err();
            assert!(err.starts_with(&format!("{bad} has VR ")), "{err}");
        }
    }
}
