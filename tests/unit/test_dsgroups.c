/*
 * test_dsgroups.c: DataSourceGroups.xml (common/dsgroups.c): rendering a
 * plan against committed golden bytes, parsing the golden file and
 * hand-written variants (encodings, quoting, order, comments,
 * references), non-ASCII names through render and parse, exact error
 * positions, limits, and the hash that tells whether the DPM server
 * holds the controller's plan (pinned against values computed from the
 * documented algorithm, docs/serialization-file.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsgroups.h"
#include "plan.h"
#include "platform.h"
#include "slurp.h"
#include "xalloc.h"

#define DATA HVP_TEST_DATA "/dsgroups/"
#define HV_WRITER "66841cd4-6ded-4f4b-8f17-fd23f8ddc3de"

/* ---- helpers ------------------------------------------------------ */

/* The first line of a committed hash file. */
static void
s_golden_hash(const char *path, char out[65])
{
	size_t len;
	char *data = slurp(path, &len);

	assert_true(len >= 64);
	memcpy(out, data, 64);
	out[64] = '\0';
	free(data);
}

typedef struct gspec {
	const char *group;
	const char *csvs[3];
	const char *guests[5][3];	/* name, id, node */
} gspec;

static plan *
s_plan_from(const gspec *spec, size_t n)
{
	plan *p = plan_new();

	p->groups = xcalloc(n, sizeof *p->groups);
	p->ngroups = n;
	for (size_t i = 0; i < n; i++) {
		plan_group *g = &p->groups[i];

		g->name = xstrdup(spec[i].group);
		g->csvs = xcalloc(3, sizeof *g->csvs);
		for (size_t k = 0; k < 3 && spec[i].csvs[k]; k++)
			g->csvs[g->ncsvs++] = xstrdup(spec[i].csvs[k]);
		g->guests = xcalloc(5, sizeof *g->guests);
		for (size_t k = 0; k < 5 && spec[i].guests[k][0]; k++) {
			plan_guest *gu = &g->guests[g->nguests++];

			gu->name = xstrdup(spec[i].guests[k][0]);
			gu->id = xstrdup(spec[i].guests[k][1]);
			gu->node = xstrdup(spec[i].guests[k][2]);
		}
	}
	return p;
}

/* The plan the golden files hold, built deliberately out of order. */
static const gspec PLAN1[] = {
	{ "csv-Volume2+Volume3", { "Volume3", "Volume2" }, {
		{ "VM0001", "3c000000-0000-0000-0000-000000000003", "HV02" },
		{ "数据库-😀", "5e000000-0000-0000-0000-000000000005", "HV02" },
		{ "Prüf & <Test> \"q\"", "4d000000-0000-0000-0000-000000000004",
		  "HV01" },
		{ "VM\tTab", "6f000000-0000-0000-0000-000000000006", "HV01" },
	} },
	{ "csv-Volume1", { "Volume1" }, {
		{ "VM0002", "2b000000-0000-0000-0000-000000000002", "HV02" },
		{ "VM0001", "1a000000-0000-0000-0000-000000000001", "HV01" },
	} },
};

static plan *
s_plan1(void)
{
	plan *p = s_plan_from(PLAN1, 2);

	p->generation = 7;
	p->unplanned = xcalloc(1, sizeof *p->unplanned);
	p->nunplanned = 1;
	p->unplanned[0] = (plan_unplanned){ xstrdup("VM0099"),
	    xstrdup("7a000000-0000-0000-0000-000000000007"), xstrdup("HV03"),
	    xstrdup("no CSV path") };
	return p;
}

static void
s_parse_ok(const void *data, size_t len, dsgroups_entries *e)
{
	char *err = NULL;

	memset(e, 0, sizeof *e);
	if (dsgroups_parse(data, len, e, &err) != 0)
		fail_msg("parse failed: %s", err);
	assert_null(err);
}

static void
s_parse_fails(const void *data, size_t len, const char *want)
{
	dsgroups_entries e = { 0 };
	char *err = NULL;

	assert_int_equal(dsgroups_parse(data, len, &e, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_int_equal(e.n, 0);
	assert_null(e.v);
	free(err);
}

static void
s_parse_fails_str(const char *text, const char *want)
{
	s_parse_fails(text, strlen(text), want);
}

static void
s_assert_entry(const dsgroups_entry *e, const char *group, const char *name,
    const char *id, const char *writer)
{
	assert_string_equal(e->group, group);
	assert_string_equal(e->name, name);
	assert_string_equal(e->id, id);
	assert_string_equal(e->writer, writer);
}

/* UTF-16 with the bytes of every unit swapped: LE <-> BE. */
static char *
s_swap16(const char *data, size_t len)
{
	char *out = xmalloc(len);

	for (size_t i = 0; i + 1 < len; i += 2) {
		out[i] = data[i + 1];
		out[i + 1] = data[i];
	}
	return out;
}

/* ---- render ------------------------------------------------------- */

/* plan1.xml writes each ComponentName upper case, as the Hyper-V VSS
 * writer names guests (node/win_facts.h), whatever case the plan holds. */

static void
test_render_matches_golden(void **state)
{
	plan *p = s_plan1();
	char *out, *golden;
	size_t len, glen;

	(void)state;
	golden = slurp(DATA "plan1.xml", &glen);
	assert_int_equal(dsgroups_render(p, &out, &len), 0);
	assert_int_equal(len, glen);
	assert_memory_equal(out, golden, glen);
	free(out);
	free(golden);
	plan_free(&p);
}

static void
test_render_empty_plan(void **state)
{
	plan *p = plan_new();
	char *out, *golden;
	size_t len, glen;

	(void)state;
	golden = slurp(DATA "empty.xml", &glen);
	assert_int_equal(dsgroups_render(p, &out, &len), 0);
	assert_int_equal(len, glen);
	assert_memory_equal(out, golden, glen);
	free(out);
	free(golden);
	plan_free(&p);
}

/* Byte order mark, CRLF, declaration: checked on the bytes themselves. */
static void
test_render_encoding(void **state)
{
	plan *p = s_plan1();
	char *out;
	size_t len;
	const char decl[] = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n";

	(void)state;
	assert_int_equal(dsgroups_render(p, &out, &len), 0);
	assert_true(len % 2 == 0);
	assert_memory_equal(out, "\xFF\xFE", 2);
	for (size_t i = 0; i < sizeof decl - 1; i++) {
		assert_int_equal(out[2 + 2 * i], decl[i]);
		assert_int_equal(out[3 + 2 * i], 0);
	}
	/* Ends with "</DatasourceGroup>\r\n"; no bare LF anywhere. */
	assert_memory_equal(out + len - 4, "\r\0\n\0", 4);
	for (size_t i = 2; i < len; i += 2)
		if (out[i] == '\n' && out[i + 1] == 0)
			assert_int_equal(out[i - 2], '\r');
	free(out);
	plan_free(&p);
}

/* 😀 (U+1F600) becomes the surrogate pair D83D DE00. */
static void
test_render_surrogate_pair(void **state)
{
	static const gspec spec[] = {
		{ "g", { "Volume1" }, { { "😀", "0e000000-0000-0000-0000-"
		  "000000000001", "HV01" } } },
	};
	plan *p = s_plan_from(spec, 1);
	char *out;
	size_t len;
	bool found = false;

	(void)state;
	assert_int_equal(dsgroups_render(p, &out, &len), 0);
	for (size_t i = 0; i + 3 < len; i += 2)
		if (memcmp(out + i, "\x3D\xD8\x00\xDE", 4) == 0)
			found = true;
	assert_true(found);
	free(out);
	plan_free(&p);
}

static void
s_render_fails(const char *group, const char *name, const char *id)
{
	gspec spec[1] = { { group, { "Volume1" }, { { name, id, "HV01" } } } };
	plan *p = s_plan_from(spec, 1);
	char *out = (char *)"x";
	size_t len = 99;

	assert_int_equal(dsgroups_render(p, &out, &len), -1);
	assert_null(out);
	assert_int_equal(len, 0);
	plan_free(&p);
}

static void
test_render_refuses_unencodable(void **state)
{
	(void)state;
	s_render_fails("g", "bell\x07", "0e000000-0000-0000-0000-000000000001");
	s_render_fails("g", "bad\xC3(", "0e000000-0000-0000-0000-000000000001");
	s_render_fails("g", "\xEF\xBF\xBE", "0e000000-0000-0000-0000-000000000001");
	s_render_fails("g", "vm", "");
	s_render_fails("", "vm", "0e000000-0000-0000-0000-000000000001");
	s_render_fails("g", "", "0e000000-0000-0000-0000-000000000001");
}

/* ---- parse -------------------------------------------------------- */

static void
test_parse_golden(void **state)
{
	dsgroups_entries e;
	size_t len;
	char *data = slurp(DATA "plan1.xml", &len);

	(void)state;
	s_parse_ok(data, len, &e);
	assert_int_equal(e.n, 6);
	s_assert_entry(&e.v[0], "csv-Volume1", "VM0001",
	    "1A000000-0000-0000-0000-000000000001", HV_WRITER);
	s_assert_entry(&e.v[1], "csv-Volume1", "VM0002",
	    "2B000000-0000-0000-0000-000000000002", HV_WRITER);
	s_assert_entry(&e.v[2], "csv-Volume2+Volume3", "Prüf & <Test> \"q\"",
	    "4D000000-0000-0000-0000-000000000004", HV_WRITER);
	s_assert_entry(&e.v[3], "csv-Volume2+Volume3", "VM\tTab",
	    "6F000000-0000-0000-0000-000000000006", HV_WRITER);
	s_assert_entry(&e.v[4], "csv-Volume2+Volume3", "VM0001",
	    "3C000000-0000-0000-0000-000000000003", HV_WRITER);
	s_assert_entry(&e.v[5], "csv-Volume2+Volume3", "数据库-😀",
	    "5E000000-0000-0000-0000-000000000005", HV_WRITER);
	dsgroups_entries_clear(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.v);
	free(data);
}

static void
test_parse_empty_root(void **state)
{
	dsgroups_entries e;
	size_t len;
	char *data = slurp(DATA "empty.xml", &len);

	(void)state;
	s_parse_ok(data, len, &e);
	assert_int_equal(e.n, 0);
	dsgroups_entries_clear(&e);
	s_parse_ok("<DatasourceGroup/>", 18, &e);
	assert_int_equal(e.n, 0);
	dsgroups_entries_clear(&e);
	free(data);
}

/* Hash of a parsed file against the plan's hash and the pinned value. */
static void
s_assert_holds_plan1(const char *data, size_t len)
{
	dsgroups_entries e;
	char got[65], want[65], pinned[65];
	plan *p = s_plan1();

	s_parse_ok(data, len, &e);
	assert_int_equal(e.n, 6);
	dsgroups_hash(&e, got);
	dsgroups_plan_hash(p, want);
	s_golden_hash(DATA "plan1.dsgroups-hash", pinned);
	assert_string_equal(got, want);
	assert_string_equal(got, pinned);
	dsgroups_entries_clear(&e);
	plan_free(&p);
}

static void
test_parse_variants(void **state)
{
	size_t glen, ulen, wlen;
	char *golden = slurp(DATA "plan1.xml", &glen);
	char *utf8 = slurp(DATA "variant-messy-utf8.xml", &ulen);
	char *utf16 = slurp(DATA "variant-messy-utf16le.xml", &wlen);
	char *bom8 = xmalloc(ulen + 3), *be;

	(void)state;
	s_assert_holds_plan1(golden, glen);
	s_assert_holds_plan1(golden + 2, glen - 2);	/* no mark */
	be = s_swap16(golden, glen);			/* UTF-16BE, FE FF */
	assert_memory_equal(be, "\xFE\xFF", 2);
	s_assert_holds_plan1(be, glen);
	free(be);
	s_assert_holds_plan1(utf8, ulen);
	memcpy(bom8, "\xEF\xBB\xBF", 3);
	memcpy(bom8 + 3, utf8, ulen);
	s_assert_holds_plan1(bom8, ulen + 3);
	s_assert_holds_plan1(utf16, wlen);
	be = s_swap16(utf16, wlen);
	s_assert_holds_plan1(be, wlen);
	free(be);
	free(bom8);
	free(utf16);
	free(utf8);
	free(golden);
}

/* What the messy variant spells differently comes out decoded. */
static void
test_parse_variant_values(void **state)
{
	dsgroups_entries e;
	size_t len;
	char *data = slurp(DATA "variant-messy-utf8.xml", &len);

	(void)state;
	s_parse_ok(data, len, &e);
	assert_int_equal(e.n, 6);
	/* File order is kept. */
	s_assert_entry(&e.v[0], "csv-Volume2+Volume3", "数据库-😀",
	    "{5E000000-0000-0000-0000-000000000005}",
	    "{66841CD4-6DED-4F4B-8F17-FD23F8DDC3DE}");
	s_assert_entry(&e.v[1], "csv-Volume1", "VM0002",
	    "2b000000-0000-0000-0000-000000000002", HV_WRITER);
	s_assert_entry(&e.v[2], "csv-Volume2+Volume3", "Prüf & <Test> \"q\"",
	    "4d000000-0000-0000-0000-000000000004", HV_WRITER);
	s_assert_entry(&e.v[3], "csv-Volume2+Volume3", "VM\tTab",
	    "6f000000-0000-0000-0000-000000000006", HV_WRITER);
	s_assert_entry(&e.v[5], "csv-Volume1", "VM0001",
	    "1a000000-0000-0000-0000-000000000001", HV_WRITER);
	dsgroups_entries_clear(&e);
	free(data);
}

/* Literal tabs and line ends in a value become spaces (XML's attribute
 * normalization); references to them survive. Prefixes, other
 * attributes and the names' case are tolerated. */
static void
test_parse_normalization(void **state)
{
	const char *text =
	    "<d:DATASOURCEGROUP xmlns:d='urn:x'>"
	    "<d:group groupname='a\tb\r\nc' datasourcename='x&#10;y' "
	    "writerid='w' componentname='i' extra='ignored' d:other=\"\"/>"
	    "</d:DATASOURCEGROUP>";
	dsgroups_entries e;

	(void)state;
	s_parse_ok(text, strlen(text), &e);
	assert_int_equal(e.n, 1);
	s_assert_entry(&e.v[0], "a b c", "x\ny", "i", "w");
	dsgroups_entries_clear(&e);
}

static void
test_parse_errors(void **state)
{
	static const char G[] = "GroupName=\"g\" DataSourceName=\"n\" "
	    "WriterId=\"w\" ";

	(void)state;
	s_parse_fails_str("", "line 1, column 1: no root element");
	s_parse_fails_str("  \n <!-- only a comment -->\n",
	    "line 3, column 1: no root element");
	s_parse_fails_str("hello", "line 1, column 1: unexpected text before "
	    "the root element");
	s_parse_fails_str("<?xml version=\"1.0\"?>\r\n<Foo/>",
	    "line 2, column 1: root element is <Foo>, expected "
	    "<DatasourceGroup>");
	s_parse_fails_str("<!-- open", "line 1, column 1: unterminated comment");
	s_parse_fails_str("<?xml version='1.0'",
	    "line 1, column 1: unterminated processing instruction");
	s_parse_fails_str("<!DOCTYPE x [<!ENTITY a 'b'>]>\n<DatasourceGroup/>",
	    "line 1, column 1: a document type declaration is not allowed");
	s_parse_fails_str("<DatasourceGroup>\n  <Group GroupName=\"g\" "
	    "DataSourceName=\"n\" WriterId=\"w\"/>\n</DatasourceGroup>",
	    "line 2, column 3: <Group> has no ComponentName attribute");
	s_parse_fails_str("<DatasourceGroup>hello</DatasourceGroup>",
	    "line 1, column 18: unexpected text");
	s_parse_fails_str("<DatasourceGroup>\n\t<Item/>\n</DatasourceGroup>",
	    "line 2, column 2: unexpected element <Item> (expected <Group>)");
	s_parse_fails_str("<DatasourceGroup/>\n<DatasourceGroup/>",
	    "line 2, column 1: content after the root element");
	s_parse_fails_str("<DatasourceGroup>\n<Group/>",
	    "line 2, column 1: <Group> has no GroupName attribute");
	s_parse_fails_str("<DatasourceGroup>\n",
	    "line 2, column 1: unterminated <DatasourceGroup> element");
	s_parse_fails_str("<DatasourceGroup></Datasourcegroup>",
	    "line 1, column 18: '</Datasourcegroup>' does not close "
	    "<DatasourceGroup>");
	s_parse_fails_str("<DatasourceGroup a='1' a='2'/>",
	    "line 1, column 24: duplicate attribute 'a'");
	s_parse_fails_str("<DatasourceGroup a='1'b='2'/>",
	    "line 1, column 23: expected whitespace, '>' or '/>'");
	s_parse_fails_str("<DatasourceGroup a/>",
	    "line 1, column 19: expected '=' after attribute 'a'");
	s_parse_fails_str("<DatasourceGroup a=1/>",
	    "line 1, column 20: expected a quoted attribute value");
	s_parse_fails_str("<DatasourceGroup a='1/>",
	    "line 1, column 20: unterminated attribute value");
	s_parse_fails_str("<DatasourceGroup a='<'/>",
	    "line 1, column 21: '<' in an attribute value (write &lt;)");
	s_parse_fails_str("<DatasourceGroup a='x &nbsp; y'/>",
	    "line 1, column 23: unknown entity '&nbsp;'");
	s_parse_fails_str("<DatasourceGroup a='AT&T'/>",
	    "line 1, column 23: '&' that starts no reference (write &amp;)");
	s_parse_fails_str("<DatasourceGroup a='&#0;'/>",
	    "line 1, column 21: character reference '&#0;' is not an XML "
	    "character");
	s_parse_fails_str("<DatasourceGroup a='&#x110000;'/>",
	    "line 1, column 21: character reference '&#x110000;' is not an "
	    "XML character");
	s_parse_fails_str("<DatasourceGroup a='&#xZ;'/>",
	    "line 1, column 21: bad character reference '&#xZ;'");
	s_parse_fails_str("<DatasourceGroup a='\x01'/>",
	    "line 1, column 21: character U+0001 is not allowed in XML");
	/* Columns count characters, not bytes. */
	s_parse_fails_str("<DatasourceGroup>\n<Group GroupName=\"ü€😀\" "
	    "GroupName=\"x\"/>",
	    "line 2, column 24: duplicate attribute 'GroupName'");
	s_parse_fails_str("<DatasourceGroup>\n<Group GroupName='x' "
	    "groupname='y'/>",
	    "line 2, column 22: attribute 'groupname' given twice");
	/* Long names are cut, at a character boundary, in messages. */
	{
		strbuf in, want;

		strbuf_init(&in);
		strbuf_init(&want);
		strbuf_addch(&in, '<');
		strbuf_addstr(&want, "line 1, column 1: root element is <");
		for (int i = 0; i < 40; i++) {
			strbuf_addstr(&in, "é");
			if (i < 32)
				strbuf_addstr(&want, "é");
		}
		strbuf_addstr(&in, "/>");
		strbuf_addstr(&want, ">, expected <DatasourceGroup>");
		s_parse_fails_str(in.data, want.data);
		strbuf_release(&in);
		strbuf_release(&want);
	}
	{
		char buf[256];

		snprintf(buf, sizeof buf, "<DatasourceGroup>\r\n<Group %s"
		    "ComponentName=\"\"/></DatasourceGroup>", G);
		s_parse_fails_str(buf, "line 2, column 54: ComponentName is "
		    "empty");
		snprintf(buf, sizeof buf, "<DatasourceGroup>\r\n<Group %s"
		    "ComponentName=\"c\"><Group/></Group></DatasourceGroup>", G);
		s_parse_fails_str(buf, "line 2, column 72: expected "
		    "'</Group>'");
		snprintf(buf, sizeof buf, "<DatasourceGroup><Group %s"
		    "ComponentName=\"c\"><![CDATA[x]]></Group></DatasourceGroup>",
		    G);
		s_parse_fails_str(buf, "line 1, column 89: CDATA is not "
		    "allowed here");
	}
}

static void
test_parse_encoding_errors(void **state)
{
	(void)state;
	s_parse_fails("<DatasourceGroup>\xFF", 18,
	    "byte 17: invalid UTF-8 (or a NUL character)");
	s_parse_fails("\xEF\xBB\xBF<Datasource\0", 15,
	    "byte 14: invalid UTF-8 (or a NUL character)");
	/* Odd length, and an unpaired high surrogate. */
	s_parse_fails("\xFF\xFE<\0A", 5,
	    "byte 4: invalid UTF-16 (unpaired surrogate, odd length or NUL)");
	s_parse_fails("\xFF\xFE<\0\x3D\xD8" "A\0", 8,
	    "byte 4: invalid UTF-16 (unpaired surrogate, odd length or NUL)");
	s_parse_fails("\xFE\xFF\0<\xDE\0", 6,
	    "byte 4: invalid UTF-16 (unpaired surrogate, odd length or NUL)");
}

static void
test_parse_limits(void **state)
{
	strbuf sb;
	dsgroups_entries e = { 0 };
	char *err = NULL, *big;

	(void)state;
	big = xcalloc(1, DSGROUPS_MAX_INPUT + 1);
	assert_int_equal(dsgroups_parse(big, DSGROUPS_MAX_INPUT + 1, &e,
	    &err), -1);
	assert_string_equal(err, "file is 16777217 bytes, more than the "
	    "16777216 allowed");
	free(err);
	free(big);

	strbuf_init(&sb);
	strbuf_addstr(&sb, "<DatasourceGroup>");
	for (int i = 0; i < DSGROUPS_MAX_ENTRIES; i++)
		strbuf_addf(&sb, "<Group GroupName='g' DataSourceName='v%d' "
		    "WriterId='w' ComponentName='%d'/>", i, i);
	strbuf_addstr(&sb, "</DatasourceGroup>");
	s_parse_ok(sb.data, sb.len, &e);
	assert_int_equal(e.n, DSGROUPS_MAX_ENTRIES);
	dsgroups_entries_clear(&e);
	/* One more is refused, at the element that is one too many. */
	sb.len -= strlen("</DatasourceGroup>");
	strbuf_addstr(&sb, "\n<Group GroupName='g' DataSourceName='x' "
	    "WriterId='w' ComponentName='x'/></DatasourceGroup>");
	s_parse_fails(sb.data, sb.len,
	    "line 2, column 1: more than 65536 Group elements");
	strbuf_release(&sb);
}

/* ---- round trip and hash ------------------------------------------ */

static void
test_roundtrip_non_ascii(void **state)
{
	static const gspec spec[] = {
		{ "Gruppe-Ä", { "Volume1" }, {
			{ "Ünïcödé ñame", "0a000000-0000-0000-0000-000000000001",
			  "HV01" },
			{ "日本語のゲスト", "0b000000-0000-0000-0000-000000000002",
			  "HV01" },
			{ "𝄞 clef & 😀 <x>", "0c000000-0000-0000-0000-"
			  "000000000003", "HV02" },
			{ " lead\r\nand trail ", "0d000000-0000-0000-0000-"
			  "000000000004", "HV02" },
			{ "'single' \"double\"", "0e000000-0000-0000-0000-"
			  "000000000005", "HV02" },
		} },
	};
	plan *p = s_plan_from(spec, 1);
	dsgroups_entries want = { 0 }, got;
	char *out, h1[65], h2[65];
	size_t len;

	(void)state;
	dsgroups_from_plan(p, &want);
	assert_int_equal(dsgroups_render(p, &out, &len), 0);
	s_parse_ok(out, len, &got);
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < want.n; i++)
		s_assert_entry(&got.v[i], want.v[i].group, want.v[i].name,
		    want.v[i].id, want.v[i].writer);
	dsgroups_hash(&got, h1);
	dsgroups_plan_hash(p, h2);
	assert_string_equal(h1, h2);
	dsgroups_entries_clear(&got);
	dsgroups_entries_clear(&want);
	free(out);
	plan_free(&p);
}

static void
test_from_plan_order(void **state)
{
	plan *p = s_plan1();
	dsgroups_entries e = { 0 };

	(void)state;
	dsgroups_from_plan(p, &e);
	assert_int_equal(e.n, 6);
	for (size_t i = 1; i < e.n; i++) {
		int c = strcmp(e.v[i - 1].group, e.v[i].group);

		if (c == 0)
			c = strcmp(e.v[i - 1].name, e.v[i].name);
		if (c == 0)
			c = strcmp(e.v[i - 1].id, e.v[i].id);
		assert_true(c < 0);
	}
	assert_string_equal(e.v[0].writer, HV_WRITER);
	dsgroups_entries_clear(&e);
	plan_free(&p);
}

static void
test_hash_pinned(void **state)
{
	plan *p = s_plan1(), *empty = plan_new();
	dsgroups_entries none = { 0 };
	char got[65], pinned[65];

	(void)state;
	dsgroups_plan_hash(p, got);
	s_golden_hash(DATA "plan1.dsgroups-hash", pinned);
	assert_string_equal(got, pinned);
	dsgroups_plan_hash(empty, got);
	s_golden_hash(DATA "empty.dsgroups-hash", pinned);
	assert_string_equal(got, pinned);
	dsgroups_hash(&none, got);
	assert_string_equal(got, pinned);
	/* CSVs, nodes, unplanned guests and the generation are not in the
	 * file, so they are not in its hash. */
	free(p->groups[0].guests[0].node);
	p->groups[0].guests[0].node = xstrdup("HV09");
	p->generation = 99;
	free(p->unplanned[0].reason);
	p->unplanned[0].reason = xstrdup("other");
	dsgroups_plan_hash(p, got);
	s_golden_hash(DATA "plan1.dsgroups-hash", pinned);
	assert_string_equal(got, pinned);
	plan_free(&p);
	plan_free(&empty);
}

static void
s_entries(dsgroups_entries *e, const char *const (*rows)[4], size_t n)
{
	memset(e, 0, sizeof *e);
	e->v = xcalloc(n ? n : 1, sizeof *e->v);
	e->cap = n ? n : 1;
	for (size_t i = 0; i < n; i++) {
		e->v[i].group = xstrdup(rows[i][0]);
		e->v[i].name = xstrdup(rows[i][1]);
		e->v[i].id = xstrdup(rows[i][2]);
		e->v[i].writer = xstrdup(rows[i][3]);
	}
	e->n = n;
}

static void
s_hash_rows(const char *const (*rows)[4], size_t n, char out[65])
{
	dsgroups_entries e;

	s_entries(&e, rows, n);
	dsgroups_hash(&e, out);
	dsgroups_entries_clear(&e);
}

static void
test_hash_properties(void **state)
{
	static const char *const base[][4] = {
		{ "g1", "vm-a", "aa", "w" },
		{ "g1", "vm-b", "bb", "w" },
		{ "g2", "vm-c", "cc", "w" },
	};
	static const char *const shuffled[][4] = {
		{ "g2", "vm-c", "{CC}", "{W}" },
		{ "g1", "vm-b", "BB", "w" },
		{ "g1", "vm-a", "{aa}", "w" },
	};
	static const char *const variants[][3][4] = {
		{ { "g1", "vm-a", "aa", "w" }, { "g1", "vm-b", "bb", "w" },
		  { "g1", "vm-c", "cc", "w" } },	/* moved group */
		{ { "g1", "VM-a", "aa", "w" }, { "g1", "vm-b", "bb", "w" },
		  { "g2", "vm-c", "cc", "w" } },	/* name case */
		{ { "g1", "vm-a", "ab", "w" }, { "g1", "vm-b", "bb", "w" },
		  { "g2", "vm-c", "cc", "w" } },	/* id */
		{ { "g1", "vm-a", "aa", "x" }, { "g1", "vm-b", "bb", "w" },
		  { "g2", "vm-c", "cc", "w" } },	/* writer */
		{ { "g1v", "m-a", "aa", "w" }, { "g1", "vm-b", "bb", "w" },
		  { "g2", "vm-c", "cc", "w" } },	/* field boundary */
		{ { "g1", "vm-a", "aa", "w" }, { "g1", "vm-a", "aa", "w" },
		  { "g2", "vm-c", "cc", "w" } },	/* duplicate */
	};
	char h[65], h2[65];

	(void)state;
	s_hash_rows(base, 3, h);
	assert_int_equal(strlen(h), 64);
	assert_int_equal(strspn(h, "0123456789abcdef"), 64);
	s_hash_rows(shuffled, 3, h2);
	assert_string_equal(h, h2);
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		s_hash_rows(variants[i], 3, h2);
		assert_string_not_equal(h, h2);
	}
	s_hash_rows(base, 2, h2);
	assert_string_not_equal(h, h2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_matches_golden),
		cmocka_unit_test(test_render_empty_plan),
		cmocka_unit_test(test_render_encoding),
		cmocka_unit_test(test_render_surrogate_pair),
		cmocka_unit_test(test_render_refuses_unencodable),
		cmocka_unit_test(test_parse_golden),
		cmocka_unit_test(test_parse_empty_root),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_variant_values),
		cmocka_unit_test(test_parse_normalization),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_encoding_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_roundtrip_non_ascii),
		cmocka_unit_test(test_from_plan_order),
		cmocka_unit_test(test_hash_pinned),
		cmocka_unit_test(test_hash_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
