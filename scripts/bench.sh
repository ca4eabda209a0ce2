#!/usr/bin/env bash
# bench.sh: the whole inventory job, timed side by side on one input against a
# local Orthanc (issue 6, BENCHMARKS.md): the old job (scripts/old-job.sh, once),
# the pynetdicom + pydicom script a user would write (scripts/pynetdicom-job.py)
# and our pipeline (dcm-ids --numbered | dcm-find --numbered | dcm-lay --layout
# seed, as parse-all-patients.sh runs it; median of --runs runs, and each stage
# alone on the saved output of the one before). Checks that the three trees
# hold the same studies per patient, and the archive's, before it prints
# anything; then prints a Markdown report: seconds per stage and for the whole
# job, the ratios old/ours and pynetdicom/ours, the PACS's ceiling for per-ID
# lookups beside ours, dcm-find's --jobs curve, peak memory (GNU time).
#   --size N         patients in the archive (default 1000)
#   --runs N         runs of our pipeline and its stages (default 5; median)
#   --py-runs N      runs of the pynetdicom job (default 1)
#   --latency-ms MS  also the same job through test-scp, which holds back each
#                    answer of Orthanc by MS ms (design.md section 8)
#   --scale          also our stages on 1/10, 1/4, 1/2 and all of the answers
#                    of one archive, and dcm-ids on the answers and the archive
#                    (~107,000 files at 10,000 patients): how time and memory
#                    grow (one run each, after ANALYZE of the index, which
#                    is timed before and after); the tree of all is checked
#   --scale-patients N  that archive's patients (default 10000; 200 in smoke)
#   --scale-only     the scale runs alone, without the side-by-side job
#   --smoke          20 patients, one run of everything: proves the script
#   --keep           keep the work folder (kept anyway when a run fails)
#   --plot FILE      the SVG of throughput against --jobs and archive size
#                    (default docs/bench.svg; with --smoke none unless given);
#                    its points are kept beside it (docs/bench.tsv), and a run
#                    replaces only the series it measured, so runs add up
# Fixtures are cached in BENCH_CACHE (default /tmp/dcm-bench-cache). Builds
# first, then runs itself under netns.sh: every server is on 127.0.0.1 only.
set -euo pipefail
USAGE='bench.sh [--size N] [--runs N] [--py-runs N] [--latency-ms MS] [--scale]
       [--scale-patients N] [--scale-only] [--smoke] [--plot FILE] [--keep]'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

size=1000 runs=5 py_runs=1 latency='' scale=0 scale_n=10000 scale_only=0 smoke=0
plot='' keep=0
number() { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage_error "$1 needs a positive number"; }
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --size) number "$1" "${2:-}"; size=$2; shift ;;
        --runs) number "$1" "${2:-}"; runs=$2; shift ;;
        --py-runs) number "$1" "${2:-}"; py_runs=$2; shift ;;
        --latency-ms) number "$1" "${2:-}"; latency=$2; shift ;;
        --scale-patients) number "$1" "${2:-}"; scale_n=$2; shift ;;
        --scale) scale=1 ;;
        --scale-only) scale=1 scale_only=1 ;;
        --smoke) smoke=1 ;;
        --keep) keep=1 ;;
        --plot) [ -n "${2:-}" ] || usage_error "--plot needs a file"; plot=$2; shift ;;
        -h | --help)
            # The options as the header above describes them.
            printf 'usage: %s\n\n' "$USAGE"
            sed -n '/^#   --size/,/^# first, then/s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
    shift
done
if [ "$smoke" = 1 ]; then size=20 runs=1 py_runs=1 scale_n=200; fi
root=$(cd "$SCRIPTS_DIR/.." && pwd)
[ -n "$plot" ] || [ "$smoke" = 1 ] || plot=$root/docs/bench.svg
bin=${BENCH_BIN:-$root/target/release}
IDS=$bin/dcm-ids FIND=$bin/dcm-find LAY=$bin/dcm-lay SCP=$bin/test-scp

# Outside the namespace: what needs the network (packages, the build), then
# the rest inside it.
if [ -z "${DCM_NETNS:-}" ]; then
    "$SCRIPTS_DIR/install-deps.sh"
    ${CARGO:-cargo} build --release --workspace -q --manifest-path "$root/Cargo.toml"
    exec "$SCRIPTS_DIR/netns.sh" "$0" "${args[@]}"
fi
for tool in "$IDS" "$FIND" "$LAY"; do
    [ -x "$tool" ] || die "$tool: not built (run make release)"
done
[ -z "$latency" ] || [ -x "$SCP" ] || die "$SCP: not built (run make release)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (run scripts/install-deps.sh)"
# Every client is run as it comes; the servers get TCP_NODELAY=1 from pacs.sh.
unset TCP_NODELAY DCM_JOBS DCM_TIMEOUT DCM_CALLING_AE

work=$(mktemp -d "${TMPDIR:-/tmp}/dcm-bench.XXXXXX")
results=$work/results points=$work/points.tsv relay_pid=''
: >"$results"
: >"$points"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; fi
    "$SCRIPTS_DIR/pacs.sh" stop "$work/pacs" >/dev/null 2>&1 || true
    "$SCRIPTS_DIR/pacs.sh" stop "$work/scale-pacs" >/dev/null 2>&1 || true
    if [ "$status" -eq 0 ] && [ "$keep" = 0 ]; then rm -rf "$work"; else say "kept $work"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

# rec KEY VALUE / med KEY / top KEY: results, one "KEY VALUE" line each;
# the median and the largest value of a key (NA when none).
rec() { printf '%s %s\n' "$1" "$2" >>"$results"; }
values() { awk -v k="$1" '$1 == k { print $2 }' "$results" | sort -g; }
med() { values "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2];
    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
top() { values "$1" | awk 'END { print (NR ? $1 : "NA") }'; }
# calc EXPR [FORMAT]: awk arithmetic on numbers; NA if one is missing.
calc() {
    [[ $1 == *NA* ]] && { echo NA; return; }
    awk "BEGIN { printf \"${2:-%.2f}\", ($1) }"
}
mb() { calc "$1 / 1024" %.0f; }

# timed KEY CMD...: CMD under GNU time; records KEY (wall seconds), KEY.rss
# (peak resident kB of CMD or its largest child) and KEY.cpu (its user and
# system seconds, children included). CMD's stderr goes to the tool log.
timed() {
    local key=$1 t0 t1 rss user sys
    shift
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" 2>>"$work/tools.log" \
        || die "$key failed: $* (log: $work/tools.log)"
    t1=$EPOCHREALTIME
    read -r rss user sys < <(tail -n 1 "$work/rss")
    rec "$key" "$(calc "$t1 - $t0" %.3f)"
    rec "$key.rss" "$rss"
    rec "$key.cpu" "$(calc "$user + $sys" %.3f)"
}

# pacs_cpu: the CPU seconds the running PACS (PACS_PID) has used so far,
# all its threads.
pacs_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' \
        "/proc/$PACS_PID/stat"
}

# timed_find KEY CMD...: timed, and KEY.pacs: the PACS's CPU seconds meanwhile.
timed_find() {
    local c0
    c0=$(pacs_cpu)
    timed "$@"
    rec "$1.pacs" "$(calc "$(pacs_cpu) - $c0" %.3f)"
}

# fixture N: prints the folder of a cached archive of N patients (seed 11).
fixture() {
    local dir=${BENCH_CACHE:-/tmp/dcm-bench-cache}/fixture-$1-s11
    if [ ! -r "$dir/truth.csv" ]; then
        rm -rf "$dir.tmp"
        mkdir -p "$(dirname "$dir")"
        "$SCRIPTS_DIR/make-fixture.py" "$dir.tmp" --patients "$1" --seed 11 >&2
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# start_pacs WORKDIR ARCHIVE INPUT: Orthanc in WORKDIR loaded with ARCHIVE,
# the old job's input (findscu -X answers) in INPUT; sets DCM_PACS etc.
start_pacs() {
    "$SCRIPTS_DIR/pacs.sh" start orthanc "$1" >/dev/null
    "$SCRIPTS_DIR/load-fixture.sh" "$2" "$1"
    "$SCRIPTS_DIR/make-input.sh" "$1" "$3"
    load_pacs_env "$1"
}

# ours KEY IN PACS OUT [JOBS]: the whole pipeline once, as parse-all-patients.sh.
ours() {
    # shellcheck disable=SC2016  # expanded by the inner bash
    timed "$1" bash -c 'set -o pipefail
        "$1" --numbered "$2" | "$3" --numbered --jobs "$4" "$5" | "$6" --layout seed "$7"' \
        _ "$IDS" "$2" "$FIND" "${5:-2}" "$3" "$LAY" "$4"
}

# stages PREFIX IN PACS OUT: each stage alone on the saved output of the one
# before (PREFIX.ids, PREFIX.find, PREFIX.lay).
stages() {
    timed "$1.ids" "$IDS" --numbered "$2" >"$work/ids.tsv"
    timed_find "$1.find" "$FIND" --numbered "$3" <"$work/ids.tsv" >"$work/records.jsonl"
    timed "$1.lay" "$LAY" --layout seed --input "$work/records.jsonl" "$4"
}

# old KEY IN PACS OUT: the old job once; KEY.ids is the time until it makes
# its first patient folder, which it does right after its dcmdump loop.
old() {
    local key=$1 t0 t_ids=NA pid
    rm -rf "$4"
    t0=$EPOCHREALTIME
    DCM_PACS=$3 DCM_CALLING_AE=OLDJOB /usr/bin/time -f %M -o "$work/old.rss" \
        timeout 4h "$SCRIPTS_DIR/old-job.sh" "$2" "$4" 2>>"$work/tools.log" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$t_ids" = NA ] && [ -d "$4/0" ]; then t_ids=$EPOCHREALTIME; fi
        sleep 0.2
    done
    wait "$pid" || die "old-job.sh failed (log: $work/tools.log)"
    rec "$key" "$(calc "$EPOCHREALTIME - $t0" %.3f)"
    rec "$key.rss" "$(tail -n 1 "$work/old.rss")"
    rec "$key.ids" "$(calc "$t_ids - $t0" %.3f)"
}

# pyjob KEY IN PACS OUT: the pynetdicom job once, with its own stage times.
pyjob() {
    local key=$1 line kv
    rm -rf "$4"
    timed "$key" python3 "$SCRIPTS_DIR/pynetdicom-job.py" "$2" "$4" "$3" >"$work/py.out"
    read -r line <"$work/py.out"
    for kv in $line; do rec "$key.${kv%%=*}" "${kv#*=}"; done
}

# ceiling IDS_FILE [KEY]: the PACS's own rate for per-ID lookups with another
# client: DCMTK findscu given one query file per ID on one association
# (TCP_NODELAY=1), and the same files split over two findscu at once;
# recorded as KEY.one and KEY.two (KEY: ceiling).
ceiling() {
    local q=$work/queries key=${2:-ceiling} t0 files half n
    rm -rf "$q"
    "$SCRIPTS_DIR/make-queries.py" "$1" "$q"
    files=("$q"/q*.dcm)
    n=${#files[@]} half=$((${#files[@]} / 2))
    findscu_files() {
        TCP_NODELAY=1 /usr/bin/findscu -S -aet CEILING -aec "$PACS_AE" \
            "$PACS_HOST" "$PACS_PORT" "$@" >/dev/null 2>&1
    }
    t0=$EPOCHREALTIME
    findscu_files "${files[@]}" || die "findscu with query files failed"
    rec "$key.one" "$(calc "$n / ($EPOCHREALTIME - $t0)" %.1f)"
    t0=$EPOCHREALTIME
    findscu_files "${files[@]:0:half}" &
    findscu_files "${files[@]:half}" || die "findscu with query files failed"
    wait $! || die "findscu with query files failed"
    rec "$key.two" "$(calc "$n / ($EPOCHREALTIME - $t0)" %.1f)"
}

# agree TRUTH TREE...: every tree holds the same studies per patient folder
# as the first, and the first holds the archive's (bench-tree.py).
agree() {
    local truth=$1 first=$2 tree
    shift 2
    python3 "$SCRIPTS_DIR/bench-tree.py" --truth "$truth" "$first" >"$work/first.tree" \
        || die "$first does not hold the archive's studies"
    for tree in "$@"; do
        python3 "$SCRIPTS_DIR/bench-tree.py" "$tree" >"$work/other.tree"
        cmp -s "$work/first.tree" "$work/other.tree" \
            || die "$tree and $first differ (diff $work/first.tree $work/other.tree)"
    done
    say "trees agree: $first $*"
}

# start_relay PACS_PORT: test-scp in front of Orthanc, each answer held back
# by $latency ms; sets RELAY_PORT.
start_relay() {
    local fifo=$work/relay.port
    mkfifo "$fifo"
    "$SCP" --to "$1" --delay "$latency" --max-connections 1000000 --lifetime 14400 \
        >"$fifo" 2>"$work/relay.log" &
    relay_pid=$!
    read -r -t 10 RELAY_PORT <"$fifo" || die "test-scp did not print its port"
    rm -f "$fifo"
}

point() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$points"; }
ids_of() { cut -f2 "$work/ids.tsv"; }

# merge_points: this run's points replace the series of the same names in
# the points file beside the plot (on the archive panel, the points of the
# same x); then the SVG is drawn from all of them.
merge_points() {
    local keep=${plot%.svg}.tsv
    mkdir -p "$(dirname "$plot")"
    {
        printf 'panel\tjobs\tLookups and whole job against --jobs\t--jobs\tpatients/s\n'
        printf 'panel\tsize\tThroughput against input size\tpatients\tpatients/s\n'
        printf 'panel\tarchive\tPer-ID lookups against archive size (Orthanc)\tpatients in the archive\tIDs/s\n'
        if [ -r "$keep" ]; then
            # Archive-size points add up over runs of different sizes: there
            # a point replaces only the one at its own x.
            awk -F'\t' 'function key() { return $1 FS $2 ($1 == "archive" ? FS $3 : "") }
                NR == FNR { new[key()] = 1; next }
                $1 != "panel" && !(key() in new)' "$points" "$keep"
        fi
        cat "$points"
    } >"$work/merged.tsv"
    mv "$work/merged.tsv" "$keep"
    python3 "$SCRIPTS_DIR/plot-bench.py" "$keep" "$plot"
    say "plot: $plot (points: $keep)"
}

verdict() { calc "$1 >= $2" %d | sed 's/^1$/met/; s/^0$/MISSED/; s/^NA$/n\/a/'; }
rate() { calc "$1 / $2" %.1f; }
row() { printf '|'; printf ' %s |' "$@"; printf '\n'; }

# ---------------------------------------------------------------- the job

# run_job: the three contenders on one archive of $size patients, then the
# same job through the slow relay when asked.
run_job() {
    fx=$(fixture "$size")
    studies=$(($(wc -l <"$fx/truth.csv") - 1))
    start_pacs "$work/pacs" "$fx" "$work/input"
    local_pacs=$DCM_PACS local_port=$PACS_PORT
    input_files=$(find "$work/input" -type f | wc -l)
    say "$size patients, $studies studies, $input_files input files; $runs runs of ours"

    # One unmeasured run warms the page cache and Orthanc for every contender.
    ours warm "$work/input" "$local_pacs" "$work/warm"
    say "old job (once)"
    old old "$work/input" "$local_pacs" "$work/old"
    for ((r = 1; r <= py_runs; r++)); do
        say "pynetdicom job, run $r of $py_runs"
        pyjob py "$work/input" "$local_pacs" "$work/py$r"
    done
    for ((r = 1; r <= runs; r++)); do
        say "our pipeline and its stages, run $r of $runs"
        ours pipe "$work/input" "$local_pacs" "$work/ours$r"
        stages st "$work/input" "$local_pacs" "$work/lay$r"
    done
    n=$(wc -l <"$work/ids.tsv") matches=$(wc -l <"$work/records.jsonl")
    curve_runs=$((runs < 3 ? runs : 3))
    for j in 1 2 4 8; do
        for ((r = 1; r <= curve_runs; r++)); do
            timed "jobs$j" "$FIND" --numbered --jobs "$j" "$local_pacs" <"$work/ids.tsv" >/dev/null
        done
    done
    ids_of >"$work/ids.txt"
    ceiling "$work/ids.txt"
    agree "$fx/truth.csv" "$work/ours1" "$work/old" "$work/py1" "$work/lay1"
    # ---------------------------------------------------------------- latency

    if [ -n "$latency" ]; then
        start_relay "$local_port"
        slow=ORTHANC@127.0.0.1:$RELAY_PORT
        say "through test-scp, $latency ms per answer: old job, pynetdicom job, ours"
        old lat.old "$work/input" "$slow" "$work/lat-old"
        pyjob lat.py "$work/input" "$slow" "$work/lat-py"
        for j in 1 2 4 8; do
            ours "lat.pipe$j" "$work/input" "$slow" "$work/lat-ours$j" "$j"
        done
        agree "$fx/truth.csv" "$work/lat-ours1" "$work/lat-old" "$work/lat-py" "$work/lat-ours8"
    fi
    # Last, since it changes the PACS that everything above ran against.
    index_runs "$work/pacs" "$work/ids.tsv" jprobe "$size"
    "$SCRIPTS_DIR/pacs.sh" stop "$work/pacs" >/dev/null 2>&1
}

# ---------------------------------------------------------------- scale

# Of one archive of scale_n patients, inputs of 1/10, 1/4, 1/2 and all of its
# studies (the first K answers of findscu's two copies, so each study is in
# twice, as in the old input): one run of each stage. The job's time is their
# sum, which the pipeline never exceeds (the stages overlap in it). The
# stages run after ANALYZE of Orthanc's index (index_runs), so that the
# growth shown is ours and not that of the PACS's query plan.
run_scale() {
    sfx=$(fixture "$scale_n")
    start_pacs "$work/scale-pacs" "$sfx" "$work/scale-input"
    mapfile -t answers < <(find "$work/scale-input" -name 'rsp*.dcm' | sort -V)
    half=$((${#answers[@]} / 2))
    "$IDS" -q "$work/scale-input" >/dev/null # the page cache, as for every size
    "$IDS" --numbered "$work/scale-input" >"$work/scale-ids.tsv"
    index_runs "$work/scale-pacs" "$work/scale-ids.tsv" probe "$scale_n"
    for part in 10 4 2 1; do
        k=$((half / part)) dir=$work/scale-$part
        mkdir -p "$dir"
        printf '%s\0' "${answers[@]:0:k}" "${answers[@]:half:k}" | xargs -0 ln -t "$dir"
        say "scale: $((2 * k)) files"
        stages "s$part" "$dir" "$DCM_PACS" "$work/scale-lay$part"
        rec "s$part.files" "$((2 * k))"
        rec "s$part.ids.n" "$(wc -l <"$work/ids.tsv")"
        rec "s$part.records" "$(wc -l <"$work/records.jsonl")"
    done
    python3 "$SCRIPTS_DIR/bench-tree.py" --truth "$sfx/truth.csv" "$work/scale-lay1" \
        >/dev/null || die "the tree of all $scale_n patients is not the archive's"
    say "the tree of all $scale_n patients holds the archive's studies"
    # dcm-ids on the answers and the archive together (~107,000 files at
    # 10,000 patients).
    "$IDS" -q "$work/scale-input" "$sfx" >/dev/null
    sync # the trees just written, so that their writeback does not slow the reads
    timed sall.ids "$IDS" --numbered "$work/scale-input" "$sfx" >/dev/null
    rec sall.files "$(find "$work/scale-input" "$sfx" -type f -name '*.dcm' | wc -l)"
}

# index_runs PACS_WORKDIR IDS_TSV KEY ARCHIVE_N: lookups of the first 1,000
# IDs of IDS_TSV by dcm-find and by findscu (the ceiling), before and after
# ANALYZE of Orthanc's SQLite index; the records must not change. Orthanc
# 1.10 keeps no statistics there, so SQLite plans a C-FIND by PatientID as a
# scan of every study (EXPLAIN QUERY PLAN: ResourceTypeIndex) and each
# lookup costs time in proportion to the archive; with statistics it starts
# from the value index. Records KEY.n, KEY.find, KEY.ceiling.*, KEY.afind,
# KEY.aceiling.*, and points against the archive's size.
index_runs() {
    local index=$1/orthanc-index/index key=$3
    head -n 1000 "$2" >"$work/probe.tsv"
    cut -f2 "$work/probe.tsv" >"$work/probe.txt"
    rec "$key.n" "$(wc -l <"$work/probe.tsv")"
    timed_find "$key.find" "$FIND" --numbered "$DCM_PACS" <"$work/probe.tsv" >"$work/probe.jsonl"
    ceiling "$work/probe.txt" "$key.ceiling"
    say "ANALYZE of $index (Orthanc stopped)"
    "$SCRIPTS_DIR/pacs.sh" stop "$1" >/dev/null
    sqlite3 "$index" 'ANALYZE;' || die "sqlite3 ANALYZE of $index failed"
    "$SCRIPTS_DIR/pacs.sh" start orthanc "$1" >/dev/null
    load_pacs_env "$1"
    timed_find "$key.afind" "$FIND" --numbered "$DCM_PACS" <"$work/probe.tsv" >"$work/probe.a.jsonl"
    ceiling "$work/probe.txt" "$key.aceiling"
    cmp -s "$work/probe.jsonl" "$work/probe.a.jsonl" \
        || die "dcm-find's records differ after ANALYZE ($work/probe.a.jsonl)"
    local n=$(m "$key.n")
    point archive "dcm-find, index as installed" "$4" "$(rate "$n" "$(m "$key.find")")"
    point archive "dcm-find, index analyzed" "$4" "$(rate "$n" "$(m "$key.afind")")"
    point archive "ceiling (findscu), as installed" "$4" "$(best_of "$key.ceiling")"
    point archive "ceiling (findscu), analyzed" "$4" "$(best_of "$key.aceiling")"
}

# per_ms KEY N: KEY's median seconds per item of N, in ms.
per_ms() { calc "1000 * $(m "$1") / $2" %.2f; }

# best_of KEY: the better of KEY.one and KEY.two (ceiling's two runs).
best_of() { calc "$(m "$1.one") > $(m "$1.two") ? $(m "$1.one") : $(m "$1.two")" %.1f; }

# report_index KEY ARCHIVE_N: the table of index_runs.
report_index() {
    local pn before after k
    cat <<EOT

### The PACS's index: lookups before and after ANALYZE of Orthanc's SQLite index

| IDs/s on the $2-patient archive | as installed | after ANALYZE | after / before |
| --- | ---: | ---: | ---: |
EOT
    pn=$(m "$1.n")
    before=$(rate "$pn" "$(m "$1.find")") after=$(rate "$pn" "$(m "$1.afind")")
    row "dcm-find --jobs 2, first $pn IDs" "$before" "$after" "$(calc "$after / $before" %.1f)"
    before=$(per_ms "$1.find.pacs" "$pn") after=$(per_ms "$1.afind.pacs" "$pn")
    row "the PACS's CPU per lookup in that run, ms" "$before" "$after" \
        "$(calc "$after / $before" %.2f)"
    for k in one two; do
        before=$(m "$1.ceiling.$k") after=$(m "$1.aceiling.$k")
        row "findscu, query files, $k findscu at once, first $pn IDs" "$before" "$after" \
            "$(calc "$after / $before" %.1f)"
    done
}

# ---------------------------------------------------------------- report

m() { med "$1"; }

# report_job: the Markdown tables of run_job.
report_job() {
    old_lw=$(calc "$(m old) - $(m old.ids)" %.3f)
    py_lw=$(calc "$(m py.lookups) + $(m py.write)" %.3f)
    st_lw=$(calc "$(m st.find) + $(m st.lay)" %.3f)
    ceil=$(calc "$(m ceiling.one) > $(m ceiling.two) ? $(m ceiling.one) : $(m ceiling.two)" %.1f)
    best_j=1
    for j in 2 4 8; do
        [ "$(calc "$(m "jobs$j") < $(m "jobs$best_j")" %d)" = 1 ] && best_j=$j
    done
    cat <<EOT
## Whole job: $size patients, local Orthanc

- $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GB, $(uptime | sed 's/.*load/load/')
- $(dpkg-query -W -f='Orthanc ${Version}' orthanc), $(dpkg-query -W -f='DCMTK ${Version}' dcmtk), \
$(python3 -c 'import pydicom, pynetdicom as p; print("pydicom", pydicom.__version__,
"pynetdicom", p.__version__)')
- input: $input_files findscu -X files (each study twice), $n patients, $matches studies
- runs: ours $runs (medians), pynetdicom $py_runs, old job 1
- trees checked: the same studies in every patient folder, and the archive's

| seconds | old job | pynetdicom job | ours | old / ours | pynetdicom / ours |
| --- | ---: | ---: | ---: | ---: | ---: |
EOT
    row "ID collection" "$(m old.ids)" "$(m py.ids)" "$(m st.ids)" \
        "$(calc "$(m old.ids) / $(m st.ids)" %.0f)" "$(calc "$(m py.ids) / $(m st.ids)" %.1f)"
    row "lookups" "(in the next row)" "$(m py.lookups)" "$(m st.find)" "" \
        "$(calc "$(m py.lookups) / $(m st.find)" %.1f)"
    row "writing" "(by findscu)" "$(m py.write)" "$(m st.lay)" "" \
        "$(calc "$(m py.write) / $(m st.lay)" %.1f)"
    row "lookups + writing" "$old_lw" "$py_lw" "$st_lw" \
        "$(calc "$old_lw / $st_lw" %.1f)" "$(calc "$py_lw / $st_lw" %.1f)"
    row "**whole job**" "$(m old)" "$(m py)" "$(m pipe)" \
        "**$(calc "$(m old) / $(m pipe)" %.1f)**" "**$(calc "$(m py) / $(m pipe)" %.1f)**"
    row "peak memory, MB" "$(mb "$(top old.rss)")" "$(mb "$(top py.rss)")" \
        "$(mb "$(top pipe.rss)")" "" ""
    cat <<EOT

Target: whole job at least 15x the old one: $(verdict "$(calc "$(m old) / $(m pipe)")" 15).
Peak memory of our stages alone: dcm-ids $(mb "$(top st.ids.rss)") MB, \
dcm-find $(mb "$(top st.find.rss)") MB, dcm-lay $(mb "$(top st.lay.rss)") MB.

Per-ID lookups, IDs/s:

| client | IDs/s |
| --- | ---: |
EOT
    row "old job: findscu per patient, --repeat 2, files written" "$(rate "$n" "$old_lw")"
    row "pynetdicom job: one association, as installed" "$(rate "$n" "$(m py.lookups)")"
    for j in 1 2 4 8; do
        row "dcm-find --jobs $j" "$(rate "$n" "$(m "jobs$j")")"
        point jobs "dcm-find, $n patients" "$j" "$(rate "$n" "$(m "jobs$j")")"
    done
    row "ceiling: findscu, query files, 1 association, TCP_NODELAY=1" "$(m ceiling.one)"
    row "ceiling: the same over 2 associations" "$(m ceiling.two)"
    point jobs "ceiling (findscu), $n patients" 1 "$ceil"
    lay_rate=$(rate "$matches" "$(m st.lay)")
    cat <<EOT

Where the time goes (ours, medians): dcm-ids $(m st.ids) s, dcm-find $(m st.find) s \
($(rate "$n" "$(m st.find)") IDs/s at the default --jobs 2), dcm-lay $(m st.lay) s \
($lay_rate files/s); the stages alone sum to \
$(calc "$(m st.ids) + $(m st.find) + $(m st.lay)" %.2f) s, the pipeline takes $(m pipe) s \
(they overlap). Lookups are $(calc "100 * $(m st.find) / $(m pipe)" %.0f)% of the job; \
dcm-find at its best (--jobs $best_j) is $(calc "$n / $(m "jobs$best_j") / $ceil")x \
the ceiling of $ceil IDs/s.

Per lookup (dcm-find alone, --jobs 2, medians): $(per_ms st.find "$n") ms of wall time;
the PACS used $(per_ms st.find.pacs "$n") ms of CPU and dcm-find $(per_ms st.find.cpu "$n") ms,
of the $(calc "2 * $(per_ms st.find "$n")" %.2f) ms that two cores give in that time.
EOT

    if [ -n "$latency" ]; then
        cat <<EOT

## The same job, each answer held back $latency ms (test-scp), one run each

| client | whole job, s | patients/s | old / this |
| --- | ---: | ---: | ---: |
EOT
        row "old job" "$(m lat.old)" "$(rate "$n" "$(m lat.old)")" "1.0"
        row "pynetdicom job (one association)" "$(m lat.py)" "$(rate "$n" "$(m lat.py)")" \
            "$(calc "$(m lat.old) / $(m lat.py)" %.1f)"
        slow="+$latency ms, $n patients"
        point jobs "pynetdicom whole job, $slow" 1 "$(rate "$n" "$(m lat.py)")"
        for j in 1 2 4 8; do
            row "ours, --jobs $j" "$(m "lat.pipe$j")" "$(rate "$n" "$(m "lat.pipe$j")")" \
                "$(calc "$(m lat.old) / $(m "lat.pipe$j")" %.1f)"
            point jobs "our whole job, $slow" "$j" "$(rate "$n" "$(m "lat.pipe$j")")"
        done
    fi
    report_index jprobe "$size"
}

# report_scale: the Markdown table of run_scale.
report_scale() {
    local part p pn job grow mem_ids mem_lay
    cat <<EOT

## Scale: one archive of $scale_n patients (index analyzed), inputs of growing size, one run each

| files | patients | studies | dcm-ids s | dcm-find s | dcm-lay s | job s | patients/s | peak MB |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
EOT
    for part in 10 4 2 1; do
        p=s$part pn=$(m "s$part.ids.n")
        job=$(calc "$(m "$p.ids") + $(m "$p.find") + $(m "$p.lay")" %.3f)
        rec "$p.job" "$job"
        row "$(m "$p.files")" "$pn" "$(m "$p.records")" "$(m "$p.ids")" "$(m "$p.find")" \
            "$(m "$p.lay")" "$job" "$(rate "$pn" "$job")" "ids $(mb "$(top "$p.ids.rss")"),\
 find $(mb "$(top "$p.find.rss")"), lay $(mb "$(top "$p.lay.rss")")"
        point size "our whole job (stages summed)" "$pn" "$(rate "$pn" "$job")"
        point size "dcm-find alone" "$pn" "$(rate "$pn" "$(m "$p.find")")"
    done
    # No faster than linear: seconds per patient at the largest input at most
    # 1.25x those at the smallest; flat memory: peaks at most 1.5x.
    grow=$(calc "($(m s1.job) / $(m s1.ids.n)) / ($(m s10.job) / $(m s10.ids.n))")
    mem_ids=$(calc "$(top s1.ids.rss) / $(top s10.ids.rss)")
    mem_lay=$(calc "$(top s1.lay.rss) / $(top s10.lay.rss)")
    cat <<EOT

Seconds per patient, largest / smallest input: $grow (no faster than linear:
$(verdict 1.25 "$grow")). Peak memory, largest / smallest input: dcm-ids $mem_ids,
dcm-find $(calc "$(top s1.find.rss) / $(top s10.find.rss)"), dcm-lay $mem_lay.
dcm-ids on $(m sall.files) files (the answers and the archive): $(m sall.ids) s,
peak $(mb "$(top sall.ids.rss)") MB.
EOT
    report_index probe "$scale_n"
}

if [ "$scale_only" = 0 ]; then run_job; fi
if [ "$scale" = 1 ]; then run_scale; fi
if [ "$scale_only" = 0 ]; then report_job; fi
if [ "$scale" = 1 ]; then report_scale; fi
[ -z "$plot" ] || merge_points
