# The process state options: -C, --umask, --rlimit, --no-new-privs, --new-session,
# --process-group, --cgroup, and the signal dispositions passed on (or reset with
# --reset-signals).
. "$(dirname "$0")/lib.sh" "$@"

mkdir "$TMP/dir with space"
run "$SUBPROC" -C "$TMP/dir with space" -- pwd
expect "-C runs the program in DIR" 0 "$TMP/dir with space"
run "$SUBPROC" --cwd "$TMP/dir with space" --timeout 30s -- pwd
expect "--cwd under supervision" 0 "$TMP/dir with space"
cp "$(type -P true)" "$TMP/dir with space/local-true"
run "$SUBPROC" -C "$TMP/dir with space" -- ./local-true
expect "a relative PROGRAM is looked up in DIR, as with env -C" 0

run "$SUBPROC" --umask 027 -- sh -c umask
expect "--umask 027" 0 0027
run "$SUBPROC" --umask 0 -- sh -c 'umask; touch "$1"; stat -c %a "$1"' sh "$TMP/umask0"
expect "--umask 0 is applied too" 0 "0000${NL}666"
for bad in 8 0778 1777 abc '' -1; do
    run "$SUBPROC" --umask "$bad" -- true
    expect_err "--umask '$bad' gives 125" 125 "umask '$bad' for --umask"
done

run "$SUBPROC" --rlimit NOFILE=100 -- sh -c 'ulimit -Sn; ulimit -Hn'
expect "--rlimit NOFILE=100 sets soft and hard" 0 "100${NL}100"
run "$SUBPROC" --rlimit rlimit_nofile=50:100 -- sh -c 'ulimit -Sn; ulimit -Hn'
expect "--rlimit rlimit_nofile=50:100 sets each" 0 "50${NL}100"
hard=$(ulimit -Hn)
run "$SUBPROC" --rlimit NOFILE=64: -- sh -c 'ulimit -Sn; ulimit -Hn'
expect "--rlimit NOFILE=64: keeps the hard limit" 0 "64${NL}$hard"
run "$SUBPROC" --rlimit core=0 --rlimit CPU=unlimited --rlimit fsize=infinity -- \
    sh -c 'ulimit -c; ulimit -t; ulimit -f'
if [ "$(ulimit -Ht)" = unlimited ] && [ "$(ulimit -Hf)" = unlimited ]; then
    expect "--rlimit takes several limits and unlimited/infinity" 0 "0${NL}unlimited${NL}unlimited"
else
    pass "# skip --rlimit unlimited: our hard limits are not unlimited"
fi
run "$SUBPROC" --timeout 30s --rlimit NOFILE=100 -- sh -c 'ulimit -n'
expect "--rlimit under supervision" 0 100
# Every name prlimit(1) knows, set to a value no higher than our hard limit (so that no
# privilege is needed) and high enough for prlimit(1) itself to run, then read back.
if command -v prlimit >/dev/null; then
    for spec in AS:4294967296 CORE:12345 CPU:1000 DATA:2147483648 FSIZE:1073741824 LOCKS:1000 \
        MEMLOCK:65536 MSGQUEUE:8192 NICE:0 NOFILE:512 NPROC:1000 RSS:1073741824 RTPRIO:0 \
        RTTIME:1000000 SIGPENDING:1000 STACK:4194304; do
        name=${spec%%:*} value=${spec#*:}
        lower=$(echo "$name" | tr A-Z a-z)
        hard=$(prlimit --output HARD --noheadings "--$lower" | tr -d ' ')
        [ "$hard" != unlimited ] && [ "$hard" -lt "$value" ] && value=$hard
        run "$SUBPROC" --rlimit "$name=$value" -- prlimit --output SOFT,HARD --noheadings "--$lower"
        check "--rlimit $name=$value is applied" '[ "$RC" = 0 ] && [ "$(echo $OUT)" = "$value $value" ]'
    done
else
    pass "# skip --rlimit for every name: no prlimit(1) to read the values back"
fi
for bad in NOFILE FOO=1 NOFILE= NOFILE=abc NOFILE=: NOFILE=1:2:3 NOFILE=-1 =5 NOFILE=99999999999999999999; do
    run "$SUBPROC" --rlimit "$bad" -- true
    expect_err "--rlimit '$bad' gives 125 naming it" 125 "'$bad' for --rlimit"
done
run "$SUBPROC" --rlimit NOFILE=200:100 -- true
expect_err "--rlimit with soft above hard gives 125" 125 "soft limit is above the hard limit"

run "$SUBPROC" --no-new-privs -- grep NoNewPrivs /proc/self/status
expect "--no-new-privs sets NoNewPrivs" 0 "NoNewPrivs:${TAB:=	}1"
run "$SUBPROC" -- grep NoNewPrivs /proc/self/status
expect "without --no-new-privs, NoNewPrivs stays 0" 0 "NoNewPrivs:${TAB}0"

# pid, process group and session of the program, as "PID PGRP SID".
IDS='set -- $(cat /proc/$$/stat); echo "$1 $5 $6"'
check_ids() {
    local name=$1 want=$2
    shift 2
    run "$SUBPROC" "$@" -- sh -c "$IDS"
    read -r pid pgrp sid <<<"$OUT"
    case $want in
    session) check "$name" '[ "$RC" = 0 ] && [ "$pid" = "$pgrp" ] && [ "$pid" = "$sid" ]' ;;
    group) check "$name" '[ "$RC" = 0 ] && [ "$pid" = "$pgrp" ] && [ "$pid" != "$sid" ]' ;;
    none) check "$name" '[ "$RC" = 0 ] && [ "$pid" != "$pgrp" ] && [ "$pid" != "$sid" ]' ;;
    esac
}
check_ids "by default the program stays in our group and session" none
check_ids "--new-session: the program leads a new session" session --new-session
check_ids "--process-group: the program leads a new group in our session" group --process-group
check_ids "--new-session under supervision" session --new-session --timeout 30s
check_ids "--process-group under supervision" group --process-group --timeout 30s
# -d --process-group: the daemon leads a group of its own in the session its intermediate
# made (the intermediate's setsid() used to fail: the child had made itself a group leader).
run "$SUBPROC" -d --process-group -- sh -c "$IDS >'$TMP/dids.tmp'; mv '$TMP/dids.tmp' '$TMP/dids'"
expect "-d --process-group starts the daemon" 0
for _ in $(seq 200); do [ -s "$TMP/dids" ] && break; sleep 0.05; done
read -r pid pgrp sid <"$TMP/dids" || pid=
read -r _ _ _ _ _ oursid _ </proc/$$/stat
check "-d --process-group: the daemon leads its own group in a new session" \
    '[ -n "$pid" ] && [ "$pid" = "$pgrp" ] && [ "$pid" != "$sid" ] && [ "$sid" != "$oursid" ]'
if command -v setsid >/dev/null; then
    # As a process group leader (a job-control shell makes us one), setsid() is impossible
    # in place: the program must become our child.
    run setsid "$SUBPROC" --new-session -- sh -c "$IDS; kill -USR1 \$\$"
    read -r pid pgrp sid <<<"$OUT"
    check "--new-session works when subproc leads a process group (status passed on)" \
        '[ "$RC" = 138 ] && [ "$pid" = "$pgrp" ] && [ "$pid" = "$sid" ]'
else
    pass "# skip --new-session as a group leader: no setsid(1)"
fi

# --cgroup: a cgroup of our own under the first writable cgroup v2 mount.
run "$SUBPROC" --cgroup "$TMP" -- true
expect_err "--cgroup of a directory that is no cgroup gives 125" 125 "cgroup $TMP: not a cgroup"
run "$SUBPROC" --cgroup "$TMP/missing" -- true
expect_err "--cgroup of a missing directory gives 125" 125 "cgroup $TMP/missing: No such file"
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg="$cgroot/subproc-cli-test-$$"
if [ -n "$cgroot" ] && mkdir "$cg" 2>/dev/null; then
    rel=${cg#"$cgroot"}
    run "$SUBPROC" --cgroup "$cg" -- sed -n 's/^0:://p' /proc/self/cgroup
    expect "--cgroup DIR: the program runs in DIR (in place)" 0 "$rel"
    run "$SUBPROC" --cgroup "$cg" --timeout 30s -- sed -n 's/^0:://p' /proc/self/cgroup
    expect "--cgroup DIR: the program runs in DIR (supervised)" 0 "$rel"
    run "$SUBPROC" --cgroup "$cg" --timeout 30s -- sh -c 'grep -qx "$$" "$1/cgroup.procs" && echo listed' sh "$cg"
    expect "--cgroup DIR: the program's pid is in DIR/cgroup.procs" 0 listed
    rmdir "$cg"
else
    pass "# skip --cgroup placement: no writable cgroup v2 mount"
fi

# Signals ignored when subproc starts stay ignored (nohup), unless --reset-signals.
# sig_ignored MASK SIGNUM: whether SigIgn (hex) has SIGNUM set.
sig_ignored() {
    (((0x$1 >> ($2 - 1)) & 1))
}
ignored_mask() {
    (trap '' HUP USR1; "$SUBPROC" "$@" -- sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status)
}
mask=$(ignored_mask)
check "an ignored SIGHUP and SIGUSR1 stay ignored (in place)" 'sig_ignored "$mask" 1 && sig_ignored "$mask" 10'
mask=$(ignored_mask --timeout 30s)
check "an ignored SIGHUP stays ignored (supervised)" 'sig_ignored "$mask" 1 && sig_ignored "$mask" 10'
mask=$(ignored_mask --reset-signals)
check "--reset-signals: nothing is ignored (in place)" '[ "$((0x$mask))" = 0 ]'
mask=$(ignored_mask --reset-signals --timeout 30s)
check "--reset-signals: nothing is ignored (supervised)" '[ "$((0x$mask))" = 0 ]'
out=$(nohup "$SUBPROC" -- sh -c 'kill -HUP $$; echo survived' 2>/dev/null)
check "nohup subproc: the program survives SIGHUP" '[ "$out" = survived ]'

finish
