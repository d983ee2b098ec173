/* The child's environment: inherited whole, or an explicit list edited by the caller. */
#include "command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *const common_names[] = {
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "HOME", "USER", "LOGNAME", "TMPDIR", NULL,
};

void sp_env_free(struct sp_env *env)
{
        sp_strv_free(&env->vars);
        sp_strv_free(&env->unset);
        free(env->shown);
        env->shown = NULL;
        env->shown_cap = 0;
        env->mode = SP_ENV_INHERIT;
        env->inherited = false;
}

char *const *sp_env_envp(const struct sp_env *env)
{
        static char *const empty[] = { NULL };

        if (env->mode == SP_ENV_INHERIT)
                return environ;
        return env->vars.n ? env->vars.items : empty;
}

/* Why `name` is not a valid variable name, or NULL when it is. */
static const char *name_problem(const char *name)
{
        if (!name)
                return "is NULL";
        if (!*name)
                return "is empty";
        if (strchr(name, '='))
                return "contains '='";
        return NULL;
}

/* Record a deferred EINVAL naming the problem when `name` cannot be a variable name. */
static bool valid_name(subproc *c, const char *name)
{
        const char *problem = name_problem(name);

        if (problem)
                sp_command_fail(c, EINVAL, "environment variable name '%s' %s",
                                name ? name : "(null)", problem);
        return !problem;
}

static bool entry_has_name(const char *entry, const char *name, size_t name_len)
{
        return strncmp(entry, name, name_len) == 0 && entry[name_len] == '=';
}

static ssize_t find_var(const struct sp_env *env, const char *name, size_t name_len)
{
        for (size_t i = 0; i < env->vars.n; i++)
                if (entry_has_name(env->vars.items[i], name, name_len))
                        return (ssize_t)i;
        return -1;
}

/* Keep env->shown as long as env->vars. */
static int grow_shown(struct sp_env *env)
{
        if (env->vars.n + 1 > env->shown_cap) {
                size_t cap = env->vars.cap > env->vars.n + 1 ? env->vars.cap : env->vars.n + 8;
                bool *shown = realloc(env->shown, cap * sizeof *shown);

                if (!shown)
                        return -ENOMEM;
                env->shown = shown;
                env->shown_cap = cap;
        }
        return 0;
}

/* Add or replace (in place) the entry "NAME=value", taking ownership of it. */
static void put_entry_take(subproc *c, char *entry, bool shown)
{
        struct sp_env *env = &c->cfg.env;
        size_t name_len;
        ssize_t at;

        if (!entry || grow_shown(env) < 0) {
                free(entry);
                sp_command_fail(c, ENOMEM, "out of memory setting an environment variable");
                return;
        }
        name_len = strcspn(entry, "=");
        at = find_var(env, entry, name_len);
        if (at >= 0) {
                free(env->vars.items[at]);
                env->vars.items[at] = entry;
                env->shown[at] = shown;
                return;
        }
        if (sp_strv_push_take(&env->vars, entry) < 0) {
                sp_command_fail(c, ENOMEM, "out of memory setting an environment variable");
                return;
        }
        env->shown[env->vars.n - 1] = shown;
}

static bool has_unset(const struct sp_env *env, const char *name)
{
        for (size_t i = 0; i < env->unset.n; i++)
                if (strcmp(env->unset.items[i], name) == 0)
                        return true;
        return false;
}

static void go_explicit(subproc *c)
{
        c->cfg.env.mode = SP_ENV_EXPLICIT;
}

void subproc_env_inherit(subproc *c)
{
        if (sp_command_broken(c))
                return;
        go_explicit(c);
        c->cfg.env.inherited = true;
        for (char **e = environ; e && *e; e++) {
                /* An entry without '=' cannot be a variable: execve would pass it on, but
                 * no getenv() finds it, so leave it out. */
                if (!strchr(*e, '=') || **e == '=')
                        continue;
                put_entry_take(c, strdup(*e), false);
        }
}

void subproc_env_clear(subproc *c)
{
        if (sp_command_broken(c))
                return;
        sp_env_free(&c->cfg.env); /* also forgets that it was inherited */
        go_explicit(c);
}

void subproc_env_set(subproc *c, const char *name, const char *value)
{
        char *entry;

        if (sp_command_broken(c))
                return;
        if (!valid_name(c, name))
                return;
        if (!value) {
                sp_command_fail(c, EINVAL, "environment variable %s has a NULL value", name);
                return;
        }
        go_explicit(c);
        if (asprintf(&entry, "%s=%s", name, value) < 0)
                entry = NULL;
        put_entry_take(c, entry, true);
}

void subproc_env_put(subproc *c, const char *name_equals_value)
{
        if (sp_command_broken(c))
                return;
        if (!name_equals_value) {
                sp_command_fail(c, EINVAL, "environment entry is NULL");
                return;
        }
        if (!strchr(name_equals_value, '=') || name_equals_value[0] == '=') {
                sp_command_fail(c, EINVAL, "environment entry '%s' is not NAME=value",
                                name_equals_value);
                return;
        }
        go_explicit(c);
        put_entry_take(c, strdup(name_equals_value), true);
}

void subproc_env_pass(subproc *c, const char *name)
{
        const char *value;

        if (sp_command_broken(c))
                return;
        if (!valid_name(c, name))
                return;
        go_explicit(c);
        value = getenv(name);
        if (value)
                subproc_env_set(c, name, value);
}

void subproc_env_pass_common(subproc *c)
{
        if (sp_command_broken(c))
                return;
        go_explicit(c);
        for (const char *const *name = common_names; *name; name++)
                subproc_env_pass(c, *name);
        subproc_env_set(c, "LC_ALL", "C");
}

void subproc_env_unset(subproc *c, const char *name)
{
        ssize_t at;
        bool was_inherited;

        if (sp_command_broken(c))
                return;
        if (!valid_name(c, name))
                return;
        if (c->cfg.env.mode == SP_ENV_INHERIT)
                subproc_env_inherit(c);
        at = find_var(&c->cfg.env, name, strlen(name));
        if (at < 0)
                return;
        /* Once inherited, the caller's environment (and a pasted command line's shell) may
         * have the name, even when a set replaced the inherited value since. */
        was_inherited = c->cfg.env.inherited || !c->cfg.env.shown[at];
        free(c->cfg.env.vars.items[at]);
        memmove(&c->cfg.env.vars.items[at], &c->cfg.env.vars.items[at + 1],
                (c->cfg.env.vars.n - at) * sizeof(char *)); /* moves the NULL too */
        memmove(&c->cfg.env.shown[at], &c->cfg.env.shown[at + 1],
                (c->cfg.env.vars.n - at - 1) * sizeof(bool));
        c->cfg.env.vars.n--;
        if (was_inherited && !has_unset(&c->cfg.env, name) &&
            sp_strv_push_take(&c->cfg.env.unset, strdup(name)) < 0)
                sp_command_fail(c, ENOMEM, "out of memory unsetting %s", name);
}
