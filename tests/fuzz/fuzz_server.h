/*
 * fuzz_server.h: a controller `server` for the message-handler fuzz
 * targets: a real store in a scratch directory, a policy applied, and no
 * sockets (replies go nowhere). Included by fuzz_peer.c and
 * fuzz_control.c only.
 */
#ifndef HVP_FUZZ_SERVER_H
#define HVP_FUZZ_SERVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "push.h"
#include "server.h"
#include "store.h"

static const char s_fuzz_policy[] =
    "apiVersion: hvpolicy/v1\n"
    "kind: ClusterPolicy\n"
    "metadata: {name: fuzz}\n"
    "spec:\n"
    "  cluster: HV-CLUSTER-01\n"
    "  strategy: system-software\n"
    "  serialization: {dpmServer: DPM01}\n";

static server *
fuzz_server(void)
{
	static server s;
	static bool ready;
	char tmpl[] = "/tmp/hvp-fuzz-XXXXXX", *err = NULL, *canon, hash[65];
	policy *p;
	diag_list d;
	int64_t rev;

	if (ready)
		return &s;
	log_init("fuzz", false);
	if (mkdtemp(tmpl) == NULL)
		abort();
	memset(&s, 0, sizeof s);
	s.cluster = "HV-CLUSTER-01";
	s.heartbeat_seconds = 5;
	s.store = store_open(tmpl, &err);
	if (s.store == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	diag_list_init(&d);
	p = policy_parse("fuzz", s_fuzz_policy, sizeof s_fuzz_policy - 1, &d);
	if (p == NULL)
		abort();
	canon = policy_canonical(p);
	policy_hash(p, hash);
	if (store_add_revision(s.store, canon, hash, "fuzz", "fuzz", 1, &rev,
	    &err) == -1 || clusters_restore(&s, &err) == -1)
		abort();
	push_set_policy(&s, s.clusters.items[0], rev, p, canon);
	diag_list_release(&d);
	ready = true;
	return &s;
}

#endif
