/*
 * lab_procs.c: the lab's processes (lab.h, "Processes"): finding the
 * programs, starting the controller and the node daemons in the
 * background with pid files and logs under the lab directory, waiting
 * until the controller sees every node online (asking `hvpolicy status
 * --format json`, as a user would), and stopping them all with nothing
 * left behind. Commands up, down, env, start-node, stop-node, add-node.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "lab.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ydoc.h"

#define CLI_WAIT_MS 15000	/* the CLI gives up after 10 s itself */
#define POLL_MS 100
#define LOG_TAIL_LINES 5

/* One daemon of the lab. */
typedef struct proc {
	const char *name;	/* node name, or "controller" */
	char *config;		/* its config file: also how we know the pid */
	char *pidfile;
	char *log;
	long pid;		/* running pid, or 0 */
	bool spawned;		/* by us: it may not have exec'd yet */
} proc;

static void
s_proc_init(const lab *l, const char *node, proc *p)
{
	memset(p, 0, sizeof *p);
	if (node == NULL) {
		p->name = "controller";
		p->config = lab_path(l, "controller/controller.yaml");
		p->pidfile = lab_path(l, "controller/controller.pid");
		p->log = lab_path(l, "controller/controller.log");
	} else {
		p->name = node;
		p->config = lab_node_file(l, node, "node.yaml");
		p->pidfile = lab_node_file(l, node, "node.pid");
		p->log = lab_node_file(l, node, "node.log");
	}
}

static void
s_proc_release(proc *p)
{
	free(p->config);
	free(p->pidfile);
	free(p->log);
	memset(p, 0, sizeof *p);
}

/* Reads the pid file: sets p->pid when that process still runs our
 * program with our config. */
static void
s_proc_check(proc *p)
{
	char *data = NULL, *end, *err = NULL;
	size_t len;
	long pid;

	p->pid = 0;
	if (!platform_file_exists(p->pidfile))
		return;
	if (platform_read_file(p->pidfile, 64, &data, &len, &err) == -1) {
		free(err);
		return;
	}
	pid = strtol(data, &end, 10);
	if (end != data && (*end == '\n' || *end == '\0') && pid > 0 &&
	    lab_os_process_running(pid, p->config))
		p->pid = pid;
	free(data);
}

static bool
s_proc_running(const proc *p)
{
	/* Our own child may still be between fork and exec, showing our
	 * command line: its pid is enough. */
	return p->pid > 0 && lab_os_process_running(p->pid,
	    p->spawned ? NULL : p->config);
}

static void
s_proc_forget(proc *p)
{
	p->pid = 0;
	if (platform_file_exists(p->pidfile))
		(void)platform_remove_file(p->pidfile, NULL);
}

/* Prints the last lines of a log, indented, to help with a failure. */
static void
s_tail_log(const char *path)
{
	char *data = NULL, *err = NULL, *start;
	size_t len = 0;
	int lines = 0;

	if (platform_read_file(path, PLATFORM_MAX_FILE, &data, &len,
	    &err) == -1) {
		free(err);
		return;
	}
	start = data + len;
	while (start > data && lines < LOG_TAIL_LINES)
		if (*--start == '\n' && start + 1 < data + len)
			lines++;
	if (*start == '\n')
		start++;
	for (char *line = start; *line; ) {
		size_t n = strcspn(line, "\n");

		fprintf(stderr, "    %.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(data);
}

/*
 * Finding the programs.
 */

static char *
s_try(const char *dir, const char *sub, const char *program)
{
	char *path = sub ? xasprintf("%s/%s/%s", dir, sub, program) :
	    xasprintf("%s/%s", dir, program), *real;

	if (!lab_os_executable(path)) {
		free(path);
		return NULL;
	}
	if ((real = lab_os_realpath(path)) != NULL) {
		free(path);
		path = real;
	}
	return path;
}

static char *
s_try_path_env(const char *program)
{
	const char *env = getenv("PATH"), *p = env;
	char sep = lab_os_path_list_separator(), *found = NULL;

	while (p && !found) {
		size_t n = strcspn(p, (char[]){ sep, '\0' });
		char *dir = n ? xstrndup(p, n) : xstrdup(".");

		found = s_try(dir, NULL, program);
		free(dir);
		p = p[n] ? p + n + 1 : NULL;
	}
	return found;
}

/* HVPOLICY_BIN_DIR (a build or bin directory), then beside this program
 * as in the build tree (../SUB/) or installed (same directory), then
 * PATH. NULL after printing where it looked. */
static char *
s_find_program(const char *program, const char *sub)
{
	const char *bin = getenv("HVPOLICY_BIN_DIR");
	char *self = lab_os_self_exe(), *dir, *found = NULL;

	if (bin && *bin && (found = s_try(bin, NULL, program)) == NULL)
		found = s_try(bin, sub, program);
	if (found == NULL && self) {
		char *up;

		dir = platform_dirname(self);
		up = xasprintf("%s/..", dir);
		found = s_try(up, sub, program);
		free(up);
		if (found == NULL)
			found = s_try(dir, NULL, program);
		free(dir);
	}
	free(self);
	if (found == NULL)
		found = s_try_path_env(program);
	if (found == NULL)
		lab_error(NULL, 0, "cannot find %s: looked in $HVPOLICY_BIN_DIR, "
		    "beside %s (../%s/ and the same directory) and in PATH; "
		    "build it, or set HVPOLICY_BIN_DIR", program, LAB_PROGRAM,
		    sub);
	return found;
}

/*
 * Starting.
 */

static int
s_spawn(proc *p, const char *program)
{
	char *argv[] = { (char *)program, "--config", p->config, NULL };
	char *err = NULL, *text;
	long pid = platform_spawn_background(argv, p->log, &err);
	int rc;

	if (pid <= 0) {
		lab_error(NULL, 0, "cannot start %s: %s", p->name,
		    err ? err : "unknown error");
		free(err);
		return -1;
	}
	p->pid = pid;
	p->spawned = true;
	text = xasprintf("%ld\n", pid);
	rc = platform_replace_file(p->pidfile, text, strlen(text), false, &err);
	free(text);
	if (rc == -1) {
		lab_error(NULL, 0, "%s", err);
		free(err);
		(void)platform_process_terminate(pid, true);
		return -1;
	}
	return 0;
}

/* Whether the status JSON (parsed as YAML, of which JSON is a subset)
 * lists node as online. */
static bool
s_status_online(const ynode *nodes, const char *node)
{
	for (size_t i = 0; nodes && i < nodes->count; i++) {
		const ynode *n = nodes->values[i], *name, *online;

		if (n->kind != YNODE_MAP)
			continue;
		name = ymap_get(n, "name");
		online = ymap_get(n, "online");
		if (name && name->kind == YNODE_SCALAR && online &&
		    online->kind == YNODE_SCALAR &&
		    strcmp(name->text, node) == 0)
			return strcmp(online->text, "true") == 0;
	}
	return false;
}

int
lab_status_online(const lab *l, bool *online)
{
	char *cli = s_find_program("hvpolicy", "cli"), *sock, *out, *err = NULL;
	char *data = NULL;
	size_t len = 0;
	long pid;
	int64_t deadline;
	ydoc *doc = NULL;
	diag_list d;
	const ynode *nodes;

	if (cli == NULL)
		return -1;
	sock = lab_socket_path(l);
	/* One file per process: up and start-node may run side by side. */
	out = xasprintf("%s/controller/status-%ld.json", l->dir, platform_pid());
	if (platform_file_exists(out))
		(void)platform_remove_file(out, NULL);
	{
		char *argv[] = { cli, "--socket", sock, "status", "--format",
		    "json", NULL };

		pid = platform_spawn_background(argv, out, &err);
	}
	deadline = platform_mono_ms() + CLI_WAIT_MS;
	while (pid > 0 && platform_process_alive(pid) &&
	    platform_mono_ms() < deadline)
		platform_sleep_ms(20);
	if (pid > 0 && platform_process_alive(pid)) {
		(void)platform_process_terminate(pid, true);
		while (platform_process_alive(pid))
			platform_sleep_ms(10);
	}
	free(err);
	err = NULL;
	diag_list_init(&d);
	if (platform_read_file(out, PLATFORM_MAX_FILE, &data, &len, &err) == 0)
		doc = ydoc_parse("status", data, len, &YDOC_LIMITS_LARGE, &d);
	diag_list_release(&d);
	free(err);
	free(data);
	if (platform_file_exists(out))
		(void)platform_remove_file(out, NULL);
	free(out);
	free(sock);
	free(cli);
	if (doc == NULL)
		return -1;
	nodes = ymap_get(doc->root, "nodes");
	for (size_t i = 0; i < l->nnodes; i++)
		online[i] = nodes && nodes->kind == YNODE_SEQ &&
		    s_status_online(nodes, l->nodes[i]);
	ydoc_free(&doc);
	return 0;
}

bool
lab_controller_running(const lab *l)
{
	proc c;
	bool running;

	s_proc_init(l, NULL, &c);
	s_proc_check(&c);
	running = c.pid > 0;
	s_proc_release(&c);
	return running;
}

static void
s_hint_down(const lab *l)
{
	fprintf(stderr, "(what runs is left running; `%s down %s` stops it)\n",
	    LAB_PROGRAM, l->dir);
}

/*
 * Waits until every node in want (indexes of l->nodes) is online, while
 * the controller and those daemons keep running. Exit code.
 */
static int s_start_controller(const lab *l, proc *ctl, bool *started);

/* Waits until the controller answers and sees every wanted node online.
 * restart: the controller was found running, not started; if it exits
 * now it was on its way out (killed just before), so it is started once
 * more rather than reported. */
static int
s_wait_online(const lab *l, const char *cmd, proc *ctl, proc *nodes,
    const bool *want, bool restart)
{
	int64_t deadline = platform_mono_ms() + LAB_UP_TIMEOUT_MS;
	bool *online = xcalloc(l->nnodes + 1, sizeof *online);
	strbuf missing;
	int rc = LAB_EXIT_FAIL;
	bool done = false, answered = false;

	strbuf_init(&missing);
	while (!done) {
		bool started = false;

		if (!s_proc_running(ctl) && restart) {
			restart = false;
			if (s_start_controller(l, ctl, &started) != LAB_EXIT_OK)
				goto out;
		}
		if (!s_proc_running(ctl)) {
			lab_error(cmd, 0, "the controller exited; its log is "
			    "%s:", ctl->log);
			s_tail_log(ctl->log);
			s_hint_down(l);
			goto out;
		}
		for (size_t i = 0; i < l->nnodes; i++) {
			if (!want[i] || s_proc_running(&nodes[i]))
				continue;
			lab_error(cmd, 0, "the daemon of %s exited; its log is "
			    "%s:", l->nodes[i], nodes[i].log);
			s_tail_log(nodes[i].log);
			s_hint_down(l);
			goto out;
		}
		done = answered = lab_status_online(l, online) == 0;
		for (size_t i = 0; i < l->nnodes && done; i++)
			if (want[i] && !online[i])
				done = false;
		if (done || platform_mono_ms() >= deadline)
			break;
		platform_sleep_ms(POLL_MS);
	}
	if (done) {
		rc = LAB_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i < l->nnodes; i++)
		if (want[i] && !online[i])
			strbuf_addf(&missing, "\n  %s (log: %s)", l->nodes[i],
			    nodes[i].log);
	if (answered)
		lab_error(cmd, 0, "timed out after %d s: the controller does not "
		    "see these nodes online:%s\n  controller log: %s",
		    LAB_UP_TIMEOUT_MS / 1000, missing.data, ctl->log);
	else
		lab_error(cmd, 0, "timed out after %d s: the controller does not "
		    "answer `hvpolicy status` on %s/controller/control.sock; its "
		    "log is %s", LAB_UP_TIMEOUT_MS / 1000, l->dir, ctl->log);
	s_hint_down(l);
out:
	strbuf_release(&missing);
	free(online);
	return rc;
}

/* Starts the controller unless it runs. Exit code. */
static int
s_start_controller(const lab *l, proc *ctl, bool *started)
{
	char *program;
	int rc;

	*started = false;
	s_proc_check(ctl);
	if (ctl->pid > 0)
		return LAB_EXIT_OK;
	s_proc_forget(ctl);
	if ((program = s_find_program("hvpolicy-controller", "controller")) ==
	    NULL)
		return LAB_EXIT_FAIL;
	rc = s_spawn(ctl, program) == 0 ? LAB_EXIT_OK : LAB_EXIT_FAIL;
	*started = rc == LAB_EXIT_OK;
	free(program);
	return rc;
}

/* Starts p's node daemon unless it runs. 1 started, 0 already running,
 * -1 failed. */
static int
s_start_node(proc *p, const char *program)
{
	s_proc_check(p);
	if (p->pid > 0)
		return 0;
	s_proc_forget(p);
	return s_spawn(p, program) == 0 ? 1 : -1;
}

static int
s_open_procs(const lab *l, proc *ctl, proc **nodes)
{
	s_proc_init(l, NULL, ctl);
	*nodes = xcalloc(l->nnodes + 1, sizeof **nodes);
	for (size_t i = 0; i < l->nnodes; i++)
		s_proc_init(l, l->nodes[i], &(*nodes)[i]);
	return 0;
}

static void
s_close_procs(const lab *l, proc *ctl, proc **nodes)
{
	s_proc_release(ctl);
	for (size_t i = 0; *nodes && i < l->nnodes; i++)
		s_proc_release(&(*nodes)[i]);
	free(*nodes);
	*nodes = NULL;
}

/* Checks that argv holds exactly DIR (and NAME when want_name). */
static lab *
s_open_args(const char *cmd, const char *usage, int argc, char **argv,
    size_t npos_want, const char **name, int *rc)
{
	const char *pos[2];
	size_t npos;
	lab *l;

	if ((*rc = lab_args_parse(cmd, usage, argc, argv, NULL, 0, pos,
	    npos_want, npos_want, &npos)) != 0)
		return NULL;
	if ((l = lab_open(pos[0])) == NULL) {
		*rc = LAB_EXIT_FAIL;
		return NULL;
	}
	if (name)
		*name = pos[1];
	return l;
}

int
lab_cmd_up(int argc, char **argv)
{
	proc ctl, *nodes = NULL;
	bool *want, started;
	char *program = NULL, *cli = NULL;
	size_t nstarted = 0;
	int rc;
	lab *l = s_open_args("up", "up DIR", argc, argv, 1, NULL, &rc);

	if (l == NULL)
		return rc;
	want = xcalloc(l->nnodes + 1, sizeof *want);
	s_open_procs(l, &ctl, &nodes);
	/* Every program first, so a missing one starts nothing. */
	if ((cli = s_find_program("hvpolicy", "cli")) == NULL ||
	    (l->nnodes && (program = s_find_program("hvpolicy-node",
	    "node")) == NULL)) {
		rc = LAB_EXIT_FAIL;
		goto out;
	}
	if ((rc = s_start_controller(l, &ctl, &started)) != LAB_EXIT_OK)
		goto out;
	nstarted += started;
	for (size_t i = 0; i < l->nnodes; i++) {
		int r = s_start_node(&nodes[i], program);

		if (r == -1) {
			rc = LAB_EXIT_FAIL;
			goto out;
		}
		nstarted += (size_t)r;
		want[i] = true;
	}
	if ((rc = s_wait_online(l, "up", &ctl, nodes, want, !started)) ==
	    LAB_EXIT_OK)
		printf("lab up: controller and %zu nodes online (%zu started); "
		    "export HVPOLICY_SOCKET=%s/controller/control.sock\n",
		    l->nnodes, nstarted, l->dir);
out:
	free(program);
	free(cli);
	free(want);
	s_close_procs(l, &ctl, &nodes);
	lab_free(&l);
	return rc;
}

/* Stops the running ones among ps: SIGTERM, up to LAB_STOP_TIMEOUT_MS,
 * then SIGKILL; removes the pid files. Returns how many were running, or
 * -1 when one could not be stopped. */
static int
s_stop(proc **ps, size_t n)
{
	int64_t deadline;
	int running = 0;
	bool any;

	for (size_t i = 0; i < n; i++) {
		s_proc_check(ps[i]);
		if (ps[i]->pid > 0) {
			running++;
			(void)platform_process_terminate(ps[i]->pid, false);
		}
	}
	deadline = platform_mono_ms() + LAB_STOP_TIMEOUT_MS;
	for (int pass = 0; pass < 2; pass++) {
		do {
			any = false;
			for (size_t i = 0; i < n; i++)
				if (ps[i]->pid > 0 && !s_proc_running(ps[i]))
					ps[i]->pid = 0;
				else if (ps[i]->pid > 0)
					any = true;
			if (any)
				platform_sleep_ms(50);
		} while (any && platform_mono_ms() < deadline);
		if (!any)
			break;
		for (size_t i = 0; i < n; i++) {
			if (ps[i]->pid <= 0)
				continue;
			lab_error(NULL, 0, "%s (pid %ld) did not stop within "
			    "%d s; killing it", ps[i]->name, ps[i]->pid,
			    LAB_STOP_TIMEOUT_MS / 1000);
			(void)platform_process_terminate(ps[i]->pid, true);
		}
		deadline = platform_mono_ms() + LAB_STOP_TIMEOUT_MS;
	}
	for (size_t i = 0; i < n; i++) {
		if (ps[i]->pid > 0) {
			lab_error(NULL, 0, "%s (pid %ld) is still running",
			    ps[i]->name, ps[i]->pid);
			running = -1;
			continue;
		}
		s_proc_forget(ps[i]);
	}
	return running;
}

int
lab_cmd_down(int argc, char **argv)
{
	proc ctl, *nodes = NULL, **all;
	int rc, stopped;
	lab *l = s_open_args("down", "down DIR", argc, argv, 1, NULL, &rc);

	if (l == NULL)
		return rc;
	s_open_procs(l, &ctl, &nodes);
	all = xcalloc(l->nnodes + 1, sizeof *all);
	for (size_t i = 0; i < l->nnodes; i++)
		all[i] = &nodes[i];
	all[l->nnodes] = &ctl;
	stopped = s_stop(all, l->nnodes + 1);
	if (stopped == -1) {
		rc = LAB_EXIT_FAIL;
	} else {
		rc = LAB_EXIT_OK;
		if (stopped == 0)
			printf("lab down: nothing was running\n");
		else
			printf("lab down: stopped %d processes\n", stopped);
	}
	free(all);
	s_close_procs(l, &ctl, &nodes);
	lab_free(&l);
	return rc;
}

/* Shell-safe: quotes s unless it only holds harmless characters. */
static void
s_print_shell_word(const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || strchr("/._-+,:@%", *p);
	if (plain) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	putchar('\'');
}

int
lab_cmd_env(int argc, char **argv)
{
	int rc;
	lab *l = s_open_args("env", "env DIR", argc, argv, 1, NULL, &rc);
	char *sock;

	if (l == NULL)
		return rc;
	sock = lab_socket_path(l);
	fputs("export HVPOLICY_SOCKET=", stdout);
	s_print_shell_word(sock);
	putchar('\n');
	free(sock);
	lab_free(&l);
	return LAB_EXIT_OK;
}

int
lab_reload_controller(const lab *l, const char *cmd)
{
	proc ctl;
	int rc = 0;

	s_proc_init(l, NULL, &ctl);
	s_proc_check(&ctl);
	if (ctl.pid > 0 && lab_os_process_reload(ctl.pid) == -1) {
		lab_error(cmd, 0, "cannot signal the controller (pid %ld)",
		    ctl.pid);
		rc = -1;
	}
	s_proc_release(&ctl);
	return rc;
}

int
lab_start_node(const lab *l, const char *cmd, const char *node)
{
	proc ctl, *nodes = NULL;
	bool *want = xcalloc(l->nnodes + 1, sizeof *want);
	char *program = s_find_program("hvpolicy-node", "node");
	int rc = LAB_EXIT_FAIL, started = -1;
	size_t idx = 0;

	s_open_procs(l, &ctl, &nodes);
	while (idx < l->nnodes && strcmp(l->nodes[idx], node) != 0)
		idx++;
	if (program == NULL || idx == l->nnodes)
		goto out;
	if ((started = s_start_node(&nodes[idx], program)) == -1)
		goto out;
	s_proc_check(&ctl);
	if (ctl.pid <= 0) {
		printf("%s %s (pid %ld); the controller is not running, the "
		    "node connects once `%s up` starts it\n", started ?
		    "started" : "already running:", node, nodes[idx].pid,
		    LAB_PROGRAM);
		rc = LAB_EXIT_OK;
		goto out;
	}
	want[idx] = true;
	if ((rc = s_wait_online(l, cmd, &ctl, nodes, want, false)) ==
	    LAB_EXIT_OK)
		printf("%s %s (pid %ld): online\n", started ? "started" :
		    "already running:", node, nodes[idx].pid);
out:
	free(program);
	free(want);
	s_close_procs(l, &ctl, &nodes);
	return rc;
}

/* Opens DIR NAME for the node commands; *node: the lab's spelling. */
static lab *
s_open_node(const char *cmd, const char *usage, int argc, char **argv,
    const char **node, int *rc)
{
	const char *name;
	lab *l = s_open_args(cmd, usage, argc, argv, 2, &name, rc);

	if (l == NULL)
		return NULL;
	if ((*node = lab_node_known(l, name)) == NULL) {
		*rc = LAB_EXIT_FAIL;
		lab_free(&l);
	}
	return l;
}

int
lab_cmd_start_node(int argc, char **argv)
{
	const char *node;
	int rc;
	lab *l = s_open_node("start-node", "start-node DIR NAME", argc, argv,
	    &node, &rc);

	if (l == NULL)
		return rc;
	rc = lab_start_node(l, "start-node", node);
	lab_free(&l);
	return rc;
}

int
lab_cmd_stop_node(int argc, char **argv)
{
	const char *node;
	proc p, *ps[1] = { &p };
	int rc, stopped;
	lab *l = s_open_node("stop-node", "stop-node DIR NAME", argc, argv,
	    &node, &rc);

	if (l == NULL)
		return rc;
	s_proc_init(l, node, &p);
	stopped = s_stop(ps, 1);
	if (stopped == -1)
		rc = LAB_EXIT_FAIL;
	else
		printf(stopped ? "stopped %s\n" : "%s was not running\n", node);
	s_proc_release(&p);
	lab_free(&l);
	return rc;
}

/* Whether the lab has that cluster (its only one, or one of several). */
static bool
s_lab_has_cluster(const lab *l, const char *name)
{
	if (l->nclusters == 0)
		return strcasecmp(l->cluster, name) == 0;
	for (size_t i = 0; i < l->nclusters; i++)
		if (strcasecmp(l->clusters[i], name) == 0)
			return true;
	return false;
}

int
lab_cmd_add_node(int argc, char **argv)
{
	const char *pos[2], *name, *cluster = NULL;
	size_t npos;
	int rc;
	lab *l;
	char **grown;

	lab_opt opts[] = { { "cluster", &cluster, 1, NULL } };

	if ((rc = lab_args_parse("add-node", "add-node DIR NAME [--cluster "
	    "NAME]", argc, argv, opts, 1, pos, 2, 2, &npos)) != 0)
		return rc;
	name = pos[1];
	if (!keys_name_valid(name))
		return lab_error("add-node", LAB_EXIT_USAGE, "'%s' is not a valid "
		    "node name: 1 to %d of A-Z a-z 0-9 . _ -, not starting with "
		    "'.'", name, KEYS_NAME_MAX);
	if ((l = lab_open(pos[0])) == NULL)
		return LAB_EXIT_FAIL;
	if (cluster && !s_lab_has_cluster(l, cluster)) {
		rc = lab_error("add-node", LAB_EXIT_USAGE, "--cluster %s: not a "
		    "cluster of the lab (lab.yaml names them)", cluster);
		lab_free(&l);
		return rc;
	}
	if (lab_node_name(l, name) != NULL) {
		rc = lab_error("add-node", LAB_EXIT_FAIL, "node '%s' already "
		    "exists in %s; choose another name (docs/lab.md: a rebuilt "
		    "node)", name, l->dir);
		lab_free(&l);
		return rc;
	}
	if (lab_lock(l) == -1 ||
	    lab_node_create_in(l, name, ROLE_HYPERV_NODE, cluster) == -1) {
		lab_free(&l);
		return LAB_EXIT_FAIL;
	}
	grown = xrealloc(l->nodes, (l->nnodes + 1) * sizeof *l->nodes);
	l->nodes = grown;
	l->nodes[l->nnodes++] = xstrdup(name);
	printf("added node %s (no guests, no policy settings)\n", name);
	rc = LAB_EXIT_OK;
	if (lab_controller_running(l)) {
		if (lab_reload_controller(l, "add-node") == -1)
			rc = LAB_EXIT_FAIL;
		else
			rc = lab_start_node(l, "add-node", name);
	}
	lab_free(&l);
	return rc;
}
