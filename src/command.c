/* The builder's core: making and freeing a command, its arguments and working directory, and
 * the deferred errors every builder call records instead of returning.  The rest of the
 * builder: command-stdio.c (fds, buffers), command-process.c (what the process becomes and
 * how it is supervised), env.c (its environment).
 *
 * The rule for setting an option twice (include/subproc.h, "Construction"): a value takes the
 * latest call, so a command can be adjusted between runs; switches may be repeated; lists
 * (arguments, environment, passed fds, send buffers) grow; only where a stream goes (input,
 * output, error) is set once, since a second destination would leave the caller's first
 * pointer or fd silently unused. */
#include "command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Returned when even the command cannot be allocated: it carries ENOMEM, every builder call
 * ignores it (sp_command_broken), and subproc_free() does not free it. */
static subproc out_of_memory_command = {
        .error = ENOMEM,
        .errmsg = "out of memory while building the command",
        .is_static = true,
        .cfg = { .input_fd = -1 },
        .run = SP_RUN_IDLE,
};

void sp_command_fail(subproc *c, int errnum, const char *fmt, ...)
{
        va_list ap;

        if (!c || c->is_static || c->error)
                return;
        c->error = errnum;
        va_start(ap, fmt);
        vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
        va_end(ap);
}

int sp_command_report(const subproc *c)
{
        if (!c)
                return sp_error(EINVAL, "invalid use of the command API: NULL command");
        return sp_error(c->error, "invalid use of the command API: %s", c->errmsg);
}

static void add_arg_take(subproc *c, char *arg)
{
        if (sp_strv_push_take(&c->cfg.argv, arg) < 0)
                sp_command_fail(c, ENOMEM, "out of memory adding an argument");
}

subproc *subproc_new(const char *binary)
{
        subproc *c = calloc(1, sizeof *c);

        if (!c)
                return &out_of_memory_command;
        c->cfg.input_fd = -1;
        c->run = (struct sp_run)SP_RUN_IDLE;
        if (!binary)
                sp_command_fail(c, EINVAL, "the binary is NULL");
        else if (!*binary)
                sp_command_fail(c, EINVAL, "the binary is an empty string");
        else
                add_arg_take(c, strdup(binary));
        return c;
}

subproc *subproc_new_argv(const char *const *argv)
{
        subproc *c = subproc_new(argv ? argv[0] : NULL);

        if (argv && argv[0])
                subproc_add_arg_set(c, argv + 1);
        return c;
}

static void add_arg_list(subproc *c, va_list ap)
{
        const char *arg;

        while ((arg = va_arg(ap, const char *)))
                subproc_add_arg(c, arg);
}

subproc *subproc_new_args(const char *binary, ...)
{
        subproc *c = subproc_new(binary);
        va_list ap;

        va_start(ap, binary);
        add_arg_list(c, ap);
        va_end(ap);
        return c;
}

void subproc_add_arg(subproc *c, const char *arg)
{
        if (sp_command_broken(c))
                return;
        if (!arg) {
                sp_command_fail(c, EINVAL, "argument %zu is NULL", c->cfg.argv.n);
                return;
        }
        add_arg_take(c, strdup(arg));
}

void subproc_add_arg_pair(subproc *c, const char *name, const char *value)
{
        char *arg;

        if (sp_command_broken(c))
                return;
        if (!name || !value) {
                sp_command_fail(c, EINVAL, "argument pair %zu has a NULL %s", c->cfg.argv.n,
                                name ? "value" : "name");
                return;
        }
        if (asprintf(&arg, "%s=%s", name, value) < 0)
                arg = NULL;
        add_arg_take(c, arg);
}

void subproc_add_arg_format(subproc *c, const char *fmt, ...)
{
        va_list ap;
        char *arg;
        int r;

        if (sp_command_broken(c))
                return;
        if (!fmt) {
                sp_command_fail(c, EINVAL, "argument %zu has a NULL format", c->cfg.argv.n);
                return;
        }
        va_start(ap, fmt);
        r = vasprintf(&arg, fmt, ap);
        va_end(ap);
        add_arg_take(c, r < 0 ? NULL : arg);
}

void subproc_add_arg_set(subproc *c, const char *const *args)
{
        if (sp_command_broken(c))
                return;
        if (!args) {
                sp_command_fail(c, EINVAL, "the argument set is NULL");
                return;
        }
        for (; *args; args++)
                subproc_add_arg(c, *args);
}

void subproc_add_args(subproc *c, ...)
{
        va_list ap;

        if (sp_command_broken(c))
                return;
        va_start(ap, c);
        add_arg_list(c, ap);
        va_end(ap);
}

void subproc_set_cwd(subproc *c, const char *dir)
{
        if (sp_command_broken(c))
                return;
        if (!dir || !*dir) {
                sp_command_fail(c, EINVAL, "the working directory is %s", dir ? "empty" : "NULL");
                return;
        }
        free(c->cfg.cwd);
        c->cfg.cwd = strdup(dir);
        if (!c->cfg.cwd)
                sp_command_fail(c, ENOMEM, "out of memory setting the working directory");
}

void subproc_set_argv0(subproc *c, const char *argv0)
{
        char *copy;

        if (sp_command_broken(c))
                return;
        if (!argv0) {
                sp_command_fail(c, EINVAL, "argv0 is NULL");
                return;
        }
        copy = strdup(argv0);
        if (!copy) {
                sp_command_fail(c, ENOMEM, "out of memory setting argv0");
                return;
        }
        free(c->cfg.argv0);
        c->cfg.argv0 = copy;
}

void sp_config_free(struct sp_config *cfg)
{
        sp_close_passed_fds(cfg);
        for (size_t i = 0; i < cfg->nsends; i++) {
                struct sp_send_buffer *sb = &cfg->sends[i];

                sp_close(&sb->first_pipe[0]);
                sp_close(&sb->first_pipe[1]);
                /* A send buffer may carry secrets (keys, passwords): do not leave them in freed
                 * memory. */
                sp_explicit_bzero(sb->data, sb->len);
                free(sb->data);
        }
        free(cfg->sends);
        sp_strv_free(&cfg->argv);
        sp_env_free(&cfg->env);
        free(cfg->cwd);
        free(cfg->pidfile);
        free(cfg->cgroup_dir);
        free(cfg->scope_parent);
        free(cfg->argv0);
        free(cfg->cpu_set);
        free(cfg->uid_map);
        free(cfg->gid_map);
        free(cfg->passed);
        free(cfg->seccomp.insns); /* Issue 14, confinement. */
        free(cfg->groups);
        sp_listen_free(cfg); /* Issue 15. */
        if (cfg->input_data)
                sp_explicit_bzero(cfg->input_data, cfg->input_len);
        free(cfg->input_data);
}
