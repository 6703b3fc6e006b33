/*
 * Fuzz target: the parsers of the describe answers, DescribeInstances
 * (ens_parse_instances) and DescribeHistoryEvents (ens_parse_events).
 *
 * Invariants: a page is either read or refused with a message, never
 * half-read; a page read twice yields twice its entries; an instances
 * page is read only if its Code is the integer 0 and every entry of
 * Instances.Instance has a string InstanceId and Status, and then each
 * entry is one instance with those values; no string handed back holds
 * a control character (the parsers sanitise them).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ensbatch/ens.h"

#include "fuzz.h"
#include "fuzz_clean.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

/* Printable ASCII that sanitising leaves alone. */
static int
fuzz_plain(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return (0);
	}
	return (strstr(s, "string to sign") == NULL);
}

/* The entries a usable instances page holds, or -1 if it is not one. */
static long
fuzz_instances_expected(const uint8_t *data, size_t size, json_t **arr)
{
	json_t	*root, *code, *tc, *it;
	size_t	 i;
	long	 n = -1;

	*arr = NULL;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	code = json_object_get(root, "Code");
	tc = json_object_get(root, "TotalCount");
	*arr = json_object_get(json_object_get(root, "Instances"), "Instance");
	if (json_is_object(root) && json_is_integer(code) &&
	    json_integer_value(code) == 0 && json_is_integer(tc) &&
	    json_integer_value(tc) >= 0 && json_is_array(*arr)) {
		n = (long)json_array_size(*arr);
		json_array_foreach(*arr, i, it) {
			if (!json_is_string(json_object_get(it,
			    "InstanceId")) ||
			    !json_is_string(json_object_get(it, "Status")))
				n = -1;
		}
	}
	json_incref(*arr);
	json_decref(root);
	return (n);
}

static void
check_instances(const uint8_t *data, size_t size)
{
	struct ens_instance	*in = NULL;
	size_t			 n = 0, i;
	int64_t			 total = -1;
	char			*cause = NULL;
	json_t			*arr, *it;
	long			 expect;
	int			 rc;

	expect = fuzz_instances_expected(data, size, &arr);
	rc = ens_parse_instances((const char *)data, size, &in, &n, &total,
	    &cause);
	FUZZ_CHECK((rc == 0) == (cause == NULL));
	FUZZ_CHECK((rc == 0) == (expect >= 0));
	free(cause);
	if (rc != 0) {
		FUZZ_CHECK(n == 0);
		ens_instances_free(in, n);
		json_decref(arr);
		return;
	}
	FUZZ_CHECK(n == (size_t)expect && total >= 0);
	for (i = 0; i < n; i++) {
		it = json_array_get(arr, i);
		FUZZ_CHECK(in[i].instance != NULL && in[i].status != NULL);
		FUZZ_CHECK(fuzz_clean(in[i].instance) &&
		    fuzz_clean(in[i].status));
		FUZZ_CHECK(fuzz_clean(in[i].name) && fuzz_clean(in[i].region));
		/* Plain values come back as they were. */
		if (fuzz_plain(json_string_value(json_object_get(it,
		    "InstanceId"))))
			FUZZ_CHECK(strcmp(in[i].instance, json_string_value(
			    json_object_get(it, "InstanceId"))) == 0);
		FUZZ_CHECK((in[i].name != NULL) ==
		    json_is_string(json_object_get(it, "InstanceName")));
	}
	rc = ens_parse_instances((const char *)data, size, &in, &n, &total,
	    &cause);
	FUZZ_CHECK(rc == 0 && cause == NULL && n == 2 * (size_t)expect);
	ens_instances_free(in, n);
	json_decref(arr);
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
		FUZZ_CHECK(fuzz_clean(ev[i].event) && fuzz_clean(ev[i].type));
		FUZZ_CHECK(fuzz_clean(ev[i].status) &&
		    fuzz_clean(ev[i].level));
		FUZZ_CHECK(fuzz_clean(ev[i].resource) &&
		    fuzz_clean(ev[i].reason));
	}
	ens_events_free(ev, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_instances(data, size);
	check_events(data, size);
	return (0);
}
