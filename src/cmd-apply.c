/*
 * ensbatch apply: validate, connect, preflight, confirm, run, report.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ensbatch/buf.h"
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
#include "ensbatch/preflight.h"
#include "ensbatch/report.h"
#include "ensbatch/rules.h"
#include "ensbatch/runner.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
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
	{ OPT_WAIT, 0, "wait", CMD_FLAG, NULL,
	  "follow scheduled groups until their reboots settled", 0, 0 },
	{ OPT_RECONCILE_WINDOW, 0, "reconcile-window", CMD_STRING, "DUR",
	  "watch an unknown outcome this long before one resend (1m)",
	  0, 0 },
	{ OPT_ADOPT_STATUS, 0, "adopt-status", CMD_FLAG, NULL,
	  "with --resume: settle targets in doubt from their events' status",
	  0, 0 },
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

/* The state of one apply, step by step. */
struct apply {
	struct options		 o;		/* the common options */
	const char		*path;		/* the manifest */
	const char		*report_path;
	const char		*plan_path;
	const char		*journal_arg;
	size_t			 parallel;
	int			 yes;
	int			 preflight;
	int			 resume;
	int			 wait;
	int			 adopt;		/* --adopt-status */
	char			*resume_args;	/* for "resume with" */
	int64_t			 reconcile_ms;
	int			 lock;		/* the run lock, -1 */
	char			 inputs[HASH_HEX_LEN]; /* manifest and
						   targets files */

	struct diags		*d;
	struct manifest		*m;
	struct plan		*p;
	struct plan_account	 approved;	/* --plan's, once verified */
	int64_t			 now;
	char			*jpath;
	struct journal		*journal;
	struct creds		 creds;
	struct ens_client	*ens;
	struct ens_reply	 reply;
	struct preflight	*pf;
	struct report		*rep;
};

/* A step that lets the run go on returns APPLY_GO, else an exit code. */
#define APPLY_FINDINGS_SHOWN	5	/* preflight findings per kind */
#define APPLY_GO	(-1)

/* What the confirmation counts: immediate, scheduled, PlanTimes. */
struct apply_counts {
	size_t	groups[2];	/* immediate, scheduled */
	size_t	targets[2];
	size_t	batches[2];
	int64_t	first;		/* PlanTime, or PLAN_NO_TIME */
	int64_t	last;
};

static void
apply_count(const struct plan *p, struct apply_counts *c)
{
	const struct plan_group	*g;
	size_t			 i, j;
	int			 k;

	memset(c, 0, sizeof(*c));
	c->first = c->last = PLAN_NO_TIME;
	for (i = 0; i < p->ngroups; i++) {
		g = &p->groups[i];
		k = g->group->policy->r_ops == OPS_SCHEDULED;
		c->groups[k]++;
		c->batches[k] += g->nbatches;
		for (j = 0; j < g->nbatches; j++) {
			c->targets[k] += g->batches[j].count;
			if (g->batches[j].plan_time == PLAN_NO_TIME)
				continue;
			if (c->first == PLAN_NO_TIME ||
			    g->batches[j].plan_time < c->first)
				c->first = g->batches[j].plan_time;
			if (g->batches[j].plan_time > c->last)
				c->last = g->batches[j].plan_time;
		}
	}
}

static const char *
apply_plural(size_t n, const char *one, const char *many)
{
	return (n == 1 ? one : many);
}

/* What is about to happen, where, as whom: shown before the question. */
static void
apply_show(const struct apply *ap)
{
	struct apply_counts	 c;
	const struct manifest	*m = ap->m;
	char			 key[64], t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	size_t			 skipped = ap->pf != NULL ? ap->pf->done : 0;
	size_t			 n = ap->p->ntargets - skipped;

	apply_count(ap->p, &c);
	creds_mask_key(ap->creds.access_key_id != NULL ?
	    ap->creds.access_key_id : "", key, sizeof(key));
	fprintf(stderr, "\nensbatch apply will reboot %zu instance%s:\n\n",
	    n, apply_plural(n, "", "s"));
	fprintf(stderr, "  manifest    %s (%s)\n", ap->path, m->name.text);
	fprintf(stderr, "  ticket      %s\n", m->ticket.text != NULL ?
	    m->ticket.text : "(none)");
	fprintf(stderr, "  endpoint    %s\n", ens_client_url(ap->ens));
	fprintf(stderr, "  access key  %s (%s)\n", key, ap->creds.source !=
	    NULL ? ap->creds.source : "unknown source");
	fprintf(stderr, "  plan        %zu group%s, %zu batch%s\n",
	    ap->p->ngroups, apply_plural(ap->p->ngroups, "", "s"),
	    ap->p->nbatches, apply_plural(ap->p->nbatches, "", "es"));
	fprintf(stderr, "  immediate   %zu target%s in %zu batch%s of %zu "
	    "group%s\n", c.targets[0], apply_plural(c.targets[0], "", "s"),
	    c.batches[0], apply_plural(c.batches[0], "", "es"), c.groups[0],
	    apply_plural(c.groups[0], "", "s"));
	fprintf(stderr, "  scheduled   %zu target%s in %zu batch%s of %zu "
	    "group%s\n", c.targets[1], apply_plural(c.targets[1], "", "s"),
	    c.batches[1], apply_plural(c.batches[1], "", "es"), c.groups[1],
	    apply_plural(c.groups[1], "", "s"));
	if (c.first != PLAN_NO_TIME) {
		timefmt_local(c.first, m->r_zone, t1, sizeof(t1));
		timefmt_local(c.last, m->r_zone, t2, sizeof(t2));
		fprintf(stderr, "  PlanTime    %s to %s (%s)\n", t1, t2,
		    m->r_zone);
	}
	if (skipped > 0)
		fprintf(stderr, "  skipped     %zu target%s whose event is "
		    "already final (preflight)\n", skipped,
		    apply_plural(skipped, "", "s"));
}

/*
 * Ask on the terminal: only "yes" goes on.  A bare "y" is refused with
 * its own message: a reboot of production machines takes the word.
 */
static int
apply_ask(const struct apply *ap)
{
	char	line[64];

	apply_show(ap);
	fprintf(stderr, "\nOnly \"yes\" approves these reboots.\n"
	    "Reboot? ");
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		msg_error("not confirmed (no answer): nothing was sent");
		return (0);
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "yes") == 0)
		return (1);
	if (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
		msg_error("not confirmed: type \"yes\" in full, \"%s\" is not "
		    "enough: nothing was sent", line);
	else
		msg_error("not confirmed: nothing was sent");
	return (0);
}

/*
 * The summary line on stdout: the outcomes of the targets' cases, in
 * the words and counts of the recap (a stopped run's failing "(run)"
 * case is the recap's "stopped:" line, not a target).
 */
static void
apply_summary(const struct report *r, const char *path)
{
	size_t	i, j, n[4] = { 0, 0, 0, 0 };

	/* Only targets: not "(run)" nor a group's "(not started)". */
	for (i = 0; i < r->nsuites; i++) {
		if (*r->suites[i].name == '(')
			continue;
		for (j = 0; j < r->suites[i].ncases; j++)
			if (*r->suites[i].cases[j].name != '(')
				n[r->suites[i].cases[j].outcome]++;
	}
	fputs(msg_counts(n, 0, MSG_COUNTS_PLAIN), stdout);
	if (path != NULL)
		printf("; report %s", path);
	putchar('\n');
}

/* 1. Validate offline: nothing is sent for an invalid manifest. */
static int
apply_validate(struct apply *ap)
{
	char	*cause = NULL;
	int	 rc = APPLY_GO;

	ap->d = diags_new();
	ap->m = options_load(ap->path, NULL, !ap->resume, ap->d, &ap->now,
	    &cause);
	if (ap->m != NULL && ap->plan_path != NULL) {
		/* An approved plan is checked first: "stale" says why. */
		ap->p = plan_build(ap->m, ap->now);
		if (plan_verify(ap->p, ap->plan_path, ap->resume ?
		    RULES_NO_DEADLINES : ap->now, &ap->approved,
		    &cause) != 0) {
			msg_error("%s", cause);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	diags_print(ap->d, stderr, msg_color());
	if (ap->m == NULL || diags_count(ap->d, DIAG_ERROR) > 0) {
		fprintf(stderr, "%s: invalid manifest: nothing was sent\n",
		    ap->path);
		rc = EXIT_USAGE;
		goto out;
	}
	if (ap->p == NULL)
		ap->p = plan_build(ap->m, ap->now);
out:
	free(cause);
	return (rc);
}

/* An argument as the shell reads it back: quoted when it must be. */
static void
apply_shell_word(struct buf *b, const char *s)
{
	const char	*p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789_./:@%+=,-") == strlen(s)) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '\'');
}

/*
 * What a resume command needs to find this run again, after
 * "ensbatch apply --resume": the journal, the report, the plan, the
 * account and endpoint given on the command line, the manifest.
 * Caller frees.
 */
static char *
apply_resume_args(const struct apply *ap)
{
	const char	*opt[] = { "--journal", "--report", "--plan",
	    "--endpoint", "--profile", "--signature", "--cacert" };
	const char	*val[] = { ap->jpath, ap->report_path, ap->plan_path,
	    ap->o.endpoint, ap->o.profile, ap->o.signature, ap->o.cacert };
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		if (val[i] == NULL)
			continue;
		buf_addf(&b, "%s ", opt[i]);
		apply_shell_word(&b, val[i]);
		buf_addc(&b, ' ');
	}
	apply_shell_word(&b, ap->path);
	return (buf_detach(&b));
}

/* 2. The journal: read now with --resume, else it must not exist. */
static int
apply_journal_check(struct apply *ap)
{
	char	*cause = NULL;

	ap->jpath = ap->journal_arg != NULL ? xstrdup(ap->journal_arg) :
	    options_journal_path(ap->report_path, ap->m->name.text);
	ap->resume_args = apply_resume_args(ap);
	options_inputs_sha256(ap->m, ap->inputs);
	if (ap->resume) {
		/* A wrong journal must stop us before the API. */
		if ((ap->journal = journal_resume(ap->jpath, ap->inputs,
		    &cause)) == NULL) {
			msg_error("%s", cause);
			free(cause);
			return (EXIT_USAGE);
		}
	} else if (access(ap->jpath, F_OK) == 0) {
		msg_error("the journal %s already exists: an earlier run "
		    "wrote it; finish that run with --resume, or move the "
		    "file away", ap->jpath);
		return (EXIT_USAGE);
	}
	return (APPLY_GO);
}

/*
 * Whether a file can be written at path: it is not a directory, and its
 * directory exists and is writable (files are written beside their
 * place and renamed, or appended to).  0, or -1 with *cause.
 */
TESTABLE int
apply_writable(const char *path, char **cause)
{
	struct stat	 sb;
	const char	*slash;
	char		*dir;
	int		 rc = 0;

	*cause = NULL;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("%s is a directory", path);
		return (-1);
	}
	if ((slash = strrchr(path, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("the directory %s does not exist", dir);
		rc = -1;
	} else if (access(dir, W_OK | X_OK) != 0) {
		*cause = xasprintf("the directory %s is not writable", dir);
		rc = -1;
	}
	free(dir);
	return (rc);
}

/*
 * 3. What the run will write must be writable, found now: before the
 * question and before any API call (exit 3, nothing sent).
 */
static int
apply_paths_check(struct apply *ap)
{
	char	*cause = NULL;

	if (ap->report_path != NULL &&
	    apply_writable(ap->report_path, &cause) != 0) {
		msg_error("cannot write the report %s: %s: nothing was sent",
		    ap->report_path, cause);
		free(cause);
		return (EXIT_ENV);
	}
	if (ap->resume && access(ap->jpath, W_OK) != 0)
		cause = xasprintf("%s", strerror(errno));
	if (cause != NULL || apply_writable(ap->jpath, &cause) != 0) {
		msg_error("cannot write the journal %s: %s: nothing was sent",
		    ap->jpath, cause);
		free(cause);
		return (EXIT_ENV);
	}
	return (APPLY_GO);
}

/* 4. Credentials and endpoint. */
static int
apply_connect(struct apply *ap)
{
	char	*cause = NULL;

	ap->o.stop = &apply_stop;
	ap->o.parallel = ap->parallel;
	if ((ap->ens = options_connect(&ap->o, ap->m, &ap->creds,
	    &cause)) == NULL) {
		msg_error("%s", cause);
		free(cause);
		return (EXIT_ENV);
	}
	/* One apply per manifest and account, whatever its journal. */
	if ((ap->lock = journal_lock_run(ap->m->name.text,
	    ap->creds.access_key_id, ap->jpath, &cause)) == -1) {
		msg_error("%s: nothing was sent", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	return (APPLY_GO);
}

/*
 * 4b. An approved plan is for one account: the endpoint and access key
 * id it pins must be this run's (before any call; exit 2).
 */
static int
apply_plan_account(struct apply *ap)
{
	struct plan_account	 run;
	char			*cause = NULL;
	int			 pinned, rc = APPLY_GO;

	if (ap->plan_path == NULL)
		return (APPLY_GO);
	plan_account_set(&run, ens_client_url(ap->ens), PLAN_KEY_PINNED,
	    ap->creds.access_key_id);
	if (plan_check_account(&ap->approved, &run, &pinned, &cause) != 0) {
		msg_error("%s: nothing was sent", cause);
		rc = EXIT_USAGE;
	} else if (!pinned)
		msg_info("the approved plan pins the endpoint only, not the "
		    "access key: the account is not checked");
	free(cause);
	plan_account_clear(&run);
	return (rc);
}

/*
 * What the preflight found, without a flood: a few of each kind (all
 * with -v; the report has every target), then one line per kind.
 */
static void
apply_preflight_findings(struct apply *ap)
{
	size_t	n;

	if (ap->o.verbose)
		diags_print(ap->d, stderr, msg_color());
	else
		diags_print_brief(ap->d, stderr, msg_color(),
		    APPLY_FINDINGS_SHOWN);
	if ((n = diags_count_rule(ap->d, "event-status")) > 0)
		msg_info("%zu event%s already final: skipped, not sent", n,
		    n == 1 ? "" : "s");
	if ((n = diags_count_rule(ap->d, "event-missing")) > 0)
		msg_info("%zu event%s not found: is this the right account "
		    "and endpoint?", n, n == 1 ? "" : "s");
}

/* 5. Preflight: the events as the API sees them. */
static int
apply_preflight(struct apply *ap)
{
	if (!ap->preflight)
		return (APPLY_GO);
	diags_clear(ap->d);
	if ((ap->pf = preflight_run(ap->p, ap->ens, ap->d,
	    &ap->reply)) == NULL)
		return (msg_api_failure(&ap->reply, "preflight failed"));
	apply_preflight_findings(ap);
	if (ap->pf->errors > 0) {
		fprintf(stderr, "%s: preflight found %zu problem%s: nothing "
		    "was sent\n", ap->path, ap->pf->errors,
		    ap->pf->errors == 1 ? "" : "s");
		return (EXIT_ENV);
	}
	return (APPLY_GO);
}

/* 6. Confirmation, unless --yes. */
static int
apply_confirm(struct apply *ap)
{
	if (ap->yes || apply_ask(ap))
		return (APPLY_GO);
	return (EXIT_USAGE);
}

/* 7. Create the journal (--resume appends to the one it read). */
static int
apply_journal_open(struct apply *ap)
{
	char	*cause = NULL;

	if (ap->journal == NULL && (ap->journal = journal_create(ap->jpath,
	    ap->inputs, ap->m->name.text, &cause)) == NULL) {
		msg_error("%s", cause);
		free(cause);
		return (EXIT_ENV);
	}
	return (APPLY_GO);
}

/* 8. Run, with every call in the journal: the one runner call. */
static int
apply_run(struct apply *ap)
{
	struct runner_opts	ro;
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = apply_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);	/* a dropped SSH session */
	memset(&ro, 0, sizeof(ro));
	ro.parallel = ap->parallel;
	ro.journal = ap->journal;
	ro.resume = ap->resume;
	ro.quiet = ap->o.quiet;
	ro.live = msg_live_on();
	ro.endpoint = ens_client_url(ap->ens);
	ro.stop = &apply_stop;
	ro.wait = ap->wait;
	ro.reconcile_ms = ap->reconcile_ms;
	ro.adopt = ap->adopt;
	ro.resume_args = ap->resume_args;
	return (runner_run(ap->p, ap->pf, ap->ens, &ro, &ap->rep));
}

/* 9. The report and the summary; rc is the run's exit code. */
static int
apply_report(struct apply *ap, int rc)
{
	char	*cause = NULL, key[32];

	if (ap->rep != NULL && ap->creds.access_key_id != NULL) {
		creds_mask_key(ap->creds.access_key_id, key, sizeof(key));
		report_run_property(ap->rep, "access_key_id", key);
	}
	if (ap->report_path != NULL && report_write(ap->rep,
	    ap->report_path, &cause) != 0) {
		msg_error("%s", cause);
		free(cause);
		if (rc == EXIT_OK)
			rc = EXIT_FAILED;
	}
	if (!ap->o.quiet)
		apply_summary(ap->rep, ap->report_path);
	if (rc == EXIT_INTERRUPTED)
		msg_info("interrupted; resume with: ensbatch apply --resume%s "
		    "%s", ap->adopt ? " --adopt-status" : "", ap->resume_args);
	return (rc);
}

static void
apply_free(struct apply *ap)
{
	journal_unlock_run(ap->lock);
	journal_free(ap->journal);
	free(ap->jpath);
	free(ap->resume_args);
	ens_reply_clear(&ap->reply);
	report_free(ap->rep);
	preflight_free(ap->pf);
	ens_client_free(ap->ens);
	creds_free(&ap->creds);
	plan_account_clear(&ap->approved);
	plan_free(ap->p);
	manifest_free(ap->m);
	diags_free(ap->d);
}

static int
cmd_apply_exec(struct cmd_args *a)
{
	struct apply	 ap;
	char		*cause = NULL;
	int		 rc;

	memset(&ap, 0, sizeof(ap));
	ap.o = a->o;
	ap.path = a->argv[0];
	ap.report_path = cmd_value(a, OPT_REPORT);
	ap.plan_path = cmd_value(a, OPT_PLAN);
	ap.journal_arg = cmd_value(a, OPT_JOURNAL);
	ap.parallel = (size_t)cmd_number(a, OPT_PARALLEL, 4);
	ap.yes = cmd_has(a, OPT_YES);
	ap.preflight = !cmd_has(a, OPT_NO_PREFLIGHT);
	ap.resume = cmd_has(a, OPT_RESUME);
	ap.wait = cmd_has(a, OPT_WAIT);
	ap.adopt = cmd_has(a, OPT_ADOPT_STATUS);
	ap.lock = -1;
	if (cmd_has(a, OPT_RECONCILE_WINDOW) && (timefmt_duration(cmd_value(a,
	    OPT_RECONCILE_WINDOW), &ap.reconcile_ms, &cause) != 0 ||
	    ap.reconcile_ms <= 0)) {
		msg_error("--reconcile-window: %s", cause != NULL ? cause :
		    "must be more than zero");
		free(cause);
		return (EXIT_USAGE);
	}

	if (ap.adopt && (!ap.resume || !ap.preflight)) {
		msg_error("--adopt-status %s", !ap.resume ? "settles what an "
		    "earlier run left in doubt: it needs --resume" : "judges "
		    "the events as the preflight reads them now: it cannot go "
		    "with --no-preflight");
		return (EXIT_USAGE);
	}
	if (!ap.yes && !isatty(STDIN_FILENO)) {
		msg_error("no terminal to confirm on: pass --yes to reboot "
		    "without asking");
		return (EXIT_USAGE);
	}
	if ((rc = apply_validate(&ap)) == APPLY_GO &&
	    (rc = apply_journal_check(&ap)) == APPLY_GO &&
	    (rc = apply_paths_check(&ap)) == APPLY_GO &&
	    (rc = apply_connect(&ap)) == APPLY_GO &&
	    (rc = apply_plan_account(&ap)) == APPLY_GO &&
	    (rc = apply_preflight(&ap)) == APPLY_GO &&
	    (rc = apply_confirm(&ap)) == APPLY_GO &&
	    (rc = apply_journal_open(&ap)) == APPLY_GO)
		rc = apply_report(&ap, apply_run(&ap));
	apply_free(&ap);
	return (rc);
}
