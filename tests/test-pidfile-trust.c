/* Tests of pidfile trust (issue 11): who holds a pidfile is asked of the kernel, never read
 * from the file; what the program was handed cannot rewrite it; files others could write are
 * refused; stop signals only proven processes, through pidfds, and removes only the file it
 * checked; a failed start leaves no pidfile.  The attackers run for real, as nobody.
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
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* The library's test knobs (sp_test_no_pidfd: behave as on a kernel without pidfds). */
#include "src/test-knobs.h"

/* For the cases in which the library must stop a process: without pidfds (valgrind) it stops
 * nobody, so they skip.  Frees what the case owns first (skip() does not return). */
static void skip_without_pidfds(void *owned)
{
        if (t_have_pidfds())
                return;
        print_message("no pidfds here (valgrind?): the library stops nobody then\n");
        free(owned);
        skip();
}

/* ---------------------------------------------------------------------------------------
 * Content is a hint: the kernel says who holds it (issue 11)
 * ------------------------------------------------------------------------------------- */

/* A helper that sleeps and holds nothing: a process whose pid a pidfile may name by accident
 * (a recycled pid) or on purpose (an attacker's victim). */
static void comm_of(pid_t pid, char *buf, size_t size);

/* The victim, started, and past its exec: subproc_run_async() returns once the exec can no
 * longer fail, as posix_spawn() does, and the kernel gives the process the program's name
 * (/proc/PID/comm, which the name match reads) a moment later. */
static subproc *victim_start(pid_t *ret_pid)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        const char *base = strrchr(HELPER_PATH, '/') + 1;
        char comm[64];

        assert_ll_equal(subproc_run_async(c, ret_pid), 0);
        for (int i = 0; i < 10000; i++) {
                comm_of(*ret_pid, comm, sizeof comm);
                if (strncmp(comm, base, 15) == 0)
                        return c;
                usleep(1000);
        }
        print_error("the victim's name is still %s\n", comm);
        fail();
        return c;
}

/* The victim was never signalled: it still runs. */
static void victim_check_and_stop(subproc *c, pid_t pid)
{
        int status;

        if (waitpid(pid, &status, WNOHANG) != 0) {
                print_error("the victim %d was signalled\n", (int)pid);
                fail();
        }
        subproc_abort(c);
        subproc_free(c);
}

static void test_garbage_or_false_pid_holder_is_stopped(void **state)
{
        static const char *const contents[] = { "garbage\n", "", "VICTIM" };
        char *path;

        skip_without_pidfds(NULL);
        path = t_make_temp_path();

        for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
                int release_fd, status = -1;
                pid_t pid, victim, held = -2;
                subproc *v = victim_start(&victim);
                subproc *c = t_holder_start(path, &release_fd, &pid);
                char *text = t_pid_text(victim);

                /* The owner rewrites the content: the holder stays who it is. */
                if (strcmp(contents[i], "VICTIM") == 0)
                        t_write_file(path, text, strlen(text));
                else
                        t_write_file(path, contents[i], strlen(contents[i]));
                free(text);
                assert_ll_equal(subproc_pidfile_read_if_alive(path, &held), 0);
                assert_ll_equal(held, pid);
                assert_ll_equal(subproc_pidfile_status(path, NULL, &held), SUBPROC_PIDFILE_RUNNING);
                assert_ll_equal(held, pid);
                /* A holder the file does not name is stopped only when it runs the
                 * executable the caller names: it could have been handed the lock. */
                errno = 0;
                assert_ll_equal(subproc_pidfile_force_cleanup(path), -1);
                assert_errno_equal(errno, EPERM);
                assert_true(t_file_exists(path));
                errno = 0;
                assert_ll_equal(subproc_pidfile_stop(path, "/bin/sh"), -1);
                assert_errno_equal(errno, EPERM);
                if (strcmp(contents[i], "VICTIM") == 0) {
                        /* The victim runs the same executable: matched by it, were it not
                         * that --exec only vouches for the named pid while nobody holds the
                         * lock.  The holder is let go instead, and the file removed. */
                        close(release_fd);
                        assert_ll_equal(subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS), 0);
                        (void)unlink(path);
                } else {
                        if (subproc_pidfile_stop(path, HELPER_PATH) != 0)
                                print_error("case %zu: %s\n", i, subproc_errmsg());
                        assert_false(t_file_exists(path));
                        subproc_set_raw_status(c);
                        assert_ll_equal(subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS), 0);
                        assert_true(WIFSIGNALED(status));
                        assert_ll_equal(WTERMSIG(status), SIGTERM);
                        close(release_fd);
                }
                subproc_free(c);
                victim_check_and_stop(v, victim);
        }
        free(path);
}

/* Issue 11 item 1: a daemon started as root with --uid nobody cannot rewrite its pidfile
 * through the fd that carries the lock (read-only now), so root's stop still stops it and
 * never the pid it tried to write. */
static void test_program_cannot_rewrite_pidfile(void **state)
{
        char *path, *marker, *text;
        struct passwd *nobody = getpwnam("nobody");
        pid_t victim, daemon_pid, named = -1;
        subproc *v, *c;

        if (geteuid() != 0 || !nobody)
                skip();
        skip_without_pidfds(NULL);
        path = t_make_temp_path();
        marker = t_make_temp_path();
        v = victim_start(&victim);
        text = t_pid_text(victim);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--rewrite-fds=%s\n", text);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_daemonize(c);
        subproc_set_pidfile(c, path);
        subproc_set_gid(c, nobody->pw_gid);
        subproc_set_uid(c, nobody->pw_uid);
        if (subproc_run(c, NULL) != 0)
                print_error("start: %s\n", subproc_errmsg());
        daemon_pid = subproc_daemon_pid(c);
        assert_true(daemon_pid > 0);
        t_track(daemon_pid);
        subproc_free(c);
        free(text);
        /* The attack has been made once the marker exists. */
        for (int i = 0; i < T_HANG_GUARD_SHORT_MS && !t_file_exists(marker); i++)
                usleep(1000);
        assert_true(t_file_exists(marker));
        assert_ll_equal(subproc_pidfile_read(path, &named), 0);
        assert_ll_equal(named, daemon_pid);
        if (subproc_pidfile_force_cleanup(path) != 0)
                print_error("stop: %s\n", subproc_errmsg());
        assert_true(t_wait_exit(daemon_pid, T_HANG_GUARD_SHORT_MS) >= 0);
        assert_false(t_file_exists(path));
        victim_check_and_stop(v, victim);
        (void)unlink(marker);
        free(marker);
        free(path);
}

/* ---- attackers: forked processes that become nobody ---------------------------------- */

enum attack {
        ATTACK_WRITE_AND_LOCK,  /* open for writing, take every kind of write lock, write */
        ATTACK_OFD_READ_LOCK,   /* open read-only, take an F_RDLCK open-file-description lock */
        ATTACK_FLOCK_SHARED,    /* open read-only, flock(LOCK_SH) */
        ATTACK_FLOCK_EXCLUSIVE, /* open read-only, flock(LOCK_EX) */
};

struct attacker {
        pid_t pid;
        int release_fd; /* closing it ends the attacker */
};

static int become_nobody(void)
{
        struct passwd *pw = getpwnam("nobody");

        if (!pw || setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
                return -1;
        return 0;
}

/* Runs in the attacker: 0 when the attack was made. */
static int attack(const char *path, enum attack how, const char *text)
{
        struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
        int fd = open(path, (how == ATTACK_WRITE_AND_LOCK ? O_RDWR : O_RDONLY) | O_CLOEXEC);

        if (fd < 0)
                return -1;
        switch (how) {
        case ATTACK_WRITE_AND_LOCK:
                lk.l_type = F_WRLCK;
                if (fcntl(fd, F_OFD_SETLK, &lk) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
                    ftruncate(fd, 0) != 0 || pwrite(fd, text, strlen(text), 0) < 0)
                        return -1;
                return 0;
        case ATTACK_OFD_READ_LOCK:
                return fcntl(fd, F_OFD_SETLK, &lk);
        case ATTACK_FLOCK_SHARED:
                return flock(fd, LOCK_SH | LOCK_NB);
        default:
                return flock(fd, LOCK_EX | LOCK_NB);
        }
}

/* Start an attacker on `path` as nobody; fails the test unless the attack was made. */
static void attacker_start(struct attacker *a, const char *path, enum attack how, pid_t victim)
{
        int ready[2], release[2];
        char ok = 0, *text = t_pid_text(victim);

        assert_ll_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(release, O_CLOEXEC), 0);
        a->pid = fork();
        assert_true(a->pid >= 0);
        if (a->pid == 0) {
                char byte;

                close(ready[0]);
                close(release[1]);
                ok = become_nobody() == 0 && attack(path, how, text) == 0 ? '1' : '0';
                (void)!write(ready[1], &ok, 1);
                while (read(release[0], &byte, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        free(text);
        close(ready[1]);
        close(release[0]);
        t_read_exact(ready[0], &ok, 1, T_HANG_GUARD_SHORT_MS);
        close(ready[0]);
        a->release_fd = release[1];
        assert_ll_equal(ok, '1');
}

static void attacker_stop(struct attacker *a)
{
        int status;

        close(a->release_fd);
        assert_ll_equal(waitpid(a->pid, &status, 0), a->pid);
}

/* Issue 11 item 2: a pidfile that others may write is refused by every function, so a
 * victim's pid written (and locked) by nobody is never signalled by root. */
/* What the file says, read past the library's refusals. */
static pid_t raw_pid(const char *path)
{
        char *text = t_read_file_all(path, NULL);
        pid_t pid = (pid_t)atol(text);

        free(text);
        return pid;
}

static void test_writable_pidfile_refused(void **state)
{
        static const mode_t modes[] = { 0666, 0664, 0646 };

        if (geteuid() != 0)
                skip();
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
                char *path = t_make_temp_path();
                struct attacker a;
                pid_t victim, pid = -2;
                subproc *v = victim_start(&victim), *c;

                t_write_file(path, "1\n", 2);
                /* Root's file; group-writable ones in nobody's group: writable by nobody. */
                if (modes[i] & S_IWGRP)
                        assert_ll_equal(chown(path, 0, getpwnam("nobody")->pw_gid), 0);
                assert_ll_equal(chmod(path, modes[i]), 0);
                attacker_start(&a, path, ATTACK_WRITE_AND_LOCK, victim);
                assert_ll_equal(raw_pid(path), victim);

                errno = 0;
                assert_ll_equal(subproc_pidfile_force_cleanup(path), -1);
                assert_errno_equal(errno, EPERM);
                assert_contains(subproc_errmsg(), "writable by group or others");
                assert_contains(subproc_errmsg(), path);
                errno = 0;
                assert_ll_equal(subproc_pidfile_read_if_alive(path, &pid), -1);
                assert_errno_equal(errno, EPERM);
                errno = 0;
                assert_ll_equal(subproc_pidfile_status(path, NULL, &pid), -1);
                assert_errno_equal(errno, EPERM);
                errno = 0;
                assert_ll_equal(subproc_pidfile_read(path, &pid), -1);
                assert_errno_equal(errno, EPERM);
                errno = 0;
                assert_ll_equal(subproc_pidfile_acquire(path, getpid()), -1);
                assert_errno_equal(errno, EPERM);
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                subproc_set_pidfile(c, path);
                errno = 0;
                assert_ll_equal(subproc_run(c, NULL), -1);
                assert_errno_equal(errno, EPERM);
                assert_contains(subproc_errmsg(), "writable by group or others");
                subproc_free(c);
                assert_ll_equal(raw_pid(path), victim);
                attacker_stop(&a);
                victim_check_and_stop(v, victim);
                assert_ll_equal(unlink(path), 0);
                free(path);
        }
}

/* Issue 11 item 3: nobody, able to read a leftover 0644 pidfile, locks it.  The pid it names
 * (a live process: a recycled pid) never counts as alive and is never signalled. */
static void test_reader_lock_never_makes_named_pid_alive(void **state)
{
        static const enum attack attacks[] = { ATTACK_OFD_READ_LOCK, ATTACK_FLOCK_SHARED,
                                               ATTACK_FLOCK_EXCLUSIVE };

        if (geteuid() != 0)
                skip();
        skip_without_pidfds(NULL);
        for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
                char *path = t_make_temp_path(), *text;
                struct attacker a;
                pid_t victim, pid = -2;
                subproc *v = victim_start(&victim);
                int rc;

                text = t_pid_text(victim);
                t_write_file(path, text, strlen(text));
                free(text);
                attacker_start(&a, path, attacks[i], victim);

                rc = subproc_pidfile_read_if_alive(path, &pid);
                if (rc != 0)
                        print_error("attack %zu: %s\n", i, subproc_errmsg());
                assert_ll_equal(rc, 0);
                if (attacks[i] == ATTACK_FLOCK_EXCLUSIVE)
                        /* Its lock is a write lock: the attacker is the holder, and it is
                         * named, not the victim. */
                        assert_ll_equal(pid, a.pid);
                else
                        assert_ll_equal(pid, -1);
                rc = subproc_pidfile_status(path, NULL, &pid);
                if (attacks[i] == ATTACK_FLOCK_EXCLUSIVE) {
                        assert_ll_equal(rc, SUBPROC_PIDFILE_RUNNING);
                        assert_ll_equal(pid, a.pid);
                } else {
                        /* Nobody holds it but the victim runs: cannot tell, never "alive". */
                        assert_ll_equal(rc, -1);
                        assert_errno_equal(errno, ENOLCK);
                }
                errno = 0;
                rc = subproc_pidfile_force_cleanup(path);
                if (attacks[i] == ATTACK_FLOCK_EXCLUSIVE) {
                        /* Not the pid the file names: not stopped (it could have been
                         * handed the lock), whoever it is. */
                        assert_ll_equal(rc, -1);
                        assert_errno_equal(errno, EPERM);
                } else {
                        assert_ll_equal(rc, -1);
                        assert_errno_equal(errno, ENOLCK);
                }
                attacker_stop(&a);
                victim_check_and_stop(v, victim);
                (void)unlink(path);
                free(path);
        }
}

/* Issue 11 item 5: the holder, on SIGTERM, lets a fresh start make a new pidfile at the same
 * path before it exits; stop then must not remove that new file. */
static void test_stop_removes_only_the_checked_file(void **state)
{
        char *path;
        int ready[2], release[2], status, fd = -1;
        pid_t holder;
        char ok = 0;
        sigset_t term;

        skip_without_pidfds(NULL);
        path = t_make_temp_path();

        assert_ll_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(release, O_CLOEXEC), 0);
        holder = fork();
        assert_true(holder >= 0);
        if (holder == 0) {
                int sig, old_fd, new_fd;
                pid_t fresh;

                sigemptyset(&term);
                sigaddset(&term, SIGTERM);
                sigprocmask(SIG_BLOCK, &term, NULL);
                close(ready[0]);
                close(release[1]);
                old_fd = subproc_pidfile_acquire(path, getpid());
                (void)!write(ready[1], old_fd >= 0 ? "1" : "0", 1);
                sigwait(&term, &sig);
                /* Gone from the name, and a fresh start holds a new file there. */
                (void)unlink(path);
                new_fd = subproc_pidfile_acquire(path, 0);
                fresh = fork();
                if (fresh == 0) {
                        char byte;

                        close(old_fd);
                        (void)!write(ready[1], new_fd >= 0 ? "2" : "0", 1);
                        while (read(release[0], &byte, 1) < 0 && errno == EINTR)
                                ;
                        _exit(0);
                }
                _exit(fresh > 0 ? 0 : 1);
        }
        close(ready[1]);
        close(release[0]);
        t_read_exact(ready[0], &ok, 1, T_HANG_GUARD_SHORT_MS);
        assert_ll_equal(ok, '1');
        if (subproc_pidfile_force_cleanup(path) != 0)
                print_error("stop: %s\n", subproc_errmsg());
        t_read_exact(ready[0], &ok, 1, T_HANG_GUARD_SHORT_MS);
        assert_ll_equal(ok, '2');
        assert_ll_equal(waitpid(holder, &status, 0), holder);
        /* The fresh start's file is still there, and still held. */
        assert_true(t_file_exists(path));
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire(path, 0), -1);
        assert_errno_equal(errno, EBUSY);
        close(release[1]);
        close(ready[0]);
        /* Once the fresh holder is gone, the file is free again. */
        for (int i = 0; i < T_HANG_GUARD_SHORT_MS; i++) {
                fd = subproc_pidfile_acquire(path, 0);
                if (fd >= 0)
                        break;
                usleep(1000);
        }
        assert_true(fd >= 0);
        assert_ll_equal(subproc_pidfile_release(path, fd), 0);
        free(path);
}

/* Issue 11 item 7: a start that fails after the pidfile was written leaves none behind (and
 * a held pidfile of someone else is left alone, see test_second_start_is_ebusy). */
static void test_failed_start_leaves_no_pidfile(void **state)
{
        for (int daemon = 0; daemon < 2; daemon++) {
                char *path = t_make_temp_path();
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                /* A stale file from before: it goes too, once the failed start rewrote it. */
                t_write_file(path, "99999\n", 6);
                subproc_set_pidfile(c, path);
                subproc_set_cwd(c, "/nonexistent-dir-of-subproc-tests");
                if (daemon)
                        subproc_daemonize(c);
                assert_run_fails(c, ENOENT, "nonexistent-dir");
                subproc_free(c);
                assert_false(t_file_exists(path));
                free(path);
        }
}

/* On kernels without pidfds nothing binds a check to a signal: stop refuses, signals
 * nobody; the holder is still reported. */
static void test_no_pidfd_no_signal(void **state)
{
        char *path = t_make_temp_path();
        int release_fd;
        pid_t pid, held = -2;
        subproc *c = t_holder_start(path, &release_fd, &pid);

        sp_test_no_pidfd = 1;
        assert_ll_equal(subproc_pidfile_read_if_alive(path, &held), 0);
        assert_ll_equal(held, pid);
        errno = 0;
        assert_ll_equal(subproc_pidfile_force_cleanup(path), -1);
        assert_errno_equal(errno, ENOTSUP);
        assert_contains(subproc_errmsg(), "no pidfds");
        sp_test_no_pidfd = 0;
        assert_true(t_file_exists(path));
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        t_holder_stop(c, release_fd);
        free(path);
}

/* A daemon that writes its pidfile without a lock (nginx, sshd): stop refuses unless told
 * its executable, then stops exactly that process. */
static void test_unlocked_daemon_matched_by_exe(void **state)
{
        char *path, *text;
        pid_t pid, held = -2;
        subproc *c;
        int status = -1;

        skip_without_pidfds(NULL);
        path = t_make_temp_path();
        c = victim_start(&pid);

        text = t_pid_text(pid);
        t_write_file(path, text, strlen(text));
        free(text);
        assert_ll_equal(subproc_pidfile_status(path, NULL, &held), -1);
        assert_errno_equal(errno, ENOLCK);
        assert_ll_equal(subproc_pidfile_status(path, "/bin/sh", &held), SUBPROC_PIDFILE_STALE);
        assert_ll_equal(subproc_pidfile_status(path, HELPER_PATH, &held), SUBPROC_PIDFILE_RUNNING);
        assert_ll_equal(held, pid);
        /* Another executable: not the daemon, which then is not running; nobody signalled. */
        assert_ll_equal(subproc_pidfile_stop(path, "/bin/sh"), 0);
        assert_false(t_file_exists(path));
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        text = t_pid_text(pid);
        t_write_file(path, text, strlen(text));
        free(text);
        if (subproc_pidfile_stop(path, HELPER_PATH) != 0)
                print_error("stop: %s\n", subproc_errmsg());
        assert_false(t_file_exists(path));
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS), 0);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);
        subproc_free(c);
        assert_ll_equal(subproc_pidfile_status(path, NULL, &held), SUBPROC_PIDFILE_MISSING);
        free(path);
}

/* release() removes the file of its fd, never another file that the name leads to now. */
static void test_release_removes_only_its_file(void **state)
{
        char *path = t_make_temp_path(), *moved = t_make_temp_path(), *now;
        int fd = subproc_pidfile_acquire(path, getpid());

        assert_true(fd >= 0);
        /* The name now leads to another file (renamed over it by the directory's owner). */
        assert_ll_equal(rename(path, moved), 0);
        t_write_file(path, "fresh\n", 6);
        assert_ll_equal(subproc_pidfile_release(path, fd), 0);
        assert_false(t_fd_is_open(fd));
        now = t_read_file_all(path, NULL);
        assert_string_equal(now, "fresh\n");
        free(now);
        assert_ll_equal(unlink(path), 0);
        assert_ll_equal(unlink(moved), 0);
        free(moved);
        free(path);
}

/* A daemon that locks its own pidfile with fcntl() (lockf()), as many do, or one started by
 * an earlier subproc (an open-file-description lock): flock() does not see those locks, yet
 * the daemon is the proven holder; a start is refused and stop stops it. */
static void test_fcntl_locked_daemon(void **state)
{
        static const int kinds[] = { F_SETLK, F_OFD_SETLK };

        skip_without_pidfds(NULL);
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
                char *path = t_make_temp_path();
                int ready[2], status;
                pid_t daemon_pid, held = -2;
                char ok = 0;
                subproc *c;

                assert_ll_equal(pipe2(ready, O_CLOEXEC), 0);
                daemon_pid = fork();
                assert_true(daemon_pid >= 0);
                if (daemon_pid == 0) {
                        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
                        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
                        char *text = t_pid_text(getpid());

                        ok = fd >= 0 && fcntl(fd, kinds[i], &lk) == 0 &&
                                             write(fd, text, strlen(text)) > 0
                                     ? '1'
                                     : '0';
                        (void)!write(ready[1], &ok, 1);
                        pause();
                        _exit(0);
                }
                close(ready[1]);
                t_read_exact(ready[0], &ok, 1, T_HANG_GUARD_SHORT_MS);
                close(ready[0]);
                assert_ll_equal(ok, '1');

                assert_ll_equal(subproc_pidfile_read_if_alive(path, &held), 0);
                assert_ll_equal(held, daemon_pid);
                errno = 0;
                assert_ll_equal(subproc_pidfile_acquire(path, 0), -1);
                assert_errno_equal(errno, EBUSY);
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                subproc_set_pidfile(c, path);
                errno = 0;
                assert_ll_equal(subproc_run(c, NULL), -1);
                assert_errno_equal(errno, EBUSY);
                subproc_free(c);
                assert_ll_equal(t_read_pid(path), daemon_pid);
                if (subproc_pidfile_force_cleanup(path) != 0)
                        print_error("stop: %s\n", subproc_errmsg());
                assert_ll_equal(waitpid(daemon_pid, &status, 0), daemon_pid);
                assert_true(WIFSIGNALED(status));
                assert_ll_equal(WTERMSIG(status), SIGTERM);
                assert_false(t_file_exists(path));
                free(path);
        }
}

/* Runs nobody's attack in a forked child: '1' when nobody could open `path` and lock it. */
static char nobody_can_lock(const char *path)
{
        int ready[2], status;
        char ok = 0;
        pid_t pid;

        assert_ll_equal(pipe2(ready, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                ok = become_nobody() == 0 && attack(path, ATTACK_FLOCK_SHARED, "") == 0 ? '1' : '0';
                (void)!write(ready[1], &ok, 1);
                _exit(0);
        }
        close(ready[1]);
        t_read_exact(ready[0], &ok, 1, T_HANG_GUARD_SHORT_MS);
        close(ready[0]);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        return ok;
}

/* flock() needs no write access: a user who can read a pidfile can lock it once its holder is
 * gone, blocking a restart or posing as the holder.  So the pidfiles subproc makes are 0600,
 * and one it locks (a leftover 0644 one too) loses its group and other bits: once the program
 * has run, nobody cannot even open it, in the child's path and the caller's. */
static void test_locked_pidfile_keeps_readers_out(void **state)
{
        if (geteuid() != 0 || !getpwnam("nobody"))
                skip();
        for (int leftover = 0; leftover <= 1; leftover++) {
                for (int in_caller = 0; in_caller <= 1; in_caller++) {
                        char *path = t_make_temp_path();
                        struct stat st;
                        subproc *c = NULL;
                        int fd = -1;

                        if (leftover) {
                                t_write_file(path, "1\n", 2);
                                assert_ll_equal(chmod(path, 0644), 0);
                                assert_ll_equal(nobody_can_lock(path), '1');
                        }
                        if (in_caller) {
                                fd = subproc_pidfile_acquire(path, getpid());
                                assert_true(fd >= 0);
                        } else {
                                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                                subproc_set_pidfile(c, path);
                                if (subproc_run(c, NULL) != 0)
                                        print_error("run: %s\n", subproc_errmsg());
                                subproc_free(c);
                        }
                        assert_ll_equal(stat(path, &st), 0);
                        if ((st.st_mode & 0777) != 0600)
                                print_error("leftover %d, in the caller %d: mode %o\n", leftover,
                                            in_caller, st.st_mode & 0777);
                        assert_ll_equal(st.st_mode & 0777, 0600);
                        /* The holder is gone (or about to be): nobody still cannot lock it. */
                        if (fd >= 0)
                                close(fd);
                        assert_ll_equal(nobody_can_lock(path), '0');
                        (void)unlink(path);
                        free(path);
                }
        }
}

/* ---- issue 15: matching by executable, name and real uid; schedules; one signal ---- */

/* The name (/proc/PID/comm) of a process. */
static void comm_of(pid_t pid, char *buf, size_t size)
{
        char path[64];
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        f = fopen(path, "r");
        assert_non_null(f);
        assert_non_null(fgets(buf, (int)size, f));
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
}

static void write_pid(const char *path, pid_t pid)
{
        char *text = t_pid_text(pid);

        t_write_file(path, text, strlen(text));
        free(text);
}

/* An unlocked pidfile naming a live process: it counts only when every criterion given
 * matches; when one does not, nobody is signalled. */
static void test_unlocked_daemon_matched_by_name_and_uid(void **state)
{
        static const struct subproc_stop_step term[] = { { SIGTERM, 5000 } };
        char *path, comm[64], longer[128];
        pid_t pid, held = -2;
        subproc *c;
        int status = -1;

        (void)state;
        skip_without_pidfds(NULL);
        path = t_make_temp_path();
        c = victim_start(&pid);
        comm_of(pid, comm, sizeof comm);
        write_pid(path, pid);
        {
                const struct subproc_pidfile_match no[] = {
                        { .name = "nosuch" },
                        { .name = comm, .match_uid = true, .uid = getuid() + 1 },
                        { .exe = "/bin/sh", .name = comm },
                        { .match_uid = true, .uid = getuid() + 1 },
                };

                for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
                        assert_ll_equal(subproc_pidfile_status_match(path, &no[i], &held),
                                        SUBPROC_PIDFILE_STALE);
                        assert_ll_equal(subproc_pidfile_signal(path, &no[i], SIGUSR1), 0);
                        assert_true(t_file_exists(path));
                        /* A stale file is removed by a stop, and nobody signalled. */
                        assert_ll_equal(subproc_pidfile_stop_schedule(path, &no[i], term, 1), 0);
                        assert_false(t_file_exists(path));
                        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
                        write_pid(path, pid);
                }
        }
        {
                const struct subproc_pidfile_match yes[] = {
                        { .name = comm },
                        { .match_uid = true, .uid = getuid() },
                        { .exe = HELPER_PATH, .name = comm, .match_uid = true, .uid = getuid() },
                };

                for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
                        held = -2;
                        assert_ll_equal(subproc_pidfile_status_match(path, &yes[i], &held),
                                        SUBPROC_PIDFILE_RUNNING);
                        assert_ll_equal(held, pid);
                }
                /* The kernel keeps 15 bytes of a name: a longer one matches on those. */
                snprintf(longer, sizeof longer, "%s%s", comm,
                         "-and-a-long-tail-past-fifteen-bytes");
                if (strlen(comm) == 15) {
                        struct subproc_pidfile_match l = { .name = longer };

                        assert_ll_equal(subproc_pidfile_status_match(path, &l, &held),
                                        SUBPROC_PIDFILE_RUNNING);
                }
                /* One signal, no wait, the file kept: SIGCONT does the helper no harm. */
                assert_ll_equal(subproc_pidfile_signal(path, &yes[0], SIGCONT), 1);
                assert_true(t_file_exists(path));
                assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
                assert_ll_equal(subproc_pidfile_stop_schedule(path, &yes[2], term, 1), 1);
        }
        assert_false(t_file_exists(path));
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS), 0);
        assert_killed_by(status, SIGTERM);
        subproc_free(c);
        free(path);
}

/* A schedule that runs out leaves the process running and the file in place (ETIMEDOUT);
 * a longer one ends it with its last signal. */
static void test_stop_schedule_runs_out(void **state)
{
        static const struct subproc_stop_step term_only[] = { { SIGTERM, 200 } };
        static const struct subproc_stop_step term_kill[] = { { SIGTERM, 100 }, { SIGKILL, 5000 } };
        struct sigaction old, ignore = { .sa_handler = SIG_IGN };
        struct subproc_pidfile_match m = { .exe = HELPER_PATH };
        subproc *c;
        char *path;
        pid_t pid;
        int status = -1;

        (void)state;
        skip_without_pidfds(NULL);
        c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", "--sleep-ms=60000", NULL);
        path = t_make_temp_path();
        /* Ignoring SIGTERM from its first instruction, inherited from us. */
        sigemptyset(&ignore.sa_mask);
        assert_ll_equal(sigaction(SIGTERM, &ignore, &old), 0);
        subproc_inherit_signals(c);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        sigaction(SIGTERM, &old, NULL);
        write_pid(path, pid);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &m, term_only, 1), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_contains(subproc_errmsg(), "still runs after the last step");
        assert_true(t_file_exists(path));
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &m, term_kill, 2), 1);
        assert_false(t_file_exists(path));
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS), 0);
        assert_killed_by(status, SIGKILL);
        subproc_free(c);
        free(path);
}

/* A lock holder that is not the process asked for is not signalled, nor its file removed. */
static void test_locked_holder_must_match(void **state)
{
        static const struct subproc_stop_step term[] = { { SIGTERM, 1000 } };
        struct subproc_pidfile_match other = { .name = "nosuch" };
        char *path;
        int release_fd;
        pid_t pid, held = -2;
        subproc *c;

        (void)state;
        if (!t_have_pidfds()) {
                print_message("no pidfds here (valgrind?): a match is refused then\n");
                skip();
        }
        path = t_make_temp_path();
        c = t_holder_start(path, &release_fd, &pid);
        assert_ll_equal(subproc_pidfile_status_match(path, &other, &held), SUBPROC_PIDFILE_STALE);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &other, term, 1), -1);
        assert_errno_equal(errno, EPERM);
        assert_contains(subproc_errmsg(), "not the process asked for");
        errno = 0;
        assert_ll_equal(subproc_pidfile_signal(path, &other, SIGTERM), -1);
        assert_errno_equal(errno, EPERM);
        assert_true(t_file_exists(path));
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        assert_ll_equal(subproc_pidfile_status(path, NULL, &held), SUBPROC_PIDFILE_RUNNING);
        t_holder_stop(c, release_fd);
        free(path);
}

/* Bad arguments: said, and nobody signalled. */
static void test_stop_schedule_bad_arguments(void **state)
{
        static const struct subproc_stop_step bad_sig[] = { { SIGTERM, 10 }, { 0, 10 } };
        static const struct subproc_stop_step term[] = { { SIGTERM, 10 } };
        struct subproc_pidfile_match empty_name = { .name = "" };
        char *path = t_make_temp_path();
        pid_t pid, held;
        subproc *c = victim_start(&pid);

        (void)state;
        write_pid(path, pid);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, NULL, term, 0), -1);
        assert_errno_equal(errno, EINVAL);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, NULL, NULL, 1), -1);
        assert_errno_equal(errno, EINVAL);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, NULL, bad_sig, 2), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "step 2");
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &empty_name, term, 1), -1);
        assert_errno_equal(errno, EINVAL);
        errno = 0;
        assert_ll_equal(subproc_pidfile_status_match(path, &empty_name, &held), -1);
        assert_errno_equal(errno, EINVAL);
        for (int sig = -1; sig <= 0; sig++) {
                errno = 0;
                assert_ll_equal(subproc_pidfile_signal(path, NULL, sig), -1);
                assert_errno_equal(errno, EINVAL);
        }
        errno = 0;
        assert_ll_equal(subproc_pidfile_status_match(path, NULL, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        /* No criterion: the unlocked pid is not trusted, as before. */
        errno = 0;
        assert_ll_equal(subproc_pidfile_signal(path, NULL, SIGTERM), -1);
        assert_errno_equal(errno, ENOLCK);
        assert_true(t_file_exists(path));
        victim_check_and_stop(c, pid);
        (void)unlink(path);
        free(path);
}

/* A holder that lets go of the lock on SIGTERM and goes on: stop waits out the TERM step for
 * its exit, then kills it and waits for that too.  The lock comes free a moment before the
 * exit shows (the files are closed first): a stop that took the free lock for "done waiting"
 * found the process running right after its SIGKILL and failed with ETIMEDOUT at once. */
static int dropping_fd = -1;

static void drop_lock(int sig)
{
        (void)sig;
        close(dropping_fd);
}

static void test_holder_dropping_lock_on_term_is_killed(void **state)
{
        static const struct subproc_stop_step steps[] = { { SIGTERM, 300 }, { SIGKILL, 5000 } };
        char *path = t_make_temp_path();
        int sync[2], status = -1;
        double start;
        pid_t pid;
        char c;

        (void)state;
        skip_without_pidfds(path);
        for (int round = 0; round < 3; round++) {
                assert_ll_equal(pipe(sync), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        char text[32];
                        int n;

                        dropping_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                        if (dropping_fd < 0 || flock(dropping_fd, LOCK_EX) < 0)
                                _exit(90);
                        n = snprintf(text, sizeof text, "%d\n", (int)getpid());
                        if (write(dropping_fd, text, (size_t)n) != n)
                                _exit(91);
                        signal(SIGTERM, drop_lock);
                        if (write(sync[1], "r", 1) != 1)
                                _exit(92);
                        for (;;)
                                pause();
                }
                close(sync[1]);
                assert_ll_equal(read(sync[0], &c, 1), 1);
                close(sync[0]);
                start = t_monotonic_ms();
                assert_ll_equal(subproc_pidfile_stop_schedule(path, NULL, steps, 2), 1);
                /* The TERM step was waited out: it let go of the lock, not its life. */
                assert_true(t_monotonic_ms() - start >= 250);
                assert_ll_equal(waitpid(pid, &status, 0), pid);
                assert_killed_by(status, SIGKILL);
                assert_false(t_file_exists(path));
        }
        free(path);
}

/* Processes a case starts that are not its children (a child's children): killed by the
 * teardown, so that a failed case leaves none holding its pipes. */
static pid_t strays[4];
static size_t nstrays;

static void stray(pid_t pid)
{
        if (nstrays < sizeof strays / sizeof strays[0])
                strays[nstrays++] = pid;
}

static int strays_teardown(void **state)
{
        while (nstrays > 0)
                (void)kill(strays[--nstrays], SIGKILL);
        return t_teardown(state);
}

/* This program's executable, as /proc shows it: what a holder forked from us runs. */
static void self_exe(char *buf, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", buf, size - 1);

        assert_true(n > 0);
        buf[n] = '\0';
}

/* In a forked child: lock the pidfile and write our pid into it, on an fd our own children
 * inherit (no O_CLOEXEC), so that they hold the lock too.  Exits on failure. */
static void hold_pidfile(const char *path)
{
        char text[32];
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), len;

        if (fd < 0 || flock(fd, LOCK_EX) < 0)
                _exit(90);
        len = snprintf(text, sizeof text, "%d\n", (int)getpid());
        if (write(fd, text, (size_t)len) != len)
                _exit(91);
}

/* The holder the file names is stopped, but a process it started, running another program,
 * still holds the lock (it inherited the locked fd): that one is not the service asked for
 * and is not signalled.  Signals were sent, so the refusal is not EPERM ("nobody signalled")
 * but EBUSY, naming why; the file stays. */
static void test_lock_left_to_a_stranger_after_the_stop(void **state)
{
        static const struct subproc_stop_step term[] = { { SIGTERM, 300 } };
        char *path = t_make_temp_path(), self[PATH_MAX];
        struct subproc_pidfile_match m = { .exe = self };
        int sync[2], status = -1;
        pid_t pid, stranger;
        ssize_t n;

        (void)state;
        skip_without_pidfds(path);
        self_exe(self, sizeof self);
        assert_ll_equal(pipe2(sync, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pid_t child;

                hold_pidfile(path);
                /* The stranger: another program, holding the locked fd it inherited. */
                child = fork();
                if (child == 0) {
                        execl("/bin/sleep", "sleep", "60", (char *)NULL);
                        _exit(92);
                }
                if (child < 0 || write(sync[1], &child, sizeof child) != sizeof child)
                        _exit(93);
                for (;;)
                        pause();
        }
        close(sync[1]);
        assert_ll_equal(read(sync[0], &stranger, sizeof stranger), (ssize_t)sizeof stranger);
        close(sync[0]);
        stray(stranger);
        /* Until the stranger runs sleep, it is still a copy of us, and would match. */
        for (int i = 0; i < 5000; i++) {
                char exe[PATH_MAX], link[64];

                snprintf(link, sizeof link, "/proc/%d/exe", (int)stranger);
                n = readlink(link, exe, sizeof exe - 1);
                if (n > 0 && (exe[n] = '\0', strcmp(exe, self) != 0))
                        break;
                usleep(1000);
        }
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &m, term, 1), -1);
        assert_errno_equal(errno, EBUSY);
        assert_contains(subproc_errmsg(), "the processes signalled are gone");
        assert_contains(subproc_errmsg(), "do not run the executable given");
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        assert_killed_by(status, SIGTERM);
        assert_ll_equal(kill(stranger, 0), 0);
        assert_true(t_file_exists(path));
        assert_ll_equal(kill(stranger, SIGKILL), 0);
        nstrays = 0;
        (void)unlink(path);
        free(path);
}

/* Two holders the file does not name (it names their parent, gone), both running the
 * executable asked for, both signalled: the one that dies of SIGTERM is gone, the other
 * ignores it.  The schedule runs out, and its message names the one that still runs (it
 * named the first one signalled, gone by then). */
static void test_timeout_names_the_holder_that_runs(void **state)
{
        static const struct subproc_stop_step term[] = { { SIGTERM, 300 } };
        char *path = t_make_temp_path(), self[PATH_MAX], named[64];
        struct subproc_pidfile_match m = { .exe = self };
        int sync[2], status = -1, rec[2];
        pid_t pid, dies = -1, stays = -1;

        (void)state;
        skip_without_pidfds(path);
        self_exe(self, sizeof self);
        assert_ll_equal(pipe2(sync, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                hold_pidfile(path);
                for (int ignores = 0; ignores < 2; ignores++) {
                        if (fork() == 0) {
                                int me[2] = { (int)getpid(), ignores };

                                if (ignores)
                                        signal(SIGTERM, SIG_IGN);
                                if (write(sync[1], me, sizeof me) != sizeof me)
                                        _exit(92);
                                for (;;)
                                        pause();
                        }
                }
                _exit(0);
        }
        close(sync[1]);
        for (int i = 0; i < 2; i++) {
                assert_ll_equal(read(sync[0], rec, sizeof rec), (ssize_t)sizeof rec);
                *(rec[1] ? &stays : &dies) = rec[0];
                stray(rec[0]);
        }
        close(sync[0]);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        assert_ll_equal(status, 0);
        errno = 0;
        assert_ll_equal(subproc_pidfile_stop_schedule(path, &m, term, 1), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        snprintf(named, sizeof named, "pid %d still runs", (int)stays);
        assert_contains(subproc_errmsg(), named);
        assert_ll_equal(kill(stays, 0), 0);
        assert_ll_equal(kill(stays, SIGKILL), 0);
        (void)kill(dies, SIGKILL);
        nstrays = 0;
        (void)unlink(path);
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_garbage_or_false_pid_holder_is_stopped),
                T_TEST(test_program_cannot_rewrite_pidfile),
                T_TEST(test_writable_pidfile_refused),
                T_TEST(test_reader_lock_never_makes_named_pid_alive),
                T_TEST(test_stop_removes_only_the_checked_file),
                T_TEST(test_failed_start_leaves_no_pidfile),
                T_TEST(test_no_pidfd_no_signal),
                T_TEST(test_unlocked_daemon_matched_by_exe),
                T_TEST(test_release_removes_only_its_file),
                T_TEST(test_fcntl_locked_daemon),
                T_TEST(test_locked_pidfile_keeps_readers_out),
                T_TEST(test_unlocked_daemon_matched_by_name_and_uid),
                T_TEST(test_stop_schedule_runs_out),
                T_TEST(test_locked_holder_must_match),
                T_TEST(test_stop_schedule_bad_arguments),
                T_TEST(test_holder_dropping_lock_on_term_is_killed),
                cmocka_unit_test_setup_teardown(test_lock_left_to_a_stranger_after_the_stop,
                                                t_setup, strays_teardown),
                cmocka_unit_test_setup_teardown(test_timeout_names_the_holder_that_runs, t_setup,
                                                strays_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
