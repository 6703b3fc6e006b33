/*
 * Times and durations as the manifest writes them, converted to and from
 * the millisecond epochs the ENS API uses.
 *
 * Local times are resolved in an IANA zone by switching TZ for the
 * duration of one conversion (timefmt_zone_enter/timefmt_zone_leave); this is not
 * thread-safe, which is fine for a single-threaded CLI.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define MS_PER_SEC	INT64_C(1000)
#define MS_PER_MIN	(60 * MS_PER_SEC)
#define MS_PER_HOUR	(60 * MS_PER_MIN)
#define SECS_PER_DAY	INT64_C(86400)

/* Millisecond epochs accepted as plausible: 2000-01-01 to 9999-12-31. */
#define EPOCH_MIN	INT64_C(946684800000)
#define EPOCH_MAX	TIMEFMT_MAX_TIME

/* Digits in a number we accept; 18 always fits in an int64_t. */
#define MAX_DIGITS	18

#define ZONEINFO_DIR	"/usr/share/zoneinfo"
#define ZONE_NAME_MAX	255

#define TIME_FORMS	"use RFC 3339 (2026-12-01T02:00:00+08:00 or "	\
			"2026-11-30T18:00:00Z), a local "		\
			"YYYY-MM-DD HH:MM[:SS] or epoch milliseconds"

/* The fields of a written time, before conversion. */
struct tfields {
	int	year;
	int	mon;
	int	day;
	int	hour;
	int	min;
	int	sec;
	int	ms;
	int	has_off;	/* Z or +-HH:MM was given */
	int	off;		/* seconds east of UTC */
};

/* The caller's TZ, saved by timefmt_zone_enter and put back by timefmt_zone_leave. */
struct zone_env {
	char	*saved;		/* NULL if TZ was unset */
};

static int
timefmt_is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* "UTC" and its aliases need no zoneinfo file. */
static int
timefmt_zone_is_utc(const char *zone)
{
	return (zone == NULL || strcmp(zone, "UTC") == 0 ||
	    strcmp(zone, "Etc/UTC") == 0);
}

/* Make zone the process's local time zone until timefmt_zone_leave. */
static void
timefmt_zone_enter(const char *zone, struct zone_env *ze)
{
	const char	*old;
	char		*value;

	old = getenv("TZ");
	ze->saved = (old != NULL) ? xstrdup(old) : NULL;

	/* A leading ':' makes glibc read the zone as a file name only. */
	if (timefmt_zone_is_utc(zone))
		value = xstrdup("UTC0");
	else
		value = xasprintf(":%s", zone);
	if (setenv("TZ", value, 1) != 0)
		fatal("setenv TZ: %s", strerror(errno));
	tzset();
	free(value);
}

/* Restore the TZ that timefmt_zone_enter found, exactly (including unset). */
static void
timefmt_zone_leave(struct zone_env *ze)
{
	if (ze->saved != NULL) {
		if (setenv("TZ", ze->saved, 1) != 0)
			fatal("setenv TZ: %s", strerror(errno));
	} else
		unsetenv("TZ");
	tzset();
	free(ze->saved);
	ze->saved = NULL;
}

/*
 * See timefmt.h.  One scan over "1h30m"-style text: number, unit, the
 * checks between them; a state machine reads worse split.
 */
int
timefmt_duration(const char *text, int64_t *out, char **cause)
{
	/* Indexed by rank: h, m, s, ms. */
	static const int64_t	 mult[] = {
		MS_PER_HOUR, MS_PER_MIN, MS_PER_SEC, 1
	};
	const char	*p, *start, *digits;
	int64_t		 total, n;
	int		 neg, rank, u, ulen, retval = -1;

	*cause = NULL;
	p = text;
	neg = (*p == '-');
	if (neg)
		p++;
	digits = p;
	if (*text == '\0') {
		*cause = xstrdup("empty duration (use e.g. 90s, 15m or "
		    "1h30m)");
		goto out;
	}

	total = 0;
	rank = -1;
	do {
		if (!timefmt_is_digit(*p)) {
			*cause = xasprintf("invalid duration \"%s\" (use e.g. "
			    "90s, 15m, 1h30m or 250ms)", text);
			goto out;
		}
		start = p;
		n = 0;
		for (; timefmt_is_digit(*p); p++) {
			if (p - start >= MAX_DIGITS) {
				*cause = xasprintf("duration \"%s\" is too "
				    "large", text);
				goto out;
			}
			n = n * 10 + (*p - '0');
		}

		if (*p == '\0') {
			if (rank == -1)
				*cause = xasprintf("\"%s\" has no unit (use "
				    "%s%ss, %s%sm or %s%sh)", text,
				    neg ? "-" : "", digits, neg ? "-" : "",
				    digits, neg ? "-" : "", digits);
			else
				*cause = xasprintf("invalid duration \"%s\": "
				    "\"%s\" has no unit", text, start);
			goto out;
		}

		if (p[0] == 'm' && p[1] == 's') {
			u = 3;
			ulen = 2;
		} else if (*p == 'h' || *p == 'm' || *p == 's') {
			u = (*p == 'h') ? 0 : (*p == 'm') ? 1 : 2;
			ulen = 1;
		} else {
			for (ulen = 0; p[ulen] != '\0' && !timefmt_is_digit(p[ulen]);
			    ulen++)
				/* nothing */;
			*cause = xasprintf("invalid duration \"%s\": unknown "
			    "unit \"%.*s\" (use h, m, s or ms)", text, ulen,
			    p);
			goto out;
		}
		if (u <= rank) {
			*cause = xasprintf("invalid duration \"%s\": units "
			    "must appear at most once each, in the order h, "
			    "m, s, ms", text);
			goto out;
		}
		if (n > (INT64_MAX - total) / mult[u]) {
			*cause = xasprintf("duration \"%s\" is too large",
			    text);
			goto out;
		}
		total += n * mult[u];
		rank = u;
		p += ulen;
	} while (*p != '\0');

	*out = neg ? -total : total;
	retval = 0;
out:
	return (retval);
}

void
timefmt_duration_str(int64_t value, char *buf, size_t len)
{
	char		 tmp[TIMEFMT_LEN];
	uint64_t	 mag, h, m, s, ms;
	size_t		 off = 0;

	if (len == 0)
		return;
	if (value < 0) {
		mag = (uint64_t)0 - (uint64_t)value;
		tmp[off++] = '-';
	} else
		mag = (uint64_t)value;

	h = mag / (uint64_t)MS_PER_HOUR;
	m = mag / (uint64_t)MS_PER_MIN % 60;
	s = mag / (uint64_t)MS_PER_SEC % 60;
	ms = mag % (uint64_t)MS_PER_SEC;

	/* Each piece is short, so tmp (64 bytes) always has room. */
	if (h != 0)
		off += (size_t)snprintf(tmp + off, sizeof tmp - off,
		    "%" PRIu64 "h", h);
	if (m != 0)
		off += (size_t)snprintf(tmp + off, sizeof tmp - off,
		    "%" PRIu64 "m", m);
	if (s != 0 || mag == 0)
		off += (size_t)snprintf(tmp + off, sizeof tmp - off,
		    "%" PRIu64 "s", s);
	if (ms != 0)
		snprintf(tmp + off, sizeof tmp - off, "%" PRIu64 "ms", ms);
	else
		tmp[off] = '\0';
	snprintf(buf, len, "%s", tmp);
}

/*
 * Is zone a safe relative name: [A-Za-z0-9_+-] components separated by
 * single slashes, none of them "." or ".."?  The character set already
 * excludes '.', so only the shape needs checking.
 */
static int
timefmt_zone_name_ok(const char *zone)
{
	const char	*p;
	char		 c;

	if (*zone == '\0' || strlen(zone) > ZONE_NAME_MAX)
		return (0);
	for (p = zone; *p != '\0'; p++) {
		c = *p;
		if (c == '/') {
			if (p == zone || p[1] == '/' || p[1] == '\0')
				return (0);
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    timefmt_is_digit(c) || c == '_' || c == '+' || c == '-'))
			return (0);
	}
	return (1);
}

int
timefmt_zone_check(const char *zone, char **cause)
{
	const char	*dir;
	char		*path = NULL, magic[4];
	struct stat	 sb;
	int		 fd = -1, retval = -1;

	*cause = NULL;
	if (timefmt_zone_is_utc(zone)) {
		retval = 0;
		goto out;
	}
	if (!timefmt_zone_name_ok(zone)) {
		*cause = xasprintf("invalid time zone \"%s\" (expected an "
		    "IANA name such as Europe/Berlin)", zone);
		goto out;
	}
	/*
	 * right/ zones count leap seconds, which Unix time and the API's
	 * milliseconds do not: local times would be read 27 s off.
	 * posix/ zones are the plain ones again; one spelling is enough.
	 */
	if (strncmp(zone, "right/", 6) == 0) {
		*cause = xasprintf("time zone \"%s\" counts leap seconds, "
		    "which the API's times do not: use \"%s\"", zone,
		    zone + 6);
		goto out;
	}
	if (strncmp(zone, "posix/", 6) == 0) {
		*cause = xasprintf("time zone \"%s\" is \"%s\" under another "
		    "name: write \"%s\"", zone, zone + 6, zone + 6);
		goto out;
	}

	dir = getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = ZONEINFO_DIR;
	path = xasprintf("%s/%s", dir, zone);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    read(fd, magic, sizeof magic) != (ssize_t)sizeof magic ||
	    memcmp(magic, "TZif", sizeof magic) != 0) {
		*cause = xasprintf("unknown time zone \"%s\"", zone);
		goto out;
	}
	retval = 0;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return (retval);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
timefmt_days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= (m <= 2);
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static int
timefmt_days_in_month(int year, int mon)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			leap;

	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return ((mon == 2 && leap) ? 29 : days[mon - 1]);
}

/* Read exactly n digits at *pp into *out and advance. */
static int
timefmt_take_digits(const char **pp, int n, int *out)
{
	const char	*p = *pp;
	int		 i, v = 0;

	for (i = 0; i < n; i++) {
		if (!timefmt_is_digit(p[i]))
			return (-1);
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return (0);
}

/*
 * Split "YYYY-MM-DD(T|t| )HH:MM[:SS[.frac]][Z|z|+HH:MM|-HH:MM]" into
 * fields without checking ranges.  Fractions beyond milliseconds are
 * truncated.
 */
static int
timefmt_split_time(const char *text, struct tfields *f)
{
	const char	*p = text;
	int		 i, sign, oh, om;

	memset(f, 0, sizeof *f);
	if (timefmt_take_digits(&p, 4, &f->year) != 0 || *p++ != '-' ||
	    timefmt_take_digits(&p, 2, &f->mon) != 0 || *p++ != '-' ||
	    timefmt_take_digits(&p, 2, &f->day) != 0)
		return (-1);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return (-1);
	p++;
	if (timefmt_take_digits(&p, 2, &f->hour) != 0 || *p++ != ':' ||
	    timefmt_take_digits(&p, 2, &f->min) != 0)
		return (-1);
	if (*p == ':') {
		p++;
		if (timefmt_take_digits(&p, 2, &f->sec) != 0)
			return (-1);
		if (*p == '.') {
			p++;
			if (!timefmt_is_digit(*p))
				return (-1);
			for (i = 0; timefmt_is_digit(*p); i++, p++) {
				if (i < 3)
					f->ms = f->ms * 10 + (*p - '0');
			}
			for (; i < 3; i++)
				f->ms *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		f->has_off = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = (*p == '-') ? -1 : 1;
		p++;
		if (timefmt_take_digits(&p, 2, &oh) != 0 || *p++ != ':' ||
		    timefmt_take_digits(&p, 2, &om) != 0)
			return (-1);
		if (oh > 23 || om > 59)
			return (-1);
		f->has_off = 1;
		f->off = sign * (oh * 3600 + om * 60);
	}
	return (*p == '\0' ? 0 : -1);
}

/* Check that the fields name a real date and time of day. */
static int
timefmt_check_fields(const char *text, const struct tfields *f, char **cause)
{
	if (f->year < 1970)
		*cause = xasprintf("invalid time \"%s\": year %04d is before "
		    "1970", text, f->year);
	else if (f->mon < 1 || f->mon > 12)
		*cause = xasprintf("invalid time \"%s\": month must be 01 to "
		    "12", text);
	else if (f->day < 1 || f->day > timefmt_days_in_month(f->year, f->mon))
		*cause = xasprintf("invalid time \"%s\": %04d-%02d has no day "
		    "%02d", text, f->year, f->mon, f->day);
	else if (f->hour > 23)
		*cause = xasprintf("invalid time \"%s\": hour must be 00 to "
		    "23", text);
	else if (f->min > 59)
		*cause = xasprintf("invalid time \"%s\": minute must be 00 to "
		    "59", text);
	else if (f->sec > 59)
		*cause = xasprintf("invalid time \"%s\": second must be 00 to "
		    "59 (leap seconds are not supported)", text);
	return (*cause == NULL ? 0 : -1);
}

/* The fields as seconds since the epoch, reading them as UTC. */
static int64_t
timefmt_fields_utc(const struct tfields *f)
{
	return (timefmt_days_from_civil(f->year, f->mon, f->day) * SECS_PER_DAY +
	    f->hour * 3600 + f->min * 60 + f->sec);
}

/* Does broken-down local time tm show the fields' date and time? */
static int
timefmt_tm_matches(const struct tm *tm, const struct tfields *f)
{
	return (tm->tm_year + 1900 == f->year && tm->tm_mon + 1 == f->mon &&
	    tm->tm_mday == f->day && tm->tm_hour == f->hour &&
	    tm->tm_min == f->min && tm->tm_sec == f->sec);
}

/* "+08:00" for an offset in seconds east of UTC. */
static void
timefmt_offset_str(long off, char *buf, size_t len)
{
	char	sign = '+';

	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, len, "%c%02ld:%02ld", sign, off / 3600,
	    off / 60 % 60);
}

/*
 * Resolve local fields in zone to epoch seconds.  Every instant t with
 * that local time satisfies t = L - offset(t), where L is the fields
 * read as UTC.  Offsets are under a day, so the offsets in force a day
 * either side of L (and at L) are the only candidates; each candidate
 * is kept if it converts back to the same fields.  This relies on
 * localtime_r alone, so it also catches offset changes that are not
 * flagged as DST, and never depends on how mktime treats tm_isdst.
 * No candidate means a gap, two mean an overlap.
 */
static int
timefmt_local_resolve(const char *text, const struct tfields *f, const char *zone,
    int64_t *secs, char **cause)
{
	static const int64_t	 probes[] = {
		-SECS_PER_DAY, 0, SECS_PER_DAY
	};
	struct zone_env		 ze;
	struct tm		 tm;
	time_t			 t;
	int64_t			 base, cand[3];
	long			 coff[3];
	char			 o1[32], o2[32], ms[8];
	size_t			 i, j, n = 0;
	int			 retval = -1;

	base = timefmt_fields_utc(f);
	timefmt_zone_enter(zone, &ze);
	for (i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		t = (time_t)(base + probes[i]);
		if (localtime_r(&t, &tm) == NULL)
			continue;
		t = (time_t)(base - tm.tm_gmtoff);
		if (localtime_r(&t, &tm) == NULL || !timefmt_tm_matches(&tm, f))
			continue;
		for (j = 0; j < n && cand[j] != (int64_t)t; j++)
			/* nothing */;
		if (j < n)
			continue;
		/* Keep cand sorted, earliest first. */
		for (j = n; j > 0 && cand[j - 1] > (int64_t)t; j--) {
			cand[j] = cand[j - 1];
			coff[j] = coff[j - 1];
		}
		cand[j] = (int64_t)t;
		coff[j] = tm.tm_gmtoff;
		n++;
	}
	timefmt_zone_leave(&ze);

	if (n == 0) {
		*cause = xasprintf("%s does not exist in %s (DST change)",
		    text, zone);
		goto out;
	}
	if (n > 1) {
		timefmt_offset_str(coff[0], o1, sizeof o1);
		timefmt_offset_str(coff[n - 1], o2, sizeof o2);
		ms[0] = '\0';
		if (f->ms != 0)
			snprintf(ms, sizeof ms, ".%03d", f->ms);
		*cause = xasprintf("%s is ambiguous in %s (DST change): "
		    "write it with an offset, e.g. "
		    "%04d-%02d-%02dT%02d:%02d:%02d%s%s or %s", text, zone,
		    f->year, f->mon, f->day, f->hour, f->min, f->sec, ms, o1,
		    o2);
		goto out;
	}
	*secs = cand[0];
	retval = 0;
out:
	return (retval);
}

/*
 * An all-digit time is a millisecond epoch.  Values outside 2000..9999
 * are refused; one that would be in range times 1000 was almost
 * certainly written in seconds, so say so.
 */
static int
timefmt_parse_epoch(const char *text, int64_t *out, char **cause)
{
	const char	*p;
	int64_t		 v = 0;
	int		 retval = -1;

	for (p = text; *p != '\0'; p++) {
		if (p - text >= MAX_DIGITS) {
			v = -1;
			break;
		}
		v = v * 10 + (*p - '0');
	}
	if (v >= EPOCH_MIN && v <= EPOCH_MAX) {
		*out = v;
		retval = 0;
	} else if (v >= EPOCH_MIN / 1000 && v <= EPOCH_MAX / 1000)
		*cause = xasprintf("epoch \"%s\" looks like seconds; the API "
		    "wants milliseconds (%s000)", text, text);
	else
		*cause = xasprintf("epoch \"%s\" is out of range: expected "
		    "milliseconds between 2000-01-01 and 9999-12-31", text);
	return (retval);
}

int
timefmt_parse(const char *text, const char *zone, int64_t *out,
    char **cause)
{
	struct tfields	 f;
	const char	*p;
	int64_t		 secs;
	int		 retval = -1;

	*cause = NULL;
	if (*text == '\0') {
		*cause = xasprintf("empty time (%s)", TIME_FORMS);
		goto out;
	}
	for (p = text; timefmt_is_digit(*p); p++)
		/* nothing */;
	if (*p == '\0') {
		retval = timefmt_parse_epoch(text, out, cause);
		goto out;
	}

	if (timefmt_split_time(text, &f) != 0) {
		*cause = xasprintf("cannot parse time \"%s\": %s", text,
		    TIME_FORMS);
		goto out;
	}
	if (timefmt_check_fields(text, &f, cause) != 0)
		goto out;

	if (f.has_off)
		secs = timefmt_fields_utc(&f) - f.off;
	else if (timefmt_zone_is_utc(zone))
		secs = timefmt_fields_utc(&f);
	else {
		if (timefmt_zone_check(zone, cause) != 0)
			goto out;
		if (timefmt_local_resolve(text, &f, zone, &secs, cause) != 0)
			goto out;
	}
	*out = secs * MS_PER_SEC + f.ms;
	retval = 0;
out:
	return (retval);
}

/* Split ms into whole seconds (rounded down) and a 0..999 remainder. */
static void
timefmt_split_ms(int64_t value, time_t *secs, int *ms)
{
	int64_t	s, r;

	s = value / MS_PER_SEC;
	r = value % MS_PER_SEC;
	if (r < 0) {
		s--;
		r += MS_PER_SEC;
	}
	*secs = (time_t)s;
	*ms = (int)r;
}

/* Print tm and a millisecond remainder; the zone suffix is the caller's. */
static void
timefmt_tm_str(const struct tm *tm, int ms, char sep, const char *suffix, char *buf,
    size_t len)
{
	char	frac[8];

	frac[0] = '\0';
	if (ms != 0)
		snprintf(frac, sizeof frac, ".%03d", ms);
	snprintf(buf, len, "%04d-%02d-%02d%c%02d:%02d:%02d%s%s",
	    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, sep, tm->tm_hour,
	    tm->tm_min, tm->tm_sec, frac, suffix);
}

void
timefmt_utc(int64_t value, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t;
	int		ms;

	timefmt_split_ms(value, &t, &ms);
	if (gmtime_r(&t, &tm) != NULL)
		timefmt_tm_str(&tm, ms, 'T', "Z", buf, len);
	else
		snprintf(buf, len, "@%" PRId64, value);
}

void
timefmt_local(int64_t value, const char *zone, char *buf, size_t len)
{
	struct zone_env	 ze;
	struct tm	 tm, *tp;
	time_t		 t;
	char		 off[32];
	int		 ms;

	timefmt_split_ms(value, &t, &ms);
	if (timefmt_zone_is_utc(zone))
		tp = gmtime_r(&t, &tm);
	else {
		timefmt_zone_enter(zone, &ze);
		tp = localtime_r(&t, &tm);
		timefmt_zone_leave(&ze);
	}
	if (tp != NULL) {
		off[0] = ' ';
		timefmt_offset_str(tm.tm_gmtoff, off + 1, sizeof off - 1);
		timefmt_tm_str(&tm, ms, ' ', off, buf, len);
	} else
		snprintf(buf, len, "@%" PRId64, value);
}

int64_t
timefmt_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		fatal("clock_gettime: %s", strerror(errno));
	return ((int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / 1000000);
}

int64_t
timefmt_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
timefmt_sleep(int64_t ms, const volatile sig_atomic_t *stop)
{
	struct timespec	ts;
	int64_t		end = timefmt_mono() + ms, left;

	while ((stop == NULL || *stop == 0) &&
	    (left = end - timefmt_mono()) > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		(void)nanosleep(&ts, NULL);
	}
}
