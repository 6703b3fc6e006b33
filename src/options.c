/*
 * Common options and helpers shared by the commands.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/creds.h"
#include "ensbatch/ens.h"
#include "ensbatch/manifest.h"
#include "ensbatch/options.h"
#include "ensbatch/rules.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

void
options_usage(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: ensbatch %s %s\n", cmd->name, cmd->usage);
}

void
options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->retries = -1;
}

/* A decimal integer option within [min, max]; -1 after a message. */
static int
int_option(const char *arg, long min, long max, const char *name,
    const struct cmd_entry *cmd)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "ensbatch %s: --%s must be %ld to %ld\n",
		    cmd->name, name, min, max);
		return (-1);
	}
	return ((int)v);
}

int
options_common(struct options *o, int ch, const char *arg,
    const struct cmd_entry *cmd)
{
	const char	*why;
	char		*cause = NULL;
	int64_t		 ms;

	switch (ch) {
	case OPT_ENDPOINT:
		if ((why = rules_endpoint_problem(arg)) != NULL) {
			fprintf(stderr, "ensbatch %s: --endpoint: %s\n",
			    cmd->name, why);
			return (-1);
		}
		o->endpoint = arg;
		return (1);
	case OPT_PROFILE:
		o->profile = arg;
		return (1);
	case OPT_SIGNATURE:
		if (strcmp(arg, "v3") != 0 && strcmp(arg, "v1") != 0) {
			fprintf(stderr, "ensbatch %s: --signature must be v3 "
			    "or v1\n", cmd->name);
			return (-1);
		}
		o->signature = arg;
		return (1);
	case OPT_CACERT:
		o->cacert = arg;
		return (1);
	case OPT_TIMEOUT:
		if (timefmt_duration(arg, &ms, &cause) != 0 || ms <= 0) {
			fprintf(stderr, "ensbatch %s: --timeout: %s\n",
			    cmd->name, cause != NULL ? cause :
			    "must be more than zero");
			free(cause);
			return (-1);
		}
		o->timeout = arg;
		return (1);
	case OPT_RETRIES:
		if ((o->retries = int_option(arg, 0, 20, "retries", cmd)) < 0)
			return (-1);
		return (1);
	case OPT_RATE:
		if ((o->rate = int_option(arg, 1, 1000, "rate", cmd)) < 0)
			return (-1);
		return (1);
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			o->color = OPTIONS_COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			o->color = OPTIONS_COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			o->color = OPTIONS_COLOR_NEVER;
		else {
			fprintf(stderr, "ensbatch %s: --color must be auto, "
			    "always or never\n", cmd->name);
			return (-1);
		}
		return (1);
	case OPT_HELP:
		o->help = 1;
		return (1);
	case 'q':
		o->quiet = 1;
		return (1);
	case 'v':
		o->verbose = 1;
		return (1);
	}
	return (0);
}

int
options_use_color(const struct options *o, FILE *f)
{
	const char	*nc;

	switch (o->color) {
	case OPTIONS_COLOR_ALWAYS:
		return (1);
	case OPTIONS_COLOR_NEVER:
		return (0);
	case OPTIONS_COLOR_AUTO:
		break;
	}
	if ((nc = getenv("NO_COLOR")) != NULL && *nc != '\0')
		return (0);
	return (isatty(fileno(f)));
}

int
options_now(const char *arg, const struct manifest *m, int64_t *now,
    char **cause)
{
	const char	*zone = NULL;
	char		*why = NULL;

	*cause = NULL;
	if (arg == NULL) {
		*now = timefmt_now() / 1000 * 1000;	/* whole seconds */
		return (0);
	}
	if (m != NULL && m->timezone.text != NULL &&
	    timefmt_zone_check(m->timezone.text, &why) == 0)
		zone = m->timezone.text;
	free(why);
	if (timefmt_parse(arg, zone, now, &why) != 0) {
		*cause = xasprintf("--now: %s", why);
		free(why);
		return (-1);
	}
	return (0);
}

struct manifest *
options_load(const char *path, const char *now_arg, int deadlines,
    struct diags *d, int64_t *now, char **cause)
{
	struct manifest	*m;

	*cause = NULL;
	if ((m = manifest_load(path, d)) == NULL)
		return (NULL);
	if (options_now(now_arg, m, now, cause) != 0) {
		manifest_free(m);
		return (NULL);
	}
	rules_check(m, deadlines ? *now : RULES_NO_DEADLINES, d);
	return (m);
}

/* An api: value from the manifest, if there is one. */
#define API_VALUE(m, key)	((m) != NULL ? (m)->api.key.text : NULL)

struct ens_client *
options_connect(const struct options *o, const struct manifest *m,
    struct creds *creds, char **cause)
{
	struct ens_config	 cfg;
	struct ens_client	*c;
	const char		*v;
	char			*why = NULL;
	int64_t			 ms = 30000;

	*cause = NULL;
	memset(creds, 0, sizeof(*creds));
	if (creds_resolve(o->profile, creds, cause) != 0)
		return (NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = o->endpoint != NULL ? o->endpoint :
	    API_VALUE(m, endpoint);
	v = o->signature != NULL ? o->signature :
	    API_VALUE(m, signature);
	cfg.signature = v != NULL && strcmp(v, "v1") == 0 ? SIGN_V1 :
	    SIGN_V3;
	/* The manifest's api: values were resolved by rules_check. */
	if (o->timeout != NULL) {
		if (timefmt_duration(o->timeout, &ms, &why) != 0)
			fatal("--timeout was validated: %s", why);
	} else if (m != NULL && m->api.r_timeout > 0)
		ms = m->api.r_timeout;
	cfg.timeout_ms = (long)ms;
	cfg.retries = o->retries >= 0 ? o->retries : m != NULL &&
	    m->api.r_retries >= 0 ? m->api.r_retries : 4;
	cfg.rate = o->rate > 0 ? o->rate : m != NULL && m->api.r_rate > 0 ?
	    m->api.r_rate : 10;
	cfg.cacert = o->cacert;
	cfg.creds = creds;
	cfg.verbose = o->verbose;
	cfg.stop = o->stop;
	if ((c = ens_client_new(&cfg, cause)) == NULL)
		creds_free(creds);
	return (c);
}
