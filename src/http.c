/*
 * libcurl glue.  One easy handle is kept for sequential calls so that
 * the connection is reused; the multi path uses a handle per transfer
 * and shares connections through the multi handle's pool.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "ensbatch/buf.h"
#include "ensbatch/http.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

struct http_client {
	struct http_config	 cfg;
	char			*cacert;
	CURL			*easy;		/* sequential calls */
	CURLM			*multi;
};

/* One transfer's state, owned by the call that runs it. */
struct transfer {
	CURL			*easy;
	struct curl_slist	*headers;
	struct buf		 body;
	int			 too_big;
	int64_t			 retry_after;
	char			 errbuf[CURL_ERROR_SIZE];
};

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
	if ((c->easy = curl_easy_init()) == NULL ||
	    (c->multi = curl_multi_init()) == NULL)
		fatal("cannot create a libcurl handle");
	return (c);
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->easy);
	curl_multi_cleanup(c->multi);
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

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	size_t		 len = size * n;	/* size is always 1 */

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
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	char		*line, *end;
	long long	 v;

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
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http_client	*c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return (c->cfg.stop != NULL && *c->cfg.stop >= 2);
}

static void
transfer_setup(struct http_client *c, struct transfer *t, CURL *easy,
    const struct http_request *req)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	t->easy = easy;
	t->retry_after = -1;
	buf_init(&t->body);
	for (i = 0; i < req->nheaders; i++) {
		t->headers = curl_slist_append(t->headers, req->headers[i]);
		if (t->headers == NULL)
			fatal("out of memory in libcurl");
	}
	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "ensbatch/" PACKAGE_VERSION);
	if (c->cfg.cacert != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->cfg.cacert);
	curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, req->fresh ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, c);
	if (c->cfg.timeout_ms > 0)
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
	if (c->cfg.connect_timeout_ms > 0)
		curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
		    c->cfg.connect_timeout_ms);
}

/*
 * Classify a finished transfer.  Whether the request may have reached
 * the server decides between NOT_SENT (safe to send again) and UNKNOWN:
 * only failures that happen before any byte of the request went out
 * count as NOT_SENT.
 */
static void
transfer_finish(struct transfer *t, CURLcode rc, struct http_response *r)
{
	long		 status = 0, sent = 0;
	const char	*msg;

	memset(r, 0, sizeof(*r));
	r->retry_after = t->retry_after;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
	msg = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_OK:
		r->result = HTTP_DONE;
		r->status = status;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		/* Not sent, unless a resend on a new connection failed. */
		r->result = sent == 0 ? HTTP_NOT_SENT : HTTP_UNKNOWN;
		r->error = xstrdup(msg);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		r->result = sent == 0 ? HTTP_NOT_SENT : HTTP_UNKNOWN;
		r->error = xasprintf("TLS: %s", msg);
		r->tls = 1;
		break;
	default:
		if (t->too_big) {
			/* An answer came, but we cannot read it. */
			r->result = HTTP_UNKNOWN;
			r->error = xasprintf("answer larger than %ld bytes",
			    HTTP_MAX_BODY);
		} else {
			r->result = sent == 0 ? HTTP_NOT_SENT : HTTP_UNKNOWN;
			r->error = xstrdup(msg);
		}
		break;
	}
	r->len = t->body.len;
	r->body = buf_detach(&t->body);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
}

void
http_post(struct http_client *c, const struct http_request *req,
    struct http_response *r)
{
	struct transfer	t;
	CURLcode	rc;

	transfer_setup(c, &t, c->easy, req);
	rc = curl_easy_perform(c->easy);
	transfer_finish(&t, rc, r);
}

void
http_post_many(struct http_client *c, const struct http_request *req,
    size_t n, size_t parallel, long interval_ms, struct http_response *out)
{
	struct transfer	*t;
	CURLMsg		*msg;
	CURL		*easy;
	size_t		 next = 0, active = 0, i;
	int64_t		 last_start = 0, wait;
	int		 running, left;

	if (parallel == 0)
		parallel = 1;
	t = xcalloc(n + 1, sizeof(*t));
	while (next < n || active > 0) {
		/* Stopping: what has not started never will. */
		while (next < n && c->cfg.stop != NULL && *c->cfg.stop != 0) {
			memset(&out[next], 0, sizeof(out[next]));
			out[next].result = HTTP_NOT_SENT;
			out[next].retry_after = -1;
			out[next].body = xstrdup("");
			out[next++].error = xstrdup("interrupted before "
			    "sending");
		}
		while (next < n && active < parallel) {
			wait = last_start + interval_ms - timefmt_mono();
			if (next > 0 && wait > 0)
				break;
			if ((easy = curl_easy_init()) == NULL)
				fatal("cannot create a libcurl handle");
			transfer_setup(c, &t[next], easy, &req[next]);
			curl_easy_setopt(easy, CURLOPT_PRIVATE,
			    (char *)&t[next]);
			if (curl_multi_add_handle(c->multi, easy) != CURLM_OK)
				fatal("cannot add a libcurl transfer");
			last_start = timefmt_mono();
			next++;
			active++;
		}
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
			struct transfer	*done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&done);
			i = (size_t)(done - t);
			transfer_finish(done, msg->data.result, &out[i]);
			curl_multi_remove_handle(c->multi, done->easy);
			curl_easy_cleanup(done->easy);
			done->easy = NULL;
			active--;
		}
		if (active > 0 || next < n)
			curl_multi_poll(c->multi, NULL, 0, 50, NULL);
	}
	free(t);
}
