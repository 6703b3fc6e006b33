/* The unit test runner: every module's suite in one SRunner. */
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(diag_suite());
	srunner_add_suite(sr, timefmt_suite());
	srunner_add_suite(sr, buf_suite());
	srunner_add_suite(sr, xmalloc_suite());
	srunner_add_suite(sr, manifest_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, plan_suite());
	srunner_add_suite(sr, preflight_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, runner_suite());
	srunner_add_suite(sr, settle_suite());
	srunner_add_suite(sr, sign_suite());
	srunner_add_suite(sr, creds_suite());
	srunner_add_suite(sr, ens_suite());
	srunner_add_suite(sr, sanitize_suite());
	srunner_add_suite(sr, http_suite());
	srunner_add_suite(sr, journal_suite());
	srunner_add_suite(sr, probe_suite());
	srunner_add_suite(sr, cmd_suite());
	srunner_add_suite(sr, msg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
