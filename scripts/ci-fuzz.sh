#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each over its corpus plus a few thousand
# iterations (meson test --suite fuzz).  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh clang || exit 1
builddir=${1:-build-fuzz}
if [ ! -d "$builddir" ]; then
    CC=clang meson setup "$builddir" -Dfuzz=true -Db_lundef=false >/dev/null || exit 1
fi
meson compile -C "$builddir" || { echo "0 passed, 1 failed"; exit 1; }
meson test -C "$builddir" --suite fuzz --print-errorlogs --num-processes 2
status=$?
python3 scripts/count-tests.py "$builddir/meson-logs/testlog.json" || status=1
exit $status
