/*
 * A scripted HTTP server for unit tests of the client: loopback, a port
 * the kernel picks, one connection at a time, one request per
 * connection ("Connection: close").  Reply i answers request i; the
 * last reply answers every request after it.
 */
#ifndef ENSBATCH_TEST_HTTPD_H
#define ENSBATCH_TEST_HTTPD_H

#include <stddef.h>

struct httpd_reply {
	int		 status;	/* 0 = close without answering */
	const char	*body;
	const char	*headers;	/* extra "Name: value\r\n" lines */
};

struct httpd;

/* Fails the test when it cannot listen.  The replies are borrowed. */
struct httpd	*httpd_start(const struct httpd_reply *, size_t);
/* "http://127.0.0.1:PORT" (borrowed until httpd_stop). */
const char	*httpd_url(const struct httpd *);
/* Requests answered so far. */
size_t		 httpd_count(struct httpd *);
/* The request line and headers of request i (caller frees), or NULL. */
char		*httpd_request(struct httpd *, size_t);
void		 httpd_stop(struct httpd *);

#endif
