/*
 * SHA-256 through OpenSSL's EVP interface.
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/evp.h>

#include "ensbatch/hash.h"
#include "ensbatch/xmalloc.h"

struct hash_ctx {
	EVP_MD_CTX	*md;
};

/* Digest bytes md[0..len) as lower-case hex into out. */
static void
hash_hex(const unsigned char *md, unsigned int len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned int		 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
hash_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatal("SHA-256 failed");
	hash_hex(md, mdlen, out);
}

struct hash_ctx *
hash_sha256_new(void)
{
	struct hash_ctx	*h;

	h = xcalloc(1, sizeof(*h));
	if ((h->md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory");
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		fatal("SHA-256 failed");
	return (h);
}

void
hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->md, data, len) != 1)
		fatal("SHA-256 failed");
}

void
hash_final_hex(struct hash_ctx *h, char *out)
{
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;

	if (EVP_DigestFinal_ex(h->md, md, &mdlen) != 1)
		fatal("SHA-256 failed");
	hash_hex(md, mdlen, out);
	hash_abort(h);
}

void
hash_abort(struct hash_ctx *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}
