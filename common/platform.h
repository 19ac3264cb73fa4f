/*
 * platform.h: the only place POSIX- or Win32-specific calls live: clocks,
 * files (atomic replace, private files, directories), paths, change
 * watching, signals, processes. The build picks platform_posix.c or
 * platform_win.c; logic files never carry #ifdefs for the OS.
 */
#ifndef HVP_PLATFORM_H
#define HVP_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Clocks. */
int64_t platform_now_ms(void);		/* wall clock, ms since the epoch */
int64_t platform_mono_ms(void);		/* monotonic, for timers */
void platform_sleep_ms(int64_t ms);
long platform_pid(void);

/* Files. Functions returning int give 0 on success, -1 with *err set to an
 * owned message naming the path and the system's reason. */
#define PLATFORM_MAX_FILE (64u * 1024 * 1024)
int platform_read_file(const char *path, size_t max, char **data, size_t *len,
    char **err);
/* Writes to a temporary file beside path, fsyncs, renames over path and
 * fsyncs the directory: readers see the old or the new file, never half. */
int platform_replace_file(const char *path, const void *data, size_t len,
    bool private_mode, char **err);
int platform_mkdir_p(const char *path, bool private_mode, char **err);
bool platform_file_exists(const char *path);
/* 0 when only the owner can read path; -1 with *err otherwise. */
int platform_check_private(const char *path, char **err);
int platform_remove_file(const char *path, char **err);
/* Makes path readable and writable by its owner only. */
int platform_make_private(const char *path, char **err);
/* An exclusive lock on path (created if needed) until released; NULL
 * (and *err) when another process holds it: the caller decides whether to
 * wait (filelock.h). Advisory: it binds only processes that take it. */
typedef struct platform_lock platform_lock;
platform_lock *platform_lock_try(const char *path, char **err);
void platform_lock_release(platform_lock **l);
/* Lists names (not paths) in dir ending with suffix; caller frees each and
 * the array. */
int platform_list_dir(const char *dir, const char *suffix, char ***names,
    size_t *count, char **err);
/* What tells one version of a file from another without reading it:
 * device, inode, size, and the modification and status-change times in
 * ns since the epoch. A changed file has a changed stamp, except that
 * times come from a coarse clock (and some file systems keep them in
 * seconds): a caller that skips reading on an equal stamp must only trust
 * stamps whose times are older, by more than that granularity, than the
 * moment it last read the file. A missing file gives exists false and 0;
 * -1 with *err when the file cannot be examined. */
typedef struct platform_stamp {
	bool exists;
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
} platform_stamp;
int platform_file_stamp(const char *path, platform_stamp *out, char **err);

/* Paths. Returned strings are owned by the caller. */
char *platform_path_join(const char *dir, const char *name);
char *platform_dirname(const char *path);
bool platform_path_is_absolute(const char *path);
/* path if absolute, else relative to the directory of base_file. */
char *platform_path_relative_to(const char *base_file, const char *path);

/* Watching one file for replacement or modification. */
typedef struct platform_watch platform_watch;
platform_watch *platform_watch_new(const char *path, char **err);
/* Watches one more file with the same watch. */
int platform_watch_add(platform_watch *w, const char *path, char **err);
void platform_watch_free(platform_watch **w);
/* A descriptor to poll for readability, or -1 when the backend polls. */
int platform_watch_fd(const platform_watch *w);
/* Drains pending notifications; true when any watched file changed since
 * the last call (by size, mtime and inode, so it works without a fd). */
bool platform_watch_changed(platform_watch *w);

/* Signals: handlers only set these flags; loops read and clear them. */
typedef struct platform_signal_flags {
	volatile int terminate;	/* SIGTERM, SIGINT */
	volatile int reload;	/* SIGHUP */
} platform_signal_flags;
void platform_signals_install(platform_signal_flags *flags);

/* Terminals: true when standard output is a terminal. */
bool platform_stdout_is_tty(void);
/* Columns of the terminal standard output is, or 0 when it is none or
 * does not say (platform_posix.c; platform_console_win.c on Windows). */
unsigned platform_stdout_columns(void);
/* The user running this process, for audit fields; owned. */
char *platform_user_name(void);
/* The name of user id uid (the password database), or "uid N" when it
 * has none; owned. */
char *platform_uid_name(unsigned long uid);

/* A socket address (struct sockaddr_in, owned) for an IPv4 HOST ("*"
 * for every address) and PORT, for servers that bind one (the metrics
 * endpoint). -1 with *err when HOST is not an IPv4 address. */
int platform_inet_addr(const char *host, unsigned port, void **addr,
    size_t *len, char **err);

/* Local control socket: who may make it, reach it, and trust it. */
/* This process's effective user id; -1 where there is none (Windows). */
long platform_uid(void);
/* The user id of a user name; -1 when there is no such user. */
long platform_uid_of(const char *name);
/* The name of a user id (owned); "uid N" when it has none. */
char *platform_user_of(long uid);
/* A directory for a socket only this user may use: created 0700 (with
 * missing parents) when missing; an existing one must be a directory
 * owned by this user or root and not writable by group or others. -1
 * with *err naming the directory and what is wrong. Windows: created
 * private, not examined. */
int platform_private_dir(const char *dir, char **err);
/* Sets the file-creation mask and returns the previous one, so a socket
 * is created private (no chmod after bind). Windows: no-op, 0. */
unsigned platform_umask(unsigned mask);
typedef enum platform_access {
	PLATFORM_ACCESS_OK,
	PLATFORM_ACCESS_MISSING,	/* no such file */
	PLATFORM_ACCESS_DENIED,		/* it, or its directory, is closed to us */
	PLATFORM_ACCESS_UNTRUSTED,	/* *err says why */
	PLATFORM_ACCESS_DEAD,		/* nothing listens on it */
} platform_access;
/* Whether a client may use the socket at path and trust it: path and its
 * directory must belong to root, this user or the user named trusted
 * (may be NULL) and be writable by no one else, and this user must be
 * able to write to path; then a connection is tried, so that a socket
 * left by a process that stopped is known at once (DEAD). *err (owned)
 * explains any answer but OK. */
platform_access platform_socket_access(const char *path, const char *trusted,
    char **err);

/* Descriptors. Raises the soft limit on open descriptors to the hard
 * limit; *before and *after (may be equal) get the soft limit before and
 * after. 0, or -1 with *err (the limit is then unchanged). Windows has no
 * such limit: 0 with both -1. */
int platform_raise_nofile(long *before, long *after, char **err);
/* A daemon holding thousands of connections: the C library's allocator
 * keeps one heap per thread that allocates (glibc: up to 8 per CPU), and
 * each keeps freed memory for itself; two are plenty for one loop and
 * ZeroMQ's I/O thread. Blocks of 32 KiB and more (messages: a node's
 * inventory of 125 guests is 50 KB, a DPM server's plan a megabyte) are
 * mapped and unmapped on their own (glibc would otherwise raise that
 * bound to the largest block freed and then keep every such message's
 * pages in its heaps). Does nothing where there is no such knob. */
void platform_tune_allocator(void);
/* Gives the heap's free pages back to the system (glibc: malloc_trim):
 * after a burst (a start, thousands of inventories) the memory the
 * burst used is otherwise kept, resident, for the next. Does nothing
 * where there is no such call. */
void platform_release_free_memory(void);
/* Shuts a TCP connection down both ways so its owner (libzmq) sees the
 * end and closes it; does nothing to a descriptor that is not an
 * IPv4/IPv6 stream socket. 0 when shut down, -1 otherwise. */
int platform_shutdown_tcp(long fd);
/* True when fd is an open IPv4/IPv6 stream socket. */
bool platform_fd_is_tcp(long fd);

/* Processes, for tools that start daemons (the lab). */
long platform_spawn_background(char *const argv[], const char *log_path,
    char **err);
bool platform_process_alive(long pid);
int platform_process_terminate(long pid, bool force);

#endif
