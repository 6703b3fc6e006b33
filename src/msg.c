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
#include "ensbatch/testable.h"
#include "ensbatch/xmalloc.h"

#define MSG_WIDTH	80	/* when the terminal does not say */

static struct {
	const char	*cmd;
	int		 quiet;
	int		 color;
	int		 live_on;	/* a terminal, not quiet */
	int		 shown;		/* the live line is on the screen */
	char		*live;		/* its text, for a redraw */
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
 * Escape sequences (ESC [ ... final byte) take no columns, nor do
 * UTF-8 continuation bytes; everything else takes one.  When the text
 * is cut inside colour, a reset ends it.
 */
TESTABLE void
msg_truncate(const char *s, size_t width, struct buf *b)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 cols = 0;
	int			 escapes = 0;

	while (*p != '\0') {
		if (*p == 0x1b && p[1] == '[') {
			const unsigned char	*q = p + 2;

			while (*q != '\0' && (*q < 0x40 || *q > 0x7e))
				q++;
			if (*q != '\0')
				q++;
			buf_add(b, p, (size_t)(q - p));
			escapes = 1;
			p = q;
			continue;
		}
		if ((*p & 0xc0) != 0x80) {
			if (cols == width)
				break;
			cols++;
		}
		if (*p >= 0x20 || *p == '\t' || (*p & 0x80))
			buf_addc(b, (char)*p);
		p++;
	}
	if (*p != '\0' && escapes)
		buf_adds(b, "\033[0m");
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

/* One line above the live line: prefix (may be NULL), text, newline. */
static void
msg_line(const char *prefix, const char *fmt, va_list ap)
{
	msg_clear();
	if (prefix != NULL) {
		if (msg_state.cmd != NULL)
			fprintf(stderr, "ensbatch %s: %s", msg_state.cmd,
			    prefix);
		else
			fprintf(stderr, "ensbatch: %s", prefix);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
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
