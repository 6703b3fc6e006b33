/*
 * Request signing for the Alibaba Cloud RPC API (SPEC section 6): V3
 * (ACS3-HMAC-SHA256) and the legacy V1 (HMAC-SHA1).  The client signs
 * with sign_request(); the simulator verifies by recomputing with the
 * lower-level functions, so both sides share one implementation of
 * every canonical form.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ensbatch/buf.h"
#include "ensbatch/hash.h"
#include "ensbatch/sign.h"
#include "ensbatch/xmalloc.h"

#define SIGN_V3_ALGORITHM	"ACS3-HMAC-SHA256"
#define SIGN_NONCE_BYTES	16

/* The most parameters sign_request() adds for V1. */
#define SIGN_V1_EXTRA		9

/* The most headers sign_request() sends. */
#define SIGN_MAX_HEADERS	10

/* A header selected for V3 signing: lower-cased name, trimmed value. */
struct sign_hdr {
	char		*name;
	const char	*value;
	size_t		 vlen;
};

static const char	hex_lower[] = "0123456789abcdef";
static const char	hex_upper[] = "0123456789ABCDEF";

static int
sign_unreserved(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~');
}

/* Append the RFC 3986 encoding of s to b. */
static void
sign_encode_into(struct buf *b, const char *s)
{
	const unsigned char	*p;
	char			 esc[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (sign_unreserved(*p)) {
			buf_addc(b, (char)*p);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex_upper[*p >> 4];
		esc[2] = hex_upper[*p & 0xf];
		buf_add(b, esc, sizeof esc);
	}
}

/* Lower-case hex of n bytes into out[2 * n + 1]. */
static void
sign_hex(const unsigned char *md, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_lower[md[i] >> 4];
		out[2 * i + 1] = hex_lower[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
sign_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * HMAC of data with key through OpenSSL 3's EVP_MAC one-shot; digest is
 * "SHA256" or "SHA1".  Failure can only mean a broken OpenSSL: fatal.
 */
static size_t
sign_hmac(const char *digest, const void *key, size_t keylen,
    const void *data, size_t len, unsigned char *out, size_t outsize)
{
	size_t	outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key, keylen, data,
	    len, out, outsize, &outlen) == NULL)
		fatal("HMAC-%s failed", digest);
	return (outlen);
}

char *
sign_encode(const char *s)
{
	struct buf	b;

	buf_init(&b);
	sign_encode_into(&b, s);
	return (buf_detach(&b));
}

char *
sign_decode(const char *s, size_t len, int plus_is_space)
{
	struct buf	 b;
	char		*result = NULL;
	size_t		 i;
	int		 hi, lo;

	buf_init(&b);
	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			goto out;
		if (s[i] == '+' && plus_is_space) {
			buf_addc(&b, ' ');
			continue;
		}
		if (s[i] != '%') {
			buf_addc(&b, s[i]);
			continue;
		}
		if (len - i < 3)
			goto out;
		if ((hi = sign_hexval((unsigned char)s[i + 1])) == -1 ||
		    (lo = sign_hexval((unsigned char)s[i + 2])) == -1)
			goto out;
		if (hi == 0 && lo == 0)
			goto out;
		buf_addc(&b, (char)(hi << 4 | lo));
		i += 2;
	}
	result = buf_detach(&b);

out:
	buf_free(&b);
	return (result);
}

static int
sign_param_cmp(const void *a, const void *b)
{
	const struct sign_param	*pa = *(const struct sign_param * const *)a;
	const struct sign_param	*pb = *(const struct sign_param * const *)b;
	int			 r;

	if ((r = strcmp(pa->key, pb->key)) != 0)
		return (r);
	return (strcmp(pa->value, pb->value));
}

char *
sign_canonical_query(const struct sign_param *params, size_t n)
{
	const struct sign_param	**sorted;
	struct buf		  b;
	size_t			  i;

	sorted = xreallocarray(NULL, n, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = &params[i];
	qsort(sorted, n, sizeof *sorted, sign_param_cmp);

	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (i != 0)
			buf_addc(&b, '&');
		sign_encode_into(&b, sorted[i]->key);
		buf_addc(&b, '=');
		sign_encode_into(&b, sorted[i]->value);
	}
	free(sorted);
	return (buf_detach(&b));
}

char *
sign_sha256_hex(const void *data, size_t len)
{
	char	*hex;

	hex = xmalloc(HASH_HEX_LEN);
	hash_sha256_hex(data, len, hex);
	return (hex);
}

/* Is this header one that V3 signs?  name in any case. */
static int
sign_v3_signed(const char *name)
{
	return (strcasecmp(name, "host") == 0 ||
	    strcasecmp(name, "content-type") == 0 ||
	    strncasecmp(name, "x-acs-", 6) == 0);
}

static int
sign_hdr_cmp(const void *a, const void *b)
{
	const struct sign_hdr	*ha = a, *hb = b;
	size_t			 n;
	int			 r;

	if ((r = strcmp(ha->name, hb->name)) != 0)
		return (r);
	n = ha->vlen < hb->vlen ? ha->vlen : hb->vlen;
	if ((r = memcmp(ha->value, hb->value, n)) != 0)
		return (r);
	return ((ha->vlen > hb->vlen) - (ha->vlen < hb->vlen));
}

/*
 * The V3 canonical request hashes the signed headers as
 * "name:value\n" with lower-cased names and values trimmed of spaces
 * and tabs, sorted by name; the signature covers exactly these.
 */
char *
sign_v3_signature(const char *secret, const char *method,
    const char *canonical_query, const struct sign_header *headers,
    size_t nheaders, const char *payload_hash, char **signed_headers)
{
	struct sign_hdr	*hdrs;
	struct buf	 creq, names;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	char		 hash[HASH_HEX_LEN], *sts, *sig, *p;
	const char	*v, *e;
	size_t		 i, n = 0, maclen;

	hdrs = xreallocarray(NULL, nheaders, sizeof *hdrs);
	for (i = 0; i < nheaders; i++) {
		if (!sign_v3_signed(headers[i].name))
			continue;
		hdrs[n].name = xstrdup(headers[i].name);
		for (p = hdrs[n].name; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		}
		v = headers[i].value;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		hdrs[n].value = v;
		hdrs[n].vlen = (size_t)(e - v);
		n++;
	}
	qsort(hdrs, n, sizeof *hdrs, sign_hdr_cmp);

	buf_init(&creq);
	buf_init(&names);
	buf_addf(&creq, "%s\n/\n%s\n", method, canonical_query);
	for (i = 0; i < n; i++) {
		buf_adds(&creq, hdrs[i].name);
		buf_addc(&creq, ':');
		buf_add(&creq, hdrs[i].value, hdrs[i].vlen);
		buf_addc(&creq, '\n');
		if (i != 0)
			buf_addc(&names, ';');
		buf_adds(&names, hdrs[i].name);
	}
	buf_addf(&creq, "\n%s\n%s", names.data, payload_hash);

	hash_sha256_hex(creq.data, creq.len, hash);
	sts = xasprintf("%s\n%s", SIGN_V3_ALGORITHM, hash);
	maclen = sign_hmac("SHA256", secret, strlen(secret), sts,
	    strlen(sts), mac, sizeof mac);
	sig = xmalloc(2 * maclen + 1);
	sign_hex(mac, maclen, sig);

	if (signed_headers != NULL)
		*signed_headers = buf_detach(&names);
	OPENSSL_cleanse(mac, sizeof mac);
	free(sts);
	buf_free(&names);
	buf_free(&creq);
	for (i = 0; i < n; i++)
		free(hdrs[i].name);
	free(hdrs);
	return (sig);
}

/* V1 signature of an already canonical query. */
static char *
sign_v1_canonical(const char *secret, const char *method,
    const char *canonical)
{
	struct buf	 sts;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	char		*key, *sig;
	size_t		 keylen, maclen;

	buf_init(&sts);
	buf_adds(&sts, method);
	buf_addc(&sts, '&');
	sign_encode_into(&sts, "/");
	buf_addc(&sts, '&');
	sign_encode_into(&sts, canonical);

	key = xasprintf("%s&", secret);
	keylen = strlen(key);
	maclen = sign_hmac("SHA1", key, keylen, sts.data, sts.len, mac,
	    sizeof mac);
	sig = xmalloc(4 * ((maclen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)sig, mac, (int)maclen);

	OPENSSL_cleanse(key, keylen);
	OPENSSL_cleanse(mac, sizeof mac);
	free(key);
	buf_free(&sts);
	return (sig);
}

char *
sign_v1_signature(const char *secret, const char *method,
    const struct sign_param *params, size_t n)
{
	char	*canonical, *sig;

	canonical = sign_canonical_query(params, n);
	sig = sign_v1_canonical(secret, method, canonical);
	free(canonical);
	return (sig);
}

/* Append "Name: value" to out's headers. */
static void
sign_out_add(struct sign_out *out, const char *name, const char *value)
{
	out->headers = xreallocarray(out->headers, out->nheaders + 1,
	    sizeof *out->headers);
	out->headers[out->nheaders++] = xasprintf("%s: %s", name, value);
}

/*
 * V3: the parameters alone in the query; the rest, and the
 * signature, in headers.  Host is sent explicitly so that the value
 * signed is the value libcurl sends.
 */
static void
sign_request_v3(const struct sign_creds *creds, const char *method,
    const char *host, const char *action, const char *version,
    const struct sign_param *params, size_t nparams, const char *date,
    const char *nonce, struct sign_out *out)
{
	struct sign_header	 h[SIGN_MAX_HEADERS];
	char			*payload_hash, *sig, *names, *auth;
	size_t			 n = 0, i;

	payload_hash = sign_sha256_hex("", 0);
	out->query = sign_canonical_query(params, nparams);

	h[n].name = "host";
	h[n++].value = host;
	h[n].name = "x-acs-action";
	h[n++].value = action;
	h[n].name = "x-acs-version";
	h[n++].value = version;
	h[n].name = "x-acs-date";
	h[n++].value = date;
	h[n].name = "x-acs-signature-nonce";
	h[n++].value = nonce;
	h[n].name = "x-acs-content-sha256";
	h[n++].value = payload_hash;
	if (creds->security_token != NULL) {
		h[n].name = "x-acs-security-token";
		h[n++].value = creds->security_token;
	}
	h[n].name = "Accept";
	h[n++].value = "application/json";

	sig = sign_v3_signature(creds->access_key_secret, method, out->query,
	    h, n, payload_hash, &names);
	auth = xasprintf("%s Credential=%s,SignedHeaders=%s,Signature=%s",
	    SIGN_V3_ALGORITHM, creds->access_key_id, names, sig);

	for (i = 0; i < n; i++)
		sign_out_add(out, h[i].name, h[i].value);
	sign_out_add(out, "Authorization", auth);

	free(auth);
	free(names);
	free(sig);
	free(payload_hash);
}

/* V1: everything, the signature last, in the query. */
static void
sign_request_v1(const struct sign_creds *creds, const char *method,
    const char *action, const char *version,
    const struct sign_param *params, size_t nparams, const char *date,
    const char *nonce, struct sign_out *out)
{
	struct sign_param	*all;
	struct buf		 q;
	char			*canonical, *sig;
	size_t			 n;

	all = xreallocarray(NULL, nparams + SIGN_V1_EXTRA, sizeof *all);
	if (nparams != 0)
		memcpy(all, params, nparams * sizeof *all);
	n = nparams;
	all[n].key = "Action";
	all[n++].value = action;
	all[n].key = "Version";
	all[n++].value = version;
	all[n].key = "Format";
	all[n++].value = "JSON";
	all[n].key = "AccessKeyId";
	all[n++].value = creds->access_key_id;
	all[n].key = "SignatureMethod";
	all[n++].value = "HMAC-SHA1";
	all[n].key = "SignatureVersion";
	all[n++].value = "1.0";
	all[n].key = "SignatureNonce";
	all[n++].value = nonce;
	all[n].key = "Timestamp";
	all[n++].value = date;
	if (creds->security_token != NULL) {
		all[n].key = "SecurityToken";
		all[n++].value = creds->security_token;
	}

	canonical = sign_canonical_query(all, n);
	sig = sign_v1_canonical(creds->access_key_secret, method, canonical);
	buf_init(&q);
	buf_adds(&q, canonical);
	buf_adds(&q, "&Signature=");
	sign_encode_into(&q, sig);
	out->query = buf_detach(&q);

	sign_out_add(out, "Accept", "application/json");

	free(sig);
	free(canonical);
	free(all);
}

void
sign_request(enum sign_version sv, const struct sign_creds *creds,
    const char *method, const char *host, const char *action,
    const char *version, const struct sign_param *params, size_t nparams,
    const char *date, const char *nonce, struct sign_out *out)
{
	out->query = NULL;
	out->headers = NULL;
	out->nheaders = 0;

	switch (sv) {
	case SIGN_V3:
		sign_request_v3(creds, method, host, action, version, params,
		    nparams, date, nonce, out);
		break;
	case SIGN_V1:
		sign_request_v1(creds, method, action, version, params,
		    nparams, date, nonce, out);
		break;
	default:
		fatal("unknown signature version %d", (int)sv);
	}
}

void
sign_out_free(struct sign_out *out)
{
	size_t	i;

	if (out == NULL)
		return;
	for (i = 0; i < out->nheaders; i++)
		free(out->headers[i]);
	free(out->headers);
	free(out->query);
	out->headers = NULL;
	out->query = NULL;
	out->nheaders = 0;
}

char *
sign_nonce(void)
{
	unsigned char	 rnd[SIGN_NONCE_BYTES];
	char		*hex;

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		fatal("cannot get random bytes for a signature nonce");
	hex = xmalloc(2 * sizeof rnd + 1);
	sign_hex(rnd, sizeof rnd, hex);
	return (hex);
}
