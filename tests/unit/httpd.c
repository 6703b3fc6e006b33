/* The scripted HTTP server of httpd.h, in a thread. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "ensbatch/buf.h"
#include "ensbatch/xmalloc.h"
#include "httpd.h"

#define HTTPD_MAX_REQUESTS	256

struct httpd {
	const struct httpd_reply *replies;
	size_t			  nreplies;
	int			  fd;
	int			  quit[2];	/* a pipe: stop the thread */
	pthread_t		  thread;
	pthread_mutex_t		  lock;
	char			 *requests[HTTPD_MAX_REQUESTS];
	size_t			  n;
	char			  url[64];
};

/* Read one request's head (the client posts no body). */
static char *
httpd_read_head(int fd)
{
	struct buf	b;
	char		chunk[4096];
	ssize_t		got;
	struct pollfd	pfd;

	buf_init(&b);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (b.len < 65536) {
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if ((got = read(fd, chunk, sizeof(chunk))) <= 0)
			break;
		buf_add(&b, chunk, (size_t)got);
		buf_add(&b, "", 1);
		b.len--;
		if (strstr(b.data, "\r\n\r\n") != NULL)
			break;
	}
	return (buf_detach(&b));
}

static void
httpd_answer(int fd, const struct httpd_reply *rp)
{
	char	*out;
	size_t	 len, off = 0;
	ssize_t	 w;

	if (rp->status == 0)
		return;
	out = xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
	    rp->status, strlen(rp->body), rp->headers != NULL ? rp->headers :
	    "", rp->body);
	len = strlen(out);
	while (off < len && (w = write(fd, out + off, len - off)) > 0)
		off += (size_t)w;
	free(out);
}

static void *
httpd_main(void *arg)
{
	struct httpd	*h = arg;
	struct pollfd	 pfd[2];
	char		*head;
	size_t		 i;
	int		 fd;

	pfd[0].fd = h->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = h->quit[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0 || pfd[1].revents != 0)
			break;
		if ((fd = accept(h->fd, NULL, NULL)) < 0)
			continue;
		head = httpd_read_head(fd);
		pthread_mutex_lock(&h->lock);
		i = h->n;
		if (h->n < HTTPD_MAX_REQUESTS)
			h->requests[h->n++] = head;
		else
			free(head);
		pthread_mutex_unlock(&h->lock);
		httpd_answer(fd, &h->replies[i < h->nreplies ? i :
		    h->nreplies - 1]);
		close(fd);
	}
	return (NULL);
}

struct httpd *
httpd_start(const struct httpd_reply *replies, size_t n)
{
	struct httpd		*h;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);

	h = xcalloc(1, sizeof(*h));
	h->replies = replies;
	h->nreplies = n;
	pthread_mutex_init(&h->lock, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(h->fd, 0);
	ck_assert_int_eq(bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(h->fd, 64), 0);
	ck_assert_int_eq(getsockname(h->fd, (struct sockaddr *)&sin, &len),
	    0);
	snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%d",
	    ntohs(sin.sin_port));
	ck_assert_int_eq(pipe(h->quit), 0);
	ck_assert_int_eq(pthread_create(&h->thread, NULL, httpd_main, h), 0);
	return (h);
}

const char *
httpd_url(const struct httpd *h)
{
	return (h->url);
}

size_t
httpd_count(struct httpd *h)
{
	size_t	n;

	pthread_mutex_lock(&h->lock);
	n = h->n;
	pthread_mutex_unlock(&h->lock);
	return (n);
}

char *
httpd_request(struct httpd *h, size_t i)
{
	char	*s = NULL;

	pthread_mutex_lock(&h->lock);
	if (i < h->n)
		s = xstrdup(h->requests[i]);
	pthread_mutex_unlock(&h->lock);
	return (s);
}

void
httpd_stop(struct httpd *h)
{
	size_t	i;

	if (h == NULL)
		return;
	if (write(h->quit[1], "q", 1) != 1)
		ck_abort_msg("cannot stop the test server");
	pthread_join(h->thread, NULL);
	close(h->fd);
	close(h->quit[0]);
	close(h->quit[1]);
	for (i = 0; i < h->n; i++)
		free(h->requests[i]);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
