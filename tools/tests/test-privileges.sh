# Credentials and capabilities: --uid, --gid, --clear-caps.  Needs root.
. "$(dirname "$0")/lib.sh" "$@"

if ! is_root; then
    # The one thing to check without root: the failure is reported, and nothing runs.
    run "$SUBPROC" --clear-caps -- touch "$TMP/ran"
    check "--clear-caps without CAP_SETPCAP fails with 125 and runs nothing" \
        '[ "$RC" = 125 ] && [[ $ERR == *"bounding set"* ]] && [ ! -e "$TMP/ran" ]'
    [ "$failures" = 0 ] || finish
    skip_all "changing uid and gid and dropping the bounding set need root"
fi
getent passwd nobody >/dev/null && getent group nogroup >/dev/null ||
    skip_all "no user 'nobody' or group 'nogroup'"
nobody=$(id -u nobody)
nogroup=$(getent group nogroup | cut -d: -f3)

IDS='echo "$(id -u) $(id -g) $(id -G)"'
run "$SUBPROC" --uid nobody --gid nogroup -- sh -c "$IDS"
expect "--uid nobody --gid nogroup: uid, gid and only that group" 0 "$nobody $nogroup $nogroup"
run "$SUBPROC" --uid "$nobody" --gid "$nogroup" --timeout 30s -- sh -c "$IDS"
expect "--uid and --gid by number, supervised" 0 "$nobody $nogroup $nogroup"
run "$SUBPROC" --uid nobody -- sh -c "$IDS"
expect "--uid alone keeps our gid and drops supplementary groups" 0 "$nobody $(id -g) $(id -g)"
run "$SUBPROC" --gid nogroup -- sh -c "$IDS"
expect "--gid alone keeps our uid" 0 "0 $nogroup $nogroup"
run "$SUBPROC" --uid nobody --gid nogroup -- sh -c 'grep -E "^(Uid|Gid):" /proc/$$/status | tr -s "\t" " "'
expect "real, effective, saved and fs ids all change" 0 \
    "Uid: $nobody $nobody $nobody $nobody${NL}Gid: $nogroup $nogroup $nogroup $nogroup"

run "$SUBPROC" --uid subproc-no-such-user -- true
expect_err "an unknown user gives 125 naming it" 125 "no such user 'subproc-no-such-user' for --uid"
run "$SUBPROC" --gid subproc-no-such-group -- true
expect_err "an unknown group gives 125 naming it" 125 "no such group 'subproc-no-such-group' for --gid"
run "$SUBPROC" --uid 4294967295 -- true
expect_err "uid -1 gives 125" 125 "user '4294967295' for --uid is out of range"
run "$SUBPROC" --uid nobody --gid nogroup -- "$SUBPROC" --uid 0 -- true
expect_err "a uid change that is not permitted gives 125, naming the step" 125 \
    "(setgroups|setuid).*Operation not permitted"

CAPS='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status | tr -s "\t" " "'
zero=0000000000000000
run "$SUBPROC" --clear-caps -- sh -c "$CAPS"
expect "--clear-caps empties every capability set" 0 \
    "CapInh: $zero${NL}CapPrm: $zero${NL}CapEff: $zero${NL}CapBnd: $zero${NL}CapAmb: $zero"
run "$SUBPROC" -- grep CapEff /proc/self/status
check "without --clear-caps root keeps its capabilities" '[[ $OUT != *"$zero" ]]'
run "$SUBPROC" --clear-caps --uid nobody --gid nogroup --no-new-privs --timeout 30s -- \
    sh -c "$CAPS; $IDS; grep NoNewPrivs /proc/self/status"
check "everything dropped at once, supervised" \
    '[ "$RC" = 0 ] && [[ $OUT == *"CapBnd: $zero"* ]] && [[ $OUT == *"$nobody $nogroup $nogroup"* ]] &&
     [[ $OUT == *"NoNewPrivs:"*1 ]]'

finish
