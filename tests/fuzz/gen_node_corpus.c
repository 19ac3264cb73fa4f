/*
 * gen_node_corpus.c: writes the seed corpus of fuzz_node.c: one valid
 * message of each kind the controller sends a node, for each of the two
 * daemons the fuzzer holds (first byte 0: HV01, 1: DPM01): Welcome,
 * Desired (policies/system-software.yaml in canonical form, with a plan
 * for the DPM server), DriftAck, HeartbeatReply, Refused and DryRun
 * (policies/extra-registry.yaml: every registry type). Run by hand when the protocol
 * changes; its output is committed under tests/fuzz/corpus/node/.
 *
 * Not a fuzz target (the build globs fuzz_*.c only) and not built by
 * CMake: compile it against the libraries of an HVP_FUZZ build, e.g.
 *
 *   B=build-fuzz
 *   clang -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
 *     -fsanitize=address,undefined -fsanitize=fuzzer-no-link \
 *     -Icommon -I$B/proto tests/fuzz/gen_node_corpus.c \
 *     $B/common/libhvcommon.a $B/proto/libhvproto.a \
 *     $(pkg-config --libs yaml-0.1 libsodium libzmq libprotobuf-c) \
 *     -o $B/gen_node_corpus
 *   $B/gen_node_corpus . tests/fuzz/corpus/node
 *
 * Usage: gen_node_corpus SOURCE_DIR OUT_DIR. Exit 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "plan.h"
#include "planner.h"
#include "platform.h"
#include "policy.h"
#include "wire.h"
#include "xalloc.h"

typedef struct s_canon {
	char *text;
	char hash[POLICY_HASH_HEX + 1];
} s_canon;

static int
s_policy(const char *src, const char *name, s_canon *out)
{
	char *path = xasprintf("%s/policies/%s", src, name);
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_load(path, &d);
	if (p == NULL) {
		diag_sort(&d);
		diag_print(&d, stderr);
		diag_list_release(&d);
		free(path);
		return -1;
	}
	out->text = policy_canonical(p);
	policy_hash(p, out->hash);
	policy_free(&p);
	diag_list_release(&d);
	free(path);
	return 0;
}

/* The plan of fuzz_node.c's HV01 guests. */
static plan *
s_plan(void)
{
	static const char *const p1[] = {
		"C:\\ClusterStorage\\Volume1\\VM0001\\VM0001.vmcx",
	};
	static const char *const p2[] = {
		"C:\\ClusterStorage\\Volume2\\VM0002\\VM0002.vmcx",
		"C:\\ClusterStorage\\Volume1\\VM0002\\data.vhdx",
	};
	static const char *const p3[] = {
		"D:\\Templates\\TEMPLATE-01.vmcx",
	};
	const planner_guest g[] = {
		{ "VM0001", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11", "HV01",
		    p1, 1, 0 },
		{ "VM0002", "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b", "HV01",
		    p2, 2, 0 },
		{ "TEMPLATE-01", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "HV01",
		    p3, 1, 0 },
	};
	planner_result r;
	plan *p;

	memset(&r, 0, sizeof r);
	if (planner_build(g, sizeof g / sizeof g[0], NULL, &r) != 0)
		return NULL;
	p = plan_dup(r.plan);
	planner_result_clear(&r);
	return p;
}

static int
s_write(const char *dir, const char *name, uint8_t which,
    Hvp__Envelope *e)
{
	uint8_t *buf = NULL, *seed;
	size_t len = 0;
	char *path, *err = NULL;
	int rc;

	e->protocol = WIRE_PROTOCOL_VERSION;
	if (wire_encode(e, &buf, &len) == -1) {
		fprintf(stderr, "gen_node_corpus: %s: cannot encode\n", name);
		return -1;
	}
	seed = xmalloc(len + 1);
	seed[0] = which;
	memcpy(seed + 1, buf, len);
	path = xasprintf("%s/%s_%s.bin", dir, name, which ? "dpm" : "hv");
	rc = platform_replace_file(path, seed, len + 1, false, &err);
	if (rc == -1) {
		fprintf(stderr, "gen_node_corpus: %s\n", err);
		free(err);
	}
	free(path);
	free(seed);
	free(buf);
	return rc;
}

static int
s_generate(const char *out, const s_canon *sys, const s_canon *reg,
    const plan *pl)
{
	int rc = 0;

	for (uint8_t which = 0; which < 2; which++) {
		Hvp__Envelope e;
		Hvp__Welcome w = HVP__WELCOME__INIT;
		Hvp__Desired d = HVP__DESIRED__INIT;
		Hvp__DriftAck a = HVP__DRIFT_ACK__INIT;
		Hvp__HeartbeatReply hr = HVP__HEARTBEAT_REPLY__INIT;
		Hvp__Refused r = HVP__REFUSED__INIT;
		Hvp__DryRun dr = HVP__DRY_RUN__INIT;
		Hvp__Plan *wp = NULL;

		hvp__envelope__init(&e);
		w.heartbeat_seconds = 5;
		w.drift_acked_upto = 0;
		e.body_case = HVP__ENVELOPE__BODY_WELCOME;
		e.welcome = &w;
		rc |= s_write(out, "welcome", which, &e);

		d.revision = 1;
		d.policy = sys->text;
		d.policy_hash = (char *)sys->hash;
		if (which == 1) {
			wp = wire_plan_new(pl);
			d.plan_generation = pl->generation;
			d.plan_hash = (char *)pl->hash;
			d.plan = wp;
		}
		hvp__envelope__init(&e);
		e.body_case = HVP__ENVELOPE__BODY_DESIRED;
		e.desired = &d;
		rc |= s_write(out, "desired", which, &e);
		wire_plan_free(&wp);

		a.upto = 2;
		hvp__envelope__init(&e);
		e.body_case = HVP__ENVELOPE__BODY_DRIFT_ACK;
		e.drift_ack = &a;
		rc |= s_write(out, "drift_ack", which, &e);

		hr.revision = 1;
		hr.plan_generation = which == 1 ? pl->generation : 0;
		hvp__envelope__init(&e);
		e.body_case = HVP__ENVELOPE__BODY_HEARTBEAT_REPLY;
		e.heartbeat_reply = &hr;
		rc |= s_write(out, "heartbeat_reply", which, &e);

		r.reason = "node key not in nodeKeys";
		hvp__envelope__init(&e);
		e.body_case = HVP__ENVELOPE__BODY_REFUSED;
		e.refused = &r;
		rc |= s_write(out, "refused", which, &e);

		dr.request = 7;
		dr.policy = reg->text;
		hvp__envelope__init(&e);
		e.body_case = HVP__ENVELOPE__BODY_DRY_RUN;
		e.dry_run = &dr;
		rc |= s_write(out, "dry_run", which, &e);
	}
	return rc ? -1 : 0;
}

int
main(int argc, char **argv)
{
	s_canon sys = { 0 }, reg = { 0 };
	plan *pl = NULL;
	char *err = NULL;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_node_corpus SOURCE_DIR OUT_DIR\n");
		return 64;
	}
	if (platform_mkdir_p(argv[2], false, &err) == -1) {
		fprintf(stderr, "gen_node_corpus: %s\n", err);
		free(err);
		return 1;
	}
	if (s_policy(argv[1], "system-software.yaml", &sys) == 0 &&
	    s_policy(argv[1], "extra-registry.yaml", &reg) == 0 &&
	    (pl = s_plan()) != NULL &&
	    s_generate(argv[2], &sys, &reg, pl) == 0)
		rc = 0;
	plan_free(&pl);
	free(sys.text);
	free(reg.text);
	return rc;
}
