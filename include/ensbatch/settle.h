/*
 * The decisions that say whether a reboot really happened (SPEC
 * section 5).  Pure functions of what the API shows, so that each one
 * has a table test and a one-line change to it fails that test:
 *
 * - settle_judge: has an accepted request settled (event Executed and
 *   instance Running), failed, or run out of time?
 * - settle_reconcile: did a request whose outcome is unknown take
 *   effect?  Only a change proves it; "unchanged" is what allows one
 *   more request.
 * - settle_doubt: what a resume does with a target an earlier run left
 *   in doubt, and when the operator may take the event's status as the
 *   outcome (apply --resume --adopt-status).
 */
#ifndef ENSBATCH_SETTLE_H
#define ENSBATCH_SETTLE_H

#include <stdint.h>

enum settle_verdict {
	SETTLE_WAIT,		/* nothing final yet: look again */
	SETTLE_DONE,		/* event Executed, instance Running */
	SETTLE_REBOOT_FAILED,	/* the event ended Failed */
	SETTLE_NOT_RUNNING,	/* Executed, instance not Running in time */
	SETTLE_NOT_SETTLED,	/* nothing final by the deadline */
	SETTLE_EVENT_ENDED	/* Canceled or Avoided: no reboot will come */
};

/*
 * event_status: the event's status now (NULL when it could not be read
 * or was not found); instance_status: the instance's, read after the
 * event (NULL likewise).  deadline: when the settle_timeout ends (ms).
 */
enum settle_verdict	settle_judge(const char *, const char *, int64_t,
			    int64_t);

/* The report's failure or error type of a final verdict ("RebootFailed",
 * "InstanceNotRunning", "NotSettled", "EventStatus"); NULL otherwise. */
const char		*settle_type(enum settle_verdict);

enum settle_evidence {
	SETTLE_CONFIRMED,	/* the request took effect */
	SETTLE_UNCHANGED,	/* it did not (yet): may be sent once more
				   after the reconciliation window */
	SETTLE_OTHER,		/* the event went final some other way */
	SETTLE_UNREADABLE	/* the events do not tell */
};

/*
 * Judge one event after a request whose outcome is unknown.  status
 * NULL: the event was not found or could not be read.  not_before: the
 * event's NotBefore (ms, INT64_MIN when absent).  scheduled, plan_time:
 * the request.  before: the status the preflight saw before the
 * request (NULL when unknown, e.g. --no-preflight).
 */
enum settle_evidence	settle_reconcile(const char *, int64_t, int, int64_t,
			    const char *);

/*
 * May an event be requested once more?  sends: requests that may have
 * reached the API so far (journaled, across runs).
 */
int			settle_may_resend(int);

/* What becomes of a target an earlier run left in doubt. */
enum settle_doubt {
	SETTLE_DOUBT_FOLLOW,	/* the events proved the request: follow
				   it like an accepted one */
	SETTLE_DOUBT_ADOPT,	/* not proven, but the event is past any
				   request: --adopt-status follows it like
				   an accepted one, never sending it */
	SETTLE_DOUBT_RESEND,	/* untouched through the whole window: not
				   sent, may go again with its batch */
	SETTLE_DOUBT_FINAL,	/* the event went final some other way: a
				   failure, never sent again */
	SETTLE_DOUBT_STUCK	/* nothing can be decided now: an error;
				   it stays in doubt for the next resume */
};

/*
 * Decide a target in doubt on resume.  evidence: settle_reconcile's
 * verdict; status: the event's status now (NULL: unreadable or not
 * found); watched: the reconciliation window passed in full (not cut
 * short by a signal); adopt: the operator chose --adopt-status;
 * preflight: this run's preflight read the events.  Never returns
 * SETTLE_DOUBT_RESEND for a request the events could still be hiding,
 * nor SETTLE_DOUBT_ADOPT without both adopt and preflight.
 */
enum settle_doubt	settle_doubt(enum settle_evidence, const char *, int,
			    int, int);

#define SETTLE_MAX_SENDS	3

#endif
