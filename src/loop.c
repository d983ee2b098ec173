/* Many commands in one loop: one ppoll() over every run's fds (sp_poll_fds) and the caller's,
 * then the runs that are ready or due are served exactly as subproc_wait() serves them
 * (subproc_try_wait), and what happened is queued as events.  The loop owns nothing but its
 * arrays: commands and fds stay the caller's. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct loop_item {
        subproc *command; /* NULL for a watched fd */
        int fd;           /* a watched fd, -1 for a command */
        short events;
        void *tag;
        bool timeout_told; /* the TIMEOUT of this run was queued */
        bool gone;         /* ended or removed during this wait: dropped after it */
        int first, count;  /* its entries in the pollfd array of this wait */
        long long service_at;
};

struct subproc_loop {
        struct loop_item *items;
        size_t n, cap;
        struct pollfd *pfds;
        size_t pfds_cap;
        struct subproc_event *queue; /* events not yet handed out, oldest first */
        size_t queued, queue_cap;
        int sigchld_fd;        /* the read end of the SIGCHLD pipe, -1 unless use_sigchld */
        unsigned sigchld_seen; /* sp_sigchld_count() when this loop last looked */
};

/* With the SIGCHLD wakeup, a child without a pidfd or pipes is still looked at this often: a
 * loop in another thread may have emptied the shared pipe just before this one slept. */
#define SIGCHLD_SAFETY_MS 1000

/* Grow *array (of `size`-byte elements, capacity *cap) to hold `want`; 0 or -1 (ENOMEM). */
static int reserve(void **array, size_t *cap, size_t want, size_t size)
{
        size_t next = *cap ? *cap : 16;
        void *p;

        /* At least one element: the callers index into the array (array + 0 of a NULL array
         * is undefined) even when a round has nothing to put there. */
        if (want <= *cap && *array)
                return 0;
        while (next < want)
                next *= 2;
        p = realloc(*array, next * size);
        if (!p)
                return sp_error(ENOMEM, "out of memory in the loop");
        *array = p;
        *cap = next;
        return 0;
}

subproc_loop *subproc_loop_new(void)
{
        subproc_loop *l = calloc(1, sizeof *l);

        if (!l) {
                sp_error(ENOMEM, "out of memory for a loop");
                return NULL;
        }
        l->sigchld_fd = -1;
        return l;
}

static struct loop_item *find_command(subproc_loop *l, const subproc *c)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].command == c && !l->items[i].gone)
                        return &l->items[i];
        return NULL;
}

static struct loop_item *find_fd(subproc_loop *l, int fd)
{
        for (size_t i = 0; i < l->n; i++)
                if (!l->items[i].command && l->items[i].fd == fd && !l->items[i].gone)
                        return &l->items[i];
        return NULL;
}

static int add_item(subproc_loop *l, struct loop_item item)
{
        if (reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items) < 0)
                return -1;
        l->items[l->n++] = item;
        return 0;
}

int subproc_loop_add(subproc_loop *l, subproc *c, void *tag)
{
        if (!l || !c)
                return sp_error(EINVAL, "cannot add to the loop: NULL %s", l ? "command" : "loop");
        if (find_command(l, c))
                return sp_error(EEXIST, "cannot add to the loop: the command is in it already");
        if (!sp_command_broken(c) && c->cfg.daemonize)
                return sp_error(EINVAL, "cannot add a daemon to the loop: its run ends at start");
        if (reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items) < 0)
                return -1;
        /* A broken command fails here as subproc_run_async() fails it (its buffers get ""). */
        if (c->run.pid <= 0 && subproc_run_async(c, NULL) < 0)
                return -1;
        return add_item(l, (struct loop_item){ .command = c, .fd = -1, .tag = tag });
}

int subproc_loop_watch_fd(subproc_loop *l, int fd, short events, void *tag)
{
        if (!l || fd < 0 || !events)
                return sp_error(EINVAL, "cannot watch fd %d: %s", fd,
                                !l       ? "NULL loop"
                                : fd < 0 ? "not an fd"
                                         : "no events");
        if (find_fd(l, fd))
                return sp_error(EEXIST, "cannot watch fd %d: it is watched already", fd);
        return add_item(l, (struct loop_item){ .fd = fd, .events = events, .tag = tag });
}

/* Forget the queued events of a command (taken back) or fd (no longer watched). */
static void drop_queued(subproc_loop *l, const subproc *c, int fd)
{
        size_t kept = 0;

        for (size_t i = 0; i < l->queued; i++) {
                const struct subproc_event *e = &l->queue[i];

                if (c ? e->command == c : (e->type == SUBPROC_EVENT_FD_READY && e->fd == fd))
                        continue;
                l->queue[kept++] = *e;
        }
        l->queued = kept;
}

int subproc_loop_unwatch_fd(subproc_loop *l, int fd)
{
        struct loop_item *item;

        if (!l)
                return sp_error(EINVAL, "cannot unwatch fd %d: NULL loop", fd);
        item = find_fd(l, fd);
        if (!item)
                return sp_error(ENOENT, "cannot unwatch fd %d: it is not watched", fd);
        item->gone = true;
        drop_queued(l, NULL, fd);
        return 0;
}

int subproc_loop_remove(subproc_loop *l, subproc *c)
{
        struct loop_item *item;

        if (!l || !c)
                return sp_error(EINVAL, "cannot remove from the loop: NULL %s",
                                l ? "command" : "loop");
        item = find_command(l, c);
        if (!item) {
                /* An end already queued: the command has left the loop, ended. */
                for (size_t i = 0; i < l->queued; i++)
                        if (l->queue[i].command == c) {
                                drop_queued(l, c, -1);
                                return 0;
                        }
                return sp_error(ENOENT, "cannot remove from the loop: the command is not in it");
        }
        item->gone = true;
        drop_queued(l, c, -1);
        return 0;
}

/* Drop the items that are gone, keeping the order. */
static void compact(subproc_loop *l)
{
        size_t kept = 0;

        for (size_t i = 0; i < l->n; i++)
                if (!l->items[i].gone)
                        l->items[kept++] = l->items[i];
        l->n = kept;
}

static struct subproc_event *queue_event(subproc_loop *l, int type, void *tag)
{
        struct subproc_event *e;

        if (reserve((void **)&l->queue, &l->queue_cap, l->queued + 1, sizeof *l->queue) < 0)
                return NULL;
        e = &l->queue[l->queued++];
        memset(e, 0, sizeof *e);
        e->type = type;
        e->tag = tag;
        e->fd = -1;
        e->status = -1;
        return e;
}

/* Fill the pollfd array for this wait; the earliest time a run needs service goes to *due.
 * Returns the number of entries, or -1 (ENOMEM). */
static int gather(subproc_loop *l, long long *due)
{
        bool sigchld = l->sigchld_fd >= 0;
        size_t total = sigchld;
        long long at;
        int k = 0;

        for (size_t i = 0; i < l->n; i++)
                total += l->items[i].command
                                 ? (size_t)sp_poll_fds(l->items[i].command, NULL, sigchld, &at)
                                 : 1;
        if (total > INT_MAX)
                return sp_error(EINVAL, "too many fds to poll: %zu", total);
        if (reserve((void **)&l->pfds, &l->pfds_cap, total, sizeof *l->pfds) < 0)
                return -1;
        *due = SP_NEVER;
        for (size_t i = 0; i < l->n; i++) {
                struct loop_item *item = &l->items[i];

                item->first = k;
                if (item->command) {
                        item->count = sp_poll_fds(item->command, l->pfds + k, sigchld,
                                                  &item->service_at);
                        if (sigchld && item->count == 0 &&
                            item->service_at > sp_now_ms() + SIGCHLD_SAFETY_MS)
                                item->service_at = sp_now_ms() + SIGCHLD_SAFETY_MS;
                        if (item->service_at < *due)
                                *due = item->service_at;
                } else {
                        l->pfds[k] = (struct pollfd){ .fd = item->fd, .events = item->events };
                        item->count = 1;
                }
                k += item->count;
        }
        if (sigchld)
                l->pfds[k++] = (struct pollfd){ .fd = l->sigchld_fd, .events = POLLIN };
        return k;
}

static bool item_ready(const subproc_loop *l, const struct loop_item *item)
{
        for (int i = 0; i < item->count; i++)
                if (l->pfds[item->first + i].revents)
                        return true;
        return false;
}

/* The run's end as an event, with the error of a failed one. */
static void queue_exit(subproc_loop *l, struct loop_item *item, int r, int exitstatus)
{
        int saved_errno = errno;
        struct subproc_event *e = queue_event(l, SUBPROC_EVENT_EXITED, item->tag);

        item->gone = true;
        if (!e)
                return; /* ENOMEM: the caller finds the end through subproc_status() */
        e->command = item->command;
        e->result = r < 0 ? -1 : 0;
        e->exitstatus = r < 0 ? 0 : exitstatus;
        e->status = subproc_status(item->command);
        if (r < 0) {
                e->error = saved_errno;
                snprintf(e->message, sizeof e->message, "%s", subproc_errmsg());
        }
        errno = saved_errno;
}

/* Serve the run of items[i]: what subproc_wait() would do now, without blocking.  By index,
 * not by pointer: an output callback called from subproc_try_wait() may add to this loop,
 * which moves the items. */
static void serve_command(subproc_loop *l, size_t i)
{
        subproc *c = l->items[i].command;
        int exitstatus = 0;
        int r = subproc_try_wait(c, &exitstatus);
        struct loop_item *item = &l->items[i];

        if (item->gone || item->command != c)
                return; /* removed by the callback: the caller took it back */
        if (!item->timeout_told && c->run.phase > 0) {
                struct subproc_event *e = queue_event(l, SUBPROC_EVENT_TIMEOUT, item->tag);

                item->timeout_told = true;
                if (e)
                        e->command = c;
        }
        if (r != 0)
                queue_exit(l, item, r, exitstatus);
}

/* After a wait: serve the runs that are ready or due, report the watched fds that are. */
static void dispatch(subproc_loop *l, bool sigchld_came)
{
        long long now = sp_now_ms();
        size_t n = l->n; /* items added meanwhile are served next time */

        for (size_t i = 0; i < n; i++) {
                struct loop_item *item = &l->items[i];

                if (item->gone)
                        continue;
                if (item->command) {
                        if (item_ready(l, item) || now >= item->service_at ||
                            (sigchld_came && item->command->run.pidfd < 0))
                                serve_command(l, i);
                } else if (l->pfds[item->first].revents) {
                        struct subproc_event *e = queue_event(l, SUBPROC_EVENT_FD_READY, item->tag);

                        if (e) {
                                e->fd = item->fd;
                                e->revents = l->pfds[item->first].revents;
                        }
                }
        }
        compact(l);
}

static int hand_out(subproc_loop *l, struct subproc_event *ev, int nev)
{
        int n = l->queued < (size_t)nev ? (int)l->queued : nev;

        memcpy(ev, l->queue, (size_t)n * sizeof *ev);
        memmove(l->queue, l->queue + n, (l->queued - (size_t)n) * sizeof *ev);
        l->queued -= (size_t)n;
        return n;
}

static struct timespec *timeout_spec(long long until, struct timespec *ts)
{
        long long left;

        if (until == SP_NEVER)
                return NULL;
        left = until - sp_now_ms();
        if (left < 0)
                left = 0;
        ts->tv_sec = (time_t)(left / 1000);
        ts->tv_nsec = (long)(left % 1000) * 1000000L;
        return ts;
}

/* ppoll() where there is one.  macOS has none: the mask is set around a poll(), so a signal
 * that arrives just before the poll() waits for the next wakeup (the caller's timeout). */
static int wait_fds(struct pollfd *pfds, int n, const struct timespec *ts, const sigset_t *mask)
{
#ifdef __APPLE__
        sigset_t old;
        int r, e;
        int ms = ts ? (int)(ts->tv_sec * 1000 + ts->tv_nsec / 1000000) : -1;

        if (mask)
                pthread_sigmask(SIG_SETMASK, mask, &old);
        r = poll(pfds, (nfds_t)n, ms);
        e = errno;
        if (mask)
                pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
        return r;
#else
        return ppoll(pfds, (nfds_t)n, ts, mask);
#endif
}

/* The SIGCHLD pipe had bytes: drain it.  Whether it had any. */
static bool drain_sigchld(subproc_loop *l, int npfds)
{
        if (l->sigchld_fd < 0 || !l->pfds[npfds - 1].revents)
                return false;
        sp_sigchld_drain(l->sigchld_fd);
        return true;
}

int subproc_loop_wait(subproc_loop *l, int timeout_ms, const sigset_t *mask,
                      struct subproc_event *ev, int nev)
{
        long long until = timeout_ms < 0 ? SP_NEVER : sp_now_ms() + timeout_ms;

        if (!l || !ev || nev < 1)
                return sp_error(EINVAL, "cannot wait on the loop: %s",
                                !l    ? "NULL loop"
                                : !ev ? "NULL events"
                                      : "no room for events");
        while (l->queued == 0) {
                long long due = SP_NEVER, stop;
                struct timespec ts;
                int npfds = gather(l, &due), r;
                bool sigchld_came;

                if (npfds < 0)
                        return -1;
                if (l->n == 0 && until == SP_NEVER)
                        return sp_error(ECHILD, "cannot wait on the loop: it has no command, "
                                                "no fd and no timeout");
                stop = due < until ? due : until;
                /* A SIGCHLD since the last look (another loop may have emptied the pipe). */
                sigchld_came = l->sigchld_fd >= 0 && sp_sigchld_count() != l->sigchld_seen;
                if (sigchld_came)
                        stop = sp_now_ms();
                if (l->sigchld_fd >= 0)
                        l->sigchld_seen = sp_sigchld_count();
                r = wait_fds(l->pfds, npfds, timeout_spec(stop, &ts), mask);
                if (r > 0 && drain_sigchld(l, npfds))
                        sigchld_came = true;
                if (r < 0 && errno == EINTR && l->sigchld_fd >= 0 &&
                    sp_sigchld_drain(l->sigchld_fd)) {
                        /* Our own SIGCHLD: what the loop waits for, not an interruption. */
                        r = 0;
                        sigchld_came = true;
                } else if (r < 0 && errno == EINTR) {
                        return sp_error(EINTR, "the loop's wait was interrupted by a signal");
                } else if (r < 0) {
                        return sp_error(errno, "poll in the loop: %s", strerror(errno));
                }
                if (r == 0)
                        for (int i = 0; i < npfds; i++)
                                l->pfds[i].revents = 0;
                dispatch(l, sigchld_came);
                if (l->queued == 0 && sp_now_ms() >= until)
                        return 0;
        }
        return hand_out(l, ev, nev);
}

void subproc_loop_kill(subproc_loop *l, int sig)
{
        int saved_errno = errno;

        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].command && !l->items[i].gone)
                        (void)subproc_kill(l->items[i].command, sig);
        errno = saved_errno;
}

int subproc_loop_use_sigchld(subproc_loop *l)
{
        if (!l)
                return sp_error(EINVAL, "cannot wake the loop on SIGCHLD: NULL loop");
        if (l->sigchld_fd >= 0)
                return 0;
        l->sigchld_seen = sp_sigchld_count();
        l->sigchld_fd = sp_sigchld_acquire();
        return l->sigchld_fd < 0 ? -1 : 0;
}

void subproc_loop_free(subproc_loop *l)
{
        int saved_errno = errno;

        if (!l)
                return;
        if (l->sigchld_fd >= 0)
                sp_sigchld_release(l->sigchld_fd);
        free(l->items);
        free(l->pfds);
        free(l->queue);
        free(l);
        errno = saved_errno;
}
