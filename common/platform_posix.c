/*
 * platform_posix.c: platform.h on Linux and other POSIX systems. File
 * watching uses inotify on the file's directory (so a rename over the file
 * is seen) with a size/mtime check behind it.
 */
#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "strsort.h"
#include "xalloc.h"

int64_t
platform_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
platform_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
platform_sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

long
platform_pid(void)
{
	return (long)getpid();
}

static int
s_fail(char **err, const char *what, const char *path)
{
	if (err)
		*err = xasprintf("%s %s: %s", what, path, strerror(errno));
	return -1;
}

int
platform_read_file(const char *path, size_t max, char **data, size_t *len,
    char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;

	if (fd == -1)
		return s_fail(err, "cannot open", path);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (err)
			*err = xasprintf("cannot read %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		if (err)
			*err = xasprintf("cannot read %s: larger than %zu bytes",
			    path, max);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static int
s_fsync_dir(const char *path)
{
	char *dir = platform_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	free(dir);
	if (fd == -1)
		return -1;
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

int
platform_replace_file(const char *path, const void *data, size_t len,
    bool private_mode, char **err)
{
	char *tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	const char *p = data;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    private_mode ? 0600 : 0644);
	if (fd == -1) {
		s_fail(err, "cannot create", tmp);
		free(tmp);
		return -1;
	}
	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	s_fsync_dir(path);
	return 0;
fail:
	s_fail(err, "cannot write", path);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
platform_mkdir_p(const char *path, bool private_mode, char **err)
{
	char *copy = xstrdup(path);
	char *p;
	mode_t mode = private_mode ? 0700 : 0755;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			s_fail(err, "cannot create directory", copy);
			free(copy);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(copy, mode) == -1 && errno != EEXIST) {
		s_fail(err, "cannot create directory", copy);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

bool
platform_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
platform_file_stamp(const char *path, platform_stamp *out, char **err)
{
	struct stat st;

	memset(out, 0, sizeof *out);
	if (stat(path, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return s_fail(err, "cannot examine", path);
	}
	out->exists = true;
	out->dev = (uint64_t)st.st_dev;
	out->ino = (uint64_t)st.st_ino;
	out->size = (uint64_t)st.st_size;
	out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	out->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
	    st.st_ctim.tv_nsec;
	return 0;
}

int
platform_check_private(const char *path, char **err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return s_fail(err, "cannot stat", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		if (err)
			*err = xasprintf("%s is readable by others (mode %03o); "
			    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
platform_remove_file(const char *path, char **err)
{
	if (unlink(path) == -1 && errno != ENOENT)
		return s_fail(err, "cannot remove", path);
	return 0;
}

int
platform_make_private(const char *path, char **err)
{
	if (chmod(path, 0600) == -1)
		return s_fail(err, "cannot chmod", path);
	return 0;
}

struct platform_lock {
	int fd;
};

platform_lock *
platform_lock_try(const char *path, char **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	platform_lock *l;

	if (fd == -1) {
		s_fail(err, "cannot open lock file", path);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (err)
			*err = xasprintf("%s is locked by another process", path);
		close(fd);
		return NULL;
	}
	l = xmalloc(sizeof *l);
	l->fd = fd;
	return l;
}

void
platform_lock_release(platform_lock **l)
{
	if (l == NULL || *l == NULL)
		return;
	close((*l)->fd);	/* drops the lock */
	free(*l);
	*l = NULL;
}

int
platform_list_dir(const char *dir, const char *suffix, char ***names,
    size_t *count, char **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, cap = 0, slen = strlen(suffix), len;
	char **out = NULL;

	if (d == NULL)
		return s_fail(err, "cannot open directory", dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		xgrow(&out, &cap, n + 1, sizeof *out);
		out[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(out, n, sizeof *out, strsort_cmp);
	*names = out;
	*count = n;
	return 0;
}

char *
platform_path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	if (len > 0 && dir[len - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

char *
platform_dirname(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

bool
platform_path_is_absolute(const char *path)
{
	return path[0] == '/';
}

char *
platform_path_relative_to(const char *base_file, const char *path)
{
	char *dir, *out;

	if (platform_path_is_absolute(path))
		return xstrdup(path);
	dir = platform_dirname(base_file);
	out = platform_path_join(dir, path);
	free(dir);
	return out;
}

/* One watched file: its path, name in its directory, and last stat. */
typedef struct watched {
	char *path;
	char *base;
	struct stat last;
	bool exists;
} watched;

struct platform_watch {
	watched *files;
	size_t nfiles;
	int fd;
};

static void
s_watch_stat(const char *path, struct stat *st, bool *exists)
{
	*exists = stat(path, st) == 0;
	if (!*exists)
		memset(st, 0, sizeof *st);
}

platform_watch *
platform_watch_new(const char *path, char **err)
{
	platform_watch *w = xcalloc(1, sizeof *w);

	w->fd = -1;
#ifdef __linux__
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
#endif
	if (platform_watch_add(w, path, err) == -1) {
		platform_watch_free(&w);
		return NULL;
	}
	return w;
}

int
platform_watch_add(platform_watch *w, const char *path, char **err)
{
	char *copy = xstrdup(path);
	watched *f;

	w->files = xrealloc(w->files, (w->nfiles + 1) * sizeof *w->files);
	f = &w->files[w->nfiles++];
	f->path = xstrdup(path);
	f->base = xstrdup(basename(copy));
	free(copy);
	s_watch_stat(f->path, &f->last, &f->exists);
#ifdef __linux__
	if (w->fd != -1) {
		char *dir = platform_dirname(path);

		/* Watching the directory sees renames over the file too; the
		 * same directory twice is one watch. */
		if (inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
		    IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB) == -1) {
			close(w->fd);
			w->fd = -1;
		}
		free(dir);
	}
#endif
	(void)err;
	return 0;
}

void
platform_watch_free(platform_watch **w)
{
	if (*w == NULL)
		return;
	if ((*w)->fd != -1)
		close((*w)->fd);
	for (size_t i = 0; i < (*w)->nfiles; i++) {
		free((*w)->files[i].path);
		free((*w)->files[i].base);
	}
	free((*w)->files);
	free(*w);
	*w = NULL;
}

int
platform_watch_fd(const platform_watch *w)
{
	return w->fd;
}

static void
s_watch_drain(platform_watch *w)
{
#ifdef __linux__
	char buf[4096] __attribute__((aligned(8)));

	if (w->fd == -1)
		return;
	while (read(w->fd, buf, sizeof buf) > 0)
		;
#else
	(void)w;
#endif
}

bool
platform_watch_changed(platform_watch *w)
{
	bool changed = false;

	s_watch_drain(w);
	for (size_t i = 0; i < w->nfiles; i++) {
		watched *f = &w->files[i];
		struct stat st;
		bool exists;

		s_watch_stat(f->path, &st, &exists);
		if (exists != f->exists || st.st_size != f->last.st_size ||
		    st.st_mtim.tv_sec != f->last.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != f->last.st_mtim.tv_nsec ||
		    st.st_ino != f->last.st_ino)
			changed = true;
		f->last = st;
		f->exists = exists;
	}
	return changed;
}

static platform_signal_flags *s_flags;

static void
s_on_signal(int sig)
{
	if (s_flags == NULL)
		return;
	if (sig == SIGHUP)
		s_flags->reload = 1;
	else
		s_flags->terminate = 1;
}

void
platform_signals_install(platform_signal_flags *flags)
{
	struct sigaction sa;

	s_flags = flags;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = s_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

bool
platform_stdout_is_tty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

unsigned
platform_stdout_columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == -1)
		return 0;
	return ws.ws_col;
}

char *
platform_user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;
	char host[256] = "";

	if (u == NULL || *u == '\0')
		u = getenv("LOGNAME");
	if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
		u = pw->pw_name;
	gethostname(host, sizeof host - 1);
	return xasprintf("%s@%s", u && *u ? u : "unknown", host[0] ? host : "localhost");
}

int
platform_inet_addr(const char *host, unsigned port, void **addr, size_t *len,
    char **err)
{
	struct sockaddr_in *sin = xcalloc(1, sizeof *sin);

	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (port > 65535 || inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		free(sin);
		if (err)
			*err = xasprintf("'%s:%u' is not an IPv4 address and "
			    "port", host, port);
		return -1;
	}
	*addr = sin;
	*len = sizeof *sin;
	return 0;
}

char *
platform_uid_name(unsigned long uid)
{
	struct passwd pw, *found = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf, *out;

	if (size <= 0)
		size = 16384;
	buf = xmalloc((size_t)size);
	if (getpwuid_r((uid_t)uid, &pw, buf, (size_t)size, &found) == 0 &&
	    found != NULL && found->pw_name && *found->pw_name)
		out = xstrdup(found->pw_name);
	else
		out = xasprintf("uid %lu", uid);
	free(buf);
	return out;
}

long
platform_uid(void)
{
	return (long)geteuid();
}

long
platform_uid_of(const char *name)
{
	struct passwd *pw;

	if (name == NULL || *name == '\0' || (pw = getpwnam(name)) == NULL)
		return -1;
	return (long)pw->pw_uid;
}

char *
platform_user_of(long uid)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	return pw ? xstrdup(pw->pw_name) : xasprintf("uid %ld", uid);
}

/* Owner and mode as text for messages: "owned by NAME, mode 755". */
static char *
s_owner_mode(const struct stat *st)
{
	char *owner = platform_user_of((long)st->st_uid), *out;

	out = xasprintf("owned by %s, mode %03o", owner,
	    (unsigned)(st->st_mode & 07777));
	free(owner);
	return out;
}

int
platform_private_dir(const char *dir, char **err)
{
	struct stat st;
	char *om;

	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT)
			return s_fail(err, "cannot examine directory", dir);
		if (platform_mkdir_p(dir, true, err) == -1)
			return -1;
		if (lstat(dir, &st) == -1)
			return s_fail(err, "cannot examine directory", dir);
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = xasprintf("%s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		om = s_owner_mode(&st);
		*err = xasprintf("directory %s is %s: it must belong to this "
		    "user or root", dir, om);
		free(om);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		om = s_owner_mode(&st);
		*err = xasprintf("directory %s is writable by others (%s): "
		    "anyone could replace the socket; chmod 700 it or choose "
		    "another directory", dir, om);
		free(om);
		return -1;
	}
	return 0;
}

unsigned
platform_umask(unsigned mask)
{
	return (unsigned)umask((mode_t)mask);
}

/* Whether st belongs to root, this user or trusted_uid (-1: none) and
 * no one else may write to it; *err says why not. */
static bool
s_trusted(const char *what, const char *path, const struct stat *st,
    long trusted_uid, char **err)
{
	char *om;

	if (st->st_uid != 0 && st->st_uid != geteuid() &&
	    (trusted_uid < 0 || st->st_uid != (uid_t)trusted_uid)) {
		om = s_owner_mode(st);
		*err = xasprintf("%s %s is %s, not by root, you or the "
		    "controller's user", what, path, om);
		free(om);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		om = s_owner_mode(st);
		*err = xasprintf("%s %s is writable by others (%s): %s", what,
		    path, om, S_ISDIR(st->st_mode) ? "anyone could have put a "
		    "socket there" : "it is not the controller's alone");
		free(om);
		return false;
	}
	return true;
}

/* Connects to the Unix socket at path and closes at once: refused means
 * no process listens (the socket file outlived its process). Anything
 * else is left to the real connection to report. */
static platform_access
s_socket_listening(const char *path, char **err)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path)
		return PLATFORM_ACCESS_OK;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return PLATFORM_ACCESS_OK;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	if (rc == -1 && errno == ECONNREFUSED) {
		*err = xasprintf("nothing listens on %s", path);
		return PLATFORM_ACCESS_DEAD;
	}
	return PLATFORM_ACCESS_OK;
}

platform_access
platform_socket_access(const char *path, const char *trusted, char **err)
{
	char *dir = platform_dirname(path);
	long tuid = platform_uid_of(trusted);
	struct stat st;
	platform_access rc = PLATFORM_ACCESS_UNTRUSTED;

	*err = NULL;
	if (stat(dir, &st) == -1 || stat(path, &st) == -1) {
		if (errno == EACCES) {
			*err = xasprintf("cannot reach %s: %s", path,
			    strerror(errno));
			rc = PLATFORM_ACCESS_DENIED;
		} else if (errno == ENOENT || errno == ENOTDIR) {
			*err = xasprintf("no control socket at %s", path);
			rc = PLATFORM_ACCESS_MISSING;
		} else {
			*err = xasprintf("cannot examine %s: %s", path,
			    strerror(errno));
		}
		goto out;
	}
	if (stat(dir, &st) == -1 ||
	    !s_trusted("directory", dir, &st, tuid, err) ||
	    stat(path, &st) == -1 ||
	    !s_trusted("socket", path, &st, tuid, err))
		goto out;
	if (access(path, W_OK) == -1) {
		char *om = s_owner_mode(&st);

		*err = xasprintf("%s is %s", path, om);
		free(om);
		rc = errno == EACCES ? PLATFORM_ACCESS_DENIED :
		    PLATFORM_ACCESS_UNTRUSTED;
		goto out;
	}
	rc = s_socket_listening(path, err);
out:
	free(dir);
	return rc;
}

void
platform_tune_allocator(void)
{
#ifdef __GLIBC__
	/* mallopt(3): M_ARENA_MAX; setting M_MMAP_THRESHOLD also turns off
	 * glibc's dynamic raising of it. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
#endif
}

void
platform_release_free_memory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

int
platform_raise_nofile(long *before, long *after, char **err)
{
	struct rlimit rl;

	*before = *after = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		*err = xasprintf("getrlimit(RLIMIT_NOFILE): %s",
		    strerror(errno));
		return -1;
	}
	*before = *after = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX :
	    (long)rl.rlim_cur;
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		*err = xasprintf("setrlimit(RLIMIT_NOFILE, %llu): %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
		return -1;
	}
	*after = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur;
	return 0;
}

bool
platform_fd_is_tcp(long fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int type = 0;
	socklen_t tlen = sizeof type;

	return fd >= 0 && fd <= INT32_MAX &&
	    getsockname((int)fd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	    type == SOCK_STREAM;
}

int
platform_shutdown_tcp(long fd)
{
	if (!platform_fd_is_tcp(fd))
		return -1;
	return shutdown((int)fd, SHUT_RDWR);
}

long
platform_spawn_background(char *const argv[], const char *log_path, char **err)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1)
		return s_fail(err, "cannot start", argv[0]);
	if (pid == 0) {
		setsid();
		fd = open("/dev/null", O_RDONLY);
		if (fd != -1) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return (long)pid;
}

bool
platform_process_alive(long pid)
{
	int status;

	/* Reap it if it is our own exited child. */
	if (waitpid((pid_t)pid, &status, WNOHANG) == (pid_t)pid)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int
platform_process_terminate(long pid, bool force)
{
	return kill((pid_t)pid, force ? SIGKILL : SIGTERM);
}
