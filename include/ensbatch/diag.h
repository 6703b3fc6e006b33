/*
 * Located diagnostics: "FILE:LINE:COL: error: MESSAGE [rule-id]", the
 * source line and a caret.  Every problem is collected, then printed
 * sorted by position.
 */
#ifndef ENSBATCH_DIAG_H
#define ENSBATCH_DIAG_H

#include <stdint.h>
#include <stdio.h>

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE
};

/*
 * A position in a source registered with diags_add_source().  Lines and
 * columns are 1-based; line 0 means "the whole file".
 */
struct pos {
	uint32_t	file;
	uint32_t	line;
	uint32_t	col;
};

struct diags;

struct diags	*diags_new(void);
void		 diags_free(struct diags *);

/*
 * Register a source file.  The path is copied; the text (may be NULL)
 * becomes owned by diags and is used to print source lines: give it for
 * text in memory, else NULL and diags_source_file().  Returns the file
 * index for struct pos.
 */
uint32_t	 diags_add_source(struct diags *, const char *, char *, size_t);
const char	*diags_source_path(const struct diags *, uint32_t);

/*
 * Say that source file was read from a file: path to open it again
 * (with flags added to open's, such as O_NOFOLLOW), its size and
 * SHA-256.  A source without text then has its lines read back from
 * the file when a diagnostic is printed, if the file is still the
 * same; if not, the line is left out with a note saying so.
 */
void		 diags_source_file(struct diags *, uint32_t, const char *,
		    int, uint64_t, const char *);

/*
 * Add a diagnostic; returns its id (>= 1), usable with diags_message().
 * A DIAG_NOTE attaches to the diagnostic added just before it and is
 * printed right after it.  The rule may be NULL for notes.
 */
uint32_t	 diags_add(struct diags *, enum diag_severity, struct pos,
		     const char *, const char *, ...)
		     __attribute__((format(printf, 5, 6)));

/* Forget every diagnostic (sources stay registered). */
void		 diags_clear(struct diags *);

/*
 * diags_mark() tells how many diagnostics there are; diags_rollback()
 * forgets those added since that mark.
 */
size_t		 diags_mark(const struct diags *);
void		 diags_rollback(struct diags *, size_t);

size_t		 diags_count(const struct diags *, enum diag_severity);
/* The message and rule of diagnostic id (borrowed until diags_free). */
const char	*diags_message(const struct diags *, uint32_t);
const char	*diags_rule(const struct diags *, uint32_t);

/*
 * Every error and warning as "FILE:LINE:COL: error: MESSAGE [rule]"
 * lines, sorted like diags_print but without source lines.  Caller
 * frees.
 */
char		*diags_summary(const struct diags *);

/*
 * Is text[0..len) printable: well-formed UTF-8 without control
 * characters (C0 other than tab, DEL, C1)?  Only such lines are ever
 * quoted under a diagnostic.
 */
int		 diags_text_ok(const char *, size_t);

/*
 * A copy of text[0..len) with secrets masked: the values of
 * ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN, and
 * values that follow a secret key (access_key_secret, sts_token,
 * security_token, AccessKeySecret, SecurityToken) as JSON, YAML or INI
 * write them.  Each masked character becomes one '*', so columns keep
 * their place.  Messages, paths and quoted lines all pass through it.
 * Caller frees.
 */
char		*diags_redact(const char *, size_t);

/*
 * Print every diagnostic sorted by (file, line, column), each followed
 * by its notes, the source line and a caret.  color: 1 for ANSI colors.
 */
void		 diags_print(struct diags *, FILE *, int);

/*
 * Like diags_print, but at most per_rule diagnostics of each rule (and
 * their notes), then one line per rule saying how many were left out:
 * a preflight of 2,000 events must not flood the terminal.
 */
void		 diags_print_brief(struct diags *, FILE *, int, size_t);

/* How many diagnostics (any severity) carry this rule id. */
size_t		 diags_count_rule(const struct diags *, const char *);

#endif
