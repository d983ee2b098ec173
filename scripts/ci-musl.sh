#!/usr/bin/env bash
# CI: build the library, the CLI and the examples with musl (musl-gcc, Debian's musl-tools),
# then run the examples and the CLI's shell tests against that build, so that nothing silently
# depends on glibc.  cmocka has no musl build, so the cmocka suites are not built here.
# Usage: scripts/ci-musl.sh [BUILDDIR]          (default build-musl)
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

ci_deps musl-tools
builddir=${1:-build-musl}
CC=musl-gcc ci_setup "$builddir" -Dtests=false -Dwerror=true
ci_compile "$builddir"

# Say what this libc gives the library, since each missing piece selects a fallback silently:
# the configure checks (config.h), then the system call numbers and flags that the sources
# test with #ifdef.
echo "== musl build: configure checks"
grep -E '^#define HAVE_' "$builddir/config.h" | sed 's/^#define /  /'
echo "== musl build: what the sources test with #ifdef"
probe() {
    local what=$1 code=$2
    if printf '#define _GNU_SOURCE\n#include <fcntl.h>\n#include <sched.h>\n#include <signal.h>\n#include <sys/syscall.h>\n#include <unistd.h>\nint main(void) { %s; return 0; }\n' \
        "$code" | musl-gcc -Werror -x c - -o /dev/null 2>/dev/null; then
        echo "  $what: yes"
    else
        echo "  $what: NO (the library uses its fallback)"
    fi
}
probe "SYS_close_range (child: close_range, else /proc/self/fd)" "return SYS_close_range"
probe "SYS_pidfd_open (pidfd for forked children)" "return SYS_pidfd_open"
probe "SYS_pidfd_send_signal (kill through the pidfd)" "return SYS_pidfd_send_signal"
probe "CLONE_PIDFD in <sched.h> (else the library's own)" "return CLONE_PIDFD"
probe "F_OFD_SETLK (pidfile locks)" "return F_OFD_SETLK"
probe "_Fork (fork without atfork handlers)" "return _Fork()"
# Every program of this build must really be a musl program.
echo "== musl build: program interpreters"
for exe in "$builddir"/tools/subproc "$builddir"/tools/tests/print-argv "$builddir"/examples/example-*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    interp=$(readelf -l "$exe" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    echo "  ${exe#"$builddir"/}: $interp"
    case $interp in
    *musl*) ;;
    *) ci_fail "  ^ not a musl program" ;;
    esac
done

ci_test "$builddir" --suite examples --suite cli
