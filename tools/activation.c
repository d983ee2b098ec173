/* Issue 15 in the tool: readiness (--notify-await, --notify-timeout) and socket activation
 * (--listen ADDR: bound here and handed over; --listen-fd N[:NAME]: one of ours).
 *
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* start-stop-daemon's default for --notify-timeout. */
#define NOTIFY_TIMEOUT_MS 60000

int activation_option(struct options *o, int opt, const char *arg)
{
        struct listen_opt *l;

        switch (opt) {
        case ACTIVATION_OPT_NOTIFY_AWAIT:
                o->notify_await = true;
                return 0;
        case ACTIVATION_OPT_NOTIFY_TIMEOUT:
                o->has_notify_timeout = true;
                if (parse_duration(arg, &o->notify_timeout_ms) < 0 ||
                    o->notify_timeout_ms > 0x7fffffff)
                        return usage_error("--notify-timeout: invalid duration '%s'", arg);
                return 0;
        default:
                break;
        }
        l = realloc(o->listens, (o->n_listens + 1) * sizeof *l);
        if (!l) {
                say("out of memory");
                return -1;
        }
        o->listens = l;
        l = &o->listens[o->n_listens];
        *l = (struct listen_opt){ .fd = -1, .arg = arg };
        if (opt == ACTIVATION_OPT_LISTEN) {
                l->address = arg;
        } else {
                const char *colon = strchr(arg, ':');
                char number[32];

                if ((colon ? (size_t)(colon - arg) : strlen(arg)) >= sizeof number)
                        return usage_error("--listen-fd %s: not N[:NAME]", arg);
                snprintf(number, sizeof number, "%.*s",
                         (int)(colon ? (size_t)(colon - arg) : strlen(arg)), arg);
                if (parse_fd(number, &l->fd) < 0)
                        return usage_error("--listen-fd %s: not N[:NAME]", arg);
                if (fcntl(l->fd, F_GETFD) < 0)
                        return usage_error("--listen-fd %s: our fd %d is not open", arg, l->fd);
                l->name = colon ? colon + 1 : NULL;
        }
        o->n_listens++;
        return 0;
}

int activation_check(const struct options *o)
{
        if (o->has_notify_timeout && !o->notify_await)
                return usage_error("--notify-timeout needs --notify-await");
        if (o->notify_await && !o->daemon)
                return usage_error("--notify-await waits for a daemon's readiness: give "
                                   "--daemon too");
        return 0;
}

/* ---- binding ----------------------------------------------------------------------------- */

/* A close-on-exec socket (set apart: macOS has no SOCK_CLOEXEC; we have one thread). */
static int socket_cloexec(int domain, int type, int protocol)
{
        int fd = socket(domain, type, protocol), e;

        if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
                return fd;
        e = errno;
        close(fd);
        errno = e;
        return -1;
}

/* A unix socket at `path` ("@name": abstract), or -1 having said why. */
static int bind_unix(const char *arg, const char *path, int type)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        size_t len = strlen(path);
        int fd;

        if (len == 0 || len >= sizeof addr.sun_path) {
                say("--listen %s: the path must be 1 to %zu bytes", arg, sizeof addr.sun_path - 1);
                return -1;
        }
        memcpy(addr.sun_path, path, len);
        if (path[0] == '@')
                addr.sun_path[0] = '\0';
        fd = socket_cloexec(AF_UNIX, type, 0);
        if (fd < 0 ||
            bind(fd, (struct sockaddr *)&addr,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0 ||
            (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)) {
                int e = errno;

                say("--listen %s: %s", arg, strerror(e));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

/* One address of getaddrinfo()'s, bound (SO_REUSEADDR; an IPv6 wildcard takes IPv4 too) and
 * listening; -1 with errno. */
static int bind_inet(const struct addrinfo *ai)
{
        int fd = socket_cloexec(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1, zero = 0,
            e;

        if (fd < 0)
                return -1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            (ai->ai_socktype != SOCK_STREAM || listen(fd, SOMAXCONN) == 0))
                return fd;
        e = errno;
        close(fd);
        errno = e;
        return -1;
}

/* [HOST]:PORT, HOST:PORT or PORT (every address, IPv6 and IPv4): the first address of HOST
 * that binds; -1 having said why. */
static int bind_host_port(const char *arg, const char *spec, int type)
{
        struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
        struct addrinfo *list = NULL;
        char host[256] = "";
        const char *port = spec, *colon;
        int r, fd = -1, e = 0;

        if (spec[0] == '[') {
                const char *end = strchr(spec, ']');

                if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host) {
                        say("--listen %s: not [IPV6]:PORT", arg);
                        return -1;
                }
                snprintf(host, sizeof host, "%.*s", (int)(end - spec - 1), spec + 1);
                port = end + 2;
        } else if ((colon = strrchr(spec, ':')) != NULL) {
                if ((size_t)(colon - spec) >= sizeof host) {
                        say("--listen %s: the host is too long", arg);
                        return -1;
                }
                snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
                port = colon + 1;
        }
        if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
            atoi(port) > 65535) {
                say("--listen %s: the port must be 0..65535", arg);
                return -1;
        }
        if (!*host)
                hints.ai_family = AF_INET6; /* the wildcard: v6 and, dual-stack, v4 */
        r = getaddrinfo(*host ? host : NULL, port, &hints, &list);
        if (r != 0 && !*host) {
                hints.ai_family = AF_INET; /* no IPv6 here */
                r = getaddrinfo(NULL, port, &hints, &list);
        }
        if (r != 0) {
                say("--listen %s: %s", arg, gai_strerror(r));
                return -1;
        }
        for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
                if ((fd = bind_inet(ai)) < 0)
                        e = errno;
        freeaddrinfo(list);
        if (fd < 0)
                say("--listen %s: %s", arg, strerror(e));
        return fd;
}

/* The address forms of subproc(1): [tcp:|udp:]ADDRESS with ADDRESS one of PORT, HOST:PORT,
 * [IPV6]:PORT; unix:PATH, /PATH, ./PATH, @ABSTRACT (a stream socket each; "unix-dgram:PATH"
 * for datagrams). */
static int bind_address(const char *arg)
{
        const char *spec = arg;
        int type = SOCK_STREAM;

        if (strncmp(spec, "unix:", 5) == 0)
                return bind_unix(arg, spec + 5, SOCK_STREAM);
        if (strncmp(spec, "unix-dgram:", 11) == 0)
                return bind_unix(arg, spec + 11, SOCK_DGRAM);
        if (spec[0] == '/' || spec[0] == '@' || strncmp(spec, "./", 2) == 0)
                return bind_unix(arg, spec, SOCK_STREAM);
        if (strncmp(spec, "tcp:", 4) == 0) {
                spec += 4;
        } else if (strncmp(spec, "udp:", 4) == 0) {
                spec += 4;
                type = SOCK_DGRAM;
        }
        return bind_host_port(arg, spec, type);
}

int activation_apply(subproc *c, struct options *o, bool dry_run)
{
        int *fds;
        const char **names;
        bool named = false;

        if (o->notify_await)
                subproc_require_ready(c);
        if (!o->n_listens || dry_run)
                return 0;
        fds = calloc(o->n_listens, sizeof *fds);
        names = calloc(o->n_listens, sizeof *names);
        if (!fds || !names) {
                free(fds);
                free(names);
                say("out of memory");
                return -1;
        }
        for (size_t i = 0; i < o->n_listens; i++) {
                struct listen_opt *l = &o->listens[i];

                if (l->address && (l->fd = bind_address(l->address)) < 0) {
                        free(fds);
                        free(names);
                        return -1;
                }
                fds[i] = l->fd;
                names[i] = l->name;
                named = named || l->name;
        }
        subproc_listen_fds(c, fds, o->n_listens, named ? names : NULL);
        free(fds);
        free(names);
        return 0;
}

int activation_print(const struct options *o, FILE *out)
{
        if (o->notify_await && fprintf(out, "# --notify-await\n") < 0)
                return -1;
        if (o->has_notify_timeout &&
            fprintf(out, "# --notify-timeout %ums\n", o->notify_timeout_ms) < 0)
                return -1;
        for (size_t i = 0; i < o->n_listens; i++)
                if (fprintf(out, "# %s %s\n", o->listens[i].address ? "--listen" : "--listen-fd",
                            o->listens[i].arg) < 0)
                        return -1;
        return 0;
}

int activation_await(subproc *c, const struct options *o)
{
        int timeout = o->has_notify_timeout ? (int)o->notify_timeout_ms : NOTIFY_TIMEOUT_MS;

        if (!o->notify_await)
                return 0;
        if (subproc_wait_ready(c, timeout) == 0) {
                if (o->verbose)
                        say("ready%s%s", subproc_ready_status(c) ? ": " : "",
                            subproc_ready_status(c) ? subproc_ready_status(c) : "");
                return 0;
        }
        say("%s", subproc_errmsg());
        /* start-stop-daemon leaves a daemon that is late running; so do we, and say so. */
        return errno == ETIMEDOUT ? EXIT_TIMED_OUT : EXIT_NOT_READY;
}

void activation_close(struct options *o)
{
        for (size_t i = 0; i < o->n_listens; i++)
                if (o->listens[i].address && o->listens[i].fd >= 0)
                        close(o->listens[i].fd);
        free(o->listens);
        o->listens = NULL;
        o->n_listens = 0;
}
