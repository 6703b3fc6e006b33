/*
 * A growable byte buffer, always NUL-terminated after buf_init().
 */
#ifndef ENSBATCH_BUF_H
#define ENSBATCH_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hand the NUL-terminated contents to the caller (caller frees). */
char	*buf_detach(struct buf *);

/*
 * Read a whole regular file of at most max bytes (a FIFO, device or
 * directory is refused without blocking).  Returns 0, or -1 with
 * *cause (caller frees).  *text is NUL-terminated; caller frees.
 */
int	 buf_read_file(const char *, size_t, char **, size_t *, char **);

#endif
