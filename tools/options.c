/* The command line of the subproc tool: options, help, and the checks that refuse
 * combinations before anything happens. */
#include "cli.h"
#include "identity.h"
#include "parse-sched.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int usage_error(const char *fmt, ...)
{
        static const char hint[] = "Try 'subproc --help' for more information.\n";
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        say("%s", msg);
        (void)write_quietly(STDERR_FILENO, hint, sizeof hint - 1);
        return -1;
}

enum {
        OPT_ENV_PASS = 256,
        OPT_ENV_PASS_COMMON,
        OPT_STDIN,
        OPT_STDOUT,
        OPT_STDERR,
        OPT_APPEND,
        OPT_PASS_FD,
        OPT_KEEP_FDS,
        OPT_EXIT_WITH_PARENT,
        OPT_DEATH_SIGNAL,
        OPT_TIMEOUT,
        OPT_KILL_AFTER,
        OPT_CLEAR_CAPS,
        OPT_UID,
        OPT_GID,
        OPT_UMASK,
        OPT_NO_NEW_PRIVS,
        OPT_RLIMIT,
        OPT_RESET_SIGNALS,
        OPT_NEW_SESSION,
        OPT_PROCESS_GROUP,
        OPT_PTY,
        OPT_CGROUP,
        OPT_STATUS,
        OPT_STOP,
        OPT_EXEC,
        OPT_DRY_RUN,
        OPT_HELP,
        /* Issue 14, identity. */
        OPT_USER,
        OPT_GROUPS,
        OPT_INIT_GROUPS,
        OPT_KEEP_GROUPS,
        OPT_AMBIENT_CAPS,
        OPT_INH_CAPS,
        OPT_BOUNDING_SET,

        /* Issue 14, fds and argv0. */
        OPT_FD,
        OPT_ARGV0,
        /* Issue 14, scheduling. */
        OPT_NICE,
        OPT_CPU_AFFINITY,
        OPT_IOPRIO,
        OPT_OOM_SCORE_ADJ,
        OPT_SCHED,
        /* Issue 14, namespaces. */
        OPT_UNSHARE_USER,
        OPT_UNSHARE_MOUNT,
        OPT_UNSHARE_PID,
        OPT_UNSHARE_NET,
        OPT_UNSHARE_UTS,
        OPT_UNSHARE_IPC,
        OPT_UNSHARE_CGROUP,
        OPT_UNSHARE_TIME,
        OPT_MAP_ROOT_USER,
        OPT_MAP_USER,
        OPT_MAP_GROUP,

        /* Issue 14, confinement. */

        /* Issue 15: scope and usage. */
        OPT_SCOPE,
        OPT_RUSAGE,

        OPT_VERSION,
};

/* '+': the first non-option word is the program, and what follows it is the program's. */
static const char short_options[] = "+:C:ie:u:dp:vs:";

static const struct option long_options[] = {
        { "cwd", required_argument, NULL, 'C' },
        { "env-clear", no_argument, NULL, 'i' },
        { "env-pass", required_argument, NULL, OPT_ENV_PASS },
        { "env-pass-common", no_argument, NULL, OPT_ENV_PASS_COMMON },
        { "env", required_argument, NULL, 'e' },
        { "unset", required_argument, NULL, 'u' },
        { "stdin", required_argument, NULL, OPT_STDIN },
        { "stdout", required_argument, NULL, OPT_STDOUT },
        { "stderr", required_argument, NULL, OPT_STDERR },
        { "append", no_argument, NULL, OPT_APPEND },
        { "pass-fd", required_argument, NULL, OPT_PASS_FD },
        { "keep-fds", no_argument, NULL, OPT_KEEP_FDS },
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "exit-with-parent", no_argument, NULL, OPT_EXIT_WITH_PARENT },
        { "death-signal", required_argument, NULL, OPT_DEATH_SIGNAL },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "kill-after", required_argument, NULL, OPT_KILL_AFTER },
        { "clear-caps", no_argument, NULL, OPT_CLEAR_CAPS },
        { "uid", required_argument, NULL, OPT_UID },
        { "gid", required_argument, NULL, OPT_GID },
        { "umask", required_argument, NULL, OPT_UMASK },
        { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
        { "rlimit", required_argument, NULL, OPT_RLIMIT },
        { "reset-signals", no_argument, NULL, OPT_RESET_SIGNALS },
        { "new-session", no_argument, NULL, OPT_NEW_SESSION },
        { "process-group", no_argument, NULL, OPT_PROCESS_GROUP },
        { "pty", no_argument, NULL, OPT_PTY },
        { "cgroup", required_argument, NULL, OPT_CGROUP },
        { "scope", required_argument, NULL, OPT_SCOPE },
        { "rusage", optional_argument, NULL, OPT_RUSAGE },
        { "verbose", no_argument, NULL, 'v' },
        { "status", required_argument, NULL, OPT_STATUS },
        { "stop", required_argument, NULL, OPT_STOP },
        { "exec", required_argument, NULL, OPT_EXEC },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        /* Issue 14, identity. */
        { "user", required_argument, NULL, OPT_USER },
        { "groups", required_argument, NULL, OPT_GROUPS },
        { "init-groups", no_argument, NULL, OPT_INIT_GROUPS },
        { "keep-groups", no_argument, NULL, OPT_KEEP_GROUPS },
        { "ambient-caps", required_argument, NULL, OPT_AMBIENT_CAPS },
        { "inh-caps", required_argument, NULL, OPT_INH_CAPS },
        { "bounding-set", required_argument, NULL, OPT_BOUNDING_SET },

        /* Issue 14, fds and argv0. */
        { "fd", required_argument, NULL, OPT_FD },
        { "argv0", required_argument, NULL, OPT_ARGV0 },
        /* Issue 14, scheduling. */
        { "nice", required_argument, NULL, OPT_NICE },
        { "cpu-affinity", required_argument, NULL, OPT_CPU_AFFINITY },
        { "ioprio", required_argument, NULL, OPT_IOPRIO },
        { "oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ },
        { "sched", required_argument, NULL, OPT_SCHED },
        /* Issue 14, namespaces. */

        /* Issue 14, namespaces: unshare(1)'s spellings. */
        { "unshare-user", no_argument, NULL, OPT_UNSHARE_USER },
        { "unshare-mount", no_argument, NULL, OPT_UNSHARE_MOUNT },
        { "unshare-pid", no_argument, NULL, OPT_UNSHARE_PID },
        { "unshare-net", no_argument, NULL, OPT_UNSHARE_NET },
        { "unshare-uts", no_argument, NULL, OPT_UNSHARE_UTS },
        { "unshare-ipc", no_argument, NULL, OPT_UNSHARE_IPC },
        { "unshare-cgroup", no_argument, NULL, OPT_UNSHARE_CGROUP },
        { "unshare-time", no_argument, NULL, OPT_UNSHARE_TIME },
        { "map-root-user", no_argument, NULL, OPT_MAP_ROOT_USER },
        { "map-user", required_argument, NULL, OPT_MAP_USER },
        { "map-group", required_argument, NULL, OPT_MAP_GROUP },

        /* Issue 14, confinement. */
        { "seccomp-filter", required_argument, NULL, CONFINE_OPT_SECCOMP_FILTER },
        { "landlock-access", required_argument, NULL, CONFINE_OPT_LANDLOCK_ACCESS },
        { "landlock-rule", required_argument, NULL, CONFINE_OPT_LANDLOCK_RULE },
        /* Issue 15, readiness and socket activation. */
        { "notify-await", no_argument, NULL, ACTIVATION_OPT_NOTIFY_AWAIT },
        { "notify-timeout", required_argument, NULL, ACTIVATION_OPT_NOTIFY_TIMEOUT },
        { "listen", required_argument, NULL, ACTIVATION_OPT_LISTEN },
        { "listen-fd", required_argument, NULL, ACTIVATION_OPT_LISTEN_FD },

        /* Issue 15, timeout(1) and start-stop-daemon parity. */
        { "signal", required_argument, NULL, 's' },
        { "preserve-status", no_argument, NULL, PARITY_OPT_PRESERVE_STATUS },
        { "foreground", no_argument, NULL, PARITY_OPT_FOREGROUND },
        { "retry", required_argument, NULL, PARITY_OPT_RETRY },
        { "oknodo", no_argument, NULL, PARITY_OPT_OKNODO },
        { "name", required_argument, NULL, PARITY_OPT_NAME },

        { NULL, 0, NULL, 0 },
};

static void print_help(void)
{
        fputs("Usage: subproc [OPTION]... [--] PROGRAM [ARG]...\n"
              "       subproc --status PIDFILE | --stop PIDFILE [--exec PATH] [--name NAME]\n"
              "               [--user USER] [--signal SIG] [--retry SCHEDULE] [--oknodo]\n"
              "Run PROGRAM with exactly the process state asked for.\n"
              "\n"
              "  -C, --cwd DIR              run in DIR\n"
              "  -i, --env-clear            start from an empty environment\n"
              "      --env-pass NAME        pass NAME from our environment (implies -i)\n"
              "      --env-pass-common      pass PATH, HOME, ... and set LC_ALL=C (implies -i)\n"
              "  -e, --env NAME=VALUE       set NAME\n"
              "  -u, --unset NAME           remove NAME\n"
              "      --stdin FILE           read stdin from FILE\n"
              "      --stdout FILE          write stdout to FILE (truncated)\n"
              "      --stderr FILE          write stderr to FILE (truncated)\n"
              "      --append               append to the --stdout and --stderr files\n"
              "      --pass-fd N            pass our fd N (>= 3); every other fd is closed\n"
              "      --keep-fds             pass every fd we have without close-on-exec\n"
              "      --fd CHILD=PARENT      pass our fd PARENT as the program's fd CHILD (>= 3)\n"
              "      --argv0 NAME           run PROGRAM with NAME as its argv[0] (env -a)\n"
              "  -d, --daemon               run as a daemon (stdio /dev/null, cwd /)\n"
              "  -p, --pidfile PATH         make the program hold a locked pidfile\n"
              "      --exit-with-parent     end the program when our parent dies\n"
              "      --death-signal SIG     signal the program gets when its parent dies\n"
              "      --timeout DURATION     send TERM after DURATION (500ms, 2s, 1m, 1h)\n"
              "      --kill-after DURATION  then KILL if it still runs DURATION later\n"
              "  -s, --signal SIG           with --timeout: send SIG instead of TERM; with\n"
              "                             --stop: send SIG (once, unless --retry)\n"
              "      --preserve-status      with --timeout: exit with the program's status\n"
              "                             even when it timed out\n"
              "      --foreground           with --timeout: keep the program in our process\n"
              "                             group (the default; its children are not timed out)\n"
              "      --clear-caps           empty every capability set\n"
              "      --uid USER|UID         run as this user (in its group unless --gid)\n"
              "      --gid GROUP|GID        run with this group, no supplementary groups\n"
              "      --user USER            run as USER with its primary group and groups\n"
              "      --groups GROUP,...     run with these supplementary groups\n"
              "      --init-groups          with --uid: that user's groups\n"
              "      --keep-groups          with --uid/--gid: keep our supplementary groups\n"
              "      --ambient-caps +CAP,...  keep these capabilities across the uid change\n"
              "                             (setpriv's syntax: +net_bind_service,-all)\n"
              "      --inh-caps +CAP,...    the same list as --ambient-caps (setpriv's pair)\n"
              "      --bounding-set -all[,+CAP...]  empty the bounding set but for the\n"
              "                             --ambient-caps ones\n"
              "      --umask MODE           set the umask (octal)\n"
              "      --no-new-privs         set no_new_privs\n"
              "      --rlimit NAME=SOFT[:HARD]  set a resource limit (NOFILE=1024, CORE=0)\n"
              "      --nice N               run with nice value N (-20..19; not an increment)\n"
              "      --cpu-affinity LIST    run on the CPUs of LIST (taskset -c: 0,2-3,8-15:2)\n"
              "      --ioprio CLASS[:LEVEL] I/O priority as ionice: none, realtime, best-effort,\n"
              "                             idle (or 0..3); LEVEL 0..7\n"
              "      --oom-score-adj N      OOM score adjustment (-1000..1000), as choom -n\n"
              "      --sched POLICY[:PRIO]  scheduling policy as chrt: other, fifo, rr, batch,\n"
              "                             idle; PRIO 1..99 for fifo and rr\n"
              "      --reset-signals        start with default signal dispositions\n"
              "      --new-session          run in a new session\n"
              "      --process-group        run in a new process group\n"
              "      --pty                  run on a new pseudo-terminal (its own session) for\n"
              "                             the streams not redirected, relayed to ours\n"
              "      --cgroup DIR           start the program inside the cgroup DIR\n"
              "      --scope DIR            run the program in a new cgroup of its own made in\n"
              "                             the cgroup v2 directory DIR; whatever is left in it\n"
              "                             when the program ends (setsid escapers too) is\n"
              "                             killed, and it is removed\n"
              "      --rusage[=FILE]        when the program ends, print what it used (as\n"
              "                             time -v) to stderr or FILE\n"
              "      --seccomp-filter FILE  install the raw BPF program in FILE (setpriv's)\n"
              "      --landlock-access fs[:ACCESS,...]  deny these file accesses (all: fs)\n"
              "      --landlock-rule path-beneath:ACCESS,...:PATH  allow them beneath PATH\n"
              "      --unshare-user, --unshare-mount, --unshare-pid, --unshare-net,\n"
              "      --unshare-uts, --unshare-ipc, --unshare-cgroup, --unshare-time\n"
              "                             start the program in a new namespace of that type\n"
              "      --map-root-user        map our uid and gid to root in a new user namespace\n"
              "      --map-user USER|UID    map our uid to UID in a new user namespace\n"
              "      --map-group GROUP|GID  map our gid to GID in a new user namespace\n"
              "      --notify-await         with --daemon: wait until it says READY=1\n"
              "                             (sd_notify); 124 if late, 2 if it exited first\n"
              "      --notify-timeout DURATION  wait that long for it (default 60s)\n"
              "      --listen ADDR          bind ADDR and pass it as fd 3, 4... with LISTEN_FDS:\n"
              "                             PORT, HOST:PORT, [IPV6]:PORT (tcp: or udp: first),\n"
              "                             unix:PATH, /PATH, @ABSTRACT\n"
              "      --listen-fd N[:NAME]   pass our fd N that way, named NAME\n"
              "  -v, --verbose              log the command line to stderr\n"
              "      --dry-run              print the command line and environment, run nothing\n"
              "      --status PIDFILE       print the pid proven to hold PIDFILE; exit 0 running,\n"
              "                             1 not running, 3 no PIDFILE, 4 cannot tell\n"
              "      --stop PIDFILE         stop the proven holder of PIDFILE and remove it\n"
              "      --exec PATH            with --status/--stop: an unlocked PIDFILE's pid\n"
              "                             counts if it runs PATH (daemons that do not lock);\n"
              "                             --stop signals holders PIDFILE does not name only\n"
              "                             if they run PATH\n"
              "      --name NAME, --user USER  with --status/--stop: the process must also\n"
              "                             have this name (comm) and real user\n"
              "      --retry SCHEDULE       with --stop: SIG/SECONDS/... (TERM/30/KILL/5), or\n"
              "                             N for TERM/N/KILL/N; exit 2 if it still runs\n"
              "      --oknodo               with --stop: exit 0, not 1, when nothing ran; with\n"
              "                             -p: exit 0 when the pidfile's service runs already\n"
              "      --help                 show this help\n"
              "      --version              show the version\n"
              "\n"
              "Exit status: the program's; 128+N if it died by signal N; 124 on timeout\n"
              "(137 if it needed KILL); 125 if subproc failed; 126 if the program could not\n"
              "run; 127 if it was not found.  See subproc(1).\n",
              stdout);
}

static const char *option_name(int opt)
{
        static char name[64];

        for (const struct option *lo = long_options; lo->name; lo++) {
                if (lo->val == opt) {
                        snprintf(name, sizeof name, "--%s", lo->name);
                        return name;
                }
        }
        return "?";
}

static int bad_value(int opt, const char *what, const char *value)
{
        if (errno == ERANGE)
                say("%s '%s' for %s is out of range", what, value, option_name(opt));
        else if (errno == ENOENT &&
                 (opt == OPT_UID || opt == OPT_GID || opt == OPT_MAP_USER || opt == OPT_MAP_GROUP))
                say("no such %s '%s' for %s", what, value, option_name(opt));
        else if (errno != EINVAL && errno != ENOENT)
                say("cannot look up %s '%s' for %s: %s", what, value, option_name(opt),
                    strerror(errno));
        else
                say("invalid %s '%s' for %s", what, value, option_name(opt));
        return -1;
}

/* Refuse here the names that the library would refuse later with a message meant for
 * programmers ("invalid use of the command API"). */
static int add_env_op(struct options *o, int opt, enum env_op_kind kind, const char *arg)
{
        const char *eq = arg ? strchr(arg, '=') : NULL;

        errno = EINVAL; /* what bad_value() reports; anything older would be stale */
        if (kind == ENV_PUT && (!eq || eq == arg))
                return bad_value(opt, "NAME=VALUE", arg);
        if ((kind == ENV_UNSET || kind == ENV_PASS) && (!*arg || eq))
                return bad_value(opt, "variable name", arg);
        if (kind == ENV_PASS || kind == ENV_PASS_COMMON)
                o->env_clear = true;
        o->env_ops[o->n_env_ops++] = (struct env_op){ kind, arg };
        return 0;
}

/* An fd the shell did not open would fail the run later; worse, one of our own files could
 * take its number meanwhile and be passed instead. */
static int add_pass_fd(struct options *o, const char *arg)
{
        int fd;

        if (parse_fd(arg, &fd) < 0)
                return bad_value(OPT_PASS_FD, "fd", arg);
        if (fd < 3)
                return usage_error("--pass-fd %s: use --stdin, --stdout and --stderr for fds "
                                   "0, 1 and 2",
                                   arg);
        if (fcntl(fd, F_GETFD) < 0)
                return usage_error("--pass-fd %s: that fd is not open", arg);
        o->pass_fds[o->n_pass_fds++] = fd;
        return 0;
}

static int add_limit(struct options *o, const char *arg)
{
        struct limit *l = &o->limits[o->n_limits];

        if (parse_rlimit(arg, &l->resource, &l->soft, &l->hard) < 0)
                return bad_value(OPT_RLIMIT, "resource limit", arg);
        if (l->soft > l->hard)
                return usage_error("--rlimit %s: the soft limit is above the hard limit", arg);
        o->n_limits++;
        return 0;
}

static int set_mode(struct options *o, enum mode mode, const char *path)
{
        if (o->mode != MODE_RUN)
                return usage_error("--status and --stop can only be given once");
        o->mode = mode;
        o->pidfile_query = path;
        return 0;
}

/* The result of a value parser, said when it failed (from errno, so call it at once). */
static int parsed(int r, int opt, const char *what, const char *value)
{
        return r < 0 ? bad_value(opt, what, value) : 0;
}

/* Issue 14: --fd CHILD=PARENT.  PARENT must be open now, as for --pass-fd. */
static int add_fd_map(struct options *o, const char *arg)
{
        struct fd_map *m = &o->fd_maps[o->n_fd_maps];

        if (parse_fd_map(arg, &m->child, &m->parent) < 0)
                return bad_value(OPT_FD, "CHILD=PARENT", arg);
        if (m->child < 3)
                return usage_error("--fd %s: use --stdin, --stdout and --stderr for the "
                                   "program's fds 0, 1 and 2",
                                   arg);
        if (fcntl(m->parent, F_GETFD) < 0)
                return usage_error("--fd %s: our fd %d is not open", arg, m->parent);
        o->n_fd_maps++;
        return 0;
}

/* Issue 14: the scheduling options (the last one of each kind wins). */
static int sched_option(struct options *o, int opt, const char *arg)
{
        switch (opt) {
        case OPT_NICE:
                o->has_nice = true;
                return parsed(parse_int_in(arg, -20, 19, &o->nice), opt, "nice value", arg);
        case OPT_CPU_AFFINITY:
                free(o->cpu_set);
                o->cpu_set = NULL;
                return parsed(parse_cpu_list(arg, &o->cpu_set, &o->cpu_set_size), opt, "CPU list",
                              arg);
        case OPT_IOPRIO:
                o->has_ioprio = true;
                return parsed(parse_ioprio(arg, &o->ioprio_class, &o->ioprio_level), opt,
                              "I/O priority", arg);
        case OPT_OOM_SCORE_ADJ:
                o->has_oom_score_adj = true;
                return parsed(parse_int_in(arg, -1000, 1000, &o->oom_score_adj), opt,
                              "OOM score adjustment", arg);
        default:
                o->has_sched = true;
                return parsed(parse_sched(arg, &o->sched_policy, &o->sched_priority), opt,
                              "scheduling policy", arg);
        }
}

/* Issue 14: the fd, argv0 and scheduling options, remembered as given for --dry-run. */
static int fdsched_option(struct options *o, int opt, const char *arg)
{
        for (const struct option *lo = long_options; lo->name; lo++)
                if (lo->val == opt)
                        o->fdsched_words[o->n_fdsched_words++] = lo->name;
        o->fdsched_words[o->n_fdsched_words++] = arg;
        if (opt == OPT_FD)
                return add_fd_map(o, arg);
        if (opt == OPT_ARGV0) {
                o->argv0 = arg;
                return 0;
        }
        return sched_option(o, opt, arg);
}

/* Options that take a value parsed into a number, signal or id. */
static int value_option(struct options *o, int opt, const char *arg)
{
        switch (opt) {
        case OPT_PASS_FD:
                return add_pass_fd(o, arg);
        case OPT_RLIMIT:
                return add_limit(o, arg);
        case OPT_DEATH_SIGNAL:
                return parsed(parse_signal(arg, &o->death_signal), opt, "signal", arg);
        case OPT_TIMEOUT:
                o->has_timeout = true;
                return parsed(parse_duration(arg, &o->timeout_ms), opt, "duration", arg);
        case OPT_KILL_AFTER:
                return parsed(parse_duration(arg, &o->kill_after_ms), opt, "duration", arg);
        case OPT_UID:
                o->has_uid = true;
                return parsed(parse_user(arg, &o->uid, &o->uid_primary_gid, &o->uid_has_passwd),
                              opt, "user", arg);
        case OPT_GID:
                o->has_gid = true;
                return parsed(parse_gid(arg, &o->gid), opt, "group", arg);
        case OPT_UMASK:
                o->has_umask = true;
                return parsed(parse_umask(arg, &o->umask), opt, "umask", arg);
        /* Issue 14, confinement. */
        case CONFINE_OPT_SECCOMP_FILTER:
        case CONFINE_OPT_LANDLOCK_ACCESS:
        case CONFINE_OPT_LANDLOCK_RULE:
                return confine_option(o, opt, arg);
        /* Issue 15, readiness and socket activation. */
        case ACTIVATION_OPT_NOTIFY_AWAIT:
        case ACTIVATION_OPT_NOTIFY_TIMEOUT:
        case ACTIVATION_OPT_LISTEN:
        case ACTIVATION_OPT_LISTEN_FD:
                return activation_option(o, opt, arg);
        /* Issue 14, identity. */
        case OPT_USER:
        case OPT_GROUPS:
        case OPT_INIT_GROUPS:
        case OPT_KEEP_GROUPS:
        case OPT_AMBIENT_CAPS:
        case OPT_INH_CAPS:
        case OPT_BOUNDING_SET:
                return identity_option(o, option_name(opt) + 2, arg);
        case OPT_FD:
        case OPT_ARGV0:
        case OPT_NICE:
        case OPT_CPU_AFFINITY:
        case OPT_IOPRIO:
        case OPT_OOM_SCORE_ADJ:
        case OPT_SCHED:
                return fdsched_option(o, opt, arg);
        default:
                return usage_error("internal error: option %s not handled", option_name(opt));
        }
}

/* Options that only switch something on. */
static bool *flag_of(struct options *o, int opt)
{
        switch (opt) {
        case 'i':
                return &o->env_clear;
        case OPT_APPEND:
                return &o->append;
        case OPT_KEEP_FDS:
                return &o->keep_fds;
        case 'd':
                return &o->daemon;
        case OPT_EXIT_WITH_PARENT:
                return &o->exit_with_parent;
        case OPT_CLEAR_CAPS:
                return &o->clear_caps;
        case OPT_NO_NEW_PRIVS:
                return &o->no_new_privs;
        case OPT_RESET_SIGNALS:
                return &o->reset_signals;
        case OPT_NEW_SESSION:
                return &o->new_session;
        case OPT_PROCESS_GROUP:
                return &o->process_group;
        case OPT_PTY:
                return &o->pty;
        case 'v':
                return &o->verbose;
        case OPT_DRY_RUN:
                return &o->dry_run;
        default:
                return NULL;
        }
}

/* Options that only record their string; the last one given wins. */
static const char **string_of(struct options *o, int opt)
{
        switch (opt) {
        case 'C':
                return &o->cwd;
        case OPT_STDIN:
                return &o->std_path[0];
        case OPT_STDOUT:
                return &o->std_path[1];
        case OPT_STDERR:
                return &o->std_path[2];
        case 'p':
                return &o->pidfile;
        case OPT_EXEC:
                return &o->exec_match;
        case OPT_CGROUP:
                return &o->cgroup;
        case OPT_SCOPE:
                return &o->scope;
        default:
                return NULL;
        }
}

/* Issue 14, namespaces: --unshare-TYPE sets its flag; a --map-* option implies
 * --unshare-user, as in unshare(1).  Returns 1 when opt is none of these. */
static int namespace_option(struct options *o, int opt, const char *arg)
{
        static const struct {
                int opt;
                unsigned long flag;
        } types[] = {
                { OPT_UNSHARE_USER, 0x10000000 },   { OPT_UNSHARE_MOUNT, 0x00020000 },
                { OPT_UNSHARE_PID, 0x20000000 },    { OPT_UNSHARE_NET, 0x40000000 },
                { OPT_UNSHARE_UTS, 0x04000000 },    { OPT_UNSHARE_IPC, 0x08000000 },
                { OPT_UNSHARE_CGROUP, 0x02000000 }, { OPT_UNSHARE_TIME, 0x00000080 },
        }; /* CLONE_NEW*, which not every system's <sched.h> has */

        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                if (types[i].opt == opt) {
                        o->unshare_flags |= types[i].flag;
                        return 0;
                }
        }
        if (opt != OPT_MAP_ROOT_USER && opt != OPT_MAP_USER && opt != OPT_MAP_GROUP)
                return 1;
        o->unshare_flags |= 0x10000000; /* CLONE_NEWUSER */
        if (opt == OPT_MAP_ROOT_USER) {
                o->has_map_uid = o->has_map_gid = true;
                o->map_uid = 0;
                o->map_gid = 0;
                return 0;
        }
        if (opt == OPT_MAP_USER) {
                o->has_map_uid = true;
                return parsed(parse_uid(arg, &o->map_uid), opt, "user", arg);
        }
        o->has_map_gid = true;
        return parsed(parse_gid(arg, &o->map_gid), opt, "group", arg);
}

static int take_option(struct options *o, int opt, const char *arg)
{
        int r;

        bool *flag = flag_of(o, opt);
        const char **string = string_of(o, opt);

        /* Issue 15: --user means a match with --status/--stop, which may come later. */
        if ((r = parity_option(o, opt == OPT_USER ? PARITY_OPT_USER : opt, arg)) != 1)
                return r;
        if (flag)
                *flag = true;
        else if (string)
                *string = arg;
        else if (opt == 'e')
                return add_env_op(o, opt, ENV_PUT, arg);
        else if (opt == 'u')
                return add_env_op(o, opt, ENV_UNSET, arg);
        else if (opt == OPT_ENV_PASS)
                return add_env_op(o, opt, ENV_PASS, arg);
        else if (opt == OPT_ENV_PASS_COMMON)
                return add_env_op(o, opt, ENV_PASS_COMMON, NULL);
        else if (opt == OPT_RUSAGE) {
                o->rusage = true;
                o->rusage_file = arg; /* the last one wins; NULL: stderr */
        } else if (opt == OPT_STATUS || opt == OPT_STOP)
                return set_mode(o, opt == OPT_STATUS ? MODE_STATUS : MODE_STOP, arg);
        else if ((r = namespace_option(o, opt, arg)) != 1)
                return r;
        else
                return value_option(o, opt, arg);
        return 0;
}

/* --uid without --gid runs with the user's primary group, as start-stop-daemon --chuid and
 * su do: keeping ours (root's 0) would leave the program root's group rights.  A uid that no
 * passwd entry names has no group to take: refuse rather than guess. */
static int default_group(struct options *o)
{
        if (!o->has_uid || o->has_gid || o->mode != MODE_RUN)
                return 0;
        if (!o->uid_has_passwd)
                return usage_error("--uid %u is in no passwd entry, so it has no primary group "
                                   "to run with: give --gid too",
                                   (unsigned)o->uid);
        o->gid = o->uid_primary_gid;
        o->has_gid = true;
        return 0;
}

/* Combinations that cannot mean anything, refused before anything happens. */
static int check_options(const struct options *o)
{
        if (o->mode != MODE_RUN) {
                if (o->argv[0] || o->dry_run)
                        return usage_error("--status and --stop take no program and no "
                                           "--dry-run");
                return 0;
        }
        if (o->exec_match)
                return usage_error("--exec only goes with --status or --stop");
        if (!o->argv[0])
                return usage_error("no program given");
        /* As timeout(1): --timeout 0 disables the timeout, and the --kill-after with it. */
        if (o->kill_after_ms && !o->has_timeout)
                return usage_error("--kill-after needs --timeout");
        if (o->daemon && o->timeout_ms)
                return usage_error("--timeout cannot supervise a daemon, which is nobody's "
                                   "child");
        if (o->daemon && o->rusage)
                return usage_error("--rusage cannot measure a daemon, which is nobody's child");
        if (o->scope && o->cgroup)
                return usage_error("--scope and --cgroup contradict each other: the program is "
                                   "born in one cgroup");
        if (o->rusage && o->rusage_file && !*o->rusage_file)
                return usage_error("--rusage=FILE: the file name is empty");
        if (o->pty && o->daemon)
                return usage_error("--pty cannot go with --daemon: a daemon has no terminal");
        if (o->pty && o->std_path[0] && o->std_path[1] && o->std_path[2])
                return usage_error("--pty with --stdin, --stdout and --stderr all redirected "
                                   "leaves nothing on the pty");
        if (o->daemon && (o->exit_with_parent || o->death_signal))
                return usage_error("a daemon cannot die with its parent: --exit-with-parent "
                                   "and --death-signal contradict --daemon");
        return 0;
}

/* getopt's own messages would name argv[0], which may be any path.  optopt holds the short
 * option, or a long option's value, or 0 for an unknown or ambiguous long option. */
static int getopt_error(int opt, char **argv)
{
        char short_opt[] = { '-', (char)optopt, '\0' };
        bool is_short = optopt > 0 && optopt < OPT_ENV_PASS;

        if (opt == ':')
                return usage_error("option '%s' requires an argument",
                                   is_short ? short_opt : argv[optind - 1]);
        if (is_short)
                return usage_error("invalid option '%s'", short_opt);
        if (optopt)
                return usage_error("option '%s' takes no argument", argv[optind - 1]);
        return usage_error("unrecognized or ambiguous option '%s'", argv[optind - 1]);
}

static bool alloc_option_arrays(struct options *o, int argc)
{
        o->env_ops = calloc((size_t)argc, sizeof *o->env_ops);
        o->pass_fds = calloc((size_t)argc, sizeof *o->pass_fds);
        o->limits = calloc((size_t)argc, sizeof *o->limits);
        o->fd_maps = calloc((size_t)argc, sizeof *o->fd_maps);
        o->fdsched_words = calloc((size_t)argc * 2, sizeof *o->fdsched_words);
        if (o->env_ops && o->pass_fds && o->limits && o->fd_maps && o->fdsched_words)
                return true;
        say("out of memory");
        return false;
}

enum parse_result parse_options(int argc, char **argv, struct options *o)
{
        int opt;

        if (!alloc_option_arrays(o, argc))
                return PARSE_ERROR;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
                if (opt == '?' || opt == ':') {
                        getopt_error(opt, argv);
                        return PARSE_ERROR;
                }
                if (opt == OPT_HELP) {
                        print_help();
                        return PARSE_DONE;
                }
                if (opt == OPT_VERSION) {
                        printf("subproc %s\n", SUBPROC_VERSION_STRING);
                        return PARSE_DONE;
                }
                if (take_option(o, opt, optarg) < 0)
                        return PARSE_ERROR;
        }
        o->argv = argv + optind;
        o->self = argv[0] && strchr(argv[0], '/') ? argv[0] : "subproc";
        return parity_finish(o) < 0 || check_options(o) < 0 || check_identity(o) < 0 ||
                               finish_identity(o) < 0 || default_group(o) < 0 ||
                               confine_check(o) < 0 || activation_check(o) < 0
                       ? PARSE_ERROR
                       : PARSE_RUN;
}

void free_options(struct options *o)
{
        free(o->env_ops);
        free(o->pass_fds);
        free(o->limits);
        confine_free(o);
        free(o->groups);
        free(o->fd_maps);
        free(o->fdsched_words);
        free(o->cpu_set);
        parity_free(o);
        activation_close(o);
}
