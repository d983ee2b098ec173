#!/usr/bin/env bash
# The man page documents every function the header exports, and nothing else: the synopsis
# lines of man/subproc.3.scd ("*type subproc\_name(...);*") against the SUBPROC_EXPORT
# declarations of include/subproc.h, in the same order (the header's lifecycle order).  Prints
# one line per difference, or the first place the order differs, and exits 1 on any.
# Usage: test-man.sh SOURCE_ROOT
set -uo pipefail
root=${1:?usage: test-man.sh SOURCE_ROOT}
header=$root/include/subproc.h
man=$root/man/subproc.3.scd

# Both lists come in the order of their file.
exported() {
    # Declarations may wrap: join the header into one line, then cut at each semicolon.
    tr '\n' ' ' <"$header" | tr ';' '\n' |
        grep -oE 'SUBPROC_EXPORT[^(]*[^a-z0-9_]subproc_[a-z0-9_]+ *\(' |
        grep -oE 'subproc_[a-z0-9_]+ *\($' | tr -d ' ('
}

documented() {
    # A synopsis line is bold from its first character; "\*" inside it is an escaped star.
    grep -E '^\*([^*]|\\\*)*subproc\\_[a-z0-9\\_]+\(' "$man" |
        sed -E 's/^\*([^*]|\\\*)*[^a-z0-9_\\](subproc\\_[a-z0-9\\_]+)\(.*/\2/' | tr -d '\\'
}

header_order=$(exported)
man_order=$(documented)
header_names=$(sort -u <<<"$header_order")
man_names=$(sort -u <<<"$man_order")
n_header=$(wc -l <<<"$header_names")
if [ "$n_header" -lt 50 ]; then
    echo "found only $n_header exported functions in $header: the pattern no longer matches"
    exit 1
fi
status=0
while read -r name; do
    echo "not in man/subproc.3.scd's synopses: $name"
    status=1
done < <(comm -23 <(echo "$header_names") <(echo "$man_names"))
while read -r name; do
    echo "documented in man/subproc.3.scd but not exported by the header: $name"
    status=1
done < <(comm -13 <(echo "$header_names") <(echo "$man_names"))
while read -r name; do
    echo "documented more than once in man/subproc.3.scd: $name"
    status=1
done < <(sort <<<"$man_order" | uniq -d)
# The same names, then the same order: name the first place where the two lists part.
if [ "$status" -eq 0 ] && [ "$header_order" != "$man_order" ]; then
    paste <(echo "$header_order") <(echo "$man_order") | awk -F '\t' '$1 != $2 {
        printf "order differs at function %d: the header has %s, ", NR, $1
        printf "man/subproc.3.scd has %s\n", $2
        exit }'
    status=1
fi
[ "$status" -eq 0 ] && echo "man page and header agree on $n_header functions, in the same order"
exit $status
