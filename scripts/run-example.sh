#!/usr/bin/env bash
# Set up (dependencies, build, install into ./build-example/prefix) and run the example:
# a program built against the installed library through pkg-config, like any user's program.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
builddir=build-example
prefix="$PWD/$builddir/prefix"
[ -d "$builddir" ] || meson setup "$builddir" --prefix="$prefix" -Dtests=false >/dev/null
meson compile -C "$builddir" >/dev/null
meson install -C "$builddir" >/dev/null

export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name subproc.pc | head -n 1)")"
cc examples/capture.c $(pkg-config --cflags --libs subproc) \
    -Wl,-rpath,"$(pkg-config --variable=libdir subproc)" -o "$builddir/capture"
echo "== examples/capture.c, built with: cc capture.c \$(pkg-config --cflags --libs subproc)"
"$builddir/capture"

echo
echo "== the subproc tool, installed as $prefix/bin/subproc"
tool="$prefix/bin/subproc"
export LD_LIBRARY_PATH="$(pkg-config --variable=libdir subproc)"   # a prefix outside ld.so's paths
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
set -x
"$tool" --dry-run -i -e 'GREETING=hello world' -- printf '%s\n' "it's quoted"
"$tool" -d -p "$run_dir/sleeper.pid" -- sleep 60          # a daemon holding a locked pidfile
"$tool" --status "$run_dir/sleeper.pid"                    # prints the daemon's pid
"$tool" -d -p "$run_dir/sleeper.pid" -- sleep 60 || true   # refused: exit 125, file untouched
"$tool" --stop "$run_dir/sleeper.pid"                      # SIGTERM (SIGKILL if needed), unlink
"$tool" --status "$run_dir/sleeper.pid" || true            # exit 1: nobody holds it
"$tool" --timeout 200ms -- sleep 5 || echo "exit status $? (124: timed out, as timeout(1))"
