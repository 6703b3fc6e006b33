/*
 * Fuzz target: the journal reader (journal_parse, as --resume uses it).
 *
 * Invariants: either a journal or a message that names the file comes
 * back; a torn last line (no newline) changes nothing, so the input
 * parses exactly like its part up to the last newline; every event in
 * doubt has state unknown and is what journal_lookup finds for it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/journal.h"

#include "fuzz.h"

/* Events the seed journals use. */
static const char *const fuzz_events[] = {
	"e-93b50d84b9711f604daf8eae8c938fe2",
	"e-2fe52015cb096d7fe441054da5085c11",
	"e-6957117c11ff769fa9825ff91eb41bd0",
	""
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

/* The length of text up to and including its last newline. */
static size_t
complete_part(const char *text, size_t len)
{
	while (len > 0 && text[len - 1] != '\n')
		len--;
	return (len);
}

static void
check_journal(const struct journal *j)
{
	const struct journal_event	**doubt = NULL, *e;
	size_t				  n, i;

	FUZZ_CHECK(journal_sha256(j) != NULL);
	n = journal_in_doubt(j, &doubt);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(doubt[i]->state == JOURNAL_UNKNOWN);
		FUZZ_CHECK(journal_lookup(j, doubt[i]->event) == doubt[i]);
	}
	free(doubt);
	for (i = 0; i < sizeof(fuzz_events) / sizeof(fuzz_events[0]); i++) {
		e = journal_lookup(j, fuzz_events[i]);
		FUZZ_CHECK(e == NULL || strcmp(e->event, fuzz_events[i]) == 0);
		FUZZ_CHECK(e == NULL || e->state != JOURNAL_NONE);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;
	struct journal	*j, *whole;
	char		*cause = NULL, *cause2 = NULL;
	size_t		 good;

	j = journal_parse(text, size, "fuzz", &cause);
	FUZZ_CHECK((j == NULL) == (cause != NULL));
	if (j != NULL)
		check_journal(j);
	else
		FUZZ_CHECK(strncmp(cause, "fuzz:", 5) == 0);

	/* Without its torn last line, the journal reads the same. */
	good = complete_part(text, size);
	if (good < size) {
		whole = journal_parse(text, good, "fuzz", &cause2);
		FUZZ_CHECK((whole == NULL) == (j == NULL));
		if (whole != NULL)
			FUZZ_CHECK(strcmp(journal_sha256(whole),
			    journal_sha256(j)) == 0);
		else
			FUZZ_CHECK(strcmp(cause, cause2) == 0);
		journal_free(whole);
		free(cause2);
	}
	journal_free(j);
	free(cause);
	return (0);
}
