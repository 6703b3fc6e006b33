/*
 * The simulator's fleet of maintenance events: read from a YAML file
 * (libyaml's document loader; every problem reported with its line and
 * column), or generated from a seed; and written back as an ensbatch
 * manifest with libyaml's emitter (--emit-manifest).
 */
#include "config.h"

#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ensbatch/safefile.h"
#include "ensbatch/buf.h"
#include "ensbatch/emit.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#include "sim.h"

#define WEEK_MS		(7 * 24 * 3600 * (int64_t)1000)

static const char *const status_names[] = {
	"Inquiring", "Scheduled", "Executing", "Executed", "Failed",
	"Canceled", "Avoided"
};

static const char *const event_keys[] = {
	"event", "resource", "type", "status", "not_before", "level",
	"reason"
};
#define NKEYS	(sizeof event_keys / sizeof event_keys[0])

/* One problem in a fleet file, sorted by position before printing. */
struct problem {
	size_t	 line;
	size_t	 col;
	char	*msg;
};

struct fleet_loader {
	const char	*path;
	yaml_document_t	*doc;
	struct problem	*problems;
	size_t		 nproblems;
	yaml_mark_t	*marks;		/* of each event's mapping */
};

uint64_t
sim_rand(uint64_t *state)
{
	uint64_t	z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* A uniform double in [0, 1). */
double
sim_rand_unit(uint64_t *state)
{
	return ((double)(sim_rand(state) >> 11) * 0x1.0p-53);
}

const char *
fleet_status_name(enum sim_status s)
{
	return (status_names[s]);
}

int
fleet_status_parse(const char *text, enum sim_status *s)
{
	size_t	i;

	for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
		if (strcmp(text, status_names[i]) == 0) {
			*s = (enum sim_status)i;
			return (0);
		}
	}
	return (-1);
}

/* type without an "Instance:" prefix. */
static const char *
type_base(const char *type)
{
	if (strncmp(type, "Instance:", 9) == 0)
		return (type + 9);
	return (type);
}

int
fleet_type_is(const char *type, const char *want)
{
	return (strcmp(type_base(type), type_base(want)) == 0);
}

enum sim_status
fleet_settle(struct sim_event *ev, int64_t now, int64_t reboot_ms)
{
	/* At NotBefore the platform reboots the instance itself. */
	if ((ev->status == SIM_INQUIRING || ev->status == SIM_SCHEDULED) &&
	    now >= ev->not_before) {
		ev->status = SIM_EXECUTING;
		ev->executing_since = ev->not_before;
	}
	if (ev->status == SIM_EXECUTING &&
	    now - ev->executing_since >= reboot_ms)
		ev->status = SIM_EXECUTED;
	return (ev->status);
}

static int
cmp_event_ptr(const void *a, const void *b)
{
	const struct sim_event	*const *ea = a, *const *eb = b;

	/* Events whose id did not load sort first. */
	if ((*ea)->id == NULL || (*eb)->id == NULL)
		return (((*ea)->id != NULL) - ((*eb)->id != NULL));
	return (strcmp((*ea)->id, (*eb)->id));
}

/* Build the sorted index. */
static void
fleet_index(struct sim_fleet *f)
{
	size_t	i;

	f->byid = xreallocarray(NULL, f->nevents + 1, sizeof *f->byid);
	for (i = 0; i < f->nevents; i++)
		f->byid[i] = &f->events[i];
	qsort(f->byid, f->nevents, sizeof *f->byid, cmp_event_ptr);
}

struct sim_event *
fleet_find(const struct sim_fleet *f, const char *id)
{
	struct sim_event	 key, *kp = &key, **found;

	key.id = (char *)(uintptr_t)id;
	found = bsearch(&kp, f->byid, f->nevents, sizeof *f->byid,
	    cmp_event_ptr);
	return (found == NULL ? NULL : *found);
}

void
fleet_free(struct sim_fleet *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nevents; i++) {
		free(f->events[i].id);
		free(f->events[i].resource);
		free(f->events[i].type);
		free(f->events[i].level);
		free(f->events[i].reason);
	}
	free(f->events);
	free(f->byid);
	free(f);
}

/* ------------------------------------------------------------ loading */

static void
problem_at(struct fleet_loader *l, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem_at(struct fleet_loader *l, yaml_mark_t mark, const char *fmt, ...)
{
	struct problem	*p;
	va_list		 ap;

	l->problems = xreallocarray(l->problems, l->nproblems + 1,
	    sizeof *l->problems);
	p = &l->problems[l->nproblems++];
	p->line = mark.line + 1;
	p->col = mark.column + 1;
	va_start(ap, fmt);
	p->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

static int
cmp_problem(const void *a, const void *b)
{
	const struct problem	*pa = a, *pb = b;

	if (pa->line != pb->line)
		return (pa->line < pb->line ? -1 : 1);
	if (pa->col != pb->col)
		return (pa->col < pb->col ? -1 : 1);
	return (0);
}

/* All problems as "FILE:LINE:COL: error: MSG" lines; frees them. */
static char *
problems_text(struct fleet_loader *l)
{
	struct buf	b;
	size_t		i;

	qsort(l->problems, l->nproblems, sizeof *l->problems, cmp_problem);
	buf_init(&b);
	for (i = 0; i < l->nproblems; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_addf(&b, "%s:%zu:%zu: error: %s", l->path,
		    l->problems[i].line, l->problems[i].col,
		    l->problems[i].msg);
		free(l->problems[i].msg);
	}
	free(l->problems);
	l->problems = NULL;
	l->nproblems = 0;
	return (buf_detach(&b));
}

static int
is_lower_hex(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

static int
is_lower_alnum(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'));
}

/* ^e-[0-9a-f]{32}$, as the manifest rules check it. */
static int
valid_event_id(const char *s)
{
	size_t	i;

	if (strncmp(s, "e-", 2) != 0 || strlen(s) != 34)
		return (0);
	for (i = 2; i < 34; i++) {
		if (!is_lower_hex((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/* ^[in]-[0-9a-z]{8,64}$ */
static int
valid_resource_id(const char *s)
{
	size_t	i, len = strlen(s);

	if ((s[0] != 'i' && s[0] != 'n') || s[1] != '-' || len < 10 ||
	    len > 66)
		return (0);
	for (i = 2; i < len; i++) {
		if (!is_lower_alnum((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return ("a scalar");
	case YAML_SEQUENCE_NODE:
		return ("a sequence");
	case YAML_MAPPING_NODE:
		return ("a mapping");
	default:
		return ("nothing");
	}
}

/* A non-empty scalar's text, or NULL after reporting a problem. */
static const char *
scalar_text(struct fleet_loader *l, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		problem_at(l, n->start_mark, "%s must be a scalar, found %s",
		    key, node_kind(n));
		return (NULL);
	}
	if (n->data.scalar.length == 0) {
		problem_at(l, n->start_mark, "%s must not be empty", key);
		return (NULL);
	}
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		problem_at(l, n->start_mark, "%s contains a NUL character",
		    key);
		return (NULL);
	}
	return ((const char *)n->data.scalar.value);
}

/* Read one event mapping into ev.  Problems are recorded in l. */
static void
load_event(struct fleet_loader *l, yaml_node_t *map, int64_t now,
    struct sim_event *ev)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v;
	yaml_mark_t		 seen[NKEYS];
	int			 have[NKEYS];
	const char		*key, *text;
	char			*why;
	size_t			 i;

	memset(have, 0, sizeof have);
	ev->type = xstrdup(SIM_REBOOT_TYPE);
	ev->level = xstrdup("CRITICAL");
	ev->reason = xstrdup("system maintenance");
	ev->status = SIM_INQUIRING;
	ev->not_before = now + WEEK_MS;
	ev->publish_time = now;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(l->doc, pair->key);
		v = yaml_document_get_node(l->doc, pair->value);
		if (k == NULL || v == NULL)
			continue;
		if ((key = scalar_text(l, k, "a key")) == NULL)
			continue;
		for (i = 0; i < NKEYS; i++) {
			if (strcmp(key, event_keys[i]) == 0)
				break;
		}
		if (i == NKEYS) {
			problem_at(l, k->start_mark, "unknown key \"%s\" "
			    "(expected event, resource, type, status, "
			    "not_before, level or reason)", key);
			continue;
		}
		if (have[i]) {
			problem_at(l, k->start_mark, "duplicate key \"%s\" "
			    "(first at line %zu)", key, seen[i].line + 1);
			continue;
		}
		have[i] = 1;
		seen[i] = k->start_mark;
		if ((text = scalar_text(l, v, key)) == NULL)
			continue;
		if (strcmp(key, "event") == 0) {
			if (!valid_event_id(text))
				problem_at(l, v->start_mark, "event must look "
				    "like e- and 32 lower-case hex digits, "
				    "found \"%s\"", text);
			else
				ev->id = xstrdup(text);
		} else if (strcmp(key, "resource") == 0) {
			if (!valid_resource_id(text))
				problem_at(l, v->start_mark, "resource must "
				    "look like i- or n- and 8 to 64 "
				    "lower-case letters or digits, found "
				    "\"%s\"", text);
			else
				ev->resource = xstrdup(text);
		} else if (strcmp(key, "type") == 0) {
			free(ev->type);
			ev->type = xstrdup(text);
		} else if (strcmp(key, "status") == 0) {
			if (fleet_status_parse(text, &ev->status) != 0)
				problem_at(l, v->start_mark, "status must "
				    "be Inquiring, Scheduled, Executing, "
				    "Executed, Failed, Canceled or Avoided, "
				    "found \"%s\"", text);
		} else if (strcmp(key, "not_before") == 0) {
			if (timefmt_parse(text, NULL, &ev->not_before,
			    &why) != 0) {
				problem_at(l, v->start_mark, "not_before: %s",
				    why);
				free(why);
			}
		} else if (strcmp(key, "level") == 0) {
			free(ev->level);
			ev->level = xstrdup(text);
		} else {
			free(ev->reason);
			ev->reason = xstrdup(text);
		}
	}
	if (!have[0])
		problem_at(l, map->start_mark, "an event needs \"event\"");
	if (!have[1])
		problem_at(l, map->start_mark, "an event needs \"resource\"");
	if (ev->status == SIM_EXECUTING)
		ev->executing_since = now;
}

/* Walk the document: a mapping with one key, events. */
static struct sim_fleet *
load_document(struct fleet_loader *l, int64_t now)
{
	struct sim_fleet	*f;
	yaml_node_t		*root, *k, *v, *item, *events = NULL;
	yaml_node_pair_t	*pair;
	yaml_node_item_t	*it;
	const char		*key;
	size_t			 i, n;

	f = xcalloc(1, sizeof *f);
	root = yaml_document_get_root_node(l->doc);
	if (root == NULL) {
		problem_at(l, l->doc->start_mark, "the fleet file is empty; "
		    "expected a mapping with \"events\"");
		return (f);
	}
	if (root->type != YAML_MAPPING_NODE) {
		problem_at(l, root->start_mark, "expected a mapping with "
		    "\"events\", found %s", node_kind(root));
		return (f);
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(l->doc, pair->key);
		v = yaml_document_get_node(l->doc, pair->value);
		if (k == NULL || v == NULL ||
		    (key = scalar_text(l, k, "a key")) == NULL)
			continue;
		if (strcmp(key, "events") != 0)
			problem_at(l, k->start_mark, "unknown key \"%s\" "
			    "(expected events)", key);
		else if (events != NULL)
			problem_at(l, k->start_mark, "duplicate key "
			    "\"events\"");
		else
			events = v;
	}
	if (events == NULL) {
		if (l->nproblems == 0)
			problem_at(l, root->start_mark, "missing \"events\"");
		return (f);
	}
	if (events->type == YAML_SCALAR_NODE &&
	    (events->data.scalar.length == 0 ||
	    strcmp((char *)events->data.scalar.value, "~") == 0 ||
	    strcmp((char *)events->data.scalar.value, "null") == 0))
		return (f);
	if (events->type != YAML_SEQUENCE_NODE) {
		problem_at(l, events->start_mark, "events must be a sequence, "
		    "found %s", node_kind(events));
		return (f);
	}
	n = (size_t)(events->data.sequence.items.top -
	    events->data.sequence.items.start);
	f->events = xcalloc(n + 1, sizeof *f->events);
	l->marks = xcalloc(n + 1, sizeof *l->marks);
	for (it = events->data.sequence.items.start, i = 0;
	    it < events->data.sequence.items.top; it++, i++) {
		if ((item = yaml_document_get_node(l->doc, *it)) == NULL)
			continue;
		if (item->type != YAML_MAPPING_NODE) {
			problem_at(l, item->start_mark, "an event must be a "
			    "mapping, found %s", node_kind(item));
			continue;
		}
		l->marks[f->nevents] = item->start_mark;
		load_event(l, item, now, &f->events[f->nevents++]);
	}
	return (f);
}

/* Duplicate event ids, reported at each later occurrence. */
static void
check_duplicates(struct fleet_loader *l, struct sim_fleet *f)
{
	size_t	i, a, b;

	for (i = 0; i + 1 < f->nevents; i++) {
		if (f->byid[i]->id == NULL || f->byid[i + 1]->id == NULL ||
		    strcmp(f->byid[i]->id, f->byid[i + 1]->id) != 0)
			continue;
		a = (size_t)(f->byid[i] - f->events);
		b = (size_t)(f->byid[i + 1] - f->events);
		problem_at(l, l->marks[a > b ? a : b], "event %s is listed "
		    "twice (also at line %zu)", f->byid[i]->id,
		    l->marks[a < b ? a : b].line + 1);
	}
}

struct sim_fleet *
fleet_load(const char *path, int64_t now, char **cause)
{
	struct fleet_loader	 l;
	struct sim_fleet	*f = NULL;
	yaml_parser_t		 parser;
	yaml_document_t		 doc, extra;
	FILE			*fp = NULL;
	int			 parser_ok = 0, doc_ok = 0;
	size_t			 i;

	*cause = NULL;
	memset(&l, 0, sizeof l);
	l.path = path;
	if ((fp = fopen(path, "re")) == NULL) {
		*cause = xasprintf("%s: error: cannot open %s: %s", path, path,
		    strerror(errno));
		goto out;
	}
	if (!yaml_parser_initialize(&parser))
		fatal("out of memory initializing the YAML parser");
	parser_ok = 1;
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		*cause = xasprintf("%s:%zu:%zu: error: %s%s%s", path,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem == NULL ? "invalid YAML" : parser.problem,
		    parser.context == NULL ? "" : " ",
		    parser.context == NULL ? "" : parser.context);
		goto out;
	}
	doc_ok = 1;
	l.doc = &doc;
	f = load_document(&l, now);
	if (yaml_parser_load(&parser, &extra)) {
		if (yaml_document_get_root_node(&extra) != NULL)
			problem_at(&l, extra.start_mark, "more than one YAML "
			    "document; the fleet file has one");
		yaml_document_delete(&extra);
	}
	fleet_index(f);
	check_duplicates(&l, f);
	if (l.nproblems > 0) {
		*cause = problems_text(&l);
		fleet_free(f);
		f = NULL;
		goto out;
	}
	for (i = 0; i < f->nevents; i++) {
		if (f->events[i].id == NULL || f->events[i].resource == NULL)
			fatal("fleet event without id");
	}
out:
	free(l.marks);
	if (l.problems != NULL)
		free(problems_text(&l));
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (fp != NULL)
		fclose(fp);
	return (f);
}

/* --------------------------------------------------------- generation */

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(a, b));
}

static void
free_nothing(void *p)
{
	(void)p;
}

/* Fill buf with n characters from alphabet, drawn from state. */
static void
random_chars(uint64_t *state, const char *alphabet, size_t n, char *buf)
{
	size_t		i, len = strlen(alphabet);
	uint64_t	r = 0;
	int		left = 0;

	for (i = 0; i < n; i++) {
		if (left == 0) {
			r = sim_rand(state);
			left = 8;
		}
		buf[i] = alphabet[(r & 0xff) % len];
		r >>= 8;
		left--;
	}
	buf[n] = '\0';
}

struct sim_fleet *
fleet_generate(size_t n, uint64_t seed, int64_t now)
{
	static const char	 hex[] = "0123456789abcdef";
	static const char	 b32[] = "0123456789abcdefghijklmnopqrstuv";
	struct sim_fleet	*f;
	struct sim_event	*ev;
	void			*ids = NULL, *resources = NULL;
	uint64_t		 state = seed;
	char			 id[35], res[27];
	size_t			 i;

	f = xcalloc(1, sizeof *f);
	f->events = xcalloc(n + 1, sizeof *f->events);
	for (i = 0; i < n; i++) {
		ev = &f->events[i];
		memcpy(id, "e-", 2);
		do
			random_chars(&state, hex, 32, id + 2);
		while (tfind(id, &ids, cmp_str) != NULL);
		memcpy(res, "i-", 2);
		do
			random_chars(&state, b32, 24, res + 2);
		while (tfind(res, &resources, cmp_str) != NULL);
		ev->id = xstrdup(id);
		ev->resource = xstrdup(res);
		if (tsearch(ev->id, &ids, cmp_str) == NULL ||
		    tsearch(ev->resource, &resources, cmp_str) == NULL)
			fatal("out of memory generating a fleet");
		ev->type = xstrdup(SIM_REBOOT_TYPE);
		ev->level = xstrdup("CRITICAL");
		ev->reason = xstrdup("system maintenance");
		ev->status = SIM_INQUIRING;
		ev->not_before = now + WEEK_MS;
		ev->publish_time = now;
	}
	f->nevents = n;
	tdestroy(ids, free_nothing);
	tdestroy(resources, free_nothing);
	fleet_index(f);
	return (f);
}

/* ----------------------------------------------------- emit manifest */

/* Events that can go in the manifest: reboots not yet done. */
static int
eligible(const struct sim_event *ev)
{
	return (fleet_type_is(ev->type, SIM_REBOOT_TYPE) &&
	    (ev->status == SIM_INQUIRING || ev->status == SIM_SCHEDULED));
}

int
fleet_manifest_check(const struct sim_fleet *f, char **cause)
{
	size_t	i;

	*cause = NULL;
	for (i = 0; i < f->nevents; i++) {
		if (eligible(&f->events[i]))
			return (0);
	}
	*cause = xstrdup("--emit-manifest: the fleet has no Inquiring or "
	    "Scheduled SystemMaintenance.Reboot event");
	return (-1);
}

int
fleet_emit_manifest(const struct sim_fleet *f, const char *path,
    const char *endpoint, char **cause)
{
	struct emit_spec	 spec;
	struct emit_target	*t;
	struct safefile		 a;
	struct buf		 b;
	size_t			 i, n = 0;
	int			 rc = -1;

	*cause = NULL;
	buf_init(&b);
	t = xcalloc(f->nevents + 1, sizeof(*t));
	if (fleet_manifest_check(f, cause) != 0)
		goto out;
	for (i = 0; i < f->nevents; i++) {
		if (!eligible(&f->events[i]))
			continue;
		t[n].event = f->events[i].id;
		t[n++].resource = f->events[i].resource;
	}
	memset(&spec, 0, sizeof(spec));
	spec.name = "sim-fleet";
	spec.description = "written by ensbatch-sim --emit-manifest";
	spec.endpoint = endpoint;
	spec.targets = t;
	spec.ntargets = n;
	if (emit_manifest(&b, &spec, cause) != 0)
		goto out;
	if (safefile_open(&a, path, cause) != 0)
		goto out;
	if (safefile_write_all(a.fd, b.data, b.len) != 0) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		safefile_abort(&a);
		goto out;
	}
	rc = safefile_commit(&a, cause);
out:
	free(t);
	buf_free(&b);
	return (rc);
}
