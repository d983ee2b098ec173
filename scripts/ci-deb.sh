#!/usr/bin/env bash
# Build the Debian packages from debian/ the way a Debian 12 user would, check them and use them:
# build dependencies from debian/control (apt-get build-dep), dpkg-buildpackage -us -uc -b in a
# copy of the tree outside it, the symbols file, lintian (no errors, no warnings), installing the
# three packages, building and running the examples with pkg-config against them, and
# `subproc --version`; then everything installed here is removed again.
# Usage (as root): scripts/ci-deb.sh
# The test suite is skipped in the package build (DEB_BUILD_OPTIONS=nocheck: CI runs it in its
# other steps); SUBPROC_DEB_CHECK=1 runs it there too, as a normal package build does.
# Ends with one line "N passed, N failed"; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"
src=$PWD

passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
finish() {
    echo "${passed} passed, ${failed} failed"
    [ "$failed" -eq 0 ]
    exit
}

[ "$(id -u)" -eq 0 ] || { not_ok "must run as root (apt-get, dpkg)"; finish; }

export DEBIAN_FRONTEND=noninteractive
# Other jobs on the machine may hold the dpkg lock for a while: wait for it rather than fail.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
packages=(libsubproc0 libsubproc-dev subproc)

work=$(mktemp -d /tmp/subproc-deb.XXXXXX)
installed=0
cleanup() {
    [ "$installed" -eq 0 ] || apt_get purge "${packages[@]}" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# The package's upstream version is the project's.
meson_version=$(sed -n "s/^ *version: '\([^']*\)',.*/\1/p" meson.build | head -n 1)
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null ||
              sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
if [ -n "$meson_version" ] && [ "${deb_version%-*}" = "$meson_version" ]; then
    ok "debian/changelog version $deb_version matches meson.build's $meson_version"
else
    not_ok "debian/changelog version '$deb_version' does not match meson.build's '$meson_version'"
fi

# The tree as git sees it (tracked and new files, not build directories), outside the checkout.
mkdir -p "$work/subproc"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z -c -o --exclude-standard |
        (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$work/subproc"
else
    tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$work/subproc"
fi

log=$work/apt.log
if apt_get update >"$log" 2>&1 &&
   apt_get build-dep "$work/subproc" >>"$log" 2>&1 &&
   apt_get install --no-install-recommends dpkg-dev lintian gcc libc6-dev pkgconf >>"$log" 2>&1
then
    ok "build dependencies installed from debian/control (apt-get build-dep)"
else
    tail -n 30 "$log"
    not_ok "installing the build dependencies"
    finish
fi

log=$work/build.log
check=nocheck
[ "${SUBPROC_DEB_CHECK:-0}" = 1 ] && check=
if (cd "$work/subproc" &&
    DEB_BUILD_OPTIONS="$check parallel=2" nice dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b${check:+ (DEB_BUILD_OPTIONS=nocheck)}"
else
    tail -n 60 "$log"
    not_ok "dpkg-buildpackage -us -uc -b"
    finish
fi

version=$(dpkg-parsechangelog -l "$work/subproc/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
debs=()
for p in "${packages[@]}"; do
    deb=$work/${p}_${version}_${arch}.deb
    if [ -f "$deb" ]; then ok "built $(basename "$deb")"; debs+=("$deb"); else not_ok "no $deb"; fi
done
[ ${#debs[@]} -eq ${#packages[@]} ] || finish

# Each package holds what it should: the library; the header, pkg-config file, static library,
# development symlink and man page 3; the tool and man page 1.
expect_file() {
    local deb=$1 pattern=$2
    if dpkg-deb -c "$deb" | awk '{print $6}' | grep -Eq "$pattern"; then
        ok "$(basename "$deb") has $pattern"
    else
        not_ok "$(basename "$deb") lacks $pattern"
    fi
}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
expect_file "${debs[0]}" "^\./usr/lib/$multiarch/libsubproc\.so\.0$"
expect_file "${debs[1]}" '^\./usr/include/subproc\.h$'
expect_file "${debs[1]}" "^\./usr/lib/$multiarch/pkgconfig/subproc\.pc$"
expect_file "${debs[1]}" "^\./usr/lib/$multiarch/libsubproc\.so$"
expect_file "${debs[1]}" "^\./usr/lib/$multiarch/libsubproc\.a$"
expect_file "${debs[1]}" '^\./usr/share/man/man3/subproc\.3\.gz$'
expect_file "${debs[2]}" '^\./usr/bin/subproc$'
expect_file "${debs[2]}" '^\./usr/share/man/man1/subproc\.1\.gz$'

# dpkg-gensymbols only warns when the library's exports and debian/libsubproc0.symbols differ; a
# public function added without its line there (or removed) fails here.
if grep -q 'dpkg-gensymbols: warning' "$log"; then
    grep -A 40 'dpkg-gensymbols: warning' "$log" | head -n 60
    not_ok "debian/libsubproc0.symbols differs from the library's exports (diff above)"
else
    ok "debian/libsubproc0.symbols matches the library's exports"
fi

if lintian -I --fail-on error,warning "$work"/subproc_*.changes; then
    ok "lintian: no errors, no warnings"
else
    not_ok "lintian reports errors or warnings (above)"
fi

# A copy left installed by an interrupted run would hide a broken install.
apt_get purge "${packages[@]}" >/dev/null 2>&1
installed=1
if apt_get install --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1; then
    ok "apt-get install of the three packages"
else
    tail -n 30 "$work/install.log"
    not_ok "apt-get install of the three packages"
    finish
fi

# Every example, built like a user's program against the installed packages, and run.
flags=$(pkg-config --cflags --libs subproc) && ok "pkg-config --cflags --libs subproc: $flags" ||
    not_ok "pkg-config finds no subproc"
for example in "$src"/examples/*.c; do
    name=$(basename "$example" .c)
    # shellcheck disable=SC2086 # the flags are words
    if cc -Wall -Wextra -Werror "$example" $flags -o "$work/$name" 2>"$work/cc.log"; then
        if (cd "$work" && timeout 120 "./$name") >"$work/run.log" 2>&1; then
            ok "examples/$name.c built with cc \$(pkg-config --cflags --libs subproc) and ran"
        else
            tail -n 20 "$work/run.log"
            not_ok "examples/$name.c failed when run"
        fi
    else
        cat "$work/cc.log"
        not_ok "examples/$name.c does not build against the installed package"
    fi
done
# The examples shipped in libsubproc-dev are the same files.
if [ -f "/usr/share/doc/libsubproc-dev/examples/capture.c" ]; then
    ok "libsubproc-dev ships the examples"
else
    not_ok "no /usr/share/doc/libsubproc-dev/examples/capture.c"
fi

out=$(subproc --version 2>&1)
if [ "$out" = "subproc ${version%-*}" ]; then
    ok "subproc --version: $out"
else
    not_ok "subproc --version printed '$out', expected 'subproc ${version%-*}'"
fi
if subproc --dry-run -e A=b -- echo 'x y' >"$work/dry.log" 2>&1 && grep -q "'x y'" "$work/dry.log"
then
    ok "the installed tool runs: $(cat "$work/dry.log")"
else
    cat "$work/dry.log"
    not_ok "subproc --dry-run"
fi

if apt_get purge "${packages[@]}" >"$work/purge.log" 2>&1 &&
   ! dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -q ' installed$' &&
   hash -r && ! command -v subproc >/dev/null; then
    installed=0
    ok "the three packages purged"
else
    tail -n 20 "$work/purge.log"
    not_ok "purging the packages"
fi
finish
