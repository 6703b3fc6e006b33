/*
 * libcurl glue.  Every transfer runs on the client's multi handle with
 * an easy handle of its own; the multi handle pools connections, and a
 * share handle keeps TLS sessions and DNS answers across the fresh
 * connections that reboot calls insist on.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "ensbatch/buf.h"
#include "ensbatch/http.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

struct http_client {
	struct http_config	 cfg;
	char			*cacert;
	CURLM			*multi;
	CURLSH			*share;
	size_t			 active;
	long			 handshakes;
	long			 resumed;	/* that resumed a session */
};

/*
 * The OpenSSL calls of http_tls_info_cb, found at run time in the
 * libssl that libcurl brought (the program itself links libcrypto
 * only); ok = all of them were found, tried = looked for.
 */
struct http_ossl {
	void		 (*set_info_callback)(SSL_CTX *,
			    void (*)(const SSL *, int, int));
	int		 (*in_before)(const SSL *);
	SSL_SESSION	*(*get_session)(const SSL *);
	int		 (*is_resumable)(const SSL_SESSION *);
	SSL_SESSION	*(*dup)(const SSL_SESSION *);
	int		 (*set_session)(SSL *, SSL_SESSION *);
	void		 (*free)(SSL_SESSION *);
	int		 (*reused)(const SSL *);	/* for counting */
	int		 ok;
	int		 tried;
};
static struct http_ossl	http_ossl;

/* One transfer's state, from http_start to http_wait. */
struct http_transfer {
	struct http_client	*client;
	CURL			*easy;
	struct curl_slist	*headers;
	struct buf		 body;
	int			 too_big;
	int64_t			 retry_after;
	void			*tag;
	char			 errbuf[CURL_ERROR_SIZE];
};

/*
 * Find the OpenSSL calls, if libcurl runs on OpenSSL: with another TLS
 * library they are missing and connections resume as libcurl does it.
 * Returns whether all were found.
 */
TESTABLE int
http_ossl_setup(void)
{
	struct http_ossl		*o = &http_ossl;
	const curl_version_info_data	*v;

	memset(o, 0, sizeof(*o));
	o->tried = 1;
	v = curl_version_info(CURLVERSION_NOW);
	if (v->ssl_version == NULL ||
	    strncmp(v->ssl_version, "OpenSSL/", 8) != 0)
		return (0);
	*(void **)&o->set_info_callback = dlsym(RTLD_DEFAULT,
	    "SSL_CTX_set_info_callback");
	*(void **)&o->in_before = dlsym(RTLD_DEFAULT, "SSL_in_before");
	/* SSL_get0_session is a macro of it. */
	*(void **)&o->get_session = dlsym(RTLD_DEFAULT, "SSL_get_session");
	*(void **)&o->is_resumable = dlsym(RTLD_DEFAULT,
	    "SSL_SESSION_is_resumable");
	*(void **)&o->dup = dlsym(RTLD_DEFAULT, "SSL_SESSION_dup");
	*(void **)&o->set_session = dlsym(RTLD_DEFAULT, "SSL_set_session");
	*(void **)&o->free = dlsym(RTLD_DEFAULT, "SSL_SESSION_free");
	*(void **)&o->reused = dlsym(RTLD_DEFAULT, "SSL_session_reused");
	o->ok = o->set_info_callback != NULL && o->in_before != NULL &&
	    o->get_session != NULL && o->is_resumable != NULL &&
	    o->dup != NULL && o->set_session != NULL && o->free != NULL &&
	    o->reused != NULL;
	return (o->ok);
}

/*
 * A TLS handshake starts: resume from a copy of the session libcurl
 * took from its cache, not from the cached session itself.  OpenSSL
 * makes a TLS 1.3 session single-use: the moment a handshake resuming
 * it ends, it marks the session not resumable (SSL_CTX_remove_session
 * in tls_finish_handshake), and libcurl (7.88) hands that dead session
 * to every connection it starts until the server's next ticket
 * replaces it, so that each of them makes a full handshake.  Under
 * load that window grows from a fraction of a millisecond to tens, and
 * parallel reboot calls on fresh connections fall into it.  Reusing a
 * ticket links the connections to one client, which the AccessKeyId
 * of every call does anyway; no early data is sent, so nothing can be
 * replayed.
 */
static void
http_tls_info_cb(const SSL *cssl, int where, int ret)
{
	SSL		*ssl = (SSL *)(uintptr_t)cssl;	/* not const */
	SSL_SESSION	*sess, *copy;

	(void)ret;
	if (where != SSL_CB_HANDSHAKE_START || !http_ossl.in_before(ssl))
		return;
	if ((sess = http_ossl.get_session(ssl)) == NULL ||
	    !http_ossl.is_resumable(sess))
		return;
	/* Without a copy it resumes the cached one, as before. */
	if ((copy = http_ossl.dup(sess)) == NULL)
		return;
	http_ossl.set_session(ssl, copy);
	http_ossl.free(copy);
}

/* libcurl made a connection's SSL_CTX: watch its handshakes. */
static CURLcode
http_ssl_ctx_cb(CURL *easy, void *ctx, void *arg)
{
	(void)easy;
	(void)arg;
	http_ossl.set_info_callback(ctx, http_tls_info_cb);
	return (CURLE_OK);
}

struct http_client *
http_client_new(const struct http_config *cfg)
{
	static int		 initialised;
	struct http_client	*c;

	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("cannot initialise libcurl");
		initialised = 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	if (cfg->cacert != NULL)
		c->cacert = xstrdup(cfg->cacert);
	c->cfg.cacert = c->cacert;
	if ((c->multi = curl_multi_init()) == NULL ||
	    (c->share = curl_share_init()) == NULL)
		fatal("cannot create a libcurl handle");
	/* One thread: the share needs no lock functions. */
	if (curl_share_setopt(c->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_DNS) != CURLSHE_OK)
		fatal("cannot share TLS sessions in libcurl");
	return (c);
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_multi_cleanup(c->multi);
	curl_share_cleanup(c->share);
	free(c->cacert);
	free(c);
}

void
http_response_clear(struct http_response *r)
{
	free(r->body);
	free(r->error);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

long
http_handshakes(const struct http_client *c, long *full, int *exact)
{
	if (full != NULL)
		*full = c->handshakes - c->resumed;
	if (exact != NULL)
		*exact = http_ossl.ok;
	return (c->handshakes);
}

size_t
http_active(const struct http_client *c)
{
	return (c->active);
}

static size_t
http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_transfer	*t = arg;
	size_t			 len = size * n;	/* size is always 1 */

	if (t->body.len + len > HTTP_MAX_BODY) {
		t->too_big = 1;
		return (0);		/* aborts the transfer */
	}
	buf_add(&t->body, data, len);
	return (len);
}

/*
 * Retry-After (seconds) and x-acs-retry-after (milliseconds, as the
 * Alibaba gateways send it).
 */
static size_t
http_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_transfer	*t = arg;
	char			*line, *end;
	long long		 v;

	n *= size;			/* size is always 1 */
	line = xstrndup(data, n);
	if (strncasecmp(line, "retry-after:", 12) == 0 ||
	    strncasecmp(line, "x-acs-retry-after:", 18) == 0) {
		int	ms = line[0] == 'x' || line[0] == 'X';

		errno = 0;
		v = strtoll(strchr(line, ':') + 1, &end, 10);
		if (errno == 0 && v >= 0 && v < 86400000LL && end !=
		    strchr(line, ':') + 1)
			t->retry_after = ms ? v : v * 1000;
	}
	free(line);
	return (n);
}

/* A second signal aborts transfers in flight (libcurl progress hook). */
static int
http_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http_client	*c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return (c->cfg.stop != NULL && *c->cfg.stop >= 2);
}

/*
 * Count TLS handshakes from libcurl's own notes: "SSL connection
 * using" ends each handshake; whether it resumed a session, OpenSSL
 * says (SSL_session_reused: the server took the session offered).
 * With another TLS library "SSL re-using session ID" counts instead,
 * which only means a cached session was offered.  Nothing else of the
 * notes is kept.
 */
static int
http_debug_cb(CURL *easy, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct http_client		*c = arg;
	struct curl_tlssessioninfo	*tls;

	if (type != CURLINFO_TEXT)
		return (0);
	if (size >= 20 && memcmp(data, "SSL connection using", 20) == 0) {
		c->handshakes++;
		if (http_ossl.ok && curl_easy_getinfo(easy,
		    CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK &&
		    tls->backend == CURLSSLBACKEND_OPENSSL &&
		    tls->internals != NULL && http_ossl.reused(tls->internals))
			c->resumed++;
	} else if (!http_ossl.ok && size >= 22 && memcmp(data,
	    "SSL re-using session ID", 22) == 0)
		c->resumed++;
	return (0);
}

/*
 * An empty POST as the API wants it.  libcurl would add a default
 * "Content-Type: application/x-www-form-urlencoded" to it, which V3
 * would have to sign: an empty "Content-Type:" header suppresses it.
 */
static void
http_setup(struct http_client *c, struct http_transfer *t,
    const struct http_request *req)
{
	CURL	*easy;
	size_t	 i;

	if ((easy = curl_easy_init()) == NULL)
		fatal("cannot create a libcurl handle");
	t->client = c;
	t->easy = easy;
	t->retry_after = -1;
	buf_init(&t->body);
	for (i = 0; i < req->nheaders; i++) {
		t->headers = curl_slist_append(t->headers, req->headers[i]);
		if (t->headers == NULL)
			fatal("out of memory in libcurl");
	}
	if ((t->headers = curl_slist_append(t->headers, "Content-Type:")) ==
	    NULL)
		fatal("out of memory in libcurl");
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)t);
	curl_easy_setopt(easy, CURLOPT_SHARE, c->share);
	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	/* Each TLS connection resumes from a copy of the cached session. */
	if (!http_ossl.tried)
		http_ossl_setup();
	if (http_ossl.ok)
		curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION,
		    http_ssl_ctx_cb);
	/* libcurl's notes count TLS handshakes; plain HTTP has none. */
	if (c->cfg.count_handshakes &&
	    strncmp(req->url, "https://", 8) == 0) {
		curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, http_debug_cb);
		curl_easy_setopt(easy, CURLOPT_DEBUGDATA, c);
		curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
	}
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "ensbatch/" PACKAGE_VERSION);
	if (c->cfg.cacert != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->cfg.cacert);
	curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, req->fresh ? 1L : 0L);
	/* Nor kept open for nothing: it would never be used again. */
	curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, req->fresh ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, http_progress_cb);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, c);
	if (c->cfg.timeout_ms > 0)
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
	if (c->cfg.connect_timeout_ms > 0)
		curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
		    c->cfg.connect_timeout_ms);
}

TESTABLE enum http_result
http_classify(CURLcode rc, long sent, int too_big, int *tls)
{
	*tls = 0;
	switch (rc) {
	case CURLE_OK:
		return (HTTP_DONE);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		*tls = 1;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		/* The request was on the wire, whatever the count says. */
		return (HTTP_UNKNOWN);
	default:
		break;
	}
	/* An answer came, but we cannot read it. */
	if (too_big)
		return (HTTP_UNKNOWN);
	/*
	 * Resolve, connect, handshake or a timeout: not sent unless some
	 * byte of the request went out first (e.g. libcurl resent it).
	 */
	return (sent == 0 ? HTTP_NOT_SENT : HTTP_UNKNOWN);
}

/* Turn a finished transfer into a response and free it. */
static void
http_finish(struct http_transfer *t, CURLcode rc, struct http_response *r)
{
	long		 status = 0, sent = 0;
	const char	*msg;

	memset(r, 0, sizeof(*r));
	r->retry_after = t->retry_after;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
	/* libcurl's "Callback aborted" means our signal hook stopped it. */
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		msg = "stopped by a second signal while in flight";
	else
		msg = t->errbuf[0] != '\0' ? t->errbuf :
		    curl_easy_strerror(rc);
	r->result = http_classify(rc, sent, t->too_big, &r->tls);
	if (r->result == HTTP_DONE)
		r->status = status;
	else if (t->too_big)
		r->error = xasprintf("answer larger than %ld bytes",
		    HTTP_MAX_BODY);
	else if (r->tls)
		r->error = xasprintf("TLS: %s", msg);
	else
		r->error = xstrdup(msg);
	r->len = t->body.len;
	r->body = buf_detach(&t->body);
	curl_multi_remove_handle(t->client->multi, t->easy);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t);
}

void
http_start(struct http_client *c, const struct http_request *req,
    void *tag)
{
	struct http_transfer	*t;
	int			 running;

	t = xcalloc(1, sizeof(*t));
	t->tag = tag;
	http_setup(c, t, req);
	if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK)
		fatal("cannot add a libcurl transfer");
	c->active++;
	/*
	 * Connect now, not at the next wait: the caller may have more to
	 * do first (journal other calls), and each transfer's connect
	 * would wait for all of it.
	 */
	curl_multi_perform(c->multi, &running);
}

void
http_kick(struct http_client *c)
{
	int	running;

	if (c->active > 0)
		curl_multi_perform(c->multi, &running);
}

void *
http_wait(struct http_client *c, long timeout_ms, struct http_response *out)
{
	struct http_transfer	*t;
	CURLMsg			*msg;
	int64_t			 end = timefmt_mono() + timeout_ms, left;
	int			 running, queued;
	void			*tag;

	for (;;) {
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &queued)) !=
		    NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&t);
			tag = t->tag;
			c->active--;
			http_finish(t, msg->data.result, out);
			return (tag);
		}
		if (c->active == 0 || (left = end - timefmt_mono()) <= 0)
			return (NULL);
		curl_multi_poll(c->multi, NULL, 0, (int)left, NULL);
	}
}
