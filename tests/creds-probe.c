/*
 * creds-probe: resolve credentials as ensbatch does and renew them at
 * chosen moments, for tests/creds.sh.  It prints the source and the
 * access key id, then for each --at SECONDS whether creds_refresh (at
 * now + SECONDS, margin --margin SECONDS) kept or renewed the
 * credentials.  --remove FILE removes a file after resolving, so that
 * renewals from it fail.  It never prints a secret or a token.  Exit 0,
 * or 3 with the message when resolving or renewing fails.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/creds.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define PROBE_AT_MAX	16

static long
probe_number(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "creds-probe: %s: not a number\n", s);
		exit(2);
	}
	return (v);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 'a' },
		{ "margin", required_argument, NULL, 'm' },
		{ "remove", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct creds	 c;
	const char	*profile = NULL, *remove_path = NULL;
	char		*cause = NULL, *before;
	long		 at[PROBE_AT_MAX], margin = 60;
	size_t		 nat = 0, i;
	int		 ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			profile = optarg;
			break;
		case 'a':
			if (nat == PROBE_AT_MAX)
				return (2);
			at[nat++] = probe_number(optarg);
			break;
		case 'm':
			margin = probe_number(optarg);
			break;
		case 'r':
			remove_path = optarg;
			break;
		default:
			fputs("usage: creds-probe [--profile NAME] "
			    "[--margin S] [--remove FILE] [--at S]...\n",
			    stderr);
			return (2);
		}
	}
	if (creds_resolve(profile, &c, &cause) != 0) {
		fprintf(stderr, "creds-probe: %s\n", cause);
		free(cause);
		return (3);
	}
	printf("source: %s\nkey: %s\n", creds_source(&c), c.access_key_id);
	/* Renewals that cannot work (the OIDC token file is gone). */
	if (remove_path != NULL && unlink(remove_path) != 0) {
		fprintf(stderr, "creds-probe: %s: %s\n", remove_path,
		    strerror(errno));
		return (1);
	}
	for (i = 0; i < nat; i++) {
		before = c.security_token != NULL ?
		    xstrdup(c.security_token) : NULL;
		if (creds_refresh(&c, timefmt_now() + at[i] * 1000,
		    margin * 1000, &cause) != 0) {
			fprintf(stderr, "creds-probe: %s\n", cause);
			free(cause);
			free(before);
			rc = 3;
			break;
		}
		printf("at +%lds: %s key %s\n", at[i], before == NULL ||
		    c.security_token == NULL || strcmp(before,
		    c.security_token) == 0 ? "kept" : "renewed",
		    c.access_key_id);
		free(before);
	}
	creds_free(&c);
	return (rc);
}
