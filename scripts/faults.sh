#!/usr/bin/env bash
# faults.sh: the whole job (dcm-ids | dcm-find | dcm-lay) meets the faults of a
# night's cron run, against a real Orthanc on 127.0.0.1 (issue 7, FAULTS.md):
#   1 the PACS stops mid-run and comes back    5 the PACS answers slowly
#   2 SIGKILL of dcm-find or dcm-lay           6 10,000 input files, 1% damaged
#   3 Ctrl-C to the whole pipeline             7 hostile IDs in the stream
#   4 the output disk fills up
# Each scenario checks mechanically (diff -r against an uninterrupted run, cmp,
# line counts) that every input ends in exactly one of: the output, a failed
# list, or a summary's count of inputs with nothing to give. Prints one line
# per scenario (PASS, FAIL or SKIP and why), then 'N passed, N failed,
# N skipped'; exits 1 if any failed. Run it as root under netns.sh (`make
# faults`): scenario 4 mounts a tmpfs in a private mount namespace.
#   --small        60 patients instead of 300 (CI)
#   --only LIST    only these scenarios, e.g. --only 2,4
#   --keep         keep the work folder (kept anyway when a scenario fails)
# Env: FAULTS_SEED (kill points and damaged files, default 7), FAULTS_BIN (the
# built tools and test-scp, default target/release).
set -euo pipefail
USAGE='faults.sh [--small] [--only N,N...] [--keep]'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

patients=300 only=1,2,3,4,5,6,7 keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --small) patients=60 ;;
        --keep) keep=1 ;;
        --only)
            [ $# -ge 2 ] || usage_error "--only needs a list"
            [[ $2 =~ ^[1-7](,[1-7])*$ ]] \
                || usage_error "--only $2: give numbers 1-7, comma separated"
            only=$2
            shift
            ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
    shift
done
seed=${FAULTS_SEED:-7}
[[ $seed =~ ^[0-9]+$ ]] || usage_error "FAULTS_SEED must be a number"
bin=${FAULTS_BIN:-$SCRIPTS_DIR/../target/release}
for tool in dcm-ids dcm-find dcm-lay test-scp; do
    [ -x "$bin/$tool" ] || usage_error "$bin/$tool: not built (run make release)"
done
IDS=$bin/dcm-ids FIND=$bin/dcm-find LAY=$bin/dcm-lay SCP=$bin/test-scp
RANDOM=$seed

"$SCRIPTS_DIR/install-deps.sh" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/dcm-faults.XXXXXX")
passed=0 failed=0 skipped=0
# Processes this script started in the background, ended by their PID.
bg_pids=()

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$? pid
    for pid in "${bg_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    "$SCRIPTS_DIR/pacs.sh" stop "$work/pacs" >/dev/null 2>&1 || true
    if [ "$status" -eq 0 ] && [ "$keep" = 0 ]; then
        rm -rf "$work"
    else
        say "kept $work (logs of each scenario in s*/)"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

# bad MESSAGE: records a failed check of the running scenario.
bad() { printf '%s\n' "$*" >>"$sdir/fails"; say "scenario $num: $*"; }

# skip MESSAGE: the scenario cannot run here.
skip() { printf '%s\n' "$*" >"$sdir/skip"; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || bad "$1: got '$2', want '$3'"; }

# lines FILE: line count, 0 when FILE is missing.
lines() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# stat_of FILE TOOL PHRASE: the number before PHRASE in TOOL's last summary
# line in FILE (a stderr log), 0 if absent.
stat_of() {
    local n
    n=$(grep -a "^$2: [0-9]* " "$1" | tail -n 1 | grep -o "[0-9][0-9]* $3" | head -n 1 \
        | cut -d' ' -f1 || true)
    echo "${n:-0}"
}

# positions RECORDS...: the distinct positions in record files, one a line.
positions() { cat "$@" 2>/dev/null | grep -o '^{"position":[0-9]*' | cut -d: -f2 | sort -un; }

# studies TREE: the study files under TREE (temp files excluded).
studies() { find "$1" -type f -name 'rsp*.dcm' 2>/dev/null | wc -l | tr -d ' '; }

# temps TREE: the hidden temp files dcm-lay left under TREE.
temps() { find "$1" -type f -name '.dcm-lay.*' 2>/dev/null | wc -l | tr -d ' '; }

# same_tree TREE: TREE equals the uninterrupted run's, file for file, byte
# for byte (manifest.csv included, temp files not allowed).
same_tree() {
    local out=$sdir/diff.$RANDOM
    diff -r "$base_tree" "$1" >"$out" 2>&1 || bad "$1 differs from the uninterrupted run: \
$(head -c 300 "$out" | tr '\n' ' ')"
}

# complete_files TREE: every file under a real name is a complete study file:
# byte-equal to the uninterrupted run's file of the same name.
complete_files() {
    local tree=$1 f rel n=0
    while IFS= read -r -d '' f; do
        rel=${f#"$tree"/}
        if [ ! -f "$base_tree/$rel" ]; then
            bad "$rel: a file the uninterrupted run has not"
        elif ! cmp -s "$f" "$base_tree/$rel"; then
            bad "$rel: partial or different content under a real name"
        fi
        n=$((n + 1))
    done < <(find "$tree" -type f -name 'rsp*.dcm' -print0 2>/dev/null)
    say "scenario $num: $n files under real names, all checked against the full run"
}

# find_accounts ERR INPUT RECORDS FAILED: one dcm-find run accounts for each
# input line: distinct positions in RECORDS + FAILED lines + the summary's
# IDs without matches = INPUT lines (numbered input: positions are unique).
find_accounts() {
    local err=$1 input=$2 records=$3 list=$4 got empty want
    empty=$(stat_of "$err" dcm-find 'IDs without matches')
    got=$(($(positions "$records" | wc -l) + $(lines "$list") + empty))
    want=$(lines "$input")
    expect_eq "dcm-find accounts (records + failed + empty) for $(basename "$input")" \
        "$got" "$want"
}

# wait_for SECS CMD...: polls CMD every 10 ms until it succeeds; 1 on timeout.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.01
    done
}

# pace FILE: FILE's lines spread over about 3 s, as IDs that trickle in, so a
# fault can land in the middle of a run even on a small fixture.
pace() {
    local line gap
    gap=$(awk -v n="$(lines "$1")" 'BEGIN { printf "%.3f", (n > 0 ? 10 / n : 0) }')
    while IFS= read -r line; do
        printf '%s\n' "$line" || return 0
        sleep "$gap"
    done <"$1"
}

at_least() { [ "$(studies "$1")" -ge "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# start_relay PORT DELAY_MS SKIP LOG: test-scp relaying to Orthanc; sets
# RELAY_PID and RELAY_PORT.
start_relay() {
    local fifo=$sdir/relay.port
    mkfifo "$fifo"
    "$SCP" --to "$1" --delay "$2" --skip "$3" --lifetime 300 >"$fifo" 2>"$4" &
    RELAY_PID=$!
    bg_pids+=("$RELAY_PID")
    read -r -t 10 RELAY_PORT <"$fifo" || die "test-scp did not print its port"
    rm -f "$fifo"
}

stop_relay() {
    kill -TERM "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
}

# ---------------------------------------------------------------- set-up

say "seed $seed, $patients patients, work folder $work"
"$SCRIPTS_DIR/make-fixture.py" "$work/archive" --patients "$patients" --seed "$seed" >&2
"$SCRIPTS_DIR/pacs.sh" start orthanc "$work/pacs" >/dev/null
"$SCRIPTS_DIR/load-fixture.sh" "$work/archive" "$work/pacs"
"$SCRIPTS_DIR/make-input.sh" "$work/pacs" "$work/input"
load_pacs_env "$work/pacs"
export DCM_PACS DCM_CALLING_AE=FAULTS
unset DCM_TIMEOUT DCM_JOBS

# The uninterrupted run every scenario compares with.
ids=$work/ids.tsv base=$work/base.jsonl base_tree=$work/base-tree
"$IDS" --numbered "$work/input" >"$ids" 2>"$work/base.err"
"$FIND" --numbered "$DCM_PACS" <"$ids" >"$base" 2>>"$work/base.err"
"$LAY" --layout seed --input "$base" "$base_tree" 2>>"$work/base.err"
total_ids=$(lines "$ids") total_studies=$(lines "$base")
want_studies=$(($(lines "$work/archive/truth.csv") - 1))
[ "$total_studies" -eq "$want_studies" ] \
    || die "uninterrupted run: $total_studies records for $want_studies studies"
[ "$(studies "$base_tree")" -eq "$total_studies" ] || die "uninterrupted run: tree incomplete"
say "uninterrupted run: $total_ids IDs, $total_studies studies in $base_tree"

# ---------------------------------------------------------------- scenarios

# 1: Orthanc stops while dcm-find runs. (a) Down for good: dcm-find gives up
# (exit 2) with every unfinished ID in --failed; Orthanc starts again (new
# port) and the failed list is rerun into the same tree. (b) Killed and back
# on its port within the retries: the run completes by itself.
scenario_1() {
    local tree=$sdir/tree rc_find rc_lay fifo=$sdir/fifo fpid lpid
    mkfifo "$fifo"
    pace "$ids" | "$FIND" --numbered --retries 2 --failed "$sdir/failed.tsv" "$DCM_PACS" \
        >"$fifo" 2>"$sdir/find.err" &
    fpid=$!
    tee "$sdir/records.jsonl" <"$fifo" | "$LAY" --layout seed "$tree" 2>"$sdir/lay.err" &
    lpid=$!
    wait_for 60 at_least "$tree" $((total_studies / 5)) || bad "no progress before the stop"
    "$SCRIPTS_DIR/pacs.sh" stop "$work/pacs" 2>>"$sdir/pacs.log"
    rc_find=0 && wait "$fpid" || rc_find=$?
    rc_lay=0 && wait "$lpid" || rc_lay=$?
    expect_eq "dcm-find exit with the PACS gone" "$rc_find" 2
    expect_eq "dcm-lay exit" "$rc_lay" 0
    [ "$(lines "$sdir/failed.tsv")" -gt 0 ] || bad "the PACS stopped after the run ended"
    find_accounts "$sdir/find.err" "$ids" "$sdir/records.jsonl" "$sdir/failed.tsv"
    complete_files "$tree"
    "$SCRIPTS_DIR/pacs.sh" start orthanc "$work/pacs" >/dev/null 2>>"$sdir/pacs.log"
    load_pacs_env "$work/pacs"
    rc_find=0
    "$FIND" --numbered --failed "$sdir/failed2.tsv" "$DCM_PACS" <"$sdir/failed.tsv" \
        >"$sdir/rerun.jsonl" 2>"$sdir/rerun.err" || rc_find=$?
    expect_eq "rerun of the failed list: dcm-find exit" "$rc_find" 0
    find_accounts "$sdir/rerun.err" "$sdir/failed.tsv" "$sdir/rerun.jsonl" "$sdir/failed2.tsv"
    "$LAY" --layout seed --input "$sdir/rerun.jsonl" "$tree" 2>>"$sdir/lay.err" \
        || bad "rerun: dcm-lay failed"
    same_tree "$tree"
    scenario_1b
    echo "a: stopped after $(positions "$sdir/records.jsonl" | wc -l) of $total_ids IDs," \
        "exit 2, $(lines "$sdir/failed.tsv") listed, rerun gives the full tree;" \
        "b: killed and back within the retries, exit $(cat "$sdir/b.rc"), full tree"
}

scenario_1b() {
    local tree=$sdir/tree-b pid rc=0 fifo=$sdir/fifo-b fpid
    mkfifo "$fifo"
    pace "$ids" | "$FIND" --numbered --retries 8 --failed "$sdir/b-failed.tsv" "$DCM_PACS" \
        >"$fifo" 2>"$sdir/b-find.err" &
    fpid=$!
    "$LAY" --layout seed "$tree" <"$fifo" 2>"$sdir/b-lay.err" &
    bg_pids+=("$!")
    wait_for 60 at_least "$tree" $((total_studies / 5)) || bad "b: no progress before the kill"
    pid=$(<"$work/pacs/orthanc.pid")
    kill -KILL "$pid"
    wait_for 10 gone "$pid" || bad "b: Orthanc survived SIGKILL"
    # Same config, same ports: the PACS is back where dcm-find retries.
    setsid /usr/sbin/Orthanc "$work/pacs/orthanc.json" >>"$work/pacs/orthanc.log" 2>&1 \
        </dev/null &
    echo $! >"$work/pacs/orthanc.pid"
    wait "$fpid" || rc=$?
    wait "${bg_pids[-1]}" || bad "b: dcm-lay failed"
    echo "$rc" >"$sdir/b.rc"
    expect_eq "b: dcm-find exit after a short outage" "$rc" 0
    grep -q 'retry' "$sdir/b-find.err" || bad "b: no retry logged: the outage was missed"
    same_tree "$tree"
}

# 2: SIGKILL at seeded points, each on a fresh tree, then the whole job again.
scenario_2() {
    local point k report=""
    for point in find-early find-middle lay-early lay-middle lay-write; do
        case $point in
            *-early) k=$((1 + RANDOM % (total_studies / 20 + 1))) ;;
            *-middle) k=$((total_studies * 2 / 5 + RANDOM % (total_studies / 5 + 1))) ;;
            *) k=$((RANDOM % (total_studies / 2 + 1))) ;;
        esac
        kill_at "$point" "$k"
        report+="$point@$k: $(cat "$sdir/$point.note"); "
    done
    echo "seed $seed: ${report%; }; each rerun gives the full tree"
}

# kill_at POINT K: runs find | lay, SIGKILLs one of them once the tree holds
# K studies (lay-write: once dcm-lay has a temp file open), checks the
# files, reruns the whole job and compares the tree.
kill_at() {
    local point=$1 k=$2 tree=$sdir/$1 fifo=$sdir/$1.fifo fpid lpid victim note rc
    mkfifo "$fifo"
    pace "$ids" | "$FIND" --numbered --failed "$sdir/$point.failed" "$DCM_PACS" >"$fifo" \
        2>"$sdir/$point.find.err" &
    fpid=$!
    "$LAY" --layout seed "$tree" <"$fifo" 2>"$sdir/$point.lay.err" &
    lpid=$!
    bg_pids+=("$fpid" "$lpid")
    case $point in find-*) victim=$fpid ;; *) victim=$lpid ;; esac
    wait_for 60 at_least "$tree" "$k" || bad "$point: the tree never held $k studies"
    if [ "$point" = lay-write ]; then
        note=$(kill_in_write "$lpid")
    else
        kill -KILL "$victim" 2>/dev/null || true
        note="killed at $(studies "$tree") studies"
    fi
    wait "$fpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    note+=", $(temps "$tree") temp files left"
    echo "$note" >"$sdir/$point.note"
    complete_files "$tree"
    rc=0
    "$FIND" --numbered "$DCM_PACS" <"$ids" 2>>"$sdir/$point.rerun.err" \
        | "$LAY" --layout seed "$tree" 2>>"$sdir/$point.rerun.err" || rc=$?
    expect_eq "$point: rerun exit" "$rc" 0
    same_tree "$tree"
}

# kill_in_write PID: stops PID again and again until it holds one of its temp
# files open for writing, then SIGKILLs it (bounded: 3000 tries, 60 s).
kill_in_write() {
    local pid=$1 i deadline=$((SECONDS + 60))
    for ((i = 0; i < 3000 && SECONDS < deadline; i++)); do
        kill -STOP "$pid" 2>/dev/null || break
        if find "/proc/$pid/fd" -lname '*/.dcm-lay.*' 2>/dev/null | grep -q .; then
            kill -KILL "$pid"
            echo "killed with a temp file open after $i tries"
            return 0
        fi
        kill -CONT "$pid"
        sleep 0.001
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "no write caught in $i tries, killed anyway"
}

# 3: Ctrl-C to the process group of parse-all-patients.sh, whose dcm-find
# talks to Orthanc through test-scp (10 ms per answer, so the run lasts a
# few seconds), which logs how each association ended.
scenario_3() {
    local inst=FAULTS$$ pid rc=0 started ms stages
    local in=/tmp/allPatientsFAULTS$$ out=/tmp/pullStudiesFAULTS$$
    start_relay "$PACS_PORT" 10 1 "$sdir/relay.log"
    rm -rf "$in" "$out"
    cp -r "$work/input" "$in"
    # A background job of a script starts with SIGINT ignored; a terminal's
    # Ctrl-C finds it at its default: env restores that, setsid makes the
    # process group that the "terminal" signals.
    DCM_PACS=$PACS_AE@127.0.0.1:$RELAY_PORT PATH=$bin:$PATH env --default-signal=INT \
        setsid "$SCRIPTS_DIR/parse-all-patients.sh" "$inst" 2>"$sdir/job.err" &
    pid=$!
    bg_pids+=("$pid")
    wait_for 60 at_least "$out" $((total_studies / 4)) || bad "no progress before Ctrl-C"
    started=${EPOCHREALTIME/./}
    kill -INT -- "-$pid"
    wait "$pid" || rc=$?
    ms=$(((${EPOCHREALTIME/./} - started) / 1000))
    stop_relay
    expect_eq "parse-all-patients.sh exit after Ctrl-C" "$rc" 130
    [ "$ms" -le 5000 ] || bad "took $ms ms to stop after Ctrl-C"
    stages=$(grep -o 'stages exited [0-9 ]*' "$sdir/job.err" | cut -d' ' -f3- || true)
    [[ $stages =~ ^(0|130)\ 130\ 130$ ]] || bad "stage exits '$stages', want 0|130 130 130"
    local conns released
    conns=$(grep -c ': open$' "$sdir/relay.log" || true)
    released=$(grep -c 'client sent A-RELEASE-RQ' "$sdir/relay.log" || true)
    expect_eq "associations released of $conns opened" "$released" "$conns"
    [ "$(pgrep -g "$pid" | wc -l)" -eq 0 ] || bad "processes of the job still running"
    complete_files "$out"
    local done_ids listed_ids listed_recs
    done_ids=$(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l)
    listed_ids=$(lines "$out.failed-ids") listed_recs=$(lines "$out.failed-records")
    # Each input ID is in the tree (manifest), a failed list, or had no study.
    local accounted
    accounted=$({
        tail -n +2 "$out/manifest.csv" | cut -d, -f2
        grep -o '^{"position":[0-9]*' "$out.failed-records" | cut -d: -f2
        cut -f1 "$out.failed-ids"
    } 2>/dev/null | sort -u | wc -l)
    expect_eq "IDs in the tree or a failed list" "$accounted" "$total_ids"
    rerun_lists "$out"
    cp -r "$out" "$sdir/tree"
    rm -rf "$in" "$out" "$out".failed-*
    same_tree "$sdir/tree"
    echo "stopped in $ms ms, exit 130 (stages $stages), $released of $conns associations" \
        "released; $done_ids patients laid out, $listed_ids IDs and $listed_recs records" \
        "listed; rerun of the lists gives the full tree"
}

# rerun_lists OUT: reruns the failed lists of parse-all-patients.sh as its
# header says, then checks that every input ID was somewhere.
rerun_lists() {
    local out=$1 rc=0
    if [ -s "$out.failed-records" ]; then
        "$LAY" --layout seed --input "$out.failed-records" "$out" 2>>"$sdir/rerun.err" || rc=$?
    fi
    if [ -s "$out.failed-ids" ]; then
        "$FIND" --numbered "$DCM_PACS" <"$out.failed-ids" 2>>"$sdir/rerun.err" \
            | "$LAY" --layout seed "$out" 2>>"$sdir/rerun.err" || rc=$?
    fi
    expect_eq "rerun of the failed lists: exit" "$rc" 0
}

# 4: dcm-lay writes into a tmpfs that holds about half of the tree.
scenario_4() {
    if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
        skip "needs root for a private mount namespace and a tmpfs"
        return 0
    fi
    local size=$(($(studies "$base_tree") * 2)) mnt=$sdir/mnt
    mkdir -p "$mnt"
    # In a private mount namespace: the tmpfs vanishes with it, and no mount
    # is ever seen outside. The tree is copied out at each step.
    # shellcheck disable=SC2016  # expanded by the inner bash
    unshare --mount --propagation private bash -c '
        set -u
        lay=$1 base=$2 mnt=$3 dir=$4 size=$5
        mount -t tmpfs -o "size=${size}k" faults-tmpfs "$mnt" \
            || { echo mount >"$dir/skip"; exit 0; }
        rc=0
        "$lay" --layout seed --input "$base" --failed "$dir/failed.jsonl" "$mnt/tree" \
            2>"$dir/full.err" || rc=$?
        echo "$rc" >"$dir/full.rc"
        cp -a "$mnt/tree" "$dir/tree-full"
        mount -o remount,size=64m "$mnt"
        rc=0
        "$lay" --layout seed --input "$dir/failed.jsonl" "$mnt/tree" 2>"$dir/rerun.err" || rc=$?
        echo "$rc" >"$dir/rerun.rc"
        cp -a "$mnt/tree" "$dir/tree-list"
        "$lay" --layout seed --input "$base" "$mnt/tree" 2>"$dir/full-rerun.err"
        cp -a "$mnt/tree" "$dir/tree"
    ' faults "$LAY" "$base" "$mnt" "$sdir" "$size" 2>>"$sdir/log"
    if [ -e "$sdir/skip" ]; then
        skip "mounting a tmpfs is not allowed here"
        return 0
    fi
    expect_eq "dcm-lay exit on a full disk" "$(cat "$sdir/full.rc")" 2
    grep -q 'No space left on device' "$sdir/full.err" || bad "no clear 'disk full' error"
    complete_files "$sdir/tree-full"
    local laid left got
    laid=$(stat_of "$sdir/full.err" dcm-lay 'written')
    left=$(lines "$sdir/failed.jsonl")
    got=$((laid + left))
    expect_eq "records written + listed as failed" "$got" "$total_studies"
    expect_eq "dcm-lay exit after space was freed" "$(cat "$sdir/rerun.rc")" 0
    diff -r -x manifest.csv "$base_tree" "$sdir/tree-list" >"$sdir/diff-list" \
        || bad "study files after the rerun of the list differ from the full run's"
    local rows
    rows=$(($(lines "$sdir/tree-list/manifest.csv") - 1))
    [ "$rows" -eq "$total_studies" ] || bad "manifest.csv after the rerun of the failed list" \
        "lists $rows of $total_studies files: the rows of the first run's files were lost" \
        "with its manifest (disk full); only a full rerun restores them"
    same_tree "$sdir/tree"
    echo "tmpfs of $size KiB: exit 2 with '$(grep -m1 -o 'No space left on device' \
        "$sdir/full.err")', $laid written, $left listed, $(temps "$sdir/tree-full") temp" \
        "files left; after a remount to 64 MiB the rerun of the list completes the study" \
        "files (manifest: $rows rows), a full rerun gives the full tree"
}

# 5: test-scp holds back every answer of Orthanc.
scenario_5() {
    local subset=$sdir/ids.tsv rc t0 secs
    head -n 20 "$ids" >"$subset"
    # (a) 100 ms per answer, 5 s timeout: slow, complete, identical.
    start_relay "$PACS_PORT" 100 1 "$sdir/relay-a.log"
    t0=$SECONDS rc=0
    timeout 120 "$FIND" --numbered --timeout 5 "$PACS_AE@127.0.0.1:$RELAY_PORT" <"$subset" \
        >"$sdir/a.jsonl" 2>"$sdir/a.err" || rc=$?
    stop_relay
    expect_eq "a: exit with slow answers under the timeout" "$rc" 0
    local want
    want=$(grep -c -E '^\{"position":(1?[0-9]),' "$base" || true)
    grep -E '^\{"position":(1?[0-9]),' "$base" | cmp -s - "$sdir/a.jsonl" \
        || bad "a: records differ from the uninterrupted run's ($want expected)"
    local a_note="a: 20 IDs at 100 ms per answer in $((SECONDS - t0)) s, exit 0, same records"
    # (b) 3 s per answer, 1 s timeout, 1 retry: each ID fails after
    # 2 x 1 s + 0.5 s backoff; 6 IDs on 2 associations: about 7.5 s.
    head -n 6 "$ids" >"$sdir/ids6.tsv"
    start_relay "$PACS_PORT" 3000 1 "$sdir/relay-b.log"
    t0=${EPOCHREALTIME/./} rc=0
    timeout 60 "$FIND" --numbered --timeout 1 --retries 1 --jobs 2 --failed "$sdir/b.failed" \
        "$PACS_AE@127.0.0.1:$RELAY_PORT" <"$sdir/ids6.tsv" >"$sdir/b.jsonl" 2>"$sdir/b.err" \
        || rc=$?
    secs=$(((${EPOCHREALTIME/./} - t0) / 1000000))
    stop_relay
    expect_eq "b: exit when every answer is late" "$rc" 1
    cmp -s "$sdir/ids6.tsv" "$sdir/b.failed" || bad "b: --failed is not the 6 input lines"
    expect_eq "b: retries logged" "$(grep -c 'retry 1 in' "$sdir/b.err" || true)" 6
    expect_eq "b: records" "$(lines "$sdir/b.jsonl")" 0
    [ "$secs" -le 15 ] || bad "b: took $secs s, past the 15 s the limits allow"
    find_accounts "$sdir/b.err" "$sdir/ids6.tsv" "$sdir/b.jsonl" "$sdir/b.failed"
    # (c) The association itself is late (skip 0): unreachable, exit 2.
    start_relay "$PACS_PORT" 3000 0 "$sdir/relay-c.log"
    local t1=$SECONDS
    rc=0
    timeout 60 "$FIND" --numbered --timeout 1 --retries 1 --failed "$sdir/c.failed" \
        "$PACS_AE@127.0.0.1:$RELAY_PORT" <"$sdir/ids6.tsv" >"$sdir/c.jsonl" 2>"$sdir/c.err" \
        || rc=$?
    stop_relay
    expect_eq "c: exit when associations time out" "$rc" 2
    cmp -s "$sdir/ids6.tsv" "$sdir/c.failed" || bad "c: --failed is not the 6 input lines"
    [ $((SECONDS - t1)) -le 15 ] || bad "c: took $((SECONDS - t1)) s"
    echo "$a_note; b: 3 s answers, 1 s timeout, 1 retry: exit 1 in $secs s, 6 retries," \
        "6 listed; c: association late: exit 2 in $((SECONDS - t1)) s, 6 listed"
}

# 6: 10,000 files (copies of the findscu -X input) of which 100 are damaged;
# make_damaged writes expected.tsv (path, outcome, ID) for each file.
scenario_6() {
    local dir=$sdir/files rc=0
    make_damaged "$work/input" "$dir" 10000 100 "$seed" >"$sdir/expected.tsv" \
        || { bad "cannot write the damaged folder"; return 0; }
    "$IDS" --numbered --report "$sdir/report.csv" --failed "$sdir/failed.txt" "$dir" \
        >"$sdir/ids.tsv" 2>"$sdir/ids.err" || rc=$?
    expect_eq "dcm-ids exit with damaged files" "$rc" 1
    cut -f2 "$sdir/ids.tsv" | sort >"$sdir/got-ids"
    awk -F'\t' '$2 == "id" {print $3}' "$sdir/expected.tsv" | sort -u >"$sdir/want-ids"
    cmp -s "$sdir/got-ids" "$sdir/want-ids" || bad "IDs differ from those of the good files"
    awk -F'\t' '$2 == "failed" {print $1}' "$sdir/expected.tsv" | sort >"$sdir/want-failed"
    sort "$sdir/failed.txt" | cmp -s - "$sdir/want-failed" || bad "--failed is not the damaged set"
    awk -F'\t' '$2 != "id" {print $1}' "$sdir/expected.tsv" | sort >"$sdir/want-report"
    python3 -c 'import csv,sys; [print(r[0]) for r in list(csv.reader(open(sys.argv[1])))[1:]]' \
        "$sdir/report.csv" | sort | cmp -s - "$sdir/want-report" \
        || bad "the report does not list exactly the damaged files"
    local files nothing nfailed nids
    files=$(stat_of "$sdir/ids.err" dcm-ids 'files')
    nids=$(stat_of "$sdir/ids.err" dcm-ids 'unique IDs')
    nothing=$(stat_of "$sdir/ids.err" dcm-ids 'with nothing')
    nfailed=$(stat_of "$sdir/ids.err" dcm-ids 'failed')
    expect_eq "files seen" "$files" 10000
    expect_eq "nothing to give + failed" "$((nothing + nfailed))" "$(lines "$sdir/want-report")"
    expect_eq "failed" "$nfailed" "$(lines "$sdir/want-failed")"
    # The same IDs make the same tree, by ID (positions differ from the full run).
    rc=0
    "$FIND" --numbered "$DCM_PACS" <"$sdir/ids.tsv" 2>"$sdir/find.err" \
        | "$LAY" "$sdir/tree" 2>"$sdir/lay.err" || rc=$?
    expect_eq "pipeline exit" "$rc" 0
    "$LAY" --input "$base" "$sdir/base-by-id" 2>>"$sdir/lay.err"
    diff -r -x manifest.csv "$sdir/base-by-id" "$sdir/tree" >"$sdir/diff" \
        || bad "tree by ID differs from the full run's"
    echo "$files files: $nids IDs (all of the good files'), $nothing with nothing to give," \
        "$nfailed failed, each in the report; $(cut -f2 "$sdir/expected.tsv" | sort | uniq -c \
        | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}'); tree by ID equals the full run's"
}

# make_damaged SRC DIR TOTAL DAMAGED SEED: copies of SRC's files, DAMAGED of
# them damaged in the ways of the dcm-ids issue; prints expected.tsv.
make_damaged() {
    python3 - "$@" <<'PY'
import os, random, sys
from pathlib import Path
import pydicom
src, out, total, damaged, seed = sys.argv[1], Path(sys.argv[2]), *map(int, sys.argv[3:])
rng = random.Random(seed)
files = sorted(Path(src).glob("rsp*.dcm"))
bad_at = set(rng.sample(range(total), damaged))
kinds = ["zero", "text", "cut-in-name", "cut-in-id", "no-id", "empty-id", "cut-after-id"]
def tag_at(data, group, elem):
    return data.find(group.to_bytes(2, "little") + elem.to_bytes(2, "little"), 132)
pids = [pydicom.dcmread(f, stop_before_pixels=True).PatientID for f in files]
for i in range(total):
    f, pid = files[i % len(files)], pids[i % len(files)]
    data = f.read_bytes()
    path = out / f"d{i // 500:02d}" / f"f{i:05d}.dcm"
    path.parent.mkdir(parents=True, exist_ok=True)
    kind, outcome, value = "good", "id", pid
    if i in bad_at:
        kind = kinds[len([b for b in bad_at if b < i]) % len(kinds)]
        name, ident = tag_at(data, 0x10, 0x10), tag_at(data, 0x10, 0x20)
        length = int.from_bytes(data[ident + 6:ident + 8], "little")
        if kind == "zero":
            data, outcome = b"", "nothing"
        elif kind == "text":
            data, outcome = b"not a DICOM file\n", "nothing"
        elif kind == "cut-in-name":
            data, outcome = data[:name + 9], "failed"
        elif kind == "cut-in-id":
            data, outcome = data[:ident + 8 + max(1, length // 2)], "failed"
        elif kind in ("no-id", "empty-id"):
            ds = pydicom.dcmread(f)
            if kind == "no-id":
                del ds.PatientID
            else:
                ds.PatientID = ""
            ds.save_as(path, enforce_file_format=True)
            data, outcome = None, "nothing"
        else:
            data = data[:ident + 8 + length + 3]
        value = pid if outcome == "id" else ""
    if data is not None:
        path.write_bytes(data)
    print(f"{path}\t{outcome}\t{value}\t{kind}")
PY
}

# 7: hostile lines in the ID stream, and hostile IDs in records for dcm-lay.
scenario_7() {
    local real1 real2 real3 in=$sdir/hostile.txt rc=0
    { read -r real1; read -r real2; read -r real3; } < <(cut -f2 "$ids" | head -n 3)
    {
        printf '%s\n' "$real1" "" "*" "?" "${real1:0:3}*" "A\\B" "../.." "../../../etc"
        printf '%s\n' "/" "." ".." "   " "$real2" "$(head -c 10240 /dev/zero | tr '\0' x)"
        printf 'ab\001cd\n\377\376bad-utf8\n%s\n' "$real3"
    } >"$in"
    "$FIND" --failed "$sdir/failed.txt" "$DCM_PACS" <"$in" >"$sdir/records.jsonl" \
        2>"$sdir/find.err" || rc=$?
    expect_eq "dcm-find exit with hostile lines" "$rc" 1
    # Every record is one of the three real patients', exactly, and all of theirs.
    jq -r '.id + "\t" + .dataset["00100020"].Value[0]' "$sdir/records.jsonl" \
        | awk -F'\t' '$1 != $2' | grep -q . && bad "a record whose PatientID is not its ID"
    jq -r .id "$sdir/records.jsonl" | sort -u >"$sdir/got-ids"
    printf '%s\n' "$real1" "$real2" "$real3" | sort -u >"$sdir/want-ids"
    cmp -s "$sdir/got-ids" "$sdir/want-ids" || bad "records of other IDs than the 3 real ones"
    local want
    want=$(grep -c -E "\"id\":\"($real1|$real2|$real3)\"" "$base" || true)
    expect_eq "records of the real IDs" "$(lines "$sdir/records.jsonl")" "$want"
    expect_eq "matches dropped as not exact" \
        "$(stat_of "$sdir/find.err" dcm-find 'dropped as not exact')" 0
    local listed reported
    listed=$(lines "$sdir/failed.txt")
    reported=$(grep -c -a -v '^dcm-find: [0-9]* IDs,' "$sdir/find.err" || true)
    [ "$reported" -ge "$listed" ] || bad "$listed listed but only $reported stderr lines"
    local empty got
    empty=$(stat_of "$sdir/find.err" dcm-find 'IDs without matches')
    got=$(($(jq -r .position "$sdir/records.jsonl" | sort -u | wc -l) + listed + empty))
    expect_eq "accounts (records + failed + empty)" "$got" "$(lines "$in")"
    local lay_note
    lay_note=$(hostile_records)
    echo "$(lines "$in") lines: $listed refused and listed (each on stderr), $empty asked" \
        "with no match, only the 3 real IDs' $want records; $lay_note"
}

# hostile_records: records with hostile IDs straight into dcm-lay (default
# layout, by ID): nothing outside ROOT, each written once or listed.
hostile_records() {
    local box=$sdir/box root=$sdir/box/root rc=0 n written listed
    mkdir -p "$box"
    head -n 1 "$base" >"$sdir/one.jsonl"
    python3 - "$sdir/one.jsonl" >"$sdir/hostile.jsonl" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).read())
ids = ["../..", "../../../tmp/escaped", "/etc/passwd", "..", ".", "", "a/b", "a\\b",
       "nul\u0000x", "CON", "aux.txt", "-rf", ".hidden", "x" * 10240, "\u202eevil",
       "tab\there", "new\nline", "ok", "OK", "ok "]
for i, v in enumerate(ids):
    rec["position"], rec["id"] = i, v
    rec["dataset"]["00100020"]["Value"] = [v]
    print(json.dumps(rec, separators=(",", ":"), ensure_ascii=False))
PY
    touch "$box/marker"
    "$LAY" --input "$sdir/hostile.jsonl" --failed "$sdir/lay-failed.jsonl" "$root" \
        2>"$sdir/lay.err" || rc=$?
    [ "$rc" -le 1 ] || bad "dcm-lay exit $rc on hostile records"
    n=$(find "$box" -mindepth 1 -newer "$box/marker" ! -path "$root" ! -path "$root/*" | wc -l)
    expect_eq "paths created outside ROOT" "$n" 0
    expect_eq "symbolic links under ROOT" "$(find "$root" -type l | wc -l)" 0
    [ ! -e /tmp/escaped ] || bad "/tmp/escaped was written"
    written=$(find "$root" -type f -name '*.dcm' | wc -l)
    listed=$(lines "$sdir/lay-failed.jsonl")
    expect_eq "files = the summary's written" "$written" \
        "$(stat_of "$sdir/lay.err" dcm-lay written)"
    local dup
    dup=$(stat_of "$sdir/lay.err" dcm-lay duplicates)
    expect_eq "hostile records written + duplicates + listed" "$((written + dup + listed))" \
        "$(lines "$sdir/hostile.jsonl")"
    echo "dcm-lay: 20 hostile IDs, $written files (all under ROOT), $dup duplicates," \
        "$listed listed"
}

# ---------------------------------------------------------------- run

declare -A names=([1]="PACS stops mid-run" [2]="SIGKILL at seeded points"
    [3]="Ctrl-C to the pipeline" [4]="output disk full" [5]="slow PACS"
    [6]="10,000 files, 1% damaged" [7]="hostile IDs")
started=$SECONDS
for num in 1 2 3 4 5 6 7; do
    [[ ,$only, == *,$num,* ]] || continue
    sdir=$work/s$num
    mkdir -p "$sdir"
    t0=$SECONDS
    # Each scenario in a subshell, so one that breaks cannot stop the others;
    # its checks, not set -e, decide the result.
    note=$( (scenario_"$num") 2>>"$sdir/log") || bad "the scenario itself failed (see log)"
    # Scenario 1 restarts Orthanc on other ports.
    load_pacs_env "$work/pacs"
    secs=$((SECONDS - t0))
    if [ -s "$sdir/skip" ]; then
        printf 'SKIP  %s %s (%d s): %s\n' "$num" "${names[$num]}" "$secs" "$(cat "$sdir/skip")"
        skipped=$((skipped + 1))
    elif [ -s "$sdir/fails" ]; then
        printf 'FAIL  %s %s (%d s): %s\n' "$num" "${names[$num]}" "$secs" \
            "$(paste -sd';' "$sdir/fails" | head -c 600)"
        failed=$((failed + 1))
    else
        printf 'PASS  %s %s (%d s): %s\n' "$num" "${names[$num]}" "$secs" "$note"
        passed=$((passed + 1))
    fi
done
say "scenarios took $((SECONDS - started)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
