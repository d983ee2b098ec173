# Issue 15: --scope PARENT_CGROUP (a cgroup of the program's own: whatever is left in it when
# the program ends, setsid escapers and double forks too, is killed, and it is removed) and
# --rusage[=FILE] (what the program used, with time -v's labels).
. "$(dirname "$0")/lib.sh" "$@"

# --rusage: needs no cgroup.
run "$SUBPROC" --rusage -- sh -c 'exit 3'
check "--rusage keeps the exit status and reports it on stderr" \
    '[ "$RC" = 3 ] && [[ $ERR == *"Exit status: 3"* ]] && [[ $ERR == *"Maximum resident set size (kbytes): "* ]]'
run "$SUBPROC" --rusage="$TMP/usage" -- sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done'
user=$(sed -n 's/^\tUser time (seconds): //p' "$TMP/usage" 2>/dev/null)
sys=$(sed -n 's/^\tSystem time (seconds): //p' "$TMP/usage" 2>/dev/null)
check "--rusage=FILE writes the report to FILE, with the CPU time a busy program used" \
    '[ "$RC" = 0 ] && [ -z "$ERR" ] && [ -n "$user" ] && awk -v u="$user" -v s="$sys" "BEGIN { exit !(u + s >= 0.05) }"'
run "$SUBPROC" --rusage -- sh -c 'kill -KILL $$'
check "--rusage says which signal ended the program" \
    '[ "$RC" = 137 ] && [[ $ERR == *"Command terminated by signal 9"* ]]'
run "$SUBPROC" --rusage="$TMP/no/such/dir/usage" -- true
expect_err "--rusage=FILE that cannot be made gives 125 before the program runs" 125 \
    "--rusage $TMP/no/such/dir/usage: No such file"
run "$SUBPROC" --rusage= -- true
expect_err "--rusage= (empty) gives 125" 125 "file name is empty"
run "$SUBPROC" --daemon --rusage -- true
expect_err "--rusage with --daemon gives 125" 125 "cannot measure a daemon"
run "$SUBPROC" --timeout 100ms --rusage -- sleep 10
check "--rusage after a timeout: still reported, exit 124" \
    '[ "$RC" = 124 ] && [[ $ERR == *"Command terminated by signal 15"* ]]'

# --scope refusals.
run "$SUBPROC" --scope "$TMP" -- true
expect_err "--scope of a directory that is no cgroup v2 gives 125" 125 \
    "cgroup scope under $TMP: not a cgroup v2 directory"
run "$SUBPROC" --scope "$TMP/missing" -- true
expect_err "--scope of a missing directory gives 125" 125 "$TMP/missing: No such file"
run "$SUBPROC" --scope /sys/fs/cgroup --cgroup /sys/fs/cgroup -- true
expect_err "--scope with --cgroup gives 125" 125 "contradict"

cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
parent="$cgroot/subproc-cli-scope-$$"
if [ -z "$cgroot" ] || ! mkdir "$parent" 2>/dev/null; then
    pass "# skip --scope placement: no writable cgroup v2 mount"
    finish
fi
cleanup_parent() {
    local d
    for d in "$parent"/subproc-*.scope; do
        [ -d "$d" ] || continue
        echo 1 >"$d/cgroup.kill" 2>/dev/null
        wait_for 5000 rmdir "$d" 2>/dev/null
    done
    rmdir "$parent"
}
no_scope_left() {
    ! compgen -G "$parent/subproc-*.scope" >/dev/null
}

ln -s "$parent" "$TMP/link"
run "$SUBPROC" --scope "$TMP/link" -- true
expect_err "--scope of a symlink gives 125" 125 "is a symbolic link"

run "$SUBPROC" --scope "$parent" -- sed -n 's/^0:://p' /proc/self/cgroup
check "--scope DIR: the program runs in a new cgroup under DIR, removed after" \
    '[ "$RC" = 0 ] && [[ $OUT == "${parent#"$cgroot"}"/subproc-*.scope ]] && no_scope_left'

# The escapers write their pids, then the program exits 0 (or sleeps till the timeout).
escapers='setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >"$1/a"
sh -c "sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! >\"$1/b\""'
run "$SUBPROC" --scope "$parent" -- sh -c "$escapers; exit 0" sh "$TMP"
a=$(cat "$TMP/a") b=$(cat "$TMP/b")
remember_pid "$a" "$b"
check "--scope: setsid and double-fork escapers left by a program that exited are killed" \
    '[ "$RC" = 0 ] && is_gone "$a" && is_gone "$b" && no_scope_left'
run "$SUBPROC" --scope "$parent" --timeout 1s -- sh -c "$escapers; exec sleep 1000" sh "$TMP"
a=$(cat "$TMP/a") b=$(cat "$TMP/b")
remember_pid "$a" "$b"
check "--scope --timeout: the whole tree is killed at the timeout (exit 124)" \
    '[ "$RC" = 124 ] && is_gone "$a" && is_gone "$b" && no_scope_left'

run "$SUBPROC" --scope "$parent" --rusage -- sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); done'
check "--scope --rusage: the scope's totals are reported too" \
    '[ "$RC" = 0 ] && [[ $ERR == *"Scope CPU time (seconds): "* ]] && no_scope_left'

# A daemon stays in its scope, which is left with it.
run "$SUBPROC" --scope "$parent" --daemon -v -p "$TMP/pid" -- sleep 1000
dpid=$(cat "$TMP/pid" 2>/dev/null)
remember_pid "$dpid"
check "--scope --daemon: the daemon runs on in its scope" \
    '[ "$RC" = 0 ] && is_alive "$dpid" && grep -q "subproc-.*\.scope" "/proc/$dpid/cgroup" && [[ $ERR == *"scope $parent/subproc-"* ]]'
kill -KILL "$dpid" 2>/dev/null
cleanup_parent
finish
