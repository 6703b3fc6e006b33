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
#include "ensbatch/options.h"
#include "ensbatch/plan.h"
#include "ensbatch/preflight.h"
#include "ensbatch/report.h"
#include "ensbatch/rules.h"
#include "ensbatch/runner.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

static int	cmd_apply_exec(int, char **);

const struct cmd_entry cmd_apply_entry = {
	"apply",
	"[--plan PLAN.json] [--yes] [--report FILE.xml] [--journal FILE]\n"
	"                      [--resume] [--parallel N] [--no-preflight]\n"
	"                      [--wait] [--reconcile-window DUR]\n"
	"                      [--endpoint URL] [--profile NAME] "
	"[--signature v3|v1]\n"
	"                      [--cacert FILE] [--timeout DUR] "
	"[--retries N] [--rate N]\n"
	"                      [-q] [-v] [--color WHEN] MANIFEST",
	"reboot the manifest's targets through the ENS API",
	cmd_apply_exec
};

static const struct option apply_long[] = {
	OPTIONS_LONG,
	OPTIONS_NET,
	{ "yes", no_argument, NULL, OPT_YES },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "no-preflight", no_argument, NULL, OPT_NO_PREFLIGHT },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "reconcile-window", required_argument, NULL, OPT_RECONCILE_WINDOW },
	{ NULL, 0, NULL, 0 }
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
cmd_apply_exec(int argc, char **argv)
{
	struct options		 o;
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
	const char		*report_path = NULL, *plan_path = NULL;
	const char		*journal_arg = NULL;
	char			*jpath = NULL;
	struct journal		*journal = NULL;
	char			*cause = NULL, *end;
	int64_t			 now, reconcile_ms = 0;
	long			 parallel = 4;
	int			 wait = 0;
	int			 ch, r, yes = 0, preflight = 1, resume = 0;
	int			 rc = EXIT_USAGE;

	memset(&creds, 0, sizeof(creds));
	memset(&reply, 0, sizeof(reply));
	options_init(&o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, OPTIONS_SHORT, apply_long,
	    NULL)) != -1) {
		if ((r = options_common(&o, ch, optarg, &cmd_apply_entry)) == 1)
			continue;
		if (r == -1)
			goto out;
		switch (ch) {
		case OPT_YES:
			yes = 1;
			break;
		case OPT_REPORT:
			report_path = optarg;
			break;
		case OPT_PARALLEL:
			errno = 0;
			parallel = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || parallel < 1 ||
			    parallel > 64) {
				fprintf(stderr, "ensbatch apply: --parallel "
				    "must be 1 to 64\n");
				goto out;
			}
			break;
		case OPT_NO_PREFLIGHT:
			preflight = 0;
			break;
		case OPT_JOURNAL:
			journal_arg = optarg;
			break;
		case OPT_RESUME:
			resume = 1;
			break;
		case OPT_PLAN:
			plan_path = optarg;
			break;
		case OPT_WAIT:
			wait = 1;
			break;
		case OPT_RECONCILE_WINDOW:
			if (timefmt_duration(optarg, &reconcile_ms,
			    &cause) != 0 || reconcile_ms <= 0) {
				fprintf(stderr, "ensbatch apply: "
				    "--reconcile-window: %s\n", cause != NULL ?
				    cause : "must be more than zero");
				goto out;
			}
			break;
		default:
			options_usage(&cmd_apply_entry, stderr);
			goto out;
		}
	}
	if (o.help) {
		options_usage(&cmd_apply_entry, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if (argc - optind != 1) {
		options_usage(&cmd_apply_entry, stderr);
		goto out;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "ensbatch apply: no terminal to confirm on: "
		    "pass --yes to reboot without asking\n");
		goto out;
	}

	/* 1. Validate offline: nothing is sent for an invalid manifest. */
	d = diags_new();
	m = options_load(argv[optind], NULL, !resume, d, &now, &cause);
	if (m != NULL && plan_path != NULL) {
		/* An approved plan is checked first: "stale" says why. */
		p = plan_build(m, now);
		if (plan_verify(p, plan_path, resume ? RULES_NO_DEADLINES :
		    now, &cause) != 0) {
			fprintf(stderr, "ensbatch apply: %s\n", cause);
			goto out;
		}
	}
	diags_print(d, stderr, options_use_color(&o, stderr));
	if (m == NULL || diags_count(d, DIAG_ERROR) > 0) {
		fprintf(stderr, "%s: invalid manifest: nothing was sent\n",
		    argv[optind]);
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
			fprintf(stderr, "ensbatch apply: %s\n", cause);
			goto out;
		}
	} else if (access(jpath, F_OK) == 0) {
		fprintf(stderr, "ensbatch apply: the journal %s already "
		    "exists: an earlier run wrote it; finish that run with "
		    "--resume, or move the file away\n", jpath);
		goto out;
	}

	/* 2. Credentials and endpoint. */
	o.stop = &apply_stop;
	if ((ens = options_connect(&o, m, &creds, &cause)) == NULL) {
		fprintf(stderr, "ensbatch apply: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}

	/* 3. Preflight. */
	if (preflight) {
		diags_clear(d);
		pf = preflight_run(p, ens, d, &reply);
		if (pf == NULL) {
			fprintf(stderr, "ensbatch apply: preflight failed: "
			    "%s%s%s\n", reply.code != NULL ? reply.code : "",
			    reply.code != NULL ? ": " : "", reply.message);
			rc = reply.outcome == ENS_API_ERROR ? EXIT_FAILED :
			    EXIT_ENV;
			goto out;
		}
		diags_print(d, stderr, options_use_color(&o, stderr));
		if (pf->errors > 0) {
			fprintf(stderr, "%s: preflight found %zu problem%s: "
			    "nothing was sent\n", argv[optind], pf->errors,
			    pf->errors == 1 ? "" : "s");
			rc = EXIT_ENV;
			goto out;
		}
	}

	/* 4. Confirmation. */
	if (!yes && !confirm(p, pf != NULL ? pf->done : 0)) {
		fprintf(stderr, "ensbatch apply: not confirmed: nothing was "
		    "sent\n");
		rc = EXIT_USAGE;
		goto out;
	}

	/* 5. Run, with every call in the journal. */
	if (journal == NULL && (journal = journal_create(jpath, m->sha256,
	    m->name.text, &cause)) == NULL) {
		fprintf(stderr, "ensbatch apply: %s\n", cause);
		rc = EXIT_ENV;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = apply_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	memset(&ro, 0, sizeof(ro));
	ro.parallel = (size_t)parallel;
	ro.journal = journal;
	ro.resume = resume;
	ro.quiet = o.quiet;
	ro.live = isatty(STDERR_FILENO);
	ro.endpoint = ens_client_url(ens);
	ro.stop = &apply_stop;
	ro.wait = wait;
	ro.reconcile_ms = reconcile_ms;
	rc = runner_run(p, pf, ens, &ro, &rep);
	if (report_path != NULL && report_write(rep, report_path,
	    &cause) != 0) {
		fprintf(stderr, "ensbatch apply: %s\n", cause);
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
