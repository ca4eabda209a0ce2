#!/usr/bin/env bash
# netns.sh: runs CMD in a private network namespace whose only interface is
# lo. Orthanc 1.10 and dcmqrscp listen on all interfaces; inside the namespace
# there is no other interface, so the test servers are reachable on 127.0.0.1
# only. No package registry is reachable inside either: install and build first.
set -euo pipefail
USAGE='netns.sh CMD [ARGS...]'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || usage_error

# Already inside (DCM_NETNS=1), or already fell back (0): never nest.
[ -n "${DCM_NETNS:-}" ] && exec "$@"

# A namespace needs root, unshare and ip; without them the servers still work
# on 127.0.0.1, only less shielded, so run CMD directly rather than fail.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null \
    && unshare --net true 2>/dev/null; then
    export DCM_NETNS=1
    # exec: CMD's exit status is the script's, and signals reach it directly.
    exec unshare --net -- bash -c 'ip link set lo up && exec "$@"' netns "$@"
fi
say "warning: no private network namespace (needs root, unshare and ip);" \
    "servers started by CMD listen on all interfaces"
export DCM_NETNS=0
exec "$@"
