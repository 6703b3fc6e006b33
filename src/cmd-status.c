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
#include "ensbatch/hash.h"
#include "ensbatch/journal.h"
#include "ensbatch/manifest.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/report.h"
#include "ensbatch/runner.h"
#include "ensbatch/xmalloc.h"

static int	cmd_status_exec(struct cmd_args *);

static const struct cmd_option status_options[] = {
	{ OPT_JOURNAL, 0, "journal", CMD_STRING, "FILE",
	  "the apply's journal (default NAME.journal.jsonl beside the "
	  "report)", 0, 0 },
	{ OPT_WAIT, 0, "wait", CMD_FLAG, NULL,
	  "poll until every requested target is final", 0, 0 },
	{ OPT_REPORT, 0, "report", CMD_STRING, "FILE.xml",
	  "write a JUnit report of the true outcomes", 0, 0 },
	{ OPT_FORMAT, 0, "format", CMD_CHOICE, "text|json",
	  "output format (default text)", 0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_entry cmd_status_entry = {
	"status",
	"show what happened to the targets an apply requested",
	"MANIFEST", 1, 1,
	{ status_options, options_output, options_verbose, options_endpoint,
	  options_net, NULL },
	cmd_status_exec
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

/*
 * The manifest (without the PlanTime deadline rule: the reboots may be
 * done) and the journal written for it.  Returns -1 to go on, else the
 * exit code; *m, *j and *d are the caller's to free.
 */
static int
status_load(const char *path, const char *journal_arg,
    const char *report_path, struct diags **d, struct manifest **m,
    struct journal **j, int64_t *now)
{
	char	*jpath = NULL, *cause = NULL, inputs[HASH_HEX_LEN];
	int	 rc = EXIT_USAGE;

	*d = diags_new();
	*m = options_load(path, NULL, 0, *d, now, &cause);
	if (cause != NULL) {
		msg_error("%s", cause);
		goto out;
	}
	if (*m == NULL || diags_count(*d, DIAG_ERROR) > 0) {
		diags_print(*d, stderr, msg_color());
		fprintf(stderr, "%s: invalid manifest\n", path);
		goto out;
	}
	jpath = journal_arg != NULL ? xstrdup(journal_arg) :
	    options_journal_path(report_path, (*m)->name.text);
	if ((*j = journal_read(jpath, &cause)) == NULL) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	options_inputs_sha256(*m, inputs);
	if (strcmp(journal_sha256(*j), inputs) != 0) {
		msg_error("the journal %s was written for another manifest or "
		    "other targets files", jpath);
		goto out;
	}
	rc = -1;
out:
	free(jpath);
	free(cause);
	return (rc);
}

static int
cmd_status_exec(struct cmd_args *a)
{
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
	struct options		 o = a->o;
	const char		*report_path = cmd_value(a, OPT_REPORT);
	char			*cause = NULL, key[32];
	int64_t			 now;
	int			 json = cmd_choice(a, OPT_FORMAT, 0) == 1, rc;

	memset(&creds, 0, sizeof(creds));
	if ((rc = status_load(a->argv[0], cmd_value(a, OPT_JOURNAL),
	    report_path, &d, &m, &j, &now)) != -1)
		goto out;
	p = plan_build(m, now);
	o.stop = &status_stop;
	if ((ens = options_connect(&o, m, &creds, &cause)) == NULL) {
		msg_error("%s", cause);
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
	ro.live = msg_live_on();
	ro.endpoint = ens_client_url(ens);
	ro.stop = &status_stop;
	ro.wait = cmd_has(a, OPT_WAIT);
	rc = runner_status(p, ens, &ro, &rep, &ty);
	/* Which account the report speaks of, never the whole key. */
	creds_mask_key(creds.access_key_id != NULL ? creds.access_key_id :
	    "", key, sizeof(key));
	report_run_property(rep, "access_key_id", key);
	if (json)
		status_print_json(ty, p->ngroups, rc, stdout);
	else if (!o.quiet)
		status_print_text(ty, p->ngroups, stdout);
	if (report_path != NULL && report_write(rep, report_path,
	    &cause) != 0) {
		msg_error("%s", cause);
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
	free(cause);
	return (rc);
}
