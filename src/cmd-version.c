/*
 * ensbatch version: the program and library versions, for bug reports.
 */
#include "config.h"

#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"

static int	cmd_version_exec(struct cmd_args *);

const struct cmd_entry cmd_version_entry = {
	"version",
	"print the version of ensbatch and its libraries",
	"", 0, 0,
	{ NULL },
	cmd_version_exec
};

static int
cmd_version_exec(struct cmd_args *a)
{
	(void)a;
	printf("ensbatch %s\n", PACKAGE_VERSION);
	printf("libyaml %s, libxml2 %s, jansson %s, libcurl %s, %s\n",
	    yaml_get_version_string(), LIBXML_DOTTED_VERSION,
	    JANSSON_VERSION, curl_version_info(CURLVERSION_NOW)->version,
	    OpenSSL_version(OPENSSL_VERSION));
	return (EXIT_OK);
}
