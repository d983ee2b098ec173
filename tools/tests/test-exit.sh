# Exit statuses as env(1) and timeout(1) give them, usage errors, --help and --version.
. "$(dirname "$0")/lib.sh" "$@"

run "$SUBPROC" --help
if [ "$RC" = 0 ] && [[ $OUT == *"Usage: subproc"* ]] && [[ $OUT == *--timeout* ]] && [ -z "$ERR" ]; then
    pass "--help prints the usage on stdout and exits 0"
else
    fail "--help prints the usage on stdout and exits 0" "rc $RC" "stderr: $ERR"
fi
run "$SUBPROC" --version
expect "--version exits 0" 0 "subproc 0.1.0"
if [ -w /dev/full ]; then
    "$SUBPROC" --help >/dev/full 2>/dev/null
    rc=$?
    check "--help that cannot be written gives 125" '[ "$rc" = 125 ]'
fi

run "$SUBPROC" -- true
expect "a program exiting 0 gives 0" 0 ""
run "$SUBPROC" -- sh -c 'exit 42'
expect "the program's own exit code is ours" 42
run "$SUBPROC" sh -c 'echo "$0" "$1"' a b
expect "options after PROGRAM belong to it (no -- needed)" 0 "a b"
run "$SUBPROC" -- sh -c 'echo "$@"' sh -v --help -- x
expect "options after -- PROGRAM are the program's" 0 "-v --help -- x"

run "$SUBPROC" -- sh -c 'kill -USR1 $$'
expect "a program dying by SIGUSR1 gives 128+10 (in place)" 138
run "$SUBPROC" --timeout 30s -- sh -c 'kill -USR1 $$'
expect "a program dying by SIGUSR1 gives 128+10 (supervised)" 138
run "$SUBPROC" --timeout 30s -- sh -c 'exit 7'
expect "the program's own exit code is ours (supervised)" 7

run "$SUBPROC" -- "$TMP/nonexistent"
expect_err "a missing program gives 127" 127 "nonexistent.*No such file"
# A PATH of directories everybody may search: an unreadable one would make it EACCES (126).
run env PATH=/usr/bin:/bin "$SUBPROC" -- subproc-test-no-such-program
expect_err "a program missing from PATH gives 127" 127 "subproc-test-no-such-program"
printf 'echo hi\n' >"$TMP/not-executable"
chmod 644 "$TMP/not-executable"
# Even root cannot execute a file without any x bit.
run "$SUBPROC" -- "$TMP/not-executable"
expect_err "a file without x bit gives 126" 126 "not-executable.*Permission denied"
run "$SUBPROC" -- "$TMP"
expect_err "a directory as program gives 126" 126 "Permission denied|Is a directory"
printf 'no shebang, not a binary\n' >"$TMP/no-format"
chmod 755 "$TMP/no-format"
run "$SUBPROC" -- "$TMP/no-format"
expect_err "an executable of unknown format gives 126" 126 "Exec format error"
run "$SUBPROC" --timeout 30s -- "$TMP/not-executable"
expect_err "a file without x bit gives 126 (supervised)" 126 "Permission denied"
run "$SUBPROC" --timeout 30s -- "$TMP/nonexistent"
expect_err "a missing program gives 127 (supervised)" 127 "No such file"

run "$SUBPROC"
expect_err "no program is a usage error (125)" 125 "no program given"
run "$SUBPROC" --no-such-option true
expect_err "an unknown long option gives 125" 125 "unrecognized or ambiguous option '--no-such-option'"
run "$SUBPROC" -Z true
expect_err "an unknown short option gives 125" 125 "invalid option '-Z'"
run "$SUBPROC" --timeout
expect_err "a missing option argument gives 125" 125 "option '--timeout' requires an argument"
run "$SUBPROC" --help=x
expect_err "an argument to a flag gives 125" 125 "'--help=x' takes no argument"
run "$SUBPROC" --kill-after 1s true
expect_err "--kill-after without --timeout gives 125" 125 "needs --timeout"
# As timeout(1): --timeout 0 is no limit at all, and the --kill-after goes with it.  The
# program outlives its --kill-after (which could only be early, never late, on a slow machine).
run "$SUBPROC" --timeout 0 --kill-after 0.1 -- sh -c 'sleep 0.5; exit 3'
expect "--timeout 0 --kill-after 0.1: no limit, as timeout(1); the program's status" 3
run "$SUBPROC" --kill-after 1s --timeout 0s -- true
expect "--kill-after before --timeout 0s is accepted too" 0
run "$SUBPROC" -C "$TMP/nonexistent" -- true
expect_err "a missing -C directory gives 125, not 127" 125 "chdir .*nonexistent"

for bad in 5x -1 1e3 0x10 '' . s 1.2.3s ' 5' 5ms2 99999999999999999999 50d 4294967295ms; do
    run "$SUBPROC" --timeout "$bad" -- true
    expect_err "--timeout '$bad' gives 125 naming it" 125 "duration '${bad//./\\.}' for --timeout"
done
# --dry-run: whether a duration parses must not depend on how fast a program starts (a real
# run under --timeout 0.0001s is a race that a slow machine loses with 124).
for good in 0 1 0.5 0.5s 1.5m 1h 1d 500ms 0.0001s 4294967294ms .5s 1.; do
    run "$SUBPROC" --dry-run --timeout "$good" -- true
    expect "--timeout '$good' is accepted" 0 true
done
# And a real run under a timeout that no program start can reach.
run "$SUBPROC" --timeout 1d -- sh -c 'exit 5'
expect "a program under --timeout 1d runs and gives its own status" 5
run "$SUBPROC" --timeout 30s --kill-after 5x -- true
expect_err "a bad --kill-after names it" 125 "duration '5x' for --kill-after"

for bad in FOO SIGFOO 0 65 -1 9x '' SIG; do
    run "$SUBPROC" --death-signal "$bad" -- true
    expect_err "--death-signal '$bad' gives 125 naming it" 125 "signal '$bad' for --death-signal"
done
for good in TERM term SIGTERM sigterm SigTerm 15 KILL 9 USR1 34; do
    run "$SUBPROC" --death-signal "$good" -- true
    expect "--death-signal '$good' is accepted" 0
done

finish
