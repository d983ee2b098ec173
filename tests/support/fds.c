/* The caller's fds: listing, leaky fds, identities; see fds.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

/* The caller's open fds, ascending; *count gets their number. */
int *t_list_fds(size_t *count)
{
        DIR *dir = opendir("/proc/self/fd");
        struct dirent *entry;
        size_t n = 0, cap = 64;
        int *fds = malloc(cap * sizeof *fds);

        assert_non_null(dir);
        assert_non_null(fds);
        while ((entry = readdir(dir)) != NULL) {
                int fd;

                if (entry->d_name[0] == '.')
                        continue;
                fd = atoi(entry->d_name);
                if (fd == dirfd(dir))
                        continue;
                if (n == cap) {
                        cap *= 2;
                        fds = realloc(fds, cap * sizeof *fds);
                        assert_non_null(fds);
                }
                fds[n++] = fd;
        }
        closedir(dir);
        qsort(fds, n, sizeof *fds, compare_ints);
        *count = n;
        return fds;
}

char *t_format_fd_set(const int *fds, size_t count)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (size_t i = 0; i < count; i++)
                fprintf(out, "%s%d", i > 0 ? " " : "", fds[i]);
        fclose(out);
        return text;
}

char *t_caller_fd_set(void)
{
        size_t count;
        int *fds = t_list_fds(&count);
        char *text = t_format_fd_set(fds, count);

        free(fds);
        return text;
}

bool t_fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

char *t_fd_target(int fd)
{
        char path[64], target[512];
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        len = readlink(path, target, sizeof target - 1);
        if (len < 0)
                return strdup("?");
        target[len] = '\0';
        return strdup(target);
}

/* "DEV:INO" of an fd of the caller, as the helper prints it for its own fds. */
char *t_fd_identity(int fd)
{
        struct stat st;
        char *text;

        assert_ll_equal(fstat(fd, &st), 0);
        assert_true(asprintf(&text, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino) > 0);
        return text;
}

/* Open fds without O_CLOEXEC, the way careless code in a big program does, at low numbers and
 * at `high` (if >= 0).  Returns how many were stored in `fds`. */
size_t t_open_leaky_fds(int *fds, int high)
{
        int pipe_fds[2], socket_fds[2];
        size_t n = 0;

        fds[n] = open("/dev/null", O_RDONLY);
        assert_true(fds[n++] >= 0);
        assert_ll_equal(pipe(pipe_fds), 0);
        fds[n++] = pipe_fds[0];
        fds[n++] = pipe_fds[1];
        assert_ll_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, socket_fds), 0);
        fds[n++] = socket_fds[0];
        fds[n++] = socket_fds[1];
        fds[n] = fcntl(fds[0], F_DUPFD, 100);
        assert_true(fds[n++] >= 100);
        if (high >= 0) {
                assert_ll_equal(dup2(fds[0], high), high);
                fds[n++] = high;
        }
        return n;
}

/* fd 1000 if RLIMIT_NOFILE allows it, else -1 (no high fd). */
int t_high_fd_within_limit(void)
{
        struct rlimit limit;

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
        return limit.rlim_cur > 1001 ? 1000 : -1;
}

void t_close_fds(const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}
