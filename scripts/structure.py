#!/usr/bin/env python3
"""Measure how the library's source files depend on each other (used by scripts/structure.sh).

  structure.py compile SRCROOT BUILDDIR OUTDIR EXTRA-FLAG...
      Print, one per line, "SRC<TAB>OBJ" after compiling every library source named in
      BUILDDIR/compile_commands.json with the build's own flags plus EXTRA-FLAGs into OUTDIR.
  structure.py graphs SRCROOT CIDIR
      Print the file-level call graph from gcc's -fcallgraph-info files (*.ci) in CIDIR, its
      circles, and the include graph of src/ with its cycles.
  structure.py walk SRCROOT BINARY TRACE...
      Print the walk of one traced call, the one most of the TRACEs (runs) took (see
      scripts/structure.sh for the definitions).

A "library source" is a .c file under SRCROOT/src that the build compiles; the script knows no
other file name, so it keeps working when files are split, merged or renamed.
"""
import collections
import json
import os
import re
import shlex
import subprocess
import sys


def rel(root, path):
    path = os.path.normpath(path)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


# ---- compiling ---------------------------------------------------------------------------

def library_commands(root, builddir):
    """The compile command of each library source, once (static and shared share flags)."""
    with open(os.path.join(builddir, "compile_commands.json")) as f:
        entries = json.load(f)
    found = {}
    for e in entries:
        src = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if not src.startswith(os.path.join(root, "src") + os.sep) or not src.endswith(".c"):
            continue
        args = e.get("arguments") or shlex.split(e["command"])
        found.setdefault(src, (e["directory"], args))
    return found


def strip_outputs(args):
    """Drop -o, -c and the dependency-file options: we choose where the output goes."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-MQ", "-MF", "-MT"):
            skip = True
        elif a in ("-c", "-MD", "-MMD"):
            pass
        else:
            out.append(a)
    return out


def compile_all(root, builddir, outdir, extra):
    os.makedirs(outdir, exist_ok=True)
    for src, (cwd, args) in sorted(library_commands(root, builddir).items()):
        # src/a/x.c and src/b/x.c must not share an output: name it by the whole path.
        base = os.path.join(outdir, rel(root, src)[len("src/"):-2].replace(os.sep, "+"))
        args = strip_outputs(args)
        # The source goes last, named absolutely so that gcc's records name it so; our flags
        # go after the build's and win over its -O.
        cmd = args[:-1] + extra + ["-dumpbase", base + ".c", "-c", "-o", base + ".o", src]
        r = subprocess.run(cmd, cwd=cwd)
        if r.returncode:
            sys.exit("structure: cannot compile %s" % rel(root, src))
        print("%s\t%s.o" % (rel(root, src), base))


# ---- graphs ------------------------------------------------------------------------------

NODE = re.compile(r'node: \{ title: "([^"]*)" label: "[^\\]*\\n([^:"]*):\d+:\d+"( shape)?')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"')


def call_graph(root, cidir):
    """{file: {file it calls: number of call sites}} over the library's global functions.

    Calls through function pointers are not seen (gcc records direct calls only); a static
    function is private to its file, so only calls to global functions cross files."""
    defined, calls = {}, []
    for name in sorted(os.listdir(cidir)):
        if not name.endswith(".ci"):
            continue
        with open(os.path.join(cidir, name)) as f:
            text = f.read()
        src = rel(root, re.search(r'graph: \{ title: "([^"]*)"', text).group(1))
        for title, _, shape in NODE.findall(text):
            # gcc's node for a call through a pointer is no function of this file.
            if not shape and ":" not in title and title != "__indirect_call":
                defined[title] = src
        calls += [(src, t) for _, t in EDGE.findall(text)]
    files = sorted(set(defined.values()) | {s for s, _ in calls})
    graph = {f: collections.Counter() for f in files}
    for src, target in calls:
        dst = defined.get(target)
        if dst and dst != src:
            graph[src][dst] += 1
    return graph


def sccs(graph):
    """Strongly connected components (Tarjan), each sorted; only those with a cycle."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out, key=lambda c: (-len(c), c))


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def include_graph(root):
    """{file: [project headers it includes]} for src/*.[ch] and the headers they reach."""
    dirs = [os.path.join(root, d) for d in ("src", "include", "")]
    todo = sorted(os.path.join(d, n) for d, _, names in os.walk(os.path.join(root, "src"))
                  for n in names if n.endswith((".c", ".h")))
    graph = {}
    while todo:
        path = todo.pop()
        key = rel(root, path)
        if key in graph:
            continue
        with open(path, errors="replace") as f:
            names = INCLUDE.findall(f.read())
        graph[key] = []
        here = [os.path.dirname(path)] + dirs
        for n in names:
            hit = next((os.path.join(d, n) for d in here if os.path.isfile(os.path.join(d, n))),
                       None)
            if hit:  # config.h is generated in the build dir: not part of the structure
                graph[key].append(rel(root, hit))
                todo.append(hit)
    return graph


def write_dot(graph, circles, path):
    """The call graph for graphviz (dot -Tsvg), files of a circle in red."""
    red = {f for c in circles for f in c}
    with open(path, "w") as f:
        f.write("digraph calls {\n  rankdir=LR; node [shape=box];\n")
        for v in sorted(graph):
            f.write('  "%s"%s;\n' % (v, " [color=red]" if v in red else ""))
            for w in sorted(graph[v]):
                f.write('  "%s" -> "%s";\n' % (v, w))
        f.write("}\n")


def print_graphs(root, cidir):
    graph = call_graph(root, cidir)
    nedges = sum(len(v) for v in graph.values())
    print("== file-level call graph (src/*.c compiled by the build; %d files, %d edges)"
          % (len(graph), nedges))
    print("   FILE -> files it calls (call sites); direct calls to global functions only")
    for f in sorted(graph):
        if graph[f]:
            print("  %s -> %s" % (f, ", ".join("%s(%d)" % (d, n)
                                                for d, n in sorted(graph[f].items()))))
    circles = sccs(graph)
    print("== call circles (strongly connected components of more than one file): %d"
          % len(circles))
    for c in circles:
        print("  %d files: %s" % (len(c), " ".join(c)))
    print("   files in a circle: %d of %d" % (sum(len(c) for c in circles), len(graph)))
    write_dot(graph, circles, os.path.join(cidir, "calls.dot"))

    inc = include_graph(root)
    headers = {f: [h for h in v] for f, v in inc.items() if f.endswith(".h")}
    print("== include graph (project headers; config.h is generated and left out)")
    for f in sorted(headers):
        print("  %s -> %s" % (f, " ".join(headers[f]) or "-"))
    users = collections.defaultdict(list)
    for f, v in inc.items():
        if f.endswith(".c"):
            for h in v:
                users[h].append(f[len("src/"):])
    print("   included by .c files:")
    for h in sorted(users):
        names = " ".join(sorted(users[h])) if len(users[h]) <= 8 else "..."
        print("  %s <- %d: %s" % (h, len(users[h]), names))
    cycles = sccs(headers)
    print("== include cycles: %d" % len(cycles))
    for c in cycles:
        print("  %s" % " ".join(c))


# ---- the walk ----------------------------------------------------------------------------

def symbolize(binary, addrs):
    out = subprocess.run(["addr2line", "-f", "-e", binary] + ["%x" % a for a in addrs],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    table = {}
    for i, a in enumerate(addrs):
        fn, loc = out[2 * i], out[2 * i + 1]
        table[a] = (fn, loc.rsplit(":", 1)[0])
    return table


def collapse(seq):
    return [x for i, x in enumerate(seq) if i == 0 or seq[i - 1] != x]


def summary(label, stops):
    seen, returns = set(), 0
    for f in stops:
        returns += f in seen
        seen.add(f)
    print("%s: %d stops, %d distinct files, %d returns to a file already left"
          % (label, len(stops), len(seen), returns))


def read_trace(path):
    with open(path) as f:
        return [(kind, int(addr, 16)) for kind, addr in (line.split() for line in f)]


def walk_of(events, where):
    """(stops by calls, stops by calls and returns, indented calls) of one trace."""
    stack, here, entries, calls = [], [], [], []
    for kind, a in events:
        fn, path = where(a)
        if kind == "E":
            stack.append(path)
            entries.append(path)
            calls.append("%s%s %s" % ("  " * (len(stack) - 1), path, fn))
        elif stack:
            stack.pop()
        if stack:
            here.append(stack[-1])
    return tuple(collapse(entries)), tuple(collapse(here)), calls


def print_walk(root, binary, traces):
    runs = [read_trace(t) for t in traces]
    if not all(runs):
        sys.exit("structure: a trace is empty (was the library built with "
                 "-finstrument-functions?)")
    table = symbolize(binary, sorted({a for events in runs for _, a in events}))

    def where(a):
        fn, path = table[a]
        path = os.path.normpath(os.path.join(root, path))
        return fn, (rel(root, path) if path.startswith(root + os.sep) else "?" + fn)

    walks = [walk_of(events, where) for events in runs]
    # The poll loop runs as often as the child's writes take to arrive, so runs may differ:
    # the report shows the walk most runs took, and how many stops each run made.
    tally = collections.Counter(w[0] for w in walks)
    stops, here, calls = next(w for w in walks if w[0] == tally.most_common(1)[0][0])
    print("== walk of one subproc_run: the files of the functions it enters (%d calls)"
          % len(calls))
    for i in range(0, len(stops), 8):
        print("  " + " > ".join(p[len("src/"):] if p.startswith("src/") else p
                                  for p in stops[i:i + 8]))
    summary("walk", stops)
    summary("   counting returns too", here)
    print("   stops in each of %d runs: %s" % (len(walks), " ".join(str(len(w[0])) for w in walks)))
    outside = sorted({p for p in stops if not p.startswith(("src" + os.sep, "include" + os.sep))})
    if outside:
        print("   not in src/ or include/: %s" % " ".join(outside))
    if os.environ.get("STRUCTURE_VERBOSE"):
        print("== every call (indented by depth)")
        print("\n".join("  " + c for c in calls))


def main():
    cmd, root = sys.argv[1], os.path.realpath(sys.argv[2])
    if cmd == "compile":
        compile_all(root, os.path.realpath(sys.argv[3]), os.path.realpath(sys.argv[4]),
                    sys.argv[5:])
    elif cmd == "graphs":
        print_graphs(root, sys.argv[3])
    elif cmd == "walk":
        print_walk(root, sys.argv[3], sys.argv[4:])
    else:
        sys.exit("structure.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main()
