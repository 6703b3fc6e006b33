/*
 * TESTABLE marks a file-local function that has a unit test.  It is
 * static in the program; the test build (ENSBATCH_TESTING) gives it
 * external linkage so that tests/unit can call it.
 */
#ifndef ENSBATCH_TESTABLE_H
#define ENSBATCH_TESTABLE_H

#ifdef ENSBATCH_TESTING
#define TESTABLE
#else
#define TESTABLE static
#endif

#endif
