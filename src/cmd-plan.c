/*
 * ensbatch plan: the dry run that reviewers approve.  Prints the plan,
 * optionally stores it (--out) and writes the dry-run report (--report),
 * which is written even for an invalid manifest so that CI shows why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/cmd.h"
#include "ensbatch/diag.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/manifest.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/report.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

static int	cmd_plan_exec(int, char **);

const struct cmd_entry cmd_plan_entry = {
	"plan",
	"[--now TIME] [--format text|json|markdown] [--out PLAN.json]\n"
	"                     [--report FILE.xml] [--endpoint URL] [-q] [-v]\n"
	"                     [--color WHEN] MANIFEST",
	"show the batches and PlanTimes a manifest would produce (dry run)",
	cmd_plan_exec
};

static const struct option plan_long[] = {
	OPTIONS_LONG,
	{ "now", required_argument, NULL, OPT_NOW },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ NULL, 0, NULL, 0 }
};

/*
 * A report for a manifest that could not be parsed at all: one failing
 * test case that carries the first error, so that CI shows the cause.
 */
static struct report *
unparsed_report(const char *path, const char *now_arg,
    const struct diags *d)
{
	char			*cause = NULL;
	int64_t			 now;

	struct report		*r;
	struct report_suite	*rs;

	if (options_now(now_arg, NULL, &now, &cause) != 0)
		now = timefmt_now();
	free(cause);
	r = report_new("manifest");
	rs = report_suite_add(r, "manifest", now);
	report_property_add(rs, "manifest", path);
	report_property_add(rs, "mode", "dry-run");
	report_case_add(rs, "manifest.load", path, 0, REPORT_FAILURE,
	    diags_rule(d, 1), diags_message(d, 1), NULL);
	return (r);
}

static int
cmd_plan_exec(int argc, char **argv)
{
	struct options	 o;
	const char	*now_arg = NULL, *out = NULL, *report_path = NULL;
	enum plan_format format = PLAN_TEXT;
	struct diags	*d = NULL;
	struct manifest	*m = NULL;
	struct plan	*p = NULL;
	struct report	*rep = NULL;
	char		*cause = NULL;
	int64_t		 now = 0;
	int		 ch, r, rc = EXIT_USAGE;

	options_init(&o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, OPTIONS_SHORT, plan_long,
	    NULL)) != -1) {
		if ((r = options_common(&o, ch, optarg, &cmd_plan_entry)) == 1)
			continue;
		if (r == -1)
			goto out;
		switch (ch) {
		case OPT_NOW:
			now_arg = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				format = PLAN_TEXT;
			else if (strcmp(optarg, "json") == 0)
				format = PLAN_JSON;
			else if (strcmp(optarg, "markdown") == 0)
				format = PLAN_MARKDOWN;
			else {
				fprintf(stderr, "ensbatch plan: --format must "
				    "be text, json or markdown\n");
				goto out;
			}
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_REPORT:
			report_path = optarg;
			break;
		default:
			options_usage(&cmd_plan_entry, stderr);
			goto out;
		}
	}
	if (o.help) {
		options_usage(&cmd_plan_entry, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if (argc - optind != 1) {
		options_usage(&cmd_plan_entry, stderr);
		goto out;
	}

	d = diags_new();
	m = options_load(argv[optind], now_arg, 1, d, &now, &cause);
	if (cause != NULL) {
		fprintf(stderr, "ensbatch plan: %s\n", cause);
		goto out;
	}
	diags_print(d, stderr, options_use_color(&o, stderr));
	if (m != NULL) {
		p = plan_build(m, now);
		rep = plan_report(p, d, o.endpoint);
	} else
		rep = unparsed_report(argv[optind], now_arg, d);
	if (report_path != NULL && report_write(rep, report_path,
	    &cause) != 0) {
		fprintf(stderr, "ensbatch plan: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (diags_count(d, DIAG_ERROR) > 0) {
		fprintf(stderr, "%s: %zu error%s: no plan\n", argv[optind],
		    diags_count(d, DIAG_ERROR),
		    diags_count(d, DIAG_ERROR) == 1 ? "" : "s");
		goto out;
	}
	if (out != NULL && plan_save(p, out, &cause) != 0) {
		fprintf(stderr, "ensbatch plan: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (!o.quiet && plan_print(p, format, stdout) != 0) {
		fprintf(stderr, "ensbatch plan: cannot write the plan\n");
		rc = EXIT_ENV;
		goto out;
	}
	rc = EXIT_OK;
out:
	free(cause);
	report_free(rep);
	plan_free(p);
	manifest_free(m);
	diags_free(d);
	return (rc);
}
