/*
 * The shared unit-test fixture.  Scratch directories: one base
 * directory per TCase, made and removed by the runner's own process (an
 * unchecked fixture), so that a test failing in a forked child leaves
 * nothing behind; each test gets a fresh directory inside it.
 * Manifests: written from text into that directory and loaded, with
 * their diagnostics compared as printed header lines.
 */
#ifndef ENSBATCH_TEST_FIXTURE_H
#define ENSBATCH_TEST_FIXTURE_H

#include <stddef.h>

#include <check.h>

#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"

extern char		*fixture_dir;	/* the current test's directory */
extern struct diags	*fixture_diags;	/* fixture_setup() .. teardown */
extern struct manifest	*fixture_manifest; /* the last fixture_load() */

/* For tcase_add_unchecked_fixture. */
void	 fixture_base_setup(void);
void	 fixture_base_teardown(void);

/* Call from a checked fixture's setup and teardown. */
void	 fixture_dir_setup(void);
void	 fixture_dir_teardown(void);

/* Write len bytes to fixture_dir/name; returns the path (caller frees). */
char	*fixture_put(const char *, const void *, size_t);

/* Make the directory fixture_dir/name; returns its path (caller frees). */
char	*fixture_mkdir(const char *);

/* Write a string to fixture_dir/name. */
void	 fixture_put_text(const char *, const char *);

/*
 * A checked fixture for manifest tests: a fresh directory and fresh
 * diagnostics; teardown frees the manifest, the diagnostics and the
 * last summary.
 */
void	 fixture_setup(void);
void	 fixture_teardown(void);

/* Start again with fresh diagnostics and no manifest. */
void	 fixture_reset(void);

/*
 * Write len bytes of text to fixture_dir/m.yaml and load it into
 * fixture_manifest (NULL when it could not be loaded at all).
 */
struct manifest	*fixture_load(const char *, size_t);

/*
 * The header line of every diagnostic, sorted as printed, with
 * fixture_dir stripped ("m.yaml:3:5: error: ... [rule]").  Borrowed
 * until the next call or teardown.
 */
const char	*fixture_summary(void);

#define ck_assert_diags(expect)	ck_assert_str_eq(fixture_summary(), expect)

#endif
