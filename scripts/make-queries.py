#!/usr/bin/env python3
"""make-queries.py IDS_FILE OUTDIR: one C-FIND query file per ID (STUDY
level, the old job's return keys), numbered q000000.dcm, ... in input order,
for DCMTK findscu to send on one association: the benchmarks' ceiling
client, which measures the PACS rather than the client."""

import sys
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

KEYS = ["PatientName", "StudyInstanceUID", "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances", "StudyDescription", "InstitutionName",
        "ReferringPhysicianName", "StudyDate", "StudyTime", "ModalitiesInStudy",
        "AccessionNumber", "StudyID", "SpecificCharacterSet"]


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: make-queries.py IDS_FILE OUTDIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[2])
    out.mkdir()
    ids = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
    for n, pid in enumerate(ids):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.QueryRetrieveLevel = "STUDY"
        ds.PatientID = pid
        for key in KEYS:
            setattr(ds, key, "")
        ds.save_as(out / f"q{n:06d}.dcm", enforce_file_format=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
