/* Issue 15: the environment a run adds for readiness and socket activation.  NOTIFY_SOCKET
 * names the run's notify socket (ready-linux.c); LISTEN_FDS and LISTEN_FDNAMES describe the
 * fds placed at 3.. (plan.c maps them); LISTEN_PID gets a slot that the child fills with its
 * own pid (child.c), which nobody knows before.  The caller's own values of these names are
 * dropped: they describe the caller's activation, not the child's. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_name(const char *entry, const char *name)
{
        size_t len = strlen(name);

        return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* Whether the run sets this entry's variable itself. */
static bool replaced(const struct sp_config *cfg, const char *entry)
{
        if (cfg->ready && has_name(entry, "NOTIFY_SOCKET"))
                return true;
        return cfg->nlisten && (has_name(entry, "LISTEN_FDS") ||
                                has_name(entry, "LISTEN_FDNAMES") || has_name(entry, "LISTEN_PID"));
}

/* "LISTEN_FDNAMES=a:b:unknown" (systemd's name for an unnamed fd), or NULL with the error. */
static char *fd_names_entry(const struct sp_config *cfg)
{
        struct sp_buf b = { 0 };
        char *s;

        sp_buf_puts(&b, "LISTEN_FDNAMES=");
        for (size_t i = 0; i < cfg->nlisten; i++) {
                if (i > 0)
                        sp_buf_puts(&b, ":");
                sp_buf_puts(&b, cfg->listen_names[i] ? cfg->listen_names[i] : "unknown");
        }
        s = sp_buf_steal(&b);
        if (!s)
                sp_error(ENOMEM, "out of memory preparing LISTEN_FDNAMES");
        return s;
}

/* The run's additions, into st->activation; 0 or -1 with the error set. */
static int make_entries(subproc *c, struct sp_run *run, struct sp_plan_storage *st)
{
        size_t k = 0;

        if (c->cfg.ready) {
                st->activation[k] = malloc(SP_NOTIFY_ENTRY_SIZE);
                if (!st->activation[k])
                        return sp_error(ENOMEM, "out of memory preparing NOTIFY_SOCKET");
                if (sp_ready_open(run, st->activation[k++], SP_NOTIFY_ENTRY_SIZE) < 0)
                        return -1;
        }
        if (c->cfg.nlisten) {
                if (asprintf(&st->activation[k++], "LISTEN_FDS=%zu", c->cfg.nlisten) < 0) {
                        st->activation[k - 1] = NULL;
                        return sp_error(ENOMEM, "out of memory preparing LISTEN_FDS");
                }
                if (!(st->activation[k++] = fd_names_entry(&c->cfg)))
                        return -1;
        }
        return 0;
}

int sp_activation_env(subproc *c, struct sp_run *run, struct sp_plan *plan,
                      struct sp_plan_storage *st)
{
        char *const *base = plan->envp;
        size_t n = 0, k = 0;

        plan->listen_pid_slot = -1;
        if (!c->cfg.ready && !c->cfg.nlisten)
                return 0;
        if (make_entries(c, run, st) < 0)
                return -1;
        while (base[n])
                n++;
        st->envp = calloc(n + 5, sizeof *st->envp);
        if (!st->envp)
                return sp_error(ENOMEM, "out of memory preparing the child's environment");
        for (size_t i = 0; i < n; i++)
                if (!replaced(&c->cfg, base[i]))
                        st->envp[k++] = base[i];
        for (size_t i = 0; i < 3 && st->activation[i]; i++)
                st->envp[k++] = st->activation[i];
        if (c->cfg.nlisten) {
                if (k >= SP_LISTEN_ENV_MAX)
                        return sp_error(E2BIG,
                                        "socket activation passes at most %d environment "
                                        "variables (the child adds LISTEN_PID on its small "
                                        "stack); this environment has %zu",
                                        SP_LISTEN_ENV_MAX - 1, k);
                plan->listen_pid_slot = (int)k;
        }
        plan->envp = st->envp;
        return 0;
}

void sp_activation_free(struct sp_plan_storage *st)
{
        free(st->envp);
        st->envp = NULL;
        for (size_t i = 0; i < 3; i++) {
                free(st->activation[i]);
                st->activation[i] = NULL;
        }
}
