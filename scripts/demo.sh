#!/usr/bin/env bash
# demo.sh: the whole job end to end on this machine, what `make demo` runs
# (under netns.sh, after cargo build --release): a local Orthanc loaded with a
# synthetic archive, the old job's input written the old way (findscu -X), then
# parse-all-patients.sh DEMO, and a short account of what it wrote. Orthanc is
# stopped however the script ends.
set -euo pipefail
USAGE='demo.sh   (env: DEMO_DIR, default /tmp/dcm-demo; DEMO_PATIENTS, default 300)'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || usage_error
demo=${DEMO_DIR:-/tmp/dcm-demo}
patients=${DEMO_PATIENTS:-300}
[[ $patients =~ ^[1-9][0-9]*$ ]] || usage_error "DEMO_PATIENTS must be a number"
input=/tmp/allPatientsDEMO tree=/tmp/pullStudiesDEMO

"$SCRIPTS_DIR/install-deps.sh"
# A fresh PACS and fixture each time, so the counts below are this run's alone.
# Only the demo's own subfolders are removed, whatever DEMO_DIR points to.
if [ -d "$demo/pacs" ]; then "$SCRIPTS_DIR/pacs.sh" stop "$demo/pacs"; fi
rm -rf "$demo/pacs" "$demo/fixture" "$tree"
trap '"$SCRIPTS_DIR/pacs.sh" stop "$demo/pacs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DCM_PACS=$("$SCRIPTS_DIR/pacs.sh" start orthanc "$demo/pacs")
export DCM_PACS
"$SCRIPTS_DIR/make-fixture.py" "$demo/fixture" --patients "$patients"
"$SCRIPTS_DIR/load-fixture.sh" "$demo/fixture" "$demo/pacs"
"$SCRIPTS_DIR/make-input.sh" "$demo/pacs" "$input"

started=${EPOCHREALTIME/./}   # microseconds, without calling date or bc
status=0
"$SCRIPTS_DIR/parse-all-patients.sh" DEMO || status=$?
ms=$(((${EPOCHREALTIME/./} - started) / 1000))
elapsed=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))

studies=$(($(wc -l <"$demo/fixture/truth.csv") - 1))
# A failed run may have written no tree at all: count that as 0, and go on.
count() { find "$@" 2>/dev/null | wc -l || true; }
folders=$(count "$tree" -mindepth 1 -maxdepth 1 -type d)
files=$(count "$tree" -type f -name 'rsp*.dcm')
cat <<SUMMARY

Demo summary
  PACS          Orthanc $DCM_PACS, $patients patients, $studies studies
  input         $input: $(count "$input" -type f) findscu -X files (every study twice)
  pipeline      dcm-ids | dcm-find | dcm-lay --layout seed, ${elapsed} s, exit $status
  written       $files study files in $folders patient folders
  tree          $tree (0/rsp0001.dcm, ...; manifest.csv lists every file)
  look at one   /usr/bin/dcm2json $tree/0/rsp0001.dcm
SUMMARY
[ "$files" -eq "$studies" ] || say "warning: $files files written for $studies studies"
exit "$status"
