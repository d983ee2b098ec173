#!/usr/bin/env bash
# Every function include/subproc.h exports says, in its own comment or in the banner of its
# section, how it may be used from threads ("Thread safety: ...") and from signal handlers
# ("Async-signal safety: ..." or "Async-signal-safe"); and one that returns a pointer says who
# owns it ("owned by", "owns", "free", "unmap").  Prints one line per missing note and exits 1
# on any.
# Usage: test-header.sh SOURCE_ROOT
set -uo pipefail
root=${1:?usage: test-header.sh SOURCE_ROOT}
header=$root/include/subproc.h

# One line per exported function: "name<TAB>returns-pointer<TAB>doc comment + section banner".
notes() {
    awk '
        # A banner opens with "/* ---" or "/* ===" and replaces the section text; any other
        # comment is the doc comment of the declaration that follows it.
        /^\/\* [-=][-=][-=][-=][-=][-=]/ { in_banner = 1; banner = ""; next }
        in_banner { banner = banner " " $0; if ($0 ~ /\*\//) in_banner = 0; next }
        /^\/\*/ { doc = "" ; in_doc = 1 }
        in_doc { doc = doc " " $0; if ($0 ~ /\*\//) in_doc = 0; next }
        /^SUBPROC_EXPORT/ {
            decl = $0
            match(decl, /subproc_[a-z0-9_]+ *\(/)
            name = substr(decl, RSTART, RLENGTH)
            sub(/ *\($/, "", name)
            pointer = (substr(decl, 1, RSTART - 1) ~ /\*/) ? 1 : 0
            text = doc " " banner
            gsub(/\t/, " ", text)
            print name "\t" pointer "\t" text
            doc = ""
        }
    ' "$header"
}

status=0
count=0
while IFS=$'\t' read -r name pointer text; do
    count=$((count + 1))
    if ! grep -q 'Thread safety:' <<<"$text"; then
        echo "$name: no \"Thread safety:\" note in its comment or section banner"
        status=1
    fi
    if ! grep -qE 'Async-signal safety:|Async-signal-safe' <<<"$text"; then
        echo "$name: no \"Async-signal safety:\" note in its comment or section banner"
        status=1
    fi
    if [ "$pointer" = 1 ] && ! grep -qE 'owned by|owns|free|unmap' <<<"$text"; then
        echo "$name: returns a pointer but does not say who owns it"
        status=1
    fi
done < <(notes)
if [ "$count" -lt 50 ]; then
    echo "found only $count exported functions in $header: the pattern no longer matches"
    exit 1
fi
[ "$status" -eq 0 ] && echo "all $count exported functions state their thread and signal safety"
exit $status
