/*
 * Settling and reconciliation verdicts (see settle.h).  No I/O here.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "ensbatch/settle.h"

static int
settle_is(const char *s, const char *what)
{
	return (s != NULL && strcmp(s, what) == 0);
}

enum settle_verdict
settle_judge(const char *event_status, const char *instance_status,
    int64_t now, int64_t deadline)
{
	int	late = now >= deadline;

	if (settle_is(event_status, "Failed"))
		return (SETTLE_REBOOT_FAILED);
	if (settle_is(event_status, "Canceled") ||
	    settle_is(event_status, "Avoided"))
		return (SETTLE_EVENT_ENDED);
	if (settle_is(event_status, "Executed")) {
		if (settle_is(instance_status, "Running"))
			return (SETTLE_DONE);
		/* Unreadable instances are not "not running". */
		if (!late)
			return (SETTLE_WAIT);
		return (instance_status != NULL ? SETTLE_NOT_RUNNING :
		    SETTLE_NOT_SETTLED);
	}
	return (late ? SETTLE_NOT_SETTLED : SETTLE_WAIT);
}

const char *
settle_type(enum settle_verdict v)
{
	switch (v) {
	case SETTLE_REBOOT_FAILED:
		return ("RebootFailed");
	case SETTLE_NOT_RUNNING:
		return ("InstanceNotRunning");
	case SETTLE_NOT_SETTLED:
		return ("NotSettled");
	case SETTLE_EVENT_ENDED:
		return ("EventStatus");
	case SETTLE_WAIT:
	case SETTLE_DONE:
		break;
	}
	return (NULL);
}

static int
settle_rebooting(const char *status)
{
	return (settle_is(status, "Executing") ||
	    settle_is(status, "Executed"));
}

enum settle_evidence
settle_reconcile(const char *status, int64_t not_before, int scheduled,
    int64_t plan_time, const char *before)
{
	if (status == NULL)
		return (SETTLE_UNREADABLE);
	/* A scheduled request moves NotBefore to its PlanTime. */
	if (scheduled && not_before == plan_time &&
	    (settle_is(status, "Scheduled") || settle_is(status, "Inquiring") ||
	    settle_rebooting(status)))
		return (SETTLE_CONFIRMED);
	/* Without the status before, a rebooting event proves nothing:
	 * the platform may have done it. */
	if (settle_rebooting(status))
		return (before != NULL && !settle_rebooting(before) ?
		    SETTLE_CONFIRMED : SETTLE_UNREADABLE);
	if (settle_is(status, "Inquiring") || settle_is(status, "Scheduled"))
		return (SETTLE_UNCHANGED);
	return (SETTLE_OTHER);
}

int
settle_may_resend(int sends)
{
	return (sends < SETTLE_MAX_SENDS);
}

/*
 * A resume finds a target in doubt: an earlier run's request may have
 * reached the API, and its answer never came.  What the events show
 * decides, and only one thing ever allows a request again:
 *
 * - Confirmed (a change the request explains): follow it.  Final some
 *   other way (Failed, Canceled, Avoided): a failure, never resent.
 * - Unchanged (Inquiring or Scheduled, NotBefore not the requested
 *   PlanTime) through the whole reconciliation window: the request did
 *   not take effect, and only then may it go again, within
 *   SETTLE_MAX_SENDS.  The status before the request plays no part in
 *   this judgement: an event that looks un-requested looks the same
 *   whatever it was before, and the one thing that could hide an
 *   accepted request, the API showing it late, is what the window
 *   (counted from the resume, later than the request) is for.  A window
 *   cut short by a signal proves nothing: the target stays in doubt.
 * - Executing or Executed without proof (no status from before the
 *   request, as after --no-preflight, or it was already rebooting):
 *   the request or the platform did it, the events cannot say which,
 *   and no resume will ever learn more.  Sending again is never right:
 *   the event is past any request.  So the operator may choose
 *   (--adopt-status) to take that status as the outcome: the target is
 *   followed like an accepted request (settle, instance Running, health
 *   check), and never sent.  Only with this run's preflight, so that the
 *   events read are this manifest's, on this account, and the requests
 *   this run makes carry the status before them.  Without the choice
 *   the target stays in doubt, an error that says how to settle it.
 * - Unreadable (the events could not be read, or the event is not
 *   there): nothing to adopt; in doubt until the events answer.
 */
enum settle_doubt
settle_doubt(enum settle_evidence evidence, const char *status, int watched,
    int adopt, int preflight)
{
	switch (evidence) {
	case SETTLE_CONFIRMED:
		return (SETTLE_DOUBT_FOLLOW);
	case SETTLE_OTHER:
		return (SETTLE_DOUBT_FINAL);
	case SETTLE_UNCHANGED:
		return (watched ? SETTLE_DOUBT_RESEND : SETTLE_DOUBT_STUCK);
	case SETTLE_UNREADABLE:
		break;
	}
	if (adopt && preflight && settle_rebooting(status))
		return (SETTLE_DOUBT_ADOPT);
	return (SETTLE_DOUBT_STUCK);
}
