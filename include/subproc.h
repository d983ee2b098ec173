/* subproc: spawn and supervise child processes safely and fast.
 *
 * SPDX-License-Identifier: MIT
 *
 * Lifecycle of a command
 * ----------------------
 *  1. Create it: subproc_new(), subproc_new_argv() or subproc_new_args().  These never return
 *     NULL.
 *  2. Build it: add arguments, environment, cwd, fds, buffers.  Builder calls never fail on
 *     their own: the first bad argument or failed allocation is remembered, every later builder
 *     call on that command does nothing, and the error is reported by subproc_run(),
 *     subproc_run_async() or subproc_to_string().
 *  3. Run it, either
 *       - subproc_run(): start, feed and capture buffers, wait; or
 *       - subproc_run_async(), then subproc_wait() (which also handles buffers) or
 *         subproc_abort().
 *  4. Run it again if you like: a finished command can be rerun with the same result.
 *  5. Free it with subproc_free(), which kills and reaps a child that is still running unless
 *     its pid was handed to the caller by subproc_run_async().
 *
 * The declarations below follow that order: 1. build a command, 2. run it, 3. observe and
 * control it while it runs or after, and free it; then 4. the process and pidfile utilities
 * that need no command, and 5. errors.
 *
 * What the child gets
 * -------------------
 *  - argv exactly as built; no shell is ever involved.  A bare binary name is resolved against
 *    the *caller's* PATH, in the caller, before the child starts.
 *  - The caller's environment, unless an env function was called (then exactly the variables
 *    passed or set).
 *  - /dev/null on fds 0, 1 and 2 unless redirected, the fds passed with subproc_pass_fd() (or
 *    under other numbers, subproc_pass_fd_as()) and send-buffer pipes, and no other fd (but
 *    the pidfile's, see subproc_set_pidfile()).
 *  - argv[0] as built, unless subproc_set_argv0() gives the child another.
 *  - Every signal disposition at SIG_DFL and an empty signal mask.
 *
 * The caller's fds
 * ----------------
 * The library's own fds in the caller (pipes, memory files, /dev/null, pidfds) are
 * close-on-exec and never numbered 0, 1 or 2, even when the caller has closed those: its
 * stdio numbers stay free for it (a send buffer's fd is 3 or above).
 *
 * Errors
 * ------
 * Functions that fail return -1 (or NULL: subproc_to_string()), set errno, and leave a
 * one-line message for the calling thread in subproc_errmsg().  Bad arguments and
 * combinations that cannot work (a pipe for the caller in subproc_run(), a daemon started
 * with subproc_run_async(), an environment name that is empty or holds '=', an output set
 * twice, ...) give EINVAL.  The library never prints and never exits.
 * A child that exits non-zero or dies by a signal when that was not allowed is reported with
 * errno EIO (see subproc_run()).
 *
 * Threads and signals
 * -------------------
 * A command is not thread-safe: use one command from one thread at a time.  Different
 * commands may be built and run from different threads at once.  The library never installs a
 * signal handler (unless a loop asks for one: subproc_loop_use_sigchld()) and never reaps a pid
 * it did not start.  A caller that sets SIGCHLD to
 * SIG_IGN, or reaps every child in a handler with waitpid(-1), takes the exit status away:
 * waits then fail with ECHILD and a message saying so, after the buffers are delivered.  No
 * function is async-signal-safe unless its documentation says so.
 */
#ifndef SUBPROC_H
#define SUBPROC_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SUBPROC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define SUBPROC_SENTINEL __attribute__((sentinel))
#define SUBPROC_EXPORT __attribute__((visibility("default")))
#else
#define SUBPROC_PRINTF(fmt, args)
#define SUBPROC_SENTINEL
#define SUBPROC_EXPORT
#endif

#define SUBPROC_VERSION_MAJOR 0
#define SUBPROC_VERSION_MINOR 1
#define SUBPROC_VERSION_MICRO 0
#define SUBPROC_VERSION_STRING "0.1.0"

/* An opaque command: what to run and how, plus the state of its last or current run. */
typedef struct subproc subproc;

/* =======================================================================================
 * 1. Build a command: what to run and how.  Nothing in this part starts a process or fails on
 * the spot: the first error is kept and reported by the run (see "Lifecycle of a command").
 * ===================================================================================== */

/* ---------------------------------------------------------------------------------------
 * Construction: a new command for a binary, with its first arguments.
 *
 * Setting an option twice.  A setter that takes a value (cwd, pidfile, timeout, cgroup, umask,
 * uid, gid, death signal, hook, capture limit, a resource limit of one resource, ...) takes the
 * latest call, so a command can be adjusted between runs.  Switches without a value
 * (subproc_daemonize(), subproc_require_handshake(), ...) may be repeated.  Lists grow:
 * arguments, environment entries, passed fds, send buffers.  The one exception is where a
 * stream goes (input, output, error): it is set once, and a second call is a deferred EINVAL
 * naming the stream ("the output is set twice"), because the first destination, a pointer or fd
 * of the caller's, would be silently left unused.
 * ------------------------------------------------------------------------------------- */

/* Create a command that runs `binary` with argv[0] == binary.
 * binary: an absolute or relative path (contains '/'), or a bare name looked up in the caller's
 *   PATH when the command runs (absolute entries only).  Copied; the caller keeps its string.
 *   A name found nowhere fails the run with ENOENT; with EACCES, as execvp() and Python say
 *   it, when a match cannot be run (the message names it) or when a PATH directory could not
 *   be searched (the message says the name was not found and names the directory: the
 *   program may be in there); with another lookup error (ELOOP...) naming its directory.
 * Returns: a command owned by the caller (free it with subproc_free()); never NULL.  A NULL or
 *   empty binary, or a failed allocation, is reported when the command runs.
 * Thread safety: safe.  Async-signal safety: no (allocates). */
SUBPROC_EXPORT subproc *subproc_new(const char *binary);

/* Create a command from a NULL-terminated argv; argv[0] is the binary (see subproc_new()).
 * Every string is copied.  Returns a command owned by the caller (free it with subproc_free());
 * never NULL.  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT subproc *subproc_new_argv(const char *const *argv);

/* Create a command from the binary and a NULL-terminated list of further arguments.
 * Example: subproc_new_args("/bin/echo", "hello", "world", NULL).
 * Returns a command owned by the caller (free it with subproc_free()); never NULL.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT subproc *subproc_new_args(const char *binary, ...) SUBPROC_SENTINEL;

/* ---------------------------------------------------------------------------------------
 * Arguments: the words after argv[0], appended in the order given.  Every string is copied.
 * A NULL string is a deferred EINVAL error.
 * Thread safety: one thread per command.  Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

/* Append one argument. */
SUBPROC_EXPORT void subproc_add_arg(subproc *c, const char *arg);

/* Append "name=value" as one argument; a NULL name or value is a deferred EINVAL. */
SUBPROC_EXPORT void subproc_add_arg_pair(subproc *c, const char *name, const char *value);

/* Append one argument built with printf-style formatting. */
SUBPROC_EXPORT void subproc_add_arg_format(subproc *c, const char *fmt, ...) SUBPROC_PRINTF(2, 3);

/* Append every argument of a NULL-terminated array (an empty array adds nothing). */
SUBPROC_EXPORT void subproc_add_arg_set(subproc *c, const char *const *args);

/* Append a NULL-terminated list of arguments. */
SUBPROC_EXPORT void subproc_add_args(subproc *c, ...) SUBPROC_SENTINEL;

/* ---------------------------------------------------------------------------------------
 * Environment: the variables the child gets.  By default the child inherits the caller's
 * whole environment as it is when the command runs.  The first call of any function below except
 * subproc_env_inherit() and subproc_env_unset() switches the command to a clean environment
 * holding only what is passed or set.  Setting a name that is already present replaces it in
 * place.  Names must be non-empty and hold no '='.
 * Thread safety: one thread per command; the functions that read the caller's environment
 * (pass, pass_common, inherit) must not race with setenv() in another thread.
 * Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

/* Pass PATH, LD_PRELOAD, LD_LIBRARY_PATH, HOME, USER, LOGNAME and TMPDIR from the caller (each
 * only if set there) and set LC_ALL=C. */
SUBPROC_EXPORT void subproc_env_pass_common(subproc *c);

/* Copy `name` from the caller's environment now, if it is set there. */
SUBPROC_EXPORT void subproc_env_pass(subproc *c, const char *name);

/* Set `name` to `value` (both copied). */
SUBPROC_EXPORT void subproc_env_set(subproc *c, const char *name, const char *value);

/* Set from a "NAME=value" string (copied); a string without '=' is a deferred EINVAL. */
SUBPROC_EXPORT void subproc_env_put(subproc *c, const char *name_equals_value);

/* Start from a copy of the caller's whole environment, taken now, so that later sets and
 * unsets edit it (env(1) without -i).  Inherited variables are not shown by to_string(). */
SUBPROC_EXPORT void subproc_env_inherit(subproc *c);

/* Give the child an empty environment (env -i); later sets and passes add to it. */
SUBPROC_EXPORT void subproc_env_clear(subproc *c);

/* Remove `name` from the child's environment (a no-op if it is not there).  On a command whose
 * environment was not touched yet this first does subproc_env_inherit(), so the child gets
 * everything but `name`. */
SUBPROC_EXPORT void subproc_env_unset(subproc *c, const char *name);

/* ---------------------------------------------------------------------------------------
 * Working directory: where the child starts.
 * ------------------------------------------------------------------------------------- */

/* Run the child in `dir` (copied).  A relative binary (one with a '/' that does not start
 * with '/') is then found relative to `dir`, as with env -C.  A directory that cannot be
 * entered makes the run fail with the errno of chdir(2) and a message naming "chdir".  Setting
 * it again replaces it. Thread safety: one thread per command.  Async-signal safety:
 * no. */
SUBPROC_EXPORT void subproc_set_cwd(subproc *c, const char *dir);

/* ---------------------------------------------------------------------------------------
 * File descriptors: what the child gets on fds 0, 1, 2 and above, and pipes to the caller.
 * By default the child gets /dev/null on 0, 1 and 2 and every other fd is closed.
 * Thread safety: one thread per command.  Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

enum {
        SUBPROC_PASS_FD_CLOSE_PARENT = 1 << 0, /* close the caller's fd once the child started */
};

/* Give the child the caller's `fd` under the same number.  fd must be >= 3 (use the stdio
 * setters for 0..2); a smaller or negative fd is a deferred EINVAL.  Without
 * SUBPROC_PASS_FD_CLOSE_PARENT the caller keeps ownership and the fd is passed again on every
 * run.  With it, the library owns the fd from this call on: it is closed after the next spawn
 * (even a failed one, and even when the command carries a deferred error) or by
 * subproc_free(), and is not passed again on a rerun.  An fd that is not open when the command
 * runs fails the run with EBADF, naming the fd. */
SUBPROC_EXPORT void subproc_pass_fd(subproc *c, int fd, unsigned flags);

/* Keep every fd the caller has without close-on-exec open in the child, under its number, as
 * fork+exec would (make's jobserver fds, `prog 3>log`), instead of closing all but 0-2 and the
 * passed ones.  The library's own fds are close-on-exec and never reach the program.  Costs
 * nothing per fd (nothing is closed).  Not with a handshake or a pre-exec hook (a deferred
 * EINVAL at the run), whose child must close what it does not pass before it waits or runs
 * the hook.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_pass_inherited_fds(subproc *c);

/* Give the child the caller's own 0, 1 and 2 for the streams not set otherwise, instead of
 * /dev/null (console jobs); one the caller has closed stays closed in the program (nothing,
 * not even the pidfile's lock, takes its number), and so does one marked close-on-exec, as
 * exec would treat it (every fd of the library's is: one of another thread's runs that sits
 * on a number the caller closed, for an instant, is never taken for the caller's).  Thread
 * safety: one thread per command.
 * Async-signal safety: no. */
SUBPROC_EXPORT void subproc_inherit_stdio(subproc *c);

/* Use the caller's `fd` as the child's stdin.  The caller keeps ownership.  A negative fd, or
 * setting stdin twice (fd or buffer), is a deferred EINVAL. */
SUBPROC_EXPORT void subproc_set_input_fd(subproc *c, int fd);

/* Redirect the child's stdout.  If *fd >= 0 when this is called, the child writes to the fd
 * that *fd holds when the command runs (the caller keeps ownership).  If *fd == -1 when this
 * is called, every run makes a new pipe and stores its read end in *fd once the child has
 * started; the caller owns that fd and must close it.  A pipe for the caller is only
 * possible with subproc_run_async(): subproc_run() refuses it, as nobody would read it.
 * `fd` must stay valid until the command is freed. */
SUBPROC_EXPORT void subproc_set_output_fd(subproc *c, int *fd);

/* The same for stderr.  Passing the same pointer as to subproc_set_output_fd() gives stdout
 * and stderr one shared fd or pipe. */
SUBPROC_EXPORT void subproc_set_error_fd(subproc *c, int *fd);

/* Give the child a pipe on stdin that the caller writes, as it likes and for as long as it
 * likes, while the run serves everything else (GLib's STDIN_PIPE, Python's stdin=PIPE).  Sets
 * *fd = -1 now; every run that starts a child stores the pipe's write end in *fd.  From then
 * on that fd is the caller's alone: the library never writes it, never closes it (not on a
 * rerun, not in subproc_free()), so the caller closes it, which is the child's EOF, in every
 * case, also once the child has gone.  A run that fails to start made no pipe, or closed it,
 * and leaves *fd as it was.  A rerun overwrites *fd with a new pipe: close the last one first.
 * The fd is close-on-exec (no other child inherits it, so the EOF comes when the caller
 * closes it) and never 0, 1 or 2; it blocks, unless subproc_nonblocking_fds() is called,
 * which a caller writing from its own poll loop wants.  A write after the child has closed
 * its stdin or exited raises SIGPIPE in the caller, as any pipe does.
 * Who writes while the library serves the output (no deadlock): a poll loop of the caller's
 * with subproc_try_wait(), another thread while subproc_wait() runs,
 * or the output callback (see subproc_set_output_callback(); non-blocking then, or the child
 * may wait on a full stdout that only this thread reads).  subproc_run() refuses an input
 * pipe without an output callback (EINVAL): nobody could write it.  stdin has one source:
 * with an input fd or buffer as well, the run fails with EINVAL ("the input is set twice").
 * A NULL pointer is a deferred EINVAL.  `fd` must stay valid until the command is freed.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_input_pipe(subproc *c, int *fd);

/* Make the pipe ends created for the caller by the functions above O_NONBLOCK, and the
 * master of subproc_set_pty(). */
SUBPROC_EXPORT void subproc_nonblocking_fds(subproc *c);

/* The streams of subproc_set_pty(): bit n is the child's fd n. */
#define SUBPROC_PTY_STDIN (1u << 0)
#define SUBPROC_PTY_STDOUT (1u << 1)
#define SUBPROC_PTY_STDERR (1u << 2)
#define SUBPROC_PTY_ALL (SUBPROC_PTY_STDIN | SUBPROC_PTY_STDOUT | SUBPROC_PTY_STDERR)

/* Run the child on a new pseudo-terminal, as a terminal emulator or script(1) would.  Every
 * run opens a new pty pair in the caller (posix_openpt(), or TIOCGPTPEER on Linux), sets its
 * window size to `rows` x `cols` on the master before the child exists (0 x 0: left unset, as
 * the kernel makes it; only one of them 0 is EINVAL), and starts the child in a new session
 * (as subproc_set_new_session(): timeouts, subproc_kill() and subproc_abort() hit its group)
 * with the pty as its controlling terminal and as the `streams` chosen (SUBPROC_PTY_STDIN,
 * _STDOUT, _STDERR; at least one).  The slave is never left open in the caller, the master
 * never in the child; no pre-exec hook or fork is needed.  Once the child has started, *master
 * holds the master (close-on-exec; O_NONBLOCK with subproc_nonblocking_fds()), which the
 * caller owns and must close: a rerun
 * makes a new pty and overwrites *master without closing the old one.  `master` must stay
 * valid until the command is freed.  The caller reads the master for the child's output and
 * writes it for its input (^C written there, \x03, reaches the child's foreground group as
 * SIGINT when the terminal's ISIG is on, as it is by default); when the last holder of the
 * slave has exited, reads on the master fail with EIO on Linux: that is the end of the
 * output, not an error (other systems return 0).  Closing the master hangs the child up
 * (SIGHUP to its session): close it once the child is reaped, not at the end of the output,
 * which comes as soon as the child has closed its terminal, maybe still on its way out.
 * Errors at the run: EINVAL for a NULL `master`, no stream or unknown bits, a stream that
 * also has an fd, buffer or mapping set, a daemon (subproc_daemonize()) or subproc_exec()
 * (nobody would hold the master); the errno of posix_openpt() and friends when no pty can be
 * opened.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_pty(subproc *c, int *master, unsigned streams, unsigned short rows,
                                    unsigned short cols);

/* ---------------------------------------------------------------------------------------
 * Buffers and captures: data the library itself feeds to the child and collects from it.
 * Buffers, fed and captured by subproc_run(), or by subproc_wait() after subproc_run_async(), in
 * one poll loop, so a child writing much to both stdout and stderr while reading much from stdin
 * never deadlocks.  Thread safety: one thread per command.  Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

/* Feed the NUL-terminated `text` (copied, without its NUL) to the child's stdin. */
SUBPROC_EXPORT void subproc_set_input_buffer(subproc *c, const char *text);

/* Feed `len` bytes of `data` (copied; NULs allowed) to the child's stdin. */
SUBPROC_EXPORT void subproc_set_input_bytes(subproc *c, const void *data, size_t len);

/* Capture the child's stdout.  Sets *out = NULL now; after every run, successful or not, *out
 * holds a NUL-terminated string allocated with malloc (partial on error, "" if nothing was
 * written) that the caller owns and frees with free().  A rerun frees the string left by the
 * previous run first, so copy it out or set *out = NULL to keep it.  `out` must stay valid
 * until the command is freed.  Speed: output is read straight into the string, which grows by
 * doubling; from 8 MiB on (with glibc) it is advised for transparent huge pages
 * (MADV_HUGEPAGE on its own mapping only) and faulted in a few MiB ahead of the reads. */
SUBPROC_EXPORT void subproc_set_output_buffer(subproc *c, char **out);

/* The same for stderr.  The same pointer as the output buffer captures both, interleaved,
 * through one pipe. */
SUBPROC_EXPORT void subproc_set_error_buffer(subproc *c, char **err);

/* Cap what each buffer or mapping of the command may hold at `max_bytes` (0, the default: no
 * cap).  A child that writes more is neither blocked nor stopped (a timeout is what stops a
 * child): the rest of a buffer's output is read and dropped.  Once the child has ended with a
 * status that is no error of its own, the run fails with EFBIG and a message naming the
 * stream, the limit and how much was dropped; the buffer holds the first `max_bytes` (its
 * length says so).  A mapping is cut to `max_bytes` the same way, but its memory file took all
 * the child wrote: the cap spares the caller's reading, not the memory.  Only the first
 * `max_bytes` of the file are mapped, so a file of any size (a child may make it 1 TiB of hole
 * for free) still gives them, and EFBIG.  One buffer for both
 * streams is capped for both together.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_capture_limit(subproc *c, size_t max_bytes);

/* Capture the child's stdout in a memory file instead of a pipe: for big outputs, and for
 * output that must not be cut short or stall the run.  The child's stdout is an anonymous
 * memory file (memfd_create), so every byte is copied once, by the child's own write(), and
 * nothing is read back while it runs; the caller gets the file's pages mapped.
 * Sets *out = NULL now; after every run, successful or not, *out points to a private,
 * readable and writable mapping of all the child wrote, followed by a NUL (NULs inside are
 * kept; subproc_output_len() gives the length), which the caller owns and releases with
 * subproc_unmap(*out, subproc_output_len(c)) (never free()).  A rerun unmaps the one left by
 * the previous run first, so set *out = NULL to keep it.  `out` must stay valid until the
 * command is freed.
 * What the child sees differs from a pipe: its stdout is a regular file (seekable, fstat says
 * S_IFREG, writes never block, no SIGPIPE).  Once the child has exited (or been killed by a
 * timeout) the file is sealed (F_SEAL_WRITE and friends): a grandchild still holding it gets
 * EPERM for every later write, and nothing it does changes what the caller got.  Output up to
 * then is kept.  Pages are mapped in as they are read.  There is no size limit but memory.
 * The length is the file's size when the child is gone: like any file it may have holes (a
 * child that seeks past the end, or extends it with ftruncate(), which costs it nothing), and
 * holes read as zeros but take memory as they are touched, so a caller that distrusts the
 * child checks subproc_output_len() before reading everything, or sets a capture limit.  A
 * size the kernel gives no address space for (overcommit refuses a 1 TiB frame) fails the
 * run with ENOMEM, EFBIG past SIZE_MAX / 2, the message naming the size.
 * Errors: EINVAL for a NULL pointer, for a stream set twice, or for the same pointer given to
 * a mapping for one stream and a buffer for the other; ENOTSUP where memfd_create is missing
 * (macOS); a failure to map after the run fails the run (ENOMEM, EFBIG) with *out NULL. */
SUBPROC_EXPORT void subproc_set_output_mapping(subproc *c, char **out);

/* The same for stderr.  The same pointer as the output mapping captures both into one file,
 * interleaved in the order the child wrote them. */
SUBPROC_EXPORT void subproc_set_error_mapping(subproc *c, char **err);

/* Hand the child `len` bytes of `data` (copied) on a pipe that it can read to EOF.
 * Returns the fd number the child will see (for an argument such as "--config-fd=%d"), or -1
 * with errno set; a failure is also remembered as the command's deferred error.  The pipe is
 * recreated for every run and the child sees it under the same number each time.  That number
 * is never one already given with subproc_pass_fd_as(). */
SUBPROC_EXPORT int subproc_add_send_buffer(subproc *c, const void *data, size_t len);

/* The streams of subproc_set_output_callback(), as the callback is told them. */
enum {
        SUBPROC_STDOUT = 1 << 0, /* == 1, stdout's fd */
        SUBPROC_STDERR = 1 << 1, /* == 2, stderr's fd */
};

/* Flags of subproc_set_output_callback(). */
enum {
        SUBPROC_LINES = 1 << 0,        /* whole lines, not chunks as they come */
        SUBPROC_ALSO_CAPTURE = 1 << 1, /* the stream's output buffer gets everything too */
};

/* The longest piece SUBPROC_LINES delivers: a longer line comes in pieces of this size. */
#define SUBPROC_LINE_MAX 65536

/* Hand the child's output to `fn` as it arrives, while the run goes on (a build tool's
 * progress, a test runner's log, a tee).  `streams`: SUBPROC_STDOUT, SUBPROC_STDERR or both;
 * each goes through a pipe of its own, and fn(opaque, stream, data, len) is told which.
 *   - Chunks (flags without SUBPROC_LINES): each call has what one read brought, at most
 *     64 KiB; the cuts are where the pipe had them, not where the child's lines end.
 *   - SUBPROC_LINES: each call has one line with its '\n'; or, without the '\n', the first
 *     SUBPROC_LINE_MAX bytes of a longer line (the rest follows the same way), or the last
 *     line at EOF when the child did not end it.  Nothing is lost or added.
 *   - data is NUL-terminated (data[len] == '\0'; the child's own NULs are kept inside) and
 *     valid only during the call.
 *   - SUBPROC_ALSO_CAPTURE: a stream that also has an output or error buffer gets all of it
 *     there too, exactly as without a callback (the capture limit applies to the buffer only:
 *     the callback still sees every byte).  Without it, a stream with a buffer is refused.
 *   - With one buffer for stdout and stderr (the same pointer), the two come through one pipe
 *     in the child's order: the callback must take both, and is told
 *     SUBPROC_STDOUT | SUBPROC_STDERR.
 * Who calls it: the thread running subproc_run(), subproc_wait(), subproc_wait_timeout() or
 * subproc_try_wait() (and the loop functions) on this command, from inside that call, never
 * from a signal handler or another thread; SIGPIPE may be blocked meanwhile (while the run
 * feeds the child's stdin).  From fn the caller may write the input pipe
 * (subproc_set_input_pipe()), use subproc_pid() and subproc_kill() on this command and
 * anything on other commands (run them, even); it must not wait for, rerun or free this
 * command (waits fail with EDEADLK, runs with EBUSY).  subproc_abort() of this command from fn
 * ends the run once fn returns, as a non-zero return does.
 * A non-zero return ends the run at once: the callback is not called again, the child (with
 * its process group when it leads one) is stopped as by subproc_abort() (SIGTERM, a grace,
 * SIGKILL) and reaped, the buffers hold what came until then, and the call running the
 * command returns -1 with errno ECANCELED and a message naming the callback, its return
 * value and the stream (subproc_status(): -1).  After a timeout (subproc_set_timeout()),
 * while what the pipes hold is read one last time, a refusal only stops that reading: the run
 * has timed out already and fails with ETIMEDOUT.
 * Errors, at the run: EINVAL for a NULL fn, no or unknown streams or flags, a stream that goes
 * to an fd (subproc_set_output_fd()) or to a mapping (the child writes a memory file
 * directly: nothing passes through the library to call back with), a stream with a buffer
 * but no SUBPROC_ALSO_CAPTURE, SUBPROC_ALSO_CAPTURE with no buffer for the streams, and a
 * daemon or subproc_exec() (nobody is left to serve it).  Setting it again replaces it.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_output_callback(subproc *c, unsigned streams, unsigned flags,
                                                int (*fn)(void *opaque, int stream,
                                                          const char *data, size_t len),
                                                void *opaque);

/* ---------------------------------------------------------------------------------------
 * Daemons and pidfiles: start the program as a daemon, and make it hold a locked pidfile.
 * The functions that lock, read or stop a pidfile without a command are in part 4.
 * ------------------------------------------------------------------------------------- */

/* Run the command as a daemon: the child calls setsid(), forks the daemon and exits, so the
 * daemon is in its own session and is not a child of the caller.  subproc_run() returns once
 * the intermediate process has exited and the daemon has exec'd (or failed, which is reported
 * as for any child); by then the pidfile, if set, holds the daemon's pid.  The daemon's cwd is
 * "/" unless subproc_set_cwd() was called, and its stdio is /dev/null unless redirected to fds.
 * A relative binary ("./prog") is resolved against the caller's cwd before the daemon moves
 * to "/" (or relative to the cwd set with subproc_set_cwd()).
 * Only subproc_run() can start a daemon; buffers and subproc_set_death_signal() cannot be
 * combined with it (a run fails with EINVAL).  With subproc_require_handshake(), subproc_run()
 * returns once the daemon holds its pidfile and waits before exec (subproc_daemon_pid() is
 * known then); subproc_handshake_release() lets it exec, as libvirt starts QEMU.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_daemonize(subproc *c);

/* Make the process that becomes the command hold a locked pidfile at `path` (copied).  Before
 * exec it opens the file read-only (O_NOFOLLOW: a symlink is refused; created with mode 0600,
 * and an existing file loses its group and other bits once locked), takes a flock() lock that
 * survives fork and exec, writes its own pid through a second fd that it closes at once, and
 * keeps the read-only fd open across exec, so the lock lives exactly as long as the command and
 * the program (whatever uid it runs as) cannot change the file through what it was given. The
 * program therefore sees one extra read-only fd, which it must not close.  If another process
 * holds the lock, or a fcntl() write lock on the file (a daemon's own lockf(), an earlier
 * subproc's open-file-description lock), the run fails with EBUSY and a message naming the
 * holder's pid when the kernel shows it, and the file is left untouched.  Refused (the run fails,
 * the file is left untouched): a file owned by a user other than the effective uid and root, or
 * writable by group or others (EPERM, naming the reason); one with more than one hard link
 * (EMLINK); one that is not a regular file (EINVAL).  When the start fails after the pidfile was
 * written (the program was not found, a later step failed), the file is removed again if it
 * still names the failed process and nobody holds it.  Works with and without
 * subproc_daemonize().
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_pidfile(subproc *c, const char *path);

/* ---------------------------------------------------------------------------------------
 * Lifetimes: a child that does not outlive its caller.  (subproc_exit_with_parent(), in part 4,
 * does the same for the calling process.)
 * ------------------------------------------------------------------------------------- */

/* The child gets signal `sig` when the caller dies (Linux PR_SET_PDEATHSIG, FreeBSD
 * PROC_PDEATHSIG_CTL, armed in the child after every credential change, which clears it on
 * Linux).  If the caller died while the child
 * was being set up, the child exits without running the program.  On Linux the signal follows
 * the *thread* that spawned the child: if that thread exits, the child gets the signal even if
 * the process lives on; spawn from a thread that lives as long as the child should.
 * On FreeBSD it follows the caller process instead.  Not supported on macOS (no kernel death
 * signal; a watcher thread would not survive exec) nor other systems: a run fails with
 * ENOTSUP and a message saying why.  Contradicts subproc_daemonize() (a run fails with
 * EINVAL).  `sig` is 1..SIGRTMAX on systems with real-time signals (64 on Linux, 126 on
 * FreeBSD), else 1..NSIG-1 (31 on macOS); any other number fails the run with EINVAL.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_death_signal(subproc *c, int sig);

/* ---------------------------------------------------------------------------------------
 * Hook and handshake: run the caller's code in the child before exec, or stop the child before
 * exec until the caller lets it go.  Waiting for that stop and letting go are in part 2.
 * ------------------------------------------------------------------------------------- */

/* Run hook(opaque) in the child, after fds, session, pidfile, rlimits and umask are set up and
 * before chdir, dropping privileges and exec.  A non-zero return stops the child before exec;
 * the run then fails with errno set to the return value if it is a positive errno value, else
 * ECANCELED, and a message naming the hook.  The hook runs in a forked copy of the caller
 * (this command then spawns with fork(), whose cost grows with the caller's memory, and runs
 * the caller's pthread_atfork() handlers), possibly while other threads held locks: it may
 * only call async-signal-safe functions (no malloc, no stdio, no locks); set*id() and the
 * like work.  It sees the fds the program will get (0-2, the passed fds, the pidfile's) and
 * the library's close-on-exec report pipes, no other, with or without a handshake; every fd
 * it opens is closed when it returns: to hand the program an fd, dup2() it onto a number the
 * program gets (0-2 or a passed fd's).  It runs with the program's signal mask (empty, or the
 * caller's with subproc_inherit_signals()) and every handler at SIG_DFL: a child stuck in it
 * dies of SIGTERM or a hangup, and a timeout set with subproc_set_timeout() also bounds the
 * wait for it: past the deadline the child is killed (SIGKILL, it is not the program yet) and
 * subproc_run(), subproc_run_async() or subproc_handshake_wait() fail with ETIMEDOUT; a
 * daemon's too (killed through that intermediate's group, and, where the system has pidfds,
 * through one taken while its intermediate, our child, proves it has not exec'd: so a daemon
 * in a group of its own is ended only there).  In subproc_exec() the caller runs it,
 * with every signal blocked and its other fds open (close-on-exec).
 * Setting it again replaces the hook and its opaque pointer.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_pre_exec_hook(subproc *c, int (*hook)(void *opaque), void *opaque);

/* Make the child stop just before exec, with everything applied, until the caller lets it go,
 * so the caller can act on its pid first (move it into a cgroup, set limits with prlimit,
 * write id maps).  A child whose caller dies or frees the command without letting it go exits
 * without running the program.  Use with subproc_run_async(), then subproc_handshake_wait(),
 * then subproc_handshake_release().  The child is created with fork() (the caller keeps running
 * while it waits).  subproc_run() refuses it (EINVAL), except for a daemon: there
 * subproc_run() returns with the daemon waiting (see subproc_daemonize()), and a failure of
 * the daemon's exec after the release is reported by subproc_handshake_release().
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_require_handshake(subproc *c);

/* ---------------------------------------------------------------------------------------
 * Readiness and socket activation (systemd's sd_notify and sd_listen_fds protocols, Linux
 * for readiness): the program tells when it is ready, and gets its listening sockets.  Waiting
 * for readiness and what the program told are in parts 2 and 3.
 * ------------------------------------------------------------------------------------- */

/* Give the program NOTIFY_SOCKET, a socket the library makes for this run alone: a datagram
 * socket in the abstract namespace under a random name ("@subproc-notify/" and 32 hex digits;
 * nothing on disk, reachable after a daemon's chdir and under any uid), close-on-exec, so the
 * program gets only its address.  sd_notify()'s messages count only when the kernel's
 * SCM_CREDENTIALS name the program as sender (the child, or the daemon with
 * subproc_daemonize()), a descendant of it, or the pid it named with MAINPID=: systemd's
 * NotifyAccess=all, narrowed to the program's own process tree (a helper such as
 * systemd-notify counts while it runs; a sender that has exited before the datagram is read
 * cannot be placed and is ignored).  Nothing else can fake READY=1: another process that
 * learns the name is ignored (as with systemd, a process with CAP_SYS_ADMIN can forge its
 * credentials).  READY=1 ends subproc_wait_ready(); STATUS= and ERRNO= are kept
 * (subproc_ready_status(), subproc_ready_errno()); MAINPID= is honoured when it names the
 * program or a descendant (subproc_ready_main_pid()): its datagrams count from then on; it
 * does not change the process the command waits for or signals, which stays our child.  Fds
 * sent along (FDSTORE=1) are refused by the socket (Linux 6.16+, SO_PASSRIGHTS); before,
 * they are closed, which a sender can make block the wait (a socket lingering on unsent
 * data): on such kernels only programs trusted not to do that should be waited for.  The
 * caller's own NOTIFY_SOCKET is not passed on.
 * Use with subproc_run_async() or a daemon's subproc_run(), with or without the handshake.
 * Where the kernel cannot name a datagram's sender (not Linux) a run fails with ENOTSUP;
 * subproc_exec() refuses it (EINVAL: nobody would listen), and so does a new network
 * namespace (subproc_unshare() with CLONE_NEWNET: the abstract name would not reach).
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_require_ready(subproc *c);

/* Socket activation: the program gets fds[0..n) as its fds 3, 4, ... in order (dup'd, the
 * caller keeps its own; they must be open when the command runs, EBADF naming one that is not),
 * and LISTEN_FDS=n, LISTEN_FDNAMES (names[i], or "unknown" where names is NULL or names[i] is
 * NULL) and LISTEN_PID, which the process that execs sets to its
 * own pid (a daemon's is the daemon's; 1 in a new pid namespace), as sd_listen_fds() checks.
 * The caller's own LISTEN_* variables are not passed on.  Calling it again appends.  Deferred
 * EINVAL, naming the entry: n of 0 or above 1024, fds NULL, a negative fd, an fd given twice,
 * a name that is empty, longer than 255 bytes, or holds ':' or a control or non-ASCII byte.
 * Composes with subproc_pass_fd() and subproc_pass_fd_as() (their numbers must lie above the
 * listening fds: a clash fails the run with EINVAL naming both), with send buffers (a send
 * buffer added after this call never takes 3..; one added before that took such a number
 * fails the run with EINVAL), with daemonize and subproc_exec().  The program's environment
 * may hold at most 255 variables then (the child builds it on its small stack): more fail the
 * run with E2BIG.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_listen_fds(subproc *c, const int *fds, size_t n,
                                       const char *const *names);

/* ---------------------------------------------------------------------------------------
 * Privileges and limits, applied in the child before exec.  A failure to apply any of them
 * fails the run with the step named: the program never runs with more than was asked.
 * The whole order in the child: new namespaces (born in them, or unshare() first with a
 * hook) and the wait for their id maps; cgroup (unless created in it); signal handlers reset;
 * fds set up and the others closed; session or process group; [daemon: new pid namespace,
 * fork]; new cgroup and time namespaces; pidfile; rlimits; umask; scheduling (policy, nice,
 * CPU affinity, I/O priority, OOM score); hook; chdir; capability bounding set (while
 * CAP_SETPCAP is still held); PR_SET_KEEPCAPS (with subproc_keep_caps()); supplementary
 * groups; gid; uid; the other capability sets (cleared, or the kept ones, then those raised
 * into the ambient set); no_new_privs; death signal (a credential change clears it) and the
 * parent check; handshake; Landlock; seccomp filter; signal mask; exec.
 * Thread safety: one thread per command.  Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

/* Empty every capability set of the child: effective, permitted, inheritable, ambient and the
 * bounding set.  Dropping from the bounding set needs CAP_SETPCAP: a caller without it gets a
 * run that fails with EPERM (naming the bounding-set step) unless its bounding set is
 * already empty.  Linux only: elsewhere a run fails with ENOTSUP. */
SUBPROC_EXPORT void subproc_clear_caps(subproc *c);

/* Run the child as `uid` (real, effective and saved).  Supplementary groups are dropped
 * whenever a uid or gid is set, unless subproc_set_groups() or subproc_set_user() gave a list;
 * the gid stays the caller's unless set: subproc_set_user() takes the user's.
 *
 * The caller's dumpable flag (PR_GET_DUMPABLE) is the same after the run as before.  On Linux
 * the child changes its uid or gid (this or subproc_set_gid()) while it still shares the
 * caller's memory (vfork-style), and the kernel then marks that memory non-dumpable
 * (fs.suid_dumpable), as it must while a child running as the new user shares it: otherwise
 * that user could ptrace the child and read or write the caller's memory.  The library puts
 * the flag back once the child has exec'd or failed, and with several threads spawning so,
 * once the last of them has.  So for that window (the spawning thread is suspended in it;
 * ETXTBSY is not retried as another user) the caller's memory is non-dumpable: another
 * thread crashing in it writes no core, a ptrace attach or /proc/PID read by a non-root
 * process fails, and /proc/PID of a non-root caller is owned by root.  A caller whose own
 * credentials change meanwhile keeps the flag the kernel gave it; one that sets the flag
 * itself (prctl) while such a spawn is in flight may see it put back when the spawn ends.  A
 * caller whose flag is 2 (fs.suid_dumpable=2), which prctl cannot set back, gets a child
 * started with fork instead. */
SUBPROC_EXPORT void subproc_set_uid(subproc *c, uid_t uid);

/* Run the child with group `gid` (real, effective and saved) and no supplementary groups.
 * The caller's dumpable flag: as for subproc_set_uid(). */
SUBPROC_EXPORT void subproc_set_gid(subproc *c, gid_t gid);

/* Set the child's umask (0 included). */
SUBPROC_EXPORT void subproc_set_umask(subproc *c, mode_t mask);

/* Set no_new_privs in the child (Linux PR_SET_NO_NEW_PRIVS, FreeBSD 14 PROC_NO_NEW_PRIVS_CTL):
 * exec can never grant privileges (setuid bits, file capabilities).  Elsewhere a run fails
 * with ENOTSUP and a message saying why. */
SUBPROC_EXPORT void subproc_set_no_new_privs(subproc *c);

/* Set a resource limit (RLIMIT_NOFILE, RLIMIT_CORE, ...) in the child.  soft > hard or an
 * unknown resource is a deferred EINVAL; raising a hard limit needs privilege (EPERM at run).
 * Setting the same resource again replaces its values (see "Setting an option twice"). */
SUBPROC_EXPORT void subproc_set_rlimit(subproc *c, int resource, rlim_t soft, rlim_t hard);

/* ---------------------------------------------------------------------------------------
 * Identity and confinement (issue 14): who the child is, what it may do, where it lives.
 * ------------------------------------------------------------------------------------- */

/* Issue 14, identity. */

/* Run the child as `user` (a name, or a decimal uid with a passwd entry), as runuser, su and
 * start-stop-daemon --chuid do: its uid (real, effective, saved), its primary gid and its
 * supplementary groups (getgrouplist(): the primary group and every group listing the user).
 * The lookup is made here, in the caller, once: later changes to the user database do not
 * reach a command already built.  `user` is not kept.  An unknown user is a deferred EINVAL
 * naming it; a user in more groups than the system allows (NGROUPS_MAX) EINVAL too; a failed
 * lookup its errno.  It sets what subproc_set_uid(), subproc_set_gid() and subproc_set_groups()
 * set: a later call of one of those replaces that part only.  The caller's dumpable flag: as
 * for subproc_set_uid().  The child needs CAP_SETUID and CAP_SETGID (a run fails with EPERM
 * naming the step otherwise).
 * Thread safety: one thread per command; the lookup uses the reentrant getpwnam_r() and
 * getgrouplist(), which take NSS's locks.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_user(subproc *c, const char *user);

/* Give the child exactly these supplementary groups (setgroups()) instead of dropping them:
 * `groups[0..n)` is copied; n == 0 drops them all, with or without a uid.  A NULL list with
 * n > 0, a gid of -1, or more than the system allows (sysconf(_SC_NGROUPS_MAX), 65536 on
 * Linux) is a deferred EINVAL.  Setting it again replaces the list.  Needs CAP_SETGID in the
 * child (EPERM at run, naming the step).
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_groups(subproc *c, const gid_t *groups, size_t n);

/* Keep exactly these capabilities (numbers as in <linux/capability.h>: CAP_NET_BIND_SERVICE
 * is 10) across the uid change and exec: they stay permitted, inheritable and effective, and
 * are raised into the ambient set, which is what passes them on to a program without file
 * capabilities (systemd's AmbientCapabilities, setpriv --inh-caps/--ambient-caps, Go's
 * AmbientCaps).  Every other capability is cleared from those sets; the bounding set is left
 * alone unless subproc_clear_caps() is set too, which then empties it but for these.  In the
 * child, in this order: bounding set (with subproc_clear_caps()); PR_SET_KEEPCAPS (a uid change
 * away from root would otherwise empty the permitted set); groups, gid, uid; the ambient set
 * cleared; capset() to the kept set; each raised into the ambient set.  A capability below 0 or
 * above the kernel's last (/proc/sys/kernel/cap_last_cap) is a deferred EINVAL; n == 0 keeps
 * none (clearing every set but the bounding set).  A child still root (uid 0) gets the whole
 * bounding set again at exec, as the kernel gives every root exec: to keep only these as root,
 * set subproc_clear_caps() too.  The caller must hold them in its permitted
 * set (root does) and its bounding set; otherwise the run fails with EPERM naming the step.
 * Setting it again replaces the list.  Linux only: elsewhere a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_keep_caps(subproc *c, const int *caps, size_t n);

/* Issue 14, fds and argv0. */

/* Give the child the caller's `fd` under the number `child_fd` (3 or above; 0, 1 and 2 are
 * the stdio setters'), with the flags of subproc_pass_fd(), which is this call with child_fd
 * == fd.  Any permutation works, cycles included (3 -> 4, 4 -> 5, 5 -> 3), and a child_fd
 * that is another passed fd's number in the caller: the library moves such sources out of
 * the way first.  One fd may go under several numbers (with CLOSE_PARENT it is the library's
 * under all of them, closed once); passing the same pair again only adds flags.  A negative
 * fd or child_fd, a child_fd below 3, a child_fd already given from another fd, or one that a
 * send buffer uses (at run time) is a deferred EINVAL naming both numbers; with CLOSE_PARENT
 * a refused fd above 2 is closed all the same.  An fd that is not open when the command runs
 * fails the run with EBADF, naming it.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_pass_fd_as(subproc *c, int fd, int child_fd, unsigned flags);

/* What the child sees as argv[0] (copied), as `env -a` or exec -a give it: the program run is
 * still argv[0] of the command, resolved as always; only the child's argv[0] differs.  NULL
 * is a deferred EINVAL; "" is allowed.  Setting it again replaces it.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_argv0(subproc *c, const char *argv0);

/* Issue 14, scheduling.  Applied by the child after the rlimits and before the hook and the
 * privilege drop, in this order: policy, nice, CPU affinity, I/O priority, OOM score (raising
 * a priority needs privilege the child may be about to give up).  A refusal of the kernel
 * fails the run naming the step (EPERM for a priority the caller may not take). */

/* The I/O scheduling classes of subproc_set_ioprio(), the kernel's IOPRIO_CLASS_* values. */
enum {
        SUBPROC_IOPRIO_CLASS_NONE = 0, /* follow the CPU nice value */
        SUBPROC_IOPRIO_CLASS_RT = 1,   /* realtime: levels 0 (highest) .. 7; needs privilege */
        SUBPROC_IOPRIO_CLASS_BE = 2,   /* best-effort: levels 0 (highest) .. 7 */
        SUBPROC_IOPRIO_CLASS_IDLE = 3, /* only when the disk is otherwise idle; level 0 */
};

/* Run the child with nice value `nice` (-20..19; lowering it below the caller's needs
 * CAP_SYS_NICE or RLIMIT_NICE).  Outside that range: a deferred EINVAL.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_nice(subproc *c, int nice);

/* Bind the child to the CPUs of `set`, a cpu_set_t (or one from CPU_ALLOC()) of `size` bytes
 * (sizeof, or CPU_ALLOC_SIZE()), copied; declared void * so that this header needs no
 * _GNU_SOURCE.  NULL, size 0, an empty set or a size above 64 KiB is a deferred EINVAL; a set
 * with no CPU the child may use fails the run with EINVAL (sched_setaffinity).  Linux only:
 * elsewhere a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_cpu_affinity(subproc *c, const void *set, size_t size);

/* Set the child's I/O priority (ioprio_set(2), as ionice(1)): `class` one of
 * SUBPROC_IOPRIO_CLASS_*, `level` 0..7 for RT and BE, 0 for NONE and IDLE; anything else is
 * a deferred EINVAL.  Linux only: elsewhere a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_ioprio(subproc *c, int class, int level);

/* Set the child's OOM score adjustment (-1000..1000; -1000: never chosen by the OOM killer),
 * written by the child to /proc/self/oom_score_adj.  Going below the caller's own needs
 * CAP_SYS_RESOURCE (the run fails with EACCES otherwise).  Outside the range: a deferred
 * EINVAL.  The caller's own score is untouched, though the child shares its memory until
 * exec (a vfork child's write is its own).  Linux only: elsewhere a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_oom_score_adj(subproc *c, int adj);

/* Set the child's scheduling policy and static priority (sched_setscheduler(2), as chrt(1)):
 * SCHED_OTHER, SCHED_BATCH or SCHED_IDLE with priority 0, SCHED_FIFO or SCHED_RR with
 * 1..99 (sched_get_priority_min/max); SCHED_RESET_ON_FORK may be or'ed in.  Another policy
 * (SCHED_DEADLINE needs sched_setattr) or priority is a deferred EINVAL; a realtime policy
 * without CAP_SYS_NICE or RLIMIT_RTPRIO fails the run with EPERM.  Where the system has no
 * sched_setscheduler() (macOS) a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_sched(subproc *c, int policy, int priority);

/* Issue 14, namespaces. */

/* Start the child in new namespaces: `clone_flags` is any combination of CLONE_NEWUSER,
 * CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP and
 * CLONE_NEWTIME (<sched.h>); 0 starts it in the caller's again.  Any other bit is a deferred
 * EINVAL.  Linux only: elsewhere, and in a build with the portable fork() child
 * (-Dspawn=fork), a run fails with ENOTSUP.
 *
 * The child is born in them: everything the command sets up before exec happens inside
 * (the pidfile, limits, the pre-exec hook, chdir, subproc_set_uid()/_gid(), which then name
 * ids of the new user namespace).  How, and why:
 *  - USER, NS, PID, NET, UTS, IPC: flags of the clone() (clone3() with a cgroup) that creates
 *    the child, so the vfork-class spawn (CLONE_VM|CLONE_VFORK) stays, and a new pid
 *    namespace makes the child its pid 1 (unshare() would only put its children there).
 *    With a pre-exec hook the child is a fork() and calls unshare() first (a new user
 *    namespace fails there with EINVAL if an atfork handler gave the child a thread, as
 *    ThreadSanitizer's runtime does); a new pid namespace with a hook is a deferred
 *    EINVAL (it needs clone(), and the hook the fork() that glibc knows of).  With
 *    subproc_set_id_maps() the child is a raw clone() with its own memory (see there).
 *  - NS: the new mount namespace's mounts are made private first (mount --make-rprivate /,
 *    unshare(1)'s default), so that mounts made on either side never appear on the other.
 *  - CGROUP: unshare() in the child once it is in its cgroup (subproc_set_cgroup()), which
 *    is then the root it sees.
 *  - TIME: unshare() in the child (the daemon) once it is in its cgroup and session, before
 *    the rest; the program enters it at exec (clone() cannot take the flag with CLONE_VM).
 *  - A daemon (subproc_daemonize()): its intermediate is created in the namespaces but the
 *    pid one, which it unshare()s before it creates the daemon: the daemon is pid 1 there,
 *    the intermediate may exit.
 * In a new pid namespace the program is its init: the kernel ignores every signal it has no
 * handler for, except SIGKILL and SIGSTOP from outside (a timeout's SIGTERM reaches it only if
 * it catches SIGTERM; the kill_after SIGKILL always does), and when it exits every other
 * process of the namespace is killed.  The pid the caller gets (subproc_pid(), the
 * daemon's pid) and the one the pidfile holds are the pid in the caller's namespace (read
 * from /proc/self, which must be mounted), never 1.  Creating namespaces needs CAP_SYS_ADMIN
 * unless CLONE_NEWUSER is among them; a kernel that refuses fails the run with EPERM (or
 * its error: ENOSPC past user.max_*_namespaces, EINVAL where a type is not built in) and a
 * message naming the namespaces.  subproc_exec() refuses namespaces (EINVAL).
 * Setting it again replaces the flags.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_unshare(subproc *c, unsigned long clone_flags);

/* The maps of the child's new user namespace (CLONE_NEWUSER, else the run fails with
 * EINVAL), as the kernel reads /proc/PID/uid_map and gid_map: lines of three decimal numbers
 * "INSIDE OUTSIDE COUNT" (COUNT > 0, no range past 2^32, at most 340 lines, under 4096
 * bytes); bad text is a deferred EINVAL naming the line.  Either may be NULL: that map is
 * not written (the namespace's ids stay unmapped: 65534).  Both strings are copied.
 * The parent writes uid_map, then gid_map, and the child waits until they are written
 * before anything else (a kernel refusal fails the run with the file named, e.g. EPERM: the
 * caller may not map those ids).  setgroups is denied as the kernel requires: where the
 * caller is not privileged over the groups it maps (no CAP_SETGID), "deny" goes to
 * /proc/PID/setgroups before gid_map, and the program can then never call setgroups() (nor
 * can subproc_set_uid()/_gid() drop the groups: EPERM at that step).  A privileged caller's
 * child keeps setgroups() (CVE-2014-8989 concerns the unprivileged).  The parent must run
 * while the child waits, which a CLONE_VFORK parent cannot: such a child is created with a
 * raw clone() and memory of its own (the cost of a fork), not the vfork-class spawn.
 * The maps go to /proc/PID of the child, which must be a /proc of the caller's pid namespace:
 * one of another (a container that did not mount its own) names another process by that
 * number, so the run fails with ESRCH (naming uid_map, or gid_map) instead.
 * The child's own ids stay what they were: root mapping "0 1000 1" runs the program as an
 * unmapped user (65534) unless subproc_set_uid(c, 0) makes it 0 inside, 1000 outside; a user
 * with uid 1000 maps itself with "0 1000 1" as unshare --map-root-user does.  "Unmapped" is
 * only what the program sees: outside, to every file it opens, it is still the caller, so a
 * root caller's program owns root's files (it may write a root-owned 0600 file, or
 * /etc/passwd) and keeps root's groups, with no capability needed.  To run it as the mapped
 * user, set a uid and gid mapped inside (subproc_set_uid(), subproc_set_gid()).
 * "0 1000 1" makes the caller's uid 1000 root inside, as unshare --map-root-user does.
 * Setting it again replaces both maps.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_id_maps(subproc *c, const char *uid_map, const char *gid_map);

/* Issue 14, confinement. */

/* Linux's BPF program (<linux/filter.h>): a length and an array of struct sock_filter. */
struct sock_fprog;

/* Install the seccomp filter `filter` in the child, the last step before exec (after
 * no_new_privs, the handshake and Landlock; see the order above), with
 * seccomp(SECCOMP_SET_MODE_FILTER) (prctl(PR_SET_SECCOMP) before Linux 3.17).  The filter
 * governs the rest of the child's own steps too: it must allow rt_sigprocmask and execve (or
 * execveat), and write and exit_group for a failure to be reported; a filter that makes them
 * fail fails the run naming the step that failed, one that kills the child fails it with the
 * child's death.  The kernel requires no_new_privs unless the child holds CAP_SYS_ADMIN (in its
 * user namespace) at that point, as after subproc_set_uid() or subproc_clear_caps() it does
 * not: then the child sets no_new_privs itself, as systemd's SystemCallFilter= does; call
 * subproc_set_no_new_privs() to have it always.  In subproc_exec() the caller installs it on
 * itself: a failed exec leaves the caller filtered.
 * filter: the program, copied (filter->len instructions from filter->filter): the caller
 *   keeps and may free its own.  Setting it again replaces the filter.
 * Errors (deferred to the run): EINVAL for a NULL filter, a NULL program, 0 instructions or
 * more than the kernel's BPF_MAXINSNS (4096); ENOTSUP where the system has no seccomp filters
 * (not Linux, or a kernel built without them); at run, what the kernel says of the program
 * (EINVAL for one its verifier rejects) naming the step "install the seccomp filter".
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_seccomp(subproc *c, const struct sock_fprog *filter);

/* Restrict the child with the Landlock ruleset `ruleset_fd` (made by the caller with
 * landlock_create_ruleset() and landlock_add_rule()): landlock_restrict_self() just before the
 * seccomp filter and exec, so the child's own earlier steps (pidfile, chdir, hook) are not
 * restricted, but the program and all it starts are.  no_new_privs: as for
 * subproc_set_seccomp(), set by the child when the kernel requires it.  In subproc_exec() a
 * failed exec leaves the caller restricted; a seccomp filter the kernel refuses is found
 * first (tried in a throwaway child) and leaves it free.
 * ruleset_fd: the caller's, which stays open and its own: it must be open at each run, which
 * restricts the child with a close-on-exec copy of its own (the program never sees one).
 * Setting it again replaces the fd.
 * Errors: EBADF (deferred) for a negative fd and at run for a closed one; EINVAL at run for an
 * fd that is not a Landlock ruleset; ENOTSUP where the system has no Landlock (not Linux, a
 * kernel before 5.13, or Landlock left out at boot), asked of the kernel
 * (landlock_create_ruleset's version query) when the command runs; the kernel's refusal at
 * run names the step "restrict with Landlock ruleset fd N".
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_landlock(subproc *c, int ruleset_fd);

/* ---------------------------------------------------------------------------------------
 * Supervision options: how the run is bounded in time, which process group or cgroup the child
 * starts in, how its wait status is reported and which signal state it starts with.  Acting on a
 * running child is in part 3.
 * Thread safety: one thread per command.  Async-signal safety: no.
 * ------------------------------------------------------------------------------------- */

/* kill_after_ms for subproc_set_timeout(): send SIGTERM at the deadline, never SIGKILL. */
#define SUBPROC_NO_KILL ((unsigned)-1)

/* Bound the run: timeout_ms after the start (a pre-exec hook's time included: see
 * subproc_set_pre_exec_hook()), the child (its group, if it has one) gets
 * SIGTERM, then SIGKILL kill_after_ms later if it still runs (0: SIGKILL at the deadline, no
 * SIGTERM; SUBPROC_NO_KILL: SIGTERM only).  SIGCONT follows the SIGTERM, so that a stopped
 * child acts on it, as with timeout(1).  subproc_run() and subproc_wait() then fail with
 * ETIMEDOUT and a message naming the signal sent; buffers keep what was captured.  A run past
 * its deadline fails even if the child then handled SIGTERM and exited 0.  A grandchild that
 * keeps the output pipes open cannot stall the run past the deadline and the grace: once the
 * child is gone after a timeout, what the pipes hold at that moment is read (all the child
 * wrote, to the buffers and callbacks) and then they are let go.  0 disables.
 * The timeout is enforced while the library waits: in subproc_run(), subproc_wait() and
 * subproc_wait_timeout(); a caller that runs its own event loop after subproc_run_async()
 * enforces its own deadline with subproc_kill().
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_timeout(subproc *c, unsigned timeout_ms, unsigned kill_after_ms);

/* The deadline's first signal instead of SIGTERM (timeout(1)'s -s): any signal but 0.  It is
 * followed by SIGCONT and, kill_after_ms later, by SIGKILL as subproc_set_timeout() says; the
 * ETIMEDOUT message names it.  SIGKILL ends the child at the deadline.  An invalid signal
 * fails the run (EINVAL).
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_timeout_signal(subproc *c, int sig);

/* setsid() in the child: its own session and process group (it loses the controlling
 * terminal).  Timeouts, subproc_kill() and subproc_abort() then hit the whole group (with a
 * handshake too: subproc_run_async() returns once the child has made its session).
 * Descendants that leave the group (setsid(), setpgid()) escape them: a scope
 * (subproc_set_cgroup_scope()) keeps them in reach. */
SUBPROC_EXPORT void subproc_set_new_session(subproc *c);

/* setpgid(0, 0) in the child: its own process group, same session.  Timeouts, subproc_kill()
 * and subproc_abort() then hit the whole group, and the child itself (through its pidfd) if
 * it has moved to another group.  Other descendants that leave the group escape them (a
 * scope, subproc_set_cgroup_scope(), kills them too).  With
 * subproc_daemonize(), the daemon itself leads a group of its own, in the new session its
 * intermediate made. */
SUBPROC_EXPORT void subproc_set_new_process_group(subproc *c);

/* Start the child in the cgroup v2 directory `cgroup_dir` (copied), so the program never runs
 * outside it.  The run opens the directory first: one that does not exist fails the run with
 * its errno, one on no cgroup file system with EINVAL ("cgroup DIR: not a cgroup directory").
 * On Linux 5.7 and later the child is created inside the cgroup (clone3 with
 * CLONE_INTO_CGROUP).  Where that is refused (an older kernel, a sandbox, a cgroup v1
 * directory, a cgroup that refuses processes) and for a child with a pre-exec hook or a
 * handshake, the child instead writes itself into cgroup_dir/cgroup.procs before any other
 * step; a failure there fails the run with the step named ("enter cgroup DIR: ...").  A fork
 * refused with EAGAIN or ENOMEM, which may be the cgroup's own pids or memory limit, fails
 * the run without that retry.  Linux only: elsewhere a run fails with EOPNOTSUPP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_cgroup(subproc *c, const char *cgroup_dir);

/* A cgroup of the run's own, a scope (cgroup v2): each run makes a new directory
 * subproc-PID-N-RANDOM.scope under `parent_dir` (copied; mode 0755, owned by the caller's
 * effective ids), the child is born in it (as with subproc_set_cgroup()), and so are all its
 * descendants, whatever sessions or process groups they make: the scope holds the whole tree.
 * The tree is killed as a whole (cgroup.kill, Linux 5.14+; before, freeze, SIGKILL every
 * member, thaw) after a subproc_set_timeout() deadline (its SIGTERM, too, goes to every
 * member), by subproc_kill_scope(), subproc_abort(), and subproc_free() or the next run of the
 * command.  The scope is removed once empty: when the run ends with the scope empty, or after
 * such a kill.  When the child exits normally and descendants survive it, they are left
 * running and the scope stays (subproc_scope_path()) until subproc_kill_scope(), the next run
 * or subproc_free() kills them; except that a daemon's scope (subproc_daemonize(): the daemon
 * lives in it) and that of a child whose pid subproc_run_async() handed out are left to the
 * caller by subproc_free() and a rerun, not killed, as the child itself is.
 * The run refuses, before any child exists: parent_dir not a cgroup v2 directory (ENOTSUP,
 * "cgroup scope under DIR: not a cgroup v2 directory"), a symbolic link (ELOOP), one where the
 * scope cannot be made (its errno: EACCES, EROFS...), and a command that also has
 * subproc_set_cgroup() (EINVAL) or is run by subproc_exec() (EINVAL).  A name taken
 * meanwhile (someone else made it) is never reused: another is tried (EEXIST when every one
 * tried was taken).  The directory is reached through fds from then on, so renaming or
 * replacing parent_dir later cannot redirect a kill or the removal.  A NULL or empty
 * parent_dir is a deferred EINVAL.  The scope holds the tree only while the program cannot
 * write parent_dir's cgroup.procs (or an ancestor's): cgroup v2 lets a process move itself
 * to any cgroup under a common ancestor it may write, so a parent delegated to the program's
 * user (owned by it) lets the program leave the scope.  Use a parent the program's user does
 * not own.  A tracer (ptrace) can delay any kill, a scope's too, as it can timeout(1)'s.
 * Linux only: elsewhere a run fails with ENOTSUP.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_cgroup_scope(subproc *c, const char *parent_dir);

/* Keep no pidfd for the child: a running command then holds no fd of its own (with no pipes
 * or buffers set), for callers that run hundreds of children under a low RLIMIT_NOFILE.  The
 * cost: waiting polls (1 to 20 ms steps) instead of sleeping on the pidfd, subproc_pidfd()
 * returns -1, and a signal or wait goes by pid only while the child is proven unreaped and,
 * on Linux, the process of that pid started when the child did (/proc/PID/stat, in clock
 * ticks): a child reaped behind the library's back (SIGCHLD ignored, a reaping handler) whose
 * pid went to another process, even another child of the caller's, is then left alone
 * (ESRCH, ECHILD).  The gaps a pidfd closes: the moment between that check and the kill, a
 * pid reused within the same clock tick (10 ms), and, where /proc cannot give the start time
 * (not mounted, or mounted for another pid namespace), a pid that went to another child of
 * the caller's (one that is no child of the caller's is still left alone).
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_no_pidfd(subproc *c);

/* Make subproc_run(), subproc_wait() store the raw wait status, never failing on it. */
SUBPROC_EXPORT void subproc_set_raw_status(subproc *c);

/* Keep the caller's signal state for the child instead of the clean default: dispositions
 * that the caller ignores stay ignored (so `nohup` keeps working through a wrapper) and the
 * child starts with the caller's signal mask.  Handlers are still reset to SIG_DFL.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_inherit_signals(subproc *c);

/* Only the first half of subproc_inherit_signals(): dispositions the caller ignores at run time
 * stay ignored in the child (so `nohup` and `trap '' USR1` keep working through a wrapper); the
 * mask stays the default (empty) unless subproc_set_signal_mask() sets one.  Handlers are
 * still reset to SIG_DFL.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_keep_ignored_signals(subproc *c);

/* The signal mask the program starts with (copied now; signals 1..64), instead of the empty
 * default or the caller's mask of subproc_inherit_signals(), which this overrides: a program
 * that blocks SIGINT and SIGTERM outside its own wait (ninja, most event loops) can start its
 * children with nothing blocked, or with exactly what they expect.  A NULL mask is a deferred
 * EINVAL.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_set_signal_mask(subproc *c, const sigset_t *mask);

/* ---------------------------------------------------------------------------------------
 * Logging: describe the command as a shell command line, for logs and messages, without
 * running it.
 * ------------------------------------------------------------------------------------- */

/* Describe the command as one shell command line: environment changes (NAME=value, and
 * "env -u NAME" for removed inherited names) then argv, every word quoted so that pasting the
 * line into /bin/sh runs the same argv with the same environment changes.  With `linebreaks`,
 * a " \" line continuation is put before each environment entry, the binary and each option
 * (an argument starting with '-'); an option's non-option value stays on its line.
 * env(1) carries the changes when a name is not an ordinary shell identifier, is one that
 * shells treat specially (OPTIND, PPID, ...), or an inherited name was removed; then a binary
 * with '=' is run through "/usr/bin/nice -n 0 --", as env would take it for an assignment.
 * Returns: a malloc'd string the caller frees, or NULL with errno set (the command's deferred
 * error, or ENOMEM).  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT char *subproc_to_string(const subproc *c, bool linebreaks);

/* Write subproc_to_string(c, false) and a newline to `fd`.  Returns 0, or -1 with errno set
 * (a deferred error or a write error).  Thread safety: one thread per command.
 * Async-signal safety: no. */
SUBPROC_EXPORT int subproc_write_arg_log(const subproc *c, int fd);

/* =======================================================================================
 * 2. Run it: to completion, in the background, or in place of the calling process; with a
 * handshake, wait for the child to stop before exec and let it go.
 * ===================================================================================== */

/* Run the command to completion: spawn, feed and capture the buffers, wait.
 * exitstatus: NULL, or where to store the child's exit code.
 * Returns 0 on success.  -1 with errno set and a message when:
 *   - the command carries a deferred error (its errno: EINVAL, ENOMEM, ...);
 *   - the child could not be started: the errno of the failing step (ENOENT, EACCES, ENOTDIR,
 *     EBADF, ...) and a message naming the step ("exec /x: ...", "chdir /y: ...");
 *     no child is left behind.  A binary still open for writing elsewhere (ETXTBSY) is
 *     retried for 127 ms (pauses of 1, 2, 4 ... 64 ms) before the run fails with ETXTBSY,
 *     except with subproc_set_uid(): the child, already that user, could be stopped by
 *     that user (SIGSTOP) while the caller waits for its exec;
 *   - the command is already running (EBUSY);
 *   - the child exited non-zero and exitstatus is NULL, or it died by a signal and
 *     subproc_set_raw_status() was not called (EIO; the message names the command line, the exit
 *     code or signal and, when buffers were used, the tail of the child's stderr).
 * With exitstatus non-NULL a normal exit's code is stored there and is not an error; after
 * subproc_set_raw_status() the raw wait status is stored (decode with WIFEXITED() and friends)
 * and no status is an error.
 * Thread safety: one thread per command; different commands may run from many threads at
 * once.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_run(subproc *c, int *exitstatus);

/* Start the command and return at once: after the child has exec'd, or with the exec error
 * (with a handshake: as soon as the child exists; see subproc_require_handshake()).  "Exec'd"
 * as after posix_spawn(): past the point where its exec can fail, while the kernel may still be
 * finishing it for a moment (/proc/PID/comm and cmdline may not show the program yet).
 * pid: NULL, or where to store the child's pid.  With NULL the command owns the child, which
 *   is reaped by subproc_wait(), subproc_abort() or subproc_free().  With a pointer the caller
 *   also may free the command and reap the pid later with subproc_pid_wait() or
 *   subproc_pid_abort(); subproc_free() then leaves the child alone.
 * Buffers set on the command are fed and captured by subproc_wait().
 * Returns 0, or -1 with errno set as for subproc_run().
 * Thread safety: as subproc_run().  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_run_async(subproc *c, pid_t *pid);

/* Apply everything to the calling process and exec the program in place, as
 * virCommandExec does: fds, environment, cwd, pidfile (held by this process, which becomes
 * the program), limits, hook, privileges, death signal (armed against this process's parent,
 * which is what exit-with-parent wrappers want).  Returns only on failure: -1 with errno and a
 * message naming the step.  What can be undone then is: every signal disposition and handler
 * (SIGPIPE ignored stays ignored) and the signal mask; fds 0-2 and the close-on-exec flag of
 * every fd, and any fd opened on the way (the pidfile's, whose lock goes with it, and a
 * hook's) closed; the cwd, umask and death signal; resource limits as far as allowed (a
 * lowered hard limit stays lowered without CAP_SYS_RESOURCE).  What cannot be undone stays:
 * a new session or process group, dropped privileges (groups, gid, uid, capabilities,
 * no_new_privs), cgroup membership, a pidfile this process can no longer remove once its
 * privileges are dropped (otherwise the pidfile it wrote is removed), and whatever a hook did;
 * also the scheduling settings (nice, policy, CPU affinity, I/O priority, OOM score) and an fd
 * of the caller's numbered as a subproc_pass_fd_as() target (it holds that source's file then,
 * close-on-exec).
 * A signal that arrives in the instant between the reset of the handlers and the execve() (the
 * mask is emptied for the program just before it) gets the default action, as it would in the
 * program: with exec then failing, a caught signal sent
 * at that instant can end the caller.  Daemonize, the handshake and buffers cannot be used
 * (EINVAL).
 * Thread safety: only in a single-threaded process (exec replaces every thread).
 * Async-signal safety: no. */
SUBPROC_EXPORT int subproc_exec(subproc *c);

/* After subproc_run_async(): wait until the child has applied everything and waits.  Returns
 * 0; or -1 with errno and a message naming the step when the child failed before that (it is
 * then reaped).  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_handshake_wait(subproc *c);

/* Let the waiting child exec.  Returns 0 once it has exec'd, or -1 with errno and message if
 * exec failed (the child is then reaped; a daemon exits by itself).  Calling it before
 * subproc_handshake_wait() first waits.  Thread safety: one thread per command.
 * Async-signal safety: no. */
SUBPROC_EXPORT int subproc_handshake_release(subproc *c);

/* Issue 15: wait until the program sends READY=1 (subproc_require_ready()), at most
 * timeout_ms (< 0: no limit; 0: only what has come).  Buffers are served meanwhile, and the
 * command's timeout (subproc_set_timeout()) goes on: it may end the run.  Returns 0 once it
 * is ready (at once when it was already; the datagrams that came meanwhile update
 * subproc_ready_status() and the others); -1 with errno ETIMEDOUT when the time ran out, the
 * program still running; -1 with ESRCH when it exited first: the message tells its status
 * (and its last STATUS=), and our child is left to subproc_wait() (which returns at once with
 * that status; a daemon's status is nobody's to know); EINVAL without subproc_require_ready()
 * or while the child waits for the handshake (release it first); ECHILD when nothing runs.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_wait_ready(subproc *c, int timeout_ms);

/* =======================================================================================
 * 3. Observe and control a running or finished command: wait for it, ask for its status, pid,
 * pidfd or daemon's pid, signal or stop it, read the lengths of what it captured, release a
 * mapping, and free the command.
 * ===================================================================================== */

/* Finish a run started by subproc_run_async(): feed and capture the buffers, reap the child.
 * Status rules as subproc_run().  Waiting when nothing is running fails with ECHILD.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_wait(subproc *c, int *exitstatus);

/* subproc_wait() that gives up after timeout_ms (< 0: never): then -1 with errno ETIMEDOUT,
 * the child still running and still owned by the command, so it can be waited for again
 * (subproc_pid() > 0 tells this apart from a subproc_set_timeout() deadline, after which the
 * child is reaped and subproc_pid() is -1); *exitstatus is left alone.
 * Status rules (subproc_set_raw_status() included) as subproc_wait().  Buffers are
 * served meanwhile.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_wait_timeout(subproc *c, int *exitstatus, int timeout_ms);

/* Has the child exited?  For a caller with its own loop (a pidfd from subproc_pidfd() became
 * readable, a SIGCHLD came): serves the buffers with what is there, reaps the child if it has
 * exited, never blocks.  1: the run is finished, with the status rules of subproc_wait()
 * (*exitstatus filled); 0: still running, and errno and the thread's message are left as they
 * were (so the caller's own errno, from ppoll() say, survives); -1: error (a status the rules
 * refuse, or ECHILD when nothing runs), as subproc_wait().  The command's timeout escalates
 * here too, but only when this is called.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_try_wait(subproc *c, int *exitstatus);

/* The fds a run started with subproc_run_async() needs watched, for a caller that drives it
 * from its own loop (GLib, libuv, epoll, kqueue, poll): the write ends of the input and send
 * buffers (POLLOUT), the read ends of the captured buffers (POLLIN) and, once no pipe is left
 * (or after the command's timeout fired), the pidfd (POLLIN).  Entries are filled in fds[0..]
 * with revents 0.  *timeout_ms (in: the caller's own timeout, < 0 for none) is lowered to when
 * the run needs service without any fd ready: the command's timeout and its SIGTERM/SIGKILL
 * escalation, and, for a child without a pidfd whose pipes are done (subproc_no_pidfd(), old
 * kernels), a polling step of 1 to 20 ms (see subproc_loop_use_sigchld() for the way around).
 * Returns the number of entries filled (0 is possible: then only the timeout matters); with
 * fds NULL and n 0, the number of entries needed without filling any (at most 3 plus the
 * number of send buffers; *timeout_ms is lowered all the same); -1 with errno: ENOSPC (n is
 * too small: the message says how many are needed), ECHILD (nothing runs), EINVAL (NULL
 * command or timeout_ms, a broken command, or fds NULL with n > 0).  The fds belong to the
 * command: never close or read them.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_poll_fds(const subproc *c, struct pollfd *fds, int n, int *timeout_ms);

/* Serve the run after a wait on what subproc_poll_fds() gave (fds and n as returned, with the
 * revents of that wait; fds NULL with n 0 after a timeout): feeds and captures what is ready,
 * escalates the command's timeout when due, reaps the child once it has exited and its pipes
 * are done.  Exactly what subproc_wait() does, without blocking.  Call subproc_poll_fds()
 * again before the next wait: the set changes as pipes close.
 * Returns, as subproc_try_wait(): 1 when the run has ended and the status rules of
 * subproc_wait() accept it (*exitstatus filled); 0 while it runs (errno and the thread's
 * message untouched); -1 with errno when the run ended with an error (a status the rules
 * refuse, the timeout: the child is reaped either way) or for ECHILD (nothing runs) and EINVAL
 * (NULL command, a broken command, fds NULL with n > 0).  Entries whose revents are all 0 and
 * no deadline due cost no system call.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_poll_service(subproc *c, const struct pollfd *fds, int n,
                                        int *exitstatus);

/* subproc_wait() if the command still runs a child, then subproc_free(): the command is gone
 * in every case, and its child is never signalled (subproc_free() of a running command stops
 * it).  Returns subproc_wait()'s result (0 when nothing ran), with errno kept across the free.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_free_wait(subproc *c, int *exitstatus);

/* The raw wait status of the last finished run, or -1 if there was none.
 * Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT int subproc_status(const subproc *c);

/* The resources used by the child of the last finished run, as wait4() reports them at its
 * reaping (the child and the descendants it reaped): ru_utime, ru_stime, ru_maxrss (KiB on
 * Linux and FreeBSD, bytes on macOS), page faults, context switches...  Of the intermediate
 * child for a daemon run (so: nothing to report, ENOENT).  Costs nothing when not asked: the
 * kernel gives it with the reap.  Returns 0, or -1 with errno ENOENT when there is no such
 * run (none yet, a daemon, or a child reaped behind the library's back) and EINVAL for NULL.
 * Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT int subproc_rusage(const subproc *c, struct rusage *ru);

/* What a scope (subproc_set_cgroup_scope()) used, the whole tree together: its cpu.stat and
 * memory.peak. */
struct subproc_scope_stat {
        uint64_t usage_usec;  /* CPU time, user and system */
        uint64_t user_usec;   /* of which in user mode */
        uint64_t system_usec; /* of which in the kernel */
        /* The most memory it used at once, in bytes (memory.peak: Linux 5.19+ with the memory
         * controller enabled for parent_dir's children); 0 when unknown. */
        uint64_t memory_peak;
};

/* The usage of the run's scope: read now while the scope exists, else as it was last read
 * (when the run ended, before its removal).  Returns 0, or -1 with errno ENOENT when the
 * command never had a scope, EINVAL for NULL, or the error of reading cpu.stat.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_scope_stat(const subproc *c, struct subproc_scope_stat *st);

/* The running child's pid, or -1 if none.  Thread safety: one thread per command.
 * Async-signal safety: yes. */
SUBPROC_EXPORT pid_t subproc_pid(const subproc *c);

/* The pidfd of the running child (Linux 5.2+: it comes with the child from clone(), so it can
 * never refer to a recycled pid), or -1 when nothing runs or the kernel has none.  It becomes
 * readable when the child exits: poll it in an event loop, then reap with subproc_wait().
 * Owned by the command: do not close it.  Thread safety: one thread per command.
 * Async-signal safety: yes. */
SUBPROC_EXPORT int subproc_pidfd(const subproc *c);

/* Send `sig` to the running child: to its whole process group when subproc_set_new_session() or
 * subproc_set_new_process_group() made one (and to the child itself too if it has left that
 * group), else through its pidfd.  A pid or group id is only signalled while it is proven to
 * be the child's: the group through the pidfd (Linux 6.9+, exact even after the child is
 * gone), else kill() only while the child is unreaped (a check just before the kill: with
 * SIGCHLD ignored, on kernels before 6.9 or without pidfds, the child could still exit and
 * its id be reused in the moment between the two).  Once the child was reaped behind the
 * library's back (SIGCHLD ignored, a handler reaping every child), nothing is signalled.
 * `sig` is 0 (only checks that the child can be signalled) or a signal number as for
 * subproc_set_death_signal().  Returns 0, or -1 with errno (ESRCH when nothing runs, EINVAL
 * for any other number).  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_kill(subproc *c, int sig);

/* Stop a running child: SIGTERM, wait up to 200 ms, then SIGKILL, and reap it.  Captured
 * buffers are left as they were.  Does nothing if nothing is running; never fails and leaves
 * errno unchanged.  Called from the command's own output callback, it only marks the run: the
 * child is stopped once the callback returns, and the run fails with ECANCELED.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_abort(subproc *c);

/* Send `sig` to every process in the run's scope (subproc_set_cgroup_scope()), the child and
 * all its descendants, including those that made new sessions, while the child runs or after
 * it exited with descendants left.  SIGKILL is cgroup.kill (Linux 5.14+; before, the scope is
 * frozen and each member killed until it is empty), then a wait (up to 5 s) until the scope is
 * empty, and, once the child is reaped, its removal; another signal freezes the scope, sends
 * it to each member listed in cgroup.procs and thaws it (so nothing forks past it; a stopped
 * member gets it when continued).  The child itself is still reaped by subproc_wait().
 * Returns 0, or -1 with errno: ESRCH when the command has no scope (none asked, or removed),
 * EINVAL for a number that is no signal, or the error of the cgroup file that failed.
 * Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_kill_scope(subproc *c, int sig);

/* The directory of the run's scope while it exists (subproc_set_cgroup_scope()), else NULL.
 * Owned by the command: valid until the scope is removed, the next run or subproc_free().
 * Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT const char *subproc_scope_path(const subproc *c);
/* Set the window size of the pty of the current or last run (subproc_set_pty()) to `rows` x
 * `cols` (TIOCSWINSZ on its master): the kernel sends SIGWINCH to the terminal's foreground
 * group when the size changes.  The master must still be open under the number the run gave
 * the caller.  Returns 0, or -1 with errno: EINVAL for a command without a pty or a size with
 * one side 0, EBADF when the caller has closed that master and its number now holds
 * something else than a pty master of that name.  The check is by number and name only: a
 * master opened since under the same number, for a pty the kernel gave the same name (it
 * reuses both), cannot be told apart and is resized, so do not resize after closing the
 * master.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pty_resize(subproc *c, unsigned short rows, unsigned short cols);

/* Byte length of the stdout (or shared) buffer captured by the last run; it may hold NULs.
 * 0 before any run.  Thread safety: one thread per command.  Async-signal safety: no. */
SUBPROC_EXPORT size_t subproc_output_len(const subproc *c);

/* Byte length of the stderr buffer captured by the last run (the shared length when stdout
 * and stderr share a buffer).  Thread safety: one thread per command.
 * Async-signal safety: no. */
SUBPROC_EXPORT size_t subproc_error_len(const subproc *c);

/* The daemon's pid after a successful subproc_run() of a daemonized command, else -1.
 * Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT pid_t subproc_daemon_pid(const subproc *c);

/* Issue 15, readiness: the last STATUS= text the program sent, as of the last
 * subproc_wait_ready(), or NULL.  Owned by the command: valid until its next run or
 * subproc_free().  Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT const char *subproc_ready_status(const subproc *c);

/* The last ERRNO= value the program sent (sd_notify's way of telling why it failed), or 0.
 * Thread safety: one thread per command.  Async-signal safety: yes. */
SUBPROC_EXPORT int subproc_ready_errno(const subproc *c);

/* The pid the program named with MAINPID= (accepted only for the program itself or a
 * descendant of it), or -1.  A process that is not our child: signal it through
 * pidfd_open() and check it is still the one.  Thread safety: one thread per command.
 * Async-signal safety: yes. */
SUBPROC_EXPORT pid_t subproc_ready_main_pid(const subproc *c);

/* Release a mapping made by subproc_set_output_mapping() or subproc_set_error_mapping():
 * `len` is the length the command reported for it.  NULL does nothing.  Thread safety: safe
 * (the mapping is the caller's).  Async-signal-safe (it only calls munmap). */
SUBPROC_EXPORT void subproc_unmap(char *data, size_t len);

/* Free the command.  NULL-safe.  A child still running that the command owns is aborted and
 * reaped; a child whose pid was handed out by subproc_run_async() is left alone.  Pending
 * SUBPROC_PASS_FD_CLOSE_PARENT fds are closed.  Thread safety: one thread per command.
 * Async-signal safety: no. */
SUBPROC_EXPORT void subproc_free(subproc *c);

/* ---------------------------------------------------------------------------------------
 * Many commands in one loop: wait for whichever of them ends first, with the caller's own fds
 * in the same wait; no threads and, unless subproc_loop_use_sigchld() asks for one, no signal
 * handler.  A loop only refers to what the caller gave it: it owns no command and no fd,
 * freeing it frees neither, and a command must stay alive (not freed) while it is in a loop.
 * Thread safety: one thread per loop, and a command in a loop is used only by the thread of
 * that loop.  Async-signal safety: no function of a loop.
 * ------------------------------------------------------------------------------------- */

/* A loop of commands and fds.  Returned by subproc_loop_new(), freed by subproc_loop_free(). */
typedef struct subproc_loop subproc_loop;

/* What subproc_loop_wait() tells.  The list is open: a newer library may add types, which a
 * caller should ignore. */
enum subproc_event_type {
        SUBPROC_EVENT_EXITED = 1,   /* a command's run has ended: reaped, buffers complete */
        SUBPROC_EVENT_FD_READY = 2, /* an fd of subproc_loop_watch_fd() is ready */
        SUBPROC_EVENT_TIMEOUT = 3,  /* a command's timeout fired (it is being stopped) */
};

struct subproc_event {
        int type;          /* enum subproc_event_type */
        void *tag;         /* as given to subproc_loop_add() or subproc_loop_watch_fd() */
        subproc *command;  /* EXITED, TIMEOUT: the command; NULL for FD_READY */
        int result;        /* EXITED: subproc_wait(c, &exitstatus)'s return: 0 (any exit
                            * code), or -1 (a death by signal, the timeout...: see error) */
        int exitstatus;    /* EXITED with result 0: the exit code (raw status with
                            * subproc_set_raw_status()) */
        int status;        /* EXITED: the raw wait status (subproc_status()), -1 if none */
        int error;         /* EXITED with result -1: the errno subproc_wait() would set */
        int fd;            /* FD_READY: the fd */
        short revents;     /* FD_READY: what poll() reported */
        char message[256]; /* EXITED with result -1: subproc_errmsg() of that failure */
};

/* A new, empty loop.  Returns a loop the caller owns (free it with subproc_loop_free()), or NULL
 * with errno ENOMEM.  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT subproc_loop *subproc_loop_new(void);

/* Add a command: one started with subproc_run_async(c, NULL), or one not started yet, which
 * this call starts with subproc_run_async(c, NULL) (a start that fails returns -1 with its
 * error, and the command is not added).  The loop then serves its buffers and timeout exactly
 * as subproc_wait() would, and reports its end with one SUBPROC_EVENT_EXITED, after which the
 * command is out of the loop (rerun it and add it again, or free it).  Until then the caller
 * must not wait for it, and may take it back with subproc_loop_remove().
 * Returns 0, or -1 with errno: EINVAL (NULL loop or command, a broken command: its deferred
 * error is reported instead), EEXIST (already in this loop), ENOMEM, or a start's error.
 * Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_add(subproc_loop *l, subproc *c, void *tag);

/* Watch one of the caller's fds in the same wait: each subproc_loop_wait() in which it is ready
 * (level-triggered, as poll()) reports a SUBPROC_EVENT_FD_READY with its revents.  The fd stays
 * the caller's; it must stay open until subproc_loop_unwatch_fd().  Returns 0, or -1 with
 * errno: EINVAL (NULL loop, fd < 0, no events), EEXIST (watched already), ENOMEM.
 * Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_watch_fd(subproc_loop *l, int fd, short events, void *tag);

/* Stop watching fd.  Returns 0, or -1 with errno ENOENT (not watched) or EINVAL (NULL loop).
 * Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_unwatch_fd(subproc_loop *l, int fd);

/* Take a command back from the loop, still running: the caller waits for it itself, or frees
 * it.  If its end was seen but not handed out yet, that event is dropped: the run has ended
 * (subproc_pid() -1, subproc_status() its status).  Returns 0, or -1 with errno ENOENT (not in
 * this loop) or EINVAL.  Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_remove(subproc_loop *l, subproc *c);

/* Wait until something happens, up to timeout_ms (< 0: no limit), and fill up to nev events.
 * mask: NULL, or the signal mask to wait with, as ppoll() (and pselect()) take it: a signal
 * blocked outside the wait but unblocked by the mask interrupts it, so a program that blocks
 * SIGINT and SIGCHLD elsewhere sees its ^C here, without a race.  Returns the number of events
 * (1..nev; events not fitting are kept for the next call), 0 when timeout_ms passed, -1 with
 * errno: EINTR (a signal came: the caller's handler ran), ECHILD (nothing to wait for: no
 * command, no fd, and no timeout), EINVAL (NULL loop or ev, nev < 1), or another poll() error.
 * Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_wait(subproc_loop *l, int timeout_ms, const sigset_t *mask,
                                     struct subproc_event *ev, int nev);

/* Send sig to every command in the loop, as subproc_kill() does (its whole process group when
 * it leads one); their ends are reported by subproc_loop_wait() as usual.  Errors (a child
 * already gone) are ignored; errno is kept.  Thread safety: see the section.
 * Async-signal safety: no. */
SUBPROC_EXPORT void subproc_loop_kill(subproc_loop *l, int sig);

/* Wake the loop on SIGCHLD, for children without a pidfd (subproc_no_pidfd(), kernels before
 * 5.3) whose pipes are done or that have none: instead of looking every 1 to 20 ms, the loop
 * waits on a pipe a SIGCHLD handler writes to.  This installs a process-wide SIGCHLD handler
 * (SA_RESTART), the one thing the library otherwise never does: the handler that was there
 * before is called from ours (with the SA_SIGINFO arguments when it takes them), so other
 * SIGCHLD users keep working, and it is put back when the last loop using it is freed (unless
 * someone replaced ours meanwhile).  The pipe (two fds) stays open for the life of the
 * process: a handler running in another thread could otherwise write into a reused fd.  A
 * SIGCHLD that interrupts subproc_loop_wait() is the loop's own wakeup, not an EINTR (another
 * signal at the very same moment loses its EINTR; its handler did run).  Loops in several
 * threads share the pipe: one may empty it just before another sleeps, which then looks again
 * within 1 s.  A program that reaps every child in its own handler (waitpid(-1)) still takes
 * the statuses away.  Returns 0, or -1 with errno (EINVAL: NULL loop, or SIGCHLD ignored: the
 * kernel reaps the children and no status is left; a sigaction() or pipe error).
 * Thread safety: see the section; the handler is installed once per process, under a lock.
 * Async-signal safety: no. */
SUBPROC_EXPORT int subproc_loop_use_sigchld(subproc_loop *l);

/* Free the loop: the commands in it stay as they are (running ones keep running, owned by the
 * caller, who waits for or frees each), the watched fds stay open.  NULL does nothing.
 * Thread safety: see the section.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_loop_free(subproc_loop *l);

/* =======================================================================================
 * 4. Process and pidfile utilities: functions that need no command.
 * ===================================================================================== */

/* ---------------------------------------------------------------------------------------
 * Processes: reap or stop a pid handed out by subproc_run_async(), fork safely for callers that
 * must fork themselves, and end the calling process with its parent.
 * ------------------------------------------------------------------------------------- */

/* Reap `pid` (a child of the caller) with the status rules of subproc_run(): with raw true,
 * *exitstatus gets the raw wait status; otherwise a signal death, or a non-zero exit when
 * exitstatus is NULL, is an error (EIO).  Retries on EINTR.  Returns 0 or -1 with errno set.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pid_wait(pid_t pid, int *exitstatus, bool raw);

/* Stop and reap `pid` as subproc_abort() does.  Ignores pid <= 0, and a pid that is no
 * unreaped child of the caller any more (reaped already: the number may be someone else's),
 * which is never signalled.  Never fails; leaves errno unchanged.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT void subproc_pid_abort(pid_t pid);

/* fork() with every signal blocked around it, so no handler of the caller runs in the child.
 * In the parent the caller's signal mask is restored; in the child every handler is reset to
 * SIG_DFL and then every signal is unblocked.
 * Returns: the child's pid in the parent, 0 in the child, -1 with errno set on failure.
 * Thread safety: safe, with fork()'s rules: in a threaded caller the child may only use
 * async-signal-safe functions until it execs.  Async-signal safety: no. */
SUBPROC_EXPORT pid_t subproc_fork(void);

/* Make the calling process receive SIGTERM when its parent exits (Linux PR_SET_PDEATHSIG,
 * FreeBSD PROC_PDEATHSIG_CTL, macOS a kqueue watcher thread).  If the parent changed between
 * the call's start and the arming (it died in between), SIGTERM is sent at once.
 * On Linux the signal fires when the *thread* that created this process exits, not the whole
 * parent process.  On macOS the watcher is a thread of this process image: it does not survive
 * exec (subproc_exec() included) nor reach fork()ed children.  Exec of a set-user-ID program
 * clears it on Linux and FreeBSD.
 * Returns 0, or -1 with errno ENOTSUP where the system has no way to do it.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_exit_with_parent(void);

/* Whether subproc_exit_with_parent() can work on this system.
 * Thread safety: safe.  Async-signal safety: yes. */
SUBPROC_EXPORT bool subproc_can_exit_with_parent(void);

/* ---------------------------------------------------------------------------------------
 * Pidfiles: lock, read, query and stop the service of a pidfile, as init scripts and
 * start-stop-daemon do.  subproc_set_pidfile() makes a command hold one.
 * ------------------------------------------------------------------------------------- */

/* Create or open the pidfile at `path` (mode 0600 when created; an existing file loses its
 * group and other permission bits once locked, since anyone who can open it could lock it
 * after us), lock it (flock(), on a read-only fd) and, if pid > 0, write pid into it through
 * a second fd closed before return; with pid == 0 the content is kept.  Returns the locked
 * read-only fd (close-on-exec), which the caller owns and keeps open for as long as the lock must
 * live; -1 with errno EBUSY when
 * another process holds it (message naming the holder's pid when the kernel shows it), ELOOP
 * for a symlink, EINVAL for a file that is not a regular file, EPERM for a file owned by
 * neither the effective uid nor root or writable by group or others, EMLINK for a file with
 * more than one hard link (every pidfile function refuses those), or the errno of open/write.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_acquire(const char *path, pid_t pid);

/* If `path` still names the file of `fd` (from subproc_pidfile_acquire()), unlink it; then
 * close `fd`.  In that order, so that no other process can lock the file between the two and
 * then lose it.  A missing file is fine; with fd < 0 the path is unlinked unchecked.
 * Returns 0 or -1 with errno set; fd is closed in every case.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_release(const char *path, int fd);

/* Read the pid stored in `path` (decimal, optional trailing whitespace).  This is what the
 * file says, not who holds it: use subproc_pidfile_holder() for that.  Returns 0 with *pid
 * set, or -1 with errno: ENOENT, ELOOP (symlink), EPERM (owned by neither us nor root, or
 * writable by group or others), EMLINK (hard-linked), EINVAL for an empty file, trailing
 * garbage, a pid <= 0 or one that overflows, or a file that is not regular (a FIFO is never
 * opened blocking).  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_read(const char *path, pid_t *pid);

/* Who holds the pidfile, as the kernel shows it: a live process (not a zombie) with an fd on
 * that very file (device + inode) whose open file description carries a write lock, flock() or
 * fcntl() (on Linux: /proc/PID/fd and /proc/PID/fdinfo).  The pid written in the file is only
 * where to look first: if the lock passed on (`sh -c 'daemon &'`), every process is looked at.
 * Returns 0 with *ret_pid the holder and, if ret_pidfd is not NULL, *ret_pidfd a pidfd for it
 * (taken before the check, so it names that process and no later one with its pid; the caller
 * owns it; -1 on kernels without pidfds); 0 with *ret_pid == -1 (and *ret_pidfd == -1) when
 * nobody holds it, including a missing file and a file only read-locked.  -1 with errno: EACCES
 * when it cannot be told because the holder's open files are not ours to see (another user's
 * process; run as root), EBUSY when the lock is held by no process /proc shows (one in another
 * pid namespace), ENOTSUP on systems without /proc (FreeBSD, macOS: not yet), or the refusals of
 * subproc_pidfile_read().
 * Anyone who can read a pidfile can flock() it: such a process then is the holder, the
 * answer names it (never a dead pid the file names), and a start on that pidfile is refused
 * until it lets go.  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_holder(const char *path, pid_t *ret_pid, int *ret_pidfd);

/* subproc_pidfile_holder() without the pidfd: 0 with *pid the holder or -1; -1 with errno
 * (EACCES, ENOTSUP: cannot tell).  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_read_if_alive(const char *path, pid_t *pid);

/* The LSB init-script status codes (as start-stop-daemon --status returns them). */
enum {
        SUBPROC_PIDFILE_RUNNING = 0, /* a process is proven to hold (or, with exe, to be) it */
        SUBPROC_PIDFILE_STALE = 1,   /* not running, but the pidfile exists */
        SUBPROC_PIDFILE_MISSING = 3, /* not running, no pidfile */
        /* 4, "cannot tell": -1 is returned instead, with errno and a message saying why */
};

/* The status of the service of a pidfile: SUBPROC_PIDFILE_RUNNING with *ret_pid the holder
 * (subproc_pidfile_holder()), SUBPROC_PIDFILE_STALE or SUBPROC_PIDFILE_MISSING; -1 with errno
 * when it cannot be told: EACCES, ENOTSUP as for subproc_pidfile_holder(), ENOLCK when nobody
 * holds the lock but the pid the file names is running (a daemon that writes its pidfile
 * without locking it, or a recycled pid: not trusted), or the refusals of
 * subproc_pidfile_read().  With `exe` (a path) and nobody holding the lock, the pid the file
 * names counts as running when its executable (/proc/PID/exe) is that very file (device +
 * inode), as start-stop-daemon --exec checks it; else the service is STALE.  A lock holder
 * that does not run `exe` is not the service either: STALE.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_status(const char *path, const char *exe, pid_t *ret_pid);

/* What a process must be to count as the service of a pidfile, as start-stop-daemon's
 * --exec, --name and --user match it: every criterion given must hold, checked through
 * /proc on a pidfd taken before the check (so a recycled pid never passes).  All NULL/false:
 * no criterion. */
struct subproc_pidfile_match {
        const char *exe;  /* its executable (/proc/PID/exe) is this very file (device + inode) */
        const char *name; /* its name (/proc/PID/comm: the first 15 bytes) is this */
        bool match_uid;   /* its real uid is `uid` */
        uid_t uid;
};

/* subproc_pidfile_status() with more criteria than the executable.  The pid an unlocked
 * pidfile names counts as running when it matches every criterion given (at least one must
 * be); a lock holder that does not match them is not the service asked for:
 * SUBPROC_PIDFILE_STALE.  subproc_pidfile_status(path, exe, ...) is this with only `exe`
 * (so a lock holder must run `exe` too).  EINVAL for an empty name.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_status_match(const char *path,
                                                const struct subproc_pidfile_match *match,
                                                pid_t *ret_pid);

/* Stop the service of a pidfile and remove the file.  Only proven processes are signalled, and
 * through a pidfd taken before the proof: the holders of the lock (subproc_pidfile_holder())
 * when the file names one of them; holders the file does not name (the lock passed on, as with
 * sh -c 'daemon &') only if they run `exe`, since a program can hand its locked fd to any
 * process that accepts fds (EPERM without `exe`); or, when nobody holds it and `exe` is
 * given, the pid the file names if it runs `exe` (see subproc_pidfile_status()).  Each gets
 * SIGTERM, then up to 2 s to let go (to exit, for one matched by exe), then SIGKILL and up to 5 s
 * more.  Then the file is removed if the path still
 * names the file that was checked (device + inode), and we hold its lock (or only readers do): a
 * fresh start's pidfile made meanwhile is left alone.  A missing file is success.  Returns 0, or
 * -1 with errno, having signalled nobody and removed nothing unless said: EPERM for holders the
 * file does not name (see above); ENOLCK when nobody
 * holds the lock, exe is NULL and the pid the file names is running (it may be the daemon: it is
 * not stopped, and the file stays), EACCES or ENOTSUP when it cannot be told, ENOTSUP on kernels
 * without pidfds (no signal without one), EDEADLK when the caller itself holds the file,
 * ETIMEDOUT when it is still held after SIGKILL (signals were sent), EBUSY when those
 * signalled are gone but processes it may not signal still hold it (see EPERM; signals were
 * sent, the file stays), EPERM when `exe` is
 * given and the holder the file names does not run it, or the refusals of
 * subproc_pidfile_read().  Must not run twice at once for the same path.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_stop(const char *path, const char *exe);

/* One step of a stop schedule (start-stop-daemon's --retry TERM/30/KILL/5 is two steps):
 * send `signal`, then give the service up to wait_ms to go. */
struct subproc_stop_step {
        int signal;
        unsigned wait_ms;
};

/* subproc_pidfile_stop() with the caller's schedule and criteria (see
 * subproc_pidfile_match; a lock holder the file names must match them too, or nobody is
 * signalled: EPERM).  Returns 1 when the service was signalled and is gone (the file
 * removed), 0 when nothing ran (a stale file removed; a missing one is fine), or -1 with errno
 * as subproc_pidfile_stop(), and ETIMEDOUT when it still runs after the last step (signals
 * were sent, the file stays); EBUSY when the processes signalled are gone but the lock is
 * then held by processes it may not signal (those EPERM would refuse: the message says why;
 * the file stays); EINVAL for an empty schedule, a step whose signal is not one, or an empty
 * name.  Must not run twice at once for the same path.
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_stop_schedule(const char *path,
                                                 const struct subproc_pidfile_match *match,
                                                 const struct subproc_stop_step *steps,
                                                 size_t n_steps);

/* Send `sig` once to the service of a pidfile, proven as subproc_pidfile_stop_schedule()
 * proves it, without waiting and without touching the file (start-stop-daemon --stop
 * --signal HUP without --retry: a reload).  Returns 1 when signalled, 0 when nothing runs
 * (no file, or a stale one), -1 with errno as subproc_pidfile_stop_schedule() (EINVAL for
 * an invalid signal).  Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_signal(const char *path,
                                          const struct subproc_pidfile_match *match, int sig);

/* subproc_pidfile_stop(path, NULL).
 * Thread safety: safe.  Async-signal safety: no. */
SUBPROC_EXPORT int subproc_pidfile_force_cleanup(const char *path);

/* =======================================================================================
 * 5. Errors: what the calling thread's last failure was, and in which part of a run.
 * ===================================================================================== */

/* Which part of a run failed, for callers that map failures to exit codes (as env(1) does
 * with 125, 126 and 127). */
enum subproc_stage {
        SUBPROC_STAGE_NONE = 0,  /* not a start failure: a bad command, I/O, the child's status */
        SUBPROC_STAGE_SETUP = 1, /* a step before exec: fds, chdir, pidfile, privileges, hook... */
        SUBPROC_STAGE_EXEC = 2,  /* finding or executing the program itself */
};

/* The stage of the calling thread's last error (see enum subproc_stage).
 * Thread safety: safe (per-thread).  Async-signal safety: yes. */
SUBPROC_EXPORT enum subproc_stage subproc_errstage(void);

/* The calling thread's last error message, "" if none.  The string is owned by the library and
 * stays valid until the next subproc call in this thread.
 * Thread safety: safe (per-thread).  Async-signal safety: yes. */
SUBPROC_EXPORT const char *subproc_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* SUBPROC_H */
