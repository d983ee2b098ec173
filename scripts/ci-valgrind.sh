#!/usr/bin/env bash
# CI: the cmocka suites under valgrind memcheck, with fd tracking.
# Usage: scripts/ci-valgrind.sh [BUILDDIR]      (default build-valgrind)
# Ends with one line "N passed, N failed" counting test cases; exits non-zero on failure.
#
# Every test program of the core, lifetime, supervise, hostile and stress suites runs under
#     valgrind --tool=memcheck --track-fds=yes --error-exitcode=1 --leak-check=full
#              --child-silent-after-fork=yes --fair-sched=yes
# A program fails when memcheck finds an error or a leak, or when an fd that the program
# opened itself (not one inherited from whoever started it) is still open at its exit.
# The children it spawns are not traced: the library is in the test programs, and the helper
# child reports its own state.  --child-silent-after-fork: valgrind runs the library's
# vfork-style child as a forked copy of the test (it has no CLONE_VM|CLONE_VFORK); a copy that
# fails its exec on purpose exits with the parent's fds and memory, which is no leak.
# --fair-sched: valgrind runs one thread at a time, and by default a thread in a tight loop
# (the fd churners of test-spawn.c and test-stress.c) can starve the spawning one for minutes.
#
# Cases that cannot work under valgrind are skipped by name (the skip list below says why for
# each) through tests/stress/cmocka-skip.c, and counted as skipped.
. "$(dirname "$0")/lib.sh"

# ---- the skip list: every case that cannot work under valgrind, and why --------------------
skip_programs=()
skip_cases=()
skip_reasons=()
skip() {
    skip_programs+=("$1")
    skip_cases+=("$2")
    skip_reasons+=("$3")
}

why_forked_part="its forked part (subproc_exec in a child of the test) ends with the test's"
why_forked_part+=" memory still allocated, which valgrind's leak check counts as lost and turns"
why_forked_part+=" into exit status 1 (--error-exitcode)"
why_preload="valgrind puts its preloads in the test's LD_PRELOAD and strips them from the"
why_preload+=" environment of every execve it does not follow, so the child's LD_PRELOAD differs"
why_exec_failed="the real execve fails after valgrind's own checks passed, and valgrind cannot"
why_exec_failed+=" recover from that (\"EXEC FAILED\", exit 101) to report the errno"
why_nofile="valgrind keeps fds of its own just above the RLIMIT_NOFILE it shows the program"

skip test-env test_env_inherited_by_default "$why_preload"
skip test-env test_env_inherit_then_edit "$why_preload"
skip test-env test_env_unset_alone_inherits "$why_preload"
skip test-spawn test_exec_errors "a script with a missing interpreter: $why_exec_failed"
skip test-spawn test_spawn_cost_independent_of_rss \
    "timing: it compares spawn times at small and 2 GiB RSS, which valgrind distorts"
skip test-privs test_rlimits \
    "$why_nofile, and refuses the child's prlimit(RLIMIT_NOFILE) of another hard limit (EPERM)"
skip test-fdsched test_pass_fd_as_cycle \
    "it puts fds at the fixed numbers 3 to 5, where valgrind keeps its log"
skip test-wait test_failed_wait_leaves_no_status \
    "$why_nofile, and poll(2) is checked against valgrind's, so the lowered limit fails nothing"
skip test-inplace test_exec_applies_plan "$why_forked_part"
skip test-inplace test_exec_failure "$why_forked_part"
skip test-cgroup test_placement_modes \
    "its fork-for-a-hook mode expects the pidfd that pidfd_open(2) gives, which valgrind 3.19\
 does not implement (ENOSYS); it refuses clone3(2) too, so the clone3 modes are not tried"
skip test-cgroup test_exec_in_place "$why_forked_part"
skip test-cgroup test_missing_clone3_is_remembered \
    "its spawns run in a forked copy of the test (a seccomp filter stays with the process that\
 installs it), which exits with the test's memory still allocated: valgrind's leak check counts\
 it as lost and turns it into exit status 1 (--error-exitcode); valgrind also has no clone3"
skip test-pidfd "test_kill_recycled_pid (pidfd)" \
    "it proves that pidfd_send_signal(2) spares a recycled pid; valgrind 3.19 lacks that call,\
 so the library falls back to kill(), as documented for systems without it"
skip test-sigchld "test_eintr_storm (pidfd)" \
    "a SIGALRM every millisecond: valgrind delivers signals only between translated blocks\
 and feeds the 1 MiB some 50 times slower, so the case does not end"
skip test-sigchld "test_eintr_storm (no pidfd)" "the same"
skip test-loop test_600_children_low_nofile \
    "$why_nofile, and refuses the test's setrlimit(RLIMIT_NOFILE) to 1024 (EPERM)"
skip test-stream "test_signals_meanwhile (pidfd)" \
    "a SIGALRM every millisecond while 2 MiB go through cat: as test_eintr_storm, valgrind\
 spends its time delivering the signals and the run makes no progress"
skip test-stream "test_signals_meanwhile (no pidfd)" "the same"
skip test-hostile "argv: argument larger than MAX_ARG_STRLEN (E2BIG)" "E2BIG: $why_exec_failed"
skip test-hostile "env: value larger than MAX_ARG_STRLEN (E2BIG)" "E2BIG: $why_exec_failed"
skip test-hostile "ETXTBSY: binary held open for writing" "ETXTBSY: $why_exec_failed"
skip test-hostile "ETXTBSY: binary released 30 ms after the run starts" \
    "ETXTBSY: $why_exec_failed"
skip test-hostile "ETXTBSY: released after 30 ms, with a pidfile: the program still holds it" \
    "ETXTBSY: $why_exec_failed"
skip test-hostile "fd: pass_fd of fd RLIMIT_NOFILE" "$why_nofile, so that fd is open"
skip test-callerstate test_window_closed_to_the_new_user \
    "its children linger on ETXTBSY before exec: $why_exec_failed"
skip test-callerstate test_fork_during_window_gets_the_flag_back \
    "its children linger on ETXTBSY before exec: $why_exec_failed"

# Issue 17: the exec report read at once after a real vfork.
why_no_vfork="valgrind runs the child as a fork (no CLONE_VM, no CLONE_VFORK), so the child's"
why_no_vfork+=" mark is never seen and the start waits for the report pipe's EOF, as it must then,"
why_no_vfork+=" which the case's holder keeps off for 30 s: the case is about the real vfork"
skip test-vfork test_fork_meanwhile_holds_no_start_up "$why_no_vfork"
skip test-vfork test_fork_meanwhile_failure_still_reported "$why_no_vfork"
skip test-vfork test_reports_in_memory_after_a_real_vfork \
    "valgrind runs the child as a fork, so no real vfork is ever seen and every child reports\
 through a pipe, as it must then: the case is about the children after a real vfork"

# Issue 14, confinement.
skip test-confine test_seccomp_governs_the_last_steps \
    "valgrind's own scheduler in the child makes the rt_sigprocmask and execve calls the filter denies"
skip test-confine test_landlock_missing \
    "$why_forked_part; and valgrind knows no Landlock system call (ENOSYS: the Landlock cases skip)"

# The cases skipped in one program, one a line (T_CMOCKA_SKIP); with "why", their reasons.
skips_for() {
    local i
    for i in "${!skip_programs[@]}"; do
        [ "${skip_programs[$i]}" = "$1" ] || continue
        if [ "${2:-}" = why ]; then
            printf '  %s: %s\n' "${skip_cases[$i]}" "${skip_reasons[$i]}"
        else
            printf '%s\n' "${skip_cases[$i]}"
        fi
    done
}

# ---- wrapper mode: meson test runs each program as: ci-valgrind.sh --wrap LOGDIR SHIM CMD...
if [ "${1:-}" = --wrap ]; then
    logdir=$2
    shim=$3
    shift 3
    name=$(basename "$1")
    log="$logdir/$name.log"
    skip=$(skips_for "$name")
    if [ -n "$skip" ]; then
        echo "ci-valgrind: skipping in $name:" >&2
        skips_for "$name" why >&2
    fi
    T_CMOCKA_SKIP="$skip" LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}" \
        valgrind --tool=memcheck --track-fds=yes --error-exitcode=1 --leak-check=full \
        --child-silent-after-fork=yes --fair-sched=yes --log-file="$log" "$@"
    rc=$?
    cat "$log" >&2
    # "Open file descriptor N: ..." (or "Open AF_UNIX socket N: ...") then either
    # "<inherited from parent>" or the stack that opened it.
    leaked=$(awk '
        / Open .* [0-9]+:/ { pending = $0; next }
        pending != "" { if ($0 !~ /inherited from parent/) print pending; pending = "" }
    ' "$log")
    if [ -n "$leaked" ]; then
        echo "ci-valgrind: $name left fds open that it opened itself:" >&2
        echo "$leaked" >&2
        [ "$rc" -ne 0 ] || rc=1
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "ci-valgrind: $name failed (exit $rc)" >&2
    fi
    exit "$rc"
fi

# ---- main mode ------------------------------------------------------------------------------
ci_deps valgrind
builddir=${1:-build-valgrind}
abs=$(ci_abspath "$builddir")
ci_setup "$builddir" -Dwerror=true
# Only what the suites below need (meson test builds their programs); the hostile table also
# runs the CLI.
ci_compile "$builddir" tools/subproc:executable
shim="$abs/cmocka-skip.so"
cc -shared -fPIC -O1 -Wall -Wextra -Werror tests/stress/cmocka-skip.c -o "$shim" -ldl || ci_fail
logdir="$abs/valgrind-logs"
rm -rf "$logdir"
mkdir -p "$logdir"
# valgrind runs threads one at a time and each spawn some 20 times slower: a smaller stress
# (8 threads x 40 spawns; 8 x 500 run in the gcc build, the full 8 x 2,000 under TSan).
export SUBPROC_STRESS_SPAWNS=${SUBPROC_STRESS_SPAWNS:-40}
# The hostile table's hang guard (20 s a row) times 5: the row that places 800 fds took longer
# under valgrind on a loaded machine.
export SUBPROC_TEST_HANG_SCALE=${SUBPROC_TEST_HANG_SCALE:-5}

meson test -C "$builddir" --print-errorlogs --num-processes 2 --timeout-multiplier 10 \
    --logbase testlog-valgrind \
    --wrapper "bash $PWD/scripts/ci-valgrind.sh --wrap $logdir $shim" \
    --suite core --suite lifetime --suite supervise --suite hostile --suite stress
status=$?
# meson names the log after the wrapper too: testlog-valgrind-bash.json.
log=$(ls -t "$builddir"/meson-logs/testlog-valgrind*.json 2>/dev/null | head -n 1)
ci_finish_tests "${log:-/nonexistent}" "$status"
