#!/usr/bin/env bash
# parse-all-patients.sh: the old inventory job as one pipeline of the new tools:
# the patients found in /tmp/allPatients<INSTITUTION> (findscu -X answers or
# any DICOM files), looked up in the PACS, laid out in the old job's tree under
# /tmp/pullStudies<INSTITUTION>. Inputs that fail are listed next to the tree
# (.failed-files, .failed-ids, .failed-records), each in the format its stage
# reads, so `dcm-find --numbered ... < /tmp/pullStudiesX.failed-ids | dcm-lay
# --layout seed ...` retries only those. The ID stream is numbered
# (POSITION<TAB>ID), so a retried ID keeps its place, and its folder. Exit
# status: the worst stage's, as design.md section 2 defines it (0 all done,
# 1 some failed, 2 fatal or usage, 130 interrupted).
set -euo pipefail
USAGE='parse-all-patients.sh [INSTITUTION]   (env: DCM_PACS=AE@HOST:PORT, DCM_CALLING_AE)'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -le 1 ] || usage_error
institution=${1:-}
[[ $institution == */* ]] && usage_error "INSTITUTION must not contain '/'"
[ -n "${DCM_PACS:-}" ] || usage_error "DCM_PACS is not set: export DCM_PACS=AE@HOST:PORT"
in=/tmp/allPatients$institution
out=/tmp/pullStudies$institution
[ -e "$in" ] || usage_error "$in: no such file or folder"

# find_tool NAME: PATH first (an installed release), then this checkout's
# builds, so the script works right after `cargo build` without installing.
find_tool() {
    local dir
    if command -v "$1"; then return 0; fi
    for dir in release debug; do
        if [ -x "$SCRIPTS_DIR/../target/$dir/$1" ]; then
            echo "$SCRIPTS_DIR/../target/$dir/$1"
            return 0
        fi
    done
    say "$1 not found on PATH ($PATH) nor in this checkout's target/ folder" \
        "(install with 'make install', or build with 'make release')"
    exit 2
}
# One per line: a failed lookup must stop the script, and only the last
# substitution of a line sets its status.
ids=$(find_tool dcm-ids)
find=$(find_tool dcm-find)
lay=$(find_tool dcm-lay)

# A list left by an earlier run would read as this run's failures.
rm -f "$out.failed-files" "$out.failed-ids" "$out.failed-records"

# Ctrl-C reaches every stage; remember it, so the run ends 130 whatever the
# stages made of it.
interrupted=0
trap 'interrupted=1' INT
set +e
"$ids" --numbered --failed "$out.failed-files" "$in" \
    | "$find" --numbered --failed "$out.failed-ids" "$DCM_PACS" \
    | "$lay" --layout seed --failed "$out.failed-records" "$out"
statuses=("${PIPESTATUS[@]}")
set -e
trap - INT

# Worst first: a fatal stop (2, or anything undocumented such as 141 from a
# broken pipe or 127 from a missing library) outranks an interrupted stage, which
# outranks some failed inputs.
worst=0
for status in "${statuses[@]}"; do
    case $status in
        0) ;;
        1) if [ $worst -eq 0 ]; then worst=1; fi ;;
        130) if [ $worst -le 1 ]; then worst=130; fi ;;
        *) worst=2 ;;
    esac
done
[ $interrupted -eq 1 ] && worst=130
for list in "$out.failed-files" "$out.failed-ids" "$out.failed-records"; do
    if [ -s "$list" ]; then say "failed inputs listed in $list"; fi
done
say "stages exited ${statuses[*]}: tree in $out, exit $worst"
exit $worst
