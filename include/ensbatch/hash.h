/*
 * SHA-256 through OpenSSL.
 */
#ifndef ENSBATCH_HASH_H
#define ENSBATCH_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN	65	/* 64 hex digits and NUL */

/* Lower-case hex SHA-256 of a buffer into out[HASH_HEX_LEN]. */
void	hash_sha256_hex(const void *, size_t, char *);

#endif
