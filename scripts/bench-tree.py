#!/usr/bin/env python3
"""bench-tree.py: what an old-job tree holds, in a form that diff compares.

Usage: bench-tree.py TREE [--truth TRUTH_CSV]

TREE is laid out as the old job's (design.md section 1): TREE/<index>/rsp*.dcm,
one folder per patient, one file per matching study. Prints one line per
patient folder, in index order:
    INDEX<TAB>PATIENTID<TAB>UID,UID,...   (unique StudyInstanceUIDs, sorted)
so the old job's --repeat 2 duplicates fold away and the trees of the old job,
the pynetdicom job and dcm-lay --layout seed compare with cmp. Folders without
files are left out (the old job makes one for a patient without studies,
dcm-lay does not). With --truth (make-fixture.py's
truth.csv), also checks that every patient of the tree holds exactly the
studies the archive holds for it, and that no patient of the archive is
missing; exits 1 with a message on the first difference.
"""

import argparse
import csv
import os
import sys

from pydicom import dcmread

PROG = "bench-tree.py"


def folders(tree):
    """(index, PatientID, sorted unique StudyInstanceUIDs) per patient folder."""
    rows = []
    for name in os.listdir(tree):
        path = os.path.join(tree, name)
        if not (name.isdigit() and os.path.isdir(path)):
            continue
        pid, uids = "", set()
        for file in os.listdir(path):
            if not (file.startswith("rsp") and file.endswith(".dcm")):
                continue
            ds = dcmread(os.path.join(path, file), stop_before_pixels=True,
                         specific_tags=["PatientID", "StudyInstanceUID"])
            pid = str(ds.get("PatientID", ""))
            uids.add(str(ds.get("StudyInstanceUID", "")))
        if uids:
            rows.append((int(name), pid, sorted(uids)))
    return sorted(rows)


def check_truth(rows, truth_csv):
    """Exits 1 unless the tree's studies per patient are the archive's."""
    truth = {}
    with open(truth_csv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            truth.setdefault(row["PatientID"], set()).add(row["StudyInstanceUID"])
    found = {pid: set(uids) for _, pid, uids in rows}
    for pid, uids in found.items():
        if truth.get(pid) != uids:
            sys.exit(f"{PROG}: patient {pid!r}: {len(uids)} studies in the tree, "
                     f"{len(truth.get(pid, ()))} in the archive, or other ones")
    missing = sorted(set(truth) - set(found))
    if missing:
        sys.exit(f"{PROG}: {len(missing)} patients missing from the tree, e.g. {missing[0]!r}")


def main():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--truth")
    args = parser.parse_args()
    rows = folders(args.tree)
    for index, pid, uids in rows:
        print(f"{index}\t{pid}\t{','.join(uids)}")
    if args.truth:
        check_truth(rows, args.truth)


if __name__ == "__main__":
    main()
