/*
 * ENS API actions.  The one rule that matters most lives here: a reboot
 * call is sent again only when the answer proves the first one was not
 * processed (throttled, 503, or it never left this machine).  Anything
 * else that is not a clear answer is ENS_UNKNOWN, for the runner to
 * reconcile.
 *
 * Every request goes through one engine (ens_run): sign, wait for the
 * rate, send, judge, retry.  A reboot call and a page of a read are
 * jobs of it; up to a number of them are in flight at once.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "ensbatch/buf.h"
#include "ensbatch/ens.h"
#include "ensbatch/http.h"
#include "ensbatch/msg.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define BACKOFF_BASE		1000
#define BACKOFF_CAP		30000
#define RETRY_AFTER_CAP		60000
#define MAX_PAGES		10000
#define ENS_READ_PARALLEL	4	/* reads in flight by default */
#define ENS_READ_DEADLINE	300000	/* ms for every page of a read */
#define ENS_RATE_WINS		10	/* successes per +1/s */
#define ENS_RATE_THROTTLED	16	/* /s after throttling, no ceiling */
#define ENS_RATE_FREE		100	/* /s: back to no limit */
#define ENS_IDLE_MS		200	/* longest sleep, to see a stop */
#define ENS_RATE_BURST		16	/* starts a rate window may hold */

struct ens_client {
	struct ens_config	 cfg;
	char			*url;
	char			*host;		/* Host header value */
	int			 https;
	struct http_client	*http;
	/* The last starts, oldest first (monotonic ms), for the rate. */
	int64_t			 starts[ENS_RATE_BURST];
	size_t			 nstarts;
	int			 rate;		/* current, 0 = none */
	int			 wins;		/* successes at this rate */
	int			 answered;	/* a transfer has ended */
	size_t			 stashed;	/* jobs with an answer kept */
	char			*renew_error;	/* the last renewal failure */
};

/* What the engine does with a job after its final answer. */
enum ens_next {
	ENS_NEXT_DONE,		/* finished */
	ENS_NEXT_AGAIN,		/* a new request at once (next page) */
	ENS_NEXT_LATER		/* the same request after a backoff */
};

enum ens_job_state {
	ENS_JOB_WAITING,
	ENS_JOB_PICKED,		/* started, its record not yet durable */
	ENS_JOB_READY,		/* committed, to be sent when a slot frees */
	ENS_JOB_FLYING,
	ENS_JOB_DONE
};

/* One request of the engine, sent again as its hooks say. */
struct ens_job {
	const char		*action;
	struct sign_param	 params[5];
	size_t			 nparams;
	int			 readonly;
	struct ens_reply	*reply;
	/* Before the first send: 0 = send, -1 = drop the job. */
	int			(*start)(struct ens_job *);
	/*
	 * The answer is final (h NULL: stopped before it could be sent
	 * again): what next.  The hook owns nothing of h.
	 */
	enum ens_next		(*final)(struct ens_client *, struct ens_job *,
				    struct http_response *);
	void			*arg;

	enum ens_job_state	 state;
	int			 sent;		/* this request was sent */
	int			 begun;		/* start() said send */
	int64_t			 ready;		/* monotonic ms */
	int64_t			 t0;		/* this attempt's start */
	const struct ens_run	*run;		/* the run that owns it */
	/* Signed ahead of its send (signed_ahead), or at it. */
	struct sign_out		 so;
	char			*url;
	int			 signed_ahead;
	/* Ended while a nested ens_run waited: for the owner to judge. */
	struct http_response	 stash;
	int			 stashed;
};

/* One run of the engine over its jobs. */
struct ens_run {
	struct ens_job		**jobs;
	size_t			  n;
	size_t			  first;	/* jobs before it are done */
	size_t			  parallel;
	int			  reads;
	const struct ens_pipe	 *pipe;		/* its commit, if any */
	int			  judged;	/* answers since the commit */
	size_t			  ahead;	/* calls committed ahead */
	struct ens_job		**go;		/* picked, uncommitted */
	size_t			  ngo;
	struct ens_job		**ready;	/* committed, in order */
	size_t			  nready;
	int64_t			  wake;		/* next possible start */
};

/* The hooks of a run that has none (reads). */
static const struct ens_pipe ens_no_pipe;

static int
ens_stopping(const struct ens_client *c)
{
	return (c->cfg.stop != NULL && *c->cfg.stop != 0);
}

/*
 * Whether a run may start no more requests.  After a first signal the
 * reads still run once each (reconciling a call in doubt needs them),
 * without retries; after a second nothing starts.
 */
static int
ens_halted(const struct ens_client *c, int readonly)
{
	return (ens_stopping(c) && (!readonly || *c->cfg.stop >= 2));
}

static uint64_t
ens_random64(void)
{
	uint64_t	v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		fatal("RAND_bytes failed");
	return (v);
}

int64_t
ens_backoff(int attempt, int64_t retry_after, uint64_t rnd)
{
	int64_t	ceiling = BACKOFF_BASE;
	int	i;

	if (retry_after >= 0)
		return (retry_after < RETRY_AFTER_CAP ? retry_after :
		    RETRY_AFTER_CAP);
	for (i = 1; i < attempt && ceiling < BACKOFF_CAP; i++)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP)
		ceiling = BACKOFF_CAP;
	return ((int64_t)(rnd % (uint64_t)(ceiling + 1)));
}

/*
 * Split an endpoint (host, host:port or URL) into the URL we post to and
 * the Host header.  The endpoint was checked by rules/options.
 */
struct ens_client *
ens_client_new(const struct ens_config *cfg, char **cause)
{
	struct ens_client	*c;
	struct http_config	 hc;
	const char		*e, *host;
	size_t			 len;

	*cause = NULL;
	e = cfg->endpoint != NULL ? cfg->endpoint : ENS_DEFAULT_ENDPOINT;
	if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else if (strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else
		host = e;
	len = strcspn(host, "/?#");
	if (len == 0) {
		*cause = xasprintf("endpoint \"%s\" has no host", e);
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	if (c->cfg.parallel == 0)
		c->cfg.parallel = ENS_READ_PARALLEL;
	if (c->cfg.read_deadline_ms <= 0)
		c->cfg.read_deadline_ms = ENS_READ_DEADLINE;
	c->rate = cfg->rate > 0 ? cfg->rate : 0;
	c->host = xstrndup(host, len);
	c->https = strncmp(e, "http://", 7) != 0;
	if (host == e)
		c->url = xasprintf("https://%s/", c->host);
	else
		c->url = xasprintf("%.*s/", (int)((size_t)(host - e) + len), e);
	memset(&hc, 0, sizeof(hc));
	hc.cacert = cfg->cacert;
	hc.stop = cfg->stop;
	hc.timeout_ms = cfg->timeout_ms;
	hc.connect_timeout_ms = cfg->timeout_ms < 10000 ? cfg->timeout_ms :
	    10000;
	hc.count_handshakes = cfg->verbose;	/* -v says how many */
	c->http = http_client_new(&hc);
	return (c);
}

void
ens_client_free(struct ens_client *c)
{
	long	all, full;
	int	exact;

	if (c == NULL)
		return;
	all = http_handshakes(c->http, &full, &exact);
	if (c->cfg.verbose && all > 0 && exact)
		fprintf(stderr, "ensbatch: TLS handshakes: %ld full, %ld "
		    "resumed\n", full, all - full);
	else if (c->cfg.verbose && all > 0)
		fprintf(stderr, "ensbatch: TLS handshakes: %ld, %ld offering "
		    "a cached session (the TLS library cannot tell whether "
		    "it was resumed)\n", all, all - full);
	http_client_free(c->http);
	free(c->url);
	free(c->host);
	free(c->renew_error);
	free(c);
}

const char *
ens_client_url(const struct ens_client *c)
{
	return (c->url);
}

int
ens_client_rate(const struct ens_client *c)
{
	return (c->rate);
}

void
ens_reply_clear(struct ens_reply *r)
{
	size_t	i;

	for (i = 0; i < r->nresults; i++) {
		free(r->results[i].code_text);
		free(r->results[i].message);
	}
	free(r->results);
	free(r->request_id);
	free(r->code);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

/* Replace a string field. */
static void
ens_set(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* ------------------------------------------------------------------ */
/* Strings from answers. */

/* The length of the UTF-8 sequence at s (valid UTF-8: jansson checks). */
static size_t
ens_utf8_len(const unsigned char *s)
{
	if (*s < 0x80)
		return (1);
	if ((*s & 0xe0) == 0xc0 && s[1] != '\0')
		return (2);
	if ((*s & 0xf0) == 0xe0 && s[1] != '\0' && s[2] != '\0')
		return (3);
	if ((*s & 0xf8) == 0xf0 && s[1] != '\0' && s[2] != '\0' &&
	    s[3] != '\0')
		return (4);
	return (1);
}

/* The code point of the sequence at s of len bytes. */
static unsigned long
ens_utf8_cp(const unsigned char *s, size_t len)
{
	unsigned long	cp;
	size_t		i;

	if (len == 1)
		return (*s);
	cp = *s & (0xff >> (len + 1));
	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return (cp);
}

/*
 * Skip an escape sequence introduced at s (ESC, or the C1 CSI/OSC/DCS
 * of len bytes): returns the bytes to drop.
 */
static size_t
ens_escape_len(const unsigned char *s, size_t len, unsigned long cp)
{
	const unsigned char	*p = s + len;
	int			 kind;	/* '[' CSI, ']' string, 0 other */

	if (cp == 0x1b) {
		if (*p == '\0')
			return (len);
		kind = *p == '[' ? '[' : (*p == ']' || *p == 'P' ||
		    *p == '_' || *p == '^' || *p == 'X') ? ']' : 0;
		p++;
		if (kind == 0)
			return ((size_t)(p - s));
	} else
		kind = cp == 0x9b ? '[' : ']';
	if (kind == '[') {
		/* Parameters and intermediates, then one final byte. */
		while (*p >= 0x20 && *p <= 0x3f)
			p++;
		if (*p >= 0x40 && *p <= 0x7e)
			p++;
		return ((size_t)(p - s));
	}
	/* A string ends at BEL, ESC \ or ST (U+009C). */
	while (*p != '\0' && *p != 0x07 && *p != 0x1b &&
	    !(p[0] == 0xc2 && p[1] == 0x9c))
		p++;
	if (*p == 0x07)
		p++;
	else if (*p == 0x1b)
		p += p[1] == '\\' ? 2 : 1;
	else if (*p != '\0')
		p += 2;
	return ((size_t)(p - s));
}

/* Copy s without control characters and escape sequences. */
static char *
ens_strip(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b;
	unsigned long		 cp;
	size_t			 len;

	buf_init(&b);
	while (*p != '\0') {
		len = ens_utf8_len(p);
		cp = ens_utf8_cp(p, len);
		if (cp == 0x1b || cp == 0x9b || cp == 0x9d || cp == 0x90 ||
		    cp == 0x9e || cp == 0x9f || cp == 0x98) {
			p += ens_escape_len(p, len, cp);
			continue;
		}
		if (cp == '\n' || cp == '\r' || cp == '\t')
			buf_addc(&b, ' ');
		else if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 &&
		    cp <= 0x9f) && !(cp >= 0x202a && cp <= 0x202e) &&
		    !(cp >= 0x2066 && cp <= 0x2069) && cp != 0x200e &&
		    cp != 0x200f && cp != 0x061c)
			buf_add(&b, p, len);
		p += len;
	}
	return (buf_detach(&b));
}

/*
 * Whether ens_sanitize_full would give s back unchanged, known without
 * a copy: printable ASCII only (nothing to strip), no "string to sign"
 * and no secret in it.  The percent-encoded STS token differs from the
 * token only by its '%' escapes, so a string without '%' cannot hold
 * it.  *len is strlen(s) when the answer is 1.
 */
TESTABLE int
ens_sanitize_plain(const char *s, const struct creds *cr, size_t *len)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 pct = 0;

	while (*p >= 0x20 && *p < 0x7f)
		pct |= *p++ == '%';
	if (*p != '\0' || strstr(s, "string to sign") != NULL)
		return (0);
	if (cr != NULL && cr->security_token != NULL &&
	    *cr->security_token != '\0' && (pct ||
	    strstr(s, cr->security_token) != NULL))
		return (0);
	if (cr != NULL && cr->access_key_secret != NULL &&
	    *cr->access_key_secret != '\0' &&
	    strstr(s, cr->access_key_secret) != NULL)
		return (0);
	*len = (size_t)(p - (const unsigned char *)s);
	return (1);
}

/*
 * ens_sanitize the long way: strip, cut at "string to sign", mask the
 * secrets.  The answer for every string that ens_sanitize_plain does
 * not let through as it is.  Caller frees.
 */
TESTABLE char *
ens_sanitize_full(const char *s, const struct creds *cr)
{
	const char	*secrets[3], *p;
	char		*clean, *enc = NULL, *cut;
	struct buf	 b;
	size_t		 n = 0, i, len[3];

	clean = ens_strip(s);
	/*
	 * An answer to a mismatched V1 signature may quote the string it
	 * signed, which holds the STS token: cut it whole.
	 */
	if ((cut = strstr(clean, "string to sign")) != NULL)
		*cut = '\0';
	if (cr != NULL && cr->security_token != NULL &&
	    *cr->security_token != '\0') {
		secrets[n++] = cr->security_token;
		enc = sign_encode(cr->security_token);
		if (strcmp(enc, cr->security_token) != 0)
			secrets[n++] = enc;
	}
	if (cr != NULL && cr->access_key_secret != NULL &&
	    *cr->access_key_secret != '\0')
		secrets[n++] = cr->access_key_secret;
	for (i = 0; i < n; i++)
		len[i] = strlen(secrets[i]);
	/* Longest first: one secret may hold another. */
	for (i = 1; i < n; i++) {
		if (len[i] > len[i - 1]) {
			size_t		 l = len[i];
			const char	*t = secrets[i];

			len[i] = len[i - 1];
			secrets[i] = secrets[i - 1];
			len[i - 1] = l;
			secrets[i - 1] = t;
			i = 0;
		}
	}
	/* One pass over the input: a mask never makes a new match. */
	buf_init(&b);
	for (p = clean; *p != '\0';) {
		for (i = 0; i < n; i++) {
			if (strncmp(p, secrets[i], len[i]) == 0)
				break;
		}
		if (i < n) {
			buf_adds(&b, "***");
			p += len[i];
		} else
			buf_addc(&b, *p++);
	}
	free(enc);
	free(clean);
	return (buf_detach(&b));
}

/*
 * Most strings of an answer (ids, states, plain messages) need nothing
 * done: they are copied as they are, the rest goes the long way.
 */
TESTABLE char *
ens_sanitize(const char *s, const struct creds *cr)
{
	char	*copy;
	size_t	 len;

	if (!ens_sanitize_plain(s, cr, &len))
		return (ens_sanitize_full(s, cr));
	copy = xmalloc(len + 1);
	memcpy(copy, s, len + 1);
	return (copy);
}

/* A sanitised copy of a string member, or NULL when it is not one. */
static char *
ens_member(json_t *o, const char *key, const struct creds *cr)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? ens_sanitize(s, cr) : NULL);
}

/* ------------------------------------------------------------------ */
/* Rate. */

TESTABLE int
ens_rate_adapt(int rate, int ceiling, int *wins, int throttled)
{
	if (throttled) {
		*wins = 0;
		if (rate == 0)
			return (ENS_RATE_THROTTLED);
		return (rate > 1 ? rate / 2 : 1);
	}
	if (rate == ceiling)
		return (rate);
	if (++*wins < ENS_RATE_WINS)
		return (rate);
	*wins = 0;
	rate++;
	if (ceiling > 0 && rate >= ceiling)
		return (ceiling);
	if (ceiling == 0 && rate >= ENS_RATE_FREE)
		return (0);
	return (rate);
}

/*
 * The rate as a window: at most cap = rate/10 starts (1 to
 * ENS_RATE_BURST) in any window of 1/m s, m = rate/cap windows a
 * second (the window rounded up), so that no second holds more than
 * m * cap <= rate starts, and a pool may start its transfers together
 * instead of one per 1/rate s.  With cap 1 (rate below 20/s) this is a
 * start every 1/rate s.
 */
TESTABLE int64_t
ens_rate_due(const int64_t *starts, size_t n, int rate)
{
	int64_t	cap, windows;

	if (rate <= 0)
		return (0);
	cap = rate / 10;
	if (cap < 1)
		cap = 1;
	if (cap > ENS_RATE_BURST)
		cap = ENS_RATE_BURST;
	if ((int64_t)n < cap)
		return (0);
	windows = rate / cap;
	return (starts[n - (size_t)cap] + (1000 + windows - 1) / windows);
}

/*
 * How many requests, up to limit, the rate lets start at now after
 * the last n starts (at most ENS_RATE_BURST, oldest first); when fewer
 * than limit, *next gets the time one more could start.
 */
TESTABLE size_t
ens_rate_room(const int64_t *starts, size_t n, int rate, int64_t now,
    size_t limit, int64_t *next)
{
	int64_t	s[ENS_RATE_BURST];
	size_t	k;

	if (n > ENS_RATE_BURST)
		n = ENS_RATE_BURST;
	memcpy(s, starts, n * sizeof(*s));
	for (k = 0; k < limit; k++) {
		if ((*next = ens_rate_due(s, n, rate)) > now)
			break;
		if (n == ENS_RATE_BURST) {
			memmove(s, s + 1, (n - 1) * sizeof(*s));
			n--;
		}
		s[n++] = now;
	}
	return (k);
}

/* The monotonic time the next request may start at. */
static int64_t
ens_rate_next(const struct ens_client *c)
{
	return (ens_rate_due(c->starts, c->nstarts, c->rate));
}

/* A request starts now: remember it for the window. */
static void
ens_rate_take(struct ens_client *c, int64_t now)
{
	if (c->nstarts == ENS_RATE_BURST) {
		memmove(c->starts, c->starts + 1, (ENS_RATE_BURST - 1) *
		    sizeof(*c->starts));
		c->nstarts--;
	}
	c->starts[c->nstarts++] = now;
}

/* ------------------------------------------------------------------ */
/* Judging answers. */

TESTABLE enum ens_verdict
ens_judge_answer(long status, int api, const char *code, int readonly)
{
	if (status == 200)
		return (ENS_V_OK);
	/* Answers that prove nothing was done: throttled, unavailable. */
	if (api && code != NULL && (strncmp(code, "Throttling", 10) == 0 ||
	    (status == 503 && strcmp(code, "ServiceUnavailable") == 0)))
		return (ENS_V_RETRY);
	if (readonly)
		return (status >= 500 || !api || code == NULL ||
		    strcmp(code, "SignatureNonceUsed") == 0 ? ENS_V_RETRY :
		    ENS_V_FINAL);
	/*
	 * A reboot call is final only on the API's own 4xx error.  Any
	 * other answer (a 5xx, a proxy's page, a redirect) may follow a
	 * processed request; so may "nonce used", if a copy of this very
	 * request got there first.
	 */
	if (api && code != NULL && status >= 400 && status < 500 &&
	    strcmp(code, "SignatureNonceUsed") != 0)
		return (ENS_V_FINAL);
	return (ENS_V_UNKNOWN);
}

/*
 * The Code, Message and RequestId of an error body into the reply.
 * Returns 1 when it is the API's error JSON (it has a string Code).
 */
static int
ens_error_body(const struct ens_client *c, const struct http_response *h,
    struct ens_reply *r)
{
	json_t		*root;
	json_error_t	 err;
	char		*code = NULL, *msg = NULL, *rid = NULL;
	int		 api;

	root = json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &err);
	if (root != NULL && json_is_object(root)) {
		code = ens_member(root, "Code", c->cfg.creds);
		msg = ens_member(root, "Message", c->cfg.creds);
		rid = ens_member(root, "RequestId", c->cfg.creds);
	}
	api = code != NULL && *code != '\0';
	if (!api) {
		free(code);
		code = NULL;
	}
	ens_set(&r->code, code != NULL ? code : xstrdup("HTTPError"));
	ens_set(&r->message, msg != NULL ? msg :
	    xasprintf("HTTP %ld with an unreadable body", h->status));
	/* A refused key or signature: say which source supplied it. */
	if (api && (strncmp(r->code, "SignatureDoesNotMatch", 21) == 0 ||
	    strncmp(r->code, "InvalidAccessKeyId", 18) == 0 ||
	    strncmp(r->code, "InvalidSecurityToken", 20) == 0 ||
	    strcmp(r->code, "IncompleteSignature") == 0))
		ens_set(&r->message, xasprintf("%s (credentials from %s%s%s)",
		    r->message, creds_source(c->cfg.creds), c->renew_error !=
		    NULL ? "; " : "", c->renew_error != NULL ?
		    c->renew_error : ""));
	ens_set(&r->request_id, rid);
	json_decref(root);
	return (api);
}

/*
 * Judge one attempt into the reply.  readonly calls may repeat
 * anything transient; a reboot call only what provably was not
 * processed.
 */
static enum ens_verdict
ens_judge(const struct ens_client *c, const struct http_response *h,
    int readonly, struct ens_reply *r)
{
	enum ens_verdict	v;
	int			api;

	/* Nothing of an earlier attempt may leak into this one's verdict. */
	ens_set(&r->code, NULL);
	ens_set(&r->message, NULL);
	ens_set(&r->request_id, NULL);
	r->http_status = h->status;
	r->tls = h->tls;
	switch (h->result) {
	case HTTP_NOT_SENT:
		r->outcome = ENS_NOT_SENT;
		ens_set(&r->code, xstrdup(h->tls ? "TLSError" :
		    "ConnectionError"));
		ens_set(&r->message, ens_sanitize(h->error, c->cfg.creds));
		/* A certificate that fails verification will not heal. */
		if (h->tls && strstr(h->error, "certificate") != NULL)
			return (ENS_V_FINAL);
		return (ENS_V_RETRY);
	case HTTP_UNKNOWN:
		r->outcome = ENS_UNKNOWN;
		ens_set(&r->code, xstrdup("OutcomeUnknown"));
		ens_set(&r->message, xasprintf("no complete answer: %s",
		    h->error));
		ens_set(&r->message, ens_sanitize(r->message, c->cfg.creds));
		return (readonly ? ENS_V_RETRY : ENS_V_UNKNOWN);
	case HTTP_DONE:
		break;
	}
	api = h->status != 200 && ens_error_body(c, h, r);
	v = ens_judge_answer(h->status, api, r->code, readonly);
	switch (v) {
	case ENS_V_OK:
		r->outcome = ENS_OK;
		break;
	case ENS_V_FINAL:
		r->outcome = ENS_API_ERROR;
		break;
	case ENS_V_RETRY:
		/* A read that ends on a proxy's page did not reach the API. */
		r->outcome = api ? ENS_API_ERROR : ENS_UNKNOWN;
		break;
	case ENS_V_UNKNOWN:
		r->outcome = ENS_UNKNOWN;
		break;
	}
	return (v);
}

/* One line per attempt with -v, above the live line. */
static void
ens_verbose(const struct ens_client *c, const char *action,
    const struct ens_reply *r, int64_t ms)
{
	struct buf	b;

	if (!c->cfg.verbose)
		return;
	buf_init(&b);
	buf_addf(&b, "ensbatch: %s attempt %d: ", action, r->attempts);
	if (r->http_status != 0)
		buf_addf(&b, "HTTP %ld", r->http_status);
	else
		buf_adds(&b, "no answer");
	if (r->code != NULL)
		buf_addf(&b, " %s", r->code);
	if (r->request_id != NULL)
		buf_addf(&b, " RequestId %s", r->request_id);
	if (c->rate > 0)
		buf_addf(&b, " (%" PRId64 " ms, rate %d/s)", ms, c->rate);
	else
		buf_addf(&b, " (%" PRId64 " ms, rate unlimited)", ms);
	msg_info("%s", b.data);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* The engine. */

/* Sleep up to ms, or less when a transfer ends (then returns its tag). */
static void *
ens_wait(struct ens_client *c, int64_t ms, struct http_response *h)
{
	if (ms < 0)
		ms = 0;
	if (ms > ENS_IDLE_MS)
		ms = ENS_IDLE_MS;
	if (http_active(c->http) > 0)
		return (http_wait(c->http, (long)ms, h));
	timefmt_sleep(ms, NULL);	/* at most ENS_IDLE_MS */
	return (NULL);
}

/*
 * Renew temporary credentials that expire soon, before a run of
 * requests (a settle wait can last hours).  A failure while they are
 * still valid is retried later by creds; once they expired, the API's
 * refusal says so and names the cause kept here.
 */
static void
ens_renew(struct ens_client *c)
{
	char	*cause = NULL;

	if (creds_refresh(c->cfg.creds, timefmt_now(), ENS_CREDS_MARGIN_MS,
	    &cause) == 0)
		return;
	free(c->renew_error);
	c->renew_error = ens_sanitize(cause, c->cfg.creds);
	free(cause);
}

/*
 * Sign the next attempt of a job, ahead of its send (a call committed
 * ahead, so that its send costs only the transfer's start).
 */
static void
ens_sign(struct ens_client *c, struct ens_job *j)
{
	struct sign_creds	 sc;
	char			 date[32], *nonce;
	time_t			 t;
	struct tm		 tm;

	sc.access_key_id = c->cfg.creds->access_key_id;
	sc.access_key_secret = c->cfg.creds->access_key_secret;
	sc.security_token = c->cfg.creds->security_token;
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	nonce = sign_nonce();
	sign_request(c->cfg.signature, &sc, "POST", c->host, j->action,
	    ENS_API_VERSION, j->params, j->nparams, date, nonce, &j->so);
	j->url = xasprintf("%s?%s", c->url, j->so.query);
	j->signed_ahead = 1;
	free(nonce);
}

/* Forget a signature made ahead (the job was not sent after all). */
static void
ens_unsign(struct ens_job *j)
{
	if (!j->signed_ahead)
		return;
	sign_out_free(&j->so);
	free(j->url);
	j->url = NULL;
	j->signed_ahead = 0;
}

/* Start one attempt of a job (its rate start is taken). */
static void
ens_send(struct ens_client *c, struct ens_job *j)
{
	struct http_request	 req;
	int64_t			 now;

	if (!j->signed_ahead)
		ens_sign(c, j);
	req.url = j->url;
	req.headers = j->so.headers;
	req.nheaders = j->so.nheaders;
	/* libcurl resends on a reused connection that died: not reboots. */
	req.fresh = !j->readonly;
	http_start(c->http, &req, j);
	ens_unsign(j);
	now = timefmt_mono();
	j->state = ENS_JOB_FLYING;
	j->sent = 1;
	j->t0 = now;
	j->reply->attempts++;
}

/* An attempt ended: retry, or hand the final answer to the job. */
static void
ens_ended(struct ens_client *c, struct ens_job *j, struct http_response *h)
{
	enum ens_verdict	v;
	int64_t			now = timefmt_mono();

	v = ens_judge(c, h, j->readonly, j->reply);
	if (j->reply->code != NULL && strncmp(j->reply->code, "Throttling",
	    10) == 0)
		c->rate = ens_rate_adapt(c->rate, c->cfg.rate > 0 ?
		    c->cfg.rate : 0, &c->wins, 1);
	else if (v == ENS_V_OK)
		c->rate = ens_rate_adapt(c->rate, c->cfg.rate > 0 ?
		    c->cfg.rate : 0, &c->wins, 0);
	ens_verbose(c, j->action, j->reply, now - j->t0);
	c->answered = 1;
	j->state = ENS_JOB_WAITING;
	if (v == ENS_V_RETRY && j->reply->attempts <= c->cfg.retries &&
	    !ens_stopping(c)) {
		j->ready = now + ens_backoff(j->reply->attempts,
		    h->retry_after, ens_random64());
		return;
	}
	switch (j->final(c, j, h)) {
	case ENS_NEXT_DONE:
		j->state = ENS_JOB_DONE;
		break;
	case ENS_NEXT_AGAIN:
		j->ready = now;
		j->sent = 0;
		break;
	case ENS_NEXT_LATER:
		j->ready = now + ens_backoff(j->reply->attempts, -1,
		    ens_random64());
		break;
	}
}

/*
 * The next job that may start: in order, the first waiting one whose
 * backoff is over.  *wake gets the earliest backoff still running.
 */
static struct ens_job *
ens_pick(struct ens_job **jobs, size_t n, size_t *first, int64_t now,
    int64_t *wake)
{
	size_t	i;

	while (*first < n && jobs[*first]->state == ENS_JOB_DONE)
		(*first)++;
	for (i = *first; i < n; i++) {
		if (jobs[i]->state != ENS_JOB_WAITING)
			continue;
		if (jobs[i]->ready <= now)
			return (jobs[i]);
		if (jobs[i]->ready < *wake)
			*wake = jobs[i]->ready;
		/* Never sent: every job after it waits for it. */
		if (!jobs[i]->sent)
			break;
	}
	return (NULL);
}

/*
 * Transfers allowed in flight.  Over HTTPS the first one runs alone,
 * until it ends, so that the others resume its TLS session.
 */
static size_t
ens_slots(const struct ens_client *c, size_t parallel)
{
	return (c->https && !c->answered ? 1 : parallel);
}

/* Keep an ended transfer's answer for its job, to be judged later. */
static void
ens_stash(struct ens_client *c, struct ens_job *j, struct http_response *h)
{
	j->stash = *h;
	j->stashed = 1;
	c->stashed++;
}

/*
 * Judge the stashed answers of this run's jobs: they ended while a
 * run nested in a hook (a read made by done()) was waiting, or were
 * kept while the reads' slots were refilled.  With one, only the
 * first: the slots of answers that arrive meanwhile are refilled
 * before the next is parsed.  1 if one was judged.
 */
static int
ens_unstash(struct ens_client *c, struct ens_run *r, int one)
{
	struct ens_job	*j;
	size_t		 i;
	int		 again, judged = 0;

	/* A done hook's read may stash an answer of a job already passed. */
	do {
		again = 0;
		for (i = r->first; i < r->n && c->stashed > 0; i++) {
			j = r->jobs[i];
			if (!j->stashed)
				continue;
			j->stashed = 0;
			c->stashed--;
			ens_ended(c, j, &j->stash);
			http_response_clear(&j->stash);
			r->judged = judged = 1;
			if (one)
				return (1);
			again = 1;
		}
	} while (again && c->stashed > 0);
	return (judged);
}

/*
 * A picked job that is not sent after all: its reply says so (outcome
 * ENS_NOT_SENT), and its final hook hears of it as of a stop.
 */
static void
ens_unsent(struct ens_client *c, struct ens_job *j)
{
	ens_unsign(j);
	ens_set(&j->reply->code, xstrdup("NotSent"));
	ens_set(&j->reply->message, xstrdup("not sent: stopped before it "
	    "could be sent"));
	j->reply->outcome = ENS_NOT_SENT;
	j->state = ENS_JOB_DONE;
	(void)j->final(c, j, NULL);
}

/* Every call committed but not sent ends as not sent. */
static void
ens_unsend_ready(struct ens_client *c, struct ens_run *r)
{
	size_t	i;

	for (i = 0; i < r->nready; i++)
		ens_unsent(c, r->ready[i]);
	if (r->nready > 0)
		r->judged = 1;		/* their records, at the next commit */
	r->nready = 0;
}

/*
 * Send committed jobs, in order, while a slot and the rate allow, and
 * while the pipeline's go says they may still go: a stop, the budget
 * or a journal failure since their commit ends them all unsent.  No
 * commit here: the records they need are durable, and the answers
 * judged since the last commit are not theirs to wait for.
 */
static void
ens_send_ready(struct ens_client *c, struct ens_run *r)
{
	int64_t	now;
	size_t	i = 0;

	if (r->nready == 0 || http_active(c->http) >= ens_slots(c,
	    r->parallel))
		return;
	if (ens_halted(c, r->reads) ||
	    (r->pipe->go != NULL && r->pipe->go(r->pipe->arg) != 0)) {
		ens_unsend_ready(c, r);
		return;
	}
	while (i < r->nready && http_active(c->http) < ens_slots(c,
	    r->parallel)) {
		now = timefmt_mono();
		if (ens_rate_next(c) > now) {
			if (ens_rate_next(c) < r->wake)
				r->wake = ens_rate_next(c);
			break;
		}
		ens_rate_take(c, now);
		ens_send(c, r->ready[i++]);
	}
	r->nready -= i;
	memmove(r->ready, r->ready + i, r->nready * sizeof(*r->ready));
}

/*
 * Start what may start: jobs in order while their backoff allows, as
 * many as the free slots and ahead more, while the rate would let them
 * go now.  Group commit: the start hooks of all of them run first (the
 * caller journals each call), then the pipeline's commit makes those
 * records durable at once, and they are ready to be sent; a commit
 * that fails readies none of them (each ends as not sent, its done
 * hook told).  What is ready is sent only if no stop came since, and
 * the go hook agrees.  Answers judged since the last commit are made
 * durable by the same commit, or by one of their own once the free
 * slots are filled.  Committing ahead takes the fsync out of the path
 * from an answer to the next call; a crash loses nothing by it (a
 * record without an answer is a call in doubt, which a resume
 * reconciles before it sends anything).
 */
static void
ens_prepare(struct ens_client *c, struct ens_run *r, size_t ahead)
{
	struct ens_job	*j;
	size_t		 active, want, room, i;
	int64_t		 now, next = INT64_MAX;

	active = http_active(c->http);
	want = ens_slots(c, r->parallel);
	want = (active < want ? want - active : 0) + ahead;
	now = timefmt_mono();
	/* Nothing is started that the rate would hold back. */
	room = ens_rate_room(c->starts, c->nstarts, c->rate, now, want,
	    &next);
	r->ngo = 0;
	while (!ens_halted(c, r->reads) && r->nready + r->ngo < want &&
	    (j = ens_pick(r->jobs, r->n, &r->first, now, &r->wake)) != NULL) {
		if (r->nready + r->ngo >= room) {
			if (next < r->wake)
				r->wake = next;
			break;
		}
		if (!j->begun && j->start != NULL && j->start(j) != 0) {
			j->state = ENS_JOB_DONE;
			continue;
		}
		j->begun = 1;
		j->state = ENS_JOB_PICKED;
		r->go[r->ngo++] = j;
	}
	if ((r->ngo > 0 || (r->judged && ahead == r->ahead)) &&
	    r->pipe->commit != NULL) {
		/* The requests just started leave before the fsync. */
		http_kick(c->http);
		r->judged = 0;
		if (r->pipe->commit(r->pipe->arg) != 0) {
			/* Not durable, or no longer wanted: none goes. */
			for (i = 0; i < r->ngo; i++)
				ens_unsent(c, r->go[i]);
			r->judged = r->ngo > 0;
			r->ngo = 0;
			return;
		}
	}
	for (i = 0; i < r->ngo; i++) {
		r->go[i]->state = ENS_JOB_READY;
		/* Committed ahead: signed now, off the answer's path. */
		if (http_active(c->http) + r->nready >= ens_slots(c,
		    r->parallel))
			ens_sign(c, r->go[i]);
		r->ready[r->nready++] = r->go[i];
	}
	r->ngo = 0;
}

/*
 * Send what is ready; if slots are still free, ready and send what
 * they take; then, once half of the calls committed ahead have gone,
 * commit up to r->ahead more, after the sends: an fsync blocks the
 * loop, and an answer that comes during it waits, so they are made in
 * batches (the answers judged meanwhile are made durable by the same
 * fsync).  r->wake gets the earliest time something waiting could
 * start (INT64_MAX: nothing).
 */
static void
ens_fill(struct ens_client *c, struct ens_run *r)
{
	r->wake = INT64_MAX;
	ens_send_ready(c, r);
	if (r->ahead > 0) {
		ens_prepare(c, r, 0);
		ens_send_ready(c, r);
		if (r->nready > r->ahead / 2 && http_active(c->http) > 0)
			return;
	}
	ens_prepare(c, r, r->ahead);
	ens_send_ready(c, r);
}

/*
 * Judge an answer of this run, and every other one already there; the
 * slot of each is refilled from the calls ready as soon as it is
 * judged (it may have stopped them: the budget).  The reboot calls'
 * answers that arrived together are committed together, after.
 */
static void
ens_judge_ready(struct ens_client *c, struct ens_run *r, struct ens_job *j,
    struct http_response *h)
{
	do {
		if (j->run != r) {
			ens_stash(c, j, h);
			continue;
		}
		ens_ended(c, j, h);
		http_response_clear(h);
		r->judged = 1;
		ens_send_ready(c, r);
	} while ((j = http_wait(c->http, 0, h)) != NULL);
}

/*
 * Run jobs[0..n) with at most parallel in flight, starting each as
 * soon as a slot, its backoff and the rate allow (all reads, or all
 * reboot calls, whose pipe commits the caller's journal).  Hooks may
 * run other ens calls on the same client: what ends for the outer run
 * meanwhile is kept for it.
 */
static void
ens_run(struct ens_client *c, struct ens_job **jobs, size_t n,
    size_t parallel, const struct ens_pipe *pipe)
{
	struct http_response	 h;
	struct ens_run		 r;
	struct ens_job		*j;
	size_t			 i;
	int			 more;

	memset(&r, 0, sizeof(r));
	r.jobs = jobs;
	r.n = n;
	r.parallel = parallel == 0 ? 1 : parallel;
	r.reads = n > 0 && jobs[0]->readonly;
	r.pipe = pipe != NULL ? pipe : &ens_no_pipe;
	r.ahead = r.pipe->commit != NULL ? r.parallel : 0;
	r.go = xcalloc(r.parallel + r.ahead, sizeof(*r.go));
	r.ready = xcalloc(r.parallel + r.ahead, sizeof(*r.ready));
	ens_renew(c);
	for (i = 0; i < n; i++) {
		jobs[i]->state = ENS_JOB_WAITING;
		jobs[i]->ready = 0;
		jobs[i]->sent = 0;
		jobs[i]->begun = 0;
		jobs[i]->run = &r;
		jobs[i]->stashed = 0;
	}
	for (;;) {
		/* Reads: one answer parsed, then the slots refilled. */
		more = c->stashed > 0 && ens_unstash(c, &r, r.reads);
		ens_fill(c, &r);
		if (ens_halted(c, r.reads) && http_active(c->http) == 0) {
			/* Answers kept meanwhile are judged, not dropped. */
			if (c->stashed > 0)
				(void)ens_unstash(c, &r, 0);
			/* What waits to be sent (again) ends as it stands. */
			ens_unsend_ready(c, &r);
			for (i = r.first; i < n; i++) {
				if (jobs[i]->state == ENS_JOB_WAITING &&
				    (jobs[i]->begun || jobs[i]->readonly))
					(void)jobs[i]->final(c, jobs[i], NULL);
				jobs[i]->state = ENS_JOB_DONE;
			}
			break;
		}
		while (r.first < n && jobs[r.first]->state == ENS_JOB_DONE)
			r.first++;
		if (r.first == n)
			break;
		if ((j = ens_wait(c, more ? 0 : r.wake == INT64_MAX ?
		    ENS_IDLE_MS : r.wake - timefmt_mono(), &h)) == NULL)
			continue;
		if (j->run != &r) {
			ens_stash(c, j, &h);
			continue;
		}
		/*
		 * Reads: every slot that has an answer is refilled before
		 * the answers are parsed (at the top, from the stash), so
		 * that parsing overlaps the reads in flight; with one slot,
		 * reads stay in order, page after page.  Reboot calls'
		 * answers are judged first: they may stop the calls not
		 * yet started (the budget).
		 */
		if (j->readonly && r.parallel > 1) {
			ens_stash(c, j, &h);
			while ((j = http_wait(c->http, 0, &h)) != NULL)
				ens_stash(c, j, &h);
			ens_fill(c, &r);
			continue;
		}
		ens_judge_ready(c, &r, j, &h);
	}
	/* The last answers' records (a failure stops the caller anyway). */
	if (r.pipe->commit != NULL)
		(void)r.pipe->commit(r.pipe->arg);
	for (i = 0; i < n; i++)
		ens_unsign(jobs[i]);	/* signed ahead, never sent: none */
	free(r.go);
	free(r.ready);
}

/* ------------------------------------------------------------------ */
/* BatchEventRebootInstance. */

/* EventInfos: ONE query parameter holding a compact JSON array. */
static char *
ens_event_infos(const struct ens_item *items, size_t n)
{
	json_t	*arr, *o;
	char	*s;
	size_t	 i;

	arr = json_array();
	for (i = 0; i < n; i++) {
		o = json_object();
		json_object_set_new(o, "EventId", json_string(items[i].event));
		json_object_set_new(o, "OpsType", json_string(
		    items[i].scheduled ? "scheduled" : "immediate"));
		if (items[i].scheduled)
			json_object_set_new(o, "PlanTime",
			    json_integer(items[i].plan_time));
		json_object_set_new(o, "ResourceId",
		    json_string(items[i].resource));
		json_array_append_new(arr, o);
	}
	if ((s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		fatal("cannot serialise EventInfos");
	json_decref(arr);
	return (s);
}

/* Whether v is exactly the string s. */
static int
ens_json_is(json_t *v, const char *s)
{
	return (json_is_string(v) && json_string_length(v) == strlen(s) &&
	    memcmp(json_string_value(v), s, strlen(s)) == 0);
}

TESTABLE enum ens_item_state
ens_judge_item(json_t *it, const struct ens_item *item, int *code)
{
	json_t		*v = json_object_get(it, "Code");
	json_int_t	 n;

	*code = -1;
	/* Only the exact ids we asked about answer for this item. */
	if (!json_is_object(it) ||
	    !ens_json_is(json_object_get(it, "EventId"), item->event) ||
	    !ens_json_is(json_object_get(it, "ResourceId"), item->resource) ||
	    !json_is_integer(v))
		return (ENS_ITEM_UNKNOWN);
	n = json_integer_value(v);
	if (n == 200) {
		*code = 200;
		return (ENS_ITEM_ACCEPTED);
	}
	/* A client error refuses; anything else may have been done. */
	if (n >= 400 && n <= 499) {
		*code = (int)n;
		return (ENS_ITEM_REFUSED);
	}
	return (ENS_ITEM_UNKNOWN);
}

/* The Code as it came, for messages: "200", "\"200\"", "(none)". */
static char *
ens_code_text(json_t *v, const struct creds *cr)
{
	char	*dump, *s;

	if (v == NULL)
		return (xstrdup("(none)"));
	if (json_is_string(v))
		return (ens_sanitize(json_string_value(v), cr));
	/* What json_dumps makes of an integer, without its machinery. */
	if (json_is_integer(v))
		return (xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)));
	if ((dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL)
		return (xstrdup("(unprintable)"));
	s = ens_sanitize(dump, cr);
	free(dump);
	return (s);
}

static int
ens_parse_reboot_as(const struct creds *cr, const char *body, size_t len,
    const struct ens_item *items, size_t n, struct ens_reply *r)
{
	json_t			*root, *results, *it;
	json_error_t		 err;
	struct ens_item_result	*res;
	size_t			 i, k, *named = NULL;
	int			 rc = -1;

	r->results = xcalloc(n + 1, sizeof(*r->results));
	r->nresults = n;
	for (k = 0; k < n; k++)
		r->results[k].code = -1;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		ens_set(&r->message, xstrdup("the answer is not a JSON "
		    "object"));
		goto out;
	}
	ens_set(&r->request_id, ens_member(root, "RequestId", cr));
	results = json_object_get(root, "Results");
	if (!json_is_array(results)) {
		ens_set(&r->message, xstrdup("the answer has no Results"));
		goto out;
	}
	named = xcalloc(n + 1, sizeof(*named));
	/* Match by EventId, not by position. */
	json_array_foreach(results, i, it) {
		for (k = 0; k < n; k++) {
			if (ens_json_is(json_object_get(it, "EventId"),
			    items[k].event))
				break;
		}
		if (k == n)
			continue;
		res = &r->results[k];
		/* Named twice: which one is true?  Neither, for us. */
		if (named[k]++ > 0) {
			res->state = ENS_ITEM_UNKNOWN;
			res->found = 0;
			res->code = -1;
			continue;
		}
		res->state = ens_judge_item(it, &items[k], &res->code);
		res->found = res->state != ENS_ITEM_UNKNOWN;
		res->code_text = ens_code_text(json_object_get(it, "Code"),
		    cr);
		res->message = ens_member(it, "Message", cr);
		if (res->message == NULL)
			res->message = xstrdup("");
	}
	rc = 0;
out:
	free(named);
	json_decref(root);
	return (rc);
}

int
ens_parse_reboot(const char *body, size_t len, const struct ens_item *items,
    size_t n, struct ens_reply *r)
{
	return (ens_parse_reboot_as(NULL, body, len, items, n, r));
}

/* A reboot call of a pipeline, as a job of the engine. */
struct ens_reboot {
	struct ens_job		  job;
	struct ens_call		 *call;
	char			 *infos;
	const struct ens_pipe	 *pipe;
};

/* The caller journals the call; then its EventInfos are made. */
static int
ens_reboot_start(struct ens_job *j)
{
	struct ens_reboot	*rb = j->arg;

	if (rb->pipe->start != NULL &&
	    rb->pipe->start(rb->pipe->arg, rb->call) != 0)
		return (-1);
	rb->infos = ens_event_infos(rb->call->items, rb->call->n);
	j->params[0].value = rb->infos;
	return (0);
}

/*
 * Settle the reply from the final attempt: parse the results of an OK
 * answer (an unreadable one makes the outcome unknown), make sure
 * results has an entry per item, and hand the call over.
 */
static enum ens_next
ens_reboot_final(struct ens_client *c, struct ens_job *j,
    struct http_response *h)
{
	struct ens_reboot	*rb = j->arg;
	struct ens_reply	*r = &rb->call->reply;

	if (h != NULL && r->outcome == ENS_OK && ens_parse_reboot_as(
	    c->cfg.creds, h->body, h->len, rb->call->items, rb->call->n,
	    r) != 0) {
		r->outcome = ENS_UNKNOWN;
		ens_set(&r->code, xstrdup("BadAnswer"));
	}
	if (r->results == NULL) {
		r->results = xcalloc(rb->call->n + 1, sizeof(*r->results));
		r->nresults = rb->call->n;
	}
	if (rb->pipe->done != NULL)
		rb->pipe->done(rb->pipe->arg, rb->call);
	return (ENS_NEXT_DONE);
}

void
ens_batch_reboot_many(struct ens_client *c, struct ens_call *calls,
    size_t n, size_t parallel, const struct ens_pipe *pipe)
{
	struct ens_reboot	*rb;
	struct ens_job		**jobs;
	size_t			 i;

	if (pipe == NULL)
		pipe = &ens_no_pipe;
	rb = xcalloc(n + 1, sizeof(*rb));
	jobs = xcalloc(n + 1, sizeof(*jobs));
	for (i = 0; i < n; i++) {
		memset(&calls[i].reply, 0, sizeof(calls[i].reply));
		rb[i].call = &calls[i];
		rb[i].pipe = pipe;
		rb[i].job.action = "BatchEventRebootInstance";
		rb[i].job.params[0].key = "EventInfos";
		rb[i].job.nparams = 1;
		rb[i].job.reply = &calls[i].reply;
		rb[i].job.start = ens_reboot_start;
		rb[i].job.final = ens_reboot_final;
		rb[i].job.arg = &rb[i];
		jobs[i] = &rb[i].job;
	}
	ens_run(c, jobs, n, parallel, pipe);
	for (i = 0; i < n; i++)
		free(rb[i].infos);
	free(jobs);
	free(rb);
}

/* Hands a single call's reply to the caller of ens_batch_reboot. */
static void
ens_reboot_one_done(void *arg, struct ens_call *call)
{
	*(struct ens_reply *)arg = call->reply;
	memset(&call->reply, 0, sizeof(call->reply));
}

void
ens_batch_reboot(struct ens_client *c, const struct ens_item *items,
    size_t n, struct ens_reply *r)
{
	struct ens_pipe	pipe = { NULL, NULL, NULL, ens_reboot_one_done, r };
	struct ens_call	call;

	memset(r, 0, sizeof(*r));
	memset(&call, 0, sizeof(call));
	call.items = items;
	call.n = n;
	ens_batch_reboot_many(c, &call, 1, 1, &pipe);
	/* Stopped before it was sent: say so, with a result per item. */
	if (r->results == NULL) {
		r->outcome = ENS_NOT_SENT;
		r->code = xstrdup("Interrupted");
		r->message = xstrdup("interrupted before sending");
		r->results = xcalloc(n + 1, sizeof(*r->results));
		r->nresults = n;
	}
}

/* ------------------------------------------------------------------ */
/* Paged reads: DescribeHistoryEvents, DescribeInstances. */

/* What a paged read asks and how it reads a page. */
struct ens_pager {
	const char	*action;
	const char	*key;		/* the chunk's parameter, or NULL */
	const char	*types;		/* EventTypes, or NULL */
	const char	*page_size;
	size_t		 size;		/* of an entry; its id comes first */
	/* Append one page to *(T **)list of *n entries; -1 with *cause. */
	int		(*parse)(const struct creds *, const char *, size_t,
			    void *, size_t *, int64_t *, char **);
	/* Free n entries and the array. */
	void		(*free_entries)(void *, size_t);
	/* Ids a chunk holds (of nitems); progress(arg, done, nitems). */
	size_t		 chunk;
	size_t		 nitems;
	void		(*progress)(void *, size_t, size_t);
	void		*progress_arg;
};

/* One chunk of a read: every page of it, as one job of the engine. */
struct ens_read {
	struct ens_job		 job;
	const struct ens_pager	*pg;
	struct ens_reply	 reply;
	char			*value;		/* the chunk's parameter */
	char			 page[32];
	int			 pageno;
	void			*list;		/* T *, of n entries */
	size_t			 n;
	size_t			 first;		/* of the last page */
	int64_t			 total;
	int			 tries;		/* garbled answers */
	int64_t			 begun;		/* first page read, ms */
	int			 failed;
	size_t			 items;		/* ids in the chunk */
	size_t			*done;		/* ids of chunks read */
};

/* The id of entry i read so far (every entry starts with its id). */
static const char *
ens_read_id(const struct ens_read *rd, size_t i)
{
	return (*(char *const *)(void *)((const char *)rd->list +
	    i * rd->pg->size));
}

/* Set the parameters of the current page. */
static void
ens_read_params(struct ens_read *rd)
{
	struct ens_job	*j = &rd->job;

	j->nparams = 0;
	if (rd->pg->types != NULL) {
		j->params[j->nparams].key = "EventTypes";
		j->params[j->nparams++].value = rd->pg->types;
	}
	if (rd->value != NULL) {
		j->params[j->nparams].key = rd->pg->key;
		j->params[j->nparams++].value = rd->value;
	}
	snprintf(rd->page, sizeof(rd->page), "%d", rd->pageno);
	j->params[j->nparams].key = "PageNumber";
	j->params[j->nparams++].value = rd->page;
	j->params[j->nparams].key = "PageSize";
	j->params[j->nparams++].value = rd->pg->page_size;
}

/* End a chunk's read with an error of our own. */
static enum ens_next
ens_read_fail(struct ens_read *rd, enum ens_outcome outcome,
    const char *code, char *message)
{
	rd->reply.outcome = outcome;
	ens_set(&rd->reply.code, xstrdup(code));
	ens_set(&rd->reply.message, message);
	rd->failed = 1;
	return (ENS_NEXT_DONE);
}

/*
 * A page's answer is final.  A garbled page is read again (a read may
 * be repeated); the read ends at an empty page, at TotalCount, when
 * the server repeats its first page (it ignores PageNumber), or with
 * an error when paging outlasts the deadline (TotalCount that keeps
 * growing) or MAX_PAGES.
 */
static enum ens_next
ens_read_final(struct ens_client *c, struct ens_job *j,
    struct http_response *h)
{
	struct ens_read	*rd = j->arg;
	size_t		 before = rd->n;
	char		*cause = NULL;

	if (h == NULL)
		return (ens_read_fail(rd, ENS_NOT_SENT, "Interrupted",
		    xstrdup("interrupted before every page was read")));
	if (rd->reply.outcome != ENS_OK) {
		rd->failed = 1;
		return (ENS_NEXT_DONE);
	}
	if (rd->pg->parse(c->cfg.creds, h->body, h->len, &rd->list, &rd->n,
	    &rd->total, &cause) != 0) {
		if (rd->tries++ >= c->cfg.retries || ens_stopping(c))
			return (ens_read_fail(rd, ENS_UNKNOWN, "BadAnswer",
			    cause));
		free(cause);
		return (ENS_NEXT_LATER);
	}
	rd->tries = 0;
	/* The deadline is the chunk's own: others may wait for a slot. */
	if (rd->pageno == 1)
		rd->begun = timefmt_mono();
	/* A server that ignores PageNumber repeats its first page. */
	if (rd->n == before || (int64_t)rd->n >= rd->total ||
	    (before > 0 && rd->n - before == before - rd->first &&
	    strcmp(ens_read_id(rd, before), ens_read_id(rd, rd->first)) ==
	    0)) {
		*rd->done += rd->items;
		if (rd->pg->progress != NULL)
			rd->pg->progress(rd->pg->progress_arg, *rd->done,
			    rd->pg->nitems);
		return (ENS_NEXT_DONE);
	}
	if (timefmt_mono() - rd->begun > c->cfg.read_deadline_ms ||
	    rd->pageno >= MAX_PAGES)
		return (ens_read_fail(rd, ENS_UNKNOWN, "PagingDeadline",
		    xasprintf("%s did not finish paging within %ld s and %d "
		    "pages (%zu read, TotalCount now %" PRId64 ")",
		    j->action, c->cfg.read_deadline_ms / 1000, MAX_PAGES,
		    rd->n, rd->total)));
	rd->first = before;
	rd->pageno++;
	ens_read_params(rd);
	ens_reply_clear(&rd->reply);
	return (ENS_NEXT_AGAIN);
}

/*
 * Read every page of every chunk (values[0..n), or one chunk without
 * the parameter when n is 0), up to the client's parallel at once.
 * On success *out has the entries in chunk order (caller frees);
 * on failure the first failed chunk's reply is in r and *out is NULL.
 */
static int
ens_read(struct ens_client *c, const struct ens_pager *pg, char **values,
    size_t n, void **out, size_t *nout, struct ens_reply *r)
{
	struct ens_read	*rd;
	struct ens_job	**jobs;
	size_t		 i, chunks = n > 0 ? n : 1, total = 0, done = 0;
	int		 rc = 0;
	char		*p;

	rd = xcalloc(chunks, sizeof(*rd));
	jobs = xcalloc(chunks, sizeof(*jobs));
	for (i = 0; i < chunks; i++) {
		rd[i].pg = pg;
		rd[i].done = &done;
		if (pg->nitems > i * pg->chunk)
			rd[i].items = pg->nitems - i * pg->chunk < pg->chunk ?
			    pg->nitems - i * pg->chunk : pg->chunk;
		rd[i].value = n > 0 ? values[i] : NULL;
		rd[i].pageno = 1;
		ens_read_params(&rd[i]);
		rd[i].job.action = pg->action;
		rd[i].job.readonly = 1;
		rd[i].job.reply = &rd[i].reply;
		rd[i].job.final = ens_read_final;
		rd[i].job.arg = &rd[i];
		jobs[i] = &rd[i].job;
	}
	ens_run(c, jobs, chunks, c->cfg.parallel, NULL);
	for (i = 0; i < chunks; i++) {
		if (rd[i].failed && rc == 0) {
			*r = rd[i].reply;
			memset(&rd[i].reply, 0, sizeof(rd[i].reply));
			rc = -1;
		}
		total += rd[i].n;
	}
	*out = NULL;
	*nout = 0;
	if (rc == 0) {
		*out = p = xcalloc(total + 1, pg->size);
		for (i = 0; i < chunks; i++) {
			if (rd[i].n > 0)
				memcpy(p, rd[i].list, rd[i].n * pg->size);
			p += rd[i].n * pg->size;
		}
		*nout = total;
	}
	for (i = 0; i < chunks; i++) {
		/* On success the entries moved to *out. */
		if (rc != 0 && rd[i].n > 0)
			pg->free_entries(rd[i].list, rd[i].n);
		else
			free(rd[i].list);
		ens_reply_clear(&rd[i].reply);
	}
	free(jobs);
	free(rd);
	return (rc);
}

void
ens_events_free(struct ens_event *ev, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(ev[i].event);
		free(ev[i].type);
		free(ev[i].status);
		free(ev[i].level);
		free(ev[i].resource);
		free(ev[i].reason);
	}
	free(ev);
}

/* A sanitised string member, or "" when absent or not a string. */
static char *
ens_member_str(json_t *o, const char *key, const struct creds *cr)
{
	char	*s = ens_member(o, key, cr);

	return (s != NULL ? s : xstrdup(""));
}

/* A time as text (RFC 3339, UTC when it has no offset); -1 if none. */
static int
ens_parse_time(const char *s, int64_t *ms)
{
	char	*cause = NULL;
	int	 rc;

	rc = timefmt_parse(s, NULL, ms, &cause);
	free(cause);
	return (rc);
}

/*
 * A millisecond time sent as a number or a numeric string; -1 if none.
 * The UTC form (NotBeforeUtcTime, "2026-12-01T10:00:00Z") counts when
 * the plain one is missing.
 */
static int64_t
ens_member_ms(json_t *o, const char *key, const char *utc_key)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;
	char		*end;
	long long	 n;
	int64_t		 ms;

	if (json_is_integer(v))
		return (json_integer_value(v));
	if ((s = json_string_value(v)) != NULL) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno == 0 && end != s && *end == '\0')
			return (n);
		if (ens_parse_time(s, &ms) == 0)
			return (ms);
	}
	if (utc_key != NULL && (s = json_string_value(json_object_get(o,
	    utc_key))) != NULL && ens_parse_time(s, &ms) == 0)
		return (ms);
	return (-1);
}

static int
ens_parse_events_as(const struct creds *cr, const char *body, size_t len,
    void *list, size_t *nevents, int64_t *total, char **cause)
{
	struct ens_event	**events = list, *e;
	json_t			 *root, *arr, *it, *tc;
	json_error_t		  err;
	size_t			  i;
	int			  rc = -1;

	*cause = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		*cause = xstrdup("the answer is not a JSON object");
		goto out;
	}
	arr = json_object_get(root, "Events");
	tc = json_object_get(root, "TotalCount");
	if (!json_is_array(arr) || !json_is_integer(tc)) {
		*cause = xstrdup("the answer lacks Events or TotalCount");
		goto out;
	}
	*total = json_integer_value(tc);
	*events = xreallocarray(*events, *nevents + json_array_size(arr) + 1,
	    sizeof(**events));
	json_array_foreach(arr, i, it) {
		if (!json_is_object(it))
			continue;
		e = &(*events)[(*nevents)++];
		e->event = ens_member_str(it, "EventId", cr);
		e->type = ens_member_str(it, "EventType", cr);
		e->status = ens_member_str(it, "EventStatus", cr);
		e->level = ens_member_str(it, "EventLevel", cr);
		e->resource = ens_member_str(it, "ResourceId", cr);
		e->reason = ens_member_str(it, "Reason", cr);
		e->not_before = ens_member_ms(it, "NotBefore",
		    "NotBeforeUtcTime");
		e->publish_time = ens_member_ms(it, "PublishTime",
		    "PublishUtcTime");
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

int
ens_parse_events(const char *body, size_t len, struct ens_event **events,
    size_t *nevents, int64_t *total, char **cause)
{
	return (ens_parse_events_as(NULL, body, len, events, nevents, total,
	    cause));
}

static void
ens_events_free_any(void *list, size_t n)
{
	ens_events_free(list, n);
}

static const struct ens_pager ens_events_pager = {
	"DescribeHistoryEvents", "ResourceIds", NULL, "50",
	sizeof(struct ens_event), ens_parse_events_as, ens_events_free_any,
	ENS_MAX_RESOURCES, 0, NULL, NULL
};

int
ens_describe_events(struct ens_client *c, const char *const *res,
    size_t nres, const char *types, struct ens_event **events,
    size_t *nevents, struct ens_reply *r)
{
	return (ens_describe_events_progress(c, res, nres, types, events,
	    nevents, r, NULL, NULL));
}

int
ens_describe_events_progress(struct ens_client *c, const char *const *res,
    size_t nres, const char *types, struct ens_event **events,
    size_t *nevents, struct ens_reply *r,
    void (*progress)(void *, size_t, size_t), void *arg)
{
	struct ens_pager	 pg = ens_events_pager;
	struct buf		 b;
	char			**values;
	size_t			 i, k, chunks;
	void			*out;
	int			 rc;

	ens_reply_clear(r);	/* callers may reuse one reply */
	pg.types = types;
	pg.nitems = nres;
	pg.progress = progress;
	pg.progress_arg = arg;
	/* No resources means every event of those types. */
	chunks = (nres + ENS_MAX_RESOURCES - 1) / ENS_MAX_RESOURCES;
	values = xcalloc(chunks + 1, sizeof(*values));
	for (i = 0; i < chunks; i++) {
		buf_init(&b);
		for (k = i * ENS_MAX_RESOURCES; k < nres &&
		    k < (i + 1) * ENS_MAX_RESOURCES; k++)
			buf_addf(&b, "%s%s", k % ENS_MAX_RESOURCES == 0 ? "" :
			    ",", res[k]);
		values[i] = buf_detach(&b);
	}
	rc = ens_read(c, &pg, values, chunks, &out, nevents, r);
	*events = out;
	for (i = 0; i < chunks; i++)
		free(values[i]);
	free(values);
	return (rc);
}

void
ens_instances_free(struct ens_instance *in, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(in[i].instance);
		free(in[i].status);
		free(in[i].name);
		free(in[i].region);
	}
	free(in);
}

static int
ens_parse_instances_as(const struct creds *cr, const char *body,
    size_t len, void *list, size_t *ninstances, int64_t *total,
    char **cause)
{
	struct ens_instance	**instances = list, *in;
	json_t			 *root, *code, *arr, *it, *tc;
	json_error_t		  err;
	size_t			  i;
	int			  rc = -1;

	*cause = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		*cause = xstrdup("the answer is not a JSON object");
		goto out;
	}
	code = json_object_get(root, "Code");
	if (!json_is_integer(code) || json_integer_value(code) != 0) {
		*cause = xstrdup("the answer's Code is not 0");
		goto out;
	}
	arr = json_object_get(json_object_get(root, "Instances"), "Instance");
	tc = json_object_get(root, "TotalCount");
	if (!json_is_array(arr) || !json_is_integer(tc) ||
	    json_integer_value(tc) < 0) {
		*cause = xstrdup("the answer lacks Instances.Instance or "
		    "TotalCount");
		goto out;
	}
	/* All or nothing: a page is read again when any entry is bad. */
	json_array_foreach(arr, i, it) {
		if (!json_is_string(json_object_get(it, "InstanceId")) ||
		    !json_is_string(json_object_get(it, "Status"))) {
			*cause = xasprintf("instance %zu of the answer lacks "
			    "InstanceId or Status", i + 1);
			goto out;
		}
	}
	*total = json_integer_value(tc);
	*instances = xreallocarray(*instances, *ninstances +
	    json_array_size(arr) + 1, sizeof(**instances));
	json_array_foreach(arr, i, it) {
		in = &(*instances)[(*ninstances)++];
		in->instance = ens_member(it, "InstanceId", cr);
		in->status = ens_member(it, "Status", cr);
		in->name = ens_member(it, "InstanceName", cr);
		in->region = ens_member(it, "EnsRegionId", cr);
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

int
ens_parse_instances(const char *body, size_t len,
    struct ens_instance **instances, size_t *ninstances, int64_t *total,
    char **cause)
{
	return (ens_parse_instances_as(NULL, body, len, instances,
	    ninstances, total, cause));
}

static void
ens_instances_free_any(void *list, size_t n)
{
	ens_instances_free(list, n);
}

static const struct ens_pager ens_instances_pager = {
	"DescribeInstances", "InstanceIds", NULL, "100",
	sizeof(struct ens_instance), ens_parse_instances_as,
	ens_instances_free_any, ENS_MAX_INSTANCES, 0, NULL, NULL
};

/* InstanceIds: ONE parameter holding a compact JSON array of strings. */
static char *
ens_instance_ids(const char *const *ids, size_t n)
{
	json_t	*arr;
	char	*s;
	size_t	 i;

	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	if ((s = json_dumps(arr, JSON_COMPACT)) == NULL)
		fatal("cannot serialise InstanceIds");
	json_decref(arr);
	return (s);
}

int
ens_describe_instances(struct ens_client *c, const char *const *ids,
    size_t n, struct ens_instance **instances, size_t *ninstances,
    struct ens_reply *r)
{
	char	**values;
	size_t	  i, chunk, chunks;
	void	 *out;
	int	  rc = 0;

	ens_reply_clear(r);
	*instances = NULL;
	*ninstances = 0;
	/* An empty InstanceIds matches nothing: there is nothing to ask. */
	if (n == 0)
		return (0);
	chunks = (n + ENS_MAX_INSTANCES - 1) / ENS_MAX_INSTANCES;
	values = xcalloc(chunks + 1, sizeof(*values));
	for (i = 0; i < chunks; i++) {
		chunk = n - i * ENS_MAX_INSTANCES < ENS_MAX_INSTANCES ?
		    n - i * ENS_MAX_INSTANCES : ENS_MAX_INSTANCES;
		values[i] = ens_instance_ids(ids + i * ENS_MAX_INSTANCES,
		    chunk);
	}
	rc = ens_read(c, &ens_instances_pager, values, chunks, &out,
	    ninstances, r);
	*instances = out;
	for (i = 0; i < chunks; i++)
		free(values[i]);
	free(values);
	return (rc);
}
