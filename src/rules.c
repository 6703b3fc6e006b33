/*
 * Offline validation rules (SPEC section 3).  Every problem is reported
 * with its rule id at the position of the value at fault; resolved
 * values are stored in the model for the planner.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ensbatch/buf.h"
#include "ensbatch/manifest.h"
#include "ensbatch/rules.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define DEFAULT_BATCH_SIZE	20
#define MAX_BATCH_SIZE		50
#define DEFAULT_MIN_LEAD	(5 * 60 * 1000)
#define MAX_TICKET_LEN		128
#define MAX_DURATION		(30LL * 24 * 60 * 60 * 1000)	/* 30 days */
#define DEFAULT_SETTLE_TIMEOUT	(30 * 60 * 1000)
#define DEFAULT_CHECK_TIMEOUT	(5 * 60 * 1000)
#define DEFAULT_CHECK_INTERVAL	(15 * 1000)

struct rules {
	struct manifest	*m;
	struct diags	*diags;
	int64_t		 now;
	const char	*zone;
	size_t		 errors;
	uint32_t	*first;		/* where to remember the first error */
	size_t		*by_name;	/* group indices sorted by name */
};

static const char *const ops_names[] = { "immediate", "scheduled" };

TESTABLE int	rules_event_id_ok(const char *);
TESTABLE int	rules_resource_id_ok(const char *);
TESTABLE int	rules_name_ok(const char *, int);
TESTABLE int	rules_loopback_host(const char *, size_t);

/* Remember the first error about a group or target. */
static void
rules_mark(uint32_t *slot, uint32_t id)
{
	if (*slot == 0)
		*slot = id;
}

/* Report an error and count it; returns the diagnostic id. */
static uint32_t
rules_rule_error(struct rules *r, struct pos pos, const char *rule,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static uint32_t
rules_rule_error(struct rules *r, struct pos pos, const char *rule,
    const char *fmt, ...)
{
	va_list		 ap;
	char		*msg;
	uint32_t	 id;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	id = diags_add(r->diags, DIAG_ERROR, pos, rule, "%s", msg);
	free(msg);
	r->errors++;
	if (r->first != NULL && *r->first == 0)
		*r->first = id;
	return (id);
}

/*
 * The characters of ids, a bit each: every target's ids are checked,
 * so a table lookup without a branch per character.
 */
#define RULES_HEX	0x1		/* [0-9a-f] */
#define RULES_ALNUM	0x2		/* [0-9a-z] */
#define RULES_DIGIT	(RULES_HEX | RULES_ALNUM)
#define RULES_AF	(RULES_HEX | RULES_ALNUM)
#define RULES_GZ	RULES_ALNUM

static const unsigned char rules_id_class[256] = {
	['0'] = RULES_DIGIT, ['1'] = RULES_DIGIT, ['2'] = RULES_DIGIT,
	['3'] = RULES_DIGIT, ['4'] = RULES_DIGIT, ['5'] = RULES_DIGIT,
	['6'] = RULES_DIGIT, ['7'] = RULES_DIGIT, ['8'] = RULES_DIGIT,
	['9'] = RULES_DIGIT,
	['a'] = RULES_AF, ['b'] = RULES_AF, ['c'] = RULES_AF,
	['d'] = RULES_AF, ['e'] = RULES_AF, ['f'] = RULES_AF,
	['g'] = RULES_GZ, ['h'] = RULES_GZ, ['i'] = RULES_GZ,
	['j'] = RULES_GZ, ['k'] = RULES_GZ, ['l'] = RULES_GZ,
	['m'] = RULES_GZ, ['n'] = RULES_GZ, ['o'] = RULES_GZ,
	['p'] = RULES_GZ, ['q'] = RULES_GZ, ['r'] = RULES_GZ,
	['s'] = RULES_GZ, ['t'] = RULES_GZ, ['u'] = RULES_GZ,
	['v'] = RULES_GZ, ['w'] = RULES_GZ, ['x'] = RULES_GZ,
	['y'] = RULES_GZ, ['z'] = RULES_GZ
};

#define RULES_ONES	0x0101010101010101ULL
#define RULES_HIGHS	0x8080808080808080ULL

/*
 * The bytes of w within [lo, hi] (both below 0x80): 0x80 in each byte
 * that is, 0 in the others.  For a byte x below 0x80 neither sum
 * carries into the next byte: x + 0x80 - lo has its high bit iff x >=
 * lo, x + 0x7f - hi iff x > hi.
 */
static uint64_t
rules_bytes_in(uint64_t w, unsigned char lo, unsigned char hi)
{
	uint64_t	ge = w + RULES_ONES * (uint64_t)(0x80 - lo);
	uint64_t	gt = w + RULES_ONES * (uint64_t)(0x7f - hi);

	return (ge & ~gt & RULES_HIGHS);
}

/*
 * Are s[0..len) all of class c?  Eight bytes at a time (every target's
 * ids are checked), the rest by the table.
 */
static int
rules_id_chars(const char *s, size_t len, unsigned char c)
{
	unsigned char	all = c, last = c == RULES_HEX ? 'f' : 'z';
	uint64_t	w;
	size_t		i;

	for (; len >= sizeof(w); s += sizeof(w), len -= sizeof(w)) {
		memcpy(&w, s, sizeof(w));
		if ((w & RULES_HIGHS) != 0 ||
		    (rules_bytes_in(w, '0', '9') |
		    rules_bytes_in(w, 'a', last)) != RULES_HIGHS)
			return (0);
	}
	for (i = 0; i < len; i++)
		all &= rules_id_class[(unsigned char)s[i]];
	return (all == c);
}

/* ^e-[0-9a-f]{32}$ */
TESTABLE int
rules_event_id_ok(const char *s)
{
	if (s[0] != 'e' || s[1] != '-' || strlen(s) != 34)
		return (0);
	return (rules_id_chars(s + 2, 32, RULES_HEX));
}

/* ^[in]-[0-9a-z]{8,64}$ */
TESTABLE int
rules_resource_id_ok(const char *s)
{
	size_t	len;

	if ((s[0] != 'i' && s[0] != 'n') || s[1] != '-')
		return (0);
	len = strlen(s);
	if (len < 10 || len > 66)
		return (0);
	return (rules_id_chars(s + 2, len - 2, RULES_ALNUM));
}

/* [A-Za-z0-9._-]{1,64}, and for the manifest name a leading alnum. */
TESTABLE int
rules_name_ok(const char *s, int alnum_first)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > 64)
		return (0);
	if (alnum_first && !isalnum((unsigned char)s[0]))
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return (0);
	}
	return (1);
}

/*
 * An integer-valued key: a plain scalar of decimal digits within
 * [min, max].  Returns 0 and sets *out, or -1 after reporting.
 */
static int
rules_get_int(struct rules *r, const struct mscalar *s, const char *key,
    int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s->text, &end, 10);
	if (!s->plain || s->text[0] == '\0' || *end != '\0' ||
	    isspace((unsigned char)s->text[0])) {
		rules_rule_error(r, s->pos, "type", "%s must be an integer, found "
		    "%s\"%s\"", key, s->plain ? "" : "the string ", s->text);
		return (-1);
	}
	if (errno == ERANGE || v < min || v > max) {
		rules_rule_error(r, s->pos, "range", "%s must be between %" PRId64
		    " and %" PRId64 ", found %s", key, min, max, s->text);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * A duration between 0 (1 ms when positive is set: a zero timeout makes
 * no sense) and MAX_DURATION.  Absent keys keep *out.  Returns 0, or -1
 * after reporting.
 */
static int
rules_get_duration(struct rules *r, const struct mscalar *s, const char *key,
    int positive, int64_t *out)
{
	char	*cause = NULL;
	int64_t	 v;

	if (s->text == NULL)
		return (0);
	if (timefmt_duration(s->text, &v, &cause) != 0) {
		rules_rule_error(r, s->pos, "duration", "%s: %s", key, cause);
		free(cause);
		return (-1);
	}
	if (v < 0) {
		rules_rule_error(r, s->pos, "range", "%s must not be negative",
		    key);
		return (-1);
	}
	if (v == 0 && positive) {
		rules_rule_error(r, s->pos, "range", "%s must be greater than zero",
		    key);
		return (-1);
	}
	if (v > MAX_DURATION) {
		rules_rule_error(r, s->pos, "range", "%s must be at most 30 days "
		    "(720h), found %s", key, s->text);
		return (-1);
	}
	*out = v;
	return (0);
}

static int
rules_get_time(struct rules *r, const struct mscalar *s, const char *key,
    int64_t *out)
{
	char	*cause = NULL;

	if (timefmt_parse(s->text, r->zone, out, &cause) != 0) {
		rules_rule_error(r, s->pos, "time", "%s: %s", key, cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * The outcome keys: settle_timeout, soak and the health check, with
 * their defaults.
 */
static void
rules_check_outcome(struct rules *r, struct policy *p)
{
	p->r_settle_timeout = DEFAULT_SETTLE_TIMEOUT;
	rules_get_duration(r, &p->settle_timeout, "settle_timeout", 1,
	    &p->r_settle_timeout);
	p->r_soak = 0;
	rules_get_duration(r, &p->soak, "soak", 0, &p->r_soak);
	p->r_check = NULL;
	p->r_check_timeout = DEFAULT_CHECK_TIMEOUT;
	p->r_check_interval = DEFAULT_CHECK_INTERVAL;
	rules_get_duration(r, &p->check_timeout, "check timeout", 1,
	    &p->r_check_timeout);
	rules_get_duration(r, &p->check_interval, "check interval", 1,
	    &p->r_check_interval);
	if (p->check_command.text == NULL)
		return;
	if (p->check_command.text[strspn(p->check_command.text,
	    " \t\r\n")] == '\0')
		rules_rule_error(r, p->check_command.pos, "type", "check command "
		    "is empty");
	else
		p->r_check = p->check_command.text;
}

/*
 * Interpret one policy's values; p->ok tells the planner whether the
 * policy can be used.  A list of keys, each resolved in turn; its
 * length is the number of policy keys, not nesting.
 */
static void
rules_check_policy(struct rules *r, struct policy *p)
{
	const char	*hint;
	size_t		 before = r->errors, i;
	int64_t		 v;
	char		*end;
	const struct mscalar *times[3];

	r->first = &p->diag;
	p->r_ops = OPS_NONE;
	if (p->ops.text != NULL) {
		if (strcmp(p->ops.text, "immediate") == 0)
			p->r_ops = OPS_IMMEDIATE;
		else if (strcmp(p->ops.text, "scheduled") == 0)
			p->r_ops = OPS_SCHEDULED;
		else if ((hint = manifest_suggest(p->ops.text, ops_names,
		    2)) != NULL)
			rules_rule_error(r, p->ops.pos, "ops", "ops must be "
			    "immediate or scheduled, found \"%s\"; did you "
			    "mean \"%s\"?", p->ops.text, hint);
		else
			rules_rule_error(r, p->ops.pos, "ops", "ops must be "
			    "immediate or scheduled, found \"%s\"",
			    p->ops.text);
	}

	p->r_batch_size = DEFAULT_BATCH_SIZE;
	if (p->batch_size.text != NULL &&
	    rules_get_int(r, &p->batch_size, "batch_size", 1, MAX_BATCH_SIZE,
	    &v) == 0)
		p->r_batch_size = (int)v;

	p->r_pause = 0;
	rules_get_duration(r, &p->pause, "pause", 0, &p->r_pause);

	p->r_max_fail_pct = 0;
	p->r_max_failures = 0;
	if (p->max_failures.text != NULL) {
		const char	*t = p->max_failures.text;
		size_t		 len = strlen(t);

		if (len > 1 && t[len - 1] == '%') {
			errno = 0;
			v = strtoll(t, &end, 10);
			if (!isdigit((unsigned char)t[t[0] == '-']) ||
			    end != t + len - 1)
				rules_rule_error(r, p->max_failures.pos, "type",
				    "max_failures must be an integer or a "
				    "percentage like \"10%%\", found \"%s\"",
				    t);
			else if (errno == ERANGE || v < 0 || v > 100)
				rules_rule_error(r, p->max_failures.pos, "range",
				    "max_failures must be between 0%% and "
				    "100%%, found %s", t);
			else {
				p->r_max_fail_pct = 1;
				p->r_max_failures = v;
			}
		} else if (rules_get_int(r, &p->max_failures, "max_failures", 0,
		    INT32_MAX, &v) == 0)
			p->r_max_failures = v;
	}

	p->r_stagger = 0;
	rules_get_duration(r, &p->stagger, "stagger", 0, &p->r_stagger);
	p->r_min_lead = DEFAULT_MIN_LEAD;
	rules_get_duration(r, &p->min_lead, "min_lead", 0, &p->r_min_lead);
	rules_check_outcome(r, p);
	p->r_has_window_end = 0;
	if (p->window_end.text != NULL &&
	    rules_get_time(r, &p->window_end, "window_end", &p->r_window_end) == 0)
		p->r_has_window_end = 1;
	if (p->start.text != NULL)
		rules_get_time(r, &p->start, "start", &p->r_start);

	if (p->r_ops == OPS_SCHEDULED && p->start.text == NULL)
		rules_rule_error(r, p->ops.pos, "scheduled-start", "a scheduled "
		    "policy needs \"start\": the API requires a PlanTime");
	if (p->r_ops == OPS_IMMEDIATE) {
		times[0] = &p->start;
		times[1] = &p->stagger;
		times[2] = &p->window_end;
		for (i = 0; i < 3; i++) {
			static const char *const keys[] = { "start",
			    "stagger", "window_end" };

			if (times[i]->text != NULL)
				rules_rule_error(r, times[i]->pos, "immediate-time",
				    "%s applies to scheduled policies only; "
				    "this one is immediate", keys[i]);
		}
	}
	p->ok = r->errors == before && p->r_ops != OPS_NONE;
	r->first = NULL;
}

/* Characters, not bytes (the loader has checked the UTF-8). */
static size_t
rules_utf8_length(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

static void
rules_check_top(struct rules *r)
{
	struct manifest	*m = r->m;
	char		*cause = NULL;

	if (m->name.text != NULL && !rules_name_ok(m->name.text, 1))
		rules_rule_error(r, m->name.pos, "name", "name must match "
		    "[A-Za-z0-9][A-Za-z0-9._-]{0,63}, found \"%s\"",
		    m->name.text);
	if (m->ticket.text != NULL && rules_utf8_length(m->ticket.text) >
	    MAX_TICKET_LEN)
		rules_rule_error(r, m->ticket.pos, "range", "ticket is longer than "
		    "%d characters", MAX_TICKET_LEN);
	r->zone = "UTC";
	if (m->timezone.text != NULL) {
		if (timefmt_zone_check(m->timezone.text, &cause) != 0) {
			rules_rule_error(r, m->timezone.pos, "timezone", "%s",
			    cause);
			free(cause);
		} else
			r->zone = m->timezone.text;
	}
	m->r_zone = r->zone;
}

/* Is host a loopback name or address (where plain http is allowed)? */
TESTABLE int
rules_loopback_host(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return (1);
	if (len == 5 && strncmp(host, "[::1]", 5) == 0)
		return (1);
	if (len >= 4 && strncmp(host, "127.", 4) == 0) {
		size_t	i;

		for (i = 4; i < len; i++) {
			if (!isdigit((unsigned char)host[i]) &&
			    host[i] != '.')
				return (0);
		}
		return (1);
	}
	return (0);
}

const char *
rules_endpoint_problem(const char *e)
{
	const char	*host, *end, *hend, *p;
	int		 plain = 0;
	long		 port;

	if (strncmp(e, "http://", 7) == 0) {
		plain = 1;
		host = e + 7;
	} else if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else if (strstr(e, "://") != NULL)
		return ("endpoint must be a host name or an https:// URL");
	else
		host = e;
	end = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return ("endpoint must not carry user information (\"@\")");
	if (*end != '\0' && strcmp(end, "/") != 0)
		return ("endpoint must not have a path or query: the API "
		    "is at \"/\"");
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			return ("endpoint has an unclosed \"[\"");
		hend++;
	} else
		hend = host + strcspn(host, ":/?#");
	if (hend > end)
		hend = end;
	if (hend == host)
		return ("endpoint has no host");
	for (p = host; p < hend; p++) {
		if (*host != '[' && !isalnum((unsigned char)*p) &&
		    *p != '.' && *p != '-')
			return ("endpoint host has invalid characters");
	}
	if (hend < end) {
		if (*hend != ':' || hend + 1 == end)
			return ("endpoint has a bad port");
		port = 0;
		for (p = hend + 1; p < end; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535)
				return ("endpoint has a bad port");
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return ("endpoint port must be 1 to 65535");
	}
	if (plain && !rules_loopback_host(host, (size_t)(hend - host)))
		return ("plain http:// is allowed only for loopback addresses; "
		    "use https://");
	return (NULL);
}

static void
rules_check_api(struct rules *r)
{
	struct api_opts	*a = &r->m->api;
	const char	*why;
	int64_t		 v;

	if (a->endpoint.text != NULL &&
	    (why = rules_endpoint_problem(a->endpoint.text)) != NULL)
		rules_rule_error(r, a->endpoint.pos, "api", "%s", why);
	if (a->signature.text != NULL && strcmp(a->signature.text, "v3") != 0
	    && strcmp(a->signature.text, "v1") != 0)
		rules_rule_error(r, a->signature.pos, "api", "signature must be v3 "
		    "or v1, found \"%s\"", a->signature.text);
	a->r_timeout = 0;
	a->r_retries = -1;
	a->r_rate = 0;
	if (a->timeout.text != NULL &&
	    rules_get_duration(r, &a->timeout, "timeout", 1, &v) == 0)
		a->r_timeout = v;
	if (a->retries.text != NULL &&
	    rules_get_int(r, &a->retries, "retries", 0, 20, &v) == 0)
		a->r_retries = (int)v;
	if (a->rate.text != NULL &&
	    rules_get_int(r, &a->rate, "rate", 1, 1000, &v) == 0)
		a->r_rate = (int)v;
}

static const struct manifest *sort_manifest;

/* Group indices by name, then by index (first definition first). */
static int
rules_group_cmp(const void *va, const void *vb)
{
	size_t		 a = *(const size_t *)va, b = *(const size_t *)vb;
	const char	*na = sort_manifest->groups[a].name;
	const char	*nb = sort_manifest->groups[b].name;
	int		 c;

	c = strcmp(na != NULL ? na : "", nb != NULL ? nb : "");
	if (c != 0)
		return (c);
	return (a < b ? -1 : (a > b));
}

/* Sort group indices by name once, so lookups are O(log n). */
static void
rules_index_groups(struct rules *r)
{
	size_t	i;

	r->by_name = xcalloc(r->m->ngroups + 1, sizeof(*r->by_name));
	for (i = 0; i < r->m->ngroups; i++)
		r->by_name[i] = i;
	sort_manifest = r->m;
	qsort(r->by_name, r->m->ngroups, sizeof(*r->by_name), rules_group_cmp);
	sort_manifest = NULL;
}

/* The index of the (first) group called name, or -1. */
static ssize_t
rules_group_find(const struct rules *r, const char *name)
{
	const struct manifest	*m = r->m;
	size_t			 lo = 0, hi = m->ngroups, mid;
	const char		*n;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		n = m->groups[r->by_name[mid]].name;
		if (strcmp(n != NULL ? n : "", name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->ngroups && (n = m->groups[r->by_name[lo]].name) != NULL &&
	    strcmp(n, name) == 0)
		return ((ssize_t)r->by_name[lo]);
	return (-1);
}

/* Names of the groups (or policies) for "did you mean". */
static const char **
rules_group_names(const struct manifest *m)
{
	const char	**names;
	size_t		  i;

	names = xcalloc(m->ngroups + 1, sizeof(*names));
	for (i = 0; i < m->ngroups; i++)
		names[i] = m->groups[i].name != NULL ? m->groups[i].name : "";
	return (names);
}

static void
rules_check_groups(struct rules *r)
{
	struct manifest	*m = r->m;
	const char	**names, **pnames, *hint;
	size_t		  i, j, k;
	ssize_t		  idx;
	uint32_t	  id;

	names = rules_group_names(m);
	pnames = xcalloc(m->npolicies + 1, sizeof(*pnames));
	for (i = 0; i < m->npolicies; i++)
		pnames[i] = m->policies[i].name;
	for (i = 0; i < m->ngroups; i++) {
		struct manifest_group	*g = &m->groups[i];

		if (g->name != NULL && !rules_name_ok(g->name, 0))
			rules_mark(&g->diag, rules_rule_error(r, g->name_pos, "name",
			    "group name must match [A-Za-z0-9._-]{1,64}, "
			    "found \"%s\"", g->name));
		if (g->name != NULL && (idx = rules_group_find(r, g->name)) >= 0 &&
		    (size_t)idx < i) {
			rules_mark(&g->diag, rules_rule_error(r, g->name_pos,
			    "duplicate-group", "group \"%s\" is defined "
			    "twice", g->name));
			diags_add(r->diags, DIAG_NOTE, m->groups[idx].name_pos,
			    NULL, "first defined here");
		}
		if (g->policy_ref != NULL) {
			for (k = 0; k < m->npolicies; k++) {
				if (strcmp(m->policies[k].name,
				    g->policy_ref) == 0)
					break;
			}
			if (k < m->npolicies)
				g->policy = &m->policies[k];
			else if ((hint = manifest_suggest(g->policy_ref,
			    pnames, m->npolicies)) != NULL)
				rules_mark(&g->diag, rules_rule_error(r, g->policy_pos,
				    "policy-ref", "unknown policy \"%s\"; did "
				    "you mean \"%s\"?", g->policy_ref, hint));
			else
				rules_mark(&g->diag, rules_rule_error(r, g->policy_pos,
				    "policy-ref", "unknown policy \"%s\"",
				    g->policy_ref));
		}
		if (g->policy != NULL && !g->policy->ok &&
		    g->policy->diag != 0)
			rules_mark(&g->diag, g->policy->diag);
		g->r_after = xcalloc(g->nafter + 1, sizeof(*g->r_after));
		for (j = 0; j < g->nafter; j++) {
			idx = rules_group_find(r, g->after[j]);
			if (idx >= 0) {
				g->r_after[g->r_nafter++] = (size_t)idx;
				continue;
			}
			hint = manifest_suggest(g->after[j], names,
			    m->ngroups);
			if (hint != NULL)
				id = rules_rule_error(r, g->after_pos[j],
				    "after-ref", "unknown group \"%s\"; did "
				    "you mean \"%s\"?", g->after[j], hint);
			else
				id = rules_rule_error(r, g->after_pos[j],
				    "after-ref", "unknown group \"%s\"",
				    g->after[j]);
			rules_mark(&g->diag, id);
		}
	}
	free(names);
	free(pnames);
}

/* A binary min-heap of group indices: ready groups, lowest first. */
struct heap {
	size_t	*v;
	size_t	 n;
};

static void
rules_heap_push(struct heap *h, size_t x)
{
	size_t	i = h->n++, parent, tmp;

	h->v[i] = x;
	while (i > 0 && h->v[parent = (i - 1) / 2] > h->v[i]) {
		tmp = h->v[parent];
		h->v[parent] = h->v[i];
		h->v[i] = tmp;
		i = parent;
	}
}

static size_t
rules_heap_pop(struct heap *h)
{
	size_t	top = h->v[0], i = 0, c, tmp;

	h->v[0] = h->v[--h->n];
	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[i] <= h->v[c])
			break;
		tmp = h->v[c];
		h->v[c] = h->v[i];
		h->v[i] = tmp;
		i = c;
	}
	return (top);
}

/*
 * Kahn's algorithm in O((n + e) log n), taking the ready group that
 * comes first in the file each time.  Marks placed groups; returns how
 * many were placed (fewer than n when there is a cycle).
 */
static size_t
rules_kahn(const struct manifest *m, int *placed, size_t *order)
{
	size_t		 n = m->ngroups, i, j, e = 0, *indeg, *start, *adj;
	size_t		*fill, done = 0, g;
	struct heap	 h;

	indeg = xcalloc(n + 1, sizeof(*indeg));
	start = xcalloc(n + 2, sizeof(*start));
	/* Edges a -> g for every "g after a", as adjacency lists. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < m->groups[i].r_nafter; j++) {
			start[m->groups[i].r_after[j] + 1]++;
			indeg[i]++;
			e++;
		}
	}
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	adj = xcalloc(e + 1, sizeof(*adj));
	fill = xcalloc(n + 1, sizeof(*fill));
	for (i = 0; i < n; i++) {
		for (j = 0; j < m->groups[i].r_nafter; j++) {
			g = m->groups[i].r_after[j];
			adj[start[g] + fill[g]++] = i;
		}
	}
	h.v = xcalloc(n + 1, sizeof(*h.v));
	h.n = 0;
	for (i = 0; i < n; i++) {
		if (indeg[i] == 0)
			rules_heap_push(&h, i);
	}
	while (h.n > 0) {
		g = rules_heap_pop(&h);
		placed[g] = 1;
		order[done++] = g;
		for (j = start[g]; j < start[g + 1]; j++) {
			if (--indeg[adj[j]] == 0)
				rules_heap_push(&h, adj[j]);
		}
	}
	free(h.v);
	free(fill);
	free(adj);
	free(start);
	free(indeg);
	return (done);
}

/*
 * Report one cycle, given as the list of its groups, at the "after"
 * entry of its first group that points into the cycle.
 */
static void
rules_report_cycle(struct rules *r, const size_t *cycle, size_t len)
{
	struct manifest	*m = r->m;
	struct manifest_group	*g = &m->groups[cycle[len - 1]];
	struct pos	 pos = g->name_pos;
	struct buf	 b;
	size_t		 j;
	ssize_t		 idx;

	buf_init(&b);
	for (j = 0; j < len; j++)
		buf_addf(&b, "%s -> ", m->groups[cycle[j]].name);
	buf_adds(&b, m->groups[cycle[0]].name);
	for (j = 0; j < g->nafter; j++) {
		idx = rules_group_find(r, g->after[j]);
		if (idx >= 0 && (size_t)idx == cycle[0]) {
			pos = g->after_pos[j];
			break;
		}
	}
	rules_mark(&g->diag, rules_rule_error(r, pos, "after-cycle", "groups wait for "
	    "each other (-> means after): %s", b.data));
	buf_free(&b);
}

/*
 * Order the groups: Kahn's algorithm, taking the first ready group in
 * file order each time.  Groups left over sit on or behind a cycle;
 * each cycle is reported once, at the "after" entry of its first group.
 */
static void
rules_order_groups(struct rules *r)
{
	struct manifest	*m = r->m;
	size_t		 n = m->ngroups, done = 0, i, j, cur, len;
	int		*placed, *onpath, cyclic;
	size_t		*path;

	placed = xcalloc(n + 1, sizeof(*placed));
	m->r_order = xcalloc(n + 1, sizeof(*m->r_order));
	done = rules_kahn(m, placed, m->r_order);
	if (done == n) {
		free(placed);
		return;
	}

	/*
	 * Walk from each unplaced group to an unplaced predecessor until a
	 * group repeats: that closes a cycle.  A walk that runs into groups
	 * already handled sits behind a reported cycle and says nothing.
	 */
	onpath = xcalloc(n + 1, sizeof(*onpath));
	path = xcalloc(n + 1, sizeof(*path));
	for (i = 0; i < n; i++) {
		if (placed[i])
			continue;
		len = 0;
		cur = i;
		cyclic = 0;
		for (;;) {
			onpath[cur] = (int)++len;
			path[len - 1] = cur;
			for (j = 0; j < m->groups[cur].r_nafter; j++) {
				if (!placed[m->groups[cur].r_after[j]])
					break;
			}
			if (j == m->groups[cur].r_nafter)
				break;
			cur = m->groups[cur].r_after[j];
			if (onpath[cur] != 0) {
				cyclic = 1;
				break;
			}
		}
		/*
		 * Retire the cycle; groups before it on the path may still
		 * sit on a cycle of their own, so they stay.  A path that
		 * ended without a cycle only leads to retired groups.
		 */
		if (cyclic) {
			rules_report_cycle(r, path + onpath[cur] - 1,
			    len - (size_t)onpath[cur] + 1);
			for (j = (size_t)onpath[cur] - 1; j < len; j++)
				placed[path[j]] = 1;
		} else {
			for (j = 0; j < len; j++)
				placed[path[j]] = 1;
		}
		for (j = 0; j < len; j++)
			onpath[path[j]] = 0;	/* clean for the next walk */
	}
	free(onpath);
	free(path);
	free(placed);
	/* A partial order still lets the report list every group. */
	m->r_order = xreallocarray(m->r_order, n + 1, sizeof(*m->r_order));
	for (i = 0, done = 0; i < n; i++)
		m->r_order[done++] = i;
}

/*
 * Duplicate detection over every target's event (or resource) id: the
 * ids' hashes are radix-sorted, so that equal ids meet in a run of equal
 * hashes, and each target learns the first target with its id.  A hash
 * table of a million ids misses the cache on every insert; sorting
 * reads and writes memory in order.
 */
struct seen_key {
	uint32_t	hash;
	uint32_t	ord;		/* the target's ordinal */
};

#define RULES_SEEN_NONE	UINT32_MAX

struct seen {
	const struct manifest	*m;
	size_t			*first;	/* ordinal of each group's first */
	size_t			 n;
	struct seen_key		*keys;	/* n + 1 */
	struct seen_key		*tmp;	/* n + 1: the sort's, then prev */
	uint32_t		*prev;	/* per ordinal: first with its id */
	int			 resource; /* ids: 0 events, 1 resources */
};

/* The target of ordinal ord: its group by binary search. */
static const struct target *
rules_seen_target(const struct seen *s, size_t ord)
{
	size_t	lo = 0, hi = s->m->ngroups, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->first[mid] <= ord)
			lo = mid;
		else
			hi = mid;
	}
	return (&s->m->groups[lo].targets[ord - s->first[lo]]);
}

static const char *
rules_seen_id(const struct seen *s, size_t ord)
{
	const struct target	*t = rules_seen_target(s, ord);

	return (s->resource ? t->resource : t->event);
}

/*
 * A hash of key, eight bytes at a time (strlen finds the end faster
 * than a loop over bytes), its bits mixed at the end: ids that differ
 * only at the end differ.  Only speed depends on it: equal hashes are
 * told apart by strcmp.
 */
static uint32_t
rules_seen_hash(const char *key)
{
	size_t		len = strlen(key);
	uint64_t	h = 14695981039346656037ULL ^ len, w;

	for (; len >= sizeof(w); key += sizeof(w), len -= sizeof(w)) {
		memcpy(&w, key, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, key, len);
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return ((uint32_t)(h >> 32));
}

/* Stable LSD radix sort of keys[0..n) by hash, 11 bits a pass. */
static void
rules_seen_sort(struct seen_key *keys, struct seen_key *tmp, size_t n)
{
	size_t		 count[2048], i, sum, c;
	struct seen_key	*from = keys, *to = tmp, *swap;
	int		 shift;

	for (shift = 0; shift < 32; shift += 11) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i].hash >> shift) & 2047]++;
		for (i = 0, sum = 0; i < 2048; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].hash >> shift) & 2047]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != keys)
		memcpy(keys, from, n * sizeof(*keys));
}

/*
 * The index's memory, for both kinds of ids in turn: the keys and the
 * sort's buffer, which then holds prev (it is no longer needed).
 */
static void
rules_seen_alloc(struct seen *s, const struct manifest *m)
{
	size_t	i, n = 0;

	s->m = m;
	s->first = xcalloc(m->ngroups + 1, sizeof(*s->first));
	for (i = 0; i < m->ngroups; i++) {
		s->first[i] = n;
		n += m->groups[i].ntargets;
	}
	s->first[m->ngroups] = n;
	s->n = n;
	if (n >= RULES_SEEN_NONE)
		fatal("too many targets");
	s->keys = xreallocarray(NULL, n + 1, sizeof(*s->keys));
	s->tmp = xreallocarray(NULL, n + 1, sizeof(*s->tmp));
	s->prev = (uint32_t *)s->tmp;
}

/*
 * Learn, for every target, the first earlier target with the same id
 * (RULES_SEEN_NONE if none).  Within a run of equal hashes, ordinals
 * ascend (the sort is stable), and each is compared with the first of
 * each distinct id found so far in the run.
 */
static void
rules_seen_init(struct seen *s, int resource)
{
	const struct manifest	*m = s->m;
	struct seen_key		*keys = s->keys;
	size_t			 i, j, k, r, start, n = s->n, ord;

	s->resource = resource;
	for (i = 0, ord = 0; i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].ntargets; j++, ord++) {
			keys[ord].hash = rules_seen_hash(resource ?
			    m->groups[i].targets[j].resource :
			    m->groups[i].targets[j].event);
			keys[ord].ord = (uint32_t)ord;
		}
	}
	rules_seen_sort(keys, s->tmp, n);
	for (start = 0; start < n; start = r) {
		for (r = start + 1; r < n && keys[r].hash == keys[start].hash;
		    r++)
			;
		s->prev[keys[start].ord] = RULES_SEEN_NONE;
		/* keys[start..r): the first of each id keeps ord == prev. */
		for (k = start + 1; k < r; k++) {
			s->prev[keys[k].ord] = RULES_SEEN_NONE;
			for (j = start; j < k; j++) {
				if (s->prev[keys[j].ord] != RULES_SEEN_NONE)
					continue;	/* not a first */
				if (strcmp(rules_seen_id(s, keys[j].ord),
				    rules_seen_id(s, keys[k].ord)) == 0) {
					s->prev[keys[k].ord] = keys[j].ord;
					break;
				}
			}
		}
	}
}

static void
rules_seen_free(struct seen *s)
{
	free(s->first);
	free(s->keys);
	free(s->tmp);
}

/* The earlier target with the id of the target of ordinal ord, or NULL. */
static const struct target *
rules_seen_prev(const struct seen *s, size_t ord)
{
	if (s->prev[ord] == RULES_SEEN_NONE)
		return (NULL);
	return (rules_seen_target(s, s->prev[ord]));
}

/*
 * Target ids and duplicates across the whole manifest: an event twice
 * is an error; a resource under two events is a warning (it would be
 * rebooted twice).  Events first, then resources, so that one index at
 * a time is in memory; diagnostics sort by position all the same.
 */
static void
rules_check_targets(struct rules *r)
{
	struct manifest		*m = r->m;
	struct seen		 seen;
	const struct target	*prev;
	size_t			 i, j, ord;

	rules_seen_alloc(&seen, m);
	rules_seen_init(&seen, 0);
	for (i = 0, ord = 0; i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].ntargets; j++, ord++) {
			struct target	*t = &m->groups[i].targets[j];

			if (!rules_event_id_ok(t->event))
				rules_mark(&t->diag, rules_rule_error(r, t->event_pos,
				    "event-id", "\"%s\" is not an event id "
				    "(e- and 32 lower-case hex digits)",
				    t->event));
			if (!rules_resource_id_ok(t->resource))
				rules_mark(&t->diag, rules_rule_error(r, t->resource_pos,
				    "resource-id", "\"%s\" is not an instance "
				    "id (i- or n- and 8 to 64 of [0-9a-z])",
				    t->resource));
			if ((prev = rules_seen_prev(&seen, ord)) != NULL) {
				rules_mark(&t->diag, rules_rule_error(r, t->event_pos,
				    "duplicate-target", "event %s is listed "
				    "twice", t->event));
				diags_add(r->diags, DIAG_NOTE, prev->event_pos,
				    NULL, "first listed here");
			}
		}
	}
	rules_seen_init(&seen, 1);
	for (i = 0, ord = 0; i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].ntargets; j++, ord++) {
			const struct target	*t = &m->groups[i].targets[j];

			/* The same pair twice is already an error above. */
			if ((prev = rules_seen_prev(&seen, ord)) == NULL ||
			    strcmp(prev->event, t->event) == 0)
				continue;
			diags_add(r->diags, DIAG_WARNING, t->resource_pos,
			    "duplicate-target", "instance %s is also the "
			    "target of event %s: it would be rebooted twice",
			    t->resource, prev->event);
			diags_add(r->diags, DIAG_NOTE, prev->resource_pos,
			    NULL, "first listed here");
		}
	}
	rules_seen_free(&seen);
}

/* The number of batches of a group whose policy is valid. */
static size_t
rules_nbatches(const struct manifest_group *g)
{
	return ((g->ntargets + (size_t)g->policy->r_batch_size - 1) /
	    (size_t)g->policy->r_batch_size);
}

/* Can a group's policy and targets give PlanTimes? */
static int
rules_has_plan_times(const struct manifest_group *g)
{
	return (g->policy != NULL && g->policy->ok &&
	    g->policy->r_ops == OPS_SCHEDULED && g->ntargets > 0);
}

/*
 * Group-level checks that need the policy and the group's size: the
 * failure budget and the PlanTimes of scheduled batches.
 */
static void
rules_check_schedule(struct rules *r, struct manifest_group *g)
{
	struct policy	*p = g->policy;
	size_t		 nb, outside, k;
	int64_t		 last, span, earliest, fit;
	char		 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN], d[TIMEFMT_LEN];
	const char	*gname = g->name != NULL ? g->name : "(unnamed)";

	if (p == NULL || !p->ok || g->ntargets == 0)
		return;
	if (!p->r_max_fail_pct && p->r_max_failures > (int64_t)g->ntargets)
		rules_mark(&g->diag, rules_rule_error(r, p->max_failures.pos, "range",
		    "max_failures %" PRId64 " is more than the %zu target%s "
		    "of group \"%s\"", p->r_max_failures, g->ntargets,
		    g->ntargets == 1 ? "" : "s", gname));
	if (p->r_ops != OPS_SCHEDULED)
		return;

	nb = rules_nbatches(g);
	/*
	 * start is at most TIMEFMT_MAX_TIME and stagger at most 30 days,
	 * so this division keeps every PlanTime of the plan in range (and
	 * the planner's start + k * stagger far from int64 overflow).
	 */
	if (p->r_stagger > 0 && (int64_t)(nb - 1) >
	    (TIMEFMT_MAX_TIME - p->r_start) / p->r_stagger) {
		rules_mark(&g->diag, rules_rule_error(r, p->stagger.pos, "range",
		    "group \"%s\": with %zu batches %s apart the last "
		    "PlanTime would be after 9999-12-31", gname, nb,
		    p->stagger.text));
		return;
	}
	earliest = r->now + p->r_min_lead;
	if (r->now != RULES_NO_DEADLINES && p->r_start < earliest) {
		timefmt_local(p->r_start, r->zone, t1, sizeof(t1));
		timefmt_local(earliest, r->zone, t2, sizeof(t2));
		timefmt_duration_str(p->r_min_lead, d, sizeof(d));
		rules_mark(&g->diag, rules_rule_error(r, p->start.pos, "plan-time-past",
		    "group \"%s\": PlanTime %s is before now + min_lead "
		    "(%s, min_lead %s)", gname, t1, t2, d));
	}
	if (!p->r_has_window_end)
		return;
	if (p->r_start >= p->r_window_end) {
		rules_mark(&g->diag, rules_rule_error(r, p->window_end.pos, "window",
		    "group \"%s\": start is not before window_end",
		    gname));
		return;
	}
	last = p->r_start + (int64_t)(nb - 1) * p->r_stagger;
	if (last < p->r_window_end)
		return;
	outside = 0;
	for (k = 0; k < nb; k++) {
		if (p->r_start + (int64_t)k * p->r_stagger >= p->r_window_end)
			outside++;
	}
	span = p->r_window_end - 1 - p->r_start;
	timefmt_local(last, r->zone, t1, sizeof(t1));
	/* The largest stagger, and the smallest batch_size, that fit. */
	timefmt_duration_str((span / (int64_t)(nb - 1)) / 1000 * 1000, d,
	    sizeof(d));
	fit = span / p->r_stagger + 1;		/* batches that fit */
	if ((int64_t)(g->ntargets + (size_t)fit - 1) / fit <= MAX_BATCH_SIZE)
		rules_mark(&g->diag, rules_rule_error(r, p->window_end.pos, "window",
		    "group \"%s\": %zu of %zu batches get a PlanTime at or "
		    "after window_end (the last at %s); a stagger of at most "
		    "%s or a batch_size of at least %" PRId64 " would fit",
		    gname, outside, nb, t1, d,
		    (int64_t)(g->ntargets + (size_t)fit - 1) / fit));
	else
		rules_mark(&g->diag, rules_rule_error(r, p->window_end.pos, "window",
		    "group \"%s\": %zu of %zu batches get a PlanTime at or "
		    "after window_end (the last at %s); a stagger of at most "
		    "%s would fit", gname, outside, nb, t1, d));
}

/*
 * after-time: a scheduled group after a scheduled group must start
 * later than that group's last PlanTime plus its settle_timeout, or it
 * could never wait for that group's reboots to settle.
 */
static void
rules_check_after_time(struct rules *r, struct manifest_group *g)
{
	const struct manifest_group	*a;
	size_t				 j, k;
	int64_t				 last, ready;
	char				 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	char				 d[TIMEFMT_LEN];

	if (!rules_has_plan_times(g) || g->name == NULL)
		return;
	for (j = 0; j < g->r_nafter; j++) {
		a = &r->m->groups[g->r_after[j]];
		if (a == g || !rules_has_plan_times(a))
			continue;
		last = a->policy->r_start + (int64_t)(rules_nbatches(a) - 1) *
		    a->policy->r_stagger;
		ready = last + a->policy->r_settle_timeout;
		if (g->policy->r_start > ready)
			continue;
		/* The after entry that names a (r_after skips unknowns). */
		for (k = 0; k < g->nafter; k++) {
			if (strcmp(g->after[k], a->name) == 0)
				break;
		}
		timefmt_local(g->policy->r_start, r->zone, t1, sizeof(t1));
		timefmt_local(ready, r->zone, t2, sizeof(t2));
		timefmt_duration_str(a->policy->r_settle_timeout, d,
		    sizeof(d));
		rules_mark(&g->diag, rules_rule_error(r, k < g->nafter ? g->after_pos[k] :
		    g->name_pos, "after-time", "group \"%s\" is after "
		    "scheduled group \"%s\" but starts at %s, not later than "
		    "%s (its last PlanTime + settle_timeout %s): it could "
		    "never wait for it", g->name, a->name, t1, t2, d));
		diags_add(r->diags, DIAG_NOTE, g->policy->start.pos, NULL,
		    "\"%s\" starts here", g->name);
	}
}

size_t
rules_check(struct manifest *m, int64_t now, struct diags *d)
{
	struct rules	 r;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.diags = d;
	r.now = now;

	rules_check_top(&r);
	rules_check_api(&r);
	for (i = 0; i < m->npolicies; i++)
		rules_check_policy(&r, &m->policies[i]);
	for (i = 0; i < m->ngroups; i++) {
		if (m->groups[i].inline_policy != NULL)
			rules_check_policy(&r, m->groups[i].inline_policy);
	}
	rules_index_groups(&r);
	rules_check_groups(&r);
	rules_order_groups(&r);
	m->r_ntargets = 0;
	for (i = 0; i < m->ngroups; i++) {
		struct manifest_group	*g = &m->groups[i];

		m->r_ntargets += g->ntargets;
		if (g->ntargets == 0 && g->name != NULL)
			diags_add(d, DIAG_WARNING, g->name_pos, "empty",
			    "group \"%s\" has no targets", g->name);
		rules_check_schedule(&r, g);
	}
	for (i = 0; i < m->ngroups; i++)
		rules_check_after_time(&r, &m->groups[i]);
	if (m->r_ntargets == 0 && m->groups_pos.line != 0)
		rules_rule_error(&r, m->groups_pos, "empty",
		    "the manifest has no targets");
	rules_check_targets(&r);
	free(r.by_name);
	return (r.errors);
}
