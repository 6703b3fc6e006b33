/*
 * Credentials, first match wins (SPEC section 6):
 *   1. --profile NAME: that profile of ~/.aliyun/config.json, else that
 *      section of ~/.alibabacloud/credentials; an error if neither has it;
 *   2. ALIBABA_CLOUD_ACCESS_KEY_ID / _ACCESS_KEY_SECRET (and optional
 *      ALIBABA_CLOUD_SECURITY_TOKEN) in the environment;
 *   3. ~/.aliyun/config.json, profile ALIBABA_CLOUD_PROFILE or the
 *      file's "current"; modes AK and StsToken;
 *   4. ~/.alibabacloud/credentials (INI), section [default],
 *      type = access_key.
 * HOME locates the files.  A secret never appears in any message.
 */
#ifndef ENSBATCH_CREDS_H
#define ENSBATCH_CREDS_H

struct creds {
	char	*access_key_id;
	char	*access_key_secret;
	char	*security_token;	/* NULL unless STS */
	char	*source;		/* e.g. "environment", "profile
					   \"prod\" in ~/.aliyun/config.json" */
};

/*
 * Resolve credentials.  profile may be NULL.  Returns 0, or -1 with
 * *cause naming what was looked at (caller frees).  On success free
 * with creds_free().
 */
int	creds_resolve(const char *, struct creds *, char **);
void	creds_free(struct creds *);

#endif
