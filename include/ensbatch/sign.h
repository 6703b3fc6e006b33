/*
 * Request signing for the Alibaba Cloud RPC API: V3 (ACS3-HMAC-SHA256,
 * the default) and V1 (HMAC-SHA1), byte-exact with the official SDKs.
 * Shared by the client (ens.c) and the simulator, which verifies.
 *
 * All strings returned are allocated; the caller frees them.
 */
#ifndef ENSBATCH_SIGN_H
#define ENSBATCH_SIGN_H

#include <stddef.h>

/* A query or form parameter, not encoded. */
struct sign_param {
	const char	*key;
	const char	*value;
};

/* A header as sent; names in any case. */
struct sign_header {
	const char	*name;
	const char	*value;
};

enum sign_version {
	SIGN_V3,
	SIGN_V1
};

/*
 * Percent-encode per RFC 3986: keep A-Za-z0-9 - _ . ~, everything else
 * as %XX with upper-case hex (so space is %20).
 */
char	*sign_encode(const char *);

/*
 * Decode %XX escapes (and '+' as space when plus_is_space); NULL if an
 * escape is malformed.  For the simulator, which receives encoded
 * queries.
 */
char	*sign_decode(const char *, size_t, int);

/*
 * The canonical query string: parameters sorted bytewise by key (then
 * by value), "enc(key)=enc(value)" joined by '&'.  Used by V3 for the
 * query it sends and signs, and by V1 before the outer encoding.
 */
char	*sign_canonical_query(const struct sign_param *, size_t);

/* Lower-case hex SHA-256 of a buffer (65 bytes with NUL). */
char	*sign_sha256_hex(const void *, size_t);

/*
 * V3: the hex signature of a request.  headers are every header sent;
 * those named host, content-type or x-acs-* are signed (lower-cased
 * names, trimmed values, sorted).  payload_hash is the hex SHA-256 of
 * the body.  *signed_headers receives "host;x-acs-...".
 */
char	*sign_v3_signature(const char *secret, const char *method,
	    const char *canonical_query, const struct sign_header *,
	    size_t, const char *payload_hash, char **signed_headers);

/*
 * V1: the base64 HMAC-SHA1 signature, with key secret + "&", over
 * METHOD + "&" + enc("/") + "&" + enc(canonical query of params).
 * params must not include "Signature".
 */
char	*sign_v1_signature(const char *secret, const char *method,
	    const struct sign_param *, size_t);

/* What a signed request needs besides its URL path. */
struct sign_creds {
	const char	*access_key_id;
	const char	*access_key_secret;
	const char	*security_token;	/* STS, or NULL */
};

struct sign_out {
	char		*query;		/* encoded, without '?' */
	char		**headers;	/* "Name: value", for libcurl */
	size_t		 nheaders;
};

/*
 * Sign an RPC call with an empty body.  host is the Host header value
 * (with ":port" when not the default).  date is "YYYY-MM-DDTHH:MM:SSZ"
 * (UTC), nonce a unique random string.  For V3 the query carries only
 * params; the action, version, date, nonce and signature travel in
 * headers.  For V1 everything travels in the query (Format=JSON).
 * Always adds "Accept: application/json" and removes libcurl's default
 * Content-Type.  Free with sign_out_free().
 */
void	sign_request(enum sign_version, const struct sign_creds *,
	    const char *method, const char *host, const char *action,
	    const char *version, const struct sign_param *, size_t,
	    const char *date, const char *nonce, struct sign_out *);
void	sign_out_free(struct sign_out *);

/* A fresh nonce: 32 lower-case hex digits from OpenSSL's RAND_bytes. */
char	*sign_nonce(void);

#endif
