/*
 * wininventory.c: PowerShell and vssadmin output -> host_state
 * (wininventory.h). Called by backend_win.c on a live host and by the
 * unit tests on recorded outputs. The facts it relies on (property names,
 * service GUIDs, state names) come from win_facts.h.
 */
#include "wininventory.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evidence.h"
#include "psjson.h"
#include "win_facts.h"
#include "xalloc.h"

typedef struct s_known_service {
	const char *guid;
	const char *name;	/* the cmdlets' -Name */
} s_known_service;

static const s_known_service S_SERVICES[] = {
	{ WINF_SVC_VSS_GUID, WINF_SVC_VSS_NAME },
	{ WINF_SVC_SHUTDOWN_GUID, "Shutdown" },
	{ WINF_SVC_TIMESYNC_GUID, "Time Synchronization" },
	{ WINF_SVC_HEARTBEAT_GUID, "Heartbeat" },
	{ WINF_SVC_KVP_GUID, "Key-Value Pair Exchange" },
	{ WINF_SVC_GSI_GUID, "Guest Service Interface" },
};
#define S_NSERVICES (sizeof S_SERVICES / sizeof S_SERVICES[0])

/* True when id ends with "\<guid>" (or is the bare guid), any case. */
static bool
s_id_ends_with(const char *id, const char *guid)
{
	size_t n, g = strlen(guid);

	if (id == NULL)
		return false;
	n = strlen(id);
	if (n < g || strcasecmp(id + n - g, guid) != 0)
		return false;
	return n == g || id[n - g - 1] == '\\' || id[n - g - 1] == '/';
}

const char *
wininv_service_name(const char *id, const char *name)
{
	for (size_t i = 0; i < S_NSERVICES; i++)
		if (s_id_ends_with(id, S_SERVICES[i].guid))
			return S_SERVICES[i].name;
	return name;
}

bool
wininv_is_backup_service(const char *id)
{
	return s_id_ends_with(id, WINF_SVC_VSS_GUID);
}

/* A GUID with or without braces -> "xxxxxxxx-...", lowercase; false if
 * it is not one. */
static bool
s_guid_lower(const char *in, char out[37])
{
	char canon[39];

	if (in == NULL || !evidence_guid(in, strlen(in), canon))
		return false;
	memcpy(out, canon + 1, 36);
	out[36] = '\0';
	return true;
}

static host_guest *
s_guest_by_id(host_state *h, const char *id)
{
	for (size_t i = 0; i < h->nguests; i++)
		if (strcmp(h->guests[i].id, id) == 0)
			return &h->guests[i];
	return NULL;
}

/* True when the text is only white space: ConvertTo-Json given nothing
 * (a host with no guests) prints nothing. */
static bool
s_blank(const wininv_text *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (!isspace((unsigned char)t->data[i]))
			return false;
	return true;
}

static psj_value *
s_parse(const wininv_text *t, const char *what, char **err)
{
	char *perr = NULL;
	psj_value *v;

	if (s_blank(t))
		return psj_parse("null", 4, &perr);
	v = psj_parse(t->data, t->len, &perr);
	if (v == NULL) {
		*err = xasprintf("%s: output is not JSON: %s", what, perr);
		free(perr);
		return NULL;
	}
	if (v->type != PSJ_NULL && v->type != PSJ_OBJECT &&
	    v->type != PSJ_ARRAY) {
		*err = xasprintf("%s: expected an object or an array of them",
		    what);
		psj_free(&v);
	}
	return v;
}

static int
s_fail(char **err, const char *what, size_t i, const char *problem)
{
	*err = xasprintf("%s: record %zu: %s", what, i + 1, problem);
	return -1;
}

/* A VMState name -> its family: "<name>Critical" belongs to <name>'s,
 * FastSaved is saved, Hibernated is off, the rest (Starting, Saving,
 * Other, ...) count as running (win_facts.h). */
static guest_state
s_state_family(const char *name)
{
	size_t n = strlen(name), c = strlen(WINF_STATE_CRITICAL);
	char base[64];

	if (n > c && strcasecmp(name + n - c, WINF_STATE_CRITICAL) == 0)
		n -= c;
	if (n >= sizeof base)
		return GUEST_RUNNING;
	memcpy(base, name, n);
	base[n] = '\0';
	if (strcasecmp(base, WINF_STATE_OFF) == 0 ||
	    strcasecmp(base, WINF_STATE_HIBERNATED) == 0)
		return GUEST_OFF;
	if (strcasecmp(base, WINF_STATE_SAVED) == 0 ||
	    strcasecmp(base, WINF_STATE_FASTSAVED) == 0)
		return GUEST_SAVED;
	if (strcasecmp(base, WINF_STATE_PAUSED) == 0)
		return GUEST_PAUSED;
	return GUEST_RUNNING;
}

/* 0, -1 when there is no State, -2 for a number that differs between
 * Windows versions. */
static int
s_state(const psj_value *rec, guest_state *out)
{
	const psj_value *v = psj_get(rec, "State");
	int64_t n;

	if (v && v->type == PSJ_STRING && v->text[0] != '\0') {
		*out = s_state_family(v->text);
		return 0;
	}
	if (psj_int(v, &n) != 0)
		return -1;
	if (n > WINF_STATE_NUM_TRUSTED_MAX)
		return -2;
	if (n == WINF_STATE_NUM_OFF)
		*out = GUEST_OFF;
	else if (n == WINF_STATE_NUM_SAVED || n == WINF_STATE_NUM_FASTSAVED)
		*out = GUEST_SAVED;
	else if (n == WINF_STATE_NUM_PAUSED)
		*out = GUEST_PAUSED;
	else
		*out = GUEST_RUNNING;
	return 0;
}

static void
s_add_path(host_guest *g, const char *path)
{
	for (size_t i = 0; i < g->npaths; i++)
		if (strcasecmp(g->paths[i], path) == 0)
			return;
	g->paths = xrealloc(g->paths, (g->npaths + 1) * sizeof *g->paths);
	g->paths[g->npaths++] = xstrdup(path);
}

static int
s_vms(host_state *h, const wininv_text *t, char **err)
{
	static const char what[] = "Get-VM";
	psj_value *v = s_parse(t, what, err);
	int rc = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < psj_count(v) && rc == 0; i++) {
		const psj_value *rec = psj_at(v, i);
		const char *name = psj_get_str(rec, "Name");
		const char *loc = psj_get_str(rec, "ConfigurationLocation");
		host_guest g, *added;
		char id[37];
		int st = 0;

		memset(&g, 0, sizeof g);
		if (rec->type != PSJ_OBJECT)
			rc = s_fail(err, what, i, "not an object");
		else if (!s_guid_lower(psj_get_str(rec, "Id"), id))
			rc = s_fail(err, what, i, "Id is not a GUID");
		else if (name == NULL || *name == '\0')
			rc = s_fail(err, what, i, "no Name");
		else if (s_guest_by_id(h, id) != NULL)
			rc = s_fail(err, what, i, "the same Id twice");
		else if ((st = s_state(rec, &g.state)) == -1)
			rc = s_fail(err, what, i, "no State");
		else if (st == -2)
			rc = s_fail(err, what, i, "State is a number above "
			    "32781, which differs between Windows versions "
			    "(ask for the name)");
		if (rc != 0)
			break;
		g.name = (char *)name;
		g.id = id;
		added = host_guest_add(h, &g);
		if (loc != NULL && *loc != '\0')
			s_add_path(added, loc);
	}
	psj_free(&v);
	return rc;
}

static int
s_services(host_state *h, const wininv_text *t, char **err)
{
	static const char what[] = "Get-VMIntegrationService";
	psj_value *v = s_parse(t, what, err);
	int rc = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < psj_count(v) && rc == 0; i++) {
		const psj_value *rec = psj_at(v, i);
		const char *name = wininv_service_name(psj_get_str(rec, "Id"),
		    psj_get_str(rec, "Name"));
		int enabled = psj_get_bool(rec, "Enabled");
		host_guest *g;
		char id[37];

		if (!s_guid_lower(psj_get_str(rec, "VMId"), id))
			rc = s_fail(err, what, i, "VMId is not a GUID");
		else if (name == NULL || *name == '\0')
			rc = s_fail(err, what, i, "neither a known Id nor a "
			    "Name");
		else if (enabled < 0)
			rc = s_fail(err, what, i, "Enabled is not true or "
			    "false");
		else if ((g = s_guest_by_id(h, id)) != NULL)
			host_guest_set_service(g, name, enabled == 1);
	}
	psj_free(&v);
	return rc;
}

static int
s_disks(host_state *h, const wininv_text *t, char **err)
{
	static const char what[] = "Get-VMHardDiskDrive";
	psj_value *v = s_parse(t, what, err);
	int rc = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < psj_count(v) && rc == 0; i++) {
		const psj_value *rec = psj_at(v, i);
		const char *path = psj_get_str(rec, "Path");
		host_guest *g;
		char id[37];

		if (!s_guid_lower(psj_get_str(rec, "VMId"), id))
			rc = s_fail(err, what, i, "VMId is not a GUID");
		else if (path != NULL && *path != '\0' &&
		    (g = s_guest_by_id(h, id)) != NULL)
			s_add_path(g, path);	/* pass-through disks have none */
	}
	psj_free(&v);
	return rc;
}

static void
s_add_csv(host_state *h, const char *friendly)
{
	char *probe = xasprintf("%s\\x", friendly);
	char *vol = csv_volume_of_path(probe);

	free(probe);
	if (vol == NULL)
		return;
	for (size_t i = 0; i < h->ncsvs; i++) {
		if (strcasecmp(h->csvs[i], vol) == 0) {
			free(vol);
			return;
		}
	}
	h->csvs = xrealloc(h->csvs, (h->ncsvs + 1) * sizeof *h->csvs);
	h->csvs[h->ncsvs++] = vol;
}

static int
s_csvs(host_state *h, const wininv_text *t, char **err)
{
	static const char what[] = "Get-ClusterSharedVolume";
	psj_value *v = s_parse(t, what, err);
	int rc = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < psj_count(v) && rc == 0; i++) {
		const psj_value *f = psj_get(psj_at(v, i), "FriendlyVolumeName");

		/* One string, or one per partition of the disk. */
		if (f == NULL || f->type == PSJ_NULL)
			continue;
		if (f->type == PSJ_STRING) {
			s_add_csv(h, f->text);
			continue;
		}
		if (f->type != PSJ_ARRAY) {
			rc = s_fail(err, what, i, "FriendlyVolumeName is not "
			    "text");
			break;
		}
		for (size_t j = 0; j < f->len; j++)
			if (f->items[j].type == PSJ_STRING)
				s_add_csv(h, f->items[j].text);
	}
	psj_free(&v);
	return rc;
}

static int
s_cluster(host_state *h, const wininv_text *t, char **err)
{
	psj_value *v = s_parse(t, "Get-Cluster", err);
	const char *name;

	if (v == NULL)
		return -1;
	name = psj_get_str(psj_at(v, 0), "Name");
	if (name == NULL || *name == '\0' || psj_count(v) != 1) {
		*err = xstrdup("Get-Cluster: expected one record with a Name");
		psj_free(&v);
		return -1;
	}
	free(h->cluster);
	h->cluster = xstrdup(name);
	psj_free(&v);
	return 0;
}

static int
s_providers(host_state *h, const wininv_text *t, char **err)
{
	evidence_providers l;

	memset(&l, 0, sizeof l);
	if (evidence_parse_vssadmin(t->data, t->len, &l, err) == -1)
		return -1;
	h->providers = xcalloc(l.n ? l.n : 1, sizeof *h->providers);
	for (size_t i = 0; i < l.n; i++) {
		const evidence_provider *e = &l.v[i];
		host_provider *p;

		/* Only system, software and hardware providers take shadow
		 * copies of the host's volumes; the file share provider (and
		 * any other type) is not a hardware provider (win_facts.h). */
		if (e->type == EVIDENCE_TYPE_UNKNOWN)
			continue;
		p = &h->providers[h->nproviders++];
		p->id = xstrdup(e->id);
		p->name = xstrdup(e->name);
		p->version = xstrdup(e->version);
		p->type = (provider_type)e->type;
		switch (p->type) {
		case PROVIDER_SYSTEM:
			p->autorecovery = WINF_SYSTEM_PROVIDER_AUTORECOVERY;
			break;
		case PROVIDER_SOFTWARE:
			p->autorecovery = WINF_SOFTWARE_PROVIDER_AUTORECOVERY;
			break;
		default:
			p->autorecovery = WINF_HARDWARE_PROVIDER_AUTORECOVERY;
			break;
		}
	}
	evidence_providers_clear(&l);
	return 0;
}

int
wininv_build(host_state *h, const wininv_outputs *o, char **err)
{
	*err = NULL;
	if (o->cluster.data && s_cluster(h, &o->cluster, err) == -1)
		return -1;
	if (o->vms.data && s_vms(h, &o->vms, err) == -1)
		return -1;
	if (o->services.data && s_services(h, &o->services, err) == -1)
		return -1;
	if (o->disks.data && s_disks(h, &o->disks, err) == -1)
		return -1;
	if (o->csvs.data && s_csvs(h, &o->csvs, err) == -1)
		return -1;
	if (o->providers.data && s_providers(h, &o->providers, err) == -1)
		return -1;
	return 0;
}

/* Characters a single-quoted PowerShell string can hold as they are. */
static bool
s_safe_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != ' ' && *s != '-' &&
		    *s != '_' && *s != '.')
			return false;
	return true;
}

char *
wininv_service_command(const char *guest_id, const char *service,
    bool enable, char **err)
{
	const char *verb = enable ? "Enable" : "Disable";
	char id[37];

	if (!s_guid_lower(guest_id, id)) {
		*err = xasprintf("guest id '%s' is not a GUID",
		    guest_id ? guest_id : "");
		return NULL;
	}
	for (size_t i = 0; i < S_NSERVICES; i++)
		if (service && strcasecmp(service, S_SERVICES[i].name) == 0)
			return xasprintf(WINF_PS_SET_SERVICE, id,
			    S_SERVICES[i].guid, verb);
	if (!s_safe_name(service)) {
		*err = xasprintf("guest %s: integration service name '%s' "
		    "cannot be passed to PowerShell", id,
		    service ? service : "");
		return NULL;
	}
	return xasprintf(WINF_PS_SET_SERVICE_BY_NAME, id, verb, service);
}
