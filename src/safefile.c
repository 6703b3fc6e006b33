/*
 * Whole-file replacement: temporary file, fsync, rename, and a
 * best-effort fsync of the directory so the rename itself is durable.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/safefile.h"
#include "ensbatch/xmalloc.h"

int
safefile_open(struct safefile *a, const char *path, char **cause)
{
	mode_t	mask;

	*cause = NULL;
	a->path = xstrdup(path);
	a->tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((a->fd = mkstemp(a->tmp)) == -1) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		free(a->tmp);
		a->tmp = NULL;
		free(a->path);
		a->path = NULL;
		return (-1);
	}
	mask = umask(0);
	umask(mask);
	(void)fchmod(a->fd, 0666 & ~mask);
	return (0);
}

/* fsync the directory holding path; failures are not fatal. */
static void
safefile_sync_dir(const char *path)
{
	const char	*slash;
	char		*dir;
	int		 fd;

	slash = strrchr(path, '/');
	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
safefile_commit(struct safefile *a, char **cause)
{
	int	rc = -1, error;

	*cause = NULL;
	/* The descriptor is closed whatever fsync says. */
	if (fsync(a->fd) != 0) {
		*cause = xasprintf("cannot write %s: %s", a->path,
		    strerror(errno));
		goto out;
	}
	error = close(a->fd);
	a->fd = -1;
	if (error != 0) {
		*cause = xasprintf("cannot write %s: %s", a->path,
		    strerror(errno));
		goto out;
	}
	if (rename(a->tmp, a->path) != 0) {
		*cause = xasprintf("cannot rename %s to %s: %s", a->tmp,
		    a->path, strerror(errno));
		goto out;
	}
	safefile_sync_dir(a->path);
	free(a->tmp);
	a->tmp = NULL;
	rc = 0;
out:
	safefile_abort(a);
	return (rc);
}

void
safefile_abort(struct safefile *a)
{
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
	if (a->tmp != NULL)
		unlink(a->tmp);
	free(a->tmp);
	a->tmp = NULL;
	free(a->path);
	a->path = NULL;
}

int
safefile_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}
