/* Temp files and directories, whole-fd reads and writes, and the byte patterns and texts the
 * helper writes.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_FILES_H
#define T_SUPPORT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Temp files and directories under $TMPDIR (or /tmp); malloc'd paths. */
char *t_make_temp_file(const void *content, size_t len, mode_t mode);
char *t_make_temp_dir(void);
/* Unique path of a file that does not exist yet. */
char *t_make_temp_path(void);
/* Read a whole fd (to EOF) or file; the buffer is NUL-terminated; *len may be NULL. */
char *t_read_fd_all(int fd, size_t *len);
char *t_read_file_all(const char *path, size_t *len);
void t_write_fd_all(int fd, const void *data, size_t len);

/* What --interleave=N writes to one shared pipe or file: "out 0\nerr 1\nout 2\n..."
 * (malloc'd); and the half of it on one stream (odd: stderr's lines). */
char *t_expected_interleave(int lines);
char *t_expected_interleave_half(int lines, bool odd);

/* A malloc'd buffer of `len` pattern bytes (see helper_pattern_byte()). */
char *t_make_pattern(char seed, size_t len);
/* A checksum as the helper prints it ("%016llx") into `buf`. */
void t_format_checksum(char buf[17], uint64_t sum);
/* The same of the checksum of `len` bytes, malloc'd. */
char *t_checksum_text(const void *data, size_t len);

/* Wait up to timeout_ms until `fd` is readable (or at EOF). */
bool t_wait_readable(int fd, int timeout_ms);
/* Read exactly `len` bytes from `fd` within timeout_ms; fails the test otherwise. */
void t_read_exact(int fd, void *buf, size_t len, int timeout_ms);
/* Create (mode 0644 less the umask) or truncate `path`, following symlinks and keeping an
 * existing file's owner and mode (an attacker writes a file it does not own), and write `len`
 * bytes of `content`. */
void t_write_file(const char *path, const void *content, size_t len);

bool t_file_exists(const char *path);
/* A temp directory anyone may write into, for marker files of children that drop
 * privileges; malloc'd. */
char *t_open_dir(void);
/* dir/name, malloc'd. */
char *t_path(const char *dir, const char *name);
/* Remove dir with the files of the NULL-terminated list of names (absent ones are fine), and
 * free dir. */
void t_remove_dir(char *dir, const char *const *names);

#ifdef __linux__
/* The mount point of the cgroup v2 hierarchy: /sys/fs/cgroup (unified), else the first
 * cgroup2 mount (a hybrid system's /sys/fs/cgroup/unified); malloc'd, or NULL. */
char *t_cgroup2_root(void);
#endif

#endif /* T_SUPPORT_FILES_H */
