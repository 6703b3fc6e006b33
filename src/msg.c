/*
 * Messages to the operator on standard error, and the live line.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/msg.h"
#include "ensbatch/report.h"
#include "ensbatch/testable.h"
#include "ensbatch/xmalloc.h"

#define MSG_WIDTH	80	/* when the terminal does not say */
#define MSG_RESET	"\033[0m"
#define MSG_RESET_LEN	(sizeof(MSG_RESET) - 1)

/* The SGR colour of each enum msg_tone. */
static const char *const msg_tones[] = {
	"",		/* MSG_PLAIN */
	"\033[32m",	/* MSG_GOOD: green */
	"\033[1;31m",	/* MSG_BAD: bold red */
	"\033[36m",	/* MSG_NEUTRAL: cyan */
	"\033[2m"	/* MSG_DIM */
};

static struct {
	const char	*cmd;
	int		 quiet;
	int		 color;
	int		 live_on;	/* a terminal, not quiet */
	int		 shown;		/* the live line is on the screen */
	char		*live;		/* its text, for a redraw */
	char		*paints[MSG_PAINTS]; /* msg_paint's, msg_counts' */
	size_t		 npaints;	/* calls so far: the next slot */
} msg_state;

void
msg_setup(const char *cmd, int quiet, int color)
{
	msg_state.cmd = cmd;
	msg_state.quiet = quiet;
	msg_state.color = color;
	msg_state.live_on = !quiet && isatty(STDERR_FILENO);
}

const char *
msg_command(void)
{
	return (msg_state.cmd);
}

int
msg_live_on(void)
{
	return (msg_state.live_on);
}

int
msg_color(void)
{
	return (msg_state.color);
}

/* The width of the terminal on stderr. */
static size_t
msg_width(void)
{
	struct winsize	ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return (ws.ws_col);
	return (MSG_WIDTH);
}

/*
 * Escape sequences (ESC [ parameters, final byte) take no columns and
 * are copied whole or not at all, nor do UTF-8 continuation bytes; a
 * tab is a space (it could take up to 8), other control characters are
 * dropped; everything else takes one column.  A line that had colour
 * ends with a reset, so that colour never leaks past it.
 */
TESTABLE void
msg_truncate(const char *s, size_t width, struct buf *b)
{
	const unsigned char	*p = (const unsigned char *)s, *q;
	size_t			 cols = 0;
	int			 escapes = 0;

	while (*p != '\0') {
		if (*p == 0x1b && p[1] == '[') {
			for (q = p + 2; *q >= 0x20 && *q <= 0x3f; q++)
				/* parameter and intermediate bytes */;
			if (*q >= 0x40 && *q <= 0x7e) {
				buf_add(b, p, (size_t)(q + 1 - p));
				escapes = 1;
				q++;
			}
			p = q;		/* an unfinished one is dropped */
			continue;
		}
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			p++;
			continue;
		}
		if ((*p & 0xc0) != 0x80) {
			if (cols == width)
				break;
			cols++;
		}
		buf_addc(b, *p == '\t' ? ' ' : (char)*p);
		p++;
	}
	if (escapes && (b->len < MSG_RESET_LEN || memcmp(b->data + b->len -
	    MSG_RESET_LEN, MSG_RESET, MSG_RESET_LEN) != 0))
		buf_adds(b, MSG_RESET);
}

/* Take the live line off the screen (it is kept for a redraw). */
static void
msg_clear(void)
{
	if (msg_state.shown) {
		fputs("\r\033[K", stderr);
		msg_state.shown = 0;
	}
}

/* Draw the live line, cut one short of the width: never a wrap. */
static void
msg_draw(void)
{
	struct buf	b;
	size_t		w = msg_width();

	if (msg_state.live == NULL)
		return;
	buf_init(&b);
	buf_adds(&b, "\r");
	msg_truncate(msg_state.live, w > 1 ? w - 1 : 1, &b);
	buf_adds(&b, "\033[K");
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	buf_free(&b);
	msg_state.shown = 1;
}

/*
 * One line above the live line: prefix (may be NULL), text, newline,
 * in one write (stderr is unbuffered: a write per piece otherwise).
 */
static void
msg_line(const char *prefix, const char *fmt, va_list ap)
{
	struct buf	 b;
	char		*text;

	msg_clear();
	buf_init(&b);
	if (prefix != NULL) {
		if (msg_state.cmd != NULL)
			buf_addf(&b, "ensbatch %s: %s", msg_state.cmd, prefix);
		else
			buf_addf(&b, "ensbatch: %s", prefix);
	}
	text = xvasprintf(fmt, ap);
	buf_adds(&b, text);
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	free(text);
	buf_free(&b);
	if (msg_state.live_on)
		msg_draw();
}

void
msg_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_line("", fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_line("warning: ", fmt, ap);
	va_end(ap);
}

void
msg_info(const char *fmt, ...)
{
	va_list	ap;

	if (msg_state.quiet)
		return;
	va_start(ap, fmt);
	msg_line(NULL, fmt, ap);
	va_end(ap);
}

void
msg_live(const char *fmt, ...)
{
	va_list	 ap;

	if (!msg_state.live_on)
		return;
	free(msg_state.live);
	va_start(ap, fmt);
	msg_state.live = xvasprintf(fmt, ap);
	va_end(ap);
	msg_draw();
}

void
msg_live_end(void)
{
	msg_clear();
	fflush(stderr);
	free(msg_state.live);
	msg_state.live = NULL;
}

/* Append text to b, in the tone's colour when colour is allowed. */
static void
msg_paint_add(struct buf *b, enum msg_tone tone, const char *text, int color)
{
	if (!color || tone == MSG_PLAIN) {
		buf_adds(b, text);
		return;
	}
	buf_addf(b, "%s%s%s", msg_tones[tone], text, MSG_RESET);
}

/* Keep s (allocated) in the next slot of the ring; return it. */
static const char *
msg_keep(char *s)
{
	char	**slot;

	slot = &msg_state.paints[msg_state.npaints++ % MSG_PAINTS];
	free(*slot);
	*slot = s;
	return (s);
}

const char *
msg_paint(enum msg_tone tone, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	char		*text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	buf_init(&b);
	msg_paint_add(&b, tone, text, msg_state.color);
	free(text);
	return (msg_keep(buf_detach(&b)));
}

/*
 * The outcome counts in the words of the report, each in its colour
 * when not 0: green for passed, red for failed and errors, neutral for
 * skipped and scheduled.
 */
const char *
msg_counts(const size_t *n, size_t scheduled, int flags)
{
	static const struct {
		enum report_outcome	 outcome;
		const char		*word;
		enum msg_tone		 tone;
		int			 always; /* terse shows it when 0 */
	} words[] = {
		{ REPORT_PASSED, "passed", MSG_GOOD, 1 },
		{ REPORT_FAILURE, "failed", MSG_BAD, 1 },
		{ REPORT_ERROR, "errors", MSG_BAD, 0 },
		{ REPORT_SKIPPED, "skipped", MSG_NEUTRAL, 0 }
	};
	struct buf	 b;
	size_t		 i;
	int		 color;
	char		 word[64];

	color = msg_state.color && !(flags & MSG_COUNTS_PLAIN);
	buf_init(&b);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (n[words[i].outcome] == 0 && !words[i].always &&
		    (flags & MSG_COUNTS_TERSE))
			continue;
		snprintf(word, sizeof(word), "%zu %s", n[words[i].outcome],
		    words[i].word);
		if (b.len > 0)
			buf_adds(&b, ", ");
		msg_paint_add(&b, n[words[i].outcome] > 0 ? words[i].tone :
		    MSG_PLAIN, word, color);
	}
	if (scheduled > 0) {
		snprintf(word, sizeof(word), "%zu scheduled", scheduled);
		buf_adds(&b, " (");
		msg_paint_add(&b, MSG_NEUTRAL, word, color);
		buf_addc(&b, ')');
	}
	return (msg_keep(buf_detach(&b)));
}

int
msg_api_failure(const struct ens_reply *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	msg_error("%s: %s%s%s", what,
	    r->code != NULL ? r->code : "", r->code != NULL ? ": " : "",
	    r->message != NULL ? r->message : "no answer");
	free(what);
	return (r->outcome == ENS_API_ERROR ? EXIT_FAILED : EXIT_ENV);
}
