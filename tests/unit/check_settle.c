/*
 * The settle and reconciliation verdicts: tables of what the API shows
 * and what must follow.  Every row guards against a double reboot or a
 * target called done too early.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <check.h>

#include "ensbatch/settle.h"
#include "suites.h"

#define NOW	1000000
#define LATER	(NOW + 60000)

static const struct {
	const char		*event;
	const char		*instance;
	int64_t			 deadline;
	enum settle_verdict	 want;
} judge_rows[] = {
	{ "Executed", "Running", LATER, SETTLE_DONE },
	{ "Executed", "Running", NOW, SETTLE_DONE },
	{ "Executed", "Starting", LATER, SETTLE_WAIT },
	{ "Executed", "Stopped", LATER, SETTLE_WAIT },
	{ "Executed", "Stopped", NOW, SETTLE_NOT_RUNNING },
	{ "Executed", "Starting", NOW - 1, SETTLE_NOT_RUNNING },
	{ "Executed", NULL, LATER, SETTLE_WAIT },
	{ "Executed", NULL, NOW, SETTLE_NOT_SETTLED },
	{ "Executing", "Running", LATER, SETTLE_WAIT },
	{ "Executing", "Running", NOW, SETTLE_NOT_SETTLED },
	{ "Executing", "Starting", NOW, SETTLE_NOT_SETTLED },
	{ "Scheduled", "Running", LATER, SETTLE_WAIT },
	{ "Scheduled", "Running", NOW, SETTLE_NOT_SETTLED },
	{ "Inquiring", "Running", LATER, SETTLE_WAIT },
	{ "Failed", "Running", LATER, SETTLE_REBOOT_FAILED },
	{ "Failed", NULL, NOW, SETTLE_REBOOT_FAILED },
	{ "Canceled", "Running", LATER, SETTLE_EVENT_ENDED },
	{ "Avoided", "Running", LATER, SETTLE_EVENT_ENDED },
	{ NULL, NULL, LATER, SETTLE_WAIT },
	{ NULL, "Running", NOW, SETTLE_NOT_SETTLED },
	{ "executed", "running", LATER, SETTLE_WAIT },	/* exact words */
	{ "Executed", "running", NOW, SETTLE_NOT_RUNNING },
};

START_TEST(test_judge)
{
	ck_assert_msg(settle_judge(judge_rows[_i].event,
	    judge_rows[_i].instance, NOW, judge_rows[_i].deadline) ==
	    judge_rows[_i].want, "row %d", _i);
}
END_TEST

START_TEST(test_types)
{
	ck_assert_str_eq(settle_type(SETTLE_REBOOT_FAILED), "RebootFailed");
	ck_assert_str_eq(settle_type(SETTLE_NOT_RUNNING),
	    "InstanceNotRunning");
	ck_assert_str_eq(settle_type(SETTLE_NOT_SETTLED), "NotSettled");
	ck_assert_str_eq(settle_type(SETTLE_EVENT_ENDED), "EventStatus");
	ck_assert_ptr_null(settle_type(SETTLE_DONE));
	ck_assert_ptr_null(settle_type(SETTLE_WAIT));
}
END_TEST

#define PT	1764525600000LL
#define NB	1764500000000LL

static const struct {
	const char		*status;
	int64_t			 not_before;
	int			 scheduled;
	const char		*before;
	enum settle_evidence	 want;
} rec_rows[] = {
	/* Immediate: only a change to rebooting proves it. */
	{ "Executing", NB, 0, "Inquiring", SETTLE_CONFIRMED },
	{ "Executed", NB, 0, "Scheduled", SETTLE_CONFIRMED },
	{ "Executing", NB, 0, "Executing", SETTLE_UNREADABLE },
	{ "Executed", NB, 0, NULL, SETTLE_UNREADABLE },
	{ "Inquiring", NB, 0, "Inquiring", SETTLE_UNCHANGED },
	{ "Scheduled", NB, 0, "Scheduled", SETTLE_UNCHANGED },
	{ "Scheduled", NB, 0, NULL, SETTLE_UNCHANGED },
	{ "Canceled", NB, 0, "Inquiring", SETTLE_OTHER },
	{ "Failed", NB, 0, "Inquiring", SETTLE_OTHER },
	{ "Avoided", NB, 0, "Inquiring", SETTLE_OTHER },
	{ NULL, NB, 0, "Inquiring", SETTLE_UNREADABLE },
	/* Scheduled: NotBefore moved to the PlanTime proves it. */
	{ "Scheduled", PT, 1, "Inquiring", SETTLE_CONFIRMED },
	{ "Scheduled", PT, 1, NULL, SETTLE_CONFIRMED },
	{ "Inquiring", PT, 1, "Inquiring", SETTLE_CONFIRMED },
	{ "Scheduled", NB, 1, "Scheduled", SETTLE_UNCHANGED },
	{ "Scheduled", PT + 1, 1, "Scheduled", SETTLE_UNCHANGED },
	{ "Scheduled", PT - 1000, 1, "Scheduled", SETTLE_UNCHANGED },
	{ "Inquiring", INT64_MIN, 1, "Inquiring", SETTLE_UNCHANGED },
	{ "Executing", NB, 1, NULL, SETTLE_UNREADABLE },
	{ "Canceled", PT, 1, "Scheduled", SETTLE_OTHER },
	{ "Failed", PT, 1, "Scheduled", SETTLE_OTHER },
	{ NULL, PT, 1, "Scheduled", SETTLE_UNREADABLE },
	/* An immediate request never matches on NotBefore. */
	{ "Scheduled", PT, 0, "Scheduled", SETTLE_UNCHANGED },
};

START_TEST(test_reconcile)
{
	ck_assert_msg(settle_reconcile(rec_rows[_i].status,
	    rec_rows[_i].not_before, rec_rows[_i].scheduled, PT,
	    rec_rows[_i].before) == rec_rows[_i].want, "row %d", _i);
}
END_TEST

START_TEST(test_resend)
{
	ck_assert_int_eq(settle_may_resend(0), 1);
	ck_assert_int_eq(settle_may_resend(1), 1);
	ck_assert_int_eq(settle_may_resend(2), 1);
	ck_assert_int_eq(settle_may_resend(3), 0);
	ck_assert_int_eq(settle_may_resend(10), 0);
}
END_TEST

/*
 * A target in doubt on resume: evidence, the event's status now, the
 * window watched in full, --adopt-status, the preflight ran.  Only
 * "unchanged through the whole window" may resend; only adopt with
 * the preflight adopts, and only an event past the request.
 */
static const struct {
	enum settle_evidence	 evidence;
	const char		*status;
	int			 watched;
	int			 adopt;
	int			 preflight;
	enum settle_doubt	 want;
} doubt_rows[] = {
	/* Proven: whatever the choice. */
	{ SETTLE_CONFIRMED, "Executing", 1, 0, 1, SETTLE_DOUBT_FOLLOW },
	{ SETTLE_CONFIRMED, "Scheduled", 0, 1, 1, SETTLE_DOUBT_FOLLOW },
	{ SETTLE_CONFIRMED, "Executed", 1, 0, 0, SETTLE_DOUBT_FOLLOW },
	/* Final some other way: never sent, never adopted. */
	{ SETTLE_OTHER, "Failed", 1, 1, 1, SETTLE_DOUBT_FINAL },
	{ SETTLE_OTHER, "Canceled", 0, 0, 1, SETTLE_DOUBT_FINAL },
	{ SETTLE_OTHER, "Avoided", 1, 0, 0, SETTLE_DOUBT_FINAL },
	/* Untouched: only after the whole window, adopt or not. */
	{ SETTLE_UNCHANGED, "Inquiring", 1, 0, 1, SETTLE_DOUBT_RESEND },
	{ SETTLE_UNCHANGED, "Scheduled", 1, 1, 1, SETTLE_DOUBT_RESEND },
	{ SETTLE_UNCHANGED, "Inquiring", 1, 0, 0, SETTLE_DOUBT_RESEND },
	{ SETTLE_UNCHANGED, "Inquiring", 0, 0, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNCHANGED, "Scheduled", 0, 1, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNCHANGED, "Inquiring", 0, 1, 0, SETTLE_DOUBT_STUCK },
	/* Past the request without proof: adopted only when chosen,
	 * with the preflight. */
	{ SETTLE_UNREADABLE, "Executing", 1, 1, 1, SETTLE_DOUBT_ADOPT },
	{ SETTLE_UNREADABLE, "Executed", 1, 1, 1, SETTLE_DOUBT_ADOPT },
	{ SETTLE_UNREADABLE, "Executed", 0, 1, 1, SETTLE_DOUBT_ADOPT },
	{ SETTLE_UNREADABLE, "Executed", 1, 0, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Executing", 1, 0, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Executed", 1, 1, 0, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Executing", 1, 1, 0, SETTLE_DOUBT_STUCK },
	/* Nothing to adopt: unreadable, not found, or not rebooting. */
	{ SETTLE_UNREADABLE, NULL, 1, 1, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, NULL, 1, 0, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Inquiring", 1, 1, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Scheduled", 1, 1, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "Failed", 1, 1, 1, SETTLE_DOUBT_STUCK },
	{ SETTLE_UNREADABLE, "executed", 1, 1, 1, SETTLE_DOUBT_STUCK },
};

START_TEST(test_doubt)
{
	ck_assert_msg(settle_doubt(doubt_rows[_i].evidence,
	    doubt_rows[_i].status, doubt_rows[_i].watched,
	    doubt_rows[_i].adopt, doubt_rows[_i].preflight) ==
	    doubt_rows[_i].want, "row %d", _i);
}
END_TEST

/*
 * The two decisions together, as a resume makes them after
 * --no-preflight (no status before the request): a rebooting event is
 * never resent, whatever the window or the choice.
 */
static const char *const chain_statuses[] = {
	"Inquiring", "Scheduled", "Executing", "Executed", "Failed",
	"Canceled", "Avoided", NULL
};

START_TEST(test_doubt_chain)
{
	const char		*st = chain_statuses[_i];
	enum settle_evidence	 ev;
	enum settle_doubt	 d;
	int			 watched, adopt, sched;

	for (sched = 0; sched <= 1; sched++) {
		ev = settle_reconcile(st, NB, sched, PT, NULL);
		for (watched = 0; watched <= 1; watched++) {
			for (adopt = 0; adopt <= 1; adopt++) {
				d = settle_doubt(ev, st, watched, adopt, 1);
				if (st != NULL && (strcmp(st, "Executing") == 0 ||
				    strcmp(st, "Executed") == 0))
					ck_assert_int_eq(d, adopt ?
					    SETTLE_DOUBT_ADOPT :
					    SETTLE_DOUBT_STUCK);
				if (d == SETTLE_DOUBT_RESEND)
					ck_assert_msg(watched && st != NULL &&
					    (strcmp(st, "Inquiring") == 0 ||
					    strcmp(st, "Scheduled") == 0),
					    "%s resent", st);
			}
		}
	}
}
END_TEST

Suite *
settle_suite(void)
{
	Suite	*s = suite_create("settle");
	TCase	*tc;

	tc = tcase_create("judge");
	tcase_add_loop_test(tc, test_judge, 0,
	    (int)(sizeof(judge_rows) / sizeof(judge_rows[0])));
	tcase_add_test(tc, test_types);
	suite_add_tcase(s, tc);
	tc = tcase_create("reconcile");
	tcase_add_loop_test(tc, test_reconcile, 0,
	    (int)(sizeof(rec_rows) / sizeof(rec_rows[0])));
	tcase_add_test(tc, test_resend);
	suite_add_tcase(s, tc);
	tc = tcase_create("doubt");
	tcase_add_loop_test(tc, test_doubt, 0,
	    (int)(sizeof(doubt_rows) / sizeof(doubt_rows[0])));
	tcase_add_loop_test(tc, test_doubt_chain, 0,
	    (int)(sizeof(chain_statuses) / sizeof(chain_statuses[0])));
	suite_add_tcase(s, tc);
	return (s);
}
