/*
 * lab_os_posix.c: the lab's OS-specific helpers (lab.h, "OS-specific
 * helpers") on POSIX systems: the running executable (/proc/self/exe on
 * Linux), real paths, executability, whether a pid still runs the program
 * the lab started, and the reload signal. Kept apart so the platform
 * layer (common/platform.h) can take them over; nothing else in lab/
 * makes a system call of its own. Called by lab_dir.c and lab_procs.c.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lab.h"
#include "platform.h"
#include "xalloc.h"

char *
lab_os_realpath(const char *path)
{
	char *p = realpath(path, NULL);
	char *out;

	if (p == NULL)
		return NULL;
	out = xstrdup(p);
	free(p);
	return out;
}

char *
lab_os_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

bool
lab_os_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

char
lab_os_path_list_separator(void)
{
	return ':';
}

/* Reads /proc/PID/FILE (its size is not known in advance, so not
 * platform_read_file); NULL when there is none. */
static char *
s_proc_read(long pid, const char *file, size_t *len)
{
	char *path = xasprintf("/proc/%ld/%s", pid, file);
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *data;

	free(path);
	if (f == NULL)
		return NULL;
	data = xmalloc(cap + 1);
	while ((got = fread(data + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= 1024 * 1024)
				break;
			cap *= 2;
			data = xrealloc(data, cap + 1);
		}
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* Contrary to kill(pid, 0), tells a zombie (exited, not yet reaped by
 * whoever adopted it) from a running process. */
static bool
s_zombie(long pid)
{
	size_t len = 0;
	char *stat = s_proc_read(pid, "stat", &len);
	char *close_paren;
	bool zombie = false;

	if (stat == NULL)
		return false;
	/* "PID (comm) S ...": the state follows the last ')'. */
	close_paren = strrchr(stat, ')');
	if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z')
		zombie = true;
	free(stat);
	return zombie;
}

/* True unless /proc shows pid's command line without marker. */
static bool
s_cmdline_has(long pid, const char *marker)
{
	size_t len = 0, mlen = strlen(marker);
	char *cmd = s_proc_read(pid, "cmdline", &len);
	bool found = false;

	if (cmd == NULL)
		return true;	/* no /proc: cannot tell, trust the pid */
	for (size_t i = 0; i < len && !found; i += strlen(cmd + i) + 1)
		found = strcmp(cmd + i, marker) == 0 ||
		    (strlen(cmd + i) > mlen && strstr(cmd + i, marker) != NULL);
	free(cmd);
	return found;
}

bool
lab_os_process_running(long pid, const char *marker)
{
	if (pid <= 0 || !platform_process_alive(pid) || s_zombie(pid))
		return false;
	return marker == NULL || s_cmdline_has(pid, marker);
}

int
lab_os_process_reload(long pid)
{
	return kill((pid_t)pid, SIGHUP);
}
