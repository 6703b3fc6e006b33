/*
 * SHA-256 through OpenSSL's EVP interface.
 */
#include "config.h"

#include <openssl/evp.h>

#include "ensbatch/hash.h"
#include "ensbatch/xmalloc.h"

void
hash_sha256_hex(const void *data, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatal("SHA-256 failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * mdlen] = '\0';
}
