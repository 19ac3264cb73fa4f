/*
 * lab_dir.c: the lab directory (lab.h, "A lab directory"): the lab.yaml
 * marker that makes a directory a lab, paths of the files inside it, the
 * node list (DIR/nodes/NAME with a node.yaml), CSV and node names as the
 * lab spells them, host files loaded and saved (atomically), and the
 * owner of a guest across the cluster. Called by every command but init's
 * first steps.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostfile.h"
#include "filelock.h"
#include "lab.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ydoc.h"

char *
lab_path(const lab *l, const char *rel)
{
	return platform_path_join(l->dir, rel);
}

char *
lab_node_dir(const lab *l, const char *node)
{
	return xasprintf("%s/nodes/%s", l->dir, node);
}

char *
lab_node_file(const lab *l, const char *node, const char *file)
{
	return xasprintf("%s/nodes/%s/%s", l->dir, node, file);
}

char *
lab_socket_path(const lab *l)
{
	return xasprintf("%s/controller/control.sock", l->dir);
}

void
lab_free(lab **lp)
{
	lab *l;

	if (lp == NULL || *lp == NULL)
		return;
	l = *lp;
	free(l->dir);
	free(l->cluster);
	for (size_t i = 0; i < l->nclusters; i++)
		free(l->clusters[i]);
	free(l->clusters);
	for (size_t i = 0; i < l->ncsvs; i++)
		free(l->csvs[i]);
	free(l->csvs);
	for (size_t i = 0; i < l->nnodes; i++)
		free(l->nodes[i]);
	free(l->nodes);
	free(l);
	*lp = NULL;
}

int
lab_write_marker(const lab *l, char **err)
{
	strbuf sb;
	char *path = lab_path(l, LAB_MARKER);
	int rc;

	strbuf_init(&sb);
	strbuf_addf(&sb, "# A lab of %s (docs/lab.md): a simulated cluster "
	    "on one machine.\n# Written by `init`; the commands rely on it.\n",
	    LAB_PROGRAM);
	strbuf_addf(&sb, "lab: %d\n", LAB_FORMAT);
	strbuf_addf(&sb, "cluster: '%s'\n", l->cluster);
	if (l->nclusters > 0) {
		strbuf_addstr(&sb, "clusters: [");
		for (size_t i = 0; i < l->nclusters; i++)
			strbuf_addf(&sb, "%s'%s'", i ? ", " : "", l->clusters[i]);
		strbuf_addstr(&sb, "]\n");
	}
	strbuf_addf(&sb, "port: %d\n", l->port);
	strbuf_addf(&sb, "seed: %" PRIu64 "\n", l->seed);
	strbuf_addstr(&sb, "csvs: [");
	for (size_t i = 0; i < l->ncsvs; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", l->csvs[i]);
	strbuf_addstr(&sb, "]\n");
	rc = platform_replace_file(path, sb.data, sb.len, false, err);
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* Reads lab.yaml into l. Diagnostics in d. */
static int
s_read_marker(lab *l, const char *path, diag_list *d)
{
	ydoc *doc = ydoc_load(path, &YDOC_LIMITS_SMALL, d);
	ynode *format = NULL, *cluster = NULL, *port = NULL, *seed = NULL,
	    *csvs = NULL, *clusters = NULL;
	yfield fields[] = {
		{ "lab", &format, true },
		{ "cluster", &cluster, true },
		{ "port", &port, true },
		{ "seed", &seed, true },
		{ "csvs", &csvs, true },
		{ "clusters", &clusters, false },
	};
	int64_t v;
	int rc = -1;

	if (doc == NULL)
		return -1;
	if (ymap_check(doc, doc->root, "", fields, 6, d) == 0 &&
	    (clusters == NULL || yget_str_list(doc, clusters, "clusters",
	    &l->clusters, &l->nclusters, d) == 0) &&
	    yget_int(doc, format, "lab", LAB_FORMAT, LAB_FORMAT, &v, d) == 0 &&
	    yget_str(doc, cluster, "cluster", &l->cluster, d) == 0 &&
	    yget_int(doc, port, "port", 1, 65535, &v, d) == 0) {
		l->port = (int)v;
		if (yget_uint64(doc, seed, "seed", UINT64_MAX, &l->seed, d) == 0 &&
		    yget_str_list(doc, csvs, "csvs", &l->csvs, &l->ncsvs,
		    d) == 0)
			rc = 0;
	}
	ydoc_free(&doc);
	return rc;
}

static int
s_list_nodes(lab *l, char **err)
{
	char *dir = lab_path(l, "nodes"), **names = NULL;
	size_t count = 0;

	if (platform_list_dir(dir, "", &names, &count, err) == -1) {
		free(dir);
		return -1;
	}
	free(dir);
	for (size_t i = 0; i < count; i++) {
		char *cfg = lab_node_file(l, names[i], "node.yaml");

		if (platform_file_exists(cfg))
			names[l->nnodes++] = names[i];
		else
			free(names[i]);
		free(cfg);
	}
	l->nodes = names;
	return 0;
}

lab *
lab_open(const char *dir)
{
	lab *l = xcalloc(1, sizeof *l);
	char *marker, *err = NULL;
	diag_list d;

	if ((l->dir = lab_os_realpath(dir)) == NULL) {
		lab_error(NULL, 0, "%s: no such directory; create a lab with "
		    "`%s init %s --nodes N --csvs K --guests M`", dir,
		    LAB_PROGRAM, dir);
		lab_free(&l);
		return NULL;
	}
	marker = lab_path(l, LAB_MARKER);
	if (!platform_file_exists(marker)) {
		lab_error(NULL, 0, "%s is not a lab directory (it has no %s); "
		    "create one with `%s init DIR --nodes N --csvs K --guests M`",
		    dir, LAB_MARKER, LAB_PROGRAM);
		free(marker);
		lab_free(&l);
		return NULL;
	}
	diag_list_init(&d);
	if (s_read_marker(l, marker, &d) == -1) {
		diag_sort(&d);
		diag_print(&d, stderr);
		lab_error(NULL, 0, "%s: not a valid lab marker", marker);
		diag_list_release(&d);
		free(marker);
		lab_free(&l);
		return NULL;
	}
	diag_list_release(&d);
	free(marker);
	if (s_list_nodes(l, &err) == -1) {
		lab_error(NULL, 0, "%s", err);
		free(err);
		lab_free(&l);
		return NULL;
	}
	return l;
}

const char *
lab_node_name(const lab *l, const char *name)
{
	for (size_t i = 0; i < l->nnodes; i++)
		if (strcasecmp(l->nodes[i], name) == 0)
			return l->nodes[i];
	return NULL;
}

const char *
lab_node_known(const lab *l, const char *name)
{
	const char *node = lab_node_name(l, name);
	strbuf names;

	if (node)
		return node;
	strbuf_init(&names);
	for (size_t i = 0; i < l->nnodes; i++)
		strbuf_addf(&names, "%s%s", i ? ", " : "", l->nodes[i]);
	lab_error(NULL, 0, "unknown node '%s'; the nodes of the lab %s are: "
	    "%s", name, l->dir, names.data);
	strbuf_release(&names);
	return NULL;
}

const char *
lab_csv_name(const lab *l, const char *name)
{
	for (size_t i = 0; i < l->ncsvs; i++)
		if (strcasecmp(l->csvs[i], name) == 0)
			return l->csvs[i];
	return NULL;
}

static void
s_csv_names(const lab *l, strbuf *sb)
{
	for (size_t i = 0; i < l->ncsvs; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", l->csvs[i]);
}

int
lab_csv_list(const lab *l, const char *list, const char ***out,
    size_t *count, int *code)
{
	const char **v = xcalloc(strlen(list) + 1, sizeof *v);
	const char *p = list;
	size_t n = 0;
	strbuf names;

	strbuf_init(&names);
	s_csv_names(l, &names);
	*code = LAB_EXIT_OK;
	while (*code == LAB_EXIT_OK) {
		size_t len = strcspn(p, ",");
		char *tok = xstrndup(p, len);
		const char *name = lab_csv_name(l, tok);

		if (len == 0)
			*code = lab_error(NULL, LAB_EXIT_USAGE, "empty volume "
			    "name in '%s'; the lab's CSVs are: %s", list,
			    names.data);
		else if (name == NULL)
			*code = lab_error(NULL, LAB_EXIT_FAIL, "unknown volume "
			    "'%s'; the lab's CSVs are: %s", tok, names.data);
		for (size_t i = 0; i < n && *code == LAB_EXIT_OK; i++)
			if (v[i] == name)
				*code = lab_error(NULL, LAB_EXIT_USAGE,
				    "volume '%s' given twice", name);
		free(tok);
		v[n++] = name;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	strbuf_release(&names);
	if (*code != LAB_EXIT_OK) {
		free(v);
		return -1;
	}
	*out = v;
	*count = n;
	return 0;
}

host_state *
lab_host_load(const lab *l, const char *node)
{
	char *path = lab_node_file(l, node, "host.yaml");
	host_state *h;
	diag_list d;

	diag_list_init(&d);
	h = hostfile_load(path, &d);
	if (h == NULL) {
		diag_sort(&d);
		diag_print(&d, stderr);
		lab_error(NULL, 0, "cannot load the host file of %s (%s); fix "
		    "or replace it", node, path);
	}
	diag_list_release(&d);
	free(path);
	return h;
}

int
lab_host_save(const lab *l, const char *node, const host_state *h)
{
	char *path = lab_node_file(l, node, "host.yaml"), *err = NULL;
	int rc = hostfile_save(h, path, &err);

	if (rc == -1) {
		lab_error(NULL, 0, "cannot write the host file of %s: %s",
		    node, err);
		free(err);
	}
	free(path);
	return rc;
}

int
lab_hosts_load(const lab *l, lab_hosts *out)
{
	out->h = xcalloc(l->nnodes + 1, sizeof *out->h);
	out->locks = xcalloc(l->nnodes + 1, sizeof *out->locks);
	out->n = 0;
	for (size_t i = 0; i < l->nnodes; i++) {
		char *path = lab_node_file(l, l->nodes[i], "host.yaml");
		char *lock = filelock_path_for(path), *err = NULL;

		out->n = i + 1;
		out->locks[i] = filelock_acquire(lock, LAB_LOCK_TIMEOUT_MS, &err);
		free(lock);
		free(path);
		if (out->locks[i] == NULL) {
			lab_error(NULL, 0, "the host file of %s stays locked: %s",
			    l->nodes[i], err);
			free(err);
			lab_hosts_release(out);
			return -1;
		}
		if ((out->h[i] = lab_host_load(l, l->nodes[i])) == NULL) {
			lab_hosts_release(out);
			return -1;
		}
	}
	return 0;
}

void
lab_hosts_release(lab_hosts *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		host_state_free(&hs->h[i]);
		platform_lock_release(&hs->locks[i]);
	}
	free(hs->h);
	free(hs->locks);
	hs->h = NULL;
	hs->locks = NULL;
	hs->n = 0;
}

int
lab_guest_owner(const lab *l, lab_hosts *hs, const char *guest)
{
	int owner = -1;
	strbuf where;

	strbuf_init(&where);
	for (size_t i = 0; i < hs->n; i++) {
		if (host_guest_find(hs->h[i], guest) == NULL)
			continue;
		strbuf_addf(&where, "%s%s", owner == -1 ? "" : ", ",
		    l->nodes[i]);
		if (owner == -1)
			owner = (int)i;
		else
			owner = -2;
	}
	if (owner == -1)
		lab_error(NULL, 0, "unknown guest '%s': no node of the lab "
		    "owns it (see `%s show DIR NODE`)", guest, LAB_PROGRAM);
	else if (owner == -2)
		lab_error(NULL, 0, "guest '%s' is on more than one node (%s), as after an "
		    "interrupted migration; edit the host file of each node "
		    "that should not own it", guest, where.data);
	strbuf_release(&where);
	return owner < 0 ? -1 : owner;
}

/* The lab's edit lock, held until the command exits. */
static platform_lock *s_lab_lock;

int
lab_lock(const lab *l)
{
	char *path = lab_path(l, "lab.lock"), *err = NULL;
	platform_lock *lock;

	/* Commands run side by side (scripts, Ansible forks): wait for the
	 * one holding the lock to finish. The lock lives as long as this
	 * command. */
	lock = filelock_acquire(path, LAB_LOCK_TIMEOUT_MS, &err);
	free(path);
	if (lock == NULL) {
		lab_error(NULL, 0, "another %s command has been changing this "
		    "lab for %d s (%s); try again when it is done", LAB_PROGRAM,
		    LAB_LOCK_TIMEOUT_MS / 1000, err);
		free(err);
		return -1;
	}
	s_lab_lock = lock;
	return 0;
}
