/* The I/O loop: feed stdin and the send buffers, capture stdout and stderr, all in one poll
 * loop so that no pipe can fill up while we block on another. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* What a pipe holds when FIONREAD cannot say: at most pipe-max-size's default. */
#define PIPE_MAX_GUESS (1 << 20)

/* Write the next part of data.  0 when all is written or the reader is gone, 1 to go on, or
 * -errno. */
static int feed_some(struct sp_feed *f, bool *broken)
{
        ssize_t n;

        if (f->written >= f->len)
                return 0;
        n = write(f->fd, f->data + f->written, f->len - f->written);
        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return 1;
                if (errno == EPIPE) {
                        /* The child closed its end: it wants no more.  Not an error. */
                        *broken = true;
                        return 0;
                }
                return -errno;
        }
        f->written += (size_t)n;
        return f->written < f->len;
}

struct io_slot {
        int *fd;                    /* the parent's end; closed and set to -1 when done */
        struct sp_capture *capture; /* reading: where to */
        struct sp_sink *sink;       /* reading: the output callback, if it has one */
        struct sp_feed *feed;       /* writing: what */
};

/* The open stdout and stderr pipes, from slots[n] on; the new n. */
static int collect_capture_slots(struct sp_run *run, struct io_slot *slots, int n)
{
        if (run->out_fd >= 0)
                slots[n++] = (struct io_slot){ .fd = &run->out_fd,
                                               .capture = &run->out,
                                               .sink = run->out_sink.fn ? &run->out_sink : NULL };
        if (run->err_fd >= 0)
                slots[n++] = (struct io_slot){ .fd = &run->err_fd,
                                               .capture = &run->err,
                                               .sink = run->err_sink.fn ? &run->err_sink : NULL };
        return n;
}

static int collect_slots(struct sp_run *run, struct io_slot *slots)
{
        int n = 0;

        for (size_t i = 0; i < run->nfeeds; i++)
                if (run->feeds[i].fd >= 0)
                        slots[n++] = (struct io_slot){ .fd = &run->feeds[i].fd,
                                                       .feed = &run->feeds[i] };
        return collect_capture_slots(run, slots, n);
}

/* Read a capture slot: sp_capture_read()'s returns. */
static int read_slot(struct io_slot *slot)
{
        if (slot->sink)
                return sp_sink_read(*slot->fd, slot->sink, slot->capture);
        return sp_capture_read(*slot->fd, slot->capture);
}

/* Handle one ready slot: 1 to keep it, 0 when it is done, -errno on failure. */
static int service_slot(struct io_slot *slot, bool *broken_pipe)
{
        if (slot->capture)
                return read_slot(slot);
        return feed_some(slot->feed, broken_pipe);
}

/* A slot failed with -e: set the error, naming a callback that refused; returns -1. */
static int slot_error(const struct io_slot *slot, int fd, int e)
{
        if (e == ECANCELED && slot->sink && (slot->sink->refused || slot->sink->aborted))
                return sp_sink_refused(slot->sink);
        return sp_error(e, "I/O with the child on fd %d: %s", fd, strerror(e));
}

/* The only open slot, or NULL. */
static struct io_slot *last_open_slot(struct io_slot *slots, int nslots)
{
        for (int i = 0; i < nslots; i++)
                if (*slots[i].fd >= 0)
                        return &slots[i];
        return NULL;
}

/* Only one capture is left and nothing else to wait for: plain blocking reads, as cat(1)
 * does, halve the system calls of poll-then-read.  0 at EOF, or -1 with the error set. */
static int drain_capture(struct io_slot *slot)
{
        int s;

        while ((s = read_slot(slot)) == 1)
                ;
        if (s < 0)
                return slot_error(slot, *slot->fd, -s);
        sp_close(slot->fd);
        return 0;
}

static int poll_timeout(long long stop_at_ms)
{
        long long left;

        if (stop_at_ms == SP_NEVER)
                return -1;
        left = stop_at_ms - sp_now_ms();
        return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Slots whose fd is -1 are done.  The watch fd, if any, sits in the last pollfd. */
static int poll_slots(struct io_slot *slots, int nslots, long long stop_at_ms, int watch_fd,
                      bool *broken_pipe)
{
        struct pollfd *pfds = calloc((size_t)nslots + 1, sizeof *pfds);
        int left = 0, r = 0;

        if (!pfds)
                return sp_error(ENOMEM, "out of memory in the I/O loop");
        for (int i = 0; i < nslots; i++) {
                if (slots[i].feed && slots[i].feed->written >= slots[i].feed->len)
                        sp_close(slots[i].fd); /* nothing (more) to feed: EOF at once */
                left += *slots[i].fd >= 0;
        }
        while (left > 0) {
                int ready;

                if (left == 1 && stop_at_ms == SP_NEVER && watch_fd < 0 &&
                    last_open_slot(slots, nslots)->capture) {
                        r = drain_capture(last_open_slot(slots, nslots));
                        break;
                }

                for (int i = 0; i < nslots; i++) {
                        pfds[i].fd = *slots[i].fd; /* -1 is ignored by poll */
                        pfds[i].events = slots[i].capture ? POLLIN : POLLOUT;
                        pfds[i].revents = 0;
                }
                pfds[nslots] = (struct pollfd){ .fd = watch_fd, .events = POLLIN };
                ready = poll(pfds, (nfds_t)nslots + 1, poll_timeout(stop_at_ms));
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0) {
                        r = sp_error(errno, "poll on the child's pipes: %s", strerror(errno));
                        break;
                }
                if (ready == 0) {
                        r = -ETIME;
                        break;
                }
                for (int i = 0; i < nslots && r == 0; i++) {
                        int s;

                        if (pfds[i].fd < 0 || !pfds[i].revents)
                                continue;
                        s = service_slot(&slots[i], broken_pipe);
                        if (s < 0) {
                                r = slot_error(&slots[i], pfds[i].fd, -s);
                        } else if (s == 0) {
                                sp_close(slots[i].fd);
                                left--;
                        }
                }
                if (r == 0 && left > 0 && pfds[nslots].revents)
                        r = 1;
                /* A child that keeps a pipe full (a slow reader, an output callback) would keep
                 * poll() from ever returning 0: the deadline (the timeout's next step, a
                 * try_wait's "now") is checked after every round too. */
                if (r == 0 && left > 0 && stop_at_ms != SP_NEVER && sp_now_ms() >= stop_at_ms)
                        r = -ETIME;
                if (r != 0)
                        break;
        }
        free(pfds);
        return r;
}

/* A write to a pipe whose reader is gone raises SIGPIPE, which by default kills the caller.
 * Block it in this thread for the loop and swallow the one we caused, leaving alone a SIGPIPE
 * that was already pending. */
void sp_sigpipe_block(sigset_t *old, bool *was_pending)
{
        sigset_t pipe_set, pending;

        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, old);
        sigpending(&pending);
        *was_pending = sigismember(&pending, SIGPIPE) == 1;
}

void sp_sigpipe_restore(const sigset_t *old, bool was_pending, bool broken_pipe)
{
        if (broken_pipe && !was_pending) {
                sigset_t pipe_set;

                sigemptyset(&pipe_set);
                sigaddset(&pipe_set, SIGPIPE);
                while (sp_sigtimedwait_now(&pipe_set) < 0 && errno == EINTR)
                        ;
        }
        pthread_sigmask(SIG_SETMASK, old, NULL);
}

int sp_io_loop(struct sp_run *run, long long stop_at_ms, int watch_fd)
{
        struct io_slot *slots = calloc(2 + run->nfeeds, sizeof *slots);
        bool broken_pipe = false, was_pending = false, has_writer;
        int saved_errno, nslots, r;
        sigset_t old;

        if (!slots)
                return sp_error(ENOMEM, "out of memory in the I/O loop");
        nslots = collect_slots(run, slots);
        /* Only writes raise SIGPIPE: spare the mask calls when we only read. */
        has_writer = false;
        for (int i = 0; i < nslots; i++)
                has_writer |= slots[i].feed != NULL;
        if (has_writer)
                sp_sigpipe_block(&old, &was_pending);
        r = poll_slots(slots, nslots, stop_at_ms, watch_fd, &broken_pipe);
        saved_errno = errno;
        if (has_writer)
                sp_sigpipe_restore(&old, was_pending, broken_pipe);
        free(slots);
        errno = saved_errno;
        return r;
}

/* Bytes read from a capture slot's pipe so far. */
static size_t slot_taken(const struct io_slot *slot)
{
        return slot->sink ? slot->sink->bytes_read : slot->capture->len + slot->capture->dropped;
}

/* Take what a pipe holds now, before the run gives up on it.  One read can take less than the
 * pipe holds (the capture's free room, a callback's 64 KiB chunk), and what a child killed at
 * its deadline wrote last would be lost; reading until the pipe is empty would never end while
 * a grandchild that holds it keeps writing.  So: the bytes FIONREAD counts now (at most one
 * read more), then only a look for EOF.  false when a callback refused (it is not to be called
 * again, for the other stream either) or the pipe failed. */
static bool take_what_is_there(struct io_slot *slot)
{
        size_t start = slot_taken(slot);
        int queued = 0;

        if (ioctl(*slot->fd, FIONREAD, &queued) < 0 || queued < 0)
                queued = PIPE_MAX_GUESS;
        for (;;) {
                struct pollfd ready = { .fd = *slot->fd, .events = POLLIN };
                int s;

                if (poll(&ready, 1, 0) <= 0)
                        return true;
                /* All of it taken: more data now is a writer that is still there. */
                if (slot_taken(slot) - start >= (size_t)queued && (ready.revents & POLLIN))
                        return true;
                s = read_slot(slot);
                if (s == 0)
                        sp_close(slot->fd); /* EOF: the sink has had its last partial line */
                if (s <= 0)
                        return s == 0;
        }
}

void sp_io_abandon(struct sp_run *run)
{
        struct io_slot slots[2];
        int n = collect_capture_slots(run, slots, 0);

        for (int i = 0; i < n && take_what_is_there(&slots[i]); i++)
                ;
        /* No EOF will come: a partial last line is the last the callback gets, unless it has
         * refused, for this stream or the other. */
        if (run->out_fd >= 0 && !sp_sink_cancelled(run))
                sp_sink_flush(&run->out_sink);
        if (run->err_fd >= 0 && !sp_sink_cancelled(run))
                sp_sink_flush(&run->err_sink);
        for (size_t i = 0; i < run->nfeeds; i++)
                sp_close(&run->feeds[i].fd);
        sp_close(&run->out_fd);
        sp_close(&run->err_fd);
        run->io_pending = false;
}
