#!/usr/bin/env bash
# load-fixture.sh: stores every *.dcm under ARCHIVE_DIR into the PACS that
# pacs.sh started in WORKDIR, in one association (DCMTK storescu), and fails if
# any single store failed, since a test against a half-loaded PACS proves nothing.
set -euo pipefail
USAGE='load-fixture.sh ARCHIVE_DIR WORKDIR_OF_RUNNING_PACS'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || usage_error
archive=$1
[ -d "$archive" ] || usage_error "$archive: no such folder"
load_pacs_env "$2"
fast_dcmtk

files=$(find "$archive" -type f -name '*.dcm' | wc -l)
[ "$files" -gt 0 ] || die "$archive: no .dcm files"
if [ "$PACS_KIND" = dcmqrscp ] && [ -r "$archive/truth.csv" ]; then
    studies=$(($(wc -l <"$archive/truth.csv") - 1))
    [ "$studies" -le 500 ] \
        || say "warning: $studies studies, but dcmqrscp keeps only the newest 500 stored"
fi

# +sp '*.dcm' skips truth.csv and anything else that is not a fixture file.
# -v logs one "Received Store Response (...)" per file: the only record of a
# failed store, since storescu's exit status reports only some failures.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/bin/storescu -v +sd +r +sp '*.dcm' -aet LOADER -aec "$PACS_AE" \
    "$PACS_HOST" "$PACS_PORT" "$archive" >"$log" 2>&1 || status=$?
ok=$(grep -c 'Received Store Response (Success)' "$log" || true)
if [ "$status" -ne 0 ] || [ "$ok" -ne "$files" ]; then
    grep -E '^(E|F):|Store Response \((Warning|Failed|Refused|Error)' "$log" | head -n 20 >&2 \
        || true
    die "stored $ok of $files files into $DCM_PACS (storescu exit $status)"
fi
say "stored $files files from $archive into $DCM_PACS"
