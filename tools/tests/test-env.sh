# The environment, as env(1) users expect it: inherited unless -i; -e, -u, --env-pass and
# --env-pass-common applied in command-line order.
. "$(dirname "$0")/lib.sh" "$@"

# The program's environment, one variable a line, sorted, without "_" (which the shell sets
# to the path of the command it runs).  env itself is found in our PATH even with -i.
env_of() {
    run "$SUBPROC" "$@" -- env
    OUT=$(printf '%s\n' "$OUT" | grep -v '^_=' | sort)
}

# Our own environment, in the same form.
our_env() {
    env | grep -v '^_=' | sort
}

export SUBPROC_TEST_FOO=foo SUBPROC_TEST_BAR=bar

env_of
expected=$(our_env)
expect "the environment is inherited whole by default" 0 "$expected"

env_of -e SUBPROC_TEST_NEW=1
expected=$( (our_env; echo SUBPROC_TEST_NEW=1) | sort)
expect "-e adds a variable to the inherited ones" 0 "$expected"

env_of -e SUBPROC_TEST_FOO=changed
expected=$(our_env | sed 's/^SUBPROC_TEST_FOO=foo$/SUBPROC_TEST_FOO=changed/' | sort)
expect "-e overrides an inherited variable" 0 "$expected"

env_of -u SUBPROC_TEST_FOO
expected=$(our_env | grep -v '^SUBPROC_TEST_FOO=')
expect "-u removes an inherited variable and keeps the others" 0 "$expected"

env_of -u SUBPROC_TEST_NOT_SET
expected=$(our_env)
expect "-u of an unset variable changes nothing" 0 "$expected"

env_of -i
expect "-i gives an empty environment (and PROGRAM is found in our PATH)" 0 ""
env_of --env-clear -e A=1 -e 'B=two words' -e 'C=x=y'
expect "-i -e gives exactly the variables set" 0 "$(printf 'A=1\nB=two words\nC=x=y')"
env_of -i -e A=1 -u A
expect "-e then -u of the same name: removed" 0 ""
env_of -u SUBPROC_TEST_FOO -e SUBPROC_TEST_FOO=again -i
expect "-u then -e of the same name: set (and -i may come last)" 0 "SUBPROC_TEST_FOO=again"
env_of -i -e A=1 -e A=2
expect "the last -e of a name wins" 0 "A=2"

env_of --env-pass SUBPROC_TEST_FOO
expect "--env-pass implies -i and passes the name" 0 "SUBPROC_TEST_FOO=foo"
env_of --env-pass SUBPROC_TEST_NOT_SET
expect "--env-pass of an unset name passes nothing" 0 ""
env_of --env-pass SUBPROC_TEST_FOO -e SUBPROC_TEST_FOO=over --env-pass SUBPROC_TEST_BAR
expect "--env-pass and -e apply in order" 0 "$(printf 'SUBPROC_TEST_BAR=bar\nSUBPROC_TEST_FOO=over')"

env_of --env-pass-common
expected=$( (env | grep -E '^(PATH|LD_PRELOAD|LD_LIBRARY_PATH|HOME|USER|LOGNAME|TMPDIR)='; echo LC_ALL=C) | sort)
expect "--env-pass-common passes the common names only, with LC_ALL=C" 0 "$expected"
env_of --env-pass-common -e LC_ALL=en_US.UTF-8 -u HOME
expected=$( (env | grep -E '^(PATH|LD_PRELOAD|LD_LIBRARY_PATH|USER|LOGNAME|TMPDIR)='; echo LC_ALL=en_US.UTF-8) | sort)
expect "--env-pass-common then -e and -u edit it" 0 "$expected"

run "$SUBPROC" -i -e 'X=a b$c*'"'"'"\' -e "$(printf 'NL=line1\nline2')" -- env
expect "values are passed byte for byte" 0 "$(printf 'X=a b$c*'"'"'"\\\nNL=line1\nline2')"

run "$SUBPROC" -e NOEQUALS -- true
expect_err "-e without '=' gives 125 naming it" 125 "NAME=VALUE 'NOEQUALS' for --env"
run "$SUBPROC" -e =value -- true
expect_err "-e with an empty name gives 125" 125 "'=value' for --env"
run "$SUBPROC" -u A=B -- true
expect_err "-u of a name with '=' gives 125" 125 "variable name 'A=B' for --unset"
# Said as invalid input, never as a failed lookup ending in a stale errno ("...: Success").
for bad in a=b 'A=B' =; do
    run "$SUBPROC" -u "$bad" true
    expect_err "-u '$bad' says the name is invalid, and nothing more" 125 \
        "^subproc: invalid variable name '$bad' for --unset\$"
done
run "$SUBPROC" --env-pass "a=b" true
expect_err "--env-pass 'a=b' says the name is invalid" 125 "^subproc: invalid variable name 'a=b' for --env-pass\$"
run "$SUBPROC" -e "=b" true
expect_err "-e '=b' says the NAME=VALUE is invalid" 125 "^subproc: invalid NAME=VALUE '=b' for --env\$"
run "$SUBPROC" --env-pass '' -- true
expect_err "--env-pass of an empty name gives 125" 125 "variable name '' for --env-pass"

finish
