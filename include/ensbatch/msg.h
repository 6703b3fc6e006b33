/*
 * Messages to the operator, one path for all of them: errors and
 * warnings prefixed "ensbatch CMD:", plain lines, and the one live
 * progress line of a terminal, which every other message is printed
 * above (cleared, printed, redrawn) so that it is never garbled.
 * Everything goes to standard error.
 */
#ifndef ENSBATCH_MSG_H
#define ENSBATCH_MSG_H

#include <stddef.h>

struct buf;
struct ens_reply;

/*
 * The command name (NULL: "ensbatch:" alone), -q, and whether colour
 * is allowed (the resolved --color / NO_COLOR).  The live line is used
 * when standard error is a terminal and not quiet.
 */
void	msg_setup(const char *, int, int);

/* "ensbatch CMD: ..." on stderr, above the live line. */
void	msg_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* "ensbatch CMD: warning: ..." */
void	msg_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A plain line (progress on a non-terminal, -v lines), above the live
 * line; nothing when quiet.
 */
void	msg_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * On a terminal, redraw the live line in place, cut to the terminal's
 * width (TIOCGWINSZ, else 80) so that it never wraps; colour escapes
 * are allowed.  Not a terminal, or quiet: nothing.
 */
void	msg_live(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Clear the live line (before a recap). */
void	msg_live_end(void);
/* Whether a live line is in use (stderr is a terminal, not quiet). */
int	msg_live_on(void);
/* Whether colour is allowed on stderr. */
int	msg_color(void);
/* The command name given to msg_setup, or NULL. */
const char *msg_command(void);

/* What a word on the live line or in a recap means: its colour. */
enum msg_tone {
	MSG_PLAIN,
	MSG_GOOD,		/* passed: green */
	MSG_BAD,		/* failed, errors: red */
	MSG_NEUTRAL,		/* skipped, scheduled: cyan */
	MSG_DIM			/* countdowns, hints: dim */
};

/*
 * The text of fmt in the tone's colour (an SGR sequence before, a
 * reset after) when colour is allowed, plain otherwise, for the
 * arguments of a message: msg_live("%s left", msg_paint(MSG_DIM, ...)).
 * Borrowed: it stays valid for the next MSG_PAINTS calls of msg_paint
 * and msg_counts, enough for the arguments of one message.
 */
#define MSG_PAINTS	16
const char *msg_paint(enum msg_tone, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define MSG_COUNTS_PLAIN	0x1	/* never coloured (standard output) */
#define MSG_COUNTS_TERSE	0x2	/* no "0 errors", no "0 skipped" */
/*
 * "P passed, F failed, E errors, S skipped": the words of the JUnit
 * report, the same in the progress, the recap and the summary.  n is
 * indexed by enum report_outcome; scheduled (how many of the skipped
 * are scheduled reboots not due yet) adds " (N scheduled)" when not 0.
 * Counts that are not 0 are coloured as msg_paint does unless
 * MSG_COUNTS_PLAIN.  Borrowed, as msg_paint's text.
 */
const char *msg_counts(const size_t *, size_t, int);

/*
 * Report an API call that failed (struct ens_reply: outcome, code,
 * message) as "ensbatch CMD: WHAT: CODE: MESSAGE" and return its exit
 * code: EXIT_FAILED when the API rejected the request (an answer with
 * an error code), EXIT_ENV when it could not be asked or its answer
 * could not be read.  what is a printf format.
 */
int	msg_api_failure(const struct ens_reply *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#ifdef ENSBATCH_TESTING
/*
 * Append s to b, cut to width visible characters: escape sequences take
 * no column and are never cut in half, a tab is one space, other
 * control characters are dropped.  When s had an escape sequence, b
 * ends with a reset, cut or not.
 */
void	msg_truncate(const char *, size_t, struct buf *);
#endif

#endif
