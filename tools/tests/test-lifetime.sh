# Supervision and lifetimes: --timeout and --kill-after as timeout(1), signals passed on to a
# supervised program, --exit-with-parent and --death-signal in place and supervised.
. "$(dirname "$0")/lib.sh" "$@"

# A program that ignores TERM (from its exec on: a shell's trap could come after the deadline)
# and has no child that could outlive it.
IGNORE_TERM='while :; do :; done'
# One that handles TERM by exiting 0.
HANDLE_TERM='trap "exit 0" TERM; while :; do :; done'

# 124 is the proof: sleep 10 ending by itself would give 0.  No bound on how fast.
run "$SUBPROC" --timeout 200ms -- sleep 10
expect "--timeout 200ms -- sleep 10 exits 124" 124

start=$(now_ms)
run "$SUBPROC" --timeout 200ms --kill-after 300ms -- env --ignore-signal=TERM sh -c "$IGNORE_TERM"
took=$(($(now_ms) - start))
# Not before 500 ms (timers never fire early); the upper bound only catches a hang.
check "a program ignoring TERM is killed after --kill-after: 137" \
    '[ "$RC" = 137 ] && [ "$took" -ge 450 ] && [ "$took" -lt 20000 ]'

run "$SUBPROC" --timeout 200ms -- sh -c "$HANDLE_TERM"
expect "a program that handles TERM and exits 0 still gives 124, as timeout(1)" 124
run "$SUBPROC" --timeout 200ms --kill-after 5s -- sh -c "$HANDLE_TERM"
expect "with --kill-after unused, a timeout still gives 124" 124
run "$SUBPROC" -v --timeout 0.2s -- sleep 10
check "-v logs the command line, then says that the program timed out" \
    '[ "$RC" = 124 ] && [[ $ERR == "sleep 10${NL}subproc: sleep 10 timed out after 200 ms"* ]]'
run "$SUBPROC" --timeout 0 -- sh -c 'exit 3'
expect "--timeout 0 disables the timeout (and the program's code is ours)" 3
run "$SUBPROC" --timeout 1h -- sh -c 'echo quick'
expect "a program ending before its timeout gives its own status" 0 quick

# Signals sent to a supervising subproc reach the program, which dies of them: 128+15.
"$SUBPROC" --timeout 60s -- sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 30' sh "$TMP/fwd.pid" &
tool=$!
remember_pid "$tool"
wait_for 20000 file_has_content "$TMP/fwd.pid"
program=$(cat "$TMP/fwd.pid")
remember_pid "$program"
kill -TERM "$tool"
wait "$tool"
rc=$?
check "TERM sent to a supervising subproc is passed on: it exits 143" \
    '[ "$rc" = 143 ] && is_gone "$program"'

# Every signal that would end subproc is passed on, not only the usual five (timeout(1) does
# the same): one that killed subproc would leave the program running with no timeout.
# check_forwarded SIGNAL NUMBER
check_forwarded() {
    local sig=$1 num=$2 tool program rc
    rm -f "$TMP/fwd.pid"
    "$SUBPROC" --timeout 60s -- sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 30' sh "$TMP/fwd.pid" &
    tool=$!
    remember_pid "$tool"
    if ! wait_for 20000 file_has_content "$TMP/fwd.pid"; then
        fail "SIG$sig sent to a supervising subproc is passed on" "the program did not start"
        return
    fi
    program=$(cat "$TMP/fwd.pid")
    remember_pid "$program"
    kill -s "$sig" "$tool"
    wait "$tool"
    rc=$?
    check "SIG$sig sent to a supervising subproc is passed on: it exits $((128 + num))" \
        '[ "$rc" = $((128 + num)) ] && is_gone "$program"'
}
check_forwarded ALRM 14
check_forwarded PIPE 13
check_forwarded XCPU 24
check_forwarded VTALRM 26
check_forwarded PROF 27
check_forwarded USR2 12
rtmin=$(kill -l RTMIN 2>/dev/null)
[ -n "$rtmin" ] && check_forwarded RTMIN+1 $((rtmin + 1))
# Sent by a process, SIGSEGV is a signal like any other (only a fault of our own is not).
check_forwarded SEGV 11

# A stopped program still ends at the timeout: SIGCONT follows the SIGTERM.  The outer
# timeout(1) only catches a hang (subproc would wait for ever); 137 is its SIGKILL.
rm -f "$TMP/stopped.pid"
run timeout -s KILL 20 "$SUBPROC" --timeout 200ms -- sh -c 'echo $$ >"$1"; kill -STOP $$; exit 0' sh "$TMP/stopped.pid"
[ -s "$TMP/stopped.pid" ] && remember_pid "$(cat "$TMP/stopped.pid")"
expect "a program stopped by SIGSTOP is ended by the timeout (124), not waited for for ever" 124
rm -f "$TMP/stopped.pid"
run timeout -s KILL 20 "$SUBPROC" --process-group --timeout 200ms -- \
    sh -c 'echo $$ >"$1"; kill -TTIN $$; exit 0' sh "$TMP/stopped.pid"
[ -s "$TMP/stopped.pid" ] && remember_pid "$(cat "$TMP/stopped.pid")"
expect "--process-group: a program stopped by SIGTTIN is ended by the timeout (124)" 124

# Started with SIGCHLD ignored (the kernel would then reap the program for us), subproc still
# supervises: it reaps its own children, and the program keeps SIGCHLD ignored.
chld_ignored() {
    bash -c 'trap "" CHLD; exec "$@"' bash "$@"
}
run chld_ignored "$SUBPROC" --timeout 30s -- sh -c 'exit 3'
expect "started with SIGCHLD ignored, a supervised run gives the program's status" 3
run chld_ignored "$SUBPROC" --timeout 200ms -- sleep 10
expect "started with SIGCHLD ignored, the timeout still gives 124" 124
run chld_ignored "$SUBPROC" --timeout 30s -- sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status
check "started with SIGCHLD ignored: the program (supervised) gets it ignored too" \
    '[ "$RC" = 0 ] && ((0x$OUT >> 16 & 1))'
run chld_ignored "$SUBPROC" --reset-signals --timeout 30s -- sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status
check "started with SIGCHLD ignored, --reset-signals: the program gets SIGCHLD at default" \
    '[ "$RC" = 0 ] && [ "$((0x$OUT))" = 0 ]'

# -v with stderr a pipe nobody reads: the log line is lost, the program still runs.  A FIFO
# opened for reading and writing, then writing only, then the reader closed, makes one
# without racing a reader's exit.
mkfifo "$TMP/fifo"
exec 8<>"$TMP/fifo" 9>"$TMP/fifo" 8<&-
rm -f "$TMP/ran"
"$SUBPROC" -v -- sh -c 'echo ran >"$1"; exit 3' sh "$TMP/ran" 2>&9
rc=$?
check "-v with stderr a closed pipe: the program runs, its status is ours (in place)" \
    '[ "$rc" = 3 ] && [ -s "$TMP/ran" ]'
rm -f "$TMP/ran"
"$SUBPROC" -v --timeout 30s -- sh -c 'echo ran >"$1"; exit 3' sh "$TMP/ran" 2>&9
rc=$?
check "-v with stderr a closed pipe: the program runs, its status is ours (supervised)" \
    '[ "$rc" = 3 ] && [ -s "$TMP/ran" ]'
"$SUBPROC" -v --timeout 200ms -- sleep 10 2>&9
rc=$?
check "-v with stderr a closed pipe: a timeout still gives 124" '[ "$rc" = 124 ]'
rm -f "$TMP/ran"
"$SUBPROC" -v -d -- sh -c 'echo ran >"$1"' sh "$TMP/ran" 2>&9
rc=$?
check "-v -d with stderr a closed pipe: the daemon starts, subproc exits 0" \
    '[ "$rc" = 0 ] && wait_for 20000 file_has_content "$TMP/ran"'
"$SUBPROC" --timeout 30s -- "$TMP/nonexistent" 2>&9
rc=$?
check "with stderr a closed pipe, an error still gives its status (127), not SIGPIPE's" '[ "$rc" = 127 ]'
exec 9>&-

# The program's parent is SIGKILLed: the program (in place) is gone within a second.
# check_dies_with_parent NAME [OPTION]...
check_dies_with_parent() {
    local name=$1 parent program tool deadline
    shift
    rm -f "$TMP/ewp.pid" "$TMP/ewp.tool"
    bash -c '"$1" "${@:4}" -- sh -c "trap \"\" TERM; echo \$\$ >$2.tmp; mv $2.tmp $2; exec sleep 30" &
             echo $! >"$3"; wait' \
        bash "$SUBPROC" "$TMP/ewp.pid" "$TMP/ewp.tool" "$@" &
    parent=$!
    remember_pid "$parent"
    if ! wait_for 20000 file_has_content "$TMP/ewp.pid"; then
        fail "$name" "the program did not start"
        return
    fi
    program=$(cat "$TMP/ewp.pid")
    tool=$(cat "$TMP/ewp.tool")
    remember_pid "$program" "$tool"
    { kill -KILL "$parent"; wait "$parent"; } 2>/dev/null
    # The death signal comes at once; the bound only catches one that never comes.
    if wait_for 10000 is_gone "$program" && wait_for 10000 is_gone "$tool"; then
        pass "$name"
    else
        fail "$name" "program $program or subproc $tool still alive 10 s after the parent died"
    fi
}

# The program ignores TERM here, so --death-signal KILL is what ends it.
check_dies_with_parent "--death-signal KILL: the program dies with subproc's parent (in place)" \
    --death-signal KILL
check_dies_with_parent "--death-signal KILL --exit-with-parent, supervised: both die with the parent" \
    --exit-with-parent --death-signal KILL --timeout 60s

# And with the default TERM, for a program that does not ignore it.
rm -f "$TMP/plain.pid"
bash -c '"$1" --exit-with-parent -- sh -c "echo \$\$ >$2.tmp; mv $2.tmp $2; exec sleep 30" & wait' \
    bash "$SUBPROC" "$TMP/plain.pid" &
parent=$!
remember_pid "$parent"
wait_for 20000 file_has_content "$TMP/plain.pid"
program=$(cat "$TMP/plain.pid")
remember_pid "$program"
{ kill -KILL "$parent"; wait "$parent"; } 2>/dev/null
check "--exit-with-parent: the program (in place) gets TERM when the parent dies" \
    'wait_for 10000 is_gone "$program"'

# Supervised, subproc itself SIGKILLed: the program's death signal ends it.
rm -f "$TMP/sup.pid"
"$SUBPROC" --exit-with-parent --timeout 60s -- sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 30' sh "$TMP/sup.pid" &
tool=$!
remember_pid "$tool"
wait_for 20000 file_has_content "$TMP/sup.pid"
program=$(cat "$TMP/sup.pid")
remember_pid "$program"
{ kill -KILL "$tool"; wait "$tool"; } 2>/dev/null
check "--exit-with-parent, supervised: the program dies when subproc is killed" \
    'wait_for 10000 is_gone "$program"'

# Without any of these, the program outlives its parent.
rm -f "$TMP/free.pid"
bash -c '"$1" -- sh -c "echo \$\$ >$2.tmp; mv $2.tmp $2; exec sleep 30" & wait' \
    bash "$SUBPROC" "$TMP/free.pid" &
parent=$!
remember_pid "$parent"
wait_for 20000 file_has_content "$TMP/free.pid"
program=$(cat "$TMP/free.pid")
remember_pid "$program"
{ kill -KILL "$parent"; wait "$parent"; } 2>/dev/null
check "without --exit-with-parent the program outlives its parent" \
    '! wait_for 300 is_gone "$program"'
kill -KILL "$program" 2>/dev/null

finish
