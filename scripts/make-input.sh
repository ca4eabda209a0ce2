#!/usr/bin/env bash
# make-input.sh: writes the old job's real input the way it was made: one
# STUDY-level Study Root C-FIND over the whole archive, saved by DCMTK
# findscu -X as rspNNNN.dcm files. --repeat 2 sends the query twice on one
# association, so every study is written twice, as in the old input folder
# (about five files per patient): dcm-ids must de-duplicate them.
set -euo pipefail
USAGE='make-input.sh WORKDIR_OF_RUNNING_PACS OUTDIR'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || usage_error
load_pacs_env "$1"
out=$2
fast_dcmtk
mkdir -p "$out"
# findscu numbers from rsp0001 on every run: files of a longer earlier run
# would stay behind and be read as input.
find "$out" -maxdepth 1 -name 'rsp[0-9]*.dcm' -delete

# -v logs one line per response; findscu exits 0 even when the final status is
# a failure, so the log is the only way to know the query succeeded.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
/usr/bin/findscu -v -S -X -od "$out" --repeat 2 -aet "${DCM_CALLING_AE:-DCMFIND}" \
    -aec "$PACS_AE" -k QueryRetrieveLevel=STUDY -k PatientID -k PatientName \
    -k StudyInstanceUID -k StudyDate -k StudyTime -k AccessionNumber \
    -k StudyDescription -k ModalitiesInStudy "$PACS_HOST" "$PACS_PORT" >"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "findscu failed against $DCM_PACS"; }

finals=$(grep -c 'Received Final Find Response (Success)' "$log" || true)
answers=$(grep -c 'Received Find Response [0-9]* (Pending' "$log" || true)
files=$(find "$out" -maxdepth 1 -name 'rsp[0-9]*.dcm' | wc -l)
if [ "$finals" -ne 2 ] || [ "$files" -ne "$answers" ]; then
    grep -E '^(E|F):|Final Find Response' "$log" | head -n 20 >&2 || true
    die "query of $DCM_PACS did not succeed twice ($files files, $answers answers)"
fi
[ "$files" -gt 0 ] || die "$DCM_PACS returned no study"
say "wrote $files files ($((files / 2)) studies, each twice) to $out"
