/* One Check suite per module, chained by check_ensbatch.c. */
#ifndef ENSBATCH_TEST_SUITES_H
#define ENSBATCH_TEST_SUITES_H

#include <check.h>

Suite	*buf_suite(void);
Suite	*cmd_suite(void);
Suite	*creds_suite(void);
Suite	*diag_suite(void);
Suite	*ens_suite(void);
Suite	*http_suite(void);
Suite	*journal_suite(void);
Suite	*manifest_suite(void);
Suite	*msg_suite(void);
Suite	*plan_suite(void);
Suite	*preflight_suite(void);
Suite	*probe_suite(void);
Suite	*report_suite(void);
Suite	*rules_suite(void);
Suite	*sanitize_suite(void);
Suite	*runner_suite(void);
Suite	*settle_suite(void);
Suite	*sign_suite(void);
Suite	*timefmt_suite(void);
Suite	*xmalloc_suite(void);

#endif
