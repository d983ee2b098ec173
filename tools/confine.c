/* Issue 14, confinement on the command line, as setpriv(1) (util-linux 2.40) spells it:
 * --seccomp-filter FILE (a raw BPF program: an array of struct sock_filter, as setpriv
 * --seccomp-filter reads it), --landlock-access fs[:ACCESS,...] and --landlock-rule
 * path-beneath:ACCESS,...:PATH.  The ruleset is made here, the library restricts the program
 * with it.
 *
 * No <linux/landlock.h>: the musl toolchain has no kernel headers, and its layouts are Linux's
 * ABI; a BPF program's layout is shared with the library (src/sock-filter.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "../src/sock-filter.h"

/* The kernel's Landlock interface (linux/landlock.h): the same numbers on every
 * architecture. */
#define SYS_LANDLOCK_CREATE_RULESET 444
#define SYS_LANDLOCK_ADD_RULE 445
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define LANDLOCK_RULE_PATH_BENEATH 1

struct ruleset_attr {
        uint64_t handled_access_fs; /* the first member; the kernel takes a shorter struct */
};

struct path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

/* setpriv's names, in the kernel's bit order (LANDLOCK_ACCESS_FS_*), with the ABI version
 * that brought each. */
static const struct {
        const char *name;
        int abi;
} fs_access[] = {
        { "execute", 1 },    { "write-file", 1 },  { "read-file", 1 }, { "read-dir", 1 },
        { "remove-dir", 1 }, { "remove-file", 1 }, { "make-char", 1 }, { "make-dir", 1 },
        { "make-reg", 1 },   { "make-sock", 1 },   { "make-fifo", 1 }, { "make-block", 1 },
        { "make-sym", 1 },   { "refer", 2 },       { "truncate", 3 },
};
#define N_FS_ACCESS (sizeof fs_access / sizeof fs_access[0])
/* What a regular file (not a directory) can be given by a rule. */
#define FILE_ACCESS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14))

/* "read-file,write-file" into bits; -1 naming the first unknown word. */
static int parse_access_list(const char *opt, const char *list, uint64_t *ret)
{
        uint64_t bits = 0;
        const char *p = list;

        for (;;) {
                size_t len = strcspn(p, ",");
                size_t i;

                for (i = 0; i < N_FS_ACCESS; i++)
                        if (strlen(fs_access[i].name) == len &&
                            strncmp(fs_access[i].name, p, len) == 0)
                                break;
                if (i == N_FS_ACCESS) {
                        say("%s: unknown file system access '%.*s' (execute, write-file, "
                            "read-file, read-dir, remove-dir, remove-file, make-char, make-dir, "
                            "make-reg, make-sock, make-fifo, make-block, make-sym, refer, "
                            "truncate)",
                            opt, (int)len, p);
                        return -1;
                }
                bits |= 1ULL << i;
                if (p[len] == '\0')
                        break;
                p += len + 1;
        }
        *ret = bits;
        return 0;
}

/* The whole file, which must hold whole instructions, at least one and at most the
 * kernel's BPF_MAXINSNS. */
static int read_filter(struct options *o, const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t max = (BPF_MAXINSNS + 1) * sizeof(struct sock_filter), len = 0;
        unsigned char *buf = NULL;
        ssize_t n = 0;

        if (fd < 0) {
                say("--seccomp-filter %s: %s", path, strerror(errno));
                return -1;
        }
        buf = malloc(max);
        while (buf && len < max && (n = read(fd, buf + len, max - len)) != 0) {
                if (n < 0 && errno != EINTR)
                        break;
                len += n > 0 ? (size_t)n : 0;
        }
        close(fd);
        if (!buf || n < 0) {
                say("--seccomp-filter %s: %s", path, buf ? strerror(errno) : "out of memory");
                free(buf);
                return -1;
        }
        if (len == 0 || len % sizeof(struct sock_filter) || len > BPF_MAXINSNS * 8) {
                say("--seccomp-filter %s: %zu bytes%s are not a BPF program of 1 to %d "
                    "instructions of %zu bytes",
                    path, len, len == max ? " or more" : "", BPF_MAXINSNS,
                    sizeof(struct sock_filter));
                free(buf);
                return -1;
        }
        free(o->seccomp_insns);
        o->seccomp_file = path;
        o->seccomp_insns = buf;
        o->seccomp_len = (unsigned short)(len / sizeof(struct sock_filter));
        return 0;
}

static int add_landlock_access(struct options *o, const char *arg)
{
        uint64_t bits;

        if (strcmp(arg, "fs") == 0) {
                o->landlock_all_fs = true;
                o->has_landlock = true;
                return 0;
        }
        if (strncmp(arg, "fs:", 3) != 0) {
                say("--landlock-access %s: expected fs or fs:ACCESS[,ACCESS]...", arg);
                return -1;
        }
        if (parse_access_list("--landlock-access", arg + 3, &bits) < 0)
                return -1;
        o->landlock_handled |= bits;
        o->has_landlock = true;
        return 0;
}

static int add_landlock_rule(struct options *o, const char *arg)
{
        static const char prefix[] = "path-beneath:";
        const char *list = arg + sizeof prefix - 1, *colon;
        struct landlock_rule_opt *rules, *r;
        char *words;
        uint64_t bits;

        if (strncmp(arg, prefix, sizeof prefix - 1) != 0 || !(colon = strchr(list, ':')) ||
            colon == list || !colon[1]) {
                say("--landlock-rule %s: expected path-beneath:ACCESS[,ACCESS]...:PATH", arg);
                return -1;
        }
        words = strndup(list, (size_t)(colon - list));
        if (!words || parse_access_list("--landlock-rule", words, &bits) < 0) {
                if (!words)
                        say("out of memory");
                free(words);
                return -1;
        }
        free(words);
        rules = realloc(o->landlock_rules, (o->n_landlock_rules + 1) * sizeof *rules);
        if (!rules) {
                say("out of memory");
                return -1;
        }
        o->landlock_rules = rules;
        r = &rules[o->n_landlock_rules++];
        r->access = bits;
        r->path = colon + 1;
        return 0;
}

int confine_option(struct options *o, int opt, const char *arg)
{
        switch (opt) {
        case CONFINE_OPT_SECCOMP_FILTER:
                return read_filter(o, arg);
        case CONFINE_OPT_LANDLOCK_ACCESS:
                return add_landlock_access(o, arg);
        default:
                return add_landlock_rule(o, arg);
        }
}

/* A rule may only allow what the ruleset handles: checked before anything is made. */
int confine_check(const struct options *o)
{
        for (size_t i = 0; i < o->n_landlock_rules; i++) {
                const struct landlock_rule_opt *r = &o->landlock_rules[i];

                if (!o->has_landlock) {
                        say("--landlock-rule needs --landlock-access: a rule allows what the "
                            "ruleset would deny");
                        return -1;
                }
                if (!o->landlock_all_fs && (r->access & ~o->landlock_handled)) {
                        say("--landlock-rule for %s allows access that no --landlock-access "
                            "restricts",
                            r->path);
                        return -1;
                }
        }
        return 0;
}

void confine_free(struct options *o)
{
        free(o->seccomp_insns);
        free(o->landlock_rules);
}

static void print_access(FILE *out, uint64_t bits)
{
        const char *sep = "";

        for (size_t i = 0; i < N_FS_ACCESS; i++) {
                if (bits & (1ULL << i)) {
                        fprintf(out, "%s%s", sep, fs_access[i].name);
                        sep = ",";
                }
        }
}

int confine_print(const struct options *o, FILE *out)
{
        if (o->seccomp_insns)
                fprintf(out, "# --seccomp-filter %s: %u BPF instructions, installed last\n",
                        o->seccomp_file, (unsigned)o->seccomp_len);
        if (o->has_landlock) {
                fputs("# --landlock-access fs", out);
                if (!o->landlock_all_fs) {
                        fputc(':', out);
                        print_access(out, o->landlock_handled);
                }
                fputc('\n', out);
        }
        for (size_t i = 0; i < o->n_landlock_rules; i++) {
                fputs("# --landlock-rule path-beneath:", out);
                print_access(out, o->landlock_rules[i].access);
                fprintf(out, ":%s\n", o->landlock_rules[i].path);
        }
        return 0;
}

#ifdef __linux__
/* Every access the running kernel knows (its ABI version), or 0 having said why not. */
static uint64_t kernel_fs_access(void)
{
        long abi = syscall(SYS_LANDLOCK_CREATE_RULESET, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        uint64_t bits = 0;

        if (abi < 0) {
                say("--landlock-access: %s",
                    errno == ENOSYS       ? "this kernel has no Landlock (Linux 5.13 brought it)"
                    : errno == EOPNOTSUPP ? "Landlock is disabled in this kernel"
                                          : strerror(errno));
                return 0;
        }
        for (size_t i = 0; i < N_FS_ACCESS; i++)
                if (fs_access[i].abi <= abi)
                        bits |= 1ULL << i;
        return bits;
}

static int add_rule(int ruleset, const struct landlock_rule_opt *r)
{
        struct path_beneath_attr attr = { .allowed_access = r->access };
        struct stat st;
        int e;

        attr.parent_fd = open(r->path, O_PATH | O_CLOEXEC);
        if (attr.parent_fd < 0 || fstat(attr.parent_fd, &st) < 0) {
                e = errno;
                say("--landlock-rule: %s: %s", r->path, strerror(e));
                if (attr.parent_fd >= 0)
                        close(attr.parent_fd);
                return -1;
        }
        /* The kernel refuses directory accesses on a file (EINVAL): say so in words. */
        if (!S_ISDIR(st.st_mode) && (r->access & ~FILE_ACCESS)) {
                say("--landlock-rule: %s is not a directory: only execute, write-file, "
                    "read-file and truncate apply to it",
                    r->path);
                close(attr.parent_fd);
                return -1;
        }
        if (syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
                e = errno;
                say("--landlock-rule: %s: %s", r->path, strerror(e));
                close(attr.parent_fd);
                return -1;
        }
        close(attr.parent_fd);
        return 0;
}

static int make_ruleset(const struct options *o)
{
        uint64_t known = kernel_fs_access();
        struct ruleset_attr attr;
        int fd;

        if (!known)
                return -1;
        attr.handled_access_fs = o->landlock_all_fs ? known : o->landlock_handled;
        if (attr.handled_access_fs & ~known) {
                say("--landlock-access: this kernel's Landlock cannot restrict all of: "
                    "refer needs Landlock ABI 2, truncate ABI 3");
                return -1;
        }
        fd = (int)syscall(SYS_LANDLOCK_CREATE_RULESET, &attr, sizeof attr, 0);
        if (fd < 0) {
                say("--landlock-access: cannot make the ruleset: %s", strerror(errno));
                return -1;
        }
        for (size_t i = 0; i < o->n_landlock_rules; i++) {
                struct landlock_rule_opt r = o->landlock_rules[i];

                /* "fs" handles what this kernel knows: a rule cannot allow more. */
                r.access &= attr.handled_access_fs;
                if (add_rule(fd, &r) < 0) {
                        close(fd);
                        return -1;
                }
        }
        return fd;
}
#else
static int make_ruleset(const struct options *o)
{
        (void)o;
        say("--landlock-access: Landlock is Linux's alone");
        return -1;
}
#endif

int confine_apply(subproc *c, const struct options *o, bool dry_run, int *ret_ruleset)
{
        struct sock_fprog prog;

        *ret_ruleset = -1;
        if (o->seccomp_insns) {
                prog.len = o->seccomp_len;
                prog.filter = o->seccomp_insns;
                subproc_set_seccomp(c, &prog);
        }
        /* A dry run makes no ruleset: it opens none of the paths. */
        if (!o->has_landlock || dry_run)
                return 0;
        *ret_ruleset = make_ruleset(o);
        if (*ret_ruleset < 0)
                return -1;
        subproc_set_landlock(c, *ret_ruleset);
        return 0;
}
