#!/usr/bin/env bash
# with-pacs.sh: runs CMD (the test suite) beside two real PACS on 127.0.0.1,
# Orthanc and dcmqrscp, both loaded with one known fixture, so end-to-end tests
# find servers, data and the old job's input ready, and never leave a server
# running. `make test` runs it under netns.sh.
#
# Exported to CMD:
#   DCM_TEST_ORTHANC       ORTHANC@127.0.0.1:PORT
#   DCM_TEST_ORTHANC_HTTP  http://127.0.0.1:PORT (Orthanc's REST API)
#   DCM_TEST_DCMQRSCP      DCMQRSCP@127.0.0.1:PORT
#   DCM_TEST_ARCHIVE       the fixture folder, with truth.csv (one row a study)
#   DCM_TEST_INPUT         findscu -X answers of Orthanc (old job's input)
#   DCM_TEST_WORK          an empty scratch folder
# Read: DCM_TEST_PATIENTS (40), DCM_TEST_SEED (7), DCM_TEST_KEEP=1 keeps the
# work folder (it is kept anyway when CMD fails, for the server logs).
set -euo pipefail
USAGE='with-pacs.sh CMD [ARGS...]'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || usage_error
patients=${DCM_TEST_PATIENTS:-40} seed=${DCM_TEST_SEED:-7}
[[ $patients =~ ^[1-9][0-9]*$ && $seed =~ ^[0-9]+$ ]] \
    || usage_error "DCM_TEST_PATIENTS and DCM_TEST_SEED must be numbers"

"$SCRIPTS_DIR/install-deps.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/dcm-test.XXXXXX")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    # In parallel: Orthanc alone takes 2-4 s to shut down.
    "$SCRIPTS_DIR/pacs.sh" stop "$work/orthanc" 2>/dev/null &
    "$SCRIPTS_DIR/pacs.sh" stop "$work/dcmqrscp" 2>/dev/null &
    wait || true
    if [ "$status" -eq 0 ] && [ "${DCM_TEST_KEEP:-}" != 1 ]; then
        rm -rf "$work"
    else
        say "kept $work (server logs, fixture, scratch)"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$SECONDS
# The fixture is written while the servers start: python3 and Orthanc each
# take about a second.
"$SCRIPTS_DIR/make-fixture.py" "$work/archive" --patients "$patients" --seed "$seed" &
fixture_pid=$!
orthanc=$("$SCRIPTS_DIR/pacs.sh" start orthanc "$work/orthanc")
dcmqrscp=$("$SCRIPTS_DIR/pacs.sh" start dcmqrscp "$work/dcmqrscp")
wait "$fixture_pid" || die "make-fixture.py failed"

studies=$(($(wc -l <"$work/archive/truth.csv") - 1))
# dcmqrscp would silently delete the oldest studies past its quota of 500.
[ "$studies" -le 500 ] \
    || die "$studies studies: more than dcmqrscp keeps (500); lower DCM_TEST_PATIENTS"
"$SCRIPTS_DIR/load-fixture.sh" "$work/archive" "$work/orthanc"
"$SCRIPTS_DIR/load-fixture.sh" "$work/archive" "$work/dcmqrscp"
"$SCRIPTS_DIR/make-input.sh" "$work/orthanc" "$work/input"
mkdir -p "$work/scratch"
load_pacs_env "$work/orthanc"
say "ready in $((SECONDS - started)) s: $orthanc, $dcmqrscp, $studies studies in $work"

export DCM_TEST_ORTHANC=$orthanc DCM_TEST_ORTHANC_HTTP=$ORTHANC_HTTP
export DCM_TEST_DCMQRSCP=$dcmqrscp DCM_TEST_ARCHIVE=$work/archive
export DCM_TEST_INPUT=$work/input DCM_TEST_WORK=$work/scratch
status=0
"$@" || status=$?
exit "$status"
