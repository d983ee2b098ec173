/* subproc(1): run a program with exactly the process state asked for (environment, fds,
 * limits, credentials, lifetime), in place, under a timeout or as a daemon; or ask about and
 * stop the holder of a pidfile.  The only code of the project that prints.
 *
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Where messages go; see keep_stderr_copy(). */
static int diag_fd = STDERR_FILENO;

/* One line on stderr, named after the tool; a stderr nobody reads loses it (and does not kill
 * us: the exit status still tells). */
void say(const char *fmt, ...)
{
        static const char prefix[] = "subproc: ";
        char line[2048];
        size_t len = sizeof prefix - 1, room = sizeof line - len - 1; /* 1: the newline */
        va_list ap;
        int n;

        memcpy(line, prefix, len);
        va_start(ap, fmt);
        n = vsnprintf(line + len, room, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        len += (size_t)n < room ? (size_t)n : room - 1; /* truncated: room - 1 bytes and NUL */
        line[len++] = '\n';
        (void)write_quietly(diag_fd, line, len);
}

/* ---- building the command ------------------------------------------------------------ */

/* Our fds that become the program's 0, 1 and 2; -1 leaves the library's /dev/null, or with
 * --pty the pty. */
struct stdio_fds {
        int fd[3];
};

/* --pty: the master of the program's pty, ours once it runs (issue 16). */
static int pty_master = -1;

/* Open a redirection above 2, so that it never takes the number of one of our own stdio fds
 * that happens to be closed (and is then mistaken for it). */
static int open_above_stdio(const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC, 0666);
        int moved, e;

        if (fd < 0 || fd > 2)
                return fd;
        moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        e = errno;
        close(fd);
        errno = e;
        return moved;
}

/* Unlike the library's default, the program gets our own stdio, as from env(1), except that
 * a daemon keeps nothing of ours (it would hold our terminal or pipe open) and that a stdio fd
 * we were started without becomes /dev/null.  The same file for --stdout and --stderr is
 * opened once and shared, as with >FILE 2>&1, so neither overwrites the other. */
static int open_stdio(const struct options *o, struct stdio_fds *s)
{
        int out_flags = O_WRONLY | O_CREAT | (o->append ? O_APPEND : O_TRUNC);
        bool started_with[3];

        for (int i = 0; i < 3; i++)
                started_with[i] = fcntl(i, F_GETFD) >= 0;
        for (int i = 0; i < 3; i++) {
                const char *path = o->std_path[i];

                s->fd[i] = !path && !o->daemon && !o->pty && started_with[i] ? i : -1;
                if (!path)
                        continue;
                if (i == 2 && o->std_path[1] && strcmp(path, o->std_path[1]) == 0) {
                        s->fd[2] = s->fd[1];
                        continue;
                }
                s->fd[i] = open_above_stdio(path, i == 0 ? O_RDONLY : out_flags);
                if (s->fd[i] < 0) {
                        say("cannot open %s: %s", path, strerror(errno));
                        return -1;
                }
        }
        return 0;
}

static void apply_stdio(subproc *c, struct stdio_fds *s)
{
        if (s->fd[0] >= 0)
                subproc_set_input_fd(c, s->fd[0]);
        if (s->fd[1] >= 0)
                subproc_set_output_fd(c, &s->fd[1]);
        if (s->fd[2] >= 0)
                subproc_set_error_fd(c, &s->fd[2]);
}

/* As env(1): inherited unless -i, then every edit in command-line order. */
static void apply_env(subproc *c, const struct options *o)
{
        if (o->env_clear)
                subproc_env_clear(c);
        else
                subproc_env_inherit(c);
        for (size_t i = 0; i < o->n_env_ops; i++) {
                const struct env_op *op = &o->env_ops[i];

                switch (op->kind) {
                case ENV_PUT:
                        subproc_env_put(c, op->arg);
                        break;
                case ENV_UNSET:
                        subproc_env_unset(c, op->arg);
                        break;
                case ENV_PASS:
                        subproc_env_pass(c, op->arg);
                        break;
                case ENV_PASS_COMMON:
                        subproc_env_pass_common(c);
                        break;
                }
        }
}

static void apply_process(subproc *c, const struct options *o)
{
        if (o->cwd)
                subproc_set_cwd(c, o->cwd);
        for (size_t i = 0; i < o->n_pass_fds; i++)
                subproc_pass_fd(c, o->pass_fds[i], 0);
        if (o->keep_fds)
                subproc_pass_inherited_fds(c);
        if (o->pidfile)
                subproc_set_pidfile(c, o->pidfile);
        if (o->new_session)
                subproc_set_new_session(c);
        if (o->process_group)
                subproc_set_new_process_group(c);
        if (o->cgroup)
                subproc_set_cgroup(c, o->cgroup);
        if (o->scope)
                subproc_set_cgroup_scope(c, o->scope);
        /* So that `nohup subproc ...` keeps SIGHUP ignored, as `nohup env ...` would. */
        if (!o->reset_signals)
                subproc_inherit_signals(c);
        /* In place this is armed against our parent; under supervision, against us. */
        if (o->exit_with_parent || o->death_signal)
                subproc_set_death_signal(c, o->death_signal ? o->death_signal : SIGTERM);
}

static void apply_privileges(subproc *c, const struct options *o)
{
        for (size_t i = 0; i < o->n_limits; i++)
                subproc_set_rlimit(c, o->limits[i].resource, o->limits[i].soft, o->limits[i].hard);
        if (o->has_umask)
                subproc_set_umask(c, o->umask);
        if (o->clear_caps)
                subproc_clear_caps(c);
        if (o->has_gid)
                subproc_set_gid(c, o->gid);
        if (o->has_uid)
                subproc_set_uid(c, o->uid);
        if (o->no_new_privs)
                subproc_set_no_new_privs(c);
        apply_identity(c, o);
}

/* Issue 14: fds under chosen numbers, argv0, scheduling. */
static void apply_fdsched(subproc *c, const struct options *o)
{
        for (size_t i = 0; i < o->n_fd_maps; i++)
                subproc_pass_fd_as(c, o->fd_maps[i].parent, o->fd_maps[i].child, 0);
        if (o->argv0)
                subproc_set_argv0(c, o->argv0);
        if (o->has_sched)
                subproc_set_sched(c, o->sched_policy, o->sched_priority);
        if (o->has_nice)
                subproc_set_nice(c, o->nice);
        if (o->cpu_set)
                subproc_set_cpu_affinity(c, o->cpu_set, o->cpu_set_size);
        if (o->has_ioprio)
                subproc_set_ioprio(c, o->ioprio_class, o->ioprio_level);
        if (o->has_oom_score_adj)
                subproc_set_oom_score_adj(c, o->oom_score_adj);
}

/* Issue 14, namespaces: the maps, as unshare(1) --map-user/--map-group write them: our
 * effective id is the given one inside.  buf is at least 32 bytes; NULL when not mapped. */
static const char *id_map(bool mapped, unsigned long inside, unsigned long outside, char *buf)
{
        if (!mapped)
                return NULL;
        snprintf(buf, 32, "%lu %lu 1", inside, outside);
        return buf;
}

static void apply_namespaces(subproc *c, const struct options *o)
{
        char uid_map[32], gid_map[32];

        if (!o->unshare_flags)
                return;
        subproc_unshare(c, o->unshare_flags);
        if (o->has_map_uid || o->has_map_gid)
                subproc_set_id_maps(c, id_map(o->has_map_uid, o->map_uid, geteuid(), uid_map),
                                    id_map(o->has_map_gid, o->map_gid, getegid(), gid_map));
}

/* --dry-run: the namespaces as a comment line before the command, which sh skips (it runs
 * the program in ours): "# unshare user,pid; uid_map 0 1000 1; gid_map 0 1000 1". */
static int print_namespaces(const struct options *o, int fd)
{
        static const struct {
                unsigned long flag;
                const char *name;
        } names[] = {
                { 0x10000000, "user" },   { 0x00020000, "mount" }, { 0x20000000, "pid" },
                { 0x40000000, "net" },    { 0x04000000, "uts" },   { 0x08000000, "ipc" },
                { 0x02000000, "cgroup" }, { 0x00000080, "time" },
        };
        char map[32];
        const char *sep = " ";

        if (!o->unshare_flags)
                return 0;
        if (dprintf(fd, "# unshare") < 0)
                return -1;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                if ((o->unshare_flags & names[i].flag) &&
                    dprintf(fd, "%s%s", sep, names[i].name) < 0)
                        return -1;
                if (o->unshare_flags & names[i].flag)
                        sep = ",";
        }
        if (id_map(o->has_map_uid, o->map_uid, geteuid(), map) &&
            dprintf(fd, "; uid_map %s", map) < 0)
                return -1;
        if (id_map(o->has_map_gid, o->map_gid, getegid(), map) &&
            dprintf(fd, "; gid_map %s", map) < 0)
                return -1;
        return dprintf(fd, "\n") < 0 ? -1 : 0;
}

/* stdio is NULL for a dry run, which must not create or truncate any file. */
static subproc *build_command(const struct options *o, struct stdio_fds *stdio)
{
        subproc *c = subproc_new_argv((const char *const *)o->argv);

        apply_env(c, o);
        if (stdio)
                apply_stdio(c, stdio);
        if (o->pty)
                pty_set_up(c,
                           (o->std_path[0] ? 0 : SUBPROC_PTY_STDIN) |
                                   (o->std_path[1] ? 0 : SUBPROC_PTY_STDOUT) |
                                   (o->std_path[2] ? 0 : SUBPROC_PTY_STDERR),
                           &pty_master);
        apply_process(c, o);
        apply_fdsched(c, o);
        apply_privileges(c, o);
        apply_namespaces(c, o);
        if (o->daemon)
                subproc_daemonize(c);
        return c;
}

/* ---- running ------------------------------------------------------------------------- */

/* A failed lookup or exec of the program is the program's fault and gets env(1)'s 126, or
 * 127 when there is no such file; anything else (a bad option, chdir, pidfile,
 * credentials...) failed in subproc: 125. */
static int failure_status(int err)
{
        if (subproc_errstage() != SUBPROC_STAGE_EXEC)
                return EXIT_OURS;
        return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/* Say why the last library call failed; returns the exit status for it. */
static int report_failure(void)
{
        int err = errno;
        const char *msg = subproc_errmsg();

        say("%s", *msg ? msg : strerror(err));
        return failure_status(err);
}

/* Issue 15, start-stop-daemon --start --oknodo: a start refused because a live process
 * holds the pidfile is nothing to do (0), said only with -v; any other failure is one. */
static int start_failure(const struct options *o)
{
        int err = errno, status = failure_status(err);
        pid_t holder = -1;
        char msg[1024];

        if (!o->oknodo || !o->pidfile || err != EBUSY)
                return report_failure();
        /* EBUSY may come from elsewhere (a cgroup): only a live holder of the pidfile, as
         * the kernel shows it, is the service running. */
        snprintf(msg, sizeof msg, "%s", *subproc_errmsg() ? subproc_errmsg() : strerror(err));
        if (subproc_pidfile_holder(o->pidfile, &holder, NULL) == 0 && holder > 0) {
                if (o->verbose)
                        say("%s: nothing started (--oknodo)", msg);
                return 0;
        }
        say("%s", msg);
        return status;
}

static int status_exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return EXIT_SIGNAL_BASE + WTERMSIG(status);
        return EXIT_OURS;
}

static int flush_stdout(void)
{
        if (fflush(stdout) == 0 && !ferror(stdout))
                return 0;
        say("cannot write to stdout: %s", strerror(errno));
        return EXIT_OURS;
}

/* subproc_to_string() of c, or NULL (the error set).  The fd, argv0 and scheduling options
 * (issue 14), which sh cannot apply, come as a subproc command in front of the program, the
 * environment changes before it: "A=1 subproc --nice 5 -- prog" (env -i A=1 ... needs subproc
 * in the default PATH, or run by its path). */
static char *command_line(const subproc *c, const struct options *o)
{
        char *line = subproc_to_string(c, false);
        subproc *shown;

        if (!line || !o->n_fdsched_words)
                return line;
        free(line);
        shown = subproc_new(o->self);
        apply_env(shown, o);
        for (size_t i = 0; i + 1 < o->n_fdsched_words; i += 2) {
                subproc_add_arg_format(shown, "--%s", o->fdsched_words[i]);
                subproc_add_arg(shown, o->fdsched_words[i + 1]);
        }
        subproc_add_arg(shown, "--");
        for (char **arg = o->argv; *arg; arg++)
                subproc_add_arg(shown, *arg);
        line = subproc_to_string(shown, false);
        subproc_free(shown);
        return line;
}

/* The command line as subproc_to_string() gives it, for --dry-run and -v, with "env -i"
 * first for a clean environment: to_string() lists what is set, not that nothing else is
 * kept, and the pasted line would run with the whole environment of the shell.  Returns an
 * exit status: 0 when written. */
static int print_command(const subproc *c, const struct options *o, int fd)
{
        char *line = command_line(c, o);
        int n;

        if (!line)
                return report_failure();
        n = print_namespaces(o, fd);
        if (n >= 0)
                n = dprintf(fd, "%s%s\n", o->env_clear ? "env -i " : "", line);
        free(line);
        if (n >= 0)
                return 0;
        say("cannot write the command line: %s", strerror(errno));
        return EXIT_OURS;
}

/* -v: the same line on stderr, as a log.  A log that cannot be written (a stderr nobody reads,
 * a full disk) does not keep the program from running: the program's own status is what the
 * caller gets.  Returns an exit status only when the line could not even be made. */
static int log_command(const subproc *c, const struct options *o)
{
        const char *prefix = o->env_clear ? "env -i " : "";
        char *line = command_line(c, o);
        size_t len;
        char *text;

        if (!line)
                return report_failure();
        len = strlen(prefix) + strlen(line) + 1;
        text = malloc(len + 1);
        if (text) {
                snprintf(text, len + 1, "%s%s\n", prefix, line);
                (void)write_quietly(STDERR_FILENO, text, len);
        }
        free(text);
        free(line);
        return 0;
}

static struct stat stderr_copy_stat;

/* subproc_exec() may fail after it has put the --stderr file on fd 2, but the message
 * belongs on the stderr we were started with: keep a close-on-exec copy of that. */
static void keep_stderr_copy(void)
{
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return;
        if (fstat(fd, &stderr_copy_stat) < 0) {
                close(fd);
                return;
        }
        diag_fd = fd;
}

/* The library may have closed the copy with the program's other fds, and given its number
 * to a file of its own since: trust it only if it still is the same file. */
static void check_stderr_copy(void)
{
        int saved_errno = errno;
        struct stat now;

        if (diag_fd != STDERR_FILENO &&
            (fstat(diag_fd, &now) < 0 || now.st_dev != stderr_copy_stat.st_dev ||
             now.st_ino != stderr_copy_stat.st_ino))
                diag_fd = STDERR_FILENO;
        errno = saved_errno; /* the exit status depends on the library's */
}

/* Nothing to supervise: become the program, so that it is our parent's child, its exit
 * status reaches our parent unchanged and no process is left in between. */
static int exec_in_place(subproc *c, const struct options *o)
{
        int r;

        if (o->verbose && (r = log_command(c, o)) != 0)
                return r;
        if (o->std_path[2])
                keep_stderr_copy();
        (void)subproc_exec(c); /* returns only on failure */
        check_stderr_copy();
        return start_failure(o);
}

static int run_daemon(subproc *c, const struct options *o)
{
        int r;

        if (o->verbose && (r = log_command(c, o)) != 0)
                return r;
        if (subproc_run(c, NULL) < 0)
                return start_failure(o);
        if (o->verbose)
                say("daemon pid %d", (int)subproc_daemon_pid(c));
        /* The daemon lives on in its scope, which is left to the caller with it. */
        if (o->verbose && subproc_scope_path(c))
                say("scope %s", subproc_scope_path(c));
        return activation_await(c, o);
}

/* ---- supervising --------------------------------------------------------------------- */

/* As timeout(1): 124 however the program ended after the first signal, even if it handled
 * it and exited 0; 137 when SIGKILL ended it (the kill-after's, or -s KILL). */
static int timed_out(const subproc *c, const struct options *o)
{
        int status;

        if (o->verbose)
                say("%s", subproc_errmsg());
        status = subproc_status(c);
        /* As timeout(1): --preserve-status gives the program's own status; and a SIGKILL
         * death (the kill-after's, or -s KILL's) is told apart from 124 in any case. */
        if (o->preserve_status || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
                return status_exit_code(status);
        return EXIT_TIMED_OUT;
}

/* Runs in the forked child before exec (a pre-exec hook): async-signal-safe only. */
static int ignore_sigchld(void *opaque)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN };

        (void)opaque;
        sigemptyset(&ignore.sa_mask);
        return sigaction(SIGCHLD, &ignore, NULL) < 0 ? errno : 0;
}

/* Started with SIGCHLD ignored, we would have the kernel reap the program and lose its status
 * (every run would end in "cannot reap"): we reap our children ourselves.  The program still
 * gets SIGCHLD ignored, as it would from env(1), unless --reset-signals asked otherwise; only
 * a hook can set that after the library has put our dispositions in the child. */
static void reap_own_children(subproc *c, const struct options *o)
{
        struct sigaction old;

        if (sigaction(SIGCHLD, NULL, &old) < 0 || old.sa_handler != SIG_IGN)
                return;
        (void)signal(SIGCHLD, SIG_DFL);
        if (!o->reset_signals)
                subproc_set_pre_exec_hook(c, ignore_sigchld, NULL);
}

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int run_supervised(subproc *c, const struct options *o)
{
        int status, r, usage_fd;
        double started;

        reap_own_children(c, o);
        subproc_set_raw_status(c);
        if (o->timeout_ms)
                subproc_set_timeout(c, o->timeout_ms,
                                    o->kill_after_ms ? o->kill_after_ms : SUBPROC_NO_KILL);
        if (o->timeout_ms && o->signal)
                subproc_set_timeout_signal(c, o->signal);
        /* We stand between our parent and the program: we die with the parent, and the
         * program's death signal (armed against us) ends it when we are gone. */
        if (o->exit_with_parent && subproc_exit_with_parent() < 0)
                return report_failure();
        if (o->verbose && (r = log_command(c, o)) != 0)
                return r;
        /* Our parent now, before any signal could announce its death. */
        forward_signals(c, o->new_session || o->process_group || o->pty,
                        o->exit_with_parent ? getppid() : 0);
        if ((usage_fd = usage_open(o)) < 0)
                return EXIT_OURS;
        started = now_ms();
        if (subproc_run_async(c, NULL) < 0) {
                r = start_failure(o);
        } else {
                forward_pending();
                if (o->verbose && subproc_scope_path(c))
                        say("scope %s", subproc_scope_path(c));
                if (o->pty)
                        pty_relay(c, pty_master, o->timeout_ms);
                r = subproc_wait(c, &status);
                /* Only now: the end of its output is the program closing the pty, maybe on
                 * its way out (cat's atexit), and closing the master first would hang it up
                 * (SIGHUP). */
                if (o->pty) {
                        int e = errno;

                        close(pty_master);
                        errno = e;
                }
                if (r == 0)
                        r = status_exit_code(status);
                else
                        r = errno == ETIMEDOUT ? timed_out(c, o) : report_failure();
                usage_report(c, o, usage_fd, now_ms() - started);
        }
        if (usage_fd > STDERR_FILENO)
                close(usage_fd);
        return r;
}

/* A timeout needs somebody to watch the clock.  setsid() fails in a process group leader
 * (what a job-control shell makes of us), so there the program must be our child too. */
/* Namespaces too: subproc_exec() cannot enter them (the program must be born there).  A
 * scope (somebody must kill and remove it), a usage report (somebody must reap), and a pty
 * (somebody must hold its master and relay). */
static bool needs_supervision(const struct options *o)
{
        return o->timeout_ms || (o->new_session && getpgrp() == getpid()) || o->unshare_flags ||
               o->scope || o->rusage || o->pty;
}

static int run(subproc *c, const struct options *o)
{
        if (o->dry_run) {
                int r = print_identity(o, STDOUT_FILENO);

                return r ? r : print_command(c, o, STDOUT_FILENO);
        }
        if (o->daemon)
                return run_daemon(c, o);
        if (needs_supervision(o))
                return run_supervised(c, o);
        return exec_in_place(c, o);
}

/* ---- pidfiles ------------------------------------------------------------------------ */

static int run_command(struct options *o)
{
        struct stdio_fds stdio;
        subproc *c;
        int r, ruleset;

        if (!o->dry_run && open_stdio(o, &stdio) < 0)
                return EXIT_OURS;
        c = build_command(o, o->dry_run ? NULL : &stdio);
        /* Issue 14, confinement: the ruleset is ours, open until the program runs. */
        r = confine_apply(c, o, o->dry_run, &ruleset) < 0 ? EXIT_OURS : 0;
        /* Issue 15: the sockets are bound here, closed with the options. */
        if (r == 0)
                r = activation_apply(c, o, o->dry_run) < 0 ? EXIT_OURS : run(c, o);
        if (r == 0 && o->dry_run)
                r = confine_print(o, stdout) < 0 || activation_print(o, stdout) < 0
                            ? EXIT_OURS
                            : flush_stdout();
        if (ruleset >= 0)
                close(ruleset);
        subproc_free(c);
        return r;
}

int main(int argc, char **argv)
{
        struct options o = { 0 };
        int r;

        switch (parse_options(argc, argv, &o)) {
        case PARSE_DONE:
                r = flush_stdout();
                break;
        case PARSE_ERROR:
                r = EXIT_OURS;
                break;
        default:
                if (o.mode == MODE_STATUS)
                        r = parity_status(&o);
                else if (o.mode == MODE_STOP)
                        r = parity_stop(&o);
                else
                        r = run_command(&o);
                break;
        }
        free_options(&o);
        return r;
}
