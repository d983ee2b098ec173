#!/usr/bin/env bash
# Check C files against .clang-format (clang-format 14, as Debian 12 ships it: another version
# formats some constructs differently) and against the 100-column limit, which .clang-format
# leaves comments free of (ReflowComments: false).  Changes nothing.
# Usage: scripts/check-format.sh [-d] [FILE...]
#   default: the tracked *.c and *.h under src/ include/ tools/ tests/ bench/
#   -d: also print what clang-format would change (a unified diff)
# One "pass" or "FAIL" per file (a FAIL names the lines clang-format would change and the
# lines over 100 columns); ends with one line "N passed, N failed"; exits 1 if any file fails.
#
# The tree is formatted with it (CI runs this script).  Where clang-format 14 would mangle the
# code (a macro whose body is a braced initializer), the lines sit between
# "/* clang-format off */" and "/* clang-format on */", with the reason above them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

show_diff=false
if [ "${1:-}" = -d ]; then
    show_diff=true
    shift
fi

cf=
for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1; then
        cf=$c
        break
    fi
done
if [ -z "$cf" ]; then
    echo "check-format: clang-format not found (Debian: apt-get install clang-format)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
version=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$version" != 14 ]; then
    echo "check-format: $cf is version ${version:-unknown}, not 14: expect differences" >&2
fi

if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files -- 'src/*.[ch]' 'include/*.[ch]' 'tools/*.[ch]' \
                             'tests/*.[ch]' 'bench/*.[ch]')
fi

passed=0
failed=0
for f in "${files[@]}"; do
    if ! formatted=$("$cf" --style=file "$f"); then
        echo "FAIL $f: clang-format failed"
        failed=$((failed + 1))
        continue
    fi
    changed=$(diff <(cat "$f") <(printf '%s\n' "$formatted") | grep -c '^<')
    long=$(awk 'length($0) > 100 { n++ } END { print n + 0 }' "$f")
    if [ "$changed" -eq 0 ] && [ "$long" -eq 0 ]; then
        echo "pass $f"
        passed=$((passed + 1))
        continue
    fi
    echo "FAIL $f: $changed lines clang-format would change, $long lines over 100 columns"
    if $show_diff; then
        diff -u --label "$f" --label "$f (clang-format)" "$f" <(printf '%s\n' "$formatted")
        awk -v f="$f" 'length($0) > 100 { print f ":" NR ": " length($0) " columns" }' "$f"
    fi
    failed=$((failed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
