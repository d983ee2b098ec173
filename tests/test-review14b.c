/* Review 14b: attacks on the promises of issue 14's identity, namespace, fd-number and
 * scheduling options.  Each case is a reproduction of a broken promise (it fails until the
 * library is fixed).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"

static void fd_identity(int fd, char *buf, size_t size)
{
        struct stat st;

        assert_ll_equal(fstat(fd, &st), 0);
        snprintf(buf, size, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
}

/* The lowest fd number free in the caller now: the one the next pipe() would get. */
static int lowest_free_fd(void)
{
        int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

        assert_true(fd >= 0);
        close(fd);
        return fd;
}

/* subproc_pass_fd_as() to a number that is free in the caller, then a send buffer: the
 * library chose the send buffer's number (its pipe's, the lowest free one) without looking
 * at the numbers already promised to passed fds, returned that very number, and every run
 * then failed with EINVAL "fd N is both passed and a send buffer", a conflict the caller
 * never asked for and could not avoid.  The send buffer must get a number of its own. */
static void test_send_buffer_after_pass_fd_as(void **state)
{
        char id[64], *out = NULL;
        struct helper_report *r;
        int p[2], target, send_fd;
        subproc *c;

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        fd_identity(p[0], id, sizeof id);
        target = lowest_free_fd();
        c = subproc_new(HELPER_PATH);
        subproc_pass_fd_as(c, p[0], target, 0);
        send_fd = subproc_add_send_buffer(c, "hello", 5);
        assert_true(send_fd >= 3);
        if (send_fd == target)
                fail_msg("subproc_add_send_buffer() returned fd %d, which subproc_pass_fd_as() "
                         "had already given to another fd",
                         target);
        subproc_add_arg_format(c, "--read-fd=%d", send_fd);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", target), id);
        assert_string_equal(t_report_getf(r, "read_text[%d]", send_fd), "hello");
        t_report_free(r);
        /* Again: later runs make a new pipe but keep the number. */
        r = t_run_report_again(c, &out);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", target), id);
        assert_string_equal(t_report_getf(r, "read_text[%d]", send_fd), "hello");
        t_report_free(r);
        subproc_free(c);
        close(p[0]);
        close(p[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_send_buffer_after_pass_fd_as),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
