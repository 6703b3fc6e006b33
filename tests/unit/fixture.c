/* The shared unit-test fixture (see fixture.h). */
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

char			*fixture_dir;
struct diags		*fixture_diags;
struct manifest		*fixture_manifest;
static char		*fixture_base;
static char		*fixture_last_summary;

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

char *
fixture_mkdir(const char *name)
{
	char	*path;

	path = xasprintf("%s/%s", fixture_dir, name);
	ck_assert_msg(mkdir(path, 0700) == 0, "mkdir %s: %s", path,
	    strerror(errno));
	return (path);
}

void
fixture_put_text(const char *name, const char *text)
{
	free(fixture_put(name, text, strlen(text)));
}

void
fixture_setup(void)
{
	fixture_dir_setup();
	fixture_diags = diags_new();
	fixture_manifest = NULL;
}

void
fixture_reset(void)
{
	manifest_free(fixture_manifest);
	fixture_manifest = NULL;
	diags_free(fixture_diags);
	fixture_diags = diags_new();
}

void
fixture_teardown(void)
{
	manifest_free(fixture_manifest);
	fixture_manifest = NULL;
	diags_free(fixture_diags);
	fixture_diags = NULL;
	free(fixture_last_summary);
	fixture_last_summary = NULL;
	fixture_dir_teardown();
}

struct manifest *
fixture_load(const char *text, size_t len)
{
	char	*path;

	manifest_free(fixture_manifest);
	path = fixture_put("m.yaml", text, len);
	fixture_manifest = manifest_load(path, fixture_diags);
	free(path);
	return (fixture_manifest);
}

const char *
fixture_summary(void)
{
	char	*out = NULL, *res, *prefix, *p, *q, *nl;
	size_t	 len = 0, plen;
	FILE	*f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(fixture_diags, f, 0);
	ck_assert_int_eq(fclose(f), 0);
	prefix = xasprintf("%s/", fixture_dir);
	plen = strlen(prefix);
	res = xcalloc(1, len + 1);
	q = res;
	for (p = out; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		if (p[0] == ' ' && p[1] == ' ')
			continue;	/* source line or caret */
		while (p < nl) {
			if (strncmp(p, prefix, plen) == 0) {
				p += plen;
				continue;
			}
			*q++ = *p++;
		}
		*q++ = '\n';
	}
	*q = '\0';
	free(prefix);
	free(out);
	free(fixture_last_summary);
	fixture_last_summary = res;
	return (res);
}
