/*
 * Times and durations as the manifest writes them.  All instants are
 * int64_t milliseconds since the Unix epoch (what the ENS API uses).
 *
 * Functions returning int return 0 on success and -1 on error, with a
 * message in *cause (caller frees); *cause is set to NULL on entry.
 */
#ifndef ENSBATCH_TIMEFMT_H
#define ENSBATCH_TIMEFMT_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#define TIMEFMT_LEN	64	/* enough for any formatted time */
/* The latest time accepted anywhere: 9999-12-31T23:59:59.999Z. */
#define TIMEFMT_MAX_TIME	INT64_C(253402300799999)

/*
 * Parse a duration: one or more <digits><unit> with units h, m, s and
 * ms in decreasing order ("90s", "15m", "1h30m", "2h", "250ms", "0s").
 * A leading '-' gives a negative value (rules reject it with "range").
 * A bare number, an empty string, unknown units or overflow are errors.
 */
int	 timefmt_duration(const char *, int64_t *, char **);

/* Format a duration compactly: "1h30m", "15m", "90s" -> "1m30s", "0s". */
void	 timefmt_duration_str(int64_t, char *, size_t);

/*
 * Check that an IANA zone name exists in the system's tz database
 * ("UTC" always does).  glibc silently treats unknown zones as UTC,
 * so this looks at the zoneinfo file itself.  right/ zones (leap
 * seconds) and posix/ aliases are refused.
 */
int	 timefmt_zone_check(const char *, char **);

/*
 * Parse a time: RFC 3339 with offset ("2026-12-01T02:00:00+08:00",
 * "...Z", optional fraction), local "YYYY-MM-DD HH:MM[:SS]" in the given
 * zone (NULL means UTC; a local time that does not exist or is
 * ambiguous because of a DST change is an error), or an integer
 * millisecond epoch.
 */
int	 timefmt_parse(const char *, const char *, int64_t *, char **);

/* "2026-11-30T18:00:00Z" (milliseconds shown only when non-zero). */
void	 timefmt_utc(int64_t, char *, size_t);

/* "2026-12-01 02:00:00 +08:00" in the given zone (NULL = UTC). */
void	 timefmt_local(int64_t, const char *, char *, size_t);

/* The current time in milliseconds. */
int64_t	 timefmt_now(void);

/*
 * Sleep ms milliseconds, waking early (within 100 ms) once *stop is
 * non-zero; stop may be NULL.  The one sleep of the program's waits.
 */
void	 timefmt_sleep(int64_t, const volatile sig_atomic_t *);

/* A monotonic clock in milliseconds, for intervals and deadlines. */
int64_t	 timefmt_mono(void);

#endif
