/*
 * Common options and helpers shared by the commands.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/cmd.h"
#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/hash.h"
#include "ensbatch/ens.h"
#include "ensbatch/manifest.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/rules.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

/* -q and --color: for the commands that print diagnostics. */
const struct cmd_option options_output[] = {
	{ OPT_QUIET, 'q', "quiet", CMD_FLAG, NULL,
	  "print only errors and diagnostics", 0, 0 },
	{ OPT_COLOR, 0, "color", CMD_CHOICE, "auto|always|never",
	  "colour on standard error (auto: on a terminal, unless NO_COLOR)",
	  0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_option options_verbose[] = {
	{ OPT_VERBOSE, 'v', "verbose", CMD_FLAG, NULL,
	  "say more, such as one line per API request attempt", 0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_option options_endpoint[] = {
	{ OPT_ENDPOINT, 0, "endpoint", CMD_STRING, "URL",
	  "the ENS endpoint (default ens.aliyuncs.com)", 0, 0 },
	CMD_OPTIONS_END
};

/* The options of commands that talk to the API. */
const struct cmd_option options_net[] = {
	{ OPT_PROFILE, 0, "profile", CMD_STRING, "NAME",
	  "take the credentials from this profile", 0, 0 },
	{ OPT_SIGNATURE, 0, "signature", CMD_CHOICE, "v3|v1",
	  "the request signature (default v3)", 0, 0 },
	{ OPT_CACERT, 0, "cacert", CMD_STRING, "FILE",
	  "verify TLS against the PEM certificates in FILE", 0, 0 },
	{ OPT_TIMEOUT, 0, "timeout", CMD_STRING, "DUR",
	  "time allowed for one request (default 30s)", 0, 0 },
	{ OPT_RETRIES, 0, "retries", CMD_NUMBER, "N",
	  "retries of a call that was not processed (default 4)", 0, 20 },
	{ OPT_RATE, 0, "rate", CMD_NUMBER, "N",
	  "at most N requests per second (default 10)", 1, 1000 },
	CMD_OPTIONS_END
};

int
options_from_args(struct options *o, const struct cmd_args *a,
    char **cause)
{
	const char	*why;
	char		*err = NULL;
	int64_t		 ms;

	*cause = NULL;
	memset(o, 0, sizeof(*o));
	o->retries = (int)cmd_number(a, OPT_RETRIES, -1);
	o->rate = (int)cmd_number(a, OPT_RATE, 0);
	o->quiet = cmd_has(a, OPT_QUIET);
	o->verbose = cmd_has(a, OPT_VERBOSE);
	/* The order of auto|always|never. */
	o->color = (enum options_color)cmd_choice(a, OPT_COLOR, 0);
	o->profile = cmd_value(a, OPT_PROFILE);
	o->signature = cmd_value(a, OPT_SIGNATURE);
	o->cacert = cmd_value(a, OPT_CACERT);
	if ((o->endpoint = cmd_value(a, OPT_ENDPOINT)) != NULL &&
	    (why = rules_endpoint_problem(o->endpoint)) != NULL) {
		*cause = xasprintf("--endpoint: %s", why);
		return (-1);
	}
	if ((o->timeout = cmd_value(a, OPT_TIMEOUT)) != NULL &&
	    (timefmt_duration(o->timeout, &ms, &err) != 0 || ms <= 0)) {
		*cause = xasprintf("--timeout: %s", err != NULL ? err :
		    "must be more than zero");
		free(err);
		return (-1);
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
	cfg.parallel = o->parallel;
	if (o->verbose)
		msg_info("credentials from %s", creds_source(creds));
	if ((c = ens_client_new(&cfg, cause)) == NULL)
		creds_free(creds);
	return (c);
}

void
options_inputs_sha256(const struct manifest *m, char *out)
{
	struct buf	b;
	size_t		i;

	if (m->nfiles == 0) {
		memcpy(out, m->sha256, HASH_HEX_LEN);
		return;
	}
	buf_init(&b);
	buf_adds(&b, m->sha256);
	for (i = 0; i < m->nfiles; i++)
		buf_addf(&b, "\n%s", m->files[i].sha256);
	hash_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

char *
options_journal_path(const char *report, const char *name)
{
	const char	*slash;

	if (report != NULL && (slash = strrchr(report, '/')) != NULL)
		return (xasprintf("%.*s/%s.journal.jsonl",
		    (int)(slash - report), report, name));
	return (xasprintf("%s.journal.jsonl", name));
}
