/* A make -j style runner on subproc_loop: shell commands from the arguments (or, with none,
 * from the lines of stdin), at most J at once, each command's stdout and stderr shown whole
 * when it finishes, ^C (SIGINT, SIGTERM) stops all children and waits for them.  The caller's
 * inherited fds (make's jobserver) are passed through to every command.
 *
 *   cc parallel.c $(pkg-config --cflags --libs subproc) -o parallel
 *   ./parallel -j 4 'make -C a' 'make -C b' ...     or     ./parallel < commands
 *
 * Exit status: 0 when every command exited 0, 1 when one did not, 130 after ^C, 2 on usage or
 * system errors. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <subproc.h>
#include <unistd.h>

struct job {
        subproc *cmd;
        char *output; /* stdout and stderr together, in the order they came */
        const char *line;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        (void)sig;
        interrupted = 1;
}

/* The commands: argv[first..], or the non-empty lines of stdin. */
static char **read_commands(int argc, char **argv, int first, size_t *n)
{
        char **list = NULL, *line = NULL;
        size_t cap = 0, len = 0;
        ssize_t got;

        if (first < argc) {
                *n = (size_t)(argc - first);
                return argv + first;
        }
        *n = 0;
        while ((got = getline(&line, &len, stdin)) > 0) {
                if (line[got - 1] == '\n')
                        line[--got] = '\0';
                if (got == 0)
                        continue;
                if (*n == cap) {
                        char **more = realloc(list, (cap = cap ? 2 * cap : 64) * sizeof *list);

                        if (!more)
                                exit(2);
                        list = more;
                }
                if (!(list[(*n)++] = strdup(line)))
                        exit(2);
        }
        free(line);
        return list;
}

/* Start one command in the loop: /bin/sh -c LINE, output captured whole. */
static int start(subproc_loop *loop, struct job *job, const char *line)
{
        job->line = line;
        job->output = NULL;
        job->cmd = subproc_new_args("/bin/sh", "-c", line, NULL);
        subproc_set_output_buffer(job->cmd, &job->output);
        subproc_set_error_buffer(job->cmd, &job->output);
        subproc_pass_inherited_fds(job->cmd); /* make's jobserver fds, `3>log` */
        /* A group of its own: a stop reaches what the shell started too. */
        subproc_set_new_process_group(job->cmd);
        if (subproc_loop_add(loop, job->cmd, job) == 0)
                return 0;
        fprintf(stderr, "parallel: %s: %s\n", line, subproc_errmsg());
        subproc_free(job->cmd);
        free(job->output);
        return -1;
}

/* A command has ended: show its output whole, then how it failed, if it did. */
static int finish(const struct subproc_event *ev)
{
        struct job *job = ev->tag;
        int failed = ev->result < 0 || ev->exitstatus != 0;

        fwrite(job->output, 1, subproc_output_len(job->cmd), stdout);
        fflush(stdout);
        if (ev->result < 0)
                fprintf(stderr, "parallel: %s\n", ev->message);
        else if (ev->exitstatus != 0)
                fprintf(stderr, "parallel: %s: exit status %d\n", job->line, ev->exitstatus);
        subproc_free(job->cmd);
        free(job->output);
        free(job);
        return failed;
}

int main(int argc, char **argv)
{
        long jobs = 2 * sysconf(_SC_NPROCESSORS_ONLN);
        struct sigaction sa = { .sa_handler = on_signal };
        sigset_t stop_signals, wait_mask;
        size_t ncommands, next = 0;
        int running = 0, failures = 0, opt;
        subproc_loop *loop;
        char **commands;

        while ((opt = getopt(argc, argv, "+j:")) != -1) {
                if (opt != 'j' || (jobs = strtol(optarg, NULL, 10)) < 1) {
                        fprintf(stderr, "usage: parallel [-j JOBS] [COMMAND...]\n");
                        return 2;
                }
        }
        commands = read_commands(argc, argv, optind, &ncommands);
        /* ^C and SIGTERM are blocked but while waiting: no wait can miss one. */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
        sigdelset(&wait_mask, SIGINT);
        sigdelset(&wait_mask, SIGTERM);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        loop = subproc_loop_new();
        if (!loop)
                return 2;
        while (running > 0 || (next < ncommands && !interrupted)) {
                struct subproc_event ev[16];
                int n;

                while (running < jobs && next < ncommands && !interrupted) {
                        struct job *job = calloc(1, sizeof *job);

                        if (!job)
                                return 2;
                        if (start(loop, job, commands[next++]) < 0) {
                                free(job);
                                failures++;
                                continue;
                        }
                        running++;
                }
                if (running == 0)
                        break;
                n = subproc_loop_wait(loop, -1, &wait_mask, ev, 16);
                if (n < 0 && errno == EINTR) {
                        /* Stop everything, then go on waiting: every child is reaped. */
                        subproc_loop_kill(loop, SIGTERM);
                        continue;
                }
                if (n < 0) {
                        fprintf(stderr, "parallel: %s\n", subproc_errmsg());
                        return 2;
                }
                for (int i = 0; i < n; i++) {
                        if (ev[i].type != SUBPROC_EVENT_EXITED)
                                continue;
                        failures += finish(&ev[i]);
                        running--;
                }
        }
        subproc_loop_free(loop);
        for (size_t i = 0; optind >= argc && i < ncommands; i++)
                free(commands[i]); /* read from stdin: ours */
        if (optind >= argc)
                free(commands);
        if (interrupted)
                return 130;
        return failures ? 1 : 0;
}
