#!/usr/bin/env bash
# CI: build the portable child, the one FreeBSD, macOS and the other systems run (fork(), then
# libc's async-signal-safe calls: src/spawn-posix.c and src/sys-posix.h), on Linux with
# -Dspawn=fork, with their pidfile lock, flock() (-Dpidfile_lock=flock), and run the whole
# test suite against it.  No machine here runs those systems,
# so this is where that code is compiled with -Werror and tested.
# Usage: scripts/ci-portable.sh [BUILDDIR]          (default build-portable)
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
# The tests that only make sense for the Linux clone() child skip themselves in this build,
# saying why (they read SUBPROC_SPAWN_FORK from config.h).
. "$(dirname "$0")/lib.sh"

ci_deps
builddir=${1:-build-portable}
ci_setup "$builddir" -Dspawn=fork -Dpidfile_lock=flock -Dwerror=true
# A build dir set up earlier without the option would test the Linux child instead.
if ! grep -q '^#define SUBPROC_SPAWN_FORK 1' "$builddir/config.h" ||
   ! grep -q '^#define SUBPROC_PIDFILE_FLOCK 1' "$builddir/config.h"; then
    ci_fail "$builddir is not a -Dspawn=fork -Dpidfile_lock=flock build"
fi
ci_compile "$builddir"

# Say what the portable child found here, since each missing piece selects a fallback (or a
# refusal, ENOTSUP) silently.
echo "== portable build: configure checks"
grep -E '^#define (HAVE_|SUBPROC_)' "$builddir/config.h" | sed 's/^#define /  /'

# The stress test's full size ran in the main build; a shorter one is enough here (each fork()
# of the test copies its page tables).  The docs and install suites check text and the install
# layout, which the child does not change: they ran in the main build.
export SUBPROC_STRESS_SPAWNS=${SUBPROC_STRESS_SPAWNS:-150}
ci_test "$builddir" --no-suite docs --no-suite install
