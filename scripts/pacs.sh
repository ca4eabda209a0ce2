#!/usr/bin/env bash
# pacs.sh: starts, stops and checks a local PACS (Orthanc or DCMTK dcmqrscp) that
# lives entirely in one work folder, so tests and the demo never touch a system
# PACS and several can run at once. Both servers listen on all interfaces: run
# them under netns.sh to keep them on loopback.
set -euo pipefail
USAGE='pacs.sh start orthanc|dcmqrscp WORKDIR | stop WORKDIR | status WORKDIR'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

START_TIMEOUT=${PACS_START_TIMEOUT:-30}   # seconds until the first C-ECHO must pass
# Both servers use DCMTK's network code, which reads TCP_NODELAY (see lib.sh).
fast_dcmtk

# echo_ok AE PORT: one quick C-ECHO, so a hung server cannot stall the wait.
echo_ok() {
    /usr/bin/echoscu -q -to 2 -ta 2 -td 2 -aet PACSCHECK -aec "$1" 127.0.0.1 "$2" \
        >/dev/null 2>&1
}

# wait_ready KIND PID AE PORT: polls C-ECHO until it passes, the server dies, or
# START_TIMEOUT runs out; the log tail says why a start failed.
wait_ready() {
    local kind=$1 pid=$2 ae=$3 port=$4 deadline=$((SECONDS + START_TIMEOUT))
    while ! echo_ok "$ae" "$port"; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 20 "$WORKDIR/$kind.log" >&2 || true
            stop_server "$kind"
            die "$kind did not answer C-ECHO on port $port (log: $WORKDIR/$kind.log)"
        fi
        sleep 0.2
    done
}

write_orthanc_config() {
    # Orthanc 1.10 keys. DefaultEncoding Utf8: Orthanc answers every C-FIND in
    # this encoding, and Latin-1 would lose names like Dvořák (design.md 8).
    # PACS_ORTHANC_EXTRA (a JSON object) overrides keys, e.g. LimitFindResults.
    local extra='{}'
    [ -z "${PACS_ORTHANC_EXTRA:-}" ] || extra=$PACS_ORTHANC_EXTRA
    python3 - "$WORKDIR" "$1" "$2" "$extra" >"$WORKDIR/orthanc.json" <<'PY'
import json, sys
work, dicom_port, http_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    extra = dict(json.loads(sys.argv[4]))
except ValueError:
    sys.exit("pacs.sh: PACS_ORTHANC_EXTRA is not a JSON object")
config = {
    "Name": "dcm-test-orthanc",
    "StorageDirectory": work + "/orthanc-storage",
    "IndexDirectory": work + "/orthanc-index",
    "DefaultEncoding": "Utf8",
    "DicomServerEnabled": True,
    "DicomAet": "ORTHANC",
    "DicomPort": dicom_port,
    "DicomCheckCalledAet": False,
    # Any calling AE may echo, store and find: no DicomModalities to declare.
    "DicomModalities": {},
    "DicomAlwaysAllowEcho": True,
    "DicomAlwaysAllowStore": True,
    "DicomAlwaysAllowFind": True,
    "UnknownSopClassAccepted": True,
    "LimitFindResults": 0,
    "LimitFindInstances": 0,
    "StableAge": 1,
    # The REST API lets tests count what was stored; loopback only.
    "HttpServerEnabled": True,
    "HttpPort": http_port,
    "RemoteAccessAllowed": False,
    "AuthenticationEnabled": False,
    "WebDavEnabled": False,
    # No plugins from the system's folders, and no job state kept between runs.
    "Plugins": [],
    "SaveJobs": False,
}
config.update(extra)
json.dump(config, sys.stdout, indent=2)
PY
}

start_orthanc() {
    local dicom_port http_port pid
    { read -r dicom_port; read -r http_port; } < <(free_ports 2)
    write_orthanc_config "$dicom_port" "$http_port"
    # setsid: the server gets its own process group, which stop can signal.
    setsid /usr/sbin/Orthanc "$WORKDIR/orthanc.json" >"$WORKDIR/orthanc.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$WORKDIR/orthanc.pid"
    wait_ready orthanc "$pid" ORTHANC "$dicom_port"
    write_env "ORTHANC@127.0.0.1:$dicom_port" orthanc "$pid" \
        "ORTHANC_HTTP=http://127.0.0.1:$http_port"
}

start_dcmqrscp() {
    local port pid db=$WORKDIR/dcmqrscp-db
    # The config format splits on white space and cannot quote a path.
    [[ $WORKDIR =~ [[:space:]] ]] && die "$WORKDIR: dcmqrscp needs a path without spaces"
    port=$(free_ports 1)
    mkdir -p "$db"
    # One storage area; dcmqrscp deletes the oldest study past 500 (its quota
    # field, design.md 8). ANY: every calling AE and host may store and query.
    cat >"$WORKDIR/dcmqrscp.cfg" <<CFG
NetworkTCPPort  = $port
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
DCMQRSCP  $db  RW  (500, 1024mb)  ANY
AETable END
CFG
    # The default --fork serves each association in a child, so parallel
    # associations (dcm-find --jobs) are served at once, as by a real PACS.
    setsid /usr/bin/dcmqrscp -c "$WORKDIR/dcmqrscp.cfg" "$port" \
        >"$WORKDIR/dcmqrscp.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$WORKDIR/dcmqrscp.pid"
    wait_ready dcmqrscp "$pid" DCMQRSCP "$port"
    write_env "DCMQRSCP@127.0.0.1:$port" dcmqrscp "$pid"
}

# write_env DCM_PACS KIND PID [EXTRA_LINE]: the file the other scripts read.
write_env() {
    {
        echo "DCM_PACS=$1"
        echo "PACS_KIND=$2"
        echo "PACS_PID=$3"
        if [ $# -gt 3 ]; then echo "$4"; fi
    } >"$WORKDIR/pacs.env"
    say "$2 running, pid $3, $1"
    echo "$1"
}

# server_pid KIND: the PID from KIND.pid if that process is still the server
# this folder started (its command line names this folder's config), so a
# stale file never makes us signal an unrelated process that reused the PID.
server_pid() {
    local file=$WORKDIR/$1.pid pid
    [ -r "$file" ] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$WORKDIR/$1." || return 1
    echo "$pid"
}

# stop_server KIND: TERM to the server's process group (dcmqrscp's forked
# children too), up to 10 s for a clean exit, then KILL. Storage is kept.
stop_server() {
    local kind=$1 pid i
    if pid=$(server_pid "$kind"); then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$kind (pid $pid) ignored TERM, killing it"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        say "$kind stopped (pid $pid)"
    fi
    rm -f "$WORKDIR/$kind.pid"
}

cmd_start() {
    local kind pid
    for kind in orthanc dcmqrscp; do
        pid=$(server_pid "$kind") && die "$kind already running in $WORKDIR (pid $pid)"
    done
    rm -f "$WORKDIR/pacs.env"
    "start_$1"
}

cmd_stop() {
    stop_server orthanc
    stop_server dcmqrscp
    rm -f "$WORKDIR/pacs.env"
}

# status: exit 0 and print DCM_PACS if the server runs and answers C-ECHO.
cmd_status() {
    local kind pid
    for kind in orthanc dcmqrscp; do
        pid=$(server_pid "$kind") || continue
        load_pacs_env "$WORKDIR"
        echo_ok "$PACS_AE" "$PACS_PORT" || die "$kind (pid $pid) does not answer C-ECHO"
        say "$kind running, pid $pid, $DCM_PACS"
        echo "$DCM_PACS"
        return 0
    done
    say "no PACS running in $WORKDIR"
    return 1
}

case "${1:-} $#" in
    "start 3")
        [[ $2 == orthanc || $2 == dcmqrscp ]] || usage_error "unknown PACS kind '$2'"
        mkdir -p "$3"
        WORKDIR=$(cd "$3" && pwd)
        cmd_start "$2"
        ;;
    "stop 2" | "status 2")
        [ -d "$2" ] || usage_error "$2: no such folder"
        WORKDIR=$(cd "$2" && pwd)
        "cmd_$1"
        ;;
    *) usage_error ;;
esac
