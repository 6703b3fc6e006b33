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
 * Decode the first len bytes of s: %XX escapes (either case of hex)
 * and '+' as space when plus_is_space.  NULL if an escape is malformed
 * or cut short, or if the result would contain a NUL (%00, or a NUL
 * within len).  For the simulator, which receives encoded queries.
 */
char	*sign_decode(const char *, size_t, int);

/*
 * The canonical query string: parameters sorted bytewise by raw key
 * (then by value), "enc(key)=enc(value)" joined by '&'; an empty value
 * gives "key=", no parameters "".  The array is not reordered.  Used
 * by V3 for the query it sends and signs, and by V1 before the outer
 * encoding.
 */
char	*sign_canonical_query(const struct sign_param *, size_t);

/* Lower-case hex SHA-256 of a buffer (65 bytes with NUL). */
char	*sign_sha256_hex(const void *, size_t);

/*
 * V3: the lower-case hex signature of a request.  method as sent
 * ("POST"); canonical_query as sent, without '?'.  headers are every
 * header sent; those named host, content-type or x-acs-* (any case)
 * are signed, others ignored: names lower-cased, values trimmed of
 * spaces and tabs, sorted.  payload_hash is the hex SHA-256 of the
 * body.  If signed_headers is not NULL, it receives "host;x-acs-..."
 * (caller frees).
 */
char	*sign_v3_signature(const char *secret, const char *method,
	    const char *canonical_query, const struct sign_header *,
	    size_t, const char *payload_hash, char **signed_headers);

/*
 * V1: the base64 HMAC-SHA1 signature, with key secret + "&", over
 * METHOD + "&" + enc("/") + "&" + enc(canonical query of params).
 * params are decoded and must not include "Signature".
 */
char	*sign_v1_signature(const char *secret, const char *method,
	    const struct sign_param *, size_t);

/* What a signed request needs besides its URL path. */
struct sign_creds {
	const char	*access_key_id;
	const char	*access_key_secret;
	const char	*security_token;	/* STS, or NULL */
};

/*
 * headers are for CURLOPT_HTTPHEADER, in this order: V3 "host",
 * "x-acs-action", "x-acs-version", "x-acs-date",
 * "x-acs-signature-nonce", "x-acs-content-sha256",
 * ["x-acs-security-token"], "Accept", "Authorization"; V1 "Accept".
 * No Content-Type: the request has no body, and none is signed.
 */
struct sign_out {
	char		*query;		/* encoded, without '?' */
	char		**headers;	/* "Name: value", for libcurl */
	size_t		 nheaders;
};

/*
 * Sign an RPC call with an empty body.  host is the Host header value
 * (with ":port" when not the default); V3 sends it explicitly so that
 * the value signed is the value sent, V1 leaves Host to libcurl.  date
 * is "YYYY-MM-DDTHH:MM:SSZ" (UTC), nonce a unique random string.  For
 * V3 the query carries only params; the action, version, date, nonce
 * and signature travel in headers.  For V1 everything travels in the
 * query (Format=JSON), the params sorted with the ones V1 adds and
 * "Signature" last; params must not repeat those names.  Always adds
 * "Accept: application/json".  Nothing is borrowed: free with sign_out_free(), which
 * accepts NULL and may be called twice.
 */
void	sign_request(enum sign_version, const struct sign_creds *,
	    const char *method, const char *host, const char *action,
	    const char *version, const struct sign_param *, size_t,
	    const char *date, const char *nonce, struct sign_out *);
void	sign_out_free(struct sign_out *);

/* A fresh nonce: 32 lower-case hex digits from OpenSSL's RAND_bytes. */
char	*sign_nonce(void);

#endif
