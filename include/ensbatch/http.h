/*
 * HTTPS client over libcurl.  Nothing above this module sees a CURLcode:
 * a transfer ends as HTTP_DONE (an answer, any status), HTTP_NOT_SENT
 * (resolve, connect or TLS handshake failed: the server never saw the
 * request) or HTTP_UNKNOWN (the request may have reached the server but
 * no complete answer came back).  TLS verification is always on.
 */
#ifndef ENSBATCH_HTTP_H
#define ENSBATCH_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_BODY	(8L * 1024 * 1024)	/* larger answers fail */

struct http_config {
	const char	*cacert;	/* CA bundle, NULL = system store */
	/* 1: start no new transfers; 2: abort those in flight. */
	volatile sig_atomic_t *stop;
	long		 timeout_ms;	/* whole transfer */
	long		 connect_timeout_ms;
};

enum http_result {
	HTTP_DONE,
	HTTP_NOT_SENT,
	HTTP_UNKNOWN
};

struct http_response {
	enum http_result result;
	long		 status;	/* HTTP status when HTTP_DONE */
	char		*body;		/* NUL-terminated, may be empty */
	size_t		 len;
	int64_t		 retry_after;	/* ms from Retry-After headers, -1 */
	char		*error;		/* transport problem, else NULL */
	int		 tls;		/* the problem was TLS */
};

struct http_request {
	const char	*url;
	char *const	*headers;	/* "Name: value" */
	size_t		 nheaders;
	/*
	 * A new connection: libcurl silently resends a request whose
	 * reused connection died before answering, which a request that
	 * must never be repeated cannot allow.
	 */
	int		 fresh;
};

struct http_client;

/* Fatal only on libcurl initialisation failure. */
struct http_client	*http_client_new(const struct http_config *);
void			 http_client_free(struct http_client *);

/* One POST with an empty body on the client's kept-alive connection. */
void	http_post(struct http_client *, const struct http_request *,
	    struct http_response *);

/*
 * Several POSTs with at most parallel in flight (libcurl multi), each
 * started at least interval_ms after the previous one (rate limit).
 * out[i] answers req[i].
 */
void	http_post_many(struct http_client *, const struct http_request *,
	    size_t, size_t, long, struct http_response *);

void	http_response_clear(struct http_response *);

#endif
