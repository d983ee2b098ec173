# Issue 14: --fd CHILD=PARENT (any permutation), --argv0, and the scheduling options --nice,
# --cpu-affinity (taskset's lists), --ioprio (ionice's classes), --oom-score-adj and --sched
# (chrt's policies), as the program sees them in /proc; every bad value refused with 125
# naming it; --dry-run and -v show them all, and the shown line runs the same.
. "$(dirname "$0")/lib.sh" "$@"

[ "$(uname -s)" = Linux ] || skip_all "the scheduling options are Linux's"

# --- --fd ------------------------------------------------------------------------------

echo three >"$TMP/f3"
echo four >"$TMP/f4"
echo five >"$TMP/f5"
READ_345='cat <&3; cat <&4; cat <&5'
out=$(exec 3<"$TMP/f3" 4<"$TMP/f4" 5<"$TMP/f5"; "$SUBPROC" --fd 3=4 --fd 4=5 --fd 5=3 -- sh -c "$READ_345")
check "--fd 3=4 --fd 4=5 --fd 5=3: a 3-cycle" [ "$out" = "$(printf 'four\nfive\nthree')" ]
out=$(exec 7<"$TMP/f3" 8<"$TMP/f4"; "$SUBPROC" --fd 8=7 --fd 9=8 -- sh -c 'cat <&8; cat <&9; [ ! -e /proc/$$/fd/7 ] && echo no-7')
check "--fd 8=7 --fd 9=8: a target that is another's source; the sources are not passed" \
    [ "$out" = "$(printf 'three\nfour\nno-7')" ]
out=$(exec 7<"$TMP/f5"; "$SUBPROC" --pass-fd 7 --fd 12=7 -- sh -c 'cat <&7; cat /dev/fd/12')
check "--pass-fd and --fd together: one fd under two numbers" [ "$out" = "$(printf 'five\nfive')" ]

run "$SUBPROC" --fd 2=0 -- true
expect_err "--fd to 0..2 is refused, pointing to --stdin/--stdout/--stderr" 125 "--fd 2=0: use --stdin"
run "$SUBPROC" --fd 30=29 -- true
expect_err "--fd of an fd we do not have is refused" 125 "--fd 30=29: our fd 29 is not open"
for bad in 3 3= =3 3=x -3=0 3=-1 '3=1 ' 3==1; do
    run "$SUBPROC" --fd "$bad" -- true
    expect_err "--fd '$bad' is refused" 125 "invalid CHILD=PARENT '$bad' for --fd"
done
run "$SUBPROC" --fd 3=99999999999 -- true
expect_err "--fd with a number past INT_MAX is out of range" 125 "out of range"
run "$SUBPROC" --fd 5=0 --fd 5=1 -- true
expect_err "--fd twice to one number fails naming both" 125 "cannot pass fd 1 as the child's fd 5"

# --- --argv0 ---------------------------------------------------------------------------

run "$SUBPROC" --argv0 'my name' -- sh -c 'echo "$0"'
expect "--argv0 NAME: the program sees NAME as argv[0]" 0 "my name"
run "$SUBPROC" --argv0 '' -- sh -c 'echo "[$0]"'
expect "--argv0 '': an empty argv[0]" 0 "[]"

# --- scheduling --------------------------------------------------------------------------

FIELD19='read -r s </proc/self/stat; set -- ${s##*) }; echo "${17}"' # nice: field 19 of stat
now=$(sh -c "$FIELD19")
want=$((now < 19 ? now + 1 : 19))
run "$SUBPROC" --nice "$want" -- sh -c "$FIELD19"
expect "--nice N sets the nice value N (not an increment)" 0 "$want"
run "$SUBPROC" --nice 20 -- true
expect_err "--nice 20 is out of range" 125 "nice value '20' for --nice is out of range"
run "$SUBPROC" --nice x -- true
expect_err "--nice x is refused" 125 "invalid nice value 'x'"

if command -v taskset >/dev/null; then
    run "$SUBPROC" --cpu-affinity 0 -- sh -c 'taskset -cp $$'
    check "--cpu-affinity 0" '[ "$RC" = 0 ] && [[ $OUT == *"list: 0" ]]'
    cpus=$(taskset -cp $$ | sed 's/.*: //')
    run "$SUBPROC" --cpu-affinity 0-63:1 -- sh -c 'taskset -cp $$'
    check "--cpu-affinity 0-63:1 (a range with a stride): the CPUs we may use among them" \
        '[ "$RC" = 0 ] && [[ $OUT == *": $cpus" ]]'
fi
for bad in '' x 1-0 0,,1 0- 0-3:0 -1 '0 1'; do
    run "$SUBPROC" --cpu-affinity "$bad" -- true
    expect_err "--cpu-affinity '$bad' is refused" 125 "invalid CPU list '$bad'"
done
run "$SUBPROC" --cpu-affinity 65536 -- true
expect_err "--cpu-affinity past CPU 65535 is out of range" 125 "CPU list '65536' for --cpu-affinity is out of range"
run "$SUBPROC" --cpu-affinity 4000 -- true
expect_err "--cpu-affinity with no CPU we may use fails naming the step" 125 "set CPU affinity: Invalid argument"

IOPRIO='ionice -p $$'
if command -v ionice >/dev/null; then
    run "$SUBPROC" --ioprio idle -- sh -c "$IOPRIO"
    expect "--ioprio idle" 0 "idle"
    run "$SUBPROC" --ioprio best-effort:7 -- sh -c "$IOPRIO"
    expect "--ioprio best-effort:7" 0 "best-effort: prio 7"
    run "$SUBPROC" --ioprio BE -- sh -c "$IOPRIO"
    expect "--ioprio BE: ionice's default level 4" 0 "best-effort: prio 4"
    run "$SUBPROC" --ioprio 2:1 -- sh -c "$IOPRIO"
    expect "--ioprio 2:1 (a class number)" 0 "best-effort: prio 1"
fi
for bad in fast be:8 be:-1 be: 4 idle:x; do
    run "$SUBPROC" --ioprio "$bad" -- true
    expect_err "--ioprio '$bad' is refused" 125 "I/O priority '$bad' for --ioprio"
done
run "$SUBPROC" --ioprio idle:3 -- true
expect_err "--ioprio idle:3: the idle class has no levels" 125 "I/O priority level 3 is outside 0"

run "$SUBPROC" --oom-score-adj 321 -- cat /proc/self/oom_score_adj
expect "--oom-score-adj 321" 0 "321"
run "$SUBPROC" --oom-score-adj -1001 -- true
expect_err "--oom-score-adj -1001 is out of range" 125 "OOM score adjustment '-1001' for --oom-score-adj is out of range"

SCHED='read -r s </proc/self/stat; set -- ${s##*) }; echo "${39}:${38}"' # policy:rt_priority
run "$SUBPROC" --sched batch -- sh -c "$SCHED"
expect "--sched batch" 0 "3:0"
run "$SUBPROC" --sched SCHED_IDLE:0 -- sh -c "$SCHED"
expect "--sched SCHED_IDLE:0" 0 "5:0"
if chrt -r 5 true 2>/dev/null; then
    run "$SUBPROC" --sched rr:5 -- sh -c "$SCHED"
    expect "--sched rr:5" 0 "2:5"
fi
run "$SUBPROC" --sched fifo -- true
expect_err "--sched fifo without a priority fails naming the range" 125 "scheduling priority 0 is outside 1..99"
for bad in deadline fifo:x fifo:-1 ''; do
    run "$SUBPROC" --sched "$bad" -- true
    expect_err "--sched '$bad' is refused" 125 "invalid scheduling policy '$bad'"
done
run "$SUBPROC" --sched fifo:100 -- true
expect_err "--sched fifo:100 is out of range" 125 "scheduling policy 'fifo:100' for --sched is out of range"

if is_root && command -v setpriv >/dev/null; then
    run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$SUBPROC" --nice -20 -- true
    expect_err "an unprivileged --nice -20 fails naming the step" 125 "set nice -20: Permission denied"
fi

# --- --dry-run and -v ------------------------------------------------------------------

run "$SUBPROC" --dry-run --fd 4=0 --argv0 'a b' --nice 5 --cpu-affinity 0 --ioprio idle \
    --oom-score-adj 9 --sched batch -e A=1 -- "$PRINT_ARGV" x "y z"
line=$OUT
check "--dry-run shows every option in a subproc prefix, the environment first" \
    '[ "$RC" = 0 ] && [ "$line" = "A=1 $SUBPROC --fd 4=0 --argv0 '"'a b'"' --nice 5 --cpu-affinity 0 --ioprio idle --oom-score-adj 9 --sched batch -- $PRINT_ARGV x '"'y z'"'" ]'
SHOW='echo "$0 $A $(cat /proc/self/oom_score_adj)"'
run "$SUBPROC" --dry-run -i -e A=1 --argv0 'a b' --oom-score-adj 9 -- sh -c "$SHOW"
pasted=$(sh -c "$OUT")
check "the pasted line runs with the same argv0, environment and settings" \
    '[ "$pasted" = "a b 1 9" ] && [ "$("$SUBPROC" -i -e A=1 --argv0 "a b" --oom-score-adj 9 -- sh -c "$SHOW")" = "a b 1 9" ]'
run "$SUBPROC" --dry-run --fd 5=0 --fd 5=1 -- true
expect_err "--dry-run reports what the run would refuse" 125 "cannot pass fd 1 as the child's fd 5"
run "$SUBPROC" -v --nice 19 -- true
check "-v logs the same line" '[ "$RC" = 0 ] && [ "$ERR" = "$SUBPROC --nice 19 -- true" ]'
run "$SUBPROC" --dry-run -- true
expect "without them, --dry-run is as before" 0 "true"

finish
