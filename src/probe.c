/*
 * Health checks (see probe.h): one child shell at a time per probe, in
 * its own session, watched by polling waitid() on its pid so that
 * nothing global (a SIGCHLD handler, waitpid(-1)) is involved.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/probe.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

extern char	**environ;

#define PROBE_SHELL		"/bin/sh"
#define PROBE_TICK_MIN		5	/* ms between polls at first */
#define PROBE_TICK_MAX		200	/* ... growing to this */
#define PROBE_READ_MAX		(256 * 1024) /* bytes read per poll */
#define PROBE_LINE_MAX		200	/* bytes of output in a reason */
#define PROBE_FREE_STEP_MS	5	/* probe_free's wait step */
#define PROBE_FD_MAX		(1 << 20) /* highest fd closed by a loop */

/* Variables that carry credentials never reach a check. */
static const char *const probe_env_drop[] = {
	"ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "ALIYUN_"
};

/* Ours, set for each check; inherited ones are dropped. */
static const char *const probe_env_ours[] = {
	"ENSBATCH_RESOURCE", "ENSBATCH_EVENT", "ENSBATCH_GROUP",
	"ENSBATCH_BATCH", "ENSBATCH_MANIFEST", "ENSBATCH_TICKET",
	"ENSBATCH_ATTEMPT"
};

/* The last PROBE_OUTPUT_MAX bytes written. */
struct probe_ring {
	char		 data[PROBE_OUTPUT_MAX];
	size_t		 start;		/* oldest byte */
	size_t		 len;
	unsigned long long total;	/* bytes ever added */
};

struct probe {
	char			*argv[4];	/* sh -c command */
	char			**envp;
	size_t			 attempt_slot;	/* envp's ENSBATCH_ATTEMPT */
	int			 maxfd;		/* for the close loop */

	int64_t			 interval_ms;
	int64_t			 attempt_ms;
	int64_t			 timeout_ms;
	int64_t			 grace_ms;
	int64_t			 deadline;	/* of the whole probe */

	enum probe_state	 state;
	int			 attempts;
	int			 cancelled;
	int64_t			 now;		/* of the last poll */
	int64_t			 next_at;	/* the next attempt's start */

	/* The running attempt: pid is -1 when there is none. */
	pid_t			 pid;
	int			 fd;		/* output pipe, or -1 */
	int64_t			 attempt_end;	/* its limit */
	int64_t			 kill_at;	/* SIGKILL due; 0 = none */
	int			 killed;	/* SIGKILL sent */
	char			*killed_why;	/* why we stopped it */
	unsigned long long	 attempt_from;	/* ring total at its start */
	int64_t			 tick;

	struct probe_ring	 ring;
	char			*output;	/* sanitised ring */
	char			*reason;
};

/* a + b for deadlines, saturating instead of overflowing. */
static int64_t
probe_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return (INT64_MAX);
	return (a + b);
}

static void
probe_ring_add(struct probe_ring *r, const char *p, size_t n)
{
	size_t	end, chunk;

	r->total += n;
	if (n >= sizeof r->data) {
		memcpy(r->data, p + n - sizeof r->data, sizeof r->data);
		r->start = 0;
		r->len = sizeof r->data;
		return;
	}
	while (n > 0) {
		end = (r->start + r->len) % sizeof r->data;
		chunk = sizeof r->data - end;
		if (chunk > n)
			chunk = n;
		memcpy(r->data + end, p, chunk);
		p += chunk;
		n -= chunk;
		r->len += chunk;
		if (r->len > sizeof r->data) {
			r->start = (r->start + r->len - sizeof r->data) %
			    sizeof r->data;
			r->len = sizeof r->data;
		}
	}
}

/* Append the newest n bytes of the ring (n <= len) to out, in order. */
static void
probe_ring_tail(const struct probe_ring *r, size_t n, struct buf *out)
{
	size_t	from, first;

	from = (r->start + r->len - n) % sizeof r->data;
	first = sizeof r->data - from;
	if (first > n)
		first = n;
	buf_add(out, r->data + from, first);
	buf_add(out, r->data, n - first);
}

static int
probe_ring_last(const struct probe_ring *r)
{
	if (r->len == 0)
		return (-1);
	return ((unsigned char)r->data[(r->start + r->len - 1) %
	    sizeof r->data]);
}

/*
 * The length of the valid UTF-8 sequence at s (at most avail bytes),
 * its code point in *cp; 0 if it is not one (overlong, surrogate, past
 * U+10FFFF, cut short).
 */
static size_t
probe_utf8(const unsigned char *s, size_t avail, unsigned int *cp)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (avail < n)
		return (0);
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return (0);
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return (n);
}

/*
 * Skip the terminal escape sequence starting with the ESC at s[i]:
 * CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \, or up to a
 * newline), ESC intermediates final.  Returns the index after it.
 */
static size_t
probe_skip_escape(const unsigned char *s, size_t len, size_t i)
{
	i++;
	if (i == len)
		return (i);
	if (s[i] == '[') {
		for (i++; i < len && s[i] >= 0x20 && s[i] <= 0x3f; i++)
			/* parameters and intermediates */;
		if (i < len && s[i] >= 0x40 && s[i] <= 0x7e)
			i++;
		return (i);
	}
	if (s[i] == ']') {
		for (i++; i < len && s[i] != '\n'; i++) {
			if (s[i] == 0x07)
				return (i + 1);
			if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
				return (i + 2);
		}
		return (i);
	}
	while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	if (i < len && s[i] >= 0x30 && s[i] <= 0x7e)
		i++;
	return (i);
}

/*
 * Output as a report may carry it: valid UTF-8 (other bytes become
 * '?'), no terminal escape sequences, no control character but newline
 * and tab, none of the non-characters XML forbids.
 */
TESTABLE void
probe_sanitize(const char *in, size_t len, struct buf *out)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, n;
	unsigned int		 cp;

	while (i < len) {
		if (s[i] == 0x1b) {
			i = probe_skip_escape(s, len, i);
			continue;
		}
		if (s[i] < 0x80) {
			if (s[i] == '\n' || s[i] == '\t' ||
			    (s[i] >= 0x20 && s[i] != 0x7f))
				buf_addc(out, (char)s[i]);
			i++;
			continue;
		}
		if ((n = probe_utf8(s + i, len - i, &cp)) == 0) {
			buf_addc(out, '?');
			i++;
			continue;
		}
		if (cp == 0xfffe || cp == 0xffff)
			buf_addc(out, '?');
		else if (cp > 0x9f)	/* C1 controls are dropped */
			buf_add(out, s + i, n);
		i += n;
	}
}

/*
 * Whether an environment entry may reach a check: no cloud
 * credentials (any case), none of the variables we set ourselves.
 */
TESTABLE int
probe_env_keep(const char *entry)
{
	size_t	i, n;

	for (i = 0; i < sizeof probe_env_drop / sizeof *probe_env_drop;
	    i++) {
		n = strlen(probe_env_drop[i]);
		if (strncasecmp(entry, probe_env_drop[i], n) == 0)
			return (0);
	}
	for (i = 0; i < sizeof probe_env_ours / sizeof *probe_env_ours;
	    i++) {
		n = strlen(probe_env_ours[i]);
		if (strncmp(entry, probe_env_ours[i], n) == 0 &&
		    (entry[n] == '=' || entry[n] == '\0'))
			return (0);
	}
	return (1);
}

/*
 * The check's environment: ours filtered, then the ENSBATCH_*
 * variables; the ENSBATCH_ATTEMPT slot is filled per attempt.
 */
static void
probe_envp(struct probe *p, const struct probe_env *env)
{
	size_t	n = 0, i, k = 0;

	if (environ != NULL)
		while (environ[n] != NULL)
			n++;
	p->envp = xcalloc(n + 8, sizeof *p->envp);
	for (i = 0; i < n; i++)
		if (probe_env_keep(environ[i]))
			p->envp[k++] = xstrdup(environ[i]);
#define PROBE_STR(s) ((s) != NULL ? (s) : "")
	p->envp[k++] = xasprintf("ENSBATCH_RESOURCE=%s",
	    PROBE_STR(env->resource));
	p->envp[k++] = xasprintf("ENSBATCH_EVENT=%s", PROBE_STR(env->event));
	p->envp[k++] = xasprintf("ENSBATCH_GROUP=%s", PROBE_STR(env->group));
	p->envp[k++] = xasprintf("ENSBATCH_BATCH=%zu", env->batch);
	p->envp[k++] = xasprintf("ENSBATCH_MANIFEST=%s",
	    PROBE_STR(env->manifest));
	p->envp[k++] = xasprintf("ENSBATCH_TICKET=%s",
	    PROBE_STR(env->ticket));
#undef PROBE_STR
	p->attempt_slot = k;
	p->envp[k++] = xstrdup("ENSBATCH_ATTEMPT=0");
	p->envp[k] = NULL;
}

/* Close every descriptor from low up, in the child (async-safe). */
static void
probe_child_closefrom(int low, int maxfd)
{
	int	fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned int)low, ~0U, 0U) == 0)
		return;
#endif
	for (fd = low; fd < maxfd; fd++)
		(void)close(fd);
}

/*
 * The child between fork and exec: only async-signal-safe calls.  A
 * session of its own (so a process group to kill, and no terminal),
 * default signal actions, stdin /dev/null, stdout and stderr the pipe,
 * nothing else open.
 */
static void __attribute__((noreturn))
probe_child(const struct probe *p, int in, int out)
{
	static const char	msg[] = "ensbatch: cannot run " PROBE_SHELL
				    "\n";
	struct sigaction	sa;
	sigset_t		none;
	int			sig;

	(void)setsid();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	/* Above 2 first, in case the parent had 0-2 closed. */
	if ((in = fcntl(in, F_DUPFD, 3)) == -1 ||
	    (out = fcntl(out, F_DUPFD, 3)) == -1 ||
	    dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(126);
	probe_child_closefrom(3, p->maxfd);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(PROBE_SHELL, p->argv, p->envp);
	(void)write(2, msg, sizeof msg - 1);
	_exit(127);
}

/* Start an attempt.  0, or -1 with *cause. */
static int
probe_spawn(struct probe *p, int64_t now, char **cause)
{
	sigset_t	 all, old;
	char		*hdr;
	int		 fds[2] = { -1, -1 }, in = -1, rc = -1;
	pid_t		 pid;

	*cause = NULL;
	free(p->envp[p->attempt_slot]);
	p->envp[p->attempt_slot] = xasprintf("ENSBATCH_ATTEMPT=%d",
	    p->attempts + 1);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		*cause = xasprintf("cannot start check: pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
	    (in = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot start check: %s",
		    strerror(errno));
		goto out;
	}

	/* No handler of ours may run in the child before exec. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		probe_child(p, in, fds[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		*cause = xasprintf("cannot start check: fork: %s",
		    strerror(errno));
		goto out;
	}

	if (p->attempts > 0) {
		if (probe_ring_last(&p->ring) != '\n' && p->ring.len > 0)
			probe_ring_add(&p->ring, "\n", 1);
		hdr = xasprintf("--- attempt %d ---\n", p->attempts + 1);
		probe_ring_add(&p->ring, hdr, strlen(hdr));
		free(hdr);
	}
	p->attempts++;
	p->pid = pid;
	p->fd = fds[0];
	fds[0] = -1;
	p->attempt_end = p->deadline;
	if (p->attempt_ms > 0 && probe_add(now, p->attempt_ms) < p->deadline)
		p->attempt_end = probe_add(now, p->attempt_ms);
	p->kill_at = 0;
	p->killed = 0;
	p->attempt_from = p->ring.total;
	p->tick = PROBE_TICK_MIN;
	rc = 0;
out:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	if (in != -1)
		close(in);
	return (rc);
}

/*
 * Signal the attempt's process group; before the child's setsid() the
 * group does not exist yet, so the child itself.
 */
static void
probe_signal(const struct probe *p, int sig)
{
	if (kill(-p->pid, sig) == -1 && errno == ESRCH)
		(void)kill(p->pid, sig);
}

/* SIGTERM the attempt (woken if stopped); SIGKILL after the grace. */
static void
probe_terminate(struct probe *p, int64_t now, char *why)
{
	probe_signal(p, SIGTERM);
	probe_signal(p, SIGCONT);
	p->kill_at = probe_add(now, p->grace_ms);
	free(p->killed_why);
	p->killed_why = why;
}

/*
 * Read what the pipe holds, at most max bytes; closes it at end of
 * file.  Returns whether anything was read.
 */
static int
probe_drain(struct probe *p, size_t max)
{
	char	buf[8192];
	ssize_t	n;
	size_t	got = 0;

	while (p->fd != -1 && got < max) {
		n = read(p->fd, buf, sizeof buf);
		if (n > 0) {
			probe_ring_add(&p->ring, buf, (size_t)n);
			got += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			close(p->fd);
			p->fd = -1;
		}
		break;
	}
	return (got > 0);
}

/*
 * Whether the attempt's shell exited; if so, what it left in its
 * process group is killed while its zombie still holds the group's id,
 * and it is reaped (*status, or -1 if someone else reaped it).
 */
static int
probe_reap(struct probe *p, int *status)
{
	siginfo_t	si;

	memset(&si, 0, sizeof si);
	while (waitid(P_PID, (id_t)p->pid, &si,
	    WEXITED | WNOHANG | WNOWAIT) != 0) {
		if (errno != EINTR) {
			*status = -1;
			return (1);
		}
	}
	if (si.si_pid == 0)
		return (0);
	(void)kill(-p->pid, SIGKILL);
	while (waitpid(p->pid, status, 0) == -1) {
		if (errno != EINTR) {
			*status = -1;
			break;
		}
	}
	return (1);
}

/* "exit 3", "killed by signal 11". */
static char *
probe_status_str(int status)
{
	if (status == -1)
		return (xstrdup("exit status lost"));
	if (WIFEXITED(status))
		return (xasprintf("exit %d", WEXITSTATUS(status)));
	if (WIFSIGNALED(status))
		return (xasprintf("killed by signal %d", WTERMSIG(status)));
	return (xasprintf("wait status %d", status));
}

/*
 * The last non-empty line the attempt wrote, sanitised and cut to
 * PROBE_LINE_MAX bytes; NULL if none.  Caller frees.
 */
static char *
probe_last_line(const struct probe *p)
{
	struct buf	 raw, clean;
	unsigned long long n;
	char		*end, *line = NULL, *start;
	size_t		 len;

	n = p->ring.total - p->attempt_from;
	if (n > p->ring.len)
		n = p->ring.len;
	buf_init(&raw);
	buf_init(&clean);
	probe_ring_tail(&p->ring, (size_t)n, &raw);
	probe_sanitize(raw.data, raw.len, &clean);
	end = clean.data + clean.len;
	while (end > clean.data && (end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		end--;
	if (end == clean.data)
		goto out;
	*end = '\0';
	start = strrchr(clean.data, '\n');
	start = start == NULL ? clean.data : start + 1;
	len = (size_t)(end - start);
	if (len > PROBE_LINE_MAX) {
		len = PROBE_LINE_MAX;
		while (len > 0 && ((unsigned char)start[len] & 0xc0) == 0x80)
			len--;
		line = xasprintf("%.*s...", (int)len, start);
	} else
		line = xstrdup(start);
out:
	buf_free(&clean);
	buf_free(&raw);
	return (line);
}

/* Rebuild the sanitised output from the ring. */
static void
probe_render(struct probe *p)
{
	struct buf	raw, clean;
	size_t		skip = 0;

	buf_init(&raw);
	buf_init(&clean);
	probe_ring_tail(&p->ring, p->ring.len, &raw);
	/* A cut multibyte character at the start is not shown. */
	if (p->ring.total > p->ring.len)
		while (skip < 3 && skip < raw.len &&
		    ((unsigned char)raw.data[skip] & 0xc0) == 0x80)
			skip++;
	probe_sanitize(raw.data + skip, raw.len - skip, &clean);
	free(p->output);
	p->output = buf_detach(&clean);
	buf_free(&raw);
}

/* The attempt's shell was reaped: judge it, plan the next one. */
static void
probe_finish(struct probe *p, int status, int64_t now)
{
	char	*what, *line;

	probe_drain(p, PROBE_READ_MAX);
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	p->pid = -1;
	free(p->reason);
	p->reason = NULL;
	if (p->killed_why == NULL && status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		p->state = PROBE_PASSED;
	else {
		what = p->killed_why != NULL ? p->killed_why :
		    probe_status_str(status);
		p->killed_why = NULL;
		if ((line = probe_last_line(p)) != NULL) {
			p->reason = xasprintf("%s: %s", what, line);
			free(what);
			free(line);
		} else
			p->reason = what;
		p->next_at = probe_add(now, p->interval_ms);
		if (p->cancelled || p->next_at >= p->deadline)
			p->state = PROBE_FAILED;
	}
	probe_render(p);
}

/* A running attempt past its limit is terminated, then killed. */
static void
probe_enforce(struct probe *p, int64_t now)
{
	char	d[TIMEFMT_LEN];

	if (p->kill_at != 0) {
		if (!p->killed && now >= p->kill_at) {
			probe_signal(p, SIGKILL);
			p->killed = 1;
		}
		return;
	}
	if (now < p->attempt_end)
		return;
	if (p->attempt_end >= p->deadline) {
		timefmt_duration_str(p->timeout_ms, d, sizeof d);
		probe_terminate(p, now, xasprintf("killed after %s timeout",
		    d));
	} else {
		timefmt_duration_str(p->attempt_ms, d, sizeof d);
		probe_terminate(p, now, xasprintf("attempt killed after %s",
		    d));
	}
}

struct probe *
probe_start(const struct probe_spec *spec, const struct probe_env *env,
    char **cause)
{
	struct probe	*p;
	struct rlimit	 rl;
	int64_t		 now;

	*cause = NULL;
	p = xcalloc(1, sizeof *p);
	p->pid = -1;
	p->fd = -1;
	p->argv[0] = xstrdup("sh");
	p->argv[1] = xstrdup("-c");
	p->argv[2] = xstrdup(spec->command);
	p->argv[3] = NULL;
	probe_envp(p, env);
	p->maxfd = PROBE_FD_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < PROBE_FD_MAX)
		p->maxfd = (int)rl.rlim_cur;
	p->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : 1;
	p->interval_ms = spec->interval_ms > 0 ? spec->interval_ms : 0;
	p->attempt_ms = spec->attempt_ms > 0 ? spec->attempt_ms : 0;
	p->grace_ms = spec->grace_ms > 0 ? spec->grace_ms : PROBE_GRACE_MS;
	p->state = PROBE_RUNNING;

	now = timefmt_mono();
	p->now = now;
	p->deadline = probe_add(now, p->timeout_ms);
	if (probe_spawn(p, now, cause) != 0) {
		probe_free(p);
		p = NULL;
	}
	return (p);
}

enum probe_state
probe_poll(struct probe *p, int64_t now)
{
	char	*cause;
	int	 status;

	p->now = now;
	if (p->state != PROBE_RUNNING)
		return (p->state);
	if (p->pid != -1) {
		if (probe_drain(p, PROBE_READ_MAX))
			p->tick = PROBE_TICK_MIN;
		else if (p->tick < PROBE_TICK_MAX)
			p->tick = p->tick * 2 > PROBE_TICK_MAX ?
			    PROBE_TICK_MAX : p->tick * 2;
		if (probe_reap(p, &status))
			probe_finish(p, status, now);
		else
			probe_enforce(p, now);
	} else if (now >= p->next_at) {
		if (probe_spawn(p, now, &cause) != 0) {
			free(p->reason);
			p->reason = cause;
			p->state = PROBE_FAILED;
		}
	}
	return (p->state);
}

void
probe_cancel(struct probe *p, int64_t now)
{
	char	*prev;

	if (p->state != PROBE_RUNNING || p->cancelled)
		return;
	p->cancelled = 1;
	if (p->pid != -1) {
		if (p->kill_at == 0)
			probe_terminate(p, now, xstrdup("cancelled"));
		return;
	}
	prev = p->reason;
	p->reason = prev != NULL ?
	    xasprintf("cancelled; last attempt: %s", prev) :
	    xstrdup("cancelled");
	free(prev);
	p->state = PROBE_FAILED;
}

enum probe_state
probe_state(const struct probe *p)
{
	return (p->state);
}

int64_t
probe_next(const struct probe *p)
{
	int64_t	next;

	if (p->state != PROBE_RUNNING)
		return (INT64_MAX);
	if (p->pid == -1)
		return (p->next_at);
	next = probe_add(p->now, p->tick);
	if (p->kill_at == 0 && p->attempt_end < next)
		next = p->attempt_end;
	else if (p->kill_at != 0 && !p->killed && p->kill_at < next)
		next = p->kill_at;
	return (next);
}

int
probe_fd(const struct probe *p)
{
	return (p->fd);
}

int
probe_attempts(const struct probe *p)
{
	return (p->attempts);
}

const char *
probe_output(const struct probe *p)
{
	return (p->output != NULL ? p->output : "");
}

const char *
probe_reason(const struct probe *p)
{
	return (p->reason);
}

#ifdef ENSBATCH_TESTING
long
probe_pid(const struct probe *p)
{
	return ((long)p->pid);
}
#endif

void
probe_free(struct probe *p)
{
	struct timespec	ts = { 0, PROBE_FREE_STEP_MS * 1000000L };
	int64_t		now;
	int		status;
	size_t		i;

	if (p == NULL)
		return;
	if (p->pid != -1) {
		/* A writer blocked on the pipe gets EPIPE at once. */
		if (p->fd != -1)
			close(p->fd);
		p->fd = -1;
		if (p->kill_at == 0)
			probe_terminate(p, timefmt_mono(), NULL);
		while (!probe_reap(p, &status)) {
			now = timefmt_mono();
			if (!p->killed && now >= p->kill_at) {
				probe_signal(p, SIGKILL);
				p->killed = 1;
			}
			(void)nanosleep(&ts, NULL);
		}
	}
	if (p->fd != -1)
		close(p->fd);
	for (i = 0; i < 3; i++)
		free(p->argv[i]);
	if (p->envp != NULL) {
		for (i = 0; p->envp[i] != NULL; i++)
			free(p->envp[i]);
		free(p->envp);
	}
	free(p->killed_why);
	free(p->output);
	free(p->reason);
	free(p);
}
