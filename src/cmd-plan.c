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
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/report.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

static int	cmd_plan_exec(struct cmd_args *);

/* The order of --format's values is that of enum plan_format. */
static const struct cmd_option plan_options[] = {
	{ OPT_NOW, 0, "now", CMD_STRING, "TIME",
	  "the current time, for reproducible plans", 0, 0 },
	{ OPT_FORMAT, 0, "format", CMD_CHOICE, "text|json|markdown",
	  "the form of the plan on standard output (default text)", 0, 0 },
	{ OPT_OUT, 0, "out", CMD_STRING, "PLAN.json",
	  "also store the plan: the file a reviewer approves", 0, 0 },
	{ OPT_REPORT, 0, "report", CMD_STRING, "FILE.xml",
	  "write the dry-run JUnit report (also for an invalid manifest)",
	  0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_entry cmd_plan_entry = {
	"plan",
	"show the batches and PlanTimes a manifest would produce (dry run)",
	"MANIFEST", 1, 1,
	{ plan_options, options_output, options_endpoint, NULL },
	cmd_plan_exec
};

/*
 * A report for a manifest that could not be parsed at all: one failing
 * test case that carries the first error, so that CI shows the cause.
 */
static struct report *
plan_unparsed_report(const char *path, const char *now_arg,
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
cmd_plan_exec(struct cmd_args *a)
{
	const char	*now_arg = cmd_value(a, OPT_NOW);
	const char	*out = cmd_value(a, OPT_OUT);
	const char	*report_path = cmd_value(a, OPT_REPORT);
	const char	*path = a->argv[0];
	enum plan_format format;
	struct diags	*d = NULL;
	struct manifest	*m = NULL;
	struct plan	*p = NULL;
	struct report	*rep = NULL;
	char		*cause = NULL;
	int64_t		 now = 0;
	int		 rc = EXIT_USAGE;

	format = (enum plan_format)cmd_choice(a, OPT_FORMAT, PLAN_TEXT);
	d = diags_new();
	m = options_load(path, now_arg, 1, d, &now, &cause);
	if (cause != NULL) {
		msg_error("%s", cause);
		goto out;
	}
	diags_print(d, stderr, msg_color());
	if (m != NULL)
		p = plan_build(m, now);
	/* The report model is as large as the manifest: only on demand. */
	if (report_path != NULL)
		rep = p != NULL ? plan_report(p, d, a->o.endpoint) :
		    plan_unparsed_report(path, now_arg, d);
	if (rep != NULL && report_write(rep, report_path, &cause) != 0) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (diags_count(d, DIAG_ERROR) > 0) {
		fprintf(stderr, "%s: %zu error%s: no plan\n", path,
		    diags_count(d, DIAG_ERROR),
		    diags_count(d, DIAG_ERROR) == 1 ? "" : "s");
		goto out;
	}
	if (out != NULL && plan_save(p, out, &cause) != 0) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	/* A failure to write is found and reported by main(). */
	if (!a->o.quiet)
		(void)plan_print(p, format, stdout);
	rc = EXIT_OK;
out:
	free(cause);
	report_free(rep);
	plan_free(p);
	manifest_free(m);
	diags_free(d);
	return (rc);
}
