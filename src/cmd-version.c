/*
 * ensbatch version: the program and library versions, for bug reports.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/exitcode.h"

static int	cmd_version_exec(struct cmd_args *);

const struct cmd_entry cmd_version_entry = {
	"version",
	"print the version of ensbatch and its libraries",
	"", 0, 0,
	{ options_verbose, NULL },
	cmd_version_exec
};

/*
 * With -v, also which source would supply the credentials (resolving
 * them, so temporary ones are fetched: that proves they work), never
 * the secret.
 */
static int
cmd_version_exec(struct cmd_args *a)
{
	struct creds	 creds;
	char		*cause = NULL;

	printf("ensbatch %s\n", PACKAGE_VERSION);
	printf("libyaml %s, libxml2 %s, jansson %s, libcurl %s, %s\n",
	    yaml_get_version_string(), LIBXML_DOTTED_VERSION,
	    JANSSON_VERSION, curl_version_info(CURLVERSION_NOW)->version,
	    OpenSSL_version(OPENSSL_VERSION));
	if (!a->o.verbose)
		return (EXIT_OK);
	memset(&creds, 0, sizeof(creds));
	if (creds_resolve(NULL, &creds, &cause) == 0)
		printf("credentials: %s\n", creds_source(&creds));
	else
		printf("credentials: none (%s)\n", cause);
	free(cause);
	creds_free(&creds);
	return (EXIT_OK);
}
