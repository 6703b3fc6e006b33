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
	/* Count TLS handshakes (libcurl's verbose notes cost CPU). */
	int		 count_handshakes;
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

/*
 * Fatal only on libcurl initialisation failure.  All transfers of a
 * client share one connection pool and one TLS session cache, so that
 * even the fresh connections of reboot calls resume the first TLS
 * session instead of a full handshake each.
 */
struct http_client	*http_client_new(const struct http_config *);
void			 http_client_free(struct http_client *);

/*
 * Start one POST with an empty body and return at once; tag comes back
 * from http_wait when it has ended.  The request is copied.
 */
void	http_start(struct http_client *, const struct http_request *,
	    void *);
/* Transfers started and not yet returned by http_wait. */
size_t	http_active(const struct http_client *);
/*
 * Move the transfers in flight on without waiting: a connection that
 * is up sends its request now, not at the next http_wait.
 */
void	http_kick(struct http_client *);
/*
 * Run the transfers in flight until one ends or timeout_ms (>= 0)
 * passes.  Returns the tag of one ended transfer, its answer in *out,
 * or NULL when none ended in time or none is in flight.
 */
void	*http_wait(struct http_client *, long, struct http_response *);

/*
 * TLS handshakes done so far, in *full those that did not resume a
 * session, and *exact whether that is known: on OpenSSL, as each
 * handshake ended; with another TLS library *full counts those that
 * offered no session, as libcurl cannot tell whether the server took
 * it.  0 unless the config asked to count them.
 */
long	http_handshakes(const struct http_client *, long *, int *);

void	http_response_clear(struct http_response *);

#ifdef ENSBATCH_TESTING
#include <curl/curl.h>
/*
 * How a finished transfer ended: HTTP_DONE for CURLE_OK, HTTP_NOT_SENT
 * when the server cannot have seen the request (no byte of it was
 * sent and the failure precedes sending), else HTTP_UNKNOWN.  *tls is
 * set for TLS failures.  sent = CURLINFO_REQUEST_SIZE; too_big = the
 * answer was cut off by HTTP_MAX_BODY.
 */
enum http_result http_classify(CURLcode, long, int, int *);
/*
 * Find the OpenSSL calls that let each TLS connection resume from a
 * copy of the cached session; 1 when all were found (libcurl on
 * OpenSSL), else 0.
 */
int	http_ossl_setup(void);
#endif

#endif
