#!/usr/bin/env bash
# Measure the library's structure (issue 13): which source files call into which, the circles
# among them, the include graph, and the walk of one buffered subproc_run() across files.
# Usage: scripts/structure.sh [BUILDDIR]          (default build-structure)
# BUILDDIR is a meson build dir of this checkout (set up with -Dtests=false if it does not
# exist); only its compile_commands.json and config.h are used, and the work files go to
# BUILDDIR/structure/.  Needs gcc (10 or later, for -fcallgraph-info; BUILDDIR must be a gcc
# build), addr2line, python3.  Takes a few seconds.
# The report goes to stdout and is the same on every run of the same code.
#
# What is measured (no src/ file name is known here beyond the entry point subproc_run; every
# .c under src/ that the build compiles is a library source):
#  - Call graph: each library source is compiled with the build's own flags plus
#    -fcallgraph-info; file A calls file B when a function compiled in A calls, directly, a
#    global function defined in B.  Calls through function pointers are not seen; a static
#    inline function of a header counts for the .c file it is inlined into.  A "circle" is a
#    strongly connected component of more than one file: each of its files reaches every other
#    one by calls.  BUILDDIR/structure/ci/calls.dot is the graph for graphviz (dot -Tsvg),
#    the files of circles in red.
#  - Include graph: the #include "..." lines of src/*.[ch] and the project headers they reach;
#    a cycle is a strongly connected component of that graph.
#  - Walk: the library is compiled again with -O0 -finstrument-functions (the child code, whose
#    functions carry SP_CHILD_CODE, without: it runs in a CLONE_VM child and must not record
#    into the parent's memory; should that macro change so that the -D below no longer reaches
#    it, the hooks' thread-id check still keeps the child from recording) and linked into
#    scripts/structure-walk.c, which records every library function entered and left by its
#    own thread during one
#        subproc_run(/bin/sh -c 'echo out; echo err >&2')
#    with subproc_set_output_buffer() and subproc_set_error_buffer() (no input buffer), built
#    before the trace starts and freed after it ends.  Each function is mapped to the file that
#    defines it (addr2line; a static inline function of a header would map to the header).
#    The walk is the sequence of the files of the functions entered, in the order entered,
#    with consecutive entries into the same file merged into one STOP (a call within the file
#    one is in is no move).  A RETURN TO A FILE ALREADY LEFT is a stop whose file also had an
#    earlier stop, so returns = stops - distinct files.  On 9459d91 (the commit before
#    clonestack-linux.c was added, which the issue's numbers predate) this gives the issue's
#    54 stops, 15 files, 39 returns exactly; f08f694 makes 60, 16, 44 (clonestack-linux.c's
#    stack pool, a deadline read in wait.c and one more fd moved by plan.c).  The line
#    "counting returns too" also counts the moves back into the caller's file when a function
#    returns (the thread's file after each entry and exit, merged the same way).  The poll
#    loop turns as often as the child's two writes take to arrive, so the walk is taken
#    STRUCTURE_RUNS times (default 5) and the one most runs took is shown, with the stops of
#    every run.  STRUCTURE_VERBOSE=1 also lists every call, indented by depth.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

builddir=${1:-build-structure}
if [ ! -f "$builddir/compile_commands.json" ]; then
    meson setup "$builddir" -Dtests=false >/dev/null
fi
work=$(cd "$builddir" && pwd)/structure
rm -rf "$work"
mkdir -p "$work/ci" "$work/trace"

echo "structure of $(git describe --always --dirty 2>/dev/null || echo "$root")"

# ---- a. the call and include graphs -----------------------------------------------------
python3 scripts/structure.py compile "$root" "$builddir" "$work/ci" -Wno-error -fcallgraph-info \
    >/dev/null
python3 scripts/structure.py graphs "$root" "$work/ci"

# ---- b. the walk ------------------------------------------------------------------------
# gcc has no disable_sanitizer_instrumentation, so child.h leaves SP_NO_INSTRUMENTATION for
# us to define: the child code is then compiled without the hooks.
python3 scripts/structure.py compile "$root" "$builddir" "$work/trace" \
    -Wno-error -O0 -fno-inline -finstrument-functions \
    '-DSP_NO_INSTRUMENTATION=__attribute__((no_instrument_function))' >"$work/trace/objects"
cut -f2 "$work/trace/objects" >"$work/trace/objects.list"
gcc -std=gnu11 -O0 -g -no-pie -pthread -Wl,-z,now -I include \
    -o "$work/structure-walk" scripts/structure-walk.c @"$work/trace/objects.list"
traces=()
for i in $(seq "${STRUCTURE_RUNS:-5}"); do
    "$work/structure-walk" "$work/trace.$i"
    traces+=("$work/trace.$i")
done
python3 scripts/structure.py walk "$root" "$work/structure-walk" "${traces[@]}"
