/*
 * ensbatch validate: offline checks of one or more manifests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/diag.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/manifest.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/preflight.h"

static int	cmd_validate_exec(struct cmd_args *);

static const struct cmd_option validate_options[] = {
	{ OPT_ONLINE, 0, "online", CMD_FLAG, NULL,
	  "also check the events against the API (preflight)", 0, 0 },
	{ OPT_NOW, 0, "now", CMD_STRING, "TIME",
	  "the current time, for reproducible checks", 0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_entry cmd_validate_entry = {
	"validate",
	"check manifests (--online: against the API too)",
	"MANIFEST...", 1, -1,
	{ validate_options, options_output, options_verbose,
	  options_endpoint, options_net, NULL },
	cmd_validate_exec
};

/*
 * The online half: ask the API about every target.  Returns an exit
 * code: EXIT_OK, EXIT_USAGE (problems found) or EXIT_ENV.
 */
static int
validate_online(struct manifest *m, int64_t now, struct diags *d,
    const struct options *o)
{
	struct creds		 creds;
	struct ens_client	*ens;
	struct ens_reply	 reply;
	struct plan		*p;
	struct preflight	*pf;
	char			*cause = NULL;
	int			 rc;

	memset(&reply, 0, sizeof(reply));
	if ((ens = options_connect(o, m, &creds, &cause)) == NULL) {
		msg_error("%s", cause);
		free(cause);
		return (EXIT_ENV);
	}
	p = plan_build(m, now);
	if ((pf = preflight_run(p, ens, d, &reply)) == NULL) {
		rc = msg_api_failure(&reply, "preflight failed");
	} else
		rc = pf->errors > 0 ? EXIT_USAGE : EXIT_OK;
	preflight_free(pf);
	plan_free(p);
	ens_reply_clear(&reply);
	ens_client_free(ens);
	creds_free(&creds);
	return (rc);
}

/* Validate one manifest; returns an exit code. */
static int
validate_one(const char *path, const char *now_arg, int online,
    const struct options *o)
{
	struct diags	*d;
	struct manifest	*m;
	char		*cause = NULL;
	size_t		 errors, warnings, i;
	int64_t		 now;
	int		 rc = EXIT_USAGE, net = EXIT_OK;

	d = diags_new();
	m = options_load(path, now_arg, 1, d, &now, &cause);
	if (cause != NULL) {
		msg_error("%s", cause);
		free(cause);
		goto out;
	}
	if (m != NULL && online && diags_count(d, DIAG_ERROR) == 0)
		net = validate_online(m, now, d, o);
	diags_print(d, stderr, msg_color());
	errors = diags_count(d, DIAG_ERROR);
	warnings = diags_count(d, DIAG_WARNING);
	if (errors > 0) {
		fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", path,
		    errors, errors == 1 ? "" : "s", warnings,
		    warnings == 1 ? "" : "s");
		goto out;
	}
	if ((rc = net) != EXIT_OK)
		goto out;
	if (o->quiet)
		goto out;
	printf("%s: valid: %zu group%s, %zu target%s", path, m->ngroups,
	    m->ngroups == 1 ? "" : "s", m->r_ntargets,
	    m->r_ntargets == 1 ? "" : "s");
	if (warnings > 0)
		printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
	putchar('\n');
	for (i = 0; o->verbose && i < m->ngroups; i++) {
		const struct manifest_group *g = &m->groups[m->r_order[i]];

		printf("  %s: %zu target%s, %s, batch_size %d\n", g->name,
		    g->ntargets, g->ntargets == 1 ? "" : "s",
		    g->policy->r_ops == OPS_SCHEDULED ? "scheduled" :
		    "immediate", g->policy->r_batch_size);
	}
out:
	manifest_free(m);
	diags_free(d);
	return (rc);
}

static int
cmd_validate_exec(struct cmd_args *a)
{
	int	i, rc, bad = EXIT_OK;

	for (i = 0; i < a->argc; i++) {
		rc = validate_one(a->argv[i], cmd_value(a, OPT_NOW),
		    cmd_has(a, OPT_ONLINE), &a->o);
		if (rc > bad)
			bad = rc;
	}
	return (bad);
}
