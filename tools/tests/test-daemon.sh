# Daemons and pidfiles: -d, -p, --status, --stop.
. "$(dirname "$0")/lib.sh" "$@"

# Stop every daemon whose pidfile we made, even when a case failed half-way.
stop_daemons() {
    local f
    for f in "$TMP"/*.pid; do
        [ -e "$f" ] && "$SUBPROC" --stop "$f" 2>/dev/null
    done
    cleanup
}
trap stop_daemons EXIT

state_of() {
    stat -c '%i %s %Y' "$1" && cat "$1"
}

PID=$TMP/d.pid
run "$SUBPROC" -d -p "$PID" -- sleep 30
check "-d -p starts a daemon, prints nothing and exits 0" '[ "$RC" = 0 ] && [ -z "$OUT" ] && [ -z "$ERR" ]'
daemon=$(cat "$PID")
remember_pid "$daemon"
check "the pidfile holds the pid of a live sleep" \
    '[[ $daemon =~ ^[0-9]+$ ]] && is_alive "$daemon" && [ "$(cat /proc/$daemon/comm)" = sleep ]'
# Fields of /proc/PID/stat (comm is "(sleep)" or "(bash)": no space): 4 ppid, 5 pgrp, 6 session.
stat_field() {
    cut -d" " -f"$2" "/proc/$1/stat"
}
check "the daemon is in a session of its own (not leading it) and is not our child" \
    '[ "$(stat_field "$daemon" 6)" != "$(stat_field $$ 6)" ] && [ "$(stat_field "$daemon" 6)" != "$daemon" ] &&
     [ "$(stat_field "$daemon" 5)" = "$(stat_field "$daemon" 6)" ] && [ "$(stat_field "$daemon" 4)" != $$ ]'
check "the daemon's stdio is /dev/null and its cwd is /" \
    '[ "$(readlink /proc/$daemon/fd/0 /proc/$daemon/fd/1 /proc/$daemon/fd/2 | sort -u)" = /dev/null ] &&
     [ "$(readlink /proc/$daemon/cwd)" = / ]'

run "$SUBPROC" --status "$PID"
expect "--status of a running daemon prints its pid and exits 0" 0 "$daemon"

before=$(state_of "$PID")
run "$SUBPROC" -d -p "$PID" -- sleep 30
expect_err "a second daemon on the same pidfile fails with 125, naming the holder" 125 \
    "^subproc: pidfile .*d\.pid is held by pid $daemon\$"
check "the held pidfile is left untouched" '[ "$(state_of "$PID")" = "$before" ] && is_alive "$daemon"'
run "$SUBPROC" -p "$PID" -- true
expect_err "a program in place cannot take a held pidfile either" 125 "is held by pid $daemon"

run "$SUBPROC" --stop "$PID"
check "--stop ends the daemon and removes the pidfile" \
    '[ "$RC" = 0 ] && [ -z "$ERR" ] && is_gone "$daemon" && [ ! -e "$PID" ]'
run "$SUBPROC" --status "$PID"
expect "--status of a removed pidfile exits 3 (LSB: not running, no pidfile), prints nothing" 3 ""
run "$SUBPROC" --stop "$PID"
expect "--stop of a missing pidfile exits 1, nothing done (start-stop-daemon's code)" 1 ""
run "$SUBPROC" --stop "$PID" --oknodo
expect "--stop --oknodo of a missing pidfile exits 0" 0 ""

# A pid that was ours and is gone (reaped).
true &
dead=$!
wait "$dead"
echo "$dead" >"$TMP/stale.pid"
run "$SUBPROC" --status "$TMP/stale.pid"
expect "--status of a pidfile nobody holds, naming a dead pid, exits 1 (LSB)" 1 ""
run "$SUBPROC" --stop "$TMP/stale.pid"
check "--stop of a stale pidfile just removes it (1: nothing was running)" '[ "$RC" = 1 ] && [ ! -e "$TMP/stale.pid" ]'
mkdir "$TMP/dir.pid"
run "$SUBPROC" --status "$TMP/dir.pid"
expect_err "--status of a directory: 4, cannot tell (LSB), naming it" 4 "dir\.pid"
rmdir "$TMP/dir.pid"
run "$SUBPROC" --status "$TMP/x.pid" -- true
expect_err "--status with a program is a usage error" 125 "take no program"

# A pidfile without -d: the program itself (in place) holds it.
"$SUBPROC" -p "$TMP/inplace.pid" -- sleep 30 &
tool=$!
remember_pid "$tool"
check "--pidfile without -d: the program in place holds it" \
    'wait_for 5000 eval "[ \"\$(\"\$SUBPROC\" --status \"\$TMP/inplace.pid\")\" = $tool ]"'
run "$SUBPROC" --stop "$TMP/inplace.pid"
{ wait "$tool"; } 2>/dev/null
rc=$?
check "--stop ends it: it died of TERM" '[ "$RC" = 0 ] && [ "$rc" = 143 ] && [ ! -e "$TMP/inplace.pid" ]'

# Supervised, the child holds it.
"$SUBPROC" --timeout 60s -p "$TMP/sup.pid" -- sleep 30 &
tool=$!
remember_pid "$tool"
wait_for 5000 file_has_content "$TMP/sup.pid"
child=$(cat "$TMP/sup.pid")
remember_pid "$child"
check "--pidfile under supervision is held by the program, not by subproc" \
    '[ "$child" != "$tool" ] && [ "$("$SUBPROC" --status "$TMP/sup.pid")" = "$child" ]'
"$SUBPROC" --stop "$TMP/sup.pid"
{ wait "$tool"; } 2>/dev/null
rc=$?
check "--stop of a supervised program: subproc exits 143" '[ "$rc" = 143 ]'

run "$SUBPROC" -v -d -p "$TMP/v.pid" -- sleep 30
daemon=$(cat "$TMP/v.pid")
remember_pid "$daemon"
check "-v -d logs the command line and the daemon's pid on stderr" \
    '[ "$RC" = 0 ] && [ -z "$OUT" ] && [ "$ERR" = "sleep 30${NL}subproc: daemon pid $daemon" ]'
"$SUBPROC" --stop "$TMP/v.pid"

mkdir "$TMP/work"
run "$SUBPROC" -d -C "$TMP/work" --stdout "$TMP/d.out" -- sh -c 'pwd; readlink /proc/$$/fd/0'
check "a daemon with -C and --stdout runs there and writes there" \
    'wait_for 5000 eval "[ \"\$(cat \"\$TMP/d.out\")\" = \"\$TMP/work\${NL}/dev/null\" ]"'
run "$SUBPROC" -d -- "$TMP/nonexistent"
expect_err "a daemon whose program is missing gives 127" 127 "nonexistent"
run "$SUBPROC" -d --timeout 1s -- true
expect_err "-d --timeout is a usage error" 125 "cannot supervise a daemon"
run "$SUBPROC" -d --exit-with-parent -- true
expect_err "-d --exit-with-parent is a usage error" 125 "contradict --daemon"
ln -s "$TMP/target" "$TMP/link.pid"
run "$SUBPROC" -d -p "$TMP/link.pid" -- sleep 30
check "a symlinked pidfile is refused (125), nothing started" \
    '[ "$RC" = 125 ] && [[ $ERR == "subproc: pidfile "*link.pid* ]] && [ ! -e "$TMP/target" ]'
rm -f "$TMP/link.pid"

# ---- issue 11: the kernel says who holds a pidfile; content is a hint ---------------------

# Item 7: a start that fails leaves no pidfile naming a process that never ran the program.
run "$SUBPROC" -d -p "$TMP/failed.pid" -- "$TMP/nonexistent"
check "a daemon whose program is missing: 127, and no pidfile left" \
    '[ "$RC" = 127 ] && [ ! -e "$TMP/failed.pid" ]'
run "$SUBPROC" -d -p "$TMP/failed.pid" -C "$TMP/nonexistent-dir" -- sleep 30
check "a daemon that cannot chdir: 125, and no pidfile left" \
    '[ "$RC" = 125 ] && [ ! -e "$TMP/failed.pid" ]'

run "$SUBPROC" -p "$TMP/failed.pid" -- "$TMP/nonexistent"
check "in place, a missing program: 127, and no pidfile left" \
    '[ "$RC" = 127 ] && [ ! -e "$TMP/failed.pid" ]'

# Items 2 and 8: pidfiles that others may write, or hard links, are refused by every mode.
echo 1 >"$TMP/w.pid"
chmod 666 "$TMP/w.pid"
run "$SUBPROC" -d -p "$TMP/w.pid" -- sleep 30
expect_err "-d -p on a world-writable pidfile: 125, naming why" 125 "writable by group or others"
run "$SUBPROC" --status "$TMP/w.pid"
expect_err "--status of a world-writable pidfile: 4, naming why" 4 "writable by group or others"
run "$SUBPROC" --stop "$TMP/w.pid"
check "--stop of a world-writable pidfile: 125, file left" \
    '[ "$RC" = 125 ] && [[ $ERR == *"writable by group or others"* ]] && [ -e "$TMP/w.pid" ]'
echo "precious" >"$TMP/other"
ln "$TMP/other" "$TMP/hl.pid"
run "$SUBPROC" -d -p "$TMP/hl.pid" -- sleep 30
check "-d -p on a hard-linked pidfile: 125, the other file untouched" \
    '[ "$RC" = 125 ] && [[ $ERR == *"hard links"* ]] && [ "$(cat "$TMP/other")" = precious ]'
run "$SUBPROC" --status "$TMP/hl.pid"
expect_err "--status of a hard-linked pidfile: 4" 4 "hard links"

# A daemon that writes its own pidfile without a lock (nginx, sshd): --stop never reports
# success for a process it did not stop; with --exec it stops the matched process.
SLEEP=$(command -v sleep)
run "$SUBPROC" -d -- sh -c "echo \$\$ >'$TMP/nolock.pid'; exec sleep 30"
wait_for 5000 file_has_content "$TMP/nolock.pid"
nolock=$(cat "$TMP/nolock.pid")
remember_pid "$nolock"
run "$SUBPROC" --status "$TMP/nolock.pid"
expect_err "--status of an unlocked pidfile whose pid runs: 4, cannot tell" 4 \
    "does not hold the pidfile's lock"
run "$SUBPROC" --stop "$TMP/nolock.pid"
check "--stop of an unlocked pidfile whose pid runs: refused (125), it runs, file kept" \
    '[ "$RC" = 125 ] && [[ $ERR == *"does not hold"* ]] && is_alive "$nolock" && [ -e "$TMP/nolock.pid" ]'
run "$SUBPROC" --status "$TMP/nolock.pid" --exec "$SLEEP"
expect "--status --exec matching its executable: 0 and its pid" 0 "$nolock"
run "$SUBPROC" --status "$TMP/nolock.pid" --exec /bin/sh
expect "--status --exec another executable: 1 (not running)" 1 ""
run "$SUBPROC" --stop "$TMP/nolock.pid" --exec "$SLEEP"
check "--stop --exec stops it and removes the file" \
    '[ "$RC" = 0 ] && wait_for 5000 is_gone "$nolock" && [ ! -e "$TMP/nolock.pid" ]'
run "$SUBPROC" --exec "$SLEEP" -- true
expect_err "--exec without --status/--stop is a usage error" 125 "--exec only goes with"

if is_root && command -v setpriv >/dev/null; then
    # --status as another user of root's daemon: its pidfile is private (0600), and its fds
    # would not be ours to see either.
    mkdir -m 755 "$TMP/pub"
    chmod 711 "$TMP"
    run "$SUBPROC" -d -p "$TMP/pub/r.pid" -- sleep 30
    rdaemon=$(cat "$TMP/pub/r.pid")
    remember_pid "$rdaemon"
    run setpriv --reuid nobody --regid nogroup --clear-groups "$SUBPROC" --status "$TMP/pub/r.pid"
    expect_err "--status as nobody of root's daemon: 4, cannot tell, saying why" 4 "Permission denied"
    # Made readable by hand: still cannot tell, its holder is not ours to see.
    chmod 644 "$TMP/pub/r.pid"
    run setpriv --reuid nobody --regid nogroup --clear-groups "$SUBPROC" --status "$TMP/pub/r.pid"
    expect_err "--status as nobody of root's daemon, pidfile 0644: 4, not ours to see" 4 "not ours to see"
    # Item 1: the daemon runs as nobody and cannot rewrite its pidfile through its fd (it
    # tries to write a victim's pid through every inherited fd).
    sleep 30 &
    victim=$!
    remember_pid "$victim"
    run "$SUBPROC" -v -d -p "$TMP/pub/n.pid" --uid nobody --gid nogroup -- sh -c \
        "for n in 3 4 5 6 7 8 9; do echo $victim >&\$n; done 2>/dev/null; exec sleep 30"
    ndaemon=${ERR##*daemon pid }
    remember_pid "$ndaemon"
    sleep 0.2
    check "a daemon run as nobody cannot write its pidfile through the inherited fd" \
        '[ "$(cat "$TMP/pub/n.pid")" = "$ndaemon" ] && [ "$("$SUBPROC" --status "$TMP/pub/n.pid")" = "$ndaemon" ]'
    run "$SUBPROC" --stop "$TMP/pub/n.pid"
    check "--stop stops it, and not the victim" \
        '[ "$RC" = 0 ] && wait_for 5000 is_gone "$ndaemon" && is_alive "$victim"'
    kill "$victim"
    "$SUBPROC" --stop "$TMP/pub/r.pid"
    # Not root: a user's own daemon is seen, stopped, and its file removed.
    mkdir -m 755 "$TMP/own"
    chown nobody "$TMP/own"
    as_nobody() {
        setpriv --reuid nobody --regid nogroup --clear-groups "$@"
    }
    run as_nobody "$SUBPROC" -v -d -p "$TMP/own/o.pid" -- sleep 30
    odaemon=${ERR##*daemon pid }
    remember_pid "$odaemon"
    run as_nobody "$SUBPROC" --status "$TMP/own/o.pid"
    expect "--status as nobody of its own daemon: 0 and its pid" 0 "$odaemon"
    run as_nobody "$SUBPROC" --stop "$TMP/own/o.pid"
    check "--stop as nobody of its own daemon: stopped, file removed" \
        '[ "$RC" = 0 ] && wait_for 5000 is_gone "$odaemon" && [ ! -e "$TMP/own/o.pid" ]'
fi

# Item 4: the lock passes to a grandchild and the pid in the file (the shell's) is recycled:
# --stop never signals the process that got the shell's pid; it stops the holder when told its
# executable (--exec), and refuses without.  The recycling is made
# certain in a pid namespace of our own, through ns_last_pid.
reuse_case() {
    local f=$1 shell victim holder rc st
    "$SUBPROC" -d -p "$f" -- sh -c 'sleep 1000 & exit 0' || return 10
    shell=$(cat "$f")
    wait_for 5000 eval '[ ! -e /proc/$shell ]' || return 11
    echo $((shell - 1)) >/proc/sys/kernel/ns_last_pid || return 12
    sleep 1000 &
    victim=$!
    [ "$victim" = "$shell" ] || return 13
    holder=$(pgrep -x -P 1 sleep | grep -vx "$victim" | head -1)
    st=$("$SUBPROC" --status "$f")
    # Not without the executable to match: the holder is not the pid the file names, and a
    # locked fd can be handed to any process.
    "$SUBPROC" --stop "$f" 2>/dev/null && return 25
    is_alive "$holder" || return 26
    "$SUBPROC" --stop "$f" --exec "$(command -v sleep)"
    rc=$?
    echo "status=$st holder=$holder stop=$rc"
    is_alive "$victim" || return 20
    wait_for 5000 is_gone "$holder" || return 21
    [ ! -e "$f" ] || return 22
    [ "$st" = "$holder" ] || return 23
    [ "$rc" = 0 ] || return 24
    kill "$victim"
    return 0
}
if is_root && unshare --pid --fork --mount-proc true 2>/dev/null; then
    # A holder this /proc does not show (asked from a pid namespace of our own): nothing can
    # be proven, so --status cannot tell and --stop refuses, the file and the holder kept.
    run "$SUBPROC" -d -p "$TMP/outside.pid" -- sleep 30
    outside=$(cat "$TMP/outside.pid")
    remember_pid "$outside"
    run unshare --pid --fork --mount-proc "$SUBPROC" --status "$TMP/outside.pid"
    expect_err "--status where the holder is not visible: 4, cannot tell" 4 "does not show us"
    run unshare --pid --fork --mount-proc "$SUBPROC" --stop "$TMP/outside.pid"
    check "--stop where the holder is not visible: refused, nothing removed or stopped" \
        '[ "$RC" = 125 ] && [ -e "$TMP/outside.pid" ] && is_alive "$outside"'
    "$SUBPROC" --stop "$TMP/outside.pid"
    export -f reuse_case wait_for now_ms is_alive is_gone
    out=$(SUBPROC=$SUBPROC unshare --pid --fork --mount-proc bash -c 'reuse_case "$1"' _ "$TMP/reuse.pid" 2>&1)
    rc=$?
    check "item 4: --stop --exec stops the grandchild holding the lock, not the recycled pid ($out)" \
        '[ "$rc" = 0 ]'
else
    echo "# skipped: item 4 needs root and unshare --pid"
fi

finish
