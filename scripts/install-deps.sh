#!/usr/bin/env bash
# install-deps.sh: installs what the scripts and tests need and is missing:
# Debian's dcmtk and orthanc (the test PACS and the oracles), iproute2 and
# util-linux (netns.sh), GNU time (peak memory in bench.sh), jq (the README's
# recipes, tests/readme.rs), sqlite3 (bench.sh: ANALYZE of Orthanc's index),
# pip if there is none; from PyPI pydicom (fixtures)
# and pynetdicom (benchmarks, fault tests). On a machine that has it all it
# only checks, offline, in well under a second.
set -euo pipefail
USAGE='install-deps.sh'
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || usage_error

# One python3 run (a pyenv shim costs 0.3 s a start) says what Python lacks.
# It is the python3 on PATH that runs make-fixture.py: a pyenv or venv python3
# has its own pip, which Debian's python3-pip would not serve.
command -v python3 >/dev/null || need_pkgs python3
read -r -a py_missing < <(python3 - <<'PY'
from importlib.util import find_spec
print(" ".join(m for m in ("pip", "pydicom", "pynetdicom") if find_spec(m) is None))
PY
)
pkgs=(dcmtk orthanc iproute2 util-linux time jq sqlite3)
[[ " ${py_missing[*]} " == *" pip "* ]] && pkgs+=(python3-pip)
need_pkgs "${pkgs[@]}"

modules=()
for module in "${py_missing[@]}"; do
    [ "$module" = pip ] || modules+=("$module")
done
if [ ${#modules[@]} -gt 0 ]; then
    [ "${DCM_NETNS:-}" = 1 ] && die "missing Python packages: ${modules[*]}" \
        "(no network inside the namespace: run scripts/install-deps.sh first)"
    say "installing ${modules[*]} from PyPI"
    # Debian 12 marks its own python3 externally managed; only then is the
    # flag needed, and older pips do not know it.
    flag=()
    python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(
        os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))' \
        && flag=(--break-system-packages)
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q "${flag[@]}" "${modules[@]}" >&2
fi

# pynetdicom's own findscu and storescu may come first on PATH now; the scripts
# call DCMTK's by full path, and these must be DCMTK's.
for tool in findscu storescu echoscu dcmqrscp dcmdump; do
    [ -x "/usr/bin/$tool" ] || die "/usr/bin/$tool missing after install"
done
[ -x /usr/sbin/Orthanc ] || die "/usr/sbin/Orthanc missing after install"
