# shellcheck shell=bash
# The skeleton the scripts of scripts/ share; each sources it first:
#     . "$(dirname "$0")/lib.sh"
# It sets the shell options (-u, pipefail; not -e: a failing step is counted, not fatal) and
# moves to the root of the checkout.  Every script ends with one line "N passed, N failed"
# (.ci/run adds those lines up); the functions below print it for a step that stopped the
# script, and count such lines in a step's output.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# Stop the script as one failed case: print `message` (if any), then the count line.
# shellcheck disable=SC2120 # the scripts that source this file pass a message
ci_fail() {
    [ $# -eq 0 ] || echo "$*"
    echo "0 passed, 1 failed"
    exit 1
}

# Install the build and test dependencies, and the given extra Debian packages, when missing.
ci_deps() {
    bash scripts/install-deps.sh "$@" || ci_fail
}

# `meson setup BUILDDIR OPTION...` unless BUILDDIR is set up already.
ci_setup() {
    local builddir=$1
    shift
    [ -f "$builddir/build.ninja" ] || meson setup "$builddir" "$@" >/dev/null || ci_fail
}

# `meson compile -C BUILDDIR [TARGET]...`.
ci_compile() {
    meson compile -C "$@" || ci_fail
}

# An absolute path for BUILDDIR (relative to the root).
ci_abspath() {
    case $1 in
    /*) echo "$1" ;;
    *) echo "$PWD/$1" ;;
    esac
}

# Print the count of a meson test log (scripts/count-tests.py: cmocka's cases, one per other
# program); the script's exit status `status` (0 if all passed) becomes non-zero if any case
# failed.  Ends the script.
ci_finish_tests() {
    local testlog=$1 status=$2
    python3 scripts/count-tests.py "$testlog" || status=1
    exit "$status"
}

# `meson test -C BUILDDIR OPTION...` with the failures' logs printed, then ci_finish_tests
# with its log.  Ends the script.  Four test programs at once (SUBPROC_TEST_JOBS), whatever
# the cores: most of them wait far more than they compute (timeouts, grace periods, children
# that sleep), so two left the cores of a 2-core machine 40% idle; the longest start first
# (`priority` in the meson.build files).
ci_test() {
    local builddir=$1 status=0
    shift
    meson test -C "$builddir" --print-errorlogs --num-processes "${SUBPROC_TEST_JOBS:-4}" "$@" ||
        status=$?
    ci_finish_tests "$builddir/meson-logs/testlog.json" "$status"
}

# Add the last "N passed, N failed" line of LOG to $passed and $failed (which the caller
# starts at 0).  A log without one counts as 1 failed; so does a step that exited non-zero
# (`status`) without counting a failure.
ci_count() {
    local log=$1 status=$2 p f
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -n 1)
    if [ -z "$p" ]; then p=0; f=1; fi
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
}
