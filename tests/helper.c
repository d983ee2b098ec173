/* subproc-test-helper: a child for the tests to spawn, which reports what it sees of itself.
 *
 * SPDX-License-Identifier: MIT
 *
 * Usage: subproc-test-helper [OPTION...] [-- DATA...]
 *
 * First, unless --no-report is given, it writes a report of its own state, one key=value per
 * line, to stdout or to the file of --report=PATH (so a test that redirects stdout still gets
 * it).  The state is taken before the helper opens anything, so the fd list is exactly what it
 * inherited.  Values are escaped by helper_escape() (support/protocol.h): "\\", "\n", "\xHH".
 *
 *   argc=N
 *   argv[I]=ARG                 one line per argument, I from 0
 *   env=NAME=VALUE              one line per variable, sorted bytewise
 *   fd=N                        one line per open fd, ascending
 *   fdlink[N]=TARGET            readlink of /proc/self/fd/N ("/dev/null", "pipe:[123]")
 *   fdstat[N]=DEV:INO           st_dev:st_ino in decimal, to compare with the caller's fstat()
 *   fdflags[N]=0xFLAGS          fcntl(F_GETFL)
 *   fdcloexec[N]=0|1            FD_CLOEXEC of the descriptor
 *   cwd=DIR  umask=0022  pid=N  ppid=N
 *   sigblk=HEX sigign=HEX sigcgt=HEX   the SigBlk/SigIgn/SigCgt masks of /proc/self/status
 *   capinh=HEX capprm=HEX capeff=HEX capbnd=HEX capamb=HEX
 *                               the CapInh/CapPrm/CapEff/CapBnd/CapAmb sets of /proc/self/status
 *   nonewprivs=0|1              NoNewPrivs of /proc/self/status
 *   uid=N euid=N suid=N gid=N egid=N sgid=N   getresuid(), getresgid()
 *   ngroups=N                   the number of supplementary groups
 *   group=G                     one line per supplementary group, as getgroups() lists them
 *   rlimit[NAME]=SOFT:HARD      one line per resource (NOFILE, CORE, NPROC, AS, ...); "inf"
 *                               for RLIM_INFINITY
 *   sid=N pgid=N                getsid(0), getpgrp()
 *   isatty[N]=0|1               isatty() of fds 0, 1 and 2 (issue 16, pty)
 *   ttyname[N]=PATH             ttyname() of those that are terminals
 *   ctty=0|1                    /dev/tty opens: the process has a controlling terminal; then
 *   ctty_sid=N ctty_pgrp=N      tcgetsid() and tcgetpgrp() of it (its session, its foreground
 *   winsize=ROWSxCOLS           group) and TIOCGWINSZ
 *   pdeathsig=N                 prctl(PR_GET_PDEATHSIG): the death signal, 0 if none
 *   cgroup=PATH                 the cgroup v2 line of /proc/self/cgroup ("0::PATH"), if any
 *   cgroup[CONTROLLERS]=PATH    one line per cgroup v1 hierarchy ("cgroup[pids]=/x")
 *   nice=N                      getpriority(PRIO_PROCESS, 0)
 *   sched_policy=N sched_priority=N   sched_getscheduler(0), sched_getparam(0) (Linux)
 *   cpus=LIST                   sched_getaffinity(0) as "0,2,5" (Linux)
 *   ioprio=CLASS:LEVEL          ioprio_get(IOPRIO_WHO_PROCESS, 0) (Linux)
 *   oom_score_adj=N             /proc/self/oom_score_adj (Linux)
 *   ns[TYPE]=INODE              one line per /proc/self/ns/TYPE (user, mnt, pid, net, uts,
 *                               ipc, cgroup, time): the inode of "TYPE:[INODE]" (issue 14)
 *   uid_map=TEXT gid_map=TEXT setgroups=allow|deny   /proc/self/uid_map, gid_map, setgroups
 *   hostname=NAME               uname()'s nodename
 *   report_end=1                last line: a truncated report is detectable
 *
 * Then it runs the options in order; lines that actions report (stdin_bytes=..., read_bytes[N]
 * = ...) go where the report goes, even with --no-report.  Arguments not starting with "--" are
 * ignored, an unknown "--option" exits 99, and everything after "--" is data, never an option.
 *
 *   --report=PATH        report to PATH (created or truncated) instead of stdout
 *   --no-report          no initial report
 *   --stdout-bytes=N     write N pattern bytes (helper_pattern_byte(HELPER_STDOUT_SEED)) to stdout
 *   --stderr-bytes=N     the same to stderr with HELPER_STDERR_SEED
 *   --stdout-text=S      write S to stdout          --stderr-text=S   write S to stderr
 *   --interleave=N       N lines alternately "out K\n" on stdout (K even), "err K\n" on stderr
 *   --write-nul          write HELPER_NUL_OUTPUT (it holds NUL bytes) to stdout
 *   --cat                copy stdin to stdout until EOF
 *   --cat-slowly=MS      the same, sleeping MS milliseconds after every read: a child that
 *                        reads slowly while it writes a lot
 *   --read-stdin-count   read stdin to EOF; report stdin_bytes=N and stdin_sum=CHECKSUM
 *   --close-stdin        close fd 0
 *   --read-fd=N          read fd N to EOF; report read_bytes[N], read_sum[N] and, for at most
 *                        4096 bytes, read_text[N]
 *   --notify-fd=N        write "R" to fd N and close it (tells the test "I got this far")
 *   --ignore-term        ignore SIGTERM
 *   --pipe-size=N        make the pipe on stdout hold N bytes (F_SETPIPE_SZ; up to 1 MiB
 *                        unprivileged), so that writes up to N bytes never wait for the reader
 *   --stderr-pipe-size=N the same for the pipe on stderr
 *   --signal-parent=SIG  send SIG to the parent
 *   --sleep-ms=N         sleep N milliseconds
 *   --wait-fd=N          read fd N until EOF, discarding what comes
 *   --write-file=PATH    create PATH (0666 before the umask) holding "pid=N\n": a marker that
 *                        the program ran
 *   --hold-stdout-map=PATH map 4096 bytes of stdout (which must hold a byte) shared and
 *                        writable, then fork and go on; the grandchild sleeps 200 ms, writes
 *                        '!' into byte 0 through that mapping, creates PATH (empty) and exits 0:
 *                        a descendant that outlives the helper and can still write its output
 *   --pidfile-check=PATH report how this process holds the pidfile PATH:
 *                          pidfile_fd=N           the inherited fd open on PATH (-1 if none)
 *                          pidfile_fd_conflict=0|1  a test through that fd sees a lock of
 *                                                 another open file description (0: it is ours)
 *                          pidfile_locked=0|1     a fresh open of PATH sees a write lock
 *                          pidfile_locked_after_close=0|1  the same after that fresh fd was
 *                                                 closed again (a classic per-process fcntl
 *                                                 lock would be gone by then)
 *                          pidfile_fd_readonly=0|1  that inherited fd is open read-only
 *                          pidfile_text=TEXT      the file's content
 *   --rewrite-fds=TEXT   as an attacking program would: through every inherited fd >= 3,
 *                        truncate the file and write TEXT at offset 0 (failures ignored)
 *   --bind-port=N        bind a TCP socket to 127.0.0.1:N (SO_REUSEADDR); report bind[N]=0, or
 *                        the errno (EACCES: a port below 1024 without CAP_NET_BIND_SERVICE)
 *   --kill-self=SIG      die by signal SIG (its disposition is reset first)
 *   --burn-cpu-ms=N      spin until this process has used N ms of CPU time (rusage tests)
 *   --touch-mib=N        allocate N MiB and write every page of it (max RSS tests)
 *   --uname              (issue 14, confinement) call uname(); report uname_errno=N, 0 if it
 *                        worked: a seccomp filter may make it fail
 *   --read-dir=PATH      (issue 14, confinement) open and list the directory PATH; report
 *                        read_dir_errno=N, 0 if it worked: Landlock may deny it
 *   --notify=TEXT        (issue 15) send TEXT ("\n" for a newline, "{pid}" for its pid) to
 *                        $NOTIFY_SOCKET as one datagram ("@name": abstract), as sd_notify(); report
 *                        notify_errno=N, 0 if it was sent
 *   --notify-from-child=TEXT  the same from a forked child (a descendant), which lives 300 ms
 *                        more, waited for
 *   --accept=N           (issue 15) accept one connection on the listening fd N, write
 *                        "hello\n" to it and close it; report accept[N]=0 or the errno
 *   --await-winch        (issue 16, pty) block SIGWINCH, write "W" to stdout (the test
 *                        resizes once it reads it), wait up to 30 s for the signal; report
 *                        winch=1 (0: none came) and winch_winsize=ROWSxCOLS of stdin's
 *                        terminal
 *   --exit=N             exit with code N now
 * With no --exit it exits 0 after the last option.  Failures of the helper itself exit 98
 * with a message on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#if defined(__has_include)
#if __has_include(<netinet/in.h>)
#include <netinet/in.h>
#define HELPER_HAS_INET 1
#endif
#endif
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#endif

#ifdef __linux__
#include <sys/utsname.h> /* Issue 14: --uname, and the hostname in a new UTS namespace */
#endif

#include "support/protocol.h"
#include "support/compat.h"
#include "support/lock.h"

#define MAX_FDS 4096
#define READ_CHUNK 65536
#define WRITE_CHUNK 65536

extern char **environ;

/* Where the report and action results go. */
static int report_fd = STDOUT_FILENO;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
        va_list ap;

        fputs("subproc-test-helper: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        _exit(98);
}

static void write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        die("write to fd %d: %s", fd, strerror(errno));
                }
                p += n;
                len -= (size_t)n;
        }
}

/* Read up to `len` bytes, retrying on EINTR; 0 at EOF. */
static size_t read_some(int fd, void *buf, size_t len)
{
        for (;;) {
                ssize_t n = read(fd, buf, len);

                if (n >= 0)
                        return (size_t)n;
                if (errno != EINTR)
                        die("read from fd %d: %s", fd, strerror(errno));
        }
}

static long long parse_number(const char *option, const char *text)
{
        char *end;
        long long value;

        errno = 0;
        value = strtoll(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0')
                die("bad number in %s", option);
        return value;
}

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The open fds, taken before the helper opens anything but the listing itself. */
static size_t list_fds(int *fds)
{
        DIR *dir = opendir("/proc/self/fd");
        struct dirent *entry;
        size_t count = 0;

        if (dir == NULL)
                die("opendir /proc/self/fd: %s", strerror(errno));
        while ((entry = readdir(dir)) != NULL) {
                int fd;

                if (entry->d_name[0] == '.')
                        continue;
                fd = atoi(entry->d_name);
                if (fd == dirfd(dir))
                        continue;
                if (count == MAX_FDS)
                        die("too many fds");
                fds[count++] = fd;
        }
        closedir(dir);
        qsort(fds, count, sizeof *fds, compare_ints);
        return count;
}

static void report_signal_masks(FILE *out)
{
        static const struct {
                const char *field;
                const char *key;
        } masks[] = {
                { "SigBlk:", "sigblk" }, { "SigIgn:", "sigign" }, { "SigCgt:", "sigcgt" },
                { "CapInh:", "capinh" }, { "CapPrm:", "capprm" }, { "CapEff:", "capeff" },
                { "CapBnd:", "capbnd" }, { "CapAmb:", "capamb" }, { "NoNewPrivs:", "nonewprivs" },
        };
        FILE *status = fopen("/proc/self/status", "re");
        char line[512];

        if (status == NULL)
                die("open /proc/self/status: %s", strerror(errno));
        while (fgets(line, sizeof line, status) != NULL) {
                for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
                        size_t field_len = strlen(masks[i].field);
                        char *value;

                        if (strncmp(line, masks[i].field, field_len) != 0)
                                continue;
                        value = line + field_len;
                        value += strspn(value, " \t");
                        value[strcspn(value, "\n")] = '\0';
                        fprintf(out, "%s=%s\n", masks[i].key, value);
                }
        }
        fclose(status);
}

static void report_one_fd(FILE *out, int fd)
{
        char path[64], target[4096];
        struct stat st;
        ssize_t len;
        int flags;

        fprintf(out, "fd=%d\n", fd);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        len = readlink(path, target, sizeof target - 1);
        if (len >= 0) {
                fprintf(out, "fdlink[%d]=", fd);
                helper_escape(out, target, (size_t)len);
                fputc('\n', out);
        }
        if (fstat(fd, &st) == 0)
                fprintf(out, "fdstat[%d]=%ju:%ju\n", fd, (uintmax_t)st.st_dev,
                        (uintmax_t)st.st_ino);
        flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
                fprintf(out, "fdflags[%d]=0x%x\n", fd, (unsigned)flags);
        flags = fcntl(fd, F_GETFD);
        if (flags >= 0)
                fprintf(out, "fdcloexec[%d]=%d\n", fd, (flags & FD_CLOEXEC) ? 1 : 0);
}

static void report_credentials(FILE *out)
{
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid, *groups;
        int ngroups;

        if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0)
                die("getresuid/getresgid: %s", strerror(errno));
        fprintf(out, "uid=%ld\neuid=%ld\nsuid=%ld\n", (long)ruid, (long)euid, (long)suid);
        fprintf(out, "gid=%ld\negid=%ld\nsgid=%ld\n", (long)rgid, (long)egid, (long)sgid);
        ngroups = getgroups(0, NULL);
        if (ngroups < 0)
                die("getgroups: %s", strerror(errno));
        groups = calloc((size_t)ngroups + 1, sizeof *groups);
        if (groups == NULL)
                die("out of memory");
        ngroups = getgroups(ngroups, groups);
        if (ngroups < 0)
                die("getgroups: %s", strerror(errno));
        fprintf(out, "ngroups=%d\n", ngroups);
        for (int i = 0; i < ngroups; i++)
                fprintf(out, "group=%ld\n", (long)groups[i]);
        free(groups);
}

static void print_rlim(FILE *out, rlim_t value)
{
        if (value == RLIM_INFINITY)
                fputs("inf", out);
        else
                fprintf(out, "%llu", (unsigned long long)value);
}

static void report_rlimits(FILE *out)
{
        static const struct {
                int resource;
                const char *name;
        } limits[] = {
                { RLIMIT_AS, "AS" },         { RLIMIT_CORE, "CORE" },
                { RLIMIT_CPU, "CPU" },       { RLIMIT_DATA, "DATA" },
                { RLIMIT_FSIZE, "FSIZE" },   { RLIMIT_MEMLOCK, "MEMLOCK" },
                { RLIMIT_NOFILE, "NOFILE" }, { RLIMIT_NPROC, "NPROC" },
                { RLIMIT_RSS, "RSS" },       { RLIMIT_STACK, "STACK" },
        /* Linux's own (the BSDs and macOS have none of these) */
#ifdef RLIMIT_LOCKS
                { RLIMIT_LOCKS, "LOCKS" },   { RLIMIT_MSGQUEUE, "MSGQUEUE" },
                { RLIMIT_NICE, "NICE" },     { RLIMIT_RTPRIO, "RTPRIO" },
                { RLIMIT_RTTIME, "RTTIME" }, { RLIMIT_SIGPENDING, "SIGPENDING" },
#endif
        };

        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
                struct rlimit rl;

                if (getrlimit(limits[i].resource, &rl) != 0)
                        die("getrlimit %s: %s", limits[i].name, strerror(errno));
                fprintf(out, "rlimit[%s]=", limits[i].name);
                print_rlim(out, rl.rlim_cur);
                fputc(':', out);
                print_rlim(out, rl.rlim_max);
                fputc('\n', out);
        }
}

static void report_session(FILE *out)
{
        int sig = -1;

        fprintf(out, "sid=%ld\npgid=%ld\n", (long)getsid(0), (long)getpgrp());
        if (t_get_death_signal(&sig) != 0 && errno != ENOSYS)
                die("reading the death signal: %s", strerror(errno));
        fprintf(out, "pdeathsig=%d\n", sig);
}

static void report_winsize(FILE *out, int fd)
{
        struct winsize ws;

        if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
                fprintf(out, "winsize=%ux%u\n", (unsigned)ws.ws_row, (unsigned)ws.ws_col);
}

/* Issue 16.  After the fd list: this opens /dev/tty, which works only for a process with a
 * controlling terminal. */
static void report_terminal(FILE *out)
{
        int tty;

        for (int fd = 0; fd <= 2; fd++) {
                const char *name = isatty(fd) ? ttyname(fd) : NULL;

                fprintf(out, "isatty[%d]=%d\n", fd, isatty(fd));
                if (name)
                        fprintf(out, "ttyname[%d]=%s\n", fd, name);
        }
        tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        fprintf(out, "ctty=%d\n", tty >= 0);
        if (tty < 0)
                return;
        fprintf(out, "ctty_sid=%ld\nctty_pgrp=%ld\n", (long)tcgetsid(tty), (long)tcgetpgrp(tty));
        report_winsize(out, tty);
        close(tty);
}

/* --await-winch */
static void await_winch(void)
{
        sigset_t set;
        struct timespec limit = { .tv_sec = 30 };
        struct winsize ws;
        FILE *out;
        char *text = NULL;
        size_t len = 0;
        int sig;

        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, NULL);
        write_all(STDOUT_FILENO, "W", 1);
        do
                sig = sigtimedwait(&set, NULL, &limit);
        while (sig < 0 && errno == EINTR);
        out = open_memstream(&text, &len);
        if (!out)
                die("open_memstream: %s", strerror(errno));
        fprintf(out, "winch=%d\n", sig == SIGWINCH);
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                fprintf(out, "winch_winsize=%ux%u\n", (unsigned)ws.ws_row, (unsigned)ws.ws_col);
        if (fclose(out) != 0)
                die("report: %s", strerror(errno));
        write_all(report_fd, text, len);
        free(text);
}

/* After the fd list: this opens a file. */
static void report_cgroups(FILE *out)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096];

        if (f == NULL)
                return; /* not Linux, or no /proc */
        /* "ID:CONTROLLERS:PATH"; the v2 hierarchy is "0::PATH". */
        while (fgets(line, sizeof line, f) != NULL) {
                char *controllers = strchr(line, ':'), *path;

                line[strcspn(line, "\n")] = '\0';
                if (controllers == NULL || (path = strchr(controllers + 1, ':')) == NULL)
                        continue;
                *path++ = '\0';
                controllers++;
                if (*controllers == '\0')
                        fputs("cgroup=", out);
                else
                        fprintf(out, "cgroup[%s]=", controllers);
                helper_escape(out, path, strlen(path));
                fputc('\n', out);
        }
        fclose(f);
}

/* After the fd list: this opens a file. */
static void report_scheduling(FILE *out)
{
        int nice;

        errno = 0;
        nice = getpriority(PRIO_PROCESS, 0);
        if (nice == -1 && errno != 0)
                die("getpriority: %s", strerror(errno));
        fprintf(out, "nice=%d\n", nice);
#ifdef __linux__
        struct sched_param param;
        cpu_set_t set;
        const char *sep = "";
        long ioprio = syscall(SYS_ioprio_get, 1, 0); /* 1: IOPRIO_WHO_PROCESS */
        FILE *f;
        int adj;

        if (sched_getparam(0, &param) != 0)
                die("sched_getparam: %s", strerror(errno));
        fprintf(out, "sched_policy=%d\nsched_priority=%d\n", sched_getscheduler(0),
                param.sched_priority);
        if (sched_getaffinity(0, sizeof set, &set) != 0)
                die("sched_getaffinity: %s", strerror(errno));
        fputs("cpus=", out);
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
                if (CPU_ISSET(cpu, &set)) {
                        fprintf(out, "%s%d", sep, cpu);
                        sep = ",";
                }
        }
        fputc('\n', out);
        if (ioprio < 0)
                die("ioprio_get: %s", strerror(errno));
        fprintf(out, "ioprio=%ld:%ld\n", ioprio >> 13, ioprio & 0xff);
        f = fopen("/proc/self/oom_score_adj", "re");
        if (f != NULL) {
                if (fscanf(f, "%d", &adj) == 1)
                        fprintf(out, "oom_score_adj=%d\n", adj);
                fclose(f);
        }
#endif
}

/* One /proc/self file as KEY=TEXT, escaped; nothing where it cannot be read. */
static void report_proc_file(FILE *out, const char *key, const char *path)
{
        char text[4096];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return;
        n = read(fd, text, sizeof text);
        close(fd);
        if (n < 0)
                return;
        fprintf(out, "%s=", key);
        helper_escape(out, text, (size_t)n);
        fputc('\n', out);
}

/* Issue 14, namespaces: after the fd list (this opens files). */
static void report_namespaces(FILE *out)
{
        static const char *const types[] = { "user", "mnt", "pid",    "net",
                                             "uts",  "ipc", "cgroup", "time" };
#ifdef __linux__
        struct utsname uts;
#endif

        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                char path[64], link[128], *open_bracket;
                ssize_t n;

                snprintf(path, sizeof path, "/proc/self/ns/%s", types[i]);
                n = readlink(path, link, sizeof link - 1);
                if (n < 0)
                        continue;
                link[n] = '\0';
                open_bracket = strchr(link, '[');
                if (open_bracket != NULL)
                        fprintf(out, "ns[%s]=%lu\n", types[i], strtoul(open_bracket + 1, NULL, 10));
        }
        report_proc_file(out, "uid_map", "/proc/self/uid_map");
        report_proc_file(out, "gid_map", "/proc/self/gid_map");
        report_proc_file(out, "setgroups", "/proc/self/setgroups");
#ifdef __linux__
        if (uname(&uts) == 0) {
                fputs("hostname=", out);
                helper_escape(out, uts.nodename, strlen(uts.nodename));
                fputc('\n', out);
        }
#endif
}

static void write_report(int argc, char **argv, const int *fds, size_t nfds)
{
        char *text = NULL;
        size_t text_len = 0, nenv = 0;
        FILE *out = open_memstream(&text, &text_len);
        char cwd[4096], **env;
        mode_t mask;

        if (out == NULL)
                die("open_memstream: %s", strerror(errno));

        fprintf(out, "argc=%d\n", argc);
        for (int i = 0; i < argc; i++) {
                fprintf(out, "argv[%d]=", i);
                helper_escape(out, argv[i], strlen(argv[i]));
                fputc('\n', out);
        }

        while (environ[nenv] != NULL)
                nenv++;
        env = malloc((nenv + 1) * sizeof *env);
        if (env == NULL)
                die("out of memory");
        memcpy(env, environ, nenv * sizeof *env);
        qsort(env, nenv, sizeof *env, compare_strings);
        for (size_t i = 0; i < nenv; i++) {
                fputs("env=", out);
                helper_escape(out, env[i], strlen(env[i]));
                fputc('\n', out);
        }
        free(env);

        for (size_t i = 0; i < nfds; i++)
                report_one_fd(out, fds[i]);

        if (getcwd(cwd, sizeof cwd) != NULL) {
                fputs("cwd=", out);
                helper_escape(out, cwd, strlen(cwd));
                fputc('\n', out);
        }
        mask = umask(0);
        umask(mask);
        fprintf(out, "umask=%04o\n", (unsigned)mask);
        fprintf(out, "pid=%ld\nppid=%ld\n", (long)getpid(), (long)getppid());
        report_signal_masks(out);
        report_credentials(out);
        report_rlimits(out);
        report_session(out);
        report_terminal(out);
        report_cgroups(out);
        report_scheduling(out);
        report_namespaces(out);
        fputs("report_end=1\n", out);

        if (fclose(out) != 0)
                die("report: %s", strerror(errno));
        write_all(report_fd, text, text_len);
        free(text);
}

static void write_pattern(int fd, char seed, long long count)
{
        char chunk[WRITE_CHUNK];
        size_t offset = 0;

        while (count > 0) {
                size_t n = count < WRITE_CHUNK ? (size_t)count : WRITE_CHUNK;

                for (size_t i = 0; i < n; i++)
                        chunk[i] = helper_pattern_byte(seed, offset + i);
                write_all(fd, chunk, n);
                offset += n;
                count -= (long long)n;
        }
}

/* Read `fd` to EOF; report its length, checksum and (if short) its text under `key`. */
static void read_to_eof(int fd, const char *bytes_key, const char *sum_key, const char *text_key)
{
        static char chunk[READ_CHUNK];
        char *text = NULL, *result = NULL;
        size_t total = 0, n, result_len = 0;
        uint64_t sum = HELPER_CHECKSUM_INIT;
        FILE *out;

        while ((n = read_some(fd, chunk, sizeof chunk)) > 0) {
                sum = helper_checksum(sum, chunk, n);
                if (text_key != NULL && total + n <= 4096) {
                        char *grown = realloc(text, total + n);

                        if (grown == NULL)
                                die("out of memory");
                        text = grown;
                        memcpy(text + total, chunk, n);
                }
                total += n;
        }

        out = open_memstream(&result, &result_len);
        if (out == NULL)
                die("open_memstream: %s", strerror(errno));
        fprintf(out, "%s=%zu\n%s=%016" PRIx64 "\n", bytes_key, total, sum_key, sum);
        if (text_key != NULL && total <= 4096) {
                fprintf(out, "%s=", text_key);
                helper_escape(out, text != NULL ? text : "", total);
                fputc('\n', out);
        }
        if (fclose(out) != 0)
                die("report: %s", strerror(errno));
        write_all(report_fd, result, result_len);
        free(result);
        free(text);
}

/* --pipe-size, --stderr-pipe-size */
static void set_pipe_size(int fd, int bytes)
{
#ifdef F_SETPIPE_SZ
        if (fcntl(fd, F_SETPIPE_SZ, bytes) < 0)
                die("F_SETPIPE_SZ on fd %d: %s", fd, strerror(errno));
#else
        (void)fd;
        (void)bytes;
        die("--pipe-size: no F_SETPIPE_SZ here");
#endif
}

static void wait_fd_eof(int fd)
{
        static char chunk[READ_CHUNK];

        while (read_some(fd, chunk, sizeof chunk) > 0)
                ;
}

static void write_marker(const char *path)
{
        char text[64];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        int len;

        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        len = snprintf(text, sizeof text, "pid=%ld\n", (long)getpid());
        write_all(fd, text, (size_t)len);
        close(fd);
}

/* Whether another open file description holds the pidfile lock on the file of `fd` (see
 * t_pidfile_lock_conflict()); dies when that cannot be told. */
static int lock_conflict(int fd, bool holder)
{
        int r = t_pidfile_lock_conflict(fd, holder);

        if (r < 0)
                die("test the lock: %s", strerror(errno));
        return r;
}

static int fresh_open_sees_lock(const char *path)
{
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        int locked;

        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        locked = lock_conflict(fd, false);
        close(fd);
        return locked;
}

static void check_pidfile(const char *path)
{
        static int fds[MAX_FDS];
        struct stat named, st;
        char text[128], *result = NULL;
        size_t nfds, result_len = 0;
        ssize_t len;
        int held_fd = -1, conflict = -1, locked, locked_after, fd;
        FILE *out;

        if (stat(path, &named) != 0)
                die("stat %s: %s", path, strerror(errno));
        nfds = list_fds(fds);
        for (size_t i = 0; i < nfds; i++) {
                if (fds[i] != report_fd && fstat(fds[i], &st) == 0 && st.st_dev == named.st_dev &&
                    st.st_ino == named.st_ino) {
                        held_fd = fds[i];
                        break;
                }
        }
        /* Fresh opens first: with flock() the holder's own test could take a lock that was
         * missing, and hide that. */
        locked = fresh_open_sees_lock(path);
        locked_after = fresh_open_sees_lock(path);
        if (held_fd >= 0)
                conflict = lock_conflict(held_fd, true);

        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        len = pread(fd, text, sizeof text, 0);
        if (len < 0)
                die("read %s: %s", path, strerror(errno));
        close(fd);

        out = open_memstream(&result, &result_len);
        if (out == NULL)
                die("open_memstream: %s", strerror(errno));
        fprintf(out,
                "pidfile_fd=%d\npidfile_fd_conflict=%d\npidfile_locked=%d\n"
                "pidfile_locked_after_close=%d\npidfile_fd_readonly=%d\npidfile_text=",
                held_fd, conflict, locked, locked_after,
                held_fd >= 0 && (fcntl(held_fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
        helper_escape(out, text, (size_t)len);
        fputc('\n', out);
        if (fclose(out) != 0)
                die("report: %s", strerror(errno));
        write_all(report_fd, result, result_len);
        free(result);
}

static void cat_stdin(void)
{
        static char chunk[READ_CHUNK];
        size_t n;

        while ((n = read_some(STDIN_FILENO, chunk, sizeof chunk)) > 0)
                write_all(STDOUT_FILENO, chunk, n);
}

static void sleep_ms(long long ms)
{
        struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

        while (nanosleep(&left, &left) != 0 && errno == EINTR)
                ;
}

static void cat_stdin_slowly(long long ms)
{
        static char chunk[READ_CHUNK];
        size_t n;

        while ((n = read_some(STDIN_FILENO, chunk, sizeof chunk)) > 0) {
                write_all(STDOUT_FILENO, chunk, n);
                sleep_ms(ms);
        }
}

/* --hold-stdout-map: a grandchild keeps a shared writable mapping of stdout after the helper
 * exits, and writes through it later. */
static void hold_stdout_map(const char *path)
{
        char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, STDOUT_FILENO, 0);
        pid_t pid;
        int fd;

        if (shared == MAP_FAILED)
                die("mmap stdout: %s", strerror(errno));
        pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid > 0) {
                /* Only the grandchild holds it from now on. */
                munmap(shared, 4096);
                return;
        }
        sleep_ms(200);
        /* Byte 0 is inside the file: past its end the write would be SIGBUS. */
        shared[0] = '!';
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        close(fd);
        _exit(0);
}

static void rewrite_fds(const char *text)
{
        for (int fd = 3; fd < 64; fd++) {
                (void)!ftruncate(fd, 0);
                (void)!pwrite(fd, text, strlen(text), 0);
        }
}

#ifndef HELPER_HAS_INET
/* A system (or a header sysroot) without <netinet/in.h>: no TCP sockets to try. */
static void bind_port(int port)
{
        die("--bind-port=%d: no <netinet/in.h> here", port);
}
#else
static void bind_port(int port)
{
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err = 0;
        char line[64];

        if (fd < 0)
                die("socket: %s", strerror(errno));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
                err = errno;
        close(fd);
        snprintf(line, sizeof line, "bind[%d]=%d\n", port, err);
        write_all(report_fd, line, strlen(line));
}
#endif

/* --burn-cpu-ms: CPU time, not wall time, so that a loaded machine only makes it slower. */
static void burn_cpu(long long ms)
{
        struct timespec ts;
        volatile unsigned long spin = 0;

        do {
                for (int i = 0; i < 100000; i++)
                        spin++;
                if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
                        die("clock_gettime: %s", strerror(errno));
        } while (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 < ms);
}

/* --touch-mib: resident for sure, each page written. */
static void touch_mib(long long mib)
{
        size_t len = (size_t)mib << 20;
        volatile char *p = malloc(len);

        if (p == NULL)
                die("malloc %lld MiB: %s", mib, strerror(errno));
        for (size_t i = 0; i < len; i += 4096)
                p[i] = 1;
        free((void *)p);
}

static void kill_self(int sig)
{
        sigset_t set;

        signal(sig, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        kill(getpid(), sig);
        die("still alive after signal %d", sig);
}

/* Issue 14, confinement: one "key=errno" line where the report goes (0: it worked). */
static void report_errno(const char *key, int error)
{
        char line[96];
        int len = snprintf(line, sizeof line, "%s=%d\n", key, error);

        write_all(report_fd, line, (size_t)len);
}

static void try_uname(void)
{
#ifdef __linux__
        struct utsname u;

        report_errno("uname_errno", uname(&u) == 0 ? 0 : errno);
#else
        report_errno("uname_errno", ENOSYS); /* only Linux's tests ask */
#endif
}

static void try_read_dir(const char *path)
{
        DIR *dir = opendir(path);
        int error = 0;

        if (dir == NULL) {
                error = errno;
        } else {
                errno = 0;
                while (readdir(dir) != NULL)
                        ;
                error = errno;
                closedir(dir);
        }
        report_errno("read_dir_errno", error);
}

/* Issue 15: sd_notify() in a few lines: one datagram to $NOTIFY_SOCKET. */
static int notify(const char *text)
{
        const char *where = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        char msg[4096];
        size_t len = 0, path_len;
        int fd, err = 0;

        if (!where || !*where || strlen(where) >= sizeof addr.sun_path)
                return EINVAL;
        for (const char *p = text; *p && len < sizeof msg - 16; p++) {
                if (strncmp(p, "{pid}", 5) == 0) {
                        len += (size_t)snprintf(msg + len, 16, "%d", (int)getpid());
                        p += 4;
                } else if (p[0] == '\\' && p[1] == 'n') {
                        msg[len++] = '\n';
                        p++;
                } else {
                        msg[len++] = *p;
                }
        }
        path_len = strlen(where);
        memcpy(addr.sun_path, where, path_len);
        if (addr.sun_path[0] == '@')
                addr.sun_path[0] = '\0';
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0)
                return errno;
        if (sendto(fd, msg, len, 0, (struct sockaddr *)&addr,
                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len)) < 0)
                err = errno;
        close(fd);
        return err;
}

static void notify_from_child(const char *text)
{
        pid_t pid = fork();
        int status;

        if (pid < 0)
                die("fork: %s", strerror(errno));
        /* The child lives on a moment after sending: a datagram counts only while its sender
         * can be placed in the program's tree. */
        if (pid == 0) {
                int err = notify(text);

                sleep_ms(300);
                _exit(err);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        report_errno("notify_errno", WIFEXITED(status) ? WEXITSTATUS(status) : 255);
}

static void accept_one(int fd)
{
        char key[32];
        int conn = accept(fd, NULL, NULL);

        snprintf(key, sizeof key, "accept[%d]", fd);
        if (conn < 0) {
                report_errno(key, errno);
                return;
        }
        write_all(conn, "hello\n", 6);
        close(conn);
        report_errno(key, 0);
}

/* If `arg` is "--name=VALUE" return VALUE, else NULL. */
static const char *option_value(const char *arg, const char *name)
{
        size_t len = strlen(name);

        if (strncmp(arg, name, len) == 0 && arg[len] == '=')
                return arg + len + 1;
        return NULL;
}

static void run_option(const char *arg)
{
        const char *value;
        char key[3][64];

        if (strcmp(arg, "--no-report") == 0 || option_value(arg, "--report") != NULL) {
                /* Handled before the report. */
        } else if ((value = option_value(arg, "--stdout-bytes")) != NULL) {
                write_pattern(STDOUT_FILENO, HELPER_STDOUT_SEED, parse_number(arg, value));
        } else if ((value = option_value(arg, "--stderr-bytes")) != NULL) {
                write_pattern(STDERR_FILENO, HELPER_STDERR_SEED, parse_number(arg, value));
        } else if ((value = option_value(arg, "--stdout-text")) != NULL) {
                write_all(STDOUT_FILENO, value, strlen(value));
        } else if ((value = option_value(arg, "--stderr-text")) != NULL) {
                write_all(STDERR_FILENO, value, strlen(value));
        } else if ((value = option_value(arg, "--interleave")) != NULL) {
                long long lines = parse_number(arg, value);

                for (long long i = 0; i < lines; i++) {
                        char line[64];
                        int len = snprintf(line, sizeof line, "%s %lld\n",
                                           i % 2 == 0 ? "out" : "err", i);

                        write_all(i % 2 == 0 ? STDOUT_FILENO : STDERR_FILENO, line, (size_t)len);
                }
        } else if (strcmp(arg, "--write-nul") == 0) {
                write_all(STDOUT_FILENO, HELPER_NUL_OUTPUT, HELPER_NUL_OUTPUT_LEN);
        } else if (strcmp(arg, "--cat") == 0) {
                cat_stdin();
        } else if ((value = option_value(arg, "--cat-slowly")) != NULL) {
                cat_stdin_slowly(parse_number(arg, value));
        } else if (strcmp(arg, "--read-stdin-count") == 0) {
                read_to_eof(STDIN_FILENO, "stdin_bytes", "stdin_sum", NULL);
        } else if (strcmp(arg, "--close-stdin") == 0) {
                close(STDIN_FILENO);
        } else if ((value = option_value(arg, "--read-fd")) != NULL) {
                int fd = (int)parse_number(arg, value);

                snprintf(key[0], sizeof key[0], "read_bytes[%d]", fd);
                snprintf(key[1], sizeof key[1], "read_sum[%d]", fd);
                snprintf(key[2], sizeof key[2], "read_text[%d]", fd);
                read_to_eof(fd, key[0], key[1], key[2]);
        } else if ((value = option_value(arg, "--notify-fd")) != NULL) {
                int fd = (int)parse_number(arg, value);

                write_all(fd, "R", 1);
                close(fd);
        } else if (strcmp(arg, "--ignore-term") == 0) {
                signal(SIGTERM, SIG_IGN);
        } else if ((value = option_value(arg, "--pipe-size")) != NULL) {
                set_pipe_size(1, (int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--stderr-pipe-size")) != NULL) {
                set_pipe_size(2, (int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--signal-parent")) != NULL) {
                kill(getppid(), (int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--sleep-ms")) != NULL) {
                sleep_ms(parse_number(arg, value));
        } else if ((value = option_value(arg, "--wait-fd")) != NULL) {
                wait_fd_eof((int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--write-file")) != NULL) {
                write_marker(value);
        } else if ((value = option_value(arg, "--hold-stdout-map")) != NULL) {
                hold_stdout_map(value);
        } else if ((value = option_value(arg, "--pidfile-check")) != NULL) {
                check_pidfile(value);
        } else if ((value = option_value(arg, "--rewrite-fds")) != NULL) {
                rewrite_fds(value);
        } else if ((value = option_value(arg, "--bind-port")) != NULL) {
                bind_port((int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--kill-self")) != NULL) {
                kill_self((int)parse_number(arg, value));
        } else if ((value = option_value(arg, "--burn-cpu-ms")) != NULL) {
                burn_cpu(parse_number(arg, value));
        } else if ((value = option_value(arg, "--touch-mib")) != NULL) {
                touch_mib(parse_number(arg, value));
        } else if ((value = option_value(arg, "--setpgid")) != NULL) {
                /* Leave the process group the parent gave us, for another of the session. */
                if (setpgid(0, (pid_t)parse_number(arg, value)) != 0)
                        die("setpgid %s: %s", value, strerror(errno));
        } else if (strcmp(arg, "--uname") == 0) {
                try_uname();
        } else if ((value = option_value(arg, "--read-dir")) != NULL) {
                try_read_dir(value);
        } else if ((value = option_value(arg, "--notify")) != NULL) {
                report_errno("notify_errno", notify(value));
        } else if ((value = option_value(arg, "--notify-from-child")) != NULL) {
                notify_from_child(value);
        } else if ((value = option_value(arg, "--accept")) != NULL) {
                accept_one((int)parse_number(arg, value));
        } else if (strcmp(arg, "--await-winch") == 0) {
                await_winch();
        } else if ((value = option_value(arg, "--exit")) != NULL) {
                _exit((int)parse_number(arg, value));
        } else {
                fprintf(stderr, "subproc-test-helper: unknown option %s\n", arg);
                _exit(99);
        }
}

int main(int argc, char **argv)
{
        static int fds[MAX_FDS];
        size_t nfds = list_fds(fds);
        const char *report_path = NULL;
        bool report = true;
        int last_option = argc;

        for (int i = 1; i < argc; i++) {
                const char *value;

                if (strcmp(argv[i], "--") == 0) {
                        last_option = i;
                        break;
                }
                if (strcmp(argv[i], "--no-report") == 0)
                        report = false;
                else if ((value = option_value(argv[i], "--report")) != NULL)
                        report_path = value;
        }

        if (report_path != NULL) {
                report_fd = open(report_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (report_fd < 0)
                        die("open %s: %s", report_path, strerror(errno));
        }
        if (report)
                write_report(argc, argv, fds, nfds);

        for (int i = 1; i < last_option; i++) {
                if (strncmp(argv[i], "--", 2) == 0)
                        run_option(argv[i]);
        }
        return 0;
}
