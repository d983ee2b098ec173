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
# --uid without --gid: the user's primary group (never root's), as start-stop-daemon --chuid.
nobody_gid=$(id -g nobody)
run "$SUBPROC" --uid nobody -- sh -c "$IDS"
expect "--uid nobody alone runs with nobody's primary group, no supplementary groups" 0 \
    "$nobody $nobody_gid $nobody_gid"
run "$SUBPROC" --uid "$nobody" --timeout 30s -- sh -c "$IDS"
expect "--uid by number alone: the primary group of its passwd entry (supervised)" 0 \
    "$nobody $nobody_gid $nobody_gid"
run "$SUBPROC" --gid nogroup --uid nobody --gid 0 -- sh -c "$IDS"
expect "--gid given (the last one, before or after --uid) wins over the primary group" 0 "$nobody 0 0"
# A uid that no passwd entry names has no primary group: refused, rather than keep root's.
orphan_uid=
for u in 4000000000 3999999999 3999999998; do
    getent passwd "$u" >/dev/null || { orphan_uid=$u; break; }
done
if [ -n "$orphan_uid" ]; then
    run "$SUBPROC" --uid "$orphan_uid" -- touch "$TMP/ran"
    check "--uid of a uid without passwd entry and no --gid gives 125, naming it, and runs nothing" \
        '[ "$RC" = 125 ] && [[ $ERR == *"--uid $orphan_uid"*"give --gid"* ]] && [ ! -e "$TMP/ran" ]'
    run "$SUBPROC" --uid "$orphan_uid" --gid "$nogroup" -- sh -c "$IDS"
    expect "--uid without passwd entry runs with an explicit --gid" 0 "$orphan_uid $nogroup $nogroup"
fi
# The README's example (without dnsmasq and its pidfile): a daemon as nobody without
# capabilities, in nobody's group.
run "$SUBPROC" -d -i --env-pass-common --uid nobody --clear-caps --stdout "$TMP/readme.out" -- \
    sh -c "$IDS; grep CapEff /proc/self/status | tr -s '\t' ' '"
if [ "$RC" = 0 ] && wait_for 20000 grep -q CapEff "$TMP/readme.out"; then
    check "the README's daemon example runs as nobody in nobody's group, without capabilities" \
        '[ "$(cat "$TMP/readme.out")" = "$nobody $nobody_gid $nobody_gid${NL}CapEff: 0000000000000000" ]'
else
    fail "the README's daemon example runs as nobody in nobody's group, without capabilities" \
        "rc $RC" "stderr: $ERR"
fi
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
