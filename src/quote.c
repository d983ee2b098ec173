/* Shell quoting and the command's printable form (subproc_to_string, subproc_write_arg_log). */
#include "command.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sp_buf_append(struct sp_buf *b, const char *s, size_t n)
{
        if (b->oom)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 64;
                char *data;

                while (cap < b->len + n + 1)
                        cap *= 2;
                data = realloc(b->data, cap);
                if (!data) {
                        b->oom = true;
                        return;
                }
                b->data = data;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void sp_buf_puts(struct sp_buf *b, const char *s)
{
        sp_buf_append(b, s, strlen(s));
}

char *sp_buf_steal(struct sp_buf *b)
{
        char *s = b->data;
        bool oom = b->oom;

        *b = (struct sp_buf){ 0 };
        if (oom) {
                free(s);
                errno = ENOMEM;
                return NULL;
        }
        return s ? s : strdup("");
}

/* Characters that never need quoting in a POSIX shell word. */
static bool is_plain_word(const char *s, bool allow_equals)
{
        if (!*s)
                return false;
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9'))
                        continue;
                if (strchr("_@%+:,./-", ch))
                        continue;
                if (ch == '=' && allow_equals)
                        continue;
                return false;
        }
        return true;
}

/* Single quotes keep everything literal, newlines included; a ' becomes '\''. */
static void quote_word(struct sp_buf *b, const char *s, bool allow_equals)
{
        if (is_plain_word(s, allow_equals)) {
                sp_buf_puts(b, s);
                return;
        }
        sp_buf_puts(b, "'");
        for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
                sp_buf_append(b, s, q - s);
                sp_buf_puts(b, "'\\''");
        }
        sp_buf_puts(b, s);
        sp_buf_puts(b, "'");
}

void sp_buf_quote(struct sp_buf *b, const char *s)
{
        quote_word(b, s, true);
}

static bool is_shell_name(const char *s, size_t n)
{
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)s[i];

                if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9')))
                        return false;
        }
        return true;
}

/* Names a shell treats specially in a "NAME=value cmd" prefix: it checks or refuses them
 * (dash: OPTIND must be a number; bash: read-only PPID, UID...) instead of passing them on. */
static bool is_special_to_shells(const char *s, size_t n)
{
        static const char *const names[] = {
                "OPTIND", "OPTARG",   "PPID",      "UID",           "EUID",
                "GROUPS", "BASHOPTS", "SHELLOPTS", "BASH_VERSINFO", "BASHPID",
                "LINENO", "RANDOM",   "SRANDOM",   "SECONDS",       "IFS",
        };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0)
                        return true;
        return false;
}

/* A plain "NAME=value" prefix only works when every name is an ordinary shell identifier and
 * nothing is removed; otherwise env(1) carries the changes. */
static bool needs_env_command(const struct sp_env *env)
{
        if (env->unset.n)
                return true;
        for (size_t i = 0; i < env->vars.n; i++) {
                const char *e = env->vars.items[i];
                size_t n = strcspn(e, "=");

                if (env->shown[i] && (!is_shell_name(e, n) || is_special_to_shells(e, n)))
                        return true;
        }
        return false;
}

static void separate(struct sp_buf *b, bool *first, bool linebreak)
{
        if (!*first)
                sp_buf_puts(b, linebreak ? " \\\n" : " ");
        *first = false;
}

/* Returns whether env(1) carries the changes. */
static bool append_env(struct sp_buf *b, const struct sp_env *env, bool linebreaks, bool *first)
{
        bool use_env = env->mode != SP_ENV_INHERIT && needs_env_command(env);

        if (env->mode == SP_ENV_INHERIT)
                return false;
        if (use_env) {
                separate(b, first, linebreaks);
                sp_buf_puts(b, "env");
                for (size_t i = 0; i < env->unset.n; i++) {
                        sp_buf_puts(b, " -u ");
                        sp_buf_quote(b, env->unset.items[i]);
                }
                /* So that a name or a binary starting with '-' is no option of env's. */
                sp_buf_puts(b, " --");
        }
        for (size_t i = 0; i < env->vars.n; i++) {
                const char *e = env->vars.items[i];
                size_t name_len = strcspn(e, "=");

                if (!env->shown[i])
                        continue;
                separate(b, first, linebreaks);
                if (use_env) {
                        sp_buf_quote(b, e);
                        continue;
                }
                sp_buf_append(b, e, name_len + 1);
                sp_buf_quote(b, e + name_len + 1);
        }
        return use_env;
}

char *subproc_to_string(const subproc *c, bool linebreaks)
{
        struct sp_buf b = { 0 };
        bool first = true;
        char *line;

        if (sp_command_broken(c)) {
                sp_command_report(c);
                return NULL;
        }
        if (append_env(&b, &c->cfg.env, linebreaks, &first) && strchr(c->cfg.argv.items[0], '=')) {
                /* env(1) would take a binary with '=' for one more assignment: let nice(1)
                 * exec it, which changes neither argv nor the environment (a shell would drop
                 * odd names and set PWD).  By path: the changes may include PATH. */
                separate(&b, &first, false);
                sp_buf_puts(&b, "/usr/bin/nice -n 0 --");
        }
        for (size_t i = 0; i < c->cfg.argv.n; i++) {
                const char *arg = c->cfg.argv.items[i];

                /* An option's value, and any other plain argument, stays on the line. */
                separate(&b, &first, linebreaks && (i == 0 || arg[0] == '-'));
                /* A leading word with '=' would read as an assignment: quote it. */
                quote_word(&b, arg, i > 0);
        }
        line = sp_buf_steal(&b);
        if (!line)
                sp_error(ENOMEM, "out of memory formatting the command line");
        return line;
}

int subproc_write_arg_log(const subproc *c, int fd)
{
        char *line = subproc_to_string(c, false);
        size_t len, off = 0;

        if (!line)
                return -1;
        len = strlen(line);
        line[len] = '\n'; /* overwrites the NUL; we write by length */
        while (off < len + 1) {
                ssize_t n = write(fd, line + off, len + 1 - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;

                        free(line);
                        return sp_error(e, "cannot write the command line to fd %d: %s", fd,
                                        strerror(e));
                }
                off += (size_t)n;
        }
        free(line);
        return 0;
}
