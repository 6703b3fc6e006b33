/*
 * probe: health checks run by a real /bin/sh, driven the way the runner
 * drives them (poll() on the output, probe_poll() at probe_next()), with
 * bounded waits only.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlstring.h>

#include "ensbatch/buf.h"
#include "ensbatch/probe.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])
#define LIMIT_MS	15000	/* no test waits longer for anything */

static const struct probe_env probe_test_env = {
	"i-1", "e-1", "wave-1", "/x/m.yaml", "CHG-1", 3
};

/* ---------------------------------------------------------- helpers */

static void
setup(void)
{
	fixture_dir_setup();
#ifdef PR_SET_CHILD_SUBREAPER
	/* What a check leaves behind comes to us, so we can wait for it. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
#endif
}

static void
teardown(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
#endif
	fixture_dir_teardown();
}

static struct probe *
start(const char *command, int64_t timeout_ms, int64_t interval_ms,
    int64_t attempt_ms, int64_t grace_ms)
{
	struct probe_spec	 spec;
	struct probe		*p;
	char			*cause;

	memset(&spec, 0, sizeof spec);
	spec.command = command;
	spec.timeout_ms = timeout_ms;
	spec.interval_ms = interval_ms;
	spec.attempt_ms = attempt_ms;
	spec.grace_ms = grace_ms;
	p = probe_start(&spec, &probe_test_env, &cause);
	ck_assert_msg(p != NULL, "probe_start: %s", cause);
	ck_assert_ptr_null(cause);
	return (p);
}

/*
 * Drive p like the runner until it ends, until ready(arg) holds, or
 * LIMIT_MS; with use_fd, poll() on its output too.  Returns the state.
 */
static enum probe_state
drive(struct probe *p, int use_fd, int (*ready)(void *), void *arg)
{
	struct pollfd		pfd;
	enum probe_state	st;
	int64_t			now, end, wait;

	end = timefmt_mono() + LIMIT_MS;
	for (;;) {
		now = timefmt_mono();
		st = probe_poll(p, now);
		if (st != PROBE_RUNNING || now >= end ||
		    (ready != NULL && ready(arg)))
			break;
		wait = probe_next(p) - now;
		if (wait > end - now)
			wait = end - now;
		if (wait > 50 && ready != NULL)
			wait = 50;
		if (wait < 0)
			wait = 0;
		pfd.fd = use_fd ? probe_fd(p) : -1;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, (int)wait);
	}
	return (st);
}

static enum probe_state
run(struct probe *p)
{
	return (drive(p, 1, NULL, NULL));
}

/* A pid written by the check into fixture_dir/name, or -1. */
static pid_t
read_pid(const char *name)
{
	char	*path, line[32];
	FILE	*f;
	long	 v = -1;

	path = xasprintf("%s/%s", fixture_dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof line, f) != NULL &&
		    strchr(line, '\n') != NULL)
			v = strtol(line, NULL, 10);
		fclose(f);
	}
	free(path);
	return ((pid_t)v);
}

/* Whether the check wrote both pid files. */
static int
pids_ready(void *arg)
{
	(void)arg;
	return (read_pid("bg") > 0 && read_pid("sh") > 0);
}

/*
 * Whether pid is gone within LIMIT_MS: not running, not a zombie.
 * An orphan of the check is ours to reap (we are a subreaper).
 */
static int
gone(pid_t pid)
{
	struct timespec	ts = { 0, 5 * 1000000L };
	int64_t		end;
	int		status;

	end = timefmt_mono() + LIMIT_MS;
	while (timefmt_mono() < end) {
		(void)waitpid(pid, &status, WNOHANG);
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return (1);
		nanosleep(&ts, NULL);
	}
	return (0);
}

/* Whether the probe arg is between attempts. */
static int
attempt_over(void *arg)
{
	return (probe_pid(arg) == -1);
}

static int
starts_with(const char *s, const char *prefix)
{
	return (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0);
}

/* out is at most PROBE_OUTPUT_MAX bytes and ends with tail. */
static void
assert_tail(const char *out, const char *tail)
{
	size_t	len = strlen(out);

	ck_assert_uint_le(len, PROBE_OUTPUT_MAX);
	ck_assert_uint_ge(len, strlen(tail));
	ck_assert_str_eq(out + len - strlen(tail), tail);
}

/* Output fit for a report: UTF-8, no controls but newline and tab. */
static void
assert_clean(const char *s)
{
	const unsigned char	*u;

	ck_assert_msg(xmlCheckUTF8((const xmlChar *)s), "not UTF-8");
	for (u = (const unsigned char *)s; *u != '\0'; u++)
		ck_assert_msg(*u == '\n' || *u == '\t' ||
		    (*u >= 0x20 && *u != 0x7f), "control 0x%02x", *u);
}

/* ---------------------------------------------------------- sanitize */

static const struct {
	const char	*in;
	size_t		 len;		/* 0 = strlen */
	const char	*out;
} sanitize_cases[] = {
	{ "plain text", 0, "plain text" },
	{ "a\tb\nc", 0, "a\tb\nc" },
	{ "a\r\nb", 0, "a\nb" },
	{ "\x01\x02\x7f" "x\b", 0, "x" },
	{ "nul\0byte", 8, "nulbyte" },
	{ "\x1b[31mred\x1b[0m", 0, "red" },
	{ "\x1b[1;2;3Hgo", 0, "go" },
	{ "\x1b[", 0, "" },
	{ "\x1b]0;title\x07" "after", 0, "after" },
	{ "\x1b]0;title\x1b\\after", 0, "after" },
	{ "\x1b]0;unterminated\nnext", 0, "\nnext" },
	{ "\x1b(Bx", 0, "x" },
	{ "\x1b" "7x", 0, "x" },
	{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },
	{ "\xe2\x82\xac\xf0\x9f\x98\x80", 0, "\xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "\xff\xfe", 0, "??" },
	{ "\xc3", 0, "?" },
	{ "\xc3x", 0, "?x" },
	{ "\xc0\xaf", 0, "??" },		/* overlong '/' */
	{ "\xe0\x80\xaf", 0, "???" },		/* overlong */
	{ "\xed\xa0\x80", 0, "???" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 0, "????" },	/* past U+10FFFF */
	{ "\xef\xbf\xbe\xef\xbf\xbf", 0, "??" },	/* not in XML */
	{ "\xc2\x9b" "1m", 0, "1m" },		/* C1 CSI */
	{ "\xc2\xa0", 0, "\xc2\xa0" },		/* first after C1 */
	{ "\x9b", 0, "?" },
};

START_TEST(test_sanitize)
{
	struct buf	b;
	size_t		len;

	len = sanitize_cases[_i].len != 0 ? sanitize_cases[_i].len :
	    strlen(sanitize_cases[_i].in);
	buf_init(&b);
	probe_sanitize(sanitize_cases[_i].in, len, &b);
	ck_assert_str_eq(b.data, sanitize_cases[_i].out);
	buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------- env_keep */

static const struct {
	const char	*entry;
	int		 keep;
} env_cases[] = {
	{ "PATH=/usr/bin", 1 },
	{ "HOME=/root", 1 },
	{ "ALIBABA_CLOUD_ACCESS_KEY_ID=x", 0 },
	{ "ALIBABA_CLOUD_ACCESS_KEY_SECRET=x", 0 },
	{ "ALIBABA_CLOUD_SECURITY_TOKEN=x", 0 },
	{ "ALIBABA_CLOUD_PROFILE=x", 0 },
	{ "ALIBABA_CLOUD_CREDENTIALS_FILE=x", 0 },
	{ "alibaba_cloud_access_key_id=x", 0 },
	{ "ALIBABACLOUD_ACCESS_KEY_ID=x", 0 },
	{ "ALICLOUD_ACCESS_KEY=x", 0 },
	{ "ALICLOUD_SECRET_KEY=x", 0 },
	{ "ALIYUN_ACCESS_KEY_ID=x", 0 },
	{ "ALIBABA=x", 1 },
	{ "MY_ALIBABA_CLOUD_NOTE=x", 1 },
	{ "ENSBATCH_RESOURCE=stale", 0 },
	{ "ENSBATCH_BATCH=9", 0 },
	{ "ENSBATCH_ATTEMPT=9", 0 },
	{ "ENSBATCH_TICKET", 0 },
	{ "ENSBATCH_RESOURCES=x", 1 },
	{ "ENSBATCH_OTHER=x", 1 },
};

START_TEST(test_env_keep)
{
	ck_assert_int_eq(probe_env_keep(env_cases[_i].entry),
	    env_cases[_i].keep);
}
END_TEST

/* The check sees our variables, the rest of ours, no credentials. */
START_TEST(test_env)
{
	struct probe	*p;

	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKIDVALUE", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRETVALUE", 1);
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "TOKENVALUE", 1);
	setenv("ALICLOUD_ACCESS_KEY", "TFVALUE", 1);
	setenv("ENSBATCH_RESOURCE", "stale", 1);
	setenv("KEEP_ME", "keep", 1);
	p = start("printf 'r=%s e=%s g=%s b=%s m=%s t=%s a=%s k=%s\\n' "
	    "\"$ENSBATCH_RESOURCE\" \"$ENSBATCH_EVENT\" \"$ENSBATCH_GROUP\" "
	    "\"$ENSBATCH_BATCH\" \"$ENSBATCH_MANIFEST\" \"$ENSBATCH_TICKET\" "
	    "\"$ENSBATCH_ATTEMPT\" \"$KEEP_ME\"; "
	    "echo leaks=$(env | grep -c VALUE); "
	    "echo resource=$(env | grep -c '^ENSBATCH_RESOURCE=')",
	    2000, 100, 0, 0);
	/* Later changes to our environment do not matter. */
	setenv("KEEP_ME", "changed", 1);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p),
	    "r=i-1 e=e-1 g=wave-1 b=3 m=/x/m.yaml t=CHG-1 a=1 k=keep\n"
	    "leaks=0\nresource=1\n");
	ck_assert_ptr_null(probe_reason(p));
	ck_assert_int_eq(probe_attempts(p), 1);
	/* The parent's environment is untouched. */
	ck_assert_str_eq(getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), "AKIDVALUE");
	probe_free(p);
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
	unsetenv("ALICLOUD_ACCESS_KEY");
	unsetenv("ENSBATCH_RESOURCE");
	unsetenv("KEEP_ME");
}
END_TEST

/* A NULL string is an empty variable, still set. */
START_TEST(test_env_null)
{
	struct probe_spec	 spec;
	struct probe_env	 env;
	struct probe		*p;
	char			*cause;

	memset(&spec, 0, sizeof spec);
	memset(&env, 0, sizeof env);
	env.batch = 1;
	spec.command = "echo \"[${ENSBATCH_TICKET-unset}]$ENSBATCH_BATCH\"";
	spec.timeout_ms = 2000;
	p = probe_start(&spec, &env, &cause);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "[]1\n");
	probe_free(p);
}
END_TEST

/* ---------------------------------------------------------- process */

/* stdin is /dev/null whatever ours is. */
START_TEST(test_stdin)
{
	struct probe	*p;
	int		 fds[2], saved;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(0);
	ck_assert_int_ne(dup2(fds[0], 0), -1);
	p = start("if [ \"$(readlink /proc/$$/fd/0)\" = /dev/null ]; then "
	    "read x; echo rc=$?; else echo not null; fi", 2000, 100, 0, 0);
	dup2(saved, 0);
	close(saved);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "rc=1\n");
	probe_free(p);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* Both stdout and stderr are captured, in order. */
START_TEST(test_stderr)
{
	struct probe	*p;

	p = start("echo out; echo err >&2; echo out2", 2000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "out\nerr\nout2\n");
	probe_free(p);
}
END_TEST

/* Descriptors of ours, even without close-on-exec, do not leak in. */
START_TEST(test_fds_closed)
{
	struct probe	*p;
	int		 fd;

	fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(dup2(fd, 9), 9);
	ck_assert_int_eq(dup2(fd, 200), 200);
	p = start("for f in 9 200; do [ -e /proc/$$/fd/$f ] && "
	    "echo leaked $f; done; exit 0", 2000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "");
	probe_free(p);
	close(200);
	close(9);
	close(fd);
}
END_TEST

/* Its own process group and session: pgid = sid = its pid. */
START_TEST(test_own_group)
{
	struct probe	*p;

	p = start("read -r pid comm st ppid pgrp sess rest < /proc/$$/stat; "
	    "[ \"$pgrp\" = $$ ] && [ \"$sess\" = $$ ] && echo own",
	    2000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "own\n");
	probe_free(p);
}
END_TEST

static volatile sig_atomic_t	probe_test_sigs;

static void
probe_test_handler(int sig)
{
	(void)sig;
	probe_test_sigs++;
}

/*
 * In a process of its own (that becomes a process group leader, as the
 * program is on a terminal): start a check, send SIGINT to our process
 * group as ^C does, and see that the check goes on.  Returns the exit
 * status: 0, or the step that went wrong.
 */
static int
sigint_scenario(void)
{
	struct probe_spec	 spec;
	struct sigaction	 sa;
	struct probe		*p;
	char			*cause;
	int			 rc;

	if (setpgid(0, 0) != 0 || getpgrp() != getpid())
		return (10);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = probe_test_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	memset(&spec, 0, sizeof spec);
	spec.command = "cd \"$D\"; echo $$ > sh; echo 1 > bg; sleep 0.3; "
	    "echo survived";
	spec.timeout_ms = 5000;
	if ((p = probe_start(&spec, &probe_test_env, &cause)) == NULL)
		return (11);
	if (drive(p, 1, pids_ready, NULL) != PROBE_RUNNING)
		rc = 12;
	else if (kill(0, SIGINT) != 0)
		rc = 13;
	else if (run(p) != PROBE_PASSED)
		rc = 14;
	else if (probe_test_sigs < 1)
		rc = 15;
	else
		rc = strcmp(probe_output(p), "survived\n") == 0 ? 0 : 16;
	probe_free(p);
	return (rc);
}

/*
 * ^C reaches our process group, not the check's: the runner decides
 * (probe_free) what happens to it.  Forked, to leave our own process
 * group alone under CK_FORK=no too.
 */
START_TEST(test_sigint_not_forwarded)
{
	pid_t	pid;
	int	status;

	setenv("D", fixture_dir, 1);
	if ((pid = fork()) == 0)
		_exit(sigint_scenario());
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Signals we ignore are not ignored by the check. */
START_TEST(test_signals_default)
{
	struct probe	*p;
	void		(*pipe_was)(int), (*term_was)(int);

	pipe_was = signal(SIGPIPE, SIG_IGN);
	term_was = signal(SIGTERM, SIG_IGN);
	p = start("yes | head -n 1", 2000, 100, 0, 0);
	signal(SIGPIPE, pipe_was);
	signal(SIGTERM, term_was);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "y\n");
	probe_free(p);
}
END_TEST

/* No SIGCHLD handler installed; other children of ours are not reaped. */
START_TEST(test_sigchld_alone)
{
	struct sigaction	 before, after;
	struct probe		*p;
	pid_t			 mine, w;
	int			 status;

	sigaction(SIGCHLD, NULL, &before);
	if ((mine = fork()) == 0)
		_exit(7);
	ck_assert_int_ne(mine, -1);
	p = start("sleep 0.1", 2000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	probe_free(p);
	sigaction(SIGCHLD, NULL, &after);
	ck_assert(before.sa_handler == after.sa_handler);
	ck_assert(after.sa_handler == SIG_DFL);
	w = waitpid(mine, &status, 0);
	ck_assert_int_eq(w, mine);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}
END_TEST

/* Signals arriving all the time (no SA_RESTART) change nothing. */
START_TEST(test_eintr)
{
	struct sigaction	 sa, was;
	struct itimerval	 it;
	struct probe		*p;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = probe_test_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &was);
	memset(&it, 0, sizeof it);
	it.it_interval.tv_usec = 1000;
	it.it_value.tv_usec = 1000;
	probe_test_sigs = 0;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	p = start("echo a; sleep 0.2; echo b; [ $ENSBATCH_ATTEMPT -ge 2 ]",
	    5000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_str_eq(probe_output(p), "a\nb\n--- attempt 2 ---\na\nb\n");
	probe_free(p);
	p = start("sleep 100", 5000, 100, 0, 0);
	probe_free(p);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, &was, NULL);
	ck_assert_int_gt(probe_test_sigs, 10);
}
END_TEST

/* ---------------------------------------------------------- outcomes */

START_TEST(test_pass)
{
	struct probe	*p;
	int64_t		 t0;

	t0 = timefmt_mono();
	p = start("exit 0", 2000, 1000, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_int_eq(probe_attempts(p), 1);
	ck_assert_ptr_null(probe_reason(p));
	ck_assert_int_eq(probe_fd(p), -1);
	ck_assert(probe_next(p) == INT64_MAX);
	/* Polling more changes nothing. */
	ck_assert_int_eq(probe_poll(p, timefmt_mono()), PROBE_PASSED);
	ck_assert_int_lt(timefmt_mono() - t0, 5000);
	probe_free(p);
}
END_TEST

/* Retried every interval until it passes. */
START_TEST(test_retry_until_pass)
{
	struct probe	*p;
	int64_t		 t0;

	t0 = timefmt_mono();
	p = start("echo try $ENSBATCH_ATTEMPT; [ $ENSBATCH_ATTEMPT -ge 3 ]",
	    5000, 150, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_int_eq(probe_attempts(p), 3);
	ck_assert_int_ge(timefmt_mono() - t0, 300);
	ck_assert_str_eq(probe_output(p), "try 1\n--- attempt 2 ---\ntry 2\n"
	    "--- attempt 3 ---\ntry 3\n");
	ck_assert_ptr_null(probe_reason(p));
	probe_free(p);
}
END_TEST

/* Failing until the timeout: the last exit status and line. */
START_TEST(test_fail_timeout)
{
	struct probe	*p;
	int64_t		 t0, took;

	/*
	 * Attempts at 0 and 1.2 s, none after the 2 s timeout: the last
	 * one has ended well before it, even under valgrind (where an
	 * attempt still running at the timeout would be killed).
	 */
	t0 = timefmt_mono();
	p = start("echo not yet; echo really not >&2; exit 3", 2000, 1200,
	    0, 0);
	ck_assert_int_eq(run(p), PROBE_FAILED);
	took = timefmt_mono() - t0;
	ck_assert_int_eq(probe_attempts(p), 2);
	ck_assert_int_lt(took, 2000 + 3000);
	ck_assert_str_eq(probe_reason(p), "exit 3: really not");
	ck_assert_ptr_nonnull(strstr(probe_output(p), "not yet\n"));
	ck_assert(probe_next(p) == INT64_MAX);
	probe_free(p);
}
END_TEST

/*
 * A command that does not exist fails with the shell's message.  One
 * attempt (the next would come after the deadline), with time to spare:
 * a slow start (a sanitizer build on a busy machine) must not turn the
 * shell's answer into a timeout.
 */
START_TEST(test_not_found)
{
	struct probe	*p;

	p = start("nosuch-check-xyz --now", 10000, 20000, 0, 0);
	ck_assert_int_eq(run(p), PROBE_FAILED);
	ck_assert(starts_with(probe_reason(p), "exit 127: "));
	ck_assert_ptr_nonnull(strstr(probe_reason(p), "nosuch-check-xyz"));
	ck_assert_ptr_nonnull(strstr(probe_reason(p), "not found"));
	ck_assert_ptr_nonnull(strstr(probe_output(p), "nosuch-check-xyz"));
	probe_free(p);
}
END_TEST

/* Whether the probe arg's last attempt could not start. */
static int
start_failed(void *arg)
{
	return (starts_with(probe_reason(arg), "cannot start check: "));
}

/* An attempt that cannot start (no descriptors left) is tried again. */
START_TEST(test_start_retried)
{
	struct rlimit	 was, low;
	struct probe	*p;
	char		*path;
	int		 fd;

	setenv("D", fixture_dir, 1);
	path = xasprintf("%s/ok", fixture_dir);
	p = start("[ -e \"$D/ok\" ]", 10000, 50, 0, 0);
	ck_assert_int_eq(drive(p, 1, attempt_over, p), PROBE_RUNNING);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	ck_assert_int_ne(fd = open("/dev/null", O_RDONLY), -1);
	close(fd);
	low = was;
	low.rlim_cur = (rlim_t)fd;	/* no descriptor free any more */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	(void)drive(p, 1, start_failed, p);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	ck_assert_int_eq(probe_state(p), PROBE_RUNNING);
	ck_assert_msg(start_failed(p), "%s", probe_reason(p));
	ck_assert_int_eq(probe_attempts(p), 1);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_int_eq(probe_attempts(p), 2);
	probe_free(p);
	free(path);
}
END_TEST

/* Killed by a signal it did not get from us. */
START_TEST(test_signalled)
{
	struct probe	*p;

	p = start("kill -9 $$", 300, 500, 0, 0);
	ck_assert_int_eq(run(p), PROBE_FAILED);
	ck_assert_str_eq(probe_reason(p), "killed by signal 9");
	ck_assert_int_eq(probe_attempts(p), 1);
	probe_free(p);
}
END_TEST

/*
 * A check that hangs, with a child of its own, is killed with its
 * whole process group at the timeout: SIGTERM reaches the child too.
 */
START_TEST(test_hang_killed)
{
	struct probe	*p;
	pid_t		 bg, sh;
	int64_t		 t0;
	char		*path;

	setenv("D", fixture_dir, 1);
	t0 = timefmt_mono();
	p = start("cd \"$D\"; (trap 'echo term > bgterm; exit 0' TERM; "
	    "sleep 100 & echo $! > bg; wait) & "
	    "trap '' TERM; echo $$ > sh; echo waiting; wait", 500, 100, 0, 0);
	ck_assert_int_eq(drive(p, 1, pids_ready, NULL), PROBE_RUNNING);
	bg = read_pid("bg");
	sh = read_pid("sh");
	ck_assert_int_gt(bg, 0);
	ck_assert_int_eq(sh, probe_pid(p));
	ck_assert_int_eq(run(p), PROBE_FAILED);
	ck_assert_int_ge(timefmt_mono() - t0, 500);
	ck_assert_str_eq(probe_reason(p),
	    "killed after 500ms timeout: waiting");
	ck_assert_int_eq(probe_attempts(p), 1);
	ck_assert_int_eq(kill(sh, 0), -1);
	ck_assert(gone(bg));
	path = xasprintf("%s/bgterm", fixture_dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	free(path);
	probe_free(p);
}
END_TEST

/* One that ignores SIGTERM gets SIGKILL after the grace. */
START_TEST(test_hang_sigkill)
{
	struct probe	*p;
	pid_t		 bg;
	int64_t		 t0;

	setenv("D", fixture_dir, 1);
	t0 = timefmt_mono();
	p = start("cd \"$D\"; trap '' TERM; sleep 100 & echo $! > bg; "
	    "echo $$ > sh; wait; wait; wait", 300, 100, 0, 300);
	ck_assert_int_eq(drive(p, 1, pids_ready, NULL), PROBE_RUNNING);
	bg = read_pid("bg");
	ck_assert_int_eq(run(p), PROBE_FAILED);
	ck_assert_int_ge(timefmt_mono() - t0, 600);
	ck_assert(starts_with(probe_reason(p), "killed after 300ms timeout"));
	ck_assert(gone(bg));
	probe_free(p);
}
END_TEST

/* Each attempt has its own limit; the probe goes on after one is cut. */
START_TEST(test_attempt_limit)
{
	struct probe	*p;

	p = start("echo $ENSBATCH_ATTEMPT; [ $ENSBATCH_ATTEMPT -ge 2 ] || "
	    "exec sleep 100", 5000, 50, 200, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	ck_assert_int_eq(probe_attempts(p), 2);
	ck_assert_str_eq(probe_output(p), "1\n--- attempt 2 ---\n2\n");
	probe_free(p);
}
END_TEST

/* Freeing a running probe kills its group and leaves no zombie. */
START_TEST(test_free_running)
{
	struct probe	*p;
	pid_t		 bg, sh;
	int64_t		 t0;

	setenv("D", fixture_dir, 1);
	p = start("cd \"$D\"; trap '' TERM; sleep 100 & echo $! > bg; "
	    "echo $$ > sh; wait; wait", 60000, 100, 0, 300);
	ck_assert_int_eq(drive(p, 1, pids_ready, NULL), PROBE_RUNNING);
	bg = read_pid("bg");
	sh = read_pid("sh");
	t0 = timefmt_mono();
	probe_free(p);
	ck_assert_int_ge(timefmt_mono() - t0, 300);
	ck_assert_int_lt(timefmt_mono() - t0, 3000);
	/* Reaped: not even a zombie is left. */
	ck_assert_int_eq(kill(sh, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(gone(bg));
	probe_free(NULL);
}
END_TEST

/* Freeing right after the start, before the child even ran. */
START_TEST(test_free_at_once)
{
	struct probe	*p;
	pid_t		 sh;
	int		 i;

	for (i = 0; i < 20; i++) {
		p = start("sleep 100", 60000, 100, 0, 0);
		sh = (pid_t)probe_pid(p);
		ck_assert_int_gt(sh, 0);
		probe_free(p);
		ck_assert_int_eq(kill(sh, 0), -1);
	}
}
END_TEST

/* Whether the first three cancel checks set their trap. */
static int
traps_ready(void *arg)
{
	char	*path;
	int	 i, ok = 1;

	(void)arg;
	for (i = 0; i < 3; i++) {
		path = xasprintf("%s/r%d", fixture_dir, i);
		ok = ok && access(path, F_OK) == 0;
		free(path);
	}
	return (ok);
}

/*
 * Cancel several at once, then free them: one grace period for all,
 * reason "cancelled".
 */
START_TEST(test_cancel)
{
	struct probe	*p[4];
	char		*cmd;
	int64_t		 t0, took;
	size_t		 i;

	setenv("D", fixture_dir, 1);
	for (i = 0; i < 3; i++) {
		cmd = xasprintf("trap '' TERM; : > \"$D/r%zu\"; sleep 100; "
		    "sleep 100", i);
		p[i] = start(cmd, 60000, 100, 0, 1000);
		free(cmd);
	}
	/* A probe between attempts is cancelled at once. */
	p[3] = start("exit 1", 60000, 30000, 0, 0);
	ck_assert_int_eq(drive(p[3], 1, attempt_over, p[3]), PROBE_RUNNING);
	ck_assert_int_eq(probe_fd(p[3]), -1);
	ck_assert_int_eq(drive(p[0], 1, traps_ready, NULL), PROBE_RUNNING);
	t0 = timefmt_mono();
	for (i = 0; i < NITEMS(p); i++)
		probe_cancel(p[i], t0);
	ck_assert_int_eq(probe_state(p[3]), PROBE_FAILED);
	ck_assert_str_eq(probe_reason(p[3]),
	    "cancelled; last attempt: exit 1");
	for (i = 0; i < NITEMS(p); i++)
		probe_free(p[i]);
	took = timefmt_mono() - t0;
	ck_assert_int_ge(took, 1000);
	ck_assert_int_lt(took, 2500);

	p[0] = start("sleep 100", 60000, 100, 0, 0);
	probe_cancel(p[0], timefmt_mono());
	ck_assert_int_eq(run(p[0]), PROBE_FAILED);
	ck_assert_str_eq(probe_reason(p[0]), "cancelled");
	ck_assert_int_eq(probe_attempts(p[0]), 1);
	probe_free(p[0]);
}
END_TEST

/* A check that exits leaving a background process: it is killed. */
START_TEST(test_leftover_killed)
{
	struct probe	*p;
	pid_t		 bg;

	setenv("D", fixture_dir, 1);
	p = start("cd \"$D\"; sleep 100 & echo $! > bg; echo $$ > sh; exit 0",
	    5000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	bg = read_pid("bg");
	ck_assert_int_gt(bg, 0);
	ck_assert(gone(bg));
	probe_free(p);
}
END_TEST

/* probe_start and probe_poll do not wait for the check. */
START_TEST(test_nonblocking)
{
	struct probe	*p;
	int64_t		 t0;

	t0 = timefmt_mono();
	p = start("sleep 100", 60000, 100, 0, 0);
	ck_assert_int_eq(probe_poll(p, timefmt_mono()), PROBE_RUNNING);
	ck_assert_int_eq(probe_poll(p, timefmt_mono()), PROBE_RUNNING);
	ck_assert_int_lt(timefmt_mono() - t0, 5000);
	ck_assert_int_ne(probe_fd(p), -1);
	ck_assert(probe_next(p) <= timefmt_mono() + 1000);
	probe_free(p);
}
END_TEST

/* ---------------------------------------------------------- hostile */

/* Only the last 4 KiB, whole lines at the end. */
START_TEST(test_output_tail)
{
	struct probe	*p;
	const char	*out;

	p = start("i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); "
	    "done", 5000, 100, 0, 0);
	ck_assert_int_eq(run(p), PROBE_PASSED);
	out = probe_output(p);
	assert_tail(out, "\nline1999\n");
	ck_assert_uint_gt(strlen(out), PROBE_OUTPUT_MAX - 20);
	ck_assert(strstr(out, "\nline0\n") == NULL);
	probe_free(p);
}
END_TEST

/*
 * 10 MB does not block the check (with or without poll() on its
 * output) and keeps 4 KiB; escapes are stripped.
 */
START_TEST(test_flood)
{
	struct probe	*p;
	const char	*out;

	p = start("head -c 10000000 /dev/zero | tr '\\0' x; "
	    "printf '\\n\\033[31mEND\\033[0m\\n'", 10000, 100, 0, 0);
	ck_assert_int_eq(drive(p, _i, NULL, NULL), PROBE_PASSED);
	out = probe_output(p);
	assert_tail(out, "\nEND\n");
	ck_assert(strchr(out, 0x1b) == NULL);
	probe_free(p);
}
END_TEST

/* Binary output comes out as clean UTF-8, in the reason as well. */
START_TEST(test_binary)
{
	struct probe	*p;

	p = start("head -c 200000 /dev/urandom; printf '\\n\\033]0;x\\007\\001"
	    "bad\\377line\\r\\n'; exit 1", 300, 1000, 0, 0);
	ck_assert_int_eq(run(p), PROBE_FAILED);
	assert_clean(probe_output(p));
	assert_clean(probe_reason(p));
	ck_assert_uint_le(strlen(probe_output(p)), PROBE_OUTPUT_MAX);
	ck_assert_str_eq(probe_reason(p), "exit 1: bad?line");
	probe_free(p);
}
END_TEST

/* A long last line is cut in the reason, not in the output. */
START_TEST(test_long_line)
{
	struct probe	*p;
	const char	*r;

	p = start("head -c 1000 /dev/zero | tr '\\0' y; exit 4", 300, 1000,
	    0, 0);
	ck_assert_int_eq(run(p), PROBE_FAILED);
	r = probe_reason(p);
	ck_assert(starts_with(r, "exit 4: yyyy"));
	ck_assert_uint_lt(strlen(r), 300);
	assert_tail(r, "y...");
	ck_assert_uint_eq(strlen(probe_output(p)), 1000);
	probe_free(p);
}
END_TEST

/* ---------------------------------------------------------- the suite */

static TCase *
tcase(const char *name)
{
	TCase	*tc;

	tc = tcase_create(name);
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	return (tc);
}

Suite *
probe_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("probe");

	tc = tcase("sanitize");
	tcase_add_loop_test(tc, test_sanitize, 0, NITEMS(sanitize_cases));
	suite_add_tcase(s, tc);

	tc = tcase("env");
	tcase_add_loop_test(tc, test_env_keep, 0, NITEMS(env_cases));
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_null);
	suite_add_tcase(s, tc);

	tc = tcase("process");
	tcase_add_test(tc, test_stdin);
	tcase_add_test(tc, test_stderr);
	tcase_add_test(tc, test_fds_closed);
	tcase_add_test(tc, test_own_group);
	tcase_add_test(tc, test_sigint_not_forwarded);
	tcase_add_test(tc, test_signals_default);
	tcase_add_test(tc, test_sigchld_alone);
	tcase_add_test(tc, test_eintr);
	tcase_add_test(tc, test_nonblocking);
	suite_add_tcase(s, tc);

	tc = tcase("outcome");
	tcase_add_test(tc, test_pass);
	tcase_add_test(tc, test_retry_until_pass);
	tcase_add_test(tc, test_fail_timeout);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_start_retried);
	tcase_add_test(tc, test_signalled);
	suite_add_tcase(s, tc);

	tc = tcase("kill");
	tcase_add_test(tc, test_hang_killed);
	tcase_add_test(tc, test_hang_sigkill);
	tcase_add_test(tc, test_attempt_limit);
	tcase_add_test(tc, test_free_running);
	tcase_add_test(tc, test_free_at_once);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_leftover_killed);
	suite_add_tcase(s, tc);

	tc = tcase("hostile");
	tcase_add_test(tc, test_output_tail);
	tcase_add_loop_test(tc, test_flood, 0, 2);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_long_line);
	suite_add_tcase(s, tc);

	return (s);
}
