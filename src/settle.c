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
