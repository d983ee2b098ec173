/* The parent's half of a child's new user namespace: its id maps, written while the child
 * waits (issue 14), and the names of namespace flags for messages. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The kernel takes a map in one write() only.  dir: /proc/PID of the child. */
static int write_proc_file(int dir, const char *name, const char *text)
{
        size_t len = strlen(text);
        ssize_t n;
        int fd, err = 0;

        fd = openat(dir, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        do
                n = write(fd, text, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                err = -errno;
        else if ((size_t)n != len)
                err = -EIO;
        close(fd);
        return err;
}

/* Whether the /proc/PID/stat open as `fd` names us as the parent (field 4; the name, field
 * 2, ends at the last ')'). */
static bool stat_names_us(int fd)
{
        char text[1024];
        const char *paren;
        ssize_t n;

        do
                n = read(fd, text, sizeof text - 1);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return false;
        text[n] = '\0';
        paren = strrchr(text, ')');
        return paren && paren[1] == ' ' && paren[2] && paren[3] == ' ' &&
               strtol(paren + 4, NULL, 10) == (long)getpid();
}

/* /proc/PID of our child `pid` as a directory fd, or -errno.  The pid is our namespace's
 * number: a /proc of another pid namespace (an ancestor's, where a container did not mount its
 * own) names another process by it, whose maps we would write, so /proc must show us under
 * our own number, and the process found must be our child: else -ESRCH. */
static int open_child_proc(pid_t pid)
{
        char path[64], self[32];
        ssize_t n = readlink("/proc/self", self, sizeof self - 1);
        int dir, stat_fd;
        bool ours;

        if (n <= 0)
                return n < 0 ? -errno : -ENOENT;
        self[n] = '\0';
        if (strtol(self, NULL, 10) != (long)getpid())
                return -ESRCH;
        snprintf(path, sizeof path, "/proc/%ld", (long)pid);
        dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        stat_fd = openat(dir, "stat", O_RDONLY | O_CLOEXEC);
        ours = stat_fd >= 0 && stat_names_us(stat_fd);
        if (stat_fd >= 0)
                close(stat_fd);
        if (!ours) {
                close(dir);
                return -ESRCH;
        }
        return dir;
}

static int write_maps(int dir, const char *uid_map, const char *gid_map, enum sp_id_map_file *which)
{
        int r = 0;

        *which = SP_ID_MAP_UID;
        if (uid_map && (r = write_proc_file(dir, "uid_map", uid_map)) < 0)
                return r;
        if (!gid_map)
                return 0;
        *which = SP_ID_MAP_GID;
        r = write_proc_file(dir, "gid_map", gid_map);
        if (r != -EPERM)
                return r;
        /* Only a writer privileged over the ids (CAP_SETGID where they live) may map groups
         * while the namespace's root can still call setgroups(): it could drop a group that
         * denies it access (CVE-2014-8989).  Others must deny setgroups first, as the kernel
         * requires, and try again. */
        *which = SP_ID_MAP_SETGROUPS;
        r = write_proc_file(dir, "setgroups", "deny");
        if (r < 0)
                return r;
        *which = SP_ID_MAP_GID;
        return write_proc_file(dir, "gid_map", gid_map);
}

int sp_id_maps_write(pid_t pid, const char *uid_map, const char *gid_map,
                     enum sp_id_map_file *which)
{
        int dir, r;

        *which = uid_map ? SP_ID_MAP_UID : SP_ID_MAP_GID;
        dir = open_child_proc(pid);
        if (dir < 0)
                return dir;
        r = write_maps(dir, uid_map, gid_map, which);
        close(dir);
        return r;
}

const char *sp_ns_names(unsigned long flags, char *buf, size_t size)
{
        static const struct {
                unsigned long flag;
                const char *name;
        } names[] = {
                { CLONE_NEWUSER, "user" },     { CLONE_NEWNS, "mount" },  { CLONE_NEWPID, "pid" },
                { CLONE_NEWNET, "net" },       { CLONE_NEWUTS, "uts" },   { CLONE_NEWIPC, "ipc" },
                { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
        };
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if ((flags & names[i].flag) && len < size)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                                                names[i].name);
        return buf;
}
