/*
 * Credentials: find an access key in the places the Alibaba Cloud tools
 * use, in the order SPEC section 6 and the official SDKs give (see
 * ensbatch/creds.h), and fetch temporary credentials from STS, the ECS
 * instance metadata service or a credentials URI.
 *
 * Every message names the file, the profile and the key concerned, but
 * never a secret or a token: values read from a file or an answer are
 * only ever copied into struct creds, the parse errors of jansson are
 * cut before the "near '...'" part, which may quote the file, and what
 * a server says is shown only after creds_redact.  Buffers that held a
 * file or an answer are wiped before they are freed.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/rules.h"
#include "ensbatch/sign.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

/* Refuse credential files larger than this. */
#define CREDS_FILE_MAX	(1024 * 1024)
/* Refuse answers of STS, the metadata service or a URI larger than this. */
#define CREDS_ANSWER_MAX	(64 * 1024)
/* Longest server message shown. */
#define CREDS_MESSAGE_MAX	300
/* How deep ChainableRamRoleArn profiles may nest. */
#define CREDS_CHAIN_MAX	4
/* After a failed renewal of still valid credentials, wait this long. */
#define CREDS_RETRY_MS	10000

#define CFG_FILE	"/.aliyun/config.json"
#define INI_FILE	"/.alibabacloud/credentials"

#define ENV_ID		"ALIBABA_CLOUD_ACCESS_KEY_ID"
#define ENV_SECRET	"ALIBABA_CLOUD_ACCESS_KEY_SECRET"
#define ENV_TOKEN	"ALIBABA_CLOUD_SECURITY_TOKEN"
#define ENV_PROFILE	"ALIBABA_CLOUD_PROFILE"
#define ENV_ROLE_ARN	"ALIBABA_CLOUD_ROLE_ARN"
#define ENV_OIDC_ARN	"ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
#define ENV_OIDC_FILE	"ALIBABA_CLOUD_OIDC_TOKEN_FILE"
#define ENV_SESSION	"ALIBABA_CLOUD_ROLE_SESSION_NAME"
#define ENV_STS_REGION	"ALIBABA_CLOUD_STS_REGION"
#define ENV_STS_EP	"ALIBABA_CLOUD_STS_ENDPOINT"
#define ENV_VPC		"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"
#define ENV_ECS_ROLE	"ALIBABA_CLOUD_ECS_METADATA"
#define ENV_ECS_OFF	"ALIBABA_CLOUD_ECS_METADATA_DISABLED"
#define ENV_IMDSV1_OFF	"ALIBABA_CLOUD_IMDSV1_DISABLED"
#define ENV_IMDS_EP	"ALIBABA_CLOUD_IMDS_ENDPOINT"
#define ENV_URI		"ALIBABA_CLOUD_CREDENTIALS_URI"

#define INI_DEFAULT	"default"

#define STS_VERSION	"2015-04-01"
#define STS_DEFAULT	"sts.aliyuncs.com"
#define STS_DURATION	3600		/* seconds, as the SDKs */
#define STS_DURATION_MIN 900
#define STS_DURATION_MAX 43200
#define IMDS_DEFAULT	"http://100.100.100.200"
#define IMDS_CREDS_PATH	"/latest/meta-data/ram/security-credentials/"
#define IMDS_TOKEN_PATH	"/latest/api/token"
#define IMDS_TOKEN_TTL_HEADER "X-aliyun-ecs-metadata-token-ttl-seconds: 21600"

/* The outcome of looking in one place. */
enum creds_lookup {
	CREDS_FOUND,		/* credentials (or the file) were found */
	CREDS_NOFILE,		/* the file does not exist */
	CREDS_ABSENT,		/* no such profile, section or variable */
	CREDS_ERROR		/* something is wrong: *cause is set */
};

/* The keys of one INI section that we use, pointing into the file. */
struct ini_key {
	const char	*value;
	unsigned long	 line;
};

struct ini_section {
	unsigned long	 line;		/* of the [header]; 0 if absent */
	struct ini_key	 type;
	struct ini_key	 id;
	struct ini_key	 secret;
};

enum creds_kind {
	CREDS_ASSUME_ROLE,	/* STS AssumeRole, signed with base */
	CREDS_OIDC,		/* STS AssumeRoleWithOIDC, anonymous */
	CREDS_IMDS,		/* the ECS instance metadata service */
	CREDS_URI		/* a URL answering credentials */
};

/* How temporary credentials are fetched (again). */
struct creds_provider {
	enum creds_kind	 kind;
	char		*url;		/* STS or IMDS base URL, or the URI */
	char		*shown;		/* url as messages show it */
	char		*role_arn;
	char		*session;	/* RoleSessionName */
	long		 duration;	/* DurationSeconds */
	char		*oidc_arn;
	char		*oidc_file;
	char		*role_name;	/* IMDS; NULL = ask the service */
	int		 imdsv1_off;	/* a metadata token is required */
	struct creds	*base;		/* AssumeRole: the signing key */
};

/* One HTTP request of ours. */
struct creds_req {
	const char	*method;	/* GET, PUT or POST */
	const char	*url;
	const char	*shown;		/* what messages call the server */
	const char	*const *headers;
	size_t		 nheaders;
	const char	*body;		/* POST/PUT body or NULL */
	long		 connect_ms;
	long		 total_ms;
};

struct creds_xfer {
	struct buf	 body;
	int		 too_big;
};

static enum creds_lookup creds_cfg_profile(json_t *, const char *, const char *,
		    int, struct creds *, char **);

/* An environment variable, or NULL if it is unset or empty. */
static const char *
creds_env_get(const char *name)
{
	const char	*v;

	v = getenv(name);
	if (v == NULL || *v == '\0')
		return (NULL);
	return (v);
}

/* Is an environment switch set to "true" (any case), as the SDKs read? */
static int
creds_env_true(const char *name)
{
	const char	*v;

	v = creds_env_get(name);
	return (v != NULL && strcasecmp(v, "true") == 0);
}

/* Overwrite and free memory that may have held a secret. */
static void
creds_wipe_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

static void
creds_wipe_free_str(char *p)
{
	if (p != NULL)
		creds_wipe_free(p, strlen(p));
}

/* Fill creds; source is taken over, the strings are copied. */
static void
creds_set(struct creds *creds, const char *id, const char *secret,
    const char *token, char *source)
{
	creds->access_key_id = xstrdup(id);
	creds->access_key_secret = xstrdup(secret);
	creds->security_token = token != NULL ? xstrdup(token) : NULL;
	creds->source = source;
}

/*
 * Read a whole regular file of at most CREDS_FILE_MAX bytes into *data
 * (NUL-terminated, length in *len; caller frees with creds_wipe_free).  A file
 * that does not exist is CREDS_NOFILE, not an error.
 */
static enum creds_lookup
creds_file_read(const char *path, char **data, size_t *len, char **cause)
{
	enum creds_lookup	 rv = CREDS_ERROR;
	struct stat		 sb;
	char			*p = NULL;
	size_t			 n = 0;
	ssize_t			 r;
	int			 fd = -1;

	*data = NULL;
	*len = 0;

	/* O_NONBLOCK: do not hang opening a FIFO; refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			rv = CREDS_NOFILE;
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto out;
	}
	if (sb.st_size > CREDS_FILE_MAX) {
		*cause = xasprintf("%s: larger than %d bytes, refused", path,
		    CREDS_FILE_MAX);
		goto out;
	}

	/* Read one byte more than allowed to notice a file that grew. */
	p = xmalloc(CREDS_FILE_MAX + 2);
	for (;;) {
		r = read(fd, p + n, CREDS_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CREDS_FILE_MAX) {
			*cause = xasprintf("%s: larger than %d bytes, refused",
			    path, CREDS_FILE_MAX);
			goto out;
		}
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	p = NULL;
	rv = CREDS_FOUND;

out:
	creds_wipe_free(p, CREDS_FILE_MAX + 2);
	if (fd != -1)
		close(fd);
	return (rv);
}

/* ---------------------------------------------------------------- HTTP */

static size_t
creds_http_write(char *p, size_t size, size_t n, void *arg)
{
	struct creds_xfer	*x = arg;
	size_t			 len = size * n;

	if (x->body.len + len > CREDS_ANSWER_MAX) {
		x->too_big = 1;
		return (0);
	}
	buf_add(&x->body, p, len);
	return (len);
}

/*
 * One request with TLS verification, no redirects, short timeouts and
 * a bounded answer.  Plain http:// only ever goes to loopback or the
 * metadata address (the URLs were checked), so it never uses a proxy.
 * Returns 0 with the status and the body (caller frees with creds_wipe_free),
 * or -1 with *cause for a transfer that did not complete.  Long because
 * each libcurl option that keeps it safe is set here, in one place.
 */
static int
creds_http(const struct creds_req *req, long *status, char **body,
    size_t *len, char **cause)
{
	static int		 initialised;
	struct creds_xfer	 x;
	struct curl_slist	*list = NULL, *l;
	CURL			*easy = NULL;
	CURLcode		 rc;
	char			 errbuf[CURL_ERROR_SIZE];
	size_t			 i;
	int			 rv = -1;

	*status = 0;
	*body = NULL;
	*len = 0;
	buf_init(&x.body);
	x.too_big = 0;
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("cannot initialise libcurl");
		initialised = 1;
	}
	if ((easy = curl_easy_init()) == NULL)
		fatal("cannot create a libcurl handle");
	for (i = 0; i < req->nheaders; i++) {
		if ((l = curl_slist_append(list, req->headers[i])) == NULL)
			fatal("curl_slist_append failed");
		list = l;
	}
	/* No "Expect: 100-continue" for an OIDC token in the body. */
	if ((l = curl_slist_append(list, "Expect:")) == NULL)
		fatal("curl_slist_append failed");
	list = l;

	errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST,
			    req->method);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, creds_http_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "ensbatch/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, req->connect_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, req->total_ms);
	if (strncmp(req->url, "http://", 7) == 0)
		curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");

	rc = curl_easy_perform(easy);
	if (x.too_big) {
		*cause = xasprintf("%s: the answer is larger than %d bytes",
		    req->shown, CREDS_ANSWER_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		*cause = xasprintf("%s: %s", req->shown, errbuf[0] != '\0' ?
		    errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
	*len = x.body.len;
	*body = buf_detach(&x.body);
	rv = 0;

out:
	if (x.body.data != NULL)
		explicit_bzero(x.body.data, x.body.cap);
	buf_free(&x.body);
	curl_slist_free_all(list);
	curl_easy_cleanup(easy);
	return (rv);
}

/* ------------------------------------------------------------- answers */

/*
 * A copy of a server's message without our secrets: everything from
 * "string to sign" on is cut (an STS answer to a bad V1 signature
 * quotes the string, which holds the token), every secret given is
 * masked, plain and percent-encoded, control characters become spaces
 * and the length is bounded.
 */
TESTABLE char *
creds_redact(const char *msg, const char *const *secrets, size_t n)
{
	char	*out, *p, *enc;
	size_t	 i, len;

	out = xstrdup(msg);
	if ((p = strcasestr(out, "string to sign")) != NULL)
		*p = '\0';
	for (i = 0; i < n; i++) {
		if (secrets[i] == NULL || *secrets[i] == '\0')
			continue;
		len = strlen(secrets[i]);
		while ((p = strstr(out, secrets[i])) != NULL)
			memset(p, '*', len);
		enc = sign_encode(secrets[i]);
		len = strlen(enc);
		while ((p = strstr(out, enc)) != NULL)
			memset(p, '*', len);
		free(enc);
	}
	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	if (strlen(out) > CREDS_MESSAGE_MAX)
		memcpy(out + CREDS_MESSAGE_MAX - 3, "...", 4);
	return (out);
}

/*
 * What an answer other than 200 says: "HTTP 403 NoPermission: message
 * (RequestId X)" for the API's error JSON, else only the status.
 */
static char *
creds_answer_error(long status, const char *body, size_t len,
    const char *const *secrets, size_t n)
{
	static const char *const keys[] = { "Code", "Message", "RequestId" };
	static const char *const pre[] = { " ", ": ", " (RequestId " };
	struct buf	 b;
	json_t		*root;
	json_error_t	 jerr;
	const char	*v;
	char		*red;
	size_t		 i;

	buf_init(&b);
	buf_addf(&b, "HTTP %ld", status);
	root = json_loadb(body, len, 0, &jerr);
	if (root != NULL && json_is_object(root) &&
	    json_is_string(json_object_get(root, "Code"))) {
		for (i = 0; i < 3; i++) {
			v = json_string_value(json_object_get(root, keys[i]));
			if (v == NULL)
				continue;
			red = creds_redact(v, secrets, n);
			buf_adds(&b, pre[i]);
			buf_adds(&b, red);
			if (i == 2)
				buf_addc(&b, ')');
			free(red);
		}
	}
	json_decref(root);
	return (buf_detach(&b));
}

/* A non-empty string member, or NULL. */
static const char *
creds_member(json_t *o, const char *key)
{
	const char	*v;

	v = json_string_value(json_object_get(o, key));
	if (v == NULL || *v == '\0')
		return (NULL);
	return (v);
}

/*
 * Parse the credentials of an answer: STS puts them in a "Credentials"
 * object; the metadata service and credentials URIs at the top level,
 * with Code "Success".  out receives the key, secret, token and
 * expiration and nothing else.  Messages never quote the answer.
 */
TESTABLE int
creds_parse_answer(const char *body, size_t len, int sts, struct creds *out,
    char **cause)
{
	static const char *const keys[] = {
		"AccessKeyId", "AccessKeySecret", "SecurityToken",
		"Expiration"
	};
	json_t		*root, *o;
	json_error_t	 jerr;
	const char	*v[4], *code;
	char		*why = NULL;
	int64_t		 exp;
	size_t		 i;
	int		 rv = -1;

	*cause = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		*cause = xstrdup("the answer is not a JSON object");
		goto out;
	}
	o = root;
	if (sts) {
		o = json_object_get(root, "Credentials");
		if (!json_is_object(o)) {
			*cause = xstrdup("the answer has no Credentials "
			    "object");
			goto out;
		}
	} else if ((code = json_string_value(json_object_get(root,
	    "Code"))) != NULL && strcmp(code, "Success") != 0) {
		*cause = xstrdup("the answer's Code is not \"Success\"");
		goto out;
	}
	for (i = 0; i < 4; i++) {
		if ((v[i] = creds_member(o, keys[i])) == NULL) {
			*cause = xasprintf("the answer has no %s", keys[i]);
			goto out;
		}
	}
	if (timefmt_parse(v[3], NULL, &exp, &why) != 0) {
		*cause = xstrdup("the answer's Expiration is not a time");
		goto out;
	}
	creds_set(out, v[0], v[1], v[2], NULL);
	out->expiration_ms = exp;
	rv = 0;

out:
	free(why);
	json_decref(root);
	return (rv);
}

/* ----------------------------------------------------------- endpoints */

/*
 * The base URL given by the environment variable name (a host, an
 * https:// URL, or an http:// URL to a loopback address), without a
 * final '/'.  Caller frees.
 */
static char *
creds_env_endpoint(const char *name, char **cause)
{
	const char	*ep, *why;
	size_t		 len;

	ep = creds_env_get(name);
	if ((why = rules_endpoint_problem(ep)) != NULL) {
		*cause = xasprintf("%s: %s", name, why);
		return (NULL);
	}
	len = strlen(ep);
	if (ep[len - 1] == '/')
		len--;
	if (strstr(ep, "://") != NULL)
		return (xstrndup(ep, len));
	return (xasprintf("https://%.*s", (int)len, ep));
}

/*
 * The STS base URL: ALIBABA_CLOUD_STS_ENDPOINT (a host or URL), else
 * sts[-vpc].REGION.aliyuncs.com for the profile's sts_region or
 * ALIBABA_CLOUD_STS_REGION, else sts.aliyuncs.com.  Caller frees.
 */
TESTABLE char *
creds_sts_url(const char *region, int vpc, char **cause)
{
	const char	*p;

	*cause = NULL;
	if (creds_env_get(ENV_STS_EP) != NULL)
		return (creds_env_endpoint(ENV_STS_EP, cause));
	if (region == NULL)
		region = creds_env_get(ENV_STS_REGION);
	if (region == NULL)
		return (xstrdup("https://" STS_DEFAULT));
	for (p = region; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-') {
			*cause = xasprintf("STS region \"%s\" is not a region "
			    "name", region);
			return (NULL);
		}
	}
	return (xasprintf("https://%s.%s.aliyuncs.com", vpc ? "sts-vpc" :
	    "sts", region));
}

/* The metadata service: ALIBABA_CLOUD_IMDS_ENDPOINT or 100.100.100.200. */
static char *
creds_imds_url(char **cause)
{
	*cause = NULL;
	if (creds_env_get(ENV_IMDS_EP) == NULL)
		return (xstrdup(IMDS_DEFAULT));
	return (creds_env_endpoint(ENV_IMDS_EP, cause));
}

/* Where the origin (scheme://authority) of a URL ends. */
static size_t
creds_origin_len(const char *url)
{
	const char	*host;

	if ((host = strstr(url, "://")) == NULL)
		return (0);
	host += 3;
	return ((size_t)(host - url) + strcspn(host, "/?#"));
}

TESTABLE char *
creds_uri_shown(const char *uri)
{
	const char	*host, *at, *end;
	size_t		 olen;

	olen = creds_origin_len(uri);
	if (olen == 0)
		return (xstrdup("(not a URL)"));
	host = strstr(uri, "://") + 3;
	/* user information may be a password */
	at = memchr(host, '@', (size_t)(uri + olen - host));
	end = uri + olen + strcspn(uri + olen, "?#");
	if (at != NULL)
		return (xasprintf("%.*s%.*s", (int)(host - uri), uri,
		    (int)(end - at - 1), at + 1));
	return (xstrndup(uri, (size_t)(end - uri)));
}

/* A credentials URI: http(s), and plain http only to loopback. */
static int
creds_uri_check(const char *uri, char **cause)
{
	const char	*why;
	char		*origin;
	size_t		 olen;

	if (strncmp(uri, "http://", 7) != 0 &&
	    strncmp(uri, "https://", 8) != 0) {
		*cause = xasprintf("%s must be an https:// URL (or http:// "
		    "to a loopback address)", ENV_URI);
		return (-1);
	}
	olen = creds_origin_len(uri);
	origin = xstrndup(uri, olen);
	why = rules_endpoint_problem(origin);
	free(origin);
	if (why != NULL) {
		*cause = xasprintf("%s: %s", ENV_URI, why);
		return (-1);
	}
	return (0);
}

/* A RAM role name as it may go into a metadata path. */
static int
creds_role_name_ok(const char *s)
{
	size_t	i;

	if (!isalnum((unsigned char)s[0]))
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 64 || (!isalnum((unsigned char)s[i]) &&
		    s[i] != '.' && s[i] != '-' && s[i] != '_'))
			return (0);
	}
	return (1);
}

/* ------------------------------------------------------------ fetching */

/* The current UTC time as STS wants it. */
static void
creds_timestamp(char *date, size_t len)
{
	time_t		t;
	struct tm	tm;

	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(date, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Do one request and parse the credentials of a 200 answer into out.
 * secrets are masked in what the server says.
 */
static int
creds_exchange(const struct creds_req *req, int sts,
    const char *const *secrets, size_t n, struct creds *out, char **cause)
{
	char	*body = NULL, *why = NULL;
	size_t	 len = 0;
	long	 status;
	int	 rv = -1;

	if (creds_http(req, &status, &body, &len, cause) != 0)
		goto out;
	if (status != 200) {
		why = creds_answer_error(status, body, len, secrets, n);
		*cause = xasprintf("%s: %s", req->shown, why);
		goto out;
	}
	if (creds_parse_answer(body, len, sts, out, &why) != 0) {
		*cause = xasprintf("%s: %s", req->shown, why);
		goto out;
	}
	rv = 0;

out:
	free(why);
	creds_wipe_free(body, len);
	return (rv);
}

/* STS AssumeRole, signed (V1, all in the query) with the base key. */
static int
creds_fetch_assume_role(struct creds_provider *p, struct creds *out,
    char **cause)
{
	struct sign_creds	 sc;
	struct sign_out		 so;
	struct sign_param	 params[3];
	struct creds_req	 req;
	const char		*secrets[2];
	char			 date[32], dur[24], *nonce, *url, *shown;
	int			 rv;

	memset(&so, 0, sizeof(so));
	sc.access_key_id = p->base->access_key_id;
	sc.access_key_secret = p->base->access_key_secret;
	sc.security_token = p->base->security_token;
	snprintf(dur, sizeof(dur), "%ld", p->duration);
	params[0].key = "DurationSeconds";
	params[0].value = dur;
	params[1].key = "RoleArn";
	params[1].value = p->role_arn;
	params[2].key = "RoleSessionName";
	params[2].value = p->session;
	creds_timestamp(date, sizeof(date));
	nonce = sign_nonce();
	sign_request(SIGN_V1, &sc, "POST", p->url, "AssumeRole", STS_VERSION,
	    params, 3, date, nonce, &so);
	free(nonce);
	url = xasprintf("%s/?%s", p->url, so.query);
	shown = xasprintf("AssumeRole at %s", p->shown);

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.shown = shown;
	req.headers = (const char *const *)so.headers;
	req.nheaders = so.nheaders;
	req.connect_ms = 5000;
	req.total_ms = 10000;
	secrets[0] = p->base->access_key_secret;
	secrets[1] = p->base->security_token;
	rv = creds_exchange(&req, 1, secrets, 2, out, cause);
	sign_out_free(&so);
	creds_wipe_free_str(url);	/* it holds the base token */
	free(shown);
	return (rv);
}

/* Read the OIDC token file, without trailing white space. */
static int
creds_oidc_token(const char *path, char **token, size_t *len,
    char **cause)
{
	enum creds_lookup	 r;

	r = creds_file_read(path, token, len, cause);
	if (r == CREDS_NOFILE)
		*cause = xasprintf("OIDC token file %s: no such file", path);
	if (r != CREDS_FOUND)
		return (-1);
	while (*len > 0 && isspace((unsigned char)(*token)[*len - 1]))
		(*token)[--*len] = '\0';
	if (*len == 0) {
		*cause = xasprintf("OIDC token file %s is empty", path);
		return (-1);
	}
	return (0);
}

/*
 * STS AssumeRoleWithOIDC: anonymous, the token in the form body (never
 * in a URL).  The token file is read again for every call: Kubernetes
 * and CI runners rotate it.
 */
static int
creds_fetch_oidc(struct creds_provider *p, struct creds *out, char **cause)
{
	struct sign_param	 form[5];
	struct creds_req	 req;
	const char		*secrets[1];
	const char		*headers[2] = {
		"Accept: application/json",
		"Content-Type: application/x-www-form-urlencoded"
	};
	char			 date[32], dur[24], *token = NULL;
	char			*body = NULL, *enc, *url = NULL, *shown = NULL;
	size_t			 tlen = 0;
	int			 rv = -1;

	if (creds_oidc_token(p->oidc_file, &token, &tlen, cause) != 0)
		goto out;
	snprintf(dur, sizeof(dur), "%ld", p->duration);
	form[0].key = "DurationSeconds";
	form[0].value = dur;
	form[1].key = "OIDCProviderArn";
	form[1].value = p->oidc_arn;
	form[2].key = "OIDCToken";
	form[2].value = token;
	form[3].key = "RoleArn";
	form[3].value = p->role_arn;
	form[4].key = "RoleSessionName";
	form[4].value = p->session;
	body = sign_canonical_query(form, 5);
	creds_timestamp(date, sizeof(date));
	enc = sign_encode(date);
	url = xasprintf("%s/?Action=AssumeRoleWithOIDC&Format=JSON&"
	    "Timestamp=%s&Version=" STS_VERSION, p->url, enc);
	free(enc);
	shown = xasprintf("AssumeRoleWithOIDC at %s", p->shown);

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.shown = shown;
	req.headers = headers;
	req.nheaders = 2;
	req.body = body;
	req.connect_ms = 5000;
	req.total_ms = 10000;
	secrets[0] = token;
	rv = creds_exchange(&req, 1, secrets, 1, out, cause);

out:
	creds_wipe_free(token, tlen);
	creds_wipe_free_str(body);
	free(url);
	free(shown);
	return (rv);
}

/*
 * One request to the metadata service (path below its base URL), with
 * header hdr if not NULL; as creds_http.
 */
static int
creds_imds_http(struct creds_provider *p, const char *method,
    const char *path, const char *hdr, long *status, char **body,
    size_t *len, char **cause)
{
	struct creds_req	 req;
	const char		*headers[1];
	char			*url, *shown;
	int			 rv;

	url = xasprintf("%s%s", p->url, path);
	shown = xasprintf("metadata service %s%s", p->shown, path);
	headers[0] = hdr;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.shown = shown;
	req.headers = headers;
	req.nheaders = hdr != NULL ? 1 : 0;
	req.connect_ms = 2000;
	req.total_ms = 5000;
	rv = creds_http(&req, status, body, len, cause);
	free(url);
	free(shown);
	return (rv);
}

/*
 * A GET of the metadata service with the session token header hdr, if
 * any (token is masked in what the service says): 0 with the body of a
 * 200 answer (caller frees with creds_wipe_free_str), or -1.
 */
static int
creds_imds_get(struct creds_provider *p, const char *path, const char *hdr,
    const char *token, char **body, char **cause)
{
	char	*why;
	size_t	 len;
	long	 status;

	if (creds_imds_http(p, "GET", path, hdr, &status, body, &len,
	    cause) != 0)
		return (-1);
	if (status != 200) {
		why = creds_answer_error(status, *body, len, &token,
		    hdr != NULL ? 1 : 0);
		*cause = xasprintf("metadata service %s%s: %s", p->shown, path,
		    why);
		free(why);
		creds_wipe_free(*body, len);
		*body = NULL;
		return (-1);
	}
	return (0);
}

/*
 * The metadata service: a session token first (IMDSv2; without one the
 * service may still answer, unless ALIBABA_CLOUD_IMDSV1_DISABLED), the
 * role name if none was given, then the role's credentials.
 */
static int
creds_fetch_imds(struct creds_provider *p, struct creds *out, char **cause)
{
	char	*token = NULL, *th = NULL, *role = NULL;
	char	*path = NULL, *body = NULL, *why = NULL;
	size_t	 len = 0;
	long	 status = 0;
	int	 rv = -1, r;

	r = creds_imds_http(p, "PUT", IMDS_TOKEN_PATH, IMDS_TOKEN_TTL_HEADER,
	    &status, &token, &len, &why);
	if (r == 0 && status == 200 && len > 0 && strcspn(token, "\r\n") ==
	    len)
		th = xasprintf("X-aliyun-ecs-metadata-token: %s", token);
	else if (p->imdsv1_off) {
		if (why == NULL)
			why = xasprintf("metadata service %s" IMDS_TOKEN_PATH
			    ": HTTP %ld", p->shown, status);
		*cause = xasprintf("%s (no session token, and %s is true)",
		    why, ENV_IMDSV1_OFF);
		goto out;
	}
	free(why);
	why = NULL;

	if (p->role_name == NULL) {
		if (creds_imds_get(p, IMDS_CREDS_PATH, th, token, &role,
		    cause) != 0)
			goto out;
		role[strcspn(role, " \t\r\n")] = '\0';
		if (!creds_role_name_ok(role)) {
			*cause = xasprintf("metadata service %s%s: no valid "
			    "RAM role name (is a role attached to the "
			    "instance?)", p->shown, IMDS_CREDS_PATH);
			goto out;
		}
	}
	path = xasprintf(IMDS_CREDS_PATH "%s", p->role_name != NULL ?
	    p->role_name : role);
	if (creds_imds_get(p, path, th, token, &body, cause) != 0)
		goto out;
	if (creds_parse_answer(body, strlen(body), 0, out, &why) != 0) {
		*cause = xasprintf("metadata service %s%s: %s", p->shown, path,
		    why);
		goto out;
	}
	rv = 0;

out:
	creds_wipe_free(token, len);
	creds_wipe_free_str(th);
	creds_wipe_free_str(body);
	free(role);
	free(path);
	free(why);
	return (rv);
}

/* A credentials URI: GET, the answer as the metadata service's. */
static int
creds_fetch_uri(struct creds_provider *p, struct creds *out, char **cause)
{
	struct creds_req	 req;
	char			*shown;
	int			 rv;

	shown = xasprintf("GET %s", p->shown);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = p->url;
	req.shown = shown;
	req.connect_ms = 5000;
	req.total_ms = 10000;
	rv = creds_exchange(&req, 0, NULL, 0, out, cause);
	free(shown);
	return (rv);
}

/*
 * Fetch a fresh set from p into out (key, secret, token, expiration).
 * An AssumeRole whose base key is itself temporary renews that first.
 */
static int
creds_fetch(struct creds_provider *p, int64_t now, int64_t margin,
    struct creds *out, char **cause)
{
	int	rv = -1;

	*cause = NULL;
	memset(out, 0, sizeof(*out));
	switch (p->kind) {
	case CREDS_ASSUME_ROLE:
		if (creds_refresh(p->base, now, margin, cause) != 0)
			break;
		rv = creds_fetch_assume_role(p, out, cause);
		break;
	case CREDS_OIDC:
		rv = creds_fetch_oidc(p, out, cause);
		break;
	case CREDS_IMDS:
		rv = creds_fetch_imds(p, out, cause);
		break;
	case CREDS_URI:
		rv = creds_fetch_uri(p, out, cause);
		break;
	}
	if (rv == 0 && out->expiration_ms <= now) {
		*cause = xstrdup("the credentials it gave have already "
		    "expired (is the clock right?)");
		rv = -1;
	}
	if (rv != 0)
		creds_free(out);
	return (rv);
}

static void
creds_provider_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	free(p->url);
	free(p->shown);
	free(p->role_arn);
	free(p->session);
	free(p->oidc_arn);
	free(p->oidc_file);
	free(p->role_name);
	if (p->base != NULL) {
		creds_free(p->base);
		free(p->base);
	}
	free(p);
}

/* The role session name given, or ALIBABA_CLOUD_ROLE_SESSION_NAME, or ours. */
static char *
creds_session_name(const char *given)
{
	if (given != NULL)
		return (xstrdup(given));
	if ((given = creds_env_get(ENV_SESSION)) != NULL)
		return (xstrdup(given));
	return (xasprintf("ensbatch-%lld", (long long)time(NULL)));
}

/*
 * Fill creds from provider p (taken over, freed on failure) and name
 * them source (taken over).  A failure names the source.
 */
static enum creds_lookup
creds_start(struct creds *creds, struct creds_provider *p, char *source,
    char **cause)
{
	struct creds	 fresh;
	char		*why = NULL;
	int64_t		 now;

	now = timefmt_now();
	if (creds_fetch(p, now, 0, &fresh, &why) != 0) {
		*cause = xasprintf("%s: %s", source, why);
		free(why);
		free(source);
		creds_provider_free(p);
		return (CREDS_ERROR);
	}
	*creds = fresh;
	creds->source = source;
	creds->provider = p;
	return (CREDS_FOUND);
}

/* ------------------------------------------------------- config.json */

/*
 * Check the shape of the whole file, so that a broken file is reported
 * whichever profile is asked for: an object, "current" a string,
 * "profiles" an array of objects each with a "name" string.  The fields
 * of a profile are checked when it is used.
 */
static int
creds_cfg_check(json_t *root, const char *path, char **cause)
{
	json_t	*profiles, *cur, *v;
	size_t	 i;
	int	 rv = -1;

	if (!json_is_object(root)) {
		*cause = xasprintf("%s: not a JSON object", path);
		goto out;
	}
	cur = json_object_get(root, "current");
	if (cur != NULL && !json_is_string(cur)) {
		*cause = xasprintf("%s: \"current\" is not a string", path);
		goto out;
	}
	profiles = json_object_get(root, "profiles");
	if (profiles != NULL && !json_is_array(profiles)) {
		*cause = xasprintf("%s: \"profiles\" is not an array", path);
		goto out;
	}
	json_array_foreach(profiles, i, v) {
		if (!json_is_object(v)) {
			*cause = xasprintf("%s: profiles[%zu] is not an "
			    "object", path, i);
			goto out;
		}
		if (!json_is_string(json_object_get(v, "name"))) {
			*cause = xasprintf("%s: profiles[%zu] has no \"name\" "
			    "string", path, i);
			goto out;
		}
	}
	rv = 0;

out:
	return (rv);
}

/*
 * Load the aliyun CLI configuration into *root (caller decrefs).  The
 * message of a syntax error keeps jansson's position and reason but not
 * the quoted text, which may be part of a secret.
 */
static enum creds_lookup
creds_cfg_load(const char *path, json_t **root, char **cause)
{
	enum creds_lookup	 rv;
	json_error_t		 jerr;
	char			*data = NULL, *near;
	size_t			 len = 0;

	*root = NULL;
	rv = creds_file_read(path, &data, &len, cause);
	if (rv != CREDS_FOUND)
		goto out;

	*root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*root == NULL) {
		if ((near = strstr(jerr.text, " near ")) != NULL)
			*near = '\0';
		if (jerr.line > 0)
			*cause = xasprintf("%s:%d:%d: invalid JSON: %s", path,
			    jerr.line, jerr.column, jerr.text);
		else
			*cause = xasprintf("%s: invalid JSON: %s", path,
			    jerr.text);
		rv = CREDS_ERROR;
		goto out;
	}
	if (creds_cfg_check(*root, path, cause) != 0) {
		json_decref(*root);
		*root = NULL;
		rv = CREDS_ERROR;
		goto out;
	}

out:
	creds_wipe_free(data, len);
	return (rv);
}

/*
 * A field of a profile: *out is NULL if it is absent or null; a value
 * of another type than want (JSON_TRUE stands for both booleans) is an
 * error that says it is not what.
 */
static int
creds_cfg_get(json_t *prof, const char *key, json_type want, const char *what,
    json_t **out, const char *path, const char *name, char **cause)
{
	json_t		*v;
	json_type	 t;

	*out = NULL;
	v = json_object_get(prof, key);
	if (v == NULL || json_is_null(v))
		return (0);
	t = json_typeof(v) == JSON_FALSE ? JSON_TRUE : json_typeof(v);
	if (t != want) {
		*cause = xasprintf("%s: profile \"%s\": \"%s\" is not %s",
		    path, name, key, what);
		return (-1);
	}
	*out = v;
	return (0);
}

/* A string field: *out is NULL if it is absent, null or empty. */
static int
creds_cfg_field(json_t *prof, const char *key, const char **out, const char *path,
    const char *name, char **cause)
{
	json_t	*v;

	*out = NULL;
	if (creds_cfg_get(prof, key, JSON_STRING, "a string", &v, path, name,
	    cause) != 0)
		return (-1);
	if (v != NULL && json_string_length(v) != 0)
		*out = json_string_value(v);
	return (0);
}

/* A field that must be present and not empty. */
static int
creds_cfg_field_required(json_t *prof, const char *key, const char **out,
    const char *path, const char *name, const char *mode, char **cause)
{
	if (creds_cfg_field(prof, key, out, path, name, cause) != 0)
		return (-1);
	if (*out == NULL) {
		*cause = xasprintf("%s: profile \"%s\": mode %s needs \"%s\", "
		    "which is missing or empty", path, name, mode, key);
		return (-1);
	}
	return (0);
}

#define CFG_MODES	"AK, StsToken, RamRoleArn, ChainableRamRoleArn, " \
			"EcsRamRole or OIDC"

/* A duration in seconds: 0 when absent or null. */
static int
creds_cfg_seconds(json_t *prof, const char *key, long *out, const char *path,
    const char *name, char **cause)
{
	json_t	*v;

	*out = 0;
	if (creds_cfg_get(prof, key, JSON_INTEGER, "an integer from 0 to 43200", &v,
	    path, name, cause) != 0)
		return (-1);
	if (v != NULL && (json_integer_value(v) < 0 ||
	    json_integer_value(v) > STS_DURATION_MAX)) {
		*cause = xasprintf("%s: profile \"%s\": \"%s\" is not an "
		    "integer from 0 to %d", path, name, key, STS_DURATION_MAX);
		return (-1);
	}
	if (v != NULL)
		*out = (long)json_integer_value(v);
	return (0);
}

/* A boolean field: 0 when absent or null. */
static int
creds_cfg_bool(json_t *prof, const char *key, int *out, const char *path,
    const char *name, char **cause)
{
	json_t	*v;

	if (creds_cfg_get(prof, key, JSON_TRUE, "true or false", &v, path, name,
	    cause) != 0)
		return (-1);
	*out = v != NULL && json_is_true(v);
	return (0);
}

/*
 * The STS side of a role profile (RamRoleArn, ChainableRamRoleArn,
 * OIDC): ram_role_arn, ram_session_name, expired_seconds (default
 * 3600), sts_region and enable_vpc.  Fills a new provider of kind.
 */
static struct creds_provider *
creds_cfg_role(json_t *prof, enum creds_kind kind, const char *path,
    const char *name, const char *mode, char **cause)
{
	struct creds_provider	*p;
	const char		*arn, *session, *region;
	long			 dur;
	int			 vpc;
	char			*why;

	if (creds_cfg_field_required(prof, "ram_role_arn", &arn, path, name, mode,
	    cause) != 0 ||
	    creds_cfg_field(prof, "ram_session_name", &session, path, name,
	    cause) != 0 ||
	    creds_cfg_field(prof, "sts_region", &region, path, name, cause) != 0 ||
	    creds_cfg_seconds(prof, "expired_seconds", &dur, path, name,
	    cause) != 0 ||
	    creds_cfg_bool(prof, "enable_vpc", &vpc, path, name, cause) != 0)
		return (NULL);
	if (dur == 0)
		dur = STS_DURATION;
	if (dur < STS_DURATION_MIN) {
		*cause = xasprintf("%s: profile \"%s\": \"expired_seconds\" "
		    "must be at least %d (STS refuses shorter sessions)", path,
		    name, STS_DURATION_MIN);
		return (NULL);
	}
	p = xcalloc(1, sizeof(*p));
	p->kind = kind;
	if ((p->url = creds_sts_url(region, vpc || creds_env_true(ENV_VPC),
	    &why)) == NULL) {
		*cause = xasprintf("%s: profile \"%s\": %s", path, name, why);
		free(why);
		creds_provider_free(p);
		return (NULL);
	}
	p->shown = xstrdup(p->url);
	p->role_arn = xstrdup(arn);
	p->session = creds_session_name(session);
	p->duration = dur;
	return (p);
}

/* The metadata service for role (NULL = ask it). */
static struct creds_provider *
creds_imds_provider(const char *role, char **cause)
{
	struct creds_provider	*p;

	p = xcalloc(1, sizeof(*p));
	p->kind = CREDS_IMDS;
	if ((p->url = creds_imds_url(cause)) == NULL) {
		creds_provider_free(p);
		return (NULL);
	}
	p->shown = xstrdup(p->url);
	p->role_name = role != NULL ? xstrdup(role) : NULL;
	p->imdsv1_off = creds_env_true(ENV_IMDSV1_OFF);
	return (p);
}

/*
 * The provider of a profile in one of the temporary modes; for
 * ChainableRamRoleArn the source profile is resolved first (depth
 * counts the links, to stop a loop).
 */
static struct creds_provider *
creds_cfg_temporary(json_t *root, json_t *prof, const char *path,
    const char *name, const char *mode, int depth, char **cause)
{
	struct creds_provider	*p = NULL;
	struct creds		*base = NULL;
	enum creds_lookup	 r;
	const char		*id, *secret, *src, *role, *oidc_arn, *file;

	if (strcmp(mode, "RamRoleArn") == 0) {
		if (creds_cfg_field_required(prof, "access_key_id", &id, path, name,
		    mode, cause) != 0 ||
		    creds_cfg_field_required(prof, "access_key_secret", &secret,
		    path, name, mode, cause) != 0)
			goto out;
		if ((p = creds_cfg_role(prof, CREDS_ASSUME_ROLE, path, name, mode,
		    cause)) == NULL)
			goto out;
		p->base = xcalloc(1, sizeof(*p->base));
		creds_set(p->base, id, secret, NULL, xasprintf("profile "
		    "\"%s\" (%s, access key)", name, path));
	} else if (strcmp(mode, "ChainableRamRoleArn") == 0) {
		if (creds_cfg_field_required(prof, "source_profile", &src, path,
		    name, mode, cause) != 0)
			goto out;
		if (depth >= CREDS_CHAIN_MAX) {
			*cause = xasprintf("%s: profile \"%s\": "
			    "source_profile chain longer than %d (a loop?)",
			    path, name, CREDS_CHAIN_MAX);
			goto out;
		}
		if ((p = creds_cfg_role(prof, CREDS_ASSUME_ROLE, path, name, mode,
		    cause)) == NULL)
			goto out;
		base = xcalloc(1, sizeof(*base));
		r = creds_cfg_profile(root, path, src, depth + 1, base, cause);
		if (r == CREDS_ABSENT)
			*cause = xasprintf("%s: profile \"%s\": "
			    "source_profile \"%s\" is not a profile of this "
			    "file", path, name, src);
		if (r != CREDS_FOUND) {
			free(base);
			creds_provider_free(p);
			p = NULL;
			goto out;
		}
		p->base = base;
	} else if (strcmp(mode, "OIDC") == 0) {
		if (creds_cfg_field_required(prof, "oidc_provider_arn", &oidc_arn,
		    path, name, mode, cause) != 0 ||
		    creds_cfg_field_required(prof, "oidc_token_file", &file, path,
		    name, mode, cause) != 0)
			goto out;
		if ((p = creds_cfg_role(prof, CREDS_OIDC, path, name, mode,
		    cause)) == NULL)
			goto out;
		p->oidc_arn = xstrdup(oidc_arn);
		p->oidc_file = xstrdup(file);
	} else {	/* EcsRamRole */
		if (creds_cfg_field(prof, "ram_role_name", &role, path, name,
		    cause) != 0)
			goto out;
		if (creds_env_true(ENV_ECS_OFF)) {
			*cause = xasprintf("%s: profile \"%s\": mode %s, but "
			    "%s is true", path, name, mode, ENV_ECS_OFF);
			goto out;
		}
		if (role != NULL && !creds_role_name_ok(role)) {
			*cause = xasprintf("%s: profile \"%s\": "
			    "\"ram_role_name\" is not a RAM role name", path,
			    name);
			goto out;
		}
		p = creds_imds_provider(role, cause);
	}

out:
	return (p);
}

/*
 * Find the profile called name in the "profiles" array of root and fill
 * creds from it.  Modes AK and StsToken give a key; RamRoleArn,
 * ChainableRamRoleArn, OIDC and EcsRamRole fetch temporary credentials
 * now.  depth counts source_profile links.
 */
static enum creds_lookup
creds_cfg_profile(json_t *root, const char *path, const char *name, int depth,
    struct creds *creds, char **cause)
{
	enum creds_lookup	 rv = CREDS_ERROR;
	struct creds_provider	*p;
	json_t			*profiles, *prof = NULL, *v, *n;
	const char		*mode, *id, *secret, *token = NULL;
	char			*source;
	size_t			 i;

	/* creds_cfg_check has made sure of the shape. */
	profiles = json_object_get(root, "profiles");
	json_array_foreach(profiles, i, v) {
		n = json_object_get(v, "name");
		if (strcmp(json_string_value(n), name) == 0) {
			prof = v;
			break;
		}
	}
	if (prof == NULL) {
		rv = CREDS_ABSENT;
		goto out;
	}

	if (creds_cfg_field(prof, "mode", &mode, path, name, cause) != 0)
		goto out;
	if (mode == NULL) {
		*cause = xasprintf("%s: profile \"%s\": \"mode\" is missing "
		    "or empty (use " CFG_MODES ")", path, name);
		goto out;
	}
	source = xasprintf("profile \"%s\" (%s, %s)", name, path, mode);
	if (strcmp(mode, "RamRoleArn") == 0 ||
	    strcmp(mode, "ChainableRamRoleArn") == 0 ||
	    strcmp(mode, "OIDC") == 0 || strcmp(mode, "EcsRamRole") == 0) {
		if ((p = creds_cfg_temporary(root, prof, path, name, mode, depth,
		    cause)) == NULL) {
			free(source);
			goto out;
		}
		rv = creds_start(creds, p, source, cause);
		goto out;
	}
	if (strcmp(mode, "AK") != 0 && strcmp(mode, "StsToken") != 0) {
		*cause = xasprintf("%s: profile \"%s\": mode %s is not "
		    "supported (use " CFG_MODES ")", path, name, mode);
		free(source);
		goto out;
	}
	if (creds_cfg_field_required(prof, "access_key_id", &id, path, name, mode,
	    cause) != 0 ||
	    creds_cfg_field_required(prof, "access_key_secret", &secret, path, name,
	    mode, cause) != 0 ||
	    (strcmp(mode, "StsToken") == 0 && creds_cfg_field_required(prof,
	    "sts_token", &token, path, name, mode, cause) != 0)) {
		free(source);
		goto out;
	}
	creds_set(creds, id, secret, token, source);
	rv = CREDS_FOUND;

out:
	return (rv);
}

/*
 * Step 3: the profile named by ALIBABA_CLOUD_PROFILE, else the file's
 * "current".  A profile that is asked for but missing is an error; a
 * file without "current" is noted in *note and passed over.
 */
static enum creds_lookup
creds_cfg_default(const char *path, struct creds *creds, const char **note,
    char **cause)
{
	enum creds_lookup	 rv;
	json_t			*root = NULL, *cur;
	const char		*name, *from;

	*note = "not found";
	rv = creds_cfg_load(path, &root, cause);
	if (rv != CREDS_FOUND)
		goto out;

	cur = json_object_get(root, "current");	/* a string or NULL */
	if ((name = creds_env_get(ENV_PROFILE)) != NULL)
		from = ENV_PROFILE;
	else {
		from = "\"current\"";
		if (cur != NULL && json_string_length(cur) != 0)
			name = json_string_value(cur);
	}
	if (name == NULL) {
		*note = "no current profile";
		rv = CREDS_ABSENT;
		goto out;
	}

	rv = creds_cfg_profile(root, path, name, 0, creds, cause);
	if (rv == CREDS_ABSENT) {
		*cause = xasprintf("%s: no profile \"%s\" (named by %s)", path,
		    name, from);
		rv = CREDS_ERROR;
	}

out:
	json_decref(root);
	return (rv);
}

/* ------------------------------------------------------- credentials */

/* Trim white space at both ends of s, in place. */
static char *
creds_ini_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' ||
	    *s == '\f')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\v' || e[-1] == '\f'))
		e--;
	*e = '\0';
	return (s);
}

/*
 * Parse an INI file held in data (modified in place) and collect the
 * keys we use from section want.  The whole file is checked, so that a
 * broken file is reported even if the section is fine.  Messages name
 * keys we know and line numbers, never the text of a line.  One loop
 * over the lines, as the format is one kind of line after another.
 */
static int
creds_ini_parse(char *data, size_t len, const char *path, const char *want,
    struct ini_section *sec, char **cause)
{
	struct ini_key	*k;
	char		*line, *next, *end = data + len, *eq, *key, *name;
	unsigned long	 n = 0;
	int		 rv = -1, in_section = 0, any_section = 0;
	size_t		 l;

	memset(sec, 0, sizeof(*sec));
	if (memchr(data, '\0', len) != NULL) {
		*cause = xasprintf("%s: contains a NUL byte", path);
		goto out;
	}
	/* A byte order mark, as some Windows editors write. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		data += 3;

	for (line = data; line < end; line = next) {
		n++;
		if ((next = memchr(line, '\n', (size_t)(end - line))) != NULL)
			*next++ = '\0';
		else
			next = end;
		line = creds_ini_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;

		if (*line == '[') {
			l = strlen(line);
			if (line[l - 1] != ']') {
				*cause = xasprintf("%s:%lu: section header "
				    "without closing ]", path, n);
				goto out;
			}
			line[l - 1] = '\0';
			name = creds_ini_trim(line + 1);
			if (*name == '\0') {
				*cause = xasprintf("%s:%lu: empty section "
				    "name", path, n);
				goto out;
			}
			any_section = 1;
			in_section = strcmp(name, want) == 0;
			if (in_section && sec->line == 0)
				sec->line = n;
			continue;
		}

		if ((eq = strchr(line, '=')) == NULL) {
			*cause = xasprintf("%s:%lu: expected \"key = value\"",
			    path, n);
			goto out;
		}
		if (!any_section) {
			*cause = xasprintf("%s:%lu: key before the first "
			    "[section]", path, n);
			goto out;
		}
		*eq = '\0';
		key = creds_ini_trim(line);
		if (*key == '\0') {
			*cause = xasprintf("%s:%lu: no key before =", path, n);
			goto out;
		}
		if (!in_section)
			continue;
		if (strcmp(key, "type") == 0)
			k = &sec->type;
		else if (strcmp(key, "access_key_id") == 0)
			k = &sec->id;
		else if (strcmp(key, "access_key_secret") == 0)
			k = &sec->secret;
		else
			continue;
		if (k->line != 0) {
			*cause = xasprintf("%s:%lu: [%s]: %s given twice "
			    "(first on line %lu)", path, n, want, key,
			    k->line);
			goto out;
		}
		k->value = creds_ini_trim(eq + 1);
		k->line = n;
	}
	rv = 0;

out:
	return (rv);
}

/*
 * Look for section want in the credentials file at path and fill creds
 * from it; only type = access_key is supported.
 */
static enum creds_lookup
creds_ini_lookup(const char *path, const char *want, struct creds *creds,
    char **cause)
{
	enum creds_lookup	 rv;
	struct ini_section	 sec;
	char			*data = NULL;
	size_t			 len = 0;

	rv = creds_file_read(path, &data, &len, cause);
	if (rv != CREDS_FOUND)
		goto out;
	rv = CREDS_ERROR;
	if (creds_ini_parse(data, len, path, want, &sec, cause) != 0)
		goto out;

	if (sec.line == 0) {
		rv = CREDS_ABSENT;
		goto out;
	}
	if (sec.type.line == 0 || *sec.type.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: no type (use type = "
		    "access_key)", path, sec.line, want);
		goto out;
	}
	if (strcmp(sec.type.value, "access_key") != 0) {
		*cause = xasprintf("%s:%lu: [%s]: type %s not supported (use "
		    "type = access_key)", path, sec.type.line, want,
		    sec.type.value);
		goto out;
	}
	if (sec.id.line == 0 || *sec.id.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: access_key_id is missing or "
		    "empty", path, sec.id.line != 0 ? sec.id.line : sec.line,
		    want);
		goto out;
	}
	if (sec.secret.line == 0 || *sec.secret.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: access_key_secret is "
		    "missing or empty", path,
		    sec.secret.line != 0 ? sec.secret.line : sec.line, want);
		goto out;
	}

	creds_set(creds, sec.id.value, sec.secret.value, NULL,
	    xasprintf("[%s] in %s", want, path));
	rv = CREDS_FOUND;

out:
	creds_wipe_free(data, len);
	return (rv);
}

/* ---------------------------------------------------------- resolving */

/* Step 1: --profile NAME, in config.json and then in credentials. */
static int
creds_resolve_named(const char *name, const char *cfg, const char *ini,
    struct creds *creds, char **cause)
{
	enum creds_lookup	 r1, r2;
	json_t			*root = NULL;
	int			 rv = -1;

	if (cfg == NULL) {
		*cause = xasprintf("profile \"%s\": HOME is not set, so "
		    "~%s and ~%s cannot be read", name, CFG_FILE, INI_FILE);
		goto out;
	}

	r1 = creds_cfg_load(cfg, &root, cause);
	if (r1 == CREDS_ERROR)
		goto out;
	if (r1 == CREDS_FOUND) {
		r1 = creds_cfg_profile(root, cfg, name, 0, creds, cause);
		if (r1 == CREDS_ERROR)
			goto out;
		if (r1 == CREDS_FOUND) {
			rv = 0;
			goto out;
		}
	}

	r2 = creds_ini_lookup(ini, name, creds, cause);
	if (r2 == CREDS_ERROR)
		goto out;
	if (r2 == CREDS_FOUND) {
		rv = 0;
		goto out;
	}

	*cause = xasprintf("profile \"%s\" not found (looked at: %s (%s), "
	    "%s (%s))", name,
	    cfg, r1 == CREDS_NOFILE ? "not found" : "no such profile",
	    ini, r2 == CREDS_NOFILE ? "not found" : "no such section");

out:
	json_decref(root);
	return (rv);
}

/*
 * Step 2: the environment.  Half a key pair (or a token without one) is
 * an error rather than a reason to look further: the user meant it.
 */
static enum creds_lookup
creds_resolve_env(struct creds *creds, char **cause)
{
	const char	*id, *secret, *token;

	id = creds_env_get(ENV_ID);
	secret = creds_env_get(ENV_SECRET);
	token = creds_env_get(ENV_TOKEN);

	if (id != NULL && secret != NULL) {
		creds_set(creds, id, secret, token, xstrdup("environment"));
		return (CREDS_FOUND);
	}
	if (id != NULL) {
		*cause = xasprintf("%s is set but %s is not", ENV_ID,
		    ENV_SECRET);
		return (CREDS_ERROR);
	}
	if (secret != NULL) {
		*cause = xasprintf("%s is set but %s is not", ENV_SECRET,
		    ENV_ID);
		return (CREDS_ERROR);
	}
	if (token != NULL) {
		*cause = xasprintf("%s is set but %s and %s are not",
		    ENV_TOKEN, ENV_ID, ENV_SECRET);
		return (CREDS_ERROR);
	}
	return (CREDS_ABSENT);
}

/*
 * Step 3: AssumeRoleWithOIDC from the environment (GitHub Actions,
 * Kubernetes RRSA).  ALIBABA_CLOUD_ROLE_ARN alone is not this source;
 * the provider ARN or the token file without the other two is an
 * error.
 */
static enum creds_lookup
creds_resolve_oidc_env(struct creds *creds, char **cause)
{
	static const char *const names[] = {
		ENV_ROLE_ARN, ENV_OIDC_ARN, ENV_OIDC_FILE
	};
	struct creds_provider	*p;
	const char		*v[3];
	size_t			 i;
	char			*why;

	for (i = 0; i < 3; i++)
		v[i] = creds_env_get(names[i]);
	if (v[1] == NULL && v[2] == NULL)
		return (CREDS_ABSENT);
	for (i = 0; i < 3; i++) {
		if (v[i] == NULL) {
			*cause = xasprintf("%s is not set (AssumeRoleWithOIDC "
			    "needs %s, %s and %s)", names[i], names[0],
			    names[1], names[2]);
			return (CREDS_ERROR);
		}
	}
	p = xcalloc(1, sizeof(*p));
	p->kind = CREDS_OIDC;
	if ((p->url = creds_sts_url(NULL, creds_env_true(ENV_VPC), &why)) == NULL) {
		*cause = why;
		creds_provider_free(p);
		return (CREDS_ERROR);
	}
	p->shown = xstrdup(p->url);
	p->role_arn = xstrdup(v[0]);
	p->oidc_arn = xstrdup(v[1]);
	p->oidc_file = xstrdup(v[2]);
	p->session = creds_session_name(NULL);
	p->duration = STS_DURATION;
	return (creds_start(creds, p, xasprintf("OIDC role arn %s "
	    "(environment)", v[0]), cause));
}

/* Step 6: ALIBABA_CLOUD_ECS_METADATA names the instance's RAM role. */
static enum creds_lookup
creds_resolve_ecs_env(struct creds *creds, char **cause)
{
	struct creds_provider	*p;
	const char		*role;

	if ((role = creds_env_get(ENV_ECS_ROLE)) == NULL || creds_env_true(ENV_ECS_OFF))
		return (CREDS_ABSENT);
	if (!creds_role_name_ok(role)) {
		*cause = xasprintf("%s is not a RAM role name", ENV_ECS_ROLE);
		return (CREDS_ERROR);
	}
	if ((p = creds_imds_provider(role, cause)) == NULL)
		return (CREDS_ERROR);
	return (creds_start(creds, p, xasprintf("ECS RAM role %s (%s)", role,
	    ENV_ECS_ROLE), cause));
}

/* Step 7: ALIBABA_CLOUD_CREDENTIALS_URI. */
static enum creds_lookup
creds_resolve_uri_env(struct creds *creds, char **cause)
{
	struct creds_provider	*p;
	const char		*uri;

	if ((uri = creds_env_get(ENV_URI)) == NULL)
		return (CREDS_ABSENT);
	if (creds_uri_check(uri, cause) != 0)
		return (CREDS_ERROR);
	p = xcalloc(1, sizeof(*p));
	p->kind = CREDS_URI;
	p->url = xstrdup(uri);
	p->shown = creds_uri_shown(uri);
	return (creds_start(creds, p, xasprintf("credentials URI %s (%s)",
	    p->shown, ENV_URI), cause));
}

/* Steps 6 and 7, after the files: the instance's role, a URI. */
static enum creds_lookup
creds_resolve_late(struct creds *creds, char **cause)
{
	enum creds_lookup	r;

	if ((r = creds_resolve_ecs_env(creds, cause)) == CREDS_ABSENT)
		r = creds_resolve_uri_env(creds, cause);
	return (r);
}

int
creds_resolve(const char *profile, struct creds *creds, char **cause)
{
	enum creds_lookup	 r, ini_r;
	const char		*home, *cfg_note = NULL;
	char			*cfg = NULL, *ini = NULL;
	size_t			 hlen;
	int			 rv = -1;

	*cause = NULL;
	memset(creds, 0, sizeof(*creds));

	if ((home = creds_env_get("HOME")) != NULL) {
		hlen = strlen(home);
		while (hlen > 1 && home[hlen - 1] == '/')
			hlen--;
		if (hlen == 1 && home[0] == '/')
			hlen = 0;
		cfg = xasprintf("%.*s%s", (int)hlen, home, CFG_FILE);
		ini = xasprintf("%.*s%s", (int)hlen, home, INI_FILE);
	}

	if (profile != NULL && *profile != '\0') {
		rv = creds_resolve_named(profile, cfg, ini, creds, cause);
		goto out;
	}

	r = creds_resolve_env(creds, cause);
	if (r != CREDS_ABSENT)
		goto done;
	r = creds_resolve_oidc_env(creds, cause);
	if (r != CREDS_ABSENT)
		goto done;

	if (cfg == NULL) {
		if ((r = creds_resolve_late(creds, cause)) != CREDS_ABSENT)
			goto done;
		*cause = xasprintf("no credentials: set %s and %s, or "
		    "configure a profile in ~%s or ~%s (looked at: "
		    "environment; HOME is not set, so no files)", ENV_ID,
		    ENV_SECRET, CFG_FILE, INI_FILE);
		goto out;
	}

	r = creds_cfg_default(cfg, creds, &cfg_note, cause);
	if (r != CREDS_ABSENT && r != CREDS_NOFILE)
		goto done;

	ini_r = r = creds_ini_lookup(ini, INI_DEFAULT, creds, cause);
	if (r != CREDS_ABSENT && r != CREDS_NOFILE)
		goto done;

	if ((r = creds_resolve_late(creds, cause)) != CREDS_ABSENT)
		goto done;

	*cause = xasprintf("no credentials: set %s and %s, or configure a "
	    "profile in ~%s or ~%s (looked at: environment, %s (%s), %s (%s))",
	    ENV_ID, ENV_SECRET, CFG_FILE, INI_FILE, cfg, cfg_note, ini,
	    ini_r == CREDS_NOFILE ? "not found" : "no [" INI_DEFAULT
	    "] section");
	goto out;

done:
	rv = r == CREDS_FOUND ? 0 : -1;
out:
	if (rv != 0)
		creds_free(creds);
	free(cfg);
	free(ini);
	return (rv);
}

/* Do credentials expiring at exp need renewing at now? */
TESTABLE int
creds_due(int64_t exp, int64_t now, int64_t margin)
{
	if (margin < 0)
		margin = 0;
	return (exp <= now || exp - now <= margin);
}

int
creds_refresh(struct creds *creds, int64_t now, int64_t margin,
    char **cause)
{
	struct creds	 fresh;
	char		*why = NULL;

	*cause = NULL;
	if (creds->provider == NULL ||
	    !creds_due(creds->expiration_ms, now, margin))
		return (0);
	if (now < creds->retry_ms && creds->expiration_ms > now)
		return (0);
	if (creds_fetch(creds->provider, now, margin, &fresh, &why) != 0) {
		if (creds->expiration_ms > now) {
			/* Still valid: try again a little later. */
			creds->retry_ms = now + CREDS_RETRY_MS;
			free(why);
			return (0);
		}
		*cause = xasprintf("%s: the credentials expired and renewing "
		    "them failed: %s", creds->source, why);
		free(why);
		return (-1);
	}
	free(creds->access_key_id);
	creds_wipe_free_str(creds->access_key_secret);
	creds_wipe_free_str(creds->security_token);
	creds->access_key_id = fresh.access_key_id;
	creds->access_key_secret = fresh.access_key_secret;
	creds->security_token = fresh.security_token;
	creds->expiration_ms = fresh.expiration_ms;
	creds->retry_ms = 0;
	return (0);
}

const char *
creds_source(const struct creds *creds)
{
	return (creds->source != NULL ? creds->source : "no credentials");
}

/* Free what creds_resolve filled in; the secrets are wiped first. */
void
creds_free(struct creds *creds)
{
	if (creds == NULL)
		return;
	free(creds->access_key_id);
	creds_wipe_free_str(creds->access_key_secret);
	creds_wipe_free_str(creds->security_token);
	free(creds->source);
	creds_provider_free(creds->provider);
	memset(creds, 0, sizeof(*creds));
}

/*
 * An access key id as ensbatch shows it (confirmation, report, plan):
 * the first and last 4 characters; an id of 8 or fewer is masked whole.
 */
void
creds_mask_key(const char *id, char *out, size_t len)
{
	size_t	n = strlen(id);

	if (n <= 8)
		snprintf(out, len, "********");
	else
		snprintf(out, len, "%.4s****%s", id, id + n - 4);
}
