/*
 * Allocation helpers: out of memory is fatal, so callers never check for
 * NULL.  Also fatal(), for "cannot happen" situations.
 */
#ifndef ENSBATCH_XMALLOC_H
#define ENSBATCH_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* The size of a huge page, the unit of xhugealloc. */
#define XHUGE_SIZE	(2UL * 1024 * 1024)

void	*xmalloc(size_t);
void	*xhugealloc(size_t);
void	 xhugefree(void *, size_t);
void	 xhugetrim(void *, size_t, size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list)
	    __attribute__((format(printf, 1, 0)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
