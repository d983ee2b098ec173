# Issue 15: timeout(1) and start-stop-daemon(8) parity: -s/--signal, --preserve-status,
# --foreground; --stop --signal, --retry, --oknodo, --name/--user/--exec matching of
# unlocked pidfiles, --status LSB codes.  Where the real tool is here, each translation row
# of subproc(1) is run both ways and must give the same exit status.
. "$(dirname "$0")/lib.sh" "$@"

stop_all() {
    local f
    for f in "$TMP"/*.pid; do
        [ -e "$f" ] && "$SUBPROC" --stop "$f" --oknodo 2>/dev/null
    done
    cleanup
}
trap stop_all EXIT

# same_status NAME 'REFERENCE' 'SUBPROC COMMAND': both exit with the same status (the
# reference tool's, when it is installed; else the one given as $want).
same_status() {
    local name=$1 ref=$2 ours=$3 want
    if [ -n "$ref" ]; then
        eval "$ref" </dev/null >/dev/null 2>&1
        want=$?
    else
        want=$WANT
    fi
    run eval "$ours"
    if [ "$RC" = "$want" ]; then
        pass "$name (both $want)"
    else
        fail "$name" "subproc exited $RC, the reference $want" "stderr: $ERR"
    fi
}

TIMEOUT=$(command -v timeout || true)
SSD=$(command -v start-stop-daemon || true)
ref() { # ref CMD...: the reference command, or nothing when its tool is missing
    case $1 in
    timeout) [ -n "$TIMEOUT" ] && printf '%q ' "$@" ;;
    start-stop-daemon) [ -n "$SSD" ] && printf '%q ' "$@" ;;
    esac
}

# ---- timeout(1) --------------------------------------------------------------------------

WANT=124 same_status "timeout DUR: 124" "$(ref timeout 0.2 sleep 10)" \
    '"$SUBPROC" --timeout 0.2 --process-group -- sleep 10'
WANT=7 same_status "timeout DUR, the program's own status" "$(ref timeout 10 sh -c 'exit 7')" \
    '"$SUBPROC" --timeout 10 -- sh -c "exit 7"'
WANT=137 same_status "timeout -s KILL: 137" "$(ref timeout -s KILL 0.2 sleep 10)" \
    '"$SUBPROC" -s KILL --timeout 0.2 -- sleep 10'
WANT=124 same_status "timeout -s HUP: 124" "$(ref timeout -s HUP 0.2 sleep 10)" \
    '"$SUBPROC" --signal HUP --timeout 0.2 -- sleep 10'
WANT=129 same_status "timeout -s HUP --preserve-status: 129" \
    "$(ref timeout -s HUP --preserve-status 0.2 sleep 10)" \
    '"$SUBPROC" -s SIGHUP --preserve-status --timeout 0.2 -- sleep 10'
WANT=143 same_status "timeout --preserve-status: 143" "$(ref timeout --preserve-status 0.2 sleep 10)" \
    '"$SUBPROC" --preserve-status --timeout 0.2 -- sleep 10'
HANDLE_INT='trap "exit 3" INT; sleep 10 & wait'
WANT=3 same_status "timeout -s INT --preserve-status, handled: the program's 3" \
    "$(ref timeout -s INT --preserve-status 0.2 sh -c "$HANDLE_INT")" \
    '"$SUBPROC" -s INT --preserve-status --timeout 0.2 -- sh -c "$HANDLE_INT"'
WANT=124 same_status "timeout -s INT, handled: 124" \
    "$(ref timeout -s INT 0.2 sh -c "$HANDLE_INT")" \
    '"$SUBPROC" -s INT --timeout 0.2 -- sh -c "$HANDLE_INT"'
# TERM ignored from the exec on: a shell's `trap "" TERM` can come after a loaded machine's
# deadline, and then TERM ends the program (143), not the KILL these cases are about.
IGNORE_TERM='env --ignore-signal=TERM sleep 5'
WANT=137 same_status "timeout -k: 137" "$(ref timeout -k 0.3 0.2 $IGNORE_TERM)" \
    '"$SUBPROC" --timeout 0.2 --kill-after 0.3 -- $IGNORE_TERM'
WANT=137 same_status "timeout --preserve-status -k: 137" \
    "$(ref timeout --preserve-status -k 0.3 0.2 $IGNORE_TERM)" \
    '"$SUBPROC" --preserve-status --timeout 0.2 --kill-after 0.3 -- $IGNORE_TERM'
WANT=124 same_status "timeout --foreground: 124" "$(ref timeout --foreground 0.2 sleep 10)" \
    '"$SUBPROC" --foreground --timeout 0.2 -- sleep 10'

# The signal chosen is the one sent (not TERM): the program says which it got.
run "$SUBPROC" -s USR1 --timeout 0.2 -- sh -c "trap 'echo USR1 >\"$TMP/got\"; exit 0' USR1
    trap 'echo TERM >\"$TMP/got\"; exit 0' TERM; sleep 10 & wait"
check "-s USR1: the program gets USR1 at the deadline, and 124" \
    '[ "$RC" = 124 ] && [ "$(cat "$TMP/got")" = USR1 ]'
run "$SUBPROC" -v -s USR1 --timeout 0.2 -- sleep 10
check "-v names the signal sent" '[ "$RC" = 124 ] && [[ $ERR == *"was sent signal 10"* ]]'

# --foreground (the default): the program stays in our process group, and what it started
# is not timed out; with --process-group (timeout(1)'s default) the whole group goes.
GRANDCHILD="sleep 1000 & echo \$! >\"$TMP/gc\"; cut -d' ' -f5 /proc/\$\$/stat >\"$TMP/pg\"; wait"
run "$SUBPROC" --foreground --timeout 0.3 -- sh -c "$GRANDCHILD"
gc=$(cat "$TMP/gc")
remember_pid "$gc"
check "--foreground: 124, the program in subproc's process group, its child not timed out" \
    '[ "$RC" = 124 ] && [ "$(cat "$TMP/pg")" = "$(cut -d" " -f5 /proc/$$/stat)" ] && is_alive "$gc"'
kill "$gc" 2>/dev/null
run "$SUBPROC" --process-group --timeout 0.3 -- sh -c "$GRANDCHILD"
gc=$(cat "$TMP/gc")
remember_pid "$gc"
check "--process-group (timeout's default): the program's child is timed out too" \
    '[ "$RC" = 124 ] && wait_for 5000 is_gone "$gc"'

# Refusals: clear, before anything runs.
run "$SUBPROC" --foreground --process-group --timeout 1 -- true
expect_err "--foreground with --process-group: 125" 125 "contradicts --process-group"
run "$SUBPROC" --foreground --new-session --timeout 1 -- true
expect_err "--foreground with --new-session: 125" 125 "contradicts"
run "$SUBPROC" -s HUP -- true
expect_err "-s without --timeout or --stop: 125" 125 "--signal goes with --timeout"
run "$SUBPROC" --preserve-status -- true
expect_err "--preserve-status without --timeout: 125" 125 "--preserve-status goes with --timeout"
run "$SUBPROC" --foreground -- true
expect_err "--foreground without --timeout: 125" 125 "--foreground goes with --timeout"
for bad in FOO 0 65 SIG ''; do
    run "$SUBPROC" -s "$bad" --timeout 1 -- true
    expect_err "-s '$bad': 125, naming it" 125 "invalid signal '$bad' for --signal"
done
run "$SUBPROC" --preserve-status --status "$TMP/x.pid"
expect_err "--preserve-status with --status: 125" 125 "go with --timeout"

# ---- start-stop-daemon: --oknodo and --status ---------------------------------------------

WANT=1 same_status "--stop of a missing pidfile: 1 (nothing done)" \
    "$(ref start-stop-daemon --stop --pidfile "$TMP/none.pid")" '"$SUBPROC" --stop "$TMP/none.pid"'
WANT=0 same_status "--stop --oknodo of a missing pidfile: 0" \
    "$(ref start-stop-daemon --stop --oknodo --pidfile "$TMP/none.pid")" \
    '"$SUBPROC" --stop "$TMP/none.pid" --oknodo'
check "--oknodo says nothing" '[ -z "$ERR" ]'
WANT=3 same_status "--status of a missing pidfile: 3" \
    "$(ref start-stop-daemon --status --pidfile "$TMP/none.pid")" '"$SUBPROC" --status "$TMP/none.pid"'
true &
dead=$!
wait "$dead"
stale() { echo "$dead" >"$TMP/stale.pid"; }
stale
WANT=1 same_status "--status of a stale pidfile: 1" \
    "$(ref start-stop-daemon --status --pidfile "$TMP/stale.pid")" '"$SUBPROC" --status "$TMP/stale.pid"'
stale
WANT=1 same_status "--stop of a stale pidfile: 1" \
    "$(ref start-stop-daemon --stop --pidfile "$TMP/stale.pid")" \
    'stale; "$SUBPROC" --stop "$TMP/stale.pid"'
stale
WANT=0 same_status "--stop --oknodo of a stale pidfile: 0" \
    "$(ref start-stop-daemon --stop --oknodo --pidfile "$TMP/stale.pid")" \
    'stale; "$SUBPROC" --stop "$TMP/stale.pid" --oknodo'

# A daemon that writes its own pidfile, unlocked (nginx, sshd): a shell loop that logs every
# signal it gets.  Its name (comm) is sh.  unlocked_daemon FILE [PREFIX...]
LOGGER='for s in HUP INT USR1 USR2 TERM; do trap "echo $s >>\"$0.log\"" $s; done
    echo $$ >"$0"; while :; do sleep 0.05; done'
unlocked_daemon() {
    local f=$1
    shift
    rm -f "$f" "$f.log"
    "$@" "$SUBPROC" -d -- sh -c "$LOGGER" "$f"
    wait_for 5000 file_has_content "$f"
    remember_pid "$(cat "$f")"
}
SH_NAME=$(sh -c 'cat /proc/$$/comm')
SH_EXE=$(readlink -f "$(command -v sh)")
ME=$(id -u)

unlocked_daemon "$TMP/u.pid"
u=$(cat "$TMP/u.pid")
run "$SUBPROC" --status "$TMP/u.pid" --name "$SH_NAME"
expect "--status --name matching: 0 and its pid" 0 "$u"
run "$SUBPROC" --status "$TMP/u.pid" --name "$SH_NAME" --user "$ME" --exec "$SH_EXE"
expect "--status --name --user --exec all matching: 0" 0 "$u"
run "$SUBPROC" --status "$TMP/u.pid" --name nginx
expect "--status --name another name: 1 (not running)" 1 ""
run "$SUBPROC" --status "$TMP/u.pid"
expect_err "--status with nothing to match: 4 (cannot tell), as before" 4 "does not hold"
if [ -n "$SSD" ]; then
    run "$SSD" --status --pidfile "$TMP/u.pid" --name "$SH_NAME"
    expect "start-stop-daemon agrees: 0" 0
fi

# Not matching: nobody is signalled, the process runs on and logs nothing.
for m in "--name nginx" "--exec /bin/sleep" "--user 4242" "--name $SH_NAME --user 4242" \
    "--name $SH_NAME --exec /bin/sleep"; do
    # shellcheck disable=SC2086
    run "$SUBPROC" --stop "$TMP/u.pid" $m
    check "--stop $m not matching: 1, nothing signalled, it runs" \
        '[ "$RC" = 1 ] && [[ $ERR == *"nothing stopped"* ]] && is_alive "$u" && [ ! -e "$TMP/u.pid.log" ]'
    echo "$u" >"$TMP/u.pid" # a stale file is removed: put it back
done
for m in "--name nginx" "--user 4242"; do
    # shellcheck disable=SC2086
    run "$SUBPROC" --stop "$TMP/u.pid" $m --signal HUP
    check "--stop --signal HUP $m not matching: 1, nothing signalled" \
        '[ "$RC" = 1 ] && is_alive "$u" && [ ! -e "$TMP/u.pid.log" ]'
done

# --stop --signal without --retry: one signal, no wait, the file kept (a reload).
run "$SUBPROC" --stop "$TMP/u.pid" --name "$SH_NAME" --signal HUP
check "--stop --signal HUP: 0, it got HUP, runs on, file kept" \
    '[ "$RC" = 0 ] && wait_for 5000 file_has_content "$TMP/u.pid.log" && [ "$(cat "$TMP/u.pid.log")" = HUP ] && is_alive "$u" && [ -e "$TMP/u.pid" ]'
# --retry: the logger survives TERM (it logs it): TERM/0.3 runs out, exit 2, still alive.
run "$SUBPROC" --stop "$TMP/u.pid" --user "$ME" --retry TERM/0.3
check "--retry TERM/0.3 on a program that survives TERM: 2, alive, file kept, said why" \
    '[ "$RC" = 2 ] && is_alive "$u" && [ -e "$TMP/u.pid" ] && [[ $ERR == *"still runs after the last step"* ]] && grep -qx TERM "$TMP/u.pid.log"'
if [ -n "$SSD" ]; then
    run "$SSD" --stop --pidfile "$TMP/u.pid" --user "$ME" --retry TERM/1
    check "start-stop-daemon agrees: 2" '[ "$RC" = 2 ] && is_alive "$u"'
fi
run "$SUBPROC" --stop "$TMP/u.pid" --name "$SH_NAME" --retry USR1/0.2/-KILL/5
check "--retry USR1/0.2/-KILL/5: 0, it got USR1, then KILL ended it, file removed" \
    '[ "$RC" = 0 ] && wait_for 5000 is_gone "$u" && grep -qx USR1 "$TMP/u.pid.log" && [ ! -e "$TMP/u.pid" ]'
# A bare timeout N is SIGNAL/N/KILL/N, SIGNAL from --signal.
unlocked_daemon "$TMP/u.pid"
u=$(cat "$TMP/u.pid")
run "$SUBPROC" --stop "$TMP/u.pid" --exec "$SH_EXE" --signal USR2 --retry 1
check "--signal USR2 --retry 1: USR2, then KILL a second later: 0, gone" \
    '[ "$RC" = 0 ] && wait_for 5000 is_gone "$u" && grep -qx USR2 "$TMP/u.pid.log" && ! grep -qx TERM "$TMP/u.pid.log"'
WANT=1 same_status "--retry of a stale pidfile: 1" \
    "$(ref start-stop-daemon --stop --pidfile "$TMP/u.pid" --retry 1)" \
    '"$SUBPROC" --stop "$TMP/u.pid" --retry 1'

# A daemon that writes its own pidfile (FILE) and becomes `sleep 30`; its pid in $daemon_pid
# once it is sleep (matched by --name before its exec, it is still sh: nothing is stopped).
sleep_daemon() {
    local file=$1
    "$SUBPROC" -d -- sh -c "echo \$\$ >'$file'; exec sleep 30"
    wait_for 5000 file_has_content "$file"
    daemon_pid=$(cat "$file")
    remember_pid "$daemon_pid"
    wait_for 5000 runs_sleep "$daemon_pid"
}
runs_sleep() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = sleep ]; }
runs_exe() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }
# Whether process $1 has a handler for SIGTERM (bit 15 of SigCgt in its status).
catches_term() {
    local cgt
    cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
    [ -n "$cgt" ] && [ $((0x$cgt & 0x4000)) -ne 0 ]
}

# A plain sleep that TERM ends: --retry TERM/5 is 0, and start-stop-daemon's row too.
if [ -n "$SSD" ]; then
    sleep_daemon "$TMP/s.pid"
    s=$daemon_pid
    run "$SSD" --stop --pidfile "$TMP/s.pid" --name sleep --retry TERM/5
    check "start-stop-daemon --stop --name --retry TERM/5: 0" '[ "$RC" = 0 ] && wait_for 5000 is_gone "$s"'
fi
sleep_daemon "$TMP/s.pid"
s=$daemon_pid
run "$SUBPROC" --stop "$TMP/s.pid" --name sleep --retry TERM/5
check "--stop --name sleep --retry TERM/5: 0, gone, file removed" \
    '[ "$RC" = 0 ] && wait_for 5000 is_gone "$s" && [ ! -e "$TMP/s.pid" ]'

# start-stop-daemon --stop without --retry: one TERM, no wait; subproc --stop --signal TERM.
for tool in ssd subproc; do
    [ $tool = ssd ] && [ -z "$SSD" ] && continue
    sleep_daemon "$TMP/t.pid"
    t=$daemon_pid
    if [ $tool = ssd ]; then
        run "$SSD" --stop --pidfile "$TMP/t.pid" --name sleep
    else
        run "$SUBPROC" --stop "$TMP/t.pid" --name sleep --signal TERM
    fi
    check "$tool: --stop --name sleep, one TERM: 0, it is gone" '[ "$RC" = 0 ] && wait_for 5000 is_gone "$t"'
    rm -f "$TMP/t.pid"
done

# A locked pidfile (subproc -d -p) keeps its rules; --name must match its holder too.
"$SUBPROC" -d -p "$TMP/l.pid" -- sh -c "$LOGGER" "$TMP/l.log.pid"
l=$(cat "$TMP/l.pid")
remember_pid "$l"
run "$SUBPROC" --status "$TMP/l.pid" --name nginx
expect "--status of a locked holder with another name: 1 (not that service)" 1 ""
run "$SUBPROC" --stop "$TMP/l.pid" --name nginx
check "--stop of a locked holder with another name: 125, nobody signalled, file kept" \
    '[ "$RC" = 125 ] && [[ $ERR == *"not the process asked for"* ]] && is_alive "$l" && [ -e "$TMP/l.pid" ] && [ ! -e "$TMP/l.log.pid.log" ]'
run "$SUBPROC" --stop "$TMP/l.pid" --signal HUP
check "--stop --signal HUP of a locked daemon: 0, it got HUP and runs, file kept" \
    '[ "$RC" = 0 ] && wait_for 5000 file_has_content "$TMP/l.log.pid.log" && is_alive "$l" && [ -e "$TMP/l.pid" ]'
run "$SUBPROC" --stop "$TMP/l.pid" --name "$SH_NAME" --retry TERM/0.3/KILL/5
check "--stop --retry TERM/0.3/KILL/5 of the locked daemon: 0, gone, file removed" \
    '[ "$RC" = 0 ] && wait_for 5000 is_gone "$l" && [ ! -e "$TMP/l.pid" ]'
run "$SUBPROC" --stop "$TMP/l.pid" --oknodo
expect "then --stop --oknodo: 0" 0 ""

# --oknodo with a start (-p): a service already running is nothing to do (start-stop-daemon
# --start --oknodo); without it, 125 as before; a start that fails otherwise still fails.
"$SUBPROC" -d -p "$TMP/k.pid" -- sleep 30
k=$(cat "$TMP/k.pid")
remember_pid "$k"
run "$SUBPROC" -d -p "$TMP/k.pid" -- sleep 30
expect_err "-d -p of a running service: 125, naming the holder" 125 "is held by pid $k"
run "$SUBPROC" -d -p "$TMP/k.pid" --oknodo -- sleep 30
check "-d -p --oknodo of a running service: 0, silent, the holder unchanged" \
    '[ "$RC" = 0 ] && [ -z "$ERR" ] && [ "$(cat "$TMP/k.pid")" = "$k" ] && is_alive "$k"'
run "$SUBPROC" -p "$TMP/k.pid" --oknodo --timeout 5 -- sh -c 'echo ran >"$0"' "$TMP/ran"
check "-p --oknodo --timeout of a running service: 0, the program not run" \
    '[ "$RC" = 0 ] && [ ! -e "$TMP/ran" ]'
if [ -n "$SSD" ]; then
    run "$SSD" --start --oknodo --pidfile "$TMP/k.pid" --exec "$(command -v sleep)" -- 30
    expect "start-stop-daemon --start --oknodo of it: 0 too" 0
fi
run "$SUBPROC" -p "$TMP/k2.pid" --oknodo -- "$TMP/no-such-program"
expect_err "-p --oknodo of a program that is not there: 127 still" 127 "no-such-program"
"$SUBPROC" --stop "$TMP/k.pid"
run "$SUBPROC" --oknodo -- true
expect_err "--oknodo without --stop or -p: 125" 125 "--oknodo goes with --stop, or with -p"

# A pidfile others could write is refused as before, matching or not: nobody signalled.
unlocked_daemon "$TMP/w.pid"
w=$(cat "$TMP/w.pid")
chmod 666 "$TMP/w.pid"
run "$SUBPROC" --stop "$TMP/w.pid" --name "$SH_NAME" --retry TERM/1
check "--stop --name of a world-writable pidfile: 125, nothing signalled, file kept" \
    '[ "$RC" = 125 ] && [[ $ERR == *"writable by group or others"* ]] && is_alive "$w" && [ ! -e "$TMP/w.pid.log" ]'
run "$SUBPROC" --status "$TMP/w.pid" --name "$SH_NAME"
expect_err "--status --name of a world-writable pidfile: 4" 4 "writable by group or others"
kill -KILL "$w"

# pid 1 named by an unlocked pidfile: never signalled without a full match.
echo 1 >"$TMP/one.pid"
run "$SUBPROC" --stop "$TMP/one.pid" --name sleep --signal HUP
expect "--stop --signal HUP of pid 1 named sleep: 1, nothing done" 1 ""
echo 1 >"$TMP/one.pid"
run "$SUBPROC" --stop "$TMP/one.pid"
expect_err "--stop of pid 1 with nothing to match: refused (125)" 125 "does not hold"
rm -f "$TMP/one.pid"

if is_root && command -v setpriv >/dev/null; then
    # Somebody else's process (a logger run by nobody), named in root's pidfile: --user
    # root, or a name that differs, never signals it; --user nobody with its name does.
    chmod 711 "$TMP"
    mkdir -m 1777 "$TMP/pub"
    unlocked_daemon "$TMP/pub/n.pid" setpriv --reuid nobody --regid nogroup --clear-groups
    mv "$TMP/pub/n.pid" "$TMP/n.pid"
    n=$(cat "$TMP/n.pid")
    chown root "$TMP/n.pid"
    chmod 644 "$TMP/n.pid"
    for m in "--user root" "--user 0 --name $SH_NAME" "--user nobody --name sleep"; do
        # shellcheck disable=SC2086
        run "$SUBPROC" --stop "$TMP/n.pid" $m --retry TERM/1/KILL/1
        check "a process of nobody, --stop $m: 1, not signalled" \
            '[ "$RC" = 1 ] && is_alive "$n" && [ ! -e "$TMP/pub/n.pid.log" ]'
        echo "$n" >"$TMP/n.pid"
    done
    run "$SUBPROC" --status "$TMP/n.pid" --user nobody --name "$SH_NAME"
    expect "--status --user nobody --name: 0 and its pid" 0 "$n"
    run "$SUBPROC" --stop "$TMP/n.pid" --user nobody --name "$SH_NAME" --retry TERM/0.2/KILL/5
    check "--stop --user nobody --name: stopped (TERM logged, then KILL)" \
        '[ "$RC" = 0 ] && wait_for 5000 is_gone "$n" && grep -qx TERM "$TMP/pub/n.pid.log"'
else
    echo "# skipped: --user against another user's process needs root"
fi

# The daemon died and its pid went to another program (the pid recycled, made certain in a
# pid namespace of our own through ns_last_pid): matching by name or executable never
# signals the newcomer.  recycle_case FILE MATCH...
recycle_case() {
    local f=$1 daemon victim rc
    shift
    sleep 1000 &
    daemon=$!
    echo "$daemon" >"$f"
    kill "$daemon"
    wait "$daemon"
    echo $((daemon - 1)) >/proc/sys/kernel/ns_last_pid || return 10
    sh -c 'trap "echo TERM >>\"$0.log\"" TERM; while :; do sleep 0.05; done' "$f" &
    victim=$!
    [ "$victim" = "$daemon" ] || return 11
    "$SUBPROC" --stop "$f" "$@" --retry TERM/1/KILL/1 2>/dev/null
    rc=$?
    sleep 0.2
    is_alive "$victim" || return 12
    [ ! -e "$f.log" ] || return 13
    kill -KILL "$victim"
    return $rc
}
if is_root && unshare --pid --fork --mount-proc true 2>/dev/null; then
    export -f recycle_case is_alive
    for m in "--name sleep" "--exec $(command -v sleep)"; do
        # shellcheck disable=SC2086
        out=$(SUBPROC=$SUBPROC unshare --pid --fork --mount-proc bash -c 'recycle_case "$@"' _ \
            "$TMP/recycled.pid" $m 2>&1)
        rc=$?
        check "a recycled pid running another program, --stop $m: 1, not signalled ($out)" \
            '[ "$rc" = 1 ]'
        rm -f "$TMP/recycled.pid" "$TMP/recycled.pid.log"
    done
else
    echo "# skipped: the recycled pid case needs root and unshare --pid"
fi

# Review of issue 15: attacks on a daemon's own (unlocked, 0644) pidfile and on the schedule.
if is_root && command -v setpriv >/dev/null && command -v flock >/dev/null; then
    sleep_bin=$(readlink -f "$(command -v sleep)")
    mkdir -m 755 "$TMP/hijack"
    # nobody can read root's pidfile, so it can flock() it and run the same executable.
    "$sleep_bin" 1000 &
    real=$!
    remember_pid "$real"
    wait_for 5000 runs_exe "$real" "$sleep_bin"
    echo "$real" >"$TMP/hijack/d.pid"
    chmod 644 "$TMP/hijack/d.pid"
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        flock -x "$TMP/hijack/d.pid" "$sleep_bin" 1001 &
    locker=$!
    remember_pid "$locker"
    wait_for 5000 bash -c "pgrep -u nobody -xf '$sleep_bin 1001' >/dev/null"
    attacker=$(pgrep -u nobody -xf "$sleep_bin 1001")
    run "$SUBPROC" --stop "$TMP/hijack/d.pid" --exec "$sleep_bin"
    check "a stranger's lock on a daemon's own pidfile: --stop --exec refuses (125), nobody signalled" \
        '[ "$RC" = 125 ] && is_alive "$real" && is_alive "$attacker" && [ -e "$TMP/hijack/d.pid" ]'
    run "$SUBPROC" --stop "$TMP/hijack/d.pid" --exec "$sleep_bin" --user root
    check "... with --user root: the daemon the file names is stopped, the stranger left alone" \
        '[ "$RC" = 0 ] && wait_for 3000 is_gone "$real" && is_alive "$attacker"'
    kill "$locker" "$attacker" 2>/dev/null

    # A daemon that lets go of its lock on SIGTERM and goes on is not "stopped".
    "$SUBPROC" -d -p "$TMP/hijack/s.pid" -- /bin/bash -c \
        'trap "exec 3<&-; for f in /proc/\$\$/fd/*; do [ \"\$(readlink \$f)\" = \"'"$TMP"'/hijack/s.pid\" ] && eval \"exec \${f##*/}<&-\"; done" TERM; while :; do sleep 0.1; done'
    dropper=$(cat "$TMP/hijack/s.pid")
    remember_pid "$dropper"
    # Once its trap is set: a TERM before that ends it, and the stop rightly succeeds.
    wait_for 5000 catches_term "$dropper"
    run "$SUBPROC" --stop "$TMP/hijack/s.pid" --retry TERM/2/TERM/1
    check "a daemon that drops its lock on SIGTERM and runs on: --retry runs out (2)" \
        '[ "$RC" = 2 ] && is_alive "$dropper"'
    run "$SUBPROC" --stop "$TMP/hijack/s.pid" --retry TERM/1/KILL/5
    kill -9 "$dropper" 2>/dev/null

    # An executable upgraded under the daemon (renamed over, as dpkg does): matched by path.
    cp "$sleep_bin" "$TMP/hijack/mydaemon"
    "$TMP/hijack/mydaemon" 1000 &
    upgraded=$!
    remember_pid "$upgraded"
    # Running it, not still the shell's fork before the exec (which --exec would not match).
    wait_for 5000 runs_exe "$upgraded" "$TMP/hijack/mydaemon"
    echo "$upgraded" >"$TMP/hijack/u.pid"
    chmod 644 "$TMP/hijack/u.pid"
    cp "$sleep_bin" "$TMP/hijack/mydaemon.new" && mv "$TMP/hijack/mydaemon.new" "$TMP/hijack/mydaemon"
    run "$SUBPROC" --status "$TMP/hijack/u.pid" --exec "$TMP/hijack/mydaemon"
    check "--status --exec of a daemon whose executable was upgraded: 0, running" '[ "$RC" = 0 ]'
    run "$SUBPROC" --stop "$TMP/hijack/u.pid" --exec "$TMP/hijack/mydaemon"
    check "--stop --exec of it: 0, stopped" '[ "$RC" = 0 ] && wait_for 3000 is_gone "$upgraded"'
else
    echo "# skipped: the pidfile attacks need root, setpriv and flock"
fi

# Bad input: said, before anything is signalled.
for bad in TERM/x 5/TERM forever TERM/forever TERM/1/2 / FOO/1 -/1 TERM/-FOO 1x; do
    run "$SUBPROC" --stop "$TMP/none.pid" --retry "$bad"
    expect_err "--retry '$bad': 125, naming it" 125 "--retry"
done
run "$SUBPROC" --stop "$TMP/none.pid" --name ""
expect_err "--name '': 125" 125 "--name needs"
run "$SUBPROC" --stop "$TMP/none.pid" --user no-such-user-here
expect_err "--user unknown: 125" 125 "no such user"
run "$SUBPROC" --status "$TMP/none.pid" --retry 5
expect_err "--retry with --status: 125" 125 "go with --stop"
run "$SUBPROC" --name sleep -- true
expect_err "--name without --status/--stop: 125" 125 "only go with --status or --stop"
run "$SUBPROC" --stop "$TMP/none.pid" --signal 0
expect_err "--stop --signal 0: 125" 125 "invalid signal"

finish
