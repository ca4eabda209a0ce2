#!/usr/bin/env python3
"""pynetdicom-job.py: the inventory job as a Python user would write it.

Usage: pynetdicom-job.py INPUT_DIR OUT_DIR AE@HOST:PORT [--calling-ae AE]

The baseline of scripts/bench.sh beside the old bash job and our pipeline:
1. every file under INPUT_DIR (sorted walk) is read with pydicom's dcmread,
   specific_tags=["PatientID"] and stop_before_pixels, and each PatientID is
   kept once, in the order first seen;
2. one pynetdicom association sends one Study Root C-FIND per patient, with
   the old job's return keys;
3. each match is written as OUT_DIR/<patient index>/rspNNNN.dcm, the old
   job's tree (design.md section 1), without its --repeat 2 duplicates.

Sockets keep pynetdicom's defaults (no TCP_NODELAY), as a user would leave
them. Prints one line on stdout with the seconds each stage took (writing is
timed apart from the lookups it is interleaved with):
    ids=S lookups=S write=S total=S patients=N matches=N failed=N
Exit status: 0, 1 if some C-FIND did not end in Success, 2 on bad arguments
or when the association cannot be opened.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND

PROG = "pynetdicom-job.py"
# The old job's return keys (scripts/old-job.sh).
KEYS = ["PatientName", "StudyInstanceUID", "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances", "StudyDescription", "InstitutionName",
        "ReferringPhysicianName", "StudyDate", "StudyTime", "ModalitiesInStudy"]


def patient_ids(root):
    """PatientIDs of the files under root, once each, in sorted-walk order."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            try:
                ds = dcmread(os.path.join(folder, name), specific_tags=["PatientID"],
                             stop_before_pixels=True)
            except (InvalidDicomError, OSError):
                continue
            value = str(ds.get("PatientID", "") or "").strip()
            if value:
                seen.setdefault(value, None)
    return list(seen)


def query(pid):
    """The C-FIND identifier for one patient."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientID = pid
    for key in KEYS:
        setattr(ds, key, "")
    return ds


def save(ident, path):
    """Writes one match as a DICOM file, as findscu -X does."""
    ident.file_meta = FileMetaDataset()
    ident.file_meta.MediaStorageSOPClassUID = FIND
    ident.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ident.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ident.save_as(path, enforce_file_format=True)


def lookups(ids, out, pacs, calling):
    """Queries every ID on one association; returns (write_s, matches, failed)."""
    called, rest = pacs.split("@", 1)
    host, port = rest.rsplit(":", 1)
    ae = AE(ae_title=calling)
    ae.add_requested_context(FIND)
    assoc = ae.associate(host, int(port), ae_title=called)
    if not assoc.is_established:
        sys.exit(f"{PROG}: no association with {pacs}")
    write_s, matches, failed = 0.0, 0, 0
    for index, pid in enumerate(ids):
        folder = out / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        count, final = 0, None
        for status, ident in assoc.send_c_find(query(pid), FIND):
            code = status.Status if status else None
            if code in (0xFF00, 0xFF01) and ident is not None:
                count += 1
                started = time.perf_counter()
                save(ident, folder / f"rsp{count:04d}.dcm")
                write_s += time.perf_counter() - started
            else:
                final = code
        matches += count
        if final != 0x0000:
            failed += 1
            print(f"{PROG}: {pid}: C-FIND ended with status {final}", file=sys.stderr)
    assoc.release()
    return write_s, matches, failed


def main():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("out")
    parser.add_argument("pacs", help="AE@HOST:PORT")
    parser.add_argument("--calling-ae", default="PYJOB")
    args = parser.parse_args()
    if "@" not in args.pacs or ":" not in args.pacs:
        parser.error("PACS must be AE@HOST:PORT")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ids = patient_ids(args.input)
    t1 = time.perf_counter()
    write_s, matches, failed = lookups(ids, out, args.pacs, args.calling_ae)
    t2 = time.perf_counter()
    print(f"ids={t1 - t0:.3f} lookups={t2 - t1 - write_s:.3f} write={write_s:.3f} "
          f"total={t2 - t0:.3f} patients={len(ids)} matches={matches} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
