/*
 * SHA-256 through OpenSSL.
 */
#ifndef ENSBATCH_HASH_H
#define ENSBATCH_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN	65	/* 64 hex digits and NUL */

/* Lower-case hex SHA-256 of a buffer into out[HASH_HEX_LEN]. */
void	hash_sha256_hex(const void *, size_t, char *);

/* A SHA-256 computed piece by piece (a file read in chunks). */
struct hash_ctx;

struct hash_ctx	*hash_sha256_new(void);
void		 hash_update(struct hash_ctx *, const void *, size_t);
/* The lower-case hex digest into out[HASH_HEX_LEN]; frees the context. */
void		 hash_final_hex(struct hash_ctx *, char *);
/* Free a context without a digest (may be NULL). */
void		 hash_abort(struct hash_ctx *);

#endif
