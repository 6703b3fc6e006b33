/*
 * The ENS actions the simulator implements, over its fleet:
 * BatchEventRebootInstance (per-target results), EventRebootInstance
 * (one event, errors at the top level), DescribeHistoryEvents and
 * DescribeInstances.  Describe calls look events up by resource, so
 * they cost what they return.  api_prepare reads what depends on the
 * request alone (the EventInfos JSON) before the simulator is locked;
 * everything else here runs with it locked.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#include "sim.h"

#define MAX_RESOURCE_IDS	100
#define MAX_INSTANCE_IDS	100
#define MAX_PAGE_SIZE		100
#define DEFAULT_PAGE_SIZE	10

/* One reboot request, from an EventInfos item or from parameters. */
struct reboot_item {
	const char	*event_id;
	const char	*resource_id;	/* NULL: not given */
	const char	*ops;		/* NULL: not given */
	int		 has_plan_time;
	int64_t		 plan_time;
};

/* The outcome of one reboot request. */
struct reboot_result {
	unsigned int	 code;		/* 200 or an HTTP-like status */
	const char	*name;		/* error code name, or NULL */
	char		*detail;	/* error message without the name */
	int		 effective;	/* changed the event's state */
	const char	*resource_id;	/* of the event, if it exists */
};

/* One action's request, read by api_prepare. */
struct api_call {
	const struct sim_params	*params;
	size_t			 action;	/* in api_table */
	struct sim_reply	 error;		/* code set: a bad parameter */
	json_t			*infos;		/* EventInfos, parsed */
	struct reboot_item	*items;		/* borrowing from infos */
	size_t			 nitems;
};

typedef void (*api_fn)(struct sim *, const struct api_call *, int64_t,
    struct sim_reply *);
typedef void (*api_prepare_fn)(struct api_call *);

static void	api_batch_prepare(struct api_call *);
static void	api_batch_reboot(struct sim *, const struct api_call *,
		    int64_t, struct sim_reply *);
static void	api_reboot(struct sim *, const struct api_call *, int64_t,
		    struct sim_reply *);
static void	api_describe(struct sim *, const struct api_call *,
		    int64_t, struct sim_reply *);
static void	api_instances(struct sim *, const struct api_call *,
		    int64_t, struct sim_reply *);

static const struct {
	const char	*name;
	api_prepare_fn	 prepare;	/* NULL: nothing to read early */
	api_fn		 fn;
} api_table[] = {
	{ "BatchEventRebootInstance", api_batch_prepare, api_batch_reboot },
	{ "EventRebootInstance", NULL, api_reboot },
	{ "DescribeHistoryEvents", NULL, api_describe },
	{ "DescribeInstances", NULL, api_instances }
};
#define NACTIONS	(sizeof api_table / sizeof api_table[0])

void
reply_error(struct sim_reply *r, unsigned int status, const char *code,
    const char *fmt, ...)
{
	va_list	ap;

	free(r->code);
	free(r->message);
	json_decref(r->body);
	r->body = NULL;
	r->status = status;
	r->code = xstrdup(code);
	va_start(ap, fmt);
	r->message = xvasprintf(fmt, ap);
	va_end(ap);
}

void
reply_clear(struct sim_reply *r)
{
	free(r->code);
	free(r->message);
	json_decref(r->body);
	json_decref(r->items);
	memset(r, 0, sizeof *r);
}

/* json_object_set_new that treats a NULL value (bad UTF-8) as null. */
static void
jset(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		v = json_null();
	if (json_object_set_new(o, key, v) != 0)
		fatal("out of memory building JSON");
}

static void
jappend(json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) != 0)
		fatal("out of memory building JSON");
}

static json_t *
jnew_object(void)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		fatal("out of memory building JSON");
	return (o);
}

static json_t *
jnew_array(void)
{
	json_t	*a;

	if ((a = json_array()) == NULL)
		fatal("out of memory building JSON");
	return (a);
}

static json_t *
jstring_or_null(const char *s)
{
	return (s == NULL ? json_null() : json_string(s));
}

/* A decimal integer in [min, max], nothing else.  0 or -1. */
static int
parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (text[0] < '0' || text[0] > '9')
		return (-1);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
api_known(const char *action)
{
	size_t	i;

	for (i = 0; i < NACTIONS; i++) {
		if (strcmp(action, api_table[i].name) == 0)
			return (1);
	}
	return (0);
}

struct api_call *
api_prepare(const char *action, const struct sim_params *p)
{
	struct api_call	*call;
	size_t		 i;

	for (i = 0; i < NACTIONS; i++) {
		if (strcmp(action, api_table[i].name) == 0)
			break;
	}
	if (i == NACTIONS)
		return (NULL);
	call = xcalloc(1, sizeof *call);
	call->params = p;
	call->action = i;
	if (api_table[i].prepare != NULL)
		api_table[i].prepare(call);
	return (call);
}

void
api_call_free(struct api_call *call)
{
	if (call == NULL)
		return;
	reply_clear(&call->error);
	free(call->items);
	json_decref(call->infos);
	free(call);
}

void
api_dispatch(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_reply *r)
{
	if (call->error.code != NULL)
		reply_error(r, call->error.status, call->error.code, "%s",
		    call->error.message);
	else
		api_table[call->action].fn(s, call, now, r);
}

static void
result_error(struct reboot_result *res, unsigned int code, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
result_error(struct reboot_result *res, unsigned int code, const char *name,
    const char *fmt, ...)
{
	va_list	ap;

	res->code = code;
	res->name = name;
	va_start(ap, fmt);
	res->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

/*
 * Check one reboot request against the fleet and, when it passes,
 * apply it.  res->detail is allocated on failure (caller frees).
 */
static void
reboot_one(struct sim *s, const struct reboot_item *it, int64_t now,
    struct reboot_result *res)
{
	struct sim_event	*ev;
	enum sim_status		 st;
	int			 scheduled;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];

	memset(res, 0, sizeof *res);
	res->code = 200;
	if (it->ops == NULL) {
		result_error(res, 400, "InvalidParameter.OpsType", "OpsType "
		    "is required: immediate or scheduled.");
		return;
	}
	if (strcmp(it->ops, "immediate") == 0)
		scheduled = 0;
	else if (strcmp(it->ops, "scheduled") == 0)
		scheduled = 1;
	else {
		result_error(res, 400, "InvalidParameter.OpsType", "OpsType "
		    "must be immediate or scheduled, not \"%s\".", it->ops);
		return;
	}
	if (scheduled && !it->has_plan_time) {
		result_error(res, 400, "MissingParameter.PlanTime", "a "
		    "scheduled reboot needs PlanTime (milliseconds since the "
		    "epoch).");
		return;
	}
	if ((ev = fleet_find(s->fleet, it->event_id)) == NULL) {
		result_error(res, 404, "InvalidEventId.NotFound", "the event "
		    "%s does not exist.", it->event_id);
		return;
	}
	res->resource_id = ev->resource;
	if (it->resource_id != NULL &&
	    strcmp(it->resource_id, ev->resource) != 0) {
		result_error(res, 400, "InvalidResourceId.Mismatch", "the "
		    "event %s belongs to %s, not to %s.", ev->id, ev->resource,
		    it->resource_id);
		return;
	}
	if (!fleet_type_is(ev->type, SIM_REBOOT_TYPE)) {
		result_error(res, 400, "InvalidEventType.Unsupported", "the "
		    "event %s is of type %s, not " SIM_REBOOT_TYPE ".", ev->id,
		    ev->type);
		return;
	}
	st = fleet_status_at(ev, now);
	if (st != SIM_INQUIRING && st != SIM_SCHEDULED) {
		result_error(res, 400, "IncorrectEventStatus", "event is %s",
		    fleet_status_name(st));
		return;
	}
	if (scheduled) {
		timefmt_utc(it->plan_time, t1, sizeof t1);
		timefmt_utc(ev->not_before, t2, sizeof t2);
		if (it->plan_time < now) {
			result_error(res, 400, "InvalidPlanTime.Past",
			    "PlanTime %s is in the past.", t1);
			return;
		}
		if (it->plan_time >= ev->not_before) {
			result_error(res, 400,
			    "InvalidPlanTime.AfterNotBefore", "PlanTime %s "
			    "is at or after the event's NotBefore %s.", t1,
			    t2);
			return;
		}
		fleet_schedule(s->fleet, ev, now, it->plan_time);
	} else
		fleet_reboot_now(s->fleet, ev, now);
	res->effective = 1;
}

/* The log's record of one item. */
static json_t *
log_item(const struct reboot_item *it, const struct reboot_result *res)
{
	json_t	*o;

	o = jnew_object();
	jset(o, "event", jstring_or_null(it->event_id));
	jset(o, "resource", jstring_or_null(it->resource_id != NULL ?
	    it->resource_id : res->resource_id));
	jset(o, "ops", jstring_or_null(it->ops));
	jset(o, "plan_time", it->has_plan_time ?
	    json_integer(it->plan_time) : json_null());
	jset(o, "code", json_integer(res->code));
	jset(o, "effective", json_boolean(res->effective));
	return (o);
}

/*
 * Read EventInfos item i into it (borrowing from the JSON).  0, or -1
 * with the reply set.
 */
static int
read_event_info(json_t *item, size_t i, struct reboot_item *it,
    struct sim_reply *r)
{
	json_t		*v;
	int64_t		 t;
	const char	*what = NULL;

	memset(it, 0, sizeof *it);
	if (!json_is_object(item)) {
		what = "is not an object";
		goto bad;
	}
	v = json_object_get(item, "EventId");
	if (!json_is_string(v) || *json_string_value(v) == '\0') {
		what = "has no EventId string";
		goto bad;
	}
	it->event_id = json_string_value(v);
	if ((v = json_object_get(item, "ResourceId")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v)) {
			what = "has a ResourceId that is not a string";
			goto bad;
		}
		it->resource_id = json_string_value(v);
	}
	if ((v = json_object_get(item, "OpsType")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v)) {
			what = "has an OpsType that is not a string";
			goto bad;
		}
		it->ops = json_string_value(v);
	}
	if ((v = json_object_get(item, "PlanTime")) != NULL &&
	    !json_is_null(v)) {
		if (json_is_integer(v))
			t = json_integer_value(v);
		else if (!json_is_string(v) || parse_int(json_string_value(v),
		    0, INT64_MAX, &t) != 0) {
			what = "has a PlanTime that is not an integer of "
			    "milliseconds";
			goto bad;
		}
		it->has_plan_time = 1;
		it->plan_time = t;
	}
	return (0);
bad:
	reply_error(r, 400, "InvalidParameter.EventInfos", "The parameter "
	    "EventInfos is invalid: item %zu %s.", i, what);
	return (-1);
}

/*
 * BatchEventRebootInstance, before the lock: EventInfos parsed into
 * call->items, or the problem in call->error.
 */
static void
api_batch_prepare(struct api_call *call)
{
	struct sim_reply	*r = &call->error;
	json_error_t		 jerr;
	const char		*text;
	size_t			 i, n;

	if ((text = params_get(call->params, "EventInfos")) == NULL ||
	    *text == '\0') {
		reply_error(r, 400, "MissingParameter", "The input parameter "
		    "\"EventInfos\" that is mandatory for processing this "
		    "request is not supplied.");
		return;
	}
	if ((call->infos = json_loads(text, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		reply_error(r, 400, "InvalidParameter.EventInfos", "The "
		    "parameter EventInfos is not valid JSON: %s (column %d).",
		    jerr.text, jerr.column);
		return;
	}
	if (!json_is_array(call->infos) ||
	    (n = json_array_size(call->infos)) == 0) {
		reply_error(r, 400, "InvalidParameter.EventInfos", "The "
		    "parameter EventInfos must be a non-empty JSON array.");
		return;
	}
	call->items = xcalloc(n, sizeof *call->items);
	for (i = 0; i < n; i++) {
		if (read_event_info(json_array_get(call->infos, i), i,
		    &call->items[i], r) != 0)
			return;
	}
	call->nitems = n;
}

/* BatchEventRebootInstance of the items api_batch_prepare read. */
static void
api_batch_reboot(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_reply *r)
{
	const struct reboot_item	*it;
	struct reboot_result		 res;
	json_t				*results, *o;
	size_t				 i;

	r->status = 200;
	r->body = jnew_object();
	r->items = jnew_array();
	results = jnew_array();
	for (i = 0; i < call->nitems; i++) {
		it = &call->items[i];
		reboot_one(s, it, now, &res);
		o = jnew_object();
		jset(o, "Code", json_integer(res.code));
		jset(o, "EventId", json_string(it->event_id));
		jset(o, "ResourceId", jstring_or_null(it->resource_id !=
		    NULL ? it->resource_id : res.resource_id));
		if (res.code == 200)
			jset(o, "Message", json_string("success"));
		else
			jset(o, "Message", json_sprintf("%s: %s", res.name,
			    res.detail));
		jappend(results, o);
		jappend(r->items, log_item(it, &res));
		free(res.detail);
	}
	jset(r->body, "Results", results);
}

static void
api_reboot(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_reply *r)
{
	struct reboot_item	 it;
	struct reboot_result	 res;
	const char		*t;
	const struct sim_params	*p = call->params;

	memset(&it, 0, sizeof it);
	memset(&res, 0, sizeof res);
	if ((it.event_id = params_get(p, "EventId")) == NULL ||
	    *it.event_id == '\0') {
		reply_error(r, 400, "MissingParameter.EventId", "The input "
		    "parameter \"EventId\" that is mandatory for processing "
		    "this request is not supplied.");
		return;
	}
	it.ops = params_get(p, "OpsType");
	if ((t = params_get(p, "PlanTime")) != NULL && *t != '\0') {
		if (parse_int(t, 0, INT64_MAX, &it.plan_time) != 0) {
			reply_error(r, 400, "InvalidParameter.PlanTime", "The "
			    "parameter PlanTime must be an integer of "
			    "milliseconds, not \"%s\".", t);
			return;
		}
		it.has_plan_time = 1;
	}
	reboot_one(s, &it, now, &res);
	r->items = jnew_array();
	jappend(r->items, log_item(&it, &res));
	if (res.code != 200)
		reply_error(r, res.code, res.name, "%s", res.detail);
	else {
		r->status = 200;
		r->body = jnew_object();
	}
	free(res.detail);
}

/* Split a comma-joined list into its non-empty elements (caller frees). */
static char **
split_list(const char *text, size_t *n)
{
	char		**v = NULL;
	const char	 *p = text, *end;

	*n = 0;
	for (;;) {
		end = p + strcspn(p, ",");
		while (p < end && *p == ' ')
			p++;
		if (end > p) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = xstrndup(p, (size_t)(end - p));
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return (v);
}

static void
free_list(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
list_contains(char **v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return (1);
	}
	return (0);
}

static int
cmp_size(const void *a, const void *b)
{
	const size_t	*sa = a, *sb = b;

	return ((*sa > *sb) - (*sa < *sb));
}

/* Sort indices and drop repeats; the new count. */
static size_t
sort_unique(size_t *v, size_t n)
{
	size_t	i, k = 0;

	if (n == 0)
		return (0);
	qsort(v, n, sizeof *v, cmp_size);
	for (i = 0; i < n; i++) {
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	}
	return (k);
}

/*
 * The fleet indices of the events of the given resources, in fleet
 * order, each once (caller frees).
 */
static size_t *
events_of(const struct sim_fleet *f, char **resources, size_t nresources,
    size_t *n)
{
	const struct sim_instance	*in;
	size_t				*v = NULL, i, j;

	*n = 0;
	for (i = 0; i < nresources; i++) {
		if ((in = fleet_find_instance(f, resources[i])) == NULL)
			continue;
		v = xreallocarray(v, *n + in->n + 1, sizeof *v);
		for (j = 0; j < in->n; j++)
			v[(*n)++] = f->members[in->first + j];
	}
	*n = sort_unique(v, *n);
	return (v);
}

/* Parse PageNumber and PageSize.  0, or -1 with the reply set. */
static int
read_page(const struct sim_params *p, int64_t *page, int64_t *size,
    struct sim_reply *r)
{
	const char	*t;

	*page = 1;
	*size = DEFAULT_PAGE_SIZE;
	if ((t = params_get(p, "PageNumber")) != NULL &&
	    parse_int(t, 1, INT32_MAX, page) != 0) {
		reply_error(r, 400, "InvalidParameter.PageNumber", "The "
		    "parameter PageNumber must be a positive integer, not "
		    "\"%s\".", t);
		return (-1);
	}
	if ((t = params_get(p, "PageSize")) != NULL &&
	    parse_int(t, 1, MAX_PAGE_SIZE, size) != 0) {
		reply_error(r, 400, "InvalidParameter.PageSize", "The "
		    "parameter PageSize must be an integer from 1 to %d, not "
		    "\"%s\".", MAX_PAGE_SIZE, t);
		return (-1);
	}
	return (0);
}

/* The paging fields of a describe answer. */
static void
set_page(struct sim_reply *r, size_t total, int64_t page, int64_t size)
{
	r->status = 200;
	r->body = jnew_object();
	jset(r->body, "TotalCount", json_integer((json_int_t)total));
	jset(r->body, "PageNumber", json_integer(page));
	jset(r->body, "PageSize", json_integer(size));
}

static json_t *
event_json(const struct sim_event *ev, enum sim_status st)
{
	json_t	*o;

	o = jnew_object();
	jset(o, "EventId", json_string(ev->id));
	jset(o, "EventType", json_string(ev->type));
	jset(o, "EventStatus", json_string(fleet_status_name(st)));
	jset(o, "EventLevel", json_string(ev->level));
	jset(o, "ResourceId", json_string(ev->resource));
	jset(o, "NotBefore", json_integer(ev->not_before));
	jset(o, "PublishTime", json_integer(ev->publish_time));
	jset(o, "Reason", json_string(ev->reason));
	return (o);
}

/* Do the types (at least one) name one type? */
static int
one_type(char **types, size_t n)
{
	size_t	i;

	for (i = 1; i < n; i++) {
		if (!fleet_type_is(types[i], types[0]))
			return (0);
	}
	return (n > 0);
}

static void
api_describe(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_reply *r)
{
	struct sim_fleet		*f = s->fleet;
	const struct sim_type_group	*group = NULL;
	struct sim_event		*ev;
	enum sim_status			 st, dummy;
	json_t				*events = NULL;
	char				**types = NULL, **statuses = NULL;
	char				**resources = NULL;
	const char			*t;
	size_t				*subset = NULL, nsubset = 0;
	size_t				 ntypes = 0, nstatuses = 0;
	size_t				 nresources = 0, i, j, n, total = 0;
	int64_t				 page, size, first;
	int				 match;
	const struct sim_params		*p = call->params;

	if ((t = params_get(p, "EventTypes")) != NULL)
		types = split_list(t, &ntypes);
	if (ntypes == 0) {
		reply_error(r, 400, "MissingParameter.EventTypes", "The input "
		    "parameter \"EventTypes\" that is mandatory for "
		    "processing this request is not supplied.");
		goto out;
	}
	if ((t = params_get(p, "EventStatus")) != NULL)
		statuses = split_list(t, &nstatuses);
	for (i = 0; i < nstatuses; i++) {
		if (fleet_status_parse(statuses[i], &dummy) != 0) {
			reply_error(r, 400, "InvalidParameter.EventStatus",
			    "The parameter EventStatus has an unknown status "
			    "\"%s\".", statuses[i]);
			goto out;
		}
	}
	if ((t = params_get(p, "ResourceIds")) != NULL)
		resources = split_list(t, &nresources);
	if (nresources > MAX_RESOURCE_IDS) {
		reply_error(r, 400, "InvalidParameter.ResourceIds", "The "
		    "parameter ResourceIds has %zu ids; at most %d are "
		    "allowed.", nresources, MAX_RESOURCE_IDS);
		goto out;
	}
	if (read_page(p, &page, &size, r) != 0)
		goto out;

	/*
	 * The events to look at: those of the resources, else those of
	 * the one type asked for, else all of them.
	 */
	if (nresources > 0)
		subset = events_of(f, resources, nresources, &nsubset);
	else if (one_type(types, ntypes))
		group = fleet_type_group(f, types[0]);
	n = subset != NULL ? nsubset : group != NULL ? group->n :
	    one_type(types, ntypes) ? 0 : f->nevents;
	first = (page - 1) * size;
	events = jnew_array();
	if (group != NULL && nstatuses == 0) {
		/* All of the group match: only the page is read. */
		total = n;
		for (i = (size_t)first; i < n && (int64_t)i < first + size;
		    i++) {
			ev = &f->events[group->events[i]];
			jappend(events, event_json(ev, fleet_status_shown(ev,
			    now)));
		}
		n = 0;
	}
	for (i = 0; i < n; i++) {
		ev = &f->events[subset != NULL ? subset[i] : group != NULL ?
		    group->events[i] : i];
		for (j = 0, match = group != NULL; j < ntypes && !match; j++)
			match = fleet_type_is(ev->type, types[j]);
		if (!match)
			continue;
		st = fleet_status_shown(ev, now);
		if (nstatuses > 0 && !list_contains(statuses, nstatuses,
		    fleet_status_name(st)))
			continue;
		if ((int64_t)total >= first && (int64_t)total < first + size)
			jappend(events, event_json(ev, st));
		total++;
	}
	set_page(r, total, page, size);
	jset(r->body, "Events", events);
	events = NULL;
out:
	json_decref(events);
	free(subset);
	free_list(types, ntypes);
	free_list(statuses, nstatuses);
	free_list(resources, nresources);
}

/* Region of a simulated instance, a function of its id. */
static const char *
instance_region(const char *id)
{
	static const char *const regions[] = {
		"cn-hangzhou-telecom", "cn-beijing-unicom",
		"cn-shanghai-cmcc", "cn-guangzhou-telecom"
	};
	size_t	h = 0;

	for (; *id != '\0'; id++)
		h = h * 31 + (unsigned char)*id;
	return (regions[h % (sizeof regions / sizeof regions[0])]);
}

static json_t *
instance_json(const struct sim_instance *in, enum sim_istatus st)
{
	json_t	*o;

	o = jnew_object();
	jset(o, "InstanceId", json_string(in->id));
	jset(o, "InstanceName", json_sprintf("sim-%s", in->id + 2));
	jset(o, "HostName", json_sprintf("sim-%s", in->id + 2));
	jset(o, "Status", json_string(fleet_istatus_name(st)));
	jset(o, "EnsRegionId", json_string(instance_region(in->id)));
	jset(o, "SpecName", json_string("ens.sn1.medium"));
	return (o);
}

/*
 * Read InstanceIds (a JSON array of at most 100 strings) into the
 * sorted, unique fleet-order positions of the instances it names.
 * 0, or -1 with the reply set.
 */
static int
read_instance_ids(const struct sim_fleet *f, const char *text,
    size_t **out, size_t *n, struct sim_reply *r)
{
	const struct sim_instance	*in;
	json_t				*ids, *v;
	json_error_t			 jerr;
	size_t				 i;
	int				 rc = -1;

	*out = NULL;
	*n = 0;
	if ((ids = json_loads(text, JSON_DECODE_ANY, &jerr)) == NULL) {
		reply_error(r, 400, "InvalidParameter", "The parameter "
		    "InstanceIds is not valid JSON: %s (column %d).",
		    jerr.text, jerr.column);
		goto out;
	}
	if (!json_is_array(ids)) {
		reply_error(r, 400, "InvalidParameter", "The parameter "
		    "InstanceIds must be a JSON array of instance ids.");
		goto out;
	}
	if (json_array_size(ids) > MAX_INSTANCE_IDS) {
		reply_error(r, 400, "InvalidParameter", "The parameter "
		    "InstanceIds has %zu ids; at most %d are allowed.",
		    json_array_size(ids), MAX_INSTANCE_IDS);
		goto out;
	}
	*out = xcalloc(json_array_size(ids) + 1, sizeof **out);
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v)) {
			reply_error(r, 400, "InvalidParameter", "The "
			    "parameter InstanceIds has an item %zu that is "
			    "not a string.", i);
			goto out;
		}
		if ((in = fleet_find_instance(f, json_string_value(v))) !=
		    NULL)
			(*out)[(*n)++] = in->pos;
	}
	*n = sort_unique(*out, *n);
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	json_decref(ids);
	return (rc);
}

/*
 * DescribeInstances: the fleet's instances in fleet order, filtered by
 * InstanceIds, InstanceId and Status, one page of them.
 */
static void
api_instances(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_reply *r)
{
	struct sim_fleet		*f = s->fleet;
	const struct sim_instance	*in, *only = NULL;
	enum sim_istatus		 st, want = SIM_RUNNING;
	json_t				*list = NULL, *wrap;
	const char			*t, *status;
	size_t				*subset = NULL, nsubset = 0, i, n;
	size_t				 total = 0;
	int64_t				 page, size, first;
	int				 by_ids = 0, none = 0;
	const struct sim_params		*p = call->params;

	if ((t = params_get(p, "InstanceIds")) != NULL && *t != '\0') {
		if (read_instance_ids(f, t, &subset, &nsubset, r) != 0)
			goto out;
		by_ids = 1;
	}
	if ((t = params_get(p, "InstanceId")) != NULL && *t != '\0') {
		if ((only = fleet_find_instance(f, t)) == NULL)
			none = 1;
		else if (!by_ids) {
			subset = xcalloc(1, sizeof *subset);
			subset[0] = only->pos;
			nsubset = 1;
			by_ids = 1;
		}
	}
	if ((status = params_get(p, "Status")) != NULL && *status != '\0' &&
	    fleet_istatus_parse(status, &want) != 0) {
		reply_error(r, 400, "InvalidParameter.Status", "The parameter "
		    "Status must be Running, Starting, Stopped or Expired, "
		    "not \"%s\".", status);
		goto out;
	}
	if (status != NULL && *status == '\0')
		status = NULL;
	if (read_page(p, &page, &size, r) != 0)
		goto out;

	n = none ? 0 : by_ids ? nsubset : f->ninstances;
	first = (page - 1) * size;
	list = jnew_array();
	for (i = 0; i < n; i++) {
		in = f->inorder[by_ids ? subset[i] : i];
		if (only != NULL && in != only)
			continue;
		/* Without a status filter only the page needs one. */
		if (status == NULL && ((int64_t)total < first ||
		    (int64_t)total >= first + size)) {
			total++;
			continue;
		}
		st = fleet_instance_at(f, in, now, 1);
		if (status != NULL && st != want)
			continue;
		if ((int64_t)total >= first && (int64_t)total < first + size)
			jappend(list, instance_json(in, st));
		total++;
	}
	set_page(r, total, page, size);
	wrap = jnew_object();
	jset(wrap, "Instance", list);
	list = NULL;
	jset(r->body, "Instances", wrap);
	jset(r->body, "Code", json_integer(0));
out:
	json_decref(list);
	free(subset);
}
