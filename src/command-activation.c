/* The builder's part of issue 15: readiness (subproc_require_ready) and socket activation
 * (subproc_listen_fds).  The run's part is ready-linux.c (the notify socket) and activation.c
 * (the environment the child gets). */
#include "command.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void subproc_require_ready(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.ready = true;
}

/* Why `name` cannot be an entry of LISTEN_FDNAMES (systemd's rules: printable ASCII, no ':'
 * which separates them, at most SP_LISTEN_NAME_MAX bytes), or NULL when it can. */
static const char *listen_name_problem(const char *name)
{
        size_t len = strlen(name);

        if (len == 0)
                return "is empty";
        if (len > SP_LISTEN_NAME_MAX)
                return "is longer than 255 bytes";
        for (const char *p = name; *p; p++) {
                if (*p == ':')
                        return "contains ':' (the separator of LISTEN_FDNAMES)";
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                        return "contains a control or non-ASCII character";
        }
        return NULL;
}

/* Refuse what cannot be a list of listening fds; true if refused. */
static bool refuse_listen_fds(subproc *c, const int *fds, size_t n, const char *const *names)
{
        size_t total = c->cfg.nlisten + n;

        if (n == 0 || !fds) {
                sp_command_fail(c, EINVAL, "subproc_listen_fds: %s",
                                n == 0 ? "no fds given" : "the fd list is NULL");
                return true;
        }
        if (n > SP_LISTEN_FDS_MAX || total > SP_LISTEN_FDS_MAX) {
                sp_command_fail(c, EINVAL, "subproc_listen_fds: %zu fds, at most %d can be passed",
                                total, SP_LISTEN_FDS_MAX);
                return true;
        }
        for (size_t i = 0; i < n; i++) {
                const char *problem = names && names[i] ? listen_name_problem(names[i]) : NULL;

                if (fds[i] < 0) {
                        sp_command_fail(c, EINVAL,
                                        "subproc_listen_fds: fd %d (entry %zu) is not an fd",
                                        fds[i], i);
                        return true;
                }
                if (problem) {
                        sp_command_fail(c, EINVAL,
                                        "subproc_listen_fds: the name of fd %d (entry %zu) %s",
                                        fds[i], i, problem);
                        return true;
                }
                for (size_t j = 0; j < c->cfg.nlisten + i; j++) {
                        int other = j < c->cfg.nlisten ? c->cfg.listen_fds[j]
                                                       : fds[j - c->cfg.nlisten];

                        if (other == fds[i]) {
                                sp_command_fail(c, EINVAL,
                                                "subproc_listen_fds: fd %d is given twice (as the "
                                                "child's fd %zu and %zu)",
                                                fds[i], 3 + j, 3 + c->cfg.nlisten + i);
                                return true;
                        }
                }
        }
        return false;
}

/* Grow the lists by n entries; false (deferred ENOMEM) on failure. */
static bool grow_listen(subproc *c, size_t n)
{
        size_t total = c->cfg.nlisten + n;
        int *fds = realloc(c->cfg.listen_fds, total * sizeof *fds);
        char **names;

        if (fds)
                c->cfg.listen_fds = fds;
        names = fds ? realloc(c->cfg.listen_names, total * sizeof *names) : NULL;
        if (!names) {
                sp_command_fail(c, ENOMEM, "out of memory adding listening fds");
                return false;
        }
        memset(names + c->cfg.nlisten, 0, n * sizeof *names);
        c->cfg.listen_names = names;
        return true;
}

void subproc_listen_fds(subproc *c, const int *fds, size_t n, const char *const *names)
{
        if (sp_command_broken(c) || refuse_listen_fds(c, fds, n, names) || !grow_listen(c, n))
                return;
        for (size_t i = 0; i < n; i++) {
                size_t k = c->cfg.nlisten + i;

                c->cfg.listen_fds[k] = fds[i];
                if (names && names[i] && !(c->cfg.listen_names[k] = strdup(names[i]))) {
                        sp_command_fail(c, ENOMEM, "out of memory copying a listening fd's name");
                        return;
                }
        }
        c->cfg.nlisten += n;
}

void sp_listen_free(struct sp_config *cfg)
{
        for (size_t i = 0; i < cfg->nlisten; i++)
                free(cfg->listen_names[i]);
        free(cfg->listen_names);
        free(cfg->listen_fds);
        cfg->listen_names = NULL;
        cfg->listen_fds = NULL;
        cfg->nlisten = 0;
}
