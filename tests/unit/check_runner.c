/*
 * runner: how a reboot call's answer is read per target.  Only an
 * accepted item may settle; only a readable refusal is final; anything
 * else must be reconciled, never resent blindly nor passed.
 */
#include "config.h"

#include <string.h>

#include <check.h>

#include "ensbatch/runner.h"
#include "suites.h"

static const struct {
	enum ens_outcome	outcome;
	enum ens_item_state	item;
	enum journal_state	want;
} item_rows[] = {
	{ ENS_OK, ENS_ITEM_ACCEPTED, JOURNAL_CONFIRMED },
	{ ENS_OK, ENS_ITEM_REFUSED, JOURNAL_FAILED },
	{ ENS_OK, ENS_ITEM_UNKNOWN, JOURNAL_UNKNOWN },
	{ ENS_API_ERROR, ENS_ITEM_UNKNOWN, JOURNAL_FAILED },
	{ ENS_API_ERROR, ENS_ITEM_ACCEPTED, JOURNAL_FAILED },
	{ ENS_NOT_SENT, ENS_ITEM_UNKNOWN, JOURNAL_NOT_SENT },
	{ ENS_NOT_SENT, ENS_ITEM_ACCEPTED, JOURNAL_NOT_SENT },
	{ ENS_UNKNOWN, ENS_ITEM_UNKNOWN, JOURNAL_UNKNOWN },
	{ ENS_UNKNOWN, ENS_ITEM_ACCEPTED, JOURNAL_UNKNOWN },
	{ ENS_UNKNOWN, ENS_ITEM_REFUSED, JOURNAL_UNKNOWN },
};

START_TEST(test_item_state)
{
	struct ens_item_result	res[2];
	struct ens_reply	rep;

	memset(&rep, 0, sizeof(rep));
	memset(res, 0, sizeof(res));
	res[1].state = item_rows[_i].item;
	res[1].found = item_rows[_i].item != ENS_ITEM_UNKNOWN;
	res[1].code = item_rows[_i].item == ENS_ITEM_ACCEPTED ? 200 : 400;
	rep.outcome = item_rows[_i].outcome;
	rep.results = res;
	rep.nresults = 2;
	ck_assert_msg(runner_item_state(&rep, 1) == item_rows[_i].want,
	    "row %d", _i);
}
END_TEST

Suite *
runner_suite(void)
{
	Suite	*s = suite_create("runner");
	TCase	*tc = tcase_create("item_state");

	tcase_add_loop_test(tc, test_item_state, 0,
	    (int)(sizeof(item_rows) / sizeof(item_rows[0])));
	suite_add_tcase(s, tc);
	return (s);
}
