/*
 * Collected, located diagnostics.  Nothing is printed until the caller
 * asks, so that all problems come out sorted by position.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/xmalloc.h"

struct source {
	char		*path;
	char		*text;		/* NULL if not kept */
	size_t		 len;
	size_t		*lines;		/* offsets of line starts, lazily */
	size_t		 nlines;
};

struct diag {
	enum diag_severity severity;
	struct pos	 pos;
	char		*rule;
	char		*message;
	uint32_t	 parent;	/* notes: id of their diagnostic */
	uint32_t	 seq;		/* insertion order, for stable sort */
};

struct diags {
	struct source	*sources;
	size_t		 nsources;
	struct diag	*list;
	size_t		 n;
	size_t		 cap;
	size_t		 counts[3];
};

struct diags *
diags_new(void)
{
	return (xcalloc(1, sizeof(struct diags)));
}

void
diags_free(struct diags *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nsources; i++) {
		free(d->sources[i].path);
		free(d->sources[i].text);
		free(d->sources[i].lines);
	}
	free(d->sources);
	for (i = 0; i < d->n; i++) {
		free(d->list[i].rule);
		free(d->list[i].message);
	}
	free(d->list);
	free(d);
}

uint32_t
diags_add_source(struct diags *d, const char *path, char *text, size_t len)
{
	struct source	*s;

	d->sources = xreallocarray(d->sources, d->nsources + 1,
	    sizeof(*d->sources));
	s = &d->sources[d->nsources];
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	s->text = text;
	s->len = len;
	return ((uint32_t)d->nsources++);
}

const char *
diags_source_path(const struct diags *d, uint32_t file)
{
	if (file >= d->nsources)
		return ("?");
	return (d->sources[file].path);
}

uint32_t
diags_add(struct diags *d, enum diag_severity severity, struct pos pos,
    const char *rule, const char *fmt, ...)
{
	struct diag	*g;
	va_list		 ap;

	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 16 : d->cap * 2;
		d->list = xreallocarray(d->list, d->cap, sizeof(*d->list));
	}
	g = &d->list[d->n];
	memset(g, 0, sizeof(*g));
	g->severity = severity;
	g->pos = pos;
	g->rule = rule != NULL ? xstrdup(rule) : NULL;
	va_start(ap, fmt);
	g->message = xvasprintf(fmt, ap);
	va_end(ap);
	g->seq = (uint32_t)d->n;
	if (severity == DIAG_NOTE) {
		/* Attach to the closest earlier diagnostic that is no note. */
		size_t	i = d->n;

		while (i-- > 0) {
			if (d->list[i].severity != DIAG_NOTE) {
				g->parent = (uint32_t)i + 1;
				break;
			}
		}
	}
	d->counts[severity]++;
	return ((uint32_t)++d->n);
}

void
diags_clear(struct diags *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++) {
		free(d->list[i].rule);
		free(d->list[i].message);
	}
	d->n = 0;
	memset(d->counts, 0, sizeof(d->counts));
}

size_t
diags_count(const struct diags *d, enum diag_severity severity)
{
	return (d->counts[severity]);
}

const char *
diags_message(const struct diags *d, uint32_t id)
{
	if (id == 0 || id > d->n)
		return (NULL);
	return (d->list[id - 1].message);
}

const char *
diags_rule(const struct diags *d, uint32_t id)
{
	if (id == 0 || id > d->n)
		return (NULL);
	return (d->list[id - 1].rule);
}

/* Position order; notes sort with their diagnostic, after it. */
static int
diags_cmp_pos(const struct pos *a, const struct pos *b)
{
	if (a->file != b->file)
		return (a->file < b->file ? -1 : 1);
	if (a->line != b->line)
		return (a->line < b->line ? -1 : 1);
	if (a->col != b->col)
		return (a->col < b->col ? -1 : 1);
	return (0);
}

static const struct diags *sort_diags;

static int
diags_cmp(const void *va, const void *vb)
{
	const struct diag	*a = va, *b = vb;
	const struct diag	*pa, *pb;
	int			 c;

	/* A note sorts as its parent would, and after it. */
	pa = a->parent != 0 ? &sort_diags->list[a->parent - 1] : a;
	pb = b->parent != 0 ? &sort_diags->list[b->parent - 1] : b;
	if (pa->seq != pb->seq) {
		if ((c = diags_cmp_pos(&pa->pos, &pb->pos)) != 0)
			return (c);
		return (pa->seq < pb->seq ? -1 : 1);
	}
	if (a->seq == b->seq)
		return (0);
	if (a->parent == 0)
		return (-1);
	if (b->parent == 0)
		return (1);
	return (a->seq < b->seq ? -1 : 1);
}

/* Index the line starts of a source the first time one is needed. */
static void
source_index(struct source *s)
{
	size_t	i, cap = 64;

	if (s->lines != NULL || s->text == NULL)
		return;
	s->lines = xreallocarray(NULL, cap, sizeof(*s->lines));
	s->lines[s->nlines++] = 0;
	for (i = 0; i < s->len; i++) {
		if (s->text[i] != '\n')
			continue;
		if (s->nlines == cap) {
			cap *= 2;
			s->lines = xreallocarray(s->lines, cap,
			    sizeof(*s->lines));
		}
		s->lines[s->nlines++] = i + 1;
	}
}

/* Is p[0..n) well-formed UTF-8 (structure only)? */
static int
line_is_utf8(const char *p, size_t n)
{
	size_t		i = 0, k, need;
	unsigned char	c;

	while (i < n) {
		c = (unsigned char)p[i++];
		if (c < 0x80)
			continue;
		need = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 :
		    c >= 0xc2 && c < 0xe0 ? 1 : 0;
		if (need == 0 || (c >= 0xf8))
			return (0);
		for (k = 0; k < need; k++) {
			if (i >= n || ((unsigned char)p[i++] & 0xc0) != 0x80)
				return (0);
		}
	}
	return (1);
}

/*
 * Print the source line and a caret under the column.  Control
 * characters are shown as '?' so that a hostile file cannot drive the
 * terminal; tabs are kept so that the caret lines up.
 */
static void
source_show(struct source *s, const struct pos *pos, FILE *f, int color)
{
	const char	*p, *end;
	size_t		 start, i, shown;
	uint32_t	 col;
	int		 utf8;

	source_index(s);
	if (s->lines == NULL || pos->line == 0 || pos->line > s->nlines)
		return;
	start = s->lines[pos->line - 1];
	p = s->text + start;
	end = memchr(p, '\n', s->len - start);
	if (end == NULL)
		end = s->text + s->len;
	if (end > p && end[-1] == '\r')
		end--;
	shown = (size_t)(end - p);
	if (shown > 200)
		shown = 200;
	utf8 = line_is_utf8(p, shown);
	fputs("  ", f);
	for (i = 0; i < shown; i++) {
		unsigned char	c = (unsigned char)p[i];

		if (c == 0x7f || (c < 0x20 && c != '\t') ||
		    (c >= 0x80 && !utf8))
			c = '?';
		fputc(c, f);
	}
	if ((size_t)(end - p) > shown)
		fputs("...", f);
	fputs("\n  ", f);
	col = pos->col == 0 ? 1 : pos->col;
	/*
	 * Columns count characters (libyaml's marks do): skip UTF-8
	 * continuation bytes when walking to the caret.
	 */
	for (i = 0; i < shown && col > 1; i++) {
		unsigned char	c = (unsigned char)p[i];

		if ((c & 0xc0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', f);
		col--;
	}
	if (color)
		fputs("\033[1;32m^\033[0m\n", f);
	else
		fputs("^\n", f);
}

/* A copy of the list in print order; caller frees. */
static struct diag *
diags_sorted(const struct diags *d)
{
	struct diag	*sorted;

	sorted = xreallocarray(NULL, d->n, sizeof(*sorted));
	memcpy(sorted, d->list, d->n * sizeof(*sorted));
	sort_diags = d;
	qsort(sorted, d->n, sizeof(*sorted), diags_cmp);
	sort_diags = NULL;
	return (sorted);
}

static const char *const severity_names[] = { "error", "warning", "note" };

/*
 * The first line of a diagnostic: "FILE:LINE:COL: error: MSG [rule]",
 * with the severity colored when color is set.
 */
static void
diags_line(const struct diags *d, const struct diag *g, int color,
    struct buf *b)
{
	static const char *const colors[] = { "\033[1;31m", "\033[1;35m",
	    "\033[1;36m" };

	if (g->pos.file >= d->nsources)
		buf_adds(b, "ensbatch");
	else if (g->pos.line == 0)
		buf_adds(b, d->sources[g->pos.file].path);
	else
		buf_addf(b, "%s:%u:%u", d->sources[g->pos.file].path,
		    g->pos.line, g->pos.col);
	if (color)
		buf_addf(b, ": %s%s:\033[0m %s", colors[g->severity],
		    severity_names[g->severity], g->message);
	else
		buf_addf(b, ": %s: %s", severity_names[g->severity],
		    g->message);
	if (g->rule != NULL)
		buf_addf(b, " [%s]", g->rule);
	buf_addc(b, '\n');
}

char *
diags_summary(const struct diags *d)
{
	struct diag	*sorted;
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	if (d->n == 0)
		return (buf_detach(&b));
	sorted = diags_sorted(d);
	for (i = 0; i < d->n; i++) {
		if (sorted[i].severity != DIAG_NOTE)
			diags_line(d, &sorted[i], 0, &b);
	}
	free(sorted);
	return (buf_detach(&b));
}

void
diags_print(struct diags *d, FILE *f, int color)
{
	struct diag	*sorted;
	struct buf	 b;
	size_t		 i;

	if (d->n == 0)
		return;
	sorted = diags_sorted(d);
	buf_init(&b);
	for (i = 0; i < d->n; i++) {
		const struct diag	*g = &sorted[i];

		buf_reset(&b);
		diags_line(d, g, color, &b);
		fputs(b.data, f);
		if (g->pos.file < d->nsources)
			source_show(&d->sources[g->pos.file], &g->pos, f,
			    color);
	}
	buf_free(&b);
	free(sorted);
}
