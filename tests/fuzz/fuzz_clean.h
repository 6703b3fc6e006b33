/*
 * The invariant of every string the ENS parsers hand back: no control
 * character (C0, DEL, C1) and so no escape sequence.  For the fuzz
 * targets of those parsers.
 */
#ifndef ENSBATCH_FUZZ_CLEAN_H
#define ENSBATCH_FUZZ_CLEAN_H

/* Whether s (NULL is fine) is free of control characters. */
static int
fuzz_clean(const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return (1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 &&
		    p[1] <= 0x9f))
			return (0);
	}
	return (1);
}

#endif
