/* Issue 15: the options of timeout(1) and start-stop-daemon(8) that subproc takes in their
 * spelling (-s/--signal, --preserve-status, --foreground; --retry, --oknodo, --name and
 * --user for --status/--stop), and the --status/--stop modes that use them.
 *
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include "identity.h"
#include "parse.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The stop without --retry or --signal: what subproc_pidfile_stop() does. */
static const struct subproc_stop_step default_stop[] = {
        { SIGTERM, 2000 },
        { SIGKILL, 5000 },
};

int parity_option(struct options *o, int opt, const char *arg)
{
        switch (opt) {
        case 's':
                if (parse_signal(arg, &o->signal) < 0)
                        return usage_error("invalid signal '%s' for --signal", arg);
                return 0;
        case PARITY_OPT_PRESERVE_STATUS:
                o->preserve_status = true;
                return 0;
        case PARITY_OPT_FOREGROUND:
                o->foreground = true;
                return 0;
        case PARITY_OPT_RETRY:
                o->retry = arg;
                return 0;
        case PARITY_OPT_OKNODO:
                o->oknodo = true;
                return 0;
        case PARITY_OPT_NAME:
                if (!*arg)
                        return usage_error("--name needs a process name");
                o->name_match = arg;
                return 0;
        case PARITY_OPT_USER:
                o->user_word = arg;
                return 0;
        default:
                return 1;
        }
}

/* One item of a start-stop-daemon schedule: a signal ("TERM", "-TERM", "-15") is 1, a
 * timeout ("30", or a duration: "500ms") is 0, -1 for anything else (forever included). */
static int schedule_item(const char *item, int *ret_sig, unsigned *ret_ms)
{
        if (*item == '-')
                return parse_signal(item + 1, ret_sig) < 0 ? -1 : 1;
        if (*item >= '0' && *item <= '9')
                return parse_duration(item, ret_ms) < 0 ? -1 : 0;
        return parse_signal(item, ret_sig) < 0 ? -1 : 1;
}

static int bad_schedule(const char *spec, const char *item, const char *why)
{
        return usage_error("--retry '%s': item '%s' %s", spec, item, why);
}

/* --retry SCHEDULE into o->steps.  A bare timeout N is SIGNAL/N/KILL/N (SIGNAL: --signal,
 * else TERM); else signals each followed by at most one timeout (none: 0). */
static int parse_retry(struct options *o)
{
        const char *spec = o->retry;
        size_t items = 1, n = 0;
        char *copy, *save = NULL;
        unsigned ms;
        int sig;

        for (const char *p = spec; *p; p++)
                items += *p == '/';
        /* strtok_r() would skip empty items: "TERM//5" is a mistake, not TERM/5. */
        if (!*spec || *spec == '/' || spec[strlen(spec) - 1] == '/' || strstr(spec, "//"))
                return usage_error("--retry '%s': an empty item", spec);
        o->steps = calloc(items < 2 ? 2 : items, sizeof *o->steps);
        copy = strdup(spec);
        if (!o->steps || !copy) {
                free(copy);
                say("out of memory");
                return -1;
        }
        if (strchr(spec, '/') == NULL && schedule_item(spec, &sig, &ms) == 0) {
                o->steps[0] = (struct subproc_stop_step){ o->signal ? o->signal : SIGTERM, ms };
                o->steps[1] = (struct subproc_stop_step){ SIGKILL, ms };
                o->n_steps = 2;
                free(copy);
                return 0;
        }
        for (char *item = strtok_r(copy, "/", &save); item; item = strtok_r(NULL, "/", &save)) {
                int kind = schedule_item(item, &sig, &ms);

                if (strcmp(item, "forever") == 0)
                        kind = bad_schedule(spec, item, "is not supported: give the steps");
                else if (kind < 0)
                        kind = bad_schedule(spec, item, "is neither a signal nor a timeout");
                else if (kind == 0 && (n == 0 || o->steps[n - 1].wait_ms))
                        kind = bad_schedule(spec, item, "is a timeout that follows no signal");
                if (kind < 0) {
                        free(copy);
                        return -1;
                }
                if (kind == 1)
                        o->steps[n++] = (struct subproc_stop_step){ sig, 0 };
                else
                        o->steps[n - 1].wait_ms = ms ? ms : 1;
        }
        free(copy);
        o->n_steps = n;
        if (n == 0)
                return usage_error("--retry '%s' names no signal", spec);
        return 0;
}

/* --user: whom to run as (issue 14's option), or with --status/--stop whose process to
 * match; the mode may come after it on the command line, so it is taken here. */
static int take_user(struct options *o)
{
        if (!o->user_word)
                return 0;
        if (o->mode == MODE_RUN)
                return identity_option(o, "user", o->user_word);
        if (parse_uid(o->user_word, &o->uid_match) < 0)
                return usage_error("no such user '%s' for --user", o->user_word);
        o->has_uid_match = true;
        return 0;
}

static int check_run(const struct options *o)
{
        if (o->name_match || o->retry)
                return usage_error("--name and --retry only go with --status or --stop");
        if (o->oknodo && !o->pidfile)
                return usage_error("--oknodo goes with --stop, or with -p (a start that finds "
                                   "the service running)");
        if (o->signal && !o->has_timeout)
                return usage_error("--signal goes with --timeout (or --stop)");
        if (o->preserve_status && !o->has_timeout)
                return usage_error("--preserve-status goes with --timeout");
        if (o->foreground && !o->has_timeout)
                return usage_error("--foreground goes with --timeout");
        if (o->foreground && (o->process_group || o->new_session))
                return usage_error("--foreground keeps the program in our process group: "
                                   "it contradicts --process-group and --new-session");
        return 0;
}

int parity_finish(struct options *o)
{
        if (take_user(o) < 0)
                return -1;
        if (o->mode == MODE_RUN)
                return check_run(o);
        if (o->preserve_status || o->foreground)
                return usage_error("--preserve-status and --foreground go with --timeout");
        if (o->mode == MODE_STATUS && (o->signal || o->retry || o->oknodo))
                return usage_error("--signal, --retry and --oknodo go with --stop, not "
                                   "--status");
        return o->retry ? parse_retry(o) : 0;
}

void parity_free(struct options *o)
{
        free(o->steps);
}

static struct subproc_pidfile_match match_of(const struct options *o)
{
        return (struct subproc_pidfile_match){
                .exe = o->exec_match,
                .name = o->name_match,
                .match_uid = o->has_uid_match,
                .uid = o->uid_match,
        };
}

/* LSB codes, as start-stop-daemon --status: 0 running (the proven pid printed), 1 not
 * running but the pidfile exists, 3 no pidfile, 4 cannot tell (said why). */
int parity_status(const struct options *o)
{
        struct subproc_pidfile_match match = match_of(o);
        pid_t pid;
        int r = subproc_pidfile_status_match(o->pidfile_query, &match, &pid);

        if (r < 0) {
                say("%s", subproc_errmsg());
                return EXIT_UNKNOWN;
        }
        if (r == SUBPROC_PIDFILE_MISSING)
                return EXIT_NO_PIDFILE;
        if (r == SUBPROC_PIDFILE_STALE)
                return EXIT_NOT_HELD;
        if (printf("%d\n", (int)pid) < 0 || fflush(stdout) != 0) {
                say("cannot write to stdout: %s", strerror(errno));
                return EXIT_OURS;
        }
        return 0;
}

/* As start-stop-daemon --stop: 0 when the service was stopped (or signalled, with --signal
 * and no --retry), 1 when nothing ran (0 with --oknodo), 2 when it still runs after the
 * schedule; 125, having said why, when it refused or failed (start-stop-daemon's 3). */
int parity_stop(const struct options *o)
{
        struct subproc_pidfile_match match = match_of(o);
        int r;

        if (o->n_steps)
                r = subproc_pidfile_stop_schedule(o->pidfile_query, &match, o->steps, o->n_steps);
        else if (o->signal)
                r = subproc_pidfile_signal(o->pidfile_query, &match, o->signal);
        else
                r = subproc_pidfile_stop_schedule(o->pidfile_query, &match, default_stop, 2);
        if (r < 0) {
                int err = errno;

                say("%s", subproc_errmsg());
                return err == ETIMEDOUT ? EXIT_STILL_RUNNING : EXIT_OURS;
        }
        /* As start-stop-daemon says it, unless --oknodo asked for silence (or -v not). */
        if (r == 0 && (!o->oknodo || o->verbose))
                say("no process of pidfile %s runs%s: nothing stopped", o->pidfile_query,
                    o->exec_match || o->name_match || o->has_uid_match ? " as matched" : "");
        return r == 0 && !o->oknodo ? EXIT_NOTHING_DONE : 0;
}
