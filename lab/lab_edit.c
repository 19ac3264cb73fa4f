/*
 * lab_edit.c: changing the lab's hosts the way a failover cluster or an
 * administrator would (lab.h, "Commands"): show, migrate, move-storage,
 * add-guest, remove-guest, set-registry, delete-registry,
 * set-integration. Every command checks all of its arguments before it
 * writes anything, and every change replaces a host file atomically
 * (hostfile_save). A migration writes the destination before the source,
 * so a guest is never in no host file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostfile.h"
#include "json.h"
#include "lab.h"
#include "names.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ydoc.h"

/* Integration services by their Hyper-V cmdlet names, with the names
 * the GUI shows; stored under the first. */
static const struct {
	const char *name;
	const char *alias;
} s_services[] = {
	{ "GuestServiceInterface", "Guest Service Interface" },
	{ "Heartbeat", NULL },
	{ "KvpExchange", "Key-Value Pair Exchange" },
	{ "Shutdown", NULL },
	{ "TimeSync", "Time Synchronization" },
	{ "VSS", "Backup" },
};
#define NSERVICES (sizeof s_services / sizeof s_services[0])

/*
 * Shared steps.
 */

/* An open lab, locked, with every host loaded. */
typedef struct edit {
	const char *cmd;
	lab *l;
	lab_hosts hs;
} edit;

static int
s_edit_open(edit *e, const char *cmd, const char *dir)
{
	memset(e, 0, sizeof *e);
	e->cmd = cmd;
	if ((e->l = lab_open(dir)) == NULL)
		return -1;
	if (lab_lock(e->l) == -1 || lab_hosts_load(e->l, &e->hs) == -1) {
		lab_free(&e->l);
		return -1;
	}
	return 0;
}

static void
s_edit_close(edit *e)
{
	lab_hosts_release(&e->hs);
	lab_free(&e->l);
}

/* Index of node in the lab, or -1 after printing the lab's nodes. */
static int
s_node(edit *e, const char *name)
{
	const char *node = lab_node_known(e->l, name);

	for (size_t i = 0; node && i < e->l->nnodes; i++)
		if (e->l->nodes[i] == node)
			return (int)i;
	return -1;
}

/* Index of a Hyper-V node (guests live there), or -1. */
static int
s_hyperv_node(edit *e, const char *name)
{
	int i = s_node(e, name);

	if (i >= 0 && e->hs.h[i]->role != ROLE_HYPERV_NODE) {
		lab_error(e->cmd, 0, "%s is the DPM server, not a Hyper-V node; "
		    "guests run on Hyper-V nodes", e->l->nodes[i]);
		return -1;
	}
	return i;
}

static int
s_save(edit *e, int node)
{
	return lab_host_save(e->l, e->l->nodes[node], e->hs.h[node]);
}

/* Opens DIR for a command taking a guest: *owner and *g are set. */
static int
s_guest(edit *e, const char *guest, int *owner, host_guest **g)
{
	if ((*owner = lab_guest_owner(e->l, &e->hs, guest)) < 0)
		return -1;
	*g = host_guest_find(e->hs.h[*owner], guest);
	return 0;
}

/*
 * show
 */

static void
s_json_value(jsonw *j, const reg_value *v)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "type", reg_type_name(v->type));
	jsonw_key(j, "data");
	switch (v->type) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		/* JSON numbers above 2^63-1 do not fit every reader. */
		if (v->number <= INT64_MAX) {
			jsonw_int(j, (int64_t)v->number);
		} else {
			char text[24];

			snprintf(text, sizeof text, "%llu",
			    (unsigned long long)v->number);
			jsonw_str(j, text);
		}
		break;
	case REG_T_MULTI_SZ:
		jsonw_begin_array(j);
		for (size_t i = 0; i < v->list_len; i++)
			jsonw_str(j, v->list[i]);
		jsonw_end_array(j);
		break;
	default:
		jsonw_str(j, v->text ? v->text : "");
		break;
	}
	jsonw_end_object(j);
}

static void
s_json_guest(jsonw *j, const host_guest *g)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "name", g->name);
	jsonw_kv_str(j, "id", g->id);
	jsonw_kv_str(j, "state", GUEST_STATE_NAMES[g->state]);
	jsonw_key(j, "integrationServices");
	jsonw_begin_object(j);
	for (size_t i = 0; i < g->nservices; i++)
		jsonw_kv_bool(j, g->services[i].name, g->services[i].enabled);
	jsonw_end_object(j);
	jsonw_key(j, "paths");
	jsonw_begin_array(j);
	for (size_t i = 0; i < g->npaths; i++)
		jsonw_str(j, g->paths[i]);
	jsonw_end_array(j);
	jsonw_end_object(j);
}

/* The host file's content as JSON: the same keys as the YAML. */
static void
s_json_host(const host_state *h, strbuf *out)
{
	jsonw j;

	jsonw_init(&j, out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "node", h->node);
	jsonw_kv_str(&j, "cluster", h->cluster);
	jsonw_kv_str(&j, "role", HOST_ROLE_NAMES[h->role]);
	jsonw_key(&j, "registry");
	jsonw_begin_object(&j);
	for (size_t i = 0; i < h->nkeys; i++) {
		jsonw_key(&j, h->keys[i].path);
		jsonw_begin_object(&j);
		for (size_t k = 0; k < h->keys[i].nvalues; k++) {
			jsonw_key(&j, h->keys[i].values[k].name);
			s_json_value(&j, &h->keys[i].values[k].v);
		}
		jsonw_end_object(&j);
	}
	jsonw_end_object(&j);
	jsonw_key(&j, "vssProviders");
	jsonw_begin_array(&j);
	for (size_t i = 0; i < h->nproviders; i++) {
		const host_provider *p = &h->providers[i];

		jsonw_begin_object(&j);
		jsonw_kv_str(&j, "id", p->id);
		jsonw_kv_str(&j, "name", p->name);
		jsonw_kv_str(&j, "type", PROVIDER_TYPE_NAMES[p->type]);
		jsonw_kv_str(&j, "version", p->version);
		jsonw_kv_bool(&j, "autorecovery", p->autorecovery);
		jsonw_end_object(&j);
	}
	jsonw_end_array(&j);
	jsonw_kv_str(&j, "dpmAgentLog", h->agent_log);
	jsonw_key(&j, "csvs");
	jsonw_begin_array(&j);
	for (size_t i = 0; i < h->ncsvs; i++)
		jsonw_str(&j, h->csvs[i]);
	jsonw_end_array(&j);
	jsonw_key(&j, "guests");
	jsonw_begin_array(&j);
	for (size_t i = 0; i < h->nguests; i++)
		s_json_guest(&j, &h->guests[i]);
	jsonw_end_array(&j);
	jsonw_kv_str(&j, "dataSourceGroups", h->data_source_groups);
	jsonw_end_object(&j);
	strbuf_addch(out, '\n');
}

#define SHOW_USAGE "show DIR NODE [--format yaml|json]"

int
lab_cmd_show(int argc, char **argv)
{
	const char *format = "yaml", *pos[2], *node;
	lab_opt opts[] = { { "format", &format, 1, NULL } };
	size_t npos;
	host_state *h;
	strbuf out;
	lab *l;
	int rc;

	if ((rc = lab_args_parse("show", SHOW_USAGE, argc, argv, opts, 1, pos,
	    2, 2, &npos)) != 0)
		return rc;
	if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0)
		return lab_error("show", LAB_EXIT_USAGE, "unknown format '%s'; "
		    "expected yaml or json", format);
	if ((l = lab_open(pos[0])) == NULL)
		return LAB_EXIT_FAIL;
	if ((node = lab_node_known(l, pos[1])) == NULL) {
		lab_free(&l);
		return LAB_EXIT_FAIL;
	}
	if ((h = lab_host_load(l, node)) == NULL) {
		lab_free(&l);
		return LAB_EXIT_FAIL;
	}
	strbuf_init(&out);
	rc = LAB_EXIT_OK;
	if (strcmp(format, "json") == 0)
		s_json_host(h, &out);
	else if (hostfile_render(h, &out) == -1)
		rc = lab_error("show", LAB_EXIT_FAIL, "the host file of %s "
		    "holds text that is not UTF-8", node);
	if (rc == LAB_EXIT_OK)
		fwrite(out.data, 1, out.len, stdout);
	strbuf_release(&out);
	host_state_free(&h);
	lab_free(&l);
	return rc;
}

/*
 * Guests.
 */

int
lab_cmd_migrate(int argc, char **argv)
{
	const char *pos[3];
	size_t npos;
	int rc, owner, dest;
	host_guest *g;
	char *name;
	edit e;

	if ((rc = lab_args_parse("migrate", "migrate DIR GUEST NODE", argc,
	    argv, NULL, 0, pos, 3, 3, &npos)) != 0)
		return rc;
	if (s_edit_open(&e, "migrate", pos[0]) == -1)
		return LAB_EXIT_FAIL;
	rc = LAB_EXIT_FAIL;
	if (s_guest(&e, pos[1], &owner, &g) == -1 ||
	    (dest = s_hyperv_node(&e, pos[2])) < 0)
		goto out;
	if (dest == owner) {
		lab_error("migrate", 0, "%s already runs on %s", g->name,
		    e.l->nodes[dest]);
		goto out;
	}
	name = xstrdup(g->name);
	/* Destination first: between the two writes the guest is in both
	 * files (the controller reports it once), never in none. */
	host_guest_add(e.hs.h[dest], g);
	if (s_save(&e, dest) == 0) {
		host_guest_remove(e.hs.h[owner], name);
		if (s_save(&e, owner) == 0) {
			printf("migrated %s from %s to %s\n", name,
			    e.l->nodes[owner], e.l->nodes[dest]);
			rc = LAB_EXIT_OK;
		} else {
			lab_error("migrate", 0, "%s is now on both %s and %s",
			    name, e.l->nodes[owner], e.l->nodes[dest]);
		}
	}
	free(name);
out:
	s_edit_close(&e);
	return rc;
}

static void
s_print_paths(const host_guest *g)
{
	for (size_t i = 0; i < g->npaths; i++)
		printf("  %s\n", g->paths[i]);
}

int
lab_cmd_move_storage(int argc, char **argv)
{
	const char *pos[3], **vols = NULL;
	size_t npos, nvols;
	int rc, owner;
	host_guest *g;
	edit e;

	if ((rc = lab_args_parse("move-storage", "move-storage DIR GUEST "
	    "VOLUME[,VOLUME...]", argc, argv, NULL, 0, pos, 3, 3, &npos)) != 0)
		return rc;
	if (s_edit_open(&e, "move-storage", pos[0]) == -1)
		return LAB_EXIT_FAIL;
	if (s_guest(&e, pos[1], &owner, &g) == -1) {
		rc = LAB_EXIT_FAIL;
		goto out;
	}
	if (lab_csv_list(e.l, pos[2], &vols, &nvols, &rc) == -1)
		goto out;
	lab_guest_paths(g, vols, nvols, g);
	rc = LAB_EXIT_FAIL;
	if (s_save(&e, owner) == 0) {
		printf("moved the storage of %s (on %s) to", g->name,
		    e.l->nodes[owner]);
		for (size_t i = 0; i < nvols; i++)
			printf("%s %s", i ? "," : "", vols[i]);
		printf(":\n");
		s_print_paths(g);
		rc = LAB_EXIT_OK;
	}
out:
	free(vols);
	s_edit_close(&e);
	return rc;
}

/* A guest name the lab accepts: the rule every part of hvpolicy applies
 * (names.h), and none of the characters Windows forbids in the file
 * names the lab builds from it, nor a final space or '.'. 0, or -1 with
 * *why owned. */
static int
s_guest_name_check(const char *name, char **why)
{
	size_t n;

	if (names_check_guest(name, why) == -1)
		return -1;
	n = strlen(name);
	if (name[0] == ' ' || name[n - 1] == ' ' || name[n - 1] == '.') {
		*why = xstrdup("name starts or ends with a space, or ends "
		    "with '.'");
		return -1;
	}
	for (const char *p = name; *p; p++)
		if (strchr("\\/:*?\"<>|", *p)) {
			*why = xasprintf("name has '%c', which Windows file "
			    "names cannot hold", *p);
			return -1;
		}
	return 0;
}

/* A name from --name-file: the file's bytes, one final newline dropped,
 * no rule applied (to try what a misbehaving host reports). */
static char *
s_read_name_file(const char *path)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;

	if (platform_read_file(path, PLATFORM_MAX_FILE, &data, &len,
	    &err) == -1) {
		lab_error("add-guest", 0, "%s", err);
		free(err);
		return NULL;
	}
	if (len > 0 && data[len - 1] == '\n')
		data[--len] = '\0';
	if (len > YDOC_LIMITS_LARGE.max_scalar) {
		lab_error("add-guest", 0, "%s: %zu bytes; a host file holds "
		    "values of at most %zu bytes", path, len,
		    YDOC_LIMITS_LARGE.max_scalar);
		free(data);
		return NULL;
	}
	if (memchr(data, '\0', len) != NULL) {
		lab_error("add-guest", 0, "%s: a name cannot hold a NUL byte",
		    path);
		free(data);
		return NULL;
	}
	return data;
}

/* True when some host has a guest by this name (or id). */
static bool
s_guest_exists(edit *e, const char *name_or_id)
{
	for (size_t i = 0; i < e->hs.n; i++)
		if (host_guest_find(e->hs.h[i], name_or_id) != NULL)
			return true;
	return false;
}

#define ADD_GUEST_USAGE "add-guest DIR NODE NAME --csv VOLUME[,VOLUME...]\n" \
	"       add-guest DIR NODE --name-file FILE --csv VOLUME[,VOLUME...]"

int
lab_cmd_add_guest(int argc, char **argv)
{
	const char *pos[3], *csv = NULL, **vols = NULL, *name_file = NULL;
	lab_opt opts[] = { { "csv", &csv, 1, NULL },
	    { "name-file", &name_file, 1, NULL } };
	size_t npos, nvols;
	int rc, node;
	char guid[37], *name = NULL, *why = NULL, *shown;
	host_guest g, *added;
	lab_rand r;
	edit e;

	if ((rc = lab_args_parse("add-guest", ADD_GUEST_USAGE, argc, argv,
	    opts, 2, pos, 2, 3, &npos)) != 0)
		return rc;
	if (csv == NULL)
		return lab_error("add-guest", LAB_EXIT_USAGE, "--csv is required"
		    "\nusage: %s %s", LAB_PROGRAM, ADD_GUEST_USAGE);
	if ((npos == 3) == (name_file != NULL))
		return lab_error("add-guest", LAB_EXIT_USAGE, "give NAME or "
		    "--name-file FILE, not both\nusage: %s %s", LAB_PROGRAM,
		    ADD_GUEST_USAGE);
	if (name_file != NULL) {
		if ((name = s_read_name_file(name_file)) == NULL)
			return LAB_EXIT_FAIL;
		if (names_check_guest(name, &why) == -1) {
			shown = names_show(name);
			fprintf(stderr, "%s: add-guest: warning: '%s': %s; the "
			    "controller will leave this guest unplanned and "
			    "say so\n", LAB_PROGRAM, shown, why);
			free(shown);
			free(why);
		}
	} else if (s_guest_name_check(pos[2], &why) == -1) {
		shown = names_show(pos[2]);
		rc = lab_error("add-guest", LAB_EXIT_USAGE, "'%s' is not a "
		    "valid guest name: %s (names are 1 to %d characters, none "
		    "of \\ / : * ? \" < > | or control characters, not "
		    "ending in a space or '.'; --name-file takes any name)",
		    shown, why, NAMES_GUEST_MAX);
		free(shown);
		free(why);
		return rc;
	} else {
		name = xstrdup(pos[2]);
	}
	if (s_edit_open(&e, "add-guest", pos[0]) == -1) {
		free(name);
		return LAB_EXIT_FAIL;
	}
	rc = LAB_EXIT_FAIL;
	if ((node = s_hyperv_node(&e, pos[1])) < 0)
		goto out;
	if (s_guest_exists(&e, name)) {
		shown = names_show(name);
		lab_error("add-guest", 0, "a guest named '%s' already exists in "
		    "the lab; guest names are unique, ignoring case", shown);
		free(shown);
		goto out;
	}
	if (lab_csv_list(e.l, csv, &vols, &nvols, &rc) == -1)
		goto out;
	lab_rand_init_fresh(&r);
	do
		lab_rand_guid(&r, guid);
	while (s_guest_exists(&e, guid));
	if (name_file != NULL) {
		/* Files named after the GUID: the name may be no file name. */
		char *safe = xasprintf("guest-%.8s", guid);

		lab_guest_make(&g, safe, guid, vols, nvols);
		free(safe);
		free(g.name);
		g.name = xstrdup(name);
	} else {
		lab_guest_make(&g, name, guid, vols, nvols);
	}
	added = host_guest_add(e.hs.h[node], &g);
	host_guest_clear(&g);
	rc = LAB_EXIT_FAIL;
	if (s_save(&e, node) == 0) {
		shown = names_show(added->name);
		printf("added guest %s (%s) on %s, Backup (VSS) on:\n",
		    shown, added->id, e.l->nodes[node]);
		free(shown);
		s_print_paths(added);
		rc = LAB_EXIT_OK;
	}
out:
	free(name);
	free(vols);
	s_edit_close(&e);
	return rc;
}

int
lab_cmd_remove_guest(int argc, char **argv)
{
	const char *pos[2];
	size_t npos;
	int rc, owner;
	host_guest *g;
	char *name;
	edit e;

	if ((rc = lab_args_parse("remove-guest", "remove-guest DIR GUEST",
	    argc, argv, NULL, 0, pos, 2, 2, &npos)) != 0)
		return rc;
	if (s_edit_open(&e, "remove-guest", pos[0]) == -1)
		return LAB_EXIT_FAIL;
	rc = LAB_EXIT_FAIL;
	if (s_guest(&e, pos[1], &owner, &g) == 0) {
		name = xstrdup(g->name);
		host_guest_remove(e.hs.h[owner], name);
		if (s_save(&e, owner) == 0) {
			printf("removed guest %s from %s\n", name,
			    e.l->nodes[owner]);
			rc = LAB_EXIT_OK;
		}
		free(name);
	}
	s_edit_close(&e);
	return rc;
}

int
lab_cmd_set_integration(int argc, char **argv)
{
	const char *pos[4], *service = NULL;
	size_t npos;
	int rc, owner;
	bool on;
	host_guest *g;
	edit e;

	if ((rc = lab_args_parse("set-integration", "set-integration DIR GUEST "
	    "SERVICE on|off", argc, argv, NULL, 0, pos, 4, 4, &npos)) != 0)
		return rc;
	for (size_t i = 0; i < NSERVICES && service == NULL; i++)
		if (strcasecmp(pos[2], s_services[i].name) == 0 ||
		    (s_services[i].alias &&
		    strcasecmp(pos[2], s_services[i].alias) == 0))
			service = s_services[i].name;
	if (service == NULL) {
		strbuf names;

		strbuf_init(&names);
		for (size_t i = 0; i < NSERVICES; i++)
			strbuf_addf(&names, "%s%s", i ? ", " : "",
			    s_services[i].name);
		rc = lab_error("set-integration", LAB_EXIT_USAGE, "unknown "
		    "integration service '%s'; expected one of: %s (VSS is "
		    "Backup (volume shadow copy))", pos[2], names.data);
		strbuf_release(&names);
		return rc;
	}
	if (strcmp(pos[3], "on") != 0 && strcmp(pos[3], "off") != 0)
		return lab_error("set-integration", LAB_EXIT_USAGE, "expected "
		    "on or off, got '%s'", pos[3]);
	on = strcmp(pos[3], "on") == 0;
	if (s_edit_open(&e, "set-integration", pos[0]) == -1)
		return LAB_EXIT_FAIL;
	rc = LAB_EXIT_FAIL;
	if (s_guest(&e, pos[1], &owner, &g) == 0) {
		host_guest_set_service(g, service, on);
		if (s_save(&e, owner) == 0) {
			printf("%s on %s: %s %s\n", g->name, e.l->nodes[owner],
			    service, on ? "on" : "off");
			rc = LAB_EXIT_OK;
		}
	}
	s_edit_close(&e);
	return rc;
}

/*
 * Registry.
 */

/* Parses the --data values for type t into v. Exit code. */
static int
s_reg_data(const char *cmd, reg_type t, const char **data, size_t ndata,
    reg_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = t;
	if (t != REG_T_MULTI_SZ && ndata > 1)
		return lab_error(cmd, LAB_EXIT_USAGE, "--data given %zu times; "
		    "only REG_MULTI_SZ takes several", ndata);
	switch (t) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		if (yparse_uint64(data[0], t == REG_T_DWORD ? UINT32_MAX :
		    UINT64_MAX, &v->number) == -1)
			return lab_error(cmd, LAB_EXIT_USAGE, "--data: expected "
			    "an integer 0..%s (decimal or 0x hex) for %s, got "
			    "'%s'", t == REG_T_DWORD ? "4294967295" :
			    "18446744073709551615", reg_type_name(t), data[0]);
		return 0;
	case REG_T_MULTI_SZ:
		if (ndata > 1) {
			v->list = xcalloc(ndata, sizeof *v->list);
			for (size_t i = 0; i < ndata; i++)
				v->list[v->list_len++] = xstrdup(data[i]);
			return 0;
		}
		v->list = xcalloc(strlen(data[0]) + 1, sizeof *v->list);
		for (const char *p = data[0]; *data[0]; ) {
			size_t n = strcspn(p, ",");

			v->list[v->list_len++] = xstrndup(p, n);
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
		return 0;
	case REG_T_BINARY: {
		size_t n = strlen(data[0]);
		char *hex = xstrdup(data[0]);

		for (size_t i = 0; i < n; i++) {
			if (!isxdigit((unsigned char)hex[i]))
				n = 1;	/* not hex: make it fail below */
			hex[i] = (char)tolower((unsigned char)hex[i]);
		}
		if (n % 2 != 0) {
			free(hex);
			return lab_error(cmd, LAB_EXIT_USAGE, "--data: expected "
			    "an even number of hex digits for REG_BINARY, got "
			    "'%s'", data[0]);
		}
		v->text = hex;
		return 0;
	}
	default:
		v->text = xstrdup(data[0]);
		return 0;
	}
}

#define SET_REGISTRY_USAGE "set-registry DIR NODE KEY " \
    "[--value NAME --type T --data D [--data D...]]"
#define MAX_DATA 256

int
lab_cmd_set_registry(int argc, char **argv)
{
	const char *pos[3], *value = NULL, *type = NULL, *data[MAX_DATA], *why;
	size_t npos, ndata = 0;
	lab_opt opts[] = {
		{ "value", &value, 1, NULL }, { "type", &type, 1, NULL },
		{ "data", data, MAX_DATA, &ndata },
	};
	char *key, upper[32] = "";
	reg_value v = { 0 };
	reg_type t = REG_T_NONE;
	int rc, node;
	edit e;

	if ((rc = lab_args_parse("set-registry", SET_REGISTRY_USAGE, argc, argv,
	    opts, 3, pos, 3, 3, &npos)) != 0)
		return rc;
	if ((key = reg_key_canonical(pos[2], &why)) == NULL)
		return lab_error("set-registry", LAB_EXIT_USAGE, "'%s' is not a "
		    "registry key path: %s", pos[2], why);
	if (value || type || ndata) {
		if (value == NULL || type == NULL || ndata == 0) {
			free(key);
			return lab_error("set-registry", LAB_EXIT_USAGE, "a value "
			    "needs --value, --type and --data together (--value "
			    "'' is the key's default value)\nusage: %s %s",
			    LAB_PROGRAM, SET_REGISTRY_USAGE);
		}
		for (size_t i = 0; type[i] && i + 1 < sizeof upper; i++)
			upper[i] = (char)toupper((unsigned char)type[i]);
		if (strlen(type) >= sizeof upper ||
		    (t = reg_type_from_name(upper)) == REG_T_NONE) {
			free(key);
			return lab_error("set-registry", LAB_EXIT_USAGE, "--type: "
			    "expected one of REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, "
			    "REG_DWORD, REG_QWORD, REG_BINARY, got '%s'", type);
		}
		if ((rc = s_reg_data("set-registry", t, data, ndata, &v)) != 0) {
			reg_value_clear(&v);
			free(key);
			return rc;
		}
	}
	if (s_edit_open(&e, "set-registry", pos[0]) == -1) {
		reg_value_clear(&v);
		free(key);
		return LAB_EXIT_FAIL;
	}
	rc = LAB_EXIT_FAIL;
	if ((node = s_node(&e, pos[1])) >= 0) {
		if (value)
			host_value_set(e.hs.h[node], key, value, &v);
		else
			host_key_ensure(e.hs.h[node], key);
		if (s_save(&e, node) == 0) {
			char *what = value ? reg_value_describe(&v) : NULL;

			if (value)
				printf("%s: %s: '%s' = %s\n", e.l->nodes[node],
				    key, value, what);
			else
				printf("%s: %s: key present\n",
				    e.l->nodes[node], key);
			free(what);
			rc = LAB_EXIT_OK;
		}
	}
	s_edit_close(&e);
	reg_value_clear(&v);
	free(key);
	return rc;
}

int
lab_cmd_delete_registry(int argc, char **argv)
{
	const char *pos[3], *value = NULL, *why;
	lab_opt opts[] = { { "value", &value, 1, NULL } };
	size_t npos;
	int rc, node;
	char *key;
	edit e;

	if ((rc = lab_args_parse("delete-registry", "delete-registry DIR NODE "
	    "KEY [--value NAME]", argc, argv, opts, 1, pos, 3, 3, &npos)) != 0)
		return rc;
	if ((key = reg_key_canonical(pos[2], &why)) == NULL)
		return lab_error("delete-registry", LAB_EXIT_USAGE, "'%s' is not "
		    "a registry key path: %s", pos[2], why);
	if (s_edit_open(&e, "delete-registry", pos[0]) == -1) {
		free(key);
		return LAB_EXIT_FAIL;
	}
	rc = LAB_EXIT_FAIL;
	if ((node = s_node(&e, pos[1])) < 0)
		goto out;
	if (value && !host_value_delete(e.hs.h[node], key, value)) {
		lab_error("delete-registry", 0, "%s has no value '%s' under %s",
		    e.l->nodes[node], value, key);
		goto out;
	}
	if (!value && host_key_delete(e.hs.h[node], key) == 0) {
		lab_error("delete-registry", 0, "%s has no key %s",
		    e.l->nodes[node], key);
		goto out;
	}
	if (s_save(&e, node) == 0) {
		if (value)
			printf("%s: %s: '%s' deleted\n", e.l->nodes[node], key,
			    value);
		else
			printf("%s: %s: key deleted\n", e.l->nodes[node], key);
		rc = LAB_EXIT_OK;
	}
out:
	s_edit_close(&e);
	free(key);
	return rc;
}
