/*
 * Health checks: one target's check command, run by /bin/sh and
 * retried until it passes or its timeout passes, driven without
 * blocking so that the runner can keep many going from its own loop.
 *
 * The check runs with stdin from /dev/null, stdout and stderr on one
 * pipe (only the last PROBE_OUTPUT_MAX bytes are kept), no descriptor
 * of ours above 2, the ENSBATCH_* variables below and without any
 * cloud credential in its environment, in a session and process group
 * of its own (no controlling terminal, no ^C from it).  Killing a check
 * kills its process group: SIGTERM, then SIGKILL after a grace period.
 * No SIGCHLD handler is installed: probe_poll() asks waitpid about its
 * own child only.
 *
 * Times are monotonic milliseconds (timefmt_mono()).
 */
#ifndef ENSBATCH_PROBE_H
#define ENSBATCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "ensbatch/testable.h"

#define PROBE_OUTPUT_MAX	4096	/* bytes of output kept */
#define PROBE_GRACE_MS		2000	/* default SIGTERM to SIGKILL */

/* What to run; the caller's, read only during probe_start(). */
struct probe_spec {
	const char	*command;	/* /bin/sh -c command */
	int64_t		 timeout_ms;	/* > 0: retried until it passes or
					   this passed since the start */
	int64_t		 interval_ms;	/* from an attempt's end to the
					   next one's start */
	int64_t		 attempt_ms;	/* one attempt's limit; 0 = what is
					   left of timeout_ms */
	int64_t		 grace_ms;	/* SIGTERM to SIGKILL; 0 =
					   PROBE_GRACE_MS */
};

/*
 * The check's ENSBATCH_* variables.  Read only during probe_start();
 * a NULL string gives an empty variable.
 */
struct probe_env {
	const char	*resource;	/* ENSBATCH_RESOURCE: instance id */
	const char	*event;		/* ENSBATCH_EVENT */
	const char	*group;		/* ENSBATCH_GROUP */
	const char	*manifest;	/* ENSBATCH_MANIFEST: its path */
	const char	*ticket;	/* ENSBATCH_TICKET */
	size_t		 batch;		/* ENSBATCH_BATCH, 1-based */
};

enum probe_state {
	PROBE_RUNNING,			/* an attempt runs or is due */
	PROBE_PASSED,			/* an attempt exited 0 */
	PROBE_FAILED			/* timeout, cancelled, cannot run */
};

struct probe;

/*
 * Start the first attempt now.  Returns the probe (free with
 * probe_free()), or NULL with *cause (caller frees) when the check
 * cannot be started at all (no pipe, no fork).
 */
struct probe	*probe_start(const struct probe_spec *,
		    const struct probe_env *, char **);

/*
 * Advance without blocking: read output, reap a finished attempt, kill
 * one past its limit, start the next one when its interval came.
 * Returns the state; once PASSED or FAILED it stays so and no process
 * of the probe runs any more.
 */
enum probe_state probe_poll(struct probe *, int64_t);

/*
 * Stop without blocking: signal the running attempt's process group
 * (SIGTERM, SIGKILL after the grace) and start no other.  Keep calling
 * probe_poll() until it returns PROBE_FAILED (reason "cancelled"), or
 * call probe_free(), which then waits only for what is left of the
 * grace.  Calling it on every live probe first bounds the total wait of
 * freeing them all by one grace period.
 */
void		 probe_cancel(struct probe *, int64_t);

/* The state as the last probe_poll() left it. */
enum probe_state probe_state(const struct probe *);

/*
 * When the probe next needs probe_poll() (monotonic ms): soon while an
 * attempt runs (its exit is noticed by polling), the next attempt's
 * time between attempts, INT64_MAX when it is over.
 */
int64_t		 probe_next(const struct probe *);

/*
 * The descriptor to poll() for POLLIN while an attempt runs, or -1.
 * Polling it is optional but lets output drain at once.  Borrowed.
 */
int		 probe_fd(const struct probe *);

/* Attempts started so far. */
int		 probe_attempts(const struct probe *);

/*
 * The last PROBE_OUTPUT_MAX bytes of the output of the attempts that
 * ended, an "--- attempt N ---" line before each one after the first,
 * as UTF-8 without control characters but newline and tab (for the
 * JUnit <system-out>).  Never NULL; borrowed until the next
 * probe_poll() or probe_free().
 */
const char	*probe_output(const struct probe *);

/*
 * Why the last attempt failed: "exit 3: LAST LINE OF OUTPUT", "killed
 * by signal 9", "killed after 5m timeout", "cancelled", "cannot start
 * check: ...".  NULL if none failed yet or it passed.  Borrowed as
 * probe_output().
 */
const char	*probe_reason(const struct probe *);

/*
 * Kill a running attempt's process group (SIGTERM, then SIGKILL after
 * the grace), reap it and free everything.  NULL is fine.
 */
void		 probe_free(struct probe *);

#ifdef ENSBATCH_TESTING
struct buf;
/* Append len bytes of output to out as probe_output() shows it. */
void		 probe_sanitize(const char *, size_t, struct buf *);
/* Whether an environ entry "NAME=value" may reach a check. */
int		 probe_env_keep(const char *);
/* The pid of the running attempt's shell, or -1. */
long		 probe_pid(const struct probe *);
#endif

#endif
