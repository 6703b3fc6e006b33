/*
 * ensbatch validate: offline checks of one or more manifests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ensbatch/cmd.h"
#include "ensbatch/diag.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/manifest.h"
#include "ensbatch/options.h"

static int	cmd_validate_exec(int, char **);

const struct cmd_entry cmd_validate_entry = {
	"validate",
	"[--now TIME] [--endpoint URL] [-q] [-v]\n"
	"                         [--color WHEN] MANIFEST...",
	"check manifests offline and report every problem",
	cmd_validate_exec
};

static const struct option validate_long[] = {
	OPTIONS_LONG,
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 }
};

/* Validate one manifest; returns 1 if it has errors. */
static int
validate_one(const char *path, const char *now_arg, const struct options *o)
{
	struct diags	*d;
	struct manifest	*m;
	char		*cause = NULL;
	size_t		 errors, warnings, i;
	int64_t		 now;
	int		 rc = 1;

	d = diags_new();
	m = options_load(path, now_arg, d, &now, &cause);
	if (cause != NULL) {
		fprintf(stderr, "ensbatch validate: %s\n", cause);
		free(cause);
		rc = -1;
		goto out;
	}
	diags_print(d, stderr, options_use_color(o, stderr));
	errors = diags_count(d, DIAG_ERROR);
	warnings = diags_count(d, DIAG_WARNING);
	if (errors > 0) {
		fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", path,
		    errors, errors == 1 ? "" : "s", warnings,
		    warnings == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
	if (o->quiet)
		goto out;
	printf("%s: valid: %zu group%s, %zu target%s", path, m->ngroups,
	    m->ngroups == 1 ? "" : "s", m->r_ntargets,
	    m->r_ntargets == 1 ? "" : "s");
	if (warnings > 0)
		printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
	putchar('\n');
	for (i = 0; o->verbose && i < m->ngroups; i++) {
		const struct group *g = &m->groups[m->r_order[i]];

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
cmd_validate_exec(int argc, char **argv)
{
	struct options	 o = { 0 };
	const char	*now_arg = NULL;
	int		 ch, i, r, bad = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, OPTIONS_SHORT, validate_long,
	    NULL)) != -1) {
		if ((r = options_common(&o, ch, optarg,
		    &cmd_validate_entry)) == 1)
			continue;
		if (r == -1)
			return (EXIT_USAGE);
		switch (ch) {
		case OPT_NOW:
			now_arg = optarg;
			break;
		default:
			options_usage(&cmd_validate_entry, stderr);
			return (EXIT_USAGE);
		}
	}
	if (o.help) {
		options_usage(&cmd_validate_entry, stdout);
		return (EXIT_OK);
	}
	if (optind == argc) {
		options_usage(&cmd_validate_entry, stderr);
		return (EXIT_USAGE);
	}
	for (i = optind; i < argc; i++) {
		if (validate_one(argv[i], now_arg, &o) != 0)
			bad = 1;
	}
	return (bad ? EXIT_USAGE : EXIT_OK);
}
