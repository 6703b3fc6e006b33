/*
 * Tests for timefmt: durations, time zones, parsing and formatting of
 * times.  Expected epochs were computed independently with
 * `date -u -d TIME +%s`.  Nothing here depends on the TZ the tests run
 * under: tests that care set TZ themselves and check it comes back.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/timefmt.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* 2026-12-01T02:00:00+08:00 = 2026-11-30T18:00:00Z. */
#define T_DEC1_SH	INT64_C(1796061600000)

/* ---------------------------------------------------------- durations */

static const struct {
	const char	*text;
	int64_t		 ms;
} dur_good[] = {
	{ "90s", INT64_C(90000) },
	{ "15m", INT64_C(900000) },
	{ "1h30m", INT64_C(5400000) },
	{ "2h", INT64_C(7200000) },
	{ "250ms", INT64_C(250) },
	{ "1m30s", INT64_C(90000) },
	{ "0s", INT64_C(0) },
	{ "1h5s", INT64_C(3605000) },
	{ "1h2m3s4ms", INT64_C(3723004) },
	{ "1s500ms", INT64_C(1500) },
	{ "1m1ms", INT64_C(60001) },
	{ "-30s", INT64_C(-30000) },
	{ "-1h30m", INT64_C(-5400000) },
	{ "007s", INT64_C(7000) },
	{ "999999999999999999ms", INT64_C(999999999999999999) },
	{ "2562047788015h", INT64_C(9223372036854000000) },
};

START_TEST(test_duration_good)
{
	int64_t	 v = -42;
	char	*cause = (char *)"unset";

	ck_assert_int_eq(timefmt_duration(dur_good[_i].text, &v, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_int_eq(v, dur_good[_i].ms);
}
END_TEST

static const struct {
	const char	*text;
	const char	*msg;	/* substring of the message */
} dur_bad[] = {
	{ "30", "\"30\" has no unit (use 30s, 30m or 30h)" },
	{ "-30", "\"-30\" has no unit (use -30s, -30m or -30h)" },
	{ "", "empty duration" },
	{ " 30s", "invalid duration \" 30s\"" },
	{ "30s ", "invalid duration \"30s \"" },
	{ "1 h", "unknown unit \" h\"" },
	{ "1x", "unknown unit \"x\"" },
	{ "1H", "unknown unit \"H\"" },
	{ "1d", "unknown unit \"d\"" },
	{ "m", "invalid duration \"m\"" },
	{ "-", "invalid duration \"-\"" },
	{ "--1s", "invalid duration \"--1s\"" },
	{ "+1s", "invalid duration \"+1s\"" },
	{ "1h1h", "in the order h, m, s, ms" },
	{ "1s1m", "in the order h, m, s, ms" },
	{ "1ms1s", "in the order h, m, s, ms" },
	{ "1h30", "\"30\" has no unit" },
	{ "1.5h", "unknown unit \".\"" },
	{ "1h-30m", "invalid duration \"1h-30m\"" },
	{ "1000000000000000000ms", "too large" },
	{ "2562047788016h", "too large" },
	{ "2562047788015h1h", "in the order" },
	{ "2562047788015h14m", "too large" },
};

START_TEST(test_duration_bad)
{
	int64_t	 v = -42;
	char	*cause = NULL;

	ck_assert_int_eq(timefmt_duration(dur_bad[_i].text, &v, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, dur_bad[_i].msg) != NULL,
	    "\"%s\": message \"%s\" lacks \"%s\"", dur_bad[_i].text, cause,
	    dur_bad[_i].msg);
	ck_assert_int_eq(v, -42);
	free(cause);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*text;
} dur_str[] = {
	{ INT64_C(5400000), "1h30m" },
	{ INT64_C(900000), "15m" },
	{ INT64_C(90000), "1m30s" },
	{ INT64_C(0), "0s" },
	{ INT64_C(3605000), "1h5s" },
	{ INT64_C(7200000), "2h" },
	{ INT64_C(250), "250ms" },
	{ INT64_C(1500), "1s500ms" },
	{ INT64_C(3723004), "1h2m3s4ms" },
	{ INT64_C(-5400000), "-1h30m" },
	{ INT64_C(-1), "-1ms" },
	{ INT64_C(360000000), "100h" },
	{ INT64_MAX, "2562047788015h12m55s807ms" },
	{ INT64_MIN, "-2562047788015h12m55s808ms" },
};

START_TEST(test_duration_str)
{
	char	buf[TIMEFMT_LEN];

	timefmt_duration_str(dur_str[_i].ms, buf, sizeof buf);
	ck_assert_str_eq(buf, dur_str[_i].text);
}
END_TEST

/* What duration_str prints, duration reads back (except INT64_MIN). */
START_TEST(test_duration_round_trip)
{
	char	 buf[TIMEFMT_LEN], *cause = NULL;
	int64_t	 v = 0;

	if (dur_str[_i].ms == INT64_MIN)
		return;
	timefmt_duration_str(dur_str[_i].ms, buf, sizeof buf);
	ck_assert_int_eq(timefmt_duration(buf, &v, &cause), 0);
	ck_assert_int_eq(v, dur_str[_i].ms);
}
END_TEST

START_TEST(test_duration_str_truncates)
{
	char	buf[4];

	memset(buf, 'x', sizeof buf);
	timefmt_duration_str(INT64_C(5400000), buf, sizeof buf);
	ck_assert_str_eq(buf, "1h3");
}
END_TEST

/* ---------------------------------------------------------- zones */

static const char *zone_good[] = {
	"UTC", "Etc/UTC", "Asia/Shanghai", "Europe/Berlin",
	"America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
	"Asia/Kolkata",
};

START_TEST(test_zone_good)
{
	char	*cause = (char *)"unset";

	ck_assert_int_eq(timefmt_zone_check(zone_good[_i], &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

static const struct {
	const char	*zone;
	const char	*msg;
} zone_bad[] = {
	{ "Asia/Shangai", "unknown time zone \"Asia/Shangai\"" },
	{ "Asia", "unknown time zone \"Asia\"" },	/* a directory */
	{ "Nowhere", "unknown time zone \"Nowhere\"" },
	{ "../etc/passwd", "invalid time zone \"../etc/passwd\"" },
	{ "Asia/../Asia/Shanghai", "invalid time zone" },
	{ "/etc/localtime", "invalid time zone" },
	{ "/usr/share/zoneinfo/UTC", "invalid time zone" },
	{ "Asia//Shanghai", "invalid time zone" },
	{ "Asia/Shanghai/", "invalid time zone" },
	{ "Asia/Shanghai ", "invalid time zone" },
	{ "zone.tab", "invalid time zone" },
	{ "Asia/Shanghai\n", "invalid time zone" },
	{ "", "invalid time zone \"\"" },
	{ "utc", "unknown time zone \"utc\"" },
	/* Leap-second zones would be misread; posix/ is an alias. */
	{ "right/Europe/Berlin", "time zone \"right/Europe/Berlin\" counts "
	  "leap seconds, which the API's times do not: use "
	  "\"Europe/Berlin\"" },
	{ "right/UTC", "counts leap seconds" },
	{ "posix/Asia/Shanghai", "time zone \"posix/Asia/Shanghai\" is "
	  "\"Asia/Shanghai\" under another name: write \"Asia/Shanghai\"" },
};

START_TEST(test_zone_bad)
{
	char	*cause = NULL;

	ck_assert_int_eq(timefmt_zone_check(zone_bad[_i].zone, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, zone_bad[_i].msg) != NULL,
	    "message \"%s\" lacks \"%s\"", cause, zone_bad[_i].msg);
	free(cause);
}
END_TEST

/* $TZDIR replaces /usr/share/zoneinfo, and the TZif magic is required. */
START_TEST(test_zone_tzdir)
{
	static const char	 tzif[] = "TZif2 and then some";
	static const char	 junk[] = "not a zone file";
	char			*cause = NULL, *saved = NULL;
	int			 good, bad, system, utc;

	if (getenv("TZDIR") != NULL)
		saved = strdup(getenv("TZDIR"));
	free(fixture_mkdir("Fake"));
	free(fixture_put("Fake/Zone", tzif, sizeof(tzif) - 1));
	free(fixture_mkdir("Bad"));
	free(fixture_put("Bad/Zone", junk, sizeof(junk) - 1));
	ck_assert_int_eq(setenv("TZDIR", fixture_dir, 1), 0);

	good = timefmt_zone_check("Fake/Zone", &cause);
	free(cause);
	bad = timefmt_zone_check("Bad/Zone", &cause);
	free(cause);
	system = timefmt_zone_check("Europe/Berlin", &cause);
	free(cause);
	utc = timefmt_zone_check("UTC", &cause);
	free(cause);

	if (saved != NULL)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);

	ck_assert_int_eq(good, 0);
	ck_assert_int_eq(bad, -1);
	ck_assert_int_eq(system, -1);
	ck_assert_int_eq(utc, 0);
}
END_TEST

/* ---------------------------------------------------------- parsing */

static const struct {
	const char	*text;
	const char	*zone;
	int64_t		 ms;
} parse_good[] = {
	/* RFC 3339; the zone does not matter when an offset is given. */
	{ "2026-12-01T02:00:00+08:00", NULL, T_DEC1_SH },
	{ "2026-12-01T02:00:00+08:00", "America/New_York", T_DEC1_SH },
	{ "2026-11-30T18:00:00Z", NULL, T_DEC1_SH },
	{ "2026-11-30t18:00:00z", NULL, T_DEC1_SH },
	{ "2026-11-30 18:00:00Z", "Asia/Shanghai", T_DEC1_SH },
	{ "2026-11-30T13:00:00-05:00", NULL, T_DEC1_SH },
	{ "2026-11-30T18:00:00+00:00", NULL, T_DEC1_SH },
	{ "2026-11-30T18:00:00-00:00", NULL, T_DEC1_SH },
	{ "2026-12-01T02:00+08:00", NULL, T_DEC1_SH },
	{ "2026-11-30T18:00:00.123Z", NULL, T_DEC1_SH + 123 },
	{ "2026-11-30T18:00:00.5Z", NULL, T_DEC1_SH + 500 },
	{ "2026-11-30T18:00:00.05Z", NULL, T_DEC1_SH + 50 },
	{ "2026-11-30T18:00:00.123999Z", NULL, T_DEC1_SH + 123 },
	{ "2026-12-01T02:00:30+08:00", NULL, INT64_C(1796061630000) },
	{ "2026-06-15T12:00:00+05:30", NULL, INT64_C(1781505000000) },
	{ "2024-02-29T12:34:56Z", NULL, INT64_C(1709210096000) },
	{ "2000-02-29T00:00:00Z", NULL, INT64_C(951782400000) },
	{ "2000-03-01T00:00:00Z", NULL, INT64_C(951868800000) },
	{ "2100-03-01T00:00:00Z", NULL, INT64_C(4107542400000) },
	{ "1970-01-01T00:00:00Z", NULL, INT64_C(0) },
	{ "1972-06-30T23:59:59Z", NULL, INT64_C(78796799000) },
	{ "9999-12-31T23:59:59Z", NULL, INT64_C(253402300799000) },

	/* Local, in UTC. */
	{ "2026-11-30 18:00", NULL, T_DEC1_SH },
	{ "2026-11-30 18:00:00", "UTC", T_DEC1_SH },
	{ "2026-11-30T18:00", "Etc/UTC", T_DEC1_SH },

	/* Asia/Shanghai has no DST. */
	{ "2026-12-01 02:00", "Asia/Shanghai", T_DEC1_SH },
	{ "2026-12-01T02:00:30", "Asia/Shanghai", INT64_C(1796061630000) },
	{ "2026-07-01 18:00", "Asia/Shanghai", INT64_C(1782900000000) },

	/* Europe/Berlin around the 2026 changes, and in summer. */
	{ "2026-07-01 12:00", "Europe/Berlin", INT64_C(1782900000000) },
	{ "2026-03-29 01:59", "Europe/Berlin", INT64_C(1774745940000) },
	{ "2026-03-29 03:00", "Europe/Berlin", INT64_C(1774746000000) },
	{ "2026-10-25 01:30", "Europe/Berlin", INT64_C(1792884600000) },
	{ "2026-10-25 03:30", "Europe/Berlin", INT64_C(1792895400000) },
	{ "2026-10-25T02:30:00+02:00", "Europe/Berlin",
	    INT64_C(1792888200000) },
	{ "2026-10-25T02:30:00+01:00", "Europe/Berlin",
	    INT64_C(1792891800000) },

	/* America/New_York. */
	{ "2026-07-04 12:00", "America/New_York", INT64_C(1783180800000) },
	{ "2026-12-25 09:00", "America/New_York", INT64_C(1798207200000) },
	{ "2026-11-30 13:00", "America/New_York", T_DEC1_SH },

	/* Millisecond epochs. */
	{ "1796061600000", NULL, T_DEC1_SH },
	{ "1796061600000", "Asia/Shanghai", T_DEC1_SH },
	{ "946684800000", NULL, INT64_C(946684800000) },
	{ "253402300799999", NULL, INT64_C(253402300799999) },
	{ "0001796061600000", NULL, T_DEC1_SH },
};

START_TEST(test_parse_good)
{
	int64_t	 v = -42;
	char	*cause = NULL;
	int	 rc;

	rc = timefmt_parse(parse_good[_i].text, parse_good[_i].zone, &v,
	    &cause);
	ck_assert_msg(rc == 0, "\"%s\" in %s: %s", parse_good[_i].text,
	    parse_good[_i].zone != NULL ? parse_good[_i].zone : "(null)",
	    cause != NULL ? cause : "(no message)");
	ck_assert_ptr_null(cause);
	ck_assert_int_eq(v, parse_good[_i].ms);
}
END_TEST

static const struct {
	const char	*text;
	const char	*zone;
	const char	*msg;
} parse_bad[] = {
	/* Dates and times that do not exist on any calendar. */
	{ "2026-02-29T00:00:00Z", NULL, "2026-02 has no day 29" },
	{ "2026-02-29 10:00", "Europe/Berlin", "2026-02 has no day 29" },
	{ "2100-02-29T00:00:00Z", NULL, "2100-02 has no day 29" },
	{ "2026-04-31T00:00:00Z", NULL, "2026-04 has no day 31" },
	{ "2026-01-00T00:00:00Z", NULL, "has no day 00" },
	{ "2026-13-01T00:00:00Z", NULL, "month must be 01 to 12" },
	{ "2026-13-01 10:00", NULL, "month must be 01 to 12" },
	{ "2026-00-10T00:00:00Z", NULL, "month must be 01 to 12" },
	{ "2026-12-01T24:00:00Z", NULL, "hour must be 00 to 23" },
	{ "2026-12-01 24:00", "Asia/Shanghai", "hour must be 00 to 23" },
	{ "2026-12-01T23:60:00Z", NULL, "minute must be 00 to 59" },
	{ "2026-12-31T23:59:60Z", NULL, "leap seconds are not supported" },
	{ "1969-12-31T23:59:59Z", NULL, "year 1969 is before 1970" },

	/* Syntax. */
	{ "", NULL, "empty time" },
	{ "tomorrow", NULL, "cannot parse time \"tomorrow\": use RFC 3339" },
	{ "2026-12-01", NULL, "cannot parse time" },
	{ "2026-12-1T02:00:00Z", NULL, "cannot parse time" },
	{ "26-12-01T02:00:00Z", NULL, "cannot parse time" },
	{ "2026/12/01 02:00", NULL, "cannot parse time" },
	{ "2026-12-01_02:00", NULL, "cannot parse time" },
	{ "2026-12-01T2:00", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00+08", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00+0800", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00+24:00", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00+08:60", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00.Z", NULL, "cannot parse time" },
	{ "2026-12-01T02:00.5Z", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00 +08:00", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00+08:00 ", NULL, "cannot parse time" },
	{ " 2026-12-01T02:00:00+08:00", NULL, "cannot parse time" },
	{ "2026-12-01T02:00:00UTC", NULL, "cannot parse time" },
	{ "-1796061600000", NULL, "cannot parse time" },
	{ "1796061600000ms", NULL, "cannot parse time" },

	/* Epochs. */
	{ "1796061600", NULL, "\"1796061600\" looks like seconds; the API "
	    "wants milliseconds (1796061600000)" },
	{ "946684800", NULL, "looks like seconds" },
	{ "946684799999", NULL, "out of range" },
	{ "0", NULL, "out of range" },
	{ "253402300800000", NULL, "out of range" },
	{ "99999999999999999999", NULL, "out of range" },

	/* Local times and DST. */
	{ "2026-03-29 02:30", "Europe/Berlin",
	    "2026-03-29 02:30 does not exist in Europe/Berlin (DST change)" },
	{ "2026-03-29 02:00:00", "Europe/Berlin", "does not exist" },
	{ "2026-03-29T02:59:59", "Europe/Berlin", "does not exist" },
	{ "2026-10-25 02:30", "Europe/Berlin",
	    "2026-10-25 02:30 is ambiguous in Europe/Berlin (DST change): "
	    "write it with an offset, e.g. 2026-10-25T02:30:00+02:00 or "
	    "+01:00" },
	{ "2026-10-25 02:00:00", "Europe/Berlin", "is ambiguous" },
	{ "2026-03-08 02:30", "America/New_York",
	    "does not exist in America/New_York" },
	{ "2026-11-01 01:30", "America/New_York",
	    "e.g. 2026-11-01T01:30:00-04:00 or -05:00" },
	{ "2026-12-01 02:00", "Asia/Shangai",
	    "unknown time zone \"Asia/Shangai\"" },
	{ "2026-12-01 02:00", "../etc/passwd", "invalid time zone" },
};

START_TEST(test_parse_bad)
{
	int64_t	 v = -42;
	char	*cause = NULL;

	ck_assert_int_eq(timefmt_parse(parse_bad[_i].text, parse_bad[_i].zone,
	    &v, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, parse_bad[_i].msg) != NULL,
	    "\"%s\": message \"%s\" lacks \"%s\"", parse_bad[_i].text, cause,
	    parse_bad[_i].msg);
	ck_assert_int_eq(v, -42);
	free(cause);
}
END_TEST

/* ---------------------------------------------------------- formatting */

static const struct {
	int64_t		 ms;
	const char	*text;
} fmt_utc[] = {
	{ T_DEC1_SH, "2026-11-30T18:00:00Z" },
	{ T_DEC1_SH + 123, "2026-11-30T18:00:00.123Z" },
	{ T_DEC1_SH + 5, "2026-11-30T18:00:00.005Z" },
	{ INT64_C(0), "1970-01-01T00:00:00Z" },
	{ INT64_C(-1), "1969-12-31T23:59:59.999Z" },
	{ INT64_C(-1000), "1969-12-31T23:59:59Z" },
	{ INT64_C(1709210096000), "2024-02-29T12:34:56Z" },
	{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
};

START_TEST(test_format_utc)
{
	char	buf[TIMEFMT_LEN];

	timefmt_utc(fmt_utc[_i].ms, buf, sizeof buf);
	ck_assert_str_eq(buf, fmt_utc[_i].text);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*zone;
	const char	*text;
} fmt_local[] = {
	{ T_DEC1_SH, "Asia/Shanghai", "2026-12-01 02:00:00 +08:00" },
	{ T_DEC1_SH, NULL, "2026-11-30 18:00:00 +00:00" },
	{ T_DEC1_SH, "UTC", "2026-11-30 18:00:00 +00:00" },
	{ T_DEC1_SH, "America/New_York", "2026-11-30 13:00:00 -05:00" },
	{ T_DEC1_SH + 250, "Europe/Berlin", "2026-11-30 19:00:00.250 +01:00" },
	{ INT64_C(1782900000000), "Europe/Berlin",
	    "2026-07-01 12:00:00 +02:00" },
	{ INT64_C(1781505000000), "Asia/Kolkata",
	    "2026-06-15 12:00:00 +05:30" },
	{ INT64_C(1792888200000), "Europe/Berlin",
	    "2026-10-25 02:30:00 +02:00" },
	{ INT64_C(1792891800000), "Europe/Berlin",
	    "2026-10-25 02:30:00 +01:00" },
};

START_TEST(test_format_local)
{
	char	buf[TIMEFMT_LEN];

	timefmt_local(fmt_local[_i].ms, fmt_local[_i].zone, buf, sizeof buf);
	ck_assert_str_eq(buf, fmt_local[_i].text);
}
END_TEST

/* utc() output parses back to the same instant. */
START_TEST(test_round_trip_utc)
{
	char	 buf[TIMEFMT_LEN], *cause = NULL;
	int64_t	 v = 0;

	if (fmt_utc[_i].ms < 0)
		return;
	timefmt_utc(fmt_utc[_i].ms, buf, sizeof buf);
	ck_assert_int_eq(timefmt_parse(buf, "Europe/Berlin", &v, &cause), 0);
	ck_assert_int_eq(v, fmt_utc[_i].ms);
}
END_TEST

/*
 * local() output without its offset parses back in the same zone,
 * except in the autumn overlap, where it must be refused; with the
 * offset moved next to the time it is RFC 3339 and always parses back.
 */
START_TEST(test_round_trip_local)
{
	char		 buf[TIMEFMT_LEN], rfc[TIMEFMT_LEN], *sp;
	char		*cause = NULL;
	const char	*zone = fmt_local[_i].zone;
	int64_t		 v = 0;
	int		 rc;

	timefmt_local(fmt_local[_i].ms, zone, buf, sizeof buf);
	sp = strrchr(buf, ' ');
	ck_assert_ptr_nonnull(sp);
	*sp = '\0';
	snprintf(rfc, sizeof rfc, "%s%s", buf, sp + 1);
	rfc[10] = 'T';

	rc = timefmt_parse(buf, zone, &v, &cause);
	if (zone != NULL && strcmp(buf, "2026-10-25 02:30:00") == 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(strstr(cause, "ambiguous"));
		free(cause);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(v, fmt_local[_i].ms);
	}

	ck_assert_int_eq(timefmt_parse(rfc, NULL, &v, &cause), 0);
	ck_assert_int_eq(v, fmt_local[_i].ms);
}
END_TEST

/* ---------------------------------------------------------- TZ */

/* Local conversions put back the caller's TZ exactly, set or unset. */
START_TEST(test_tz_restored)
{
	char	 buf[TIMEFMT_LEN], *cause = NULL;
	int64_t	 v;

	ck_assert_int_eq(setenv("TZ", "Pacific/Auckland", 1), 0);
	timefmt_local(T_DEC1_SH, "Europe/Berlin", buf, sizeof buf);
	ck_assert_str_eq(getenv("TZ"), "Pacific/Auckland");
	ck_assert_int_eq(timefmt_parse("2026-10-25 02:30", "Europe/Berlin",
	    &v, &cause), -1);
	free(cause);
	ck_assert_str_eq(getenv("TZ"), "Pacific/Auckland");
	ck_assert_int_eq(timefmt_parse("2026-12-01 02:00", "Asia/Shanghai",
	    &v, &cause), 0);
	ck_assert_str_eq(getenv("TZ"), "Pacific/Auckland");

	/* The caller's TZ does not leak into conversions either. */
	timefmt_local(T_DEC1_SH, NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "2026-11-30 18:00:00 +00:00");
	ck_assert_int_eq(timefmt_parse("2026-11-30 18:00", NULL, &v, &cause),
	    0);
	ck_assert_int_eq(v, T_DEC1_SH);

	ck_assert_int_eq(unsetenv("TZ"), 0);
	timefmt_local(T_DEC1_SH, "Asia/Shanghai", buf, sizeof buf);
	ck_assert_ptr_null(getenv("TZ"));
	ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
}
END_TEST

/* ---------------------------------------------------------- now */

START_TEST(test_now)
{
	int64_t	a, b;

	a = timefmt_now();
	b = timefmt_now();
	/* After 2025-01-01 and before 2100, in milliseconds, monotonic. */
	ck_assert_int_gt(a, INT64_C(1735689600000));
	ck_assert_int_lt(a, INT64_C(4102444800000));
	ck_assert_int_ge(b, a);
}
END_TEST

Suite *
timefmt_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("timefmt");

	tc = tcase_create("duration_good");
	tcase_add_loop_test(tc, test_duration_good, 0, NITEMS(dur_good));
	suite_add_tcase(s, tc);

	tc = tcase_create("duration_bad");
	tcase_add_loop_test(tc, test_duration_bad, 0, NITEMS(dur_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("duration_str");
	tcase_add_loop_test(tc, test_duration_str, 0, NITEMS(dur_str));
	tcase_add_test(tc, test_duration_str_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration_round_trip");
	tcase_add_loop_test(tc, test_duration_round_trip, 0, NITEMS(dur_str));
	suite_add_tcase(s, tc);

	tc = tcase_create("zone_good");
	tcase_add_loop_test(tc, test_zone_good, 0, NITEMS(zone_good));
	suite_add_tcase(s, tc);

	tc = tcase_create("zone_bad");
	tcase_add_loop_test(tc, test_zone_bad, 0, NITEMS(zone_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("zone_tzdir");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_dir_setup, fixture_dir_teardown);
	tcase_add_test(tc, test_zone_tzdir);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_good");
	tcase_add_loop_test(tc, test_parse_good, 0, NITEMS(parse_good));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_bad");
	tcase_add_loop_test(tc, test_parse_bad, 0, NITEMS(parse_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("format_utc");
	tcase_add_loop_test(tc, test_format_utc, 0, NITEMS(fmt_utc));
	suite_add_tcase(s, tc);

	tc = tcase_create("format_local");
	tcase_add_loop_test(tc, test_format_local, 0, NITEMS(fmt_local));
	suite_add_tcase(s, tc);

	tc = tcase_create("round_trip");
	tcase_add_loop_test(tc, test_round_trip_utc, 0, NITEMS(fmt_utc));
	tcase_add_loop_test(tc, test_round_trip_local, 0, NITEMS(fmt_local));
	suite_add_tcase(s, tc);

	tc = tcase_create("tz_restored");
	tcase_add_test(tc, test_tz_restored);
	suite_add_tcase(s, tc);

	tc = tcase_create("now");
	tcase_add_test(tc, test_now);
	suite_add_tcase(s, tc);

	return (s);
}
