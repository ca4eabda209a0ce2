//! dcm-ids end to end: against DCMTK's own reading of the files (`dcmdump`),
//! on the `findscu -X` folder that `scripts/with-pacs.sh` writes, and on
//! files in the encodings that DCMTK's `dump2dcm` writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_below, run_tool, scratch, test_env, Output};

/// PatientID of one file as DCMTK reads it, if it has one.
fn dcmdump_patient_id(file: &Path) -> Option<String> {
    let out = Command::new("/usr/bin/dcmdump")
        .args(["+U8", "+P", "PatientID", "-q"])
        .arg(file)
        .output()
        .expect("running /usr/bin/dcmdump (apt-get install dcmtk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?;
    let value = &line[line.find('[')? + 1..line.rfind(']')?];
    let value = value.trim_end();
    (!value.is_empty()).then(|| value.to_string())
}

fn first_seen_unique(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

#[test]
fn findscu_responses_give_the_ids_dcmdump_reads_in_walk_order() {
    let input = PathBuf::from(test_env("DCM_TEST_INPUT"));
    let files = files_below(&input);
    assert!(files.len() > 20, "the fixture input should hold many files");
    let expected = first_seen_unique(files.iter().filter_map(|f| dcmdump_patient_id(f)));
    let out = run_tool("dcm-ids", [&input], b"").expect_code(0);
    assert_eq!(out.lines(), expected, "{out}");
    assert!(
        out.stderr.contains(&format!("{} files", files.len())),
        "{out}"
    );
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let input = test_env("DCM_TEST_INPUT");
    let one = run_tool("dcm-ids", ["-j", "1", &input], b"").expect_code(0);
    let two = run_tool("dcm-ids", ["-j", "2", &input], b"").expect_code(0);
    let many = run_tool("dcm-ids", ["-j", "7", "--numbered", &input], b"").expect_code(0);
    assert_eq!(one.stdout, two.stdout);
    let numbered: Vec<String> = one
        .lines()
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{i}\t{id}"))
        .collect();
    assert_eq!(many.lines(), numbered);
}

/// Writes a DICOM file with DCMTK's dump2dcm from a dump text and flags.
fn dump2dcm(dir: &Path, name: &str, dump: &[u8], flags: &[&str]) -> PathBuf {
    let dump_path = dir.join(format!("{name}.txt"));
    std::fs::write(&dump_path, dump).unwrap();
    let file = dir.join(name);
    let status = Command::new("/usr/bin/dump2dcm")
        .args(flags)
        .arg(&dump_path)
        .arg(&file)
        .status()
        .expect("running /usr/bin/dump2dcm");
    assert!(status.success(), "dump2dcm {flags:?} failed");
    std::fs::remove_file(dump_path).unwrap();
    file
}

/// Latin-1 bytes as they stand in the file (dump2dcm copies them as they are).
const LATIN1_DUMP: &[u8] = b"(0008,0005) CS [ISO_IR 100]\n\
    (0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n\
    (0008,0018) UI [1.2.3.4]\n\
    (0010,0010) PN [M\xfcller^\xc5se]\n\
    (0010,0020) LO [M\xfcLLER-1]\n";

#[test]
fn every_dcmtk_encoding_gives_the_same_decoded_id() {
    let dir = scratch();
    let cases: [(&str, &[&str]); 5] = [
        ("explicit-le.dcm", &[]),
        ("big-endian.dcm", &["+tb"]),
        ("deflated.dcm", &["+td"]),
        ("implicit-no-meta.dcm", &["-F", "+ti"]),
        ("explicit-no-meta.dcm", &["-F", "+te"]),
    ];
    for (name, flags) in cases {
        let file = dump2dcm(dir.path(), name, LATIN1_DUMP, flags);
        let out = run_tool("dcm-ids", [&file], b"").expect_code(0);
        assert_eq!(out.lines(), ["MüLLER-1"], "{name}\n{out}");
    }
}

/// dcm-ids on `dir` with `--failed` and `--report` files in `scratch`.
fn ids_with_reports(scratch: &Path, dir: &Path) -> (Output, PathBuf, PathBuf) {
    let failed = scratch.join("failed.txt");
    let report = scratch.join("report.csv");
    let args = [dir.as_os_str(), "--failed".as_ref(), failed.as_os_str()];
    let args = args
        .into_iter()
        .chain(["--report".as_ref(), report.as_os_str()]);
    (run_tool("dcm-ids", args, b""), failed, report)
}

#[test]
fn files_without_an_id_are_counted_and_damaged_ones_fail() {
    let scratch = scratch();
    let dir = scratch.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let good = dump2dcm(&dir, "good.dcm", LATIN1_DUMP, &[]);
    std::fs::write(dir.join("notes.txt"), "PatientID: 123\n").unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    let no_id = b"(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [1.2.3.5]\n";
    dump2dcm(&dir, "no-id.dcm", no_id, &[]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = bytes.len() - 4; // inside the PatientID value
    std::fs::write(dir.join("truncated.dcm"), &bytes[..cut]).unwrap();
    let (out, failed, report) = ids_with_reports(scratch.path(), &dir);
    let out = out.expect_code(1);
    assert_eq!(out.lines(), ["MüLLER-1"], "{out}");
    assert!(
        out.stderr
            .contains("truncated.dcm: file ends before PatientID"),
        "{out}"
    );
    let summary = "5 files, 1 unique IDs, 3 with nothing to give, 1 failed";
    assert!(out.stderr.contains(summary), "{out}");
    let failed_list = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(
        failed_list.trim_end(),
        dir.join("truncated.dcm").to_str().unwrap()
    );
    let rows = std::fs::read_to_string(&report).unwrap();
    assert_eq!(rows.lines().count(), 1 + 4, "{rows}");
    // The failed list is a path list that dcm-ids reads back.
    let again = run_tool(
        "dcm-ids",
        ["--files-from".as_ref(), failed.as_os_str()],
        b"",
    );
    assert_eq!(again.expect_code(1).lines(), Vec::<String>::new());
}

#[test]
fn odd_names_keep_their_bytes_in_the_reports() {
    use std::os::unix::ffi::OsStrExt;
    let scratch = scratch();
    let dir = scratch.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let good = dump2dcm(&dir, "good.dcm", LATIN1_DUMP, &[]);
    let bytes = std::fs::read(&good).unwrap();
    let latin1 = dir.join(std::ffi::OsStr::from_bytes(b"bad\xff.dcm"));
    let newline = dir.join("two\nlines.dcm");
    for file in [&latin1, &newline] {
        std::fs::write(file, &bytes[..bytes.len() - 4]).unwrap();
    }
    let (out, _, report) = ids_with_reports(scratch.path(), &dir);
    let out = out.expect_code(1);
    assert!(
        out.stderr
            .contains("two\\nlines.dcm: the name holds a newline"),
        "{out}"
    );
    let mut rows = csv::Reader::from_path(&report).unwrap();
    let paths: Vec<Vec<u8>> = rows
        .byte_records()
        .map(|r| r.unwrap()[0].to_vec())
        .collect();
    assert!(
        paths.contains(&latin1.as_os_str().as_bytes().to_vec()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&newline.as_os_str().as_bytes().to_vec()),
        "{paths:?}"
    );
}

#[test]
fn missing_input_is_a_failed_input_and_no_input_is_a_usage_error() {
    let out = run_tool("dcm-ids", ["/no/such/folder"], b"").expect_code(1);
    assert!(
        out.stderr
            .contains("dcm-ids: /no/such/folder: no such file or folder"),
        "{out}"
    );
    run_tool("dcm-ids", Vec::<&str>::new(), b"").expect_code(2);
}

#[path = "fixtures/writer.rs"]
mod writer;

use writer::{part10, DataSet, Meta};

const PATIENT_ID: (u16, u16) = (0x0010, 0x0020);
const STUDY_UID: &str = "1.2.826.0.1.3680043.8.498.77";

/// The elements of a typical image around PatientID, in tag order.
fn image(ds: DataSet, charset: &str, id: &[u8]) -> DataSet {
    ds.identifying(charset)
        .text((0x0008, 0x0020), "DA", "20240102")
        .text((0x0010, 0x0010), "PN", "Doe^Jane")
        .element(PATIENT_ID, "LO", id)
        .text((0x0010, 0x0030), "DA", "19700101")
        .text((0x0020, 0x000D), "UI", STUDY_UID)
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// dcm-ids on one file must print `id` and nothing else, and succeed.
fn assert_gives(file: &Path, id: &str) -> common::Output {
    let out = run_tool("dcm-ids", [file], b"").expect_code(0);
    assert_eq!(out.lines(), [id], "{out}");
    assert!(out.stderr.contains("1 files, 1 unique IDs"), "{out}");
    out
}

/// dcm-ids on one file must count it as having nothing to give, say why,
/// and still succeed.
fn assert_nothing(file: &Path, why: &str) {
    let out = run_tool("dcm-ids", [file], b"").expect_code(0);
    assert!(out.stdout.is_empty(), "{out}");
    let line = format!("dcm-ids: {}: {why}", file.display());
    assert!(out.stderr.contains(&line), "expected {line:?}\n{out}");
    assert!(
        out.stderr.contains("1 with nothing to give, 0 failed"),
        "{out}"
    );
}

/// dcm-ids on `input` must fail that input with `why`, exit status 1.
fn assert_fails(input: &Path, args: &[&str], why: &str) -> common::Output {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.push(input.as_os_str());
    let out = run_tool("dcm-ids", all, b"").expect_code(1);
    let line = format!("dcm-ids: {}: {why}", input.display());
    assert!(out.stderr.contains(&line), "expected {line:?}\n{out}");
    out
}

mod must_yield {
    use super::*;
    use writer::{deflate_stored, zlib_stored, DEFLATED, EXPLICIT_BE, EXPLICIT_LE};

    #[test]
    fn no_preamble_no_meta_implicit_and_explicit() {
        let dir = scratch();
        let implicit = image(DataSet::implicit_le(), "ISO_IR 100", b"NOMETA-I");
        assert_gives(&put(dir.path(), "i", &implicit.bytes()), "NOMETA-I");
        let explicit = image(DataSet::explicit_le(), "ISO_IR 100", b"NOMETA-E");
        assert_gives(&put(dir.path(), "e", &explicit.bytes()), "NOMETA-E");
    }

    #[test]
    fn meta_group_without_preamble() {
        let dir = scratch();
        let meta = Meta {
            preamble: false,
            ..Meta::new(EXPLICIT_LE)
        };
        let body = image(DataSet::explicit_le(), "", b"NO-PREAMBLE").bytes();
        // Without the preamble the file starts with "DICM".
        assert_gives(&put(dir.path(), "f", &part10(meta, &body)), "NO-PREAMBLE");
        let bare = part10(meta, &body)[4..].to_vec();
        assert_gives(&put(dir.path(), "g", &bare), "NO-PREAMBLE");
    }

    #[test]
    fn meta_group_missing_elements() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"META-1").bytes();
        let no_length = Meta {
            group_length: false,
            ..Meta::new(EXPLICIT_LE)
        };
        assert_gives(&put(dir.path(), "a", &part10(no_length, &body)), "META-1");
        let no_instance = Meta {
            sop_instance: false,
            ..Meta::new(EXPLICIT_LE)
        };
        assert_gives(&put(dir.path(), "b", &part10(no_instance, &body)), "META-1");
        let neither = Meta {
            sop_instance: false,
            ..no_length
        };
        assert_gives(&put(dir.path(), "c", &part10(neither, &body)), "META-1");
    }

    #[test]
    fn odd_value_lengths() {
        let dir = scratch();
        let body = DataSet::explicit_le()
            .text((0x0008, 0x0005), "CS", "ISO_IR 100")
            .text((0x0008, 0x0016), "UI", writer::CT_STORAGE)
            .text((0x0008, 0x0050), "SH", "ACC")
            .text((0x0010, 0x0010), "PN", "Doe")
            .text(PATIENT_ID, "LO", "ODD")
            .bytes();
        assert_gives(
            &put(dir.path(), "f", &part10(Meta::new(EXPLICIT_LE), &body)),
            "ODD",
        );
        let body = DataSet::implicit_le()
            .text((0x0010, 0x0010), "PN", "Doe")
            .text(PATIENT_ID, "LO", "ODD")
            .bytes();
        assert_gives(&put(dir.path(), "g", &body), "ODD");
    }

    #[test]
    fn nul_and_space_padding() {
        let dir = scratch();
        for (name, value) in [
            ("nul", &b"PAD-1\0"[..]),
            ("space", b"PAD-1 "),
            ("both", b" PAD-1 \0\0"),
        ] {
            let body = image(DataSet::explicit_le(), "ISO_IR 100", value).bytes();
            assert_gives(
                &put(dir.path(), name, &part10(Meta::new(EXPLICIT_LE), &body)),
                "PAD-1",
            );
        }
    }

    #[test]
    fn explicit_vr_big_endian() {
        let dir = scratch();
        let body = image(DataSet::explicit_be(), "ISO_IR 100", b"BIG-1").bytes();
        assert_gives(
            &put(dir.path(), "f", &part10(Meta::new(EXPLICIT_BE), &body)),
            "BIG-1",
        );
    }

    #[test]
    fn deflated_raw_and_with_zlib_header() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"M\xfcller-1").bytes();
        let raw = part10(Meta::new(DEFLATED), &deflate_stored(&body));
        assert_gives(&put(dir.path(), "raw", &raw), "Müller-1");
        let zlib = part10(Meta::new(DEFLATED), &zlib_stored(&body));
        assert_gives(&put(dir.path(), "zlib", &zlib), "Müller-1");
    }

    /// A private UN of undefined length before PatientID, its items in
    /// implicit VR as PS3.5 asks, or explicit as some converters leave them.
    #[test]
    fn private_un_of_undefined_length_before_the_id() {
        let dir = scratch();
        let inner = |ds: DataSet| {
            ds.text((0x0008, 0x0100), "SH", "CODE1")
                .sequence(
                    (0x0008, 0x1115),
                    DataSet::implicit_le().text((0x0020, 0x000E), "UI", "1.2"),
                )
                .text(PATIENT_ID, "LO", "INNER!")
        };
        for (name, items) in [
            ("implicit", DataSet::implicit_le()),
            ("explicit", DataSet::explicit_le()),
        ] {
            let body = DataSet::explicit_le()
                .identifying("ISO_IR 100")
                .text((0x0009, 0x0010), "LO", "ACME 1.0")
                .open_sequence((0x0009, 0x1001), "UN")
                .open_item()
                .raw(&inner(items).bytes())
                .close_item()
                .close_sequence()
                .text(PATIENT_ID, "LO", "UN-1")
                .bytes();
            let file = put(dir.path(), name, &part10(Meta::new(EXPLICIT_LE), &body));
            assert_gives(&file, "UN-1");
        }
    }

    #[test]
    fn pixel_data_longer_than_the_file() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"PIXELS-1")
            .header((0x7FE0, 0x0010), "OW", 1 << 30)
            .raw(&[0; 10])
            .bytes();
        assert_gives(
            &put(dir.path(), "f", &part10(Meta::new(EXPLICIT_LE), &body)),
            "PIXELS-1",
        );
    }

    #[test]
    fn truncated_after_the_id() {
        let dir = scratch();
        let body = DataSet::explicit_le()
            .identifying("ISO_IR 100")
            .text(PATIENT_ID, "LO", "CUT-1 ")
            .text((0x0020, 0x000D), "UI", STUDY_UID)
            .bytes();
        let full = part10(Meta::new(EXPLICIT_LE), &body);
        // Cut inside the element after PatientID, then right after it.
        assert_gives(&put(dir.path(), "a", &full[..full.len() - 5]), "CUT-1");
        let end = full.len() - 8 - STUDY_UID.len();
        assert_gives(&put(dir.path(), "b", &full[..end]), "CUT-1");
    }

    #[test]
    fn misspelt_and_iso2022_character_sets() {
        let dir = scratch();
        let cases: [(&str, &[u8], &str); 6] = [
            ("ISO_IR100", b"M\xfcller", "Müller"),
            ("ISO-IR 100", b"M\xfcller", "Müller"),
            ("UTF-8", "Dvořák".as_bytes(), "Dvořák"),
            ("ISO_IR192", "Dvořák".as_bytes(), "Dvořák"),
            // An empty first value: ASCII until an escape switches to JIS.
            ("\\ISO 2022 IR 87", b"ID\x1b$B;3ED\x1b(B", "ID山田"),
            // Several ISO 2022 sets: Latin-1 then Cyrillic.
            (
                "ISO 2022 IR 6\\ISO 2022 IR 100\\ISO 2022 IR 144",
                b"\x1b-A\xc5se-\x1b-L\xbb\xee",
                "Åse-Лю",
            ),
        ];
        for (i, (charset, raw, want)) in cases.into_iter().enumerate() {
            let body = image(DataSet::explicit_le(), charset, raw).bytes();
            let file = put(
                dir.path(),
                &i.to_string(),
                &part10(Meta::new(EXPLICIT_LE), &body),
            );
            let out = assert_gives(&file, want);
            assert!(
                !out.stderr.contains("unknown character set"),
                "{charset}\n{out}"
            );
        }
    }
}

mod nothing_to_give {
    use super::*;
    use writer::{DICOMDIR_CLASS, EXPLICIT_LE};

    #[test]
    fn non_dicom_files() {
        let dir = scratch();
        let text = put(dir.path(), "notes.txt", b"PatientID: 123\nsecond line\n");
        assert_nothing(&text, "not a DICOM file");
        assert_nothing(&put(dir.path(), "empty", b""), "not a DICOM file");
        assert_nothing(&put(dir.path(), "zeros", &[0; 4096]), "not a DICOM file");
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        assert_nothing(&put(dir.path(), "image.png", png), "not a DICOM file");
    }

    #[test]
    fn dicomdir_is_skipped() {
        let dir = scratch();
        let body = DataSet::explicit_le()
            .text((0x0004, 0x1130), "CS", "")
            .element((0x0004, 0x1200), "UL", &[0; 4])
            .bytes();
        let meta = Meta {
            sop_class: DICOMDIR_CLASS,
            ..Meta::new(EXPLICIT_LE)
        };
        assert_nothing(
            &put(dir.path(), "DICOMDIR", &part10(meta, &body)),
            "DICOMDIR skipped",
        );
    }

    #[test]
    fn no_attribute_or_an_empty_one() {
        let dir = scratch();
        let none = DataSet::explicit_le()
            .identifying("ISO_IR 100")
            .text((0x0010, 0x0010), "PN", "Doe^Jane")
            .text((0x0020, 0x000D), "UI", STUDY_UID)
            .bytes();
        let file = put(dir.path(), "none", &part10(Meta::new(EXPLICIT_LE), &none));
        assert_nothing(&file, "no PatientID");
        for (name, value) in [("zero", &b""[..]), ("spaces", b"    "), ("nuls", b"\0\0")] {
            let body = image(DataSet::explicit_le(), "ISO_IR 100", value).bytes();
            let file = put(dir.path(), name, &part10(Meta::new(EXPLICIT_LE), &body));
            assert_nothing(&file, "empty PatientID");
        }
    }

    /// A PatientID inside a sequence (before or after the top-level one) is
    /// never the file's ID.
    #[test]
    fn values_inside_sequences_are_never_taken() {
        let dir = scratch();
        let other_ids = (0x0010, 0x1002);
        let item = DataSet::explicit_le().text(PATIENT_ID, "LO", "OTHER-1");
        let only_nested = DataSet::explicit_le()
            .identifying("ISO_IR 100")
            .sequence((0x0008, 0x1120), item.clone())
            .text((0x0010, 0x0010), "PN", "Doe^Jane")
            .sequence(other_ids, item.clone())
            .bytes();
        let file = put(
            dir.path(),
            "nested",
            &part10(Meta::new(EXPLICIT_LE), &only_nested),
        );
        assert_nothing(&file, "no PatientID");
        let both = DataSet::explicit_le()
            .identifying("ISO_IR 100")
            .sequence((0x0008, 0x1120), item.clone())
            .text(PATIENT_ID, "LO", "TOP-1")
            .sequence(other_ids, item)
            .bytes();
        assert_gives(
            &put(dir.path(), "both", &part10(Meta::new(EXPLICIT_LE), &both)),
            "TOP-1",
        );
    }
}

mod failures {
    use super::*;
    use writer::EXPLICIT_LE;

    #[test]
    fn truncated_before_the_id() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"LOST-1").bytes();
        let full = part10(Meta::new(EXPLICIT_LE), &body);
        let name_at = full.windows(8).position(|w| w == b"Doe^Jane").unwrap();
        let file = put(dir.path(), "cut.dcm", &full[..name_at + 3]);
        assert_fails(&file, &[], "file ends before PatientID (truncated?)");
        let meta_cut = put(dir.path(), "meta-cut.dcm", &full[..150]);
        assert_fails(&meta_cut, &[], "file ends before PatientID (truncated?)");
        // Cut right after the magic, or after the whole meta group: only a
        // header was written, which is damage, not a file without an ID.
        let magic_cut = put(dir.path(), "magic-cut.dcm", &full[..132]);
        assert_fails(&magic_cut, &[], "file ends before PatientID (truncated?)");
        let meta_only = part10(Meta::new(EXPLICIT_LE), &[]);
        let meta_only = put(dir.path(), "meta-only.dcm", &meta_only);
        assert_fails(&meta_only, &[], "file ends before PatientID (truncated?)");
    }

    /// Runs dcm-ids as an unprivileged user when the tests run as root (as
    /// in CI), where permissions would not stop a read.
    fn as_unprivileged(args: &[&Path]) -> Option<common::Output> {
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        if !root {
            return Some(run_tool("dcm-ids", args, b""));
        }
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            return None;
        }
        let mut all: Vec<&std::ffi::OsStr> = ["--reuid=65534", "--regid=65534", "--clear-groups"]
            .iter()
            .map(|a| a.as_ref())
            .collect();
        let tool = common::tool("dcm-ids");
        all.push(tool.as_os_str());
        all.extend(args.iter().map(|p| p.as_os_str()));
        Some(common::run(setpriv, all, b"", &[]))
    }

    /// A folder in /tmp that an unprivileged user can enter.
    fn open_scratch() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    #[test]
    fn unreadable_file_and_unlistable_folder() {
        use std::os::unix::fs::PermissionsExt;
        let dir = open_scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"READ-1").bytes();
        let bytes = part10(Meta::new(EXPLICIT_LE), &body);
        let good = put(dir.path(), "a-good.dcm", &bytes);
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o644)).unwrap();
        let locked = put(dir.path(), "b-locked.dcm", &bytes);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let closed = dir.path().join("c-closed");
        std::fs::create_dir(&closed).unwrap();
        put(&closed, "inside.dcm", &bytes);
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
        let Some(out) = as_unprivileged(&[dir.path()]) else {
            eprintln!("skipped: running as root without /usr/bin/setpriv to drop privileges");
            return;
        };
        if out.lines() != ["READ-1"] {
            eprintln!("skipped: the unprivileged user cannot read the scratch folder\n{out}");
            return;
        }
        assert_eq!(out.code, 1, "{out}");
        let unreadable = format!("{}: cannot open: permission denied", locked.display());
        assert!(out.stderr.contains(&unreadable), "{out}");
        let unlistable = format!("{}: cannot list: permission denied", closed.display());
        assert!(out.stderr.contains(&unlistable), "{out}");
        assert!(
            out.stderr
                .contains("3 files, 1 unique IDs, 0 with nothing to give, 2 failed"),
            "{out}"
        );
    }
}

mod walking {
    use super::*;
    use std::os::unix::fs::symlink;
    use writer::EXPLICIT_LE;

    fn file_with(dir: &Path, name: &str, id: &str) -> PathBuf {
        let body = image(DataSet::explicit_le(), "ISO_IR 100", id.as_bytes()).bytes();
        put(dir, name, &part10(Meta::new(EXPLICIT_LE), &body))
    }

    #[test]
    fn a_self_link_named_as_input_is_a_failed_loop_and_a_missing_list_is_named() {
        let scratch = scratch();
        let link = scratch.path().join("self");
        symlink("self", &link).unwrap();
        let out = run_tool("dcm-ids", [&link], b"").expect_code(1);
        assert!(out.stderr.contains("self: symbolic link loop"), "{out}");
        let list = scratch.path().join("no-such-list");
        let args = ["--files-from".as_ref(), list.as_os_str()];
        let out = run_tool("dcm-ids", args, b"").expect_code(2);
        assert!(
            out.stderr.contains("no-such-list: no such file or folder"),
            "{out}"
        );
    }

    #[test]
    fn symbolic_links_are_followed_only_with_l() {
        let scratch = scratch();
        let elsewhere = scratch.path().join("elsewhere");
        let data = scratch.path().join("data");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        file_with(&data, "a.dcm", "HERE-1");
        let target = file_with(&elsewhere, "x.dcm", "LINKED-1");
        symlink(&target, data.join("b-link.dcm")).unwrap();
        symlink(&elsewhere, data.join("c-dir-link")).unwrap();
        let out = run_tool("dcm-ids", [&data], b"").expect_code(0);
        assert_eq!(out.lines(), ["HERE-1"], "{out}");
        assert!(
            out.stderr
                .contains("b-link.dcm: symbolic link not followed"),
            "{out}"
        );
        assert!(
            out.stderr
                .contains("3 files, 1 unique IDs, 2 with nothing to give"),
            "{out}"
        );
        let out = run_tool("dcm-ids", ["-L".as_ref(), data.as_os_str()], b"").expect_code(0);
        assert_eq!(out.lines(), ["HERE-1", "LINKED-1"], "{out}");
    }

    #[test]
    fn links_named_on_the_command_line_are_followed() {
        let scratch = scratch();
        let data = scratch.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let file = file_with(&data, "a.dcm", "HERE-1");
        let dir_link = scratch.path().join("dir-link");
        let file_link = scratch.path().join("file-link.dcm");
        let dangling = scratch.path().join("dangling");
        symlink(&data, &dir_link).unwrap();
        symlink(&file, &file_link).unwrap();
        symlink(scratch.path().join("gone"), &dangling).unwrap();
        let out = run_tool("dcm-ids", [&dir_link, &file_link], b"").expect_code(0);
        assert_eq!(out.lines(), ["HERE-1"], "{out}");
        assert!(!out.stderr.contains("not followed"), "{out}");
        assert!(
            out.stderr.contains("2 files, 1 unique IDs, 0 with nothing"),
            "{out}"
        );
        let out = run_tool("dcm-ids", [&dangling], b"").expect_code(1);
        assert!(
            out.stderr.contains("dangling: symbolic link to nothing"),
            "{out}"
        );
    }

    #[test]
    fn a_link_loop_never_hangs() {
        let scratch = scratch();
        let data = scratch.path().join("data");
        std::fs::create_dir_all(data.join("sub")).unwrap();
        file_with(&data.join("sub"), "a.dcm", "LOOP-1");
        symlink("..", data.join("sub").join("up")).unwrap();
        let out = run_tool("dcm-ids", [&data], b"").expect_code(0);
        assert_eq!(out.lines(), ["LOOP-1"], "{out}");
        let out = run_tool("dcm-ids", ["-L".as_ref(), data.as_os_str()], b"").expect_code(1);
        assert_eq!(out.lines(), ["LOOP-1"], "{out}");
        assert!(out.stderr.contains("symbolic link loop back to"), "{out}");
    }
}

mod values {
    use super::*;
    use writer::EXPLICIT_LE;

    #[test]
    fn other_attributes_by_keyword_or_tag() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b"PAT-1").bytes();
        let file = put(dir.path(), "f", &part10(Meta::new(EXPLICIT_LE), &body));
        for attribute in ["StudyInstanceUID", "0020,000d", "0020,000D"] {
            let args = ["-a".as_ref(), attribute.as_ref(), file.as_os_str()];
            let out = run_tool("dcm-ids", args, b"").expect_code(0);
            assert_eq!(out.lines(), [STUDY_UID], "{attribute}\n{out}");
        }
    }

    /// The documented rule: the first non-empty value, with a warning.
    #[test]
    fn several_values_give_the_first_non_empty_one() {
        let dir = scratch();
        let body = image(DataSet::explicit_le(), "ISO_IR 100", b" \\PAT-A\\PAT-B ").bytes();
        let file = put(dir.path(), "f", &part10(Meta::new(EXPLICIT_LE), &body));
        let out = assert_gives(&file, "PAT-A");
        assert!(
            out.stderr
                .contains("PatientID has 3 values, taking the first non-empty one"),
            "{out}"
        );
    }
}

/// pydicom's own test files give what pydicom reads in them
/// (`tests/fixtures/pydicom/expected.csv`, by scripts/fixtures-expected.py).
#[test]
fn pydicom_test_files_give_what_pydicom_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pydicom");
    let mut rows = csv::Reader::from_path(root.join("expected.csv")).unwrap();
    let mut checked = 0;
    for row in rows.records() {
        let row = row.unwrap();
        let (file, attribute, outcome, value) = (&row[0], &row[1], &row[2], &row[3]);
        let path = root.join(file);
        let args = ["-a".as_ref(), attribute.as_ref(), path.as_os_str()];
        let out = run_tool("dcm-ids", args, b"");
        let want: Vec<&str> = if outcome == "id" { vec![value] } else { vec![] };
        assert_eq!(out.lines(), want, "{file} {attribute}\n{out}");
        assert_eq!(out.code, 0, "{file} {attribute}: must not fail\n{out}");
        checked += 1;
    }
    assert!(checked > 100, "expected.csv has only {checked} rows");
}

/// A value that would break the ID stream (a newline, a tab, a NUL inside)
/// is not an ID: counted with its reason, never printed.
#[test]
fn control_characters_never_reach_the_id_stream() {
    let dir = scratch();
    let cases = [
        ("nl", &b"PAT\nX"[..], "\\n"),
        ("tab", b"PAT\tX", "\\t"),
        ("nul", b"PAT\0X", "\\0"),
    ];
    for (name, value, shown) in cases {
        let body = image(DataSet::explicit_le(), "ISO_IR 100", value).bytes();
        let file = put(
            dir.path(),
            name,
            &part10(Meta::new(writer::EXPLICIT_LE), &body),
        );
        let why = format!("PatientID PAT{shown}X holds a control character");
        assert_nothing(&file, &why);
    }
}
