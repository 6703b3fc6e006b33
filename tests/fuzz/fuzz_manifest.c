/*
 * Fuzz target: the manifest loader, the offline rules and the plan.
 *
 * The input is a manifest; whatever follows its first NUL byte becomes
 * targets.csv next to it, so "targets_file: targets.csv" fuzzes the CSV
 * reader too.  Both are written into a private directory made once.
 * Invariants: a manifest that could not be loaded has an error; the
 * group order is a permutation, and honours every "after" when the
 * manifest is valid; the plan of a valid manifest covers every target
 * in batches no larger than the policy allows.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"
#include "ensbatch/plan.h"
#include "ensbatch/rules.h"
#include "ensbatch/xmalloc.h"

#include "fuzz.h"

/* 2026-11-27T00:00:00Z, the "now" of the examples' tests. */
#define FUZZ_NOW	INT64_C(1795737600000)

static char	*fuzz_dir;
static char	*fuzz_manifest;
static char	*fuzz_csv;
static FILE	*fuzz_null;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_manifest);
	unlink(fuzz_csv);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;
	char		*dir;
	int		 fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	dir = xasprintf("%s/fuzz-manifest.XXXXXX", tmp);
	if ((fuzz_dir = mkdtemp(dir)) == NULL)
		fatal("mkdtemp %s", dir);
	fuzz_manifest = xasprintf("%s/manifest.yaml", fuzz_dir);
	fuzz_csv = xasprintf("%s/targets.csv", fuzz_dir);
	atexit(fuzz_cleanup);
	if ((fuzz_null = fopen("/dev/null", "w")) == NULL)
		fatal("cannot open /dev/null");
	/* "targets_file: /dev/stdin" must not wait for a terminal. */
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* The loader and rules never read TZ, but keep runs repeatable. */
	setenv("TZ", "UTC", 1);
	return (0);
}

static void
write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		fatal("cannot create %s", path);
	if (len > 0 && fwrite(data, 1, len, f) != len)
		fatal("cannot write %s", path);
	if (fclose(f) != 0)
		fatal("cannot write %s", path);
}

/* r_order is a permutation; with no errors, every after comes first. */
static void
check_order(const struct manifest *m, int valid)
{
	size_t	*at, i, j, g;

	FUZZ_CHECK(m->ngroups == 0 || m->r_order != NULL);
	at = xcalloc(m->ngroups + 1, sizeof(*at));
	for (i = 0; i < m->ngroups; i++) {
		g = m->r_order[i];
		FUZZ_CHECK(g < m->ngroups);
		FUZZ_CHECK(at[g] == 0);
		at[g] = i + 1;
	}
	for (i = 0; valid && i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].r_nafter; j++) {
			g = m->groups[i].r_after[j];
			FUZZ_CHECK(g < m->ngroups);
			FUZZ_CHECK(at[g] < at[i]);
		}
	}
	free(at);
}

static void
check_plan(const struct manifest *m)
{
	struct plan		*p;
	const struct plan_group	*pg;
	const struct policy	*pol;
	size_t			 i, k, covered, total = 0;

	p = plan_build(m, FUZZ_NOW);
	FUZZ_CHECK(p->ngroups == m->ngroups);
	for (i = 0; i < p->ngroups; i++) {
		pg = &p->groups[i];
		pol = pg->group->policy;
		total += pg->group->ntargets;
		if (pg->group->ntargets == 0)
			continue;
		FUZZ_CHECK(pol != NULL && pol->ok);
		covered = 0;
		for (k = 0; k < pg->nbatches; k++) {
			FUZZ_CHECK(pg->batches[k].first == covered);
			FUZZ_CHECK(pg->batches[k].count > 0);
			FUZZ_CHECK(pg->batches[k].count <=
			    (size_t)pol->r_batch_size);
			FUZZ_CHECK((pg->batches[k].plan_time ==
			    PLAN_NO_TIME) == (pol->r_ops == OPS_IMMEDIATE));
			covered += pg->batches[k].count;
		}
		FUZZ_CHECK(covered == pg->group->ntargets);
	}
	FUZZ_CHECK(p->ntargets == total && total == m->r_ntargets);
	plan_print(p, PLAN_TEXT, fuzz_null);
	plan_print(p, PLAN_JSON, fuzz_null);
	plan_print(p, PLAN_MARKDOWN, fuzz_null);
	plan_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	*d;
	struct manifest	*m;
	const uint8_t	*nul;
	size_t		 mlen, errors;
	char		*summary;

	nul = memchr(data, '\0', size);
	mlen = nul != NULL ? (size_t)(nul - data) : size;
	write_file(fuzz_manifest, data, mlen);
	if (nul != NULL)
		write_file(fuzz_csv, nul + 1, size - mlen - 1);
	else
		unlink(fuzz_csv);

	d = diags_new();
	m = manifest_load(fuzz_manifest, d);
	if (m == NULL)
		FUZZ_CHECK(diags_count(d, DIAG_ERROR) > 0);
	else {
		errors = rules_check(m, FUZZ_NOW, d);
		FUZZ_CHECK(errors <= diags_count(d, DIAG_ERROR));
		check_order(m, diags_count(d, DIAG_ERROR) == 0);
		if (diags_count(d, DIAG_ERROR) == 0)
			check_plan(m);
	}
	diags_print(d, fuzz_null, (int)(size & 1));
	summary = diags_summary(d);
	free(summary);
	manifest_free(m);
	diags_free(d);
	return (0);
}
