/*
 * Growable buffers for building strings of unknown length.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/xmalloc.h"

void
buf_init(struct buf *b)
{
	b->cap = 64;
	b->len = 0;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

/* Make room for n more bytes and the terminating NUL. */
static void
buf_grow(struct buf *b, size_t n)
{
	if (n >= b->cap - b->len) {
		while (n >= b->cap - b->len)
			b->cap *= 2;
		b->data = xreallocarray(b->data, b->cap, 1);
	}
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* Formatted straight into the free space; grown once when short. */
void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("cannot format a string");
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		(void)vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

char *
buf_detach(struct buf *b)
{
	char	*p;

	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return (p);
}

int
buf_read_file(const char *path, size_t max, char **text, size_t *len,
    char **cause)
{
	struct buf	 b;
	struct stat	 st;
	char		 chunk[65536];
	ssize_t		 r;
	int		 fd = -1, rc = -1;

	*cause = NULL;
	*text = NULL;
	buf_init(&b);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("cannot read %s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		*cause = xasprintf("%s is larger than %zu MiB", path,
		    max >> 20);
		goto out;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		*cause = xasprintf("cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			*cause = xasprintf("%s is larger than %zu MiB", path,
			    max >> 20);
			goto out;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	*len = b.len;
	*text = buf_detach(&b);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		buf_free(&b);
	return (rc);
}
