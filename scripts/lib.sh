# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the scripts that source this.)
# lib.sh: helpers shared by the scripts in this folder. Sourced, never run:
# every script needs the same message prefix, package check, port choice and
# PACS address parsing, and copies of these would drift apart.

PROG=$(basename "$0")

# One message style for every script: "name: text" on stderr; with
# DCM_LOG_FORMAT=json, one JSON object per line, as the tools write them, so a
# cron job's log stays one format.
say() { log_line info "$*"; }
die() { log_line error "$*"; exit 1; }
log_line() {
    local level=$1 text=$2
    if [ "${DCM_LOG_FORMAT:-text}" != json ]; then
        printf '%s: %s\n' "$PROG" "$text" >&2
        return
    fi
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    text=${text//$'\n'/\\n}
    text=${text//$'\t'/\\t}
    text=${text//$'\r'/\\r}
    printf '{"level":"%s","tool":"%s","message":"%s"}\n' "$level" "$PROG" "$text" >&2
}

# Bad arguments exit 2, like the tools (design.md section 2). USAGE is set by
# the calling script.
# shellcheck disable=SC2120
usage_error() {
    [ $# -gt 0 ] && say "$*"
    printf 'usage: %s\n' "${USAGE:-$PROG}" >&2
    exit 2
}

# need_pkgs PKG...: apt-get installs the Debian packages that are missing.
# Checking dpkg first keeps a machine that has everything fast and offline.
need_pkgs() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    # Inside netns.sh's namespace no registry is reachable: say what to do
    # instead of letting apt-get time out.
    [ "${DCM_NETNS:-}" = 1 ] && die "missing packages: ${missing[*]}" \
        "(no network inside the namespace: run scripts/install-deps.sh first)"
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root to install)"
    say "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# fast_dcmtk: DCMTK turns Nagle's algorithm off only when TCP_NODELAY=1 is in
# its environment; without it each response waits for a delayed ACK (40 ms) and
# loading 200 files takes 10-20 s instead of under 1 s. A value the caller set
# wins, so TCP_NODELAY=0 gives the slow default, as an untuned PACS has it.
fast_dcmtk() { export TCP_NODELAY=${TCP_NODELAY:-1}; }

# free_ports N: prints N distinct free TCP ports on 127.0.0.1, one a line.
# All sockets stay open until every port is chosen, so the N are distinct;
# a server may still lose a port to a race later, which start reports.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# split_pacs AE@HOST:PORT: sets PACS_AE, PACS_HOST and PACS_PORT.
split_pacs() {
    local addr=$1
    [[ $addr =~ ^([^@]+)@([^:]+):([0-9]+)$ ]] \
        || die "bad PACS address '$addr' (want AE@HOST:PORT)"
    PACS_AE=${BASH_REMATCH[1]} PACS_HOST=${BASH_REMATCH[2]} PACS_PORT=${BASH_REMATCH[3]}
}

# load_pacs_env WORKDIR: reads the KEY=VALUE lines pacs.sh wrote (parsed, not
# sourced, so a damaged file cannot run code), then splits DCM_PACS.
load_pacs_env() {
    local file=$1/pacs.env key value
    DCM_PACS='' PACS_KIND='' PACS_PID='' ORTHANC_HTTP=''
    [ -r "$file" ] || die "$file: not found (is a PACS started there? see pacs.sh)"
    while IFS='=' read -r key value; do
        case $key in
            DCM_PACS | PACS_KIND | PACS_PID | ORTHANC_HTTP) printf -v "$key" '%s' "$value" ;;
        esac
    done <"$file"
    [ -n "$DCM_PACS" ] || die "$file: no DCM_PACS line"
    split_pacs "$DCM_PACS"
}

# The folder of these scripts, so they find each other wherever they are called from.
SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
