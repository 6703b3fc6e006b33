/*
 * The HTTP(S) side of the simulator (libmicrohttpd, one thread per
 * connection so that --latency delays only its own client): collects a
 * request, checks its signature, runs the nonce check, faults and the
 * action with the simulator locked, writes the log lines, and answers
 * with a JSON body as the ENS endpoint does, or spoils the answer
 * (--drop, --corrupt).  The lock is held for the fleet only: JSON text,
 * signatures and the log's writes happen outside it, and waiting out
 * --latency takes a lock of its own, so that an answer leaves on time
 * whatever the other connections do.
 */
#include "config.h"

#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "ensbatch/buf.h"
#include "ensbatch/sign.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#include "sim.h"

/*
 * Room for a request line and headers: above SIM_MAX_URL so that a
 * long URL reaches us and gets a JSON 414 rather than libmicrohttpd's
 * own page.
 */
#define CONNECTION_MEMORY	(256 * 1024)
#define CONNECTION_TIMEOUT	60	/* seconds of idle keep-alive */
#define CORRUPT_HTML		"<html>upstream error</html>"
#define TICK_MS			50	/* how often transitions apply */

/*
 * TLS session tickets.  libmicrohttpd offers no option for them, but
 * it tells when a connection starts, before its handshake: then the
 * session gets the server's ticket key, so that a client may resume
 * (a full handshake once, resumed ones after).  The simulator does not
 * link GnuTLS itself: the three functions are those of the GnuTLS that
 * libmicrohttpd loaded, looked up when the server starts; without them
 * every handshake is a full one, as before.
 */
struct sim_tls {
	int	(*key_generate)(gnutls_datum_t *);
	int	(*enable_server)(gnutls_session_t, const gnutls_datum_t *);
	int	(*is_resumed)(gnutls_session_t);
	gnutls_free_function *free_fn;	/* the variable gnutls_free */
	gnutls_datum_t key;
	int	 tickets;		/* the key is set */
};

/* One TLS connection: whether its handshake has been logged. */
struct sim_tls_conn {
	int	logged;
};

struct sim_server {
	struct sim		*sim;
	struct MHD_Daemon	*daemon;
	atomic_int		 log_errors;	/* libmicrohttpd's messages */
	struct sim_tls		 tls;
	uint64_t		 rid_key[2];	/* random, for RequestIds */
	atomic_uint_fast64_t	 rid_next;
};

/* A status change noted with the simulator locked, logged after. */
struct log_change {
	const struct sim_event	*ev;
	int64_t			 time;
	enum sim_status		 st;
	enum sim_istatus	 ist;
};

/*
 * The log lines of one request or one tick: noted with the simulator
 * locked, with a ticket that fixes their place in the log, then turned
 * into text and written without that lock (log_batch_write).
 */
struct log_batch {
	struct log_change	*changes;
	size_t			 nchanges;
	size_t			 cap;
	size_t			 before;	/* logged before the request */
	int			 ticketed;
	uint64_t		 ticket;
};

/* One request's state across calls of the access handler. */
struct conn_req {
	char		*uri;		/* raw: path and encoded query */
	int		 started;
	struct buf	 body;
	int		 body_too_large;
};

/* The names of the faults in the log, by enum sim_fault. */
static const char *const fault_names[SIM_FAULT_COUNT] = {
	"throttle", "fail", "drop", "corrupt", "lose"
};

/* How a --corrupt answer is spoiled. */
enum corrupt_kind {
	CORRUPT_HTML_BODY,	/* not JSON at all */
	CORRUPT_NO_RESULTS	/* JSON with only a RequestId */
};

/* ------------------------------------------------------------ params */

const char *
params_get(const struct sim_params *p, const char *key)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0)
			return (p->v[i].value);
	}
	return (NULL);
}

static void
params_add(struct sim_params *p, char *key, char *value)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	p->v[p->n].key = key;
	p->v[p->n].value = value;
	p->n++;
}

int
params_parse(struct sim_params *p, const char *text, size_t len)
{
	const char	*s = text, *end = text + len, *amp, *eq;
	char		*key, *value;

	while (s < end) {
		if ((amp = memchr(s, '&', (size_t)(end - s))) == NULL)
			amp = end;
		if (amp > s) {
			eq = memchr(s, '=', (size_t)(amp - s));
			key = sign_decode(s, (size_t)((eq == NULL ? amp : eq) -
			    s), 1);
			value = eq == NULL ? xstrdup("") :
			    sign_decode(eq + 1, (size_t)(amp - eq - 1), 1);
			if (key == NULL || value == NULL) {
				free(key);
				free(value);
				return (-1);
			}
			params_add(p, key, value);
		}
		s = amp + 1;
	}
	return (0);
}

void
params_free(struct sim_params *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* ------------------------------------------------------------- JSON */

/* A JSON string of s, with bytes that are not UTF-8 replaced by '?'. */
static json_t *
jstring_lossy(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return (json_null());
	if ((j = json_string(s)) != NULL)
		return (j);
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return (j == NULL ? json_null() : j);
}

static void
jset(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		v = json_null();
	if (json_object_set_new(o, key, v) != 0)
		fatal("out of memory building JSON");
}

/* The RequestIds' key: 128 random bits from sign_nonce's hex. */
static void
request_id_setup(struct sim_server *srv)
{
	char		*hex;
	size_t		 i;
	unsigned int	 d;

	hex = sign_nonce();
	for (i = 0; i < 32 && hex[i] != '\0'; i++) {
		d = hex[i] >= 'a' ? (unsigned int)(hex[i] - 'a' + 10) :
		    hex[i] >= 'A' ? (unsigned int)(hex[i] - 'A' + 10) :
		    (unsigned int)(hex[i] - '0');
		srv->rid_key[i / 16] = srv->rid_key[i / 16] << 4 | (d & 0xf);
	}
	free(hex);
	atomic_init(&srv->rid_next, 0);
}

/*
 * "8-4-4-4-12" upper-case hex, like the RequestIds of the real API:
 * the n-th is splitmix64 of the key plus n steps, twice, a bijection of
 * n in its first 64 bits, so no two are the same.  Cheap enough for
 * every request (a random draw per connection thread is not: it seeds
 * a generator in each new thread).
 */
static char *
request_id_new(struct sim_server *srv)
{
	uint64_t	n, a, b;

	n = atomic_fetch_add(&srv->rid_next, 1);
	a = srv->rid_key[0] + n * 0x9e3779b97f4a7c15ULL;
	b = srv->rid_key[1] + n * 0x9e3779b97f4a7c15ULL;
	a = sim_rand(&a);
	b = sim_rand(&b);
	return (xasprintf("%08X-%04X-%04X-%04X-%012llX",
	    (unsigned int)(a >> 32), (unsigned int)(a >> 16 & 0xffff),
	    (unsigned int)(a & 0xffff), (unsigned int)(b >> 48),
	    (unsigned long long)(b & 0xffffffffffffULL)));
}

/* The response body (caller frees). */
static char *
render(const struct sim_reply *r, const char *request_id)
{
	json_t	*o;
	char	*text, *code;

	if ((o = json_object()) == NULL)
		fatal("out of memory building JSON");
	jset(o, "RequestId", json_string(request_id));
	if (r->body != NULL) {
		if (json_object_update(o, r->body) != 0)
			fatal("out of memory building JSON");
	} else {
		code = sign_encode(r->code);
		jset(o, "HostId", json_string(SIM_HOST_ID));
		jset(o, "Code", jstring_lossy(r->code));
		jset(o, "Message", jstring_lossy(r->message));
		jset(o, "Recommend", json_sprintf("https://api.aliyun.com/"
		    "troubleshoot?q=%s", code));
		free(code);
	}
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatal("out of memory writing JSON");
	json_decref(o);
	return (text);
}

/* ------------------------------------------------------ processing */

/*
 * Draw the fault kinds first to last - 1 for this request, each one
 * whatever the others decide; the first that hits wins.  *scaled is
 * the winner's number divided by its probability, uniform in [0, 1),
 * for a further choice that costs no draw.  Locked.
 */
static enum sim_fault
draw_faults(struct sim *s, int first, int last, double *scaled)
{
	enum sim_fault	hit = SIM_FAULT_NONE;
	double		u;
	int		i;

	*scaled = 0;
	for (i = first; i < last; i++) {
		u = sim_rand_unit(&s->fault_rng);
		if (hit == SIM_FAULT_NONE && u < s->fault_p[i]) {
			hit = (enum sim_fault)i;
			*scaled = u / s->fault_p[i];
		}
	}
	return (hit);
}

/*
 * After auth_verify: record the nonce, route, maybe throttle, fail or
 * lose, run the action (call, as api_prepare read it: not NULL when auth
 * passed and the action is known), then maybe drop or corrupt its
 * answer (respond() does that; *corrupt says how).  Nothing if
 * auth_verify failed (its error is in r).  Locked.
 */
static void
process(struct sim *s, const struct api_call *call, int64_t now,
    struct sim_auth *auth, struct sim_reply *r, enum sim_fault *fault,
    enum corrupt_kind *corrupt)
{
	enum sim_fault	after;
	double		scaled;

	*fault = SIM_FAULT_NONE;
	*corrupt = CORRUPT_HTML_BODY;
	if (auth->nonce == NULL || auth_use_nonce(s, auth, now, r) != 0)
		return;
	if (auth->version == NULL || strcmp(auth->version,
	    SIM_API_VERSION) != 0) {
		reply_error(r, 400, "InvalidVersion", "Specified parameter "
		    "Version is not valid: the ENS API version is "
		    SIM_API_VERSION ".");
		return;
	}
	if (auth->action == NULL || !api_known(auth->action)) {
		reply_error(r, 400, "InvalidAction.NotFound", "Specified api "
		    "is not found, please check your url and method.");
		return;
	}
	*fault = draw_faults(s, SIM_FAULT_THROTTLE, SIM_FAULT_DROP, &scaled);
	/* Not drawn at all without --lose, so that older seeds stay. */
	if (s->fault_p[SIM_FAULT_LOSE] > 0 && draw_faults(s, SIM_FAULT_LOSE,
	    SIM_FAULT_LOSE + 1, &scaled) == SIM_FAULT_LOSE &&
	    *fault == SIM_FAULT_NONE)
		*fault = SIM_FAULT_LOSE;
	switch (*fault) {
	case SIM_FAULT_THROTTLE:
		reply_error(r, 400, "Throttling.User", "Request was denied "
		    "due to user flow control.");
		break;
	case SIM_FAULT_FAIL:
		reply_error(r, 503, "ServiceUnavailable", "The request has "
		    "failed due to a temporary failure of the server.");
		break;
	case SIM_FAULT_LOSE:
		break;		/* the action does not run */
	default:
		api_dispatch(s, call, now, r);
		break;
	}

	/* Drawn even after a throttle or fail, to keep the stream fixed. */
	after = draw_faults(s, SIM_FAULT_DROP, SIM_FAULT_CORRUPT + 1, &scaled);
	if (*fault != SIM_FAULT_NONE)
		return;
	*fault = after;
	/*
	 * A JSON answer without Results is unusable only for the batch
	 * action: it is EventRebootInstance's success body.
	 */
	if (after == SIM_FAULT_CORRUPT && scaled < 0.5 &&
	    strcmp(auth->action, "BatchEventRebootInstance") == 0)
		*corrupt = CORRUPT_NO_RESULTS;
}

/* Add o as one line of text to b, and free it. */
static void
log_line(struct buf *b, json_t *o)
{
	char	*text;

	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatal("out of memory writing JSON");
	buf_adds(b, text);
	buf_addc(b, '\n');
	free(text);
	json_decref(o);
}

/*
 * The JSON line for a request.  handshake is "full" or "resumed" for
 * the first request of a TLS connection, else NULL.  Not locked: all of
 * it belongs to the request.
 */
static json_t *
log_request(uint64_t seq, int64_t now, const struct sim_request *req,
    const struct sim_auth *auth, const struct sim_reply *r,
    enum sim_fault fault, const char *request_id, const char *handshake)
{
	static const char *const sig_names[] = { NULL, "v3", "v1" };
	json_t		*o;
	const char	*action = auth->action;

	if (action == NULL && req->header != NULL &&
	    (action = req->header(req->header_arg, "x-acs-action")) == NULL)
		action = params_get(&req->all, "Action");
	if ((o = json_object()) == NULL)
		fatal("out of memory building JSON");
	jset(o, "type", json_string("request"));
	jset(o, "seq", json_integer((json_int_t)seq));
	jset(o, "time", json_integer(now));
	jset(o, "remote", jstring_lossy(req->remote));
	jset(o, "method", jstring_lossy(req->method));
	jset(o, "action", jstring_lossy(action));
	jset(o, "signature", sig_names[auth->sig] == NULL ? json_null() :
	    json_string(sig_names[auth->sig]));
	jset(o, "access_key_id", jstring_lossy(auth->access_key_id));
	jset(o, "http_status", json_integer(r->status));
	jset(o, "code", r->body != NULL ? json_null() :
	    jstring_lossy(r->code));
	jset(o, "request_id", json_string(request_id));
	jset(o, "fault", fault == SIM_FAULT_NONE ? json_null() :
	    json_string(fault_names[fault]));
	jset(o, "items", r->items != NULL ? json_incref(r->items) :
	    json_array());
	jset(o, "handshake", handshake != NULL ? json_string(handshake) :
	    json_null());
	return (o);
}

/* The JSON line for a status change.  Not locked (c is a copy). */
static json_t *
log_change_json(const struct log_change *c)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		fatal("out of memory building JSON");
	jset(o, "type", json_string("transition"));
	jset(o, "time", json_integer(c->time));
	jset(o, "event", json_string(c->ev->id));
	jset(o, "resource", json_string(c->ev->resource));
	jset(o, "status", json_string(fleet_status_name(c->st)));
	jset(o, "instance_status", json_string(fleet_istatus_name(c->ist)));
	jset(o, "visible", json_integer(c->time + c->ev->lag_ms));
	return (o);
}

/*
 * fleet_advance's callback: note a status change in the batch, so the
 * log has requests and transitions in time order.  Locked.
 */
static void
log_transition(void *arg, const struct sim_event *ev,
    const struct sim_instance *in, int64_t t, enum sim_status st,
    enum sim_istatus ist)
{
	struct log_batch	*b = arg;
	struct log_change	*c;

	(void)in;
	if (b->nchanges == b->cap) {
		b->cap = b->cap == 0 ? 32 : b->cap * 2;
		b->changes = xreallocarray(b->changes, b->cap,
		    sizeof *b->changes);
	}
	c = &b->changes[b->nchanges++];
	c->ev = ev;
	c->time = t;
	c->st = st;
	c->ist = ist;
}

/* The transition callback for fleet_advance: none without a log. */
static fleet_transition_fn
log_transition_fn(const struct sim *s)
{
	return (s->log != NULL ? log_transition : NULL);
}

/* Give b its place in the log (with a log).  Locked. */
static void
log_ticket(struct sim *s, struct log_batch *b)
{
	if (s->log == NULL)
		return;
	b->ticket = s->log_tickets++;
	b->ticketed = 1;
}

/*
 * Write b's lines, with request (if not NULL) after b->before changes,
 * at b's turn: after every batch of an earlier ticket, so the log is in
 * the order of the lock whatever the order of the writes.  One flushed
 * write per batch.  Frees request and b's changes.  Not locked: every
 * ticket is written without waiting for anything but earlier tickets.
 */
static void
log_batch_write(struct sim *s, struct log_batch *b, json_t *request)
{
	struct buf	text;
	size_t		i;

	if (b->ticketed) {
		buf_init(&text);
		for (i = 0; i < b->nchanges; i++) {
			if (i == b->before && request != NULL)
				log_line(&text, request);
			log_line(&text, log_change_json(&b->changes[i]));
		}
		if (b->nchanges <= b->before && request != NULL)
			log_line(&text, request);
		request = NULL;
		if (pthread_mutex_lock(&s->log_lock) != 0)
			fatal("cannot lock the log");
		while (s->log_written != b->ticket) {
			if (pthread_cond_wait(&s->log_turn, &s->log_lock) != 0)
				fatal("cannot wait for the log");
		}
		if (text.len > 0)
			fwrite(text.data, 1, text.len, s->log);
		fflush(s->log);
		s->log_written++;
		pthread_cond_broadcast(&s->log_turn);
		if (pthread_mutex_unlock(&s->log_lock) != 0)
			fatal("cannot unlock the log");
		buf_free(&text);
	}
	json_decref(request);
	free(b->changes);
	memset(b, 0, sizeof *b);
}

int64_t
sim_now(const struct sim *s)
{
	return (timefmt_now() + s->clock_skew_ms);
}

/* ------------------------------------------------- libmicrohttpd glue */

static const char *
conn_header(void *arg, const char *name)
{
	return (MHD_lookup_connection_value(arg, MHD_HEADER_KIND, name));
}

static void
remote_address(struct MHD_Connection *c, char *host, size_t len)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;
	socklen_t			 salen;

	snprintf(host, len, "unknown");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, host, (socklen_t)len, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(host, len, "unknown");
}

void
sim_init_lock(struct sim *s)
{
	pthread_condattr_t	attr;

	if (pthread_mutex_init(&s->lock, NULL) != 0 ||
	    pthread_mutex_init(&s->stop_lock, NULL) != 0 ||
	    pthread_mutex_init(&s->log_lock, NULL) != 0 ||
	    pthread_cond_init(&s->log_turn, NULL) != 0 ||
	    pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->wake, &attr) != 0)
		fatal("cannot create the simulator's lock");
	pthread_condattr_destroy(&attr);
}

void
sim_destroy_lock(struct sim *s)
{
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->log_turn);
	pthread_mutex_destroy(&s->log_lock);
	pthread_mutex_destroy(&s->stop_lock);
	pthread_mutex_destroy(&s->lock);
}

/* The monotonic time ms after from (NULL: now). */
static void
deadline_after(const struct timespec *from, int64_t ms,
    struct timespec *deadline)
{
	if (from != NULL)
		*deadline = *from;
	else
		clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += (time_t)(ms / 1000);
	deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/*
 * Wait until deadline or until stopping is set (at once if it is): 1 if
 * stopping.  Takes stop_lock only, which nobody holds for long, so the
 * wait ends on time however busy the fleet is.
 */
static int
wait_until(struct sim *s, const struct timespec *deadline)
{
	int	rc, stopping;

	if (pthread_mutex_lock(&s->stop_lock) != 0)
		fatal("cannot lock the simulator");
	while (!s->stopping) {
		rc = pthread_cond_timedwait(&s->wake, &s->stop_lock,
		    deadline);
		if (rc == ETIMEDOUT)
			break;
		if (rc != 0 && rc != EINTR)
			fatal("cannot wait: %s", strerror(rc));
	}
	stopping = s->stopping;
	if (pthread_mutex_unlock(&s->stop_lock) != 0)
		fatal("cannot unlock the simulator");
	return (stopping);
}

/*
 * Wait out --latency from the request's arrival (the time the simulator
 * spent on it is part of the latency), or less if it is stopping.
 */
static void
latency_wait(struct sim *s, const struct timespec *arrived)
{
	struct timespec	deadline;

	deadline_after(arrived, s->latency_ms, &deadline);
	(void)wait_until(s, &deadline);
}

/*
 * The ticker thread: applies the fleet's status changes as their time
 * comes, every TICK_MS, so the log shows them when they happen even
 * without requests.
 */
static void *
ticker_main(void *arg)
{
	struct sim		*s = arg;
	struct log_batch	 b;
	struct timespec		 deadline;

	memset(&b, 0, sizeof b);
	do {
		if (pthread_mutex_lock(&s->lock) != 0)
			fatal("cannot lock the simulator");
		fleet_advance(s->fleet, sim_now(s), log_transition_fn(s), &b);
		if (b.nchanges > 0)
			log_ticket(s, &b);
		if (pthread_mutex_unlock(&s->lock) != 0)
			fatal("cannot unlock the simulator");
		log_batch_write(s, &b, NULL);
		deadline_after(NULL, TICK_MS, &deadline);
	} while (!wait_until(s, &deadline));
	return (NULL);
}

/*
 * Routing and request-size problems, found before authentication.
 * Returns 0, or -1 with the reply set.
 */
static int
precheck(struct conn_req *cr, const char *method, size_t pathlen,
    struct sim_reply *r)
{
	if (strlen(cr->uri) > SIM_MAX_URL) {
		reply_error(r, 414, "RequestURITooLong", "The request URL is "
		    "longer than %d bytes.", SIM_MAX_URL);
		return (-1);
	}
	if (cr->body_too_large) {
		reply_error(r, 413, "RequestEntityTooLarge", "The request "
		    "body is larger than %d bytes.", SIM_MAX_BODY);
		return (-1);
	}
	if ((strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) ||
	    pathlen != 1 || cr->uri[0] != '/') {
		reply_error(r, 400, "InvalidAction.NotFound", "Specified api "
		    "is not found, please check your url and method.");
		return (-1);
	}
	return (0);
}

/* Is the body a form whose parameters belong to the request? */
static int
is_form(struct MHD_Connection *c)
{
	const char	*ct;

	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	return (ct != NULL && strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0);
}

/* The connection's GnuTLS session, or NULL (plain HTTP). */
static gnutls_session_t
tls_session(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return (ci != NULL ? ci->tls_session : NULL);
}

/*
 * A connection starts, before its handshake: give its session the
 * ticket key.  It ends: forget it.
 */
static void
tls_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sim_server	*srv = cls;
	gnutls_session_t	 session;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	if ((session = tls_session(c)) == NULL)
		return;
	*socket_context = xcalloc(1, sizeof(struct sim_tls_conn));
	if (srv->tls.tickets &&
	    srv->tls.enable_server(session, &srv->tls.key) != 0)
		fatal("cannot enable TLS session tickets");
}

/*
 * "full" or "resumed" for the first request of a TLS connection (its
 * handshake is over by then), NULL for later ones and plain HTTP.
 */
static const char *
tls_handshake(struct sim_server *srv, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo	*ci;
	struct sim_tls_conn		*tc;
	gnutls_session_t		 session;

	if ((session = tls_session(c)) == NULL ||
	    (ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT)) == NULL ||
	    (tc = ci->socket_context) == NULL || tc->logged)
		return (NULL);
	tc->logged = 1;
	if (srv->tls.is_resumed != NULL && srv->tls.is_resumed(session))
		return ("resumed");
	return ("full");
}

/*
 * Find libmicrohttpd's GnuTLS functions and make a ticket key; without
 * them the server runs without tickets.
 */
static void
tls_setup(struct sim_tls *t)
{
	memset(t, 0, sizeof(*t));
	*(void **)&t->key_generate = dlsym(RTLD_DEFAULT,
	    "gnutls_session_ticket_key_generate");
	*(void **)&t->enable_server = dlsym(RTLD_DEFAULT,
	    "gnutls_session_ticket_enable_server");
	*(void **)&t->is_resumed = dlsym(RTLD_DEFAULT,
	    "gnutls_session_is_resumed");
	t->free_fn = dlsym(RTLD_DEFAULT, "gnutls_free");
	if (t->key_generate != NULL && t->enable_server != NULL &&
	    t->free_fn != NULL && t->key_generate(&t->key) == 0)
		t->tickets = 1;
}

/* Wipe and free the ticket key (after the daemon stopped). */
static void
tls_free(struct sim_tls *t)
{
	if (!t->tickets)
		return;
	memset(t->key.data, 0, t->key.size);
	(*t->free_fn)(t->key.data);
	t->tickets = 0;
}

/* Handle a complete request (or one refused early) and queue the answer. */
static enum MHD_Result
respond(struct sim_server *srv, struct MHD_Connection *c,
    struct conn_req *cr, const char *method)
{
	struct sim		*s = srv->sim;
	struct sim_request	 req;
	struct sim_reply	 reply;
	struct sim_auth		 auth;
	struct log_batch	 batch;
	struct api_call		*call = NULL;
	struct MHD_Response	*resp;
	struct timespec		 arrived;
	enum sim_fault		 fault = SIM_FAULT_NONE;
	enum corrupt_kind	 corrupt = CORRUPT_HTML_BODY;
	enum MHD_Result		 ret;
	char			 remote[NI_MAXHOST], *request_id, *text;
	const char		*q, *handshake;
	size_t			 pathlen, i;
	uint64_t		 seq;
	int64_t			 now;
	int			 ok;

	clock_gettime(CLOCK_MONOTONIC, &arrived);
	memset(&req, 0, sizeof req);
	memset(&reply, 0, sizeof reply);
	memset(&auth, 0, sizeof auth);
	memset(&batch, 0, sizeof batch);
	remote_address(c, remote, sizeof remote);
	request_id = request_id_new(srv);
	handshake = tls_handshake(srv, c);
	pathlen = strcspn(cr->uri, "?");
	q = cr->uri[pathlen] == '?' ? cr->uri + pathlen + 1 : "";

	req.method = method;
	req.remote = remote;
	req.body = cr->body.data;
	req.bodylen = cr->body.len;
	req.header = conn_header;
	req.header_arg = c;
	ok = precheck(cr, method, pathlen, &reply) == 0;
	if (ok && (params_parse(&req.query, q, strlen(q)) != 0 ||
	    (is_form(c) && params_parse(&req.form, cr->body.data,
	    cr->body.len) != 0))) {
		reply_error(&reply, 400, "InvalidParameter", "The query "
		    "string or form body has a malformed %%-escape.");
		ok = 0;
	}
	for (i = 0; i < req.query.n; i++)
		params_add(&req.all, xstrdup(req.query.v[i].key),
		    xstrdup(req.query.v[i].value));
	for (i = 0; i < req.form.n; i++)
		params_add(&req.all, xstrdup(req.form.v[i].key),
		    xstrdup(req.form.v[i].value));

	/* The signature and the parameters are the request's: not locked. */
	if (ok && auth_verify(s, &req, sim_now(s), &auth, &reply) == 0 &&
	    auth.action != NULL)
		call = api_prepare(auth.action, &req.all);

	if (pthread_mutex_lock(&s->lock) != 0)
		fatal("cannot lock the simulator");
	seq = ++s->seq;
	now = sim_now(s);
	log_ticket(s, &batch);
	fleet_advance(s->fleet, now, log_transition_fn(s), &batch);
	batch.before = batch.nchanges;
	if (ok)
		process(s, call, now, &auth, &reply, &fault, &corrupt);
	/* What the request changed, after it. */
	fleet_advance(s->fleet, now, log_transition_fn(s), &batch);
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatal("cannot unlock the simulator");
	log_batch_write(s, &batch, s->log == NULL ? NULL : log_request(seq,
	    now, &req, &auth, &reply, fault, request_id, handshake));

	/* The answer is built inside the latency, not after it. */
	if (fault == SIM_FAULT_DROP || fault == SIM_FAULT_LOSE)
		text = NULL;
	else if (fault == SIM_FAULT_CORRUPT && corrupt == CORRUPT_HTML_BODY)
		text = xstrdup(CORRUPT_HTML);
	else if (fault == SIM_FAULT_CORRUPT)
		text = xasprintf("{\"RequestId\":\"%s\"}", request_id);
	else
		text = render(&reply, request_id);
	if (s->latency_ms > 0)
		latency_wait(s, &arrived);
	if (fault == SIM_FAULT_DROP || fault == SIM_FAULT_LOSE) {
		/*
		 * The whole request has been read, so libmicrohttpd closes
		 * the connection (FIN, no response): the client sees an
		 * empty reply, and its next request a new connection.
		 */
		ret = MHD_NO;
		goto out;
	}
	resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		fatal("cannot create a response");
	if (fault == SIM_FAULT_CORRUPT && corrupt == CORRUPT_HTML_BODY)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/html");
	else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "application/json;charset=utf-8");
		MHD_add_response_header(resp, "x-acs-request-id",
		    request_id);
	}
	ret = MHD_queue_response(c, fault == SIM_FAULT_CORRUPT ?
	    MHD_HTTP_OK : reply.status, resp);
	MHD_destroy_response(resp);
out:
	api_call_free(call);
	auth_clear(&auth);
	reply_clear(&reply);
	params_free(&req.query);
	params_free(&req.form);
	params_free(&req.all);
	free(request_id);
	return (ret);
}

/* Called with the raw request line's URI: keep it, with the query. */
static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn_req	*cr;

	(void)cls;
	(void)c;
	cr = xcalloc(1, sizeof *cr);
	cr->uri = xstrdup(uri);
	buf_init(&cr->body);
	return (cr);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_req	*cr = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cr == NULL)
		return;
	free(cr->uri);
	buf_free(&cr->body);
	free(cr);
	*con_cls = NULL;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct sim_server	*srv = cls;
	struct conn_req		*cr = *con_cls;
	const char		*cl;
	char			*end;
	unsigned long long	 n;

	(void)version;
	if (cr == NULL)
		*con_cls = cr = uri_logger(NULL, url, c);
	if (!cr->started) {
		cr->started = 1;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno != 0 || n > SIM_MAX_BODY)
				cr->body_too_large = 1;
		}
		/* Refuse before reading a body we would not accept. */
		if (cr->body_too_large || strlen(cr->uri) > SIM_MAX_URL)
			return (respond(srv, c, cr, method));
		return (MHD_YES);
	}
	if (*upload_data_size != 0) {
		if (cr->body.len + *upload_data_size > SIM_MAX_BODY) {
			cr->body_too_large = 1;
			buf_reset(&cr->body);
		} else if (!cr->body_too_large)
			buf_add(&cr->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return (MHD_YES);
	}
	return (respond(srv, c, cr, method));
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sim_server	*srv = cls;

	if (!atomic_load(&srv->log_errors) || fmt == NULL)
		return;
	fputs("ensbatch-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (*fmt != '\0' && fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

struct sim_server *
server_start(struct sim *s, int fd, const char *cert, const char *key,
    int ipv6, char **cause)
{
	struct sim_server	*srv;
	struct MHD_OptionItem	 tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert },
		{ MHD_OPTION_END, 0, NULL }
	};
	unsigned int		 flags;

	*cause = NULL;
	srv = xcalloc(1, sizeof *srv);
	srv->sim = s;
	atomic_init(&srv->log_errors, 1);
	if (cert != NULL)
		tls_setup(&srv->tls);
	request_id_setup(srv);
#ifdef PR_SET_TIMERSLACK
	/*
	 * Timed waits end up to 50 us late by default: the threads made
	 * from here on (the daemon's, each connection's) inherit a slack
	 * of 1 ns, so --latency is kept to the tenth of a millisecond.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (cert != NULL)
		flags |= MHD_USE_TLS;
	if (ipv6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler,
	    srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, tls_notify, srv,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT,
	    MHD_OPTION_ARRAY, cert != NULL ? tls : tls + 2,
	    MHD_OPTION_END);
	if (srv->daemon == NULL) {
		*cause = xstrdup(cert != NULL ? "cannot start the HTTPS "
		    "server (check --tls-cert and --tls-key)" :
		    "cannot start the HTTP server");
		tls_free(&srv->tls);
		free(srv);
		return (NULL);
	}
	/* From now on a client's bad handshake is its own business. */
	atomic_store(&srv->log_errors, 0);
	if (pthread_create(&s->ticker, NULL, ticker_main, s) != 0)
		fatal("cannot start the ticker thread");
	s->ticker_running = 1;
	return (srv);
}

void
server_stop(struct sim_server *srv)
{
	if (srv == NULL)
		return;
	if (pthread_mutex_lock(&srv->sim->stop_lock) != 0)
		fatal("cannot lock the simulator");
	srv->sim->stopping = 1;
	pthread_cond_broadcast(&srv->sim->wake);
	if (pthread_mutex_unlock(&srv->sim->stop_lock) != 0)
		fatal("cannot unlock the simulator");
	if (srv->sim->ticker_running) {
		pthread_join(srv->sim->ticker, NULL);
		srv->sim->ticker_running = 0;
	}
	MHD_stop_daemon(srv->daemon);
	tls_free(&srv->tls);
	free(srv);
}
