#!/bin/sh
# run-fuzz.sh TARGET CORPUS ARTIFACT_DIR [libFuzzer options...]
# The regression run of one fuzz target: its seed corpus, then the mutations the options allow.
# New inputs go to a scratch directory, so the checked-in corpus is never written to and every
# run starts from the same inputs; a crashing input is saved in ARTIFACT_DIR.
target=$1 corpus=$2 artifacts=$3
shift 3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/subproc-fuzz-corpus.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
rc=0
"$target" -artifact_prefix="$artifacts/" "$@" "$scratch" "$corpus" || rc=$?
exit "$rc"
