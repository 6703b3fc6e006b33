/*
 * Allocation that cannot fail: running out of memory ends the program
 * with a message, so no caller has to handle NULL.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/xmalloc.h"

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("ensbatch: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(70);
}

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("out of memory allocating %zu bytes", size);
	return (p);
}

/*
 * Memory for a large array or arena block: size bytes, mapped on their
 * own (malloc never sees them: freeing them moves no malloc threshold),
 * aligned on XHUGE_SIZE and, where the kernel gives them (transparent
 * huge pages in madvise mode), backed by huge pages, so that filling it
 * takes one page fault per XHUGE_SIZE rather than one per page.  Freed
 * with xhugefree(p, size).
 */
void *
xhugealloc(size_t size)
{
	char		*p;
	uintptr_t	 at;
	size_t		 len, head;

	if (size == 0 || size > SIZE_MAX - 2 * XHUGE_SIZE)
		fatal("cannot map %zu bytes", size);
	size = (size + XHUGE_SIZE - 1) & ~(XHUGE_SIZE - 1);
	len = size + XHUGE_SIZE;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("out of memory mapping %zu bytes", size);
	/* Keep the aligned size bytes, unmap the rest. */
	at = ((uintptr_t)p + XHUGE_SIZE - 1) & ~(XHUGE_SIZE - 1);
	head = at - (uintptr_t)p;
	if (head > 0)
		munmap(p, head);
	if (len - head > size)
		munmap((char *)at + size, len - head - size);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)at, size, MADV_HUGEPAGE);
#endif
	return ((void *)at);
}

/* Unmap a block of xhugealloc of size bytes; NULL is nothing. */
void
xhugefree(void *p, size_t size)
{
	if (p == NULL)
		return;
	size = (size + XHUGE_SIZE - 1) & ~(XHUGE_SIZE - 1);
	if (munmap(p, size) != 0)
		fatal("cannot unmap %zu bytes", size);
}

/*
 * A block of xhugealloc of size bytes is full at used: give its pages
 * past used back.  A huge page is filled whole when it is first touched;
 * this keeps the tail of the last one from counting for nothing.  The
 * pages given back read as zeros if the block is filled further.
 */
void
xhugetrim(void *p, size_t used, size_t size)
{
#ifdef MADV_DONTNEED
	uintptr_t	from, to, page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (used >= size)
		return;
	size = (size + XHUGE_SIZE - 1) & ~(XHUGE_SIZE - 1);
	from = ((uintptr_t)p + used + page - 1) & ~(page - 1);
	to = (uintptr_t)p + size;
	if (from < to) {
#ifdef MADV_NOHUGEPAGE
		/* Else khugepaged soon fills the range again, with zeros. */
		(void)madvise((void *)from, to - from, MADV_NOHUGEPAGE);
#endif
		(void)madvise((void *)from, to - from, MADV_DONTNEED);
	}
#else
	(void)p;
	(void)used;
	(void)size;
#endif
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatal("out of memory allocating %zu * %zu bytes", n, size);
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if (size != 0 && n > SIZE_MAX / size)
		fatal("allocation of %zu * %zu bytes overflows", n, size);
	if ((p = realloc(old, n * size)) == NULL)
		fatal("out of memory allocating %zu * %zu bytes", n, size);
	return (p);
}

char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list	 aq;
	char	*p;
	int	 len;

	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		fatal("bad format string \"%s\"", fmt);
	p = xmalloc((size_t)len + 1);
	if (vsnprintf(p, (size_t)len + 1, fmt, ap) != len)
		fatal("vsnprintf changed its mind");
	return (p);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return (p);
}
