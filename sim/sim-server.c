/*
 * The HTTP(S) side of the simulator (libmicrohttpd, one thread per
 * connection so that --latency delays only its own client): collects a
 * request, runs routing, authentication, faults and the action with the
 * simulator locked, writes the log line, and answers with a JSON body
 * as the ENS endpoint does, or spoils the answer (--drop, --corrupt).
 */
#include "config.h"

#include <sys/socket.h>

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
	"throttle", "fail", "drop", "corrupt"
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

/* "8-4-4-4-12" upper-case hex, like the RequestIds of the real API. */
static char *
request_id_new(void)
{
	char	*hex, *id;
	size_t	 i;

	hex = sign_nonce();
	for (i = 0; hex[i] != '\0'; i++) {
		if (hex[i] >= 'a' && hex[i] <= 'f')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	}
	id = xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
	free(hex);
	return (id);
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
 * Authenticate, route, maybe throttle or fail, run the action, then
 * maybe drop or corrupt its answer (respond() does that; *corrupt says
 * how).  Locked.
 */
static void
process(struct sim *s, const struct sim_request *req, int64_t now,
    struct sim_auth *auth, struct sim_reply *r, enum sim_fault *fault,
    enum corrupt_kind *corrupt)
{
	enum sim_fault	after;
	double		scaled;

	*fault = SIM_FAULT_NONE;
	*corrupt = CORRUPT_HTML_BODY;
	if (auth_verify(s, req, now, auth, r) != 0)
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
	switch ((*fault = draw_faults(s, SIM_FAULT_THROTTLE, SIM_FAULT_DROP,
	    &scaled))) {
	case SIM_FAULT_THROTTLE:
		reply_error(r, 400, "Throttling.User", "Request was denied "
		    "due to user flow control.");
		break;
	case SIM_FAULT_FAIL:
		reply_error(r, 503, "ServiceUnavailable", "The request has "
		    "failed due to a temporary failure of the server.");
		break;
	default:
		api_dispatch(s, auth->action, &req->all, now, r);
		break;
	}

	/* Drawn even after a throttle or fail, to keep the stream fixed. */
	after = draw_faults(s, SIM_FAULT_DROP, SIM_FAULT_COUNT, &scaled);
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

/* Write o as one line of the log, flushed, and free it.  Locked. */
static void
log_write(struct sim *s, json_t *o)
{
	char	*text;

	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatal("out of memory writing JSON");
	fputs(text, s->log);
	fputc('\n', s->log);
	fflush(s->log);
	free(text);
	json_decref(o);
}

/*
 * One JSON line in the log for a request.  handshake is "full" or
 * "resumed" for the first request of a TLS connection, else NULL.
 * Locked.
 */
static void
log_request(struct sim *s, uint64_t seq, int64_t now,
    const struct sim_request *req, const struct sim_auth *auth,
    const struct sim_reply *r, enum sim_fault fault, const char *request_id,
    const char *handshake)
{
	static const char *const sig_names[] = { NULL, "v3", "v1" };
	json_t		*o;
	const char	*action = auth->action;

	if (s->log == NULL)
		return;
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
	log_write(s, o);
}

/*
 * One JSON line for a status change (fleet_advance's callback), so the
 * log has requests and transitions in time order.  Locked.
 */
static void
log_transition(void *arg, const struct sim_event *ev,
    const struct sim_instance *in, int64_t t, enum sim_status st,
    enum sim_istatus ist)
{
	struct sim	*s = arg;
	json_t		*o;

	(void)in;
	if (s->log == NULL)
		return;
	if ((o = json_object()) == NULL)
		fatal("out of memory building JSON");
	jset(o, "type", json_string("transition"));
	jset(o, "time", json_integer(t));
	jset(o, "event", json_string(ev->id));
	jset(o, "resource", json_string(ev->resource));
	jset(o, "status", json_string(fleet_status_name(st)));
	jset(o, "instance_status", json_string(fleet_istatus_name(ist)));
	jset(o, "visible", json_integer(t + ev->lag_ms));
	log_write(s, o);
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
	    pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->wake, &attr) != 0)
		fatal("cannot create the simulator's lock");
	pthread_condattr_destroy(&attr);
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

/* Wait until deadline or until stopping is set.  Locked.  1 if stopping. */
static int
wait_until(struct sim *s, const struct timespec *deadline)
{
	int	rc;

	while (!s->stopping) {
		rc = pthread_cond_timedwait(&s->wake, &s->lock, deadline);
		if (rc == ETIMEDOUT)
			break;
		if (rc != 0 && rc != EINTR)
			fatal("cannot wait: %s", strerror(rc));
	}
	return (s->stopping);
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
	if (pthread_mutex_lock(&s->lock) != 0)
		fatal("cannot lock the simulator");
	(void)wait_until(s, &deadline);
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatal("cannot unlock the simulator");
}

/*
 * The ticker thread: applies the fleet's status changes as their time
 * comes, every TICK_MS, so the log shows them when they happen even
 * without requests.
 */
static void *
ticker_main(void *arg)
{
	struct sim	*s = arg;
	struct timespec	 deadline;

	if (pthread_mutex_lock(&s->lock) != 0)
		fatal("cannot lock the simulator");
	do {
		fleet_advance(s->fleet, sim_now(s), log_transition, s);
		deadline_after(NULL, TICK_MS, &deadline);
	} while (!wait_until(s, &deadline));
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatal("cannot unlock the simulator");
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
	struct MHD_Response	*resp;
	struct timespec		 arrived;
	enum sim_fault		 fault = SIM_FAULT_NONE;
	enum corrupt_kind	 corrupt = CORRUPT_HTML_BODY;
	enum MHD_Result		 ret;
	char			 remote[NI_MAXHOST], *request_id, *text;
	const char		*q;
	size_t			 pathlen, i;
	uint64_t		 seq;
	int64_t			 now;
	int			 ok;

	clock_gettime(CLOCK_MONOTONIC, &arrived);
	memset(&req, 0, sizeof req);
	memset(&reply, 0, sizeof reply);
	memset(&auth, 0, sizeof auth);
	remote_address(c, remote, sizeof remote);
	request_id = request_id_new();
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

	if (pthread_mutex_lock(&s->lock) != 0)
		fatal("cannot lock the simulator");
	seq = ++s->seq;
	now = sim_now(s);
	fleet_advance(s->fleet, now, log_transition, s);
	if (ok)
		process(s, &req, now, &auth, &reply, &fault, &corrupt);
	log_request(s, seq, now, &req, &auth, &reply, fault, request_id,
	    tls_handshake(srv, c));
	/* What the request changed, after it. */
	fleet_advance(s->fleet, now, log_transition, s);
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatal("cannot unlock the simulator");

	/* The answer is built inside the latency, not after it. */
	if (fault == SIM_FAULT_DROP)
		text = NULL;
	else if (fault == SIM_FAULT_CORRUPT && corrupt == CORRUPT_HTML_BODY)
		text = xstrdup(CORRUPT_HTML);
	else if (fault == SIM_FAULT_CORRUPT)
		text = xasprintf("{\"RequestId\":\"%s\"}", request_id);
	else
		text = render(&reply, request_id);
	if (s->latency_ms > 0)
		latency_wait(s, &arrived);
	if (fault == SIM_FAULT_DROP) {
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
	if (pthread_mutex_lock(&srv->sim->lock) != 0)
		fatal("cannot lock the simulator");
	srv->sim->stopping = 1;
	pthread_cond_broadcast(&srv->sim->wake);
	if (pthread_mutex_unlock(&srv->sim->lock) != 0)
		fatal("cannot unlock the simulator");
	if (srv->sim->ticker_running) {
		pthread_join(srv->sim->ticker, NULL);
		srv->sim->ticker_running = 0;
	}
	MHD_stop_daemon(srv->daemon);
	tls_free(&srv->tls);
	free(srv);
}
