#!/usr/bin/env bash
# CI: the thread stress test and the cmocka suites under ThreadSanitizer (clang).
# Usage: scripts/ci-tsan.sh [BUILDDIR]          (default build-tsan)
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
#
# TSan and the library's vfork-style child do not mix out of the box:
#  - TSan's clone() interceptor (clang 14, gcc 12) does fork bookkeeping in the new child as
#    if it had its own copy of memory; the library's child shares the parent's memory
#    (CLONE_VM|CLONE_VFORK), so the parent's TSan state is rewritten and the parent aborts
#    ("CHECK failed: tsan_rtl.cpp:234 ((!thr->slot)) != (0)") on its first spawn.
#    tests/stress/tsan-vfork-clone.c, linked in with -Wl,--wrap=clone, hands CLONE_VM clones
#    straight to glibc, as glibc's own posix_spawn() does.  TSan then sees the parent only:
#    the child runs while the spawning thread is suspended, and every other thread of the
#    parent is checked as usual.  A child with a cgroup is made by a raw clone3 system call
#    (spawn-linux.c), which TSan never sees either.
#  - The child code (SP_CHILD_CODE, SP_SYSCALL, child_entry() in spawn-linux.c) carries
#    no_sanitize("thread") and, with clang, disable_sanitizer_instrumentation: without the
#    latter clang still emits __tsan_func_entry/exit there, and each spawn would leave the
#    child's frames on the spawning thread's TSan shadow stack, which the child shares.
. "$(dirname "$0")/lib.sh"

ci_deps clang llvm
builddir=${1:-build-tsan}
aux="$(ci_abspath "$builddir")/tsan-aux"
mkdir -p "$aux"

clang -O1 -fPIC -Wall -Wextra -Werror -c tests/stress/tsan-vfork-clone.c -o "$aux/tsan-vfork-clone.o" ||
    ci_fail

CC=clang ci_setup "$builddir" -Dwerror=true -Db_sanitize=thread -Db_lundef=false \
    "-Dc_link_args=$aux/tsan-vfork-clone.o -Wl,--wrap=clone"
# Only what the suites below need (meson test builds their programs): the rest of the tree
# is built and tested elsewhere.  The hostile table also runs the CLI.
ci_compile "$builddir" tools/subproc:executable

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
# The stress test's full size (8 threads x 2000 spawns) unless the caller asks for less.
export SUBPROC_STRESS_SPAWNS=${SUBPROC_STRESS_SPAWNS:-2000}
# The programs with threads or signal handlers (suite 'threads', tests/meson.build), the
# stress and the hostile table.  The others have one thread and no handler, where TSan finds
# nothing; the fault-injection suite has a clone wrapper of its own and is not meant for TSan;
# the CLI, example and install suites have no threads.
ci_test "$builddir" --suite threads --suite hostile --suite stress --no-suite attacks
