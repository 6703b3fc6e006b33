/*
 * Unit tests for report.c: the model, and the XML it writes, read back
 * with libxml2 and validated against tests/junit-10.xsd.
 *
 * If ENSBATCH_REPORT_SAMPLE names a file, the schema test also writes
 * its sample report there, so that tests/report-schema.sh can check it
 * with xmllint as well.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "ensbatch/creds.h"
#include "ensbatch/report.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must name the source tree"
#endif

#define XSD_PATH	TEST_SRCDIR "/tests/junit-10.xsd"
#define STAMP_20261127	INT64_C(1795737600000)	/* 2026-11-27T00:00:00Z */
#define U_FFFD		"\xef\xbf\xbd"

/* ---------------------------------------------------------- helpers */

/*
 * A fresh directory in the test's scratch directory (fixture.c), which
 * the fixture removes with everything in it.
 */
static char *
dir_make(void)
{
	static int	n;
	char		name[32];

	snprintf(name, sizeof(name), "d%d", n++);
	return (fixture_mkdir(name));
}

/* Names in dir, sorted and joined by spaces ("" when empty). */
static char *
dir_list(const char *dir)
{
	struct dirent	**ents = NULL;
	char		 *out, *next;
	int		  n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	ck_assert_msg(n >= 0, "scandir %s: %s", dir, strerror(errno));
	out = xstrdup("");
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0) {
			next = xasprintf("%s%s%s", out,
			    *out == '\0' ? "" : " ", ents[i]->d_name);
			free(out);
			out = next;
		}
		free(ents[i]);
	}
	free(ents);
	return (out);
}

/* Done with dir: the fixture removes it. */
static void
dir_remove(char *dir)
{
	free(dir);
}

/* The whole file, NUL-terminated; *len gets its size. */
static char *
file_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*data;
	long	 size;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_ge(size, 0);
	rewind(f);
	data = xmalloc((size_t)size + 1);
	ck_assert_uint_eq(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return (data);
}

/* Write r to path; the write must succeed. */
static void
write_ok(const struct report *r, const char *path)
{
	static char	 junk[] = "junk";
	char		*cause = junk;

	ck_assert_msg(report_write(r, path, &cause) == 0, "report_write: %s",
	    cause != NULL ? cause : "(no cause)");
	ck_assert_ptr_null(cause);
}

static void
quiet_errors(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

/* Parse a written report back; caller frees with xmlFreeDoc(). */
static xmlDocPtr
doc_read(const char *path)
{
	xmlDocPtr	doc;

	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ck_assert_msg(doc != NULL, "%s does not parse", path);
	return (doc);
}

/* The idx'th element child of n called name, or NULL. */
static xmlNodePtr
child(xmlNodePtr n, const char *name, int idx)
{
	xmlNodePtr	c;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)c->name, name) != 0)
			continue;
		if (idx-- == 0)
			return (c);
	}
	return (NULL);
}

/* The first element child of n whatever its name, or NULL. */
static xmlNodePtr
first_elem(xmlNodePtr n)
{
	xmlNodePtr	c;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			return (c);
	}
	return (NULL);
}

static int
count_elems(xmlNodePtr n)
{
	xmlNodePtr	c;
	int		k = 0;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			k++;
	}
	return (k);
}

static int
count_attrs(xmlNodePtr n)
{
	xmlAttrPtr	a;
	int		k = 0;

	for (a = n->properties; a != NULL; a = a->next)
		k++;
	return (k);
}

#define assert_attr(n, name, want) do {					\
	xmlChar	*got_;							\
									\
	ck_assert_ptr_nonnull(n);					\
	got_ = xmlGetProp((n), BAD_CAST (name));			\
	ck_assert_msg(got_ != NULL, "no attribute %s", (name));		\
	ck_assert_str_eq((const char *)got_, (want));			\
	xmlFree(got_);							\
} while (0)

#define assert_no_attr(n, name) do {					\
	ck_assert_ptr_nonnull(n);					\
	ck_assert_msg(!xmlHasProp((n), BAD_CAST (name)),		\
	    "unexpected attribute %s", (name));				\
} while (0)

#define assert_text(n, want) do {					\
	xmlChar	*got_;							\
									\
	ck_assert_ptr_nonnull(n);					\
	got_ = xmlNodeGetContent(n);					\
	ck_assert_ptr_nonnull(got_);					\
	ck_assert_str_eq((const char *)got_, (want));			\
	xmlFree(got_);							\
} while (0)

/*
 * Validate doc against tests/junit-10.xsd: 0 valid, else invalid.
 * Errors are silenced; the negative tests expect them.
 */
static int
schema_check(xmlDocPtr doc)
{
	xmlSchemaParserCtxtPtr	 pctx;
	xmlSchemaPtr		 schema;
	xmlSchemaValidCtxtPtr	 vctx;
	int			 rv;

	pctx = xmlSchemaNewParserCtxt(XSD_PATH);
	ck_assert_ptr_nonnull(pctx);
	schema = xmlSchemaParse(pctx);
	ck_assert_msg(schema != NULL, "%s does not parse", XSD_PATH);
	vctx = xmlSchemaNewValidCtxt(schema);
	ck_assert_ptr_nonnull(vctx);
	xmlSchemaSetValidStructuredErrors(vctx, quiet_errors, NULL);
	rv = xmlSchemaValidateDoc(vctx, doc);
	xmlSchemaFreeValidCtxt(vctx);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pctx);
	return (rv);
}

/*
 * The sample report: every outcome, properties, system-out, and
 * strings with control characters, markup characters, non-ASCII and
 * invalid UTF-8.  Totals: 7 tests, 2 failures, 1 error, 2 skipped.
 * The run's properties go into the first suite; its own ticket, the
 * same as the run's, is left out there.
 */
static struct report *
sample_report(void)
{
	struct report		*r;
	struct report_suite	*s;

	r = report_new("nightly-reboot");
	r->hostname = xstrdup("ci\x01-runner");
	report_run_property(r, "ticket", "CHG-42\x1b[0m");
	report_run_property(r, "operator", "ci@runner");
	report_run_property(r, "access_key_id", "LTAI****1234");

	s = report_suite_add(r, "web", STAMP_20261127);
	report_property_add(s, "ticket", "CHG-42\x1b[0m");
	report_property_add(s, "manifest.sha256", "9f86d081884c7d65");
	report_property_add(s, "mode", "apply");
	report_property_add(s, "note", "a&b <c> \"d\" \xc3\xa9\xff");
	report_case_add(s, "nightly-reboot.web", "i-1 ev-1", 1.5,
	    REPORT_PASSED, NULL, NULL,
	    "Batch 1\nRequestId 5E1F\nPlanTime 2026-11-27T00:00:00Z");
	report_case_add(s, "nightly-reboot.web", "i-2 ev-2", 2.25,
	    REPORT_FAILURE, "InvalidParameter",
	    "<i-2> & \"friends\"\x1b[31m red\x01", "Batch 1");
	report_case_add(s, "nightly-reboot.web", "i-3 ev-3", 30.0,
	    REPORT_ERROR, "Timeout", "connection reset\x7f", NULL);
	report_case_add(s, "nightly-reboot.web", "i-4 ev-4", 0.0,
	    REPORT_SKIPPED, NULL, "dry-run", NULL);
	report_case_add(s, "nightly-reboot.web",
	    "i-5 r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
	    "\xf0\x9f\x98\x80",
	    0.0004, REPORT_PASSED, NULL, NULL, "bad \xff\xfe\xc0\xaf utf-8");

	s = report_suite_add(r, "db", STAMP_20261127 + 61500);
	report_case_add(s, "nightly-reboot.db", "i-6 ev-6", 0.1,
	    REPORT_SKIPPED, NULL, NULL, NULL);
	report_case_add(s, "nightly-reboot.db", "i-7 ev-7", 0.2,
	    REPORT_FAILURE, NULL, NULL, NULL);

	report_suite_add(r, "empty", STAMP_20261127);
	return (r);
}

/* ------------------------------------------------------------ model */

START_TEST(test_model_copies)
{
	struct report		*r;
	struct report_suite	*s;
	char			 name[] = "manifest", group[] = "group";
	char			 cls[] = "m.g", tc[] = "i-1 e-1";
	char			 msg[] = "msg";

	r = report_new(name);
	name[0] = 'X';
	ck_assert_str_eq(r->name, "manifest");
	ck_assert_ptr_null(r->hostname);

	s = report_suite_add(r, group, 42);
	group[0] = 'X';
	ck_assert_str_eq(s->name, "group");
	ck_assert_str_eq(s->package, "manifest");
	ck_assert_int_eq(s->timestamp, 42);
	ck_assert_uint_eq(s->ncases, 0);

	report_property_add(s, cls, msg);
	report_case_add(s, cls, tc, 1.0, REPORT_FAILURE, "500", msg, NULL);
	report_case_add(s, cls, tc, 0.0, REPORT_PASSED, NULL, NULL, NULL);
	cls[0] = tc[0] = msg[0] = 'X';
	ck_assert_str_eq(s->props[0].name, "m.g");
	ck_assert_str_eq(s->props[0].value, "msg");
	ck_assert_str_eq(s->cases[0].classname, "m.g");
	ck_assert_str_eq(s->cases[0].name, "i-1 e-1");
	ck_assert_str_eq(s->cases[0].type, "500");
	ck_assert_str_eq(s->cases[0].message, "msg");
	ck_assert_ptr_null(s->cases[0].system_out);
	ck_assert_int_eq(s->cases[0].outcome, REPORT_FAILURE);
	ck_assert_ptr_null(s->cases[1].type);
	ck_assert_ptr_null(s->cases[1].message);
	report_free(r);
	report_free(NULL);
}
END_TEST

START_TEST(test_model_growth)
{
	struct report		*r;
	struct report_suite	*s;
	char			 name[32];
	size_t			 i;

	r = report_new("m");
	for (i = 0; i < 37; i++) {
		snprintf(name, sizeof name, "g%zu", i);
		s = report_suite_add(r, name, (int64_t)i);
		ck_assert_ptr_eq(s, &r->suites[i]);
	}
	ck_assert_uint_eq(r->nsuites, 37);
	for (i = 0; i < 37; i++) {
		snprintf(name, sizeof name, "g%zu", i);
		ck_assert_str_eq(r->suites[i].name, name);
		ck_assert_int_eq(r->suites[i].timestamp, (int64_t)i);
	}

	s = &r->suites[0];
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "c%zu", i);
		report_case_add(s, "m.g0", name, 0.001, REPORT_PASSED, NULL,
		    NULL, NULL);
		/* Geometric growth: the capacity is a power of two. */
		ck_assert_uint_ge(s->cases_cap, s->ncases);
		ck_assert_uint_eq(s->cases_cap & (s->cases_cap - 1), 0);
	}
	ck_assert_uint_eq(s->ncases, 1000);
	ck_assert_str_eq(s->cases[999].name, "c999");
	report_free(r);
}
END_TEST

/* Positive case times add up; negative and NaN ones do not poison. */
START_TEST(test_model_suite_time)
{
	struct report		*r;
	struct report_suite	*s;

	r = report_new("m");
	s = report_suite_add(r, "g", 0);
	report_case_add(s, "m.g", "a", 1.5, REPORT_PASSED, NULL, NULL, NULL);
	report_case_add(s, "m.g", "b", 0.25, REPORT_PASSED, NULL, NULL,
	    NULL);
	report_case_add(s, "m.g", "c", -3.0, REPORT_PASSED, NULL, NULL,
	    NULL);
	report_case_add(s, "m.g", "d", NAN, REPORT_PASSED, NULL, NULL, NULL);
	ck_assert_double_eq_tol(s->time, 1.75, 1e-9);
	report_free(r);
}
END_TEST

/* ----------------------------------------------------------- counts */

START_TEST(test_counts)
{
	struct report	*r;
	xmlDocPtr	 doc;
	xmlNodePtr	 root, ts, tc, n;
	char		*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = sample_report();
	write_ok(r, path);
	doc = doc_read(path);

	root = xmlDocGetRootElement(doc);
	ck_assert_str_eq((const char *)root->name, "testsuites");
	ck_assert_int_eq(count_attrs(root), 5);
	assert_attr(root, "name", "nightly-reboot");
	assert_attr(root, "tests", "7");
	assert_attr(root, "failures", "2");
	assert_attr(root, "errors", "1");
	assert_attr(root, "time", "34.050");
	ck_assert_int_eq(count_elems(root), 3);

	ts = child(root, "testsuite", 0);
	ck_assert_int_eq(count_attrs(ts), 10);
	assert_attr(ts, "name", "web");
	assert_attr(ts, "tests", "5");
	assert_attr(ts, "failures", "1");
	assert_attr(ts, "errors", "1");
	assert_attr(ts, "skipped", "1");
	assert_attr(ts, "time", "33.750");
	assert_attr(ts, "timestamp", "2026-11-27T00:00:00");
	assert_attr(ts, "hostname", "ci-runner");
	assert_attr(ts, "id", "0");
	assert_attr(ts, "package", "nightly-reboot");
	n = first_elem(ts);
	ck_assert_str_eq((const char *)n->name, "properties");
	ck_assert_int_eq(count_elems(n), 6);
	assert_attr(child(n, "property", 0), "name", "ticket");
	assert_attr(child(n, "property", 0), "value", "CHG-42[0m");
	assert_attr(child(n, "property", 2), "name", "access_key_id");
	assert_attr(child(n, "property", 3), "name", "manifest.sha256");
	assert_attr(child(n, "property", 5), "value",
	    "a&b <c> \"d\" \xc3\xa9" U_FFFD);

	tc = child(ts, "testcase", 0);
	assert_attr(tc, "classname", "nightly-reboot.web");
	assert_attr(tc, "name", "i-1 ev-1");
	assert_attr(tc, "time", "1.500");
	ck_assert_int_eq(count_elems(tc), 1);
	assert_text(child(tc, "system-out", 0),
	    "Batch 1\nRequestId 5E1F\nPlanTime 2026-11-27T00:00:00Z");

	tc = child(ts, "testcase", 1);
	n = child(tc, "failure", 0);
	assert_attr(n, "type", "InvalidParameter");
	assert_attr(n, "message", "<i-2> & \"friends\"[31m red");
	assert_text(n, "<i-2> & \"friends\"[31m red\n\nBatch 1");
	ck_assert_str_eq((const char *)first_elem(tc)->name, "failure");
	ck_assert_ptr_nonnull(child(tc, "system-out", 0));

	tc = child(ts, "testcase", 2);
	ck_assert_int_eq(count_elems(tc), 1);
	n = child(tc, "error", 0);
	assert_attr(n, "type", "Timeout");
	assert_attr(n, "message", "connection reset\x7f");

	tc = child(ts, "testcase", 3);
	ck_assert_int_eq(count_elems(tc), 1);
	n = child(tc, "skipped", 0);
	assert_attr(n, "message", "dry-run");
	assert_attr(tc, "time", "0.000");

	ts = child(root, "testsuite", 1);
	assert_attr(ts, "id", "1");
	assert_attr(ts, "tests", "2");
	assert_attr(ts, "failures", "1");
	assert_attr(ts, "errors", "0");
	assert_attr(ts, "skipped", "1");
	assert_attr(ts, "time", "0.300");
	assert_attr(ts, "timestamp", "2026-11-27T00:01:01");
	ck_assert_str_eq((const char *)first_elem(ts)->name, "testcase");
	n = child(child(ts, "testcase", 0), "skipped", 0);
	assert_no_attr(n, "message");
	n = child(child(ts, "testcase", 1), "failure", 0);
	assert_no_attr(n, "type");
	assert_no_attr(n, "message");

	ts = child(root, "testsuite", 2);
	assert_attr(ts, "id", "2");
	assert_attr(ts, "tests", "0");
	assert_attr(ts, "time", "0.000");
	ck_assert_int_eq(count_elems(ts), 0);

	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* ------------------------------------------------------------- time */

static const struct {
	double		 in;
	const char	*want;
} time_cases[] = {
	{ 1.5, "1.500" },
	{ 0.0004, "0.000" },
	{ 0.0006, "0.001" },
	{ 12345.6789, "12345.679" },
	{ 1234567.0, "1234567.000" },
	{ 59.9999, "60.000" },
	{ 0.0, "0.000" },
	{ -1.0, "0.000" },
	{ NAN, "0.000" },
	{ INFINITY, "1000000000000.000" }
};

/* Case and suite time, whatever LC_NUMERIC says if we can change it. */
START_TEST(test_time_format)
{
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	xmlNodePtr		 ts;
	char			*dir, *path;

	setlocale(LC_NUMERIC, "de_DE.UTF-8");
	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	s = report_suite_add(r, "g", 0);
	report_case_add(s, "m.g", "t", time_cases[_i].in, REPORT_PASSED,
	    NULL, NULL, NULL);
	write_ok(r, path);
	doc = doc_read(path);

	ts = child(xmlDocGetRootElement(doc), "testsuite", 0);
	assert_attr(child(ts, "testcase", 0), "time", time_cases[_i].want);
	assert_attr(ts, "time", time_cases[_i].want);
	assert_attr(xmlDocGetRootElement(doc), "time", time_cases[_i].want);

	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
	setlocale(LC_NUMERIC, "C");
}
END_TEST

/* The root time is the sum of the suite times as shown. */
START_TEST(test_time_sum)
{
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	char			*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	s = report_suite_add(r, "a", 0);
	report_case_add(s, "m.a", "1", 1.0, REPORT_PASSED, NULL, NULL, NULL);
	report_case_add(s, "m.a", "2", 0.5, REPORT_PASSED, NULL, NULL, NULL);
	s = report_suite_add(r, "b", 0);
	report_case_add(s, "m.b", "3", 0.25, REPORT_PASSED, NULL, NULL,
	    NULL);
	s = report_suite_add(r, "c", 0);
	s->time = 0.0006;	/* caller's own wall-clock time */
	write_ok(r, path);
	doc = doc_read(path);
	assert_attr(xmlDocGetRootElement(doc), "time", "1.751");
	assert_attr(child(xmlDocGetRootElement(doc), "testsuite", 2), "time",
	    "0.001");
	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* -------------------------------------------------------- timestamp */

static const struct {
	int64_t		 in;
	const char	*want;
} stamp_cases[] = {
	{ 0, "1970-01-01T00:00:00" },
	{ 1500, "1970-01-01T00:00:01" },
	{ -1, "1969-12-31T23:59:59" },
	{ STAMP_20261127, "2026-11-27T00:00:00" },
	{ STAMP_20261127 + 86399999, "2026-11-27T23:59:59" },
	{ INT64_C(1709164800000), "2024-02-29T00:00:00" },
	{ INT64_C(253402300799000), "9999-12-31T23:59:59" },
	{ INT64_C(253402300800000), "1970-01-01T00:00:00" },
	{ INT64_MAX, "1970-01-01T00:00:00" },
	{ INT64_MIN, "1970-01-01T00:00:00" }
};

START_TEST(test_timestamp)
{
	struct report	*r;
	xmlDocPtr	 doc;
	char		*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	report_suite_add(r, "g", stamp_cases[_i].in);
	write_ok(r, path);
	doc = doc_read(path);
	assert_attr(child(xmlDocGetRootElement(doc), "testsuite", 0),
	    "timestamp", stamp_cases[_i].want);
	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* --------------------------------------------------------- hostname */

START_TEST(test_hostname)
{
	struct report	*r;
	xmlDocPtr	 doc;
	char		*dir, *path;
	char		 host[256];

	memset(host, 0, sizeof host);
	if (gethostname(host, sizeof host - 1) != 0 || *host == '\0')
		snprintf(host, sizeof host, "localhost");

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	report_suite_add(r, "g", 0);
	write_ok(r, path);
	doc = doc_read(path);
	assert_attr(child(xmlDocGetRootElement(doc), "testsuite", 0),
	    "hostname", host);
	xmlFreeDoc(doc);

	r->hostname = xstrdup("builder.example");
	write_ok(r, path);
	doc = doc_read(path);
	assert_attr(child(xmlDocGetRootElement(doc), "testsuite", 0),
	    "hostname", "builder.example");
	xmlFreeDoc(doc);

	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* ------------------------------------------------------- properties */

/* How often needle occurs in the file at path. */
static int
file_count(const char *path, const char *needle)
{
	char		*data, *p;
	size_t		 len;
	int		 n = 0;

	data = file_read(path, &len);
	for (p = data; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(data);
	return (n);
}

/*
 * The run's properties are written once, in the first suite; a suite
 * repeats none of them, lists its own, and keeps a value that differs
 * from the run's.  The access key id is there masked, never whole.
 */
START_TEST(test_props_once)
{
	static const char	 key[] = "LTAI5tABCDEFGH1234";
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, n;
	char			*dir, *path, masked[32];
	const char		*names[] = { "a", "b", "c" };
	size_t			 i;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	creds_mask_key(key, masked, sizeof(masked));
	report_run_property(r, "ticket", "CHG-1");
	report_run_property(r, "operator", "alice@bastion");
	report_run_property(r, "access_key_id", masked);
	for (i = 0; i < 3; i++) {
		s = report_suite_add(r, names[i], STAMP_20261127);
		ck_assert_ptr_eq(s->report, r);
		report_property_add(s, "ticket", "CHG-1");
		report_property_add(s, "operator", "alice@bastion");
		if (i < 2)
			report_property_add(s, "policy", names[i]);
		if (i == 1)
			report_property_add(s, "ticket", "CHG-2");
		report_case_add(s, "m.x", names[i], 0, REPORT_PASSED, NULL,
		    NULL, NULL);
	}
	write_ok(r, path);

	ck_assert_int_eq(file_count(path, "name=\"ticket\" value=\"CHG-1\""),
	    1);
	ck_assert_int_eq(file_count(path, "name=\"operator\""), 1);
	ck_assert_int_eq(file_count(path, "name=\"access_key_id\""), 1);
	ck_assert_int_eq(file_count(path, "value=\"LTAI****1234\""), 1);
	ck_assert_int_eq(file_count(path, key), 0);

	doc = doc_read(path);
	root = xmlDocGetRootElement(doc);
	n = child(child(root, "testsuite", 0), "properties", 0);
	ck_assert_int_eq(count_elems(n), 4);
	assert_attr(child(n, "property", 0), "name", "ticket");
	assert_attr(child(n, "property", 1), "value", "alice@bastion");
	assert_attr(child(n, "property", 2), "value", "LTAI****1234");
	assert_attr(child(n, "property", 3), "value", "a");
	n = child(child(root, "testsuite", 1), "properties", 0);
	ck_assert_int_eq(count_elems(n), 2);
	assert_attr(child(n, "property", 0), "name", "policy");
	assert_attr(child(n, "property", 1), "value", "CHG-2");
	ck_assert_ptr_null(child(child(root, "testsuite", 2), "properties",
	    0));
	ck_assert_int_eq(schema_check(doc), 0);
	xmlFreeDoc(doc);

	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* A run property set again keeps its place and takes the new value. */
START_TEST(test_run_property_set)
{
	struct report	*r;

	r = report_new("m");
	report_run_property(r, "mode", "dry-run");
	report_run_property(r, "endpoint", "e1");
	report_run_property(r, "mode", "apply");
	ck_assert_uint_eq(r->nprops, 2);
	ck_assert_str_eq(r->props[0].name, "mode");
	ck_assert_str_eq(r->props[0].value, "apply");
	ck_assert_str_eq(r->props[1].value, "e1");
	report_free(r);
}
END_TEST

/*
 * The run's own suite, added last but first in the file, takes the
 * run's properties; the ids follow the order written.
 */
START_TEST(test_suite_first)
{
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, ts;
	char			*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	report_run_property(r, "ticket", "CHG-1");
	s = report_suite_add(r, "g1", STAMP_20261127);
	report_property_add(s, "policy", "p");
	report_suite_add(r, "g2", STAMP_20261127);
	s = report_suite_add_first(r, "(run)", STAMP_20261127);
	ck_assert_str_eq(s->name, "(run)");
	ck_assert_ptr_eq(s, &r->suites[0]);
	ck_assert_ptr_eq(r->suites[1].report, r);
	report_case_add(s, "m.(run)", "run", 0, REPORT_FAILURE, "Stopped",
	    "why", NULL);
	write_ok(r, path);

	doc = doc_read(path);
	root = xmlDocGetRootElement(doc);
	ts = child(root, "testsuite", 0);
	assert_attr(ts, "name", "(run)");
	assert_attr(ts, "id", "0");
	assert_attr(child(child(ts, "properties", 0), "property", 0),
	    "value", "CHG-1");
	ts = child(root, "testsuite", 1);
	assert_attr(ts, "name", "g1");
	assert_attr(ts, "id", "1");
	ck_assert_int_eq(count_elems(child(ts, "properties", 0)), 1);
	assert_attr(child(root, "testsuite", 2), "name", "g2");
	ck_assert_int_eq(file_count(path, "CHG-1"), 1);
	xmlFreeDoc(doc);

	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* user@host: USER first, else the password entry. */
START_TEST(test_operator)
{
	const struct passwd	*pw;
	char			*who, *want, host[256];

	memset(host, 0, sizeof host);
	if (gethostname(host, sizeof host - 1) != 0 || *host == '\0')
		snprintf(host, sizeof host, "localhost");

	ck_assert_int_eq(setenv("USER", "alice", 1), 0);
	who = report_operator();
	want = xasprintf("alice@%s", host);
	ck_assert_str_eq(who, want);
	free(want);
	free(who);

	ck_assert_int_eq(unsetenv("USER"), 0);
	who = report_operator();
	pw = getpwuid(getuid());
	if (pw != NULL)
		want = xasprintf("%s@%s", pw->pw_name, host);
	else
		want = xasprintf("uid %ju@%s", (uintmax_t)getuid(), host);
	ck_assert_str_eq(who, want);
	free(want);
	free(who);
}
END_TEST

/*
 * A <failure> or <error> carries its system-out after the message, for
 * the readers that show nothing else (GitLab, junit-viewer); a skipped
 * or passed case does not repeat it.
 */
START_TEST(test_case_body)
{
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	xmlNodePtr		 ts;
	char			*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	s = report_suite_add(r, "g", STAMP_20261127);
	report_case_add(s, "m.g", "1", 0, REPORT_FAILURE, "RebootFailed",
	    "it failed", "resource i-1\nbatch 1/1\n");
	report_case_add(s, "m.g", "2", 0, REPORT_ERROR, "NotSettled",
	    "not settled", NULL);
	report_case_add(s, "m.g", "3", 0, REPORT_ERROR, NULL, NULL,
	    "batch 2/2\n");
	report_case_add(s, "m.g", "4", 0, REPORT_SKIPPED, NULL, "later",
	    "batch 1/1\n");
	write_ok(r, path);

	doc = doc_read(path);
	ts = child(xmlDocGetRootElement(doc), "testsuite", 0);
	assert_text(child(child(ts, "testcase", 0), "failure", 0),
	    "it failed\n\nresource i-1\nbatch 1/1\n");
	assert_text(child(child(ts, "testcase", 1), "error", 0),
	    "not settled");
	assert_text(child(child(ts, "testcase", 2), "error", 0),
	    "batch 2/2\n");
	assert_text(child(child(ts, "testcase", 3), "skipped", 0), "");
	assert_text(child(child(ts, "testcase", 3), "system-out", 0),
	    "batch 1/1\n");
	ck_assert_int_eq(schema_check(doc), 0);
	xmlFreeDoc(doc);

	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* --------------------------------------------------------- sanitize */

static const struct {
	const char	*in;
	const char	*want;
} clean_cases[] = {
	{ "a\x01" "b\x1b" "c\x1f" "d", "abcd" },
	{ "tab\there\nnl\rcr", "tab\there\nnl\rcr" },
	{ "&<>\"' &amp; ]]>", "&<>\"' &amp; ]]>" },
	{ "del\x7f kept", "del\x7f kept" },
	{ "\xc2\x85 C1 kept", "\xc2\x85 C1 kept" },
	{ "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80",
	    "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80" },
	{ "x\xffy", "x" U_FFFD "y" },
	{ "x\xc3", "x" U_FFFD },
	{ "\xc3(", U_FFFD "(" },
	{ "\xe2\x82x", U_FFFD "x" },
	{ "\xc0\xaf", U_FFFD U_FFFD },
	{ "\xe0\x80\xaf", U_FFFD U_FFFD U_FFFD },
	{ "\xed\xa0\x80", U_FFFD U_FFFD U_FFFD },
	{ "\xf4\x90\x80\x80", U_FFFD U_FFFD U_FFFD U_FFFD },
	{ "\xf8\x88\x80\x80\x80", U_FFFD U_FFFD U_FFFD U_FFFD U_FFFD },
	{ "\xef\xbf\xbe|\xef\xbf\xbf", U_FFFD "|" U_FFFD },
	{ "\xef\xbf\xbd", U_FFFD },
	{ "\xf4\x8f\xbf\xbd", "\xf4\x8f\xbf\xbd" }
};

/* The same string as an attribute value and as text content. */
START_TEST(test_clean)
{
	struct report		*r;
	struct report_suite	*s;
	xmlDocPtr		 doc;
	xmlNodePtr		 tc;
	const char		*in = clean_cases[_i].in;
	const char		*want = clean_cases[_i].want;
	char			*dir, *path, *both;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("m");
	s = report_suite_add(r, "g", 0);
	report_case_add(s, "m.g", in, 0.0, REPORT_ERROR, in, in, in);
	write_ok(r, path);
	doc = doc_read(path);

	tc = child(child(xmlDocGetRootElement(doc), "testsuite", 0),
	    "testcase", 0);
	assert_attr(tc, "name", want);
	assert_attr(child(tc, "error", 0), "type", want);
	assert_attr(child(tc, "error", 0), "message", want);
	/* The error's text: its message, then the system-out. */
	both = xasprintf("%s\n\n%s", want, want);
	assert_text(child(tc, "error", 0), both);
	free(both);
	assert_text(child(tc, "system-out", 0), want);

	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/*
 * The raw bytes: declaration, indentation, and no C0 control character
 * other than tab, LF and CR anywhere in the file.
 */
START_TEST(test_clean_raw)
{
	static const char	 start[] = "<?xml version=\"1.0\" "
				    "encoding=\"UTF-8\"?>\n<testsuites ";
	struct report		*r;
	char			*dir, *path, *data;
	size_t			 len, i;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = sample_report();
	write_ok(r, path);
	data = file_read(path, &len);

	ck_assert_uint_eq(strlen(data), len);
	ck_assert_msg(strncmp(data, start, sizeof start - 1) == 0,
	    "bad start: %.60s", data);
	ck_assert_ptr_nonnull(strstr(data, "\n  <testsuite "));
	ck_assert_ptr_nonnull(strstr(data, "\n    <testcase "));
	for (i = 0; i < len; i++) {
		ck_assert_msg((unsigned char)data[i] >= 0x20 ||
		    data[i] == '\t' || data[i] == '\n' || data[i] == '\r',
		    "control byte 0x%02x at offset %zu",
		    (unsigned char)data[i], i);
	}
	ck_assert_ptr_null(strstr(data, "\xff"));

	free(data);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* ----------------------------------------------------------- schema */

START_TEST(test_schema_valid)
{
	struct report	*r;
	xmlDocPtr	 doc;
	const char	*sample;
	char		*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = sample_report();
	write_ok(r, path);
	doc = doc_read(path);
	ck_assert_int_eq(schema_check(doc), 0);
	xmlFreeDoc(doc);

	if ((sample = getenv("ENSBATCH_REPORT_SAMPLE")) != NULL &&
	    *sample != '\0')
		write_ok(r, sample);

	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* A report with nothing in it is still valid. */
START_TEST(test_schema_empty)
{
	struct report	*r;
	xmlDocPtr	 doc;
	char		*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("");
	write_ok(r, path);
	doc = doc_read(path);
	ck_assert_int_eq(schema_check(doc), 0);
	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* The schema is not vacuous: each breakage of a valid report fails. */
enum breakage {
	BREAK_NONE,
	BREAK_CASE_NAME,
	BREAK_ROOT_ATTR,
	BREAK_SUITE_SKIPPED,
	BREAK_TIME_COMMA,
	BREAK_STAMP_ZONE,
	BREAK_TWO_OUTCOMES,
	BREAK_PROPS_LAST,
	BREAK_DUP_CASE,
	BREAK_ROOT_SUITE
};

START_TEST(test_schema_rejects)
{
	struct report	*r;
	xmlDocPtr	 doc;
	xmlNodePtr	 root, ts, tc, n;
	char		*dir, *path;

	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = sample_report();
	write_ok(r, path);
	doc = doc_read(path);
	root = xmlDocGetRootElement(doc);
	ts = child(root, "testsuite", 0);
	tc = child(ts, "testcase", 0);

	switch ((enum breakage)_i) {
	case BREAK_NONE:
		break;
	case BREAK_CASE_NAME:
		ck_assert_int_eq(xmlUnsetProp(tc, BAD_CAST "name"), 0);
		break;
	case BREAK_ROOT_ATTR:
		xmlNewProp(root, BAD_CAST "skipped", BAD_CAST "0");
		break;
	case BREAK_SUITE_SKIPPED:
		ck_assert_int_eq(xmlUnsetProp(ts, BAD_CAST "skipped"), 0);
		break;
	case BREAK_TIME_COMMA:
		xmlSetProp(tc, BAD_CAST "time", BAD_CAST "1,500");
		break;
	case BREAK_STAMP_ZONE:
		xmlSetProp(ts, BAD_CAST "timestamp",
		    BAD_CAST "2026-11-27T00:00:00Z");
		break;
	case BREAK_TWO_OUTCOMES:
		/* Right after <failure>, so that only the choice is wrong. */
		n = xmlNewNode(NULL, BAD_CAST "error");
		xmlAddNextSibling(child(child(ts, "testcase", 1), "failure",
		    0), n);
		break;
	case BREAK_PROPS_LAST:
		n = child(ts, "properties", 0);
		xmlUnlinkNode(n);
		xmlAddChild(ts, n);
		break;
	case BREAK_DUP_CASE:
		xmlAddChild(ts, xmlCopyNode(tc, 1));
		break;
	case BREAK_ROOT_SUITE:
		xmlUnlinkNode(ts);
		xmlFreeNode(xmlDocSetRootElement(doc, ts));
		break;
	}
	if (_i == BREAK_NONE)
		ck_assert_int_eq(schema_check(doc), 0);
	else
		ck_assert_int_ne(schema_check(doc), 0);

	xmlFreeDoc(doc);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* ------------------------------------------------------------ write */

/* Replacing a report leaves the new one, no temp file, usual mode. */
START_TEST(test_write_atomic)
{
	struct report	*r;
	struct stat	 st;
	xmlDocPtr	 doc;
	mode_t		 old;
	char		*dir, *path, *names;

	old = umask(022);
	dir = dir_make();
	path = xasprintf("%s/report.xml", dir);
	r = report_new("first");
	write_ok(r, path);
	report_free(r);
	r = report_new("second");
	write_ok(r, path);

	names = dir_list(dir);
	ck_assert_str_eq(names, "report.xml");
	free(names);
	doc = doc_read(path);
	assert_attr(xmlDocGetRootElement(doc), "name", "second");
	xmlFreeDoc(doc);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);

	umask(old);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

/* A relative path (no directory part) works too. */
START_TEST(test_write_relative)
{
	struct report	*r;
	char		*dir, *cwd, *names;

	cwd = getcwd(NULL, 0);
	ck_assert_ptr_nonnull(cwd);
	dir = dir_make();
	ck_assert_int_eq(chdir(dir), 0);
	r = report_new("m");
	write_ok(r, "out.xml");
	names = dir_list(".");
	ck_assert_str_eq(names, "out.xml");
	free(names);
	ck_assert_int_eq(chdir(cwd), 0);
	report_free(r);
	free(cwd);
	dir_remove(dir);
}
END_TEST

START_TEST(test_write_nodir)
{
	struct report	*r;
	struct stat	 st;
	char		*dir, *path, *missing, *cause = NULL, *names;

	dir = dir_make();
	missing = xasprintf("%s/missing", dir);
	path = xasprintf("%s/report.xml", missing);
	r = sample_report();
	ck_assert_int_eq(report_write(r, path, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, "cannot write ", 13) == 0, "%s", cause);
	ck_assert_ptr_nonnull(strstr(cause, path));
	ck_assert_ptr_nonnull(strstr(cause, strerror(ENOENT)));
	ck_assert_int_eq(stat(missing, &st), -1);
	names = dir_list(dir);
	ck_assert_str_eq(names, "");
	free(names);
	free(cause);
	report_free(r);
	free(path);
	free(missing);
	dir_remove(dir);
}
END_TEST

/* rename fails once the data is written: the temp file must go. */
START_TEST(test_write_onto_dir)
{
	struct report	*r;
	char		*dir, *path, *cause = NULL, *names;

	dir = dir_make();
	path = xasprintf("%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	r = sample_report();
	ck_assert_int_eq(report_write(r, path, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, path));
	ck_assert_ptr_nonnull(strstr(cause, strerror(EISDIR)));
	names = dir_list(dir);
	ck_assert_str_eq(names, "sub");
	free(names);
	names = dir_list(path);
	ck_assert_str_eq(names, "");
	free(names);
	free(cause);
	report_free(r);
	free(path);
	dir_remove(dir);
}
END_TEST

Suite *
report_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("report");

	tc = tcase_create("model");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_model_copies);
	tcase_add_test(tc, test_model_growth);
	tcase_add_test(tc, test_model_suite_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("counts");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_loop_test(tc, test_time_format, 0,
	    (int)(sizeof time_cases / sizeof time_cases[0]));
	tcase_add_test(tc, test_time_sum);
	suite_add_tcase(s, tc);

	tc = tcase_create("timestamp");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_loop_test(tc, test_timestamp, 0,
	    (int)(sizeof stamp_cases / sizeof stamp_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("hostname");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_hostname);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_props_once);
	tcase_add_test(tc, test_run_property_set);
	tcase_add_test(tc, test_suite_first);
	tcase_add_test(tc, test_operator);
	tcase_add_test(tc, test_case_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("clean");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_loop_test(tc, test_clean, 0,
	    (int)(sizeof clean_cases / sizeof clean_cases[0]));
	tcase_add_test(tc, test_clean_raw);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_schema_valid);
	tcase_add_test(tc, test_schema_empty);
	tcase_add_loop_test(tc, test_schema_rejects, BREAK_NONE,
	    BREAK_ROOT_SUITE + 1);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_write_relative);
	tcase_add_test(tc, test_write_nodir);
	tcase_add_test(tc, test_write_onto_dir);
	suite_add_tcase(s, tc);

	return (s);
}
