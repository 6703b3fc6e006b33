/*
 * Fuzz target: the parser of BatchEventRebootInstance answers, against
 * a fixed batch of three items (the describe parsers have their own
 * target, fuzz_describe).
 *
 * Invariants: exactly one result per item; an item is accepted only if
 * the answer's Results name it exactly once, with its ResourceId and
 * the JSON integer 200 as Code; refused only likewise with an integer
 * Code of 400-499; anything else is unknown (code -1), never a
 * refusal.  No string handed back holds a control character.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ensbatch/ens.h"

#include "fuzz.h"
#include "fuzz_clean.h"

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

/* Whether v is exactly the string s. */
static int
fuzz_is(json_t *v, const char *s)
{
	return (json_is_string(v) && json_string_length(v) == strlen(s) &&
	    memcmp(json_string_value(v), s, strlen(s)) == 0);
}

/* The entries of Results whose EventId is exactly event: count, first. */
static size_t
fuzz_entries(json_t *results, const char *event, json_t **first)
{
	json_t	*it;
	size_t	 i, n = 0;

	*first = NULL;
	json_array_foreach(results, i, it) {
		if (fuzz_is(json_object_get(it, "EventId"), event) &&
		    n++ == 0)
			*first = it;
	}
	return (n);
}

static void
check_reboot(const uint8_t *data, size_t size)
{
	struct ens_reply	 r;
	json_t			*root, *results, *e, *code;
	size_t			 k, named;
	int			 rc;

	memset(&r, 0, sizeof(r));
	rc = ens_parse_reboot((const char *)data, size, fuzz_items,
	    FUZZ_NITEMS, &r);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(r.results != NULL && r.nresults == FUZZ_NITEMS);
	FUZZ_CHECK(rc == 0 || r.message != NULL);
	FUZZ_CHECK(r.request_id == NULL || fuzz_clean(r.request_id));

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	results = json_object_get(root, "Results");
	for (k = 0; k < FUZZ_NITEMS; k++) {
		const struct ens_item_result *res = &r.results[k];

		FUZZ_CHECK(res->found == (res->state != ENS_ITEM_UNKNOWN));
		if (res->state == ENS_ITEM_UNKNOWN) {
			FUZZ_CHECK(res->code == -1);
			continue;
		}
		/* Readable: one entry, the ids asked for, an integer Code. */
		FUZZ_CHECK(rc == 0 && json_is_array(results));
		named = fuzz_entries(results, fuzz_items[k].event, &e);
		FUZZ_CHECK(named == 1);
		FUZZ_CHECK(fuzz_is(json_object_get(e, "ResourceId"),
		    fuzz_items[k].resource));
		code = json_object_get(e, "Code");
		FUZZ_CHECK(json_is_integer(code));
		FUZZ_CHECK(json_integer_value(code) == res->code);
		if (res->state == ENS_ITEM_ACCEPTED)
			FUZZ_CHECK(res->code == 200);
		else
			FUZZ_CHECK(res->code >= 400 && res->code <= 499);
		FUZZ_CHECK(res->code_text != NULL && res->message != NULL);
		FUZZ_CHECK(fuzz_clean(res->code_text));
		FUZZ_CHECK(fuzz_clean(res->message));
	}
	json_decref(root);
	ens_reply_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reboot(data, size);
	return (0);
}
