/*
 * ensbatch plan: the dry run that reviewers approve.  Prints the plan,
 * optionally stores it (--out, pinned to the endpoint and access key),
 * its targets as CSV (--targets-csv) and writes the dry-run report
 * (--report), which is written even for an invalid manifest so that CI
 * shows why.
 */
#include "config.h"

#include <sys/stat.h>

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
	{ OPT_TARGETS_CSV, 0, "targets-csv", CMD_STRING, "FILE",
	  "also write every target, its group, batch and PlanTime as CSV",
	  0, 0 },
	{ OPT_PROFILE, 0, "profile", CMD_STRING, "NAME",
	  "the credentials whose access key --out pins", 0, 0 },
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

/* Whether two paths name the same existing file. */
static int
cmd_plan_same_file(const char *a, const char *b)
{
	struct stat	sa, sb;

	return (stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/* The files plan may write: option name and path (NULL: not given). */
struct cmd_plan_output {
	const char	*option;
	const char	*path;
};

/*
 * No output may replace the manifest or one of its targets files, nor
 * another output.  0, or -1 with *cause (a usage error; caller frees).
 */
static int
cmd_plan_outputs_check(const char *path, const struct manifest *m,
    const struct cmd_plan_output *outs, size_t n, char **cause)
{
	size_t	i, j;

	*cause = NULL;
	for (i = 0; i < n; i++) {
		if (outs[i].path == NULL)
			continue;
		if (cmd_plan_same_file(outs[i].path, path)) {
			*cause = xasprintf("--%s %s is the manifest: refusing "
			    "to overwrite it", outs[i].option, outs[i].path);
			return (-1);
		}
		for (j = 0; m != NULL && j < m->nfiles; j++) {
			if (!cmd_plan_same_file(outs[i].path,
			    m->files[j].path))
				continue;
			*cause = xasprintf("--%s %s is the targets file %s of "
			    "the manifest: refusing to overwrite it",
			    outs[i].option, outs[i].path, m->files[j].path);
			return (-1);
		}
		for (j = i + 1; j < n; j++) {
			if (outs[j].path == NULL || (strcmp(outs[i].path,
			    outs[j].path) != 0 && !cmd_plan_same_file(
			    outs[i].path, outs[j].path)))
				continue;
			*cause = xasprintf("--%s and --%s name the same file "
			    "%s", outs[i].option, outs[j].option,
			    outs[i].path);
			return (-1);
		}
	}
	return (0);
}

/*
 * The account the plan is for: the endpoint URL (command line, else the
 * manifest, else the default) as apply computes it and, when pin is
 * set (--out), the access key id of the credentials apply would use
 * (static keys only: temporary ones get a new id each session).  The
 * credentials are read, never sent anywhere but to their own source.
 * Without credentials the plan pins the endpoint alone; an explicit
 * --profile that cannot be read is an error: -1 with *cause.
 */
static int
cmd_plan_account(const struct options *o, const struct manifest *m,
    int pin, struct plan_account *acct, char **cause)
{
	struct ens_config	 cfg;
	struct ens_client	*c;
	struct creds		 creds;
	char			*why = NULL;
	int			 rc = 0;

	*cause = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = o->endpoint != NULL ? o->endpoint :
	    m->api.endpoint.text;
	/* The endpoint was validated: a client is only its URL here. */
	if ((c = ens_client_new(&cfg, &why)) == NULL)
		fatal("endpoint: %s", why);
	if (!pin)
		plan_account_set(acct, ens_client_url(c), PLAN_KEY_NOT_ASKED,
		    NULL);
	else if (creds_resolve(o->profile, &creds, &why) != 0) {
		if (o->profile != NULL) {
			*cause = why;
			why = NULL;
			rc = -1;
		} else
			msg_info("the plan pins the endpoint only: %s", why);
		plan_account_set(acct, ens_client_url(c), PLAN_KEY_NONE, NULL);
	} else {
		plan_account_set(acct, ens_client_url(c),
		    creds.security_token != NULL || creds.provider != NULL ?
		    PLAN_KEY_TEMPORARY : PLAN_KEY_PINNED,
		    creds.access_key_id);
		creds_free(&creds);
	}
	free(why);
	ens_client_free(c);
	return (rc);
}

static int
cmd_plan_exec(struct cmd_args *a)
{
	const char	*now_arg = cmd_value(a, OPT_NOW);
	const char	*out = cmd_value(a, OPT_OUT);
	const char	*csv = cmd_value(a, OPT_TARGETS_CSV);
	const char	*report_path = cmd_value(a, OPT_REPORT);
	const char	*path = a->argv[0];
	const struct cmd_plan_output outs[] = {
		{ "out", out }, { "targets-csv", csv },
		{ "report", report_path }
	};
	enum plan_format format;
	struct plan_context ctx;
	struct plan_account acct;
	struct diags	*d = NULL;
	struct manifest	*m = NULL;
	struct plan	*p = NULL;
	struct report	*rep = NULL;
	char		*cause = NULL;
	int64_t		 now = 0;
	int		 rc = EXIT_USAGE;

	memset(&acct, 0, sizeof(acct));
	format = (enum plan_format)cmd_choice(a, OPT_FORMAT, PLAN_TEXT);
	d = diags_new();
	m = options_load(path, now_arg, 1, d, &now, &cause);
	if (cause != NULL) {
		msg_error("%s", cause);
		goto out;
	}
	if (cmd_plan_outputs_check(path, m, outs, sizeof(outs) /
	    sizeof(outs[0]), &cause) != 0) {
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
	if (cmd_plan_account(&a->o, m, out != NULL, &acct, &cause) != 0 ||
	    (out != NULL && plan_save(p, &acct, out, &cause) != 0) ||
	    (csv != NULL && plan_save_targets_csv(p, csv, &cause) != 0)) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	ctx.account = &acct;
	ctx.out = out;
	ctx.targets_csv = csv;
	/* A failure to write is found and reported by main(). */
	if (!a->o.quiet)
		(void)plan_print_context(p, format, &ctx, stdout);
	rc = EXIT_OK;
out:
	free(cause);
	plan_account_clear(&acct);
	report_free(rep);
	plan_free(p);
	manifest_free(m);
	diags_free(d);
	return (rc);
}
