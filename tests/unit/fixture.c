/* Scratch directories for unit tests (see fixture.h). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ensbatch/xmalloc.h"
#include "fixture.h"

char		*fixture_dir;
static char	*fixture_base;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

void
fixture_base_setup(void)
{
	const char	*base;

	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	fixture_base = xasprintf("%s/check_ensbatch.XXXXXX", base);
	ck_assert_msg(mkdtemp(fixture_base) != NULL, "mkdtemp: %s",
	    strerror(errno));
}

void
fixture_base_teardown(void)
{
	nftw(fixture_base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(fixture_base);
	fixture_base = NULL;
}

void
fixture_dir_setup(void)
{
	fixture_dir = xasprintf("%s/t.XXXXXX", fixture_base);
	ck_assert_msg(mkdtemp(fixture_dir) != NULL, "mkdtemp: %s",
	    strerror(errno));
}

void
fixture_dir_teardown(void)
{
	nftw(fixture_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(fixture_dir);
	fixture_dir = NULL;
}

char *
fixture_put(const char *name, const void *data, size_t len)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/%s", fixture_dir, name);
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return (path);
}
