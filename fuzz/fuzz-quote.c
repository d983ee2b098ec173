/* libFuzzer target: subproc_to_string() must be a faithful shell command line.
 *
 * The input builds a command, both forms of its to_string() line (with and without
 * linebreaks) are run by a real POSIX shell, and the program the line runs (print-argv-env)
 * reports its argv and environment, which must be exactly the command's.
 *
 * Input: byte 0 holds flags (bit 0: call subproc_env_inherit() first; bits 1-3: which of the
 * binaries below to run).  The rest is a list of NUL-separated records, since no word or
 * variable can hold a NUL.  A record starting with \x01 sets "NAME=value" (split at the
 * first '='; an empty name is skipped), one starting with \x02 unsets NAME (skipped when
 * empty or holding '='), and any other record, the empty one included, is an argument.
 *
 * What the shell must give back.  to_string() shows environment *changes*, so the shell's
 * own exported variables (the baseline) stay unless the command changed them.  This process
 * takes the shell's baseline as its own environment, so that for an inheriting command the
 * caller's environment and the shell's are the same and every removal must be shown.  On a
 * command with an explicit environment, unsetting a name the command never set changes
 * nothing that the line could show: the shell keeps its baseline value.
 *
 * Speed: one shell lives as long as the process and reads one command line per input on its
 * stdin; each to_string() line is sourced with "." in a subshell, so that a line that does not
 * parse cannot take the shell down or swallow the next command.  The printer writes to a
 * file, so its output never has to fit a pipe.
 *
 * Environment knobs: SUBPROC_FUZZ_SHELL (default /bin/sh; bash works too),
 * SUBPROC_FUZZ_PRINTER (default: the print-argv-env built beside this target). */
#include "subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FUZZ_PRINTER
#define FUZZ_PRINTER "print-argv-env"
#endif

#define SHELL_TIMEOUT_MS 30000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern char **environ;

/* The binaries a command may run, all the printer: where argv[0] itself needs quoting, or
 * could be mistaken for an assignment or an option.  The absolute ones are under the work
 * directory; the relative ones are found from the shell's cwd, which is the work directory. */
static const struct {
        bool absolute;
        const char *path;
} binary_table[] = {
        { true, "bin/print" },
        { true, "with space/print" },
        { true, "it's/print" },
        { true, "$HOME`false`\"\\/print" },
        { true, "new\nline/print" },
        { true, "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93/print" },
        { false, "a=b/print" },
        { false, "-/print" },
};
#define N_BINARIES (sizeof binary_table / sizeof binary_table[0])

/* A growable list of strings; entries are owned. */
struct strv {
        char **s;
        size_t n, cap;
};

static char workdir[] = "/tmp/subproc-fuzz-quote.XXXXXX";
static bool workdir_made;
static char *binaries[N_BINARIES];
static struct strv baseline; /* "NAME=value" as the shell exports it */
/* bash exports "_" (the command's path) to every command it runs: not ours to compare. */
static bool shell_sets_underscore;
static pid_t shell_pid = -1;
static int shell_in = -1, shell_status = -1;

static void remove_workdir(void);

/* abort() skips atexit(): clean up first, or every failing run leaves a directory behind. */
static void fatal(void)
{
        remove_workdir();
        abort();
}

static void die(const char *what)
{
        fprintf(stderr, "fuzz-quote: %s: %s\n", what, strerror(errno));
        fatal();
}

static void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                die("malloc");
        return p;
}

static char *xstrndup(const char *s, size_t n)
{
        char *p = xmalloc(n + 1);

        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                die("asprintf");
        return s;
}

static void strv_push(struct strv *v, char *s)
{
        if (v->n == v->cap) {
                v->cap = v->cap ? 2 * v->cap : 16;
                v->s = realloc(v->s, v->cap * sizeof *v->s);
                if (!v->s)
                        die("realloc");
        }
        v->s[v->n++] = s;
}

static void strv_free(struct strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->s[i]);
        free(v->s);
        *v = (struct strv){ 0 };
}

/* The index of the "NAME=..." entry, or -1. */
static ssize_t strv_find_var(const struct strv *v, const char *name, size_t name_len)
{
        for (size_t i = 0; i < v->n; i++)
                if (strncmp(v->s[i], name, name_len) == 0 && v->s[i][name_len] == '=')
                        return (ssize_t)i;
        return -1;
}

static void strv_remove(struct strv *v, size_t at)
{
        free(v->s[at]);
        memmove(&v->s[at], &v->s[at + 1], (v->n - at - 1) * sizeof *v->s);
        v->n--;
}

static void strv_set_var(struct strv *v, char *entry)
{
        ssize_t at = strv_find_var(v, entry, strcspn(entry, "="));

        if (at >= 0) {
                free(v->s[at]);
                v->s[at] = entry;
        } else {
                strv_push(v, entry);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print a string with C escapes, so that a mismatch report shows every byte. */
static void put_escaped(const char *s)
{
        fputc('"', stderr);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if (ch == '\n')
                        fputs("\\n", stderr);
                else if (ch == '"' || ch == '\\')
                        fprintf(stderr, "\\%c", ch);
                else if (ch < 0x20 || ch >= 0x7f)
                        fprintf(stderr, "\\x%02x", ch);
                else
                        fputc(ch, stderr);
        }
        fputc('"', stderr);
}

static void put_strv(const char *title, const struct strv *v)
{
        fprintf(stderr, "  %s (%zu):\n", title, v->n);
        for (size_t i = 0; i < v->n; i++) {
                fputs("    ", stderr);
                put_escaped(v->s[i]);
                fputc('\n', stderr);
        }
}

static void write_file(const char *path, const char *text)
{
        size_t len = strlen(text), off = 0;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                die(path);
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die(path);
                off += (size_t)n;
        }
        close(fd);
}

/* The whole file, NUL-terminated; its length in *len. */
static char *read_file(const char *path, size_t *len)
{
        size_t cap = 4096, n = 0;
        char *buf = xmalloc(cap);
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                die(path);
        for (;;) {
                ssize_t r;

                if (n + 1 >= cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                die("realloc");
                }
                r = read(fd, buf + n, cap - n - 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        die(path);
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        *len = n;
        return buf;
}

static void make_binary(size_t i, const char *printer)
{
        char *abs = xasprintf("%s/%s", workdir, binary_table[i].path);
        char *slash = strrchr(abs, '/');

        *slash = '\0';
        if (mkdir(abs, 0700) < 0 && errno != EEXIST)
                die(abs);
        *slash = '/';
        if (symlink(printer, abs) < 0)
                die(abs);
        binaries[i] = binary_table[i].absolute ? abs : xasprintf("%s", binary_table[i].path);
        if (!binary_table[i].absolute)
                free(abs);
}

static void remove_workdir(void)
{
        char *argv[] = { "rm", "-rf", "--", workdir, NULL };
        pid_t pid;

        if (shell_in >= 0)
                close(shell_in); /* EOF: the shell exits */
        shell_in = -1;
        if (shell_pid > 0)
                waitpid(shell_pid, NULL, 0);
        shell_pid = -1;
        if (workdir_made && posix_spawn(&pid, "/bin/rm", NULL, NULL, argv, environ) == 0)
                waitpid(pid, NULL, 0);
        workdir_made = false;
}

static void start_shell(void)
{
        const char *shell = getenv("SUBPROC_FUZZ_SHELL");
        const char *path = getenv("PATH");
        char *argv[] = { "sh", NULL };
        char *envp[] = {
                /* env(1) must be found; A and PATH give the fuzzer baseline names to hit. */
                xasprintf("PATH=%s", path && *path ? path : "/usr/bin:/bin"),
                "A=1",
                NULL,
        };
        posix_spawn_file_actions_t fa;
        int in[2], st[2];
        char *cd;

        if (!shell || !*shell)
                shell = "/bin/sh";
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0)
                die("pipe2");
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, st[1], STDOUT_FILENO);
        errno = posix_spawn(&shell_pid, shell, &fa, NULL, argv, envp);
        if (errno)
                die(shell);
        posix_spawn_file_actions_destroy(&fa);
        free(envp[0]);
        close(in[0]);
        close(st[1]);
        shell_in = in[1];
        shell_status = st[0];
        cd = xasprintf("cd '%s' || exit 1\n", workdir);
        if (write(shell_in, cd, strlen(cd)) != (ssize_t)strlen(cd))
                die("write to the shell");
        free(cd);
}

/* What the shell made of one line: the printer's output, the line's stderr, its status. */
struct result {
        char *out, *err;
        size_t out_len;
        int status;
};

/* Run each line in its own subshell, all in one round trip to the shell. */
static void run_lines(char *const *lines, size_t n, struct result *res)
{
        char script[4096], answer[256];
        size_t len = 0, got = 0, newlines = 0;
        const char *p;

        for (size_t i = 0; i < n; i++) {
                char *path = xasprintf("%s/line%zu", workdir, i);

                write_file(path, lines[i]);
                free(path);
                len += (size_t)snprintf(script + len, sizeof script - len,
                                        "( . %s/line%zu ) >%s/out%zu 2>%s/err%zu </dev/null; "
                                        "echo $?\n",
                                        workdir, i, workdir, i, workdir, i);
        }
        if (write(shell_in, script, len) != (ssize_t)len)
                die("write to the shell");
        while (newlines < n) {
                struct pollfd pfd = { .fd = shell_status, .events = POLLIN };
                ssize_t r;
                int ready = poll(&pfd, 1, SHELL_TIMEOUT_MS);

                if (ready == 0) {
                        errno = ETIMEDOUT;
                        die("waiting for the shell");
                }
                if (ready < 0 && errno == EINTR)
                        continue;
                r = read(shell_status, answer + got, sizeof answer - 1 - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        errno = r ? errno : EPIPE;
                        die("reading from the shell");
                }
                for (ssize_t i = 0; i < r; i++)
                        newlines += answer[got + (size_t)i] == '\n';
                got += (size_t)r;
        }
        answer[got] = '\0';
        p = answer;
        for (size_t i = 0; i < n; i++) {
                char *path = xasprintf("%s/out%zu", workdir, i);
                size_t err_len;

                res[i].status = atoi(p);
                p = strchr(p, '\n') + 1;
                res[i].out = read_file(path, &res[i].out_len);
                free(path);
                path = xasprintf("%s/err%zu", workdir, i);
                res[i].err = read_file(path, &err_len);
                free(path);
        }
}

/* Split the printer's output into argv and environment; false if it is not well formed. */
static bool parse_output(const struct result *r, struct strv *argv, struct strv *env)
{
        const char *p = r->out, *end = r->out + r->out_len;
        long argc;
        char *num_end;

        if (r->out_len == 0 || end[-1] != '\0')
                return false;
        argc = strtol(p, &num_end, 10);
        if (*num_end || argc < 1)
                return false;
        p += strlen(p) + 1;
        for (long i = 0; p < end; i++) {
                size_t n = strlen(p);

                strv_push(i < argc ? argv : env, xstrndup(p, n));
                p += n + 1;
        }
        return argv->n == (size_t)argc;
}

static bool strv_equal(const struct strv *a, const struct strv *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->s[i], b->s[i]) != 0)
                        return false;
        return true;
}

static void init(void)
{
        const char *printer = getenv("SUBPROC_FUZZ_PRINTER");
        ssize_t at;
        char *line;
        struct result r;
        struct strv argv = { 0 };

        if (!printer || !*printer)
                printer = FUZZ_PRINTER;
        if (access(printer, X_OK) < 0)
                die(printer);
        /* A shell that died shows as EPIPE on our next write, not as a fatal signal. */
        signal(SIGPIPE, SIG_IGN);
        if (!mkdtemp(workdir))
                die("mkdtemp");
        workdir_made = true;
        atexit(remove_workdir);
        for (size_t i = 0; i < N_BINARIES; i++)
                make_binary(i, printer);
        start_shell();

        line = xasprintf("'%s'", binaries[0]);
        run_lines(&line, 1, &r);
        free(line);
        if (r.status != 0 || !parse_output(&r, &argv, &baseline)) {
                fprintf(stderr, "fuzz-quote: the shell cannot run the printer (status %d): %s\n",
                        r.status, r.err);
                fatal();
        }
        strv_free(&argv);
        free(r.out);
        free(r.err);
        at = strv_find_var(&baseline, "_", 1);
        if (at >= 0) {
                shell_sets_underscore = true;
                strv_remove(&baseline, (size_t)at);
        }

        /* Become the shell's environment, so that an inheriting command starts from it. */
        clearenv();
        for (size_t i = 0; i < baseline.n; i++)
                if (putenv(xstrndup(baseline.s[i], strlen(baseline.s[i]))) != 0)
                        die("putenv");
}

/* The command built from one input, and what the shell must give back for it. */
struct model {
        subproc *c;
        struct strv argv, env;
        bool inherit, env_touched;
};

static void model_set(struct model *m, const char *rec, size_t len)
{
        const char *eq = memchr(rec, '=', len);
        size_t name_len = eq ? (size_t)(eq - rec) : len;
        char *name = xstrndup(rec, name_len);
        char *value = eq ? xstrndup(eq + 1, len - name_len - 1) : xstrndup("", 0);

        if (name_len > 0 && !(shell_sets_underscore && strcmp(name, "_") == 0)) {
                subproc_env_set(m->c, name, value);
                strv_set_var(&m->env, xasprintf("%s=%s", name, value));
                m->env_touched = true;
        }
        free(name);
        free(value);
}

static void model_unset(struct model *m, const char *rec, size_t len)
{
        char *name = xstrndup(rec, len);
        ssize_t at, base;

        if (len == 0 || strchr(name, '=') || (shell_sets_underscore && strcmp(name, "_") == 0)) {
                free(name);
                return;
        }
        /* Unsetting on an untouched command inherits the caller's environment first. */
        if (!m->env_touched)
                m->inherit = true;
        m->env_touched = true;
        subproc_env_unset(m->c, name);
        at = strv_find_var(&m->env, name, len);
        base = strv_find_var(&baseline, name, len);
        if (at >= 0)
                strv_remove(&m->env, (size_t)at);
        if (!m->inherit && base >= 0)
                strv_push(&m->env, xstrndup(baseline.s[base], strlen(baseline.s[base])));
        free(name);
}

static void model_build(struct model *m, const uint8_t *data, size_t size)
{
        const char *p = (const char *)data + 1, *end = (const char *)data + size;
        const char *binary = binaries[(data[0] >> 1) % N_BINARIES];

        m->c = subproc_new(binary);
        strv_push(&m->argv, xstrndup(binary, strlen(binary)));
        for (size_t i = 0; i < baseline.n; i++)
                strv_push(&m->env, xstrndup(baseline.s[i], strlen(baseline.s[i])));
        if (data[0] & 1) {
                subproc_env_inherit(m->c);
                m->inherit = m->env_touched = true;
        }
        while (p < end) {
                const char *nul = memchr(p, '\0', (size_t)(end - p));
                size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

                if (len > 0 && p[0] == '\x01') {
                        model_set(m, p + 1, len - 1);
                } else if (len > 0 && p[0] == '\x02') {
                        model_unset(m, p + 1, len - 1);
                } else {
                        char *word = xstrndup(p, len);

                        subproc_add_arg(m->c, word);
                        strv_push(&m->argv, word);
                }
                p += len + 1;
        }
        if (m->env.n)
                qsort(m->env.s, m->env.n, sizeof *m->env.s, cmp_str);
}

static void check(const struct model *m, const char *line, const struct result *r)
{
        struct strv argv = { 0 }, env = { 0 };
        bool ok = r->status == 0 && parse_output(r, &argv, &env);
        ssize_t at = strv_find_var(&env, "_", 1);

        if (shell_sets_underscore && at >= 0)
                strv_remove(&env, (size_t)at);

        if (env.n)
                qsort(env.s, env.n, sizeof *env.s, cmp_str);
        if (ok && strv_equal(&argv, &m->argv) && strv_equal(&env, &m->env)) {
                strv_free(&argv);
                strv_free(&env);
                return;
        }
        fprintf(stderr, "fuzz-quote: the shell does not give back the command\n  line: ");
        put_escaped(line);
        fprintf(stderr, "\n  shell status %d, stderr: ", r->status);
        put_escaped(r->err);
        fputc('\n', stderr);
        put_strv("expected argv", &m->argv);
        put_strv("shell's argv", &argv);
        put_strv("expected environment", &m->env);
        put_strv("shell's environment", &env);
        fatal();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool ready;
        struct model m = { 0 };
        struct result res[2];
        char *lines[2];
        size_t n;

        if (!ready) {
                init();
                ready = true;
        }
        if (size == 0)
                return 0;
        model_build(&m, data, size);
        for (int i = 0; i < 2; i++) {
                lines[i] = subproc_to_string(m.c, i == 1);
                if (!lines[i]) {
                        fprintf(stderr, "fuzz-quote: subproc_to_string: %s\n", subproc_errmsg());
                        fatal();
                }
        }
        /* Without environment entries or options the two forms are the same line. */
        n = strcmp(lines[0], lines[1]) == 0 ? 1 : 2;
        run_lines(lines, n, res);
        for (size_t i = 0; i < n; i++) {
                check(&m, lines[i], &res[i]);
                free(res[i].out);
                free(res[i].err);
        }
        free(lines[0]);
        free(lines[1]);
        subproc_free(m.c);
        strv_free(&m.argv);
        strv_free(&m.env);
        return 0;
}
