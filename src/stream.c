/* Output as it arrives: a stream of the child handed to the caller's callback
 * (subproc_set_output_callback()) in chunks or in lines, and kept in the capture buffer too
 * when asked (SUBPROC_ALSO_CAPTURE).  io.c calls sp_sink_read() for a ready pipe instead of
 * sp_capture_read() when the stream has a callback.
 *
 * Every piece handed out is NUL-terminated: lines cut out of a chunk in place get a NUL for
 * the call, and the byte it covers is put back afterwards. */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One read: what a default pipe holds. */
#define CHUNK_SIZE 65536

void sp_sink_free(struct sp_sink *sink)
{
        free(sink->chunk);
        free(sink->line);
        *sink = (struct sp_sink){ 0 };
}

bool sp_sink_calling(const struct sp_run *run)
{
        return run->out_sink.calling || run->err_sink.calling;
}

bool sp_sink_abort_from_callback(struct sp_run *run)
{
        struct sp_sink *sink = run->out_sink.calling   ? &run->out_sink
                               : run->err_sink.calling ? &run->err_sink
                                                       : NULL;

        if (sink)
                sink->aborted = true;
        return sink != NULL;
}

static bool cancelled(const struct sp_sink *sink)
{
        return sink->refused != 0 || sink->aborted;
}

bool sp_sink_cancelled(const struct sp_run *run)
{
        return cancelled(&run->out_sink) || cancelled(&run->err_sink);
}

/* Call back with data[0..len), which must have a writable byte at data[len].  Non-zero when
 * the run is to end. */
static int call(struct sp_sink *sink, char *data, size_t len)
{
        char saved = data[len];
        int saved_errno = errno, r;

        data[len] = '\0';
        sink->calling = true;
        r = sink->fn(sink->opaque, sink->stream, data, len);
        sink->calling = false;
        data[len] = saved;
        errno = saved_errno;
        if (r != 0)
                sink->refused = r;
        return cancelled(sink);
}

/* Append to the line so far and deliver it once it ends or is full.  Returns how much of
 * data was taken (up to and with a '\n' at most), or 0 when the callback refused. */
static size_t take_into_line(struct sp_sink *sink, char *data, size_t len)
{
        char *nl = memchr(data, '\n', len);
        size_t want = nl ? (size_t)(nl - data) + 1 : len;
        size_t room = SUBPROC_LINE_MAX - sink->line_len;
        size_t take = want < room ? want : room;

        /* Nothing waiting and a whole line (or a full piece) here: no copy. */
        if (sink->line_len == 0 && (nl || take == room))
                return call(sink, data, take) == 0 ? take : 0;
        memcpy(sink->line + sink->line_len, data, take);
        sink->line_len += take;
        if (sink->line[sink->line_len - 1] == '\n' || sink->line_len == SUBPROC_LINE_MAX) {
                size_t n = sink->line_len;

                sink->line_len = 0;
                if (call(sink, sink->line, n) != 0)
                        return 0;
        }
        return take;
}

static int deliver_lines(struct sp_sink *sink, char *data, size_t len)
{
        while (len > 0) {
                size_t took = take_into_line(sink, data, len);

                if (took == 0)
                        return -ECANCELED;
                data += took;
                len -= took;
        }
        return 0;
}

void sp_sink_flush(struct sp_sink *sink)
{
        size_t n = sink->line_len;

        sink->line_len = 0;
        if (sink->fn && !cancelled(sink) && n > 0)
                (void)call(sink, sink->line, n);
}

static int alloc_buffers(struct sp_sink *sink)
{
        if (!sink->chunk && !(sink->chunk = malloc(CHUNK_SIZE + 1)))
                return -ENOMEM;
        if (sink->lines && !sink->line && !(sink->line = malloc(SUBPROC_LINE_MAX + 1)))
                return -ENOMEM;
        return 0;
}

int sp_sink_read(int fd, struct sp_sink *sink, struct sp_capture *cap)
{
        ssize_t n;
        int r;

        if (cancelled(sink))
                return -ECANCELED;
        if ((r = alloc_buffers(sink)) < 0)
                return r;
        n = read(fd, sink->chunk, CHUNK_SIZE);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0) {
                sp_sink_flush(sink);
                return cancelled(sink) ? -ECANCELED : 0;
        }
        sink->bytes_read += (size_t)n;
        /* The capture first: it holds everything read, whatever the callback says. */
        if (sink->keep && sp_capture_append(cap, sink->chunk, (size_t)n) < 0)
                return -ENOMEM;
        if (sink->lines)
                return deliver_lines(sink, sink->chunk, (size_t)n) < 0 ? -ECANCELED : 1;
        return call(sink, sink->chunk, (size_t)n) != 0 ? -ECANCELED : 1;
}

int sp_sink_refused(const struct sp_sink *sink)
{
        const char *stream = sink->stream == SUBPROC_STDOUT   ? "stdout"
                             : sink->stream == SUBPROC_STDERR ? "stderr"
                                                              : "stdout and stderr";

        if (!sink->refused)
                return sp_error(ECANCELED,
                                "subproc_abort() was called from the output callback (the "
                                "child's %s): the run is cancelled and the child stopped",
                                stream);
        return sp_error(ECANCELED,
                        "the output callback returned %d for the child's %s: the run is "
                        "cancelled and the child stopped",
                        sink->refused, stream);
}
