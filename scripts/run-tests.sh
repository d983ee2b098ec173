#!/usr/bin/env bash
# Build subproc with warnings as errors and run the whole test suite.
# Usage: scripts/run-tests.sh [BUILDDIR [MESON-SETUP-OPTION]...]
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
builddir=${1:-build}
shift || true
if [ ! -d "$builddir" ]; then
    meson setup "$builddir" -Dwerror=true "$@" >/dev/null || exit 1
fi
meson compile -C "$builddir" || { echo "0 passed, 1 failed"; exit 1; }
meson test -C "$builddir" --print-errorlogs --num-processes 2
status=$?
python3 scripts/count-tests.py "$builddir/meson-logs/testlog.json" || status=1
exit $status
