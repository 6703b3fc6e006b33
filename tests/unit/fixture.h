/*
 * Scratch directories for unit tests: one base directory per TCase,
 * made and removed by the runner's own process (an unchecked fixture),
 * so that a test failing in a forked child leaves nothing behind; each
 * test gets a fresh directory inside it.
 */
#ifndef ENSBATCH_TEST_FIXTURE_H
#define ENSBATCH_TEST_FIXTURE_H

#include <stddef.h>

extern char	*fixture_dir;		/* the current test's directory */

/* For tcase_add_unchecked_fixture. */
void	 fixture_base_setup(void);
void	 fixture_base_teardown(void);

/* Call from a checked fixture's setup and teardown. */
void	 fixture_dir_setup(void);
void	 fixture_dir_teardown(void);

/* Write len bytes to fixture_dir/name; returns the path (caller frees). */
char	*fixture_put(const char *, const void *, size_t);

#endif
