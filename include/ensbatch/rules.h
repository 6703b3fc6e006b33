/*
 * Offline validation: interprets the values of a loaded manifest,
 * reports every rule violation to diags, and fills the resolved fields
 * of the model (policies, group order).
 */
#ifndef ENSBATCH_RULES_H
#define ENSBATCH_RULES_H

#include <stdint.h>

#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"

/*
 * Returns the number of errors found.  now is in ms since the epoch;
 * RULES_NO_DEADLINES leaves out plan-time-past (a resumed run, whose
 * runner checks the PlanTimes it still has to send).
 */
#define RULES_NO_DEADLINES	INT64_MIN
size_t	rules_check(struct manifest *, int64_t, struct diags *);

/*
 * Check an endpoint (manifest api.endpoint or --endpoint): a host name,
 * an https:// URL, or an http:// URL whose host is a loopback address.
 * Returns NULL, or a static message saying what is wrong.
 */
const char	*rules_endpoint_problem(const char *);

#ifdef ENSBATCH_TESTING
/* ^e-[0-9a-f]{32}$ and ^[in]-[0-9a-z]{8,64}$ */
int		 rules_event_id_ok(const char *);
int		 rules_resource_id_ok(const char *);
/* [A-Za-z0-9._-]{1,64}; with the flag, the first an alphanumeric. */
int		 rules_name_ok(const char *, int);
/* Is host[0..len) a loopback name or address? */
int		 rules_loopback_host(const char *, size_t);
#endif

#endif
