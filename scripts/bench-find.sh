#!/usr/bin/env bash
# bench-find.sh: dcm-find against the ways it replaces and against the PACS's
# own ceiling, in one run, on Orthanc (N_PATIENTS patients) and on dcmqrscp
# (a second, smaller fixture: dcmqrscp keeps at most 500 studies). Timed:
# - the old way: one /usr/bin/findscu process per ID, without TCP_NODELAY,
#   with and without --repeat 2 (on OLD_SUBSET IDs, extrapolated);
# - one pynetdicom association, as installed (on OLD_SUBSET IDs too: it is
#   held to a few queries a second) and with TCP_NODELAY on its socket;
# - the ceiling, the best of: DCMTK findscu given one query file per ID on
#   one association (TCP_NODELAY=1), and pynetdicom over 1, 2, 4 and 8
#   associations with TCP_NODELAY and TCP_QUICKACK;
# - target/release/dcm-find with --jobs 1, 2, 4 and 8.
# Prints a Markdown report: rates in IDs/s and the ratios of issue 4.
#
# Orthanc writes a PDU header and its body in two writes with Nagle's
# algorithm on, so a client that delays its ACKs waits about 40 ms for the
# body of each response whatever it sets on its own socket; dcm-find sets
# TCP_QUICKACK before each read, and the "quickack" pynetdicom rows do the
# same to show what that alone is worth.
#
# Runs itself under netns.sh after the steps that need the network (pip,
# cargo build).
set -euo pipefail
USAGE='bench-find.sh [N_PATIENTS]   (default 1000; env: OLD_SUBSET, QR_PATIENTS, BENCH_KEEP=1)'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help) printf 'usage: %s\n' "$USAGE"; exit 0 ;; esac
[ $# -le 1 ] || usage_error
n=${1:-1000}
subset=${OLD_SUBSET:-200}
qr_patients=${QR_PATIENTS:-150}
for v in "$n" "$subset" "$qr_patients"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || usage_error "not a positive number: $v"
done
root=$SCRIPTS_DIR/..
find_bin=$root/target/release/dcm-find

if [ -z "${DCM_NETNS:-}" ]; then
    need_pkgs dcmtk orthanc
    python3 -c 'import pynetdicom' 2>/dev/null || pip install -q pynetdicom >&2 \
        || die "cannot install pynetdicom (pip install pynetdicom)"
    cargo build --release -q -p dcm-find --manifest-path "$root/Cargo.toml"
    exec "$SCRIPTS_DIR/netns.sh" "$0" "$@"
fi
[ -x "$find_bin" ] || die "$find_bin is missing: run cargo build --release first"
python3 -c 'import pynetdicom' 2>/dev/null || die "pynetdicom is missing (pip install pynetdicom)"
# The clients decide on TCP_NODELAY below, one by one.
unset TCP_NODELAY

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-find.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    "$SCRIPTS_DIR/pacs.sh" stop "$work/orthanc" >/dev/null 2>&1 || true
    "$SCRIPTS_DIR/pacs.sh" stop "$work/dcmqrscp" >/dev/null 2>&1 || true
    if [ "${BENCH_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- the PACS and their data --------------------------------------------------
"$SCRIPTS_DIR/make-fixture.py" "$work/big" --patients "$n" --seed 11 >&2
"$SCRIPTS_DIR/make-fixture.py" "$work/small" --patients "$qr_patients" --seed 12 >&2
small_studies=$(($(wc -l <"$work/small/truth.csv") - 1))
[ "$small_studies" -le 500 ] \
    || die "$small_studies studies for dcmqrscp, which keeps 500: lower QR_PATIENTS"
"$SCRIPTS_DIR/pacs.sh" start orthanc "$work/orthanc" >/dev/null
"$SCRIPTS_DIR/pacs.sh" start dcmqrscp "$work/dcmqrscp" >/dev/null
"$SCRIPTS_DIR/load-fixture.sh" "$work/big" "$work/orthanc"
"$SCRIPTS_DIR/load-fixture.sh" "$work/small" "$work/dcmqrscp"

# ids FIXTURE: the fixture's patient IDs, once each, in truth.csv's order.
ids() { python3 -c '
import csv, sys
seen = []
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if row["PatientID"] not in seen:
        seen.append(row["PatientID"])
print("\n".join(seen))' "$1/truth.csv"; }
ids "$work/big" >"$work/orthanc.ids"
ids "$work/small" >"$work/dcmqrscp.ids"

# --- the clients ----------------------------------------------------------------
now() { printf '%s' "$EPOCHREALTIME"; }
# rate IDS SECONDS: IDs per second, one decimal.
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'; }
keys=(-k QueryRetrieveLevel=STUDY -k PatientName -k StudyInstanceUID
    -k NumberOfStudyRelatedSeries -k NumberOfStudyRelatedInstances
    -k StudyDescription -k InstitutionName -k ReferringPhysicianName -k StudyDate
    -k StudyTime -k ModalitiesInStudy -k AccessionNumber -k StudyID
    -k SpecificCharacterSet)

# old_way IDSFILE REPEAT: the old job's loop on the first OLD_SUBSET IDs;
# prints the rate. Answers are written (-X), as the old job did.
old_way() {
    local list=$1 repeat=$2 out=$work/old id start end count=0
    local extra=()
    [ "$repeat" = 2 ] && extra=(--repeat 2)
    rm -rf "$out"
    start=$(now)
    while IFS= read -r id; do
        mkdir -p "$out/$count"
        /usr/bin/findscu -S -X -od "$out/$count" "${extra[@]}" -aet OLDJOB \
            -aec "$PACS_AE" "${keys[@]}" -k "PatientID=$id" "$PACS_HOST" "$PACS_PORT" \
            >/dev/null 2>&1 || true
        count=$((count + 1))
    done < <(head -n "$subset" "$list")
    end=$(now)
    rate "$count" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
}

# The pynetdicom client: MODE plain (as installed), nodelay, or quickack
# (nodelay, and TCP_QUICKACK before every read, as dcm-find does); ASSOCS
# associations in parallel processes. Prints "IDS MATCHES SECONDS".
cat >"$work/pyfind.py" <<'PY'
import socket, sys, time
from multiprocessing import Pool

from pydicom.dataset import Dataset
from pynetdicom import AE, debug_logger  # noqa: F401
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND
from pynetdicom.transport import AssociationSocket

pacs, ids_file, mode, assocs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
called, rest = pacs.split("@")
host, port = rest.rsplit(":", 1)
KEYS = ["PatientName", "StudyInstanceUID", "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances", "StudyDescription", "InstitutionName",
        "ReferringPhysicianName", "StudyDate", "StudyTime", "ModalitiesInStudy",
        "AccessionNumber", "StudyID", "SpecificCharacterSet"]

if mode == "quickack":
    plain_recv = AssociationSocket.recv

    def recv(self, nr_bytes):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return plain_recv(self, nr_bytes)

    AssociationSocket.recv = recv


def lookup(ids):
    ae = AE(ae_title="BENCHPY")
    ae.add_requested_context(FIND)
    assoc = ae.associate(host, int(port), ae_title=called)
    assert assoc.is_established, "association failed"
    if mode != "plain":
        assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    matches = 0
    for pid in ids:
        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        ds.PatientID = pid
        for k in KEYS:
            setattr(ds, k, "")
        for status, ident in assoc.send_c_find(ds, FIND):
            if status and status.Status in (0xFF00, 0xFF01):
                matches += 1
    assoc.release()
    return matches


ids = open(ids_file, encoding="utf-8").read().splitlines()
ids = ids[:limit] if limit else ids
shares = [ids[k::assocs] for k in range(assocs)]
start = time.perf_counter()
with Pool(assocs) as pool:
    matches = sum(pool.map(lookup, shares))
print(len(ids), matches, time.perf_counter() - start)
PY

# pyfind IDSFILE MODE ASSOCS [LIMIT]: prints the rate.
pyfind() {
    local a
    read -r -a a < <(python3 "$work/pyfind.py" "$DCM_PACS" "$@")
    rate "${a[0]}" "${a[2]}"
}

# findscu_files IDSFILE: DCMTK findscu, one query file per ID, all on one
# association, TCP_NODELAY=1; prints the rate.
findscu_files() {
    local dir=$work/queries start end
    rm -rf "$dir"
    "$SCRIPTS_DIR/make-queries.py" "$1" "$dir"
    local files=("$dir"/q*.dcm)
    start=$(now)
    TCP_NODELAY=1 /usr/bin/findscu -S -aet CEILING -aec "$PACS_AE" "$PACS_HOST" "$PACS_PORT" \
        "${files[@]}" >/dev/null 2>&1 || die "findscu with query files failed"
    end=$(now)
    rate "${#files[@]}" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
}

# ours IDSFILE JOBS: dcm-find, records to a file; prints the rate.
ours() {
    local start end count
    start=$(now)
    "$find_bin" -q --jobs "$2" --calling-ae DCMFIND "$DCM_PACS" <"$1" >"$work/records.jsonl" \
        || die "dcm-find --jobs $2 failed against $DCM_PACS"
    end=$(now)
    count=$(wc -l <"$1")
    rate "$count" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
}

max() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# bench KIND: every client against one PACS; prints the report's section.
bench() {
    local kind=$1 list=$work/$1.ids old1 old2 py_plain py_nodelay py_quick fs best ceiling
    local j jobs_rates=() ours_best p c
    load_pacs_env "$work/$kind"
    local total
    total=$(wc -l <"$list")
    say "$kind: $total IDs"
    old1=$(old_way "$list" 1)
    old2=$(old_way "$list" 2)
    py_plain=$(pyfind "$list" plain 1 "$subset")
    py_nodelay=$(pyfind "$list" nodelay 1)
    py_quick=$(pyfind "$list" quickack 1)
    fs=$(findscu_files "$list")
    ceiling=$fs
    local ceiling_rows=""
    for c in 1 2 4 8; do
        p=$(pyfind "$list" quickack "$c")
        ceiling_rows+="| pynetdicom, $c associations, TCP_NODELAY + TCP_QUICKACK | $p |"$'\n'
        ceiling=$(max "$ceiling" "$p")
    done
    for j in 1 2 4 8; do
        jobs_rates+=("$(ours "$list" "$j")")
    done
    ours_best=$(max "${jobs_rates[@]}")
    best=$(max "$py_nodelay" "$py_quick")
    cat <<EOF

### $kind ($total IDs, $(($(wc -l <"$work/records.jsonl"))) matches)

| client | IDs/s |
| --- | --- |
| old way: one findscu per ID, --repeat 2 ($subset IDs, extrapolated) | $old2 |
| old way: one findscu per ID, no --repeat ($subset IDs, extrapolated) | $old1 |
| pynetdicom, one association, as installed ($subset IDs) | $py_plain |
| pynetdicom, one association, TCP_NODELAY | $py_nodelay |
| pynetdicom, one association, TCP_NODELAY + TCP_QUICKACK | $py_quick |
| DCMTK findscu, one query file per ID, one association, TCP_NODELAY=1 | $fs |
${ceiling_rows}| dcm-find --jobs 1 | ${jobs_rates[0]} |
| dcm-find --jobs 2 (default) | ${jobs_rates[1]} |
| dcm-find --jobs 4 | ${jobs_rates[2]} |
| dcm-find --jobs 8 | ${jobs_rates[3]} |

Ratios (dcm-find at its best --jobs, $ours_best IDs/s):
- ours / old way with --repeat 2: $(ratio "$ours_best" "$old2");
  without: $(ratio "$ours_best" "$old1")
- ours / pynetdicom as installed: $(ratio "$ours_best" "$py_plain");
  with TCP_NODELAY: $(ratio "$ours_best" "$py_nodelay");
  best pynetdicom on one association: $(ratio "$ours_best" "$best")
- ours / ceiling ($ceiling IDs/s, best other client): $(ratio "$ours_best" "$ceiling")
- ours --jobs 1 / pynetdicom, one association, TCP_NODELAY + TCP_QUICKACK:
  $(ratio "${jobs_rates[0]}" "$py_quick")
- --jobs curve (1, 2, 4, 8): ${jobs_rates[*]}
EOF
}

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
# shellcheck disable=SC2016  # ${Version} is dpkg-query's, not the shell's
versions="$(dpkg-query -W -f='Orthanc ${Version}' orthanc), \
$(dpkg-query -W -f='DCMTK ${Version}' dcmtk), \
$(python3 -c 'import pynetdicom; print("pynetdicom", pynetdicom.__version__)')"
big_studies=$(($(wc -l <"$work/big/truth.csv") - 1))
cat <<EOF
## dcm-find benchmark

- machine: $(nproc) cores, $cpu
- $versions
- Orthanc: $n patients ($big_studies studies);
  dcmqrscp: $qr_patients patients ($small_studies studies)
- command: scripts/bench-find.sh $n (OLD_SUBSET=$subset, QR_PATIENTS=$qr_patients)
EOF
bench orthanc
bench dcmqrscp
