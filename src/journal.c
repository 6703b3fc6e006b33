/*
 * The journal (see journal.h for the record format).  Writing is plain
 * stdio plus fsync per record; reading rebuilds, per event, the last
 * thing known about it.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ensbatch/safefile.h"
#include "ensbatch/buf.h"
#include "ensbatch/journal.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define JOURNAL_VERSION		1
#define JOURNAL_MAX_SIZE	(1024UL * 1024 * 1024)

struct journal {
	char			*path;
	int			 fd;		/* -1 when read-only */
	char			*sha256;
	uint64_t		 next_seq;
	struct journal_event	*events;
	size_t			 n;
	size_t			 cap;
	size_t			*slots;		/* hash: index + 1, 0 empty */
	size_t			 nslots;	/* power of two */
	/* The items of each call, by seq, until its result arrives. */
	struct pending {
		uint64_t	 seq;
		size_t		*idx;		/* into events */
		size_t		 n;
	}			*pending;
	size_t			 npending;
};

static const char *const state_names[] = {
	"none", "confirmed", "failed", "not_sent", "unknown"
};

static const char *
state_name(enum journal_state s)
{
	return (state_names[s]);
}

static int
state_parse(const char *s, enum journal_state *out)
{
	size_t	i;

	for (i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum journal_state)i;
			return (0);
		}
	}
	return (-1);
}

static uint64_t
hash_str(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static void
index_grow(struct journal *j)
{
	size_t	i, k;

	free(j->slots);
	j->nslots = j->nslots == 0 ? 64 : j->nslots * 2;
	j->slots = xcalloc(j->nslots, sizeof(*j->slots));
	for (i = 0; i < j->n; i++) {
		k = hash_str(j->events[i].event) & (j->nslots - 1);
		while (j->slots[k] != 0)
			k = (k + 1) & (j->nslots - 1);
		j->slots[k] = i + 1;
	}
}

/* The event's record, created when absent. */
static struct journal_event *
event_get(struct journal *j, const char *event, const char *resource)
{
	struct journal_event	*e;
	size_t			 k;

	if (2 * (j->n + 1) > j->nslots)
		index_grow(j);
	k = hash_str(event) & (j->nslots - 1);
	while (j->slots[k] != 0) {
		e = &j->events[j->slots[k] - 1];
		if (strcmp(e->event, event) == 0)
			return (e);
		k = (k + 1) & (j->nslots - 1);
	}
	if (j->n == j->cap) {
		j->cap = j->cap == 0 ? 64 : j->cap * 2;
		j->events = xreallocarray(j->events, j->cap,
		    sizeof(*j->events));
	}
	e = &j->events[j->n];
	memset(e, 0, sizeof(*e));
	e->event = xstrdup(event);
	e->resource = xstrdup(resource != NULL ? resource : "");
	j->slots[k] = ++j->n;
	return (e);
}

const struct journal_event *
journal_lookup(const struct journal *j, const char *event)
{
	size_t	k;

	if (j->nslots == 0)
		return (NULL);
	k = hash_str(event) & (j->nslots - 1);
	while (j->slots[k] != 0) {
		if (strcmp(j->events[j->slots[k] - 1].event, event) == 0)
			return (&j->events[j->slots[k] - 1]);
		k = (k + 1) & (j->nslots - 1);
	}
	return (NULL);
}

size_t
journal_in_doubt(const struct journal *j, const struct journal_event ***out)
{
	size_t	i, n = 0;

	*out = xcalloc(j->n + 1, sizeof(**out));
	for (i = 0; i < j->n; i++) {
		if (j->events[i].state == JOURNAL_UNKNOWN)
			(*out)[n++] = &j->events[i];
	}
	return (n);
}

const char *
journal_sha256(const struct journal *j)
{
	return (j->sha256);
}

static void
set_detail(struct journal_event *e, const char *code, const char *msg)
{
	free(e->detail);
	e->detail = NULL;
	if (code != NULL || msg != NULL)
		e->detail = xasprintf("%s%s%s", code != NULL ? code : "",
		    code != NULL && msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
}

/* ------------------------------------------------------------------ */
/* Applying records, whether read back or just written. */

static void
apply_call(struct journal *j, uint64_t seq, const struct ens_item *items,
    const char *const *before, size_t n)
{
	struct pending		*p;
	struct journal_event	*e;
	size_t			 i;

	j->pending = xreallocarray(j->pending, j->npending + 1,
	    sizeof(*j->pending));
	p = &j->pending[j->npending++];
	p->seq = seq;
	p->n = n;
	p->idx = xcalloc(n + 1, sizeof(*p->idx));
	for (i = 0; i < n; i++) {
		e = event_get(j, items[i].event, items[i].resource);
		e->state = JOURNAL_UNKNOWN;
		e->sends++;
		e->scheduled = items[i].scheduled;
		e->plan_time = items[i].plan_time;
		free(e->before);
		e->before = before != NULL && before[i] != NULL ?
		    xstrdup(before[i]) : NULL;
		p->idx[i] = (size_t)(e - j->events);
	}
	if (seq >= j->next_seq)
		j->next_seq = seq + 1;
}

/* The pending call with seq, removed from the list; NULL if none. */
static int
take_pending(struct journal *j, uint64_t seq, struct pending *out)
{
	size_t	i;

	for (i = 0; i < j->npending; i++) {
		if (j->pending[i].seq != seq)
			continue;
		*out = j->pending[i];
		j->pending[i] = j->pending[--j->npending];
		return (0);
	}
	return (-1);
}

static void
apply_state(struct journal_event *e, enum journal_state s)
{
	if (s == JOURNAL_NOT_SENT && e->sends > 0)
		e->sends--;	/* it never reached the API */
	e->state = s;
}

/* ------------------------------------------------------------------ */
/* Reading. */

static int
parse_call(struct journal *j, json_t *o, char **why)
{
	json_t			*items, *it, *pt;
	struct ens_item		*ei;
	const char		**before;
	json_int_t		 seq;
	size_t			 i, n;
	const char		*ops;
	int			 rc = -1;

	items = json_object_get(o, "items");
	if (!json_is_integer(json_object_get(o, "seq")) ||
	    !json_is_array(items)) {
		*why = xstrdup("a call record needs seq and items");
		return (-1);
	}
	seq = json_integer_value(json_object_get(o, "seq"));
	n = json_array_size(items);
	ei = xcalloc(n + 1, sizeof(*ei));
	before = xcalloc(n + 1, sizeof(*before));
	json_array_foreach(items, i, it) {
		before[i] = json_string_value(json_object_get(it, "before"));
		ei[i].event = json_string_value(json_object_get(it, "event"));
		ei[i].resource = json_string_value(json_object_get(it,
		    "resource"));
		ops = json_string_value(json_object_get(it, "ops"));
		pt = json_object_get(it, "plan_time");
		if (ei[i].event == NULL || ei[i].resource == NULL ||
		    ops == NULL || (!json_is_integer(pt) && !json_is_null(pt) &&
		    pt != NULL)) {
			*why = xasprintf("item %zu of call %" JSON_INTEGER_FORMAT
			    " is incomplete", i + 1, seq);
			goto out;
		}
		ei[i].scheduled = strcmp(ops, "scheduled") == 0;
		ei[i].plan_time = json_is_integer(pt) ?
		    json_integer_value(pt) : INT64_MIN;
	}
	if (seq < 0) {
		*why = xstrdup("a negative seq");
		goto out;
	}
	apply_call(j, (uint64_t)seq, ei, before, n);
	rc = 0;
out:
	free(before);
	free(ei);
	return (rc);
}

static int
parse_result(struct journal *j, json_t *o, char **why)
{
	json_t			*items, *it;
	struct pending		 p;
	struct journal_event	*e;
	enum journal_state	 s;
	const char		*ev, *st;
	json_int_t		 seq;
	size_t			 i, k;

	items = json_object_get(o, "items");
	if (!json_is_integer(json_object_get(o, "seq")) ||
	    !json_is_array(items)) {
		*why = xstrdup("a result record needs seq and items");
		return (-1);
	}
	seq = json_integer_value(json_object_get(o, "seq"));
	if (seq < 0 || take_pending(j, (uint64_t)seq, &p) != 0) {
		*why = xasprintf("result for call %" JSON_INTEGER_FORMAT
		    " that has no call record", seq);
		return (-1);
	}
	json_array_foreach(items, i, it) {
		ev = json_string_value(json_object_get(it, "event"));
		st = json_string_value(json_object_get(it, "state"));
		if (ev == NULL || st == NULL || state_parse(st, &s) != 0) {
			*why = xasprintf("item %zu of result %"
			    JSON_INTEGER_FORMAT " is incomplete", i + 1, seq);
			free(p.idx);
			return (-1);
		}
		for (k = 0; k < p.n; k++) {
			if (strcmp(j->events[p.idx[k]].event, ev) == 0)
				break;
		}
		if (k == p.n) {
			*why = xasprintf("result %" JSON_INTEGER_FORMAT
			    " names %s, which its call did not carry", seq,
			    ev);
			free(p.idx);
			return (-1);
		}
		e = &j->events[p.idx[k]];
		apply_state(e, s);
		set_detail(e, json_string_value(json_object_get(it, "code")),
		    json_string_value(json_object_get(it, "message")));
	}
	free(p.idx);
	return (0);
}

static int
parse_reconcile(struct journal *j, json_t *o, char **why)
{
	const char		*ev, *st;
	enum journal_state	 s;
	struct journal_event	*e;

	ev = json_string_value(json_object_get(o, "event"));
	st = json_string_value(json_object_get(o, "state"));
	if (ev == NULL || st == NULL || state_parse(st, &s) != 0 ||
	    (e = (struct journal_event *)(uintptr_t)journal_lookup(j, ev)) ==
	    NULL) {
		*why = xstrdup("a reconcile record needs a known event and "
		    "a state");
		return (-1);
	}
	apply_state(e, s);
	set_detail(e, NULL, json_string_value(json_object_get(o, "status")));
	return (0);
}

/* One complete line; lineno counts from 1. */
static int
parse_line(struct journal *j, const char *line, size_t len, size_t lineno,
    char **why)
{
	json_t		*o;
	json_error_t	 err;
	const char	*type, *sha;
	int		 rc = -1;

	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		*why = xstrdup(o == NULL ? "not JSON" : "not a JSON object");
		goto out;
	}
	if ((type = json_string_value(json_object_get(o, "type"))) == NULL) {
		*why = xstrdup("a record without a type");
		goto out;
	}
	if (lineno == 1) {
		sha = json_string_value(json_object_get(o, "manifest_sha256"));
		if (strcmp(type, "start") != 0 || sha == NULL ||
		    json_integer_value(json_object_get(o, "version")) !=
		    JOURNAL_VERSION) {
			*why = xstrdup("the first record must be a version 1 "
			    "start record with manifest_sha256");
			goto out;
		}
		j->sha256 = xstrdup(sha);
		rc = 0;
	} else if (strcmp(type, "call") == 0)
		rc = parse_call(j, o, why);
	else if (strcmp(type, "result") == 0)
		rc = parse_result(j, o, why);
	else if (strcmp(type, "reconcile") == 0)
		rc = parse_reconcile(j, o, why);
	else if (strcmp(type, "resume") == 0)
		rc = 0;
	else
		*why = xasprintf("unknown record type \"%s\"", type);
out:
	json_decref(o);
	return (rc);
}

/*
 * Parse the text; *good is set to the length of the part made of
 * complete records (a torn last line is left out of it).
 */
static struct journal *
parse_text(const char *text, size_t len, const char *path, size_t *good,
    char **cause)
{
	struct journal	*j;
	const char	*line = text, *nl;
	size_t		 lineno = 0;
	char		*why = NULL;

	*cause = NULL;
	j = xcalloc(1, sizeof(*j));
	j->fd = -1;
	j->path = xstrdup(path);
	*good = 0;
	while (line < text + len) {
		lineno++;
		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (nl == NULL) {
			/* A torn last line: the crash came mid-write. */
			break;
		}
		if (parse_line(j, line, (size_t)(nl - line), lineno,
		    &why) != 0) {
			*cause = xasprintf("%s:%zu: damaged journal: %s", path,
			    lineno, why);
			free(why);
			journal_free(j);
			return (NULL);
		}
		line = nl + 1;
		*good = (size_t)(line - text);
	}
	if (j->sha256 == NULL) {
		*cause = xasprintf("%s: empty journal (no start record)",
		    path);
		journal_free(j);
		return (NULL);
	}
	return (j);
}

struct journal *
journal_parse(const char *text, size_t len, const char *path, char **cause)
{
	size_t	good;

	return (parse_text(text, len, path, &good, cause));
}

void
journal_free(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	for (i = 0; i < j->n; i++) {
		free(j->events[i].event);
		free(j->events[i].resource);
		free(j->events[i].detail);
		free(j->events[i].before);
	}
	for (i = 0; i < j->npending; i++)
		free(j->pending[i].idx);
	free(j->pending);
	free(j->events);
	free(j->slots);
	free(j->sha256);
	free(j->path);
	free(j);
}

/* ------------------------------------------------------------------ */
/* Writing. */

/* Append one record and make it durable before going on. */
static int
append(struct journal *j, json_t *o, char **cause)
{
	char	*s;
	size_t	 len;
	int	 rc = 0;

	json_object_set_new(o, "time", json_integer(timefmt_now()));
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		fatal("cannot serialise a journal record");
	len = strlen(s);
	s = xreallocarray(s, len + 2, 1);
	s[len++] = '\n';
	if (safefile_write_all(j->fd, s, len) != 0 || fsync(j->fd) != 0) {
		*cause = xasprintf("cannot write the journal %s: %s", j->path,
		    strerror(errno));
		rc = -1;
	}
	free(s);
	json_decref(o);
	return (rc);
}

/*
 * One run per journal: a second apply on the same journal would not
 * see what the first is about to send.  The lock lives as long as the
 * descriptor.
 */
static int
lock(int fd, const char *path, char **cause)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return (0);
	if (errno == EWOULDBLOCK)
		*cause = xasprintf("the journal %s is in use by another "
		    "ensbatch apply", path);
	else
		*cause = xasprintf("cannot lock the journal %s: %s", path,
		    strerror(errno));
	return (-1);
}

struct journal *
journal_create(const char *path, const char *sha256, const char *name,
    char **cause)
{
	struct journal	*j;
	json_t		*o;

	*cause = NULL;
	j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(path);
	j->sha256 = xstrdup(sha256);
	j->next_seq = 1;
	j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
	    0666);
	if (j->fd == -1) {
		if (errno == EEXIST)
			*cause = xasprintf("the journal %s already exists: an "
			    "earlier run wrote it; finish that run with "
			    "--resume, or move the file away", path);
		else
			*cause = xasprintf("cannot create the journal %s: %s",
			    path, strerror(errno));
		journal_free(j);
		return (NULL);
	}
	if (lock(j->fd, path, cause) != 0) {
		unlink(path);
		journal_free(j);
		return (NULL);
	}
	o = json_pack("{s:s, s:i, s:s, s:s}", "type", "start", "version",
	    JOURNAL_VERSION, "name", name, "manifest_sha256", sha256);
	if (o == NULL || append(j, o, cause) != 0) {
		unlink(path);
		journal_free(j);
		return (NULL);
	}
	return (j);
}

struct journal *
journal_resume(const char *path, const char *sha256, char **cause)
{
	struct journal	*j = NULL;
	char		*text = NULL;
	size_t		 len = 0, good;
	json_t		*o;
	int		 fd;

	*cause = NULL;
	/* Lock first, so that what is read is what no one else writes. */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1) {
		*cause = errno == ENOENT ? xasprintf("there is no journal %s "
		    "to resume", path) : xasprintf("cannot open the journal "
		    "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (lock(fd, path, cause) != 0) {
		close(fd);
		return (NULL);
	}
	if (buf_read_file(path, JOURNAL_MAX_SIZE, &text, &len, cause) != 0 ||
	    (j = parse_text(text, len, path, &good, cause)) == NULL) {
		close(fd);
		goto out;
	}
	j->fd = fd;
	if (strcmp(j->sha256, sha256) != 0) {
		*cause = xasprintf("the journal %s was written for another "
		    "manifest (sha256 %.12s..., this one is %.12s...): refusing "
		    "to resume", path, j->sha256, sha256);
		goto fail;
	}
	/* Cut a torn last line so that new records start on a line. */
	if (good < len && ftruncate(j->fd, (off_t)good) != 0) {
		*cause = xasprintf("cannot repair the journal %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	o = json_pack("{s:s}", "type", "resume");
	if (append(j, o, cause) != 0)
		goto fail;
	goto out;
fail:
	journal_free(j);
	j = NULL;
out:
	free(text);
	return (j);
}

int
journal_call(struct journal *j, uint64_t *seq, const char *group,
    size_t batch, const struct ens_item *items, const char *const *before,
    size_t n, char **cause)
{
	json_t	*o, *arr, *it;
	size_t	 i;

	*cause = NULL;
	*seq = j->next_seq;
	arr = json_array();
	for (i = 0; i < n; i++) {
		it = json_pack("{s:s, s:s, s:s}", "event", items[i].event,
		    "resource", items[i].resource, "ops", items[i].scheduled ?
		    "scheduled" : "immediate");
		json_object_set_new(it, "plan_time", items[i].scheduled ?
		    json_integer(items[i].plan_time) : json_null());
		json_object_set_new(it, "before", before != NULL &&
		    before[i] != NULL ? json_string(before[i]) : json_null());
		json_array_append_new(arr, it);
	}
	o = json_pack("{s:s, s:I, s:s, s:I, s:o}", "type", "call", "seq",
	    (json_int_t)*seq, "group", group, "batch", (json_int_t)batch + 1,
	    "items", arr);
	if (append(j, o, cause) != 0)
		return (-1);
	apply_call(j, *seq, items, before, n);
	return (0);
}

static const char *const outcome_names[] = {
	"ok", "api_error", "not_sent", "unknown"
};

int
journal_result(struct journal *j, uint64_t seq, const struct ens_reply *r,
    const struct ens_item *items, size_t n, const enum journal_state *st,
    char **cause)
{
	json_t		*o, *arr, *it;
	struct pending	 p;
	size_t		 i;
	const char	*code, *msg;

	*cause = NULL;
	arr = json_array();
	for (i = 0; i < n; i++) {
		code = r->outcome == ENS_OK && i < r->nresults &&
		    r->results[i].found ? r->results[i].code_text : r->code;
		msg = r->outcome == ENS_OK && i < r->nresults &&
		    r->results[i].found ? r->results[i].message : r->message;
		it = json_pack("{s:s, s:s}", "event", items[i].event, "state",
		    state_name(st[i]));
		json_object_set_new(it, "code", code != NULL ?
		    json_string(code) : json_null());
		json_object_set_new(it, "message", msg != NULL ?
		    json_string(msg) : json_null());
		json_array_append_new(arr, it);
	}
	o = json_pack("{s:s, s:I, s:s, s:o}", "type", "result", "seq",
	    (json_int_t)seq, "outcome", outcome_names[r->outcome], "items",
	    arr);
	json_object_set_new(o, "request_id", r->request_id != NULL ?
	    json_string(r->request_id) : json_null());
	if (append(j, o, cause) != 0)
		return (-1);
	if (take_pending(j, seq, &p) == 0) {
		for (i = 0; i < p.n && i < n; i++)
			apply_state(&j->events[p.idx[i]], st[i]);
		free(p.idx);
	}
	return (0);
}

int
journal_reconcile(struct journal *j, const char *event,
    enum journal_state s, const char *status, char **cause)
{
	struct journal_event	*e;
	json_t			*o;

	*cause = NULL;
	o = json_pack("{s:s, s:s, s:s}", "type", "reconcile", "event", event,
	    "state", state_name(s));
	json_object_set_new(o, "status", status != NULL ?
	    json_string(status) : json_null());
	if (append(j, o, cause) != 0)
		return (-1);
	e = (struct journal_event *)(uintptr_t)journal_lookup(j, event);
	if (e != NULL)
		apply_state(e, s);
	return (0);
}
