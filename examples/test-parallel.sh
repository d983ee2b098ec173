#!/usr/bin/env bash
# examples/parallel.c, run as a user would: every command's output whole and in one piece, at
# most J at once, failures reported, ^C stops all children and waits for them, inherited fds
# (a jobserver's) reach the commands.
# Usage: test-parallel.sh PATH-TO-example-parallel
set -uo pipefail
parallel=${1:?usage: test-parallel.sh EXAMPLE}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 40 commands, 3 at once: each writes a line, sleeps, writes another; the two lines of each
# must come out together (the output is shown whole when a command finishes).
for i in $(seq 1 40); do
    echo "echo start $i; sleep 0.0\$((RANDOM % 5)); echo end $i >&2"
done >"$tmp/commands"
"$parallel" -j 3 <"$tmp/commands" >"$tmp/out" 2>&1 || fail "40 commands: status $?"
[ "$(grep -c '^start' "$tmp/out")" = 40 ] || fail "not 40 starts: $(cat "$tmp/out")"
awk '/^start/ { if (open) bad = 1; open = $2 } /^end/ { if ($2 != open) bad = 1; open = "" }
     END { exit bad }' "$tmp/out" || fail "outputs interleaved: $(cat "$tmp/out")"

# At most J at once: each command records how many are running when it starts.
mkdir "$tmp/running"
cmd='touch "$0/$$"; ls "$0" | wc -l >>"$0.max"; sleep 0.1; rm "$0/$$"'
args=()
for i in $(seq 1 12); do args+=("sh -c '$cmd' $tmp/running"); done
"$parallel" -j 4 "${args[@]}" || fail "-j 4: status $?"
max=$(sort -n "$tmp/running.max" | tail -1)
[ "$max" -le 4 ] && [ "$max" -ge 2 ] || fail "-j 4 ran $max at once"

# A failing command: reported, the others still run, exit status 1.
"$parallel" 'exit 3' 'echo fine' >"$tmp/out" 2>&1
[ $? = 1 ] || fail "a failure must give status 1"
grep -q 'exit status 3' "$tmp/out" && grep -q '^fine$' "$tmp/out" || fail "$(cat "$tmp/out")"

# Inherited fds pass through (make's jobserver): fd 7 open in the caller, seen by a command.
"$parallel" 'test -e /dev/fd/7' 7</dev/null || fail "fd 7 was not passed through"

# ^C: SIGINT stops every child (and what its shell started) and waits for them: 130, fast,
# nothing left running.
marker=parallel-test-$$
"$parallel" -j 4 "sleep 30; : $marker" "sleep 30; : $marker" "sleep 31 # $marker" 2>"$tmp/int.err" &
pid=$!
sleep 0.5
start=$(date +%s)
kill -INT $pid
wait $pid
status=$?
[ $status = 130 ] || fail "^C: status $status"
[ $(($(date +%s) - start)) -lt 10 ] || fail "^C took too long"
sleep 0.2
pgrep -f "$marker" >/dev/null && fail "children left running after ^C"
echo "ok"
