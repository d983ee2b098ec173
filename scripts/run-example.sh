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
