/* The builder's namespace options (issue 14): which new namespaces the child is born in
 * (subproc_unshare) and the id maps of a new user namespace (subproc_set_id_maps), whose
 * text is checked here, where a bad line can still be named. */
#include "command.h"
#include "namespaces.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void subproc_unshare(subproc *c, unsigned long clone_flags)
{
        if (sp_command_broken(c))
                return;
        if (clone_flags & ~SP_NS_ALL)
                sp_command_fail(c, EINVAL,
                                "unshare: unknown clone flags 0x%lx (only the "
                                "CLONE_NEW* namespace flags)",
                                clone_flags & ~SP_NS_ALL);
        else
                c->cfg.unshare_flags = clone_flags;
}

/* One number of a map line: decimal digits, below 2^32.  Returns the end, NULL if bad. */
static const char *parse_id(const char *p, unsigned long long *ret)
{
        unsigned long long v = 0;
        const char *start;

        while (*p == ' ' || *p == '\t')
                p++;
        start = p;
        while (*p >= '0' && *p <= '9') {
                v = v * 10 + (unsigned)(*p - '0');
                if (v > 0xffffffffULL)
                        return NULL;
                p++;
        }
        *ret = v;
        return p == start ? NULL : p;
}

/* 0 when `text` is a map the kernel can take, else -1 with the command broken. */
static int check_map(subproc *c, const char *name, const char *text)
{
        const char *p = text;
        unsigned line = 0;

        if (!*text) {
                sp_command_fail(c, EINVAL, "%s is empty", name);
                return -1;
        }
        if (strlen(text) >= SP_ID_MAP_MAX_BYTES) {
                sp_command_fail(c, EINVAL, "%s is %zu bytes (the kernel takes under %d)", name,
                                strlen(text), SP_ID_MAP_MAX_BYTES);
                return -1;
        }
        while (*p) {
                unsigned long long inside, outside, count;

                line++;
                if (line > SP_ID_MAP_MAX_LINES) {
                        sp_command_fail(c, EINVAL, "%s has more than %d lines", name,
                                        SP_ID_MAP_MAX_LINES);
                        return -1;
                }
                if (!(p = parse_id(p, &inside)) || !(p = parse_id(p, &outside)) ||
                    !(p = parse_id(p, &count))) {
                        sp_command_fail(c, EINVAL,
                                        "%s line %u: not three numbers below 2^32 "
                                        "(INSIDE OUTSIDE COUNT)",
                                        name, line);
                        return -1;
                }
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p && *p != '\n') {
                        sp_command_fail(c, EINVAL, "%s line %u: more than three numbers", name,
                                        line);
                        return -1;
                }
                if (count == 0 || inside + count > 0x100000000ULL ||
                    outside + count > 0x100000000ULL) {
                        sp_command_fail(c, EINVAL,
                                        "%s line %u: a range of %llu ids from %llu "
                                        "(inside) or %llu (outside) is empty or "
                                        "past 2^32",
                                        name, line, count, inside, outside);
                        return -1;
                }
                if (*p == '\n')
                        p++;
        }
        return 0;
}

static int copy_map(subproc *c, const char *text, char **ret)
{
        *ret = NULL;
        if (!text)
                return 0;
        *ret = strdup(text);
        if (!*ret) {
                sp_command_fail(c, ENOMEM, "out of memory setting the id maps");
                return -1;
        }
        return 0;
}

void subproc_set_id_maps(subproc *c, const char *uid_map, const char *gid_map)
{
        char *uid_copy, *gid_copy;

        if (sp_command_broken(c))
                return;
        if ((uid_map && check_map(c, "uid_map", uid_map) < 0) ||
            (gid_map && check_map(c, "gid_map", gid_map) < 0))
                return;
        if (copy_map(c, uid_map, &uid_copy) < 0)
                return;
        if (copy_map(c, gid_map, &gid_copy) < 0) {
                free(uid_copy);
                return;
        }
        free(c->cfg.uid_map);
        free(c->cfg.gid_map);
        c->cfg.uid_map = uid_copy;
        c->cfg.gid_map = gid_copy;
}
