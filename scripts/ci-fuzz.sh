#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each over its corpus plus a few thousand
# iterations (meson test --suite fuzz).  Ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"

ci_deps clang
builddir=${1:-build-fuzz}
# Without the test suite, which the fuzz suite does not use (built and run in the other steps).
CC=clang ci_setup "$builddir" -Dfuzz=true -Dtests=false -Db_lundef=false
ci_compile "$builddir"
ci_test "$builddir" --suite fuzz
