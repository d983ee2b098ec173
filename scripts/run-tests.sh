#!/usr/bin/env bash
# Build subproc with warnings as errors and run the whole test suite.
# Usage: scripts/run-tests.sh [BUILDDIR [MESON-SETUP-OPTION]...]
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

ci_deps
builddir=${1:-build}
shift || true
ci_setup "$builddir" -Dwerror=true "$@"
ci_compile "$builddir"
ci_test "$builddir"
