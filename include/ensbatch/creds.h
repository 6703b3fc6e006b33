/*
 * Credentials, first match wins (SPEC section 6, and the precedence of
 * the official Alibaba Cloud SDKs' default chain):
 *   1. --profile NAME: that profile of ~/.aliyun/config.json, else that
 *      section of ~/.alibabacloud/credentials; an error if neither has it;
 *   2. ALIBABA_CLOUD_ACCESS_KEY_ID / _ACCESS_KEY_SECRET (and optional
 *      ALIBABA_CLOUD_SECURITY_TOKEN) in the environment;
 *   3. ALIBABA_CLOUD_ROLE_ARN + ALIBABA_CLOUD_OIDC_PROVIDER_ARN +
 *      ALIBABA_CLOUD_OIDC_TOKEN_FILE: STS AssumeRoleWithOIDC;
 *   4. ~/.aliyun/config.json, profile ALIBABA_CLOUD_PROFILE or the
 *      file's "current"; modes AK, StsToken, RamRoleArn,
 *      ChainableRamRoleArn, EcsRamRole and OIDC;
 *   5. ~/.alibabacloud/credentials (INI), section [default],
 *      type = access_key;
 *   6. ALIBABA_CLOUD_ECS_METADATA (a RAM role name): the ECS instance
 *      metadata service;
 *   7. ALIBABA_CLOUD_CREDENTIALS_URI: a URL answering credentials.
 * HOME locates the files.  ALIBABA_CLOUD_STS_ENDPOINT and
 * ALIBABA_CLOUD_IMDS_ENDPOINT move STS and the metadata service (test
 * and private-network hooks; http:// only to loopback).  A secret or a
 * token never appears in any message.
 */
#ifndef ENSBATCH_CREDS_H
#define ENSBATCH_CREDS_H

#include <stddef.h>
#include <stdint.h>

struct creds_provider;

struct creds {
	char	*access_key_id;
	char	*access_key_secret;
	char	*security_token;	/* NULL unless STS */
	char	*source;		/* see creds_source() */
	/* Temporary credentials only (provider != NULL): */
	int64_t	 expiration_ms;		/* when they expire, epoch ms */
	int64_t	 retry_ms;		/* no renewal attempt before this */
	struct creds_provider *provider; /* how to fetch them again */
};

/*
 * Resolve credentials.  profile may be NULL.  Temporary credentials
 * (STS, metadata service, credentials URI) are fetched now.  Returns 0,
 * or -1 with *cause naming the source or what was looked at (caller
 * frees).  On success free with creds_free().
 */
int	creds_resolve(const char *, struct creds *, char **);
void	creds_free(struct creds *);

/*
 * Refresh temporary credentials when they expire within margin_ms
 * (no-op for static keys).  0, or -1 with *cause (caller frees).  A
 * renewal that fails while the credentials are still valid is not an
 * error: it is tried again 10 seconds later; -1 means they have expired
 * and could not be renewed.  The strings of struct creds change: do not
 * keep pointers to them across this call.  Thread: called from the main
 * thread between requests.
 */
int	creds_refresh(struct creds *, int64_t now_ms, int64_t margin_ms,
	    char **);

/*
 * Which source supplied the credentials, e.g. "environment", "profile
 * \"default\" (/home/u/.aliyun/config.json, RamRoleArn)", "OIDC role
 * arn ARN (environment)", "ECS RAM role NAME
 * (ALIBABA_CLOUD_ECS_METADATA)"; never a secret.  Borrowed until
 * creds_free().
 */
const char *creds_source(const struct creds *);

/*
 * An access key id as shown to people: its first and last 4 characters
 * (8 or fewer are masked whole).  out should hold 32 bytes.
 */
void	 creds_mask_key(const char *, char *, size_t);

#ifdef ENSBATCH_TESTING
/* Do credentials expiring at exp need renewing at now? */
int	 creds_due(int64_t exp, int64_t now, int64_t margin);
/* The STS base URL for a region (may be NULL) and the VPC switch. */
char	*creds_sts_url(const char *, int, char **);
/* Parse an STS (sts != 0) or metadata/URI answer into out. */
int	 creds_parse_answer(const char *, size_t, int, struct creds *,
	    char **);
/* A message from a server without the secrets given; caller frees. */
char	*creds_redact(const char *, const char *const *, size_t);
/* A credentials URI as shown: no user information, query or fragment. */
char	*creds_uri_shown(const char *);
#endif

#endif
