/*
 * ensbatch apply: validate, connect, preflight, confirm, run, report.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/diag.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/journal.h"
#include "ensbatch/manifest.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/preflight.h"
#include "ensbatch/report.h"
#include "ensbatch/rules.h"
#include "ensbatch/runner.h"
#include "ensbatch/xmalloc.h"

static int	cmd_apply_exec(struct cmd_args *);

static const struct cmd_option apply_options[] = {
	{ OPT_PLAN, 0, "plan", CMD_STRING, "PLAN.json",
	  "send exactly the batches of this approved plan", 0, 0 },
	{ OPT_YES, 0, "yes", CMD_FLAG, NULL,
	  "do not ask for confirmation", 0, 0 },
	{ OPT_REPORT, 0, "report", CMD_STRING, "FILE.xml",
	  "write the JUnit report of the run", 0, 0 },
	{ OPT_JOURNAL, 0, "journal", CMD_STRING, "FILE",
	  "the journal (default NAME.journal.jsonl beside the report)",
	  0, 0 },
	{ OPT_RESUME, 0, "resume", CMD_FLAG, NULL,
	  "continue the run recorded in the journal", 0, 0 },
	{ OPT_PARALLEL, 0, "parallel", CMD_NUMBER, "N",
	  "calls of a scheduled group in flight (default 4)", 1, 64 },
	{ OPT_NO_PREFLIGHT, 0, "no-preflight", CMD_FLAG, NULL,
	  "do not ask the API about the events first", 0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_entry cmd_apply_entry = {
	"apply",
	"reboot the manifest's targets through the ENS API",
	"MANIFEST", 1, 1,
	{ apply_options, options_output, options_verbose, options_endpoint,
	  options_net, NULL },
	cmd_apply_exec
};

static volatile sig_atomic_t apply_stop;

/*
 * First signal: start nothing new, let calls in flight finish.  Second:
 * abort them too (their targets end "outcome unknown" for --resume).
 */
static void
apply_signal(int sig)
{
	static const char	first[] = "\nensbatch: stopping after the "
	    "calls in flight; signal again to abort them\n";
	static const char	second[] = "\nensbatch: aborting the calls "
	    "in flight\n";
	int			saved = errno;

	(void)sig;
	if (apply_stop < 2)
		apply_stop++;
	if (apply_stop == 1)
		(void)write(STDERR_FILENO, first, sizeof(first) - 1);
	else
		(void)write(STDERR_FILENO, second, sizeof(second) - 1);
	errno = saved;
}

/* NAME.journal.jsonl beside the report, or here.  Caller frees. */
static char *
journal_path(const char *report, const char *name)
{
	const char	*slash;

	if (report != NULL && (slash = strrchr(report, '/')) != NULL)
		return (xasprintf("%.*s/%s.journal.jsonl",
		    (int)(slash - report), report, name));
	return (xasprintf("%s.journal.jsonl", name));
}

/* Ask on the terminal; anything but y/yes is no. */
static int
confirm(const struct plan *p, size_t skipped)
{
	char	line[64];

	fprintf(stderr, "reboot %zu instance%s in %zu batch%s across %zu "
	    "group%s? [y/N] ", p->ntargets - skipped,
	    p->ntargets - skipped == 1 ? "" : "s", p->nbatches,
	    p->nbatches == 1 ? "" : "es", p->ngroups,
	    p->ngroups == 1 ? "" : "s");
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return (0);
	line[strcspn(line, "\r\n")] = '\0';
	return (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0);
}

static void
summary(const struct report *r, const char *path)
{
	size_t	i, j, n[4] = { 0, 0, 0, 0 };

	for (i = 0; i < r->nsuites; i++) {
		for (j = 0; j < r->suites[i].ncases; j++)
			n[r->suites[i].cases[j].outcome]++;
	}
	printf("%zu passed, %zu failed, %zu errors, %zu skipped", n[0], n[1],
	    n[2], n[3]);
	if (path != NULL)
		printf("; report %s", path);
	putchar('\n');
}

static int
cmd_apply_exec(struct cmd_args *a)
{
	struct options		 o = a->o;
	struct runner_opts	 ro;
	struct diags		*d = NULL;
	struct manifest		*m = NULL;
	struct plan		*p = NULL;
	struct preflight	*pf = NULL;
	struct ens_client	*ens = NULL;
	struct creds		 creds;
	struct report		*rep = NULL;
	struct ens_reply	 reply;
	struct sigaction	 sa;
	const char		*report_path = cmd_value(a, OPT_REPORT);
	const char		*plan_path = cmd_value(a, OPT_PLAN);
	const char		*journal_arg = cmd_value(a, OPT_JOURNAL);
	char			*jpath = NULL;
	struct journal		*journal = NULL;
	char			*cause = NULL;
	int64_t			 now;
	long			 parallel = cmd_number(a, OPT_PARALLEL, 4);
	int			 yes = cmd_has(a, OPT_YES);
	int			 preflight = !cmd_has(a, OPT_NO_PREFLIGHT);
	int			 resume = cmd_has(a, OPT_RESUME);
	int			 rc = EXIT_USAGE;
	const char		*path = a->argv[0];

	memset(&creds, 0, sizeof(creds));
	memset(&reply, 0, sizeof(reply));
	if (!yes && !isatty(STDIN_FILENO)) {
		msg_error("no terminal to confirm on: "
		    "pass --yes to reboot without asking");
		goto out;
	}

	/* 1. Validate offline: nothing is sent for an invalid manifest. */
	d = diags_new();
	m = options_load(path, NULL, !resume, d, &now, &cause);
	if (m != NULL && plan_path != NULL) {
		/* An approved plan is checked first: "stale" says why. */
		p = plan_build(m, now);
		if (plan_verify(p, plan_path, resume ? RULES_NO_DEADLINES :
		    now, &cause) != 0) {
			msg_error("%s", cause);
			goto out;
		}
	}
	diags_print(d, stderr, options_use_color(&o, stderr));
	if (m == NULL || diags_count(d, DIAG_ERROR) > 0) {
		fprintf(stderr, "%s: invalid manifest: nothing was sent\n",
		    path);
		goto out;
	}
	if (p == NULL)
		p = plan_build(m, now);
	jpath = journal_arg != NULL ? xstrdup(journal_arg) :
	    journal_path(report_path, m->name.text);
	if (resume) {
		/* Read it now: a wrong journal must stop us before the API. */
		if ((journal = journal_resume(jpath, m->sha256,
		    &cause)) == NULL) {
			msg_error("%s", cause);
			goto out;
		}
	} else if (access(jpath, F_OK) == 0) {
		msg_error("the journal %s already "
		    "exists: an earlier run wrote it; finish that run with "
		    "--resume, or move the file away", jpath);
		goto out;
	}

	/* 2. Credentials and endpoint. */
	o.stop = &apply_stop;
	if ((ens = options_connect(&o, m, &creds, &cause)) == NULL) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}

	/* 3. Preflight. */
	if (preflight) {
		diags_clear(d);
		pf = preflight_run(p, ens, d, &reply);
		if (pf == NULL) {
			msg_error("preflight failed: "
			    "%s%s%s", reply.code != NULL ? reply.code : "",
			    reply.code != NULL ? ": " : "", reply.message);
			rc = reply.outcome == ENS_API_ERROR ? EXIT_FAILED :
			    EXIT_ENV;
			goto out;
		}
		diags_print(d, stderr, options_use_color(&o, stderr));
		if (pf->errors > 0) {
			fprintf(stderr, "%s: preflight found %zu problem%s: "
			    "nothing was sent\n", path, pf->errors,
			    pf->errors == 1 ? "" : "s");
			rc = EXIT_ENV;
			goto out;
		}
	}

	/* 4. Confirmation. */
	if (!yes && !confirm(p, pf != NULL ? pf->done : 0)) {
		msg_error("not confirmed: nothing was "
		    "sent");
		rc = EXIT_USAGE;
		goto out;
	}

	/* 5. Run, with every call in the journal. */
	if (journal == NULL && (journal = journal_create(jpath, m->sha256,
	    m->name.text, &cause)) == NULL) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = apply_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&ro, 0, sizeof(ro));
	ro.parallel = (size_t)parallel;
	ro.journal = journal;
	ro.resume = resume;
	ro.quiet = o.quiet;
	ro.live = isatty(STDERR_FILENO);
	ro.endpoint = ens_client_url(ens);
	ro.stop = &apply_stop;
	rc = runner_run(p, pf, ens, &ro, &rep);
	if (report_path != NULL && report_write(rep, report_path,
	    &cause) != 0) {
		msg_error("%s", cause);
		if (rc == EXIT_OK)
			rc = EXIT_FAILED;
	}
	if (!o.quiet)
		summary(rep, report_path);
out:
	journal_free(journal);
	free(jpath);
	free(cause);
	ens_reply_clear(&reply);
	report_free(rep);
	preflight_free(pf);
	ens_client_free(ens);
	creds_free(&creds);
	plan_free(p);
	manifest_free(m);
	diags_free(d);
	return (rc);
}
