/*
 * Signature verification as the ENS endpoint does it: V3
 * (ACS3-HMAC-SHA256, Authorization header) or V1 (HMAC-SHA1, Signature
 * parameter), recomputed with the same sign.c the client uses; the
 * access key id, the clock skew and nonce reuse are checked too (the
 * nonce last and apart, as the only check that needs the simulator
 * locked).
 */
#include "config.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ensbatch/sign.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#include "sim.h"

#define V3_ALGORITHM	"ACS3-HMAC-SHA256"

/* A remembered nonce, in a ring that evicts the oldest first. */
struct nonce_entry {
	char	*key;
	int64_t	 at;
};

struct sim_nonces {
	void			*tree;		/* tsearch set of keys */
	struct nonce_entry	*ring;
	size_t			 cap;
	size_t			 head;
	size_t			 count;
	int64_t			 keep_ms;
};

/* Headers every V3 request has, and has signed. */
static const char *const v3_required[] = {
	"x-acs-action", "x-acs-version", "x-acs-date",
	"x-acs-signature-nonce", "x-acs-content-sha256"
};

/* Parameters every V1 request has besides Signature. */
static const char *const v1_required[] = {
	"AccessKeyId", "Action", "Version", "Timestamp", "SignatureMethod",
	"SignatureVersion", "SignatureNonce"
};

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

/*
 * Remember at most cap nonces, each for keep_ms: a replay older than
 * that carries a date outside the accepted skew anyway.
 */
struct sim_nonces *
nonces_new(size_t cap, int64_t keep_ms)
{
	struct sim_nonces	*n;

	n = xcalloc(1, sizeof *n);
	n->cap = cap == 0 ? 1 : cap;
	n->ring = xcalloc(n->cap, sizeof *n->ring);
	n->keep_ms = keep_ms;
	return (n);
}

void
nonces_free(struct sim_nonces *n)
{
	size_t	i;

	if (n == NULL)
		return;
	tdestroy(n->tree, free_nothing);
	for (i = 0; i < n->count; i++)
		free(n->ring[(n->head + i) % n->cap].key);
	free(n->ring);
	free(n);
}

/* Record key at now: 0 if it is new, 1 if it was seen already. */
static int
nonces_use(struct sim_nonces *n, const char *key, int64_t now)
{
	struct nonce_entry	*e;

	while (n->count > 0) {
		e = &n->ring[n->head];
		if (n->count < n->cap && e->at >= now - n->keep_ms)
			break;
		tdelete(e->key, &n->tree, cmp_str);
		free(e->key);
		e->key = NULL;
		n->head = (n->head + 1) % n->cap;
		n->count--;
	}
	if (tfind(key, &n->tree, cmp_str) != NULL)
		return (1);
	e = &n->ring[(n->head + n->count) % n->cap];
	e->key = xstrdup(key);
	e->at = now;
	if (tsearch(e->key, &n->tree, cmp_str) == NULL)
		fatal("out of memory remembering a nonce");
	n->count++;
	return (0);
}

void
auth_clear(struct sim_auth *a)
{
	free(a->access_key_id);
	a->access_key_id = NULL;
}

/* Compare two strings in time that depends only on their lengths. */
static int
same_secret_text(const char *a, const char *b)
{
	size_t		 i, la = strlen(a), lb = strlen(b);
	unsigned char	 diff = 0;

	if (la != lb)
		return (0);
	for (i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return (diff == 0);
}

static void
missing(struct sim_reply *r, const char *what)
{
	reply_error(r, 400, "MissingParameter", "The input parameter \"%s\" "
	    "that is mandatory for processing this request is not supplied.",
	    what);
}

static void
incomplete(struct sim_reply *r, const char *why)
{
	reply_error(r, 400, "IncompleteSignature", "The request signature "
	    "does not conform to Aliyun standards: %s.", why);
}

/* The key id, the date (skew) and, last, the nonce.  0 or -1. */
static int
check_key_and_date(const struct sim *s, const char *akid, const char *date,
    int64_t now, struct sim_reply *r)
{
	int64_t	 t;
	char	*why = NULL;
	int	 rc = -1;

	if (strcmp(akid, s->access_key_id) != 0) {
		reply_error(r, 404, "InvalidAccessKeyId.NotFound",
		    "Specified access key is not found.");
		goto out;
	}
	if (strchr(date, 'T') == NULL ||
	    timefmt_parse(date, NULL, &t, &why) != 0) {
		reply_error(r, 400, "InvalidTimeStamp.Format", "Specified "
		    "time stamp or date value is not well formatted: \"%s\" "
		    "(expected YYYY-MM-DDThh:mm:ssZ).", date);
		goto out;
	}
	if (t < now - SIM_SKEW_MS || t > now + SIM_SKEW_MS) {
		reply_error(r, 400, "InvalidTimeStamp.Expired", "Specified "
		    "time stamp or date value is expired: %s is more than 15 "
		    "minutes away from the server's time.", date);
		goto out;
	}
	rc = 0;
out:
	free(why);
	return (rc);
}

int
auth_use_nonce(struct sim *s, const struct sim_auth *a, int64_t now,
    struct sim_reply *r)
{
	if (nonces_use(s->nonces, a->nonce, now)) {
		reply_error(r, 400, "SignatureNonceUsed", "Specified "
		    "signature nonce was used already.");
		return (-1);
	}
	return (0);
}

/*
 * Split "ACS3-HMAC-SHA256 Credential=A,SignedHeaders=B,Signature=C".
 * Returns 0 with the three parts (caller frees), or -1.
 */
static int
parse_authorization(const char *text, char **cred, char **signed_headers,
    char **sig)
{
	const char	*p, *end, *eq;
	char		**slot;
	size_t		 len;

	*cred = *signed_headers = *sig = NULL;
	len = strlen(V3_ALGORITHM);
	if (strncmp(text, V3_ALGORITHM, len) != 0 ||
	    (text[len] != ' ' && text[len] != '\t'))
		return (-1);
	p = text + len;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, ",");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			return (-1);
		if ((size_t)(eq - p) == 10 &&
		    strncmp(p, "Credential", 10) == 0)
			slot = cred;
		else if ((size_t)(eq - p) == 13 &&
		    strncmp(p, "SignedHeaders", 13) == 0)
			slot = signed_headers;
		else if ((size_t)(eq - p) == 9 &&
		    strncmp(p, "Signature", 9) == 0)
			slot = sig;
		else
			return (-1);
		if (*slot != NULL)
			return (-1);
		while (end > eq + 1 && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*slot = xstrndup(eq + 1, (size_t)(end - eq - 1));
		p = end;
	}
	if (*cred == NULL || *signed_headers == NULL || *sig == NULL ||
	    **cred == '\0' || **signed_headers == '\0' || **sig == '\0')
		return (-1);
	return (0);
}

/* Does the ';'-separated list contain name (any case)? */
static int
list_has(const char *list, const char *name)
{
	size_t		 len = strlen(name);
	const char	*p = list, *end;

	for (;;) {
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) == len && strncasecmp(p, name, len) == 0)
			return (1);
		if (*end == '\0')
			return (0);
		p = end + 1;
	}
}

static int
verify_v3(const struct sim *s, const struct sim_request *req,
    const char *authz, int64_t now, struct sim_auth *a, struct sim_reply *r)
{
	struct sign_header	*hdrs = NULL;
	struct sign_param	*qp = NULL;
	char			*cred = NULL, *list = NULL, *sig = NULL;
	char			*body_hash = NULL, *cq = NULL, *mine = NULL;
	char			*names = NULL, *name;
	const char		*p, *end, *content_sha;
	size_t			 i, nhdrs = 0;
	int			 rc = -1;

	a->sig = SIM_SIG_V3;
	a->action = req->header(req->header_arg, "x-acs-action");
	a->version = req->header(req->header_arg, "x-acs-version");
	if (parse_authorization(authz, &cred, &list, &sig) != 0) {
		incomplete(r, "the Authorization header must be \""
		    V3_ALGORITHM " Credential=...,SignedHeaders=...,"
		    "Signature=...\"");
		goto out;
	}
	a->access_key_id = xstrdup(cred);
	for (i = 0; i < sizeof v3_required / sizeof v3_required[0]; i++) {
		if (req->header(req->header_arg, v3_required[i]) != NULL)
			continue;
		if (strcmp(v3_required[i], "x-acs-content-sha256") == 0)
			incomplete(r, "the x-acs-content-sha256 header is "
			    "missing");
		else
			missing(r, v3_required[i]);
		goto out;
	}
	for (i = 0; i < sizeof v3_required / sizeof v3_required[0]; i++) {
		if (!list_has(list, v3_required[i])) {
			name = xasprintf("SignedHeaders must include %s",
			    v3_required[i]);
			incomplete(r, name);
			free(name);
			goto out;
		}
	}
	if (check_key_and_date(s, cred, req->header(req->header_arg,
	    "x-acs-date"), now, r) != 0)
		goto out;

	content_sha = req->header(req->header_arg, "x-acs-content-sha256");
	body_hash = sign_sha256_hex(req->body, req->bodylen);
	if (strcasecmp(content_sha, body_hash) != 0) {
		reply_error(r, 400, "SignatureDoesNotMatch", "Specified "
		    "signature does not match our calculation: "
		    "x-acs-content-sha256 is not the SHA-256 of the body.");
		goto out;
	}

	/* The signed headers with the values received. */
	names = xstrdup(list);
	for (p = names; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, ";");
		name = xstrndup(p, (size_t)(end - p));
		hdrs = xreallocarray(hdrs, nhdrs + 1, sizeof *hdrs);
		hdrs[nhdrs].name = name;
		hdrs[nhdrs].value = req->header(req->header_arg, name);
		nhdrs++;
		if (hdrs[nhdrs - 1].value == NULL) {
			name = xasprintf("signed header \"%s\" is not in the "
			    "request", hdrs[nhdrs - 1].name);
			incomplete(r, name);
			free(name);
			goto out;
		}
	}

	qp = xreallocarray(NULL, req->query.n, sizeof *qp);
	for (i = 0; i < req->query.n; i++) {
		qp[i].key = req->query.v[i].key;
		qp[i].value = req->query.v[i].value;
	}
	cq = sign_canonical_query(qp, req->query.n);
	mine = sign_v3_signature(s->access_key_secret, req->method, cq, hdrs,
	    nhdrs, content_sha, NULL);
	if (!same_secret_text(mine, sig)) {
		reply_error(r, 400, "SignatureDoesNotMatch", "Specified "
		    "signature does not match our calculation.");
		goto out;
	}
	a->nonce = req->header(req->header_arg, "x-acs-signature-nonce");
	rc = 0;
out:
	for (i = 0; i < nhdrs; i++)
		free((char *)(uintptr_t)hdrs[i].name);
	free(hdrs);
	free(qp);
	free(names);
	free(cq);
	free(mine);
	free(body_hash);
	free(cred);
	free(list);
	free(sig);
	return (rc);
}

static int
verify_v1(const struct sim *s, const struct sim_request *req, int64_t now,
    struct sim_auth *a, struct sim_reply *r)
{
	const struct sim_params	*all = &req->all;
	struct sign_param	*sp = NULL;
	const char		*v;
	char			*mine = NULL;
	size_t			 i, n = 0;
	int			 rc = -1;

	a->sig = SIM_SIG_V1;
	a->action = params_get(all, "Action");
	a->version = params_get(all, "Version");
	if ((v = params_get(all, "AccessKeyId")) != NULL)
		a->access_key_id = xstrdup(v);
	for (i = 0; i < sizeof v1_required / sizeof v1_required[0]; i++) {
		if (params_get(all, v1_required[i]) == NULL) {
			missing(r, v1_required[i]);
			goto out;
		}
	}
	if (strcmp(params_get(all, "SignatureMethod"), "HMAC-SHA1") != 0) {
		incomplete(r, "SignatureMethod must be HMAC-SHA1");
		goto out;
	}
	if (strcmp(params_get(all, "SignatureVersion"), "1.0") != 0) {
		incomplete(r, "SignatureVersion must be 1.0");
		goto out;
	}
	if (check_key_and_date(s, a->access_key_id, params_get(all,
	    "Timestamp"), now, r) != 0)
		goto out;

	sp = xreallocarray(NULL, all->n, sizeof *sp);
	for (i = 0; i < all->n; i++) {
		if (strcmp(all->v[i].key, "Signature") == 0)
			continue;
		sp[n].key = all->v[i].key;
		sp[n].value = all->v[i].value;
		n++;
	}
	mine = sign_v1_signature(s->access_key_secret, req->method, sp, n);
	if (!same_secret_text(mine, params_get(all, "Signature"))) {
		reply_error(r, 400, "SignatureDoesNotMatch", "Specified "
		    "signature does not match our calculation.");
		goto out;
	}
	a->nonce = params_get(all, "SignatureNonce");
	rc = 0;
out:
	free(sp);
	free(mine);
	return (rc);
}

int
auth_verify(const struct sim *s, const struct sim_request *req, int64_t now,
    struct sim_auth *a, struct sim_reply *r)
{
	const char	*authz;

	memset(a, 0, sizeof *a);
	if ((authz = req->header(req->header_arg, "Authorization")) != NULL)
		return (verify_v3(s, req, authz, now, a, r));
	if (params_get(&req->all, "Signature") != NULL)
		return (verify_v1(s, req, now, a, r));

	/* Unsigned: say what is missing first, as the endpoint does. */
	if ((a->action = req->header(req->header_arg,
	    "x-acs-action")) == NULL)
		a->action = params_get(&req->all, "Action");
	missing(r, "AccessKeyId");
	return (-1);
}
