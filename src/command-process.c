/* The builder's process options: what the child becomes before exec (daemon, pidfile,
 * lifetime, privileges, limits, session, cgroup) and how its run is supervised and judged. */
#include "command.h"
#include "confine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void subproc_daemonize(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.daemonize = true;
}

void subproc_set_pidfile(subproc *c, const char *path)
{
        if (sp_command_broken(c))
                return;
        if (!path || !*path) {
                sp_command_fail(c, EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
                return;
        }
        free(c->cfg.pidfile);
        c->cfg.pidfile = strdup(path);
        if (!c->cfg.pidfile)
                sp_command_fail(c, ENOMEM, "out of memory setting the pidfile");
}

void subproc_set_death_signal(subproc *c, int sig)
{
        if (sp_command_broken(c))
                return;
        if (!sp_signal_valid(sig))
                sp_command_fail(c, EINVAL, "death signal %d is not a signal", sig);
        else
                c->cfg.death_signal = sig;
}

void subproc_set_pre_exec_hook(subproc *c, int (*hook)(void *opaque), void *opaque)
{
        if (sp_command_broken(c))
                return;
        if (!hook)
                sp_command_fail(c, EINVAL, "the pre-exec hook is NULL");
        else {
                c->cfg.hook = hook;
                c->cfg.hook_opaque = opaque;
        }
}

void subproc_require_handshake(subproc *c)
{
        if (sp_command_broken(c))
                return;
        c->cfg.handshake = true;
}

void subproc_clear_caps(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.clear_caps = true;
}

void subproc_set_uid(subproc *c, uid_t uid)
{
        if (sp_command_broken(c))
                return;
        if (uid == (uid_t)-1) {
                sp_command_fail(c, EINVAL, "uid -1 is not a user");
                return;
        }
        c->cfg.uid = uid;
        c->cfg.has_uid = true;
}

void subproc_set_gid(subproc *c, gid_t gid)
{
        if (sp_command_broken(c))
                return;
        if (gid == (gid_t)-1) {
                sp_command_fail(c, EINVAL, "gid -1 is not a group");
                return;
        }
        c->cfg.gid = gid;
        c->cfg.has_gid = true;
}

void subproc_set_umask(subproc *c, mode_t mask)
{
        if (sp_command_broken(c))
                return;
        if (mask & ~(mode_t)0777) {
                sp_command_fail(c, EINVAL, "umask %o has bits beyond 0777", (unsigned)mask);
                return;
        }
        c->cfg.umask = mask;
        c->cfg.has_umask = true;
}

void subproc_set_no_new_privs(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.no_new_privs = true;
}

void subproc_set_rlimit(subproc *c, int resource, rlim_t soft, rlim_t hard)
{
        size_t i;

        if (sp_command_broken(c))
                return;
        if (resource < 0 || resource >= RLIM_NLIMITS) {
                sp_command_fail(c, EINVAL, "resource limit %d is unknown", resource);
                return;
        }
        if (soft != RLIM_INFINITY && (hard == RLIM_INFINITY ? false : soft > hard)) {
                sp_command_fail(c, EINVAL,
                                "resource limit %d: soft limit %llu is above the "
                                "hard limit %llu",
                                resource, (unsigned long long)soft, (unsigned long long)hard);
                return;
        }
        if (soft == RLIM_INFINITY && hard != RLIM_INFINITY) {
                sp_command_fail(c, EINVAL,
                                "resource limit %d: an infinite soft limit needs an "
                                "infinite hard limit",
                                resource);
                return;
        }
        for (i = 0; i < c->cfg.nrlimits && c->cfg.rlimits[i].resource != resource; i++)
                ;
        if (i == c->cfg.nrlimits)
                c->cfg.nrlimits++;
        c->cfg.rlimits[i] = (struct sp_rlimit){ resource, soft, hard };
}

void subproc_inherit_signals(subproc *c)
{
        if (sp_command_broken(c))
                return;
        c->cfg.keep_ignored_signals = true;
        c->cfg.inherit_mask = true;
}

void subproc_keep_ignored_signals(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.keep_ignored_signals = true;
}

void subproc_no_pidfd(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.no_pidfd = true;
}

void subproc_set_signal_mask(subproc *c, const sigset_t *mask)
{
        if (sp_command_broken(c))
                return;
        if (!mask) {
                sp_command_fail(c, EINVAL, "the signal mask is NULL");
                return;
        }
        c->cfg.mask = sp_sigset_low64(mask);
        c->cfg.has_mask = true;
}

void subproc_set_timeout(subproc *c, unsigned timeout_ms, unsigned kill_after_ms)
{
        if (sp_command_broken(c))
                return;
        c->cfg.timeout_ms = timeout_ms;
        c->cfg.kill_after_ms = kill_after_ms;
}

void subproc_set_timeout_signal(subproc *c, int sig)
{
        if (sp_command_broken(c))
                return;
        if (!sp_signal_valid(sig))
                sp_command_fail(c, EINVAL, "timeout signal %d is not a signal", sig);
        else
                c->cfg.timeout_signal = sig;
}

void subproc_set_new_session(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.new_session = true;
}

void subproc_set_new_process_group(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.new_pgroup = true;
}

void subproc_set_cgroup(subproc *c, const char *cgroup_dir)
{
        if (sp_command_broken(c))
                return;
        if (!cgroup_dir || !*cgroup_dir) {
                sp_command_fail(c, EINVAL, "the cgroup directory is %s",
                                cgroup_dir ? "empty" : "NULL");
                return;
        }
        free(c->cfg.cgroup_dir);
        c->cfg.cgroup_dir = strdup(cgroup_dir);
        if (!c->cfg.cgroup_dir)
                sp_command_fail(c, ENOMEM, "out of memory setting the cgroup");
}

void subproc_set_cgroup_scope(subproc *c, const char *parent_dir)
{
        if (sp_command_broken(c))
                return;
        if (!parent_dir || !*parent_dir) {
                sp_command_fail(c, EINVAL, "the cgroup scope's parent directory is %s",
                                parent_dir ? "empty" : "NULL");
                return;
        }
        free(c->cfg.scope_parent);
        c->cfg.scope_parent = strdup(parent_dir);
        if (!c->cfg.scope_parent)
                sp_command_fail(c, ENOMEM, "out of memory setting the cgroup scope");
}

void subproc_set_raw_status(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.raw_status = true;
}

/* Issue 14, confinement. */

void subproc_set_seccomp(subproc *c, const struct sock_fprog *filter)
{
        size_t size;
        void *copy;

        if (sp_command_broken(c))
                return;
        if (!filter || !filter->filter || filter->len == 0) {
                sp_command_fail(c, EINVAL, "the seccomp filter is %s",
                                !filter           ? "NULL"
                                : !filter->filter ? "a program at NULL"
                                                  : "empty (0 instructions)");
                return;
        }
        if (filter->len > BPF_MAXINSNS) {
                sp_command_fail(c, EINVAL,
                                "the seccomp filter has %u instructions, more than the "
                                "kernel's %d",
                                (unsigned)filter->len, BPF_MAXINSNS);
                return;
        }
        size = (size_t)filter->len * sizeof *filter->filter;
        copy = malloc(size);
        if (!copy) {
                sp_command_fail(c, ENOMEM, "out of memory copying the seccomp filter");
                return;
        }
        memcpy(copy, filter->filter, size);
        free(c->cfg.seccomp.insns);
        c->cfg.seccomp = (struct sp_bpf_prog){ filter->len, copy };
}

void subproc_set_landlock(subproc *c, int ruleset_fd)
{
        if (sp_command_broken(c))
                return;
        if (ruleset_fd < 0) {
                sp_command_fail(c, EBADF, "Landlock ruleset fd %d is not an fd", ruleset_fd);
                return;
        }
        c->cfg.landlock_fd = ruleset_fd;
        c->cfg.has_landlock = true;
}
