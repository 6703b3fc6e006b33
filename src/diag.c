/*
 * Collected, located diagnostics.  Nothing is printed until the caller
 * asks, so that all problems come out sorted by position.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

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

/*
 * The length of the UTF-8 character at p[0..n), or 0 when it is not
 * well-formed (overlong, surrogate, past U+10FFFF, truncated).
 */
static size_t
diags_utf8_len(const unsigned char *p, size_t n)
{
	size_t		need, k;
	uint32_t	cp, min;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] < 0xe0) {
		need = 1;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] < 0xf0) {
		need = 2;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] < 0xf5) {
		need = 3;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (n <= need)
		return (0);
	for (k = 1; k <= need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (need + 1);
}

int
diags_text_ok(const char *text, size_t n)
{
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 i = 0, len;

	while (i < n) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return (0);
		if ((len = diags_utf8_len(p + i, n - i)) == 0)
			return (0);
		/* C1 controls (U+0080..U+009F) drive terminals too. */
		if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return (0);
		i += len;
	}
	return (1);
}

/* Keys whose values are secrets, in JSON, YAML or INI (any case). */
static const char *const diags_secret_keys[] = {
	"access_key_secret", "accesskeysecret", "sts_token",
	"security_token", "securitytoken"
};

/* Environment variables whose values are secrets. */
static const char *const diags_secret_env[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"
};

#define DIAGS_SECRET_MIN	6	/* shorter values are not masked */

/* Mark the value that follows a secret key at s[j..n). */
static void
diags_mark_value(const char *s, size_t n, size_t j, char *mask)
{
	char	q = '\0';
	size_t	k;

	if (j < n && (s[j] == '"' || s[j] == '\''))
		j++;				/* the key's closing quote */
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j == n || (s[j] != ':' && s[j] != '='))
		return;
	j++;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j < n && (s[j] == '"' || s[j] == '\''))
		q = s[j++];
	for (k = j; k < n; k++) {
		if (q != '\0' ? s[k] == q : strchr(" \t,;}]\"'", s[k]) != NULL)
			break;
	}
	memset(mask + j, 1, k - j);
}

char *
diags_redact(const char *s, size_t n)
{
	char		*mask, *out;
	const char	*v, *p;
	size_t		 i, j, k, vlen, klen;

	mask = xcalloc(n + 1, 1);
	for (i = 0; i < nitems(diags_secret_env); i++) {
		if ((v = getenv(diags_secret_env[i])) == NULL ||
		    (vlen = strlen(v)) < DIAGS_SECRET_MIN)
			continue;
		for (p = s; (p = memmem(p, n - (size_t)(p - s), v, vlen)) !=
		    NULL; p += vlen)
			memset(mask + (p - s), 1, vlen);
	}
	for (i = 0; i < nitems(diags_secret_keys); i++) {
		klen = strlen(diags_secret_keys[i]);
		for (j = 0; j + klen <= n; j++) {
			if (strncasecmp(s + j, diags_secret_keys[i],
			    klen) == 0)
				diags_mark_value(s, n, j + klen, mask);
		}
	}
	/* One '*' per masked character, so that columns stay put. */
	out = xmalloc(n + 1);
	for (j = 0, k = 0; j < n; j++) {
		if (!mask[j])
			out[k++] = s[j];
		else if (((unsigned char)s[j] & 0xc0) != 0x80)
			out[k++] = '*';
	}
	out[k] = '\0';
	free(mask);
	return (out);
}

/*
 * A message or path as it may be printed: control characters become
 * '?' and secrets are masked.  Caller frees.
 */
static char *
diags_clean(const char *s)
{
	char	*out;
	size_t	 i;

	out = diags_redact(s, strlen(s));
	for (i = 0; out[i] != '\0'; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	}
	return (out);
}

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
	s->path = diags_clean(path);
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
	char		*raw;

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
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	g->message = diags_clean(raw);
	free(raw);
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
diags_source_index(struct source *s)
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

/*
 * Print the source line and a caret under the column.  A line that is
 * not printable text (control characters, invalid UTF-8: a binary or
 * hostile file) is never quoted; secrets in a line are masked.  Tabs
 * are kept so that the caret lines up.
 */
static void
diags_source_show(struct source *s, const struct pos *pos, FILE *f, int color)
{
	const char	*p, *end;
	char		*line;
	size_t		 start, i, shown, len, cl;
	uint32_t	 col;

	diags_source_index(s);
	if (s->lines == NULL || pos->line == 0 || pos->line > s->nlines)
		return;
	start = s->lines[pos->line - 1];
	p = s->text + start;
	end = memchr(p, '\n', s->len - start);
	if (end == NULL)
		end = s->text + s->len;
	if (end > p && end[-1] == '\r')
		end--;
	if (!diags_text_ok(p, (size_t)(end - p))) {
		fputs("  (line not shown: it is not printable text)\n", f);
		return;
	}
	line = diags_redact(p, (size_t)(end - p));
	len = strlen(line);
	/* At most 200 bytes, cut between characters. */
	for (shown = 0; shown < len; shown += cl) {
		cl = diags_utf8_len((const unsigned char *)line + shown,
		    len - shown);
		if (shown + cl > 200)
			break;
	}
	fputs("  ", f);
	fwrite(line, 1, shown, f);
	if (len > shown)
		fputs("...", f);
	fputs("\n  ", f);
	col = pos->col == 0 ? 1 : pos->col;
	/*
	 * Columns count characters (libyaml's marks do): skip UTF-8
	 * continuation bytes when walking to the caret.
	 */
	for (i = 0; i < shown && col > 1; i++) {
		unsigned char	c = (unsigned char)line[i];

		if ((c & 0xc0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', f);
		col--;
	}
	if (color)
		fputs("\033[1;32m^\033[0m\n", f);
	else
		fputs("^\n", f);
	free(line);
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
			diags_source_show(&d->sources[g->pos.file], &g->pos, f,
			    color);
	}
	buf_free(&b);
	free(sorted);
}

size_t
diags_count_rule(const struct diags *d, const char *rule)
{
	size_t	i, n = 0;

	for (i = 0; i < d->n; i++) {
		if (d->list[i].rule != NULL &&
		    strcmp(d->list[i].rule, rule) == 0)
			n++;
	}
	return (n);
}

/* One rule's diagnostics shown and left out by diags_print_brief. */
struct diags_shown {
	const char	*rule;
	size_t		 shown;
	size_t		 hidden;
};

void
diags_print_brief(struct diags *d, FILE *f, int color, size_t per_rule)
{
	struct diag		*sorted;
	struct diags_shown	*sh;
	struct buf		 b;
	size_t			 i, k, nsh = 0;
	int			 hide = 0;

	if (d->n == 0)
		return;
	sorted = diags_sorted(d);
	sh = xcalloc(d->n + 1, sizeof(*sh));
	buf_init(&b);
	for (i = 0; i < d->n; i++) {
		const struct diag	*g = &sorted[i];
		const char		*rule = g->rule != NULL ? g->rule : "";

		if (g->severity != DIAG_NOTE) {
			for (k = 0; k < nsh && strcmp(sh[k].rule, rule) != 0;
			    k++)
				;
			if (k == nsh)
				sh[nsh++].rule = rule;
			hide = sh[k].shown >= per_rule;
			if (hide) {
				sh[k].hidden++;
				continue;
			}
			sh[k].shown++;
		} else if (hide)
			continue;	/* the note of a hidden diagnostic */
		buf_reset(&b);
		diags_line(d, g, color, &b);
		fputs(b.data, f);
		if (g->pos.file < d->nsources)
			diags_source_show(&d->sources[g->pos.file], &g->pos, f,
			    color);
	}
	for (k = 0; k < nsh; k++) {
		if (sh[k].hidden > 0)
			fprintf(f, "... and %zu more [%s] like these (-v lists "
			    "them all)\n", sh[k].hidden, sh[k].rule);
	}
	buf_free(&b);
	free(sh);
	free(sorted);
}
