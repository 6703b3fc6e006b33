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
#include "ensbatch/hash.h"
#include "ensbatch/journal.h"
#include "ensbatch/testable.h"
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
	/* Settled batches and finished groups, from batch/group records. */
	struct journal_mark {
		char		*group;
		size_t		 batch;		/* 0-based; SIZE_MAX: group */
		int64_t		 time;
	}			*marks;
	size_t			 nmarks;
	/* Group commit: records written since the last fsync, and why. */
	int			 held;		/* journal_hold */
	int			 unsynced;
	int			 broken;	/* an fsync failed: for good */
	uint64_t		 nsyncs;	/* fsyncs done, for the tests */
};

static const char *const settle_names[] = {
	"none", "passed", "failed", "error"
};

static const char *const state_names[] = {
	"none", "confirmed", "failed", "not_sent", "unknown"
};

static const char *
journal_state_name(enum journal_state s)
{
	return (state_names[s]);
}

static int
journal_state_parse(const char *s, enum journal_state *out)
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
journal_hash_str(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static void
journal_index_grow(struct journal *j)
{
	size_t	i, k;

	free(j->slots);
	j->nslots = j->nslots == 0 ? 64 : j->nslots * 2;
	j->slots = xcalloc(j->nslots, sizeof(*j->slots));
	for (i = 0; i < j->n; i++) {
		k = journal_hash_str(j->events[i].event) & (j->nslots - 1);
		while (j->slots[k] != 0)
			k = (k + 1) & (j->nslots - 1);
		j->slots[k] = i + 1;
	}
}

/* The event's record, created when absent. */
static struct journal_event *
journal_event_get(struct journal *j, const char *event, const char *resource)
{
	struct journal_event	*e;
	size_t			 k;

	if (2 * (j->n + 1) > j->nslots)
		journal_index_grow(j);
	k = journal_hash_str(event) & (j->nslots - 1);
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
	k = journal_hash_str(event) & (j->nslots - 1);
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
journal_set_request_id(struct journal_event *e, const char *id)
{
	free(e->request_id);
	e->request_id = id != NULL ? xstrdup(id) : NULL;
}

static void
journal_set_detail(struct journal_event *e, const char *code, const char *msg)
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
journal_apply_call(struct journal *j, uint64_t seq, const struct ens_item *items,
    const char *const *before, size_t n, const char *group, size_t batch,
    int64_t time)
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
		e = journal_event_get(j, items[i].event, items[i].resource);
		e->state = JOURNAL_UNKNOWN;
		e->sends++;
		e->scheduled = items[i].scheduled;
		e->plan_time = items[i].plan_time;
		free(e->before);
		e->before = before != NULL && before[i] != NULL ?
		    xstrdup(before[i]) : NULL;
		e->requested_at = time;
		free(e->group);
		e->group = xstrdup(group != NULL ? group : "");
		e->batch = batch;
		free(e->request_id);
		e->request_id = NULL;
		e->settle = JOURNAL_SETTLE_NONE;
		e->adopted = 0;
		p->idx[i] = (size_t)(e - j->events);
	}
	if (seq >= j->next_seq)
		j->next_seq = seq + 1;
}

/* The pending call with seq, removed from the list; NULL if none. */
static int
journal_take_pending(struct journal *j, uint64_t seq, struct pending *out)
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

/*
 * A result's not_sent means the request never reached the API, so it
 * does not count; a reconcile's not_sent means it reached the API and
 * did nothing, which still counts towards JOURNAL_MAX_SENDS.
 */
TESTABLE void
journal_apply_state(struct journal_event *e, enum journal_state s,
    int from_result)
{
	if (from_result && s == JOURNAL_NOT_SENT && e->sends > 0)
		e->sends--;
	e->state = s;
}

/*
 * A reconcile record, read back or just written: the state (as
 * journal_apply_state, not from a result: the request counts), the
 * status read, and whether the operator adopted it.  Only a confirmed
 * state can be adopted.
 */
TESTABLE void
journal_apply_reconcile(struct journal_event *e, enum journal_state s,
    const char *status, int adopted)
{
	journal_apply_state(e, s, 0);
	journal_set_detail(e, NULL, status);
	e->adopted = adopted && s == JOURNAL_CONFIRMED;
}

static int
journal_settle_parse(const char *s, enum journal_settle *out)
{
	size_t	i;

	for (i = 1; i < sizeof(settle_names) / sizeof(settle_names[0]); i++) {
		if (strcmp(s, settle_names[i]) == 0) {
			*out = (enum journal_settle)i;
			return (0);
		}
	}
	return (-1);
}

static void
journal_apply_settle(struct journal_event *e, enum journal_settle st,
    const char *type, const char *message, int64_t executed_at,
    int64_t time)
{
	e->settle = st;
	free(e->settle_type);
	e->settle_type = type != NULL ? xstrdup(type) : NULL;
	free(e->settle_message);
	e->settle_message = message != NULL ? xstrdup(message) : NULL;
	e->executed_at = executed_at;
	e->settled_at = time;
}

static void
journal_apply_mark(struct journal *j, const char *group, size_t batch,
    int64_t time)
{
	struct journal_mark	*mk;

	j->marks = xreallocarray(j->marks, j->nmarks + 1, sizeof(*j->marks));
	mk = &j->marks[j->nmarks++];
	mk->group = xstrdup(group);
	mk->batch = batch;
	mk->time = time;
}

/* The "time" member of a record, 0 when absent. */
static int64_t
journal_record_time(json_t *o)
{
	json_t	*t = json_object_get(o, "time");

	return (json_is_integer(t) ? (int64_t)json_integer_value(t) : 0);
}

/* ------------------------------------------------------------------ */
/* Reading. */

static int
journal_parse_call(struct journal *j, json_t *o, char **why)
{
	json_t			*items, *it, *pt;
	struct ens_item		*ei;
	const char		**before;
	json_int_t		 seq, batch;
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
	batch = json_integer_value(json_object_get(o, "batch"));
	journal_apply_call(j, (uint64_t)seq, ei, before, n,
	    json_string_value(json_object_get(o, "group")),
	    batch > 0 ? (size_t)batch : 0, journal_record_time(o));
	rc = 0;
out:
	free(before);
	free(ei);
	return (rc);
}

static int
journal_parse_result(struct journal *j, json_t *o, char **why)
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
	if (seq < 0 || journal_take_pending(j, (uint64_t)seq, &p) != 0) {
		*why = xasprintf("result for call %" JSON_INTEGER_FORMAT
		    " that has no call record", seq);
		return (-1);
	}
	json_array_foreach(items, i, it) {
		ev = json_string_value(json_object_get(it, "event"));
		st = json_string_value(json_object_get(it, "state"));
		if (ev == NULL || st == NULL || journal_state_parse(st, &s) != 0) {
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
		journal_apply_state(e, s, 1);
		journal_set_detail(e, json_string_value(json_object_get(it, "code")),
		    json_string_value(json_object_get(it, "message")));
		journal_set_request_id(e, json_string_value(json_object_get(o,
		    "request_id")));
	}
	free(p.idx);
	return (0);
}

static int
journal_parse_reconcile(struct journal *j, json_t *o, char **why)
{
	const char		*ev, *st;
	enum journal_state	 s;
	struct journal_event	*e;
	json_t			*ad;

	ev = json_string_value(json_object_get(o, "event"));
	st = json_string_value(json_object_get(o, "state"));
	ad = json_object_get(o, "adopted");
	if (ev == NULL || st == NULL || journal_state_parse(st, &s) != 0 ||
	    (e = (struct journal_event *)(uintptr_t)journal_lookup(j, ev)) ==
	    NULL) {
		*why = xstrdup("a reconcile record needs a known event and "
		    "a state");
		return (-1);
	}
	if (ad != NULL && (!json_is_boolean(ad) || (json_is_true(ad) &&
	    s != JOURNAL_CONFIRMED))) {
		*why = xstrdup("a reconcile record's adopted must be true "
		    "with state confirmed, or false");
		return (-1);
	}
	journal_apply_reconcile(e, s, json_string_value(json_object_get(o,
	    "status")), json_is_true(ad));
	return (0);
}

static int
journal_parse_settle(struct journal *j, json_t *o, char **why)
{
	const char		*ev, *st;
	enum journal_settle	 s;
	struct journal_event	*e;
	json_t			*x;

	ev = json_string_value(json_object_get(o, "event"));
	st = json_string_value(json_object_get(o, "outcome"));
	if (ev == NULL || st == NULL || journal_settle_parse(st, &s) != 0 ||
	    (e = (struct journal_event *)(uintptr_t)journal_lookup(j, ev)) ==
	    NULL) {
		*why = xstrdup("a settle record needs a known event and an "
		    "outcome");
		return (-1);
	}
	x = json_object_get(o, "executed_at");
	journal_apply_settle(e, s, json_string_value(json_object_get(o, "reason")),
	    json_string_value(json_object_get(o, "message")),
	    json_is_integer(x) ? (int64_t)json_integer_value(x) : 0,
	    journal_record_time(o));
	return (0);
}

/* A batch record (with batch) or a group record (without). */
static int
journal_parse_mark(struct journal *j, json_t *o, int batch, char **why)
{
	const char	*g = json_string_value(json_object_get(o, "group"));
	json_t		*k = json_object_get(o, "batch");

	if (g == NULL || (batch && (!json_is_integer(k) ||
	    json_integer_value(k) < 1))) {
		*why = xstrdup(batch ? "a batch record needs a group and a "
		    "batch number" : "a group record needs a group");
		return (-1);
	}
	journal_apply_mark(j, g, batch ? (size_t)json_integer_value(k) - 1 :
	    SIZE_MAX, journal_record_time(o));
	return (0);
}

/* One complete line; lineno counts from 1. */
static int
journal_parse_line(struct journal *j, const char *line, size_t len, size_t lineno,
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
		rc = journal_parse_call(j, o, why);
	else if (strcmp(type, "result") == 0)
		rc = journal_parse_result(j, o, why);
	else if (strcmp(type, "reconcile") == 0)
		rc = journal_parse_reconcile(j, o, why);
	else if (strcmp(type, "settle") == 0)
		rc = journal_parse_settle(j, o, why);
	else if (strcmp(type, "batch") == 0)
		rc = journal_parse_mark(j, o, 1, why);
	else if (strcmp(type, "group") == 0)
		rc = journal_parse_mark(j, o, 0, why);
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
journal_parse_text(const char *text, size_t len, const char *path, size_t *good,
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
		if (journal_parse_line(j, line, (size_t)(nl - line), lineno,
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
		*cause = xasprintf("%s: empty journal (no start record): it "
		    "shows no request.  An apply stopped before its first "
		    "record sent nothing; if that is what happened here, move "
		    "the file away and apply again without --resume", path);
		journal_free(j);
		return (NULL);
	}
	return (j);
}

struct journal *
journal_parse(const char *text, size_t len, const char *path, char **cause)
{
	size_t	good;

	return (journal_parse_text(text, len, path, &good, cause));
}

struct journal *
journal_read(const char *path, char **cause)
{
	struct journal	*j;
	char		*text, *why = NULL;
	size_t		 len;

	*cause = NULL;
	if (buf_read_file(path, JOURNAL_MAX_SIZE, &text, &len, &why) != 0) {
		*cause = xasprintf("cannot read the journal: %s", why);
		free(why);
		return (NULL);
	}
	j = journal_parse(text, len, path, cause);
	free(text);
	return (j);
}

/*
 * fsync what was written since the last one; 0, or -1 with errno.  A
 * failure sticks: Linux reports a lost write-back once, and the next
 * fsync would succeed over records that never reached the disk.
 */
static int
journal_fsync(struct journal *j)
{
	if (j->broken) {
		errno = EIO;
		return (-1);
	}
	if (!j->unsynced)
		return (0);
	if (fsync(j->fd) != 0) {
		j->broken = 1;
		return (-1);
	}
	j->unsynced = 0;
	j->nsyncs++;
	return (0);
}

void
journal_free(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	if (j->fd != -1) {
		/* Records a held journal wrote: best effort, as on exit. */
		(void)journal_fsync(j);
		close(j->fd);
	}
	for (i = 0; i < j->n; i++) {
		free(j->events[i].event);
		free(j->events[i].resource);
		free(j->events[i].detail);
		free(j->events[i].before);
		free(j->events[i].group);
		free(j->events[i].request_id);
		free(j->events[i].settle_type);
		free(j->events[i].settle_message);
	}
	for (i = 0; i < j->nmarks; i++)
		free(j->marks[i].group);
	free(j->marks);
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

/*
 * Append one record and make it durable before going on, or, while
 * the journal is held, at the next journal_sync.
 */
static int
journal_append(struct journal *j, json_t *o, char **cause)
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
	if (safefile_write_all(j->fd, s, len) != 0)
		rc = -1;
	else {
		j->unsynced = 1;
		if (!j->held && journal_fsync(j) != 0)
			rc = -1;
	}
	if (rc != 0)
		*cause = xasprintf("cannot write the journal %s: %s", j->path,
		    strerror(errno));
	free(s);
	json_decref(o);
	return (rc);
}

void
journal_hold(struct journal *j, int hold)
{
	j->held = hold;
}

int
journal_sync(struct journal *j, char **cause)
{
	*cause = NULL;
	if (journal_fsync(j) == 0)
		return (0);
	*cause = xasprintf("cannot write the journal %s: %s", j->path,
	    strerror(errno));
	return (-1);
}

#ifdef ENSBATCH_TESTING
uint64_t
journal_syncs(const struct journal *j)
{
	return (j->nsyncs);
}
#endif

/*
 * One run per journal: a second apply on the same journal would not
 * see what the first is about to send.  The lock lives as long as the
 * descriptor.
 */
static int
journal_lock(int fd, const char *path, char **cause)
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

/* The directory for run locks, created private when missing. */
static char *
journal_lock_dir(char **cause)
{
	const char	*rt = getenv("XDG_RUNTIME_DIR");
	char		*dir;
	struct stat	 st;

	if (rt != NULL && *rt == '/')
		dir = xasprintf("%s/ensbatch", rt);
	else
		dir = xasprintf("/tmp/ensbatch-%lu", (unsigned long)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", dir,
		    strerror(errno));
		free(dir);
		return (NULL);
	}
	/* Never follow a directory someone else planted. */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid()) {
		*cause = xasprintf("%s is not a directory of this user", dir);
		free(dir);
		return (NULL);
	}
	return (dir);
}

int
journal_lock_run(const char *name, const char *account, const char *jpath,
    char **cause)
{
	char	 hex[HASH_HEX_LEN], host[256], holder[512];
	char	*dir, *key, *path = NULL, *who = NULL;
	int	 fd = -1;
	ssize_t	 n;

	*cause = NULL;
	if ((dir = journal_lock_dir(cause)) == NULL)
		return (-1);
	key = xasprintf("%s\n%s", name, account != NULL ? account : "");
	hash_sha256_hex(key, strlen(key), hex);
	path = xasprintf("%s/%.32s.lock", dir, hex);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot open the run lock %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		*cause = xasprintf("another ensbatch apply of %s with this "
		    "account is running (%s)", name, *holder != '\0' ?
		    holder : "holder unknown");
		close(fd);
		fd = -1;
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	who = xasprintf("pid %ld, %s@%s, journal %s, since %lld\n",
	    (long)getpid(), getenv("USER") != NULL ? getenv("USER") : "?",
	    host, jpath, (long long)(timefmt_now() / 1000));
	if (ftruncate(fd, 0) != 0 ||
	    safefile_write_all(fd, who, strlen(who)) != 0) {
		*cause = xasprintf("cannot write the run lock %s: %s", path,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	free(who);
	free(path);
	free(key);
	free(dir);
	return (fd);
}

void
journal_unlock_run(int fd)
{
	if (fd != -1)
		close(fd);
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
	if (journal_lock(j->fd, path, cause) != 0) {
		unlink(path);
		journal_free(j);
		return (NULL);
	}
	o = json_pack("{s:s, s:i, s:s, s:s}", "type", "start", "version",
	    JOURNAL_VERSION, "name", name, "manifest_sha256", sha256);
	if (o == NULL || journal_append(j, o, cause) != 0) {
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
	struct stat	 st;
	char		*text = NULL;
	size_t		 len = 0, good;
	json_t		*o;
	int		 fd;

	*cause = NULL;
	/* Lock first, so that what is read is what no one else writes. */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		*cause = errno == ENOENT ? xasprintf("there is no journal %s "
		    "to resume", path) : xasprintf("cannot open the journal "
		    "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("the journal %s is not a regular file",
		    path);
		close(fd);
		return (NULL);
	}
	if (journal_lock(fd, path, cause) != 0) {
		close(fd);
		return (NULL);
	}
	if (buf_read_file(path, JOURNAL_MAX_SIZE, &text, &len, cause) != 0 ||
	    (j = journal_parse_text(text, len, path, &good, cause)) == NULL) {
		close(fd);
		goto out;
	}
	j->fd = fd;
	if (strcmp(j->sha256, sha256) != 0) {
		*cause = xasprintf("the journal %s was written for another "
		    "manifest or other targets files (digest %.12s..., now "
		    "%.12s...): refusing to resume", path, j->sha256, sha256);
		goto fail;
	}
	/* Cut a torn last line so that new records start on a line. */
	if (good < len && ftruncate(j->fd, (off_t)good) != 0) {
		*cause = xasprintf("cannot repair the journal %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	o = json_pack("{s:s}", "type", "resume");
	if (journal_append(j, o, cause) != 0)
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
	if (journal_append(j, o, cause) != 0)
		return (-1);
	journal_apply_call(j, *seq, items, before, n, group, batch + 1, timefmt_now());
	return (0);
}

int
journal_result(struct journal *j, uint64_t seq,
    const struct journal_answer *a, char **cause)
{
	json_t		*o, *arr, *it;
	struct pending	 p;
	size_t		 i;

	*cause = NULL;
	arr = json_array();
	for (i = 0; i < a->n; i++) {
		it = json_pack("{s:s, s:s}", "event", a->items[i].event,
		    "state", journal_state_name(a->items[i].state));
		json_object_set_new(it, "code", a->items[i].code != NULL ?
		    json_string(a->items[i].code) : json_null());
		json_object_set_new(it, "message", a->items[i].message !=
		    NULL ? json_string(a->items[i].message) : json_null());
		json_array_append_new(arr, it);
	}
	o = json_pack("{s:s, s:I, s:s, s:o}", "type", "result", "seq",
	    (json_int_t)seq, "outcome", a->outcome, "items", arr);
	json_object_set_new(o, "request_id", a->request_id != NULL ?
	    json_string(a->request_id) : json_null());
	if (journal_append(j, o, cause) != 0)
		return (-1);
	if (journal_take_pending(j, seq, &p) == 0) {
		for (i = 0; i < p.n && i < a->n; i++) {
			journal_apply_state(&j->events[p.idx[i]],
			    a->items[i].state, 1);
			journal_set_request_id(&j->events[p.idx[i]], a->request_id);
		}
		free(p.idx);
	}
	return (0);
}

/* A reconcile record, adopted or not; applied as it will be read. */
static int
journal_write_reconcile(struct journal *j, const char *event,
    enum journal_state s, const char *status, int adopted, char **cause)
{
	struct journal_event	*e;
	json_t			*o;

	*cause = NULL;
	o = json_pack("{s:s, s:s, s:s}", "type", "reconcile", "event", event,
	    "state", journal_state_name(s));
	json_object_set_new(o, "status", status != NULL ?
	    json_string(status) : json_null());
	if (adopted)
		json_object_set_new(o, "adopted", json_true());
	if (journal_append(j, o, cause) != 0)
		return (-1);
	e = (struct journal_event *)(uintptr_t)journal_lookup(j, event);
	if (e != NULL)
		journal_apply_reconcile(e, s, status, adopted);
	return (0);
}

int
journal_reconcile(struct journal *j, const char *event,
    enum journal_state s, const char *status, char **cause)
{
	return (journal_write_reconcile(j, event, s, status, 0, cause));
}

int
journal_adopt(struct journal *j, const char *event, const char *status,
    char **cause)
{
	return (journal_write_reconcile(j, event, JOURNAL_CONFIRMED, status,
	    1, cause));
}

/* A JSON string, or null for NULL. */
static json_t *
journal_str_or_null(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

int
journal_settle(struct journal *j, const char *event, enum journal_settle s,
    const char *type, const char *message, const char *event_status,
    const char *instance_status, int64_t executed_at, char **cause)
{
	struct journal_event	*e;
	json_t			*o;

	*cause = NULL;
	o = json_pack("{s:s, s:s, s:s}", "type", "settle", "event", event,
	    "outcome", settle_names[s]);
	json_object_set_new(o, "reason", journal_str_or_null(type));
	json_object_set_new(o, "message", journal_str_or_null(message));
	json_object_set_new(o, "event_status", journal_str_or_null(event_status));
	json_object_set_new(o, "instance_status",
	    journal_str_or_null(instance_status));
	json_object_set_new(o, "executed_at", executed_at != 0 ?
	    json_integer(executed_at) : json_null());
	if (journal_append(j, o, cause) != 0)
		return (-1);
	e = (struct journal_event *)(uintptr_t)journal_lookup(j, event);
	if (e != NULL)
		journal_apply_settle(e, s, type, message, executed_at, timefmt_now());
	return (0);
}

int
journal_batch(struct journal *j, const char *group, size_t k, char **cause)
{
	json_t	*o;

	*cause = NULL;
	o = json_pack("{s:s, s:s, s:I}", "type", "batch", "group", group,
	    "batch", (json_int_t)k + 1);
	if (journal_append(j, o, cause) != 0)
		return (-1);
	journal_apply_mark(j, group, k, timefmt_now());
	return (0);
}

int
journal_group(struct journal *j, const char *group, char **cause)
{
	json_t	*o;

	*cause = NULL;
	o = json_pack("{s:s, s:s}", "type", "group", "group", group);
	if (journal_append(j, o, cause) != 0)
		return (-1);
	journal_apply_mark(j, group, SIZE_MAX, timefmt_now());
	return (0);
}

static const struct journal_mark *
journal_find_mark(const struct journal *j, const char *group, size_t k)
{
	size_t	i;

	for (i = 0; i < j->nmarks; i++) {
		if (j->marks[i].batch == k &&
		    strcmp(j->marks[i].group, group) == 0)
			return (&j->marks[i]);
	}
	return (NULL);
}

int64_t
journal_batch_done(const struct journal *j, const char *group, size_t k)
{
	const struct journal_mark	*mk = journal_find_mark(j, group, k);

	return (mk != NULL ? mk->time : 0);
}

int64_t
journal_group_done(const struct journal *j, const char *group)
{
	const struct journal_mark	*mk = journal_find_mark(j, group, SIZE_MAX);

	return (mk != NULL ? mk->time : 0);
}
