# File descriptors: our stdio is inherited unless redirected; --stdin, --stdout, --stderr,
# --append; --pass-fd passes exactly the fds named and closes every other one.
. "$(dirname "$0")/lib.sh" "$@"

# The program's open fds below 20, one a line.  Tested with stat, which opens no fd itself.
LIST_FDS='for n in $(seq 0 19); do [ -e /proc/$$/fd/$n ] && echo $n; done; true'

out=$(echo from-our-stdin | "$SUBPROC" -- cat)
check "our stdin is the program's stdin" [ "$out" = from-our-stdin ]
"$SUBPROC" -- sh -c 'echo to-stdout; echo to-stderr >&2' >"$TMP/o" 2>"$TMP/e"
check "our stdout and stderr are the program's" \
    '[ "$(cat "$TMP/o")" = to-stdout ] && [ "$(cat "$TMP/e")" = to-stderr ]'
out=$(echo x | "$SUBPROC" --timeout 30s -- sh -c 'cat; echo y >&2' 2>&1)
check "our stdio is the program's under supervision too" [ "$out" = "$(printf 'x\ny')" ]
"$SUBPROC" -- sh -c 'echo "$(readlink /proc/$$/fd/0)"' <&- >"$TMP/o"
check "a stdin we were started without becomes /dev/null" [ "$(cat "$TMP/o")" = /dev/null ]

printf 'line one\nline two\n' >"$TMP/in"
run "$SUBPROC" --stdin "$TMP/in" -- cat
expect "--stdin FILE feeds the file" 0 "$(cat "$TMP/in")"
run "$SUBPROC" --stdin "$TMP/missing" -- cat
expect_err "--stdin of a missing file gives 125 naming it" 125 "cannot open .*missing: No such file"

echo old-content-that-is-longer >"$TMP/out"
run "$SUBPROC" --stdout "$TMP/out" -- echo new
check "--stdout FILE truncates and writes the file" \
    '[ "$RC" = 0 ] && [ "$(cat "$TMP/out")" = new ] && [ -z "$OUT" ]'
run "$SUBPROC" --stdout "$TMP/out" --append -- echo appended
check "--append appends to the --stdout file" [ "$(cat "$TMP/out")" = "$(printf 'new\nappended')" ]
run "$SUBPROC" --stderr "$TMP/err" -- sh -c 'echo oops >&2; echo fine'
check "--stderr FILE gets stderr only" '[ "$(cat "$TMP/err")" = oops ] && [ "$OUT" = fine ]'
run "$SUBPROC" --append --stderr "$TMP/err" -- sh -c 'echo again >&2'
check "--append appends to the --stderr file" [ "$(cat "$TMP/err")" = "$(printf 'oops\nagain')" ]
run "$SUBPROC" --stdout "$TMP/both" --stderr "$TMP/both" -- sh -c 'echo 1; echo 2 >&2; echo 3'
check "--stdout and --stderr to one file share it, in order" [ "$(cat "$TMP/both")" = "$(printf '1\n2\n3')" ]
run "$SUBPROC" --stdout "$TMP/no/such/dir" -- true
expect_err "--stdout into a missing directory gives 125" 125 "cannot open .*no/such/dir"
run "$SUBPROC" --stderr "$TMP/err2" -C "$TMP/missing-dir" -- true
check "an error after the redirection is still reported on our stderr" \
    '[ "$RC" = 125 ] && [[ $ERR == "subproc: chdir "* ]] && [ ! -s "$TMP/err2" ]'
run "$SUBPROC" --stdout "$TMP/timed" --timeout 30s -- echo supervised
check "--stdout under supervision" [ "$(cat "$TMP/timed")" = supervised ]

echo passed-content >"$TMP/fd3"
out=$("$SUBPROC" --pass-fd 3 -- cat /dev/fd/3 3<"$TMP/fd3")
check "--pass-fd 3 passes fd 3" [ "$out" = passed-content ]
out=$("$SUBPROC" --pass-fd 3 -- sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3" 5<"$TMP/fd3")
check "--pass-fd 3 passes fd 3 but not 4 or 5" [ "$out" = "$(printf '0\n1\n2\n3')" ]
out=$("$SUBPROC" --pass-fd 3 --pass-fd 5 --timeout 30s -- sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3" 5<"$TMP/fd3")
check "--pass-fd 3 --pass-fd 5 under supervision: 0 1 2 3 5" [ "$out" = "$(printf '0\n1\n2\n3\n5')" ]
out=$("$SUBPROC" -- sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3")
check "without --pass-fd only 0, 1 and 2 are open" [ "$out" = "$(printf '0\n1\n2')" ]
# --keep-fds: the program sees the fds a plain shell would pass it (whatever else this test
# inherited without close-on-exec too), here with 3 and 4 among them.
plain=$(sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3")
out=$("$SUBPROC" --keep-fds -- sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3")
check "--keep-fds keeps what a shell would, 3 and 4 among them" \
    '[ "$out" = "$plain" ] && grep -qx 3 <<<"$out" && grep -qx 4 <<<"$out"'
out=$("$SUBPROC" --keep-fds --timeout 30s -- sh -c "$LIST_FDS" 3<"$TMP/fd3" 4<"$TMP/fd3")
check "--keep-fds under supervision too" '[ "$out" = "$plain" ]'

run "$SUBPROC" --pass-fd 9 -- true
expect_err "--pass-fd of a closed fd gives 125" 125 "pass-fd 9: that fd is not open"
run "$SUBPROC" --pass-fd 2 -- true
expect_err "--pass-fd 2 gives 125" 125 "use --stdin, --stdout and --stderr"
run "$SUBPROC" --pass-fd x3 -- true
expect_err "--pass-fd of garbage gives 125" 125 "invalid fd 'x3' for --pass-fd"

finish
