#!/usr/bin/env python3
"""fixtures-expected.py: copies a selection of pydicom's own test files into
tests/fixtures/pydicom/ and writes expected.csv, what pydicom reads in each
file, so that the dcm-ids tests compare against pydicom without Python.

Usage: scripts/fixtures-expected.py [--copy] [FIXTURE_DIR]

  --copy        copy the selection (and pydicom's LICENSE) from the
                installed pydicom first (pip install pydicom==3.0.2)
  FIXTURE_DIR   default: tests/fixtures/pydicom next to this script

Each row of expected.csv: file (relative to FIXTURE_DIR), attribute, outcome
(id, nothing), value. The value follows dcm-ids' documented rules, applied to
what pydicom decoded: the first non-empty value of a multi-valued element,
stripped of DICOM padding; a Person Name as it stands in the file.
"""

import csv
import shutil
import sys
import warnings
from pathlib import Path

import pydicom
from pydicom.charset import convert_encodings, decode_bytes
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

PROG = "fixtures-expected.py"

# One file per case that dcm-ids must handle; the note says why it is here.
SELECTION = {
    "test_files/MR_small.dcm": "explicit VR little endian, baseline",
    "test_files/MR_small_implicit.dcm": "implicit VR little endian",
    "test_files/MR_small_bigendian.dcm": "explicit VR big endian",
    "test_files/MR_small_padded.dcm": "padded values",
    "test_files/MR_truncated.dcm": "truncated in Pixel Data, after the ID",
    "test_files/rtplan_truncated.dcm": "truncated after the ID",
    "test_files/ExplVR_LitEndNoMeta.dcm": "no preamble, no meta, explicit LE",
    "test_files/ExplVR_BigEndNoMeta.dcm": "no preamble, no meta, explicit BE",
    "test_files/rtstruct.dcm": "no meta group",
    "test_files/no_meta_group_length.dcm": "meta group without group length",
    "test_files/meta_missing_tsyntax.dcm": "meta group without transfer syntax",
    "test_files/image_dfl.dcm": "deflated explicit VR little endian",
    "test_files/UN_sequence.dcm": "private sequence as UN",
    "test_files/priv_SQ.dcm": "private sequence",
    "test_files/nested_priv_SQ.dcm": "nested private sequences",
    "test_files/empty_charset_LEI.dcm": "empty Specific Character Set",
    "test_files/SC_rgb_small_odd.dcm": "odd lengths",
    "test_files/SC_rgb_small_odd_big_endian.dcm": "odd lengths, big endian",
    "test_files/JPEG2000-embedded-sequence-delimiter.dcm": "encapsulated pixels",
    "test_files/badVR.dcm": "an unknown VR",
    "test_files/rtplan.dcm": "sequences before and after the ID",
    "test_files/test-SR.dcm": "empty PatientID, deep sequences",
    "test_files/reportsi.dcm": "empty PatientID",
    "test_files/dicomdirtests/DICOMDIR": "DICOMDIR",
    "test_files/dicomdirtests/DICOMDIR-bigEnd": "DICOMDIR, big endian",
    "test_files/dicomdirtests/DICOMDIR-implicit": "DICOMDIR, implicit VR",
    "test_files/crayons.icc": "not DICOM: an ICC profile",
    "test_files/zipMR.gz": "not DICOM: gzip",
    "test_files/README.txt": "not DICOM: text (and the files' origin)",
    "charset_files/FileInfo.txt": "not DICOM: text (and the files' origin)",
}
CHARSET_FILES = [
    "chrArab", "chrFren", "chrFrenMulti", "chrGerm", "chrGreek", "chrH31",
    "chrH32", "chrHbrw", "chrI2", "chrJapMulti", "chrJapMultiExplicitIR6",
    "chrKoreanMulti", "chrRuss", "chrSQEncoding", "chrSQEncoding1", "chrX1",
    "chrX2",
]
for name in CHARSET_FILES:
    SELECTION[f"charset_files/{name}.dcm"] = "character sets"

ATTRIBUTES = ["PatientID", "StudyInstanceUID", "SOPInstanceUID"]
# Prefix of the file -> attributes also checked there.
EXTRA = {
    "charset_files/": ["PatientName"],
    "test_files/no_meta_group_length.dcm": ["InstanceCreationDate"],
}
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"


def copy_selection(dest: Path) -> None:
    data = Path(pydicom.__file__).parent / "data"
    for rel in SELECTION:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / rel, target)
    dist = Path(pydicom.__file__).parent.parent
    licenses = sorted(dist.glob(f"pydicom-{pydicom.__version__}.dist-info/licenses/LICENSE"))
    if not licenses:
        sys.exit(f"{PROG}: pydicom's LICENSE not found beside {data}")
    shutil.copyfile(licenses[0], dest / "LICENSE")


def read(path: Path):
    """The data set, or None when pydicom does not take it for DICOM."""
    try:
        return pydicom.dcmread(path)
    except InvalidDicomError:
        pass
    ds = pydicom.dcmread(path, force=True)
    # Forced, pydicom reads anything; a real data set gives more than one
    # element with a known keyword.
    known = [e for e in ds if e.keyword]
    return ds if len(known) > 1 else None


def person_name(path: Path, keyword: str) -> str:
    """A Person Name decoded from the bytes in the file: pydicom's value
    drops empty trailing groups (`A=B=` becomes `A=B`), dcmdump keeps them,
    and so does dcm-ids, which keeps values as they stand."""
    ds = pydicom.dcmread(path, force=True)  # fresh: values not yet converted
    raw = ds.get_item(keyword).value
    charset = ds.get("SpecificCharacterSet", "")
    encodings = convert_encodings(charset if charset else None)
    return decode_bytes(raw, encodings, {0x5E, 0x3D})


def text(value) -> str:
    return str(value)


def value_of(ds, keyword: str, path: Path):
    """(outcome, value) by dcm-ids' rules, from pydicom's decoded value."""
    if keyword not in ds:
        return "nothing", ""
    value = ds[keyword].value
    if isinstance(value, PersonName):
        value = person_name(path, keyword)
    parts = list(value) if isinstance(value, MultiValue) else [value]
    parts = [text(p).rstrip(" \0").lstrip(" ") for p in parts if p is not None]
    first = next((p for p in parts if p), "")
    return ("id", first) if first else ("nothing", "")


def expected_rows(root: Path):
    for rel in SELECTION:
        ds = read(root / rel)
        attributes = ATTRIBUTES + sum((v for k, v in EXTRA.items() if rel.startswith(k)), [])
        meta = getattr(ds, "file_meta", None) if ds is not None else None
        dicomdir = meta is not None and meta.get("MediaStorageSOPClassUID") == DICOMDIR_CLASS
        for keyword in attributes:
            if ds is None or dicomdir:
                yield rel, keyword, "nothing", ""
            else:
                yield (rel, keyword, *value_of(ds, keyword, root / rel))


def main(argv):
    args = [a for a in argv if a != "--copy"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(f"usage: {PROG} [--copy] [FIXTURE_DIR]", file=sys.stderr)
        return 2
    default = Path(__file__).resolve().parent.parent / "tests/fixtures/pydicom"
    root = Path(args[0]) if args else default
    if "--copy" in argv:
        copy_selection(root)
    warnings.simplefilter("ignore")
    with open(root / "expected.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["file", "attribute", "outcome", "value"])
        out.writerows(expected_rows(root))
    print(f"{PROG}: wrote {root / 'expected.csv'} (pydicom {pydicom.__version__})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
