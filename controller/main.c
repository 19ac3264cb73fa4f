/*
 * main.c: hvpolicy-controller. Reads the configuration (file and flags),
 * opens the store, binds the node socket (ROUTER, CURVE with our own ZAP
 * handler unless --insecure), the local control socket and optionally the
 * CURVE admin port, then runs one zmq_poll loop with one periodic tick.
 * Signal handlers only set flags: SIGTERM stops, SIGHUP re-reads the keys
 * and the config file's webhooks (a config with errors is logged and the
 * running one kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <zmq.h>

#include "backup.h"
#include "bounds.h"
#include "config.h"
#include "connguard.h"
#include "control.h"
#include "ctlsock.h"
#include "dryrun.h"
#include "events.h"
#include "hookconf.h"
#include "keys.h"
#include "filelock.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "peer.h"
#include "progress.h"
#include "push.h"
#include "restore.h"
#include "retention.h"
#include "server.h"
#include "store.h"
#include "webhooks.h"
#include "version.h"
#include "wire.h"
#include "xalloc.h"
#include "zap.h"

#define CONTROLLER_TICK_MS 250
/* How often freed heap pages go back to the system (platform.h): a
 * burst of inventories or plans leaves megabytes the heap keeps. */
#define S_RELEASE_MEMORY_MS (60 * 1000)

static const config_option s_options[] = {
	{ "cluster", CONFIG_STRING, NULL, false, 0, 0,
	    "cluster this controller holds; nodes of another are refused" },
	{ "clusters", CONFIG_LIST, NULL, false, 0, 0,
	    "clusters this controller holds, in place of cluster "
	    "(--clusters A,B)" },
	{ "listen", CONFIG_STRING, "tcp://0.0.0.0:7600", false, 0, 0,
	    "node traffic endpoint (ROUTER)" },
	{ "controlSocket", CONFIG_STRING, "/run/hvpolicy/control.sock", false,
	    0, 0, "local admin socket (mode 0600)" },
	{ "dataDir", CONFIG_STRING, "/var/lib/hvpolicy", false, 0, 0,
	    "directory of the SQLite store" },
	{ "secretKey", CONFIG_STRING, NULL, false, 0, 0,
	    "controller's CURVE secret key file" },
	{ "nodeKeys", CONFIG_STRING, NULL, false, 0, 0,
	    "directory of NAME.key files of the nodes allowed in" },
	{ "adminKeys", CONFIG_STRING, NULL, false, 0, 0,
	    "directory of admin public keys for the remote CLI" },
	{ "adminListen", CONFIG_STRING, NULL, false, 0, 0,
	    "remote admin endpoint (needs adminKeys)" },
	{ "heartbeatSeconds", CONFIG_INT, "5", false, 1, 3600,
	    "node heartbeat period; offline after 3 missed" },
	{ "insecure", CONFIG_BOOL, "false", false, 0, 0,
	    "plain text, no authentication (tests only)" },
	{ "adminReadKeys", CONFIG_STRING, NULL, false, 0, 0,
	    "directory of read-only admin public keys (needs adminKeys' port)" },
	{ "requireChangeId", CONFIG_BOOL, "false", false, 0, 0,
	    "apply and rollback need --change-id" },
	{ "metricsListen", CONFIG_STRING, NULL, false, 0, 0,
	    "Prometheus text format at /metrics (tcp://HOST:PORT)" },
	{ "eventRetentionDays", CONFIG_INT, "90", false, 0, 36500,
	    "events older than this many days are pruned (0: kept for "
	    "ever; docs/events.md)" },
	{ "webhooks", CONFIG_SECTION, NULL, false, 0, 0,
	    "endpoints events are delivered to (config file only; "
	    "docs/webhooks.md)" },
	{ "logFormat", CONFIG_STRING, "text", false, 0, 0,
	    "log lines as text or json (also --log-format)" },
	{ "verbose", CONFIG_BOOL, "false", false, 0, 0, "debug logging" },
};
#define NOPTIONS (sizeof s_options / sizeof s_options[0])

/* A cluster name: not empty, no control characters, no ',' (a DPM
 * server's clusters are recorded joined by commas) and no '/' (it
 * qualifies group names, dsgroups.h). */
static bool
s_cluster_name_ok(const char *n)
{
	if (*n == '\0')
		return false;
	for (const char *p = n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ',' ||
		    *p == '/')
			return false;
	return true;
}

/* Exactly one of cluster and clusters; names valid and different. */
static int
s_check_clusters(const config_values *v, diag_list *d)
{
	size_t n = 0;
	const char *const *list = config_list(v, "clusters", &n);
	const char *one = config_str(v, "cluster");
	int rc = 0;

	if ((one == NULL) == (list == NULL)) {
		diag_add(d, "<config>", 0, 0, "cluster", one ? "cluster, "
		    "clusters: give one of them, not both (cluster: X means "
		    "clusters: [X])" : "cluster: required (in the config file "
		    "or as --cluster), or clusters: [A, B]");
		return -1;
	}
	if (list && n == 0) {
		diag_add(d, "<config>", 0, 0, "clusters", "clusters: expected "
		    "at least one cluster name");
		return -1;
	}
	for (size_t i = 0; i < (list ? n : 1); i++) {
		const char *name = list ? list[i] : one;

		if (!s_cluster_name_ok(name)) {
			diag_add(d, "<config>", 0, 0, list ? "clusters" :
			    "cluster", "%s: expected a cluster name without "
			    "control characters, ',' or '/', got '%s'",
			    list ? "clusters" : "cluster", name);
			rc = -1;
		}
		for (size_t k = 0; list && k < i; k++)
			if (strcasecmp(list[k], name) == 0) {
				diag_add(d, "<config>", 0, 0, "clusters",
				    "clusters: %s is named twice", name);
				rc = -1;
			}
	}
	return rc;
}

static int
s_check_config(const config_values *v, diag_list *d)
{
	int rc = s_check_clusters(v, d);

	if (!config_bool(v, "insecure")) {
		if (config_str(v, "secretKey") == NULL) {
			diag_add(d, "<config>", 0, 0, "secretKey", "secretKey: "
			    "required unless insecure is true");
			rc = -1;
		}
		if (config_str(v, "nodeKeys") == NULL) {
			diag_add(d, "<config>", 0, 0, "nodeKeys", "nodeKeys: "
			    "required unless insecure is true");
			rc = -1;
		}
	}
	if (config_str(v, "adminReadKeys") && config_str(v, "adminListen") ==
	    NULL) {
		diag_add(d, "<config>", 0, 0, "adminReadKeys", "adminReadKeys: "
		    "needs adminListen (read-only keys use the remote port)");
		rc = -1;
	}
	if (config_str(v, "adminListen") && config_str(v, "adminKeys") == NULL) {
		diag_add(d, "<config>", 0, 0, "adminListen", "adminListen: "
		    "needs adminKeys");
		rc = -1;
	}
	return rc;
}

/* The webhooks section, checked with the rest of the config so that a
 * bad one stops the start with every error listed. */
static int
s_check_webhooks(const char *file, diag_list *d)
{
	hook_endpoint *list = NULL;
	size_t n = 0;
	int rc = hookconf_load(file, &list, &n, d);

	hookconf_free(&list, n);
	return rc;
}

/* --log-format wins over logFormat. */
static int
s_log_format(const config_values *v, const char *flag, diag_list *d)
{
	const char *name = flag ? flag : config_str(v, "logFormat");
	log_format f;

	if (log_format_parse(name, &f) == -1) {
		diag_add(d, "<config>", 0, 0, "logFormat", "logFormat: expected "
		    "text or json, got '%s'", name);
		return -1;
	}
	log_set_format(f);
	return 0;
}

static void *
s_socket(server *s, int type, char **err)
{
	void *sock = zmq_socket(s->zctx, type);
	int zero = 0, one = 1;

	if (sock == NULL) {
		*err = xasprintf("zmq_socket: %s", zmq_strerror(zmq_errno()));
		return NULL;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	if (type == ZMQ_ROUTER) {
		/* No ZMQ_ROUTER_HANDOVER: a routing id is only a connection
		 * (peer.c), never handed to whoever claims it. */
		zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
		/* Bounds what one connection can queue in this process
		 * (docs/security.md, "Bounds"); beyond it ZeroMQ stops
		 * reading that connection until the loop catches up. */
		zmq_setsockopt(sock, ZMQ_RCVHWM, &(int){ LIMIT_QUEUED_MESSAGES },
		    sizeof(int));
	}
	wire_socket_limit(sock);
	if (type == ZMQ_ROUTER) {
		/* ZeroMQ drops a frame over ZMQ_MAXMSGSIZE without a word;
		 * up to LIMIT_FRAME_BYTES it reaches us, and one over
		 * LIMIT_MESSAGE_BYTES is refused and logged with its sender
		 * (wirecheck.c). */
		int64_t max = LIMIT_FRAME_BYTES;

		zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
	}
	return sock;
}

static int
s_bind(void *sock, const char *endpoint, char **err)
{
	if (zmq_bind(sock, endpoint) == -1) {
		*err = xasprintf("cannot bind %s: %s", endpoint,
		    zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

static int
s_secure(server *s, void *sock, const char *domain, char **err)
{
	if (s->insecure)
		return 0;
	if (keys_curve_server(sock, config_str(s->cfg, "secretKey"), err) == -1)
		return -1;
	zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
	return 0;
}

static int
s_open_control(server *s, char **err)
{
	if ((s->control = s_socket(s, ZMQ_ROUTER, err)) == NULL)
		return -1;
	return ctlsock_bind(s->control, config_str(s->cfg, "controlSocket"),
	    err);
}

/* The webhooks section was checked at start (s_check_webhooks); this
 * loads it again for the workers, which own it. */
static int
s_start_webhooks(server *s, char **err)
{
	hook_endpoint *list = NULL;
	size_t n = 0;
	diag_list d;

	diag_list_init(&d);
	if (hookconf_load(s->config_file, &list, &n, &d) == -1) {
		diag_sort(&d);
		*err = diag_join(&d);
		diag_list_release(&d);
		return -1;
	}
	diag_list_release(&d);
	if (n == 0) {
		free(list);
		return 0;
	}
	/* Events carry their own cluster; the endpoint's header names the
	 * first one held. */
	s->hooks = webhooks_start(config_str(s->cfg, "dataDir"),
	    s->cluster ? s->cluster : s->cluster_names[0], list, n, err);
	return s->hooks ? 0 : -1;
}

static int
s_setup(server *s, char **err)
{
	const char *data_dir = config_str(s->cfg, "dataDir");
	char *lock;

	if (platform_mkdir_p(data_dir, true, err) == -1)
		return -1;
	lock = platform_path_join(data_dir, "controller.lock");
	if (filelock_hold(lock, err) == -1) {
		free(lock);
		return -1;
	}
	free(lock);
	if ((s->store = store_open(data_dir, err)) == NULL)
		return -1;
	if ((s->zctx = zmq_ctx_new()) == NULL)
		fatalx("zmq_ctx_new");
	if ((s->connguard = connguard_new(s->zctx, err)) == NULL)
		return -1;
	if (!s->insecure && ((s->zap = zap_new(s->zctx,
	    config_str(s->cfg, "nodeKeys"), config_str(s->cfg, "adminKeys"),
	    err)) == NULL || zap_set_read_keys(s->zap,
	    config_str(s->cfg, "adminReadKeys"), err) == -1))
		return -1;
	if ((s->router = s_socket(s, ZMQ_ROUTER, err)) == NULL ||
	    s_secure(s, s->router, ZAP_DOMAIN_NODES, err) == -1 ||
	    connguard_watch(s->connguard, s->router, err) == -1 ||
	    s_bind(s->router, config_str(s->cfg, "listen"), err) == -1)
		return -1;
	if (s_open_control(s, err) == -1)
		return -1;
	if (s_start_webhooks(s, err) == -1)
		return -1;
	s->retention = retention_new((int)config_int(s->cfg,
	    "eventRetentionDays"));
	if (config_str(s->cfg, "metricsListen") && (s->metrics =
	    metrics_start(config_str(s->cfg, "metricsListen"), err)) == NULL)
		return -1;
	if (config_str(s->cfg, "adminListen") &&
	    ((s->admin = s_socket(s, ZMQ_ROUTER, err)) == NULL ||
	    s_secure(s, s->admin, ZAP_DOMAIN_ADMIN, err) == -1 ||
	    connguard_watch(s->connguard, s->admin, err) == -1 ||
	    s_bind(s->admin, config_str(s->cfg, "adminListen"), err) == -1))
		return -1;
	if (connguard_start(s->connguard, err) == -1)
		return -1;
	if (restore_state(s, err) == -1)
		return -1;
	platform_release_free_memory();	/* what reading the store took */
	return 0;
}

static void
s_teardown(server *s)
{
	metrics_stop(&s->metrics);
	retention_free(&s->retention);
	webhooks_stop(&s->hooks);
	connguard_free(&s->connguard);
	if (s->router)
		zmq_close(s->router);
	if (s->control) {
		zmq_close(s->control);
		platform_remove_file(config_str(s->cfg, "controlSocket"), NULL);
	}
	if (s->admin)
		zmq_close(s->admin);
	zap_free(&s->zap);
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	store_free(&s->store);
	sessions_release(&s->nodes);
	dryrun_release(&s->dryrun);
	linger_release(&s->linger);
	progress_release(&s->progress);
	events_release(&s->events);
	clusters_release(&s->clusters);
}

static void
s_log_started(const server *s)
{
	if (s->clusters.count == 1) {
		log_info("cluster %s listening on %s, control socket %s, "
		    "revision %lld", s->clusters.items[0]->name,
		    config_str(s->cfg, "listen"),
		    config_str(s->cfg, "controlSocket"),
		    (long long)s->clusters.items[0]->revision);
		return;
	}
	log_info("%zu clusters listening on %s, control socket %s",
	    s->clusters.count, config_str(s->cfg, "listen"),
	    config_str(s->cfg, "controlSocket"));
	for (size_t i = 0; i < s->clusters.count; i++)
		log_info("cluster %s revision %lld", s->clusters.items[i]->name,
		    (long long)s->clusters.items[i]->revision);
}

static void
s_reload_keys(server *s)
{
	char *err = NULL;

	if (s->zap == NULL)
		return;
	if (zap_reload(s->zap, &err) == -1) {
		log_warnx("keys have errors, not reloading: %s", err);
		free(err);
		return;
	}
	log_info("reloaded keys: %zu nodes, %zu admins",
	    zap_node_key_count(s->zap), zap_admin_key_count(s->zap));
}

/* Parses the config file afresh, whole; -1 (with the errors logged) when
 * it has errors. */
static int
s_reread_config(server *s, hook_endpoint **list, size_t *n)
{
	config_values cfg;
	diag_list d;
	char *why;
	int rc = 0;

	diag_list_init(&d);
	if (config_load(s_options, NOPTIONS, s->config_file, s->argc, s->argv,
	    &cfg, &d) == -1 || s_check_config(&cfg, &d) == -1 ||
	    hookconf_load(s->config_file, list, n, &d) == -1 || d.count > 0) {
		diag_sort(&d);
		why = diag_join(&d);
		log_warnx("config file %s has errors, not reloading: %s",
		    s->config_file, why);
		free(why);
		hookconf_free(list, *n);
		rc = -1;
	}
	config_values_release(&cfg);
	diag_list_release(&d);
	return rc;
}

/* The webhooks section of the config file, applied without a restart
 * (docs/webhooks.md, "Changing endpoints"). Other keys take effect at
 * the next start. */
static void
s_reload_webhooks(server *s)
{
	webhooks_reload_counts c = { 0 };
	hook_endpoint *list = NULL;
	size_t n = 0;
	char *err = NULL;

	if (s->config_file == NULL || s_reread_config(s, &list, &n) == -1)
		return;
	if (s->hooks) {
		webhooks_reload(s->hooks, list, n, &c);
	} else if (n > 0) {
		c.added = n;
		if ((s->hooks = webhooks_start(config_str(s->cfg, "dataDir"),
		    s->cluster, list, n, &err)) == NULL) {
			log_warnx("webhooks: %s", err);
			free(err);
			return;
		}
	} else {
		free(list);
	}
	log_info("reloaded %s: webhooks %zu kept, %zu added, %zu changed, "
	    "%zu removed (other keys take effect at the next start)",
	    s->config_file, c.kept, c.added, c.changed, c.removed);
	retention_poke(s->retention);
}

static void
s_reload(server *s)
{
	s->signals.reload = 0;
	s_reload_keys(s);
	s_reload_webhooks(s);
}

static void
s_loop(server *s)
{
	zmq_pollitem_t items[4];
	int64_t next_tick = 0;
	int64_t next_release = platform_mono_ms() + S_RELEASE_MEMORY_MS;

	while (!s->signals.terminate) {
		int n = 0, rc;
		int64_t now;

		items[n++] = (zmq_pollitem_t){ s->router, 0, ZMQ_POLLIN, 0 };
		items[n++] = (zmq_pollitem_t){ s->control, 0, ZMQ_POLLIN, 0 };
		if (s->admin)
			items[n++] = (zmq_pollitem_t){ s->admin, 0, ZMQ_POLLIN, 0 };
		if (s->zap)
			items[n++] = (zmq_pollitem_t){ zap_socket(s->zap), 0,
			    ZMQ_POLLIN, 0 };
		rc = zmq_poll(items, n, CONTROLLER_TICK_MS);
		if (rc == -1 && zmq_errno() != EINTR) {
			log_warnx("zmq_poll: %s", zmq_strerror(zmq_errno()));
			platform_sleep_ms(100);
		}
		if (s->signals.reload)
			s_reload(s);
		for (int i = 0; rc > 0 && i < n; i++) {
			if (!(items[i].revents & ZMQ_POLLIN))
				continue;
			if (items[i].socket == s->router)
				for (int k = 0; k < 256; k++) {
					int ev = 0;
					size_t len = sizeof ev;

					peer_handle(s);
					zmq_getsockopt(s->router, ZMQ_EVENTS, &ev, &len);
					if (!(ev & ZMQ_POLLIN))
						break;
				}
			else if (s->zap && items[i].socket == zap_socket(s->zap))
				zap_handle(s->zap);
			else
				control_handle(s, items[i].socket);
		}
		now = platform_mono_ms();
		push_replan(s);
		if (now >= next_tick) {
			notify_watchdog();
			store_tick(s->store);
			peer_tick(s);
			connguard_tick(s->connguard);
			retention_tick(s->retention, s);
			log_flush_suppressed();
			next_tick = now + 1000;
		}
		if (now >= next_release) {
			platform_release_free_memory();
			next_release = now + S_RELEASE_MEMORY_MS;
		}
		dryrun_tick(s);
		progress_tick(s);
		backup_tick();
		events_tick(s);
		webhooks_notify(s->hooks, store_last_event(s->store));
		metrics_tick(s->metrics, s);
	}
}

int
main(int argc, char **argv)
{
	server s;
	config_values cfg;
	diag_list d;
	const char *log_flag = NULL;
	char *err = NULL;

	if (version_option("hvpolicy-controller", argc, argv))
		return 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			config_print_help(s_options, NOPTIONS, "hvpolicy-controller",
			    NULL);
			return 0;
		}
	log_init("hvpolicy-controller", false);
	platform_tune_allocator();
	diag_list_init(&d);
	if (log_take_format_flag(&argc, argv, &log_flag) == -1)
		diag_add(&d, "<command line>", 0, 0, "logFormat", "--log-format "
		    "needs a value: text or json");
	if (config_load(s_options, NOPTIONS, config_file_arg(argc, argv), argc,
	    argv, &cfg, &d) == -1 || s_check_config(&cfg, &d) == -1 ||
	    s_check_webhooks(config_file_arg(argc, argv), &d) == -1 ||
	    s_log_format(&cfg, log_flag, &d) == -1 || d.count > 0) {
		diag_sort(&d);
		diag_print(&d, stderr);
		fprintf(stderr, "hvpolicy-controller: configuration has errors, "
		    "not starting\n");
		diag_list_release(&d);
		config_values_release(&cfg);
		return 1;
	}
	diag_list_release(&d);
	memset(&s, 0, sizeof s);
	s.cfg = &cfg;
	s.config_file = config_file_arg(argc, argv);
	s.argc = argc;
	s.argv = argv;
	s.cluster = config_str(&cfg, "cluster");
	s.cluster_names = config_list(&cfg, "clusters", NULL);
	s.insecure = config_bool(&cfg, "insecure");
	s.require_change_id = config_bool(&cfg, "requireChangeId");
	s.heartbeat_seconds = (int)config_int(&cfg, "heartbeatSeconds");
	log_set_verbose(config_bool(&cfg, "verbose"));
	platform_signals_install(&s.signals);
	if (s.insecure)
		log_warnx("INSECURE: node and admin traffic is neither encrypted "
		    "nor authenticated (--insecure)");
	curl_global_init(CURL_GLOBAL_DEFAULT);	/* before any thread */
	if (s_setup(&s, &err) == -1) {
		log_warnx("cannot start: %s", err);
		free(err);
		s_teardown(&s);
		config_values_release(&cfg);
		return 1;
	}
	s_log_started(&s);
	notify_ready("serving");
	s_loop(&s);
	notify_stopping();
	log_info("stopping");
	peer_flush_acks(&s);
	s_teardown(&s);
	curl_global_cleanup();
	config_values_release(&cfg);
	return 0;
}
