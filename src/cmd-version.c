/*
 * ensbatch version: the program and library versions, for bug reports.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"

static int	cmd_version_exec(int, char **);

const struct cmd_entry cmd_version_entry = {
	"version",
	"",
	"print the version of ensbatch and its libraries",
	cmd_version_exec
};

static int
cmd_version_exec(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: ensbatch version\n");
		return (EXIT_OK);
	}
	if (argc > 1) {
		fprintf(stderr, "usage: ensbatch version\n");
		return (EXIT_USAGE);
	}
	printf("ensbatch %s\n", PACKAGE_VERSION);
	printf("libyaml %s, libxml2 %s, jansson %s, libcurl %s, %s\n",
	    yaml_get_version_string(), LIBXML_DOTTED_VERSION,
	    JANSSON_VERSION, curl_version_info(CURLVERSION_NOW)->version,
	    OpenSSL_version(OPENSSL_VERSION));
	return (EXIT_OK);
}
