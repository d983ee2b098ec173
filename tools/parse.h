/* Parsing the values of the subproc tool's options.  Every function is pure parsing (or a
 * lookup in the user and group databases): it returns 0 and writes its outputs, or -1 with
 * errno set (EINVAL for garbage, ERANGE for overflow) and the outputs untouched.  Nothing
 * here prints; the caller names the bad input. */
#ifndef SUBPROC_TOOL_PARSE_H
#define SUBPROC_TOOL_PARSE_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

/* "500ms", "2s", "1.5m", "1h", "1d", or a plain number of seconds; fractions allowed.  A
 * positive duration shorter than a millisecond rounds up to 1 ms; 0 stays 0.  The result is
 * always below UINT_MAX, which subproc_set_timeout() reserves for SUBPROC_NO_KILL. */
int parse_duration(const char *s, unsigned *ret_ms);

/* "TERM", "SIGTERM" (any case) or "15". */
int parse_signal(const char *s, int *ret_sig);

/* "NAME=LIMIT" (soft and hard), "NAME=SOFT:HARD", "NAME=SOFT:" or "NAME=:HARD" (the other
 * one stays as this process has it), with NAME as prlimit(1) spells it (any case, with or
 * without "RLIMIT_") and each limit a number, "unlimited" or "infinity". */
int parse_rlimit(const char *s, int *ret_resource, rlim_t *ret_soft, rlim_t *ret_hard);

/* A user name from the passwd database, or a number. */
int parse_uid(const char *s, uid_t *ret_uid);

/* parse_uid(), and the passwd entry of that uid: *ret_has_passwd tells whether a passwd
 * entry names that user (always, for a name), *ret_gid is then its primary group. */
int parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid, bool *ret_has_passwd);

/* A group name from the group database, or a number. */
int parse_gid(const char *s, gid_t *ret_gid);

/* An octal mode of at most 0777, as umask(1) takes it. */
int parse_umask(const char *s, mode_t *ret_mask);

/* A decimal fd number, 0 or more. */
int parse_fd(const char *s, int *ret_fd);

#endif /* SUBPROC_TOOL_PARSE_H */
