/*
 * Tests for the manifest loader: values and positions of a valid
 * manifest, inline policies, targets_file CSVs, and every structural
 * rule (yaml-syntax, yaml-limits, duplicate-key, unknown-key, type,
 * required, version, targets-file) at its position.  Manifests are
 * written from string literals into a fresh temporary directory.
 *
 * Diagnostics are compared as their printed header lines, with the
 * temporary directory stripped ("m.yaml:3:5: error: ... [rule]").
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* Valid ids: "e-" and 32 hex digits; "i-" and 8 of [0-9a-z]. */
#define EV(x)	"e-0000000000000000000000000000000" x
#define RS(x)	"i-res0000" x

/* ---------------------------------------------------------- fixture */

/* The shared fixture's diagnostics and manifest (fixture.h). */
#define td	fixture_diags
#define tm	fixture_manifest
#define put	fixture_put_text

static struct manifest *
load(const char *text)
{
	return (fixture_load(text, strlen(text)));
}

#define ck_assert_pos(p, l, c) do {					\
	ck_assert_uint_eq((p).line, (l));				\
	ck_assert_uint_eq((p).col, (c));				\
} while (0)

/* ---------------------------------------------------------- valid */

static const char full_yaml[] =
    "ensbatch: 1\n"					/* 1 */
    "name: edge-maint-2026-12\n"
    "ticket: CHG-4711\n"
    "description: December maintenance\n"
    "timezone: Asia/Shanghai\n"				/* 5 */
    "api:\n"
    "  endpoint: ens.aliyuncs.com\n"
    "  signature: v3\n"
    "  timeout: 30s\n"
    "  retries: 4\n"					/* 10 */
    "  rate: 10\n"
    "policies:\n"
    "  canary:\n"
    "    ops: immediate\n"
    "    batch_size: 1\n"				/* 15 */
    "    pause: 10m\n"
    "    max_failures: 0\n"
    "  night:\n"
    "    ops: scheduled\n"
    "    batch_size: 25\n"				/* 20 */
    "    start: \"2026-12-01 02:00\"\n"
    "    stagger: 15m\n"
    "    window_end: '2026-12-01 05:00'\n"
    "    min_lead: 5m\n"
    "groups:\n"						/* 25 */
    "  - name: canary\n"
    "    policy: canary\n"
    "    targets:\n"
    "      - event: " EV("1") "\n"
    "        resource: " RS("1") "\n"			/* 30 */
    "  - name: wave-1\n"
    "    policy: night\n"
    "    after: [canary]\n"
    "    targets_file: wave-1.csv\n";

static const char wave1_csv[] =
    "event,resource\n"
    EV("2") "," RS("2") "\n"
    EV("3") "," RS("3") "\n";

START_TEST(test_valid_top)
{
	struct manifest	*m;

	put("wave-1.csv", wave1_csv);
	m = load(full_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 0);
	ck_assert_str_eq(m->version.text, "1");
	ck_assert_pos(m->version.pos, 1, 11);
	ck_assert_str_eq(m->name.text, "edge-maint-2026-12");
	ck_assert_pos(m->name.pos, 2, 7);
	ck_assert_int_eq(m->name.plain, 1);
	ck_assert_str_eq(m->ticket.text, "CHG-4711");
	ck_assert_str_eq(m->description.text, "December maintenance");
	ck_assert_str_eq(m->timezone.text, "Asia/Shanghai");
	ck_assert_pos(m->timezone.pos, 5, 11);
	ck_assert_str_eq(m->api.endpoint.text, "ens.aliyuncs.com");
	ck_assert_pos(m->api.endpoint.pos, 7, 13);
	ck_assert_str_eq(m->api.signature.text, "v3");
	ck_assert_str_eq(m->api.timeout.text, "30s");
	ck_assert_str_eq(m->api.retries.text, "4");
	ck_assert_str_eq(m->api.rate.text, "10");
	ck_assert_pos(m->api.rate.pos, 11, 9);
	ck_assert_str_eq(diags_source_path(td, m->file), m->path);
	ck_assert_pos(m->groups_pos, 26, 3);
}
END_TEST

START_TEST(test_valid_policies)
{
	struct manifest	*m;
	struct policy	*p;

	put("wave-1.csv", wave1_csv);
	m = load(full_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->npolicies, 2);

	p = &m->policies[0];
	ck_assert_str_eq(p->name, "canary");
	ck_assert_pos(p->pos, 13, 3);
	ck_assert_str_eq(p->ops.text, "immediate");
	ck_assert_pos(p->ops.pos, 14, 10);
	ck_assert_str_eq(p->batch_size.text, "1");
	ck_assert_pos(p->batch_size.pos, 15, 17);
	ck_assert_str_eq(p->pause.text, "10m");
	ck_assert_str_eq(p->max_failures.text, "0");
	ck_assert_ptr_null(p->start.text);
	ck_assert_ptr_null(p->stagger.text);
	ck_assert_ptr_null(p->window_end.text);
	ck_assert_ptr_null(p->min_lead.text);

	p = &m->policies[1];
	ck_assert_str_eq(p->name, "night");
	ck_assert_pos(p->pos, 18, 3);
	ck_assert_str_eq(p->ops.text, "scheduled");
	ck_assert_str_eq(p->batch_size.text, "25");
	ck_assert_str_eq(p->start.text, "2026-12-01 02:00");
	ck_assert_pos(p->start.pos, 21, 12);
	ck_assert_int_eq(p->start.plain, 0);
	ck_assert_str_eq(p->stagger.text, "15m");
	ck_assert_int_eq(p->stagger.plain, 1);
	ck_assert_str_eq(p->window_end.text, "2026-12-01 05:00");
	ck_assert_pos(p->window_end.pos, 23, 17);
	ck_assert_int_eq(p->window_end.plain, 0);
	ck_assert_str_eq(p->min_lead.text, "5m");
	ck_assert_ptr_null(p->pause.text);
}
END_TEST

START_TEST(test_valid_groups)
{
	struct manifest	*m;
	struct manifest_group	*g;
	char		*csv;

	put("wave-1.csv", wave1_csv);
	m = load(full_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->ngroups, 2);

	g = &m->groups[0];
	ck_assert_str_eq(g->name, "canary");
	ck_assert_pos(g->pos, 26, 5);
	ck_assert_pos(g->name_pos, 26, 11);
	ck_assert_str_eq(g->policy_ref, "canary");
	ck_assert_pos(g->policy_pos, 27, 13);
	ck_assert_ptr_null(g->inline_policy);
	ck_assert_ptr_null(g->policy);		/* resolved by rules */
	ck_assert_uint_eq(g->nafter, 0);
	ck_assert_ptr_null(g->targets_file.text);
	ck_assert_uint_eq(g->ntargets, 1);
	ck_assert_str_eq(g->targets[0].event, EV("1"));
	ck_assert_str_eq(g->targets[0].resource, RS("1"));
	ck_assert_uint_eq(g->targets[0].pos.file, m->file);
	ck_assert_pos(g->targets[0].pos, 29, 9);
	ck_assert_pos(g->targets[0].event_pos, 29, 16);
	ck_assert_pos(g->targets[0].resource_pos, 30, 19);
	ck_assert_uint_eq(g->targets[0].diag, 0);

	g = &m->groups[1];
	ck_assert_str_eq(g->name, "wave-1");
	ck_assert_pos(g->name_pos, 31, 11);
	ck_assert_str_eq(g->policy_ref, "night");
	ck_assert_uint_eq(g->nafter, 1);
	ck_assert_str_eq(g->after[0], "canary");
	ck_assert_pos(g->after_pos[0], 33, 13);
	ck_assert_str_eq(g->targets_file.text, "wave-1.csv");
	ck_assert_pos(g->targets_file.pos, 34, 19);
	ck_assert_uint_eq(g->ntargets, 2);
	ck_assert_str_eq(g->targets[0].event, EV("2"));
	ck_assert_str_eq(g->targets[0].resource, RS("2"));
	ck_assert_str_eq(g->targets[1].event, EV("3"));
	ck_assert_str_eq(g->targets[1].resource, RS("3"));
	ck_assert_uint_ne(g->targets[0].pos.file, m->file);
	ck_assert_pos(g->targets[0].pos, 2, 1);
	ck_assert_pos(g->targets[1].event_pos, 3, 1);
	ck_assert_pos(g->targets[1].resource_pos, 3, 36);

	ck_assert_uint_eq(m->nfiles, 1);
	csv = xasprintf("%s/wave-1.csv", fixture_dir);
	ck_assert_str_eq(m->files[0].path, csv);
	ck_assert_str_eq(diags_source_path(td, g->targets[0].pos.file), csv);
	free(csv);
	/* sha256sum of wave1_csv, computed once. */
	ck_assert_str_eq(m->files[0].sha256, "7910d921c32a12c838673f6a1f524ec"
	    "972817e697614dfa42bae0c2255863579");
}
END_TEST

/* The file's SHA-256, computed once with sha256sum. */
START_TEST(test_sha256)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: x\ngroups: []\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->sha256, "1e6589aa31317ff8b958c3152c3be2c2"
	    "6890a0236b8f0528b6574e75cc08c1fc");
}
END_TEST

START_TEST(test_inline_policy)
{
	struct manifest	*m;
	struct manifest_group	*g;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    policy: {ops: scheduled, start: \"2026-12-01T02:00:00Z\"}\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_uint_eq(m->npolicies, 0);
	g = &m->groups[0];
	ck_assert_ptr_null(g->policy_ref);
	ck_assert_ptr_nonnull(g->inline_policy);
	ck_assert_ptr_eq(g->policy, g->inline_policy);
	ck_assert_ptr_null(g->inline_policy->name);
	ck_assert_pos(g->policy_pos, 5, 13);
	ck_assert_pos(g->inline_policy->pos, 5, 13);
	ck_assert_str_eq(g->inline_policy->ops.text, "scheduled");
	ck_assert_pos(g->inline_policy->ops.pos, 5, 19);
	ck_assert_str_eq(g->inline_policy->start.text,
	    "2026-12-01T02:00:00Z");
	ck_assert_uint_eq(g->ntargets, 1);
	ck_assert_pos(g->targets[0].event_pos, 7, 17);
}
END_TEST

/* A policy defined once with an anchor and reused through aliases. */
START_TEST(test_alias_reuse)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "policies:\n"
	    "  base: &p {ops: immediate, batch_size: 2, pause: 1m}\n"
	    "  again: *p\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    policy: *p\n"
	    "    targets: &t\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n"
	    "  - name: h\n"
	    "    policy: again\n"
	    "    targets: []\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_uint_eq(m->npolicies, 2);
	ck_assert_str_eq(m->policies[1].name, "again");
	ck_assert_pos(m->policies[1].pos, 5, 3);
	ck_assert_str_eq(m->policies[1].ops.text, "immediate");
	ck_assert_str_eq(m->policies[1].batch_size.text, "2");
	ck_assert_str_eq(m->policies[1].pause.text, "1m");
	/* The alias shares the anchored node and its position. */
	ck_assert_pos(m->policies[1].batch_size.pos, 4, 41);
	ck_assert_ptr_nonnull(m->groups[0].inline_policy);
	ck_assert_str_eq(m->groups[0].inline_policy->ops.text, "immediate");
	ck_assert_str_eq(m->groups[0].inline_policy->pause.text, "1m");
}
END_TEST

/* ---------------------------------------------------------- CSV */

static const char csv_yaml[] =
    "ensbatch: 1\n"
    "name: x\n"
    "groups:\n"
    "  - name: g\n"
    "    policy: {ops: immediate}\n"
    "    targets_file: w.csv\n"
    "    targets:\n"
    "      - {event: " EV("1") ", resource: " RS("1") "}\n";

/* BOM, CRLF, a comment, blank lines, quotes, spaces, no final newline. */
START_TEST(test_csv_features)
{
	static const char csv[] =
	    "\xef\xbb\xbf\"event\",\"resource\"\r\n"	/* 1 */
	    "# a comment, with a comma\r\n"		/* 2 */
	    "\r\n"					/* 3 */
	    "\"" EV("2") "\",\"" RS("2") "\"\r\n"	/* 4 */
	    "  " EV("3") " , " RS("3") "\r\n"		/* 5 */
	    "\n"					/* 6 */
	    "\t" EV("4") "," RS("4");			/* 7 */
	struct manifest	*m;
	struct manifest_group	*g;
	uint32_t	 f;

	put("w.csv", csv);
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	g = &m->groups[0];
	ck_assert_uint_eq(g->ntargets, 4);
	/* Inline targets first, then the file's. */
	ck_assert_str_eq(g->targets[0].event, EV("1"));
	ck_assert_uint_eq(g->targets[0].pos.file, m->file);
	ck_assert_str_eq(g->targets[1].event, EV("2"));
	ck_assert_str_eq(g->targets[1].resource, RS("2"));
	ck_assert_str_eq(g->targets[2].event, EV("3"));
	ck_assert_str_eq(g->targets[2].resource, RS("3"));
	ck_assert_str_eq(g->targets[3].event, EV("4"));
	ck_assert_str_eq(g->targets[3].resource, RS("4"));
	f = g->targets[1].pos.file;
	ck_assert_uint_ne(f, m->file);
	ck_assert_uint_eq(g->targets[3].pos.file, f);
	ck_assert_pos(g->targets[1].pos, 4, 1);
	ck_assert_pos(g->targets[1].event_pos, 4, 2);
	ck_assert_pos(g->targets[1].resource_pos, 4, 39);
	ck_assert_pos(g->targets[2].event_pos, 5, 3);
	ck_assert_pos(g->targets[2].resource_pos, 5, 40);
	ck_assert_pos(g->targets[3].event_pos, 7, 2);
	ck_assert_pos(g->targets[3].resource_pos, 7, 37);
	ck_assert_uint_eq(m->nfiles, 1);
}
END_TEST

/* The path is relative to the manifest's directory, not the cwd. */
START_TEST(test_csv_relative_subdir)
{
	struct manifest	*m;

	free(fixture_mkdir("sub"));
	put("sub/t.csv", "event,resource\n" EV("7") "," RS("7") "\n");
	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    policy: {ops: immediate}\n"
	    "    targets_file: sub/t.csv\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	ck_assert_str_eq(m->groups[0].targets[0].event, EV("7"));
}
END_TEST

/*
 * Where a targets_file may be: relative, inside the manifest's
 * directory once links are resolved, a regular file.  Each case makes
 * the place it names (a file, a link, a FIFO, a directory) first.
 */
enum place_kind {
	PLACE_NONE,		/* nothing to make */
	PLACE_FILE,		/* a CSV at .made */
	PLACE_LINK,		/* .made, a link to .to */
	PLACE_FIFO,
	PLACE_DIR
};

static const struct {
	const char	*name;		/* targets_file */
	enum place_kind	 kind;
	const char	*made;		/* relative to fixture_dir */
	const char	*to;		/* PLACE_LINK target */
	const char	*expect;	/* diagnostics, "" = loads */
} places[] = {
	{ "/proc/self/environ", PLACE_NONE, NULL, NULL,
	  "m.yaml:6:19: error: targets_file must be a path relative to the "
	  "manifest's directory, found the absolute path /proc/self/environ "
	  "[targets-file]\n" },
	{ "../x.csv", PLACE_FILE, "../x.csv", NULL, "outside" },
	{ "./../x.csv", PLACE_FILE, "../x.csv", NULL, "outside" },
	{ "out.csv", PLACE_LINK, "out.csv", "/etc/passwd",
	  "m.yaml:6:19: error: targets_file out.csv is outside the "
	  "manifest's directory (it resolves to /etc/passwd) "
	  "[targets-file]\n" },
	{ "up.csv", PLACE_LINK, "up.csv", "../x.csv", "outside" },
	{ "fifo.csv", PLACE_FIFO, "fifo.csv", NULL,
	  "m.yaml:6:19: error: fifo.csv is not a regular file (a FIFO) "
	  "[targets-file]\n" },
	{ "sub", PLACE_DIR, "sub", NULL,
	  "m.yaml:6:19: error: sub is not a regular file (a directory) "
	  "[targets-file]\n" },
	{ "\"\"", PLACE_NONE, NULL, NULL,
	  "m.yaml:6:19: error: targets_file is empty [targets-file]\n" },
	/* Inside: a link within the directory, and ".." that stays in. */
	{ "in.csv", PLACE_LINK, "in.csv", "t.csv", "" },
	{ "sub/../t.csv", PLACE_DIR, "sub", NULL, "" },
	{ "./t.csv", PLACE_NONE, NULL, NULL, "" },
};

START_TEST(test_csv_place)
{
	static const char csv[] = "event,resource\n" EV("8") "," RS("8")
	    "\n";
	struct manifest	*m;
	char		*yaml, *path = NULL;
	const char	*sum;

	put("t.csv", csv);
	if (places[_i].made != NULL)
		path = xasprintf("%s/%s", fixture_dir, places[_i].made);
	switch (places[_i].kind) {
	case PLACE_NONE:
		break;
	case PLACE_FILE:
		free(fixture_put(places[_i].made, csv, sizeof(csv) - 1));
		break;
	case PLACE_LINK:
		if (strncmp(places[_i].to, "../", 3) == 0)
			free(fixture_put(places[_i].to, csv, sizeof(csv) - 1));
		ck_assert_int_eq(symlink(places[_i].to, path), 0);
		break;
	case PLACE_FIFO:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		break;
	case PLACE_DIR:
		free(fixture_mkdir(places[_i].made));
		break;
	}
	free(path);
	yaml = xasprintf("ensbatch: 1\nname: x\ngroups:\n"
	    "  - name: g\n    policy: {ops: immediate}\n"
	    "    targets_file: %s\n", places[_i].name);
	m = load(yaml);
	free(yaml);
	ck_assert_ptr_nonnull(m);
	sum = fixture_summary();
	if (strcmp(places[_i].expect, "outside") == 0) {
		ck_assert_msg(strstr(sum, "is outside the manifest's "
		    "directory") != NULL, "%s", sum);
		ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 1);
	} else
		ck_assert_str_eq(sum, places[_i].expect);
	ck_assert_uint_eq(m->groups[0].ntargets,
	    *places[_i].expect == '\0' ? 1 : 0);
	ck_assert_uint_eq(m->nfiles, *places[_i].expect == '\0' ? 1 : 0);
}
END_TEST

/* CSV columns count characters, like the caret and libyaml's marks. */
START_TEST(test_csv_columns_characters)
{
	struct manifest	*m;

	put("w.csv", "event,resource\n\xc3\xa9\xe4\xb8\xad, \"x\"\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_uint_eq(m->groups[0].ntargets, 2);
	ck_assert_str_eq(m->groups[0].targets[1].resource, "x");
	ck_assert_pos(m->groups[0].targets[1].event_pos, 2, 1);
	ck_assert_pos(m->groups[0].targets[1].resource_pos, 2, 6);
}
END_TEST

/* A line with control characters is no CSV text: an error, never read. */
START_TEST(test_csv_control_characters)
{
	struct manifest	*m;

	put("w.csv", "event,resource\n"
	    EV("2") "," RS("2") "\033[2J\n"
	    EV("3") "\r," RS("3") "\n"
	    EV("4") "," RS("4") "\xc2\x9b\n"
	    EV("5") "," RS("5") "\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "w.csv:2:1: error: the line has control characters: not CSV "
	    "text [targets-file]\n"
	    "w.csv:3:1: error: the line has control characters: not CSV "
	    "text [targets-file]\n"
	    "w.csv:4:1: error: the line has control characters: not CSV "
	    "text [targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 2);
	ck_assert_str_eq(m->groups[0].targets[1].event, EV("5"));
}
END_TEST

/*
 * A file that is no targets CSV (an aliyun config.json beside the
 * manifest): one error at its first line, no line of it read.
 */
START_TEST(test_csv_not_targets)
{
	struct manifest	*m;

	put("w.csv", "{\n  \"current\": \"default\",\n"
	    "  \"access_key_secret\": \"s3cr3t-VALUE-xyz\",\n}\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("w.csv:1:1: error: the first line must be the header "
	    "\"event,resource\": this is not a targets file "
	    "[targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	ck_assert_ptr_null(strstr(fixture_summary(), "s3cr3t"));
}
END_TEST

START_TEST(test_csv_malformed_lines)
{
	struct manifest	*m;

	put("w.csv",
	    "event,resource\n"
	    EV("2") "\n"
	    EV("3") "," RS("3") ",x\n"
	    "," RS("4") "\n"
	    EV("5") ", \n"
	    EV("6") "," RS("6") "\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "w.csv:2:1: error: expected two fields \"event,resource\", "
	    "found one [targets-file]\n"
	    "w.csv:3:1: error: expected two fields \"event,resource\", "
	    "found more than two [targets-file]\n"
	    "w.csv:4:1: error: empty event field [targets-file]\n"
	    "w.csv:5:1: error: empty resource field [targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 2);
	ck_assert_str_eq(m->groups[0].targets[1].event, EV("6"));
}
END_TEST

START_TEST(test_csv_bad_header)
{
	struct manifest	*m;

	put("w.csv", "# c\nev,res\n" EV("2") "," RS("2") "\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("w.csv:2:1: error: the first line must be the "
	    "header \"event,resource\": this is not a targets file "
	    "[targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
}
END_TEST

static const char *const csv_empty_cases[] = {
	"",
	"\n\n",
	"# only a comment\n",
	"\xef\xbb\xbf",
};

START_TEST(test_csv_empty)
{
	struct manifest	*m;

	put("w.csv", csv_empty_cases[_i]);
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("w.csv:1:1: error: the file is empty: expected the "
	    "header \"event,resource\" [targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
}
END_TEST

START_TEST(test_csv_missing)
{
	struct manifest	*m;

	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("m.yaml:6:19: error: cannot open w.csv: No such file "
	    "or directory [targets-file]\n");
	ck_assert_uint_eq(m->nfiles, 0);
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
}
END_TEST

START_TEST(test_csv_bad_utf8)
{
	struct manifest	*m;

	put("w.csv", "event,resource\n" EV("2") ",i-\xe9t\xe9\n");
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("w.csv:2:38: error: not valid UTF-8 text "
	    "[targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
}
END_TEST

/* ---------------------------------------------------------- rules */

START_TEST(test_unknown_key)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "groupz: []\n"
	    "zzzzzzzz: 1\n"
	    "api: {endpoint: x, retrie: 3}\n"
	    "policies:\n"
	    "  p: {ops: immediate, bach_size: 3}\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    policy: p\n"
	    "    target: []\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") ", "
	    "resuorce: y}\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:3:1: error: unknown key \"groupz\" in the manifest; "
	    "did you mean \"groups\"? [unknown-key]\n"
	    "m.yaml:4:1: error: unknown key \"zzzzzzzz\" in the manifest "
	    "[unknown-key]\n"
	    "m.yaml:5:20: error: unknown key \"retrie\" in \"api\"; did you "
	    "mean \"retries\"? [unknown-key]\n"
	    "m.yaml:7:23: error: unknown key \"bach_size\" in policy \"p\"; "
	    "did you mean \"batch_size\"? [unknown-key]\n"
	    "m.yaml:11:5: error: unknown key \"target\" in group \"g\"; "
	    "did you mean \"targets\"? [unknown-key]\n"
	    "m.yaml:13:75: error: unknown key \"resuorce\" in a target; "
	    "did you mean \"resource\"? [unknown-key]\n");
	/* The known keys are still read. */
	ck_assert_str_eq(m->api.endpoint.text, "x");
	ck_assert_str_eq(m->policies[0].ops.text, "immediate");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
}
END_TEST

/* The outcome keys, in a named and an inline policy, both check forms. */
START_TEST(test_outcome_keys)
{
	struct manifest	*m;
	struct policy	*p;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "policies:\n"
	    "  p:\n"
	    "    ops: immediate\n"				/* 5 */
	    "    settle_timeout: 20m\n"
	    "    soak: 10m\n"
	    "    check: test -n \"$ENSBATCH_RESOURCE\"\n"
	    "groups:\n"
	    "  - name: g\n"					/* 10 */
	    "    policy:\n"
	    "      ops: immediate\n"
	    "      check:\n"
	    "        command: /bin/probe\n"
	    "        timeout: 2m\n"				/* 15 */
	    "        interval: 5s\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	p = &m->policies[0];
	ck_assert_str_eq(p->settle_timeout.text, "20m");
	ck_assert_pos(p->settle_timeout.pos, 6, 21);
	ck_assert_str_eq(p->soak.text, "10m");
	ck_assert_pos(p->soak.pos, 7, 11);
	ck_assert_str_eq(p->check_command.text,
	    "test -n \"$ENSBATCH_RESOURCE\"");
	ck_assert_pos(p->check_command.pos, 8, 12);
	ck_assert_pos(p->check_pos, 8, 12);
	ck_assert_ptr_null(p->check_timeout.text);
	ck_assert_ptr_null(p->check_interval.text);

	p = m->groups[0].inline_policy;
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(p->settle_timeout.text);
	ck_assert_ptr_null(p->soak.text);
	ck_assert_pos(p->check_pos, 14, 9);
	ck_assert_str_eq(p->check_command.text, "/bin/probe");
	ck_assert_pos(p->check_command.pos, 14, 18);
	ck_assert_str_eq(p->check_timeout.text, "2m");
	ck_assert_pos(p->check_timeout.pos, 15, 18);
	ck_assert_str_eq(p->check_interval.text, "5s");
	ck_assert_pos(p->check_interval.pos, 16, 19);
}
END_TEST

/* YAML tags on scalars, sequences and mappings: each an error there. */
START_TEST(test_yaml_tags)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: !!binary eAo=\n"
	    "description: !foo bar\n"
	    "ticket: !!str CHG-1\n"
	    "api: !!python/object:os.system {endpoint: x}\n"	/* 5 */
	    "policies: {p: {ops: !<tag:example.com,2026:x> immediate}}\n"
	    "groups: !!seq\n"
	    "  - name: g\n"
	    "    policy: p\n"
	    "    targets: [{event: " EV("1") ", resource: " RS("1") "}]\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:2:7: error: YAML tag \"!!binary\" is not allowed: a "
	    "manifest has plain values only [yaml-tag]\n"
	    "m.yaml:3:14: error: YAML tag \"!foo\" is not allowed: a "
	    "manifest has plain values only [yaml-tag]\n"
	    "m.yaml:4:9: error: YAML tag \"!!str\" is not allowed: a "
	    "manifest has plain values only [yaml-tag]\n"
	    "m.yaml:5:6: error: YAML tag \"!!python/object:os.system\" is "
	    "not allowed: a manifest has plain values only [yaml-tag]\n"
	    "m.yaml:6:21: error: YAML tag \"tag:example.com,2026:x\" is not "
	    "allowed: a manifest has plain values only [yaml-tag]\n"
	    "m.yaml:7:9: error: YAML tag \"!!seq\" is not allowed: a "
	    "manifest has plain values only [yaml-tag]\n");
}
END_TEST

/* Wrong node kinds and unknown keys of the outcome keys, located. */
START_TEST(test_outcome_keys_bad)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "policies:\n"
	    "  a: {ops: immediate, settle_timeout: [30m], soak: {x: 1}}\n"
	    "  b: {ops: immediate, check: [true]}\n"		/* 5 */
	    "  c: {ops: immediate, check: }\n"
	    "  d: {ops: immediate, check: {comand: x, timeout: 1m}}\n"
	    "  e: {ops: immediate, check: {command: x, intervall: 1s, "
	    "retries: 3}}\n"
	    "  f: {ops: immediate, check: {command: [x], timeout: {}}}\n"
	    "groups:\n"					/* 10 */
	    "  - name: g\n"
	    "    policy: {ops: immediate, chek: true}\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:4:39: error: policy \"a\" \"settle_timeout\" must be a "
	    "scalar, found a sequence [type]\n"
	    "m.yaml:4:52: error: policy \"a\" \"soak\" must be a scalar, "
	    "found a mapping [type]\n"
	    "m.yaml:5:30: error: \"check\" must be a command or a mapping "
	    "with \"command\", found a sequence [type]\n"
	    "m.yaml:6:30: error: \"check\" must be a command or a mapping "
	    "with \"command\", found null [type]\n"
	    "m.yaml:7:30: error: \"check\" has no \"command\" [required]\n"
	    "m.yaml:7:31: error: unknown key \"comand\" in \"check\"; did "
	    "you mean \"command\"? [unknown-key]\n"
	    "m.yaml:8:43: error: unknown key \"intervall\" in \"check\"; "
	    "did you mean \"interval\"? [unknown-key]\n"
	    "m.yaml:8:58: error: unknown key \"retries\" in \"check\" "
	    "[unknown-key]\n"
	    "m.yaml:9:40: error: \"check\" \"command\" must be a scalar, "
	    "found a sequence [type]\n"
	    "m.yaml:9:54: error: \"check\" \"timeout\" must be a scalar, "
	    "found a mapping [type]\n"
	    "m.yaml:12:30: error: unknown key \"chek\" in inline policy; "
	    "did you mean \"check\"? [unknown-key]\n");
	ck_assert_ptr_null(m->policies[0].settle_timeout.text);
	ck_assert_ptr_null(m->policies[1].check_command.text);
	ck_assert_str_eq(m->policies[4].check_command.text, "x");
}
END_TEST

START_TEST(test_duplicate_key)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: first\n"
	    "policies:\n"
	    "  p: {ops: immediate}\n"
	    "  q: {ops: immediate, ops: scheduled}\n"
	    "  p: {ops: scheduled}\n"
	    "name: second\n"
	    "groups: []\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:5:23: error: key \"ops\" appears more than once in "
	    "policy \"q\" [duplicate-key]\n"
	    "m.yaml:5:7: note: \"ops\" first appears here\n"
	    "m.yaml:6:3: error: key \"p\" appears more than once in "
	    "policies [duplicate-key]\n"
	    "m.yaml:4:3: note: \"p\" first appears here\n"
	    "m.yaml:7:1: error: key \"name\" appears more than once in "
	    "the manifest [duplicate-key]\n"
	    "m.yaml:2:1: note: \"name\" first appears here\n");
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 3);
	ck_assert_uint_eq(diags_count(td, DIAG_NOTE), 3);
	/* The first occurrence is the one used. */
	ck_assert_str_eq(m->name.text, "first");
}
END_TEST

/* Every repeat points back at the first occurrence. */
START_TEST(test_duplicate_key_thrice)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: a\n"
	    "name: b\n"
	    "name: c\n"
	    "groups: []\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:3:1: error: key \"name\" appears more than once in "
	    "the manifest [duplicate-key]\n"
	    "m.yaml:2:1: note: \"name\" first appears here\n"
	    "m.yaml:4:1: error: key \"name\" appears more than once in "
	    "the manifest [duplicate-key]\n"
	    "m.yaml:2:1: note: \"name\" first appears here\n");
}
END_TEST

/* A key repeated through an alias is still a duplicate. */
START_TEST(test_duplicate_key_alias)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "&k name: x\n"
	    "*k : y\n"
	    "groups: []\n");
	ck_assert_ptr_nonnull(m);
	/* The repeat is the alias on line 3, the first the anchor. */
	ck_assert_diags(
	    "m.yaml:3:1: error: key \"name\" appears more than once in "
	    "the manifest [duplicate-key]\n"
	    "m.yaml:2:1: note: \"name\" first appears here\n");
}
END_TEST

/* An alias to a collection that is still open must not hang or crash. */
START_TEST(test_alias_recursive)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: x\n"
	    "policies: &p {q: *p}\n"
	    "groups: &g [*g]\n");
	ck_assert_uint_ge(diags_count(td, DIAG_ERROR), 1);
	(void)m;
}
END_TEST

START_TEST(test_type)
{
	struct manifest	*m;

	m = load("ensbatch: 1\n"
	    "name: [x]\n"
	    "api: fast\n"
	    "policies:\n"
	    "  p: {ops: immediate, batch_size: [3]}\n"
	    "  q: immediate\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    policy: [p]\n"
	    "    after: canary\n"
	    "    targets:\n"
	    "      - " EV("1") "\n"
	    "      - {event: ~, resource: {a: b}}\n"
	    "  - just a string\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:2:7: error: the manifest \"name\" must be a scalar, "
	    "found a sequence [type]\n"
	    "m.yaml:3:6: error: \"api\" must be a mapping, found a scalar "
	    "[type]\n"
	    "m.yaml:5:35: error: policy \"p\" \"batch_size\" must be a "
	    "scalar, found a sequence [type]\n"
	    "m.yaml:6:6: error: policy \"q\" must be a mapping, found a "
	    "scalar [type]\n"
	    "m.yaml:9:13: error: \"policy\" must be a policy name or a "
	    "mapping, found a sequence [type]\n"
	    "m.yaml:10:12: error: \"after\" must be a sequence, found a "
	    "scalar [type]\n"
	    "m.yaml:12:9: error: a target must be a mapping, found a "
	    "scalar [type]\n"
	    "m.yaml:13:17: error: \"event\" must be a scalar, found null "
	    "[type]\n"
	    "m.yaml:13:30: error: \"resource\" must be a scalar, found a "
	    "mapping [type]\n"
	    "m.yaml:14:5: error: a group must be a mapping, found a scalar "
	    "[type]\n");
	ck_assert_ptr_null(m->name.text);
	ck_assert_uint_eq(m->groups[0].ntargets, 0);
}
END_TEST

START_TEST(test_type_root)
{
	struct manifest	*m;

	m = load("- a\n- b\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("m.yaml:1:1: error: the manifest must be a mapping, "
	    "found a sequence [type]\n");
}
END_TEST

START_TEST(test_required)
{
	struct manifest	*m;

	m = load("description: d\n"
	    "policies:\n"
	    "  p: {batch_size: 2}\n"
	    "groups:\n"
	    "  - name: g\n"
	    "    targets:\n"
	    "      - {event: " EV("1") "}\n"
	    "      - {resource: " RS("1") "}\n"
	    "  - policy: p\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:1:1: error: the manifest has no \"ensbatch\" "
	    "[required]\n"
	    "m.yaml:1:1: error: the manifest has no \"name\" [required]\n"
	    "m.yaml:3:3: error: policy \"p\" has no \"ops\" [required]\n"
	    "m.yaml:5:5: error: group \"g\" has no \"policy\" [required]\n"
	    "m.yaml:7:9: error: target has no \"resource\" [required]\n"
	    "m.yaml:8:9: error: target has no \"event\" [required]\n"
	    "m.yaml:9:5: error: group has no \"name\" [required]\n");
	ck_assert_uint_eq(m->ngroups, 2);
	ck_assert_ptr_null(m->groups[1].name);
	ck_assert_pos(m->groups[1].name_pos, 9, 5);
}
END_TEST

START_TEST(test_required_groups)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: x\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("m.yaml:1:1: error: the manifest has no \"groups\" "
	    "[required]\n");
}
END_TEST

static const struct {
	const char	*value;
	const char	*shown;	/* in the message */
} version_bad[] = {
	{ "2", "2" },
	{ "\"1\"", "1" },
	{ "'1'", "1" },
	{ "1.0", "1.0" },
	{ "one", "one" },
	{ "[1]", "a sequence" },
	{ "~", "null" },
};

START_TEST(test_version)
{
	struct manifest	*m;
	char		*yaml, *want;

	yaml = xasprintf("name: x\nensbatch: %s\ngroups: []\n",
	    version_bad[_i].value);
	m = load(yaml);
	free(yaml);
	ck_assert_ptr_nonnull(m);
	want = xasprintf("m.yaml:2:11: error: unsupported manifest version "
	    "\"%s\": this ensbatch reads \"ensbatch: 1\" [version]\n",
	    version_bad[_i].shown);
	ck_assert_diags(want);
	free(want);
	ck_assert_ptr_null(m->version.text);
}
END_TEST

START_TEST(test_version_ok)
{
	struct manifest	*m;

	m = load("name: x\nensbatch: 1\ngroups: []\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	ck_assert_str_eq(m->version.text, "1");
}
END_TEST

START_TEST(test_empty_manifest)
{
	struct manifest	*m;

	m = load("# nothing\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("m.yaml:1:1: error: the manifest is empty [empty]\n");
}
END_TEST

START_TEST(test_missing_file)
{
	char	*path;

	path = xasprintf("%s/nope.yaml", fixture_dir);
	tm = manifest_load(path, td);
	free(path);
	ck_assert_ptr_null(tm);
	/* Not a YAML problem: no rule id. */
	ck_assert_diags("nope.yaml: error: cannot open nope.yaml: No such "
	    "file or directory\n");
}
END_TEST

START_TEST(test_yaml_syntax)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: [a, b\ngroups: []\n");
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 1);
	ck_assert_str_eq(diags_rule(td, 1), "yaml-syntax");
	ck_assert_diags("m.yaml:3:7: error: did not find expected ',' or "
	    "']' while parsing a flow sequence [yaml-syntax]\n");
}
END_TEST

START_TEST(test_yaml_unknown_alias)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: *nope\ngroups: []\n");
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:2:7: error: unknown alias *nope "
	    "[yaml-syntax]\n");
}
END_TEST

START_TEST(test_two_documents)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: x\ngroups: []\n---\nname: y\n");
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:4:1: error: more than one YAML document: a "
	    "manifest is exactly one document [yaml-limits]\n");
}
END_TEST

/* "[" * n "]" * n: n nested collections. */
static char *
nested(size_t n)
{
	char	*s;

	s = xcalloc(1, 2 * n + 2);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\n';
	return (s);
}

START_TEST(test_depth_64_ok)
{
	struct manifest	*m;
	char		*s;

	s = nested(MANIFEST_MAX_DEPTH);
	m = load(s);
	free(s);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("m.yaml:1:1: error: the manifest must be a mapping, "
	    "found a sequence [type]\n");
}
END_TEST

START_TEST(test_depth_65)
{
	struct manifest	*m;
	char		*s;

	s = nested(MANIFEST_MAX_DEPTH + 1);
	m = load(s);
	free(s);
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:1:65: error: nesting deeper than 64 levels "
	    "[yaml-limits]\n");
}
END_TEST

/* Billion laughs: each level multiplies by ten. */
START_TEST(test_alias_bomb)
{
	struct manifest	*m;

	m = load("a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n");
	ck_assert_ptr_null(m);
	/* 110 + 1110 + 11110 + 8 * 11111 is the first sum over 100000. */
	ck_assert_diags("m.yaml:5:29: error: aliases expand to more than "
	    "100000 nodes [yaml-limits]\n");
}
END_TEST

START_TEST(test_alias_within_budget)
{
	struct manifest	*m;

	/* 110 + 1110 + 11110 + 7 * 11111 = 100107 - 11111 < 100000 */
	m = load("a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d]\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 8);
	ck_assert_str_eq(diags_rule(td, 1), "unknown-key");
}
END_TEST

/* A file over MANIFEST_MAX_SIZE is refused before it is parsed. */
START_TEST(test_too_large)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/m.yaml", fixture_dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs("ensbatch: 1\n", f) >= 0, 1);
	ck_assert_int_eq(ftruncate(fileno(f), (off_t)MANIFEST_MAX_SIZE + 1),
	    0);
	ck_assert_int_eq(fclose(f), 0);
	tm = manifest_load(path, td);
	free(path);
	ck_assert_ptr_null(tm);
	ck_assert_diags("m.yaml: error: m.yaml is larger than 64 MiB "
	    "[yaml-limits]\n");
}
END_TEST

START_TEST(test_invalid_utf8_file)
{
	struct manifest	*m;

	m = load("ensbatch: 1\nname: caf\xc3\xa9-\xc0\xaf\ngroups: []\n");
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:2:12: error: not valid UTF-8 text (or a NUL "
	    "byte) [yaml-limits]\n");
}
END_TEST

START_TEST(test_nul_byte_file)
{
	static const char text[] = "ensbatch: 1\nna\0me: x\n";
	struct manifest	*m;

	m = fixture_load(text, sizeof(text) - 1);
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:2:3: error: not valid UTF-8 text (or a NUL "
	    "byte) [yaml-limits]\n");
}
END_TEST

/* ---------------------------------------------------------- UTF-8 */

static const struct {
	const char	*text;
	size_t		 len;
	int		 ret;
	uint32_t	 line, col;	/* of the first bad byte */
} utf8_cases[] = {
#define U(s, r, l, c)	{ s, sizeof(s) - 1, r, l, c }
	U("", 0, 0, 0),
	U("plain ascii\nline two", 0, 0, 0),
	U("\xc2\x80", 0, 0, 0),			/* U+0080 */
	U("caf\xc3\xa9", 0, 0, 0),
	U("\xe0\xa0\x80", 0, 0, 0),			/* U+0800 */
	U("\xe4\xb8\xad\xe6\x96\x87", 0, 0, 0),
	U("\xed\x9f\xbf", 0, 0, 0),			/* U+D7FF */
	U("\xee\x80\x80", 0, 0, 0),			/* U+E000 */
	U("\xf0\x90\x80\x80", 0, 0, 0),		/* U+10000 */
	U("\xf0\x9f\x98\x80", 0, 0, 0),
	U("\xf4\x8f\xbf\xbf", 0, 0, 0),		/* U+10FFFF */
	/* Stray continuation bytes and bytes that never start UTF-8. */
	U("a\x80", -1, 1, 2),
	U("\xbf", -1, 1, 1),
	U("ab\xff", -1, 1, 3),
	U("\xfe", -1, 1, 1),
	U("\xf8\x88\x80\x80\x80", -1, 1, 1),	/* 5-byte form */
	/* Overlong forms. */
	U("\xc0\x80", -1, 1, 1),
	U("\xc1\xbf", -1, 1, 1),
	U("x\n\xe0\x80\x80", -1, 2, 1),
	U("\xe0\x9f\xbf", -1, 1, 1),
	U("xy\xf0\x80\x80\x80", -1, 1, 3),
	U("\xf0\x8f\xbf\xbf", -1, 1, 1),
	/* UTF-16 surrogates. */
	U("\xed\xa0\x80", -1, 1, 1),			/* U+D800 */
	U("ok\n\n  \xed\xbf\xbf", -1, 3, 3),		/* U+DFFF */
	/* Past U+10FFFF. */
	U("\xf4\x90\x80\x80", -1, 1, 1),
	U("\xf5\x80\x80\x80", -1, 1, 1),
	U("\xf7\xbf\xbf\xbf", -1, 1, 1),
	/* Truncated sequences: at the end and before ASCII. */
	U("\xc3", -1, 1, 1),
	U("ab\xe4\xb8", -1, 1, 3),
	U("\xf0\x9f\x98", -1, 1, 1),
	U("\xe4\xb8z", -1, 1, 1),
	U("\xc3 ", -1, 1, 1),
	U("\xf0\x9f\x98\x80\xf0\x9f\x98", -1, 1, 2),
	/* Columns count characters, not bytes. */
	U("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\x80", -1, 1, 4),
	U("\xc3\xa9\n\xc3\xa9\xc3\xa9\xff", -1, 2, 3),
	/* NUL. */
	U("a\0b", -1, 1, 2),
	U("\n\n\0", -1, 3, 1),
#undef U
};

START_TEST(test_utf8_check)
{
	uint32_t	line = 999, col = 999;
	int		ret;

	ret = manifest_utf8_check(utf8_cases[_i].text, utf8_cases[_i].len,
	    &line, &col);
	ck_assert_int_eq(ret, utf8_cases[_i].ret);
	if (utf8_cases[_i].ret != 0) {
		ck_assert_uint_eq(line, utf8_cases[_i].line);
		ck_assert_uint_eq(col, utf8_cases[_i].col);
	}
}
END_TEST

/* The length bounds the check: bytes after len are not looked at. */
START_TEST(test_utf8_check_len)
{
	uint32_t	line, col;

	ck_assert_int_eq(manifest_utf8_check("ab\xff", 2, &line, &col), 0);
	ck_assert_int_eq(manifest_utf8_check("\xc3\xa9", 1, &line, &col), -1);
	ck_assert_uint_eq(line, 1);
	ck_assert_uint_eq(col, 1);
}
END_TEST

/* The table's text fed in three chunks, split at every pair of points. */
START_TEST(test_utf8_stream_splits)
{
	const char		*text = utf8_cases[_i].text;
	size_t			 len = utf8_cases[_i].len, a, b;
	struct manifest_utf8	 st;
	int			 ret;

	for (a = 0; a <= len; a++) {
		for (b = a; b <= len; b++) {
			manifest_utf8_init(&st);
			ret = manifest_utf8_feed(&st, text, a);
			if (ret == 0)
				ret = manifest_utf8_feed(&st, text + a, b - a);
			if (ret == 0)
				ret = manifest_utf8_feed(&st, text + b,
				    len - b);
			if (ret == 0)
				ret = manifest_utf8_end(&st);
			ck_assert_msg(ret == utf8_cases[_i].ret,
			    "case %d split %zu,%zu: %d", _i, a, b, ret);
			if (ret == 0)
				continue;
			ck_assert_msg(st.line == utf8_cases[_i].line &&
			    st.col == utf8_cases[_i].col, "case %d split "
			    "%zu,%zu: %u:%u", _i, a, b, st.line, st.col);
		}
	}
}
END_TEST

/* One byte at a time: a character is held across several chunks. */
START_TEST(test_utf8_stream_bytes)
{
	const char		*text = utf8_cases[_i].text;
	size_t			 len = utf8_cases[_i].len, i;
	struct manifest_utf8	 st;
	int			 ret = 0;

	manifest_utf8_init(&st);
	for (i = 0; i < len && ret == 0; i++)
		ret = manifest_utf8_feed(&st, text + i, 1);
	if (ret == 0)
		ret = manifest_utf8_end(&st);
	ck_assert_int_eq(ret, utf8_cases[_i].ret);
	if (ret != 0) {
		ck_assert_uint_eq(st.line, utf8_cases[_i].line);
		ck_assert_uint_eq(st.col, utf8_cases[_i].col);
		/* Once bad, it stays bad. */
		ck_assert_int_eq(manifest_utf8_feed(&st, "ok", 2), -1);
	}
}
END_TEST

/* ---------------------------------------------------------- suggest */

static const char *const top[] = {
	"ensbatch", "name", "ticket", "description", "timezone", "api",
	"policies", "groups"
};

static const struct {
	const char	*word;
	const char	*expect;	/* NULL: no suggestion */
} suggest_cases[] = {
	{ "groupz", "groups" },
	{ "group", "groups" },
	{ "polices", "policies" },
	{ "nmae", "name" },
	{ "timezon", "timezone" },
	{ "Timezone", "timezone" },
	{ "apii", "api" },
	{ "tickets", "ticket" },
	{ "ensbtach", "ensbatch" },
	{ "name", "name" },
	{ "xyz", NULL },
	{ "", NULL },
	{ "zzzzzzzz", NULL },
	{ "descriptionnnnn", NULL },
	{ "targets", NULL },
	{ "policy", "policies" },
	{ "grp", NULL },
};

START_TEST(test_suggest)
{
	const char	*got;

	got = manifest_suggest(suggest_cases[_i].word, top, NITEMS(top));
	if (suggest_cases[_i].expect == NULL)
		ck_assert_ptr_null(got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, suggest_cases[_i].expect);
	}
}
END_TEST

/* The closest candidate wins; on a tie the first. */
START_TEST(test_suggest_closest)
{
	static const char *const c1[] = { "batch", "batch_size" };
	static const char *const c2[] = { "axx", "abx" };
	static const char *const c3[] = { "abe", "abd" };

	ck_assert_str_eq(manifest_suggest("batch_siz", c1, 2), "batch_size");
	ck_assert_str_eq(manifest_suggest("abc", c2, 2), "abx");
	ck_assert_str_eq(manifest_suggest("abc", c3, 2), "abe");
	ck_assert_ptr_null(manifest_suggest("abc", c2, 0));
}
END_TEST

/* ---------------------------------------------------------- streamed */

#define STREAM_HEAD							\
    "ensbatch: 1\n"							\
    "name: x\n"								\
    "policies:\n"							\
    "  p: {ops: immediate, batch_size: 2}\n"				\
    "groups:\n"

/*
 * Problems in a streamed targets list wait for the list to be loaded:
 * a syntax error further on leaves only that error, as when the whole
 * tree was read first.
 */
START_TEST(test_stream_syntax_after)
{
	struct manifest	*m;

	m = load(STREAM_HEAD
	    "  - name: g\n"
	    "    policy: p\n"
	    "    targets:\n"
	    "      - {event: " EV("1") "}\n"
	    "      - just-a-scalar\n"
	    "  - name: [h\n");
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 1);
	ck_assert_str_eq(diags_rule(td, 1), "yaml-syntax");
}
END_TEST

/*
 * Items with anchors or aliases are kept as nodes and read when the
 * group loads the list: targets and diagnostics keep the list's order
 * and their positions (an alias of a collection shares the anchored
 * item's; an alias of a scalar has its own).
 */
START_TEST(test_stream_mixed)
{
	struct manifest		*m;
	struct manifest_group	*g;

	m = load(STREAM_HEAD
	    "  - name: g\n"					/* 6 */
	    "    policy: p\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n"
	    "      - &t {event: " EV("2") ", resource: " RS("2") "}\n"
	    "      - {event: " EV("3") ", resurce: " RS("3") "}\n"
	    "      - *t\n"
	    "      - {event: " EV("4") ", resource: &r " RS("4") "}\n"
	    "      - {resource: *r, event: " EV("5") "}\n"
	    "      - [not, a, mapping]\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:11:9: error: target has no \"resource\" [required]\n"
	    "m.yaml:11:53: error: unknown key \"resurce\" in a target; "
	    "did you mean \"resource\"? [unknown-key]\n"
	    "m.yaml:15:9: error: a target must be a mapping, found a "
	    "sequence [type]\n");
	g = &m->groups[0];
	ck_assert_uint_eq(g->ntargets, 5);
	ck_assert_str_eq(g->targets[0].event, EV("1"));
	ck_assert_pos(g->targets[0].event_pos, 9, 17);
	ck_assert_str_eq(g->targets[1].event, EV("2"));
	ck_assert_pos(g->targets[1].pos, 10, 9);
	ck_assert_str_eq(g->targets[2].event, EV("2"));
	ck_assert_pos(g->targets[2].pos, 10, 9);
	ck_assert_pos(g->targets[2].resource_pos, 10, 66);
	ck_assert_str_eq(g->targets[3].resource, RS("4"));
	ck_assert_pos(g->targets[3].resource_pos, 13, 63);
	ck_assert_str_eq(g->targets[4].resource, RS("4"));
	ck_assert_pos(g->targets[4].resource_pos, 14, 20);
	ck_assert_str_eq(g->targets[4].event, EV("5"));
}
END_TEST

/*
 * A group that is an alias of another loads the same streamed list:
 * its own copy of the targets, and the list's problems once more.
 */
START_TEST(test_stream_group_alias)
{
	struct manifest	*m;

	m = load(STREAM_HEAD
	    "  - &g\n"
	    "    name: g\n"
	    "    policy: p\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n"
	    "      - {event: " EV("2") "}\n"
	    "  - *g\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:11:9: error: target has no \"resource\" [required]\n"
	    "m.yaml:11:9: error: target has no \"resource\" [required]\n");
	ck_assert_uint_eq(m->ngroups, 2);
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	ck_assert_uint_eq(m->groups[1].ntargets, 1);
	ck_assert_ptr_ne(m->groups[0].targets, m->groups[1].targets);
	ck_assert_str_eq(m->groups[1].targets[0].event, EV("1"));
	ck_assert_pos(m->groups[1].targets[0].event_pos, 10, 17);
}
END_TEST

/* Only the first "targets" of a group counts; a repeated one is not read. */
START_TEST(test_stream_duplicate_targets)
{
	struct manifest	*m;

	m = load(STREAM_HEAD
	    "  - name: g\n"
	    "    policy: p\n"
	    "    targets:\n"
	    "      - {event: " EV("1") ", resource: " RS("1") "}\n"
	    "    targets:\n"
	    "      - {event: " EV("2") "}\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_diags(
	    "m.yaml:10:5: error: key \"targets\" appears more than once "
	    "in group \"g\" [duplicate-key]\n"
	    "m.yaml:8:5: note: \"targets\" first appears here\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	ck_assert_str_eq(m->groups[0].targets[0].event, EV("1"));
}
END_TEST

/*
 * Ids live in the manifest's arena: thousands of them fill several
 * blocks, and an id longer than a quarter block gets one of its own
 * without disturbing the block being filled.
 */
START_TEST(test_stream_arena)
{
	struct manifest	*m;
	struct buf	 b;
	char		*longid, want[64];
	size_t		 i, n = 6000;

	longid = xcalloc(1, 100001);
	memset(longid, 'x', 100000);
	buf_init(&b);
	buf_addf(&b, "%s  - name: g\n    policy: p\n    targets:\n",
	    STREAM_HEAD);
	for (i = 0; i < n; i++) {
		buf_addf(&b, "      - event: e-%032zx\n", i);
		buf_addf(&b, "        resource: %s\n", i == 3000 ? longid :
		    "i-abcdefgh");
	}
	buf_addc(&b, '\0');
	m = load(b.data);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->groups[0].ntargets, n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "e-%032zx", i);
		ck_assert_str_eq(m->groups[0].targets[i].event, want);
		ck_assert_str_eq(m->groups[0].targets[i].resource,
		    i == 3000 ? longid : "i-abcdefgh");
	}
	buf_free(&b);
	free(longid);
}
END_TEST

/*
 * Fields are copied out of a targets file, not cut in it: the text
 * diags quotes under a diagnostic is the line as written.
 */
START_TEST(test_csv_text_intact)
{
	struct manifest	*m;
	struct pos	 pos;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f;

	put("t.csv", "event,resource\n" EV("1") "," RS("1") "\n");
	m = load(STREAM_HEAD
	    "  - name: g\n"
	    "    policy: p\n"
	    "    targets_file: t.csv\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	ck_assert_str_eq(m->groups[0].targets[0].resource, RS("1"));
	pos = m->groups[0].targets[0].resource_pos;
	diags_add(td, DIAG_ERROR, pos, "x", "here");
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(td, f, 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(strstr(out, "\n  " EV("1") "," RS("1") "\n"));
	free(out);
}
END_TEST

/*
 * Everything diags_print writes for td, the fixture's directory taken
 * out of paths; caller frees.
 */
static char *
printed(void)
{
	char	*out = NULL, *dir, *p;
	size_t	 len = 0, n;
	FILE	*f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(td, f, 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(out);
	dir = xasprintf("%s/", fixture_dir);
	n = strlen(dir);
	while ((p = strstr(out, dir)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
	free(dir);
	return (out);
}

static const char late_yaml[] =
    STREAM_HEAD
    "  - name: g\n"
    "    policy: p\n"
    "    targets:\n"
    "      - {event: " EV("1") ", resource: " RS("1") "}\n"
    "      - event: " EV("2") "\n"
    "        resource: " RS("2") "\n";

/*
 * A diagnostic added after loading (as preflight adds them, at a
 * target's event_pos) is printed with its line, read back from the
 * file, and a caret under the column.
 */
START_TEST(test_late_caret)
{
	struct manifest	*m;
	char		*out;

	m = load(late_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->groups[0].ntargets, 2);
	diags_add(td, DIAG_ERROR, m->groups[0].targets[1].event_pos,
	    "event-not-found", "late");
	diags_add(td, DIAG_ERROR, m->groups[0].targets[0].resource_pos,
	    "event-not-found", "later");
	out = printed();
	ck_assert_str_eq(out,
	    "m.yaml:9:63: error: later [event-not-found]\n"
	    "        - {event: " EV("1") ", resource: " RS("1") "}\n"
	    "                                                 "
	    "               ^\n"
	    "m.yaml:10:16: error: late [event-not-found]\n"
	    "        - event: " EV("2") "\n"
	    "                 ^\n");
	free(out);
}
END_TEST

/*
 * A manifest changed after it was loaded: the diagnostic is printed
 * without the line, which is no longer what was checked, and a note
 * says why.  Put back as it was, the line is shown again.
 */
START_TEST(test_source_changed)
{
	struct manifest	*m;
	char		*out, *changed, *path;

	m = load(late_yaml);
	ck_assert_ptr_nonnull(m);
	diags_add(td, DIAG_ERROR, m->groups[0].targets[1].event_pos,
	    "x", "late");
	changed = xstrdup(late_yaml);
	*strstr(changed, EV("2")) = 'X';	/* same size, other text */
	put("m.yaml", changed);
	out = printed();
	ck_assert_str_eq(out, "m.yaml:10:16: error: late [x]\n"
	    "  (line not shown: the file changed since it was read)\n");
	free(out);
	put("m.yaml", "ensbatch: 1\n");	/* another size */
	out = printed();
	ck_assert_ptr_nonnull(strstr(out, "changed since it was read"));
	ck_assert_ptr_null(strstr(out, "ensbatch: 1"));
	free(out);
	path = xasprintf("%s/m.yaml", fixture_dir);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	out = printed();
	ck_assert_ptr_nonnull(strstr(out, "changed since it was read"));
	free(out);
	put("m.yaml", late_yaml);
	out = printed();
	ck_assert_ptr_nonnull(strstr(out, "\n        - event: " EV("2") "\n"));
	free(out);
	free(changed);
}
END_TEST

/*
 * Bad UTF-8 far into a file (chunks after the first) leaves only that
 * error: what was found in the bytes before it is taken back, as when
 * the file was checked whole before parsing.
 */
START_TEST(test_utf8_late_rollback)
{
	struct buf	 b;
	struct manifest	*m;
	size_t		 i;

	buf_init(&b);
	buf_adds(&b, STREAM_HEAD "  - name: g\n    bogus: !!str 1\n"
	    "    policy: p\n    targets:\n");
	for (i = 0; i < 20000; i++)
		buf_addf(&b, "      - {event: " EV("1") ", resource: %zu}\n",
		    i);
	buf_adds(&b, "      - {event: caf\xc3\xa9\xc0, resource: x}\n");
	m = fixture_load(b.data, b.len);
	ck_assert_ptr_null(m);
	ck_assert_diags("m.yaml:20010:21: error: not valid UTF-8 text (or a "
	    "NUL byte) [yaml-limits]\n");
	buf_free(&b);
}
END_TEST

/* Likewise for a targets CSV: its earlier errors and targets go. */
START_TEST(test_csv_utf8_late_rollback)
{
	struct buf	 b;
	struct manifest	*m;
	size_t		 i;

	buf_init(&b);
	buf_adds(&b, "event,resource\nonly-one-field\n");
	for (i = 0; i < 20000; i++)
		buf_addf(&b, EV("1") ",i-%zu\n", i);
	buf_adds(&b, "e-1,\xff\n");
	free(fixture_put("w.csv", b.data, b.len));
	m = load(csv_yaml);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("w.csv:20003:5: error: not valid UTF-8 text "
	    "[targets-file]\n");
	ck_assert_uint_eq(m->groups[0].ntargets, 1);
	buf_free(&b);
}
END_TEST

/*
 * A manifest and a targets CSV of several times the reader's ring: the
 * SHA-256 is that of every byte, each target is where the file has it,
 * and the large arrays (on huge pages, their tails given back) keep
 * every id.
 */
START_TEST(test_large_files)
{
	struct buf		 y, c;
	struct manifest		*m;
	const struct target	*t;
	char			 sha[HASH_HEX_LEN];
	size_t			 i, n = 30000;

	buf_init(&y);
	buf_init(&c);
	buf_adds(&y, STREAM_HEAD "  - name: g\n    policy: p\n"
	    "    targets:\n");
	buf_adds(&c, "event,resource\n");
	for (i = 0; i < n; i++) {
		buf_addf(&y, "      - event: e-%032zx\n"
		    "        resource: i-%020zx\n", i, i);
		buf_addf(&c, "e-%032zx,i-%020zx\n", i + n, i + n);
	}
	buf_adds(&y, "  - name: h\n    policy: p\n    targets_file: w.csv\n");
	free(fixture_put("w.csv", c.data, c.len));
	m = fixture_load(y.data, y.len);
	ck_assert_ptr_nonnull(m);
	ck_assert_diags("");
	hash_sha256_hex(y.data, y.len, sha);
	ck_assert_str_eq(m->sha256, sha);
	ck_assert_uint_eq(m->nfiles, 1);
	hash_sha256_hex(c.data, c.len, sha);
	ck_assert_str_eq(m->files[0].sha256, sha);
	ck_assert_uint_eq(m->groups[0].ntargets, n);
	ck_assert_uint_eq(m->groups[1].ntargets, n);
	for (i = 0; i < n; i += 997) {
		t = &m->groups[0].targets[i];
		ck_assert_uint_eq(strtoull(t->event + 2, NULL, 16), i);
		ck_assert_uint_eq(strtoull(t->resource + 2, NULL, 16), i);
		ck_assert_pos(t->event_pos, 9 + 2 * i, 16);
		ck_assert_pos(t->resource_pos, 10 + 2 * i, 19);
		t = &m->groups[1].targets[i];
		ck_assert_uint_eq(strtoull(t->event + 2, NULL, 16), i + n);
		ck_assert_pos(t->resource_pos, 2 + i, 36);
	}
	t = &m->groups[0].targets[n - 1];
	ck_assert_uint_eq(strtoull(t->resource + 2, NULL, 16), n - 1);
	t = &m->groups[1].targets[n - 1];
	ck_assert_uint_eq(strtoull(t->resource + 2, NULL, 16), 2 * n - 1);
	buf_free(&y);
	buf_free(&c);
}
END_TEST

Suite *
manifest_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("manifest");

	tc = tcase_create("valid");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_valid_top);
	tcase_add_test(tc, test_valid_policies);
	tcase_add_test(tc, test_valid_groups);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_large_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("inline_policy");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_inline_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("aliases");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_alias_reuse);
	tcase_add_test(tc, test_alias_within_budget);
	tcase_add_test(tc, test_alias_bomb);
	tcase_add_test(tc, test_alias_recursive);
	suite_add_tcase(s, tc);

	tc = tcase_create("streamed_targets");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_stream_syntax_after);
	tcase_add_test(tc, test_stream_mixed);
	tcase_add_test(tc, test_stream_group_alias);
	tcase_add_test(tc, test_stream_duplicate_targets);
	tcase_add_test(tc, test_stream_arena);
	tcase_add_test(tc, test_csv_text_intact);
	tcase_add_test(tc, test_late_caret);
	tcase_add_test(tc, test_source_changed);
	tcase_add_test(tc, test_utf8_late_rollback);
	tcase_add_test(tc, test_csv_utf8_late_rollback);
	suite_add_tcase(s, tc);

	tc = tcase_create("targets_file");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_csv_features);
	tcase_add_test(tc, test_csv_relative_subdir);
	tcase_add_loop_test(tc, test_csv_place, 0, NITEMS(places));
	tcase_add_test(tc, test_csv_control_characters);
	tcase_add_test(tc, test_csv_columns_characters);
	tcase_add_test(tc, test_csv_not_targets);
	tcase_add_test(tc, test_csv_malformed_lines);
	tcase_add_test(tc, test_csv_bad_header);
	tcase_add_loop_test(tc, test_csv_empty, 0, NITEMS(csv_empty_cases));
	tcase_add_test(tc, test_csv_missing);
	tcase_add_test(tc, test_csv_bad_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("unknown_key");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_outcome_keys);
	tcase_add_test(tc, test_outcome_keys_bad);
	tcase_add_test(tc, test_yaml_tags);
	suite_add_tcase(s, tc);

	tc = tcase_create("duplicate_key");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_duplicate_key_thrice);
	tcase_add_test(tc, test_duplicate_key_alias);
	suite_add_tcase(s, tc);

	tc = tcase_create("type");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_type);
	tcase_add_test(tc, test_type_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("required");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_required_groups);
	tcase_add_test(tc, test_empty_manifest);
	suite_add_tcase(s, tc);

	tc = tcase_create("version");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_version, 0, NITEMS(version_bad));
	tcase_add_test(tc, test_version_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("yaml_syntax");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_yaml_syntax);
	tcase_add_test(tc, test_yaml_unknown_alias);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("yaml_limits");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_two_documents);
	tcase_add_test(tc, test_depth_64_ok);
	tcase_add_test(tc, test_depth_65);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_invalid_utf8_file);
	tcase_add_test(tc, test_nul_byte_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("manifest_utf8_check");
	tcase_add_loop_test(tc, test_utf8_check, 0, NITEMS(utf8_cases));
	tcase_add_test(tc, test_utf8_check_len);
	tcase_add_loop_test(tc, test_utf8_stream_splits, 0,
	    NITEMS(utf8_cases));
	tcase_add_loop_test(tc, test_utf8_stream_bytes, 0, NITEMS(utf8_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("suggest");
	tcase_add_loop_test(tc, test_suggest, 0, NITEMS(suggest_cases));
	tcase_add_test(tc, test_suggest_closest);
	suite_add_tcase(s, tc);

	return (s);
}
