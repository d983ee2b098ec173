# Issue 14, confinement: --seccomp-filter FILE (a raw BPF program, as setpriv reads it),
# --landlock-access / --landlock-rule (setpriv 2.40's syntax), and --dry-run showing them.
. "$(dirname "$0")/lib.sh" "$@"
MAKE_BPF=$3
[ "$(uname -s)" = Linux ] || skip_all "seccomp and Landlock are Linux's"

"$MAKE_BPF" deny-uname 1 >"$TMP/deny-uname.bpf" || skip_all "make-bpf failed"
"$MAKE_BPF" invalid >"$TMP/invalid.bpf"

# ---- seccomp ----------------------------------------------------------------------------
UNAME='uname >/dev/null; echo "rc=$?"'
run "$SUBPROC" -- sh -c "$UNAME"
expect "without a filter uname works" 0 "rc=0"
run "$SUBPROC" --seccomp-filter "$TMP/deny-uname.bpf" -- sh -c "$UNAME"
check "--seccomp-filter: uname fails with EPERM, the program runs" \
    '[ "$RC" = 0 ] && [ "$OUT" = "rc=1" ] && [[ $ERR == *"Operation not permitted"* ]]'
run "$SUBPROC" --seccomp-filter "$TMP/deny-uname.bpf" --timeout 30s -- sh -c "$UNAME"
check "... and so under supervision" '[ "$RC" = 0 ] && [ "$OUT" = "rc=1" ]'
run "$SUBPROC" --seccomp-filter "$TMP/invalid.bpf" -- touch "$TMP/ran"
expect_err "a program the kernel refuses: 125, the step named, nothing run" 125 \
    "install the seccomp filter \(1 instructions\): Invalid argument"
check "... and the program did not run" '[ ! -e "$TMP/ran" ]'

run "$SUBPROC" --seccomp-filter "$TMP/missing.bpf" -- true
expect_err "a missing filter file" 125 "--seccomp-filter $TMP/missing.bpf: No such file"
: >"$TMP/empty.bpf"
run "$SUBPROC" --seccomp-filter "$TMP/empty.bpf" -- true
expect_err "an empty filter file" 125 "0 bytes are not a BPF program"
head -c 7 "$TMP/deny-uname.bpf" >"$TMP/odd.bpf"
run "$SUBPROC" --seccomp-filter "$TMP/odd.bpf" -- true
expect_err "a filter file of part of an instruction" 125 "7 bytes are not a BPF program"
head -c $((4097 * 8)) /dev/zero >"$TMP/big.bpf"
run "$SUBPROC" --seccomp-filter "$TMP/big.bpf" -- true
expect_err "a filter of more than 4096 instructions" 125 "or more are not a BPF program of 1 to 4096"

# ---- Landlock ---------------------------------------------------------------------------
run "$SUBPROC" --landlock-access fly -- true
expect_err "--landlock-access of something else than fs" 125 "expected fs or fs:ACCESS"
run "$SUBPROC" --landlock-access fs:read-dir,fly -- true
expect_err "an unknown access is named" 125 "unknown file system access 'fly'"
run "$SUBPROC" --landlock-rule path-beneath:read-dir:/ -- true
expect_err "a rule without --landlock-access" 125 "--landlock-rule needs --landlock-access"
run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule path-beneath:read-file:/ -- true
expect_err "a rule allowing what the ruleset does not handle" 125 "allows access that no"
run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule read-dir:/ -- true
expect_err "a rule of another syntax" 125 "expected path-beneath:ACCESS"

run "$SUBPROC" --dry-run --seccomp-filter "$TMP/deny-uname.bpf" --landlock-access fs:read-dir,read-file \
    --landlock-rule "path-beneath:read-file:/usr" --landlock-rule "path-beneath:read-dir:$TMP/no such dir" \
    -- touch "$TMP/ran"
check "--dry-run shows the filter, the access and the rules as sh comments, runs nothing" \
    '[ "$RC" = 0 ] && [ "$OUT" = "touch $TMP/ran${NL}# --seccomp-filter $TMP/deny-uname.bpf: 4 BPF instructions, installed last${NL}# --landlock-access fs:read-file,read-dir${NL}# --landlock-rule path-beneath:read-file:/usr${NL}# --landlock-rule path-beneath:read-dir:$TMP/no such dir" ] &&
     [ ! -e "$TMP/ran" ] && [ -z "$(sh -c "$OUT" 2>&1; rm -f "$TMP/ran")" ]'
run "$SUBPROC" --dry-run --landlock-access fs -- true
expect "--dry-run --landlock-access fs" 0 "true${NL}# --landlock-access fs"

run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule path-beneath:read-dir:/ -- true
if [[ $ERR == *"no Landlock"* || $ERR == *"Landlock is disabled"* ]]; then
    echo "# skipped the Landlock runs: $ERR"
    finish
fi
expect "a ruleset allowing what it handles everywhere runs the program" 0

mkdir -p "$TMP/dir/sub" "$TMP/w" "$TMP/x"
run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule path-beneath:read-dir:/proc \
    -- sh -c "ls /proc/self >/dev/null && echo proc-ok; ls '$TMP/dir'"
check "read-dir: allowed beneath /proc, denied elsewhere" \
    '[ "$RC" != 0 ] && [ "$OUT" = "proc-ok" ] && [[ $ERR == *"Permission denied"* ]]'
run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule path-beneath:read-dir:/proc \
    --timeout 30s -- ls "$TMP/dir"
check "... and so under supervision" '[ "$RC" != 0 ] && [[ $ERR == *"Permission denied"* ]]'

run "$SUBPROC" --landlock-access fs:write-file,make-reg --landlock-rule "path-beneath:write-file,make-reg:$TMP/w" \
    -- sh -c "echo x >'$TMP/w/ok'; echo y >'$TMP/denied'"
check "write-file and make-reg: allowed beneath the rule's directory only" \
    '[ "$RC" != 0 ] && [ -e "$TMP/w/ok" ] && [ ! -e "$TMP/denied" ]'

cp "$(type -P true)" "$TMP/x/true"
exec_rules=()
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32; do
    [ -d "$d" ] && exec_rules+=(--landlock-rule "path-beneath:execute:$d")
done
run "$SUBPROC" --landlock-access fs:execute "${exec_rules[@]}" -- sh -c "'$TMP/x/true' && echo ran"
check "execute: the system's programs run, one beneath another directory does not" \
    '[ "$RC" = 126 ] && [ -z "$OUT" ] && [[ $ERR == *"Permission denied"* ]]'

run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule "path-beneath:read-dir:$TMP/missing" -- true
expect_err "a rule's path that does not exist" 125 "--landlock-rule: $TMP/missing: No such file"
: >"$TMP/file"
run "$SUBPROC" --landlock-access fs:read-dir --landlock-rule "path-beneath:read-dir:$TMP/file" -- true
expect_err "directory access on a file" 125 "is not a directory"

finish
