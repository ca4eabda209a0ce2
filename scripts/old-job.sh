#!/usr/bin/env bash
# old-job.sh: the old inventory job as it ran, rebuilt as a baseline for
# side-by-side comparisons with the dcm-* pipeline (same tree, time, load).
#
# Its defects are kept on purpose, since they are what is being compared:
# - one dcmdump process per input file, then a linear scan of an array per
#   file to de-duplicate IDs (quadratic in the number of patients);
# - one findscu process and association per patient, one after another;
# - --repeat 2, so every study is written twice (rsp0001 and rsp0002 equal);
# - findscu's exit status and final C-FIND status are never checked, so a
#   failed patient is an empty or missing folder and nobody is told;
# - IDs go into the query as they are: no Specific Character Set is sent, and
#   an ID with * or ? is a wildcard query that matches other patients;
# - OUT_DIR is removed first, so an interrupted run leaves a partial tree;
# - TCP_NODELAY is not set (each round trip waits for a delayed ACK) unless
#   the caller exports it.
set -euo pipefail
USAGE='old-job.sh INPUT_DIR OUT_DIR   (env: DCM_PACS=AE@HOST:PORT, DCM_CALLING_AE)'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || usage_error
in=$1 out=$2
[ -d "$in" ] || usage_error "$in: no such folder"
[ -n "${DCM_PACS:-}" ] || usage_error "DCM_PACS is not set (AE@HOST:PORT)"
split_pacs "$DCM_PACS"
aet=${DCM_CALLING_AE:-DCMFIND}

rm -rf "$out"
mkdir -p "$out"

ids=()
while IFS= read -r -d '' file; do
    # dcmdump prints e.g. "(0010,0020) LO [PAT000123]   #  10, 1 PatientID";
    # the first such line counts, the value is what stands between [ and ].
    line=$(/usr/bin/dcmdump +P PatientID "$file" 2>/dev/null | head -n 1) || true
    [[ $line == *\[*\]* ]] || continue
    id=${line#*[}
    id=${id%]*}
    seen=0
    for known in "${ids[@]}"; do
        if [ "$known" = "$id" ]; then seen=1; break; fi
    done
    [ $seen -eq 1 ] || ids+=("$id")
done < <(find "$in" -type f -print0 | sort -z)

for i in "${!ids[@]}"; do
    mkdir -p "$out/$i"
    /usr/bin/findscu -S -X -od "$out/$i" --repeat 2 -aet "$aet" -aec "$PACS_AE" \
        -k QueryRetrieveLevel=STUDY -k "PatientID=${ids[$i]}" -k PatientName \
        -k StudyInstanceUID -k NumberOfStudyRelatedSeries \
        -k NumberOfStudyRelatedInstances -k StudyDescription -k InstitutionName \
        -k ReferringPhysicianName -k StudyDate -k StudyTime -k ModalitiesInStudy \
        "$PACS_HOST" "$PACS_PORT" || true
done
say "${#ids[@]} patients, $(find "$out" -type f -name 'rsp*.dcm' | wc -l) files in $out"
