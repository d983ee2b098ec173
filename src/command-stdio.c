/* The builder's fds and buffers: what the child gets on 0, 1 and 2, the fds passed to it, the
 * buffers fed to it and captured from it. */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fd passed as child_fd already, other than fd; -1 if none. */
static int passed_from(const subproc *c, int child_fd, int fd)
{
        for (size_t i = 0; i < c->cfg.npassed; i++)
                if (c->cfg.passed[i].child_fd == child_fd && c->cfg.passed[i].fd != fd)
                        return c->cfg.passed[i].fd;
        return -1;
}

/* Refuse, with a deferred EINVAL naming both numbers, what cannot go to the child; true if
 * refused. */
static bool refuse_pass_fd(subproc *c, int fd, int child_fd, unsigned flags)
{
        int other;

        if (fd == child_fd && fd <= 2) /* subproc_pass_fd()'s own words */
                sp_command_fail(c, EINVAL,
                                "cannot pass fd %d: only fds >= 3 can be passed; use "
                                "the stdio setters for 0, 1 and 2",
                                fd);
        else if (flags & ~(unsigned)SUBPROC_PASS_FD_CLOSE_PARENT)
                sp_command_fail(c, EINVAL, "unknown flags 0x%x passing fd %d", flags, fd);
        else if (fd < 0 || child_fd <= 2)
                sp_command_fail(c, EINVAL, "cannot pass fd %d as the child's fd %d: %s", fd,
                                child_fd,
                                fd < 0         ? "not an fd"
                                : child_fd < 0 ? "the child's fd number is negative"
                                               : "the child's 0, 1 and 2 are set with the stdio "
                                                 "setters");
        else if ((other = passed_from(c, child_fd, fd)) >= 0)
                sp_command_fail(c, EINVAL,
                                "cannot pass fd %d as the child's fd %d: that child fd is "
                                "already passed from fd %d",
                                fd, child_fd, other);
        else
                return false;
        return true;
}

static bool grow_passed(subproc *c, int fd)
{
        size_t cap = c->cfg.passed_cap ? c->cfg.passed_cap * 2 : 4;
        struct sp_passed_fd *p;

        if (c->cfg.npassed < c->cfg.passed_cap)
                return true;
        p = realloc(c->cfg.passed, cap * sizeof *p);
        if (!p) {
                sp_command_fail(c, ENOMEM, "out of memory passing fd %d", fd);
                return false;
        }
        c->cfg.passed = p;
        c->cfg.passed_cap = cap;
        return true;
}

/* Record fd -> child_fd; the same pair again only adds its flags.  One fd given under several
 * numbers is the library's (CLOSE_PARENT) in all of them or in none. */
static bool add_passed_fd(subproc *c, int fd, int child_fd, unsigned flags)
{
        bool listed = false;

        for (size_t i = 0; i < c->cfg.npassed; i++) {
                if (c->cfg.passed[i].fd != fd)
                        continue;
                listed = listed || c->cfg.passed[i].child_fd == child_fd;
                flags |= c->cfg.passed[i].flags;
        }
        if (!listed && !grow_passed(c, fd))
                return false;
        if (!listed)
                c->cfg.passed[c->cfg.npassed++] = (struct sp_passed_fd){ .fd = fd,
                                                                         .child_fd = child_fd };
        for (size_t i = 0; i < c->cfg.npassed; i++)
                if (c->cfg.passed[i].fd == fd)
                        c->cfg.passed[i].flags = flags;
        return true;
}

void subproc_pass_fd_as(subproc *c, int fd, int child_fd, unsigned flags)
{
        /* The caller gave us the fd with CLOSE_PARENT: it is ours even when we refuse it (its
         * stdio excepted: closing that on a refusal would hurt more than it helps).  A broken
         * command never runs, so no entry of it can pass that number afterwards. */
        bool take = flags & SUBPROC_PASS_FD_CLOSE_PARENT;

        if (sp_command_broken(c) || refuse_pass_fd(c, fd, child_fd, flags) ||
            !add_passed_fd(c, fd, child_fd, flags)) {
                if (take && fd > 2)
                        close(fd);
        }
}

void subproc_pass_fd(subproc *c, int fd, unsigned flags)
{
        subproc_pass_fd_as(c, fd, fd, flags);
}

void sp_close_passed_fds(struct sp_config *cfg)
{
        size_t kept = 0;

        for (size_t i = 0; i < cfg->npassed; i++) {
                if (!(cfg->passed[i].flags & SUBPROC_PASS_FD_CLOSE_PARENT)) {
                        cfg->passed[kept++] = cfg->passed[i];
                        continue;
                }
                /* The same fd may go to several numbers: close it once. */
                for (size_t j = i + 1; j < cfg->npassed; j++)
                        if (cfg->passed[j].fd == cfg->passed[i].fd)
                                cfg->passed[j].fd = -1;
                sp_close(&cfg->passed[i].fd);
        }
        cfg->npassed = kept;
}

void subproc_inherit_stdio(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.inherit_stdio = true;
}

void subproc_pass_inherited_fds(subproc *c)
{
        if (!sp_command_broken(c))
                c->cfg.keep_inherited_fds = true;
}

static bool input_is_set(const subproc *c)
{
        return c->cfg.input_fd >= 0 || c->cfg.has_input_buffer || c->cfg.input_pipe_fdp;
}

void subproc_set_input_pipe(subproc *c, int *fd)
{
        /* "Sets *fd = -1 now", even on a broken command: the caller may close what it holds. */
        if (fd)
                *fd = -1;
        if (sp_command_broken(c))
                return;
        if (!fd)
                sp_command_fail(c, EINVAL, "the input pipe's fd pointer is NULL");
        else if (input_is_set(c))
                sp_command_fail(c, EINVAL, "the input is set twice");
        else
                c->cfg.input_pipe_fdp = fd;
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
                c->cfg.input_fd = fd;
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
        c->cfg.input_data = malloc(len ? len : 1);
        if (!c->cfg.input_data) {
                sp_command_fail(c, ENOMEM, "out of memory copying %zu bytes of input", len);
                return;
        }
        if (len)
                memcpy(c->cfg.input_data, data, len);
        c->cfg.input_len = len;
        c->cfg.has_input_buffer = true;
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
        return error ? (c->cfg.error_fdp || c->cfg.error_bufp)
                     : (c->cfg.output_fdp || c->cfg.output_bufp);
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
                c->cfg.error_fdp = fdp;
                c->cfg.error_wants_pipe = *fdp == -1;
        } else {
                c->cfg.output_fdp = fdp;
                c->cfg.output_wants_pipe = *fdp == -1;
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
                c->cfg.nonblocking = true;
}

/* Where a buffer or mapping (`mapped`) pointer goes; one pointer for both streams must be of
 * one kind. */
static void register_buffer(subproc *c, char **bufp, bool error, bool mapped)
{
        if (error) {
                c->cfg.error_bufp = bufp;
                c->cfg.error_mapped = mapped;
        } else {
                c->cfg.output_bufp = bufp;
                c->cfg.output_mapped = mapped;
        }
}

static bool shares_kind(const subproc *c, char **bufp, bool error, bool mapped)
{
        char **other = error ? c->cfg.output_bufp : c->cfg.error_bufp;

        return other != bufp || (error ? c->cfg.output_mapped : c->cfg.error_mapped) == mapped;
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
                sp_command_fail(c, EINVAL,
                                "one pointer cannot be a buffer for one stream and "
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

void subproc_set_output_mapping(subproc *c, char **out)
{
        set_buffer_destination(c, out, false, true);
}

void subproc_set_error_mapping(subproc *c, char **err)
{
        set_buffer_destination(c, err, true, true);
}

void subproc_set_capture_limit(subproc *c, size_t max_bytes)
{
        if (!sp_command_broken(c))
                c->cfg.capture_limit = max_bytes;
}

/* Whether the child's fd number is promised: to a passed fd, or (issue 15) a listening fd. */
static bool number_promised(const subproc *c, int fd)
{
        return passed_from(c, fd, -1) >= 0 || (fd >= 3 && (size_t)fd < 3 + c->cfg.nlisten);
}

/* The number for a send buffer's read end `fd`: fd itself, unless subproc_pass_fd_as() (or
 * subproc_listen_fds(), issue 15) has promised that number (free in the caller, so pipe()
 * may have taken it) to another fd; then a copy above 2 at no promised number, fd closed.
 * -1 with errno set (fd closed) if no copy could be made. */
static int send_fd_number(const subproc *c, int fd)
{
        int min = 3;

        if (!number_promised(c, fd))
                return fd;
        for (;;) {
                int copy = fcntl(fd, F_DUPFD_CLOEXEC, min), e = errno;

                if (copy >= 0 && !number_promised(c, copy)) {
                        close(fd);
                        return copy;
                }
                if (copy < 0) {
                        close(fd);
                        errno = e;
                        return -1;
                }
                close(copy);
                min = copy + 1;
        }
}

/* The pipe's read end to its number (send_fd_number()); on failure both ends closed. */
static int make_send_end(const subproc *c, int fds[2])
{
        int e;

        fds[0] = send_fd_number(c, fds[0]);
        if (fds[0] >= 0)
                return 0;
        e = errno;
        close(fds[1]);
        errno = e;
        return -1;
}

int subproc_add_send_buffer(subproc *c, const void *data, size_t len)
{
        struct sp_send_buffer *sends, *sb;
        int fds[2];

        if (sp_command_broken(c))
                return c ? sp_command_report(c) : sp_error(EINVAL, "the command is NULL");
        if (!data && len) {
                sp_command_fail(c, EINVAL, "send buffer %zu is NULL", c->cfg.nsends);
                return sp_command_report(c);
        }
        sends = realloc(c->cfg.sends, (c->cfg.nsends + 1) * sizeof *sends);
        if (!sends) {
                sp_command_fail(c, ENOMEM, "out of memory adding a send buffer");
                return sp_command_report(c);
        }
        c->cfg.sends = sends;
        sb = &sends[c->cfg.nsends];
        *sb = (struct sp_send_buffer){ .first_pipe = { -1, -1 }, .len = len };
        sb->data = malloc(len ? len : 1);
        if (!sb->data) {
                sp_command_fail(c, ENOMEM, "out of memory copying a %zu-byte send buffer", len);
                return sp_command_report(c);
        }
        if (len)
                memcpy(sb->data, data, len);
        /* The first run uses this pipe, so the fd number we return is really free. */
        if (sp_pipe_cloexec(fds) < 0 || make_send_end(c, fds) < 0) {
                int e = errno;

                free(sb->data);
                sp_command_fail(c, e, "cannot make a pipe for send buffer %zu: %s", c->cfg.nsends,
                                strerror(e));
                return sp_command_report(c);
        }
        sb->first_pipe[0] = fds[0];
        sb->first_pipe[1] = fds[1];
        sb->child_fd = fds[0];
        c->cfg.nsends++;
        return sb->child_fd;
}

void subproc_set_output_callback(subproc *c, unsigned streams, unsigned flags,
                                 int (*fn)(void *opaque, int stream, const char *data, size_t len),
                                 void *opaque)
{
        const unsigned all_streams = SUBPROC_STDOUT | SUBPROC_STDERR;
        const unsigned all_flags = SUBPROC_LINES | SUBPROC_ALSO_CAPTURE;

        if (sp_command_broken(c))
                return;
        if (!fn)
                sp_command_fail(c, EINVAL, "the output callback is NULL");
        else if (streams == 0 || (streams & ~all_streams))
                sp_command_fail(c, EINVAL,
                                "output callback streams 0x%x: give SUBPROC_STDOUT, "
                                "SUBPROC_STDERR or both",
                                streams);
        else if (flags & ~all_flags)
                sp_command_fail(c, EINVAL, "unknown output callback flags 0x%x",
                                flags & ~all_flags);
        else {
                c->cfg.output_fn = fn;
                c->cfg.output_opaque = opaque;
                c->cfg.output_streams = streams;
                c->cfg.output_flags = flags;
        }
}
