/* Temp files and whole-fd I/O; see files.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

/* ---------------------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------------------- */

static const char *temp_root(void)
{
        const char *dir = getenv("TMPDIR");

        return dir != NULL && dir[0] == '/' ? dir : "/tmp";
}

char *t_make_temp_file(const void *content, size_t len, mode_t mode)
{
        char *path;
        int fd;

        assert_true(asprintf(&path, "%s/subproc-test-XXXXXX", temp_root()) > 0);
        fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        t_write_fd_all(fd, content, len);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        return path;
}

char *t_make_temp_dir(void)
{
        char *path;

        assert_true(asprintf(&path, "%s/subproc-test-XXXXXX", temp_root()) > 0);
        assert_non_null(mkdtemp(path));
        return path;
}

char *t_make_temp_path(void)
{
        static atomic_uint counter;
        char *path;

        assert_true(asprintf(&path, "%s/subproc-test-%ld-%u-%ld", temp_root(), (long)getpid(),
                             atomic_fetch_add(&counter, 1) + 1, (long)time(NULL)) > 0);
        unlink(path);
        return path;
}

char *t_read_fd_all(int fd, size_t *len)
{
        size_t used = 0, cap = 65536;
        char *buf = malloc(cap + 1);

        assert_non_null(buf);
        for (;;) {
                ssize_t n;

                if (used == cap) {
                        cap *= 2;
                        buf = realloc(buf, cap + 1);
                        assert_non_null(buf);
                }
                n = read(fd, buf + used, cap - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        print_error("read fd %d: %s\n", fd, strerror(errno));
                assert_true(n >= 0);
                if (n == 0)
                        break;
                used += (size_t)n;
        }
        buf[used] = '\0';
        if (len != NULL)
                *len = used;
        return buf;
}

char *t_read_file_all(const char *path, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *buf;

        if (fd < 0)
                print_error("open %s: %s\n", path, strerror(errno));
        assert_true(fd >= 0);
        buf = t_read_fd_all(fd, len);
        close(fd);
        return buf;
}

void t_write_fd_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        print_error("write fd %d: %s\n", fd, strerror(errno));
                assert_true(n > 0);
                p += n;
                len -= (size_t)n;
        }
}

char *t_expected_interleave(int lines)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (int i = 0; i < lines; i++)
                fprintf(out, "%s %d\n", i % 2 == 0 ? "out" : "err", i);
        fclose(out);
        return text;
}

char *t_expected_interleave_half(int lines, bool odd)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (int i = odd ? 1 : 0; i < lines; i += 2)
                fprintf(out, "%s %d\n", odd ? "err" : "out", i);
        fclose(out);
        return text;
}

char *t_make_pattern(char seed, size_t len)
{
        char *buf = malloc(len + 1);

        assert_non_null(buf);
        for (size_t i = 0; i < len; i++)
                buf[i] = helper_pattern_byte(seed, i);
        buf[len] = '\0';
        return buf;
}

void t_format_checksum(char buf[17], uint64_t sum)
{
        snprintf(buf, 17, "%016" PRIx64, sum);
}

char *t_checksum_text(const void *data, size_t len)
{
        char *text = malloc(17);

        assert_non_null(text);
        t_format_checksum(text, helper_checksum(HELPER_CHECKSUM_INIT, data, len));
        return text;
}

bool t_wait_readable(int fd, int timeout_ms)
{
        double start = t_monotonic_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r;

        do {
                double left = timeout_ms - (t_monotonic_ms() - start);

                r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (r < 0 && errno == EINTR);
        return r == 1;
}

void t_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
        char *p = buf;

        while (len > 0) {
                ssize_t n;

                if (!t_wait_readable(fd, timeout_ms)) {
                        print_error("nothing to read on fd %d within %d ms\n", fd, timeout_ms);
                        fail();
                }
                n = read(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        print_error("fd %d: %s\n", fd, n == 0 ? "EOF" : strerror(errno));
                        fail();
                }
                p += n;
                len -= (size_t)n;
        }
}

void t_write_file(const char *path, const void *content, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        t_write_fd_all(fd, content, len);
        close(fd);
}

bool t_file_exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

char *t_open_dir(void)
{
        char *dir = t_make_temp_dir();

        assert_int_equal(chmod(dir, 0777), 0);
        return dir;
}

char *t_path(const char *dir, const char *name)
{
        char *path = NULL;

        /* abort(), not an assertion: the compiler must see that path is never NULL. */
        if (asprintf(&path, "%s/%s", dir, name) < 0 || path == NULL)
                abort();
        return path;
}

void t_remove_dir(char *dir, const char *const *names)
{
        for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
                char *path = t_path(dir, names[i]);

                (void)unlink(path);
                free(path);
        }
        if (rmdir(dir) != 0)
                print_error("rmdir %s: %s\n", dir, strerror(errno));
        free(dir);
}

#ifdef __linux__
#include <sys/statfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_cgroup2(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

char *t_cgroup2_root(void)
{
        char line[4096];
        char *root = NULL;
        FILE *f;

        if (is_cgroup2("/sys/fs/cgroup"))
                return strdup("/sys/fs/cgroup");
        f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return NULL;
        while (root == NULL && fgets(line, sizeof line, f) != NULL) {
                char mount_point[4096], fstype[64], *sep = strstr(line, " - ");

                /* "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS... - FSTYPE SOURCE OPTIONS" */
                if (sep == NULL || sscanf(sep, " - %63s", fstype) != 1 ||
                    strcmp(fstype, "cgroup2") != 0 ||
                    sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
                        continue;
                /* Octal escapes (a space is \040) are not expected here: skip such a mount. */
                if (strchr(mount_point, '\\') == NULL && is_cgroup2(mount_point))
                        root = strdup(mount_point);
        }
        fclose(f);
        return root;
}
#endif
