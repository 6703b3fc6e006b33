/*
 * Collected, located diagnostics.  Nothing is printed until the caller
 * asks, so that all problems come out sorted by position.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/hash.h"
#include "ensbatch/xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* At most this much of a line read back from a file is kept. */
#define DIAGS_LINE_WINDOW	4096

/* A source line read back from its file for printing. */
struct dline {
	uint32_t	 line;
	int		 found;		/* the file has that line */
	int		 cut;		/* longer than DIAGS_LINE_WINDOW */
	char		*text;
	size_t		 len;
};

struct source {
	char		*path;		/* as printed */
	char		*text;		/* in memory, or NULL */
	size_t		 len;
	size_t		*lines;		/* offsets of line starts, lazily */
	size_t		 nlines;

	/* A source read from a file: lines are read back as needed. */
	char		*file;		/* as opened, NULL = none */
	int		 flags;		/* added to open's */
	uint64_t	 size;
	char		 sha256[HASH_HEX_LEN];
	struct dline	*dl;		/* while printing */
	size_t		 ndl;
	int		 changed;	/* not the bytes read first */
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
		free(d->sources[i].file);
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

void
diags_source_file(struct diags *d, uint32_t file, const char *path,
    int flags, uint64_t size, const char *sha256)
{
	struct source	*s;

	if (file >= d->nsources)
		return;
	s = &d->sources[file];
	free(s->file);
	s->file = xstrdup(path);
	s->flags = flags;
	s->size = size;
	snprintf(s->sha256, sizeof(s->sha256), "%s", sha256);
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
	diags_rollback(d, 0);
}

size_t
diags_mark(const struct diags *d)
{
	return (d->n);
}

void
diags_rollback(struct diags *d, size_t mark)
{
	size_t	i;

	for (i = mark; i < d->n; i++) {
		d->counts[d->list[i].severity]--;
		free(d->list[i].rule);
		free(d->list[i].message);
	}
	if (mark < d->n)
		d->n = mark;
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

/* Keep the bytes p[0..n) of line dl, up to DIAGS_LINE_WINDOW. */
static void
diags_dline_add(struct dline *dl, const char *p, size_t n)
{
	size_t	room = DIAGS_LINE_WINDOW - dl->len;

	if (n > room) {
		n = room;
		dl->cut = 1;
	}
	if (n == 0)
		return;
	dl->text = xreallocarray(dl->text, dl->len + n, 1);
	memcpy(dl->text + dl->len, p, n);
	dl->len += n;
}

/*
 * Read the lines dl[0..n) (sorted by line, no two alike) back from s's
 * file, in one pass that hashes the whole file.  If the file is not
 * the one read first (size or SHA-256 differ, or it is gone or no
 * regular file), s->changed is set and no line is kept: never quote
 * text that is not what was checked.
 */
static void
diags_source_scan(struct source *s, struct dline *dl, size_t n)
{
	struct hash_ctx	*h;
	struct stat	 sb;
	char		 buf[64 * 1024], sha[HASH_HEX_LEN];
	const char	*q, *end, *nl;
	uint64_t	 total = 0;
	uint32_t	 cur = 1;
	size_t		 k = 0;
	ssize_t		 r;
	int		 fd;

	s->changed = 1;
	fd = open(s->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    s->flags);
	if (fd == -1)
		return;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != s->size) {
		close(fd);
		return;
	}
	h = hash_sha256_new();
	for (;;) {
		do
			r = read(fd, buf, sizeof(buf));
		while (r == -1 && errno == EINTR);
		if (r <= 0 || (total += (uint64_t)r) > s->size)
			break;
		hash_update(h, buf, (size_t)r);
		for (q = buf, end = buf + r; k < n && q < end; q = nl + 1) {
			nl = memchr(q, '\n', (size_t)(end - q));
			if (cur == dl[k].line)
				diags_dline_add(&dl[k], q,
				    (size_t)((nl != NULL ? nl : end) - q));
			if (nl == NULL)
				break;
			if (cur++ == dl[k].line)
				dl[k++].found = 1;
		}
	}
	close(fd);
	/* The last line, without a newline (perhaps empty). */
	if (r == 0 && k < n && cur == dl[k].line)
		dl[k].found = 1;
	hash_final_hex(h, sha);
	if (r == 0 && total == s->size && strcmp(sha, s->sha256) == 0)
		s->changed = 0;
}

static int
diags_dline_cmp(const void *va, const void *vb)
{
	const struct dline	*a = va, *b = vb;

	return (a->line < b->line ? -1 : a->line > b->line);
}

/* Forget the lines read back for printing. */
static void
diags_lines_free(struct diags *d)
{
	size_t	i, k;

	for (i = 0; i < d->nsources; i++) {
		for (k = 0; k < d->sources[i].ndl; k++)
			free(d->sources[i].dl[k].text);
		free(d->sources[i].dl);
		d->sources[i].dl = NULL;
		d->sources[i].ndl = 0;
	}
}

/*
 * Read back, from the files of sources not kept in memory, the lines
 * that the diagnostics sorted[i] with show[i] set are printed with:
 * one pass over each such file.
 */
static void
diags_lines_load(struct diags *d, const struct diag *sorted,
    const char *show, size_t n)
{
	struct source	*s;
	size_t		 i, k, j, *cap;

	cap = xcalloc(d->nsources + 1, sizeof(*cap));
	for (i = 0; i < n; i++) {
		if (!show[i] || sorted[i].pos.file >= d->nsources ||
		    sorted[i].pos.line == 0)
			continue;
		s = &d->sources[sorted[i].pos.file];
		if (s->file == NULL || s->text != NULL)
			continue;
		if (s->ndl == cap[sorted[i].pos.file]) {
			cap[sorted[i].pos.file] = s->ndl == 0 ? 16 :
			    s->ndl * 2;
			s->dl = xreallocarray(s->dl, cap[sorted[i].pos.file],
			    sizeof(*s->dl));
		}
		memset(&s->dl[s->ndl], 0, sizeof(*s->dl));
		s->dl[s->ndl++].line = sorted[i].pos.line;
	}
	for (i = 0; i < d->nsources; i++) {
		s = &d->sources[i];
		if (s->ndl == 0)
			continue;
		qsort(s->dl, s->ndl, sizeof(*s->dl), diags_dline_cmp);
		for (j = 0, k = 1; k < s->ndl; k++) {
			if (s->dl[k].line != s->dl[j].line)
				s->dl[++j] = s->dl[k];
		}
		s->ndl = j + 1;
		diags_source_scan(s, s->dl, s->ndl);
	}
	free(cap);
}

/*
 * The text of line pos->line of s, without its newline: *cut when only
 * its start is known.  Returns NULL if there is no such line.
 */
static const char *
diags_source_line(struct source *s, const struct pos *pos, size_t *len,
    int *cut)
{
	const char	*p, *end;
	struct dline	 key, *dl;
	size_t		 start;

	*cut = 0;
	if (s->text == NULL) {
		key.line = pos->line;
		if (s->ndl == 0 || (dl = bsearch(&key, s->dl, s->ndl,
		    sizeof(*s->dl), diags_dline_cmp)) == NULL || !dl->found)
			return (NULL);
		*len = dl->len;
		*cut = dl->cut;
		return (dl->text != NULL ? dl->text : "");
	}
	diags_source_index(s);
	if (s->lines == NULL || pos->line > s->nlines)
		return (NULL);
	start = s->lines[pos->line - 1];
	p = s->text + start;
	end = memchr(p, '\n', s->len - start);
	if (end == NULL)
		end = s->text + s->len;
	*len = (size_t)(end - p);
	return (p);
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
	const char	*p;
	char		*line;
	size_t		 i, shown, len, cl, n;
	uint32_t	 col;
	int		 cut;

	if (pos->line == 0)
		return;
	if (s->text == NULL && s->file != NULL && s->changed) {
		fputs("  (line not shown: the file changed since it was "
		    "read)\n", f);
		return;
	}
	if ((p = diags_source_line(s, pos, &len, &cut)) == NULL)
		return;
	if (cut) {
		/* Only whole characters of a line cut short. */
		for (n = 1; n <= 3 && n <= len; n++) {
			if (((unsigned char)p[len - n] & 0xc0) != 0x80)
				break;
		}
		if (n <= len && n <= 3 &&
		    diags_utf8_len((const unsigned char *)p + len - n, n) == 0)
			len -= n;
	} else if (len > 0 && p[len - 1] == '\r')
		len--;
	if (!diags_text_ok(p, len)) {
		fputs("  (line not shown: it is not printable text)\n", f);
		return;
	}
	line = diags_redact(p, len);
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
	if (len > shown || cut)
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
	diags_print_brief(d, f, color, SIZE_MAX);
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
	char			*show;
	size_t			 i, k, nsh = 0;
	int			 hide = 0;

	if (d->n == 0)
		return;
	sorted = diags_sorted(d);
	sh = xcalloc(d->n + 1, sizeof(*sh));
	show = xcalloc(d->n, 1);
	/* Which are shown, first: their lines are read back at once. */
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
		show[i] = 1;
	}
	diags_lines_load(d, sorted, show, d->n);
	buf_init(&b);
	for (i = 0; i < d->n; i++) {
		const struct diag	*g = &sorted[i];

		if (!show[i])
			continue;
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
	diags_lines_free(d);
	buf_free(&b);
	free(show);
	free(sh);
	free(sorted);
}
