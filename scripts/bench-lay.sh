#!/usr/bin/env bash
# bench-lay.sh: files written per second by dcm-lay on N synthetic records
# (default 50,000), against a minimal loop that writes the same bytes to the
# same number of files with a temp name and a rename (no fsync in either):
# tools/dcm-lay/examples/write_loop.rs, fed the files dcm-lay wrote. Prints
# the ratio of the two times (issue 5's target: within 2x). Each side runs
# RUNS times (default 3) on a fresh folder; the medians make the headline
# ratio and the best times are shown beside them, since other load on a
# shared machine can slow any single run. Beside them, the median of the
# ratios of each run's two sides, which ran back to back: a slow phase of
# the disk that spans several runs moves it least. TMPDIR=/dev/shm is the
# strictest case: on tmpfs the file system costs least, so dcm-lay's own
# CPU weighs most in the ratio.
set -euo pipefail
USAGE='bench-lay.sh [RECORDS] [RUNS]   (env: CARGO, TMPDIR)'
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help) printf 'usage: %s\n' "$USAGE"; exit 0 ;; esac
[ $# -le 2 ] || usage_error
records=${1:-50000} runs=${2:-3}
[[ $records =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] \
    || usage_error "RECORDS and RUNS must be positive numbers"
cd "$SCRIPTS_DIR/.."
${CARGO:-cargo} build --quiet --release -p dcm-lay --bin dcm-lay --example write_loop
lay=target/release/dcm-lay loop=target/release/examples/write_loop

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-lay.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Five studies per patient, with the attributes dcm-find returns by default
# and a Latin-1 or UTF-8 name now and then, as from a real PACS.
python3 - "$records" >"$work/records.jsonl" <<'PY'
import json, sys
names = ["Smith^John", "Müller^Åse", "Dvořák^Antonín", "Nowak^Zofia", "Ng^Li"]
mods = [["CT"], ["MR"], ["CT", "PT"], ["US"], ["DX"]]
def el(vr, *values):
    return {"vr": vr, "Value": list(values)}
for i in range(int(sys.argv[1])):
    p, s = divmod(i, 5)
    pid = "PAT%07d" % p
    ds = {
        "00080005": el("CS", "ISO_IR 192"),
        "00080020": el("DA", "2024%02d%02d" % (1 + s, 1 + p % 28)),
        "00080030": el("TM", "101500"),
        "00080050": el("SH", "ACC%08d" % i),
        "00080052": el("CS", "STUDY"),
        "00080061": el("CS", *mods[(p + s) % 5]),
        "00080080": el("LO", "Universitätsklinikum Köln"),
        "00080090": el("PN", {"Alphabetic": "Doe^Jane"}),
        "00081030": el("LO", "Study %d of patient %d" % (s, p)),
        "00100010": el("PN", {"Alphabetic": names[p % 5]}),
        "00100020": el("LO", pid),
        "0020000D": el("UI", "1.2.826.0.1.3680043.8.498.%d.%d" % (p + 1, s + 1)),
        "00200010": el("SH", str(s + 1)),
        "00201206": el("IS", s + 1),
        "00201208": el("IS", 10 * (s + 1)),
    }
    print(json.dumps({"position": p, "id": pid, "key": "PatientID", "dataset": ds},
                     ensure_ascii=False, separators=(",", ":")))
PY

now() { date +%s.%N; }
best() { sort -g | head -n 1; }
median() {
    sort -g | awk '{ t[NR] = $1 } END { print (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2 }'
}
# div A B FORMAT: A / B, printed with a printf FORMAT.
div() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf f, a / b }'; }

lay_run() {
    local start
    start=$(now)
    "$lay" -q --layout seed --input "$work/records.jsonl" "$work/lay$1" 2>"$work/lay.log" \
        || { cat "$work/lay.log" >&2; die "dcm-lay failed"; }
    awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }' >>"$work/lay.times"
}

# The baseline writes exactly what dcm-lay wrote, manifest.csv included.
loop_run() { "$loop" "$work/lay1" "$work/loop$1" | cut -d' ' -f1 >>"$work/loop.times"; }

# Each run into a folder of its own, and nothing is deleted until the end:
# without a journal ext4 checks every new inode against recent deletions, so
# creating files is slow for minutes after many deletions. Before each timed
# run `sync` writes back the other side's data, so that neither pays for the
# other's writeback; and the order alternates (dcm-lay first in odd runs),
# so that a slowdown fading over the runs does not favour one side.
for i in $(seq "$runs"); do
    sync
    if ((i % 2)); then lay_run "$i"; else loop_run "$i"; fi
    sync
    if ((i % 2)); then loop_run "$i"; else lay_run "$i"; fi
    div "$(tail -n 1 "$work/lay.times")" "$(tail -n 1 "$work/loop.times")" '%f\n' \
        >>"$work/pair.ratios"
done
files=$(find "$work/lay1" -type f -name '*.dcm' | wc -l)
[ "$files" -eq "$records" ] || die "dcm-lay wrote $files files for $records records"

lay_s=$(median <"$work/lay.times") loop_s=$(median <"$work/loop.times")
lay_b=$(best <"$work/lay.times") loop_b=$(best <"$work/loop.times")
bytes=$(du -sb "$work/lay1" | cut -f1)
fs=$(df --output=fstype "$work" | tail -n 1)
printf '%s: %d records, %d files, %d bytes, median of %d runs, on %s in %s\n' \
    "$PROG" "$records" "$files" "$bytes" "$runs" "$fs" "${TMPDIR:-/tmp}"
say "dcm-lay      $(div "$files" "$lay_s" %.0f) files/s ($lay_s s; best $lay_b s)"
say "write loop   $(div "$files" "$loop_s" %.0f) files/s ($loop_s s; best $loop_b s)"
say "times (s): dcm-lay $(paste -sd' ' "$work/lay.times"), loop $(paste -sd' ' "$work/loop.times")"
say "ratio dcm-lay / write loop: $(div "$lay_s" "$loop_s" %.2f)x median," \
    "$(div "$lay_b" "$loop_b" %.2f)x best," \
    "$(median <"$work/pair.ratios" | xargs printf %.2f)x median of run pairs (target: within 2x)"
