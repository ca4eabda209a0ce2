#!/usr/bin/env bash
# bench-ids.sh: dcm-ids against the ways it replaces, on one folder of
# findscu -X style answers (about five files per patient), warm cache, one
# run: the old job's loop (one dcmdump per file, linear de-dup in bash), one
# `xargs dcmdump | sort -u`, a pydicom script, and the floor (the first 4 KiB
# of every file through xargs head). Prints times and the ratios that
# issue 3 sets as targets. With --memory, also the peak memory of dcm-ids on
# 100,000 files (GNU time).
#
# The old loop costs minutes on 10,000 files, so it runs on the first
# OLD_SUBSET files (default 500) and is extrapolated linearly, which flatters
# it: its de-dup scan grows with the number of IDs already seen.
set -euo pipefail
USAGE='bench-ids.sh [--memory] [N_FILES]   (default 10000; env: OLD_SUBSET, BENCH_KEEP=1)'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

memory=0
n=10000
for arg in "$@"; do
    case $arg in
        --memory) memory=1 ;;
        -h | --help) printf 'usage: %s\n' "$USAGE"; exit 0 ;;
        *) [[ $arg =~ ^[1-9][0-9]*$ ]] || usage_error "N_FILES must be a number: $arg"
           n=$arg ;;
    esac
done
old_subset=${OLD_SUBSET:-500}
[[ $old_subset =~ ^[1-9][0-9]*$ ]] || usage_error "OLD_SUBSET must be a number"
[ "$old_subset" -le "$n" ] || old_subset=$n

need_pkgs dcmtk time
python3 -c 'import pydicom' 2>/dev/null || die "pydicom is missing (pip install pydicom)"
cargo build --release --offline -q -p dcm-ids --manifest-path "$SCRIPTS_DIR/../Cargo.toml"
ids_bin=$SCRIPTS_DIR/../target/release/dcm-ids

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-ids.XXXXXX")
cleanup() { [ "${BENCH_KEEP:-}" = 1 ] && say "kept $work" || rm -rf "$work"; }
trap cleanup EXIT

# make_files DIR COUNT: findscu -X answers as DCMTK writes them (meta group,
# explicit VR little endian, about 560 bytes), five studies a patient. One
# template is written by pydicom; the copies differ in fixed-width IDs.
make_files() {
    python3 - "$1" "$2" <<'EOF'
import io, random, sys, warnings
from pathlib import Path
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

warnings.simplefilter("ignore")  # the placeholders are not valid values
out, count = Path(sys.argv[1]), int(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.276.0.7230010.3.1.0.1"
meta.MediaStorageSOPInstanceUID = "1.2.276.0.7230010.3.1.4.8323328.14071.1796319580.888798"
meta.TransferSyntaxUID = ExplicitVRLittleEndian
meta.ImplementationClassUID = "1.2.276.0.7230010.3.0.3.6.7"
meta.ImplementationVersionName = "OFFIS_DCMTK_367"
ds = Dataset()
ds.file_meta = meta
ds.SpecificCharacterSet = "ISO_IR 192"
ds.StudyDate, ds.StudyTime = "20181228", "101416"
ds.AccessionNumber = "A52463615"
ds.QueryRetrieveLevel = "STUDY"
ds.RetrieveAETitle = "ORTHANC"
ds.ModalitiesInStudy = "US"
ds.StudyDescription = "US THYROID"
ds.PatientName = "Müller^Åse"
ds.PatientID = "PAT@@@@@@@"
ds.StudyInstanceUID = "2.25.1418417519077875484058261099@@@@@@@@@@"
buf = io.BytesIO()
ds.save_as(buf, enforce_file_format=True)
template = buf.getvalue()
rng = random.Random(7)
patients = max(1, count // 5)
for k in range(count):
    pid = f"{rng.randrange(patients):07d}".encode()
    uid = f"{k:010d}".encode()
    data = template.replace(b"@@@@@@@@@@", uid).replace(b"@@@@@@@", pid)
    (out / f"rsp{k + 1:06d}.dcm").write_bytes(data)
EOF
}

# ms CMD...: runs CMD, prints its wall time in milliseconds.
ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

list() { find "$in" -type f -print0 | sort -z; }
floor() { list | xargs -0 head -c 4096 >/dev/null; }
ours() { "$ids_bin" -q "$in" >"$work/ours.txt"; }
xargs_dcmdump() {
    list | xargs -0 /usr/bin/dcmdump +P PatientID 2>/dev/null \
        | sed -n 's/^[^[]*\[\(.*\)\].*/\1/p' | sort -u >"$work/xargs.txt"
}
pydicom_script() {
    list | python3 -c '
import sys, pydicom
seen, out = set(), []
for path in sys.stdin.buffer.read().split(b"\0")[:-1]:
    ds = pydicom.dcmread(path.decode(), specific_tags=["PatientID"], stop_before_pixels=True)
    v = ds.get("PatientID")
    if v and v not in seen:
        seen.add(v)
        out.append(v)
print("\n".join(out))' >"$work/pydicom.txt"
}
# The old job's loop (scripts/old-job.sh), on the first OLD_SUBSET files.
old_way() {
    local ids=() file line id known seen
    while IFS= read -r -d '' file; do
        line=$(/usr/bin/dcmdump +P PatientID "$file" 2>/dev/null | head -n 1) || true
        [[ $line == *\[*\]* ]] || continue
        id=${line#*[}
        id=${id%]*}
        seen=0
        for known in "${ids[@]}"; do
            if [ "$known" = "$id" ]; then seen=1; break; fi
        done
        [ $seen -eq 1 ] || ids+=("$id")
    done < <(list | head -z -n "$old_subset")
    printf '%s\n' "${ids[@]}" >"$work/old.txt"
}

in=$work/input
say "writing $n files to $in"
make_files "$in" "$n"
floor # warms the page cache for every run below
"$ids_bin" -q "$in" >/dev/null

t_floor=$(ms floor)
t_ours=$(ms ours)
t_xargs=$(ms xargs_dcmdump)
t_py=$(ms pydicom_script)
t_old_subset=$(ms old_way)
t_old=$((t_old_subset * n / old_subset))

# The contenders must agree before their times mean anything.
cmp -s <(sort "$work/ours.txt") "$work/xargs.txt" || die "dcm-ids and dcmdump disagree"
cmp -s "$work/ours.txt" "$work/pydicom.txt" || die "dcm-ids and pydicom disagree"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v t="$2" -v dir="$3" 'BEGIN {
    ok = (dir == "min") ? (r >= t) : (r <= t); print ok ? "met" : "MISSED" }'; }
ids_found=$(wc -l <"$work/ours.txt")
printf '\n%s files, %s unique IDs, warm cache, %s cores\n' "$n" "$ids_found" "$(nproc)"
printf '%-44s %10s\n' "run" "ms"
printf '%-44s %10s\n' "floor: xargs head -c 4096" "$t_floor"
printf '%-44s %10s\n' "dcm-ids" "$t_ours"
printf '%-44s %10s\n' "xargs dcmdump +P PatientID | sort -u" "$t_xargs"
printf '%-44s %10s\n' "pydicom (specific_tags, stop_before_pixels)" "$t_py"
printf '%-44s %10s\n' "old way, extrapolated from $old_subset files" "$t_old"
printf '\n%-22s %8s %8s  %s\n' "ratio" "value" "target" ""
r=$(ratio "$t_old" "$t_ours")
printf '%-22s %8s %8s  %s\n' "old / dcm-ids" "$r" ">= 500" "$(verdict "$r" 500 min)"
r=$(ratio "$t_py" "$t_ours")
printf '%-22s %8s %8s  %s\n' "pydicom / dcm-ids" "$r" ">= 10" "$(verdict "$r" 10 min)"
r=$(ratio "$t_xargs" "$t_ours")
printf '%-22s %8s %8s  %s\n' "xargs dcmdump / dcm-ids" "$r" ">= 2" "$(verdict "$r" 2 min)"
r=$(ratio "$t_ours" "$t_floor")
printf '%-22s %8s %8s  %s\n' "dcm-ids / floor" "$r" "<= 2" "$(verdict "$r" 2 max)"

# peak_mb DIR: dcm-ids's peak resident memory on DIR, in MB (GNU time).
peak_mb() {
    "$ids_bin" -q "$1" >/dev/null # the page cache
    /usr/bin/time -f %M "$ids_bin" -q "$1" 2>&1 >/dev/null | tail -n 1 \
        | awk '{ printf "%.1f", $1 / 1024 }'
}

# spread DIR FILES_PER_FOLDER: hard links to DIR's files in folders of that
# many files (the same files, so only the folder sizes differ).
spread() {
    python3 - "$1" "$1.spread" "$2" <<'PY2'
import os, sys
src, out, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(os.path.join(d, f) for d, _, names in os.walk(src) for f in names)
for i, path in enumerate(files):
    folder = os.path.join(out, "d%d" % (i // per))
    os.makedirs(folder, exist_ok=True)
    os.link(path, os.path.join(folder, os.path.basename(path)))
PY2
    echo "$1.spread"
}

if [ "$memory" = 1 ]; then
    big=$work/big
    say "writing 100000 files to $big"
    make_files "$big" 100000
    # Folders are walked in sorted order, so one folder's listing is held
    # while it is read: memory grows with the largest folder and with the
    # unique IDs, not with the number of files.
    m_small=$(peak_mb "$in") m_big=$(peak_mb "$big")
    m_spread=$(peak_mb "$(spread "$big" 1000)")
    printf '\n%-52s %8s\n' "peak memory of dcm-ids" "MB"
    printf '%-52s %8s\n' "$n files in one folder" "$m_small" \
        "100000 files in one folder" "$m_big" \
        "the same 100000 files in 100 folders of 1000" "$m_spread"
    printf '%-52s %8s  %s\n' "target: 100000 files under 50 MB" "$m_big" \
        "$(verdict "$m_big" 50 max)"
fi
