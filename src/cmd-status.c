/*
 * ensbatch status: what really happened to the targets an apply
 * requested, from its journal and the API, without sending anything.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/diag.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/journal.h"
#include "ensbatch/manifest.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/report.h"
#include "ensbatch/runner.h"
#include "ensbatch/xmalloc.h"

static int	cmd_status_exec(int, char **);

const struct cmd_entry cmd_status_entry = {
	"status",
	"[--journal FILE] [--wait] [--report FILE.xml] [--format text|json]\n"
	"                       [--endpoint URL] [--profile NAME] "
	"[--signature v3|v1]\n"
	"                       [--cacert FILE] [--timeout DUR] "
	"[--retries N] [--rate N]\n"
	"                       [-q] [-v] [--color WHEN] MANIFEST",
	"show what happened to the targets an apply requested",
	cmd_status_exec
};

static const struct option status_long[] = {
	OPTIONS_LONG,
	OPTIONS_NET,
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ NULL, 0, NULL, 0 }
};

static volatile sig_atomic_t status_stop;

static void
status_signal(int sig)
{
	(void)sig;
	if (status_stop < 2)
		status_stop++;
}

static void
status_print_text(const struct runner_tally *ty, size_t n, FILE *f)
{
	size_t	i, w = 5;

	for (i = 0; i < n; i++) {
		if (strlen(ty[i].group) > w)
			w = strlen(ty[i].group);
	}
	fprintf(f, "%-*s %9s %9s %9s %9s %9s %13s\n", (int)w, "GROUP",
	    "REQUESTED", "SCHEDULED", "EXECUTING", "SETTLED", "FAILED",
	    "NOT-REQUESTED");
	for (i = 0; i < n; i++)
		fprintf(f, "%-*s %9zu %9zu %9zu %9zu %9zu %13zu\n", (int)w,
		    ty[i].group, ty[i].requested, ty[i].scheduled,
		    ty[i].executing, ty[i].settled, ty[i].failed,
		    ty[i].not_requested);
}

static int
status_print_json(const struct runner_tally *ty, size_t n, int rc, FILE *f)
{
	json_t	*root, *arr;
	size_t	 i;
	int	 r;

	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, "
		    "s:I, s:I, s:I}", "group", ty[i].group, "requested",
		    (json_int_t)ty[i].requested, "scheduled",
		    (json_int_t)ty[i].scheduled, "executing",
		    (json_int_t)ty[i].executing, "settled",
		    (json_int_t)ty[i].settled, "failed",
		    (json_int_t)ty[i].failed, "not_requested",
		    (json_int_t)ty[i].not_requested));
	root = json_pack("{s:s, s:o}", "state", rc == EXIT_OK ? "settled" :
	    rc == EXIT_PENDING ? "in_progress" : rc == EXIT_FAILED ?
	    "failed" : "interrupted", "groups", arr);
	r = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return (r);
}

/* NAME.journal.jsonl beside the report, or here (as apply finds it). */
static char *
status_journal_path(const char *report, const char *name)
{
	const char	*slash;

	if (report != NULL && (slash = strrchr(report, '/')) != NULL)
		return (xasprintf("%.*s/%s.journal.jsonl",
		    (int)(slash - report), report, name));
	return (xasprintf("%s.journal.jsonl", name));
}

static int
cmd_status_exec(int argc, char **argv)
{
	struct options		 o;
	struct runner_opts	 ro;
	struct diags		*d = NULL;
	struct manifest		*m = NULL;
	struct plan		*p = NULL;
	struct journal		*j = NULL;
	struct ens_client	*ens = NULL;
	struct creds		 creds;
	struct report		*rep = NULL;
	struct runner_tally	*ty = NULL;
	struct sigaction	 sa;
	const char		*journal_arg = NULL, *report_path = NULL;
	const char		*format = "text";
	char			*jpath = NULL, *cause = NULL;
	int64_t			 now;
	int			 ch, r, wait = 0, rc = EXIT_USAGE;

	memset(&creds, 0, sizeof(creds));
	options_init(&o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, OPTIONS_SHORT, status_long,
	    NULL)) != -1) {
		if ((r = options_common(&o, ch, optarg,
		    &cmd_status_entry)) == 1)
			continue;
		if (r == -1)
			goto out;
		switch (ch) {
		case OPT_JOURNAL:
			journal_arg = optarg;
			break;
		case OPT_REPORT:
			report_path = optarg;
			break;
		case OPT_WAIT:
			wait = 1;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") != 0 &&
			    strcmp(optarg, "json") != 0) {
				fprintf(stderr, "ensbatch status: --format "
				    "must be text or json\n");
				goto out;
			}
			format = optarg;
			break;
		default:
			options_usage(&cmd_status_entry, stderr);
			goto out;
		}
	}
	if (o.help) {
		options_usage(&cmd_status_entry, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if (argc - optind != 1) {
		options_usage(&cmd_status_entry, stderr);
		goto out;
	}

	/* PlanTimes in the past are no error: the reboots may be done. */
	d = diags_new();
	m = options_load(argv[optind], NULL, 0, d, &now, &cause);
	if (m == NULL || diags_count(d, DIAG_ERROR) > 0) {
		diags_print(d, stderr, options_use_color(&o, stderr));
		fprintf(stderr, "%s: invalid manifest\n", argv[optind]);
		goto out;
	}
	jpath = journal_arg != NULL ? xstrdup(journal_arg) :
	    status_journal_path(report_path, m->name.text);
	if ((j = journal_read(jpath, &cause)) == NULL) {
		fprintf(stderr, "ensbatch status: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (strcmp(journal_sha256(j), m->sha256) != 0) {
		fprintf(stderr, "ensbatch status: the journal %s was written "
		    "for another manifest\n", jpath);
		goto out;
	}
	p = plan_build(m, now);
	o.stop = &status_stop;
	if ((ens = options_connect(&o, m, &creds, &cause)) == NULL) {
		fprintf(stderr, "ensbatch status: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = status_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	memset(&ro, 0, sizeof(ro));
	ro.journal = j;
	ro.quiet = o.quiet;
	ro.live = isatty(STDERR_FILENO);
	ro.endpoint = ens_client_url(ens);
	ro.stop = &status_stop;
	ro.wait = wait;
	rc = runner_status(p, ens, &ro, &rep, &ty);
	if (strcmp(format, "json") == 0)
		status_print_json(ty, p->ngroups, rc, stdout);
	else if (!o.quiet)
		status_print_text(ty, p->ngroups, stdout);
	if (report_path != NULL && report_write(rep, report_path,
	    &cause) != 0) {
		fprintf(stderr, "ensbatch status: %s\n", cause);
		rc = EXIT_ENV;
	}
out:
	free(ty);
	report_free(rep);
	ens_client_free(ens);
	creds_free(&creds);
	journal_free(j);
	plan_free(p);
	manifest_free(m);
	diags_free(d);
	free(jpath);
	free(cause);
	return (rc);
}
