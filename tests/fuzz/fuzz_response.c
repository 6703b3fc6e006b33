/*
 * Fuzz target: the parsers of the ENS answers, BatchEventRebootInstance
 * (against a fixed batch of three items) and DescribeHistoryEvents.
 *
 * Invariants: a reboot answer yields exactly one result per item; an
 * item is marked found with code 200 only if the answer's Results name
 * exactly that EventId (the first such entry) with a Code of 200 or
 * "200"; an item the Results name is found.  An events page appended
 * twice yields twice its events.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ensbatch/ens.h"

#include "fuzz.h"

#define FUZZ_NITEMS	3

static const struct ens_item fuzz_items[FUZZ_NITEMS] = {
	{ "e-93b50d84b9711f604daf8eae8c938fe2", "i-7e952e228412835d3e0d",
	    0, 0 },
	{ "e-2fe52015cb096d7fe441054da5085c11", "i-d1cc2f26be1961a06042",
	    1, INT64_C(1796146200000) },
	{ "e-6957117c11ff769fa9825ff91eb41bd0", "n-c6bdf270cea0f3707397",
	    1, INT64_C(1796148000000) }
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

/* Code 200 as the API sends it: the integer 200 or the string "200". */
static int
code_is_200(json_t *v)
{
	const char	*s;
	char		*end;
	long		 n;

	if (json_is_integer(v))
		return (json_integer_value(v) == 200);
	if ((s = json_string_value(v)) == NULL)
		return (0);
	/* The parser's leniency for strings ("+200", " 200") is fine. */
	errno = 0;
	n = strtol(s, &end, 10);
	return (errno == 0 && end != s && *end == '\0' && n == 200);
}

/* The first entry of Results whose EventId is exactly event, or NULL. */
static json_t *
find_entry(json_t *results, const char *event)
{
	json_t		*it, *id;
	size_t		 i;

	json_array_foreach(results, i, it) {
		id = json_object_get(it, "EventId");
		if (json_is_string(id) &&
		    json_string_length(id) == strlen(event) &&
		    memcmp(json_string_value(id), event, strlen(event)) == 0)
			return (it);
	}
	return (NULL);
}

static void
check_reboot(const uint8_t *data, size_t size)
{
	struct ens_reply	 r;
	json_t			*root, *results, *e;
	json_error_t		 err;
	size_t			 k;
	int			 rc;

	memset(&r, 0, sizeof(r));
	rc = ens_parse_reboot((const char *)data, size, fuzz_items,
	    FUZZ_NITEMS, &r);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(r.results != NULL && r.nresults == FUZZ_NITEMS);
	FUZZ_CHECK(rc == 0 || r.message != NULL);

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &err);
	results = json_object_get(root, "Results");
	for (k = 0; k < FUZZ_NITEMS; k++) {
		const struct ens_item_result *res = &r.results[k];

		if (!res->found) {
			FUZZ_CHECK(rc != 0 || !json_is_array(results) ||
			    find_entry(results, fuzz_items[k].event) == NULL);
			continue;
		}
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(res->code_text != NULL && res->message != NULL);
		if (res->code != 200)
			continue;
		FUZZ_CHECK(json_is_array(results));
		e = find_entry(results, fuzz_items[k].event);
		FUZZ_CHECK(e != NULL);
		FUZZ_CHECK(code_is_200(json_object_get(e, "Code")));
	}
	json_decref(root);
	ens_reply_clear(&r);
}

static void
check_events(const uint8_t *data, size_t size)
{
	struct ens_event	*ev = NULL;
	size_t			 n = 0, first, i;
	int64_t			 total = -1;
	char			*cause = NULL;
	int			 rc;

	rc = ens_parse_events((const char *)data, size, &ev, &n, &total,
	    &cause);
	FUZZ_CHECK((rc == 0) == (cause == NULL));
	free(cause);
	if (rc != 0) {
		FUZZ_CHECK(n == 0);
		ens_events_free(ev, n);
		return;
	}
	first = n;
	rc = ens_parse_events((const char *)data, size, &ev, &n, &total,
	    &cause);
	FUZZ_CHECK(rc == 0 && cause == NULL && n == 2 * first);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(ev[i].event != NULL && ev[i].type != NULL);
		FUZZ_CHECK(ev[i].status != NULL && ev[i].level != NULL);
		FUZZ_CHECK(ev[i].resource != NULL && ev[i].reason != NULL);
	}
	ens_events_free(ev, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reboot(data, size);
	check_events(data, size);
	return (0);
}
