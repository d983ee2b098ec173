# --pty (issue 16): the program on a new pseudo-terminal, relayed to ours as script(1) does.
. "$(dirname "$0")/lib.sh" "$@"

command -v script >/dev/null || skip_all "no script(1) to give subproc a terminal of its own"

# The terminal's input stays open until SCRIPT is done (script(1) would pass the end on).
term_done() {
    wait_for 30000 test -e "$TMP/term.done"
}

# in_terminal SCRIPT [FEEDER...]: run the sh SCRIPT with a terminal (script(1)'s pty) for
# stdin, stdout and stderr; FEEDER's output is what is typed into it (default: nothing), and
# FEEDER ends with term_done.  Sets RC and OUT (\r removed).
in_terminal() {
    local body=$1
    shift
    rm -f "$TMP/term.done"
    printf '%s\n: >%s\n' "$body" "$TMP/term.done" >"$TMP/term.sh"
    if [ $# -eq 0 ]; then
        set -- term_done
    fi
    "$@" | timeout 60 script -qec "sh $TMP/term.sh" /dev/null >"$TMP/.out" 2>&1 &
    local pid=$!
    remember_pid "$pid"
    wait "$pid"
    RC=$?
    OUT=$(tr -d '\r' <"$TMP/.out")
}

run "$SUBPROC" --pty -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty; exit 7'
check "the program's 0, 1 and 2 are a terminal, its exit code ours" \
    '[ "$RC" = 7 ] && [ "$(printf %s "$OUT" | tr -d "\r")" = tty ]'

run "$SUBPROC" --pty -- sh -c 'ps -o sid= -o pid= -p $$; tty'
read -r sid pid tty <<<"$(printf %s "$OUT" | tr -d '\r' | tr '\n' ' ')"
check "the program leads its own session, its terminal a pty" \
    '[ "$RC" = 0 ] && [ "$sid" = "$pid" ] && [[ $tty == /dev/pts/* || $tty == /dev/tty* ]]'

printf 'abc\n' >"$TMP/in"
"$SUBPROC" --pty -- sh -c 'read x; echo "got $x"' <"$TMP/in" >"$TMP/.out" 2>&1
RC=$?
check "our stdin reaches the program through the pty" \
    '[ "$RC" = 0 ] && grep -q "got abc" "$TMP/.out"'

printf 'one\ntwo\n' | timeout 30 "$SUBPROC" --pty -- cat >"$TMP/.out" 2>&1
RC=$?
check "the end of our stdin is the program's EOF (cat ends)" \
    '[ "$RC" = 0 ] && [ "$(grep -c two "$TMP/.out")" -ge 1 ]'

run "$SUBPROC" --pty --stdout "$TMP/file" -- sh -c 'echo out; test -t 0 && test -t 2 && ! test -t 1 && echo tty >&2'
check "--stdout redirected: that stream is the file, the others the pty" \
    '[ "$RC" = 0 ] && [ "$(cat "$TMP/file")" = out ] && [ "$(printf %s "$OUT" | tr -d "\r")" = tty ]'

run "$SUBPROC" --pty -- "$TMP/nonexistent"
expect_err "a missing program gives 127" 127 "nonexistent.*No such file"
run "$SUBPROC" --pty --daemon -- true
expect_err "--pty --daemon is refused" 125 "--pty cannot go with --daemon"
run "$SUBPROC" --pty --stdin /dev/null --stdout /dev/null --stderr /dev/null -- true
expect_err "--pty with every stream redirected is refused" 125 "leaves nothing on the pty"

run "$SUBPROC" --pty --timeout 1s -- sleep 30
expect "--timeout ends a program on a pty" 124

# Our own terminal: its size passed on, raw mode while the program runs, put back after.
in_terminal "stty rows 33 cols 77
before=\$(stty -g)
$SUBPROC --pty -- stty size
echo rc=\$?
[ \"\$before\" = \"\$(stty -g)\" ] && echo restored"
check "the window size is our terminal's; our terminal is put back" \
    '[[ $OUT == *"33 77"* ]] && [[ $OUT == *rc=0* ]] && [[ $OUT == *restored* ]]'

in_terminal "before=\$(stty -g)
$SUBPROC --pty -- sh -c 'stty -g >$TMP/inner; kill -TERM \$PPID; exec sleep 30'
echo rc=\$?
[ \"\$before\" = \"\$(stty -g)\" ] && echo restored"
check "a signal that ends the program: our terminal is put back (TERM passed on, 143)" \
    '[[ $OUT == *rc=143* ]] && [[ $OUT == *restored* ]]'

# SIGWINCH: our terminal resized while the program runs, the program sees its pty's new size.
in_terminal "stty rows 20 cols 60
$SUBPROC --pty -- sh -c 'trap \"stty size >$TMP/size; exit 0\" WINCH; : >$TMP/ready
    i=0; while [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done; exit 3' &
pid=\$!
i=0; while [ ! -e $TMP/ready ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i+1)); done
stty rows 40 cols 100
wait \$pid
echo rc=\$?"
check "a resize of our terminal reaches the program (SIGWINCH, new size)" \
    '[[ $OUT == *rc=0* ]] && [ "$(cat "$TMP/size" 2>/dev/null)" = "40 100" ]'

# ^C typed on our terminal (raw: a byte) reaches the program through its own terminal.
rm -f "$TMP/ready"
typist() {
    local i=0
    while [ ! -e "$TMP/ready" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
    printf '\003'
    term_done
}
in_terminal "$SUBPROC --pty -- sh -c ': >$TMP/ready; exec sleep 30'
echo rc=\$?" typist
check "^C typed on our terminal ends the program by SIGINT (130)" '[[ $OUT == *rc=130* ]]'

finish
