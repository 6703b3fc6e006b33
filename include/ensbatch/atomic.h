/*
 * Files that appear whole or not at all: written to a temporary file in
 * the same directory, flushed to disk, then renamed over the target.
 * Reports, plans and (later) journals all go through this.
 */
#ifndef ENSBATCH_ATOMIC_H
#define ENSBATCH_ATOMIC_H

struct atomic {
	char	*path;		/* the final name */
	char	*tmp;		/* the temporary file */
	int	 fd;
};

/*
 * Create the temporary file for path, with mode 0666 less the umask.
 * Returns 0, or -1 with *cause (caller frees).
 */
int	atomic_open(struct atomic *, const char *, char **);

/* fsync, close and rename into place.  0, or -1 with *cause. */
int	atomic_commit(struct atomic *, char **);

/* Give up: close and remove the temporary file.  Safe to repeat. */
void	atomic_abort(struct atomic *);

/* Write all of buf to fd, retrying short writes.  0 or -1 (errno). */
int	atomic_write_all(int, const void *, size_t);

#endif
