/*
 * Tests for diag: collecting diagnostics, sorting them by position with
 * notes after their parent, and the printed form "FILE:LINE:COL:
 * SEVERITY: MESSAGE [rule]" with the source line and a caret.  Output is
 * captured with open_memstream and compared byte for byte.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/hash.h"
#include "ensbatch/xmalloc.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* ---------------------------------------------------------- helpers */

static struct pos
mkpos(uint32_t file, uint32_t line, uint32_t col)
{
	struct pos	pos;

	pos.file = file;
	pos.line = line;
	pos.col = col;
	return (pos);
}

/* Everything diags_print writes; caller frees. */
static char *
print_all(struct diags *d, int color)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	diags_print(d, f, color);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(out);
	return (out);
}

/* A source whose text diags owns. */
static uint32_t
add_text(struct diags *d, const char *path, const char *text)
{
	return (diags_add_source(d, path, xstrdup(text), strlen(text)));
}

/* ---------------------------------------------------------- sorting */

START_TEST(test_sort_files_lines_cols)
{
	struct diags	*d = diags_new();
	uint32_t	 a, b;
	char		*out;

	a = diags_add_source(d, "a.yaml", NULL, 0);
	b = diags_add_source(d, "b.csv", NULL, 0);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 1);
	diags_add(d, DIAG_ERROR, mkpos(b, 1, 1), "r1", "b 1:1");
	diags_add(d, DIAG_ERROR, mkpos(a, 10, 2), "r2", "a 10:2");
	diags_add(d, DIAG_ERROR, mkpos(a, 2, 30), "r3", "a 2:30");
	diags_add(d, DIAG_WARNING, mkpos(a, 10, 1), "r4", "a 10:1");
	diags_add(d, DIAG_ERROR, mkpos(a, 9, 99), "r5", "a 9:99");
	diags_add(d, DIAG_ERROR, mkpos(a, 2, 4), "r6", "a 2:4");
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "a.yaml:2:4: error: a 2:4 [r6]\n"
	    "a.yaml:2:30: error: a 2:30 [r3]\n"
	    "a.yaml:9:99: error: a 9:99 [r5]\n"
	    "a.yaml:10:1: warning: a 10:1 [r4]\n"
	    "a.yaml:10:2: error: a 10:2 [r2]\n"
	    "b.csv:1:1: error: b 1:1 [r1]\n");
	free(out);
	diags_free(d);
}
END_TEST

/* Equal positions keep the order in which they were added. */
START_TEST(test_sort_stable)
{
	struct diags	*d = diags_new();
	uint32_t	 f;
	int		 i;
	char		*out;

	f = diags_add_source(d, "m.yaml", NULL, 0);
	diags_add(d, DIAG_ERROR, mkpos(f, 3, 1), "x", "late");
	for (i = 0; i < 20; i++)
		diags_add(d, DIAG_ERROR, mkpos(f, 2, 5), "x", "same %d", i);
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "m.yaml:2:5: error: same 0 [x]\n"
	    "m.yaml:2:5: error: same 1 [x]\n"
	    "m.yaml:2:5: error: same 2 [x]\n"
	    "m.yaml:2:5: error: same 3 [x]\n"
	    "m.yaml:2:5: error: same 4 [x]\n"
	    "m.yaml:2:5: error: same 5 [x]\n"
	    "m.yaml:2:5: error: same 6 [x]\n"
	    "m.yaml:2:5: error: same 7 [x]\n"
	    "m.yaml:2:5: error: same 8 [x]\n"
	    "m.yaml:2:5: error: same 9 [x]\n"
	    "m.yaml:2:5: error: same 10 [x]\n"
	    "m.yaml:2:5: error: same 11 [x]\n"
	    "m.yaml:2:5: error: same 12 [x]\n"
	    "m.yaml:2:5: error: same 13 [x]\n"
	    "m.yaml:2:5: error: same 14 [x]\n"
	    "m.yaml:2:5: error: same 15 [x]\n"
	    "m.yaml:2:5: error: same 16 [x]\n"
	    "m.yaml:2:5: error: same 17 [x]\n"
	    "m.yaml:2:5: error: same 18 [x]\n"
	    "m.yaml:2:5: error: same 19 [x]\n"
	    "m.yaml:3:1: error: late [x]\n");
	free(out);
	diags_free(d);
}
END_TEST

/* ---------------------------------------------------------- notes */

/*
 * A note follows its parent even when the note points earlier in the
 * file (a duplicate key's "first appears here"), or into another file.
 */
START_TEST(test_notes_follow_parent)
{
	struct diags	*d = diags_new();
	uint32_t	 a, b;
	char		*out;

	a = diags_add_source(d, "a.yaml", NULL, 0);
	b = diags_add_source(d, "b.yaml", NULL, 0);
	diags_add(d, DIAG_ERROR, mkpos(a, 5, 3), "duplicate-key", "dup");
	diags_add(d, DIAG_NOTE, mkpos(a, 1, 1), NULL, "first here");
	diags_add(d, DIAG_NOTE, mkpos(b, 9, 9), NULL, "and here");
	diags_add(d, DIAG_ERROR, mkpos(a, 3, 1), "type", "middle");
	diags_add(d, DIAG_WARNING, mkpos(a, 7, 1), "w", "after");
	diags_add(d, DIAG_NOTE, mkpos(a, 2, 2), NULL, "note of after");
	diags_add(d, DIAG_ERROR, mkpos(a, 4, 1), "e", "no notes");
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "a.yaml:3:1: error: middle [type]\n"
	    "a.yaml:4:1: error: no notes [e]\n"
	    "a.yaml:5:3: error: dup [duplicate-key]\n"
	    "a.yaml:1:1: note: first here\n"
	    "b.yaml:9:9: note: and here\n"
	    "a.yaml:7:1: warning: after [w]\n"
	    "a.yaml:2:2: note: note of after\n");
	free(out);
	diags_free(d);
}
END_TEST

/* Two parents at the same position keep their own notes. */
START_TEST(test_notes_same_position_parents)
{
	struct diags	*d = diags_new();
	uint32_t	 f;
	char		*out;

	f = diags_add_source(d, "m.yaml", NULL, 0);
	diags_add(d, DIAG_ERROR, mkpos(f, 4, 2), "r", "one");
	diags_add(d, DIAG_NOTE, mkpos(f, 9, 1), NULL, "note of one");
	diags_add(d, DIAG_ERROR, mkpos(f, 4, 2), "r", "two");
	diags_add(d, DIAG_NOTE, mkpos(f, 1, 1), NULL, "note of two");
	diags_add(d, DIAG_ERROR, mkpos(f, 1, 1), "r", "zero");
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "m.yaml:1:1: error: zero [r]\n"
	    "m.yaml:4:2: error: one [r]\n"
	    "m.yaml:9:1: note: note of one\n"
	    "m.yaml:4:2: error: two [r]\n"
	    "m.yaml:1:1: note: note of two\n");
	free(out);
	diags_free(d);
}
END_TEST

/* ---------------------------------------------------------- format */

static const struct {
	const char	*text;	/* source text */
	uint32_t	 line, col;
	const char	*expect;
} fmt_cases[] = {
	/* Plain ASCII: the caret under column 6. */
	{ "name: x\nkey: value\n", 2, 6,
	  "f.yaml:2:6: error: msg [rule]\n"
	  "  key: value\n"
	  "       ^\n" },
	/* Column 1. */
	{ "key: value\n", 1, 1,
	  "f.yaml:1:1: error: msg [rule]\n"
	  "  key: value\n"
	  "  ^\n" },
	/* Column counts characters: after a 2-byte character. */
	{ "name: \xc3\xa9 x\n", 1, 9,
	  "f.yaml:1:9: error: msg [rule]\n"
	  "  name: \xc3\xa9 x\n"
	  "          ^\n" },
	/* After a 3-byte and a 4-byte character. */
	{ "\xe4\xb8\xad\xf0\x9f\x98\x80z\n", 1, 3,
	  "f.yaml:1:3: error: msg [rule]\n"
	  "  \xe4\xb8\xad\xf0\x9f\x98\x80z\n"
	  "    ^\n" },
	/* A tab stays a tab under the caret so that it lines up. */
	{ "\tkey: v\n", 1, 2,
	  "f.yaml:1:2: error: msg [rule]\n"
	  "  \tkey: v\n"
	  "  \t^\n" },
	{ "a:\t\xc3\xa9\tb\n", 1, 6,
	  "f.yaml:1:6: error: msg [rule]\n"
	  "  a:\t\xc3\xa9\tb\n"
	  "    \t \t^\n" },
	/* CRLF: the CR is not shown. */
	{ "a: 1\r\nbb: 2\r\n", 2, 5,
	  "f.yaml:2:5: error: msg [rule]\n"
	  "  bb: 2\n"
	  "      ^\n" },
	/* Last line without a newline. */
	{ "a: 1\nlast", 2, 2,
	  "f.yaml:2:2: error: msg [rule]\n"
	  "  last\n"
	  "   ^\n" },
	/* A line with control characters is never quoted. */
	{ "a\033[2Jb\n", 1, 6,
	  "f.yaml:1:6: error: msg [rule]\n"
	  "  (line not shown: it is not printable text)\n" },
	{ "ok\nx\xc2\x9b" "2J\n", 2, 1,
	  "f.yaml:2:1: error: msg [rule]\n"
	  "  (line not shown: it is not printable text)\n" },
	{ "a\xe9" "b\n", 1, 1,
	  "f.yaml:1:1: error: msg [rule]\n"
	  "  (line not shown: it is not printable text)\n" },
	/* Secrets in a quoted line are masked, one '*' a character. */
	{ "  \"access_key_secret\": \"abc\xc3\xa9" "def\", \"x\": 1\n", 1, 34,
	  "f.yaml:1:34: error: msg [rule]\n"
	  "    \"access_key_secret\": \"*******\", \"x\": 1\n"
	  "                                   ^\n" },
	/* Column 0 is treated as column 1. */
	{ "abc\n", 1, 0,
	  "f.yaml:1:0: error: msg [rule]\n"
	  "  abc\n"
	  "  ^\n" },
	/* Line 0 means the whole file: no position, no source. */
	{ "abc\n", 0, 0,
	  "f.yaml: error: msg [rule]\n" },
	/* A line past the end: header only. */
	{ "abc\n", 7, 1,
	  "f.yaml:7:1: error: msg [rule]\n" },
};

START_TEST(test_format)
{
	struct diags	*d = diags_new();
	uint32_t	 f;
	char		*out;

	f = add_text(d, "f.yaml", fmt_cases[_i].text);
	diags_add(d, DIAG_ERROR, mkpos(f, fmt_cases[_i].line,
	    fmt_cases[_i].col), "rule", "msg");
	out = print_all(d, 0);
	ck_assert_str_eq(out, fmt_cases[_i].expect);
	free(out);
	diags_free(d);
}
END_TEST

/* ---------------------------------------------------------- text */

static const struct {
	const char	*text;
	int		 ok;
} text_cases[] = {
	{ "event,resource", 1 },
	{ "\tkey: caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 1 },
	{ "", 1 },
	{ "a\033[2J", 0 },
	{ "a\rb", 0 },
	{ "a\x7f", 0 },
	{ "C1 \xc2\x9b", 0 },
	{ "NBSP \xc2\xa0", 1 },
	{ "latin-1 \xe9", 0 },
	{ "overlong \xc0\xaf", 0 },
	{ "surrogate \xed\xa0\x80", 0 },
	{ "truncated \xe2\x82", 0 },
	{ "past U+10FFFF \xf4\x90\x80\x80", 0 },
};

START_TEST(test_text_ok)
{
	ck_assert_int_eq(diags_text_ok(text_cases[_i].text,
	    strlen(text_cases[_i].text)), text_cases[_i].ok);
}
END_TEST

START_TEST(test_text_ok_nul)
{
	ck_assert_int_eq(diags_text_ok("a\0b", 3), 0);
	ck_assert_int_eq(diags_text_ok("a\0b", 1), 1);
}
END_TEST

static const struct {
	const char	*text;
	const char	*expect;
} redact_cases[] = {
	{ "\"access_key_secret\": \"AbCdEf123\",",
	  "\"access_key_secret\": \"*********\"," },
	{ "\"access_key_secret\":\"a\",\"sts_token\":\"tok/+=\"}",
	  "\"access_key_secret\":\"*\",\"sts_token\":\"******\"}" },
	{ "access_key_secret = Secret/Value+1", "access_key_secret = "
	  "**************" },
	{ "ACCESS_KEY_SECRET=abc,next", "ACCESS_KEY_SECRET=***,next" },
	{ "{\"AccessKeySecret\": \"x1\", \"SecurityToken\": \"t2\"}",
	  "{\"AccessKeySecret\": \"**\", \"SecurityToken\": \"**\"}" },
	{ "security_token: 'abc def'", "security_token: '*******'" },
	/* A CSV field the loader cut: the key's quote opened elsewhere. */
	{ "access_key_secret\": \"VALUE", "access_key_secret\": \"*****" },
	/* Not a key/value: nothing to mask. */
	{ "access_key_secret", "access_key_secret" },
	{ "the access_key_secret field", "the access_key_secret field" },
	{ "access_key_id: LTAI123", "access_key_id: LTAI123" },
	{ "e-0000,i-0000", "e-0000,i-0000" },
};

START_TEST(test_redact)
{
	char	*out;

	out = diags_redact(redact_cases[_i].text,
	    strlen(redact_cases[_i].text));
	ck_assert_str_eq(out, redact_cases[_i].expect);
	free(out);
}
END_TEST

/* The environment's secret and token, anywhere; short values stay. */
START_TEST(test_redact_env)
{
	struct diags	*d;
	char		*out;
	uint32_t	 f;

	ck_assert_int_eq(setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	    "EnvSecret99", 1), 0);
	ck_assert_int_eq(setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "tok", 1), 0);
	out = diags_redact("a EnvSecret99 b EnvSecret99 tok", 31);
	ck_assert_str_eq(out, "a *********** b *********** tok");
	free(out);

	/* Messages, source lines and paths all pass through it. */
	d = diags_new();
	f = add_text(d, "EnvSecret99.csv", "x,EnvSecret99\n");
	diags_add(d, DIAG_ERROR, mkpos(f, 1, 3), "rule", "bad \"%s\"",
	    "EnvSecret99");
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "***********.csv:1:3: error: bad \"***********\" [rule]\n"
	    "  x,***********\n"
	    "    ^\n");
	ck_assert_str_eq(diags_message(d, 1), "bad \"***********\"");
	free(out);
	diags_free(d);
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
}
END_TEST

/* Control characters in a message or a path never reach the terminal. */
START_TEST(test_message_controls)
{
	struct diags	*d = diags_new();
	char		*out;
	uint32_t	 f;

	f = diags_add_source(d, "a\033]0;x\a.csv", NULL, 0);
	diags_add(d, DIAG_ERROR, mkpos(f, 0, 0), "rule", "bad \"%s\"",
	    "\033[2J\r\n");
	out = print_all(d, 0);
	ck_assert_str_eq(out, "a?]0;x?.csv: error: bad \"?[2J??\" [rule]\n");
	free(out);
	diags_free(d);
}
END_TEST

/* Severities, notes without a rule, and a file that is not registered. */
START_TEST(test_format_severities)
{
	struct diags	*d = diags_new();
	uint32_t	 f;
	char		*out;

	f = add_text(d, "m.yaml", "one\ntwo\n");
	diags_add(d, DIAG_WARNING, mkpos(f, 2, 2), "duplicate-target",
	    "twice %s", "here");
	diags_add(d, DIAG_NOTE, mkpos(f, 1, 3), NULL, "first %d", 1);
	diags_add(d, DIAG_ERROR, mkpos(42, 1, 1), "env", "no file");
	out = print_all(d, 0);
	ck_assert_str_eq(out,
	    "m.yaml:2:2: warning: twice here [duplicate-target]\n"
	    "  two\n"
	    "   ^\n"
	    "m.yaml:1:3: note: first 1\n"
	    "  one\n"
	    "    ^\n"
	    "ensbatch: error: no file [env]\n");
	free(out);
	diags_free(d);
}
END_TEST

/* Long lines are cut at 200 bytes; the caret still lines up. */
START_TEST(test_format_long_line)
{
	struct diags	*d = diags_new();
	char		 line[301], *expect, *out;
	uint32_t	 f;

	memset(line, 'x', 300);
	line[300] = '\0';
	line[9] = 'Y';
	f = add_text(d, "l.yaml", line);
	diags_add(d, DIAG_ERROR, mkpos(f, 1, 10), "r", "m");
	out = print_all(d, 0);
	expect = xasprintf("l.yaml:1:10: error: m [r]\n  %.200s...\n"
	    "           ^\n", line);
	ck_assert_str_eq(out, expect);
	free(expect);
	free(out);
	diags_free(d);
}
END_TEST

START_TEST(test_format_color)
{
	struct diags	*d = diags_new();
	uint32_t	 f;
	char		*out;

	f = add_text(d, "c.yaml", "k: v\n");
	diags_add(d, DIAG_ERROR, mkpos(f, 1, 4), "r", "bad");
	out = print_all(d, 1);
	ck_assert_str_eq(out,
	    "c.yaml:1:4: \033[1;31merror:\033[0m bad [r]\n"
	    "  k: v\n"
	    "     \033[1;32m^\033[0m\n");
	free(out);
	diags_free(d);
}
END_TEST

START_TEST(test_print_empty)
{
	struct diags	*d = diags_new();
	char		*out;

	diags_add_source(d, "m.yaml", NULL, 0);
	out = print_all(d, 0);
	ck_assert_str_eq(out, "");
	free(out);
	diags_free(d);
}
END_TEST

/* ---------------------------------------------------------- counts */

START_TEST(test_counts)
{
	struct diags	*d = diags_new();
	struct pos	 p = mkpos(0, 1, 1);

	ck_assert_uint_eq(diags_count(d, DIAG_ERROR), 0);
	ck_assert_uint_eq(diags_count(d, DIAG_WARNING), 0);
	ck_assert_uint_eq(diags_count(d, DIAG_NOTE), 0);
	diags_add_source(d, "m.yaml", NULL, 0);
	diags_add(d, DIAG_ERROR, p, "a", "1");
	diags_add(d, DIAG_NOTE, p, NULL, "n");
	diags_add(d, DIAG_WARNING, p, "b", "2");
	diags_add(d, DIAG_ERROR, p, "c", "3");
	diags_add(d, DIAG_ERROR, p, "d", "4");
	diags_add(d, DIAG_NOTE, p, NULL, "n");
	diags_add(d, DIAG_NOTE, p, NULL, "n");
	ck_assert_uint_eq(diags_count(d, DIAG_ERROR), 3);
	ck_assert_uint_eq(diags_count(d, DIAG_WARNING), 1);
	ck_assert_uint_eq(diags_count(d, DIAG_NOTE), 3);
	diags_free(d);
}
END_TEST

/* ---------------------------------------------------------- lookup */

START_TEST(test_lookup_by_id)
{
	struct diags	*d = diags_new();
	uint32_t	 f, id1, id2, id3;

	f = diags_add_source(d, "m.yaml", NULL, 0);
	id1 = diags_add(d, DIAG_ERROR, mkpos(f, 2, 1), "event-id",
	    "\"%s\" is bad", "e-1");
	id2 = diags_add(d, DIAG_NOTE, mkpos(f, 1, 1), NULL, "see %d", 7);
	id3 = diags_add(d, DIAG_WARNING, mkpos(f, 1, 1), "empty", "w");
	ck_assert_uint_eq(id1, 1);
	ck_assert_uint_eq(id2, 2);
	ck_assert_uint_eq(id3, 3);
	ck_assert_str_eq(diags_message(d, id1), "\"e-1\" is bad");
	ck_assert_str_eq(diags_rule(d, id1), "event-id");
	ck_assert_str_eq(diags_message(d, id2), "see 7");
	ck_assert_ptr_null(diags_rule(d, id2));
	ck_assert_str_eq(diags_message(d, id3), "w");
	ck_assert_str_eq(diags_rule(d, id3), "empty");
	ck_assert_ptr_null(diags_message(d, 0));
	ck_assert_ptr_null(diags_rule(d, 0));
	ck_assert_ptr_null(diags_message(d, 4));
	ck_assert_ptr_null(diags_rule(d, 4));
	diags_free(d);
}
END_TEST

/* Ids stay valid while the list grows (past the first reallocation). */
START_TEST(test_lookup_many)
{
	struct diags	*d = diags_new();
	uint32_t	 ids[100], i;
	char		 want[32];

	diags_add_source(d, "m.yaml", NULL, 0);
	for (i = 0; i < NITEMS(ids); i++)
		ids[i] = diags_add(d, DIAG_ERROR, mkpos(0, 100 - i, 1), "r",
		    "message %u", i);
	for (i = 0; i < NITEMS(ids); i++) {
		ck_assert_uint_eq(ids[i], i + 1);
		snprintf(want, sizeof(want), "message %u", i);
		ck_assert_str_eq(diags_message(d, ids[i]), want);
	}
	ck_assert_uint_eq(diags_count(d, DIAG_ERROR), 100);
	diags_free(d);
}
END_TEST

START_TEST(test_source_path)
{
	struct diags	*d = diags_new();

	ck_assert_str_eq(diags_source_path(d, 0), "?");
	ck_assert_uint_eq(diags_add_source(d, "dir/m.yaml", NULL, 0), 0);
	ck_assert_uint_eq(diags_add_source(d, "dir/w.csv", xstrdup("x"), 1),
	    1);
	ck_assert_str_eq(diags_source_path(d, 0), "dir/m.yaml");
	ck_assert_str_eq(diags_source_path(d, 1), "dir/w.csv");
	ck_assert_str_eq(diags_source_path(d, 2), "?");
	diags_free(d);
}
END_TEST

/* Diagnostics added since a mark go; counts follow. */
START_TEST(test_rollback)
{
	struct diags	*d = diags_new();
	size_t		 mark;

	diags_add_source(d, "m.yaml", NULL, 0);
	diags_add(d, DIAG_ERROR, mkpos(0, 1, 1), "a", "kept");
	mark = diags_mark(d);
	ck_assert_uint_eq(mark, 1);
	diags_add(d, DIAG_ERROR, mkpos(0, 2, 1), "b", "gone");
	diags_add(d, DIAG_WARNING, mkpos(0, 3, 1), "c", "gone too");
	diags_add(d, DIAG_NOTE, mkpos(0, 3, 1), NULL, "and its note");
	diags_rollback(d, mark);
	ck_assert_uint_eq(diags_count(d, DIAG_ERROR), 1);
	ck_assert_uint_eq(diags_count(d, DIAG_WARNING), 0);
	ck_assert_uint_eq(diags_count(d, DIAG_NOTE), 0);
	ck_assert_ptr_null(diags_message(d, 2));
	ck_assert_str_eq(diags_message(d, 1), "kept");
	diags_rollback(d, 5);		/* past the end: nothing */
	ck_assert_uint_eq(diags_count(d, DIAG_ERROR), 1);
	diags_free(d);
}
END_TEST

/*
 * A source kept as a file: lines are read back from it, a line longer
 * than what is kept still shows its start, a line past the end none.
 */
START_TEST(test_file_source_lines)
{
	struct diags	*d = diags_new();
	struct buf	 b;
	char		 path[] = "/tmp/check_diag.XXXXXX", sha[HASH_HEX_LEN];
	char		*out, *expect;
	uint32_t	 f;
	int		 fd;

	buf_init(&b);
	buf_adds(&b, "short: line\r\nx");
	while (b.len < 10000)
		buf_adds(&b, "\xc3\xa9");	/* cut inside a character */
	buf_adds(&b, "\nlast");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
	ck_assert_int_eq(close(fd), 0);
	hash_sha256_hex(b.data, b.len, sha);
	f = diags_add_source(d, "m.yaml", NULL, 0);
	diags_source_file(d, f, path, 0, b.len, sha);
	diags_add(d, DIAG_ERROR, mkpos(f, 1, 8), "r", "one");
	diags_add(d, DIAG_ERROR, mkpos(f, 2, 2), "r", "two");
	diags_add(d, DIAG_ERROR, mkpos(f, 3, 5), "r", "three");
	diags_add(d, DIAG_ERROR, mkpos(f, 9, 1), "r", "past the end");
	out = print_all(d, 0);
	expect = xasprintf("m.yaml:1:8: error: one [r]\n"
	    "  short: line\n"
	    "         ^\n"
	    "m.yaml:2:2: error: two [r]\n"
	    "  %.199s...\n"
	    "   ^\n"
	    "m.yaml:3:5: error: three [r]\n"
	    "  last\n"
	    "      ^\n"
	    "m.yaml:9:1: error: past the end [r]\n", b.data + 13);
	ck_assert_str_eq(out, expect);
	free(expect);
	free(out);
	ck_assert_int_eq(unlink(path), 0);
	buf_free(&b);
	diags_free(d);
}
END_TEST

START_TEST(test_free_null)
{
	diags_free(NULL);
	ck_assert(1);	/* reached: freeing NULL is a no-op */
}
END_TEST

Suite *
diag_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("diag");

	tc = tcase_create("sort");
	tcase_add_test(tc, test_sort_files_lines_cols);
	tcase_add_test(tc, test_sort_stable);
	suite_add_tcase(s, tc);

	tc = tcase_create("notes");
	tcase_add_test(tc, test_notes_follow_parent);
	tcase_add_test(tc, test_notes_same_position_parents);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format, 0, NITEMS(fmt_cases));
	tcase_add_test(tc, test_format_severities);
	tcase_add_test(tc, test_format_long_line);
	tcase_add_test(tc, test_format_color);
	tcase_add_test(tc, test_print_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_loop_test(tc, test_text_ok, 0, NITEMS(text_cases));
	tcase_add_test(tc, test_text_ok_nul);
	tcase_add_loop_test(tc, test_redact, 0, NITEMS(redact_cases));
	tcase_add_test(tc, test_redact_env);
	tcase_add_test(tc, test_message_controls);
	suite_add_tcase(s, tc);

	tc = tcase_create("counts");
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_lookup_by_id);
	tcase_add_test(tc, test_lookup_many);
	tcase_add_test(tc, test_source_path);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_file_source_lines);
	suite_add_tcase(s, tc);

	return (s);
}
