/*
 * The libFuzzer entry points every fuzz target defines.  Built with
 * clang -fsanitize=fuzzer by "make fuzz", or with standalone.c as a
 * replay program that "make check" runs over the seed corpus and the
 * regression inputs.
 */
#ifndef ENSBATCH_FUZZ_H
#define ENSBATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An invariant: on failure, say which and abort (a crash to libFuzzer). */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
