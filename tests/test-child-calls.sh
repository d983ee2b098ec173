#!/bin/bash
# The child code calls nothing outside itself (issue 11, item 11).
#
# SPDX-License-Identifier: MIT
#
# child.c runs, on Linux, in a child that shares the caller's memory (clone CLONE_VM): a call
# into libc there goes through a PLT entry whose lazy binding writes the caller's GOT and takes
# the dynamic linker's locks, and libc may write errno or its own state.  So child.c.o may
# reference no symbol it does not define, whether written in the source or emitted by the
# compiler (memset, memcpy, __stack_chk_fail), with one exception: siglongjmp, used only by
# subproc_exec(), where the "child" is the caller itself.  A sanitizer build may add its
# runtime's module hooks (the child functions themselves are never instrumented).
#
# usage: test-child-calls.sh LIBSUBPROC.a B_SANITIZE
set -u
lib=$1 sanitize=${2:-none}

if ! command -v nm >/dev/null; then
    echo "nm not found: not checked"
    exit 77
fi
undefined=$(nm -A "$lib" 2>/dev/null | grep -E '(^|:)[^:]*child\.c\.o:' | awk '$(NF-1) == "U" { print $NF }')
if [ -z "$(nm -A "$lib" 2>/dev/null | grep -E 'child\.c\.o:.* T sp_child_run$')" ]; then
    echo "no child.c.o defining sp_child_run in $lib"
    exit 1
fi
bad=0
for sym in $undefined; do
    case $sym in
    siglongjmp | __siglongjmp | __longjmp_chk) ;;
    __asan_* | __ubsan_* | __tsan_* | __sanitizer_* | __msan_*)
        if [ "$sanitize" = none ]; then
            echo "child.c.o references $sym in a build without sanitizers"
            bad=1
        fi
        ;;
    *)
        echo "child.c.o references $sym: code that runs in a child sharing the caller's memory must make raw system calls only"
        bad=1
        ;;
    esac
done
[ "$bad" = 0 ] && echo "child.c.o references only: ${undefined//$'\n'/ }"
exit "$bad"
