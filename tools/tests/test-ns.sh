# Namespaces (issue 14): --unshare-user/-mount/-pid/-net/-uts/-ipc/-cgroup/-time,
# --map-root-user, --map-user, --map-group, as unshare(1) spells them, and --dry-run showing
# them.  Most cases need root (a new namespace but a user one needs CAP_SYS_ADMIN).
. "$(dirname "$0")/lib.sh" "$@"

[ -e /proc/self/ns/user ] || skip_all "no namespaces here"

ns() { readlink "/proc/self/ns/$1"; }

# --dry-run shows them as a comment line sh skips, then the command; nothing runs.
run "$SUBPROC" --dry-run --unshare-pid --unshare-net --map-user 0 --map-group 5 -- touch "$TMP/ran"
check "--dry-run shows the namespaces and maps as a comment, runs nothing" \
    '[ "$RC" = 0 ] && [ "$OUT" = "# unshare user,pid,net; uid_map 0 $(id -u) 1; gid_map 5 $(id -g) 1${NL}touch $TMP/ran" ] &&
     [ ! -e "$TMP/ran" ]'
run "$SUBPROC" --dry-run --unshare-uts -- true
expect "--dry-run --unshare-uts" 0 "# unshare uts${NL}true"
run "$SUBPROC" --dry-run -- true
expect "--dry-run without namespaces prints no comment" 0 "true"
run "$SUBPROC" --map-user no-such-user-here -- true
expect_err "--map-user with an unknown name" 125 "no such user 'no-such-user-here' for --map-user"
run "$SUBPROC" --map-group 'x y' -- true
expect_err "--map-group with a bad group" 125 "group 'x y' for --map-group"

# The portable fork() child (-Dspawn=fork) has none: said so, nothing runs.
run "$SUBPROC" --unshare-uts -- touch "$TMP/ran-uts"
if [[ $ERR == *"not supported here"* ]]; then
    expect_err "namespaces in a build with the fork() child: refused" 125 \
        "creating namespaces is not supported here"
    check "... and nothing ran" '[ ! -e "$TMP/ran-uts" ]'
    [ "$failures" = 0 ] || finish
    skip_all "this build's child cannot make namespaces"
fi

if ! is_root; then
    [ "$failures" = 0 ] || finish
    skip_all "new namespaces other than a user one need root"
fi

# Each type: the program's /proc/self/ns link differs from ours.
for pair in user:user mount:mnt pid:pid net:net uts:uts ipc:ipc cgroup:cgroup time:time; do
    opt=${pair%%:*} type=${pair#*:}
    [ -e "/proc/self/ns/$type" ] || continue
    ours=$(ns "$type")
    run "$SUBPROC" --unshare-"$opt" -- readlink "/proc/self/ns/$type"
    check "--unshare-$opt: a new $type namespace" '[ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" != "$ours" ]'
done

run "$SUBPROC" --unshare-pid -- sh -c 'echo $$'
expect "--unshare-pid: the program is pid 1" 0 1
run "$SUBPROC" --unshare-uts -- sh -c 'hostname ns-test && hostname'
check "--unshare-uts: the program's hostname is its own" \
    '[ "$RC" = 0 ] && [ "$OUT" = ns-test ] && [ "$(hostname)" != ns-test ]'

# --unshare-mount makes the new namespace's mounts private, as unshare(1) does: a mount the
# program makes under a shared mount of ours stays its own.  In a mount namespace of the
# test's own (unshare(1)), so that nothing of ours changes.
if command -v unshare >/dev/null && command -v mountpoint >/dev/null; then
    mkdir -p "$TMP/shared"
    run unshare --mount --propagation private sh -c '
        mount -t tmpfs none "$1" && mount --make-shared "$1" && mkdir "$1/sub" &&
        "$2" --unshare-mount -- mount -t tmpfs none "$1/sub" &&
        if mountpoint -q "$1/sub"; then echo leaked; else echo private; fi' sh "$TMP/shared" "$SUBPROC"
    expect "--unshare-mount: the program's mounts stay in its namespace" 0 private
fi

# --map-root-user: our uid and gid are root's inside; setgroups stays allowed for root.
run "$SUBPROC" --map-root-user -- sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
expect "--map-root-user (implies --unshare-user)" 0 "0${NL}0$(printf '\n%10s%11s%11s' 0 0 1)$(printf '\n%10s%11s%11s' 0 0 1)"
run "$SUBPROC" --map-user 1000 --map-group 2000 -- sh -c 'id -u; id -g'
expect "--map-user / --map-group: our ids are those inside" 0 "1000${NL}2000"

# A daemon in new user and pid namespaces: pid 1 and root there; the pidfile holds its pid as
# we see it, which --status proves and --stop stops.
run "$SUBPROC" -d -p "$TMP/d.pid" --map-root-user --unshare-pid -- \
    sh -c 'echo "$$ $(id -u)" >"$0.tmp" && mv "$0.tmp" "$0"; exec sleep 30' "$TMP/d.out"
check "-d --map-root-user --unshare-pid: started" '[ "$RC" = 0 ]'
wait_for 5000 file_has_content "$TMP/d.out"
daemon=$(cat "$TMP/d.pid" 2>/dev/null)
remember_pid "$daemon"
check "... it is pid 1 and root in its namespaces" '[ "$(cat "$TMP/d.out")" = "1 0" ]'
check "... the pidfile holds its pid outside" \
    '[ -n "$daemon" ] && [ "$daemon" != 1 ] && grep -q "^NSpid:[[:space:]]*$daemon[[:space:]]*1$" "/proc/$daemon/status"'
run "$SUBPROC" --status "$TMP/d.pid"
expect "... --status proves it" 0 "$daemon"
run "$SUBPROC" --stop "$TMP/d.pid"
check "... --stop stops it" '[ "$RC" = 0 ] && wait_for 5000 is_gone "$daemon"'

# As nobody: a user namespace maps its own ids (where the system allows it); any other new
# namespace alone is refused, the step named.
getent passwd nobody >/dev/null || skip_all "no user nobody"
as_nobody() { setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups "$@"; }
run as_nobody "$SUBPROC" --unshare-net -- touch "$TMP/ran"
expect_err "--unshare-net as nobody: EPERM naming the namespace" 125 \
    "create new namespaces \(net\) with clone: Operation not permitted"
check "... and nothing ran" '[ ! -e "$TMP/ran" ]'
run as_nobody "$SUBPROC" --map-root-user --unshare-net -- id -u
if [ "$RC" = 125 ] && [[ $ERR == *"(user,net) with clone"* ]]; then
    pass "# SKIP --map-root-user as nobody: unprivileged user namespaces are disabled"
else
    expect "--map-root-user --unshare-net as nobody: root in its own user namespace" 0 0
fi

# A timeout still works on a program that is pid 1 of its namespace (SIGTERM is ignored
# there: the kill-after SIGKILL ends it).
run "$SUBPROC" --unshare-pid --timeout 100ms --kill-after 100ms -- sleep 30
expect "--unshare-pid --timeout: ended by the KILL" 137

finish
