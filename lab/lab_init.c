/*
 * lab_init.c: making a lab (`init`) and its nodes (lab.h,
 * lab_node_create): CURVE keys, the controller's and the nodes' configs,
 * host files as a freshly built cluster has them (guests spread over
 * nodes and CSVs from a seeded generator, no policy setting anywhere),
 * and the DPM agent log that shows the hardware provider at work. Also
 * used by `add-node` (lab_procs.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfile.h"
#include "keys.h"
#include "lab.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

/* Appends s as a single-quoted YAML scalar. */
static void
s_yaml_quoted(strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addch(sb, '\'');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

static void
s_yaml_path(strbuf *sb, const char *key, const lab *l, const char *rel)
{
	char *path = lab_path(l, rel);

	strbuf_addf(sb, "%s: ", key);
	s_yaml_quoted(sb, path);
	strbuf_addch(sb, '\n');
	free(path);
}

static int
s_write(const char *path, const strbuf *sb, bool private_mode)
{
	char *err = NULL;

	if (platform_replace_file(path, sb->data, sb->len, private_mode,
	    &err) == 0)
		return 0;
	lab_error(NULL, 0, "%s", err);
	free(err);
	return -1;
}

/* Copies the public key file keys/NAME.key into keys/SUBDIR/. */
static int
s_copy_public(const lab *l, const char *name, const char *subdir)
{
	char *from = xasprintf("%s/keys/%s%s", l->dir, name,
	    KEYS_PUBLIC_SUFFIX);
	char *dir = xasprintf("%s/keys/%s", l->dir, subdir);
	char *to = xasprintf("%s/%s%s", dir, name, KEYS_PUBLIC_SUFFIX);
	char *data = NULL, *err = NULL;
	size_t len = 0;
	int rc = -1;

	if (platform_mkdir_p(dir, false, &err) == 0 &&
	    platform_read_file(from, 4096, &data, &len, &err) == 0 &&
	    platform_replace_file(to, data, len, false, &err) == 0)
		rc = 0;
	if (rc == -1) {
		lab_error(NULL, 0, "%s", err);
		free(err);
	}
	free(data);
	free(from);
	free(dir);
	free(to);
	return rc;
}

static int
s_keygen(const lab *l, const char *name)
{
	char *dir = lab_path(l, "keys"), *err = NULL;
	int rc = keys_generate(name, dir, &err);

	if (rc == -1) {
		lab_error(NULL, 0, "cannot make the key of %s: %s", name, err);
		free(err);
	}
	free(dir);
	return rc;
}

static int
s_controller_config(const lab *l)
{
	char *path = lab_path(l, "controller/controller.yaml");
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	strbuf_addf(&sb, "# hvpolicy-controller of the lab (written by %s; "
	    "docs/lab.md)\n", LAB_PROGRAM);
	if (l->nclusters > 0) {
		strbuf_addstr(&sb, "# One controller for every cluster of the "
		    "lab (docs/controller.md).\nclusters: [");
		for (size_t i = 0; i < l->nclusters; i++) {
			strbuf_addstr(&sb, i ? ", " : "");
			s_yaml_quoted(&sb, l->clusters[i]);
		}
		strbuf_addstr(&sb, "]");
	} else {
		strbuf_addstr(&sb, "cluster: ");
		s_yaml_quoted(&sb, l->cluster);
	}
	strbuf_addf(&sb, "\nlisten: tcp://127.0.0.1:%d\n", l->port);
	s_yaml_path(&sb, "controlSocket", l, "controller/control.sock");
	s_yaml_path(&sb, "dataDir", l, "controller/data");
	s_yaml_path(&sb, "secretKey", l, "keys/controller" KEYS_SECRET_SUFFIX);
	s_yaml_path(&sb, "nodeKeys", l, "keys/nodes");
	s_yaml_path(&sb, "adminKeys", l, "keys/admins");
	strbuf_addf(&sb, "# A lab wants fast liveness: a node is offline after "
	    "3 missed heartbeats.\nheartbeatSeconds: %d\n",
	    LAB_HEARTBEAT_SECONDS);
	rc = s_write(path, &sb, false);
	strbuf_release(&sb);
	free(path);
	return rc;
}

static int
s_node_config(const lab *l, const char *name, host_role role)
{
	char *path = lab_node_file(l, name, "node.yaml"), *rel;
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	strbuf_addf(&sb, "# hvpolicy-node %s of the lab (written by %s; "
	    "docs/lab.md)\n", name, LAB_PROGRAM);
	strbuf_addf(&sb, "name: %s\nrole: %s\n", name, HOST_ROLE_NAMES[role]);
	strbuf_addf(&sb, "controller: tcp://127.0.0.1:%d\n", l->port);
	s_yaml_path(&sb, "controllerKey", l, "keys/controller"
	    KEYS_PUBLIC_SUFFIX);
	rel = xasprintf("keys/%s%s", name, KEYS_SECRET_SUFFIX);
	s_yaml_path(&sb, "secretKey", l, rel);
	free(rel);
	rel = xasprintf("nodes/%s/state", name);
	s_yaml_path(&sb, "stateDir", l, rel);
	free(rel);
	strbuf_addstr(&sb, "backend: sim\n");
	rel = xasprintf("nodes/%s/host.yaml", name);
	s_yaml_path(&sb, "hostFile", l, rel);
	free(rel);
	strbuf_addf(&sb, "heartbeatSeconds: %d\n", LAB_HEARTBEAT_SECONDS);
	rc = s_write(path, &sb, false);
	strbuf_release(&sb);
	free(path);
	return rc;
}

static void
s_add_provider(host_state *h, const char *id, const char *name,
    provider_type type, const char *version, bool autorecovery)
{
	host_provider *p;

	h->providers = xrealloc(h->providers,
	    (h->nproviders + 1) * sizeof *h->providers);
	p = &h->providers[h->nproviders++];
	p->id = xstrdup(id);
	p->name = xstrdup(name);
	p->type = type;
	p->version = xstrdup(version);
	p->autorecovery = autorecovery;
}

/* True when a key file of that name is already in keys/. */
static bool
s_key_taken(const lab *l, const char *name)
{
	const char *const files[] = { "%s/keys/%s" KEYS_PUBLIC_SUFFIX,
	    "%s/keys/%s" KEYS_SECRET_SUFFIX,
	    "%s/keys/nodes/%s" KEYS_PUBLIC_SUFFIX };
	bool taken = false;

	for (size_t i = 0; i < sizeof files / sizeof files[0] && !taken; i++) {
		char *path = xasprintf(files[i], l->dir, name);

		taken = platform_file_exists(path);
		free(path);
	}
	return taken;
}

host_state *
lab_host_new(const lab *l, const char *name, host_role role,
    const char *cluster)
{
	host_state *h = host_state_new();

	h->node = xstrdup(name);
	h->role = role;
	if (role == ROLE_DPM_SERVER && l->nclusters > 0) {
		/* DPM01 protects every cluster of the lab. */
		h->clusters = xcalloc(l->nclusters, sizeof *h->clusters);
		for (size_t i = 0; i < l->nclusters; i++)
			h->clusters[i] = xstrdup(l->clusters[i]);
		h->nclusters = l->nclusters;
	} else {
		h->cluster = xstrdup(cluster ? cluster : l->cluster);
	}
	s_add_provider(h, LAB_SW_PROVIDER_ID, LAB_SW_PROVIDER_NAME,
	    PROVIDER_SYSTEM, LAB_SW_PROVIDER_VERSION, true);
	if (role == ROLE_DPM_SERVER) {
		h->data_source_groups = xstrdup(LAB_DSGROUPS_FILE);
		return h;
	}
	/* Every Hyper-V node of the lab has the iSCSI hardware provider,
	 * which does not support autorecovery (domain.md). */
	s_add_provider(h, LAB_HW_PROVIDER_ID, LAB_HW_PROVIDER_NAME,
	    PROVIDER_HARDWARE, LAB_HW_PROVIDER_VERSION, false);
	h->csvs = xcalloc(l->ncsvs ? l->ncsvs : 1, sizeof *h->csvs);
	for (size_t i = 0; i < l->ncsvs; i++)
		h->csvs[i] = xstrdup(l->csvs[i]);
	h->ncsvs = l->ncsvs;
	return h;
}

int
lab_node_create(const lab *l, const char *name, host_role role)
{
	return lab_node_create_in(l, name, role, NULL);
}

int
lab_node_create_in(const lab *l, const char *name, host_role role,
    const char *cluster)
{
	char *dir = lab_node_dir(l, name), *state, *err = NULL;
	host_state *h;
	int rc = -1;

	if (platform_file_exists(dir) || s_key_taken(l, name)) {
		lab_error(NULL, 0, "%s or a key named %s already exists; choose "
		    "another node name", dir, name);
		free(dir);
		return -1;
	}
	state = xasprintf("%s/state", dir);
	if (platform_mkdir_p(state, true, &err) == -1) {
		lab_error(NULL, 0, "%s", err);
		free(err);
		goto out;
	}
	h = lab_host_new(l, name, role, cluster);
	/* node.yaml last: it is what makes the directory a node. */
	if (s_keygen(l, name) == 0 && s_copy_public(l, name, "nodes") == 0 &&
	    lab_host_save(l, name, h) == 0 && s_node_config(l, name, role) == 0)
		rc = 0;
	host_state_free(&h);
out:
	free(state);
	free(dir);
	return rc;
}

/*
 * init
 */

typedef struct init_args {
	const char *dir;
	int64_t nodes, csvs, guests, port, clusters;
	uint64_t seed;
	const char *cluster;
} init_args;

#define INIT_USAGE "init DIR --nodes N --csvs K --guests M [--seed S] " \
    "[--port P] [--cluster NAME] [--clusters N]"

static int
s_init_args(int argc, char **argv, init_args *a)
{
	const char *nodes = NULL, *csvs = NULL, *guests = NULL, *seed = NULL,
	    *port = NULL, *clusters = NULL, *pos[1];
	lab_opt opts[] = {
		{ "nodes", &nodes, 1, NULL }, { "csvs", &csvs, 1, NULL },
		{ "guests", &guests, 1, NULL }, { "seed", &seed, 1, NULL },
		{ "port", &port, 1, NULL }, { "cluster", &a->cluster, 1, NULL },
		{ "clusters", &clusters, 1, NULL },
	};
	size_t npos;
	int64_t v;
	int rc;

	a->cluster = LAB_DEFAULT_CLUSTER;
	if ((rc = lab_args_parse("init", INIT_USAGE, argc, argv, opts, 7, pos,
	    1, 1, &npos)) != 0)
		return rc;
	a->clusters = 1;
	if (clusters && lab_args_int("init", "--clusters", clusters, 1,
	    LAB_MAX_CLUSTERS, &a->clusters))
		return LAB_EXIT_USAGE;
	a->dir = pos[0];
	if (nodes == NULL || csvs == NULL || guests == NULL)
		return lab_error("init", LAB_EXIT_USAGE, "--nodes, --csvs and "
		    "--guests are required\nusage: %s %s", LAB_PROGRAM,
		    INIT_USAGE);
	if (lab_args_int("init", "--nodes", nodes, 1, LAB_MAX_NODES,
	    &a->nodes) || lab_args_int("init", "--csvs", csvs, 1, LAB_MAX_CSVS,
	    &a->csvs) || lab_args_int("init", "--guests", guests, 0,
	    LAB_MAX_GUESTS, &a->guests))
		return LAB_EXIT_USAGE;
	a->port = LAB_DEFAULT_PORT;
	if (port && lab_args_int("init", "--port", port, 1, 65535, &a->port))
		return LAB_EXIT_USAGE;
	a->seed = LAB_DEFAULT_SEED;
	if (seed) {
		if (lab_args_int("init", "--seed", seed, 0, INT64_MAX, &v))
			return LAB_EXIT_USAGE;
		a->seed = (uint64_t)v;
	}
	if (!keys_name_valid(a->cluster) || strlen(a->cluster) + 3 >
	    KEYS_NAME_MAX)
		return lab_error("init", LAB_EXIT_USAGE, "--cluster: '%s' is not "
		    "a valid cluster name: 1 to %d of A-Z a-z 0-9 . _ -",
		    a->cluster, KEYS_NAME_MAX - 3);
	if (a->nodes * a->clusters > LAB_MAX_NODES)
		return lab_error("init", LAB_EXIT_USAGE, "--nodes %lld x "
		    "--clusters %lld: at most %d nodes in a lab",
		    (long long)a->nodes, (long long)a->clusters, LAB_MAX_NODES);
	if (a->guests * a->clusters > LAB_MAX_GUESTS)
		return lab_error("init", LAB_EXIT_USAGE, "--guests %lld x "
		    "--clusters %lld: at most %d guests in a lab",
		    (long long)a->guests, (long long)a->clusters,
		    LAB_MAX_GUESTS);
	return 0;
}

/* Refuses a DIR that holds anything. */
static int
s_check_empty(const char *dir)
{
	char **names = NULL, *err = NULL;
	size_t count = 0;

	if (!platform_file_exists(dir))
		return 0;
	if (platform_list_dir(dir, "", &names, &count, &err) == -1) {
		lab_error("init", 0, "%s", err);
		free(err);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	if (count > 0) {
		lab_error("init", 0, "%s is not empty; give a new or empty "
		    "directory (to start again, `%s down %s` and remove it)",
		    dir, LAB_PROGRAM, dir);
		return -1;
	}
	return 0;
}

/* Spreads the guests: nodes and CSVs each in shuffled rounds, so counts
 * stay even but the pairing looks random; about one guest in ten also
 * gets a disk on a second CSV. */
static void
s_place_guests(const lab *l, lab_rand *r, host_state **hosts, size_t nhv,
    size_t nguests, size_t first)
{
	size_t *node_order = xcalloc(nhv, sizeof *node_order);
	size_t *vol_order = xcalloc(l->ncsvs, sizeof *vol_order);
	size_t *guest_order = xcalloc(nguests ? nguests : 1, sizeof *guest_order);
	bool *spans = xcalloc(nguests ? nguests : 1, sizeof *spans);
	size_t nspan = l->ncsvs > 1 ? (nguests + 5) / 10 : 0;

	for (size_t i = 0; i < nguests; i++)
		guest_order[i] = i;
	lab_rand_shuffle(r, guest_order, nguests);
	for (size_t i = 0; i < nspan; i++)
		spans[guest_order[i]] = true;
	for (size_t i = 0; i < nhv; i++)
		node_order[i] = i;
	for (size_t i = 0; i < l->ncsvs; i++)
		vol_order[i] = i;
	for (size_t i = 0; i < nguests; i++) {
		const char *vols[2];
		size_t v, nvols = 1;
		char name[32], guid[37];
		host_guest g;

		if (i % nhv == 0)
			lab_rand_shuffle(r, node_order, nhv);
		if (i % l->ncsvs == 0)
			lab_rand_shuffle(r, vol_order, l->ncsvs);
		v = vol_order[i % l->ncsvs];
		vols[0] = l->csvs[v];
		if (spans[i]) {
			v = (v + 1 + lab_rand_below(r, l->ncsvs - 1)) % l->ncsvs;
			vols[nvols++] = l->csvs[v];
		}
		snprintf(name, sizeof name, "VM%04zu", first + i + 1);
		lab_rand_guid(r, guid);
		lab_guest_make(&g, name, guid, vols, nvols);
		host_guest_add(hosts[node_order[i % nhv]], &g);
		host_guest_clear(&g);
	}
	free(node_order);
	free(vol_order);
	free(guest_order);
	free(spans);
}

/* HV01's DPM agent log: the line that shows the iSCSI hardware provider
 * took the last snapshot, in the agent's tab-separated format. */
static int
s_agent_log(const lab *l, const char *node, lab_rand *r)
{
	char *path = lab_node_file(l, node, LAB_AGENT_LOG), volume[37];
	strbuf sb;
	int rc;

	lab_rand_guid(r, volume);
	strbuf_init(&sb);
	strbuf_addf(&sb, "0990\t17D8\t11/05\t13:02:42.416\t31\t"
	    "vsssnapshotrequestor.cpp(585)\t[00000000003970D0]\tNORMAL\t"
	    "CVssSnapshotRequestor:: ProviderId:[{2F900F90-00E9-440E-873A-"
	    "96CA5EB079E5}], h/w provider:[65536], "
	    "volume:[\\\\?\\Volume{%s}\\]\n", volume);
	rc = s_write(path, &sb, false);
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* The cluster of Hyper-V node i of nhv per cluster (NULL: the one). */
static const char *
s_cluster_of(const lab *l, size_t i, size_t nhv)
{
	return l->nclusters > 0 ? l->clusters[i / nhv] : NULL;
}

/* Writes keys, configs and empty hosts of every node: nhv Hyper-V nodes
 * in each cluster, then DPM01. */
static int
s_init_files(lab *l, size_t nhv)
{
	char *err = NULL, *dir = lab_path(l, "controller/data");
	int rc = platform_mkdir_p(dir, true, &err);

	free(dir);
	if (rc == -1) {
		lab_error("init", 0, "%s", err);
		free(err);
		return -1;
	}
	if (s_keygen(l, "controller") == -1 || s_keygen(l, "admin") == -1 ||
	    s_copy_public(l, "admin", "admins") == -1 ||
	    s_controller_config(l) == -1)
		return -1;
	for (size_t i = 0; i < l->nnodes; i++)
		if (lab_node_create_in(l, l->nodes[i], ROLE_HYPERV_NODE,
		    s_cluster_of(l, i, nhv)) == -1)
			return -1;
	return lab_node_create(l, LAB_DPM_SERVER, ROLE_DPM_SERVER);
}

/* Puts the guests into the hosts (nguests per cluster over its nhv
 * nodes, numbered on across clusters so every name is the lab's only
 * one) and HV01's agent log beside it. */
static int
s_init_guests(lab *l, size_t nhv, size_t nguests)
{
	host_state **hosts = xcalloc(l->nnodes, sizeof *hosts);
	size_t ncl = l->nclusters > 0 ? l->nclusters : 1;
	lab_rand r;
	int rc = 0;

	lab_rand_init(&r, l->seed);
	for (size_t i = 0; i < l->nnodes; i++)
		hosts[i] = lab_host_new(l, l->nodes[i], ROLE_HYPERV_NODE,
		    s_cluster_of(l, i, nhv));
	for (size_t c = 0; c < ncl; c++)
		s_place_guests(l, &r, hosts + c * nhv, nhv, nguests,
		    c * nguests);
	hosts[0]->agent_log = xstrdup(LAB_AGENT_LOG);
	if (s_agent_log(l, l->nodes[0], &r) == -1)
		rc = -1;
	for (size_t i = 0; i < l->nnodes && rc == 0; i++)
		rc = lab_host_save(l, l->nodes[i], hosts[i]);
	for (size_t i = 0; i < l->nnodes; i++)
		host_state_free(&hosts[i]);
	free(hosts);
	return rc;
}

/* --clusters N > 1: CLUSTER-1 ... CLUSTER-N. */
static void
s_init_clusters(lab *l, const init_args *a)
{
	if (a->clusters <= 1)
		return;
	l->nclusters = (size_t)a->clusters;
	l->clusters = xcalloc(l->nclusters, sizeof *l->clusters);
	for (size_t i = 0; i < l->nclusters; i++)
		l->clusters[i] = xasprintf("%s-%zu", a->cluster, i + 1);
	free(l->cluster);
	l->cluster = xstrdup(l->clusters[0]);
}

int
lab_cmd_init(int argc, char **argv)
{
	init_args a = { 0 };
	lab *l;
	char *err = NULL, *sock, *lock;
	int rc = s_init_args(argc, argv, &a);

	if (rc != 0)
		return rc;
	if (s_check_empty(a.dir) == -1)
		return LAB_EXIT_FAIL;
	if (platform_mkdir_p(a.dir, false, &err) == -1) {
		rc = lab_error("init", LAB_EXIT_FAIL, "%s", err);
		free(err);
		return rc;
	}
	l = xcalloc(1, sizeof *l);
	if ((l->dir = lab_os_realpath(a.dir)) == NULL) {
		lab_free(&l);
		return lab_error("init", LAB_EXIT_FAIL, "cannot resolve %s",
		    a.dir);
	}
	sock = lab_socket_path(l);
	if (strlen(sock) > LAB_MAX_SOCKET_PATH) {
		rc = lab_error("init", LAB_EXIT_USAGE, "the lab's control socket "
		    "%s would be longer than %d bytes, too long for a local "
		    "socket; choose a shorter directory", sock,
		    LAB_MAX_SOCKET_PATH);
		free(sock);
		lab_free(&l);
		return rc;
	}
	free(sock);
	l->cluster = xstrdup(a.cluster);
	l->port = (int)a.port;
	l->seed = a.seed;
	l->ncsvs = (size_t)a.csvs;
	l->csvs = xcalloc(l->ncsvs, sizeof *l->csvs);
	for (size_t i = 0; i < l->ncsvs; i++)
		l->csvs[i] = xasprintf("Volume%zu", i + 1);
	s_init_clusters(l, &a);
	l->nnodes = (size_t)(a.nodes * (l->nclusters ? (int64_t)l->nclusters :
	    1));
	l->nodes = xcalloc(l->nnodes, sizeof *l->nodes);
	for (size_t i = 0; i < l->nnodes; i++)
		l->nodes[i] = xasprintf("HV%02zu", i + 1);
	lock = lab_path(l, "lab.lock");
	rc = LAB_EXIT_FAIL;
	if (s_init_files(l, (size_t)a.nodes) == 0 &&
	    s_init_guests(l, (size_t)a.nodes, (size_t)a.guests) == 0 &&
	    platform_replace_file(lock, "", 0, false, &err) == 0 &&
	    lab_write_marker(l, &err) == 0)
		rc = LAB_EXIT_OK;
	if (err)
		lab_error("init", 0, "%s", err);
	if (rc == LAB_EXIT_OK && l->nclusters > 0)
		printf("lab %s: %zu clusters (%s-1 to %s-%zu) of %" PRId64
		    " Hyper-V nodes, %zu CSVs and %" PRId64 " guests each, "
		    "all behind %s (seed %" PRIu64 ", port %d)\n", l->dir,
		    l->nclusters, a.cluster, a.cluster, l->nclusters, a.nodes,
		    l->ncsvs, a.guests, LAB_DPM_SERVER, l->seed, l->port);
	else if (rc == LAB_EXIT_OK)
		printf("lab %s: %zu Hyper-V nodes and %s, %zu CSVs, %" PRId64
		    " guests (seed %" PRIu64 ", port %d)\n", l->dir, l->nnodes,
		    LAB_DPM_SERVER, l->ncsvs, a.guests, l->seed, l->port);
	else
		lab_error("init", 0, "%s is incomplete; remove it and run init "
		    "again", l->dir);
	free(err);
	free(lock);
	lab_free(&l);
	return rc;
}
