/*
 * Fuzz target: the targets CSV reader, and the redaction and text
 * checks that guard what diagnostics quote from it.
 *
 * The input is a targets.csv beside a fixed manifest written once (two
 * groups read it: one with inline targets before the file's, one with
 * none).  Invariants: every target read has non-empty fields without a
 * comma or a control character, its positions are inside the file and
 * point at its fields; a file that gives no error gives one target per
 * line that is neither blank, a comment nor the header; redaction never
 * adds characters.
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

/* 2026-11-27T00:00:00Z */
#define FUZZ_CSV_NOW	INT64_C(1795737600000)

static const char fuzz_csv_yaml[] =
    "ensbatch: 1\n"
    "name: fuzz-csv\n"
    "policies:\n"
    "  p: {ops: immediate, batch_size: 7}\n"
    "groups:\n"
    "  - name: inline\n"
    "    policy: p\n"
    "    targets:\n"
    "      - {event: e-ffffffffffffffffffffffffffffffff, "
    "resource: i-ffffffff}\n"
    "    targets_file: targets.csv\n"
    "  - name: file\n"
    "    policy: {ops: scheduled, start: 2026-12-01T00:00:00Z, "
    "stagger: 1m}\n"
    "    targets_file: targets.csv\n";

static char	*fuzz_csv_dir;
static char	*fuzz_csv_manifest;
static char	*fuzz_csv_path;
static FILE	*fuzz_csv_null;

static void
fuzz_csv_cleanup(void)
{
	unlink(fuzz_csv_manifest);
	unlink(fuzz_csv_path);
	rmdir(fuzz_csv_dir);
}

/* Replace path's contents with data[0..len). */
static void
fuzz_csv_put(const char *path, const void *data, size_t len)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		fatal("cannot create %s", path);
	while (len > 0) {
		if ((n = write(fd, data, len)) <= 0)
			fatal("cannot write %s", path);
		data = (const char *)data + n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		fatal("cannot write %s", path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;

	(void)argc;
	(void)argv;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	fuzz_csv_dir = xasprintf("%s/fuzz-csv.XXXXXX", tmp);
	if (mkdtemp(fuzz_csv_dir) == NULL)
		fatal("mkdtemp %s", fuzz_csv_dir);
	fuzz_csv_manifest = xasprintf("%s/manifest.yaml", fuzz_csv_dir);
	fuzz_csv_path = xasprintf("%s/targets.csv", fuzz_csv_dir);
	atexit(fuzz_csv_cleanup);
	fuzz_csv_put(fuzz_csv_manifest, fuzz_csv_yaml,
	    sizeof(fuzz_csv_yaml) - 1);
	if ((fuzz_csv_null = fopen("/dev/null", "w")) == NULL)
		fatal("cannot open /dev/null");
	setenv("TZ", "UTC", 1);
	return (0);
}

/* The start of line (1-based) in data, or NULL past the end. */
static const uint8_t *
fuzz_csv_line(const uint8_t *data, size_t size, uint32_t line, size_t *len)
{
	const uint8_t	*p = data, *end = data + size, *nl;

	while (--line > 0) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return (NULL);
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl != NULL ? nl : end) - p);
	return (p);
}

/*
 * Does field start at column col (characters, 1-based, after the byte
 * order mark of line 1) of the line?
 */
static int
fuzz_csv_at(const uint8_t *line, size_t len, uint32_t lineno, uint32_t col,
    const char *field)
{
	size_t	i = 0, flen = strlen(field);

	if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; col > 1 && i < len; i++) {
		if ((line[i] & 0xc0) != 0x80)
			col--;
	}
	while (i < len && (line[i] & 0xc0) == 0x80)
		i++;
	return (col == 1 && len - i >= flen && memcmp(line + i, field,
	    flen) == 0);
}

/* Targets a clean file must give: lines not blank, comment or header. */
static size_t
fuzz_csv_expected(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size, *nl, *q;
	size_t		 n = 0;
	int		 header = 1;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		q = p;
		if (p == data && nl - p >= 3 && memcmp(p, "\xef\xbb\xbf",
		    3) == 0)
			q += 3;		/* byte order mark */
		while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == nl || *q == '#')
			continue;
		if (header)
			header = 0;
		else
			n++;
	}
	return (n);
}

static void
fuzz_csv_check_group(const struct manifest_group *g, size_t first,
    uint32_t file, const uint8_t *data, size_t size)
{
	const struct target	*t;
	const uint8_t		*line;
	size_t			 i, len;

	for (i = first; i < g->ntargets; i++) {
		t = &g->targets[i];
		FUZZ_CHECK(*t->event != '\0' && *t->resource != '\0');
		FUZZ_CHECK(strchr(t->event, ',') == NULL);
		FUZZ_CHECK(strchr(t->resource, ',') == NULL);
		FUZZ_CHECK(diags_text_ok(t->event, strlen(t->event)));
		FUZZ_CHECK(diags_text_ok(t->resource, strlen(t->resource)));
		FUZZ_CHECK(t->pos.file == file && t->pos.line >= 1);
		FUZZ_CHECK(t->event_pos.line == t->pos.line);
		FUZZ_CHECK(t->resource_pos.line == t->pos.line);
		line = fuzz_csv_line(data, size, t->pos.line, &len);
		FUZZ_CHECK(line != NULL);
		FUZZ_CHECK(fuzz_csv_at(line, len, t->pos.line,
		    t->event_pos.col, t->event));
		FUZZ_CHECK(fuzz_csv_at(line, len, t->pos.line,
		    t->resource_pos.col, t->resource));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	*d;
	struct manifest	*m;
	struct plan	*p;
	char		*red;
	size_t		 loader_errors;

	fuzz_csv_put(fuzz_csv_path, data, size);
	d = diags_new();
	m = manifest_load(fuzz_csv_manifest, d);
	FUZZ_CHECK(m != NULL && m->ngroups == 2);
	loader_errors = diags_count(d, DIAG_ERROR);
	FUZZ_CHECK(m->groups[0].ntargets >= 1);
	FUZZ_CHECK(m->groups[0].ntargets - 1 == m->groups[1].ntargets);
	if (m->nfiles > 0) {
		FUZZ_CHECK(m->nfiles == 2);
		/* Source 0 is the manifest, then one per read of the file. */
		fuzz_csv_check_group(&m->groups[0], 1, 1, data, size);
		fuzz_csv_check_group(&m->groups[1], 0, 2, data, size);
	}
	if (loader_errors == 0)
		FUZZ_CHECK(m->groups[1].ntargets ==
		    fuzz_csv_expected(data, size));
	rules_check(m, FUZZ_CSV_NOW, d);
	if (diags_count(d, DIAG_ERROR) == 0) {
		p = plan_build(m, FUZZ_CSV_NOW);
		FUZZ_CHECK(p->ntargets == m->r_ntargets);
		plan_print(p, PLAN_JSON, fuzz_csv_null);
		plan_free(p);
	}
	diags_print(d, fuzz_csv_null, (int)(size & 1));
	manifest_free(m);
	diags_free(d);

	if (memchr(data, '\0', size) == NULL) {
		red = diags_redact((const char *)data, size);
		FUZZ_CHECK(strlen(red) <= size);
		free(red);
	}
	return (0);
}
