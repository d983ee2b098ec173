/* The cmocka setup and teardown every case runs with; see case.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

/* Kill and reap every child left by a failed case, so that one failure does not cascade. */
static void kill_leftover_children(void)
{
        DIR *dir = opendir("/proc");
        struct dirent *entry;
        pid_t self = getpid();

        if (dir != NULL) {
                while ((entry = readdir(dir)) != NULL) {
                        char path[300], buf[512], *close_paren;
                        long ppid;
                        FILE *stat_file;

                        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
                        stat_file = fopen(path, "re");
                        if (stat_file == NULL)
                                continue;
                        if (fgets(buf, sizeof buf, stat_file) != NULL &&
                            (close_paren = strrchr(buf, ')')) != NULL &&
                            sscanf(close_paren + 2, "%*c %ld", &ppid) == 1 && ppid == self)
                                kill((pid_t)atol(entry->d_name), SIGKILL);
                        fclose(stat_file);
                }
                closedir(dir);
        }
        while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
                ;
}

void t_assert_no_children(const char *file, int line)
{
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);

        if (pid < 0 && errno == ECHILD)
                return;
        if (pid > 0)
                print_error("a zombie child %ld was left behind (status 0x%x)\n", (long)pid,
                            (unsigned)status);
        else if (pid == 0)
                print_error("a child is still running\n");
        else
                print_error("waitpid: %s\n", strerror(errno));
        kill_leftover_children();
        _fail(file, line);
}

static int *setup_fds;
static size_t setup_fd_count;

int t_setup(void **state)
{
        (void)state;
        free(setup_fds);
        setup_fds = t_list_fds(&setup_fd_count);
        errno = 0;
        return 0;
}

int t_teardown(void **state)
{
        size_t count, i = 0, j = 0;
        int *fds;
        int problems = 0;
        int status;
        pid_t pid;

        (void)state;
        (void)t_set_subreaper(false);
        if (t_kill_tracked())
                problems++;
        fds = t_list_fds(&count);
        /* Both lists are sorted: walk them together. */
        while (i < setup_fd_count || j < count) {
                if (j == count || (i < setup_fd_count && setup_fds[i] < fds[j])) {
                        print_error("fd %d, open before the case, was closed\n", setup_fds[i]);
                        problems++;
                        i++;
                } else if (i == setup_fd_count || fds[j] < setup_fds[i]) {
                        char *target = t_fd_target(fds[j]);

                        print_error("fd %d (%s) was leaked in the caller\n", fds[j], target);
                        free(target);
                        close(fds[j]);
                        problems++;
                        j++;
                } else {
                        i++;
                        j++;
                }
        }
        free(fds);

        pid = waitpid(-1, &status, WNOHANG | __WALL);
        if (pid > 0) {
                print_error("a zombie child %ld was left behind (status 0x%x)\n", (long)pid,
                            (unsigned)status);
                problems++;
        } else if (pid == 0) {
                print_error("a child is still running after the case\n");
                problems++;
        } else if (errno != ECHILD) {
                print_error("waitpid: %s\n", strerror(errno));
                problems++;
        }
        if (pid >= 0)
                kill_leftover_children();
        sp_test_no_pidfd = 0;
        sp_test_vfork_reports = SP_TEST_REPORTS_AUTO;
        return problems == 0 ? 0 : -1;
}

int t_mode_setup(void **state)
{
        const struct t_pidfd_mode *m = *state;

        sp_test_no_pidfd = m->no_pidfd;
        return t_setup(state);
}

bool t_enter_mode(void **state)
{
        const struct t_pidfd_mode *m = *state;

        return !m->no_pidfd;
}
