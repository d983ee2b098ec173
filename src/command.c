/* The builder: argv, cwd, the fd plan, buffers and deferred errors.  Never forks. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
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
        .input_fd = -1,
        .pid = -1,
        .daemon_pid = -1,
        .report_fd = -1,
        .handshake_notify_fd = -1,
        .pidfd = -1,
        .last_status = -1,
        .io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .out_memfd = -1, .err_memfd = -1 },
};

int sp_strv_push_take(struct sp_strv *v, char *s)
{
        if (!s)
                return -ENOMEM;
        if (v->n + 2 > v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 8;
                char **items = realloc(v->items, cap * sizeof *items);

                if (!items) {
                        free(s);
                        return -ENOMEM;
                }
                v->items = items;
                v->cap = cap;
        }
        v->items[v->n++] = s;
        v->items[v->n] = NULL;
        return 0;
}

void sp_strv_free(struct sp_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->items[i]);
        free(v->items);
        *v = (struct sp_strv){ 0 };
}

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

bool sp_command_broken(const subproc *c)
{
        return !c || c->error != 0;
}

int sp_command_report(const subproc *c)
{
        if (!c)
                return sp_error(EINVAL, "invalid use of the command API: NULL command");
        return sp_error(c->error, "invalid use of the command API: %s", c->errmsg);
}

static void add_arg_take(subproc *c, char *arg)
{
        if (sp_strv_push_take(&c->argv, arg) < 0)
                sp_command_fail(c, ENOMEM, "out of memory adding an argument");
}

subproc *subproc_new(const char *binary)
{
        subproc *c = calloc(1, sizeof *c);

        if (!c)
                return &out_of_memory_command;
        c->input_fd = -1;
        c->pid = -1;
        c->daemon_pid = -1;
        c->last_status = -1;
        c->report_fd = c->handshake_notify_fd = -1;
        c->pidfd = -1;
        c->io.in_fd = c->io.out_fd = c->io.err_fd = -1;
        c->io.out_memfd = c->io.err_memfd = -1;
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
                sp_command_fail(c, EINVAL, "argument %zu is NULL", c->argv.n);
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
                sp_command_fail(c, EINVAL, "argument pair %zu has a NULL %s", c->argv.n,
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
                sp_command_fail(c, EINVAL, "argument %zu has a NULL format", c->argv.n);
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
        if (c->cwd) {
                sp_command_fail(c, EINVAL, "the working directory is set twice");
                return;
        }
        c->cwd = strdup(dir);
        if (!c->cwd)
                sp_command_fail(c, ENOMEM, "out of memory setting the working directory");
}

void subproc_pass_fd(subproc *c, int fd, unsigned flags)
{
        /* The caller gave us the fd with CLOSE_PARENT: it is ours even when we refuse it. */
        bool take = flags & SUBPROC_PASS_FD_CLOSE_PARENT;

        if (sp_command_broken(c) || fd <= 2) {
                if (!sp_command_broken(c))
                        sp_command_fail(c, EINVAL,
                                        "cannot pass fd %d: only fds >= 3 can be passed; use "
                                        "the stdio setters for 0, 1 and 2", fd);
                if (take && fd > 2)
                        close(fd);
                return;
        }
        if (flags & ~(unsigned)SUBPROC_PASS_FD_CLOSE_PARENT) {
                sp_command_fail(c, EINVAL, "unknown flags 0x%x passing fd %d", flags, fd);
                goto refuse;
        }
        for (size_t i = 0; i < c->npassed; i++) {
                if (c->passed[i].fd == fd) {
                        c->passed[i].flags |= flags;
                        return;
                }
        }
        if (c->npassed == c->passed_cap) {
                size_t cap = c->passed_cap ? c->passed_cap * 2 : 4;
                struct sp_passed_fd *p = realloc(c->passed, cap * sizeof *p);

                if (!p) {
                        sp_command_fail(c, ENOMEM, "out of memory passing fd %d", fd);
                        goto refuse;
                }
                c->passed = p;
                c->passed_cap = cap;
        }
        c->passed[c->npassed++] = (struct sp_passed_fd){ .fd = fd, .flags = flags };
        return;
refuse:
        if (take)
                close(fd);
}

static bool input_is_set(const subproc *c)
{
        return c->input_fd >= 0 || c->has_input_buffer;
}

void subproc_set_input_fd(subproc *c, int fd)
{
        if (sp_command_broken(c))
                return;
        if (fd < 0)
                sp_command_fail(c, EINVAL, "the input fd %d is negative", fd);
        else if (input_is_set(c))
                sp_command_fail(c, EINVAL, "the input is set twice");
        else
                c->input_fd = fd;
}

void subproc_set_input_bytes(subproc *c, const void *data, size_t len)
{
        if (sp_command_broken(c))
                return;
        if (!data && len) {
                sp_command_fail(c, EINVAL, "the input buffer is NULL");
                return;
        }
        if (input_is_set(c)) {
                sp_command_fail(c, EINVAL, "the input is set twice");
                return;
        }
        c->input_data = malloc(len ? len : 1);
        if (!c->input_data) {
                sp_command_fail(c, ENOMEM, "out of memory copying %zu bytes of input", len);
                return;
        }
        if (len)
                memcpy(c->input_data, data, len);
        c->input_len = len;
        c->has_input_buffer = true;
}

void subproc_set_input_buffer(subproc *c, const char *text)
{
        if (sp_command_broken(c))
                return;
        if (!text) {
                sp_command_fail(c, EINVAL, "the input buffer is NULL");
                return;
        }
        subproc_set_input_bytes(c, text, strlen(text));
}

/* The output and error destinations: one fd pointer or one buffer pointer each. */
static bool output_is_set(const subproc *c, bool error)
{
        return error ? (c->error_fdp || c->error_bufp) : (c->output_fdp || c->output_bufp);
}

static void set_fd_destination(subproc *c, int *fdp, bool error)
{
        const char *what = error ? "error" : "output";

        if (sp_command_broken(c))
                return;
        if (!fdp)
                sp_command_fail(c, EINVAL, "the %s fd pointer is NULL", what);
        else if (*fdp < -1)
                sp_command_fail(c, EINVAL, "the %s fd %d is invalid", what, *fdp);
        else if (output_is_set(c, error))
                sp_command_fail(c, EINVAL, "the %s is set twice", what);
        else if (error) {
                c->error_fdp = fdp;
                c->error_wants_pipe = *fdp == -1;
        } else {
                c->output_fdp = fdp;
                c->output_wants_pipe = *fdp == -1;
        }
}

void subproc_set_output_fd(subproc *c, int *fd)
{
        set_fd_destination(c, fd, false);
}

void subproc_set_error_fd(subproc *c, int *fd)
{
        set_fd_destination(c, fd, true);
}

void subproc_nonblocking_fds(subproc *c)
{
        if (!sp_command_broken(c))
                c->nonblocking = true;
}

/* Where a buffer or mapping (`mapped`) pointer goes; one pointer for both streams must be of
 * one kind. */
static void register_buffer(subproc *c, char **bufp, bool error, bool mapped)
{
        if (error) {
                c->error_bufp = bufp;
                c->error_mapped = mapped;
        } else {
                c->output_bufp = bufp;
                c->output_mapped = mapped;
        }
}

static bool shares_kind(const subproc *c, char **bufp, bool error, bool mapped)
{
        char **other = error ? c->output_bufp : c->error_bufp;

        return other != bufp || (error ? c->output_mapped : c->error_mapped) == mapped;
}

static void set_buffer_destination(subproc *c, char **bufp, bool error, bool mapped)
{
        const char *what = error ? "error" : "output";
        const char *kind = mapped ? "mapping" : "buffer";

        /* "Sets *out = NULL now" holds even for a broken command: a caller may free it. */
        if (bufp)
                *bufp = NULL;
        if (c && !c->is_static && c->error && bufp && !output_is_set(c, error) &&
            shares_kind(c, bufp, error, mapped))
                register_buffer(c, bufp, error, mapped); /* so a refused run still leaves "" */
        if (sp_command_broken(c))
                return;
        if (!bufp) {
                sp_command_fail(c, EINVAL, "the %s %s pointer is NULL", what, kind);
                return;
        }
        if (output_is_set(c, error)) {
                sp_command_fail(c, EINVAL, "the %s is set twice", what);
                return;
        }
        if (!shares_kind(c, bufp, error, mapped)) {
                sp_command_fail(c, EINVAL, "one pointer cannot be a buffer for one stream and "
                                           "a mapping for the other");
                return;
        }
        register_buffer(c, bufp, error, mapped);
}

void subproc_set_output_buffer(subproc *c, char **out)
{
        set_buffer_destination(c, out, false, false);
}

void subproc_set_error_buffer(subproc *c, char **err)
{
        set_buffer_destination(c, err, true, false);
}

void subproc_set_capture_limit(subproc *c, size_t max_bytes)
{
        if (!sp_command_broken(c))
                c->capture_limit = max_bytes;
}

void subproc_set_output_mapping(subproc *c, char **out)
{
        set_buffer_destination(c, out, false, true);
}

void subproc_set_error_mapping(subproc *c, char **err)
{
        set_buffer_destination(c, err, true, true);
}

size_t subproc_output_len(const subproc *c)
{
        return c ? c->out_len : 0;
}

size_t subproc_error_len(const subproc *c)
{
        return c ? c->err_len : 0;
}

int subproc_add_send_buffer(subproc *c, const void *data, size_t len)
{
        struct sp_send_buffer *sends, *sb;
        int fds[2];

        if (sp_command_broken(c))
                return c ? sp_command_report(c) : sp_error(EINVAL, "the command is NULL");
        if (!data && len) {
                sp_command_fail(c, EINVAL, "send buffer %zu is NULL", c->nsends);
                return sp_command_report(c);
        }
        sends = realloc(c->sends, (c->nsends + 1) * sizeof *sends);
        if (!sends) {
                sp_command_fail(c, ENOMEM, "out of memory adding a send buffer");
                return sp_command_report(c);
        }
        c->sends = sends;
        sb = &sends[c->nsends];
        *sb = (struct sp_send_buffer){ .read_fd = -1, .write_fd = -1, .len = len };
        sb->data = malloc(len ? len : 1);
        if (!sb->data) {
                sp_command_fail(c, ENOMEM, "out of memory copying a %zu-byte send buffer", len);
                return sp_command_report(c);
        }
        if (len)
                memcpy(sb->data, data, len);
        /* The first run uses this pipe, so the fd number we return is really free. */
        if (sp_pipe_cloexec(fds) < 0) {
                int e = errno;

                free(sb->data);
                sp_command_fail(c, e, "cannot make a pipe for send buffer %zu: %s", c->nsends,
                                strerror(e));
                return sp_command_report(c);
        }
        sb->read_fd = fds[0];
        sb->write_fd = fds[1];
        sb->child_fd = fds[0];
        c->nsends++;
        return sb->child_fd;
}

void subproc_raw_status(subproc *c)
{
        if (!sp_command_broken(c))
                c->raw_status = true;
}

pid_t subproc_pid(const subproc *c)
{
        return c ? c->pid : -1;
}

int subproc_status(const subproc *c)
{
        return c ? c->last_status : -1;
}

void sp_close_passed_fds(subproc *c)
{
        size_t kept = 0;

        for (size_t i = 0; i < c->npassed; i++) {
                if (c->passed[i].flags & SUBPROC_PASS_FD_CLOSE_PARENT)
                        sp_close(&c->passed[i].fd);
                else
                        c->passed[kept++] = c->passed[i];
        }
        c->npassed = kept;
}

static void close_pending_fds(subproc *c)
{
        sp_close_passed_fds(c);
        for (size_t i = 0; i < c->nsends; i++) {
                sp_close(&c->sends[i].read_fd);
                sp_close(&c->sends[i].write_fd);
        }
}

void subproc_free(subproc *c)
{
        int saved_errno = errno;

        if (!c || c->is_static)
                return;
        if (c->pid > 0 && !c->pid_handed_out)
                subproc_abort(c);
        sp_run_io_close(c);
        close_pending_fds(c);
        sp_close(&c->report_fd);
        sp_close(&c->pidfd);
        sp_close(&c->handshake_notify_fd);
        /* A daemon left waiting for the go-ahead exits on that EOF without running the
         * program: its pidfile must not outlive it. */
        if (c->daemonize && c->handshake == SP_HANDSHAKE_WAITING && c->pidfile)
                sp_pidfile_discard(c->pidfile, c->daemon_pid);
        for (size_t i = 0; i < c->nsends; i++) {
                /* A send buffer may carry secrets (keys, passwords): do not leave them in freed
                 * memory. */
                sp_explicit_bzero(c->sends[i].data, c->sends[i].len);
                free(c->sends[i].data);
        }
        free(c->sends);
        sp_strv_free(&c->argv);
        sp_env_free(&c->env);
        free(c->cwd);
        free(c->pidfile);
        free(c->exec_path);
        free(c->cgroup_dir);
        free(c->passed);
        if (c->input_data)
                sp_explicit_bzero(c->input_data, c->input_len);
        free(c->input_data);
        free(c);
        errno = saved_errno;
}

void subproc_daemonize(subproc *c)
{
        if (!sp_command_broken(c))
                c->daemonize = true;
}

pid_t subproc_daemon_pid(const subproc *c)
{
        return c ? c->daemon_pid : -1;
}

void subproc_set_pidfile(subproc *c, const char *path)
{
        if (sp_command_broken(c))
                return;
        if (!path || !*path) {
                sp_command_fail(c, EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
                return;
        }
        if (c->pidfile) {
                sp_command_fail(c, EINVAL, "the pidfile is set twice");
                return;
        }
        c->pidfile = strdup(path);
        if (!c->pidfile)
                sp_command_fail(c, ENOMEM, "out of memory setting the pidfile");
}

void subproc_set_death_signal(subproc *c, int sig)
{
        if (sp_command_broken(c))
                return;
        if (!sp_signal_valid(sig))
                sp_command_fail(c, EINVAL, "death signal %d is not a signal", sig);
        else
                c->death_signal = sig;
}

void subproc_set_pre_exec_hook(subproc *c, int (*hook)(void *opaque), void *opaque)
{
        if (sp_command_broken(c))
                return;
        if (!hook)
                sp_command_fail(c, EINVAL, "the pre-exec hook is NULL");
        else if (c->hook)
                sp_command_fail(c, EINVAL, "the pre-exec hook is set twice");
        else {
                c->hook = hook;
                c->hook_opaque = opaque;
        }
}

void subproc_require_handshake(subproc *c)
{
        if (sp_command_broken(c))
                return;
        if (c->handshake != SP_HANDSHAKE_NONE)
                sp_command_fail(c, EINVAL, "the handshake is required twice");
        else
                c->handshake = SP_HANDSHAKE_IDLE;
}

void subproc_clear_caps(subproc *c)
{
        if (!sp_command_broken(c))
                c->clear_caps = true;
}

void subproc_set_uid(subproc *c, uid_t uid)
{
        if (sp_command_broken(c))
                return;
        if (uid == (uid_t)-1) {
                sp_command_fail(c, EINVAL, "uid -1 is not a user");
                return;
        }
        c->uid = uid;
        c->has_uid = true;
}

void subproc_set_gid(subproc *c, gid_t gid)
{
        if (sp_command_broken(c))
                return;
        if (gid == (gid_t)-1) {
                sp_command_fail(c, EINVAL, "gid -1 is not a group");
                return;
        }
        c->gid = gid;
        c->has_gid = true;
}

void subproc_set_umask(subproc *c, mode_t mask)
{
        if (sp_command_broken(c))
                return;
        if (mask & ~(mode_t)0777) {
                sp_command_fail(c, EINVAL, "umask %o has bits beyond 0777", (unsigned)mask);
                return;
        }
        c->umask = mask;
        c->has_umask = true;
}

void subproc_set_no_new_privs(subproc *c)
{
        if (!sp_command_broken(c))
                c->no_new_privs = true;
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
                sp_command_fail(c, EINVAL, "resource limit %d: soft limit %llu is above the "
                                "hard limit %llu", resource, (unsigned long long)soft,
                                (unsigned long long)hard);
                return;
        }
        if (soft == RLIM_INFINITY && hard != RLIM_INFINITY) {
                sp_command_fail(c, EINVAL, "resource limit %d: an infinite soft limit needs an "
                                "infinite hard limit", resource);
                return;
        }
        for (i = 0; i < c->nrlimits && c->rlimits[i].resource != resource; i++)
                ;
        if (i == c->nrlimits)
                c->nrlimits++;
        c->rlimits[i] = (struct sp_rlimit){ resource, soft, hard };
}
