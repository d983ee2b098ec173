# --dry-run: the printed line, pasted into sh, runs the same argv with the same environment
# changes; nothing runs and no file is touched.
. "$(dirname "$0")/lib.sh" "$@"

# Words that need every kind of quoting.
WORDS=('plain' 'two words' "it's" '"double"' "back\\slash" '$HOME' '`date`' '$(date)' '*' '?'
    '[a]' '~' '#x' 'a;b' 'a|b' 'a&b' '<in' '>out' '!' '{a,b}' "$(printf 'new\nline')"
    "$(printf 'tab\there')" '' ' ' '-x' '--long=va lue' 'x=y' "'" "''" 'é ü 中')

direct=$("$PRINT_ARGV" "${WORDS[@]}" | od -An -c)
run "$SUBPROC" --dry-run -- "$PRINT_ARGV" "${WORDS[@]}"
line=$OUT
check "--dry-run prints one line and exits 0" '[ "$RC" = 0 ] && [ -n "$line" ] && [ -z "$ERR" ]'
pasted=$(sh -c "$line" | od -An -c)
check "the printed line run by sh gives the same argv, byte for byte" '[ "$pasted" = "$direct" ]'
pasted=$(bash -c "$line" | od -An -c)
check "... and by bash" '[ "$pasted" = "$direct" ]'

# The program itself needs quoting too, and a leading NAME=value word would be an assignment.
cp "$PRINT_ARGV" "$TMP/print argv=1"
run "$SUBPROC" --dry-run -- "$TMP/print argv=1" a
check "a program path with a space and '=' is quoted" \
    '[ "$(sh -c "$OUT" | od -An -c)" = "$(printf "a\0" | od -An -c)" ]'

# Environment changes: values with every kind of quoting, in a program that prints them.
PRINT_ENV='printf "%s\0" "${X-unset}" "${Y-unset}" "${SUBPROC_TEST_GONE-unset}"'
export SUBPROC_TEST_GONE=inherited
run "$SUBPROC" --dry-run -e "X=${WORDS[*]}" -e "Y=$(printf 'a\nb')" -u SUBPROC_TEST_GONE -- sh -c "$PRINT_ENV"
line=$OUT
expected=$(X="${WORDS[*]}" Y=$(printf 'a\nb') SUBPROC_TEST_GONE= sh -c 'unset SUBPROC_TEST_GONE; '"$PRINT_ENV" | od -An -c)
check "-e and -u are printed so that sh applies them: same values, same removal" \
    '[ "$(sh -c "$line" | od -An -c)" = "$expected" ]'
check "an inherited environment is not printed, only the changes" \
    '[[ $line != *PATH=* ]] && [[ $line == "env -u SUBPROC_TEST_GONE "* ]]'
actual=$("$SUBPROC" -e "X=${WORDS[*]}" -e "Y=$(printf 'a\nb')" -u SUBPROC_TEST_GONE -- sh -c "$PRINT_ENV" | od -An -c)
check "... and the same as running it for real" '[ "$actual" = "$expected" ]'

run "$SUBPROC" --dry-run -i -e A=1 -e 'B=x y' -- env
check "-i is printed as env -i, so the pasted line gets only the variables set" \
    '[ "$OUT" = "env -i A=1 B='"'x y'"' env" ] && [ "$(sh -c "$OUT")" = "A=1${NL}B=x y" ]'
run "$SUBPROC" --dry-run -i -- env
check "-i alone: the pasted line runs with an empty environment" '[ -z "$(sh -c "$OUT")" ]'
run "$SUBPROC" --dry-run -i -e 'NOT.AN.IDENTIFIER=1' -- env
check "a name sh cannot assign goes through env(1)" '[ "$(sh -c "$OUT")" = "NOT.AN.IDENTIFIER=1" ]'
run "$SUBPROC" --dry-run --env-pass SUBPROC_TEST_GONE -- env
check "--env-pass is printed as the value passed" '[ "$(sh -c "$OUT")" = "SUBPROC_TEST_GONE=inherited" ]'

run "$SUBPROC" --dry-run --stdout "$TMP/created" --stderr "$TMP/created2" --stdin "$TMP/missing" \
    -p "$TMP/p.pid" -- touch "$TMP/touched"
check "--dry-run runs nothing and creates no file" \
    '[ "$RC" = 0 ] && [ ! -e "$TMP/touched" ] && [ ! -e "$TMP/created" ] && [ ! -e "$TMP/created2" ] &&
     [ ! -e "$TMP/p.pid" ]'
run "$SUBPROC" --dry-run -d -- touch "$TMP/touched"
check "--dry-run -d starts no daemon" '[ "$RC" = 0 ] && [ "$OUT" = "touch $TMP/touched" ] && [ ! -e "$TMP/touched" ]'
run "$SUBPROC" --dry-run -- "$TMP/nonexistent"
expect "--dry-run does not look the program up" 0 "$TMP/nonexistent"
run "$SUBPROC" --dry-run --timeout 5x -- true
expect_err "--dry-run still checks the options" 125 "duration '5x'"

ran=$("$SUBPROC" -v -- "$PRINT_ARGV" "${WORDS[@]}" 2>"$TMP/log" | od -An -c)
check "-v logs the same line on stderr, then runs the program" \
    '[ "$ran" = "$direct" ] && [ "$(sh -c "$(cat "$TMP/log")" | od -An -c)" = "$direct" ]'

run "$SUBPROC" -v -i -e A=1 -- true
check "-v shows a clean environment as env -i too" '[ "$RC" = 0 ] && [ "$ERR" = "env -i A=1 true" ]'
if [ -w /dev/full ]; then
    "$SUBPROC" --dry-run -- true >/dev/full 2>"$TMP/full.err"
    rc=$?
    check "--dry-run that cannot write its line gives 125" \
        '[ "$rc" = 125 ] && [[ $(cat "$TMP/full.err") == "subproc: cannot write the command line: "* ]]'
fi

finish
