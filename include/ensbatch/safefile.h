/*
 * Files that appear whole or not at all: written to a temporary file in
 * the same directory, flushed to disk, then renamed over the target.
 * Reports and plans go through this; the journal uses its write helper.
 */
#ifndef ENSBATCH_SAFEFILE_H
#define ENSBATCH_SAFEFILE_H

struct safefile {
	char	*path;		/* the final name */
	char	*tmp;		/* the temporary file */
	int	 fd;
};

/*
 * Create the temporary file for path, with mode 0666 less the umask.
 * Returns 0, or -1 with *cause (caller frees).
 */
int	safefile_open(struct safefile *, const char *, char **);

/* fsync, close and rename into place.  0, or -1 with *cause. */
int	safefile_commit(struct safefile *, char **);

/* Give up: close and remove the temporary file.  Safe to repeat. */
void	safefile_abort(struct safefile *);

/* Write all of buf to fd, retrying short writes.  0 or -1 (errno). */
int	safefile_write_all(int, const void *, size_t);

#endif
