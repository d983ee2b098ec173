# Helpers shared by the CLI tests.  Each test script starts with
#     . "$(dirname "$0")/lib.sh" "$@"
# and is run by meson as: bash test-NAME.sh SUBPROC PRINT_ARGV.
# Output is TAP-like ("ok - ..." / "not ok - ..."); the exit status is 0 when every case
# passed, 1 otherwise, 77 (meson's "skipped") from skip_all.

set -u

SUBPROC=$1
PRINT_ARGV=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/subproc-cli.XXXXXX")
NL=$'\n'
cases=0
failures=0
# Pids of every program a case started in the background, killed at exit whatever happened.
started_pids=()

cleanup() {
    local pid
    for pid in "${started_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

remember_pid() {
    started_pids+=("$@")
}

pass() {
    cases=$((cases + 1))
    echo "ok - $1"
}

# fail NAME [DETAIL]...
fail() {
    cases=$((cases + 1))
    failures=$((failures + 1))
    echo "not ok - $1"
    shift
    local line
    for line in "$@"; do
        printf '#   %s\n' "$line"
    done
}

finish() {
    echo "# $cases cases, $failures failed"
    [ "$failures" -eq 0 ]
    exit
}

skip_all() {
    echo "# skipped: $1"
    exit 77
}

# run CMD...: run it with stdin from /dev/null; sets RC, OUT and ERR (trailing newlines cut).
run() {
    "$@" </dev/null >"$TMP/.out" 2>"$TMP/.err"
    RC=$?
    OUT=$(cat "$TMP/.out")
    ERR=$(cat "$TMP/.err")
}

# expect NAME RC [STDOUT]: the last run() exited RC and, if given, printed exactly STDOUT.
expect() {
    local name=$1 rc=$2
    if [ "$RC" != "$rc" ]; then
        fail "$name" "exit status $RC, expected $rc" "stdout: $OUT" "stderr: $ERR"
    elif [ $# -ge 3 ] && [ "$OUT" != "$3" ]; then
        fail "$name" "stdout: $OUT" "expected: $3" "stderr: $ERR"
    else
        pass "$name"
    fi
}

# expect_err NAME RC PATTERN: exited RC with one stderr line starting "subproc: " and
# matching the extended regex PATTERN.
expect_err() {
    local name=$1 rc=$2 pattern=$3
    if [ "$RC" != "$rc" ]; then
        fail "$name" "exit status $RC, expected $rc" "stderr: $ERR"
    elif ! [[ $ERR =~ ^subproc:\  ]] || ! [[ $ERR =~ $pattern ]]; then
        fail "$name" "stderr: $ERR" "expected to match: $pattern"
    else
        pass "$name"
    fi
}

# check NAME CMD [ARG]...: a case that passes when the command succeeds.
# check NAME 'EXPRESSION': the same for a shell expression, evaluated here (so that
# "[ a ] && [ b ]" can be one case).
check() {
    local name=$1 ok
    shift
    if [ $# -eq 1 ]; then
        eval "$1" && ok=1 || ok=0
    else
        "$@" && ok=1 || ok=0
    fi
    if [ "$ok" = 1 ]; then
        pass "$name"
    else
        fail "$name" "false: $*" "stdout: ${OUT-}" "stderr: ${ERR-}"
    fi
}

now_ms() {
    date +%s%3N
}

# wait_for MS CMD...: poll CMD every 10 ms until it succeeds (0) or MS have passed (1).
wait_for() {
    local deadline=$(($(now_ms) + $1))
    shift
    until "$@"; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.01
    done
}

# A pid that exists and is not a zombie waiting for its new parent to reap it.
is_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${state:0:1}" != Z ]
}

is_gone() {
    ! is_alive "$1"
}

file_has_content() {
    [ -s "$1" ]
}

is_root() {
    [ "$(id -u)" = 0 ]
}
