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
#include <stddef.h>
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
#define OUTCOME_STREAM	0x5851f42d4c957f2dULL

static const char *const status_names[] = {
	"Inquiring", "Scheduled", "Executing", "Executed", "Failed",
	"Canceled", "Avoided"
};

static const char *const istatus_names[] = {
	"Running", "Starting", "Stopped", "Expired"
};

static const char *const event_keys[] = {
	"event", "resource", "type", "status", "not_before", "level",
	"reason", "outcome", "lag"
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

/* The index of text in names, or -1. */
static int
fleet_name_index(const char *const *names, size_t n, const char *text)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(text, names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

int
fleet_status_parse(const char *text, enum sim_status *s)
{
	int	i;

	if ((i = fleet_name_index(status_names, sizeof status_names /
	    sizeof status_names[0], text)) < 0)
		return (-1);
	*s = (enum sim_status)i;
	return (0);
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

/* ------------------------------------------------------- lifecycle */

const char *
fleet_istatus_name(enum sim_istatus s)
{
	return (istatus_names[s]);
}

int
fleet_istatus_parse(const char *text, enum sim_istatus *s)
{
	int	i;

	if ((i = fleet_name_index(istatus_names, sizeof istatus_names /
	    sizeof istatus_names[0], text)) < 0)
		return (-1);
	*s = (enum sim_istatus)i;
	return (0);
}

enum sim_status
fleet_status_at(const struct sim_event *ev, int64_t t)
{
	if (t >= ev->end)
		return (ev->outcome == SIM_OUTCOME_FAILED ? SIM_FAILED :
		    SIM_EXECUTED);
	if (t >= ev->start)
		return (SIM_EXECUTING);
	if (t < ev->since)
		return (ev->prev);
	return (ev->status);
}

enum sim_status
fleet_status_shown(const struct sim_event *ev, int64_t now)
{
	return (fleet_status_at(ev, now - ev->lag_ms));
}

enum sim_istatus
fleet_instance_at(const struct sim_fleet *f, const struct sim_instance *in,
    int64_t now, int shown)
{
	const struct sim_event	*ev;
	enum sim_istatus	 st = SIM_RUNNING;
	int64_t			 t, last = INT64_MIN;
	size_t			 i;

	for (i = 0; i < in->n; i++) {
		ev = &f->events[f->members[in->first + i]];
		t = shown ? now - ev->lag_ms : now;
		if (t < ev->start)
			continue;
		if (t < ev->end)
			return (SIM_STARTING);
		if (ev->end > last) {
			last = ev->end;
			st = ev->outcome == SIM_OUTCOME_STUCK ? SIM_STOPPED :
			    SIM_RUNNING;
		}
	}
	return (st);
}

static int
fleet_pending_before(const struct sim_pending *a,
    const struct sim_pending *b)
{
	if (a->time != b->time)
		return (a->time < b->time);
	return (a->seq < b->seq);
}

/* Queue a moment at which ev may change status. */
static void
fleet_pending_push(struct sim_fleet *f, int64_t t, size_t event)
{
	struct sim_pending	 p, tmp;
	size_t			 i, parent;

	if (f->npending == f->pendingcap) {
		f->pendingcap = f->pendingcap == 0 ? 64 : f->pendingcap * 2;
		f->pending = xreallocarray(f->pending, f->pendingcap,
		    sizeof *f->pending);
	}
	p.time = t;
	p.seq = f->pendingseq++;
	p.event = event;
	i = f->npending++;
	f->pending[i] = p;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!fleet_pending_before(&f->pending[i], &f->pending[parent]))
			break;
		tmp = f->pending[parent];
		f->pending[parent] = f->pending[i];
		f->pending[i] = tmp;
		i = parent;
	}
}

/* Remove the earliest moment into *p. */
static void
fleet_pending_pop(struct sim_fleet *f, struct sim_pending *p)
{
	struct sim_pending	 tmp;
	size_t			 i = 0, l, r, m;

	*p = f->pending[0];
	f->pending[0] = f->pending[--f->npending];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < f->npending &&
		    fleet_pending_before(&f->pending[l], &f->pending[m]))
			m = l;
		if (r < f->npending &&
		    fleet_pending_before(&f->pending[r], &f->pending[m]))
			m = r;
		if (m == i)
			break;
		tmp = f->pending[m];
		f->pending[m] = f->pending[i];
		f->pending[i] = tmp;
		i = m;
	}
}

/* Set when ev starts executing and when it ends, and queue the start. */
static void
fleet_set_start(struct sim_fleet *f, struct sim_event *ev, int64_t t)
{
	ev->start = t;
	ev->end = t > SIM_NEVER - f->reboot_ms ? SIM_NEVER : t + f->reboot_ms;
	fleet_pending_push(f, t, (size_t)(ev - f->events));
}

void
fleet_reboot_now(struct sim_fleet *f, struct sim_event *ev, int64_t now)
{
	fleet_set_start(f, ev, now);
}

void
fleet_schedule(struct sim_fleet *f, struct sim_event *ev, int64_t now,
    int64_t plan_time)
{
	ev->prev = fleet_status_at(ev, now);
	ev->status = SIM_SCHEDULED;
	ev->since = now;
	ev->not_before = plan_time;
	fleet_pending_push(f, now, (size_t)(ev - f->events));
	fleet_set_start(f, ev, plan_time);
}

void
fleet_advance(struct sim_fleet *f, int64_t now, fleet_transition_fn fn,
    void *arg)
{
	struct sim_pending	 p;
	struct sim_event	*ev;
	struct sim_instance	*in;
	enum sim_status		 st;
	enum sim_istatus	 ist;

	while (f->npending > 0 && f->pending[0].time <= now) {
		fleet_pending_pop(f, &p);
		ev = &f->events[p.event];
		in = &f->instances[ev->instance];
		st = fleet_status_at(ev, p.time);
		ist = fleet_instance_at(f, in, p.time, 0);
		if (st != ev->logged || ist != in->logged) {
			ev->logged = st;
			in->logged = ist;
			if (fn != NULL)
				fn(arg, ev, in, p.time, st, ist);
		}
		if (st == SIM_EXECUTING && !ev->end_queued &&
		    ev->end != SIM_NEVER) {
			ev->end_queued = 1;
			fleet_pending_push(f, ev->end, p.event);
		}
	}
}

/* A 64-bit FNV-1a hash of s. */
static uint64_t
fleet_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/*
 * The outcome of an event's reboot, a function of the fault seed and
 * the event id only: the same events fail whatever the order of
 * requests, and another seed picks others in the same fleet.
 */
static enum sim_outcome
fleet_draw_outcome(const struct sim_lifecycle *lc, const char *id)
{
	uint64_t	state;
	double		u_fail, u_stuck;

	state = lc->fault_seed ^ fleet_hash(id) ^ OUTCOME_STREAM;
	u_fail = sim_rand_unit(&state);
	u_stuck = sim_rand_unit(&state);
	if (u_fail < lc->p_fail)
		return (SIM_OUTCOME_FAILED);
	if (u_stuck < lc->p_stuck)
		return (SIM_OUTCOME_STUCK);
	return (SIM_OUTCOME_OK);
}

/* A key of an event (resource or type) and its fleet index, to group. */
struct fleet_member {
	const char	*key;
	size_t		 index;
};

static int
fleet_cmp_member(const void *a, const void *b)
{
	const struct fleet_member	*ma = a, *mb = b;
	int				 c;

	if ((c = strcmp(ma->key, mb->key)) != 0)
		return (c);
	return ((ma->index > mb->index) - (ma->index < mb->index));
}

static int
fleet_cmp_order(const void *a, const void *b)
{
	const struct sim_instance	*const *ia = a, *const *ib = b;

	return (((*ia)->order > (*ib)->order) -
	    ((*ia)->order < (*ib)->order));
}

/* Group the events by resource: instances, members, inorder. */
static void
fleet_index_instances(struct sim_fleet *f)
{
	struct fleet_member	*m;
	struct sim_instance	*in;
	size_t			 i, n = 0;

	m = xcalloc(f->nevents + 1, sizeof *m);
	for (i = 0; i < f->nevents; i++) {
		m[i].key = f->events[i].resource;
		m[i].index = i;
	}
	qsort(m, f->nevents, sizeof *m, fleet_cmp_member);
	f->members = xcalloc(f->nevents + 1, sizeof *f->members);
	f->instances = xcalloc(f->nevents + 1, sizeof *f->instances);
	for (i = 0; i < f->nevents; i++) {
		if (i == 0 || strcmp(m[i].key, m[i - 1].key) != 0) {
			in = &f->instances[n++];
			in->id = m[i].key;
			in->first = i;
			in->order = m[i].index;
		}
		f->instances[n - 1].n++;
		f->members[i] = m[i].index;
		f->events[m[i].index].instance = n - 1;
	}
	f->ninstances = n;
	f->inorder = xcalloc(n + 1, sizeof *f->inorder);
	for (i = 0; i < n; i++)
		f->inorder[i] = &f->instances[i];
	qsort(f->inorder, n, sizeof *f->inorder, fleet_cmp_order);
	for (i = 0; i < n; i++)
		f->inorder[i]->pos = i;
	free(m);
}

/* Group the events by type, each group in fleet order. */
static void
fleet_index_types(struct sim_fleet *f)
{
	struct fleet_member	*m;
	size_t			*all, i, n = 0;

	m = xcalloc(f->nevents + 1, sizeof *m);
	for (i = 0; i < f->nevents; i++) {
		m[i].key = type_base(f->events[i].type);
		m[i].index = i;
	}
	qsort(m, f->nevents, sizeof *m, fleet_cmp_member);
	all = xcalloc(f->nevents + 1, sizeof *all);
	f->types = xcalloc(f->nevents + 1, sizeof *f->types);
	for (i = 0; i < f->nevents; i++) {
		if (i == 0 || strcmp(m[i].key, m[i - 1].key) != 0) {
			f->types[n].type = m[i].key;
			f->types[n++].events = all + i;
		}
		f->types[n - 1].n++;
		all[i] = m[i].index;
	}
	/* types[0].events is the start of all, freed with it. */
	if (n == 0)
		f->types[0].events = all;
	f->ntypes = n;
	free(m);
}

/*
 * Binary search of n elements of size bytes sorted by the string whose
 * pointer is at offset off in each: the element whose string is key, or
 * NULL.
 */
static void *
fleet_search(void *base, size_t n, size_t size, size_t off, const char *key)
{
	char	*elem;
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		elem = (char *)base + mid * size;
		if ((c = strcmp(key, *(const char **)(void *)(elem + off))) ==
		    0)
			return (elem);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

const struct sim_type_group *
fleet_type_group(const struct sim_fleet *f, const char *type)
{
	return (fleet_search(f->types, f->ntypes, sizeof *f->types,
	    offsetof(struct sim_type_group, type), type_base(type)));
}

void
fleet_prepare(struct sim_fleet *f, const struct sim_lifecycle *lc,
    int64_t now)
{
	struct sim_event	*ev;
	size_t			 i;

	f->reboot_ms = lc->reboot_ms;
	fleet_index_instances(f);
	fleet_index_types(f);
	for (i = 0; i < f->nevents; i++) {
		ev = &f->events[i];
		if (!ev->outcome_given)
			ev->outcome = fleet_draw_outcome(lc, ev->id);
		if (ev->lag_ms < 0)
			ev->lag_ms = lc->lag_ms;
		ev->prev = ev->status;
		ev->since = INT64_MIN;
		ev->start = ev->end = SIM_NEVER;
		/* At NotBefore the platform reboots the instance itself. */
		if (ev->status == SIM_EXECUTING)
			fleet_set_start(f, ev, now);
		else if (ev->status == SIM_INQUIRING ||
		    ev->status == SIM_SCHEDULED)
			fleet_set_start(f, ev, ev->not_before);
	}
	for (i = 0; i < f->nevents; i++)
		f->events[i].logged = fleet_status_at(&f->events[i], now);
	for (i = 0; i < f->ninstances; i++)
		f->instances[i].logged = fleet_instance_at(f,
		    &f->instances[i], now, 0);
}

struct sim_instance *
fleet_find_instance(const struct sim_fleet *f, const char *id)
{
	return (fleet_search(f->instances, f->ninstances,
	    sizeof *f->instances, offsetof(struct sim_instance, id), id));
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
	free(f->instances);
	free(f->inorder);
	free(f->members);
	if (f->types != NULL)
		free(f->types[0].events);
	free(f->types);
	free(f->pending);
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
	ev->lag_ms = -1;
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
			    "not_before, level, reason, outcome or lag)",
			    key);
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
		} else if (strcmp(key, "outcome") == 0) {
			ev->outcome_given = 1;
			if (strcmp(text, "ok") == 0)
				ev->outcome = SIM_OUTCOME_OK;
			else if (strcmp(text, "failed") == 0)
				ev->outcome = SIM_OUTCOME_FAILED;
			else if (strcmp(text, "stuck") == 0)
				ev->outcome = SIM_OUTCOME_STUCK;
			else
				problem_at(l, v->start_mark, "outcome must "
				    "be ok, failed or stuck, found \"%s\"",
				    text);
		} else if (strcmp(key, "lag") == 0) {
			if (timefmt_duration(text, &ev->lag_ms, &why) != 0) {
				problem_at(l, v->start_mark, "lag: %s", why);
				free(why);
				ev->lag_ms = -1;
			} else if (ev->lag_ms < 0) {
				problem_at(l, v->start_mark, "lag must not "
				    "be negative, found \"%s\"", text);
				ev->lag_ms = -1;
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
		ev->lag_ms = -1;
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
