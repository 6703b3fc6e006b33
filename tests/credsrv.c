/*
 * credsrv: the loopback services that temporary credentials come from,
 * for tests/creds.sh.  One HTTP server (libmicrohttpd, 127.0.0.1 only)
 * answers as
 *   - STS: Action=AssumeRole (V1 signature checked against --key or the
 *     issued key) and Action=AssumeRoleWithOIDC (anonymous, the token
 *     in the form body must be --oidc-token);
 *   - the ECS metadata service: PUT /latest/api/token, GET
 *     /latest/meta-data/ram/security-credentials/[ROLE];
 *   - a credentials URI: GET /creds.
 * Every answer hands out the --issue key with a fresh token "tok-N" and
 * an Expiration --lifetime seconds from now.  --fail CODE turns every
 * answer that would carry credentials into an error; STS's quotes the
 * signing secret and a "string to sign", as a badly written server
 * might.  One line per request goes to --log, for the test to
 * count; no secret is written there.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ensbatch/buf.h"
#include "ensbatch/sign.h"
#include "ensbatch/xmalloc.h"

#define CREDSRV_BODY_MAX	(64 * 1024)
#define CREDSRV_PARAMS_MAX	64
#define IMDS_CREDS		"/latest/meta-data/ram/security-credentials/"

struct credsrv_key {
	char	*id;
	char	*secret;
};

struct credsrv {
	struct credsrv_key	 key;		/* signs AssumeRole */
	struct credsrv_key	 issue;		/* handed out */
	long			 lifetime;	/* seconds */
	const char		*fail;		/* error Code, or NULL */
	const char		*role;		/* the instance's role */
	const char		*oidc_token;
	int			 imdsv2_only;
	FILE			*log;
	unsigned long		 serial;	/* tokens handed out */
};

/* The parameters of a request, decoded. */
struct credsrv_params {
	struct sign_param	 p[CREDSRV_PARAMS_MAX];
	char			*own[2 * CREDSRV_PARAMS_MAX];
	size_t			 n;
	size_t			 nown;
	int			 overflow;
};

/* One request's upload. */
struct credsrv_req {
	struct buf	 body;
	int		 too_big;
};

static volatile sig_atomic_t credsrv_stop;

static void
credsrv_usage(void)
{
	fputs("usage: credsrv --port-file FILE [--log FILE] [--key ID:SECRET]"
	    "\n       [--issue ID:SECRET] [--lifetime SECONDS] [--fail CODE]\n"
	    "       [--role NAME] [--oidc-token TOKEN] [--imdsv2-only]\n",
	    stderr);
	exit(2);
}

static void
credsrv_log(struct credsrv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
credsrv_log(struct credsrv *s, const char *fmt, ...)
{
	va_list	ap;

	if (s->log == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
}

static void
credsrv_parse_key(const char *arg, struct credsrv_key *k)
{
	const char	*colon;

	if ((colon = strchr(arg, ':')) == NULL || colon == arg ||
	    colon[1] == '\0')
		credsrv_usage();
	k->id = xstrndup(arg, (size_t)(colon - arg));
	k->secret = xstrdup(colon + 1);
}

static const char *
credsrv_get(const struct credsrv_params *ps, const char *key)
{
	size_t	i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].key, key) == 0)
			return (ps->p[i].value);
	}
	return (NULL);
}

static void
credsrv_params_add(struct credsrv_params *ps, const char *key,
    const char *value)
{
	if (ps->n == CREDSRV_PARAMS_MAX) {
		ps->overflow = 1;
		return;
	}
	ps->p[ps->n].key = key;
	ps->p[ps->n].value = value != NULL ? value : "";
	ps->n++;
}

static enum MHD_Result
credsrv_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	credsrv_params_add(cls, key, value);
	return (MHD_YES);
}

/* Add the pairs of an x-www-form-urlencoded body. */
static int
credsrv_form(struct credsrv_params *ps, const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *amp, *eq;
	char		*k, *v;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL || ps->nown + 2 > 2 * CREDSRV_PARAMS_MAX)
			return (-1);
		k = sign_decode(p, (size_t)(eq - p), 1);
		v = sign_decode(eq + 1, (size_t)(amp - eq - 1), 1);
		if (k == NULL || v == NULL) {
			free(k);
			free(v);
			return (-1);
		}
		ps->own[ps->nown++] = k;
		ps->own[ps->nown++] = v;
		credsrv_params_add(ps, k, v);
		p = amp + 1;
	}
	return (0);
}

static enum MHD_Result
credsrv_send(struct MHD_Connection *c, unsigned int status,
    const char *type, char *text)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rv;

	r = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", type);
	rv = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return (rv);
}

static enum MHD_Result
credsrv_error(struct MHD_Connection *c, unsigned int status,
    const char *code, const char *msg)
{
	return (credsrv_send(c, status, "application/json",
	    xasprintf("{\"RequestId\": \"req-credsrv\", \"HostId\": "
	    "\"127.0.0.1\", \"Code\": \"%s\", \"Message\": \"%s\"}", code,
	    msg)));
}

/*
 * The credentials handed out, as JSON members; with --fail, an error
 * answer instead (status and body), quoting what it must never show.
 */
static enum MHD_Result
credsrv_issue(struct credsrv *s, struct MHD_Connection *c, int sts)
{
	enum MHD_Result	 rv;
	char		 exp[32], *text, *body;
	struct tm	 tm;
	time_t		 t;

	if (s->fail != NULL && !sts)
		return (credsrv_error(c, 500, s->fail, "refused"));
	if (s->fail != NULL) {
		text = xasprintf("The key %s is refused (secret %s). server "
		    "string to sign is: POST&%%2F&SecurityToken%%3D%s",
		    s->key.id, s->key.secret, s->issue.secret);
		rv = credsrv_error(c, 403, s->fail, text);
		free(text);
		return (rv);
	}
	t = time(NULL) + s->lifetime;
	gmtime_r(&t, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	s->serial++;
	text = xasprintf("\"AccessKeyId\": \"%s\", \"AccessKeySecret\": "
	    "\"%s\", \"SecurityToken\": \"tok-%lu\", \"Expiration\": \"%s\"",
	    s->issue.id, s->issue.secret, s->serial, exp);
	if (sts)
		body = xasprintf("{\"RequestId\": \"req-%lu\", "
		    "\"AssumedRoleUser\": {\"Arn\": \"a\"}, \"Credentials\": "
		    "{%s}}", s->serial, text);
	else
		body = xasprintf("{\"Code\": \"Success\", %s, "
		    "\"LastUpdated\": \"x\"}", text);
	free(text);
	return (credsrv_send(c, 200, "application/json", body));
}

/* AssumeRole: the V1 signature over the query, by a key we know. */
static enum MHD_Result
credsrv_assume_role(struct credsrv *s, struct MHD_Connection *c,
    const char *method, struct credsrv_params *ps)
{
	struct sign_param	 rest[CREDSRV_PARAMS_MAX];
	const char		*id, *sig, *secret, *dur, *token;
	char			*mine;
	size_t			 i, n = 0;
	long			 d;
	int			 good;

	id = credsrv_get(ps, "AccessKeyId");
	sig = credsrv_get(ps, "Signature");
	if (id == NULL || sig == NULL)
		return (credsrv_error(c, 400, "MissingParameter",
		    "AccessKeyId and Signature are required"));
	if (strcmp(id, s->key.id) == 0)
		secret = s->key.secret;
	else if (strcmp(id, s->issue.id) == 0)
		secret = s->issue.secret;
	else
		return (credsrv_error(c, 404, "InvalidAccessKeyId.NotFound",
		    "Specified access key is not found."));
	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].key, "Signature") != 0)
			rest[n++] = ps->p[i];
	}
	mine = sign_v1_signature(secret, method, rest, n);
	good = strcmp(mine, sig) == 0;
	free(mine);
	if (!good)
		return (credsrv_error(c, 400, "SignatureDoesNotMatch",
		    "Specified signature is not matched with our "
		    "calculation."));
	dur = credsrv_get(ps, "DurationSeconds");
	d = dur != NULL ? strtol(dur, NULL, 10) : 3600;
	if (credsrv_get(ps, "RoleArn") == NULL ||
	    credsrv_get(ps, "RoleSessionName") == NULL || d < 900 ||
	    d > 43200)
		return (credsrv_error(c, 400, "InvalidParameter",
		    "RoleArn, RoleSessionName, DurationSeconds"));
	token = credsrv_get(ps, "SecurityToken");
	credsrv_log(s, "AssumeRole ak=%s role=%s session=%s duration=%ld "
	    "token=%s", id, credsrv_get(ps, "RoleArn"),
	    credsrv_get(ps, "RoleSessionName"), d, token != NULL ? "yes" :
	    "no");
	return (credsrv_issue(s, c, 1));
}

/* AssumeRoleWithOIDC: anonymous, the token in the body only. */
static enum MHD_Result
credsrv_oidc(struct credsrv *s, struct MHD_Connection *c,
    struct credsrv_params *ps, size_t nquery)
{
	const char	*tok;
	size_t		 i;

	for (i = 0; i < nquery; i++) {
		if (strcmp(ps->p[i].key, "OIDCToken") == 0 ||
		    strcmp(ps->p[i].key, "Signature") == 0)
			return (credsrv_error(c, 400, "InvalidParameter",
			    "OIDCToken belongs in the body; no signature"));
	}
	tok = credsrv_get(ps, "OIDCToken");
	if (tok == NULL || s->oidc_token == NULL ||
	    strcmp(tok, s->oidc_token) != 0)
		return (credsrv_error(c, 400, "InvalidParameter.OIDCToken",
		    "The OIDC token is invalid."));
	if (credsrv_get(ps, "RoleArn") == NULL ||
	    credsrv_get(ps, "OIDCProviderArn") == NULL ||
	    credsrv_get(ps, "RoleSessionName") == NULL)
		return (credsrv_error(c, 400, "MissingParameter",
		    "RoleArn, OIDCProviderArn, RoleSessionName"));
	credsrv_log(s, "AssumeRoleWithOIDC role=%s provider=%s session=%s",
	    credsrv_get(ps, "RoleArn"), credsrv_get(ps, "OIDCProviderArn"),
	    credsrv_get(ps, "RoleSessionName"));
	return (credsrv_issue(s, c, 1));
}

/* The metadata service. */
static enum MHD_Result
credsrv_imds(struct credsrv *s, struct MHD_Connection *c, const char *method,
    const char *url)
{
	const char	*tok, *ttl;

	if (strcmp(url, "/latest/api/token") == 0) {
		ttl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "X-aliyun-ecs-metadata-token-ttl-seconds");
		if (strcmp(method, "PUT") != 0 || ttl == NULL)
			return (credsrv_error(c, 400, "BadTokenRequest", "PUT "
			    "with a ttl"));
		credsrv_log(s, "imds-token ttl=%s", ttl);
		return (credsrv_send(c, 200, "text/plain",
		    xstrdup("imds-session-token")));
	}
	tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-aliyun-ecs-metadata-token");
	if (tok != NULL && strcmp(tok, "imds-session-token") != 0)
		return (credsrv_error(c, 401, "BadToken", "bad token"));
	if (tok == NULL && s->imdsv2_only)
		return (credsrv_error(c, 401, "TokenRequired", "IMDSv2 only"));
	if (strcmp(url, IMDS_CREDS) == 0) {
		credsrv_log(s, "imds-role token=%s", tok != NULL ? "yes" :
		    "no");
		return (credsrv_send(c, 200, "text/plain", xasprintf("%s\n",
		    s->role != NULL ? s->role : "")));
	}
	if (s->role == NULL || strcmp(url + strlen(IMDS_CREDS), s->role) != 0)
		return (credsrv_error(c, 404, "NotFound", "no such role"));
	credsrv_log(s, "imds-creds role=%s token=%s", s->role,
	    tok != NULL ? "yes" : "no");
	return (credsrv_issue(s, c, 0));
}

static enum MHD_Result
credsrv_respond(struct credsrv *s, struct MHD_Connection *c,
    const char *method, const char *url, struct credsrv_req *r)
{
	struct credsrv_params	 ps;
	const char		*action;
	enum MHD_Result		 rv;
	size_t			 nquery, i;

	memset(&ps, 0, sizeof(ps));
	if (r->too_big)
		return (credsrv_error(c, 413, "TooLarge", "body too large"));
	if (strncmp(url, "/latest/", 8) == 0)
		return (credsrv_imds(s, c, method, url));
	if (strcmp(url, "/creds") == 0 && strcmp(method, "GET") == 0) {
		credsrv_log(s, "uri");
		return (credsrv_issue(s, c, 0));
	}
	if (strcmp(url, "/") != 0 || strcmp(method, "POST") != 0)
		return (credsrv_error(c, 404, "NotFound", "nothing here"));

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, credsrv_arg, &ps);
	nquery = ps.n;
	if (credsrv_form(&ps, r->body.data, r->body.len) != 0 || ps.overflow) {
		rv = credsrv_error(c, 400, "InvalidParameter", "bad form");
		goto out;
	}
	action = credsrv_get(&ps, "Action");
	if (action != NULL && strcmp(action, "AssumeRole") == 0 &&
	    nquery == ps.n)
		rv = credsrv_assume_role(s, c, method, &ps);
	else if (action != NULL && strcmp(action, "AssumeRoleWithOIDC") == 0)
		rv = credsrv_oidc(s, c, &ps, nquery);
	else
		rv = credsrv_error(c, 400, "InvalidAction.NotFound",
		    "unknown action");

out:
	for (i = 0; i < ps.nown; i++)
		free(ps.own[i]);
	return (rv);
}

static enum MHD_Result
credsrv_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct credsrv_req	*r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		buf_init(&r->body);
		*con_cls = r;
		return (MHD_YES);
	}
	if (*upload_data_size != 0) {
		if (r->body.len + *upload_data_size > CREDSRV_BODY_MAX)
			r->too_big = 1;
		else
			buf_add(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return (MHD_YES);
	}
	return (credsrv_respond(cls, c, method, url, r));
}

static void
credsrv_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct credsrv_req	*r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL) {
		buf_free(&r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void
credsrv_signal(int sig)
{
	(void)sig;
	credsrv_stop = 1;
}

/* Write the port to path through a temporary file and a rename. */
static void
credsrv_port_file(const char *path, unsigned int port)
{
	char	*tmp;
	FILE	*f;

	tmp = xasprintf("%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%u\n", port) < 0 ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "credsrv: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(tmp);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port-file", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "key", required_argument, NULL, 'k' },
		{ "issue", required_argument, NULL, 'i' },
		{ "lifetime", required_argument, NULL, 't' },
		{ "fail", required_argument, NULL, 'f' },
		{ "role", required_argument, NULL, 'r' },
		{ "oidc-token", required_argument, NULL, 'o' },
		{ "imdsv2-only", no_argument, NULL, '2' },
		{ NULL, 0, NULL, 0 }
	};
	struct credsrv		 s;
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d;
	const union MHD_DaemonInfo *info;
	struct sigaction	 sa;
	sigset_t		 block, old;
	const char		*port_file = NULL;
	char			*end;
	int			 ch;

	memset(&s, 0, sizeof(s));
	s.lifetime = 3600;
	credsrv_parse_key("credsrv-key:credsrv-secret", &s.key);
	credsrv_parse_key("STS.credsrv:credsrv-sts-secret", &s.issue);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port_file = optarg;
			break;
		case 'l':
			if ((s.log = fopen(optarg, "a")) == NULL) {
				fprintf(stderr, "credsrv: %s: %s\n", optarg,
				    strerror(errno));
				return (1);
			}
			break;
		case 'k':
			free(s.key.id);
			free(s.key.secret);
			credsrv_parse_key(optarg, &s.key);
			break;
		case 'i':
			free(s.issue.id);
			free(s.issue.secret);
			credsrv_parse_key(optarg, &s.issue);
			break;
		case 't':
			errno = 0;
			s.lifetime = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				credsrv_usage();
			break;
		case 'f':
			s.fail = optarg;
			break;
		case 'r':
			s.role = optarg;
			break;
		case 'o':
			s.oidc_token = optarg;
			break;
		case '2':
			s.imdsv2_only = 1;
			break;
		default:
			credsrv_usage();
		}
	}
	if (port_file == NULL || optind != argc)
		credsrv_usage();

	/* Only the main thread, waiting below, takes the signals. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = credsrv_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, credsrv_handler, &s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, credsrv_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10U,
	    MHD_OPTION_END);
	if (d == NULL) {
		fputs("credsrv: cannot start the server\n", stderr);
		return (1);
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fputs("credsrv: no port\n", stderr);
		return (1);
	}
	credsrv_port_file(port_file, info->port);
	while (!credsrv_stop)
		sigsuspend(&old);
	MHD_stop_daemon(d);
	if (s.log != NULL)
		fclose(s.log);
	free(s.key.id);
	free(s.key.secret);
	free(s.issue.id);
	free(s.issue.secret);
	return (0);
}
