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
expect "--status of a removed pidfile exits 1 and prints nothing" 1 ""
run "$SUBPROC" --stop "$PID"
expect "--stop of a missing pidfile exits 0" 0 ""

echo 12345 >"$TMP/stale.pid"
run "$SUBPROC" --status "$TMP/stale.pid"
expect "--status of a pidfile nobody holds exits 1, whatever pid it names" 1 ""
run "$SUBPROC" --stop "$TMP/stale.pid"
check "--stop of a stale pidfile just removes it" '[ "$RC" = 0 ] && [ ! -e "$TMP/stale.pid" ]'
mkdir "$TMP/dir.pid"
run "$SUBPROC" --status "$TMP/dir.pid"
expect_err "--status of a directory is an error: 125" 125 "dir\.pid"
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

finish
