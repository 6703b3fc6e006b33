/*
 * ens_sanitize's two ways: plain strings are copied as they are, the
 * rest is stripped, cut and masked.  Both must give the same text for
 * every input: a table of the edges, then many generated strings.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/ens.h"
#include "ensbatch/xmalloc.h"
#include "suites.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static char	 sp_secret[] = "S3cr3tS3cr3t";
static char	 sp_token[] = "CAIS+tok/en=";	/* CAIS%2Btok%2Fen%3D */
static char	 sp_id[] = "LTAIid";
static char	 sp_short[] = "S3cr3t";
static char	 sp_holder[] = "xxS3cr3txx";	/* holds sp_short */
static char	 sp_abab[] = "abab";
static char	 sp_plain_tok[] = "TOKEN123";	/* encodes to itself */
static char	 sp_empty[] = "";

static const struct creds sp_creds = { sp_id, sp_secret, sp_token, NULL,
    0, 0, NULL };
static const struct creds sp_nested = { sp_id, sp_short, sp_holder, NULL,
    0, 0, NULL };
static const struct creds sp_self = { sp_id, sp_abab, NULL, NULL, 0, 0,
    NULL };
static const struct creds sp_unreserved = { sp_id, sp_secret, sp_plain_tok,
    NULL, 0, 0, NULL };
static const struct creds sp_blank = { sp_id, sp_empty, sp_empty, NULL, 0,
    0, NULL };

/* Input, credentials -> copied as it is?, the text. */
static const struct {
	const char		*in;
	const struct creds	*creds;
	int			 plain;
	const char		*out;
} sp_rows[] = {
	/* What answers hold: ids, states, plain messages. */
	{ "plain text", NULL, 1, "plain text" },
	{ "", NULL, 1, "" },
	{ "", &sp_creds, 1, "" },
	{ "i-q1ua6rjjhaub6uqvmg2j14bn", &sp_creds, 1,
	  "i-q1ua6rjjhaub6uqvmg2j14bn" },
	{ "e-7d2941b3c6c47cc42a1a0086b9e70ba5", &sp_creds, 1,
	  "e-7d2941b3c6c47cc42a1a0086b9e70ba5" },
	{ " ~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}", &sp_creds, 1,
	  " ~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}" },
	{ "LTAIid is not secret", &sp_creds, 1, "LTAIid is not secret" },
	{ "no creds S3cr3tS3cr3t", NULL, 1, "no creds S3cr3tS3cr3t" },
	{ "String To Sign", NULL, 1, "String To Sign" },
	{ "string to sig", NULL, 1, "string to sig" },
	/* A '%' can only be the encoded token when there is a token. */
	{ "100% done", NULL, 1, "100% done" },
	{ "100% done", &sp_self, 1, "100% done" },
	{ "100% done", &sp_creds, 0, "100% done" },
	{ "100% done", &sp_unreserved, 0, "100% done" },
	{ "CAIS%2btok%2fen%3d", &sp_creds, 0, "CAIS%2btok%2fen%3d" },
	/* A prefix or a part of a secret is no secret. */
	{ "S3cr3tS3cr3", &sp_creds, 1, "S3cr3tS3cr3" },
	{ "3cr3tS3cr3t", &sp_creds, 1, "3cr3tS3cr3t" },
	{ "CAIS+tok/en", &sp_creds, 1, "CAIS+tok/en" },
	/* Secrets at the start, in the middle, at the end, alone. */
	{ "S3cr3tS3cr3t at start", &sp_creds, 0, "*** at start" },
	{ "mid S3cr3tS3cr3t mid", &sp_creds, 0, "mid *** mid" },
	{ "at end S3cr3tS3cr3t", &sp_creds, 0, "at end ***" },
	{ "S3cr3tS3cr3t", &sp_creds, 0, "***" },
	{ "S3cr3tS3cr3tS3cr3tS3cr3t", &sp_creds, 0, "******" },
	{ "CAIS+tok/en=", &sp_creds, 0, "***" },
	{ "tok CAIS+tok/en= x", &sp_creds, 0, "tok *** x" },
	{ "CAIS%2Btok%2Fen%3D", &sp_creds, 0, "***" },
	{ "enc CAIS%2Btok%2Fen%3D x", &sp_creds, 0, "enc *** x" },
	{ "TOKEN123 and 100%", &sp_unreserved, 0, "*** and 100%" },
	{ "TOKEN123", &sp_unreserved, 0, "***" },
	/* One secret holds another: the longest wins where both start. */
	{ "axxS3cr3txxb", &sp_nested, 0, "a***b" },
	{ "S3cr3txxS3cr3txx", &sp_nested, 0, "******" },
	{ "xS3cr3tx", &sp_nested, 0, "x***x" },
	/* Overlapping matches of one secret: one pass, left to right. */
	{ "abababab", &sp_self, 0, "******" },
	{ "ababa", &sp_self, 0, "***a" },
	{ "aababab", &sp_self, 0, "a***ab" },
	/* Empty secrets mask nothing. */
	{ "100% S3cr3tS3cr3t", &sp_blank, 1, "100% S3cr3tS3cr3t" },
	/* The string a V1 signature signed is cut whole. */
	{ "sign string to sign: GET&CAIS", &sp_creds, 0, "sign " },
	{ "string to sign", NULL, 0, "" },
	{ "x string to sign", &sp_blank, 0, "x " },
	/* Control characters, escapes, bidi, non-ASCII. */
	{ "a\tb", NULL, 0, "a b" },
	{ "a\nb\rc", &sp_creds, 0, "a b c" },
	{ "del\x7f", NULL, 0, "del" },
	{ "\x01\x1f", NULL, 0, "" },
	{ "red \x1b[31mX\x1b[0m", NULL, 0, "red X" },
	{ "title \x1b]0;pwned\x07 end", NULL, 0, "title  end" },
	{ "c1 \xc2\x9b" "31mred", NULL, 0, "c1 red" },
	{ "bidi \xe2\x80\xae" "txt.exe", NULL, 0, "bidi txt.exe" },
	{ "iso \xe2\x81\xa6x\xe2\x81\xa9", &sp_creds, 0, "iso x" },
	{ "caf\xc3\xa9", NULL, 0, "caf\xc3\xa9" },
	/* Stripping joins a secret, or breaks it. */
	{ "S3cr3t\x01S3cr3t", &sp_creds, 0, "***" },
	{ "S3cr3t\x1b[0mS3cr3t", &sp_creds, 0, "***" },
	{ "S3cr\n3tS3cr3t", &sp_creds, 0, "S3cr 3tS3cr3t" },
	{ "string\x01 to sign", NULL, 0, "" },
	{ "string\t to sign", NULL, 0, "string  to sign" },
};

START_TEST(test_sanitize_rows)
{
	const char	*in = sp_rows[_i].in;
	char		*fast, *full;
	size_t		 len = SIZE_MAX;

	ck_assert_msg(ens_sanitize_plain(in, sp_rows[_i].creds, &len) ==
	    sp_rows[_i].plain, "row %d: plain is not %d", _i,
	    sp_rows[_i].plain);
	if (sp_rows[_i].plain)
		ck_assert_uint_eq(len, strlen(in));
	fast = ens_sanitize(in, sp_rows[_i].creds);
	full = ens_sanitize_full(in, sp_rows[_i].creds);
	ck_assert_msg(strcmp(fast, sp_rows[_i].out) == 0,
	    "row %d: \"%s\", expected \"%s\"", _i, fast, sp_rows[_i].out);
	ck_assert_msg(strcmp(full, sp_rows[_i].out) == 0,
	    "row %d: the long way gives \"%s\", expected \"%s\"", _i, full,
	    sp_rows[_i].out);
	free(fast);
	free(full);
}
END_TEST

/* Pieces of generated strings: secrets, their parts, what is stripped. */
static const char *const sp_pieces[] = {
	"a", "Z", " ", "*", "%", "%2B", "S3cr3t", "S3cr3tS3cr3t", "3cr3t",
	"CAIS+tok/en=", "CAIS%2Btok%2Fen%3D", "CAIS", "xx", "ab", "TOKEN123",
	"\t", "\n", "\x01", "\x7f", "\x1b[1m", "\x1b]0;t\x07", "\x1b",
	"\xc2\x9b", "\xc2\x85", "\xe2\x80\xae", "\xc3\xa9", "\xe4\xb8\xad",
	"string to sign", "string", " to ", "sign", "\xff"
};

static const struct creds *const sp_all[] = {
	NULL, &sp_creds, &sp_nested, &sp_self, &sp_unreserved, &sp_blank
};

/* A small deterministic generator: the same strings on every run. */
static uint32_t
sp_next(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16);
}

/*
 * Generated strings: the shortcut gives what the long way gives, and
 * a string it lets through is one the long way leaves as it is.  Both
 * ways must be taken often for this to prove anything.
 */
START_TEST(test_sanitize_same)
{
	uint32_t	 state = 7;
	struct buf	 b;
	const char	*in;
	char		*fast, *full;
	size_t		 n, k, len, plain = 0, other = 0;
	int		 round, c;

	buf_init(&b);
	for (round = 0; round < 20000; round++) {
		buf_reset(&b);
		n = sp_next(&state) % 9;
		for (k = 0; k < n; k++)
			buf_adds(&b, sp_pieces[sp_next(&state) %
			    NITEMS(sp_pieces)]);
		in = b.data;
		for (c = 0; c < (int)NITEMS(sp_all); c++) {
			fast = ens_sanitize(in, sp_all[c]);
			full = ens_sanitize_full(in, sp_all[c]);
			ck_assert_msg(strcmp(fast, full) == 0, "\"%s\" with "
			    "creds %d: \"%s\", the long way \"%s\"", in, c,
			    fast, full);
			if (ens_sanitize_plain(in, sp_all[c], &len)) {
				ck_assert_str_eq(full, in);
				plain++;
			} else
				other++;
			free(fast);
			free(full);
		}
	}
	buf_free(&b);
	ck_assert_uint_gt(plain, 5000);
	ck_assert_uint_gt(other, 5000);
}
END_TEST

/* A result's Code as it came -> its text in messages. */
static const struct {
	const char	*code;
	const char	*text;
} sp_codes[] = {
	{ "200", "200" },
	{ "0", "0" },
	{ "-1", "-1" },
	{ "9223372036854775807", "9223372036854775807" },
	{ "-9223372036854775808", "-9223372036854775808" },
	{ "\"200\"", "200" },
	{ "\"S3cr3tS3cr3t\"", "S3cr3tS3cr3t" },
	{ "200.5", "200.5" },
	{ "true", "true" },
	{ "null", "null" },
	{ "[200]", "[200]" },
	{ "{\"a\":\"b\\tc\"}", "{\"a\":\"b\\tc\"}" },
};

START_TEST(test_sanitize_code_text)
{
	static const struct ens_item	 item = { "e-1", "i-1", 0, 0 };
	struct ens_reply		 r;
	char				*body;

	body = xasprintf("{\"RequestId\":\"R\",\"Results\":[{\"Code\":%s,"
	    "\"EventId\":\"e-1\",\"ResourceId\":\"i-1\"}]}",
	    sp_codes[_i].code);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_parse_reboot(body, strlen(body), &item, 1, &r),
	    0);
	ck_assert_uint_eq(r.nresults, 1);
	ck_assert_str_eq(r.results[0].code_text, sp_codes[_i].text);
	ens_reply_clear(&r);
	free(body);
}
END_TEST

Suite *
sanitize_suite(void)
{
	Suite	*s = suite_create("sanitize");
	TCase	*tc;

	tc = tcase_create("rows");
	tcase_add_loop_test(tc, test_sanitize_rows, 0, NITEMS(sp_rows));
	suite_add_tcase(s, tc);
	tc = tcase_create("same");
	tcase_add_test(tc, test_sanitize_same);
	suite_add_tcase(s, tc);
	tc = tcase_create("code_text");
	tcase_add_loop_test(tc, test_sanitize_code_text, 0, NITEMS(sp_codes));
	suite_add_tcase(s, tc);
	return (s);
}
