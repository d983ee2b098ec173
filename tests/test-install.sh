#!/usr/bin/env bash
# Install the build into a temporary DESTDIR and build an example against it with
# pkg-config, as an outside program would; check that only subproc_* symbols are exported.
# Usage: test-install.sh BUILDDIR SOURCEDIR [SANITIZERS]
set -euo pipefail
builddir=$1
srcdir=$2
sanitize=${3:-none}
extra=()
# A sanitized library needs its runtime in the program too.
[ "$sanitize" = none ] || extra=("-fsanitize=$sanitize")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$builddir" --destdir "$dest" --no-rebuild >/dev/null
pc=$(find "$dest" -name subproc.pc | head -n 1)
[ -n "$pc" ] || { echo "no subproc.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs subproc)
echo "pkg-config: $flags"
cc -Wall -Wextra -Werror "${extra[@]}" "$srcdir/examples/capture.c" $flags -o "$dest/capture"
libdir=$(dirname "$(find "$dest" -name 'libsubproc.so.0' | head -n 1)")
LD_LIBRARY_PATH=$libdir "$dest/capture" | grep -q "as expected: exec /nonexistent/program"

so=$(find "$dest" -name 'libsubproc.so.*.*' | head -n 1)
objdump -p "$so" | grep -q 'SONAME.*libsubproc.so.0' || { echo "no soname"; exit 1; }
leaked=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^subproc_/ {print $3}')
[ -z "$leaked" ] || { echo "exported beyond subproc_*: $leaked"; exit 1; }
[ -f "$(dirname "$pc")/../../include/subproc.h" ] || find "$dest" -name subproc.h | grep -q . ||
    { echo "header not installed"; exit 1; }
echo "install test passed"
