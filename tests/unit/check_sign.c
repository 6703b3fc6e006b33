/*
 * Tests for sign: RFC 3986 encoding and decoding, canonical queries,
 * and the V3 and V1 signatures.  The SDK vectors (SPEC section 6 and
 * issue 3) were computed with the official SDKs' code; the vectors for
 * whole requests (STS, content-type, V1 with Format=JSON) were computed
 * independently with Python's hmac, hashlib and urllib.parse.quote.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ensbatch/sign.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

#define EMPTY_SHA256	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define EVENT_INFOS	\
	"[{\"EventId\":\"e-1\",\"OpsType\":\"immediate\","	\
	"\"ResourceId\":\"i-1\"}]"
#define EVENT_INFOS_ENC	\
	"%5B%7B%22EventId%22%3A%22e-1%22%2C%22OpsType%22%3A%22"	\
	"immediate%22%2C%22ResourceId%22%3A%22i-1%22%7D%5D"

#define AKID		"testAccessKeyId"
#define SECRET		"testAccessKeySecret"
#define HOST		"ens.aliyuncs.com"
#define ACTION		"BatchEventRebootInstance"
#define API_VERSION		"2017-11-10"
#define DATE		"2024-01-02T03:04:05Z"
#define NONCE		"0123456789abcdef0123456789abcdef"
#define TOKEN		"tok/en+1"

#define V3_SIGNATURE	\
	"5f53edea2b754c4a23633940719377358b274f2b6b5223495bbf4881411ba5c9"
#define V3_SIGNED	"host;x-acs-action;x-acs-content-sha256;x-acs-date;" \
			"x-acs-signature-nonce;x-acs-version"
#define V3_STS_SIGNATURE	\
	"d8891eeb70bbb07d107f07eeb796f9e8ba6dbe703a222fb9f2a8b77976cac18b"
#define V3_STS_SIGNED	"host;x-acs-action;x-acs-content-sha256;x-acs-date;" \
			"x-acs-security-token;x-acs-signature-nonce;"	\
			"x-acs-version"
#define V3_CT_SIGNATURE	\
	"9896a5dba412fed2422e1096c8f475faca72c94166ea016f9e41a47b32ea3d52"

/* V1 canonical query of the whole request, without the signature. */
#define V1_QUERY(token)							\
	"AccessKeyId=" AKID "&Action=" ACTION "&EventInfos="		\
	EVENT_INFOS_ENC "&Format=JSON" token				\
	"&SignatureMethod=HMAC-SHA1&SignatureNonce=" NONCE		\
	"&SignatureVersion=1.0&Timestamp=2024-01-02T03%3A04%3A05Z"	\
	"&Version=" API_VERSION

static const struct sign_param	event_params[] = {
	{ "EventInfos", EVENT_INFOS }
};

static const struct sign_creds	creds_ak = { AKID, SECRET, NULL };
static const struct sign_creds	creds_sts = { AKID, SECRET, TOKEN };

/* ----------------------------------------------------------- encoding */

static const struct {
	const char	*raw;
	const char	*enc;
} enc_table[] = {
	{ "", "" },
	{ "abcXYZ019", "abcXYZ019" },
	{ "-_.~", "-_.~" },
	{ " ", "%20" },
	{ "*", "%2A" },
	{ "/", "%2F" },
	{ "+", "%2B" },
	{ "%", "%25" },
	{ "=&?#", "%3D%26%3F%23" },
	{ "a b*c~d", "a%20b%2Ac~d" },
	{ "\"[]{}:,", "%22%5B%5D%7B%7D%3A%2C" },
	{ "\xe4\xbd\xa0\xe5\xa5\xbd", "%E4%BD%A0%E5%A5%BD" },
	{ "\x01\x7f\xff", "%01%7F%FF" },
	{ "2024-01-02T03:04:05Z", "2024-01-02T03%3A04%3A05Z" },
	{ EVENT_INFOS, EVENT_INFOS_ENC },
};

START_TEST(test_encode)
{
	char	*s;

	s = sign_encode(enc_table[_i].raw);
	ck_assert_str_eq(s, enc_table[_i].enc);
	free(s);
}
END_TEST

START_TEST(test_decode_round_trip)
{
	const char	*e = enc_table[_i].enc;
	char		*s;

	s = sign_decode(e, strlen(e), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, enc_table[_i].raw);
	free(s);
	s = sign_decode(e, strlen(e), 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, enc_table[_i].raw);
	free(s);
}
END_TEST

static const struct {
	const char	*in;
	int		 plus_is_space;
	const char	*out;
} dec_table[] = {
	{ "a+b", 1, "a b" },
	{ "a+b", 0, "a+b" },
	{ "a%2Bb", 1, "a+b" },
	{ "%e4%bd%A0", 0, "\xe4\xbd\xa0" },
	{ "~*!'()", 0, "~*!'()" },
	{ "%25%32%30", 0, "%20" },
};

START_TEST(test_decode)
{
	const char	*in = dec_table[_i].in;
	char		*s;

	s = sign_decode(in, strlen(in), dec_table[_i].plus_is_space);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, dec_table[_i].out);
	free(s);
}
END_TEST

/* Only the first len bytes are read: a query split in place. */
START_TEST(test_decode_length)
{
	const char	*q = "a%20b=c%3Dd&e";
	char		*s;

	s = sign_decode(q, 5, 0);
	ck_assert_str_eq(s, "a b");
	free(s);
	s = sign_decode(q + 6, 5, 0);
	ck_assert_str_eq(s, "c=d");
	free(s);
	s = sign_decode(q, 0, 0);
	ck_assert_str_eq(s, "");
	free(s);
	/* An escape cut by the length is malformed. */
	ck_assert_ptr_null(sign_decode(q, 3, 0));
}
END_TEST

static const char *const dec_bad[] = {
	"%G1", "%1G", "%4", "%", "a%", "ab%2", "%%41", "% 1", "%00", "a%00b",
};

START_TEST(test_decode_bad)
{
	ck_assert_ptr_null(sign_decode(dec_bad[_i], strlen(dec_bad[_i]), 0));
	ck_assert_ptr_null(sign_decode(dec_bad[_i], strlen(dec_bad[_i]), 1));
}
END_TEST

/* A NUL inside the given length is rejected, not a silent truncation. */
START_TEST(test_decode_embedded_nul)
{
	static const char	in[] = { 'a', '\0', 'b' };

	ck_assert_ptr_null(sign_decode(in, sizeof in, 0));
}
END_TEST

/* ---------------------------------------------------- canonical query */

START_TEST(test_canonical_sorted)
{
	static const struct sign_param	p[] = {
		{ "b", "2" }, { "a", "x y" }, { "B", "3" }, { "a_", "4" },
		{ "a", "1" }, { "A b", "*" }, { "c", "" },
	};
	char	*q;

	q = sign_canonical_query(p, NITEMS(p));
	ck_assert_str_eq(q, "A%20b=%2A&B=3&a=1&a=x%20y&a_=4&b=2&c=");
	free(q);
}
END_TEST

START_TEST(test_canonical_empty)
{
	char	*q;

	q = sign_canonical_query(NULL, 0);
	ck_assert_str_eq(q, "");
	free(q);
}
END_TEST

/* Sorting is by the raw key, bytewise, so UTF-8 sorts after ASCII. */
START_TEST(test_canonical_bytewise)
{
	static const struct sign_param	p[] = {
		{ "\xe4\xbd\xa0", "v" }, { "~", "t" }, { "z", "z" },
		{ "Z", "Z" },
	};
	char	*q;

	q = sign_canonical_query(p, NITEMS(p));
	ck_assert_str_eq(q, "Z=Z&z=z&~=t&%E4%BD%A0=v");
	free(q);
}
END_TEST

/* The input array is not reordered. */
START_TEST(test_canonical_const)
{
	struct sign_param	 p[] = { { "b", "1" }, { "a", "2" } };
	char			*q;

	q = sign_canonical_query(p, NITEMS(p));
	ck_assert_str_eq(q, "a=2&b=1");
	ck_assert_str_eq(p[0].key, "b");
	ck_assert_str_eq(p[1].key, "a");
	free(q);
}
END_TEST

/* ------------------------------------------------------------ sha256 */

START_TEST(test_sha256)
{
	char	*h;

	h = sign_sha256_hex("", 0);
	ck_assert_str_eq(h, EMPTY_SHA256);
	free(h);
	h = sign_sha256_hex("abcdef", 3);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	free(h);
}
END_TEST

/* ---------------------------------------------------------------- V1 */

static const struct sign_param	v1_test_ok[] = {
	{ "test", "ok" },
};

static const struct sign_param	v1_describe_regions[] = {
	{ "Action", "DescribeRegions" },
	{ "Format", "XML" },
	{ "Version", "2014-05-26" },
	{ "AccessKeyId", "testid" },
	{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
	{ "TimeStamp", "2016-02-23T12:46:24Z" },
	{ "SignatureMethod", "HMAC-SHA1" },
	{ "SignatureVersion", "1.0" },
};

static const struct sign_param	v1_reboot[] = {
	{ "Action", ACTION },
	{ "Format", "json" },
	{ "Version", API_VERSION },
	{ "Timestamp", DATE },
	{ "SignatureNonce", NONCE },
	{ "EventInfos", EVENT_INFOS },
	{ "SignatureMethod", "HMAC-SHA1" },
	{ "SignatureVersion", "1.0" },
	{ "AccessKeyId", AKID },
};

static const struct {
	const char		*secret;
	const char		*method;
	const struct sign_param	*params;
	size_t			 nparams;
	const char		*signature;
} v1_vectors[] = {
	{ "accessKeySecret", "", v1_test_ok, NITEMS(v1_test_ok),
	  "jHx/oHoHNrbVfhncHEvPdHXZwHU=" },
	{ "testsecret", "GET", v1_describe_regions,
	  NITEMS(v1_describe_regions), "CT9X0VtwR86fNWSnsc6v8YGOjuE=" },
	{ SECRET, "POST", v1_reboot, NITEMS(v1_reboot),
	  "DrmMKFdwc2b+j1kD+0AALQi4L1s=" },
};

START_TEST(test_v1_vector)
{
	char	*sig;

	sig = sign_v1_signature(v1_vectors[_i].secret, v1_vectors[_i].method,
	    v1_vectors[_i].params, v1_vectors[_i].nparams);
	ck_assert_str_eq(sig, v1_vectors[_i].signature);
	free(sig);
}
END_TEST

/* Any change to secret, method or a parameter changes the signature. */
START_TEST(test_v1_sensitive)
{
	struct sign_param	 p[NITEMS(v1_reboot)];
	char			*sig;

	sig = sign_v1_signature("testAccessKeySecreT", "POST", v1_reboot,
	    NITEMS(v1_reboot));
	ck_assert_str_ne(sig, "DrmMKFdwc2b+j1kD+0AALQi4L1s=");
	free(sig);
	sig = sign_v1_signature(SECRET, "GET", v1_reboot, NITEMS(v1_reboot));
	ck_assert_str_ne(sig, "DrmMKFdwc2b+j1kD+0AALQi4L1s=");
	free(sig);
	memcpy(p, v1_reboot, sizeof p);
	p[1].value = "JSON";
	sig = sign_v1_signature(SECRET, "POST", p, NITEMS(p));
	ck_assert_str_ne(sig, "DrmMKFdwc2b+j1kD+0AALQi4L1s=");
	free(sig);
}
END_TEST

/* ---------------------------------------------------------------- V3 */

static const struct sign_header	v3_headers[] = {
	{ "host", HOST },
	{ "x-acs-action", ACTION },
	{ "x-acs-version", API_VERSION },
	{ "x-acs-date", DATE },
	{ "x-acs-signature-nonce", NONCE },
	{ "x-acs-content-sha256", EMPTY_SHA256 },
	{ "accept", "application/json" },
};

START_TEST(test_v3_vector)
{
	char	*sig, *names = NULL;

	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    v3_headers, NITEMS(v3_headers), EMPTY_SHA256, &names);
	ck_assert_str_eq(sig, V3_SIGNATURE);
	ck_assert_str_eq(names, V3_SIGNED);
	free(names);
	free(sig);

	/* signed_headers is optional. */
	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    v3_headers, NITEMS(v3_headers), EMPTY_SHA256, NULL);
	ck_assert_str_eq(sig, V3_SIGNATURE);
	free(sig);
}
END_TEST

/*
 * What travels over the wire may differ in name case, order, padding
 * and unsigned headers without changing the signature.
 */
START_TEST(test_v3_normalised)
{
	static const struct sign_header	h[] = {
		{ "User-Agent", "curl/8" },
		{ "X-Acs-Signature-Nonce", "\t" NONCE " " },
		{ "X-ACS-Version", API_VERSION },
		{ "Accept", "text/plain" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
		{ "HOST", "  " HOST },
		{ "x-acs-date", DATE "\t\t" },
		{ "X-Acs-Action", ACTION },
	};
	char	*sig, *names = NULL;

	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    h, NITEMS(h), EMPTY_SHA256, &names);
	ck_assert_str_eq(sig, V3_SIGNATURE);
	ck_assert_str_eq(names, V3_SIGNED);
	free(names);
	free(sig);
}
END_TEST

/* A content-type header, if present, is signed. */
START_TEST(test_v3_content_type)
{
	struct sign_header	 h[NITEMS(v3_headers) + 1];
	char			*sig, *names = NULL;

	memcpy(h, v3_headers, sizeof v3_headers);
	h[NITEMS(v3_headers)].name = "Content-Type";
	h[NITEMS(v3_headers)].value = "application/x-www-form-urlencoded";
	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    h, NITEMS(h), EMPTY_SHA256, &names);
	ck_assert_str_eq(sig, V3_CT_SIGNATURE);
	ck_assert_str_eq(names, "content-type;" V3_SIGNED);
	free(names);
	free(sig);
}
END_TEST

/* Each input counts: secret, method, query, a header value, payload. */
START_TEST(test_v3_sensitive)
{
	struct sign_header	 h[NITEMS(v3_headers)];
	char			*sig;

	sig = sign_v3_signature("x", "POST", "EventInfos=" EVENT_INFOS_ENC,
	    v3_headers, NITEMS(v3_headers), EMPTY_SHA256, NULL);
	ck_assert_str_ne(sig, V3_SIGNATURE);
	free(sig);
	sig = sign_v3_signature(SECRET, "GET", "EventInfos=" EVENT_INFOS_ENC,
	    v3_headers, NITEMS(v3_headers), EMPTY_SHA256, NULL);
	ck_assert_str_ne(sig, V3_SIGNATURE);
	free(sig);
	sig = sign_v3_signature(SECRET, "POST", "EventInfos=%5B%5D",
	    v3_headers, NITEMS(v3_headers), EMPTY_SHA256, NULL);
	ck_assert_str_ne(sig, V3_SIGNATURE);
	free(sig);
	memcpy(h, v3_headers, sizeof h);
	h[3].value = "2024-01-02T03:04:06Z";
	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    h, NITEMS(h), EMPTY_SHA256, NULL);
	ck_assert_str_ne(sig, V3_SIGNATURE);
	free(sig);
	sig = sign_v3_signature(SECRET, "POST", "EventInfos=" EVENT_INFOS_ENC,
	    v3_headers, NITEMS(v3_headers), "0", NULL);
	ck_assert_str_ne(sig, V3_SIGNATURE);
	free(sig);
}
END_TEST

/* ------------------------------------------------------- sign_request */

/* The header "Name: value" in out whose name is name, or NULL. */
static const char *
find_header(const struct sign_out *out, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < out->nheaders; i++) {
		if (strncasecmp(out->headers[i], name, len) == 0 &&
		    out->headers[i][len] == ':')
			return (out->headers[i]);
	}
	return (NULL);
}

/*
 * Verify a V3 request as the simulator would: split the headers that
 * libcurl sends (not "Name:", which only removes one), parse the
 * Authorization header and recompute.
 */
static void
verify_v3(const struct sign_out *out, const char *secret)
{
	struct sign_header	 h[16];
	char			*copies[16], *sig, *names, *auth;
	const char		*a, *p;
	size_t			 i, n = 0;

	ck_assert_uint_le(out->nheaders, NITEMS(h));
	for (i = 0; i < out->nheaders; i++) {
		copies[i] = strdup(out->headers[i]);
		ck_assert_ptr_nonnull(copies[i]);
		if (strncasecmp(copies[i], "Authorization:", 14) == 0)
			continue;
		p = strchr(copies[i], ':');
		ck_assert_ptr_nonnull(p);
		if (p[1] == '\0')
			continue;
		copies[i][p - copies[i]] = '\0';
		h[n].name = copies[i];
		h[n++].value = p + 1;
	}
	sig = sign_v3_signature(secret, "POST", out->query, h, n,
	    EMPTY_SHA256, &names);
	a = find_header(out, "Authorization");
	ck_assert_ptr_nonnull(a);
	auth = malloc(strlen(a) + 256);
	ck_assert_ptr_nonnull(auth);
	snprintf(auth, strlen(a) + 256, "Authorization: ACS3-HMAC-SHA256 "
	    "Credential=%s,SignedHeaders=%s,Signature=%s", AKID, names, sig);
	ck_assert_str_eq(a, auth);
	free(auth);
	free(names);
	free(sig);
	for (i = 0; i < out->nheaders; i++)
		free(copies[i]);
}

START_TEST(test_request_v3)
{
	static const char *const	expect[] = {
		"host: " HOST,
		"x-acs-action: " ACTION,
		"x-acs-version: " API_VERSION,
		"x-acs-date: " DATE,
		"x-acs-signature-nonce: " NONCE,
		"x-acs-content-sha256: " EMPTY_SHA256,
		"Accept: application/json",
		"Authorization: ACS3-HMAC-SHA256 Credential=" AKID
		    ",SignedHeaders=" V3_SIGNED ",Signature=" V3_SIGNATURE,
	};
	struct sign_out	out;
	size_t		i;

	sign_request(SIGN_V3, &creds_ak, "POST", HOST, ACTION, API_VERSION,
	    event_params, NITEMS(event_params), DATE, NONCE, &out);
	ck_assert_str_eq(out.query, "EventInfos=" EVENT_INFOS_ENC);
	ck_assert_uint_eq(out.nheaders, NITEMS(expect));
	for (i = 0; i < NITEMS(expect); i++)
		ck_assert_str_eq(out.headers[i], expect[i]);
	verify_v3(&out, SECRET);
	sign_out_free(&out);
	ck_assert_ptr_null(out.query);
	ck_assert_ptr_null(out.headers);
	ck_assert_uint_eq(out.nheaders, 0);
	sign_out_free(&out);
	sign_out_free(NULL);
}
END_TEST

START_TEST(test_request_v3_sts)
{
	struct sign_out	out;

	sign_request(SIGN_V3, &creds_sts, "POST", HOST, ACTION, API_VERSION,
	    event_params, NITEMS(event_params), DATE, NONCE, &out);
	ck_assert_str_eq(out.query, "EventInfos=" EVENT_INFOS_ENC);
	ck_assert_str_eq(find_header(&out, "x-acs-security-token"),
	    "x-acs-security-token: " TOKEN);
	ck_assert_str_eq(find_header(&out, "Authorization"),
	    "Authorization: ACS3-HMAC-SHA256 Credential=" AKID
	    ",SignedHeaders=" V3_STS_SIGNED ",Signature=" V3_STS_SIGNATURE);
	verify_v3(&out, SECRET);
	sign_out_free(&out);
}
END_TEST

/* A host with a port is signed and sent as given; no parameters. */
START_TEST(test_request_v3_port)
{
	struct sign_out	out;

	sign_request(SIGN_V3, &creds_ak, "POST", "127.0.0.1:8443",
	    "DescribeHistoryEvents", API_VERSION, NULL, 0, DATE, NONCE, &out);
	ck_assert_str_eq(out.query, "");
	ck_assert_str_eq(find_header(&out, "host"), "host: 127.0.0.1:8443");
	ck_assert_str_eq(find_header(&out, "x-acs-action"),
	    "x-acs-action: DescribeHistoryEvents");
	ck_assert_ptr_null(find_header(&out, "x-acs-security-token"));
	verify_v3(&out, SECRET);
	sign_out_free(&out);
}
END_TEST

/*
 * Verify a V1 request as the simulator would: decode every parameter
 * of the query, take out Signature, recompute.  Returns whether the
 * signature matches; *np is the number of other parameters.
 */
static int
verify_v1(const char *query, const char *secret, size_t *np)
{
	struct sign_param	 p[32];
	char			*dec[64], *signature = NULL, *sig;
	const char		*s, *amp, *eq;
	size_t			 n = 0, nd = 0, i;
	int			 ok;

	for (s = query; *s != '\0'; s = *amp == '\0' ? amp : amp + 1) {
		amp = strchr(s, '&');
		if (amp == NULL)
			amp = s + strlen(s);
		eq = memchr(s, '=', (size_t)(amp - s));
		ck_assert_ptr_nonnull(eq);
		ck_assert_uint_lt(nd + 1, NITEMS(dec));
		dec[nd] = sign_decode(s, (size_t)(eq - s), 0);
		dec[nd + 1] = sign_decode(eq + 1, (size_t)(amp - eq - 1), 0);
		ck_assert_ptr_nonnull(dec[nd]);
		ck_assert_ptr_nonnull(dec[nd + 1]);
		if (strcmp(dec[nd], "Signature") == 0)
			signature = dec[nd + 1];
		else {
			ck_assert_uint_lt(n, NITEMS(p));
			p[n].key = dec[nd];
			p[n++].value = dec[nd + 1];
		}
		nd += 2;
	}
	ck_assert_ptr_nonnull(signature);
	sig = sign_v1_signature(secret, "POST", p, n);
	ok = strcmp(sig, signature) == 0;
	free(sig);
	for (i = 0; i < nd; i++)
		free(dec[i]);
	*np = n;
	return (ok);
}

START_TEST(test_request_v1)
{
	struct sign_out	out;
	size_t		n;

	sign_request(SIGN_V1, &creds_ak, "POST", HOST, ACTION, API_VERSION,
	    event_params, NITEMS(event_params), DATE, NONCE, &out);
	ck_assert_str_eq(out.query, V1_QUERY("")
	    "&Signature=sxwF%2BkJ3MKhmKTHz6Wv909Ffruk%3D");
	ck_assert_int_eq(verify_v1(out.query, SECRET, &n), 1);
	ck_assert_uint_eq(n, 9);
	/* No Content-Type: suppressing libcurl's is http.c's business. */
	ck_assert_uint_eq(out.nheaders, 1);
	ck_assert_str_eq(out.headers[0], "Accept: application/json");
	sign_out_free(&out);
}
END_TEST

START_TEST(test_request_v1_sts)
{
	struct sign_out	out;
	size_t		n;

	sign_request(SIGN_V1, &creds_sts, "POST", HOST, ACTION, API_VERSION,
	    event_params, NITEMS(event_params), DATE, NONCE, &out);
	ck_assert_str_eq(out.query, V1_QUERY("&SecurityToken=tok%2Fen%2B1")
	    "&Signature=VM2oU11skaNorDFFOiOS1iTGprc%3D");
	ck_assert_int_eq(verify_v1(out.query, SECRET, &n), 1);
	ck_assert_uint_eq(n, 10);
	ck_assert_ptr_null(find_header(&out, "Authorization"));
	sign_out_free(&out);
}
END_TEST

/* A V1 request signed with another secret does not verify. */
START_TEST(test_request_v1_wrong_secret)
{
	static const struct sign_creds	other = { AKID, "other", NULL };
	struct sign_out			out;
	size_t				n;

	sign_request(SIGN_V1, &other, "POST", HOST, ACTION, API_VERSION,
	    event_params, NITEMS(event_params), DATE, NONCE, &out);
	ck_assert_int_eq(verify_v1(out.query, "other", &n), 1);
	ck_assert_int_eq(verify_v1(out.query, SECRET, &n), 0);
	ck_assert_ptr_null(strstr(out.query, "sxwF%2BkJ3MKhmKTHz6Wv909Ffruk"));
	sign_out_free(&out);
}
END_TEST

/* ------------------------------------------------------------- nonce */

START_TEST(test_nonce)
{
	char	*a, *b;

	a = sign_nonce();
	b = sign_nonce();
	ck_assert_uint_eq(strlen(a), 32);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 32);
	ck_assert_uint_eq(strspn(b, "0123456789abcdef"), 32);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

Suite *
sign_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sign");

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode, 0, NITEMS(enc_table));
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_round_trip, 0, NITEMS(enc_table));
	tcase_add_loop_test(tc, test_decode, 0, NITEMS(dec_table));
	tcase_add_test(tc, test_decode_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode_bad");
	tcase_add_loop_test(tc, test_decode_bad, 0, NITEMS(dec_bad));
	tcase_add_test(tc, test_decode_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("canonical_query");
	tcase_add_test(tc, test_canonical_sorted);
	tcase_add_test(tc, test_canonical_empty);
	tcase_add_test(tc, test_canonical_bytewise);
	tcase_add_test(tc, test_canonical_const);
	suite_add_tcase(s, tc);

	tc = tcase_create("sha256");
	tcase_add_test(tc, test_sha256);
	suite_add_tcase(s, tc);

	tc = tcase_create("v1_signature");
	tcase_add_loop_test(tc, test_v1_vector, 0, NITEMS(v1_vectors));
	tcase_add_test(tc, test_v1_sensitive);
	suite_add_tcase(s, tc);

	tc = tcase_create("v3_signature");
	tcase_add_test(tc, test_v3_vector);
	tcase_add_test(tc, test_v3_normalised);
	tcase_add_test(tc, test_v3_content_type);
	tcase_add_test(tc, test_v3_sensitive);
	suite_add_tcase(s, tc);

	tc = tcase_create("request_v3");
	tcase_add_test(tc, test_request_v3);
	tcase_add_test(tc, test_request_v3_sts);
	tcase_add_test(tc, test_request_v3_port);
	suite_add_tcase(s, tc);

	tc = tcase_create("request_v1");
	tcase_add_test(tc, test_request_v1);
	tcase_add_test(tc, test_request_v1_sts);
	tcase_add_test(tc, test_request_v1_wrong_secret);
	suite_add_tcase(s, tc);

	tc = tcase_create("nonce");
	tcase_add_test(tc, test_nonce);
	suite_add_tcase(s, tc);

	return (s);
}
