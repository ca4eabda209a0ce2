#!/usr/bin/env python3
"""make-fixture.py: writes a synthetic, deterministic PACS archive for tests.

Usage: make-fixture.py OUTDIR [--patients N] [--seed S]

Tests need an archive whose content they know exactly: OUTDIR gets DICOM
Part 10 files (explicit VR little endian, 8x8 pixels) under
OUTDIR/<patient>/<study>/<series>/<instance>.dcm, and OUTDIR/truth.csv with one
row per study, which tests compare what a PACS returns against. The same seed
gives the same bytes, so a failure can be reproduced.

The archive holds what breaks naive tools: names in ASCII, in Latin-1
(ISO_IR 100) and outside Latin-1 (ISO_IR 192, UTF-8), patient IDs with leading
zeros, a space or a dash, and studies of two modalities.
"""

import argparse
import csv
import random
import sys
import uuid
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

PROG = "make-fixture.py"

# Fixed rather than pydicom's own, so the bytes do not change with its version.
IMPLEMENTATION_UID = "2.25.307627375464012873218312317616478392931"
IMPLEMENTATION_NAME = "DCMFIXTURE1"

SOP_CLASSES = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "CR": "1.2.840.10008.5.1.4.1.1.1",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "MG": "1.2.840.10008.5.1.4.1.1.1.2",
    "PT": "1.2.840.10008.5.1.4.1.1.128",
}
# Modality pairs seen in one study in practice (PET/CT, ...).
MIXED = [("PT", "CT"), ("CT", "MR"), ("CR", "DX"), ("MG", "US")]

INSTITUTIONS = [
    "General Hospital",
    "St. Olav University Hospital",
    "Karolinska University Hospital",
    "Hopital Saint-Louis",
    "Mercy Medical Center",
    "Universitätsklinikum Köln",  # needs ISO_IR 100 in a file that has it
]
DESCRIPTIONS = {
    "CT": ["CT HEAD W/O CONTRAST", "CT CHEST ABDOMEN PELVIS", "CT ANGIO"],
    "MR": ["MR BRAIN", "MR KNEE LEFT", "MR LUMBAR SPINE"],
    "CR": ["CHEST PA", "HAND RIGHT"],
    "DX": ["THORAX AP", "PELVIS"],
    "US": ["US ABDOMEN", "US THYROID"],
    "MG": ["MAMMOGRAPHY SCREENING"],
    "PT": ["PET/CT WHOLE BODY"],
}
REFERRERS = ["Smith^John", "Nakamura^Ken", "Hansen^Kari", "Brown^Alice", "Garcia^Maria",
             "Novak^Petr", "Jørgensen^Lars"]

SURNAMES = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Lee",
            "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker"]
GIVEN = ["James", "Mary", "Robert", "Linda", "David", "Susan", "Peter", "Anna",
         "Thomas", "Emma", "Paul", "Laura"]
LATIN1_NAMES = ["Müller^Åse", "Ødegård^Søren", "Gómez^José", "Lefèvre^Françoise",
                "Þórsdóttir^Guðrún", "Nuñez^Iñigo"]
UTF8_NAMES = ["Dvořák^Antonín", "Łukasiewicz^Jan", "Erdős^Pál",
              "Παπαδόπουλος^Γιώργος", "山田^太郎", "Šťastný^Jiří"]
# IDs as real archives have them, beside the regular PAT000123.
ODD_IDS = ["0012345", "0000987", "AB 1234", "12-3456-7", "X-2024-0001"]

FIELDS = ["PatientID", "PatientName", "StudyInstanceUID", "StudyDate", "StudyTime",
          "StudyDescription", "InstitutionName", "ReferringPhysicianName",
          "AccessionNumber", "StudyID", "ModalitiesInStudy",
          "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances",
          "SpecificCharacterSet"]


def fail(message, status=1):
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(status)


def parse_args():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--patients", type=int, default=300, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    args = parser.parse_args()  # exits 2 on bad arguments
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    return args


def charset_for(texts):
    """The smallest character set that holds every text of a file."""
    if all(t.isascii() for t in texts):
        return None
    try:
        for t in texts:
            t.encode("latin-1")
        return "ISO_IR 100"
    except UnicodeEncodeError:
        return "ISO_IR 192"


class Fixture:
    """Draws the archive from one seeded generator, in a fixed order."""

    def __init__(self, seed, patients):
        self.rng = random.Random(seed)
        self.n = patients
        self.rows = []
        self.files = 0

    def uid(self):
        # 2.25.<UUID as integer> needs no registered root (PS3.5 B.2).
        return UID("2.25.%d" % uuid.UUID(int=self.rng.getrandbits(128), version=4).int)

    def patients(self):
        """(index, PatientID, PatientName, showcase) of every patient.

        The odd names and IDs go to seeded places; with fewer patients than
        odd values the UTF-8 names are kept first, being the hardest case. The
        showcase patient (Dvořák when present) gets a study of two modalities.
        """
        rng, n = self.rng, self.n
        specials = ([("name", v) for v in UTF8_NAMES] + [("name", v) for v in LATIN1_NAMES]
                    + [("id", v) for v in ODD_IDS])[:n]
        chosen = rng.sample(range(n), len(specials))
        places = dict(zip(chosen, specials))
        for i in range(n):
            pid = "PAT%06d" % (i + 1)
            name = "%s^%s" % (rng.choice(SURNAMES), rng.choice(GIVEN))
            kind, value = places.get(i, (None, None))
            if kind == "id":
                pid = value
            elif kind == "name":
                name = value
            yield i, pid, name, i == chosen[0]

    def study_plan(self, showcase):
        """Modalities of each series of one study; showcase forces two modalities."""
        rng = self.rng
        if showcase or rng.random() < 0.1:
            return list(rng.choice(MIXED))
        modality = rng.choice(sorted(SOP_CLASSES))
        return [modality] * rng.randint(1, 2)

    def write_patient(self, outdir, index, pid, name, showcase):
        rng = self.rng
        patient = {"PatientID": pid, "PatientName": name,
                   "PatientBirthDate": "%04d%02d%02d" % (rng.randint(1930, 2010),
                                                         rng.randint(1, 12),
                                                         rng.randint(1, 28)),
                   "PatientSex": rng.choice("MF")}
        for s in range(rng.randint(1, 4)):
            plan = self.study_plan(showcase and s == 0)
            self.write_study(outdir / ("P%05d" % index) / ("ST%d" % (s + 1)), patient, plan)

    def write_study(self, folder, patient, plan):
        rng = self.rng
        study = dict(patient)
        study.update({
            "StudyInstanceUID": self.uid(),
            "StudyDate": "%04d%02d%02d" % (rng.randint(2005, 2024), rng.randint(1, 12),
                                           rng.randint(1, 28)),
            "StudyTime": "%02d%02d%02d" % (rng.randint(7, 19), rng.randint(0, 59),
                                           rng.randint(0, 59)),
            "StudyDescription": rng.choice(DESCRIPTIONS[plan[0]]),
            "InstitutionName": rng.choice(INSTITUTIONS),
            "ReferringPhysicianName": rng.choice(REFERRERS),
            "AccessionNumber": "A%08d" % rng.randint(1, 99999999),
            "StudyID": str(rng.randint(1, 9999)),
        })
        texts = [study[k] for k in ("PatientName", "StudyDescription",
                                    "InstitutionName", "ReferringPhysicianName")]
        charset = charset_for(texts)
        instances = 0
        for number, modality in enumerate(plan, 1):
            series_uid = self.uid()
            count = rng.randint(1, 2)
            for inst in range(1, count + 1):
                ds = make_instance(study, charset, modality, series_uid, number, inst,
                                   self.uid(), rng)
                path = folder / ("SE%d" % number) / ("IM%d.dcm" % inst)
                path.parent.mkdir(parents=True, exist_ok=True)
                write(ds, path)
            instances += count
        self.files += instances
        self.rows.append({**{k: study[k] for k in FIELDS if k in study},
                          "ModalitiesInStudy": "\\".join(sorted(set(plan))),
                          "NumberOfStudyRelatedSeries": len(plan),
                          "NumberOfStudyRelatedInstances": instances,
                          "SpecificCharacterSet": charset or ""})


def make_instance(study, charset, modality, series_uid, series_no, inst_no, sop_uid, rng):
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = SOP_CLASSES[modality]
    ds.SOPInstanceUID = sop_uid
    for key, value in study.items():
        setattr(ds, key, value)
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_no
    ds.SeriesDescription = "%s series %d" % (modality, series_no)
    ds.InstanceNumber = inst_no
    ds.Manufacturer = "dcm-fixture"
    ds.ContentDate, ds.ContentTime = study["StudyDate"], study["StudyTime"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.PixelData = rng.randbytes(64)
    ds["PixelData"].VR = "OB"

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_NAME
    ds.file_meta = meta
    return ds


def write(ds, path):
    """Part 10 with preamble and meta header, on pydicom 3 and 2 alike."""
    if int(pydicom.__version__.split(".")[0]) >= 3:
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
    else:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)


def main():
    args = parse_args()
    out = args.outdir
    if out.exists() and any(out.iterdir()):
        # Mixing two seeds in one folder would make truth.csv lie.
        fail(f"{out}: not empty; give a new or empty folder", 2)
    out.mkdir(parents=True, exist_ok=True)
    fixture = Fixture(args.seed, args.patients)
    for index, pid, name, showcase in list(fixture.patients()):
        fixture.write_patient(out, index, pid, name, showcase)
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(fixture.rows)
    print(f"{PROG}: {out}: {args.patients} patients, {len(fixture.rows)} studies, "
          f"{fixture.files} files (seed {args.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
