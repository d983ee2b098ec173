# Issue 15: readiness (--notify-await, --notify-timeout) and socket activation (--listen,
# --listen-fd).  The test helper (third argument) plays the program: --notify=TEXT is
# sd_notify(), --accept=N serves one connection, its report shows what it got.
. "$(dirname "$0")/lib.sh" "$@"
HELPER=${3:?usage: test-ready.sh SUBPROC PRINT_ARGV HELPER}

stop_daemons() {
    local f
    for f in "$TMP"/*.pid; do
        [ -e "$f" ] && "$SUBPROC" --stop "$f" 2>/dev/null
    done
    cleanup
}
trap stop_daemons EXIT

# report_value FILE KEY: the value of the first KEY=... line of a helper report.
report_value() {
    sed -n "s/^$2=//p" "$1" | head -n 1
}

# ---- readiness ------------------------------------------------------------------------
start=$(now_ms)
run "$SUBPROC" -d -p "$TMP/a.pid" --notify-await -- "$HELPER" --no-report --sleep-ms=1000 \
    --notify='STATUS=up\nREADY=1' --sleep-ms=30000
took=$(($(now_ms) - start))
daemon=$(cat "$TMP/a.pid" 2>/dev/null)
remember_pid $daemon
check "--notify-await returns 0 once the daemon says READY=1, not before (${took} ms)" \
    '[ "$RC" = 0 ] && [ -z "$ERR" ] && [ "$took" -ge 950 ] && is_alive "$daemon"'

run "$SUBPROC" -d -p "$TMP/b.pid" --notify-await --notify-timeout 300ms -- "$HELPER" \
    --no-report --sleep-ms=30000
daemon=$(cat "$TMP/b.pid" 2>/dev/null)
remember_pid $daemon
expect_err "a daemon never ready: 124 after --notify-timeout, named" 124 "not ready after 300 ms"
check "a late daemon is left running, as start-stop-daemon leaves it" 'is_alive "$daemon"'

run "$SUBPROC" -d --notify-await -- "$HELPER" --no-report --notify='STATUS=no config' --exit=3
expect_err "a daemon that exits first: 2, with its last STATUS=" 2 \
    "exited before it was ready.*no config"

run "$SUBPROC" --notify-await -- true
expect_err "--notify-await without --daemon is refused" 125 "give --daemon too"
run "$SUBPROC" -d --notify-timeout 1s -- true
expect_err "--notify-timeout without --notify-await is refused" 125 "needs --notify-await"
run "$SUBPROC" -d --notify-await --notify-timeout soon -- true
expect_err "a bad --notify-timeout is refused" 125 "invalid duration 'soon'"

# ---- socket activation --------------------------------------------------------------------
exec 5<"$TMP/a.pid"
run "$SUBPROC" --listen-fd 5:pids --listen "@subproc-test-$$" -- "$HELPER"
exec 5<&-
check "--listen-fd and --listen: fds 3 and 4, LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID == pid" \
    '[ "$RC" = 0 ] && grep -qx "env=LISTEN_FDS=2" <<<"$OUT" &&
     grep -qx "env=LISTEN_FDNAMES=pids:unknown" <<<"$OUT" &&
     grep -qx "env=LISTEN_PID=$(sed -n "s/^pid=//p" <<<"$OUT")" <<<"$OUT" &&
     grep -qx "fd=3" <<<"$OUT" && grep -qx "fd=4" <<<"$OUT" && ! grep -qx "fd=5" <<<"$OUT" &&
     grep -q "^fdlink\[4\]=socket:" <<<"$OUT"'

port=$((20000 + $$ % 30000))
run "$SUBPROC" -d -p "$TMP/c.pid" --listen "127.0.0.1:$port" --notify-await -- "$HELPER" \
    --report="$TMP/c.report" --notify=READY=1 --accept=3 --sleep-ms=30000
daemon=$(cat "$TMP/c.pid" 2>/dev/null)
remember_pid $daemon
if [ "$RC" = 0 ] && exec 6<>"/dev/tcp/127.0.0.1/$port"; then
    read -r -t 10 line <&6
    exec 6<&-
else
    line="could not connect (rc $RC: $ERR)"
fi
check "--listen HOST:PORT: the daemon accepts on fd 3 and its LISTEN_PID is its own pid" \
    '[ "$line" = hello ] && [ "$(report_value "$TMP/c.report" env)" != "" ] &&
     grep -qx "env=LISTEN_PID=$daemon" "$TMP/c.report" && grep -qx "env=LISTEN_FDS=1" "$TMP/c.report"'

run "$SUBPROC" --listen "127.0.0.1:$port" -- true
check "--listen on a port in use fails with 125, naming the address" \
    '[ "$RC" = 125 ] && [[ $ERR =~ "--listen 127.0.0.1:$port: Address already in use" ]]'
"$SUBPROC" --stop "$TMP/c.pid"

run "$SUBPROC" --listen 70000 -- true
expect_err "a port out of range is refused" 125 "the port must be 0..65535"
run "$SUBPROC" --listen-fd 77 -- true
expect_err "--listen-fd of a closed fd is refused" 125 "our fd 77 is not open"
run "$SUBPROC" --listen-fd 0:a:b -- true
expect_err "a name with ':' is refused by the library" 125 "contains ':'"
run "$SUBPROC" --listen-fd 0 --fd 3=1 -- true
expect_err "--fd onto a listening fd's place is an error naming both" 125 \
    "fd 1 is passed as the child's fd 3, which is listening fd 0's place"
run "$SUBPROC" --dry-run -d --notify-await --listen 8080 --listen-fd 0:in -- true
check "--dry-run shows the options and binds nothing" \
    '[ "$RC" = 0 ] && grep -qx "# --notify-await" <<<"$OUT" && grep -qx "# --listen 8080" <<<"$OUT" &&
     grep -qx "# --listen-fd 0:in" <<<"$OUT"'

finish
