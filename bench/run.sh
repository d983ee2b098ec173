#!/usr/bin/env bash
# Build and run the benchmark: bash bench/run.sh [--quick]
# As root on Debian/Ubuntu, installs libglib2.0-dev first if it is missing, so that the GLib
# column is measured.  The test suite is not built (-Dtests=false): the benchmark needs none
# of it, nor cmocka.
set -euo pipefail
cd "$(dirname "$0")/.."

# GLib for both programs, libuv for the "many children" row (subproc-bench-parallel).
if ! pkg-config --exists glib-2.0 gio-2.0 libuv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y libglib2.0-dev libuv1-dev >/dev/null ||
            { apt-get update >/dev/null && apt-get install -y libglib2.0-dev libuv1-dev >/dev/null; }
    else
        echo "run.sh: glib-2.0 or libuv not found and not root with apt-get: their columns" \
            "will be n/a" >&2
    fi
fi

# Quiet unless it fails: then its output says why (meson prints its errors on stdout).
quiet() {
    local log status=0
    log=$(mktemp)
    "$@" >"$log" 2>&1 || status=$?
    [ "$status" -eq 0 ] || cat "$log" >&2
    rm -f "$log"
    return "$status"
}

builddir=build-bench
options=(-Dbench=true -Dtests=false -Dbuildtype=release)
if [ -d "$builddir" ]; then
    # --reconfigure looks for GLib again, in case it was installed since.
    quiet meson setup --reconfigure "$builddir" "${options[@]}"
else
    quiet meson setup "$builddir" "${options[@]}"
fi
quiet meson compile -C "$builddir"
"./$builddir/bench/subproc-bench" "$@"
echo
# Many children at once (issue 16): 1,000 short commands with output, J = 2 x cores.
quick=()
[ "${1:-}" = --quick ] && quick=(--quick)
exec "./$builddir/bench/subproc-bench-parallel" "${quick[@]}"
