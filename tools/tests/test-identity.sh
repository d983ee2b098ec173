# Identity (issue 14): --user, --groups, --init-groups, --keep-groups, --ambient-caps,
# --inh-caps, --bounding-set, and --dry-run showing them.  The refusals need no root; the runs
# do, with a user and groups made here (useradd, groupadd) and removed at the end.
. "$(dirname "$0")/lib.sh" "$@"

# ---- refused before anything runs (no root needed) ----------------------------------------

run "$SUBPROC" --user subproc-no-such-user -- touch "$TMP/ran"
expect_err "--user of an unknown user gives 125 naming it" 125 \
    "no such user 'subproc-no-such-user' for --user"
run "$SUBPROC" --user 3999999997 -- touch "$TMP/ran"
expect_err "--user of a uid without passwd entry gives 125" 125 "no such user '3999999997'"
run "$SUBPROC" --user '' -- true
expect_err "--user '' gives 125" 125 "no such user '' for --user"
run "$SUBPROC" --groups 0,subproc-no-such-group -- true
expect_err "--groups with an unknown group names it" 125 "no such group 'subproc-no-such-group'"
run "$SUBPROC" --groups 0,,1 -- true
expect_err "--groups with an empty item" 125 "an empty name"
run "$SUBPROC" --groups 4294967295 -- true
expect_err "--groups with gid -1" 125 "group '4294967295'"
run "$SUBPROC" --ambient-caps net_bind_service -- true
expect_err "--ambient-caps items start with + or -, as setpriv's" 125 \
    "invalid capability list 'net_bind_service' for --ambient-caps"
run "$SUBPROC" --ambient-caps +no_such_cap -- true
expect_err "--ambient-caps with an unknown name" 125 "invalid capability list '\+no_such_cap'"
run "$SUBPROC" --ambient-caps +64 -- true
expect_err "--ambient-caps with a number past the last capability" 125 "invalid capability list"
run "$SUBPROC" --ambient-caps +net_bind_service, -- true
expect_err "--ambient-caps with a trailing comma" 125 "invalid capability list"
run "$SUBPROC" --inh-caps +net_raw --ambient-caps +net_bind_service -- true
expect_err "--inh-caps naming other capabilities than --ambient-caps" 125 \
    "--inh-caps must name the same capabilities as --ambient-caps"
run "$SUBPROC" --inh-caps +net_raw -- true
expect_err "--inh-caps without --ambient-caps" 125 "--inh-caps must name the same"
run "$SUBPROC" --bounding-set -net_raw -- true
expect_err "--bounding-set dropping only some" 125 "--bounding-set can drop every capability"
run "$SUBPROC" --bounding-set -all --ambient-caps +net_raw -- true
expect_err "--bounding-set -all would drop the kept ones" 125 "add them back"
run "$SUBPROC" --user nobody --uid nobody -- true
expect_err "--user with --uid" 125 "--user and --uid both say whom to run as"
run "$SUBPROC" --user nobody --groups 0 -- true
expect_err "--user with --groups" 125 "--user gives the user's own groups"
run "$SUBPROC" --uid nobody --groups 0 --keep-groups -- true
expect_err "--groups with --keep-groups" 125 "mutually exclusive"
run "$SUBPROC" --init-groups -- true
expect_err "--init-groups without --uid" 125 "--init-groups needs --uid"
[ ! -e "$TMP/ran" ] && pass "no refused command ran" || fail "no refused command ran"

# ---- --dry-run ---------------------------------------------------------------------------

if getent passwd nobody >/dev/null; then
    nobody=$(id -u nobody)
    nobody_gid=$(id -g nobody)
    nobody_groups=$(id -G nobody | tr ' ' ',')
    run "$SUBPROC" --dry-run --user nobody --ambient-caps +net_bind_service,+cap_net_raw \
        --inh-caps +NET_RAW,+10 --bounding-set -all,+net_bind_service,+13 -- touch "$TMP/ran"
    expect "--dry-run shows the resolved user, groups and capabilities, then the command" 0 \
        "# uid=$nobody gid=$nobody_gid groups=$nobody_groups ambient-caps=+net_bind_service,+net_raw bounding-set=-all,+net_bind_service,+net_raw${NL}touch $TMP/ran"
    check "... and runs nothing" '[ ! -e "$TMP/ran" ]'
    run "$SUBPROC" --dry-run --uid nobody -- true
    expect "--dry-run --uid alone: the primary group and no supplementary ones" 0 \
        "# uid=$nobody gid=$nobody_gid groups=${NL}true"
    run "$SUBPROC" --dry-run --uid nobody --groups 4,24 -- true
    expect "--dry-run --groups" 0 "# uid=$nobody gid=$nobody_gid groups=4,24${NL}true"
    run "$SUBPROC" --dry-run --ambient-caps +all,-all -- true
    expect "--dry-run with an empty kept set" 0 "# ambient-caps=-all${NL}true"
fi
run "$SUBPROC" --dry-run -- true
expect "--dry-run without identity options prints only the command" 0 "true"

if ! is_root; then
    finish
fi

# ---- as root: a user and groups of the test's own ------------------------------------------

command -v useradd >/dev/null && command -v groupadd >/dev/null ||
    { echo "# skipped the root cases: no useradd/groupadd"; finish; }
u=spcli$$
remove_user() {
    userdel "$u" 2>/dev/null
    for g in "$u-p" "$u-a" "$u-b"; do groupdel "$g" 2>/dev/null; done
}
remove_user
trap 'remove_user; cleanup' EXIT
for g in "$u-p" "$u-a" "$u-b"; do groupadd "$g" || fail "groupadd $g"; done
useradd -M -N -s /bin/false -g "$u-p" -G "$u-a,$u-b" "$u" || fail "useradd $u"
uid=$(id -u "$u")
gp=$(getent group "$u-p" | cut -d: -f3)
ga=$(getent group "$u-a" | cut -d: -f3)
gb=$(getent group "$u-b" | cut -d: -f3)
all=$(printf '%s\n' "$gp" "$ga" "$gb" | sort -n | tr '\n' ' ' | sed 's/ $//')

IDS='echo "$(id -u) $(id -g) $(id -G | tr " " "\n" | sort -n | tr "\n" " " | sed "s/ \$//")"'
run "$SUBPROC" --user "$u" -- sh -c "$IDS"
expect "--user: the user's uid, primary group and supplementary groups" 0 "$uid $gp $all"
run "$SUBPROC" --user "$uid" --timeout 30s -- sh -c "$IDS"
expect "--user by number, supervised" 0 "$uid $gp $all"
run "$SUBPROC" --uid "$u" -- sh -c "$IDS"
expect "--uid alone: the primary group only (for contrast)" 0 "$uid $gp $gp"
run "$SUBPROC" --uid "$u" --init-groups -- sh -c "$IDS"
expect "--uid with --init-groups: the user's groups too, as setpriv --init-groups" 0 \
    "$uid $gp $all"
run "$SUBPROC" --user "$u" --gid "$u-a" -- sh -c "$IDS"
expect "--user with --gid: that group instead of the primary one, the user's groups kept" 0 \
    "$uid $ga $all"
run "$SUBPROC" --uid "$u" --groups "$u-b,$ga" -- sh -c "$IDS"
expect "--groups by name and number" 0 "$uid $gp $(printf '%s\n' "$gp" "$ga" "$gb" | sort -n -u | tr '\n' ' ' | sed 's/ $//')"
run "$SUBPROC" --groups "$ga,$gb" -- "$SUBPROC" --uid "$u" --keep-groups -- sh -c "$IDS"
expect "--keep-groups keeps ours across the uid change" 0 "$uid $gp $all"
run "$SUBPROC" --groups "$ga" -- sh -c "$IDS"
expect "--groups alone changes only the groups" 0 "0 0 0 $ga"

CAPS='grep -E "^Cap(Inh|Prm|Eff|Amb):" /proc/self/status | tr -s "\t" " " | tr "\n" " "'
bind=0000000000000400
run "$SUBPROC" --user "$u" --ambient-caps +net_bind_service -- sh -c "$CAPS"
expect "--ambient-caps: an unprivileged user keeps exactly that capability" 0 \
    "CapInh: $bind CapPrm: $bind CapEff: $bind CapAmb: $bind "
run "$SUBPROC" --user "$u" --inh-caps +net_bind_service --ambient-caps +net_bind_service \
    --bounding-set -all,+net_bind_service -- sh -c "$CAPS; grep CapBnd /proc/self/status | tr -s '\t' ' '"
expect "setpriv's spelling: --inh-caps, --ambient-caps and --bounding-set together" 0 \
    "CapInh: $bind CapPrm: $bind CapEff: $bind CapAmb: $bind CapBnd: $bind"
run "$SUBPROC" --user "$u" -- sh -c "$CAPS"
zero=0000000000000000
expect "without --ambient-caps the user has none" 0 \
    "CapInh: $zero CapPrm: $zero CapEff: $zero CapAmb: $zero "
# A python3 the new user can run (not one under /root).
if [ -x /usr/bin/python3 ]; then
    BIND='import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 80)); print("bound")
except OSError as e:
    print("in use" if e.errno == 98 else e.strerror)'
    run "$SUBPROC" --user "$u" --ambient-caps +net_bind_service -- /usr/bin/python3 -c "$BIND"
    check "--ambient-caps +net_bind_service: the user binds port 80" \
        '[ "$RC" = 0 ] && { [ "$OUT" = bound ] || [ "$OUT" = "in use" ]; }'
    run "$SUBPROC" --user "$u" -- /usr/bin/python3 -c "$BIND"
    expect "... which it cannot without" 0 "Permission denied"
fi

finish
