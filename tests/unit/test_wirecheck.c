/*
 * test_wirecheck.c: bounds on encoded messages (common/wirecheck.c):
 * messages at each bound pass and one more is refused naming the bound;
 * the field-count bound catches millions of tiny entries and unknown
 * fields; malformed bytes are told apart from bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bounds.h"
#include "wire.h"
#include "wirecheck.h"
#include "xalloc.h"

/* An envelope holding an inventory of n guests of k paths each. */
static uint8_t *
s_inventory(size_t n, size_t k, size_t *len)
{
	Hvp__Inventory inv = HVP__INVENTORY__INIT;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Guest *g = xcalloc(n, sizeof *g), **gp = xcalloc(n, sizeof *gp);
	char **paths = xcalloc(k ? k : 1, sizeof *paths);
	uint8_t *buf;

	for (size_t i = 0; i < k; i++)
		paths[i] = (char *)"C:\\ClusterStorage\\Volume1\\vm.vhdx";
	for (size_t i = 0; i < n; i++) {
		hvp__guest__init(&g[i]);
		g[i].name = (char *)"VM";
		g[i].paths = paths;
		g[i].n_paths = k;
		gp[i] = &g[i];
	}
	inv.guests = gp;
	inv.n_guests = n;
	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_INVENTORY;
	e.inventory = &inv;
	buf = xmalloc(protobuf_c_message_get_packed_size(&e.base) + 1);
	*len = protobuf_c_message_pack(&e.base, buf);
	free(paths);
	free(gp);
	free(g);
	return buf;
}

static int
s_check(const uint8_t *buf, size_t len, const char *want)
{
	char *err = NULL;
	int rc = wirecheck_envelope(buf, len, &err);

	if (want)
		assert_non_null(err), assert_non_null(strstr(err, want));
	else
		assert_null(err);
	free(err);
	return rc;
}

static void
test_guests(void **state)
{
	size_t len;
	uint8_t *buf = s_inventory(LIMIT_GUESTS, 1, &len);

	assert_int_equal(s_check(buf, len, NULL), 0);
	free(buf);
	buf = s_inventory(LIMIT_GUESTS + 1, 0, &len);
	assert_int_equal(s_check(buf, len, "more than 4096 guests"),
	    WIRECHECK_OVER);
	free(buf);
	(void)state;
}

static void
test_paths(void **state)
{
	size_t len;
	uint8_t *buf = s_inventory(2, LIMIT_PATHS_PER_GUEST, &len);

	assert_int_equal(s_check(buf, len, NULL), 0);
	free(buf);
	buf = s_inventory(2, LIMIT_PATHS_PER_GUEST + 1, &len);
	assert_int_equal(s_check(buf, len, "Guest: more than 512 paths"),
	    WIRECHECK_OVER);
	free(buf);
	(void)state;
}

/* Two million empty guests fit in 4 MiB; refused at the guest bound
 * long before the end. */
static void
test_two_million(void **state)
{
	size_t n = 2000000, len = 0;
	uint8_t *buf = xmalloc(2 * n + 16);

	buf[len++] = 0x08;
	buf[len++] = WIRE_PROTOCOL_VERSION;
	buf[len++] = 0x9a;	/* field 19, length-delimited */
	buf[len++] = 0x01;
	buf[len++] = (uint8_t)(0x80 | ((2 * n) & 0x7f));
	buf[len++] = (uint8_t)(0x80 | (((2 * n) >> 7) & 0x7f));
	buf[len++] = (uint8_t)(((2 * n) >> 14) & 0x7f);
	for (size_t i = 0; i < n; i++) {
		buf[len++] = 0x0a;
		buf[len++] = 0x00;
	}
	assert_true(len <= LIMIT_MESSAGE_BYTES);
	assert_int_equal(s_check(buf, len, "more than 4096 guests"),
	    WIRECHECK_OVER);
	free(buf);
	(void)state;
}

/* Unknown fields cost protobuf-c an allocation each: counted too. */
static void
test_unknown_fields(void **state)
{
	size_t n = LIMIT_MESSAGE_FIELDS + 1, len = 0;
	uint8_t *buf = xmalloc(2 * n + 2);

	buf[len++] = 0x08;
	buf[len++] = WIRE_PROTOCOL_VERSION;
	for (size_t i = 1; i < n; i++) {
		buf[len++] = 0x78;	/* field 15 (unknown here), varint */
		buf[len++] = 0x00;
	}
	assert_int_equal(s_check(buf, len, "fields in one message"),
	    WIRECHECK_OVER);
	assert_int_equal(s_check(buf, len - 2, NULL), 0);
	free(buf);
	(void)state;
}

static void
test_drift_batch(void **state)
{
	Hvp__DriftBatch b = HVP__DRIFT_BATCH__INIT;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Drift d = HVP__DRIFT__INIT, *recs[LIMIT_DRIFT_BATCH + 1];
	uint8_t *buf = NULL;
	size_t len = 0;

	for (size_t i = 0; i <= LIMIT_DRIFT_BATCH; i++)
		recs[i] = &d;
	d.id = (char *)"x";
	b.records = recs;
	b.n_records = LIMIT_DRIFT_BATCH;
	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_DRIFT_BATCH;
	e.drift_batch = &b;
	assert_int_equal(wire_encode(&e, &buf, &len), 0);
	assert_int_equal(s_check(buf, len, NULL), 0);
	free(buf);
	b.n_records++;
	assert_int_equal(wire_encode(&e, &buf, &len), 0);
	assert_int_equal(s_check(buf, len, "DriftBatch: more than 256 records"),
	    WIRECHECK_OVER);
	free(buf);
	(void)state;
}

static void
test_malformed(void **state)
{
	static const uint8_t cut[] = { 0x08, 0x01, 0x9a, 0x01, 0x05, 0x0a };
	static const uint8_t group[] = { 0x0b };
	static const uint8_t varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };

	assert_int_equal(s_check(cut, sizeof cut, "cut short"),
	    WIRECHECK_MALFORMED);
	assert_int_equal(s_check(group, sizeof group, "wire type"),
	    WIRECHECK_MALFORMED);
	assert_int_equal(s_check(varint, sizeof varint, "varint"),
	    WIRECHECK_MALFORMED);
	assert_int_equal(s_check(NULL, 0, NULL), 0);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guests),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_two_million),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_drift_batch),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
